import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type RuleContext } from '../analyzer/engine/rule.js';
import { formatLabels, formatSelector, isEmptySelector, matchesLabelSelector } from '../analyzer/kube/label-selector.js';
import { asLabelSelector, asObject } from '../analyzer/kube/object-fields.js';
import { objectPath, type PathSegment } from '../analyzer/kube/object-path.js';
import type { KubeModel, LabelSelector, Namespace, NetworkPolicy, Pod } from '../analyzer/kube/types.js';
import { NAMESPACE_NAME_LABEL, namespaceLabelsOf } from '../analyzer/policy/namespace-labels.js';
import { listSome, plural } from './lib/list-text.js';
import { displayLabels, groupByLabels, nearestLabels } from './lib/nearest-labels.js';
import { isLikelyTypo } from './lib/string-distance.js';

type Direction = 'ingress' | 'egress';

/** One selector peer of a NetworkPolicy rule, with where it sits. */
interface Peer {
  policy: NetworkPolicy;
  direction: Direction;
  rule: number;
  index: number;
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
  /** Path segments of the peer (`spec`, `ingress`, 0, `from`, 1). */
  at: PathSegment[];
}

interface Suggestion {
  sentence: string;
  remediation: string;
  evidence?: Evidence;
}

/**
 * A from/to peer of a NetworkPolicy that selects nothing: a namespaceSelector no namespace
 * matches (the classic `name: frontend` on namespaces that only carry
 * `kubernetes.io/metadata.name`), or a podSelector no pod of the selected namespaces matches.
 * Traffic the peer was written to allow is not allowed by it.
 */
export default defineRule({
  id: 'netpol-peer-matches-nothing',
  layer: 'policy',
  severity: 'warning',
  description: 'A NetworkPolicy from/to peer matches no namespace or pod',
  area: 'Network policies',
  requires: [inputs.networkPolicies, inputs.pods],
  optional: [inputs.namespaces],
  check(ctx) {
    const kube = ctx.model.kube;
    const namespacesKnown = kube.collected.has('namespaces');
    for (const policy of kube.networkPolicies) {
      if (!ctx.inScope(policy.namespace)) continue;
      for (const peer of peersOf(policy)) {
        if (peer.namespaceSelector && !isEmptySelector(peer.namespaceSelector)) {
          if (namespacesKnown) checkNamespacePeer(ctx, peer);
        } else if (peer.podSelector && !isEmptySelector(peer.podSelector)) {
          checkPodPeer(ctx, peer, peer.namespaceSelector ? kube.namespaces.map((n) => n.name) : [policy.namespace]);
        }
      }
    }
  },
});

/** The selector peers of the directions the policy's (defaulted) policyTypes keep. */
function peersOf(policy: NetworkPolicy): Peer[] {
  const peers: Peer[] = [];
  for (const type of policy.effectivePolicyTypes) {
    const direction: Direction = type === 'Ingress' ? 'ingress' : 'egress';
    const field = direction === 'ingress' ? 'from' : 'to';
    (direction === 'ingress' ? policy.ingress : policy.egress)?.forEach((rawRule, rule) => {
      const list = asObject(rawRule)?.[field];
      if (!Array.isArray(list)) return;
      list.forEach((rawPeer, index) => {
        const object = asObject(rawPeer);
        if (!object || object.ipBlock) return;
        const peer: Peer = { policy, direction, rule, index, at: ['spec', direction, rule, field, index] };
        const namespaceSelector = asLabelSelector(object.namespaceSelector);
        const podSelector = asLabelSelector(object.podSelector);
        if (namespaceSelector) peer.namespaceSelector = namespaceSelector;
        if (podSelector) peer.podSelector = podSelector;
        if (namespaceSelector || podSelector) peers.push(peer);
      });
    });
  }
  return peers;
}

function peerName(peer: Peer): string {
  return `${peer.direction === 'ingress' ? 'from' : 'to'} peer ${peer.index} of spec.${peer.direction}[${peer.rule}]`;
}

function consequence(peer: Peer): string {
  const what = peer.direction === 'ingress' ? 'from' : 'to';
  return `the ${peer.direction} this peer was written to allow (${what} ${describePeer(peer)}) is not allowed by it, and is denied unless another rule allows it`;
}

function describePeer(peer: Peer): string {
  const parts: string[] = [];
  if (peer.namespaceSelector) parts.push(`namespaceSelector ${formatSelector(peer.namespaceSelector)}`);
  if (peer.podSelector) parts.push(`podSelector ${formatSelector(peer.podSelector)}`);
  return parts.join(' + ');
}

const commandsFor = (peer: Peer) => [`kubectl -n ${peer.policy.namespace} get networkpolicy ${peer.policy.name} -o yaml`, 'kubectl get namespaces --show-labels'];

// ---------------------------------------------------------------------------------------------
// namespaceSelector

