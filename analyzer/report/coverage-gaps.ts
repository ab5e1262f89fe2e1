/**
 * What a reader needs from the coverage list: how much was checked, and what was not, with
 * rules that miss the same input grouped under one line (ten rules lacking
 * `nodes/*\/iptables-save.txt` are one gap, not ten).
 */
import type { CoverageEntry, CoverageStatus } from './report.js';

export interface CoverageGap {
  status: Exclude<CoverageStatus, 'checked'>;
  /** The shared detail, prefixed with the status when the detail does not say it already. */
  label: string;
  /** The coverage entries that share it, in report order. */
  entries: CoverageEntry[];
}

export interface CoverageSummary {
  counts: Record<CoverageStatus, number>;
  /** Gaps in the order: error, not-collected, partial, skipped. */
  gaps: CoverageGap[];
}

const GAP_ORDER: CoverageGap['status'][] = ['error', 'not-collected', 'partial', 'skipped'];

const STATUS_TEXT: Record<CoverageStatus, string> = {
  checked: 'checked',
  'not-collected': 'not collected',
  partial: 'partial',
  error: 'error',
  skipped: 'skipped',
};

export function summarizeCoverage(coverage: readonly CoverageEntry[]): CoverageSummary {
  const counts: Record<CoverageStatus, number> = { checked: 0, 'not-collected': 0, partial: 0, error: 0, skipped: 0 };
  const groups = new Map<string, CoverageGap>();
  for (const entry of coverage) {
    counts[entry.status]++;
    if (entry.status === 'checked') continue;
    const key = `${entry.status}\u0000${entry.detail}`;
    const group = groups.get(key);
    if (group) group.entries.push(entry);
    else groups.set(key, { status: entry.status, label: statusLabel(entry), entries: [entry] });
  }
  const gaps = [...groups.values()].sort((a, b) => GAP_ORDER.indexOf(a.status) - GAP_ORDER.indexOf(b.status));
  return { counts, gaps };
}

function statusLabel(entry: CoverageEntry): string {
  const text = STATUS_TEXT[entry.status];
  return entry.detail.toLowerCase().startsWith(text) ? entry.detail : `${text}: ${entry.detail}`;
}

/** "Kube-proxy data plane (kubeproxy-rules-missing, kubeproxy-rules-stale)" per area. */
export function describeGapEntries(entries: readonly CoverageEntry[]): string[] {
  const byArea = new Map<string, string[]>();
  for (const entry of entries) {
    const rules = byArea.get(entry.area) ?? [];
    if (entry.rule !== undefined && !rules.includes(entry.rule)) rules.push(entry.rule);
    byArea.set(entry.area, rules);
  }
  return [...byArea].map(([area, rules]) => (rules.length > 0 ? `${area} (${rules.join(', ')})` : area));
}
