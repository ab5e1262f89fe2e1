/**
 * Cilium's verdict for one direction of a flow (enforcement mode "default"):
 *
 * 1. The rules that select the endpoint: CiliumNetworkPolicies of its namespace, clusterwide
 *    policies, and the Kubernetes NetworkPolicies Cilium translates (all enforced together).
 * 2. A deny rule (ingressDeny / egressDeny) that matches wins over every allow.
 * 3. The direction is default-deny once a selecting rule has a section for it (allow or deny
 *    rules, unless `enableDefaultDeny` says otherwise; a Kubernetes policy by its policyTypes).
 *    Then an allow rule must match. A CNP `ingress: [{}]` selects the pod and allows nothing,
 *    so it denies all (unlike a Kubernetes `ingress: [{}]`, which allows all).
 * 4. Not enforced, the direction allows.
 *
 * Also: an address outside the cluster is not a Cilium endpoint; a node is judged only by host
 * policies (CCNP nodeSelector); the pod's own node always reaches it (kubelet probes,
 * allow-localhost). A toFQDNs rule that may match an address outside the cluster leaves the
 * verdict unknown unless the bundle holds the names that address answered for.
 */
import type { Namespace, NetworkPolicy, Pod } from '../../kube/types.js';
import { matchesLabelSelector } from '../../kube/label-selector.js';
import type { DecidingRule, DirectionVerdict, PolicyConsideration, PolicyFlow, Verdict } from '../policy-types.js';
import { consideration, decidingRule } from '../calico/evidence-at.js';
import { hostIdentity, identityOf } from './cilium-identity.js';
import type { CiliumIdentity, CiliumPeerRule, CiliumPolicy, CiliumResources, CiliumRule, IdentityContext } from './cilium-types.js';
import { kubernetesPolicyAsCilium } from './kubernetes-policy-as-cilium.js';
import { matchCiliumPeerRule, type CiliumMatchContext, type PeerMatch } from './match-cilium-rule.js';

export interface CiliumDirectionInput {
  direction: 'ingress' | 'egress';
  flow: PolicyFlow;
  resources: CiliumResources;
  /** The model's Kubernetes NetworkPolicies: Cilium enforces them too. */
  k8sPolicies?: readonly NetworkPolicy[];
  namespaceOf: (name: string) => Namespace | undefined;
  /** cilium-config `enable-policy`: default (the default), always, never. */
  enforcementMode?: 'default' | 'always' | 'never';
  /** Addresses of the API server (the kube-apiserver entity); unknown when absent. */
  apiServerIPs?: readonly string[];
  /** Names an address answered for, from DNS data in the bundle (toFQDNs). */
  fqdnsOf?: (ip: string) => readonly string[] | undefined;
  /** cilium-config `cluster-name` (identity label io.cilium.k8s.policy.cluster). */
  clusterName?: string;
  /** Fill `considered` and miss reasons (default true; off for matrices, where only verdicts count). */
  explain?: boolean;
}

export function evaluateCiliumDirection(input: CiliumDirectionInput): DirectionVerdict {
  return new CiliumWalk(input).run();
}

interface SelectingRule {
  policy: CiliumPolicy;
  rule: CiliumRule;
}

class CiliumWalk {
  private readonly direction: 'ingress' | 'egress';
  private readonly notes: string[] = [];
  private readonly decidedBy: DecidingRule[] = [];
  private readonly considered: PolicyConsideration[] = [];
  private readonly context: IdentityContext;
  private readonly explain: boolean;

  constructor(private readonly input: CiliumDirectionInput) {
    this.direction = input.direction;
    this.explain = input.explain !== false;
    this.context = {
      namespaceOf: input.namespaceOf,
      clusterName: input.clusterName ?? 'default',
      apiServerIPs: new Set(input.apiServerIPs ?? []),
    };
  }

