import type { Evidence } from '../analyzer/bundle/source-file.js';
import { anyOf, inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { policySet } from '../analyzer/policy/policy-facet.js';
import { listSome, plural } from './lib/list-text.js';

/** What turns enforcement on, per CNI that can run without it. */
const HOW_TO_ENFORCE: Record<string, string> = {
  flannel:
    'flannel only routes pod traffic and implements no NetworkPolicy: add a policy engine beside it (Calico in policy-only mode, i.e. canal; kube-router with only its firewall; or kube-network-policies), or move to a CNI that enforces policies',
  'aws-vpc-cni': 'enable the VPC CNI network policy agent (enableNetworkPolicy: "true" in the aws-node configuration, which adds the aws-eks-nodeagent container)',
  kindnet: 'upgrade to kind v0.24 or later (kindnetd enforces NetworkPolicies from 2024-07 on), or install a policy engine',
  cilium: 'set enable-policy to default (or always) in the cilium-config ConfigMap and restart the Cilium agents',
};

/**
 * NetworkPolicies (or AdminNetworkPolicies) exist but nothing in the cluster enforces them: the
 * CNI is flannel alone, the AWS VPC CNI without its policy agent, an old kindnet, or Cilium with
 * enable-policy=never. Every policy is then decoration: traffic the team believes blocked flows.
 */
export default defineRule({
  id: 'netpol-unenforced',
  layer: 'policy',
  severity: 'warning',
  description: 'NetworkPolicies exist but the CNI does not enforce them',
  area: 'Network policies',
  requires: [inputs.networkPolicies, anyOf('CNI agents', inputs.daemonSets, inputs.pods)],
  check(ctx) {
    const model = ctx.model;
    const kube = model.kube;
    const set = policySet(model);
    const engine = set.engine;
    if (engine.kind !== 'none') {
      ctx.setCoverage('checked', engine.detected ? `policies are enforced by ${engine.cni}` : 'the CNI could not be identified; enforcement assumed');
      return;
    }
    const policies = kube.networkPolicies
      .filter((p) => ctx.inScope(p.namespace))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    const admin = [...set.admin.admin, ...set.admin.baseline];
    if (policies.length === 0 && admin.length === 0) {
      ctx.setCoverage('checked', `${engine.cni} enforces no policy, and there are no policies to enforce`);
      return;
    }

    const byNamespace = new Map<string, string[]>();
    for (const policy of policies) {
      const names = byNamespace.get(policy.namespace);
      if (names) names.push(policy.name);
      else byNamespace.set(policy.namespace, [policy.name]);
    }
    const listed = [...byNamespace].map(([ns, names]) => `${ns}: ${listSome(names, 4)}`);
    const sentences = [
      `the cluster's CNI is ${engine.cni}${engine.evidence.length > 0 ? ` (${listSome(engine.evidence.map((e) => e.note ?? e.text), 3)})` : ''}, which does not enforce NetworkPolicies`,
      ...engine.notes,
      `${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')} in ${plural(byNamespace.size, 'namespace')} (${listSome(listed, 4, '; ')}) give no protection: every flow they would deny is allowed`,
    ];
    if (admin.length > 0) sentences.push(`${plural(admin.length, '(Baseline)AdminNetworkPolicy', '(Baseline)AdminNetworkPolicies')} are not enforced either`);
    const evidence: Evidence[] = [...engine.evidence.slice(0, 3)];
    for (const policy of policies.slice(0, 5)) evidence.push(policy.source.at('spec.podSelector', `NetworkPolicy ${policy.namespace}/${policy.name} (not enforced)`));
    ctx.report({
      subjects: policies.map((p) => p.ref),
      title: `NetworkPolicies are not enforced: ${engine.cni} implements none`,
      message: `${sentences.join('; ')}.`,
      evidence,
      remediation: HOW_TO_ENFORCE[engine.cni] ?? `install a NetworkPolicy implementation for ${engine.cni}, or move to a CNI that enforces policies`,
      commands: ['kubectl get daemonsets -A', 'kubectl get networkpolicies -A', 'ls /etc/cni/net.d/ && cat /etc/cni/net.d/*'],
      data: { cni: engine.cni, policies: policies.length, adminPolicies: admin.length },
    });
  },
});
