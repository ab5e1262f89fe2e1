/**
 * One text file of a bundle, with the line arithmetic every parser and reporter needs.
 * Line starts are computed lazily and only as far as asked, so a 50 MB file that no rule asks
 * about costs nothing.
 */

/** A bundle line that proves something: the unit of evidence in every finding. */
export interface Evidence {
  /** Path relative to the bundle root, always with forward slashes. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** The line's text (trimmed, cut to a readable length). */
  text: string;
  /** What this line shows, when a finding cites several lines. */
  note?: string;
}

const EXCERPT_MAX = 240;

export class SourceFile {
  /** Starts of the lines found so far; index 0 is line 1. Only `lineStartCount` are set. */
  private lineStarts = new Uint32Array(16);
  private lineStartCount = 1;
  /** Where the search for the next line break resumes; -1 once the whole text was scanned. */
  private scanFrom = 0;

  constructor(
    readonly path: string,
    readonly text: string,
    /** Size in bytes as stored in the bundle. */
    readonly size: number = Buffer.byteLength(text),
  ) {}

  /**
   * Finds line starts until one lies past `offset` or `lines` are known (or the text ends).
   * Scanning stops there: a rule citing an object near the start of a 400 MB pods file does
   * not pay for the rest of the file's lines.
   */
  private scan(offset: number, lines: number): void {
    const text = this.text;
    let starts = this.lineStarts;
    let n = this.lineStartCount;
    let from = this.scanFrom;
    while (from !== -1 && starts[n - 1]! <= offset && n < lines) {
      const i = text.indexOf('\n', from);
      if (i === -1) {
        from = -1;
        break;
      }
      if (n === starts.length) {
        const grown = new Uint32Array(starts.length * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[n++] = i + 1;
      from = i + 1;
    }
    this.lineStarts = starts;
    this.lineStartCount = n;
    this.scanFrom = from;
  }

  /** Starts of lines 1..n, where line n holds `offset` or n >= `lines` (or n is the last line). */
  private startsThrough(offset: number, lines = Infinity): Uint32Array {
    if (this.scanFrom !== -1) this.scan(offset, lines);
    return this.lineStarts.subarray(0, this.lineStartCount);
  }

  get lineCount(): number {
    return this.startsThrough(Infinity).length;
  }

  /** 1-based line of a character offset. */
  lineOf(offset: number): number {
    const starts = this.startsThrough(offset);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Offset at which a 1-based line starts. */
  offsetOfLine(line: number): number {
    const starts = this.startsThrough(Infinity, line);
    return starts[Math.min(Math.max(line, 1), starts.length) - 1]!;
  }

  /** The text of a 1-based line, without its line ending. */
  lineText(line: number): string {
    const starts = this.startsThrough(Infinity, line + 1);
    if (line < 1 || line > starts.length) return '';
    const start = starts[line - 1]!;
    const end = line < starts.length ? starts[line]! - 1 : this.text.length;
    let text = this.text.slice(start, end);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return text;
  }

  /** Evidence for a 1-based line. */
  evidenceAtLine(line: number, note?: string): Evidence {
    return makeEvidence(this.path, line, this.lineText(line), note);
  }

  /** Evidence for the line holding a character offset. */
  evidenceAtOffset(offset: number, note?: string): Evidence {
    return this.evidenceAtLine(this.lineOf(offset), note);
  }
}

export function makeEvidence(file: string, line: number, text: string, note?: string): Evidence {
  let excerpt = text.trim();
  if (excerpt.length > EXCERPT_MAX) excerpt = excerpt.slice(0, EXCERPT_MAX - 1) + '…';
  const evidence: Evidence = { file, line, text: excerpt };
  if (note !== undefined) evidence.note = note;
  return evidence;
}
