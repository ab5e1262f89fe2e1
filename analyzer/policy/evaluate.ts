/**
 * "Is this flow allowed, and by what?" — the policy engine's entry point.
 *
 * A flow is allowed when the source pod's egress AND the destination pod's ingress allow it
 * (replies of an allowed connection are always allowed). Each direction is judged in the order
 * the implementations apply:
 *
 *   1. a subject that is not a pod (node, hostNetwork pod, outside address): not isolated;
 *   2. a pod's traffic to itself, and ingress from the pod's own node: always allowed
 *      (egress to the own node too under upstream semantics);
 *   3. AdminNetworkPolicies, by priority: Allow/Deny decide, Pass goes on;
 *   4. the CNI's evaluator (engine-dispatch.ts): Kubernetes NetworkPolicy, or Calico or Cilium
 *      with their own policies; a direction it isolates is decided here;
 *   5. the BaselineAdminNetworkPolicy: Allow/Deny; else allowed.
 *
 * When the cluster's CNI enforces no policy (flannel alone...), every flow is allowed and the
 * verdict says so, naming the policies that would have denied it.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { evaluateAdminTier } from './admin-network-policy.js';
import type { PolicyEngine } from './detect-policy-engine.js';
import { directionEvaluator } from './engine-dispatch.js';
import { describeEndpoint } from './flow-text.js';
import type { PolicyDirection } from './k8s-network-policy.js';
import { policySet, type PolicySet } from './policy-facet.js';
import type { DecidingRule, DirectionVerdict, FlowEndpoint, FlowVerdict, PolicyConsideration, PolicyFlow, Verdict } from './policy-types.js';
import { resolveFlowQuery, type FlowQuery, type ResolvedFlows } from './resolve-flow.js';

export type { FlowQuery, ResolvedFlows } from './resolve-flow.js';

export interface EvaluateOptions {
  /** Build the walk: every policy considered and why each rule missed. Default true. */
  explain?: boolean;
  /** Judge under this engine instead of the one detected from the bundle. */
  engine?: PolicyEngine;
}

/**
 * Judges a flow given as resolved endpoints (`PolicyFlow`) or as the user named them
 * (`FlowQuery`: `ns/pod`, an IP, or a Service and port). A Service is judged against each ready
 * endpoint; the result aggregates them and lists each in `backends`.
 */
export function evaluate(model: AnalysisModel, flow: PolicyFlow | FlowQuery, options: EvaluateOptions = {}): FlowVerdict {
  if ('src' in flow) return evaluateFlow(model, flow, options);
  return evaluateResolved(model, resolveFlowQuery(model, flow), options);
}

/** Judges what `resolveFlowQuery` returned (the CLI resolves first, to report bad input). */
export function evaluateResolved(model: AnalysisModel, resolved: ResolvedFlows, options: EvaluateOptions = {}): FlowVerdict {
  const engine = options.engine ?? policySet(model).engine;
  if (resolved.problems.length > 0 || resolved.flows.length === 0) {
    const notes = [...resolved.problems, ...resolved.notes];
    return {
      verdict: 'unknown',
      engine: engine.kind,
      cni: engine.cni,
      egress: undecided('egress', notes),
      ingress: undecided('ingress', notes),
      decidedBy: [],
      notes,
    };
  }
  const verdicts = resolved.flows.map((flow) => evaluateFlow(model, flow, options));
  if (!resolved.service) {
    const verdict = verdicts[0]!;
    verdict.notes.unshift(...resolved.notes);
    return verdict;
  }
  return aggregateBackends(resolved, verdicts);
}

/** Judges one resolved flow. */
export function evaluateFlow(model: AnalysisModel, flow: PolicyFlow, options: EvaluateOptions = {}): FlowVerdict {
  const set = policySet(model);
  const engine = options.engine ?? set.engine;
  const explain = options.explain ?? true;
  if (engine.kind === 'none') return unenforced(model, flow, engine);

  const egress = judgeDirection(model, set, engine, flow, 'egress', explain);
  const ingress = judgeDirection(model, set, engine, flow, 'ingress', explain);
  const verdict = combine(egress.verdict, ingress.verdict);
  const decidedBy = verdict === 'deny' ? [egress, ingress].filter((d) => d.verdict === 'deny').flatMap((d) => d.decidedBy) : [...egress.decidedBy, ...ingress.decidedBy];
  const notes = [...engine.notes];
  if (verdict === 'deny') {
    const denied = [egress, ingress].filter((d) => d.verdict === 'deny').map((d) => (d.direction === 'egress' ? `egress of ${describeEndpoint(flow.src)}` : `ingress of ${describeEndpoint(flow.dst)}`));
    notes.unshift(`denied by the ${denied.join(' and the ')}`);
  }
  return { verdict, engine: engine.kind, cni: engine.cni, egress, ingress, decidedBy, notes, flow };
}

