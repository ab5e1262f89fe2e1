import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { corednsMetrics } from '../../analyzer/dns/coredns-metrics.js';
import { histogramOf, histogramQuantile } from '../../analyzer/dns/histogram-quantile.js';
import { parsePrometheusText } from '../../analyzer/dns/parse-prometheus-text.js';
import { lineWith, sampleSection, samplesAvailable, SKIP_MESSAGE } from './dns-samples.js';

const parse = (text: string) => parsePrometheusText(new SourceFile('metrics/kube-system/coredns-5d78c9869d-8kq2p.prom', text));

/** CoreDNS's request duration buckets: ExponentialBuckets(0.00025, 2, 16). */
const LE = [...Array.from({ length: 16 }, (_, i) => String(0.00025 * 2 ** i)), '+Inf'];

function histogram(name: string, labels: string, cumulative: number[], sum: number): string[] {
  return [
    ...cumulative.map((count, i) => `${name}_bucket{${labels},le="${LE[i]}"} ${count}`),
    `${name}_sum{${labels}} ${sum}`,
    `${name}_count{${labels}} ${cumulative[cumulative.length - 1]}`,
  ];
}

/** A CoreDNS 1.11 scrape: ndots amplification (NXDOMAIN-heavy) and 5-second upstream stalls. */
const SCRAPE = [
  "# HELP coredns_build_info A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.",
  '# TYPE coredns_build_info gauge',
  'coredns_build_info{goversion="go1.21.8",revision="ae2bbc2",version="1.11.3"} 1',
  '# HELP coredns_cache_entries The number of elements in the cache.',
  '# TYPE coredns_cache_entries gauge',
  'coredns_cache_entries{server="dns://:53",type="denial",view="",zones="."} 412',
  'coredns_cache_entries{server="dns://:53",type="success",view="",zones="."} 96',
  '# HELP coredns_cache_hits_total The count of cache hits.',
  '# TYPE coredns_cache_hits_total counter',
  'coredns_cache_hits_total{server="dns://:53",type="denial",view="",zones="."} 30120',
  'coredns_cache_hits_total{server="dns://:53",type="success",view="",zones="."} 9880',
  '# HELP coredns_cache_misses_total The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
  '# TYPE coredns_cache_misses_total counter',
  'coredns_cache_misses_total{server="dns://:53",view="",zones="."} 10000',
  '# HELP coredns_cache_requests_total The count of cache requests.',
  '# TYPE coredns_cache_requests_total counter',
  'coredns_cache_requests_total{server="dns://:53",view="",zones="."} 50000',
  '# HELP coredns_dns_request_duration_seconds Histogram of the time (in seconds) each request took per zone.',
  '# TYPE coredns_dns_request_duration_seconds histogram',
  ...histogram(
    'coredns_dns_request_duration_seconds',
    'server="dns://:53",type="A",view="",zone="."',
    [15000, 24000, 27000, 28000, 28500, 28800, 28900, 28950, 29000, 29000, 29000, 29000, 29000, 29000, 29400, 30000, 30000],
    2150.5,
  ),
  ...histogram(
    'coredns_dns_request_duration_seconds',
    'server="dns://:53",type="AAAA",view="",zone="."',
    [5000, 8000, 9000, 9500, 9700, 9800, 9900, 9950, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000],
    12.25,
  ),
  '# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.',
  '# TYPE coredns_dns_requests_total counter',
  'coredns_dns_requests_total{family="1",proto="udp",server="dns://:53",type="A",view="",zone="."} 30000',
  'coredns_dns_requests_total{family="1",proto="udp",server="dns://:53",type="AAAA",view="",zone="."} 10000',
  '# HELP coredns_dns_responses_total Counter of response status codes.',
  '# TYPE coredns_dns_responses_total counter',
  'coredns_dns_responses_total{plugin="kubernetes",rcode="NXDOMAIN",server="dns://:53",view="",zone="."} 24000',
  'coredns_dns_responses_total{plugin="forward",rcode="NOERROR",server="dns://:53",view="",zone="."} 15000',
  'coredns_dns_responses_total{plugin="",rcode="SERVFAIL",server="dns://:53",view="",zone="."} 800',
  'coredns_dns_responses_total{plugin="",rcode="REFUSED",server="dns://:53",view="",zone="."} 200',
  '# HELP coredns_proxy_healthcheck_failures_total Counter of the number of failed healthchecks.',
  '# TYPE coredns_proxy_healthcheck_failures_total counter',
  'coredns_proxy_healthcheck_failures_total{proxy_name="forward",to="10.0.0.2:53"} 3',
  '# HELP coredns_proxy_request_duration_seconds Histogram of the time each request took.',
  '# TYPE coredns_proxy_request_duration_seconds histogram',
  'coredns_proxy_request_duration_seconds_bucket{proxy_name="forward",rcode="NOERROR",to="10.0.0.2:53",le="0.004"} 8000',
  'coredns_proxy_request_duration_seconds_bucket{proxy_name="forward",rcode="NOERROR",to="10.0.0.2:53",le="0.016"} 9000',
  'coredns_proxy_request_duration_seconds_bucket{proxy_name="forward",rcode="NOERROR",to="10.0.0.2:53",le="+Inf"} 9000',
  'coredns_proxy_request_duration_seconds_sum{proxy_name="forward",rcode="NOERROR",to="10.0.0.2:53"} 21.5',
  'coredns_proxy_request_duration_seconds_count{proxy_name="forward",rcode="NOERROR",to="10.0.0.2:53"} 9000',
  'coredns_proxy_request_duration_seconds_bucket{proxy_name="forward",rcode="SERVFAIL",to="10.0.0.2:53",le="0.004"} 0',
  'coredns_proxy_request_duration_seconds_bucket{proxy_name="forward",rcode="SERVFAIL",to="10.0.0.2:53",le="0.016"} 0',
  'coredns_proxy_request_duration_seconds_bucket{proxy_name="forward",rcode="SERVFAIL",to="10.0.0.2:53",le="+Inf"} 800',
  'coredns_proxy_request_duration_seconds_sum{proxy_name="forward",rcode="SERVFAIL",to="10.0.0.2:53"} 4000',
  'coredns_proxy_request_duration_seconds_count{proxy_name="forward",rcode="SERVFAIL",to="10.0.0.2:53"} 800',
  '',
].join('\n');

