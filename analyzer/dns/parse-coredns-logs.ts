/**
 * Reads CoreDNS and NodeLocal DNSCache (node-cache) container logs
 * (`logs/kube-system/<pod>/<container>.log`), classifying the lines that matter:
 *
 *   .:53
 *   CoreDNS-1.10.1
 *   [FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."
 *   [ERROR] plugin/errors: 2 example.com. A: read udp 10.244.0.5:40514->8.8.8.8:53: i/o timeout
 *   [INFO] 10.244.0.1:41185 - 28532 "AAAA IN kubernetes.default.svc.cluster.local. udp 54 false 512" NOERROR qr,aa,rd 147 0.000141491s
 *   [ERROR] plugin/kubernetes: ... Failed to watch *v1.Namespace: ... dial tcp 10.96.0.1:443: connect: connection refused
 *   [INFO] plugin/ready: Still waiting on: "kubernetes"
 *   2023/05/10 12:00:00 [ERROR] Error checking/adding iptables rule {raw PREROUTING [-p udp -d 169.254.20.10 --dport 53 -j NOTRACK]}, due to - ...
 *
 * A `kubectl logs --timestamps` prefix, Go's `2006/01/02 15:04:05` prefix and klog headers
 * (`E0510 12:00:00.123456 1 reflector.go:138] ...`) are understood. Lines that say nothing
 * classifiable are counted, not kept. Never throws on data.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'FATAL';

export type CorednsLogKind =
  /** The loop plugin found queries coming back: CoreDNS exits (CrashLoopBackOff). */
  | 'loop-detected'
  /** A query failed towards an upstream (i/o timeout, connection refused...). */
  | 'upstream-error'
  /** A query failed for another reason (errors plugin line without an upstream). */
  | 'query-error'
  /** A line of the log plugin. */
  | 'query'
  | 'kubernetes-api-error'
  | 'kubernetes-api-waiting'
  | 'not-ready'
  | 'health-failure'
  /** CoreDNS rejected its Corefile (it exits). */
  | 'config-error'
  | 'reload'
  | 'lameduck'
  | 'shutdown'
  | 'startup'
  /** node-cache could not set up its interface or iptables rules. */
  | 'nodelocal-setup-error'
  | 'other';

export type ErrorCause = 'timeout' | 'connection-refused' | 'no-route' | 'network-unreachable' | 'no-healthy-upstream' | 'other';

export interface CorednsLogEvent {
  line: number;
  kind: CorednsLogKind;
  level?: LogLevel;
  timestamp?: string;
  plugin?: string;
  /** The line after its prefixes. */
  message: string;
  loop?: { from: string; to: string; zone: string };
  /** The query concerned (errors and log plugin lines). */
  query?: { name: string; type: string; rcode?: string; client?: string; proto?: string; durationSeconds?: number; flags?: string };
  /** For failures: the upstream (`host:port`) and why. */
  failure?: { upstream?: string; cause: ErrorCause; rcode?: number };
  /** The loop plugin's HINFO probe (`<digits>.<digits>. HINFO`) rather than a client query. */
  loopProbe?: boolean;
  /** `CoreDNS-1.10.1`, `Starting node-cache image: 1.22.20`. */
  version?: string;
  /** The Corefile line named in a parse error (`Corefile:3 - Error during parsing`). */
  corefileLine?: number;
}

export interface CorednsLogs {
  events: CorednsLogEvent[];
  counts: Partial<Record<CorednsLogKind, number>>;
  /** Lines read (not empty). */
  lines: number;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))\s+/;
const GO_LOG_TIME = /^(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)\s+/;
const KLOG = /^([IWEF])(\d{4} \d{2}:\d{2}:\d{2}\.\d+)\s+\d+\s+\S+:\d+\]\s*(.*)$/;
const LEVEL = /^\[(DEBUG|INFO|WARNING|WARN|ERROR|FATAL)\]\s*(.*)$/;
const KLOG_LEVELS: Record<string, LogLevel> = { I: 'INFO', W: 'WARNING', E: 'ERROR', F: 'FATAL' };
const QUERY_LOG = /^(\S+) - (\d+) "(\S+) (\S+) (\S+) (\S+) (\d+) (\S+) (\d+)" (\S+) (\S+) (\d+) ([\d.e-]+)s$/;

export function parseCorednsLogs(file: SourceFile): ParseResult<CorednsLogs> {
  const logs: CorednsLogs = { events: [], counts: {}, lines: 0 };
  const lineCount = file.text === '' ? 0 : file.lineCount;
  for (let lineNo = 1; lineNo <= lineCount; lineNo++) {
    const text = file.lineText(lineNo).trim();
    if (text === '') continue;
    logs.lines++;
    const event = classify(text, lineNo);
    if (!event) continue;
    logs.counts[event.kind] = (logs.counts[event.kind] ?? 0) + 1;
    logs.events.push(event);
  }
  return { value: logs, issues: [] };
}

