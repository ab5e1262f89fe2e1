/**
 * Kubernetes NetworkPolicy (networking.k8s.io/v1) as the API defines it and the upstream e2e
 * tests and policy-assistant check it (semantics.md c):
 *
 * - a pod is isolated for a direction when a policy of its namespace selects it and lists that
 *   direction in its (defaulted) policyTypes; a non-isolated direction allows everything;
 * - an isolated direction allows what any rule of any selecting policy allows: rules are
 *   additive, order never matters, there are no deny rules;
 * - a rule needs a peer AND a port: peers are OR'd, ports are OR'd, an absent or empty list is
 *   "all"; in one peer, namespaceSelector and podSelector are AND'd, a podSelector alone means
 *   the policy's namespace, `{}` selects all; ipBlock (with except) matches by address, pod
 *   addresses included only where the CNI does so (`KubernetesSemantics`);
 * - ports default to TCP; an entry without `port` is every port of its protocol; `endPort`
 *   makes an inclusive range; a named port is resolved on the destination pod by name and
 *   protocol, so it never matches an ipBlock destination.
 *
 * Policies are compiled once per model (the `networkPolicyIndex` facet): rules parsed, CIDRs
 * normalized, policies grouped by namespace, and the policies selecting a pod cached per pod, so
 * judging a flow reads only the policies of two namespaces and never scans pods.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { formatSelector, matchesLabelSelector } from '../kube/label-selector.js';
import { asLabelSelector } from '../kube/object-fields.js';
import type { KubeModel, LabelSelector, NetworkPolicy, Pod, Protocol } from '../kube/types.js';
import { formatIpAddress, parseIpAddress, type IpAddress } from '../netfilter/ip-cidr.js';
import { describeEndpoint, describePort } from './flow-text.js';
import { compileIpBlock, ipBlockMatch, type CompiledIpBlock } from './ip-block.js';
import { podHasNamedPort } from './named-port.js';
import { namespaceLabelsOf } from './namespace-labels.js';
import type {
  DecidingRule,
  DirectionRequest,
  DirectionVerdict,
  FlowEndpoint,
  PolicyConsideration,
  PolicyFlow,
} from './policy-types.js';

export type PolicyDirection = 'ingress' | 'egress';

/** Where CNIs differ in enforcing the same NetworkPolicy. */
export interface KubernetesSemantics {
  /** ipBlock peers match pod IPs: true for iptables-based CNIs and the e2e tests, false for Cilium. */
  ipBlockMatchesPodIPs: boolean;
  /** ipBlock peers match node IPs: Cilium matches nodes by identity unless policy-cidr-match-mode=nodes. */
  ipBlockMatchesNodeIPs: boolean;
  /** Named in notes when a CNI difference changes a match ("cilium"). */
  cni?: string;
}

export const UPSTREAM_SEMANTICS: KubernetesSemantics = Object.freeze({ ipBlockMatchesPodIPs: true, ipBlockMatchesNodeIPs: true });

// ---------------------------------------------------------------------------------------------
// Compiled form

export type CompiledPeer =
  | { kind: 'selector'; index: number; namespaceSelector: LabelSelector | undefined; podSelector: LabelSelector | undefined; text: string }
  | { kind: 'ipBlock'; index: number; block: CompiledIpBlock; text: string }
  | { kind: 'invalid'; index: number; problem: string; text: string };

export type CompiledPort =
  | { kind: 'range'; protocol: Protocol; from: number; to: number; text: string }
  | { kind: 'any'; protocol: Protocol; text: string }
  | { kind: 'named'; protocol: Protocol; name: string; text: string }
  | { kind: 'invalid'; problem: string; text: string };

export interface CompiledRule {
  index: number;
  /** undefined: every peer (`from`/`to` absent or empty). */
  peers: CompiledPeer[] | undefined;
  /** undefined: every port of every protocol (`ports` absent or empty). */
  ports: CompiledPort[] | undefined;
}

