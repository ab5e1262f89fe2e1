/**
 * Calico's verdict for one direction of a flow: the ingress side of the destination endpoint or
 * the egress side of the source endpoint, walked the way Felix renders it (the `cali-tw-*` /
 * `cali-fw-*` chains of samples/calico-iptables-workload-chains.txt):
 *
 * 1. Tiers in order; within a tier the policies that apply to the endpoint for this direction,
 *    in order; within a policy its rules in order. `Log` records and goes on; `Allow` and `Deny`
 *    end the walk; `Pass` leaves the tier for the next one that applies.
 * 2. A tier that applies but whose policies take no action ends in its default action: Deny
 *    ("Drop if no policies passed packet") unless the Tier says Pass.
 * 3. When no tier applies, or the last one passed, the endpoint's profiles decide: for a pod
 *    `kns.<namespace>` (allow all, as Calico generates it) then `ksa.<namespace>.<sa>`; for a
 *    host endpoint the profiles it lists. No profile acting drops the packet ("Drop if no
 *    profiles matched").
 *
 * Also: an address outside the cluster, or a node without HostEndpoint, is not a Calico endpoint
 * and is not policed; traffic from a node to its own pods is accepted before any policy
 * (cali-OUTPUT returns host-originated packets to local workloads); host endpoints keep the
 * failsafe ports open.
 */
import type { Namespace, NetworkPolicy, Pod } from '../../kube/types.js';
import type { DecidingRule, DirectionVerdict, PolicyConsideration, PolicyFlow, Verdict } from '../policy-types.js';
import { calicoNamespaceLabels, endpointView, type CalicoEndpointView, type CalicoEntity } from './calico-endpoint.js';
import { policyApplies } from './calico-policy-applies.js';
import { calicoPolicySet, type CalicoPolicySet, type CalicoTierInfo } from './calico-policy-set.js';
import type { CalicoAction, CalicoPolicy, CalicoPolicyType, CalicoResources, CalicoRule } from './calico-types.js';
import { consideration as considerationOf, decidingRule } from './evidence-at.js';
import { matchCalicoRule, type CalicoMatchContext } from './match-calico-rule.js';

export interface CalicoDirectionInput {
  direction: 'ingress' | 'egress';
  flow: PolicyFlow;
  resources: CalicoResources;
  /** The model's Kubernetes NetworkPolicies (Calico enforces them as `knp.default.<name>`). */
  k8sPolicies: readonly NetworkPolicy[];
  namespaceOf: (name: string) => Namespace | undefined;
  /** The pods behind a Service, for rules that match `services`; without it those rules are undecided. */
  serviceBackends?: (namespace: string, name: string) => readonly Pod[] | undefined;
  /** Fill `considered` and miss reasons (default true; off for matrices, where only verdicts count). */
  explain?: boolean;
}

/** Felix's default failsafe ports on host endpoints (FailsafeInboundHostPorts / FailsafeOutboundHostPorts). */
const FAILSAFE = {
  ingress: ['TCP:22', 'UDP:68', 'TCP:179', 'TCP:2379', 'TCP:2380', 'TCP:5473', 'TCP:6443', 'TCP:6666', 'TCP:6667'],
  egress: ['UDP:53', 'UDP:67', 'TCP:179', 'TCP:2379', 'TCP:2380', 'TCP:5473', 'TCP:6443', 'TCP:6666', 'TCP:6667'],
} as const;

/** The built-in profile that host endpoints created automatically carry. */
const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow';

const ACTION: Record<CalicoAction, DecidingRule['action']> = { Allow: 'allow', Deny: 'deny', Log: 'log', Pass: 'pass' };

export function evaluateCalicoDirection(input: CalicoDirectionInput): DirectionVerdict {
  return new CalicoWalk(input).run();
}

const applyingCache = new WeakMap<CalicoPolicySet, WeakMap<Pod, { ingress?: readonly CalicoPolicy[]; egress?: readonly CalicoPolicy[] }>>();
const viewCache = new WeakMap<PolicyFlow, { resources: CalicoResources; src: CalicoEndpointView; dst: CalicoEndpointView }>();

/** Both ends of the flow as Calico sees them; shared by the ingress and egress walks of one flow. */
function endpointViews(input: CalicoDirectionInput): { src: CalicoEndpointView; dst: CalicoEndpointView } {
  const cached = viewCache.get(input.flow);
  if (cached && cached.resources === input.resources) return cached;
  const views = {
    resources: input.resources,
    src: endpointView(input.flow.src, input.resources, input.namespaceOf),
    dst: endpointView(input.flow.dst, input.resources, input.namespaceOf),
  };
  viewCache.set(input.flow, views);
  return views;
}