function combine(a: Verdict, b: Verdict): Verdict {
  if (a === 'deny' || b === 'deny') return 'deny';
  return a === 'allow' && b === 'allow' ? 'allow' : 'unknown';
}

function undecided(direction: PolicyDirection, notes: string[]): DirectionVerdict {
  return { direction, isolated: false, verdict: 'unknown', decidedBy: [], considered: [], notes: [...notes] };
}

function implicitAllow(direction: PolicyDirection, note: string): DirectionVerdict {
  return { direction, isolated: false, verdict: 'allow', decidedBy: [], considered: [], notes: [note] };
}

function isOwnNode(endpoint: FlowEndpoint, pod: { nodeName?: string; hostIP?: string }): boolean {
  if (endpoint.kind !== 'node') return false;
  if (endpoint.node !== undefined && pod.nodeName !== undefined) return endpoint.node.name === pod.nodeName;
  return pod.hostIP !== undefined && endpoint.ip === pod.hostIP;
}

function judgeDirection(model: AnalysisModel, set: PolicySet, engine: PolicyEngine, flow: PolicyFlow, direction: PolicyDirection, explain: boolean): DirectionVerdict {
  const evaluator = directionEvaluator(model, engine);
  const subject = direction === 'egress' ? flow.src : flow.dst;
  const peer = direction === 'egress' ? flow.dst : flow.src;
  // The evaluators answer "not isolated" for a subject that is not a pod, with the reason.
  if (subject.kind !== 'pod') return evaluator({ model, flow, direction, explain });
  const pod = subject.pod;
  const podText = `${pod.namespace}/${pod.name}`;
  if (flow.src.kind === 'pod' && flow.dst.kind === 'pod' && flow.src.pod === flow.dst.pod) {
    return implicitAllow(direction, `a pod cannot block traffic to itself (${podText})`);
  }
  if (direction === 'ingress' && isOwnNode(peer, pod)) {
    return implicitAllow(direction, `traffic from ${podText}'s own node is always allowed (kubelet probes, node agents)`);
  }
  if (direction === 'egress' && engine.kind === 'kubernetes' && isOwnNode(peer, pod)) {
    return implicitAllow(direction, `traffic from ${podText} to its own node is always allowed`);
  }

  const considered: PolicyConsideration[] = [];
  const notes: string[] = [];
  const decidedBy: DecidingRule[] = [];
  const admin = set.admin;
  const adminCount = admin.admin.length + admin.baseline.length;
  const useAdmin = adminCount > 0 && engine.adminNetworkPolicies !== false;
  if (adminCount > 0 && !useAdmin) notes.push(`${engine.cni} does not implement AdminNetworkPolicy: the ${adminCount} (Baseline)AdminNetworkPolicies in the bundle are not enforced`);
  if (useAdmin && engine.adminNetworkPolicies === undefined) notes.push(`AdminNetworkPolicies are judged as the API defines them; whether ${engine.cni} enforces them is not known`);
  if (useAdmin) notes.push(...admin.notes);

  if (useAdmin && admin.admin.length > 0) {
    const outcome = evaluateAdminTier(model, admin.admin, flow, direction, explain);
    considered.push(...outcome.considered);
    notes.push(...outcome.notes);
    if (outcome.decidedBy) decidedBy.push(outcome.decidedBy);
    if (outcome.action === 'allow' || outcome.action === 'deny') {
      return { direction, isolated: true, verdict: outcome.action, decidedBy, considered, notes };
    }
  }

  const v1 = evaluator({ model, flow, direction, explain });
  const merged: DirectionVerdict = {
    ...v1,
    decidedBy: [...decidedBy, ...v1.decidedBy],
    considered: [...considered, ...v1.considered],
    notes: [...notes, ...v1.notes],
  };
  if (v1.isolated || v1.verdict === 'unknown' || !useAdmin || admin.baseline.length === 0) return merged;

  const baseline = evaluateAdminTier(model, admin.baseline, flow, direction, explain);
  merged.considered.push(...baseline.considered);
  merged.notes.push(...baseline.notes);
  if (baseline.action === 'allow' || baseline.action === 'deny') {
    merged.isolated = true;
    merged.verdict = baseline.action;
    merged.decidedBy.push(baseline.decidedBy!);
    merged.notes.push(`no NetworkPolicy isolates ${podText} for ${direction}, so the BaselineAdminNetworkPolicy decides`);
  }
  return merged;
}

