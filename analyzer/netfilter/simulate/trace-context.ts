/**
 * Per-trace bookkeeping shared by the rule evaluators: the node's facts, what could not be
 * evaluated, and the bound on how many branches one trace may fork into.
 */
import type { NodeFacts } from './node-context.js';

/**
 * A trace forks at every probabilistic or unknown rule; a rule set full of unknown modules could
 * fork without end. Past this many branches, further forks end as an `unknown` outcome.
 */
export const MAX_BRANCHES = 20_000;

/** How deep jumps may nest before the trace gives up (iptables-restore refuses loops; this bounds hand-made dumps). */
export const MAX_CHAIN_DEPTH = 128;

/**
 * Collects why a match could not be evaluated (reset per rule). An unknown match is taken both
 * ways with equal weight: 0.5 is no estimate of the truth, only what keeps the outcome
 * probabilities summing to 1; such outcomes carry `uncertain` and the rule's line.
 */
export class MatchNotes {
  reasons: string[] = [];

  unknown(reason: string): number {
    this.reasons.push(reason);
    return 0.5;
  }
}

export class TraceContext {
  private readonly unsupportedByKey = new Map<string, { line: number; reason: string; file?: string }>();
  private branches = 1;

  constructor(readonly node: NodeFacts) {}

  /** Records something the simulator could not evaluate (deduplicated by file, line and reason). */
  unsupported(line: number, reason: string, file?: string): void {
    const key = `${file ?? ''}\u0000${line}\u0000${reason}`;
    if (this.unsupportedByKey.has(key)) return;
    const entry: { line: number; reason: string; file?: string } = { line, reason };
    if (file !== undefined) entry.file = file;
    this.unsupportedByKey.set(key, entry);
  }

  unsupportedList(): { line: number; reason: string; file?: string }[] {
    return [...this.unsupportedByKey.values()].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || a.line - b.line);
  }

  /** Counts `extra` new branches; false when the trace has reached MAX_BRANCHES. */
  allowFork(extra = 1): boolean {
    if (this.branches + extra > MAX_BRANCHES) return false;
    this.branches += extra;
    return true;
  }
}