export interface CompiledNetworkPolicy {
  policy: NetworkPolicy;
  /** `NetworkPolicy/<ns>/<name>`. */
  id: string;
  namespace: string;
  podSelector: LabelSelector;
  /** Rules of a direction the policy isolates; undefined when policyTypes leaves it out. */
  ingress: CompiledRule[] | undefined;
  egress: CompiledRule[] | undefined;
  /** What validation would have rejected (such parts match nothing), for the walk. */
  problems: string[];
  /** `policy.source.at(path)`, located once per path (verdicts cite the same lines over and over). */
  at(path: string): Evidence;
}

export interface NetworkPolicyIndex {
  readonly policies: readonly CompiledNetworkPolicy[];
  /** A namespace's policies, sorted by name. */
  inNamespace(namespace: string): readonly CompiledNetworkPolicy[];
  /** The policies that isolate `pod` for `direction` (cached per pod). */
  selecting(pod: Pod, direction: PolicyDirection): readonly CompiledNetworkPolicy[];
}

const PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'UDP', 'SCTP']);
const NONE: readonly never[] = Object.freeze([]);

export function compileNetworkPolicies(policies: readonly NetworkPolicy[]): NetworkPolicyIndex {
  const compiled = policies.map(compilePolicy);
  const byNamespace = new Map<string, CompiledNetworkPolicy[]>();
  for (const policy of compiled) {
    const list = byNamespace.get(policy.namespace);
    if (list) list.push(policy);
    else byNamespace.set(policy.namespace, [policy]);
  }
  for (const list of byNamespace.values()) list.sort((a, b) => (a.policy.name < b.policy.name ? -1 : a.policy.name > b.policy.name ? 1 : 0));

  const cache = new WeakMap<Pod, { ingress?: CompiledNetworkPolicy[]; egress?: CompiledNetworkPolicy[] }>();
  return {
    policies: compiled,
    inNamespace: (namespace) => byNamespace.get(namespace) ?? NONE,
    selecting(pod, direction) {
      let entry = cache.get(pod);
      if (!entry) cache.set(pod, (entry = {}));
      let found = entry[direction];
      if (!found) {
        found = [];
        for (const policy of byNamespace.get(pod.namespace) ?? NONE) {
          if (policy[direction] !== undefined && matchesLabelSelector(pod.labels, policy.podSelector)) found.push(policy);
        }
        entry[direction] = found;
      }
      return found;
    },
  };
}

export const NETWORK_POLICY_FACET = 'policy.k8s-network-policies';

/** The model's NetworkPolicies, compiled once. */
export function networkPolicyIndex(model: AnalysisModel): NetworkPolicyIndex {
  return model.facet(NETWORK_POLICY_FACET, (m) => compileNetworkPolicies(m.kube.networkPolicies));
}

function compilePolicy(policy: NetworkPolicy): CompiledNetworkPolicy {
  const problems: string[] = [];
  const types = policy.effectivePolicyTypes;
  const compileRules = (direction: PolicyDirection): CompiledRule[] | undefined => {
    if (!types.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) return undefined;
    const raw = direction === 'ingress' ? policy.ingress : policy.egress;
    return (raw ?? []).map((rule, index) => compileRule(rule, index, direction, policy.namespace, problems));
  };
  const located = new Map<string, Evidence>();
  return {
    policy,
    id: policy.ref,
    namespace: policy.namespace,
    podSelector: policy.podSelector,
    ingress: compileRules('ingress'),
    egress: compileRules('egress'),
    problems,
    at(path) {
      let evidence = located.get(path);
      if (!evidence) located.set(path, (evidence = policy.source.at(path)));
      return evidence;
    },
  };
}

function compileRule(raw: unknown, index: number, direction: PolicyDirection, namespace: string, problems: string[]): CompiledRule {
  const rule = isObject(raw) ? raw : {};
  const peerField = direction === 'ingress' ? 'from' : 'to';
  const rawPeers = Array.isArray(rule[peerField]) ? (rule[peerField] as unknown[]) : [];
  const rawPorts = Array.isArray(rule.ports) ? (rule.ports as unknown[]) : [];
  const where = `spec.${direction}[${index}]`;
  const peers = rawPeers.length === 0 ? undefined : rawPeers.map((peer, i) => compilePeer(peer, i, namespace));
  const ports = rawPorts.length === 0 ? undefined : rawPorts.map(compilePort);
  for (const peer of peers ?? []) if (peer.kind === 'invalid') problems.push(`${where}.${peerField}[${peer.index}]: ${peer.problem}`);
  (ports ?? []).forEach((port, i) => {
    if (port.kind === 'invalid') problems.push(`${where}.ports[${i}]: ${port.problem}`);
  });
  return { index, peers, ports };
}

