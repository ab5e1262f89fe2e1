/**
 * One benchmark measurement, run by run-bench.ts in a fresh child process so that its peak
 * RSS is its own: `node --expose-gc measure.js <floor|analyze|breakdown> <bundle.tgz>`.
 * Sends a MeasureResult to the parent over IPC (or prints it as JSON when run by hand).
 *
 * - floor: gunzip + untar the archive in memory (tar-stream) and JSON.parse every .json file;
 *   the least work any analyzer of the bundle must do.
 * - analyze: analyzePath, the library entry point (read → model → all rules).
 * - breakdown: the same work stage by stage (read, Kubernetes model, analysis model, each
 *   rule alone), with the heap after each stage and what stays alive at the end, to show
 *   where time and memory go.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

export type MeasureMode = 'floor' | 'analyze' | 'breakdown';

export interface StageTiming {
  stage: string;
  seconds: number;
  /** V8 heap in use right after the stage, garbage included. */
  heapUsedBytes: number;
  rssBytes: number;
}

export interface MeasureResult {
  mode: MeasureMode;
  /** Wall-clock seconds of the measured work (module loading excluded). */
  seconds: number;
  /** User + system CPU seconds of the whole process during the work. */
  cpuSeconds: number;
  /** Peak resident set size of the process. */
  maxRssBytes: number;
  /** floor: JSON files parsed and their bytes. */
  jsonFiles?: number;
  jsonBytes?: number;
  /** analyze: findings per rule id, with their subjects. */
  findings?: Record<string, string[]>;
  /** analyze: rules that errored, with why. */
  ruleProblems?: string[];
  /** analyze: ids of the rules the analysis ran. */
  rulesRun?: string[];
  /** breakdown: each stage, and each rule as its own stage (`rule <id>`). */
  stages?: StageTiming[];
  /**
   * breakdown: memory still in use after all stages and a full GC; `textBytes` is the bundle
   * text held by SourceFiles (one byte per character), `externalBytes` includes line tables.
   */
  retained?: { heapUsedBytes: number; externalBytes: number; textBytes: number };
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

async function measureFloor(path: string): Promise<Partial<MeasureResult>> {
  const extract = tar.extract();
  let jsonFiles = 0;
  let jsonBytes = 0;
  const consume = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const part of entry) parts.push(part as Buffer);
      if (entry.header.type === 'file' && entry.header.name.endsWith('.json')) {
        const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        JSON.parse(data.toString('utf8'));
        jsonFiles++;
        jsonBytes += data.length;
      }
    }
  })();
  await Promise.all([pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), createGunzip(), extract), consume]);
  return { jsonFiles, jsonBytes };
}

async function measureAnalyze(path: string): Promise<Partial<MeasureResult>> {
  const { analyzePath } = await import('../analyzer/analyze.js');
  const started = markStart();
  const report = await analyzePath(path);
  const elapsed = started.stop();
  const findings: Record<string, string[]> = {};
  for (const f of report.findings) (findings[f.rule] ??= []).push(...f.subjects);
  const ruleProblems = report.coverage.filter((c) => c.status === 'error').map((c) => `${c.rule ?? c.area}: ${c.detail ?? c.status}`);
  const rulesRun = report.coverage.filter((c) => c.rule && c.status !== 'skipped' && c.status !== 'not-collected').map((c) => c.rule!);
  return { ...elapsed, findings, ruleProblems, rulesRun };
}

async function measureBreakdown(path: string): Promise<Partial<MeasureResult>> {
  const { readBundle } = await import('../analyzer/bundle/read-bundle.js');
  const { buildKubeModel } = await import('../analyzer/kube/build-model.js');
  const { createAnalysisModel } = await import('../analyzer/engine/analysis-model.js');
  const { runRules } = await import('../analyzer/engine/run-rules.js');
  const { allRules } = await import('../rules/index.js');
  const stages: StageTiming[] = [];
  // No forced GC between stages: a full GC changes V8's heap-growth decisions and makes the
  // next stage slower than it is inside analyzePath. The heap is sampled as it stands.
  const record = (stage: string, t0: number) => {
    const memory = process.memoryUsage();
    stages.push({ stage, seconds: (performance.now() - t0) / 1000, heapUsedBytes: memory.heapUsed, rssBytes: memory.rss });
  };
  const started = markStart();
  let t0 = performance.now();
  const bundle = await readBundle(path);
  record('read bundle', t0);
  t0 = performance.now();
  const kube = buildKubeModel(bundle);
  record('build Kubernetes model', t0);
  t0 = performance.now();
  const model = createAnalysisModel(bundle, kube.value, [...bundle.issues, ...kube.issues]);
  record('build analysis model', t0);
  for (const rule of allRules) {
    t0 = performance.now();
    runRules(model, [rule]);
    record(`rule ${rule.id}`, t0);
  }
  const elapsed = started.stop();
  // What stays alive once everything ran: the bundle's text, the model, line tables.
  gc?.();
  let textBytes = 0;
  for (const file of bundle.files.values()) textBytes += file.text.length;
  const memory = process.memoryUsage();
  return { ...elapsed, stages, retained: { heapUsedBytes: memory.heapUsed, externalBytes: memory.external, textBytes } };
}

function markStart(): { stop(): { seconds: number; cpuSeconds: number } } {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return {
    stop() {
      const cpu = process.cpuUsage(cpu0);
      return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    },
  };
}

async function main(): Promise<void> {
  const [mode, path] = process.argv.slice(2) as [MeasureMode | undefined, string | undefined];
  if (!path || (mode !== 'floor' && mode !== 'analyze' && mode !== 'breakdown')) {
    process.stderr.write('usage: node --expose-gc measure.js <floor|analyze|breakdown> <bundle.tgz>\n');
    process.exitCode = 2;
    return;
  }
  let partial: Partial<MeasureResult>;
  if (mode === 'floor') {
    const started = markStart();
    const counts = await measureFloor(path);
    partial = { ...started.stop(), ...counts };
  } else if (mode === 'analyze') {
    partial = await measureAnalyze(path);
  } else {
    partial = await measureBreakdown(path);
  }
  const result: MeasureResult = {
    mode,
    seconds: partial.seconds!,
    cpuSeconds: partial.cpuSeconds!,
    ...partial,
    // ru_maxrss is in kilobytes on Linux.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  if (process.send) await new Promise<void>((resolve) => process.send!(result, undefined, undefined, () => resolve()));
  else process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

await main();
