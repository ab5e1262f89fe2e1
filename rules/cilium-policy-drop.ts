import type { Evidence } from '../analyzer/bundle/source-file.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type RuleContext } from '../analyzer/engine/rule.js';
import type { Protocol } from '../analyzer/kube/types.js';
import type { PolicyEngine } from '../analyzer/policy/detect-policy-engine.js';
import { evaluateFlow } from '../analyzer/policy/evaluate.js';
import { describePort } from '../analyzer/policy/flow-text.js';
import { policySet } from '../analyzer/policy/policy-facet.js';
import type { FlowEndpoint, FlowVerdict, PolicyFlow } from '../analyzer/policy/policy-types.js';
import { endpointForIp } from '../analyzer/policy/resolve-flow.js';
import { endGroup } from './lib/flow-groups.js';
import { listSome, plural } from './lib/list-text.js';
import { explainDenial } from './lib/policy-denial.js';
import { HUBBLE_FLOWS_PATH, hubbleFlows, MONITOR_DROP_FILE, monitorDrops } from './lib/policy-inputs.js';

/** Security identities from this number on are CIDR/FQDN identities, never pods (semantics.md d). */
const FIRST_CIDR_IDENTITY = 16777216;

/** One policy drop as recorded by Hubble or cilium monitor. */
interface Drop {
  evidence: Evidence;
  source: 'hubble' | 'monitor';
  src: FlowEndpoint;
  dst: FlowEndpoint;
  protocol: Protocol;
  port: number;
  /** INGRESS / EGRESS when the record says. */
  direction?: 'ingress' | 'egress';
  reason: string;
  node?: string;
  time?: string;
  srcIdentity?: number;
  dstIdentity?: number;
  /** Policies Hubble itself names (Cilium 1.15+ `*_denied_by`). */
  namedBy: string[];
}

interface DropGroup {
  key: string;
  drops: Drop[];
}

/**
 * Policy drops recorded by Hubble (`hubble/flows.json`, verdict DROPPED with POLICY_DENIED or
 * POLICY_DENY) and by `cilium monitor --type drop` (`nodes/<node>/cilium/monitor-drop.txt`),
 * grouped by (source workload, destination workload, port) and tied to the policy that causes
 * them by judging the same flow with the Cilium evaluator. A drop the bundle's policies would
 * allow is reported too, with what can explain it (a pod IP with a CIDR identity, a policy
 * changed since).
 */
export default defineRule({
  id: 'cilium-policy-drop',
  layer: 'policy',
  severity: 'warning',
  description: 'Hubble flows or cilium monitor show policy drops; tie them to a policy',
  area: 'Network policies',
  requires: [inputs.pods],
  optional: [inputs.ciliumResources, inputs.networkPolicies],
  check(ctx) {
    const model = ctx.model;
    const engine = policySet(model).engine;
    const hasHubble = model.bundle.has(HUBBLE_FLOWS_PATH);
    const hasMonitor = model.bundle.nodeNames().some((n) => model.bundle.has(`nodes/${n}/${MONITOR_DROP_FILE}`));
    if (!hasHubble && !hasMonitor) {
      if (engine.cni === 'cilium') ctx.setCoverage('not-collected', `not collected: ${HUBBLE_FLOWS_PATH}, nodes/*/${MONITOR_DROP_FILE}`);
      else ctx.setCoverage('checked', `the CNI is ${engine.cni}, not Cilium: no Hubble flows or cilium monitor drops to read`);
      return;
    }
    const drops = [...hubbleDrops(model), ...monitorPolicyDrops(model)];
    const groups = new Map<string, DropGroup>();
    for (const drop of drops) {
      const key = `${endGroup(drop.src).key}|${endGroup(drop.dst).key}|${drop.port}/${drop.protocol}`;
      const group = groups.get(key);
      if (group) group.drops.push(drop);
      else groups.set(key, { key, drops: [drop] });
    }
    const cilium = ciliumEngine(engine);
    for (const group of groups.values()) reportGroup(ctx, model, cilium, group);
    ctx.setCoverage('checked', `${plural(drops.length, 'policy drop')} read (${plural(groups.size, 'flow')})`);
  },
});

/** The engine to judge Cilium's drops with: the detected one, or Cilium semantics if the CNI was not identified as Cilium. */
function ciliumEngine(engine: PolicyEngine): PolicyEngine {
  if (engine.kind === 'cilium') return engine;
  return { ...engine, kind: 'cilium', cni: 'cilium', semantics: { ipBlockMatchesPodIPs: false, ipBlockMatchesNodeIPs: false, cni: 'cilium' }, adminNetworkPolicies: false, notes: [] };
}