function compilePeer(raw: unknown, index: number, namespace: string): CompiledPeer {
  if (!isObject(raw)) return { kind: 'invalid', index, problem: 'peer is not an object', text: 'invalid peer' };
  const hasPods = raw.podSelector !== undefined && raw.podSelector !== null;
  const hasNamespaces = raw.namespaceSelector !== undefined && raw.namespaceSelector !== null;
  const hasIpBlock = raw.ipBlock !== undefined && raw.ipBlock !== null;
  if (hasIpBlock) {
    if (hasPods || hasNamespaces) {
      return { kind: 'invalid', index, problem: 'ipBlock cannot be combined with a selector in one peer (the API rejects it)', text: 'invalid peer' };
    }
    const compiled = compileIpBlock(raw.ipBlock);
    if ('problem' in compiled) return { kind: 'invalid', index, problem: compiled.problem, text: 'invalid ipBlock' };
    return { kind: 'ipBlock', index, block: compiled.block, text: `ipBlock ${compiled.block.text}` };
  }
  if (!hasPods && !hasNamespaces) return { kind: 'invalid', index, problem: 'peer names no podSelector, namespaceSelector or ipBlock', text: 'empty peer' };
  // A selector that is not an object (a list, a string) cannot be converted and selects nothing.
  const namespaceSelector = hasNamespaces ? (asLabelSelector(raw.namespaceSelector) ?? { matchExpressions: [{ key: '', operator: 'invalid' }] }) : undefined;
  const podSelector = hasPods ? (asLabelSelector(raw.podSelector) ?? { matchExpressions: [{ key: '', operator: 'invalid' }] }) : undefined;
  const parts: string[] = [];
  if (namespaceSelector) parts.push(`namespaceSelector ${formatSelector(namespaceSelector)}`);
  if (podSelector) parts.push(`podSelector ${formatSelector(podSelector)}`);
  const text = namespaceSelector ? parts.join(' + ') : `${parts[0]} in namespace ${namespace}`;
  return { kind: 'selector', index, namespaceSelector, podSelector, text };
}

