/**
 * networking.k8s.io/v1 NetworkPolicies. The rules stay as written (`ingress`, `egress`, and
 * `raw`) for the policy engine; what is lifted here is what selects the pods and the
 * directions the policy isolates.
 */
import { asArray, asLabelSelector, asStringArray, objectOrEmpty, type JsonObject } from './object-fields.js';
import { withMeta } from './object-meta.js';
import type { NetworkPolicy, ObjectMeta } from './types.js';

export function toNetworkPolicy(meta: ObjectMeta, object: JsonObject): NetworkPolicy {
  const spec = objectOrEmpty(object.spec);
  return withMeta(meta, {
    // podSelector is required and `{}` (all pods of the namespace) when empty.
    podSelector: asLabelSelector(spec.podSelector) ?? {},
    policyTypes: Array.isArray(spec.policyTypes) ? asStringArray(spec.policyTypes) : undefined,
    effectivePolicyTypes: effectivePolicyTypes(spec),
    ingress: Array.isArray(spec.ingress) ? spec.ingress : undefined,
    egress: Array.isArray(spec.egress) ? spec.egress : undefined,
  });
}

/**
 * The API server's defaulting of spec.policyTypes: kept when given; otherwise Ingress always,
 * and Egress when the policy has egress rules.
 */
export function effectivePolicyTypes(spec: JsonObject): ('Ingress' | 'Egress')[] {
  const written = asStringArray(spec.policyTypes);
  if (written.length > 0) {
    const types: ('Ingress' | 'Egress')[] = [];
    if (written.includes('Ingress')) types.push('Ingress');
    if (written.includes('Egress')) types.push('Egress');
    return types;
  }
  return asArray(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}
