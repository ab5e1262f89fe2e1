import type { Evidence } from '../analyzer/bundle/source-file.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { anyOf, inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type RuleContext } from '../analyzer/engine/rule.js';
import { formatLabels, formatSelector, isEmptySelector, matchesLabelSelector } from '../analyzer/kube/label-selector.js';
import { objectPath } from '../analyzer/kube/object-path.js';
import type { LabelSelector, NetworkPolicy, Pod } from '../analyzer/kube/types.js';
import { calicoNamespaceLabels, workloadLabels, type CalicoEntity } from '../analyzer/policy/calico/calico-endpoint.js';
import { policySelects } from '../analyzer/policy/calico/calico-policy-applies.js';
import type { CalicoPolicy } from '../analyzer/policy/calico/calico-types.js';
import type { CalicoSelectorNode } from '../analyzer/policy/calico/parse-calico-selector.js';
import { identityOf } from '../analyzer/policy/cilium/cilium-identity.js';
import type { CiliumPolicy, IdentityContext } from '../analyzer/policy/cilium/cilium-types.js';
import { listSome, plural } from './lib/list-text.js';
import { displayLabels, groupByLabels, nearestLabels, type LabelSetGroup, type Mismatch } from './lib/nearest-labels.js';
import { calicoResources, ciliumResources } from './lib/policy-inputs.js';
import { policySubject } from './lib/policy-subject.js';
import { isLikelyTypo } from './lib/string-distance.js';

/** An equality requirement of a selector and the field that states it. */
interface Requirement {
  key: string;
  value: string;
  path: string;
}

/**
 * A policy whose pod selector takes in no pod: a NetworkPolicy's podSelector, a Calico policy's
 * selector, a Cilium policy's endpointSelector. Such a policy isolates nothing and allows
 * nothing, which is almost always a typo: the pods it was written for are not protected by it
 * (and, when it was an allow, whatever default-deny is in force blocks their traffic).
 */
