/**
 * CoreDNS facts from a `/metrics` scrape, under both the metric names of older releases and
 * the current ones (the first name found wins):
 *
 * | fact               | current                                   | older                                  |
 * |--------------------|-------------------------------------------|----------------------------------------|
 * | requests           | coredns_dns_requests_total                | coredns_dns_request_count_total (≤1.6) |
 * | responses by rcode | coredns_dns_responses_total{rcode}        | coredns_dns_response_rcode_count_total |
 * | latency            | coredns_dns_request_duration_seconds      | (same)                                 |
 * | cache hits         | coredns_cache_hits_total{type}            | (same)                                 |
 * | cache misses       | coredns_cache_misses_total; coredns_cache_requests_total (1.9+) gives lookups |  |
 * | cache entries      | coredns_cache_entries{type}               | coredns_cache_size{type}               |
 * | forward requests   | coredns_forward_requests_total; from 1.10 coredns_proxy_request_duration_seconds_count{proxy_name="forward"} | coredns_forward_request_count_total |
 * | forward rcodes     | coredns_forward_responses_total{rcode}; coredns_proxy_request_duration_seconds_count{rcode} | coredns_forward_response_rcode_count_total |
 * | forward health     | coredns_forward_healthcheck_failures_total; coredns_proxy_healthcheck_failures_total | |
 *
 * Values are summed over every series (servers, zones, upstreams). Latency percentiles come
 * from the histogram as histogram_quantile computes them.
 */
import { histogramOf, histogramQuantile } from './histogram-quantile.js';
import type { MetricFamily, PrometheusText } from './parse-prometheus-text.js';

export interface MetricFact {
  value: number;
  /** The metric it was read from. */
  metric: string;
  /** Line of the metric's first sample. */
  line: number;
}

export interface LatencySummary {
  metric: string;
  line: number;
  count: number;
  sumSeconds?: number;
  meanSeconds?: number;
  /** Percentiles in seconds; absent when the histogram cannot give them (no +Inf bucket). */
  p50?: number;
  p90?: number;
  p99?: number;
}

export interface RcodeCounts extends MetricFact {
  byRcode: Record<string, number>;
}

export interface CorednsMetrics {
  version?: string;
  requests?: MetricFact;
  responses?: RcodeCounts;
  /** Share of each rcode in the responses (0..1). */
  rcodeShare: Record<string, number>;
  latency?: LatencySummary;
  cache?: {
    hits?: MetricFact;
    hitsByType: Record<string, number>;
    misses?: MetricFact;
    /** Cache lookups (coredns_cache_requests_total). */
    lookups?: MetricFact;
    /** hits / lookups, or hits / (hits + misses). */
    hitRatio?: number;
    entries?: MetricFact;
    entriesByType: Record<string, number>;
  };
  forward?: {
    requests?: MetricFact;
    responses?: RcodeCounts;
    latency?: LatencySummary;
    healthcheckFailures?: MetricFact;
    healthcheckBroken?: MetricFact;
    maxConcurrentRejects?: MetricFact;
    /** Upstreams seen in the `to` label. */
    upstreams: string[];
  };
  panics?: MetricFact;
}

type Keep = (labels: Record<string, string>) => boolean;
const everything: Keep = () => true;
const forwardOnly: Keep = (labels) => labels.proxy_name === undefined || labels.proxy_name === 'forward';

export function corednsMetrics(text: PrometheusText): CorednsMetrics {
  const families = text.families;
  const first = (...names: string[]) => names.map((n) => families.get(n)).find((f): f is MetricFamily => f !== undefined && f.samples.length > 0);

  const metrics: CorednsMetrics = { rcodeShare: {} };
  const version = families.get('coredns_build_info')?.samples[0]?.labels.version;
  if (version !== undefined) metrics.version = version;

  const requests = fact(first('coredns_dns_requests_total', 'coredns_dns_request_count_total'));
  if (requests) metrics.requests = requests;
  const responses = rcodeCounts(first('coredns_dns_responses_total', 'coredns_dns_response_rcode_count_total'));
  if (responses) {
    metrics.responses = responses;
    if (responses.value > 0) {
      for (const [rcode, count] of Object.entries(responses.byRcode)) metrics.rcodeShare[rcode] = count / responses.value;
    }
  }
  const latency = latencyOf(families.get('coredns_dns_request_duration_seconds'), everything);
  if (latency) metrics.latency = latency;

  const hitsFamily = families.get('coredns_cache_hits_total');
  const entriesFamily = first('coredns_cache_entries', 'coredns_cache_size');
  const cache: NonNullable<CorednsMetrics['cache']> = { hitsByType: byLabel(hitsFamily, 'type'), entriesByType: byLabel(entriesFamily, 'type') };
  const hits = fact(hitsFamily);
  const misses = fact(families.get('coredns_cache_misses_total'));
  const lookups = fact(families.get('coredns_cache_requests_total'));
  const entries = fact(entriesFamily);
  if (hits) cache.hits = hits;
  if (misses) cache.misses = misses;
  if (lookups) cache.lookups = lookups;
  if (entries) cache.entries = entries;
  if (hits && lookups && lookups.value > 0) cache.hitRatio = hits.value / lookups.value;
  else if (hits && misses && hits.value + misses.value > 0) cache.hitRatio = hits.value / (hits.value + misses.value);
  if (hits || misses || lookups || entries) metrics.cache = cache;

  const forward = forwardFacts(families, first);
  if (forward) metrics.forward = forward;
  const panics = fact(first('coredns_panics_total', 'coredns_panic_count_total'));
  if (panics) metrics.panics = panics;
  return metrics;
}