describe('parsePrometheusText', () => {
  it('groups samples into families with types, help and lines', () => {
    const { value, issues } = parse(SCRAPE);
    expect(issues).toEqual([]);
    const duration = value.families.get('coredns_dns_request_duration_seconds')!;
    expect(duration.type).toBe('histogram');
    expect(duration.samples).toHaveLength(2 * 19);
    expect(duration.line).toBe(SCRAPE.split('\n').indexOf('# HELP coredns_dns_request_duration_seconds Histogram of the time (in seconds) each request took per zone.') + 1);
    expect(value.families.get('coredns_build_info')!.samples[0]).toEqual({
      name: 'coredns_build_info',
      labels: { goversion: 'go1.21.8', revision: 'ae2bbc2', version: '1.11.3' },
      value: 1,
      line: 3,
    });
    expect([...value.families.keys()]).not.toContain('coredns_dns_request_duration_seconds_bucket');
  });

  it('reads escapes, special values, timestamps and exemplars', () => {
    const text = [
      '# HELP probe_note A \\\\ backslash\\nand a newline.',
      '# TYPE probe_note gauge',
      'probe_note{path="C:\\\\dns",quote="say \\"hi\\"",multi="a\\nb",} NaN 1700000000000',
      'probe_note{kind="up"} +Inf',
      'probe_note{kind="down"} -Inf',
      '# TYPE requests counter',
      'requests_total{code="200"} 1.5e3 # {trace_id="abc"} 1.0',
      '# EOF',
      'ignored_after_eof 1',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues).toEqual([]);
    const note = value.families.get('probe_note')!;
    expect(note.help).toBe('A \\ backslash\nand a newline.');
    expect(note.samples[0]).toMatchObject({ labels: { path: 'C:\\dns', quote: 'say "hi"', multi: 'a\nb' }, timestampMs: 1700000000000 });
    expect(Number.isNaN(note.samples[0]!.value)).toBe(true);
    expect(note.samples.slice(1).map((s) => s.value)).toEqual([Infinity, -Infinity]);
    expect(value.families.get('requests')!.samples[0]).toMatchObject({ name: 'requests_total', value: 1500 });
    expect(value.families.has('ignored_after_eof')).toBe(false);
  });

  it('reports malformed lines at their line and keeps the rest', () => {
    const text = [
      'coredns_panics_total 0',
      'coredns_dns_requests_total{zone="." 12',
      'coredns_dns_requests_total{zone=.} 12',
      'coredns_dns_requests_total{zone="."} twelve',
      '{zone="."} 1',
      '# TYPE coredns_panics_total countr',
      'coredns_panics_total 0',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues.map((i) => [i.line, i.code, i.severity ?? 'error'])).toEqual([
      [2, 'BAD_LINE', 'error'],
      [3, 'BAD_LINE', 'error'],
      [4, 'BAD_LINE', 'error'],
      [5, 'BAD_LINE', 'error'],
      [6, 'BAD_LINE', 'error'],
      [7, 'BAD_LINE', 'warning'],
    ]);
    expect(issues[2]!.message).toBe('coredns_dns_requests_total: `twelve` is not a number');
    expect(value.families.get('coredns_panics_total')!.samples).toHaveLength(2);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside buckets as PromQL does', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: Infinity, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.3);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75);
  });

  it('gives the highest finite bound for ranks in +Inf, nothing without +Inf or data', () => {
    expect(histogramQuantile(0.99, [{ le: 1, count: 10 }, { le: Infinity, count: 20 }])).toBe(1);
    expect(histogramQuantile(0.5, [{ le: 1, count: 10 }, { le: 2, count: 20 }])).toBeUndefined();
    expect(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeUndefined();
    // Non-monotonic counts (a scrape racing bucket updates) are repaired.
    expect(histogramQuantile(0.5, [{ le: 1, count: 10 }, { le: 2, count: 8 }, { le: Infinity, count: 20 }])).toBe(1);
  });
});

describe('corednsMetrics', () => {
  it('extracts totals, rcode shares, cache hit ratio, latency percentiles and forward health', () => {
    const metrics = corednsMetrics(parse(SCRAPE).value);
    expect(metrics.version).toBe('1.11.3');
    expect(metrics.requests).toEqual({ value: 40000, metric: 'coredns_dns_requests_total', line: SCRAPE.split('\n').findIndex((l) => l.startsWith('coredns_dns_requests_total')) + 1 });
    expect(metrics.responses?.byRcode).toEqual({ NXDOMAIN: 24000, NOERROR: 15000, SERVFAIL: 800, REFUSED: 200 });
    expect(metrics.rcodeShare).toEqual({ NXDOMAIN: 0.6, NOERROR: 0.375, SERVFAIL: 0.02, REFUSED: 0.005 });
    expect(metrics.cache).toMatchObject({ hitsByType: { denial: 30120, success: 9880 }, hitRatio: 0.8, entriesByType: { denial: 412, success: 96 } });
    expect(metrics.latency).toMatchObject({ metric: 'coredns_dns_request_duration_seconds', count: 40000, sumSeconds: 2162.75 });
    expect(metrics.latency!.p50).toBeCloseTo(0.00025, 8);
    expect(metrics.latency!.p90).toBeCloseTo(0.001, 8);
    expect(metrics.latency!.p99).toBeCloseTo(4.096 + 4.096 / 3, 6);
    expect(metrics.forward).toMatchObject({
      requests: { value: 9800, metric: 'coredns_proxy_request_duration_seconds_count' },
      responses: { byRcode: { NOERROR: 9000, SERVFAIL: 800 } },
      healthcheckFailures: { value: 3, metric: 'coredns_proxy_healthcheck_failures_total' },
      upstreams: ['10.0.0.2:53'],
    });
    expect(metrics.forward!.latency!.p50).toBeCloseTo(0.004 * (4900 / 8000), 8);
  });

  it('reads nothing from an empty scrape', () => {
    expect(corednsMetrics(parse('').value)).toEqual({ rcodeShare: {} });
  });
});

describe.skipIf(!samplesAvailable)(`CoreDNS metrics on shared samples${SKIP_MESSAGE}`, () => {
  it('CoreDNS 1.6.5: cache hits by type, misses over two servers, old cache_size', () => {
    const file = sampleSection('coredns-metrics.txt', 0);
    const parsed = parsePrometheusText(file);
    expect(parsed.issues).toEqual([]);
    const metrics = corednsMetrics(parsed.value);
    expect(metrics.version).toBe('1.6.5');
    expect(metrics.cache).toMatchObject({
      hits: { value: 43, line: lineWith(file, 'coredns_cache_hits_total{') },
      misses: { value: 159 },
      entries: { value: 31, metric: 'coredns_cache_size' },
      entriesByType: { denial: 31 },
    });
    expect(metrics.cache!.hitRatio).toBeCloseTo(43 / 202, 10);
  });

  it('CoreDNS 1.2.2: the old request counter; no percentile from a single bucket', () => {
    const metrics = corednsMetrics(parsePrometheusText(sampleSection('coredns-metrics.txt', 1)).value);
    expect(metrics.version).toBe('1.2.2');
    expect(metrics.requests).toMatchObject({ value: 516107, metric: 'coredns_dns_request_count_total' });
    expect(metrics.latency).toBeUndefined();
  });

  it('a histogram with only sum and count gives the mean latency', () => {
    const metrics = corednsMetrics(parsePrometheusText(sampleSection('coredns-metrics.txt', 2)).value);
    expect(metrics.latency).toMatchObject({ count: 957 });
    expect(metrics.latency!.meanSeconds).toBeCloseTo(0.6624103219999997 / 957, 12);
    expect(metrics.latency!.p50).toBeUndefined();
  });

  it('untyped buckets without HELP or TYPE stay readable', () => {
    const parsed = parsePrometheusText(sampleSection('coredns-metrics.txt', 3));
    expect(parsed.issues).toEqual([]);
    const family = parsed.value.families.get('coredns_dns_response_size_bytes_bucket')!;
    expect(family.type).toBe('untyped');
    expect(family.samples.map((s) => s.labels.le)).toEqual(['300', '+Inf']);
    expect(histogramOf({ ...family, name: 'coredns_dns_response_size_bytes' }).buckets).toEqual([
      { le: 300, count: 4761 },
      { le: Infinity, count: 4761 },
    ]);
  });
});
