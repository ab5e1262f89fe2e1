/**
 * Issue 4's figures: on the scale bundle with 2,000 NetworkPolicies, one flow evaluation after
 * the model is built, the share of analysis time the policy rules take, and the reachability
 * matrix of a ~500-pod namespace. Runs in this process (the figures are times, not peak RSS).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildModel } from '../analyzer/analyze.js';
import { readBundle } from '../analyzer/bundle/read-bundle.js';
import { runRules } from '../analyzer/engine/run-rules.js';
import { measureMatrix, measurePolicyEvaluation } from '../analyzer/policy/policy-benchmark.js';
import { allRules } from '../rules/index.js';
import { writeScaleBundleTgz } from './generate-scale-bundle.js';
import type { BenchOptions, BenchSection } from './run-bench.js';

const POLICY_RULES = new Set(['netpol-unenforced', 'netpol-selects-nothing', 'netpol-peer-matches-nothing', 'netpol-denies', 'dns-egress-blocked', 'calico-policy-shadowed', 'cilium-policy-drop']);
const TARGETS = { flowMs: 1, policyRuleShare: 0.2, matrixMs: 2000 } as const;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

async function run(options: BenchOptions): Promise<void> {
  const scale = options.scales.at(-1) ?? 1;
  const path = join(tmpdir(), `netdump-bench-policy-${process.pid}.tgz`);
  try {
    process.stderr.write(`bench: policy: generating the scale ${scale} bundle with 2,000 NetworkPolicies\n`);
    await writeScaleBundleTgz(path, { scale, networkPolicies: 2000 });
    const analysisStart = performance.now();
    const model = buildModel(await readBundle(path));

    const start = performance.now();
    const timings = new Map<string, number>();
    for (const rule of allRules) {
      const t = performance.now();
      runRules(model, [rule]);
      timings.set(rule.id, performance.now() - t);
    }
    const rulesMs = performance.now() - start;
    const analysisMs = performance.now() - analysisStart;
    const policyMs = [...timings].filter(([id]) => POLICY_RULES.has(id)).reduce((sum, [, ms]) => sum + ms, 0);

    const flows = measurePolicyEvaluation(model, { flows: 2000 });
    const matrix = measureMatrix(model, 500);

    console.log(`pods ${flows.pods}, NetworkPolicies ${flows.networkPolicies}, engine ${flows.engine}; policy set compiled in ${(flows.compileMs / 1000).toFixed(2)} s`);
    console.log(`one flow, verdict only: ${flows.verdictOnly.perFlowMs.toFixed(3)} ms (max ${flows.verdictOnly.maxMs.toFixed(2)} ms) ${verdict(flows.verdictOnly.perFlowMs <= TARGETS.flowMs)} (target ≤ ${TARGETS.flowMs} ms)`);
    console.log(`one flow, with the walk: ${flows.explained.perFlowMs.toFixed(3)} ms`);
    const share = policyMs / analysisMs;
    console.log(`policy rules: ${(policyMs / 1000).toFixed(2)} s of ${(analysisMs / 1000).toFixed(2)} s of analysis (read ${((start - analysisStart) / 1000).toFixed(2)} s, rules ${(rulesMs / 1000).toFixed(2)} s): ${(share * 100).toFixed(0)}% ${verdict(share <= TARGETS.policyRuleShare)} (target ≤ 20%)`);
    if (matrix) console.log(`matrix of ${matrix.namespace}: ${matrix.pods} pods in ${matrix.groups} groups, ${(matrix.ms / 1000).toFixed(2)} s ${verdict(matrix.ms <= TARGETS.matrixMs)} (target ≤ 2 s for 500 pods)`);
  } finally {
    rmSync(path, { force: true });
  }
}

export const policySection: BenchSection = {
  id: 'policy',
  title: 'Policy engine (2,000 NetworkPolicies on the scale bundle)',
  unavailable: async () => undefined,
  run,
};