/** The CNI enforces nothing: allowed, with what would have decided had it enforced. */
function unenforced(model: AnalysisModel, flow: PolicyFlow, engine: PolicyEngine): FlowVerdict {
  const message = `NetworkPolicies are not enforced by ${engine.cni}`;
  const notes = [message, ...engine.notes];
  const admin = policySet(model).admin;
  const hasPolicies = model.kube.networkPolicies.length > 0 || admin.admin.length + admin.baseline.length > 0;
  if (hasPolicies) {
    const enforcing: PolicyEngine = { ...engine, kind: 'kubernetes', adminNetworkPolicies: undefined, notes: [] };
    const would = evaluateFlow(model, flow, { explain: false, engine: enforcing });
    if (would.verdict === 'deny') {
      const policies = [...new Set(would.decidedBy.map((d) => d.policy))];
      notes.push(`were they enforced, ${policies.join(', ')} would deny this flow`);
    }
  }
  const direction = (d: PolicyDirection): DirectionVerdict => ({ direction: d, isolated: false, verdict: 'allow', decidedBy: [], considered: [], notes: [message] });
  return { verdict: 'allow', engine: 'none', cni: engine.cni, egress: direction('egress'), ingress: direction('ingress'), decidedBy: [], notes, flow };
}

// ---------------------------------------------------------------------------------------------
// Services: one verdict per ready endpoint, and their aggregate

function aggregateVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.every((v) => v === 'allow')) return 'allow';
  if (verdicts.every((v) => v === 'deny')) return 'deny';
  return 'unknown';
}

function uniqueRules(rules: DecidingRule[]): DecidingRule[] {
  const seen = new Set<string>();
  return rules.filter((rule) => {
    const key = `${rule.policy}|${rule.direction}|${rule.ruleIndex}|${rule.action}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function mergeDirections(direction: PolicyDirection, parts: DirectionVerdict[]): DirectionVerdict {
  const considered = new Map<string, PolicyConsideration>();
  for (const part of parts) for (const c of part.considered) if (!considered.has(c.policy)) considered.set(c.policy, c);
  return {
    direction,
    isolated: parts.some((p) => p.isolated),
    verdict: aggregateVerdict(parts.map((p) => p.verdict)),
    decidedBy: uniqueRules(parts.flatMap((p) => p.decidedBy)),
    considered: [...considered.values()],
    notes: [...new Set(parts.flatMap((p) => p.notes))],
  };
}

function aggregateBackends(resolved: ResolvedFlows, verdicts: FlowVerdict[]): FlowVerdict {
  const verdict = aggregateVerdict(verdicts.map((v) => v.verdict));
  const notes = [...resolved.notes];
  if (verdict === 'unknown') {
    const allowed = verdicts.filter((v) => v.verdict === 'allow').length;
    const denied = verdicts.filter((v) => v.verdict === 'deny').length;
    notes.push(`allowed to ${allowed} and denied to ${denied} of the ${verdicts.length} endpoints: the outcome depends on the endpoint the Service picks`);
  }
  for (const note of verdicts.flatMap((v) => v.notes)) if (!notes.includes(note)) notes.push(note);
  const first = verdicts[0]!;
  return {
    verdict,
    engine: first.engine,
    ...(first.cni !== undefined ? { cni: first.cni } : {}),
    egress: mergeDirections('egress', verdicts.map((v) => v.egress)),
    ingress: mergeDirections('ingress', verdicts.map((v) => v.ingress)),
    decidedBy: uniqueRules(verdicts.flatMap((v) => v.decidedBy)),
    notes,
    backends: verdicts.map((v, i) => {
      const flow = resolved.flows[i]!;
      return { endpoint: flow.dst, ...(flow.port !== undefined ? { port: flow.port } : {}), verdict: v };
    }),
  };
}
