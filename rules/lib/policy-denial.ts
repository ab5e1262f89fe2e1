/**
 * Turns a deny verdict of the policy engine into what a finding says: the policies that select
 * the endpoint of each denying direction (the destination for ingress, the source for egress),
 * why none of their rules allows the flow, and the lines that show it.
 *
 * Engines report this differently: the Kubernetes evaluator names every selecting policy as a
 * deciding deny; Calico names the end of the tier and lists the policies it walked as
 * considered; Cilium names the first enforcing policy. Both lists are read, and a Kubernetes
 * NetworkPolicy is always cited at its podSelector (what made it select the pod).
 */
import type { Evidence } from '../../analyzer/bundle/source-file.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { networkPolicyIndex, type CompiledNetworkPolicy } from '../../analyzer/policy/k8s-network-policy.js';
import type { DirectionVerdict, FlowVerdict } from '../../analyzer/policy/policy-types.js';
import { listSome } from './list-text.js';
import { policySubject } from './policy-subject.js';

export type PolicyDirection = 'ingress' | 'egress';

export interface DenyingPolicy {
  /** `NetworkPolicy/shop/default-deny`, `GlobalNetworkPolicy/x`, `CiliumNetworkPolicy/ns/x`, `Tier/default`... */
  policy: string;
  direction: PolicyDirection;
  evidence: Evidence;
  /** Why none of its rules allows the flow: `no ingress rules`, `rule 0: from: ... matches no peer (...)`. */
  why: string;
}

export interface Denial {
  directions: PolicyDirection[];
  /** Policies that select the denied endpoint and other deciding entries (an ANP); Calico's end of tier only when no policy is named. */
  policies: DenyingPolicy[];
  /** The policy objects among `policies` (tiers and profiles left out), as report subjects. */
  policyRefs: string[];
  /** One sentence per denying direction. */
  sentences: string[];
}

const NOT_OBJECTS = /^(Tier|Profile|Pod)\//;

function compiledById(model: AnalysisModel): Map<string, CompiledNetworkPolicy> {
  return model.facet('rules.network-policies-by-id', (m) => new Map(networkPolicyIndex(m).policies.map((p) => [p.id, p])));
}

/**
 * The policies behind the denying directions of `verdict`. `names` gives the text for each end
 * (`shop/frontend-6c9f` or `Deployment shop/frontend`) and for the port (`8080/TCP`).
 */
export function explainDenial(model: AnalysisModel, verdict: FlowVerdict, names: { src: string; dst: string; port: string }): Denial {
  const policies: DenyingPolicy[] = [];
  const sentences: string[] = [];
  const directions: PolicyDirection[] = [];
  for (const side of [verdict.egress, verdict.ingress]) {
    if (side.verdict !== 'deny') continue;
    directions.push(side.direction);
    const found = denyingPolicies(model, side);
    const subject = side.direction === 'ingress' ? names.dst : names.src;
    const peer = side.direction === 'ingress' ? `from ${names.src}` : `to ${names.dst}`;
    const selecting = found.filter((p) => !p.policy.startsWith('Tier/'));
    const tiers = found.filter((p) => p.policy.startsWith('Tier/'));
    // Calico's end-of-tier drop is the consequence of the selecting policies; cite them, not it.
    policies.push(...(selecting.length > 0 ? selecting : tiers));
    let sentence = `${side.direction} of ${subject} is denied`;
    if (selecting.length > 0) sentence += `: selected by ${listSome(selecting.map((p) => `${p.policy} (${p.why})`), 4, '; ')}`;
    if (tiers.length > 0) {
      sentence += selecting.length > 0 ? `; none of their rules acts, so Calico's ${tiers.map((t) => t.policy.slice('Tier/'.length)).join(', ')} tier ends in its default Deny` : `; ${tiers.map((t) => t.why).join('; ')}`;
    }
    sentence += `; nothing allows ${peer} on ${names.port}`;
    sentences.push(sentence);
  }
  const policyRefs = [...new Set(policies.map((p) => p.policy).filter((ref) => !NOT_OBJECTS.test(ref)).map(policySubject))];
  return { directions, policies, policyRefs, sentences };
}

/** The deciding and selecting policies of one denying direction, each once. */
export function denyingPolicies(model: AnalysisModel, side: DirectionVerdict): DenyingPolicy[] {
  const byRef = new Map<string, DenyingPolicy>();
  const k8s = compiledById(model);
  const cite = (ref: string, fallback: () => Evidence): Evidence => {
    const compiled = k8s.get(ref);
    return compiled ? compiled.at('spec.podSelector') : fallback();
  };
  const emptyRules = (ref: string): string | undefined => {
    const rules = k8s.get(ref)?.[side.direction];
    return rules !== undefined && rules.length === 0 ? `no ${side.direction} rules` : undefined;
  };
  for (const consideration of side.considered) {
    if (!consideration.selects || byRef.has(consideration.policy)) continue;
    const misses = consideration.misses.map((m) => `rule ${m.ruleIndex}: ${m.reason}`);
    const deciding = side.decidedBy.find((d) => d.policy === consideration.policy && d.action === 'deny');
    const why = emptyRules(consideration.policy) ?? (misses.length > 0 ? listSome(misses, 3, '; ') : (consideration.note ?? deciding?.reason ?? `no rule matches`));
    // The deciding entry points at the rules that failed; the consideration at the whole policy.
    byRef.set(consideration.policy, { policy: consideration.policy, direction: side.direction, evidence: cite(consideration.policy, () => deciding?.evidence ?? consideration.evidence), why });
  }
  for (const deciding of side.decidedBy) {
    if (deciding.action !== 'deny' || byRef.has(deciding.policy)) continue;
    byRef.set(deciding.policy, {
      policy: deciding.policy,
      direction: side.direction,
      evidence: cite(deciding.policy, () => deciding.evidence),
      why: emptyRules(deciding.policy) ?? deciding.reason,
    });
  }
  return [...byRef.values()];
}
