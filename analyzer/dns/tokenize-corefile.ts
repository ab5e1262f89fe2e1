/**
 * Splits a Corefile into tokens the way CoreDNS's Caddyfile lexer (coredns/caddy
 * caddyfile/lexer.go) does:
 * - tokens are separated by whitespace; `{` and `}` are braces only as whole tokens
 *   (`{$ENV}` is a word);
 * - `"` opens a quoted token only at a token's start; inside, `\"` is a quote and a quoted
 *   token may span lines;
 * - `#` starts a comment anywhere, even inside a word (`foo#bar` is `foo`).
 * Each token keeps the 1-based line where it starts.
 */

export interface CorefileToken {
  text: string;
  line: number;
  quoted: boolean;
}

export interface TokenizedCorefile {
  tokens: CorefileToken[];
  /** Line where a quoted token opened and never closed. */
  unclosedQuoteLine?: number;
}

export function tokenizeCorefile(text: string): TokenizedCorefile {
  const tokens: CorefileToken[] = [];
  let line = 1;
  let value = '';
  let start = 1;
  let inToken = false;
  let quoted = false;
  let escaped = false;
  let comment = false;

  const flush = () => {
    if (inToken) tokens.push({ text: value, line: start, quoted });
    value = '';
    inToken = false;
    quoted = false;
  };

  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (!escaped && ch === '\\') {
        escaped = true;
        continue;
      }
      if (!escaped && ch === '"') {
        flush();
        continue;
      }
      if (ch === '\n') line++;
      if (escaped && ch !== '"') value += '\\';
      value += ch;
      escaped = false;
      continue;
    }
    if (ch === '\r') continue;
    if (ch === '\n' || ch === ' ' || ch === '\t' || ch === '\f' || ch === '\v') {
      if (ch === '\n') {
        line++;
        comment = false;
      }
      flush();
      continue;
    }
    if (ch === '#') comment = true;
    if (comment) continue;
    if (!inToken) {
      inToken = true;
      start = line;
      if (ch === '"') {
        quoted = true;
        continue;
      }
    }
    value += ch;
  }
  const unclosedQuoteLine = quoted ? start : undefined;
  flush();
  return unclosedQuoteLine === undefined ? { tokens } : { tokens, unclosedQuoteLine };
}
