/**
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1), the
 * cluster-scoped tiers around NetworkPolicy (network-policy-api, policy-assistant's order):
 *
 *   ANPs by ascending `priority` (0 first; equal priorities are undefined, taken by name here),
 *   rules in written order, first match wins: Allow and Deny are final, Pass skips the other
 *   ANP rules → NetworkPolicies, when any isolates the pod → the BANP's rules, first match wins
 *   (Allow, Deny) → allowed.
 *
 * Subjects are pods (`namespaces` selector, or `pods` with namespace AND pod selectors; never
 * hostNetwork pods). Peers: `namespaces`, `pods`; egress also `nodes` (by node labels, matching
 * node IPs) and `networks` (CIDRs, which match cluster-internal addresses too). A peer with no
 * known field fails closed: it matches nothing in an Allow rule and everything in Deny/Pass.
 * `domainNames` needs DNS data the bundle does not hold and never matches here (noted).
 * Ports: `portNumber`, `portRange` (inclusive), `namedPort` (on the destination pod, any
 * protocol the container port declares); no `ports` means every port.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { formatSelector, matchesLabelSelector } from '../kube/label-selector.js';
import { asLabelSelector, asNumber, asObject, asString } from '../kube/object-fields.js';
import type { LabelSelector, ObjectMeta, Protocol } from '../kube/types.js';
import { cidrContains, parseIpAddress, type Cidr } from '../netfilter/ip-cidr.js';
import { describeEndpoint, describePort } from './flow-text.js';
import { parsePolicyCidr } from './ip-block.js';
import type { PolicyDirection } from './k8s-network-policy.js';
import { podHasNamedPort } from './named-port.js';
import { namespaceLabelsOf } from './namespace-labels.js';
import type { DecidingRule, FlowEndpoint, PolicyConsideration, PolicyFlow } from './policy-types.js';
import { readAdminNetworkPolicies } from './read-admin-network-policies.js';

export type AdminAction = 'allow' | 'deny' | 'pass';

type Selector = LabelSelector;

export type AdminSubject =
  | { kind: 'namespaces'; namespaceSelector: Selector; text: string }
  | { kind: 'pods'; namespaceSelector: Selector; podSelector: Selector; text: string }
  | { kind: 'invalid'; problem: string; text: string };

export type AdminPeer =
  | { kind: 'namespaces'; namespaceSelector: Selector; text: string }
  | { kind: 'pods'; namespaceSelector: Selector; podSelector: Selector; text: string }
  | { kind: 'nodes'; nodeSelector: Selector; text: string }
  | { kind: 'networks'; cidrs: Cidr[]; text: string }
  | { kind: 'domainNames'; names: string[]; text: string }
  | { kind: 'invalid'; problem: string; text: string };

export type AdminPort =
  | { kind: 'range'; protocol: Protocol; from: number; to: number; text: string }
  | { kind: 'named'; name: string; text: string }
  | { kind: 'invalid'; problem: string; text: string };

export interface AdminRule {
  index: number;
  name?: string;
  /** undefined when the action is not Allow, Deny or Pass (the rule is skipped). */
  action: AdminAction | undefined;
  peers: AdminPeer[];
  /** undefined: every port. */
  ports: AdminPort[] | undefined;
}

export interface CompiledAdminPolicy {
  object: ObjectMeta;
  /** `AdminNetworkPolicy/<name>` or `BaselineAdminNetworkPolicy/<name>`. */
  id: string;
  tier: 'admin' | 'baseline';
  /** ANP priority (0–1000, lower first); undefined for the BANP. */
  priority: number | undefined;
  subject: AdminSubject;
  ingress: AdminRule[];
  egress: AdminRule[];
  problems: string[];
}

export interface AdminPolicySet {
  /** ANPs in evaluation order. */
  admin: CompiledAdminPolicy[];
  /** The BANP (a singleton named `default`; more are kept, by name, and noted). */
  baseline: CompiledAdminPolicy[];
  /** Either file was in the bundle. */
  collected: boolean;
  notes: string[];
}

