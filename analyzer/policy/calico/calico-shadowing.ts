/**
 * Calico Allow rules that never act because something earlier in Calico's order takes all of
 * their traffic first (rule `calico-policy-shadowed`):
 *
 * - `deny-rule`: an earlier policy, applying to every pod the later policy applies to, has a
 *   Deny rule matching everything the Allow matches, and no Allow/Pass before that Deny can
 *   take part of the traffic;
 * - `end-of-tier`: an earlier tier with default action Deny applies to every such pod, and none
 *   of its policies' Allow/Pass rules can match the Allow's traffic: the tier's implicit drop
 *   takes it all.
 *
 * "Every pod" and "matches everything" are judged on the bundle's pods and network sets:
 * selectors are compared by the resources they select, CIDRs and port ranges by containment.
 * A rule with criteria this cannot compare (notSelector, notNets, notPorts, source ports,
 * services, service accounts, HTTP) is never claimed to shadow: only certain pairs are reported.
 */
import type { Evidence } from '../../bundle/source-file.js';
import type { Labels, Namespace, NetworkPolicy, Pod } from '../../kube/types.js';
import type { Cidr } from '../../netfilter/ip-cidr.js';
import { calicoNamespaceLabels, workloadLabels, type CalicoEntity } from './calico-endpoint.js';
import { policyApplies } from './calico-policy-applies.js';
import { calicoPolicySet, type CalicoPolicySet, type CalicoTierInfo } from './calico-policy-set.js';
import type { CalicoEntityRule, CalicoPolicy, CalicoPolicyType, CalicoPort, CalicoResources, CalicoRule } from './calico-types.js';

export interface ShadowedAllow {
  direction: 'ingress' | 'egress';
  kind: 'deny-rule' | 'end-of-tier';
  /** The earlier Deny rule, or the earlier tier (`Tier/<name>`, ruleIndex null). */
  shadowing: { policy: string; ruleIndex: number | null; evidence: Evidence };
  /** The Allow rule that never acts. */
  shadowed: { policy: string; ruleIndex: number; evidence: Evidence };
  /** Pods the shadowed policy applies to (all covered by the shadowing one). */
  pods: number;
  reason: string;
}

export interface ShadowingInput {
  resources: CalicoResources;
  k8sPolicies: readonly NetworkPolicy[];
  pods: readonly Pod[];
  namespaceOf: (name: string) => Namespace | undefined;
}

export function findShadowedCalicoAllows(input: ShadowingInput): ShadowedAllow[] {
  return new ShadowFinder(input).run();
}

class ShadowFinder {
  private readonly nsLabels = new Map<string, Labels>();
  private readonly workloads: CalicoEntity[];
  private readonly workloadsByNamespace = new Map<string, CalicoEntity[]>();
  private readonly networkSets: CalicoEntity[];
  /** Every labelled resource a rule selector can match, to compare selectors by what they select. */
  private readonly selectables: CalicoEntity[];
  private readonly set: CalicoPolicySet;
  private readonly podsOf = new Map<CalicoPolicy, Map<CalicoPolicyType, Set<CalicoEntity>>>();
  private readonly selected = new Map<string, Set<CalicoEntity>>();

  constructor(private readonly input: ShadowingInput) {
    this.set = calicoPolicySet(input.resources, input.k8sPolicies);
    this.workloads = input.pods.map((pod) => ({ kind: 'workload', ref: pod.ref, namespace: pod.namespace, labels: workloadLabels(pod, input.namespaceOf), pod }));
    for (const workload of this.workloads) {
      const list = this.workloadsByNamespace.get(workload.namespace);
      if (list) list.push(workload);
      else this.workloadsByNamespace.set(workload.namespace, [workload]);
    }
    this.networkSets = input.resources.networkSets.map((s): CalicoEntity => ({ kind: 'networkset', ref: s.ref, namespace: s.namespace, labels: s.labels }));
    const hosts = input.resources.hostEndpoints.map((h): CalicoEntity => ({ kind: 'host', ref: h.ref, namespace: '', labels: h.labels, hostEndpoint: h }));
    this.selectables = [...this.workloads, ...this.networkSets, ...hosts];
  }