function hubbleDrops(model: AnalysisModel): Drop[] {
  const file = model.bundle.get(HUBBLE_FLOWS_PATH);
  if (!file) return [];
  const out: Drop[] = [];
  for (const flow of hubbleFlows(model)) {
    if (flow.verdict !== 'DROPPED' || !flow.policyDrop || flow.policyDrop === 'L7') continue;
    if (flow.protocol !== 'TCP' && flow.protocol !== 'UDP' && flow.protocol !== 'SCTP') continue;
    if (flow.dstPort === undefined) continue;
    const src = endpointOf(model, flow.srcIp, flow.source.namespace, flow.source.podName);
    const dst = endpointOf(model, flow.dstIp, flow.destination.namespace, flow.destination.podName);
    if (!src || !dst) continue;
    const drop: Drop = {
      evidence: file.evidenceAtLine(flow.line, `Hubble: ${flow.dropReasonDesc ?? flow.policyDrop} ${flow.trafficDirection ?? ''}`.trim()),
      source: 'hubble',
      src,
      dst,
      protocol: flow.protocol,
      port: flow.dstPort,
      reason: flow.dropReasonDesc ?? flow.policyDrop,
      namedBy: [...flow.ingressDeniedBy, ...flow.egressDeniedBy].map((p) => `${p.kind ?? 'policy'} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`),
    };
    if (flow.trafficDirection === 'INGRESS') drop.direction = 'ingress';
    else if (flow.trafficDirection === 'EGRESS') drop.direction = 'egress';
    if (flow.nodeName) drop.node = flow.nodeName;
    if (flow.time) drop.time = flow.time;
    if (flow.source.identity !== undefined) drop.srcIdentity = flow.source.identity;
    if (flow.destination.identity !== undefined) drop.dstIdentity = flow.destination.identity;
    out.push(drop);
  }
  return out;
}

function monitorPolicyDrops(model: AnalysisModel): Drop[] {
  const out: Drop[] = [];
  for (const drop of monitorDrops(model)) {
    if (!drop.policyDrop || drop.dst.port === undefined || !drop.src.ip || !drop.dst.ip) continue;
    const protocol = drop.protocol?.toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') continue;
    const file = model.bundle.get(drop.file)!;
    const entry: Drop = {
      evidence: file.evidenceAtLine(drop.line, `cilium monitor on ${drop.node}: ${drop.reason}`),
      source: 'monitor',
      src: endpointForIp(model, drop.src.ip),
      dst: endpointForIp(model, drop.dst.ip),
      protocol,
      port: drop.dst.port,
      reason: drop.reason,
      node: drop.node,
      namedBy: [],
    };
    // A drop delivered to a local endpoint was judged by that endpoint's ingress policy.
    if (drop.endpoint !== 0) entry.direction = 'ingress';
    const srcIdentity = Number(drop.srcIdentity);
    const dstIdentity = Number(drop.dstIdentity);
    if (Number.isInteger(srcIdentity)) entry.srcIdentity = srcIdentity;
    if (Number.isInteger(dstIdentity)) entry.dstIdentity = dstIdentity;
    out.push(entry);
  }
  return out;
}

function endpointOf(model: AnalysisModel, ip: string | undefined, namespace: string | undefined, podName: string | undefined): FlowEndpoint | undefined {
  if (ip) return endpointForIp(model, ip);
  const pod = namespace && podName ? model.kube.pod(namespace, podName) : undefined;
  return pod && pod.podIPs[0] ? { kind: 'pod', pod, ip: pod.podIPs[0] } : undefined;
}

function describeEndpoint(endpoint: FlowEndpoint): string {
  if (endpoint.kind === 'pod') return `${endpoint.pod.namespace}/${endpoint.pod.name}`;
  if (endpoint.kind === 'node') return `node ${endpoint.node?.name ?? endpoint.ip}`;
  return endpoint.ip;
}