function classify(raw: string, line: number): CorednsLogEvent | undefined {
  let rest = raw;
  let timestamp: string | undefined;
  let level: LogLevel | undefined;
  for (const prefix of [TIMESTAMP, GO_LOG_TIME]) {
    const match = prefix.exec(rest);
    if (match) {
      timestamp ??= match[1]!;
      rest = rest.slice(match[0].length);
    }
  }
  const klog = KLOG.exec(rest);
  if (klog) {
    level = KLOG_LEVELS[klog[1]!];
    timestamp ??= klog[2]!;
    rest = klog[3]!;
  }
  const levelMatch = LEVEL.exec(rest);
  if (levelMatch) {
    level = levelMatch[1] === 'WARN' ? 'WARNING' : (levelMatch[1] as LogLevel);
    rest = levelMatch[2]!;
  }
  let plugin: string | undefined;
  const pluginMatch = /^plugin\/([a-z0-9_]+):\s*(.*)$/.exec(rest);
  if (pluginMatch) {
    plugin = pluginMatch[1]!;
    rest = pluginMatch[2]!;
  }

  const event = (kind: CorednsLogKind): CorednsLogEvent => {
    const e: CorednsLogEvent = { line, kind, message: rest };
    if (level !== undefined) e.level = level;
    if (timestamp !== undefined) e.timestamp = timestamp;
    if (plugin !== undefined) e.plugin = plugin;
    return e;
  };

  if (plugin === 'loop') {
    const loop = /Loop \((\S+) -> (\S+)\) detected for zone "([^"]*)"/.exec(rest);
    if (loop) return { ...event('loop-detected'), loop: { from: loop[1]!, to: loop[2]!, zone: loop[3]! } };
  }
  if (plugin === 'errors') return errorsLine(event, rest);
  const query = QUERY_LOG.exec(rest);
  if (query) {
    const [, client, , type, , name, proto, , , , rcode, flags, , duration] = query as unknown as string[];
    return {
      ...event('query'),
      query: { name: name!, type: type!, rcode: rcode!, client: client!, proto: proto!, flags: flags!, durationSeconds: Number(duration) },
    };
  }
  if (/Corefile:\d+ - Error during parsing|Error during parsing/.test(rest)) {
    const e = event('config-error');
    const at = /Corefile:(\d+)/.exec(rest);
    if (at) e.corefileLine = Number(at[1]);
    return e;
  }
  const version = /^CoreDNS-(\d+\.\d+\.\d+\S*)$/.exec(rest) ?? /Starting node-cache image: (\S+)/.exec(rest);
  if (version) return { ...event('startup'), version: version[1]! };
  if (plugin === 'kubernetes' || /reflector\.go|Failed to (watch|list) \*v1\./.test(rest)) {
    if (/waiting for Kubernetes API|unsynced Kubernetes API/i.test(rest)) return event('kubernetes-api-waiting');
    if (/Failed to (watch|list)|connection refused|i\/o timeout|Unauthorized|forbidden|no route to host|TLS handshake/i.test(rest)) {
      return event('kubernetes-api-error');
    }
  }
  if (plugin === 'ready' && /Still waiting on/.test(rest)) return event('not-ready');
  if (plugin === 'health' && /lameduck/i.test(rest)) return event('lameduck');
  if (plugin === 'health' && /failed/i.test(rest)) return event('health-failure');
  if (plugin === 'reload' || /^Reloading( complete)?$/.test(rest)) return event('reload');
  if (/SIGTERM|Shutting down/.test(rest)) return event('shutdown');
  if (/Error checking\/adding iptables rule|Failed to (add|setup|ensure).*interface|Error (while )?(adding|setting up) .*(interface|dummy)/i.test(rest)) {
    return event('nodelocal-setup-error');
  }
  if (level === 'ERROR' || level === 'FATAL' || level === 'WARNING') return event('other');
  return undefined;
}

function causeOf(text: string): ErrorCause {
  if (/i\/o timeout|deadline exceeded|timed out/i.test(text)) return 'timeout';
  if (/connection refused/i.test(text)) return 'connection-refused';
  if (/no route to host/i.test(text)) return 'no-route';
  if (/network is unreachable/i.test(text)) return 'network-unreachable';
  if (/no healthy (proxies|upstreams)/i.test(text)) return 'no-healthy-upstream';
  return 'other';
}

/** `2 example.com. A: read udp 10.244.0.5:40514->8.8.8.8:53: i/o timeout` (rcode, name, type, error). */
function errorsLine(event: (kind: CorednsLogKind) => CorednsLogEvent, rest: string): CorednsLogEvent {
  const match = /^(\d+) (\S+) (\S+): (.*)$/.exec(rest);
  if (!match) return event('query-error');
  const [, rcode, name, type, error] = match as unknown as [string, string, string, string, string];
  const upstream = /(?:udp|tcp) \S+->(\S+?):? /.exec(`${error} `)?.[1] ?? /dial (?:udp|tcp) (\S+?):? /.exec(`${error} `)?.[1];
  const cause = causeOf(error);
  const failure: NonNullable<CorednsLogEvent['failure']> = { cause, rcode: Number(rcode) };
  if (upstream !== undefined) failure.upstream = upstream;
  const kind: CorednsLogKind = upstream !== undefined || cause !== 'other' ? 'upstream-error' : 'query-error';
  const result: CorednsLogEvent = { ...event(kind), query: { name, type }, failure };
  if (type === 'HINFO' && /^\d+\.\d+\.$/.test(name)) result.loopProbe = true;
  return result;
}