const ALL: Selector = Object.freeze({}) as Selector;
const INVALID_SELECTOR: Selector = Object.freeze({ matchExpressions: [{ key: '', operator: 'invalid' }] }) as Selector;
const PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'UDP', 'SCTP']);

export const ADMIN_POLICY_FACET = 'policy.admin-network-policies';

/** The bundle's ANPs and BANP, read and compiled once; their parse issues join the model's. */
export function adminPolicySet(model: AnalysisModel): AdminPolicySet {
  return model.facet(ADMIN_POLICY_FACET, (m) => {
    const read = readAdminNetworkPolicies(m.bundle);
    m.parseIssues.push(...read.issues);
    return compileAdminPolicies(read.value.admin, read.value.baseline, read.value.files.admin.length + read.value.files.baseline.length > 0);
  });
}

export function compileAdminPolicies(admin: readonly ObjectMeta[], baseline: readonly ObjectMeta[], collected = true): AdminPolicySet {
  const notes: string[] = [];
  const anps = admin.map((o) => compileAdminPolicy(o, 'admin'));
  anps.sort((a, b) => (a.priority ?? Infinity) - (b.priority ?? Infinity) || (a.object.name < b.object.name ? -1 : a.object.name > b.object.name ? 1 : 0));
  for (let i = 1; i < anps.length; i++) {
    if (anps[i]!.priority !== undefined && anps[i]!.priority === anps[i - 1]!.priority) {
      notes.push(`${anps[i - 1]!.id} and ${anps[i]!.id} share priority ${anps[i]!.priority}: their order is undefined (taken by name here)`);
    }
  }
  const banps = baseline.map((o) => compileAdminPolicy(o, 'baseline')).sort((a, b) => (a.object.name < b.object.name ? -1 : 1));
  for (const banp of banps) if (banp.object.name !== 'default') notes.push(`${banp.id}: the API only admits a BaselineAdminNetworkPolicy named "default"`);
  return { admin: anps, baseline: banps, collected, notes };
}

function compileAdminPolicy(object: ObjectMeta, tier: 'admin' | 'baseline'): CompiledAdminPolicy {
  const spec = asObject(object.raw?.spec) ?? {};
  const problems: string[] = [];
  const priority = tier === 'admin' ? asNumber(spec.priority) : undefined;
  if (tier === 'admin' && priority === undefined) problems.push('spec.priority is missing: evaluated after every prioritized ANP');
  const compileRules = (direction: PolicyDirection) => {
    const raw = Array.isArray(spec[direction]) ? (spec[direction] as unknown[]) : [];
    return raw.map((rule, index) => compileRule(rule, index, direction, tier, problems));
  };
  return {
    object,
    id: object.ref,
    tier,
    priority,
    subject: compileSubject(spec.subject),
    ingress: compileRules('ingress'),
    egress: compileRules('egress'),
    problems,
  };
}

function selectorOf(value: unknown): Selector {
  if (value === undefined || value === null) return ALL;
  return asLabelSelector(value) ?? INVALID_SELECTOR;
}

function compileSubject(raw: unknown): AdminSubject {
  const subject = asObject(raw);
  if (subject?.namespaces !== undefined && subject.namespaces !== null) {
    const namespaceSelector = selectorOf(subject.namespaces);
    return { kind: 'namespaces', namespaceSelector, text: `namespaces ${formatSelector(namespaceSelector)}` };
  }
  const pods = asObject(subject?.pods);
  if (pods) {
    const namespaceSelector = selectorOf(pods.namespaceSelector);
    const podSelector = selectorOf(pods.podSelector);
    return { kind: 'pods', namespaceSelector, podSelector, text: `pods ${formatSelector(podSelector)} in namespaces ${formatSelector(namespaceSelector)}` };
  }
  return { kind: 'invalid', problem: 'spec.subject names neither namespaces nor pods: it selects nothing', text: 'invalid subject' };
}

