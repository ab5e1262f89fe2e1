/**
 * What the CoreDNS pods of the bundle served, summed over their `/metrics` scrapes (counters
 * since each pod started) and their query logs (`log` plugin lines), with the lines that show
 * it. Shared by dns-slow and dns-ndots-amplification.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { clusterDns, type CorednsScrape } from './cluster-dns.js';
import type { CorednsLogEvent } from './parse-coredns-logs.js';

export interface CorednsTraffic {
  /** CoreDNS scrapes (node-local-dns ones left out). */
  scrapes: CorednsScrape[];
  responses: number;
  byRcode: Record<string, number>;
  cache: { hits: number; lookups: number; hitRatio?: number; denialHits: number };
  /** Query log lines, across CoreDNS pods. */
  queries: { file: string; pod: string; event: CorednsLogEvent }[];
}

export function corednsTraffic(model: AnalysisModel): CorednsTraffic {
  const dns = clusterDns(model);
  const isCache = (pod: string) => /^(node-local-dns|nodelocaldns)-/.test(pod) || dns.nodeLocal?.pods.some((p) => p.name === pod) === true;
  const scrapes = dns.metrics.filter((s) => !isCache(s.pod));
  const byRcode: Record<string, number> = {};
  let responses = 0;
  let hits = 0;
  let lookups = 0;
  let denialHits = 0;
  for (const scrape of scrapes) {
    const m = scrape.value;
    if (m.responses) {
      responses += m.responses.value;
      for (const [rcode, count] of Object.entries(m.responses.byRcode)) byRcode[rcode] = (byRcode[rcode] ?? 0) + count;
    }
    if (m.cache) {
      const h = m.cache.hits?.value ?? 0;
      hits += h;
      lookups += m.cache.lookups?.value ?? h + (m.cache.misses?.value ?? 0);
      denialHits += m.cache.hitsByType.denial ?? 0;
    }
  }
  const queries: CorednsTraffic['queries'] = [];
  for (const log of dns.logs) {
    if (isCache(log.pod)) continue;
    for (const event of log.value.events) if (event.kind === 'query' && event.query) queries.push({ file: log.file, pod: log.pod, event });
  }
  const cache: CorednsTraffic['cache'] = { hits, lookups, denialHits };
  if (lookups > 0) cache.hitRatio = hits / lookups;
  return { scrapes, responses, byRcode, cache, queries };
}

/** The line of the first sample of `family` whose labels include `labels`, as evidence. */
export function metricEvidence(model: AnalysisModel, scrape: CorednsScrape, families: string[], labels: Record<string, string>, note: string): Evidence | undefined {
  for (const name of families) {
    const family = scrape.text.families.get(name);
    const sample = family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (!sample) continue;
    const file = model.bundle.get(scrape.file);
    if (file) return file.evidenceAtLine(sample.line, note);
  }
  return undefined;
}

export const RESPONSE_FAMILIES = ['coredns_dns_responses_total', 'coredns_dns_response_rcode_count_total'];