function namespacesMatching(kube: KubeModel, selector: LabelSelector): Namespace[] {
  return kube.namespaces.filter((ns) => matchesLabelSelector(namespaceLabelsOf(kube, ns.name).labels, selector));
}

function checkNamespacePeer(ctx: RuleContext, peer: Peer): void {
  const kube = ctx.model.kube;
  const selector = peer.namespaceSelector!;
  const matching = namespacesMatching(kube, selector);
  if (matching.length > 0) {
    if (peer.podSelector && !isEmptySelector(peer.podSelector)) checkPodPeer(ctx, peer, matching.map((n) => n.name));
    return;
  }
  const policy = peer.policy;
  const text = formatSelector(selector);
  // The requirement no namespace meets on its own, to point at and to suggest a fix for.
  const labels = Object.entries(selector.matchLabels ?? {});
  const unmet = labels.find(([key, value]) => !kube.namespaces.some((ns) => namespaceLabelsOf(kube, ns.name).labels[key] === value));
  const path = unmet ? objectPath(...peer.at, 'namespaceSelector', 'matchLabels', unmet[0]) : objectPath(...peer.at, 'namespaceSelector');
  const suggestion = unmet ? suggestNamespaceLabel(kube, unmet[0], unmet[1], peer) : undefined;
  const evidence: Evidence[] = [policy.source.at(path, `namespaceSelector ${text} matches no namespace`)];
  if (suggestion?.evidence) evidence.push(suggestion.evidence);
  const sentences = [`namespaceSelector ${text} in ${peerName(peer)} matches none of the ${plural(kube.namespaces.length, 'namespace')} in the cluster`];
  if (suggestion) sentences.push(suggestion.sentence);
  sentences.push(consequence(peer));
  ctx.report({
    subjects: [policy.ref],
    title: `NetworkPolicy ${policy.namespace}/${policy.name}: namespaceSelector ${text} matches no namespace`,
    message: `${sentences.join('; ')}.`,
    evidence,
    remediation: suggestion?.remediation ?? `make the namespaceSelector match labels the intended namespaces carry (every namespace carries ${NAMESPACE_NAME_LABEL}: <name>), or label those namespaces`,
    commands: commandsFor(peer),
    data: { direction: peer.direction, rule: peer.rule, peer: peer.index, namespaceSelector: selector, ...(unmet ? { unmet: { key: unmet[0], value: unmet[1] } } : {}) },
  });
}