function compileRule(raw: unknown, index: number, direction: PolicyDirection, tier: 'admin' | 'baseline', problems: string[]): AdminRule {
  const rule = asObject(raw) ?? {};
  const actionText = asString(rule.action);
  const action: AdminAction | undefined =
    actionText === 'Allow' ? 'allow' : actionText === 'Deny' ? 'deny' : actionText === 'Pass' && tier === 'admin' ? 'pass' : undefined;
  const where = `spec.${direction}[${index}]`;
  if (!action) problems.push(`${where}: action ${JSON.stringify(rule.action ?? null)} is not ${tier === 'admin' ? 'Allow, Deny or Pass' : 'Allow or Deny'}; the rule is skipped`);
  const peerField = direction === 'ingress' ? 'from' : 'to';
  const rawPeers = Array.isArray(rule[peerField]) ? (rule[peerField] as unknown[]) : [];
  const peers = rawPeers.length === 0 ? [invalidPeer(`${peerField} is empty`)] : rawPeers.map((peer) => compilePeer(peer, direction));
  peers.forEach((peer, i) => {
    if (peer.kind === 'invalid') problems.push(`${where}.${peerField}[${i}]: ${peer.problem}`);
  });
  const ports = Array.isArray(rule.ports) && rule.ports.length > 0 ? rule.ports.map(compilePort) : undefined;
  ports?.forEach((port, i) => {
    if (port.kind === 'invalid') problems.push(`${where}.ports[${i}]: ${port.problem}`);
  });
  const compiled: AdminRule = { index, action, peers, ports };
  const name = asString(rule.name);
  if (name) compiled.name = name;
  return compiled;
}

function invalidPeer(problem: string): AdminPeer {
  return { kind: 'invalid', problem: `${problem} (fails closed: matches nothing if Allow, everything if Deny or Pass)`, text: 'invalid peer' };
}

function compilePeer(raw: unknown, direction: PolicyDirection): AdminPeer {
  const peer = asObject(raw);
  if (!peer) return invalidPeer('peer is not an object');
  if (peer.namespaces !== undefined && peer.namespaces !== null) {
    const namespaceSelector = selectorOf(peer.namespaces);
    return { kind: 'namespaces', namespaceSelector, text: `namespaces ${formatSelector(namespaceSelector)}` };
  }
  const pods = asObject(peer.pods);
  if (pods) {
    const namespaceSelector = selectorOf(pods.namespaceSelector);
    const podSelector = selectorOf(pods.podSelector);
    return { kind: 'pods', namespaceSelector, podSelector, text: `pods ${formatSelector(podSelector)} in namespaces ${formatSelector(namespaceSelector)}` };
  }
  if (direction === 'egress' && peer.nodes !== undefined && peer.nodes !== null) {
    const nodeSelector = selectorOf(peer.nodes);
    return { kind: 'nodes', nodeSelector, text: `nodes ${formatSelector(nodeSelector)}` };
  }
  if (direction === 'egress' && Array.isArray(peer.networks)) {
    const cidrs: Cidr[] = [];
    for (const entry of peer.networks) {
      const cidr = parsePolicyCidr(entry);
      if (!cidr) return invalidPeer(`networks entry ${JSON.stringify(entry)} is not a CIDR`);
      cidrs.push(cidr);
    }
    return { kind: 'networks', cidrs, text: `networks ${cidrs.map((c) => c.text).join(', ')}` };
  }
  if (direction === 'egress' && Array.isArray(peer.domainNames)) {
    const names = peer.domainNames.filter((n): n is string => typeof n === 'string');
    return { kind: 'domainNames', names, text: `domainNames ${names.join(', ')}` };
  }
  return invalidPeer(`peer names none of ${direction === 'ingress' ? 'namespaces, pods' : 'namespaces, pods, nodes, networks, domainNames'}`);
}

