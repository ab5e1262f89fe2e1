/**
 * Reads `probes/probes.json`: the active tests the collector ran on request (bundle-format.md,
 * "results of active tests ... each with source, target, command and outcome"). Each probe
 * keeps its position, so a finding can cite the probe that failed.
 *
 * Input sample:
 *   {
 *     "format": "netdump-probes/v1",
 *     "items": [
 *       {
 *         "name": "ingress-nginx-to-frontend",
 *         "type": "tcp",
 *         "source": { "namespace": "ingress-nginx", "pod": "ingress-nginx-controller-5c8d66c76d-x7lkq" },
 *         "target": { "host": "frontend.shop.svc.cluster.local", "address": "10.108.19.240", "port": 80, "protocol": "TCP" },
 *         "command": "kubectl -n ingress-nginx exec ingress-nginx-controller-5c8d66c76d-x7lkq -- nc -z -w 5 10.108.19.240 80",
 *         "startedAt": "2025-06-12T14:03:41Z",
 *         "durationMs": 5004,
 *         "outcome": "timeout",
 *         "error": "nc: 10.108.19.240 (10.108.19.240:80): Operation timed out"
 *       }
 *     ]
 *   }
 *
 * `type` is `tcp`, `udp` or `dns` (a look-up: target `{ "name", "server", "port" }`); a source is
 * a pod (`namespace` + `pod`), a node (`node`) or an address (`address`); `outcome` is `success`,
 * `timeout`, `refused`, `unreachable` or `error`. A bare array of probes is read too. A probe
 * that lacks what is needed to replay it is left out with an issue at its line.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseJsonList } from '../kube/json-list.js';
import { asNumber, asObject, asString, objectOrEmpty } from '../kube/object-fields.js';
import type { ObjectSource, Protocol } from '../kube/types.js';

export type ProbeOutcome = 'success' | 'timeout' | 'refused' | 'unreachable' | 'error';

export interface ProbeSource {
  namespace?: string;
  pod?: string;
  node?: string;
  address?: string;
}

export interface ProbeTarget {
  /** A DNS name as the client used it (`frontend.shop.svc.cluster.local`), or the name looked up. */
  host?: string;
  /** The address connected to, or the DNS server asked. */
  address?: string;
  port?: number;
  protocol: Protocol;
}

export interface Probe {
  /** Position in the file's items. */
  index: number;
  name?: string;
  type: 'tcp' | 'udp' | 'dns';
  source: ProbeSource;
  target: ProbeTarget;
  command?: string;
  startedAt?: string;
  durationMs?: number;
  outcome: ProbeOutcome;
  error?: string;
  /** Where the probe sits in the file. */
  at: ObjectSource;
}

const OUTCOMES: ReadonlySet<string> = new Set(['success', 'timeout', 'refused', 'unreachable', 'error']);
const TYPES: ReadonlySet<string> = new Set(['tcp', 'udp', 'dns']);

export function parseProbes(file: SourceFile): ParseResult<Probe[]> {
  const parsed = parseJsonList(file);
  const issues: ParseIssue[] = [...parsed.issues];
  const probes: Probe[] = [];
  parsed.value.items.forEach((item, index) => {
    const problem = (path: string | undefined, message: string) => {
      const evidence = item.source.at(path);
      issues.push({ code: 'UNEXPECTED_SHAPE', file: evidence.file, line: evidence.line, message: `probe ${index}: ${message}; left out`, text: evidence.text, severity: 'warning' });
    };
    const object = asObject(item.object);
    if (!object) return problem(undefined, 'not an object');
    const type = asString(object.type)?.toLowerCase();
    if (!type || !TYPES.has(type)) return problem('type', `type ${JSON.stringify(object.type)} is not tcp, udp or dns`);
    const outcome = asString(object.outcome)?.toLowerCase();
    if (!outcome || !OUTCOMES.has(outcome)) return problem('outcome', `outcome ${JSON.stringify(object.outcome)} is not one of ${[...OUTCOMES].join(', ')}`);

    const rawSource = objectOrEmpty(object.source);
    const source: ProbeSource = {};
    for (const key of ['namespace', 'pod', 'node', 'address'] as const) {
      const value = asString(rawSource[key]);
      if (value) source[key] = value;
    }
    if (!(source.namespace && source.pod) && !source.node && !source.address) return problem('source', 'the source names no pod (namespace and pod), node or address');

    const rawTarget = objectOrEmpty(object.target);
    const defaultProtocol: Protocol = type === 'tcp' ? 'TCP' : 'UDP';
    const protocolText = asString(rawTarget.protocol)?.toUpperCase();
    const protocol: Protocol = protocolText === 'TCP' || protocolText === 'UDP' || protocolText === 'SCTP' ? protocolText : defaultProtocol;
    const target: ProbeTarget = { protocol };
    const host = asString(rawTarget.host) ?? asString(rawTarget.name);
    if (host) target.host = host;
    const address = asString(rawTarget.address) ?? asString(rawTarget.server);
    if (address) target.address = address;
    const port = asNumber(rawTarget.port) ?? (type === 'dns' ? 53 : undefined);
    if (port !== undefined) target.port = port;
    if (!target.host && !target.address) return problem('target', 'the target names no host or address');
    if (type !== 'dns' && target.port === undefined) return problem('target', 'a tcp or udp probe needs a target port');

    const probe: Probe = { index, type: type as Probe['type'], source, target, outcome: outcome as ProbeOutcome, at: item.source };
    const name = asString(object.name);
    if (name) probe.name = name;
    const command = asString(object.command);
    if (command) probe.command = command;
    const startedAt = asString(object.startedAt);
    if (startedAt) probe.startedAt = startedAt;
    const durationMs = asNumber(object.durationMs);
    if (durationMs !== undefined) probe.durationMs = durationMs;
    const error = asString(object.error);
    if (error) probe.error = error;
    probes.push(probe);
  });
  return { value: probes, issues };
}