  private namespaceLabels = (name: string): Labels => {
    let labels = this.nsLabels.get(name);
    if (!labels) this.nsLabels.set(name, (labels = calicoNamespaceLabels(name, this.input.namespaceOf)));
    return labels;
  };

  run(): ShadowedAllow[] {
    const found: ShadowedAllow[] = [];
    const policies = this.set.all;
    for (const direction of ['ingress', 'egress'] as const) {
      const type: CalicoPolicyType = direction === 'ingress' ? 'Ingress' : 'Egress';
      policies.forEach((later, j) => {
        const pods = this.podsApplying(later, type);
        if (pods.size === 0) return;
        for (const index of allowRuleIndexes(later, direction)) {
          const expanded = later[direction].filter((r) => r.index === index);
          const shadow = this.byDenyRule(j, later, type, direction, pods, expanded) ?? this.byEndOfTier(later, type, direction, pods, expanded);
          if (!shadow) continue;
          found.push({
            direction,
            kind: shadow.kind,
            shadowing: shadow.shadowing,
            shadowed: { policy: later.ref, ruleIndex: index, evidence: later.source.at(expanded[0]!.path) },
            pods: pods.size,
            reason: `${shadow.what} before ${later.ref} (${describe(later)}) rule ${index} can allow any of it, on all ${pods.size} pod(s) that policy applies to: the Allow never acts`,
          });
        }
      });
    }
    return found;
  }

  private podsApplying(policy: CalicoPolicy, type: CalicoPolicyType): Set<CalicoEntity> {
    let byType = this.podsOf.get(policy);
    if (!byType) this.podsOf.set(policy, (byType = new Map()));
    let pods = byType.get(type);
    if (!pods) {
      const candidates = policy.namespace === '' ? this.workloads : (this.workloadsByNamespace.get(policy.namespace) ?? []);
      pods = new Set(candidates.filter((w) => policyApplies(policy, w, type, this.namespaceLabels)));
      byType.set(type, pods);
    }
    return pods;
  }

  private byDenyRule(laterIndex: number, later: CalicoPolicy, type: CalicoPolicyType, direction: 'ingress' | 'egress', pods: Set<CalicoEntity>, allows: readonly CalicoRule[]) {
    const policies = this.set.all;
    for (let i = 0; i < laterIndex; i++) {
      const policy = policies[i]!;
      const rules = policy[direction];
      if (!rules.some((r) => r.action === 'Deny')) continue;
      if (!isSubset(pods, this.podsApplying(policy, type))) continue;
      for (const [k, rule] of rules.entries()) {
        if (rule.action !== 'Deny') continue;
        const before = rules.slice(0, k).filter((r) => r.action === 'Allow' || r.action === 'Pass');
        const covered = allows.every((allow) => this.covers(rule, policy, allow, later) && before.every((b) => this.disjoint(b, policy, allow, later)));
        if (!covered || this.escapesBefore(i, policy.tier, type, direction, pods, allows, later)) continue;
        return {
          kind: 'deny-rule' as const,
          shadowing: { policy: policy.ref, ruleIndex: rule.index, evidence: policy.source.at(rule.path) },
          what: `${policy.ref} (${describe(policy)}) rule ${rule.index} denies everything`,
        };
      }
    }
    return undefined;
  }

  /**
   * Can the traffic leave Calico's order before policy `limit` of tier `tier`? It can through an
   * Allow of any earlier policy, or a Pass of an earlier policy in that same tier (which skips
   * the rest of the tier), when that rule may match the Allow's traffic on these pods.
   */
  private escapesBefore(limit: number, tier: string, type: CalicoPolicyType, direction: 'ingress' | 'egress', pods: Set<CalicoEntity>, allows: readonly CalicoRule[], later: CalicoPolicy): boolean {
    const policies = this.set.all;
    for (let i = 0; i < limit; i++) {
      const policy = policies[i]!;
      const exits = policy[direction].filter((r) => r.action === 'Allow' || (r.action === 'Pass' && policy.tier === tier));
      if (exits.length === 0 || !intersects(pods, this.podsApplying(policy, type))) continue;
      if (exits.some((r) => allows.some((allow) => !this.disjoint(r, policy, allow, later)))) return true;
    }
    return false;
  }

