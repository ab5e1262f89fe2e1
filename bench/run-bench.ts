/**
 * `npm run bench`: how fast and how lean netdump analyzes a large cluster's bundle.
 *
 * For each scale (1/4, 1/2 and full: 10,000 Services, 100,000 pods, 500 nodes, 300
 * namespaces) it generates the synthetic bundle into a temporary .tgz, then measures in a
 * fresh child process each (bench/measure.ts), so that each peak RSS is its own:
 *   - the floor: gunzip + untar + JSON.parse of every .json file;
 *   - the analysis: analyzePath (read → model → all rules).
 * It prints both times, their ratio and the analysis's peak RSS against the targets, and the
 * analysis cost per 1,000 pods at each scale (it should stay flat: linear growth).
 * The netfilter section (bench/netfilter-section.ts) times a kube-proxy dump's parsing against
 * `iptables-restore --test`, and packet traces.
 *
 *   node --expose-gc dist/bench/run-bench.js [--scale 0.25] [--keep bundle.tgz] [--breakdown] [--section netfilter]
 *
 * Progress goes to stderr; the results table to stdout.
 */
import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeScaleBundleTgz, type PlantedProblems, type WrittenScaleBundle } from './generate-scale-bundle.js';
import type { MeasureMode, MeasureResult, StageTiming } from './measure.js';
import { netfilterSection } from './netfilter-section.js';
import { policySection } from './policy-section.js';

/** The issue's targets, for the full-size bundle on a 2-core machine. */
export const TARGETS = {
  /** analysis seconds / floor seconds */
  maxRatio: 2.0,
  maxPeakRssBytes: 2.5 * 1024 ** 3,
  /** Analysis cost per pod at full size over that at 1/4 size: at most this means linear. */
  maxPerPodGrowth: 1.25,
} as const;

export interface BenchOptions {
  scales: number[];
  keep?: string;
  breakdown: boolean;
  /** Ids of the sections to run (`--section`); empty runs them all. */
  sections: string[];
}

/**
 * A part of the benchmark. Sections run in order; one that cannot run on this machine (a
 * missing tool, a missing generator) says why and is skipped.
 */