  run(): DirectionVerdict {
    const flow = this.input.flow;
    const subjectEndpoint = this.direction === 'ingress' ? flow.dst : flow.src;
    const peerEndpoint = this.direction === 'ingress' ? flow.src : flow.dst;
    const mode = this.input.enforcementMode ?? 'default';
    if (mode === 'never') return this.open('policy enforcement is disabled (enable-policy=never)');
    if (subjectEndpoint.kind === 'external') return this.open(`${subjectEndpoint.ip} is outside the cluster: not a Cilium endpoint, no ${this.direction} policy applies`);

    const localNode = subjectEndpoint.kind === 'pod' ? subjectEndpoint.pod.nodeName : subjectEndpoint.node?.name;
    const subject = subjectEndpoint.kind === 'pod' ? identityOf(subjectEndpoint, localNode, this.context) : hostIdentity(subjectEndpoint.node, subjectEndpoint.ip);
    const peer = identityOf(peerEndpoint, localNode, this.context);
    if (this.direction === 'ingress' && subject.kind === 'pod' && peer.kind === 'host') {
      return this.open(`${peer.label} is the node of ${subject.label}: Cilium always allows the local host to reach its endpoints (allow-localhost)`);
    }

    const selecting = this.selectingRules(subject);
    const enforced = selecting.some((s) => s.rule.enforces[this.direction]) || (mode === 'always' && subject.kind === 'pod');
    if (mode === 'always' && subject.kind === 'pod') this.notes.push('policy enforcement mode always: every endpoint is default-deny');
    if (subject.kind === 'host' && selecting.length === 0) {
      return this.open(`no host policy (CiliumClusterwideNetworkPolicy with nodeSelector) selects ${subject.label}`);
    }

    const ctx: CiliumMatchContext = {
      flow,
      direction: this.direction,
      peer,
      destinationPod: flow.dst.kind === 'pod' ? flow.dst.pod : undefined,
      apiServerKnown: this.context.apiServerIPs.size > 0,
      explain: this.explain,
    };
    if (this.input.fqdnsOf) ctx.fqdnsOf = this.input.fqdnsOf;

    const verdict = this.judge(selecting, ctx, enforced, subject);
    return { direction: this.direction, isolated: enforced, verdict, decidedBy: this.decidedBy, considered: this.considered, notes: this.notes };
  }

  private open(note: string): DirectionVerdict {
    this.notes.push(note);
    return { direction: this.direction, isolated: false, verdict: 'allow', decidedBy: [], considered: [], notes: this.notes };
  }

  /**
   * Rules that select the subject. Explaining, every candidate policy is recorded as considered;
   * otherwise the answer is remembered per pod (a matrix judges each pod against hundreds of peers).
   */
  private selectingRules(subject: CiliumIdentity): readonly SelectingRule[] {
    const pod = subject.pod;
    if (this.explain || !pod) return this.findSelectingRules(subject);
    let byPolicies = selectingCache.get(this.input.resources);
    if (!byPolicies) selectingCache.set(this.input.resources, (byPolicies = new WeakMap()));
    const policiesKey = this.input.k8sPolicies ?? NO_POLICIES;
    let byPod = byPolicies.get(policiesKey);
    if (!byPod) byPolicies.set(policiesKey, (byPod = new WeakMap()));
    let selecting = byPod.get(pod);
    if (!selecting) byPod.set(pod, (selecting = this.findSelectingRules(subject)));
    return selecting;
  }

  private findSelectingRules(subject: CiliumIdentity): SelectingRule[] {
    const namespace = subject.pod?.namespace;
    const index = resourceIndex(this.input.resources);
    const lists: (readonly CiliumPolicy[])[] = [index.clusterwide];
    if (namespace !== undefined) {
      const local = index.byNamespace.get(namespace);
      if (local) lists.push(local);
      const kubernetes = this.input.k8sPolicies ? kubernetesIndex(this.input.k8sPolicies).get(namespace) : undefined;
      if (kubernetes) lists.push(kubernetes);
    }
    const selecting: SelectingRule[] = [];
    for (const list of lists) {
      for (const policy of list) {
        let selects = false;
        for (const rule of policy.rules) {
          if (!ruleSelects(rule, subject)) continue;
          selects = true;
          selecting.push({ policy, rule });
        }
        if (!selects && this.explain) {
          this.considered.push(consideration(policy.ref, false, policy.source, `${policy.rules[0]?.path ?? 'spec'}.endpointSelector`));
        }
      }
    }
    return selecting;
  }

