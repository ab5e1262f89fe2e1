/**
 * Splits one iptables-save line into arguments the way iptables-restore does
 * (add_param_to_argv): whitespace separates; double quotes group; inside quotes a backslash
 * takes the next character literally (iptables-save escapes `"`, `\` and `'` so); outside quotes
 * a backslash is an ordinary character.
 *
 * Arguments are slices of the line where possible: a 400k-line dump must not allocate a fresh
 * string per character.
 */
export type TokenizeResult = { tokens: string[]; error?: undefined } | { tokens: string[]; error: string };

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

export function tokenizeIptablesLine(line: string): TokenizeResult {
  // Fast path for what iptables-save prints: spaces between arguments, quotes around whole
  // arguments. Native indexOf does the scanning; anything unusual goes to the full scanner.
  if (line.indexOf('\t') !== -1) return scanLine(line);
  const tokens: string[] = [];
  const n = line.length;
  let nextQuote = line.indexOf('"');
  let i = 0;
  while (i < n) {
    if (line.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    if (i === nextQuote) {
      let close = i + 1;
      let escaped = false;
      for (;;) {
        close = line.indexOf('"', close);
        if (close === -1) return { tokens, error: 'unterminated quote' };
        let backslashes = 0;
        while (line.charCodeAt(close - 1 - backslashes) === 92 && close - 1 - backslashes > i) backslashes++;
        if (backslashes % 2 === 0) break;
        escaped = true;
        close++;
      }
      const inner = line.slice(i + 1, close);
      tokens.push(escaped || inner.indexOf('\\') !== -1 ? inner.replace(/\\(.)/g, '$1') : inner);
      i = close + 1;
      nextQuote = line.indexOf('"', i);
      continue;
    }
    let end = line.indexOf(' ', i);
    if (end === -1) end = n;
    // A quote inside an unquoted argument (`abc"d e"`): let the full scanner do it.
    if (nextQuote !== -1 && nextQuote < end) return scanLine(line);
    tokens.push(line.slice(i, end));
    i = end;
  }
  return { tokens };
}

function scanLine(line: string): TokenizeResult {
  const tokens: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    // One argument: unquoted runs and quoted parts until unquoted whitespace or a closing quote.
    let value = '';
    let start = i;
    for (;;) {
      if (i >= n || isSpace(c)) {
        tokens.push(value + line.slice(start, i));
        break;
      }
      if (c !== 34) {
        c = line.charCodeAt(++i);
        continue;
      }
      value += line.slice(start, i);
      // Quoted part: a closing quote ends the argument, even an empty one (`--comment ""`).
      let j = i + 1;
      let segment = j;
      for (;;) {
        if (j >= n) return { tokens, error: 'unterminated quote' };
        const d = line.charCodeAt(j);
        if (d === 34) break;
        if (d === 92 && j + 1 < n) {
          value += line.slice(segment, j);
          segment = j + 1;
          j += 2;
          continue;
        }
        j++;
      }
      tokens.push(value + line.slice(segment, j));
      value = '';
      i = j + 1;
      start = i;
      break;
    }
  }
  return { tokens };
}