  private byEndOfTier(later: CalicoPolicy, type: CalicoPolicyType, direction: 'ingress' | 'egress', pods: Set<CalicoEntity>, allows: readonly CalicoRule[]) {
    const laterTier = this.set.tier(later.tier);
    const tiers = new Map<string, CalicoPolicy[]>();
    const firstIndex = new Map<string, number>();
    for (const [index, policy] of this.set.all.entries()) {
      const tier = this.set.tier(policy.tier);
      if (compareTiers(tier, laterTier) >= 0) break;
      if (!firstIndex.has(tier.name)) firstIndex.set(tier.name, index);
      if (tier.defaultAction !== 'Deny') continue;
      const members = this.podsApplying(policy, type);
      if (members.size === 0) continue;
      let list = tiers.get(tier.name);
      if (!list) tiers.set(tier.name, (list = []));
      list.push(policy);
    }
    for (const [name, policies] of tiers) {
      const covered = [...pods].every((pod) => policies.some((p) => this.podsApplying(p, type).has(pod)));
      if (!covered) continue;
      const escapes = policies.some((p) => p[direction].some((r) => (r.action === 'Allow' || r.action === 'Pass') && allows.some((allow) => !this.disjoint(r, p, allow, later))));
      if (escapes || this.escapesBefore(firstIndex.get(name)!, name, type, direction, pods, allows, later)) continue;
      const tier = this.set.tier(name);
      const last = policies[policies.length - 1]!;
      return {
        kind: 'end-of-tier' as const,
        shadowing: { policy: `Tier/${name}`, ruleIndex: null, evidence: tier.source ? tier.source.at('spec') : last.source.at() },
        what: `tier ${name} (order ${formatOrder(tier)}) applies to these pods through ${policies.map((p) => p.ref).join(', ')}, none of whose Allow/Pass rules matches this traffic, so its implicit Deny drops it`,
      };
    }
    return undefined;
  }

  /** Does `deny` (of `owner`) match every packet `allow` (of `allowOwner`) matches? */
  private covers(deny: CalicoRule, owner: CalicoPolicy, allow: CalicoRule, allowOwner: CalicoPolicy): boolean {
    if (uncomparable(deny)) return false;
    if (deny.ipVersion !== undefined && deny.ipVersion !== allow.ipVersion) return false;
    if (deny.protocol && deny.protocol.number !== allow.protocol?.number) return false;
    if (deny.icmp && (!allow.icmp || deny.icmp.type !== allow.icmp.type || deny.icmp.code !== allow.icmp.code)) return false;
    if (deny.destination.ports.length > 0) {
      if (allow.destination.ports.length === 0 || !allow.destination.ports.every((p) => deny.destination.ports.some((d) => portCovers(d, p)))) return false;
    }
    return (['source', 'destination'] as const).every((side) => this.entityCovers(deny[side], owner, allow[side], allowOwner));
  }

  private entityCovers(deny: CalicoEntityRule, denyOwner: CalicoPolicy, allow: CalicoEntityRule, allowOwner: CalicoPolicy): boolean {
    if (deny.nets.length > 0 && (allow.nets.length === 0 || !allow.nets.every((n) => deny.nets.some((d) => cidrCovers(d, n))))) return false;
    if (!hasIdentity(deny)) return true;
    if (!hasIdentity(allow)) return false;
    return isSubset(this.selectedBy(allow, allowOwner), this.selectedBy(deny, denyOwner));
  }

  /** Could `rule` (of `owner`) match some packet `allow` matches? False only when provably not. */
  private disjoint(rule: CalicoRule, owner: CalicoPolicy, allow: CalicoRule, allowOwner: CalicoPolicy): boolean {
    if (rule.ipVersion !== undefined && allow.ipVersion !== undefined && rule.ipVersion !== allow.ipVersion) return true;
    if (rule.protocol && allow.protocol && rule.protocol.number !== allow.protocol.number) return true;
    const rulePorts = rule.destination.ports;
    const allowPorts = allow.destination.ports;
    if (rulePorts.length > 0 && allowPorts.length > 0 && rulePorts.every((a) => allowPorts.every((b) => portsDisjoint(a, b)))) return true;
    for (const side of ['source', 'destination'] as const) {
      const a = rule[side];
      const b = allow[side];
      if (a.notSelector || b.notSelector || a.nets.length > 0 || b.nets.length > 0 || a.notNets.length > 0 || b.notNets.length > 0) continue;
      if (!hasIdentity(a) || !hasIdentity(b)) continue;
      const first = this.selectedBy(a, owner);
      const second = this.selectedBy(b, allowOwner);
      if (![...first].some((e) => second.has(e))) return true;
    }
    return false;
  }