  private judge(selecting: readonly SelectingRule[], ctx: CiliumMatchContext, enforced: boolean, subject: CiliumIdentity): Verdict {
    const denyList = this.direction === 'ingress' ? 'ingressDeny' : 'egressDeny';
    const allowList = this.direction === 'ingress' ? 'ingress' : 'egress';
    const considerations = new Map<CiliumPolicy, PolicyConsideration>();
    const consider = (policy: CiliumPolicy) => {
      let c = considerations.get(policy);
      if (!c) {
        c = consideration(policy.ref, true, policy.source);
        considerations.set(policy, c);
        this.considered.push(c);
      }
      return c;
    };
    for (const { policy } of selecting) consider(policy);

    // Denies first: they win whatever allows. A deny that may match leaves the verdict open
    // unless the flow is denied anyway.
    const pending: DecidingRule[] = [];
    for (const { policy, rule } of selecting) {
      for (const element of rule[denyList]) {
        const match = this.match(element, ctx, policy, rule, consider(policy));
        if (match.result === 'match') {
          this.decidedBy.push(this.deciding(policy, element, 'deny', `${element.path}: ${match.reason}; deny rules take precedence over allows`));
          return 'deny';
        }
        if (match.result === 'unknown') pending.push(this.undecided(policy, element, 'deny', match.reason));
      }
    }
    if (!enforced) {
      const hasRules = selecting.some((s) => s.rule[allowList].length > 0);
      this.notes.push(
        selecting.length === 0
          ? `no policy selects ${subject.label}: ${this.direction} is not enforced`
          : `the policies selecting ${subject.label} do not put ${this.direction} in default deny${hasRules ? ' (enableDefaultDeny: false)' : ''}`,
      );
      return this.unlessPending('allow', pending);
    }

    for (const { policy, rule } of selecting) {
      for (const element of rule[allowList]) {
        const match = this.match(element, ctx, policy, rule, consider(policy));
        if (match.result === 'match') {
          this.decidedBy.push(this.deciding(policy, element, 'allow', `${element.path}: ${match.reason}`));
          return this.unlessPending('allow', pending);
        }
        if (match.result === 'unknown') pending.push(this.undecided(policy, element, 'allow', match.reason));
      }
    }
    const allowPending = pending.filter((p) => p.action === 'allow');
    if (allowPending.length > 0) return this.unlessPending('deny', allowPending);

    const enforcing = selecting.filter((s) => s.rule.enforces[this.direction]);
    const first = enforcing[0] ?? selecting[0];
    const ruleCount = enforcing.reduce((n, s) => n + s.rule[allowList].length, 0);
    const names = [...new Set(enforcing.map((s) => s.policy.ref))];
    const fields = {
      policy: first ? first.policy.ref : subject.label,
      direction: this.direction,
      ruleIndex: null,
      action: 'deny' as const,
      reason:
        names.length > 0
          ? `default deny: ${subject.label} is selected for ${this.direction} by ${names.join(', ')} and none of their ${ruleCount} ${allowList} rule(s) allows ${describeFlow(ctx)}`
          : `default deny (enforcement mode always): no rule allows ${describeFlow(ctx)}`,
    };
    this.decidedBy.push(first ? decidingRule(fields, first.policy.source, `${first.rule.path}.${allowList}`) : decidingRule(fields, subject.pod!.source));
    return 'deny';
  }

