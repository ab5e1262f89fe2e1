/**
 * The compiled policy set as one model facet, so that rules, the CLI and the benchmark share a
 * single compilation: the enforcing engine, the NetworkPolicy index, and the
 * AdminNetworkPolicy tiers. Each part is its own facet (built on first use); this one ties them
 * together and is what callers should ask for.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { adminPolicySet, type AdminPolicySet } from './admin-network-policy.js';
import { policyEngine, type PolicyEngine } from './detect-policy-engine.js';
import { networkPolicyIndex, type NetworkPolicyIndex } from './k8s-network-policy.js';

export interface PolicySet {
  engine: PolicyEngine;
  kubernetes: NetworkPolicyIndex;
  admin: AdminPolicySet;
}

export const POLICY_FACET = 'policy.set';

export function policySet(model: AnalysisModel): PolicySet {
  return model.facet(POLICY_FACET, (m) => ({
    engine: policyEngine(m),
    kubernetes: networkPolicyIndex(m),
    admin: adminPolicySet(m),
  }));
}
