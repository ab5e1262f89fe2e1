/**
 * A Kubernetes NetworkPolicy as Calico enforces it: policy `knp.default.<name>` in the default
 * tier, order 1000, every rule an Allow. Calico expands each Kubernetes rule into one Calico rule
 * per (peer, port) pair; the expanded rules keep the Kubernetes rule's index and path, so a
 * verdict cites `spec.ingress[i]` of the object the user wrote.
 *
 * Peer translation (as Calico's converter does it):
 * - podSelector only: pods of the policy's namespace matching it;
 * - namespaceSelector (+ podSelector): pods in matching namespaces (matching the podSelector);
 * - ipBlock: `nets: [cidr]`, `notNets: except` — matched on IP, pod IPs included;
 * - selectors only ever match pods (`projectcalico.org/orchestrator == 'k8s'`), never network sets.
 * Ports: protocol defaults to TCP; `endPort` makes a range; a named port stays a name; an entry
 * without port matches the whole protocol.
 */
import { formatSelector, matchesLabelSelector } from '../../kube/label-selector.js';
import { asArray, asLabelSelector, asNumber, asObject, asString, objectOrEmpty } from '../../kube/object-fields.js';
import type { LabelSelector, Labels, NetworkPolicy } from '../../kube/types.js';
import { parseCidr, type Cidr } from '../../netfilter/ip-cidr.js';
import { protocolNumber } from '../../netfilter/ip-protocols.js';
import type { CalicoEntityRule, CalicoPolicy, CalicoPort, CalicoProtocol, CalicoRule } from './calico-types.js';
import { KNP_PREFIX } from './calico-resources.js';
import type { LabelMatcher } from './parse-calico-selector.js';

/** The order Calico gives every Kubernetes NetworkPolicy. */
export const KUBERNETES_POLICY_ORDER = 1000;
const ORCHESTRATOR = 'projectcalico.org/orchestrator';

const converted = new WeakMap<NetworkPolicy, CalicoPolicy>();

export function kubernetesPolicyAsCalico(policy: NetworkPolicy): CalicoPolicy {
  let calico = converted.get(policy);
  if (!calico) {
    calico = convert(policy);
    converted.set(policy, calico);
  }
  return calico;
}

function convert(policy: NetworkPolicy): CalicoPolicy {
  return {
    kind: 'KubernetesNetworkPolicy',
    ref: policy.ref,
    name: `${KNP_PREFIX}${policy.name}`,
    namespace: policy.namespace,
    tier: 'default',
    order: KUBERNETES_POLICY_ORDER,
    selector: podMatcher(policy.podSelector),
    types: policy.effectivePolicyTypes,
    ingress: convertRules(policy.ingress, 'ingress'),
    egress: convertRules(policy.egress, 'egress'),
    hostEndpointsOnly: false,
    source: policy.source,
    kubernetes: policy,
  };
}

/** Pods matching a Kubernetes podSelector (never network sets or host endpoints). */
function podMatcher(selector: LabelSelector): LabelMatcher {
  return {
    text: formatSelector(selector),
    matches: (labels: Labels) => labels[ORCHESTRATOR] === 'k8s' && matchesLabelSelector(labels, selector),
    matchesNamespace: () => false,
  };
}

const ANY_POD: LabelMatcher = {
  text: `${ORCHESTRATOR} == 'k8s'`,
  matches: (labels: Labels) => labels[ORCHESTRATOR] === 'k8s',
  matchesNamespace: () => false,
};

function namespaceMatcher(selector: LabelSelector): LabelMatcher {
  return {
    text: formatSelector(selector),
    matches: (labels: Labels) => matchesLabelSelector(labels, selector),
    matchesNamespace: (labels) => labels !== null && matchesLabelSelector(labels, selector),
  };
}

function emptyEntity(): CalicoEntityRule {
  return { nets: [], notNets: [], ports: [], notPorts: [] };
}

/** The peer part of one `from`/`to` element; undefined when it cannot match anything. */
function peerEntity(raw: unknown): CalicoEntityRule | undefined {
  const peer = objectOrEmpty(raw);
  const entity = emptyEntity();
  const ipBlock = asObject(peer.ipBlock);
  if (ipBlock) {
    const cidr = parseCidr(asString(ipBlock.cidr) ?? '');
    if (!cidr) return undefined;
    entity.nets = [cidr];
    entity.notNets = asArray(ipBlock.except).flatMap((e): Cidr[] => {
      const except = typeof e === 'string' ? parseCidr(e) : undefined;
      return except ? [except] : [];
    });
    return entity;
  }
  const podSelector = asLabelSelector(peer.podSelector);
  const namespaceSelector = asLabelSelector(peer.namespaceSelector);
  if (!podSelector && !namespaceSelector) return undefined;
  entity.selector = podSelector ? podMatcher(podSelector) : ANY_POD;
  if (namespaceSelector) entity.namespaceSelector = namespaceMatcher(namespaceSelector);
  return entity;
}

/** One Kubernetes port entry as protocol + destination port; undefined when it cannot match. */
function portMatch(raw: unknown): { protocol: CalicoProtocol; port?: CalicoPort } | undefined {
  const entry = objectOrEmpty(raw);
  const protocolText = (asString(entry.protocol) ?? 'TCP').toUpperCase();
  const number = protocolNumber(protocolText);
  if (number === undefined) return undefined;
  const protocol = { number, text: protocolText };
  const port = entry.port;
  if (port === undefined || port === null) return { protocol };
  if (typeof port === 'string' && !/^\d+$/.test(port)) return { protocol, port: { kind: 'named', name: port, text: port } };
  const first = Number(port);
  const last = asNumber(entry.endPort) ?? first;
  return { protocol, port: { kind: 'range', first, last, text: last === first ? String(first) : `${first}:${last}` } };
}

function convertRules(rules: unknown[] | undefined, direction: 'ingress' | 'egress'): CalicoRule[] {
  const out: CalicoRule[] = [];
  (rules ?? []).forEach((raw, index) => {
    const rule = objectOrEmpty(raw);
    const rawPeers = asArray(direction === 'ingress' ? rule.from : rule.to);
    const peers: CalicoEntityRule[] = rawPeers.length === 0 ? [emptyEntity()] : rawPeers.flatMap((p) => peerEntity(p) ?? []);
    const rawPorts = asArray(rule.ports);
    const ports = rawPorts.length === 0 ? [undefined] : rawPorts.flatMap((p) => portMatch(p) ?? []);
    for (const peer of peers) {
      for (const port of ports) {
        const destinationPorts = port?.port ? [port.port] : [];
        const calicoRule: CalicoRule = {
          action: 'Allow',
          source: direction === 'ingress' ? peer : emptyEntity(),
          destination: direction === 'ingress' ? { ...emptyEntity(), ports: destinationPorts } : { ...peer, ports: destinationPorts },
          http: false,
          index,
          path: `spec.${direction}[${index}]`,
        };
        if (port) calicoRule.protocol = port.protocol;
        out.push(calicoRule);
      }
    }
  });
  return out;
}
