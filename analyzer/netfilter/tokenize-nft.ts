/**
 * Splits nftables text (`nft list ruleset` or an `nft -f` script) into tokens: words, quoted
 * strings, the punctuation `{ } ; ,`, and newlines (which end statements outside braces).
 * `#` comments are dropped, except `# handle N` (from `nft -a list`), which becomes a token.
 */
export interface NftToken {
  kind: 'word' | 'string' | 'punct' | 'newline' | 'handle';
  /** Strings without their quotes; for `handle`, the number. */
  text: string;
  line: number;
  /** Offsets in the source, for quoting the rule back. */
  start: number;
  end: number;
}

function isWordChar(c: number): boolean {
  // Everything but whitespace, control characters and the delimiters { } ; , " #
  return c > 32 && c !== 123 && c !== 125 && c !== 59 && c !== 44 && c !== 34 && c !== 35;
}

/**
 * Produces tokens one at a time, so a parser can drop the ones it has read: a 300k-line ruleset
 * would otherwise keep millions of token objects alive until the end.
 */
export class NftTokenizer {
  private i = 0;
  private line = 1;
  private lastWasNewline = true;

  constructor(
    private readonly text: string,
    private readonly onError: (line: number, message: string) => void,
  ) {}

  next(): NftToken | undefined {
    const text = this.text;
    const n = text.length;
    while (this.i < n) {
      const i = this.i;
      const c = text.charCodeAt(i);
      if (c === 10) {
        const line = this.line++;
        this.i++;
        if (this.lastWasNewline) continue;
        this.lastWasNewline = true;
        return { kind: 'newline', text: '\n', line, start: i, end: i + 1 };
      }
      if (c === 32 || c === 9 || c === 13) {
        this.i++;
        continue;
      }
      if (c === 92 && (text.charCodeAt(i + 1) === 10 || (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10))) {
        // Line continuation in nft -f scripts.
        this.i += text.charCodeAt(i + 1) === 13 ? 3 : 2;
        this.line++;
        continue;
      }
      if (c === 35) {
        let end = text.indexOf('\n', i);
        if (end === -1) end = n;
        this.i = end;
        const handle = /^#\s*handle\s+(\d+)/.exec(text.slice(i, end));
        if (handle) return this.token('handle', handle[1]!, i, end);
        continue;
      }
      if (c === 34) return this.string(i);
      if (c === 123 || c === 125 || c === 59 || c === 44) {
        this.i++;
        return this.token('punct', text[i]!, i, i + 1);
      }
      let j = i + 1;
      while (j < n && isWordChar(text.charCodeAt(j))) j++;
      this.i = j;
      return this.token('word', text.slice(i, j), i, j);
    }
    return undefined;
  }

  private token(kind: NftToken['kind'], text: string, start: number, end: number): NftToken {
    this.lastWasNewline = false;
    return { kind, text, line: this.line, start, end };
  }

  /** A double-quoted string; backslash escapes the next character; it may not span lines. */
  private string(start: number): NftToken {
    const text = this.text;
    const n = text.length;
    let j = start + 1;
    let value = '';
    let segment = j;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 34 || d === 10) break;
      if (d === 92 && j + 1 < n && text.charCodeAt(j + 1) !== 10) {
        value += text.slice(segment, j);
        segment = j + 1;
        j += 2;
        continue;
      }
      j++;
    }
    value += text.slice(segment, j);
    if (text.charCodeAt(j) !== 34) {
      this.onError(this.line, 'unterminated string');
      this.i = j;
      return this.token('string', value, start, j);
    }
    this.i = j + 1;
    return this.token('string', value, start, j + 1);
  }
}
