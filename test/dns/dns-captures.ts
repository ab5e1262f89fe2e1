/**
 * CoreDNS scrapes and logs for the DNS rule tests, printed by fixtures/dns-captures.mjs (the
 * same printers the scenario bundles use), and the line finder the tests need for them.
 */
import { corednsMetricsText, queryLogLine } from '../../fixtures/dns-captures.mjs';

export interface ScrapeShape {
  noerror: number;
  nxdomain: number;
  servfail?: number;
  /** Share of cache lookups that hit. */
  hitRatio: number;
  /** Non-cumulative counts of the 16 latency buckets and +Inf (scaled to the responses). */
  latencyShape?: number[];
  latencySum?: number;
  forward?: { to: string; counts: number[]; sum: number }[];
}

const FAST = [60, 25, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Spreads `total` over the buckets in proportion to `shape`. */
function scale(total: number, shape: number[]): number[] {
  const sum = shape.reduce((a, b) => a + b, 0);
  const counts = shape.map((s) => Math.floor((total * s) / sum));
  counts[0]! += total - counts.reduce((a, b) => a + b, 0);
  return counts;
}

export function corednsScrape(shape: ScrapeShape): string {
  const servfail = shape.servfail ?? 0;
  const total = shape.noerror + shape.nxdomain + servfail;
  const hits = Math.round(total * shape.hitRatio);
  return corednsMetricsText({
    responses: [
      { plugin: 'cache', rcode: 'NOERROR', count: Math.round(shape.noerror * shape.hitRatio) },
      { plugin: 'kubernetes', rcode: 'NOERROR', count: shape.noerror - Math.round(shape.noerror * shape.hitRatio) },
      { plugin: 'cache', rcode: 'NXDOMAIN', count: Math.round(shape.nxdomain * shape.hitRatio) },
      { plugin: 'kubernetes', rcode: 'NXDOMAIN', count: shape.nxdomain - Math.round(shape.nxdomain * shape.hitRatio) },
      ...(servfail > 0 ? [{ plugin: 'forward', rcode: 'SERVFAIL', count: servfail }] : []),
    ],
    latency: { counts: scale(total, shape.latencyShape ?? FAST), sum: shape.latencySum ?? total * 0.0004 },
    cache: { successHits: Math.round(hits * 0.6), denialHits: hits - Math.round(hits * 0.6), misses: total - hits, successEntries: 412, denialEntries: 1290 },
    forward: shape.forward?.map((f) => ({ ...f, rcode: 'NOERROR' })) ?? [],
    process: { cpuSeconds: 1841.52, residentBytes: 38_912_000 },
  });
}

/** 1-based line of the first line of `text` that contains every needle. */
export function lineMatching(text: string, ...needles: string[]): number {
  const index = text.split('\n').findIndex((line) => needles.every((n) => line.includes(n)));
  if (index < 0) throw new Error(`no line with ${needles.join(', ')}`);
  return index + 1;
}

/** CoreDNS `log` plugin lines: the search candidates of `name` from `client`, then the name itself. */
export function searchQueryLog(name: string, client: string, searches: string[], repeat = 1): string {
  const lines: string[] = [];
  let id = 4100;
  for (let r = 0; r < repeat; r++) {
    for (const search of searches) {
      for (const type of ['A', 'AAAA']) {
        lines.push(queryLogLine({ client: `${client}:${40000 + id}`, id: id++, type, name: `${name}.${search}.`, rcode: 'NXDOMAIN', flags: 'qr,aa,rd', rsize: 180, duration: '0.000119871' }));
      }
    }
    for (const type of ['A', 'AAAA']) {
      lines.push(queryLogLine({ client: `${client}:${40000 + id}`, id: id++, type, name: `${name}.`, rcode: 'NOERROR', flags: 'qr,rd,ra', rsize: 120, duration: '0.002213001' }));
    }
  }
  return `${lines.join('\n')}\n`;
}