class CalicoWalk {
  private readonly direction: 'ingress' | 'egress';
  private readonly policyType: CalicoPolicyType;
  private readonly set: CalicoPolicySet;
  private readonly subject: CalicoEndpointView;
  private readonly peer: CalicoEndpointView;
  private readonly ctx: CalicoMatchContext;
  private readonly notes: string[] = [];
  private readonly decidedBy: DecidingRule[] = [];
  private readonly considered: PolicyConsideration[] = [];
  private readonly explain: boolean;
  private readonly namespaceLabels = (name: string) => calicoNamespaceLabels(name, this.input.namespaceOf);

  constructor(private readonly input: CalicoDirectionInput) {
    this.direction = input.direction;
    this.explain = input.explain !== false;
    this.policyType = input.direction === 'ingress' ? 'Ingress' : 'Egress';
    this.set = calicoPolicySet(input.resources, input.k8sPolicies);
    const { src, dst } = endpointViews(input);
    this.subject = input.direction === 'ingress' ? dst : src;
    this.peer = input.direction === 'ingress' ? src : dst;
    this.ctx = {
      flow: input.flow,
      src,
      dst,
      namespaceLabels: this.namespaceLabels,
      explain: this.explain,
    };
    if (input.serviceBackends) this.ctx.serviceBackends = input.serviceBackends;
    this.notes.push(...this.set.notes);
  }

  run(): DirectionVerdict {
    const subject = this.subject;
    const endpoint = subject.endpoint;
    if (endpoint.kind === 'external') {
      return this.open(`${subject.label} is outside the cluster: Calico polices only its own endpoints, so no ${this.direction} policy applies`);
    }
    const own = subject.own;
    if (!own) {
      return this.open(`${subject.label} has no HostEndpoint: Calico does not police the node's own ${this.direction} traffic`);
    }
    if (this.direction === 'ingress' && endpoint.kind === 'pod' && this.fromOwnNode(endpoint.pod)) {
      return this.open(
        `${this.peer.label} is the node of ${subject.label}: Calico accepts host-originated traffic to local workloads before any policy (cali-OUTPUT returns it)`,
      );
    }
    if (own.kind === 'host' && this.isFailsafe()) {
      return this.open(`${this.input.flow.port}/${this.input.flow.protocol} is a Felix failsafe port of host endpoints: always open for ${this.direction}`);
    }

    const applying = this.explain ? this.applyingExplained(own) : this.applyingCached(own);
    const verdict = this.walkTiers(applying) ?? this.walkProfiles(own, applying.length > 0);
    return {
      direction: this.direction,
      isolated: applying.length > 0,
      verdict,
      decidedBy: this.decidedBy,
      considered: this.considered,
      notes: this.notes,
    };
  }

  /** The policies that apply to the endpoint, recording the others as considered. */
  private applyingExplained(own: CalicoEntity): CalicoPolicy[] {
    const applying: CalicoPolicy[] = [];
    for (const policy of this.set.candidates(own.namespace)) {
      if (policyApplies(policy, own, this.policyType, this.namespaceLabels)) applying.push(policy);
      else this.considered.push(considerationOf(policy.ref, false, policy.source, 'spec.selector'));
    }
    return applying;
  }

  /** The same, remembered per pod and direction: a matrix judges each pod against hundreds of peers. */
  private applyingCached(own: CalicoEntity): readonly CalicoPolicy[] {
    const pod = own.pod;
    if (!pod) return this.applyingExplained(own);
    let byPod = applyingCache.get(this.set);
    if (!byPod) applyingCache.set(this.set, (byPod = new WeakMap()));
    let entry = byPod.get(pod);
    if (!entry) byPod.set(pod, (entry = {}));
    return (entry[this.direction] ??= this.set.candidates(own.namespace).filter((policy) => policyApplies(policy, own, this.policyType, this.namespaceLabels)));
  }

  private open(note: string): DirectionVerdict {
    this.notes.push(note);
    return { direction: this.direction, isolated: false, verdict: 'allow', decidedBy: [], considered: [], notes: this.notes };
  }

