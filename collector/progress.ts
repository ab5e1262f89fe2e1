/**
 * The collector's progress on stderr: which step, how many done and failed, time elapsed.
 * On a terminal one status line is redrawn in place, with failures printed above it as they
 * happen; elsewhere (CI logs, a file) every step is one plain line; `--quiet` prints nothing.
 *
 *   terminal:  [12/19] node-a  sysctl.txt · 1 failed · 0.8s
 *   plain:     netdump: node-a [12/19] ok sysctl.txt (10 ms)
 *              netdump: node-a [13/19] timed-out conntrack-stats.txt (conntrack -S, exit 124, 30010 ms)
 */

export type StepStatus = 'ok' | 'failed' | 'not-found' | 'timed-out' | 'skipped' | 'interrupted';

export interface ProgressStep {
  /** Who ran it: the node name, later a kubectl step group. */
  scope: string;
  status: StepStatus;
  /** What was collected (a bundle path relative to the scope). */
  label: string;
  /** Command, exit code, duration or reason. */
  detail?: string;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** A terminal: redraw one line instead of printing one per step. */
  isTTY: boolean;
  quiet: boolean;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

export interface ProgressCounts {
  done: number;
  failed: number;
  skipped: number;
  interrupted: number;
}

const FAILED: ReadonlySet<StepStatus> = new Set(['failed', 'not-found', 'timed-out']);

export class Progress {
  private readonly now: () => number;
  private readonly started: number;
  private total = 0;
  private lineShown = false;
  readonly counts: ProgressCounts = { done: 0, failed: 0, skipped: 0, interrupted: 0 };

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** Steps expected so far; grows as scopes (nodes) are added. */
  expect(steps: number): void {
    this.total += steps;
  }

  /** A step finished. A folder spec may report more steps than expected: the total follows. */
  step(step: ProgressStep): void {
    if (step.status === 'skipped') this.counts.skipped++;
    else if (step.status === 'interrupted') this.counts.interrupted++;
    else if (FAILED.has(step.status)) this.counts.failed++;
    this.counts.done++;
    this.total = Math.max(this.total, this.counts.done);
    if (this.options.quiet) return;

    const position = `[${this.counts.done}/${this.total}]`;
    const detail = step.detail ? ` (${step.detail})` : '';
    if (!this.options.isTTY) {
      this.options.write(`netdump: ${step.scope} ${position} ${step.status} ${step.label}${detail}\n`);
      return;
    }
    if (FAILED.has(step.status)) this.print(`netdump: ${step.scope}: ${step.status} ${step.label}${detail}`);
    const failed = this.counts.failed > 0 ? ` · ${this.counts.failed} failed` : '';
    this.redraw(`${position} ${step.scope}  ${step.label}${failed} · ${this.elapsedText()}`);
  }

  /** A message of its own line (a phase starting, a warning). */
  note(text: string): void {
    if (this.options.quiet) return;
    if (this.options.isTTY) this.print(`netdump: ${text}`);
    else this.options.write(`netdump: ${text}\n`);
  }

  /** Clears the status line; call before printing the summary. */
  end(): void {
    if (this.lineShown) this.options.write('\r\x1b[2K');
    this.lineShown = false;
  }

  elapsedMs(): number {
    return this.now() - this.started;
  }

  elapsedText(): string {
    return `${(this.elapsedMs() / 1000).toFixed(1)}s`;
  }

  private redraw(text: string): void {
    this.options.write(`\r\x1b[2K${text}`);
    this.lineShown = true;
  }

  private print(line: string): void {
    this.end();
    this.options.write(`${line}\n`);
  }
}
