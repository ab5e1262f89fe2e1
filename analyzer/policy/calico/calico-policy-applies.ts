/**
 * Whether a Calico policy applies to an endpoint for a direction: the policy has that type, and
 * its selectors take the endpoint in.
 *
 * - NetworkPolicy (and Kubernetes policies): workload endpoints of its own namespace matching
 *   `selector` (and `serviceAccountSelector`).
 * - GlobalNetworkPolicy: workload endpoints of every namespace (limited by `namespaceSelector`)
 *   and host endpoints; `selector` sees `global()` true for host endpoints.
 * - preDNAT / doNotTrack policies apply to host endpoints only.
 */
import type { Labels } from '../../kube/types.js';
import type { CalicoEntity } from './calico-endpoint.js';
import { serviceAccountLabels } from './calico-endpoint.js';
import type { CalicoPolicy, CalicoPolicyType } from './calico-types.js';

export function policyApplies(policy: CalicoPolicy, endpoint: CalicoEntity, type: CalicoPolicyType, namespaceLabels: (name: string) => Labels): boolean {
  return policy.types.includes(type) && policySelects(policy, endpoint, namespaceLabels);
}

/** The selector part alone, whatever the direction. */
export function policySelects(policy: CalicoPolicy, endpoint: CalicoEntity, namespaceLabels: (name: string) => Labels): boolean {
  if (endpoint.kind === 'host') {
    // Host endpoints are non-namespaced: only global policies can select them.
    if (policy.namespace !== '' || policy.serviceAccountSelector) return false;
    if (policy.namespaceSelector && !policy.namespaceSelector.matchesNamespace(null)) return false;
    return policy.selector.matches(endpoint.labels, true);
  }
  if (endpoint.kind !== 'workload' || policy.hostEndpointsOnly) return false;
  if (policy.namespace !== '' && policy.namespace !== endpoint.namespace) return false;
  if (policy.namespaceSelector && !policy.namespaceSelector.matchesNamespace(namespaceLabels(endpoint.namespace))) return false;
  if (!policy.selector.matches(endpoint.labels, false)) return false;
  if (policy.serviceAccountSelector) {
    const serviceAccount = endpoint.pod?.serviceAccountName ?? 'default';
    if (!policy.serviceAccountSelector.matches(serviceAccountLabels(serviceAccount))) return false;
  }
  return true;
}