function forwardFacts(
  families: Map<string, MetricFamily>,
  first: (...names: string[]) => MetricFamily | undefined,
): CorednsMetrics['forward'] | undefined {
  const proxyDuration = families.get('coredns_proxy_request_duration_seconds');
  const forward: NonNullable<CorednsMetrics['forward']> = { upstreams: [] };
  const upstreams = new Set<string>();
  const collect = (family: MetricFamily | undefined, keep: Keep) => {
    for (const sample of family?.samples ?? []) if (keep(sample.labels) && sample.labels.to !== undefined) upstreams.add(sample.labels.to);
  };

  const requestsFamily = first('coredns_forward_requests_total', 'coredns_forward_request_count_total');
  const requests = fact(requestsFamily) ?? histogramCount(proxyDuration, forwardOnly);
  if (requests) forward.requests = requests;
  const responsesFamily = first('coredns_forward_responses_total', 'coredns_forward_response_rcode_count_total');
  const responses = rcodeCounts(responsesFamily) ?? rcodeCountsOfHistogram(proxyDuration, forwardOnly);
  if (responses) forward.responses = responses;
  const latencyFamily = families.get('coredns_forward_request_duration_seconds') ?? proxyDuration;
  const latency = latencyOf(latencyFamily, forwardOnly);
  if (latency) forward.latency = latency;
  const failuresFamily = first('coredns_forward_healthcheck_failures_total', 'coredns_proxy_healthcheck_failures_total');
  const failures = fact(failuresFamily, forwardOnly);
  if (failures) forward.healthcheckFailures = failures;
  const broken = fact(families.get('coredns_forward_healthcheck_broken_total'));
  if (broken) forward.healthcheckBroken = broken;
  const rejects = fact(families.get('coredns_forward_max_concurrent_rejects_total'));
  if (rejects) forward.maxConcurrentRejects = rejects;

  for (const family of [requestsFamily, responsesFamily, latencyFamily, failuresFamily]) collect(family, forwardOnly);
  forward.upstreams = [...upstreams].sort();
  return requests || responses || latency || failures || broken || rejects ? forward : undefined;
}

/** Sum of a counter or gauge family's samples. */
function fact(family: MetricFamily | undefined, keep: Keep = everything): MetricFact | undefined {
  if (!family) return undefined;
  const own = new Set([family.name, `${family.name}_total`]);
  const samples = family.samples.filter((s) => own.has(s.name) && keep(s.labels) && !Number.isNaN(s.value));
  if (samples.length === 0) return undefined;
  return { value: samples.reduce((total, s) => total + s.value, 0), metric: family.name, line: samples[0]!.line };
}

function byLabel(family: MetricFamily | undefined, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of family?.samples ?? []) {
    const key = sample.labels[label];
    if (key !== undefined && !Number.isNaN(sample.value)) out[key] = (out[key] ?? 0) + sample.value;
  }
  return out;
}

function rcodeCounts(family: MetricFamily | undefined): RcodeCounts | undefined {
  const total = fact(family);
  return total ? { ...total, byRcode: byLabel(family, 'rcode') } : undefined;
}

/** The `_count` series of a histogram, summed. */
function histogramCount(family: MetricFamily | undefined, keep: Keep): MetricFact | undefined {
  const samples = family?.samples.filter((s) => s.name === `${family.name}_count` && keep(s.labels)) ?? [];
  if (!family || samples.length === 0) return undefined;
  return { value: samples.reduce((total, s) => total + s.value, 0), metric: `${family.name}_count`, line: samples[0]!.line };
}

function rcodeCountsOfHistogram(family: MetricFamily | undefined, keep: Keep): RcodeCounts | undefined {
  const total = histogramCount(family, keep);
  if (!family || !total) return undefined;
  const byRcode: Record<string, number> = {};
  for (const sample of family.samples) {
    if (sample.name !== `${family.name}_count` || !keep(sample.labels) || sample.labels.rcode === undefined) continue;
    byRcode[sample.labels.rcode] = (byRcode[sample.labels.rcode] ?? 0) + sample.value;
  }
  return { ...total, byRcode };
}

function latencyOf(family: MetricFamily | undefined, keep: Keep): LatencySummary | undefined {
  if (!family || family.samples.length === 0) return undefined;
  const histogram = histogramOf(family, keep);
  const count = histogram.count ?? histogram.buckets.find((b) => b.le === Infinity)?.count;
  if (count === undefined) return undefined;
  const summary: LatencySummary = { metric: family.name, line: family.samples[0]!.line, count };
  if (histogram.sum !== undefined) {
    summary.sumSeconds = histogram.sum;
    if (count > 0) summary.meanSeconds = histogram.sum / count;
  }
  for (const [key, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]] as const) {
    const value = histogramQuantile(q, histogram.buckets);
    if (value !== undefined) summary[key] = value;
  }
  return summary;
}