export default defineRule({
  id: 'netpol-selects-nothing',
  layer: 'policy',
  severity: 'warning',
  description: "A network policy's pod selector matches no pods",
  area: 'Network policies',
  requires: [inputs.pods, anyOf('network policies', inputs.networkPolicies, inputs.calicoResources, inputs.ciliumResources)],
  check(ctx) {
    const model = ctx.model;
    const groups = new Map<string, LabelSetGroup[]>();
    const groupsOf = (ns: string) => {
      let found = groups.get(ns);
      if (!found) groups.set(ns, (found = groupByLabels(model.kube.podsInNamespace(ns))));
      return found;
    };
    for (const policy of model.kube.networkPolicies) {
      if (ctx.inScope(policy.namespace)) checkKubernetesPolicy(ctx, policy, groupsOf);
    }
    if (model.bundle.list('cluster/calico/').length > 0) {
      for (const policy of calicoResources(model).policies) {
        if (policy.kind !== 'KubernetesNetworkPolicy' && ctx.inScope(policy.namespace)) checkCalicoPolicy(ctx, policy, groupsOf);
      }
    }
    if (model.bundle.list('cluster/cilium/').length > 0) {
      const context = identityContext(model);
      for (const policy of ciliumResources(model).policies) {
        if (ctx.inScope(policy.namespace)) checkCiliumPolicy(ctx, policy, context, groupsOf);
      }
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Kubernetes NetworkPolicy

function checkKubernetesPolicy(ctx: RuleContext, policy: NetworkPolicy, groupsOf: (ns: string) => LabelSetGroup[]): void {
  const kube = ctx.model.kube;
  const ns = policy.namespace;
  const selector = policy.podSelector;
  const podCount = kube.podsInNamespace(ns).length;
  const commands = [`kubectl -n ${ns} get networkpolicy ${policy.name} -o yaml`, `kubectl -n ${ns} get pods --show-labels`];
  if (isEmptySelector(selector)) {
    if (podCount > 0) return;
    ctx.report({
      severity: 'info',
      subjects: [policy.ref],
      title: `NetworkPolicy ${ns}/${policy.name} applies to an empty namespace`,
      message: `podSelector {} selects every pod of namespace ${ns}, which has no pods: nothing is isolated by it yet. If the workload it protects runs in another namespace, the policy was applied to the wrong one (a NetworkPolicy only selects pods of its own namespace).`,
      evidence: [policy.source.at('spec.podSelector', 'podSelector {} (every pod of the namespace)')],
      remediation: `apply the policy in the namespace of the pods it is meant for, or delete it if namespace ${ns} is not used`,
      commands: [`kubectl get networkpolicies -A`, `kubectl -n ${ns} get pods`],
      data: { selector, podsInNamespace: 0 },
    });
    return;
  }
  if (kube.podsSelectedBy(ns, selector).length > 0) return;

  const wanted = formatSelector(selector);
  const effect = describeEffect(policy);
  if (podCount === 0) {
    ctx.report({
      subjects: [policy.ref],
      title: `NetworkPolicy ${ns}/${policy.name} selects no pods: namespace ${ns} has no pods`,
      message: `podSelector ${wanted} matches nothing because namespace ${ns} has no pods; ${effect}.`,
      evidence: [policy.source.at('spec.podSelector', `podSelector ${wanted}`)],
      remediation: `apply the policy in the namespace of the pods it is meant for (a NetworkPolicy only selects pods of its own namespace)`,
      commands: [`kubectl get pods -A -l ${wanted}`, ...commands],
      data: { selector, podsInNamespace: 0 },
    });
    return;
  }

  const requirements = kubernetesRequirements(selector);
  const near = describeNearest(groupsOf(ns), requirements, `namespace ${ns}`);
  const evidence: Evidence[] = [near.selectorPath ? policy.source.at(near.selectorPath, near.selectorNote) : policy.source.at('spec.podSelector', `podSelector ${wanted}`)];
  if (near.pod) evidence.push(near.pod);
  ctx.report({
    subjects: [policy.ref],
    title: `NetworkPolicy ${ns}/${policy.name} selects no pods`,
    message: `podSelector ${wanted} matches none of the ${plural(podCount, 'pod')} in namespace ${ns}, so ${effect}; ${near.sentences.join('; ')}.`,
    evidence,
    remediation: near.remediation ?? `make spec.podSelector match the labels of the pods the policy is meant for (kubectl -n ${ns} get pods --show-labels)`,
    commands: [`kubectl -n ${ns} get pods -l ${wanted}`, ...commands],
    data: { selector, podsInNamespace: podCount, typos: near.typos, nearest: near.nearest },
  });
}

/** What the policy fails to do, from its policyTypes and rules. */
function describeEffect(policy: NetworkPolicy): string {
  const types = policy.effectivePolicyTypes;
  const parts: string[] = [];
  for (const type of types) {
    const rules = (type === 'Ingress' ? policy.ingress : policy.egress) ?? [];
    const direction = type.toLowerCase();
    parts.push(rules.length === 0 ? `the ${direction} default-deny it declares isolates nothing` : `its ${plural(rules.length, `${direction} rule`)} allow nothing`);
  }
  return parts.length > 0 ? `the policy has no effect (${parts.join(', ')})` : 'the policy has no effect';
}

/** matchLabels, and In requirements with one value, as equalities with their field paths. */
function kubernetesRequirements(selector: LabelSelector): Requirement[] {
  const out: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) out.push({ key, value, path: objectPath('spec', 'podSelector', 'matchLabels', key) });
  (selector.matchExpressions ?? []).forEach((expression, i) => {
    if (expression.operator === 'In' && expression.values?.length === 1) out.push({ key: expression.key, value: expression.values[0]!, path: `spec.podSelector.matchExpressions[${i}]` });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Calico

function checkCalicoPolicy(ctx: RuleContext, policy: CalicoPolicy, groupsOf: (ns: string) => LabelSetGroup[]): void {
  const model = ctx.model;
  const kube = model.kube;
  const selectorText = policy.selector.text || 'all()';
  const namespaceOf = (name: string) => kube.namespace(name);
  const nsLabels = (name: string) => calicoNamespaceLabels(name, namespaceOf);
  const global = policy.namespace === '';
  const pods = global ? kube.pods : kube.podsInNamespace(policy.namespace);
  if (!global && pods.length === 0 && isAll(policy)) return;

  const workload = (pod: Pod): CalicoEntity => ({ kind: 'workload', ref: pod.ref, namespace: pod.namespace, labels: workloadLabels(pod, namespaceOf), pod });
  if (!policy.hostEndpointsOnly && pods.some((pod) => !pod.hostNetwork && policySelects(policy, workload(pod), nsLabels))) return;
  if (global) {
    const hosts = calicoResources(model).hostEndpoints;
    if (hosts.some((h) => policySelects(policy, { kind: 'host', ref: h.ref, namespace: '', labels: h.labels, hostEndpoint: h }, nsLabels))) return;
  }

  const scope = global
    ? `${policy.hostEndpointsOnly ? 'host endpoints' : `pods of ${policy.namespaceSelector ? `the namespaces matching ${policy.namespaceSelector.text}` : 'any namespace'} or host endpoints`}`
    : `namespace ${policy.namespace}`;
  const sentences: string[] = [];
  let remediation: string | undefined;
  let pod: Evidence | undefined;
  const requirements = 'ast' in policy.selector ? calicoEqualities(policy.selector.ast as CalicoSelectorNode) : [];
  if (!global && requirements.length > 0 && pods.length > 0) {
    const near = describeNearest(groupsOf(policy.namespace), requirements, scope);
    sentences.push(...near.sentences);
    remediation = near.remediation;
    pod = near.pod;
  }
  const evidence: Evidence[] = [policy.source.at('spec.selector', `selector ${selectorText}`)];
  if (pod) evidence.push(pod);
  const name = global ? policy.name : `${policy.namespace}/${policy.name}`;
  ctx.report({
    subjects: [policySubject(policy.ref)],
    title: `Calico ${policy.kind} ${name} selects no endpoints`,
    message: `selector ${selectorText} matches none of the ${scope}${global ? '' : ` (${plural(pods.length, 'pod')})`}, so the policy (tier ${policy.tier}) applies to nothing${sentences.length > 0 ? `; ${sentences.join('; ')}` : ''}.`,
    evidence,
    remediation: remediation ?? `make spec.selector match the labels of the endpoints the policy is meant for; Calico selectors compare exact label values (app == 'cart')`,
    commands: [
      global ? `calicoctl get globalnetworkpolicy ${policy.name} -o yaml` : `calicoctl get networkpolicy -n ${policy.namespace} ${policy.name} -o yaml`,
      global ? 'kubectl get pods -A --show-labels' : `kubectl -n ${policy.namespace} get pods --show-labels`,
    ],
    data: { selector: selectorText, tier: policy.tier },
  });
}

function isAll(policy: CalicoPolicy): boolean {
  return 'selectsAll' in policy.selector && policy.selector.selectsAll === true;
}

/** `key == 'value'` terms of a selector's top-level conjunction. */
function calicoEqualities(ast: CalicoSelectorNode): Requirement[] {
  if (ast.op === 'eq') return [{ key: ast.key, value: ast.value, path: 'spec.selector' }];
  if (ast.op === 'in' && ast.values.length === 1) return [{ key: ast.key, value: ast.values[0]!, path: 'spec.selector' }];
  if (ast.op === 'and') return ast.operands.flatMap(calicoEqualities);
  return [];
}

// ---------------------------------------------------------------------------------------------
// Cilium

function identityContext(model: AnalysisModel): IdentityContext {
  const kube = model.kube;
  const config = kube.configMap('kube-system', 'cilium-config') ?? kube.configMaps.find((c) => c.name === 'cilium-config');
  return { namespaceOf: (name) => kube.namespace(name), clusterName: config?.data['cluster-name'] || 'default', apiServerIPs: new Set() };
}

function checkCiliumPolicy(ctx: RuleContext, policy: CiliumPolicy, context: IdentityContext, groupsOf: (ns: string) => LabelSetGroup[]): void {
  if (policy.kind === 'NetworkPolicy' || policy.rules.length === 0) return;
  const kube = ctx.model.kube;
  const clusterwide = policy.namespace === '';
  const pods = (clusterwide ? kube.pods : kube.podsInNamespace(policy.namespace)).filter((p) => !p.hostNetwork && p.podIPs.length > 0);
  for (const rule of policy.rules) {
    if (rule.nodeSelector) {
      if (kube.nodes.length === 0 || kube.nodes.some((node) => matchesLabelSelector(node.labels, rule.nodeSelector!))) return;
      continue;
    }
    const selector = rule.endpointSelector;
    if (!selector) return;
    if (pods.some((pod) => selector.matches(identityOf({ kind: 'pod', pod, ip: pod.podIPs[0]! }, pod.nodeName, context)))) return;
  }
  // `endpointSelector: {}` in a namespace without pods: nothing to select yet (as for podSelector {}).
  if (!clusterwide && pods.length === 0 && policy.rules.every((r) => r.endpointSelector?.text.startsWith('<all>'))) return;

  const first = policy.rules[0]!;
  const what = first.nodeSelector ? 'nodeSelector' : 'endpointSelector';
  const selectors = policy.rules.map((r) => (r.nodeSelector ? formatSelector(r.nodeSelector) : (r.endpointSelector?.text ?? '<none>')));
  const scope = clusterwide ? 'the cluster' : `namespace ${policy.namespace}`;
  const largest = clusterwide ? [] : [...groupsOf(policy.namespace)].sort((a, b) => b.pods.length - a.pods.length).slice(0, 3);
  const present = largest.length > 0 ? `; pods there carry ${largest.map((g) => `${formatLabels(displayLabels(g.labels, {})) || '(no labels)'} (${plural(g.pods.length, 'pod')})`).join(', ')}` : '';
  ctx.report({
    subjects: [policy.ref],
    title: `${policy.kind} ${clusterwide ? policy.name : `${policy.namespace}/${policy.name}`} selects no endpoints`,
    message: `${what} ${selectors.join(' / ')} matches no ${first.nodeSelector ? 'node' : `endpoint in ${scope}`} (${plural(first.nodeSelector ? kube.nodes.length : pods.length, first.nodeSelector ? 'node' : 'pod')}), so the policy puts nothing in default deny and allows nothing${present}.`,
    evidence: [policy.source.at(`${first.path}.${what}`, `${what} ${selectors[0]}`)],
    remediation: `make the ${what} match the labels of the pods the policy is meant for; Cilium matches pod labels with the k8s: source (k8s:app=cart) and scopes a CiliumNetworkPolicy to its own namespace`,
    commands: [
      clusterwide ? `kubectl get ciliumclusterwidenetworkpolicy ${policy.name} -o yaml` : `kubectl -n ${policy.namespace} get ciliumnetworkpolicy ${policy.name} -o yaml`,
      'kubectl -n kube-system exec ds/cilium -- cilium-dbg endpoint list',
    ],
    data: { selectors },
  });
}

// ---------------------------------------------------------------------------------------------
// Nearest label sets (shared)

interface NearestText {
  sentences: string[];
  selectorPath?: string;
  selectorNote?: string;
  pod?: Evidence;
  remediation?: string;
  typos: { key: string; wanted: string; foundKey: string; foundValue: string; pods: string[] }[];
  nearest: { labels: Record<string, string>; pods: string[]; mismatches: Mismatch[] }[];
}

function describeNearest(groups: LabelSetGroup[], requirements: Requirement[], where: string): NearestText {
  const selector = Object.fromEntries(requirements.map((r) => [r.key, r.value]));
  const near = nearestLabels(groups, selector);
  const out: NearestText = {
    sentences: [],
    typos: near.typos.map((t) => ({ key: t.key, wanted: t.wanted, foundKey: t.foundKey, foundValue: t.foundValue, pods: t.pods.map((p) => p.ref) })),
    nearest: near.nearest.map((n) => ({ labels: displayLabels(n.labels, selector), pods: n.pods.map((p) => p.ref), mismatches: n.mismatches })),
  };
  const typo = near.typos[0];
  if (typo) {
    for (const t of near.typos.slice(0, 3)) {
      out.sentences.push(`likely typo: ${plural(t.pods.length, 'pod')} (${listSome(t.pods.map((p) => p.name), 3)}) ${t.pods.length === 1 ? 'carries' : 'carry'} ${t.foundKey}=${t.foundValue} where the selector wants ${t.key}=${t.wanted}`);
    }
    const requirement = requirements.find((r) => r.key === typo.key)!;
    out.selectorPath = requirement.path;
    out.selectorNote = `selector wants ${typo.key}=${typo.wanted}`;
    out.pod = podLabelEvidence(typo.pods[0]!, typo.foundKey, `pod ${typo.pods[0]!.name} carries ${typo.foundKey}=${typo.foundValue}`);
    out.remediation = `fix the selector so it matches the pods: it wants ${typo.key}=${typo.wanted}, the pods carry ${typo.foundKey}=${typo.foundValue}`;
  } else {
    const missing = requirements.find((r) => !groups.some((g) => g.labels[r.key] === r.value));
    if (missing) {
      out.selectorPath = missing.path;
      out.selectorNote = `no pod in ${where} carries ${missing.key}=${missing.value}`;
    }
  }
  if (near.nearest.length > 0) {
    const described = near.nearest.map((n) => `${formatLabels(displayLabels(n.labels, selector))} on ${plural(n.pods.length, 'pod')} (${listSome(n.pods.map((p) => p.name), 3)}; misses ${n.mismatches.map(describeMismatch).join(', ')})`);
    out.sentences.push(`nearest label sets: ${described.join('; ')}`);
    const best = near.nearest[0]!;
    const miss = best.mismatches[0];
    if (!typo && miss) out.pod = podLabelEvidence(best.pods[0]!, miss.found !== undefined ? miss.key : undefined, miss.found !== undefined ? `pod ${best.pods[0]!.name} carries ${miss.key}=${miss.found}` : `pod ${best.pods[0]!.name} has no label ${miss.key}`);
  } else if (!typo) {
    const largest = [...groups].sort((a, b) => b.pods.length - a.pods.length).slice(0, 3);
    out.sentences.push(`no pod carries any of the wanted labels; pods there carry ${largest.map((g) => `${formatLabels(displayLabels(g.labels, selector)) || '(no labels)'} (${plural(g.pods.length, 'pod')})`).join(', ')}`);
  }
  return out;
}

function podLabelEvidence(pod: Pod, key: string | undefined, note: string): Evidence {
  return pod.source.at(key !== undefined ? objectPath('metadata', 'labels', key) : 'metadata.labels', note);
}

function describeMismatch(m: Mismatch): string {
  return m.found === undefined ? `${m.key}=${m.wanted} (no ${m.key} label)` : `${m.key}=${m.wanted} (has ${m.found}${isLikelyTypo(m.wanted, m.found) ? ', likely typo' : ''})`;
}
