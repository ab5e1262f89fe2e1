/**
 * What the benchmark measures of the policy engine on a built model: compiling the policy set,
 * then judging a deterministic sample of pod-to-pod flows with and without the walk. Pure apart
 * from reading the clock; the benchmark prints the figures.
 */
import { performance } from 'node:perf_hooks';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Pod } from '../kube/types.js';
import { evaluateFlow } from './evaluate.js';
import { policySet } from './policy-facet.js';
import { reachabilityMatrix } from './reachability-matrix.js';
import type { PolicyFlow, Verdict } from './policy-types.js';
import { podEndpoint } from './resolve-flow.js';

export interface PolicyBenchmarkOptions {
  /** Flows to judge; default 2,000. */
  flows?: number;
  /** Seed of the flow sample; default 1. */
  seed?: number;
}

export interface PolicyTiming {
  totalMs: number;
  perFlowMs: number;
  /** Slowest single flow. */
  maxMs: number;
}

export interface PolicyBenchmarkResult {
  pods: number;
  networkPolicies: number;
  engine: string;
  /** First use of the policy facet: detection, compilation, indexes. */
  compileMs: number;
  flows: number;
  /** Verdicts only (as rules and the matrix judge). */
  verdictOnly: PolicyTiming;
  /** With the walk: every policy considered and why each rule missed (as the CLI shows). */
  explained: PolicyTiming;
  verdicts: Record<Verdict, number>;
}

/** A small deterministic generator, so runs compare. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function sampleFlows(model: AnalysisModel, count: number, seed: number): PolicyFlow[] {
  const pods = model.kube.pods.filter((p: Pod) => p.podIPs.length > 0 && !p.hostNetwork && p.phase === 'Running');
  if (pods.length < 2) return [];
  const next = random(seed);
  const flows: PolicyFlow[] = [];
  for (let i = 0; i < count; i++) {
    const src = pods[Math.floor(next() * pods.length)]!;
    const dst = pods[Math.floor(next() * pods.length)]!;
    const declared = dst.containers.flatMap((c) => c.ports);
    const port = declared.length > 0 ? declared[Math.floor(next() * declared.length)]! : { containerPort: 80, protocol: 'TCP' as const };
    flows.push({ src: podEndpoint(model, src), dst: podEndpoint(model, dst), protocol: port.protocol, port: port.containerPort });
  }
  return flows;
}

function time(flows: PolicyFlow[], judge: (flow: PolicyFlow) => Verdict, verdicts?: Record<Verdict, number>): PolicyTiming {
  let maxMs = 0;
  const start = performance.now();
  for (const flow of flows) {
    const t0 = performance.now();
    const verdict = judge(flow);
    const elapsed = performance.now() - t0;
    if (elapsed > maxMs) maxMs = elapsed;
    if (verdicts) verdicts[verdict]++;
  }
  const totalMs = performance.now() - start;
  return { totalMs, perFlowMs: flows.length > 0 ? totalMs / flows.length : 0, maxMs };
}

export function measurePolicyEvaluation(model: AnalysisModel, options: PolicyBenchmarkOptions = {}): PolicyBenchmarkResult {
  const t0 = performance.now();
  const set = policySet(model);
  const compileMs = performance.now() - t0;
  const flows = sampleFlows(model, options.flows ?? 2000, options.seed ?? 1);
  const verdicts: Record<Verdict, number> = { allow: 0, deny: 0, unknown: 0 };
  const verdictOnly = time(flows, (flow) => evaluateFlow(model, flow, { explain: false }).verdict, verdicts);
  const explained = time(flows, (flow) => evaluateFlow(model, flow, { explain: true }).verdict);
  return {
    pods: model.kube.pods.length,
    networkPolicies: model.kube.networkPolicies.length,
    engine: `${set.engine.kind} (${set.engine.cni})`,
    compileMs,
    flows: flows.length,
    verdictOnly,
    explained,
    verdicts,
  };
}

export interface MatrixBenchmarkResult {
  namespace: string;
  pods: number;
  groups: number;
  ms: number;
}

/** The reachability matrix of the namespace whose pod count is nearest `pods` (default 500). */
export function measureMatrix(model: AnalysisModel, pods = 500): MatrixBenchmarkResult | undefined {
  let best: { namespace: string; pods: number } | undefined;
  for (const namespace of model.kube.namespaces) {
    const count = model.kube.podsInNamespace(namespace.name).length;
    if (count > 0 && (!best || Math.abs(count - pods) < Math.abs(best.pods - pods))) best = { namespace: namespace.name, pods: count };
  }
  if (!best) return undefined;
  const start = performance.now();
  const matrix = reachabilityMatrix(model, { namespaces: [best.namespace] });
  return { namespace: best.namespace, pods: best.pods, groups: matrix.groups.length, ms: performance.now() - start };
}