/** Why `key: value` fits no namespace, and what would. */
function suggestNamespaceLabel(kube: KubeModel, key: string, value: string, peer: Peer): Suggestion | undefined {
  const fix = (replacement: string) => `in ${peerName(peer)}, replace \`${key}: ${value}\` by \`${replacement}\``;
  const named = kube.namespace(value);
  if (key !== NAMESPACE_NAME_LABEL && named) {
    const carriers = kube.namespaces.filter((ns) => ns.labels[key] !== undefined);
    const sentence =
      carriers.length === 0
        ? `no namespace carries a label ${key}; namespace ${value} exists and carries ${NAMESPACE_NAME_LABEL}=${value}, which the API server sets on every namespace (Kubernetes 1.22+)`
        : `namespace ${value} exists but does not carry ${key}=${value} (it carries ${formatLabels(named.labels)}); it can be selected by ${NAMESPACE_NAME_LABEL}=${value}, which the API server sets on every namespace`;
    return {
      sentence,
      remediation: `${fix(`${NAMESPACE_NAME_LABEL}: ${value}`)} (or label the namespace: kubectl label namespace ${value} ${key}=${value})`,
      evidence: named.source.at(objectPath('metadata', 'labels', NAMESPACE_NAME_LABEL), `namespace ${value} carries ${NAMESPACE_NAME_LABEL}=${value}`),
    };
  }
  const typo = kube.namespaces.find((ns) => ns.labels[key] !== undefined && isLikelyTypo(value, ns.labels[key]!));
  if (typo) {
    return {
      sentence: `likely typo: namespace ${typo.name} carries ${key}=${typo.labels[key]}`,
      remediation: fix(`${key}: ${typo.labels[key]}`),
      evidence: typo.source.at(objectPath('metadata', 'labels', key), `namespace ${typo.name} carries ${key}=${typo.labels[key]}`),
    };
  }
  const sameValue = kube.namespaces.flatMap((ns) => Object.entries(namespaceLabelsOf(kube, ns.name).labels).filter(([, v]) => v === value).map(([k]) => ({ ns, key: k })));
  const other = sameValue[0];
  if (other) {
    return {
      sentence: `namespace ${other.ns.name} carries ${other.key}=${value}, under another key than ${key}`,
      remediation: fix(`${other.key}: ${value}`),
      evidence: other.ns.source.at(objectPath('metadata', 'labels', other.key), `namespace ${other.ns.name} carries ${other.key}=${value}`),
    };
  }
  const nameTypo = kube.namespaces.find((ns) => isLikelyTypo(value, ns.name));
  if (nameTypo) {
    return {
      sentence: `no namespace is named ${value}; namespace ${nameTypo.name} has a similar name`,
      remediation: fix(`${NAMESPACE_NAME_LABEL}: ${nameTypo.name}`),
      evidence: nameTypo.source.at('metadata.name', `namespace ${nameTypo.name}`),
    };
  }
  const carriers = kube.namespaces.filter((ns) => ns.labels[key] !== undefined);
  if (carriers.length > 0) {
    return {
      sentence: `namespaces carrying ${key}: ${listSome(carriers.map((ns) => `${ns.name} (${key}=${ns.labels[key]})`), 5)}`,
      remediation: `select the intended namespaces by a label they carry, or label them ${key}=${value}`,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// podSelector

function checkPodPeer(ctx: RuleContext, peer: Peer, namespaces: string[]): void {
  const kube = ctx.model.kube;
  const selector = peer.podSelector!;
  const pods: Pod[] = namespaces.flatMap((ns) => kube.podsInNamespace(ns));
  if (namespaces.some((ns) => kube.podsSelectedBy(ns, selector).length > 0)) return;
  const policy = peer.policy;
  const text = formatSelector(selector);
  const where = peer.namespaceSelector
    ? isEmptySelector(peer.namespaceSelector)
      ? 'any namespace'
      : `the namespaces its namespaceSelector ${formatSelector(peer.namespaceSelector)} selects (${listSome(namespaces, 5)})`
    : `namespace ${policy.namespace} (a podSelector alone selects pods of the policy's namespace)`;
  const sentences = [`podSelector ${text} in ${peerName(peer)} matches none of the ${plural(pods.length, 'pod')} in ${where}`];
  const equalities = Object.entries(selector.matchLabels ?? {});
  let path = objectPath(...peer.at, 'podSelector');
  const evidence: Evidence[] = [];
  let remediation = `make the podSelector match the labels of the pods meant to be allowed (kubectl get pods -A --show-labels)`;
  if (pods.length > 0 && equalities.length > 0) {
    const wanted = Object.fromEntries(equalities);
    const groups = groupByLabels(pods);
    const near = nearestLabels(groups, wanted);
    const typo = near.typos[0];
    if (typo) {
      sentences.push(`likely typo: ${plural(typo.pods.length, 'pod')} (${listSome(typo.pods.map((p) => `${p.namespace}/${p.name}`), 3)}) carry ${typo.foundKey}=${typo.foundValue} where the selector wants ${typo.key}=${typo.wanted}`);
      path = objectPath(...peer.at, 'podSelector', 'matchLabels', typo.key);
      evidence.push(typo.pods[0]!.source.at(objectPath('metadata', 'labels', typo.foundKey), `pod ${typo.pods[0]!.name} carries ${typo.foundKey}=${typo.foundValue}`));
      remediation = `fix the podSelector: it wants ${typo.key}=${typo.wanted}, the pods carry ${typo.foundKey}=${typo.foundValue}`;
    } else if (near.nearest.length > 0) {
      sentences.push(
        `nearest label sets: ${near.nearest.map((n) => `${formatLabels(displayLabels(n.labels, wanted))} on ${plural(n.pods.length, 'pod')} (misses ${n.mismatches.map((m) => `${m.key}=${m.wanted}`).join(', ')})`).join('; ')}`,
      );
    }
  } else if (pods.length === 0) {
    sentences.push(`${namespaces.length === 1 ? 'that namespace has' : 'those namespaces have'} no pods`);
  }
  if (!peer.namespaceSelector && pods.length > 0) {
    const elsewhere = kube.namespaces.map((n) => n.name).filter((ns) => ns !== policy.namespace && kube.podsSelectedBy(ns, selector).length > 0);
    if (elsewhere.length > 0) {
      sentences.push(`pods matching it run in ${listSome(elsewhere, 3)}: reaching them needs a namespaceSelector in the same peer`);
      remediation = `add namespaceSelector {matchLabels: {${NAMESPACE_NAME_LABEL}: ${elsewhere[0]}}} to this peer (same list element as the podSelector)`;
    }
  }
  sentences.push(consequence(peer));
  evidence.unshift(policy.source.at(path, `podSelector ${text} matches no pod`));
  ctx.report({
    subjects: [policy.ref],
    title: `NetworkPolicy ${policy.namespace}/${policy.name}: podSelector ${text} matches no pod`,
    message: `${sentences.join('; ')}.`,
    evidence,
    remediation,
    commands: [...commandsFor(peer), `kubectl get pods -A -l ${text}`],
    severity: pods.length === 0 ? 'info' : 'warning',
    data: { direction: peer.direction, rule: peer.rule, peer: peer.index, podSelector: selector, namespaces },
  });
}
