/**
 * Reads the Prometheus text exposition format (a scrape of CoreDNS's `:9153/metrics`, saved
 * as `metrics/<namespace>/<pod>.prom`):
 *
 *   # HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.
 *   # TYPE coredns_dns_requests_total counter
 *   coredns_dns_requests_total{family="1",proto="udp",server="dns://:53",type="A",zone="."} 1027
 *   coredns_dns_request_duration_seconds_bucket{server="dns://:53",zone=".",le="0.00025"} 437948
 *   coredns_dns_request_duration_seconds_bucket{server="dns://:53",zone=".",le="+Inf"} 516107
 *
 * Samples are grouped in families: `x_bucket`, `x_sum`, `x_count` belong to histogram `x`;
 * `x_sum`, `x_count` and quantiles to summary `x`; `x_total`/`x_created` to an OpenMetrics
 * counter `x`. Label values keep their escapes decoded (`\\`, `\"`, `\n`); values may be NaN
 * or ±Inf; an optional timestamp (milliseconds) follows. OpenMetrics `# EOF` ends the text;
 * exemplars (`# {...} value`) are skipped. Never throws on data.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'gaugehistogram' | 'info' | 'stateset';

export interface MetricSample {
  /** The sample's own name (`x_bucket` for a histogram bucket). */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
  line: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  /** Line of the first HELP/TYPE or sample. */
  line: number;
  samples: MetricSample[];
}

export interface PrometheusText {
  /** By family name, in order of appearance. */
  families: Map<string, MetricFamily>;
}

const METRIC_TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'gaugehistogram', 'info', 'stateset']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Suffixes that attach a sample to a family of the given types. */
const SUFFIXES: [string, MetricType[]][] = [
  ['_bucket', ['histogram', 'gaugehistogram']],
  ['_sum', ['histogram', 'summary']],
  ['_count', ['histogram', 'summary']],
  ['_gsum', ['gaugehistogram']],
  ['_gcount', ['gaugehistogram']],
  ['_total', ['counter']],
  ['_created', ['counter', 'histogram', 'summary']],
  ['_info', ['info']],
];

export function parsePrometheusText(file: SourceFile): ParseResult<PrometheusText> {
  const sink = new IssueSink(file.path);
  const families = new Map<string, MetricFamily>();
  const typeLines = new Map<string, number>();
  const seriesSeen = new Set<string>();
  const lineCount = file.text === '' ? 0 : file.lineCount;

  const familyFor = (name: string, line: number): MetricFamily => {
    let family = families.get(name);
    if (!family) families.set(name, (family = { name, type: 'untyped', line, samples: [] }));
    return family;
  };

  for (let lineNo = 1; lineNo <= lineCount; lineNo++) {
    const text = file.lineText(lineNo);
    const trimmed = text.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const comment = /^#\s*(HELP|TYPE|UNIT|EOF)\b\s*(.*)$/.exec(trimmed);
      if (!comment) continue;
      const [, keyword, rest] = comment as unknown as [string, string, string];
      if (keyword === 'EOF') break;
      const nameMatch = NAME.exec(rest);
      if (!nameMatch) {
        sink.add('BAD_LINE', lineNo, `# ${keyword} without a metric name`, { text });
        continue;
      }
      const name = nameMatch[0];
      const value = rest.slice(name.length).trim();
      const family = familyFor(name, lineNo);
      if (keyword === 'HELP') {
        family.help = value.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      } else if (keyword === 'TYPE') {
        if (!METRIC_TYPES.has(value as MetricType)) {
          sink.add('BAD_LINE', lineNo, `unknown metric type \`${value}\` for ${name}`, { text });
          continue;
        }
        const earlier = typeLines.get(name);
        if (earlier !== undefined) {
          sink.add('BAD_LINE', lineNo, `${name} is typed again (first at line ${earlier}): samples are merged`, { text, severity: 'warning' });
        } else {
          typeLines.set(name, lineNo);
        }
        family.type = value as MetricType;
      }
      continue;
    }

    const sample = readSample(text, lineNo);
    if (typeof sample === 'string') {
      sink.add('BAD_LINE', lineNo, sample, { text });
      continue;
    }
    const family = families.get(sample.name) ?? ownerFamily(families, sample.name) ?? familyFor(sample.name, lineNo);
    const series = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seriesSeen.has(series)) {
      sink.add('BAD_LINE', lineNo, `${sample.name} with these labels appears twice: both kept`, { text, severity: 'warning', kind: 'duplicate-series', what: 'repeated series' });
    }
    seriesSeen.add(series);
    family.samples.push(sample);
  }
  return { value: { families }, issues: sink.finish() };
}

function ownerFamily(families: Map<string, MetricFamily>, name: string): MetricFamily | undefined {
  for (const [suffix, types] of SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family && types.includes(family.type)) return family;
  }
  return undefined;
}

/** One sample line, or why it is not one. */
function readSample(text: string, line: number): MetricSample | string {
  let rest = text.trimStart();
  const nameMatch = NAME.exec(rest);
  if (!nameMatch) return 'not a metric sample';
  const name = nameMatch[0];
  rest = rest.slice(name.length).trimStart();
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1).trimStart();
    while (!rest.startsWith('}')) {
      const labelMatch = LABEL_NAME.exec(rest);
      if (!labelMatch) return `${name}: bad label name at \`${rest.slice(0, 20)}\``;
      const label = labelMatch[0];
      rest = rest.slice(label.length).trimStart();
      if (!rest.startsWith('=')) return `${name}: \`=\` expected after label ${label}`;
      rest = rest.slice(1).trimStart();
      if (!rest.startsWith('"')) return `${name}: label ${label} has no quoted value`;
      let value = '';
      let i = 1;
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] === '\\' && i + 1 < rest.length) {
          const next = rest[++i]!;
          value += next === 'n' ? '\n' : next;
        } else {
          value += rest[i];
        }
      }
      if (i >= rest.length) return `${name}: label ${label} value is not closed`;
      labels[label] = value;
      rest = rest.slice(i + 1).trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
      else if (!rest.startsWith('}')) return `${name}: \`,\` or \`}\` expected after label ${label}`;
    }
    rest = rest.slice(1).trimStart();
  }
  const exemplar = rest.indexOf(' # ');
  if (exemplar >= 0) rest = rest.slice(0, exemplar);
  const fields = rest.trim().split(/\s+/);
  if (fields[0] === undefined || fields[0] === '') return `${name}: no value`;
  const value = parseValue(fields[0]);
  if (value === undefined) return `${name}: \`${fields[0]}\` is not a number`;
  const sample: MetricSample = { name, labels, value, line };
  if (fields[1] !== undefined) {
    if (!/^-?\d+$/.test(fields[1])) return `${name}: \`${fields[1]}\` is not a timestamp`;
    sample.timestampMs = Number(fields[1]);
  }
  if (fields.length > 2) return `${name}: unexpected \`${fields.slice(2).join(' ')}\` after the value`;
  return sample;
}

function parseValue(text: string): number | undefined {
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