function protocolOf(value: unknown): Protocol | undefined {
  if (value === undefined || value === null || value === '') return 'TCP';
  return typeof value === 'string' && PROTOCOLS.has(value) ? (value as Protocol) : undefined;
}

function compilePort(raw: unknown): AdminPort {
  const port = asObject(raw) ?? {};
  const number = asObject(port.portNumber);
  if (number) {
    const protocol = protocolOf(number.protocol);
    const value = asNumber(number.port);
    if (!protocol || value === undefined) return { kind: 'invalid', problem: 'portNumber needs a protocol (TCP, UDP, SCTP) and a port', text: 'invalid portNumber' };
    return { kind: 'range', protocol, from: value, to: value, text: `${value}/${protocol}` };
  }
  const range = asObject(port.portRange);
  if (range) {
    const protocol = protocolOf(range.protocol);
    const start = asNumber(range.start);
    const end = asNumber(range.end);
    if (!protocol || start === undefined || end === undefined || end < start) {
      return { kind: 'invalid', problem: 'portRange needs a protocol and start <= end', text: 'invalid portRange' };
    }
    return { kind: 'range', protocol, from: start, to: end, text: `${start}-${end}/${protocol}` };
  }
  const name = asString(port.namedPort);
  if (name) return { kind: 'named', name, text: name };
  return { kind: 'invalid', problem: 'port names none of portNumber, portRange, namedPort', text: 'invalid port' };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** What a tier decided for one direction: an action, or nothing (the next tier decides). */
export interface TierOutcome {
  action: AdminAction | undefined;
  decidedBy: DecidingRule | undefined;
  considered: PolicyConsideration[];
  notes: string[];
}

function namespaceMatches(model: AnalysisModel, namespace: string, selector: Selector, notes: Set<string>): boolean {
  const found = namespaceLabelsOf(model.kube, namespace);
  if (!found.inBundle) notes.add(`namespace ${namespace} is not in the bundle: namespace selectors saw its kubernetes.io/metadata.name label only`);
  return matchesLabelSelector(found.labels, selector);
}

function subjectMatches(model: AnalysisModel, subject: AdminSubject, endpoint: FlowEndpoint, notes: Set<string>): boolean {
  if (endpoint.kind !== 'pod' || subject.kind === 'invalid') return false;
  const pod = endpoint.pod;
  if (!namespaceMatches(model, pod.namespace, subject.namespaceSelector, notes)) return false;
  return subject.kind === 'namespaces' || matchesLabelSelector(pod.labels, subject.podSelector);
}

function peerMatches(model: AnalysisModel, peer: AdminPeer, action: AdminAction, endpoint: FlowEndpoint, notes: Set<string>): boolean {
  switch (peer.kind) {
    case 'invalid':
      return action !== 'allow';
    case 'namespaces':
      return endpoint.kind === 'pod' && namespaceMatches(model, endpoint.pod.namespace, peer.namespaceSelector, notes);
    case 'pods':
      return (
        endpoint.kind === 'pod' &&
        namespaceMatches(model, endpoint.pod.namespace, peer.namespaceSelector, notes) &&
        matchesLabelSelector(endpoint.pod.labels, peer.podSelector)
      );
    case 'nodes':
      return endpoint.kind === 'node' && endpoint.node !== undefined && matchesLabelSelector(endpoint.node.labels, peer.nodeSelector);
    case 'networks': {
      const address = parseIpAddress(endpoint.ip);
      return address !== undefined && peer.cidrs.some((cidr) => cidrContains(cidr, address));
    }
    case 'domainNames':
      if (endpoint.kind === 'external') notes.add(`${peer.text} cannot be judged offline (it needs the DNS answers the CNI saw); treated as not matching ${endpoint.ip}`);
      return false;
  }
}

function portMatches(port: AdminPort, flow: PolicyFlow): boolean {
  if (flow.port === undefined) return false;
  switch (port.kind) {
    case 'invalid':
      return false;
    case 'range':
      return port.protocol === flow.protocol && flow.port >= port.from && flow.port <= port.to;
    case 'named':
      return flow.dst.kind === 'pod' && flow.protocol !== 'ICMP' && flow.protocol !== 'ICMPv6' && podHasNamedPort(flow.dst.pod, port.name, flow.protocol, flow.port);
  }
}

function ruleMatches(model: AnalysisModel, rule: AdminRule, flow: PolicyFlow, peer: FlowEndpoint, notes: Set<string>): boolean {
  if (!rule.action) return false;
  if (rule.ports !== undefined && !rule.ports.some((port) => portMatches(port, flow))) return false;
  const action = rule.action;
  return rule.peers.some((p) => peerMatches(model, p, action, peer, notes));
}

function describeRule(rule: AdminRule): string {
  return rule.name ? `rule ${rule.index} "${rule.name}"` : `rule ${rule.index}`;
}

function explainMiss(rule: AdminRule, direction: PolicyDirection, flow: PolicyFlow, peer: FlowEndpoint): string {
  if (!rule.action) return 'skipped: invalid action';
  if (rule.ports !== undefined && !rule.ports.some((port) => portMatches(port, flow))) {
    return `ports: ${describePort(flow)} is not in [${rule.ports.map((p) => p.text).join(', ')}]`;
  }
  const field = direction === 'ingress' ? 'from' : 'to';
  return `${field}: ${describeEndpoint(peer)} matches none of [${rule.peers.map((p) => p.text).join('; ')}]`;
}

/**
 * Runs one tier (the ANPs, or the BANP) for one direction of a flow. The subject is the
 * source for egress and the destination for ingress, and must be a (non-hostNetwork) pod.
 */
export function evaluateAdminTier(
  model: AnalysisModel,
  policies: readonly CompiledAdminPolicy[],
  flow: PolicyFlow,
  direction: PolicyDirection,
  explain: boolean,
): TierOutcome {
  const subject = direction === 'egress' ? flow.src : flow.dst;
  const peer = direction === 'egress' ? flow.dst : flow.src;
  const notes = new Set<string>();
  const considered: PolicyConsideration[] = [];
  for (const policy of policies) {
    const selects = subjectMatches(model, policy.subject, subject, notes);
    const rules = policy[direction];
    if (!selects || rules.length === 0) {
      if (explain) {
        considered.push({
          policy: policy.id,
          selects: false,
          matchedRule: null,
          misses: [],
          evidence: policy.object.source.at('spec.subject'),
          note: selects ? `selects the pod but has no ${direction} rules` : `subject ${policy.subject.text} does not select ${describeEndpoint(subject)}`,
        });
      }
      continue;
    }
    const misses: PolicyConsideration['misses'] = [];
    for (const rule of rules) {
      if (!ruleMatches(model, rule, flow, peer, notes)) {
        if (explain) misses.push({ ruleIndex: rule.index, reason: explainMiss(rule, direction, flow, peer) });
        continue;
      }
      const action = rule.action!;
      if (explain) considered.push({ policy: policy.id, selects: true, matchedRule: rule.index, misses, evidence: policy.object.source.at('spec.subject') });
      const tierName = policy.tier === 'admin' ? `priority ${policy.priority ?? 'unset'}` : 'baseline';
      return {
        action,
        decidedBy: {
          policy: policy.id,
          direction,
          ruleIndex: rule.index,
          action,
          evidence: policy.object.source.at(`spec.${direction}[${rule.index}]`),
          reason: `${describeRule(rule)} (${tierName}) matches ${describeEndpoint(peer)} on ${describePort(flow)}: ${action === 'pass' ? 'Pass to NetworkPolicies' : action === 'allow' ? 'Allow' : 'Deny'}`,
        },
        considered,
        notes: [...notes],
      };
    }
    if (explain) considered.push({ policy: policy.id, selects: true, matchedRule: null, misses, evidence: policy.object.source.at('spec.subject') });
  }
  return { action: undefined, decidedBy: undefined, considered, notes: [...notes] };
}
