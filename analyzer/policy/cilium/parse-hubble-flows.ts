/**
 * Parses `hubble observe -o json` (bundle file `hubble/flows.json`): one JSON object a line,
 * either a GetFlowsResponse (`{"flow": {...}, "node_name": ..., "time": ...}`) or, from older
 * hubble CLIs, the flow itself. Other responses (`node_status`, `lost_events`) are skipped.
 *
 * Input sample (samples/hubble-observe.txt, cilium/cilium#40519, shortened):
 *   {"flow":{"time":"2025-07-15T01:32:14.234858520Z","verdict":"DROPPED","drop_reason":133,
 *    "IP":{"source":"10.244.3.30","destination":"1.1.1.1","ipVersion":"IPv4"},
 *    "l4":{"TCP":{"source_port":55462,"destination_port":80,"flags":{"SYN":true}}},
 *    "source":{"ID":1238,"identity":24009,"namespace":"cilium-test-5","labels":["k8s:kind=client",...],
 *              "pod_name":"client-645b68dcf7-2jmrw","workloads":[{"name":"client","kind":"Deployment"}]},
 *    "destination":{"identity":16777259,"labels":["cidr:1.1.1.1/32","reserved:world-ipv4"]},
 *    "Type":"L3_L4","node_name":"kind-worker2","destination_names":["one.one.one.one"],
 *    "traffic_direction":"EGRESS","drop_reason_desc":"POLICY_DENIED","Summary":"TCP Flags: SYN"}}
 *
 * Every flow keeps its line. Policy drops are flagged: POLICY_DENIED (133, no rule allows),
 * POLICY_DENY (181, a deny rule matched), and DROPPED L7 flows (the proxy refused a request).
 * A line that is not JSON is an issue at its line; the others are still read.
 */
import type { ParseResult } from '../../bundle/parse-issue.js';
import type { SourceFile } from '../../bundle/source-file.js';
import { asArray, asBoolean, asNumber, asObject, asString, asStringArray, objectOrEmpty, type JsonObject } from '../../kube/object-fields.js';
import { IssueSink } from '../../netfilter/issue-sink.js';

export interface HubbleEndpointInfo {
  /** Cilium endpoint ID (local to the node). */
  id?: number;
  /** Security identity. */
  identity?: number;
  namespace?: string;
  podName?: string;
  /** Identity labels, `source:key=value`. */
  labels: string[];
  workloads: { kind: string; name: string }[];
}

/** A policy named by Hubble as having allowed or denied the flow (Cilium 1.15+). */
export interface HubblePolicyRef {
  kind?: string;
  namespace?: string;
  name: string;
  labels: string[];
}

export type PolicyDropKind = 'POLICY_DENIED' | 'POLICY_DENY' | 'L7';

export interface HubbleFlow {
  file: string;
  line: number;
  time?: string;
  nodeName?: string;
  /** FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR, TRACED, TRANSLATED... */
  verdict: string;
  dropReason?: number;
  dropReasonDesc?: string;
  /** Set when the flow is a drop decided by network policy. */
  policyDrop?: PolicyDropKind;
  ipVersion?: 4 | 6;
  srcIp?: string;
  dstIp?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP' | 'ICMP' | 'ICMPv6';
  srcPort?: number;
  dstPort?: number;
  tcpFlags: string[];
  icmp?: { type?: number; code?: number };
  source: HubbleEndpointInfo;
  destination: HubbleEndpointInfo;
  trafficDirection?: string;
  policyMatchType?: number;
  isReply?: boolean;
  /** L3_L4, L7, SOCK... */
  type?: string;
  summary?: string;
  sourceNames: string[];
  destinationNames: string[];
  ingressDeniedBy: HubblePolicyRef[];
  egressDeniedBy: HubblePolicyRef[];
  ingressAllowedBy: HubblePolicyRef[];
  egressAllowedBy: HubblePolicyRef[];
}

/** flow.proto DropReason numbers for the policy drops, for records that lack drop_reason_desc. */
const POLICY_DROP_REASONS: Record<number, PolicyDropKind> = { 133: 'POLICY_DENIED', 181: 'POLICY_DENY' };

export function parseHubbleFlows(file: SourceFile): ParseResult<HubbleFlow[]> {
  const sink = new IssueSink(file.path);
  const flows: HubbleFlow[] = [];
  const text = file.text;
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      sink.add('INVALID_JSON', line, `line ${line} is not a JSON flow (${reason}); skipped`, { text: raw, what: 'lines that are not JSON' });
      continue;
    }
    const object = asObject(parsed);
    if (!object) {
      sink.add('UNEXPECTED_SHAPE', line, `line ${line} is not a JSON object; skipped`, { text: raw });
      continue;
    }
    const flow = asObject(object.flow) ?? (typeof object.verdict === 'string' ? object : undefined);
    if (!flow) continue; // node_status, lost_events: not flows
    flows.push(readFlow(flow, object, file.path, line));
  }
  return { value: flows, issues: sink.finish() };
}

