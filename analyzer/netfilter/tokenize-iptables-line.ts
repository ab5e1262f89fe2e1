/**
 * Splits one iptables-save line into arguments the way iptables-restore does
 * (add_param_to_argv): whitespace separates; double quotes group; inside quotes a backslash
 * takes the next character literally (iptables-save escapes `"`, `\\` and `'` so); outside quotes
 * a backslash is an ordinary character.
 *
 * Arguments are slices of the text where possible: a 400k-line dump must not allocate a fresh
 * string per character. The parser's IptablesTokenizer reads the lines of a whole dump in
 * place, into one reused array.
 */
export type TokenizeResult = { tokens: string[]; error?: undefined } | { tokens: string[]; error: string };

export function tokenizeIptablesLine(line: string): TokenizeResult {
  const scanner = new ArgumentScanner(line, []);
  const error = scanner.scan(0, line.length);
  return error === undefined ? { tokens: scanner.tokens } : { tokens: scanner.tokens, error };
}

/**
 * The same splitting over ranges (the lines, in order) of one text, into one reused array:
 * after tokenize(), tokens[0, count) are the line's arguments (later slots hold stale ones).
 */
export class IptablesTokenizer {
  private readonly scanner: ArgumentScanner;

  constructor(text: string) {
    this.scanner = new ArgumentScanner(text, []);
  }

  get tokens(): readonly string[] {
    return this.scanner.tokens;
  }

  get count(): number {
    return this.scanner.count;
  }

  /** Splits text[start, end); returns the error, if any (the arguments before it are kept). */
  tokenize(start: number, end: number): string | undefined {
    this.scanner.count = 0;
    return this.scanner.scan(start, end);
  }
}

/**
 * The next position of one character at or after a given one, remembered: asked line after line
 * of a 48 MB text, indexOf alone would run to the end of the text on every line without a tab.
 */
class NextOccurrence {
  private from = 0;
  private found: number;

  constructor(
    private readonly text: string,
    private readonly char: string,
  ) {
    this.found = text.indexOf(char);
  }

  /** The first position >= `at` holding the character, or -1. */
  at(at: number): number {
    if (at < this.from || (this.found !== -1 && this.found < at)) {
      this.from = at;
      this.found = this.text.indexOf(this.char, at);
    }
    return this.found;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

class ArgumentScanner {
  count = 0;
  private readonly tabs: NextOccurrence;
  private readonly quotes: NextOccurrence;
  private readonly backslashes: NextOccurrence;

  constructor(
    private readonly text: string,
    readonly tokens: string[],
  ) {
    this.tabs = new NextOccurrence(text, '\t');
    this.quotes = new NextOccurrence(text, '"');
    this.backslashes = new NextOccurrence(text, '\\');
  }

  scan(start: number, end: number): string | undefined {
    const text = this.text;
    const tokens = this.tokens;
    // What iptables-save prints: single spaces between arguments, quotes around whole
    // arguments, no tabs. Native indexOf does the scanning; anything unusual goes to scanFrom.
    const tab = this.tabs.at(start);
    if (tab !== -1 && tab < end) return this.scanFrom(start, end);
    let quote = this.quotes.at(start);
    if (quote >= end) quote = -1;
    let i = start;
    while (i < end) {
      if (text.charCodeAt(i) === 32) {
        i++;
        continue;
      }
      if (i === quote) {
        // A whole argument in quotes (`"ns/svc:port cluster IP"`), unless it holds an escape.
        const close = this.quotes.at(i + 1);
        if (close === -1 || close >= end) return 'unterminated quote';
        const escape = this.backslashes.at(i + 1);
        if (escape !== -1 && escape < close) return this.scanFrom(i, end);
        tokens[this.count++] = text.slice(i + 1, close);
        i = close + 1;
        quote = this.quotes.at(i);
        if (quote >= end) quote = -1;
        continue;
      }
      let next = text.indexOf(' ', i);
      if (next === -1 || next > end) next = end;
      // A quote inside an unquoted argument (`abc"d e"`): let the full scanner do it.
      if (quote !== -1 && quote < next) return this.scanFrom(i, end);
      tokens[this.count++] = text.slice(i, next);
      i = next;
    }
    return undefined;
  }

  /** The full scanner, from `i` to `end`: unquoted runs and quoted parts until unquoted whitespace or a closing quote. */
  private scanFrom(i: number, end: number): string | undefined {
    const text = this.text;
    const tokens = this.tokens;
    while (i < end) {
      let c = text.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      let value = '';
      let segment = i;
      for (;;) {
        if (i >= end || isSpace(c)) {
          tokens[this.count++] = value + text.slice(segment, i);
          break;
        }
        if (c !== 34) {
          c = ++i < end ? text.charCodeAt(i) : 0;
          continue;
        }
        value += text.slice(segment, i);
        // Quoted part: a closing quote ends the argument, even an empty one (`--comment ""`).
        let j = i + 1;
        segment = j;
        for (;;) {
          if (j >= end) return 'unterminated quote';
          const d = text.charCodeAt(j);
          if (d === 34) break;
          if (d === 92 && j + 1 < end) {
            value += text.slice(segment, j);
            segment = j + 1;
            j += 2;
            continue;
          }
          j++;
        }
        tokens[this.count++] = value + text.slice(segment, j);
        i = j + 1;
        break;
      }
    }
    return undefined;
  }
}