export interface BenchSection {
  /** Name for `--section`. */
  id: string;
  title: string;
  /** Why the section cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  run(options: BenchOptions): Promise<void>;
}

const MEASURE_SCRIPT = fileURLToPath(new URL('./measure.js', import.meta.url));

const mb = (bytes: number) => bytes / 1024 ** 2;
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

/** Runs measure.js in a fresh process and returns what it reports. */
export function measureInChild(mode: MeasureMode, bundlePath: string): Promise<MeasureResult> {
  return new Promise((resolve, reject) => {
    const child = fork(MEASURE_SCRIPT, [mode, bundlePath], {
      execArgv: [...new Set([...process.execArgv, '--expose-gc'])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: MeasureResult | undefined;
    child.on('message', (message) => {
      result = message as MeasureResult;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(`${mode} measurement died (${signal ? `signal ${signal}` : `exit code ${code}`}) before reporting; an out-of-memory crash ends this way`));
    });
  });
}

interface ScaleRow {
  scale: number;
  bundle: WrittenScaleBundle;
  generateSeconds: number;
  floor?: MeasureResult;
  analyze?: MeasureResult;
  breakdown?: MeasureResult;
  error?: string;
  /** Highest 1-minute load average seen around the measurements. */
  loadAverage: number;
}

function keptPath(keep: string, scale: number, several: boolean): string {
  if (!several) return keep;
  const ext = keep.endsWith('.tar.gz') ? '.tar.gz' : extname(keep);
  return `${keep.slice(0, keep.length - ext.length)}-${scale}${ext}`;
}

async function measureScale(scale: number, options: BenchOptions): Promise<ScaleRow> {
  const path = options.keep ? keptPath(options.keep, scale, options.scales.length > 1) : join(tmpdir(), `netdump-bench-${process.pid}-${scale}.tgz`);
  try {
    progress(`scale ${scale}: generating ${path}`);
    const t0 = performance.now();
    const bundle = await writeScaleBundleTgz(path, { scale });
    const row: ScaleRow = { scale, bundle, generateSeconds: (performance.now() - t0) / 1000, loadAverage: loadavg()[0]! };
    progress(
      `scale ${scale}: ${bundle.counts.services} Services, ${bundle.counts.pods} pods, ${bundle.counts.endpoints} endpoints; ` +
        `${bundle.files} files, ${mb(bundle.bytes).toFixed(0)} MB (${mb(bundle.tgzBytes).toFixed(1)} MB gzipped) in ${row.generateSeconds.toFixed(1)} s`,
    );
    try {
      progress(`scale ${scale}: measuring the floor`);
      row.floor = await measureInChild('floor', path);
      progress(`scale ${scale}: floor ${row.floor.seconds.toFixed(2)} s; measuring the analysis`);
      row.analyze = await measureInChild('analyze', path);
      progress(`scale ${scale}: analysis ${row.analyze.seconds.toFixed(2)} s`);
      row.loadAverage = Math.max(row.loadAverage, loadavg()[0]!);
      if (options.breakdown) {
        progress(`scale ${scale}: measuring stage by stage`);
        row.breakdown = await measureInChild('breakdown', path);
      }
    } catch (error) {
      row.error = (error as Error).message;
      progress(`scale ${scale}: ${row.error}`);
    }
    return row;
  } finally {
    if (!options.keep) await rm(path, { force: true });
  }
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

function printTable(rows: ScaleRow[]): void {
  const header = ['scale', 'services', 'pods', 'endpoints', 'bundle MB', 'tgz MB', 'floor s', 'analyze s', 'ratio', 'cpu ratio', 'peak RSS MB', 'floor RSS MB'];
  const body = rows.map((r) => {
    const ratio = r.floor && r.analyze ? r.analyze.seconds / r.floor.seconds : undefined;
    const cpuRatio = r.floor && r.analyze ? r.analyze.cpuSeconds / r.floor.cpuSeconds : undefined;
    return [
      String(r.scale),
      String(r.bundle.counts.services),
      String(r.bundle.counts.pods),
      String(r.bundle.counts.endpoints),
      mb(r.bundle.bytes).toFixed(0),
      mb(r.bundle.tgzBytes).toFixed(1),
      r.floor ? r.floor.seconds.toFixed(2) : '-',
      r.analyze ? r.analyze.seconds.toFixed(2) : r.error ? 'failed' : '-',
      ratio !== undefined ? `${ratio.toFixed(2)} ${verdict(ratio <= TARGETS.maxRatio)}` : '-',
      cpuRatio !== undefined ? cpuRatio.toFixed(2) : '-',
      r.analyze ? `${mb(r.analyze.maxRssBytes).toFixed(0)} ${verdict(r.analyze.maxRssBytes <= TARGETS.maxPeakRssBytes)}` : '-',
      r.floor ? mb(r.floor.maxRssBytes).toFixed(0) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  console.log(pad(header, widths));
  for (const b of body) console.log(pad(b, widths));
  console.log(`targets: ratio <= ${TARGETS.maxRatio.toFixed(1)}, analysis peak RSS <= ${mb(TARGETS.maxPeakRssBytes).toFixed(0)} MB (at full size, on 2 cores)`);
  console.log('ratio: wall-clock analysis / floor; cpu ratio: the same in CPU seconds (steadier when other processes compete)');
  const busiest = Math.max(...rows.map((r) => r.loadAverage));
  if (busiest > availableParallelism()) {
    console.log(`note: the 1-minute load average reached ${busiest.toFixed(1)} on ${availableParallelism()} CPUs: other processes competed, so times are inflated and noisy`);
  }
  for (const r of rows) if (r.error) console.log(`scale ${r.scale}: ${r.error}`);
}

function printLinearity(rows: ScaleRow[]): void {
  const measured = rows.filter((r) => r.analyze);
  if (measured.length === 0) return;
  const perK = (r: ScaleRow) => (r.analyze!.seconds / r.bundle.counts.pods) * 1000;
  const floorPerK = (r: ScaleRow) => (r.floor!.seconds / r.bundle.counts.pods) * 1000;
  const cells = measured.map((r) => `${r.scale}: ${(perK(r) * 1000).toFixed(1)} ms (floor ${(floorPerK(r) * 1000).toFixed(1)} ms)`);
  let line = `linearity: analysis time per 1,000 pods — ${cells.join(', ')}`;
  if (measured.length > 1) {
    const smallest = measured[0]!;
    const largest = measured[measured.length - 1]!;
    const growth = perK(largest) / perK(smallest);
    line += `; growth ${growth.toFixed(2)}x from ${smallest.scale} to ${largest.scale} ${verdict(growth <= TARGETS.maxPerPodGrowth)} (target <= ${TARGETS.maxPerPodGrowth}x)`;
  }
  console.log(line);
}

/** Which catalog rule should report each planted problem. */
const PLANTED_RULES: [keyof PlantedProblems, string][] = [
  ['selectorTypos', 'svc-no-endpoints'],
  ['allEndpointsNotReady', 'svc-endpoints-not-ready'],
  ['targetPortMismatch', 'svc-targetport-mismatch'],
  ['lbPending', 'lb-pending'],
  ['staleEndpoints', 'svc-endpoints-drift'],
  ['crashLoopingPods', 'pod-not-ready'],
  ['policySelectsNothing', 'netpol-selects-nothing'],
  ['policyPeerMatchesNothing', 'netpol-peer-matches-nothing'],
  ['ingressBackendMissing', 'ingress-backend-missing'],
];

/** Not a target: a check that the rules found what the generator planted, and what else. */
function printFindings(row: ScaleRow): void {
  const findings = row.analyze?.findings;
  if (!findings) return;
  const planted = row.bundle.counts.planted;
  const ran = new Set(row.analyze!.rulesRun ?? []);
  const cells = PLANTED_RULES.filter(([kind]) => planted[kind].length > 0).map(([kind, rule]) => {
    if (!ran.has(rule)) return `${rule} (not run: no such rule yet, or input missing)`;
    const found = new Set(findings[rule] ?? []);
    const hit = planted[kind].filter((subject) => found.has(subject)).length;
    return `${rule} ${hit}/${planted[kind].length}`;
  });
  const totals = Object.entries(findings)
    .map(([rule, subjects]) => `${rule} ${subjects.length}`)
    .join(', ');
  console.log(`scale ${row.scale} planted problems found: ${cells.join(', ')}`);
  console.log(`scale ${row.scale} findings (subjects per rule): ${totals || 'none'}`);
  if (row.analyze!.ruleProblems && row.analyze!.ruleProblems.length > 0) console.log(`scale ${row.scale} rule errors: ${row.analyze!.ruleProblems.join('; ')}`);
}

function printBreakdown(row: ScaleRow): void {
  const stages = row.breakdown?.stages;
  if (!stages) return;
  const main = stages.filter((s) => !s.stage.startsWith('rule '));
  const rules = stages.filter((s) => s.stage.startsWith('rule ')).sort((a, b) => b.seconds - a.seconds);
  const rulesSeconds = rules.reduce((n, s) => n + s.seconds, 0);
  const line = (s: StageTiming) => `  ${s.stage.padEnd(40)} ${s.seconds.toFixed(2).padStart(7)} s   heap ${mb(s.heapUsedBytes).toFixed(0).padStart(6)} MB   rss ${mb(s.rssBytes).toFixed(0).padStart(6)} MB`;
  console.log(`scale ${row.scale} breakdown (${row.breakdown!.seconds.toFixed(2)} s, peak RSS ${mb(row.breakdown!.maxRssBytes).toFixed(0)} MB):`);
  for (const s of main) console.log(line(s));
  console.log(`  ${'all rules'.padEnd(40)} ${rulesSeconds.toFixed(2).padStart(7)} s`);
  for (const s of rules.slice(0, 8)) console.log(line(s));
  const retained = row.breakdown!.retained;
  if (retained) {
    console.log(
      `  retained after a full GC: heap ${mb(retained.heapUsedBytes).toFixed(0)} MB = bundle text ${mb(retained.textBytes).toFixed(0)} MB + ` +
        `parsed objects, model and indexes ${mb(retained.heapUsedBytes - retained.textBytes).toFixed(0)} MB; off-heap (line tables...) ${mb(retained.externalBytes).toFixed(0)} MB`,
    );
  }
}

export const scaleBundleSection: BenchSection = {
  id: 'scale',
  title: 'Kubernetes API objects at scale (analyze vs. gunzip + untar + JSON.parse)',
  unavailable: async () => undefined,
  async run(options) {
    const rows: ScaleRow[] = [];
    for (const scale of options.scales) rows.push(await measureScale(scale, options));
    console.log();
    printTable(rows);
    printLinearity(rows);
    for (const row of rows) printFindings(row);
    for (const row of rows) printBreakdown(row);
    if (rows.some((r) => r.error)) process.exitCode = 1;
  },
};

export const sections: BenchSection[] = [scaleBundleSection, netfilterSection, policySection];

const USAGE = `usage: node --expose-gc dist/bench/run-bench.js [options]
  --scale <n>      one scale instead of 0.25, 0.5 and 1 (1 = 10,000 Services, 100,000 pods)
  --keep <file>    keep the generated .tgz there (with several scales: <file>-<scale>.tgz)
  --breakdown      also time each stage (read, model, each rule) with the heap after it
  --section <id>   run only this section (repeatable): ${sections.map((s) => s.id).join(', ')}
  --help`;

function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string' },
      keep: { type: 'string' },
      breakdown: { type: 'boolean', default: false },
      section: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const scales = values.scale === undefined ? [0.25, 0.5, 1] : [Number(values.scale)];
  if (scales.some((s) => !(s > 0 && s <= 4))) throw new Error(`--scale must be a number in (0, 4], got ${values.scale}`);
  const wanted = values.section ?? [];
  const unknown = wanted.filter((id) => !sections.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown --section ${unknown.join(', ')}: the sections are ${sections.map((s) => s.id).join(', ')}`);
  return { scales, keep: values.keep, breakdown: values.breakdown ?? false, sections: wanted };
}

async function main(): Promise<void> {
  let options: BenchOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (!options) {
    console.log(USAGE);
    return;
  }
  console.log(`netdump bench — node ${process.version}, ${availableParallelism()} CPUs`);
  for (const section of sections) {
    if (options.sections.length > 0 && !options.sections.includes(section.id)) continue;
    const why = await section.unavailable();
    console.log(`\n## ${section.title}`);
    if (why) {
      console.log(`skipped: ${why}`);
      continue;
    }
    await section.run(options);
  }
}

await main();
