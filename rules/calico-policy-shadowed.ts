import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { findShadowedCalicoAllows } from '../analyzer/policy/calico/calico-shadowing.js';
import { policySet } from '../analyzer/policy/policy-facet.js';
import { calicoResources } from './lib/policy-inputs.js';
import { policySubject } from './lib/policy-subject.js';

/**
 * A Calico Allow rule that never acts: an earlier Deny (lower tier or order) matches everything
 * it matches on every pod it applies to, or an earlier tier's implicit end-of-tier drop takes
 * that traffic first. The shadowing analysis (calico-shadowing.ts) claims only pairs it can
 * prove on the bundle's pods; Kubernetes NetworkPolicies take part as Calico renders them
 * (default tier, order 1000).
 */
export default defineRule({
  id: 'calico-policy-shadowed',
  layer: 'policy',
  severity: 'warning',
  description: 'A Calico policy with lower order denies what a later one allows',
  area: 'Network policies',
  requires: [inputs.pods],
  optional: [inputs.calicoResources, inputs.networkPolicies, inputs.namespaces],
  check(ctx) {
    const model = ctx.model;
    const engine = policySet(model).engine;
    const hasResources = model.bundle.list('cluster/calico/').length > 0;
    if (!hasResources && engine.kind !== 'calico') {
      ctx.setCoverage('checked', `no Calico policy resources, and the CNI is ${engine.cni}: nothing to compare`);
      return;
    }
    if (!hasResources) {
      ctx.setCoverage('checked', 'only Kubernetes NetworkPolicies (Calico puts them all in its default tier, and they have no Deny rules): none can shadow another');
      return;
    }
    const kube = model.kube;
    const found = findShadowedCalicoAllows({
      resources: calicoResources(model),
      k8sPolicies: kube.networkPolicies,
      pods: kube.pods,
      namespaceOf: (name) => kube.namespace(name),
    });
    for (const shadow of found) {
      const shadowedNs = namespaceOfRef(shadow.shadowed.policy);
      if (!ctx.inScope(shadowedNs)) continue;
      const what = shadow.kind === 'deny-rule' ? `${shadow.shadowing.policy} rule ${shadow.shadowing.ruleIndex}` : `the end-of-tier drop of ${shadow.shadowing.policy.slice('Tier/'.length)}`;
      const enforcedNote = engine.kind === 'calico' ? '' : ` (the cluster's CNI was identified as ${engine.cni}: these policies are in force only where Calico enforces them)`;
      ctx.report({
        subjects: [policySubject(shadow.shadowed.policy), policySubject(shadow.shadowing.policy)],
        title: `${shadow.shadowed.policy} ${shadow.direction} rule ${shadow.shadowed.ruleIndex} is shadowed by ${what}`,
        message: `${shadow.reason}; the ${shadow.direction} it was written to allow is dropped by ${what} instead${enforcedNote}.`,
        evidence: [
          { ...shadow.shadowed.evidence, note: `Allow rule ${shadow.shadowed.ruleIndex} (never acts)` },
          { ...shadow.shadowing.evidence, note: shadow.kind === 'deny-rule' ? `Deny rule ${shadow.shadowing.ruleIndex}, evaluated first` : 'tier whose implicit drop comes first' },
        ],
        remediation:
          shadow.kind === 'deny-rule'
            ? `evaluate the Allow first: give its policy a lower order than ${shadow.shadowing.policy} (or move it to an earlier tier), or add an Allow (or Pass) for this traffic before the Deny rule`
            : `let the traffic leave the earlier tier: add a Pass rule for it (or set the tier's defaultAction to Pass), or move the Allow into that tier`,
        commands: ['calicoctl get tiers -o wide', 'calicoctl get globalnetworkpolicies -o wide', 'calicoctl get networkpolicies -A -o wide'],
        data: { direction: shadow.direction, kind: shadow.kind, shadowed: { policy: shadow.shadowed.policy, rule: shadow.shadowed.ruleIndex }, shadowing: { policy: shadow.shadowing.policy, rule: shadow.shadowing.ruleIndex }, pods: shadow.pods },
      });
    }
  },
});

/** `NetworkPolicy.projectcalico.org/<ns>/<name>` → ns; cluster-scoped refs → ''. */
function namespaceOfRef(ref: string): string {
  const parts = ref.split('/');
  return parts.length >= 3 ? parts[1]! : '';
}