  private fromOwnNode(pod: Pod): boolean {
    const peer = this.peer.endpoint;
    if (peer.kind !== 'node') return false;
    return (pod.nodeName !== undefined && peer.node?.name === pod.nodeName) || (pod.hostIP !== undefined && pod.hostIP === peer.ip);
  }

  private isFailsafe(): boolean {
    const { port, protocol } = this.input.flow;
    return port !== undefined && (FAILSAFE[this.direction] as readonly string[]).includes(`${protocol}:${port}`);
  }

  /** Walks the tiers that apply; the verdict, or undefined when the endpoint's profiles decide. */
  private walkTiers(applying: readonly CalicoPolicy[]): Verdict | undefined {
    let i = 0;
    while (i < applying.length) {
      const tier = this.set.tier(applying[i]!.tier);
      const policies: CalicoPolicy[] = [];
      while (i < applying.length && applying[i]!.tier === tier.name) policies.push(applying[i++]!);
      const outcome = this.walkTier(policies);
      if (outcome === 'pass') continue;
      if (outcome !== 'none') {
        const later = applying.length - i;
        if (later > 0) this.notes.push(`${later} polic${later === 1 ? 'y' : 'ies'} in later tiers not reached`);
        return outcome;
      }
      if (tier.defaultAction === 'Pass') {
        this.notes.push(`tier ${tier.name}: no policy acted; its defaultAction Pass hands the flow to the next tier`);
        continue;
      }
      this.decidedBy.push(this.endOfTier(tier, policies));
      return 'deny';
    }
    return undefined;
  }

  private walkTier(policies: readonly CalicoPolicy[]): 'allow' | 'deny' | 'unknown' | 'pass' | 'none' {
    let outcome: 'allow' | 'deny' | 'unknown' | 'pass' | 'none' = 'none';
    let unreached = 0;
    for (const policy of policies) {
      if (outcome !== 'none') {
        unreached++;
        continue;
      }
      const rules = this.direction === 'ingress' ? policy.ingress : policy.egress;
      const consideration = considerationOf(policy.ref, true, policy.source);
      outcome = this.walkRules(rules, { ref: policy.ref, namespace: policy.namespace, source: policy.source, describe: describePolicy(policy) }, consideration);
      this.considered.push(consideration);
    }
    if (unreached > 0) this.notes.push(`${unreached} later polic${unreached === 1 ? 'y' : 'ies'} of the same tier not reached`);
    return outcome;
  }

  /** The rules of one policy or profile, in order; records misses on the consideration. */
  private walkRules(
    rules: readonly CalicoRule[],
    owner: { ref: string; namespace: string; source: CalicoPolicy['source']; describe?: string },
    consideration: PolicyConsideration | undefined,
  ): 'allow' | 'deny' | 'unknown' | 'pass' | 'none' {
    const misses = new Map<number, string[]>();
    let outcome: 'allow' | 'deny' | 'unknown' | 'pass' | 'none' = 'none';
    for (const rule of rules) {
      const match = matchCalicoRule(rule, { namespace: owner.namespace }, this.ctx);
      if (match.result === 'miss') {
        if (!this.explain) continue;
        const reasons = misses.get(rule.index) ?? [];
        if (!reasons.includes(match.reason)) reasons.push(match.reason);
        misses.set(rule.index, reasons);
        continue;
      }
      // A Kubernetes rule expanded into several Calico rules matches as a whole.
      misses.delete(rule.index);
      if (match.result === 'unknown') {
        this.decidedBy.push(this.deciding(owner, rule, `${rule.action} rule ${rule.index} may match, but ${match.reason}`));
        this.notes.push(`cannot decide offline: ${owner.ref} ${rule.path}: ${match.reason}`);
        outcome = 'unknown';
      } else {
        this.decidedBy.push(this.deciding(owner, rule, `${rule.action} rule ${rule.index} matches ${this.describeFlow()}`));
        if (rule.action === 'Log') continue;
        outcome = rule.action === 'Allow' ? 'allow' : rule.action === 'Deny' ? 'deny' : 'pass';
      }
      if (consideration) consideration.matchedRule = rule.index;
      break;
    }
    if (consideration) {
      for (const [ruleIndex, reasons] of misses) {
        if (ruleIndex === consideration.matchedRule) continue;
        consideration.misses.push({ ruleIndex, reason: reasons.join(' / ') });
      }
      if (rules.length === 0) this.notes.push(`${owner.ref} applies to ${this.subject.label} for ${this.direction} and has no ${this.direction} rules`);
    }
    return outcome;
  }