  /**
   * The bundle's resources an entity rule's selectors take in, under its policy's scope. Keyed by
   * what decides the answer (scope and selector texts), so identical peers of many policies share
   * one scan.
   */
  private selectedBy(rule: CalicoEntityRule, owner: CalicoPolicy): Set<CalicoEntity> {
    const namespaceSelector = rule.namespaceSelector;
    const scope = namespaceSelector ? `ns:${namespaceSelector.text}` : `in:${owner.namespace}`;
    const key = `${owner.kind === 'KubernetesNetworkPolicy' ? 'k8s' : 'calico'}|${scope}|${rule.selector?.text ?? ''}`;
    let selected = this.selected.get(key);
    if (selected) return selected;
    selected = new Set();
    const candidates = namespaceSelector || owner.namespace === '' ? this.selectables : this.selectablesIn(owner.namespace);
    for (const entity of candidates) {
      const inScope = namespaceSelector
        ? entity.namespace === ''
          ? namespaceSelector.matchesNamespace(null)
          : namespaceSelector.matchesNamespace(this.namespaceLabels(entity.namespace))
        : owner.namespace === '' || entity.namespace === owner.namespace;
      if (inScope && (!rule.selector || rule.selector.matches(entity.labels, entity.namespace === ''))) selected.add(entity);
    }
    this.selected.set(key, selected);
    return selected;
  }

  private selectablesIn(namespace: string): CalicoEntity[] {
    return [...(this.workloadsByNamespace.get(namespace) ?? []), ...this.networkSets.filter((e) => e.namespace === namespace)];
  }
}

function allowRuleIndexes(policy: CalicoPolicy, direction: 'ingress' | 'egress'): number[] {
  return [...new Set(policy[direction].filter((r) => r.action === 'Allow').map((r) => r.index))];
}

function hasIdentity(rule: CalicoEntityRule): boolean {
  return rule.selector !== undefined || rule.namespaceSelector !== undefined;
}

/** Criteria whose coverage this does not compare; a Deny using them is never claimed to shadow. */
function uncomparable(rule: CalicoRule): boolean {
  return (
    rule.http ||
    rule.notProtocol !== undefined ||
    rule.notICMP !== undefined ||
    rule.source.ports.length > 0 ||
    (['source', 'destination'] as const).some((side) => {
      const e = rule[side];
      return e.notNets.length > 0 || e.notSelector !== undefined || e.notPorts.length > 0 || e.serviceAccounts !== undefined || e.services !== undefined;
    })
  );
}

function intersects<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const item of small) if (big.has(item)) return true;
  return false;
}

function isSubset<T>(small: ReadonlySet<T>, big: ReadonlySet<T>): boolean {
  if (small.size > big.size) return false;
  for (const item of small) if (!big.has(item)) return false;
  return true;
}

function portCovers(outer: CalicoPort, inner: CalicoPort): boolean {
  if (outer.kind === 'named' || inner.kind === 'named') return outer.kind === inner.kind && outer.text === inner.text;
  return outer.first <= inner.first && inner.last <= outer.last;
}

function portsDisjoint(a: CalicoPort, b: CalicoPort): boolean {
  if (a.kind === 'named' || b.kind === 'named') return false;
  return a.last < b.first || b.last < a.first;
}

function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefix === undefined || inner.prefix === undefined || outer.prefix > inner.prefix) return false;
  if (outer.family === 4 && inner.family === 4) return ((inner.network & outer.mask) >>> 0) === outer.network;
  if (outer.family === 6 && inner.family === 6) return (inner.network & outer.mask) === outer.network;
  return false;
}

function formatOrder(tier: CalicoTierInfo): string {
  return tier.order === Infinity ? 'none' : String(tier.order);
}

function compareTiers(a: CalicoTierInfo, b: CalicoTierInfo): number {
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function describe(policy: CalicoPolicy): string {
  const order = policy.order === Infinity ? 'no order' : `order ${policy.order}`;
  return `tier ${policy.tier}, ${order}`;
}