function compilePort(raw: unknown): CompiledPort {
  if (!isObject(raw)) return { kind: 'invalid', problem: 'port entry is not an object', text: 'invalid port' };
  const protocolField = raw.protocol;
  const protocol = protocolField === undefined || protocolField === null || protocolField === '' ? 'TCP' : protocolField;
  if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) {
    return { kind: 'invalid', problem: `protocol ${JSON.stringify(protocol)} is not TCP, UDP or SCTP`, text: `invalid protocol ${String(protocol)}` };
  }
  const proto = protocol as Protocol;
  const port = raw.port;
  const endPort = raw.endPort;
  if (port === undefined || port === null) {
    if (endPort !== undefined && endPort !== null) return { kind: 'invalid', problem: 'endPort needs a numeric port', text: `invalid ${proto} range` };
    return { kind: 'any', protocol: proto, text: `any ${proto} port` };
  }
  if (typeof port === 'string') {
    if (endPort !== undefined && endPort !== null) return { kind: 'invalid', problem: `endPort cannot follow the named port ${port}`, text: `invalid ${port}/${proto}` };
    return { kind: 'named', protocol: proto, name: port, text: `${port}/${proto}` };
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { kind: 'invalid', problem: `port ${JSON.stringify(port)} is not a port number or name`, text: `invalid port ${String(port)}` };
  }
  if (endPort === undefined || endPort === null) return { kind: 'range', protocol: proto, from: port, to: port, text: `${port}/${proto}` };
  if (typeof endPort !== 'number' || !Number.isInteger(endPort) || endPort < port || endPort > 65535) {
    return { kind: 'invalid', problem: `endPort ${JSON.stringify(endPort)} must be a port number >= ${port}`, text: `invalid ${port}-${String(endPort)}/${proto}` };
  }
  return { kind: 'range', protocol: proto, from: port, to: endPort, text: `${port}-${endPort}/${proto}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Matching

/** What one direction's evaluation needs about the other end, computed once. */
class PeerContext {
  private address: IpAddress | null | undefined;
  readonly notes = new Set<string>();

  constructor(
    readonly kube: KubeModel,
    readonly flow: PolicyFlow,
    /** The other end: the source for ingress, the destination for egress. */
    readonly peer: FlowEndpoint,
    readonly semantics: KubernetesSemantics,
  ) {}

  peerAddress(): IpAddress | null {
    if (this.address === undefined) this.address = parseIpAddress(this.peer.ip) ?? null;
    return this.address;
  }

  namespaceLabels(namespace: string) {
    const found = namespaceLabelsOf(this.kube, namespace);
    if (!found.inBundle) this.notes.add(`namespace ${namespace} is not in the bundle: namespaceSelectors were matched against its kubernetes.io/metadata.name label only`);
    return found.labels;
  }
}

function peerMatches(peer: CompiledPeer, policyNamespace: string, ctx: PeerContext): boolean {
  const endpoint = ctx.peer;
  switch (peer.kind) {
    case 'invalid':
      return false;
    case 'selector': {
      // hostNetwork pods are node traffic and external addresses have no labels.
      if (endpoint.kind !== 'pod') return false;
      const pod = endpoint.pod;
      if (peer.namespaceSelector === undefined) {
        if (pod.namespace !== policyNamespace) return false;
      } else if (!matchesLabelSelector(ctx.namespaceLabels(pod.namespace), peer.namespaceSelector)) {
        return false;
      }
      return peer.podSelector === undefined || matchesLabelSelector(pod.labels, peer.podSelector);
    }
    case 'ipBlock': {
      const address = ctx.peerAddress();
      if (!address || ipBlockMatch(peer.block, address) !== 'in') return false;
      if (endpoint.kind === 'pod' && !ctx.semantics.ipBlockMatchesPodIPs) {
        ctx.notes.add(`${peer.text} contains ${endpoint.ip}, but ${ctx.semantics.cni ?? 'this CNI'} does not match pod IPs by CIDR (it matches pods by identity)`);
        return false;
      }
      if (endpoint.kind === 'node' && !ctx.semantics.ipBlockMatchesNodeIPs) {
        ctx.notes.add(`${peer.text} contains node address ${endpoint.ip}, but ${ctx.semantics.cni ?? 'this CNI'} does not match node IPs by CIDR`);
        return false;
      }
      return true;
    }
  }
}

function portMatches(port: CompiledPort, flow: PolicyFlow): boolean {
  if (port.kind === 'invalid' || port.protocol !== flow.protocol) return false;
  switch (port.kind) {
    case 'any':
      return true;
    case 'range':
      return flow.port !== undefined && flow.port >= port.from && flow.port <= port.to;
    case 'named':
      // Resolved on the destination pod; an ipBlock or node destination has no named ports.
      return flow.port !== undefined && flow.dst.kind === 'pod' && podHasNamedPort(flow.dst.pod, port.name, port.protocol, flow.port);
  }
}

function ruleMatches(rule: CompiledRule, policyNamespace: string, ctx: PeerContext): boolean {
  if (rule.ports !== undefined && !rule.ports.some((port) => portMatches(port, ctx.flow))) return false;
  return rule.peers === undefined || rule.peers.some((peer) => peerMatches(peer, policyNamespace, ctx));
}

// ---------------------------------------------------------------------------------------------
// Explanations (only built when asked: the matrix judges thousands of flows without them)

function explainPeerMiss(peer: CompiledPeer, policyNamespace: string, ctx: PeerContext): string {
  const endpoint = ctx.peer;
  switch (peer.kind) {
    case 'invalid':
      return `${peer.text}: ${peer.problem}`;
    case 'selector': {
      if (endpoint.kind !== 'pod') {
        const what = endpoint.kind === 'node' ? 'node traffic (hostNetwork pods included)' : 'outside the cluster';
        return `${peer.text}: ${describeEndpoint(endpoint)} is ${what}, and selectors match pods only`;
      }
      const pod = endpoint.pod;
      if (peer.namespaceSelector === undefined && pod.namespace !== policyNamespace) {
        return `${peer.text}: a podSelector alone selects pods of namespace ${policyNamespace}, not ${pod.namespace}`;
      }
      if (peer.namespaceSelector !== undefined && !matchesLabelSelector(ctx.namespaceLabels(pod.namespace), peer.namespaceSelector)) {
        return `${peer.text}: namespace ${pod.namespace} does not match namespaceSelector ${formatSelector(peer.namespaceSelector)}`;
      }
      return `${peer.text}: labels of ${pod.namespace}/${pod.name} do not match podSelector ${formatSelector(peer.podSelector)}`;
    }
    case 'ipBlock': {
      const address = ctx.peerAddress();
      if (!address) return `${peer.text}: ${describeEndpoint(endpoint)} has no usable IP address`;
      const match = ipBlockMatch(peer.block, address);
      if (match === 'out') return `${peer.text}: ${formatIpAddress(address)} is not in ${peer.block.cidr.text}`;
      if (match !== 'in') return `${peer.text}: ${formatIpAddress(address)} is in except ${match.text}`;
      const what = endpoint.kind === 'pod' ? 'pod IPs' : 'node IPs';
      return `${peer.text}: contains ${formatIpAddress(address)}, but ${ctx.semantics.cni ?? 'this CNI'} does not match ${what} by CIDR`;
    }
  }
}

function explainPortMiss(ports: CompiledPort[], flow: PolicyFlow): string {
  const named = ports.filter((p): p is Extract<CompiledPort, { kind: 'named' }> => p.kind === 'named' && p.protocol === flow.protocol);
  let detail = '';
  if (named.length > 0) {
    detail =
      flow.dst.kind === 'pod'
        ? ` (${flow.dst.pod.namespace}/${flow.dst.pod.name} declares no ${named.map((p) => p.name).join('/')} container port on ${describePort(flow)})`
        : ` (named ports are resolved on a destination pod; ${describeEndpoint(flow.dst)} is not one)`;
  }
  return `ports: ${describePort(flow)} is not in [${ports.map((p) => p.text).join(', ')}]${detail}`;
}

function explainRuleMiss(rule: CompiledRule, direction: PolicyDirection, policyNamespace: string, ctx: PeerContext): string {
  if (rule.ports !== undefined && !rule.ports.some((port) => portMatches(port, ctx.flow))) return explainPortMiss(rule.ports, ctx.flow);
  const field = direction === 'ingress' ? 'from' : 'to';
  const reasons = (rule.peers ?? []).map((peer) => explainPeerMiss(peer, policyNamespace, ctx));
  return `${field}: ${describeEndpoint(ctx.peer)} matches no peer (${reasons.join('; ')})`;
}

function explainRuleMatch(rule: CompiledRule, direction: PolicyDirection, policyNamespace: string, ctx: PeerContext): string {
  const field = direction === 'ingress' ? 'from' : 'to';
  const peer = rule.peers?.find((p) => peerMatches(p, policyNamespace, ctx));
  const peerText = peer ? `${field} peer ${peer.index} (${peer.text})` : `no ${field} list (every peer)`;
  const port = rule.ports?.find((p) => portMatches(p, ctx.flow));
  const portText = port ? `port ${port.text}` : 'no ports list (every port)';
  return `${peerText} matches ${describeEndpoint(ctx.peer)}; ${portText} matches ${describePort(ctx.flow)}`;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * One direction of a flow under Kubernetes NetworkPolicy: the source pod's egress or the
 * destination pod's ingress. A subject that is not a pod (a node, a hostNetwork pod, an
 * external address) is never isolated.
 */
export function evaluateKubernetesDirection(request: DirectionRequest, semantics: KubernetesSemantics = UPSTREAM_SEMANTICS): DirectionVerdict {
  const { model, flow, direction, explain } = request;
  const subject = direction === 'egress' ? flow.src : flow.dst;
  const peer = direction === 'egress' ? flow.dst : flow.src;
  if (subject.kind !== 'pod') {
    const what = subject.kind === 'node' ? 'node traffic' : 'outside the cluster';
    return {
      direction,
      isolated: false,
      verdict: 'allow',
      decidedBy: [],
      considered: [],
      notes: [`${describeEndpoint(subject)} is ${what}: no NetworkPolicy applies to its ${direction}`],
    };
  }
  const pod = subject.pod;
  const podText = `${pod.namespace}/${pod.name}`;
  const index = networkPolicyIndex(model);
  const selecting = index.selecting(pod, direction);
  const ctx = new PeerContext(model.kube, flow, peer, semantics);
  const considered: PolicyConsideration[] = explain ? consideredNonSelecting(index, pod, direction, selecting) : [];

  if (selecting.length === 0) {
    return {
      direction,
      isolated: false,
      verdict: 'allow',
      decidedBy: [],
      considered,
      notes: [`no NetworkPolicy selects ${podText} for ${direction}: not isolated`],
    };
  }

  const decidedBy: DecidingRule[] = [];
  for (const policy of selecting) {
    const rules = policy[direction]!;
    const matched = rules.find((rule) => ruleMatches(rule, policy.namespace, ctx));
    if (matched) {
      decidedBy.push({
        policy: policy.id,
        direction,
        ruleIndex: matched.index,
        action: 'allow',
        evidence: policy.at(`spec.${direction}[${matched.index}]`),
        reason: explainRuleMatch(matched, direction, policy.namespace, ctx),
      });
    }
    if (explain) {
      const consideration: PolicyConsideration = {
        policy: policy.id,
        selects: true,
        matchedRule: matched?.index ?? null,
        misses: rules.filter((rule) => rule !== matched && !ruleMatches(rule, policy.namespace, ctx)).map((rule) => ({ ruleIndex: rule.index, reason: explainRuleMiss(rule, direction, policy.namespace, ctx) })),
        evidence: policy.at('spec.podSelector'),
      };
      if (rules.length === 0) consideration.note = `no ${direction} rules: denies all ${direction} of the pods it selects`;
      if (policy.problems.length > 0) consideration.note = [consideration.note, ...policy.problems].filter(Boolean).join('; ');
      considered.push(consideration);
    } else if (matched) {
      break;
    }
  }

  const notes = [...ctx.notes];
  if (decidedBy.length > 0) return { direction, isolated: true, verdict: 'allow', decidedBy, considered, notes };

  const what = `${describeEndpoint(peer)} on ${describePort(flow)}`;
  for (const policy of selecting) {
    const count = policy[direction]!.length;
    decidedBy.push({
      policy: policy.id,
      direction,
      ruleIndex: null,
      action: 'deny',
      evidence: policy.at('spec.podSelector'),
      reason:
        count === 0
          ? `selects ${podText} for ${direction} and has no ${direction} rules`
          : `selects ${podText} for ${direction} and none of its ${count} ${direction} rule${count === 1 ? '' : 's'} allows ${what}`,
    });
  }
  notes.unshift(`${podText} is isolated for ${direction} by ${selecting.length} polic${selecting.length === 1 ? 'y' : 'ies'} and no rule allows ${what}`);
  return { direction, isolated: true, verdict: 'deny', decidedBy, considered, notes };
}

/** The namespace's other policies, with why each does not isolate the pod for this direction. */
function consideredNonSelecting(index: NetworkPolicyIndex, pod: Pod, direction: PolicyDirection, selecting: readonly CompiledNetworkPolicy[]): PolicyConsideration[] {
  const out: PolicyConsideration[] = [];
  for (const policy of index.inNamespace(pod.namespace)) {
    if (selecting.includes(policy)) continue;
    const selectsPod = matchesLabelSelector(pod.labels, policy.podSelector);
    out.push({
      policy: policy.id,
      selects: false,
      matchedRule: null,
      misses: [],
      evidence: policy.at(selectsPod ? 'spec.policyTypes' : 'spec.podSelector'),
      note: selectsPod
        ? `selects the pod but its policyTypes [${policy.policy.effectivePolicyTypes.join(', ')}] leave ${direction} alone`
        : `podSelector ${formatSelector(policy.podSelector)} does not match the pod's labels`,
    });
  }
  return out;
}