  /** `verdict`, unless rules that may match (and would change it) leave it open. */
  private unlessPending(verdict: Verdict, pending: readonly DecidingRule[]): Verdict {
    const changing = pending.filter((p) => p.action !== verdict);
    if (changing.length === 0) return verdict;
    this.decidedBy.push(...changing);
    for (const p of changing) this.notes.push(`cannot decide offline: ${p.policy} ${p.reason}`);
    return 'unknown';
  }

  private match(element: CiliumPeerRule, ctx: CiliumMatchContext, policy: CiliumPolicy, rule: CiliumRule, consideration: PolicyConsideration): PeerMatch {
    const result = matchCiliumPeerRule(element, ctx);
    for (const note of result.notes) if (!this.notes.includes(note)) this.notes.push(note);
    if (result.result === 'miss') {
      if (this.explain) consideration.misses.push({ ruleIndex: element.index, reason: `${element.path.slice(rule.path === 'spec' ? 5 : 0)}: ${result.reason}` });
    } else if (result.result === 'match') {
      consideration.matchedRule ??= element.index;
    }
    return result;
  }

  private undecided(policy: CiliumPolicy, element: CiliumPeerRule, action: 'allow' | 'deny', reason: string): DecidingRule {
    return this.deciding(policy, element, action, `${element.path}: may ${action}, but ${reason}`);
  }

  private deciding(policy: CiliumPolicy, element: CiliumPeerRule, action: 'allow' | 'deny', reason: string): DecidingRule {
    return decidingRule({ policy: policy.ref, direction: this.direction, ruleIndex: element.index, action, reason }, policy.source, element.path);
  }
}

const NO_POLICIES: readonly NetworkPolicy[] = [];
const selectingCache = new WeakMap<CiliumResources, WeakMap<readonly NetworkPolicy[], WeakMap<Pod, readonly SelectingRule[]>>>();

interface ResourceIndex {
  byNamespace: Map<string, CiliumPolicy[]>;
  clusterwide: CiliumPolicy[];
}

const resourceIndexes = new WeakMap<CiliumResources, ResourceIndex>();
const kubernetesIndexes = new WeakMap<readonly NetworkPolicy[], Map<string, CiliumPolicy[]>>();

/** CNPs by namespace and the clusterwide policies, built once per resources object. */
function resourceIndex(resources: CiliumResources): ResourceIndex {
  let index = resourceIndexes.get(resources);
  if (!index) {
    index = { byNamespace: new Map(), clusterwide: [] };
    for (const policy of resources.policies) {
      if (policy.namespace === '') index.clusterwide.push(policy);
      else (index.byNamespace.get(policy.namespace) ?? index.byNamespace.set(policy.namespace, []).get(policy.namespace)!).push(policy);
    }
    resourceIndexes.set(resources, index);
  }
  return index;
}

/** The Kubernetes policies as Cilium rules, by namespace, built once per policy list. */
function kubernetesIndex(policies: readonly NetworkPolicy[]): Map<string, CiliumPolicy[]> {
  let index = kubernetesIndexes.get(policies);
  if (!index) {
    index = new Map();
    for (const policy of policies) (index.get(policy.namespace) ?? index.set(policy.namespace, []).get(policy.namespace)!).push(kubernetesPolicyAsCilium(policy));
    kubernetesIndexes.set(policies, index);
  }
  return index;
}

function ruleSelects(rule: CiliumRule, subject: CiliumIdentity): boolean {
  if (subject.kind === 'host') {
    const node = subject.node;
    return rule.nodeSelector !== undefined && node !== undefined && matchesLabelSelector(node.labels, rule.nodeSelector);
  }
  return rule.endpointSelector !== undefined && rule.endpointSelector.matches(subject);
}

function describeFlow(ctx: CiliumMatchContext): string {
  const flow = ctx.flow;
  const port = flow.port !== undefined ? `${flow.port}/` : '';
  return `${ctx.direction === 'ingress' ? 'from' : 'to'} ${ctx.peer.label} on ${port}${flow.protocol}`;
}