  private deciding(owner: { ref: string; source: CalicoPolicy['source']; describe?: string }, rule: CalicoRule, reason: string): DecidingRule {
    const where = owner.describe ? ` (${owner.describe})` : '';
    return decidingRule({ policy: owner.ref, direction: this.direction, ruleIndex: rule.index, action: ACTION[rule.action], reason: `${reason}${where}` }, owner.source, rule.path);
  }

  private endOfTier(tier: CalicoTierInfo, policies: readonly CalicoPolicy[]): DecidingRule {
    const names = policies.map((p) => p.name).join(', ');
    const count = policies.length === 1 ? '1 policy applies' : `${policies.length} policies apply`;
    const last = policies[policies.length - 1]!;
    const reason =
      `end of tier ${tier.name}: ${count} to ${this.subject.label} for ${this.direction} (${names}) and none allowed, denied or passed ` +
      `${this.describeFlow()}; the tier's default action is Deny`;
    const fields = { policy: `Tier/${tier.name}`, direction: this.direction, ruleIndex: null, action: 'deny' as const, reason };
    return tier.source ? decidingRule(fields, tier.source, 'spec') : decidingRule(fields, last.source, this.direction === 'ingress' ? 'spec.ingress' : 'spec.egress');
  }

  /** The endpoint's profiles; `passed` when tiers applied and the last one passed the flow on. */
  private walkProfiles(own: CalicoEntity, passed: boolean): Verdict {
    const names = own.pod
      ? [`kns.${own.namespace}`, `ksa.${own.namespace}.${own.pod.serviceAccountName ?? 'default'}`]
      : (own.hostEndpoint?.profiles ?? []);
    const resources = this.input.resources;
    for (const name of names) {
      const profile = resources.profiles.find((p) => p.name === name);
      if (profile) {
        const rules = this.direction === 'ingress' ? profile.ingress : profile.egress;
        const outcome = this.walkRules(rules, { ref: `Profile/${name}`, namespace: '', source: profile.source }, undefined);
        if (outcome === 'allow' || outcome === 'deny' || outcome === 'unknown') return outcome;
        continue;
      }
      if (name.startsWith('kns.') || name === DEFAULT_ALLOW_PROFILE) {
        // Not in the bundle: Calico generates these with one Allow rule per direction.
        const why = resources.collected.has('profiles') ? 'not in profiles.json' : 'profiles were not collected';
        this.notes.push(`profile ${name} ${why}: read as Calico generates it (allow all)`);
        this.decidedBy.push(
          this.ownEvidence(own, {
            policy: `Profile/${name}`,
            direction: this.direction,
            ruleIndex: null,
            action: 'allow',
            reason: `${passed ? 'the last tier passed the flow on' : `no policy applies to ${this.subject.label} for ${this.direction}`}: profile ${name} allows all`,
          }),
        );
        return 'allow';
      }
    }
    const last = names.length > 0 ? `profiles ${names.join(', ')}` : 'no profile';
    this.decidedBy.push(
      this.ownEvidence(own, {
        policy: own.ref,
        direction: this.direction,
        ruleIndex: null,
        action: 'deny',
        reason: `${this.subject.label}: no policy decided and ${last} allowed ${this.describeFlow()} (Calico drops when no profile matches)`,
      }),
    );
    return 'deny';
  }

  /** A decision cited at the endpoint itself: the pod's namespace, or the host endpoint's profiles. */
  private ownEvidence(own: CalicoEntity, fields: Omit<DecidingRule, 'evidence'>): DecidingRule {
    return own.pod ? decidingRule(fields, own.pod.source, 'metadata.namespace') : decidingRule(fields, own.hostEndpoint!.source, 'spec.profiles');
  }

  private describeFlow(): string {
    const flow = this.input.flow;
    const port = flow.port !== undefined ? `:${flow.port}` : '';
    return `${this.ctx.src.label} → ${this.ctx.dst.label}${port}/${flow.protocol}`;
  }
}

/** Where a policy sits in Calico's order, for reasons. */
function describePolicy(policy: CalicoPolicy): string {
  const order = policy.order === Infinity ? 'no order' : `order ${policy.order}`;
  return policy.kind === 'KubernetesNetworkPolicy' ? `Calico's ${policy.name}, tier ${policy.tier}, ${order}` : `tier ${policy.tier}, ${order}`;
}
