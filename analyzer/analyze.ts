/**
 * The library entry point the CLI and tests call: bundle in, report out. Touches no terminal
 * and no process state.
 */
import type { Bundle, BundleLimits } from './bundle/bundle.js';
import { readBundle } from './bundle/read-bundle.js';
import { createAnalysisModel, type AnalysisModel } from './engine/analysis-model.js';
import type { Rule } from './engine/rule.js';
import { runRules, type RunOptions } from './engine/run-rules.js';
import { buildKubeModel } from './kube/build-model.js';
import { REPORT_FORMAT, type Report } from './report/report.js';
import { allRules } from '../rules/index.js';
import { TOOL_VERSION } from './version.js';

export interface AnalyzeOptions extends RunOptions {
  limits?: Partial<BundleLimits>;
  /** Rules to run; the full registry by default. */
  rules?: readonly Rule[];
}

/** Builds the model every rule reads. */
export function buildModel(bundle: Bundle): AnalysisModel {
  const kube = buildKubeModel(bundle);
  return createAnalysisModel(bundle, kube.value, [...bundle.issues, ...kube.issues]);
}

export function analyzeBundle(bundle: Bundle, options: AnalyzeOptions = {}): Report {
  const model = buildModel(bundle);
  const { findings, coverage, problems } = runRules(model, options.rules ?? allRules, options);
  const summary = { critical: 0, warning: 0, info: 0, rootCauses: 0 };
  for (const f of findings) {
    summary[f.severity]++;
    if (f.rootCause) summary.rootCauses++;
  }
  const manifest = bundle.manifest;
  const nodeNames = new Set([...bundle.nodeNames(), ...model.kube.nodes.map((n) => n.name)]);
  const report: Report = {
    format: REPORT_FORMAT,
    bundle: { path: bundle.origin, nodes: nodeNames.size },
    summary,
    findings,
    coverage,
    problems,
    tool: { name: 'netdump', version: TOOL_VERSION },
  };
  if (manifest?.createdAt) report.bundle.createdAt = manifest.createdAt;
  if (manifest?.cluster?.context) report.bundle.context = manifest.cluster.context;
  if (manifest?.format) report.bundle.format = manifest.format;
  return report;
}

/** Reads a `.tgz`, `.tar` or directory and analyzes it. */
export async function analyzePath(path: string, options: AnalyzeOptions = {}): Promise<Report> {
  const bundle = await readBundle(path, options.limits);
  return analyzeBundle(bundle, options);
}
