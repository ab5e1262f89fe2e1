/**
 * Collects a parser's issues for one file, capping repeats so a 400k-line dump full of one
 * problem yields a readable list: the first few occurrences of each kind, then one summary.
 */
import type { ParseIssue, ParseIssueCode } from '../bundle/parse-issue.js';

const DEFAULT_CAP = 25;

export class IssueSink {
  readonly issues: ParseIssue[] = [];
  private readonly counts = new Map<string, { code: ParseIssueCode; severity: 'error' | 'warning'; what: string; count: number }>();

  constructor(
    private readonly file: string,
    private readonly cap = DEFAULT_CAP,
  ) {}

  /**
   * Records an issue. `kind` groups repeats for the cap (e.g. `UNSUPPORTED_MATCH:foo`); `what`
   * names the group in the summary line ("rules using -m foo").
   */
  add(
    code: ParseIssueCode,
    line: number,
    message: string,
    options: { text?: string; severity?: 'error' | 'warning'; kind?: string; what?: string } = {},
  ): void {
    const severity = options.severity ?? 'error';
    const kind = options.kind ?? code;
    const entry = this.counts.get(kind);
    const count = (entry?.count ?? 0) + 1;
    this.counts.set(kind, { code, severity, what: options.what ?? `${code} issues`, count });
    if (count > this.cap) return;
    const issue: ParseIssue = { code, file: this.file, line, message };
    if (options.text !== undefined) issue.text = options.text.length > 240 ? `${options.text.slice(0, 239)}…` : options.text;
    if (severity === 'warning') issue.severity = 'warning';
    this.issues.push(issue);
  }

  /** The issues, plus one line per capped group saying how many were left out. */
  finish(): ParseIssue[] {
    for (const { code, severity, what, count } of this.counts.values()) {
      if (count <= this.cap) continue;
      const issue: ParseIssue = {
        code,
        file: this.file,
        line: 0,
        message: `${count - this.cap} more ${what} not listed (${count} in all)`,
      };
      if (severity === 'warning') issue.severity = 'warning';
      this.issues.push(issue);
    }
    return this.issues;
  }
}
