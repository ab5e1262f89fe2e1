/**
 * Which evaluator judges a direction under the cluster's engine: the point where the Calico and
 * Cilium evaluators plug in.
 *
 * - iptables-style CNIs (and an unidentified CNI): Kubernetes NetworkPolicy semantics.
 * - Calico: `evaluateCalicoDirection`, which walks Calico's tiers with the Kubernetes policies
 *   rendered as `knp.default.*` in the default tier, then the profiles.
 * - Cilium: `evaluateCiliumDirection`, which merges CiliumNetworkPolicies, clusterwide policies
 *   and the Kubernetes policies per endpoint (deny rules first, identities instead of pod IPs).
 *
 * Their inputs (the resources of policy-resources.ts, shared with the policy rules, and
 * cilium-config) are read once per model.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { KubeModel } from '../kube/types.js';
import { evaluateCalicoDirection } from './calico/evaluate-calico.js';
import { evaluateCiliumDirection, type CiliumDirectionInput } from './cilium/evaluate-cilium.js';
import type { PolicyEngine } from './detect-policy-engine.js';
import { evaluateKubernetesDirection } from './k8s-network-policy.js';
import { calicoResources, ciliumResources } from './policy-resources.js';
import type { DirectionEvaluator } from './policy-types.js';

export const CALICO_EVALUATOR_FACET = 'policy.calico-evaluator';
export const CILIUM_EVALUATOR_FACET = 'policy.cilium-evaluator';

/** Calico's evaluator over `cluster/calico/*`, read once. */
function calicoEvaluator(model: AnalysisModel): DirectionEvaluator {
  return model.facet(CALICO_EVALUATOR_FACET, (m): DirectionEvaluator => {
    const resources = calicoResources(m);
    const kube = m.kube;
    const serviceBackends = (namespace: string, name: string) => {
      const service = kube.service(namespace, name);
      return service ? kube.podsOfService(service) : undefined;
    };
    return ({ flow, direction }) =>
      evaluateCalicoDirection({ direction, flow, resources, k8sPolicies: kube.networkPolicies, namespaceOf: kube.namespace, serviceBackends });
  });
}

/** Cilium's evaluator over `cluster/cilium/*` and cilium-config, read once. */
function ciliumEvaluator(model: AnalysisModel): DirectionEvaluator {
  return model.facet(CILIUM_EVALUATOR_FACET, (m): DirectionEvaluator => {
    const resources = ciliumResources(m);
    const kube = m.kube;
    const config = kube.configMap('kube-system', 'cilium-config') ?? kube.configMaps.find((c) => c.name === 'cilium-config');
    const mode = config?.data['enable-policy'];
    const base: Omit<CiliumDirectionInput, 'direction' | 'flow'> = {
      resources,
      k8sPolicies: kube.networkPolicies,
      namespaceOf: kube.namespace,
      enforcementMode: mode === 'always' || mode === 'never' ? mode : 'default',
      apiServerIPs: apiServerAddresses(kube),
    };
    const clusterName = config?.data['cluster-name'];
    if (clusterName) base.clusterName = clusterName;
    return ({ flow, direction }) => evaluateCiliumDirection({ ...base, direction, flow });
  });
}

/** The API server's addresses: the endpoints of the `default/kubernetes` Service. */
function apiServerAddresses(kube: KubeModel): string[] {
  const service = kube.service('default', 'kubernetes');
  if (!service) return [];
  const addresses = new Set<string>();
  for (const slice of kube.slicesOf(service)) for (const endpoint of slice.endpoints) for (const ip of endpoint.addresses) addresses.add(ip);
  for (const subset of kube.endpointsOf(service)?.subsets ?? []) for (const address of subset.addresses) addresses.add(address.ip);
  return [...addresses];
}

export function directionEvaluator(model: AnalysisModel, engine: PolicyEngine): DirectionEvaluator {
  const kubernetes: DirectionEvaluator = (request) => evaluateKubernetesDirection(request, engine.semantics);
  switch (engine.kind) {
    case 'calico':
      return calicoEvaluator(model);
    case 'cilium':
      return ciliumEvaluator(model);
    default:
      return kubernetes;
  }
}
