/**
 * One text file of a bundle, with the line arithmetic every parser and reporter needs.
 * Line starts are computed once, lazily, so a 50 MB file that no rule asks about costs nothing.
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
  private lineStarts: Uint32Array | undefined;

  constructor(
    readonly path: string,
    readonly text: string,
    /** Size in bytes as stored in the bundle. */
    readonly size: number = Buffer.byteLength(text),
  ) {}

  /** Offsets at which each line starts; index 0 is line 1. */
  private starts(): Uint32Array {
    if (this.lineStarts) return this.lineStarts;
    // One pass, growing a typed array: files reach hundreds of MB and millions of lines.
    const text = this.text;
    let starts = new Uint32Array(Math.max(16, (text.length >>> 6) + 1));
    let n = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
      if (n === starts.length) {
        const grown = new Uint32Array(starts.length * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[n++] = i + 1;
    }
    this.lineStarts = starts.slice(0, n);
    return this.lineStarts;
  }

  get lineCount(): number {
    return this.starts().length;
  }

  /** 1-based line of a character offset. */
  lineOf(offset: number): number {
    const starts = this.starts();
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
    const starts = this.starts();
    return starts[Math.min(Math.max(line, 1), starts.length) - 1]!;
  }

  /** The text of a 1-based line, without its line ending. */
  lineText(line: number): string {
    const starts = this.starts();
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
