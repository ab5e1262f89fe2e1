/**
 * The Calico policies in force, indexed for evaluation: projectcalico.org NetworkPolicies and
 * GlobalNetworkPolicies plus the Kubernetes NetworkPolicies as Calico converts them
 * (`knp.default.<name>`, default tier, order 1000), sorted in evaluation order and grouped by
 * namespace so that a flow only looks at the policies that can apply to its endpoints.
 *
 * Evaluation order (tier reference, "Get started with policy tiers"): tiers by ascending
 * `order`, a tier without order last; the default tier has the fixed order 1,000,000, the
 * `adminnetworkpolicy` tier 1,000 and `baselineadminnetworkpolicy` 10,000,000. Within a tier,
 * policies by ascending `order` (absent = last), then by name.
 *
 * Built once per (resources, Kubernetes policies) pair and cached.
 */
import type { NetworkPolicy, ObjectSource } from '../../kube/types.js';
import type { CalicoPolicy, CalicoResources } from './calico-types.js';
import { kubernetesPolicyAsCalico } from './kubernetes-policy-as-calico.js';

export interface CalicoTierInfo {
  name: string;
  order: number;
  defaultAction: 'Deny' | 'Pass';
  /** The Tier object, when the bundle has it. */
  source?: ObjectSource;
}

export interface CalicoPolicySet {
  tier(name: string): CalicoTierInfo;
  /** The policies that may apply to endpoints of `namespace` ('' for host endpoints), in evaluation order. */
  candidates(namespace: string): readonly CalicoPolicy[];
  /** Every policy in force, in evaluation order. */
  all: readonly CalicoPolicy[];
  /** Things the user should know about the set (staged policies ignored, tiers not collected). */
  notes: readonly string[];
}

/** Tiers Calico creates itself, with their fixed orders. */
const BUILT_IN_TIERS: Record<string, { order: number; defaultAction: 'Deny' | 'Pass' }> = {
  default: { order: 1_000_000, defaultAction: 'Deny' },
  adminnetworkpolicy: { order: 1_000, defaultAction: 'Pass' },
  baselineadminnetworkpolicy: { order: 10_000_000, defaultAction: 'Pass' },
};

const cache = new WeakMap<CalicoResources, WeakMap<readonly NetworkPolicy[], CalicoPolicySet>>();

export function calicoPolicySet(resources: CalicoResources, kubernetesPolicies: readonly NetworkPolicy[]): CalicoPolicySet {
  let byPolicies = cache.get(resources);
  if (!byPolicies) {
    byPolicies = new WeakMap();
    cache.set(resources, byPolicies);
  }
  let set = byPolicies.get(kubernetesPolicies);
  if (!set) {
    set = buildPolicySet(resources, kubernetesPolicies);
    byPolicies.set(kubernetesPolicies, set);
  }
  return set;
}

function buildPolicySet(resources: CalicoResources, kubernetesPolicies: readonly NetworkPolicy[]): CalicoPolicySet {
  const notes: string[] = [];
  const tiers = new Map<string, CalicoTierInfo>();
  for (const [name, builtIn] of Object.entries(BUILT_IN_TIERS)) tiers.set(name, { name, ...builtIn });
  for (const tier of resources.tiers) {
    // The default tier's order is fixed whatever the object says.
    const order = tier.name === 'default' ? 1_000_000 : tier.order;
    tiers.set(tier.name, { name: tier.name, order, defaultAction: tier.defaultAction, source: tier.source });
  }

  // The model's Kubernetes policies win over Calico's `knp.default.*` view of the same object
  // and over networking.k8s.io objects found among the Calico files.
  const policies: CalicoPolicy[] = [];
  const kubernetesRefs = new Set<string>();
  for (const policy of [...kubernetesPolicies, ...resources.kubernetesPolicies]) {
    if (kubernetesRefs.has(policy.ref)) continue;
    kubernetesRefs.add(policy.ref);
    policies.push(kubernetesPolicyAsCalico(policy));
  }
  for (const policy of resources.policies) {
    if (policy.kind === 'KubernetesNetworkPolicy' && kubernetesRefs.has(policy.ref)) continue;
    policies.push(policy);
  }

  const unknownTiers = new Set<string>();
  for (const policy of policies) {
    if (tiers.has(policy.tier)) continue;
    unknownTiers.add(policy.tier);
    tiers.set(policy.tier, { name: policy.tier, order: Infinity, defaultAction: 'Deny' });
  }
  if (unknownTiers.size > 0) {
    const why = resources.collected.has('tiers') ? 'not in tiers.json' : 'tiers were not collected';
    notes.push(`tier(s) ${[...unknownTiers].sort().join(', ')} ${why}: ordered last, with the default action Deny`);
  }
  if (resources.staged.length > 0) {
    notes.push(`${resources.staged.length} staged polic${resources.staged.length === 1 ? 'y is' : 'ies are'} ignored: staged policies are not enforced`);
  }

  const tierOf = (name: string) => tiers.get(name)!;
  policies.sort((a, b) => compareTiers(tierOf(a.tier), tierOf(b.tier)) || compareOrder(a.order, b.order) || compareNames(a.name, b.name));

  const byNamespace = new Map<string, CalicoPolicy[]>();
  const global: CalicoPolicy[] = [];
  for (const policy of policies) {
    if (policy.namespace === '') {
      global.push(policy);
      continue;
    }
    let list = byNamespace.get(policy.namespace);
    if (!list) byNamespace.set(policy.namespace, (list = []));
    list.push(policy);
  }
  const merged = new Map<string, readonly CalicoPolicy[]>();
  const position = new Map(policies.map((p, i) => [p, i]));

  return {
    tier: tierOf,
    all: policies,
    notes,
    candidates(namespace: string): readonly CalicoPolicy[] {
      const local = namespace === '' ? undefined : byNamespace.get(namespace);
      if (!local) return global;
      let list = merged.get(namespace);
      if (!list) {
        list = [...local, ...global].sort((a, b) => position.get(a)! - position.get(b)!);
        merged.set(namespace, list);
      }
      return list;
    },
  };
}

function compareOrder(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTiers(a: { name: string; order: number }, b: { name: string; order: number }): number {
  return compareOrder(a.order, b.order) || compareNames(a.name, b.name);
}