function reportGroup(ctx: RuleContext, model: AnalysisModel, engine: PolicyEngine, group: DropGroup): void {
  const first = group.drops[0]!;
  const namespaces = [first.src, first.dst].flatMap((e) => (e.kind === 'pod' ? [e.pod.namespace] : []));
  if (namespaces.length > 0 && !namespaces.some((ns) => ctx.inScope(ns))) return;
  const flow: PolicyFlow = { src: first.src, dst: first.dst, protocol: first.protocol, port: first.port };
  const verdict: FlowVerdict = evaluateFlow(model, flow, { engine });
  const src = endGroup(first.src);
  const dst = endGroup(first.dst);
  const port = describePort(flow);
  const names = { src: describeEndpoint(first.src), dst: describeEndpoint(first.dst), port };
  const times = group.drops.map((d) => d.time).filter((t): t is string => t !== undefined).sort();
  const nodes = [...new Set(group.drops.map((d) => d.node).filter((n): n is string => n !== undefined))];
  const recorded = `${plural(group.drops.length, 'policy drop')} of ${src.label} → ${dst.label} on ${port} (${[...new Set(group.drops.map((d) => d.reason))].join(', ')}${nodes.length > 0 ? `; on ${listSome(nodes, 3)}` : ''}${times.length > 0 ? `; ${times[0]}${times.length > 1 ? ` to ${times.at(-1)}` : ''}` : ''})`;
  const named = [...new Set(group.drops.flatMap((d) => d.namedBy))];
  const sentences = [recorded];
  if (named.length > 0) sentences.push(`Hubble names ${listSome(named, 3)}`);

  const evidence: Evidence[] = [];
  let policyRefs: string[] = [];
  let title: string;
  let remediation: string;
  if (verdict.verdict === 'deny') {
    const denial = explainDenial(model, verdict, names);
    sentences.push(`judged with Cilium's semantics, the bundle's policies deny it: ${denial.sentences.join('; ')}`);
    for (const p of denial.policies.slice(0, 3)) evidence.push({ ...p.evidence, note: `${p.policy}: ${p.why}` });
    policyRefs = denial.policyRefs;
    const culprit = denial.policyRefs[0] ?? denial.policies[0]?.policy ?? 'policy';
    title = `Cilium drops ${src.label} → ${dst.label} ${port}: denied by ${culprit}`;
    remediation =
      denial.directions.includes('ingress')
        ? `if this traffic is wanted, allow it in the destination's ingress (fromEndpoints matching ${src.label}, toPorts ${port}); remember that a CiliumNetworkPolicy with any ingress section puts its endpoints in default deny`
        : `if this traffic is wanted, allow it in the source's egress (toEndpoints or toCIDR for ${dst.label}, toPorts ${port})`;
  } else {
    const identityNote = cidrIdentityNote(group.drops);
    sentences.push(
      verdict.verdict === 'allow'
        ? `yet the policies in the bundle allow this flow under Cilium's semantics: the drop is not explained by them${identityNote ? `; ${identityNote}` : '; the policies may have changed since the capture, or an endpoint carries a stale identity'}`
        : `the policies in the bundle cannot decide this flow offline (${verdict.notes.slice(0, 2).join('; ')})`,
    );
    title = `Cilium drops ${src.label} → ${dst.label} ${port}, which the bundle's policies ${verdict.verdict === 'allow' ? 'allow' : 'may allow'}`;
    remediation = identityNote
      ? 'check the identity of the address (cilium-dbg identity list; cilium-dbg ip list) and restart the endpoint or agent that holds the stale CIDR identity'
      : 'compare the policies in force on the node (cilium-dbg policy get) with the bundle, and trace the flow (cilium-dbg policy trace)';
  }
  for (const drop of group.drops.slice(0, 3)) evidence.push(drop.evidence);
  const subjects = [...new Set([...policyRefs, src.subject, dst.subject].filter((s): s is string => s !== undefined))];
  ctx.report({
    subjects,
    title,
    message: `${sentences.join('; ')}.`,
    evidence,
    remediation,
    commands: [
      `hubble observe --verdict DROPPED --to-ip ${first.dst.ip} --port ${first.port}`,
      `kubectl -n kube-system exec ds/cilium -- cilium-dbg policy trace --src-k8s-pod ${names.src} --dst-k8s-pod ${names.dst} --dport ${first.port}/${first.protocol.toLowerCase()}`,
    ],
    data: {
      drops: group.drops.length,
      verdict: verdict.verdict,
      policies: policyRefs,
      records: group.drops.map((d) => ({ source: d.source, file: d.evidence.file, line: d.evidence.line })),
    },
  });
}

/** A pod address carrying a CIDR identity (cilium/cilium#11517) explains drops policies would allow. */
function cidrIdentityNote(drops: Drop[]): string | undefined {
  for (const drop of drops) {
    if (drop.src.kind === 'pod' && drop.srcIdentity !== undefined && drop.srcIdentity >= FIRST_CIDR_IDENTITY) {
      return `the source ${drop.src.pod.namespace}/${drop.src.pod.name} (${drop.src.ip}) was seen with identity ${drop.srcIdentity}, a CIDR identity, instead of its pod identity (cilium/cilium#11517): policies allowing the pod do not match it`;
    }
    if (drop.dst.kind === 'pod' && drop.dstIdentity !== undefined && drop.dstIdentity >= FIRST_CIDR_IDENTITY) {
      return `the destination ${drop.dst.pod.namespace}/${drop.dst.pod.name} (${drop.dst.ip}) was seen with identity ${drop.dstIdentity}, a CIDR identity, instead of its pod identity`;
    }
  }
  return undefined;
}
