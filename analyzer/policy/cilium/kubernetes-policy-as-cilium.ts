/**
 * A Kubernetes NetworkPolicy as Cilium enforces it: one Cilium rule whose endpointSelector is
 * the podSelector in the policy's namespace, enforcing each direction of `policyTypes` (even
 * with no rules), every Kubernetes rule an allow rule:
 * - no `from`/`to`: every peer (`reserved:all`), world included;
 * - podSelector only: pods of the policy's namespace; namespaceSelector (+ podSelector): pods of
 *   matching namespaces (Cilium reads namespace labels from the identity);
 * - ipBlock: a CIDR rule, which matches only addresses outside the cluster — never pod IPs
 *   (cilium/cilium#9209; semantics.md c) 9);
 * - ports: protocol TCP by default, `endPort` ranges, named ports.
 */
import { formatSelector, matchesLabelSelector } from '../../kube/label-selector.js';
import { asArray, asLabelSelector, asNumber, asObject, asString, objectOrEmpty } from '../../kube/object-fields.js';
import type { LabelSelector, NetworkPolicy } from '../../kube/types.js';
import { parseCidr, type Cidr } from '../../netfilter/ip-cidr.js';
import type { CiliumPeerRule, CiliumPolicy, CiliumPort, CiliumRule, IdentitySelector } from './cilium-types.js';

const converted = new WeakMap<NetworkPolicy, CiliumPolicy>();

export function kubernetesPolicyAsCilium(policy: NetworkPolicy): CiliumPolicy {
  let cilium = converted.get(policy);
  if (!cilium) {
    cilium = convert(policy);
    converted.set(policy, cilium);
  }
  return cilium;
}

function convert(policy: NetworkPolicy): CiliumPolicy {
  const types = policy.effectivePolicyTypes;
  const rule: CiliumRule = {
    path: 'spec',
    endpointSelector: podsOf(policy.namespace, policy.podSelector),
    ingress: types.includes('Ingress') ? (policy.ingress ?? []).map((r, i) => peerRule(r, 'from', policy.namespace, i, `spec.ingress[${i}]`)) : [],
    ingressDeny: [],
    egress: types.includes('Egress') ? (policy.egress ?? []).map((r, i) => peerRule(r, 'to', policy.namespace, i, `spec.egress[${i}]`)) : [],
    egressDeny: [],
    enforces: { ingress: types.includes('Ingress'), egress: types.includes('Egress') },
  };
  return { kind: 'NetworkPolicy', ref: policy.ref, name: policy.name, namespace: policy.namespace, rules: [rule], source: policy.source };
}

/** Pods of `namespace` (or of namespaces matching `namespaceSelector`) whose labels match `podSelector`. */
function podsOf(namespace: string | undefined, podSelector: LabelSelector | undefined, namespaceSelector?: LabelSelector): IdentitySelector {
  const where = namespaceSelector ? `namespaces ${formatSelector(namespaceSelector)}` : `namespace ${namespace}`;
  return {
    text: `${podSelector ? formatSelector(podSelector) : '<all>'} (pods of ${where})`,
    matches: (identity) => {
      const pod = identity.pod;
      if (identity.kind !== 'pod' || !pod) return false;
      if (podSelector && !matchesLabelSelector(pod.labels, podSelector)) return false;
      if (!namespaceSelector) return pod.namespace === namespace;
      return matchesLabelSelector(identity.namespaceLabels ?? {}, namespaceSelector);
    },
  };
}

function peerRule(raw: unknown, side: 'from' | 'to', namespace: string, index: number, path: string): CiliumPeerRule {
  const object = objectOrEmpty(raw);
  const rule: CiliumPeerRule = { index, path, unsupported: [] };
  const peers = asArray(object[side]);
  if (peers.length === 0) {
    rule.entities = ['all'];
  } else {
    for (const entry of peers) {
      const peer = objectOrEmpty(entry);
      const ipBlock = asObject(peer.ipBlock);
      if (ipBlock) {
        const text = asString(ipBlock.cidr) ?? '';
        const cidr = parseCidr(text);
        if (!cidr) continue;
        const except = asArray(ipBlock.except).flatMap((e): Cidr[] => {
          const parsed = typeof e === 'string' ? parseCidr(e) : undefined;
          return parsed ? [parsed] : [];
        });
        (rule.cidrs ??= []).push({ text: except.length > 0 ? `${text} except ${asArray(ipBlock.except).join(', ')}` : text, cidr, except });
        continue;
      }
      const podSelector = asLabelSelector(peer.podSelector);
      const namespaceSelector = asLabelSelector(peer.namespaceSelector);
      if (!podSelector && !namespaceSelector) continue;
      (rule.endpoints ??= []).push(podsOf(namespace, podSelector, namespaceSelector));
    }
    // Every peer was unreadable: the rule matches nothing (not everything).
    if (!rule.cidrs && !rule.endpoints) rule.endpoints = [];
  }
  const ports = asArray(object.ports);
  if (ports.length > 0) rule.toPorts = [{ ports: ports.flatMap((p) => port(p) ?? []), l7: [] }];
  return rule;
}

function port(raw: unknown): CiliumPort | undefined {
  const entry = objectOrEmpty(raw);
  const protocol = (asString(entry.protocol) ?? 'TCP').toUpperCase();
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') return undefined;
  const out: CiliumPort = { protocol, text: '' };
  const value = entry.port;
  if (typeof value === 'number') out.port = value;
  else if (typeof value === 'string' && value !== '') out.port = /^\d+$/.test(value) ? Number(value) : value;
  const endPort = asNumber(entry.endPort);
  if (endPort !== undefined && typeof out.port === 'number') out.endPort = endPort;
  const where = out.port === undefined ? 'all ports' : out.endPort !== undefined ? `${out.port}-${out.endPort}` : String(out.port);
  out.text = `${where}/${protocol}`;
  return out;
}