function readEndpoint(value: unknown): HubbleEndpointInfo {
  const object = objectOrEmpty(value);
  const endpoint: HubbleEndpointInfo = {
    labels: asStringArray(object.labels),
    workloads: asArray(object.workloads).flatMap((w) => {
      const workload = objectOrEmpty(w);
      const name = asString(workload.name);
      return name ? [{ kind: asString(workload.kind) ?? '', name }] : [];
    }),
  };
  const id = asNumber(object.ID);
  if (id !== undefined) endpoint.id = id;
  const identity = asNumber(object.identity);
  if (identity !== undefined) endpoint.identity = identity;
  const namespace = asString(object.namespace);
  if (namespace) endpoint.namespace = namespace;
  const podName = asString(object.pod_name);
  if (podName) endpoint.podName = podName;
  return endpoint;
}

function readPolicies(value: unknown): HubblePolicyRef[] {
  return asArray(value).flatMap((entry) => {
    const policy = objectOrEmpty(entry);
    const name = asString(policy.name);
    if (!name) return [];
    const ref: HubblePolicyRef = { name, labels: asStringArray(policy.labels) };
    const kind = asString(policy.kind);
    if (kind) ref.kind = kind;
    const namespace = asString(policy.namespace);
    if (namespace) ref.namespace = namespace;
    return [ref];
  });
}

function readFlow(flow: JsonObject, envelope: JsonObject, path: string, line: number): HubbleFlow {
  const ip = objectOrEmpty(flow.IP);
  const out: HubbleFlow = {
    file: path,
    line,
    verdict: asString(flow.verdict) ?? 'VERDICT_UNKNOWN',
    tcpFlags: [],
    source: readEndpoint(flow.source),
    destination: readEndpoint(flow.destination),
    sourceNames: asStringArray(flow.source_names),
    destinationNames: asStringArray(flow.destination_names),
    ingressDeniedBy: readPolicies(flow.ingress_denied_by),
    egressDeniedBy: readPolicies(flow.egress_denied_by),
    ingressAllowedBy: readPolicies(flow.ingress_allowed_by),
    egressAllowedBy: readPolicies(flow.egress_allowed_by),
  };
  const time = asString(flow.time) ?? asString(envelope.time);
  if (time) out.time = time;
  const nodeName = asString(flow.node_name) ?? asString(envelope.node_name);
  if (nodeName) out.nodeName = nodeName;
  const dropReason = asNumber(flow.drop_reason);
  if (dropReason !== undefined && dropReason !== 0) out.dropReason = dropReason;
  const dropReasonDesc = asString(flow.drop_reason_desc);
  if (dropReasonDesc) out.dropReasonDesc = dropReasonDesc;
  const srcIp = asString(ip.source);
  if (srcIp) out.srcIp = srcIp;
  const dstIp = asString(ip.destination);
  if (dstIp) out.dstIp = dstIp;
  const ipVersion = asString(ip.ipVersion);
  if (ipVersion === 'IPv4') out.ipVersion = 4;
  else if (ipVersion === 'IPv6') out.ipVersion = 6;
  readL4(objectOrEmpty(flow.l4), out);
  const direction = asString(flow.traffic_direction);
  if (direction) out.trafficDirection = direction;
  const matchType = asNumber(flow.policy_match_type);
  if (matchType !== undefined) out.policyMatchType = matchType;
  const isReply = asBoolean(flow.is_reply) ?? asBoolean(objectOrEmpty(flow.is_reply).value);
  if (isReply !== undefined) out.isReply = isReply;
  const type = asString(flow.Type);
  if (type) out.type = type;
  const summary = asString(flow.Summary) ?? asString(flow.summary);
  if (summary) out.summary = summary;

  if (out.verdict === 'DROPPED') {
    const byDesc = out.dropReasonDesc === 'POLICY_DENIED' || out.dropReasonDesc === 'POLICY_DENY' ? out.dropReasonDesc : undefined;
    const kind = byDesc ?? (out.dropReason !== undefined ? POLICY_DROP_REASONS[out.dropReason] : undefined) ?? (out.type === 'L7' ? 'L7' : undefined);
    if (kind) out.policyDrop = kind;
  }
  return out;
}

function readL4(l4: JsonObject, out: HubbleFlow): void {
  for (const protocol of ['TCP', 'UDP', 'SCTP'] as const) {
    const ports = asObject(l4[protocol]);
    if (!ports) continue;
    out.protocol = protocol;
    const srcPort = asNumber(ports.source_port);
    if (srcPort !== undefined) out.srcPort = srcPort;
    const dstPort = asNumber(ports.destination_port);
    if (dstPort !== undefined) out.dstPort = dstPort;
    const flags = objectOrEmpty(ports.flags);
    out.tcpFlags = Object.keys(flags).filter((flag) => flags[flag] === true);
    return;
  }
  for (const [field, protocol] of [
    ['ICMPv4', 'ICMP'],
    ['ICMPv6', 'ICMPv6'],
  ] as const) {
    const icmp = asObject(l4[field]);
    if (!icmp) continue;
    out.protocol = protocol;
    const details: { type?: number; code?: number } = {};
    const type = asNumber(icmp.type);
    if (type !== undefined) details.type = type;
    const code = asNumber(icmp.code);
    if (code !== undefined) details.code = code;
    out.icmp = details;
    return;
  }
}
