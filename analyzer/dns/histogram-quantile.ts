/**
 * Quantiles from a Prometheus histogram, computed as PromQL's histogram_quantile does
 * (promql/quantile.go bucketQuantile): buckets summed across series by `le`, sorted, made
 * monotonic; the rank q·count falls in a bucket and the value is interpolated linearly
 * between that bucket's bounds (from 0 for the first bucket). A rank in the +Inf bucket
 * gives the highest finite bound. No +Inf bucket, fewer than two buckets or no
 * observations: no quantile.
 */
import type { MetricFamily } from './parse-prometheus-text.js';

export interface HistogramBucket {
  /** Upper bound (`le`). */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

export interface Histogram {
  buckets: HistogramBucket[];
  sum?: number;
  count?: number;
}

/**
 * The histogram of a family, summed over the series that `keep` accepts (all by default),
 * as `sum by (le)` would.
 */
export function histogramOf(family: MetricFamily, keep: (labels: Record<string, string>) => boolean = () => true): Histogram {
  const byLe = new Map<number, number>();
  let sum: number | undefined;
  let count: number | undefined;
  for (const sample of family.samples) {
    if (!keep(sample.labels)) continue;
    if (sample.name === `${family.name}_bucket`) {
      const leText = sample.labels.le;
      if (leText === undefined) continue;
      const le = /^\+?inf$/i.test(leText) ? Infinity : Number(leText);
      if (Number.isNaN(le)) continue;
      byLe.set(le, (byLe.get(le) ?? 0) + sample.value);
    } else if (sample.name === `${family.name}_sum`) {
      sum = (sum ?? 0) + sample.value;
    } else if (sample.name === `${family.name}_count`) {
      count = (count ?? 0) + sample.value;
    }
  }
  const histogram: Histogram = { buckets: [...byLe].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le) };
  if (sum !== undefined) histogram.sum = sum;
  if (count !== undefined) histogram.count = count;
  return histogram;
}

/** The q-quantile (0 ≤ q ≤ 1) of the observations, or undefined when PromQL would give NaN. */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number | undefined {
  if (Number.isNaN(q)) return undefined;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Infinity) return undefined;
  // Counts must not decrease; PromQL repairs them (scrape races between buckets).
  let max = 0;
  const counts = sorted.map((b) => (max = Math.max(max, b.count)));
  const observations = counts[counts.length - 1]!;
  if (observations === 0) return undefined;
  let rank = q * observations;
  let b = counts.findIndex((c) => c >= rank);
  if (b < 0) b = counts.length - 1;
  if (b === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (b === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  let start = 0;
  let count = counts[b]!;
  if (b > 0) {
    start = sorted[b - 1]!.le;
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  const end = sorted[b]!.le;
  return count === 0 ? start : start + (end - start) * (rank / count);
}
