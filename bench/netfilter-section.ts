/**
 * The benchmark's netfilter section (issue 3, Speed): on the iptables-save of a kube-proxy node
 * with 10,000 Services × 10 endpoints (~48 MB, ~440k lines, generated here; `--scale` shrinks
 * it), netdump's parse + kube-proxy reconstruction must take at most 0.25× the time
 * `iptables-restore --test` takes on the same file, and one packet trace at most 5 ms once the
 * dump is loaded.
 *
 * `iptables-restore --test` parses the dump and builds the kernel's ruleset without committing
 * it; it still runs inside a fresh network namespace (`ip netns add`, or `unshare -rn` when not
 * root), so the host's rules are never in reach. Without the binary or a namespace, the section
 * prints netdump's figures alone.
 *
 * Times are medians of RUNS runs each; netdump's stages run in this process, so later runs are
 * JIT-warm where the restore binary starts cold every time — the table prints the first
 * (cold) netdump run beside the median. CPU seconds are printed too: steadier than wall-clock
 * when other processes compete for the cores.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryBundle } from '../analyzer/bundle/in-memory-bundle.js';
import { SourceFile } from '../analyzer/bundle/source-file.js';
import { buildKubeModel } from '../analyzer/kube/build-model.js';
import type { KubeModel } from '../analyzer/kube/types.js';
import { reconstructIptables } from '../analyzer/kubeproxy/reconstruct-iptables.js';
import { buildServicePortIndex } from '../analyzer/kubeproxy/service-port-index.js';
import { parseIptablesSave } from '../analyzer/netfilter/parse-iptables-save.js';
import { compileIptables, type IptablesSimulator } from '../analyzer/netfilter/simulate/compile-iptables.js';
import { nodeNetContext } from '../analyzer/netfilter/simulate/node-context.js';
import { generateKubeProxyIptablesDump } from './generate-kube-proxy-dump.js';
import type { BenchOptions, BenchSection } from './run-bench.js';
import { createPrng } from './scale/prng.js';

export const NETFILTER_TARGETS = {
  /** (parse + reconstruct) seconds / `iptables-restore --test` seconds. */
  maxRestoreRatio: 0.25,
  /** One packet trace after load, at the 99th percentile. */
  maxTraceMs: 5,
} as const;

const FULL_SERVICES = 10_000;
const ENDPOINTS_PER_SERVICE = 10;
const RUNS = 3;
const TRACES = 1_000;
const SEED = 20261126;
const NODE = 'bench-node';
const DUMP_PATH = `nodes/${NODE}/iptables-save.txt`;

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/** The Services the generated dump programs, as `kubectl get services -A -o json` lists them (see generate-kube-proxy-dump.ts). */
function generatedServicesJson(services: number, nodePortEvery = 5): string {
  const items: unknown[] = [];
  for (let i = 0; i < services; i++) {
    const udp = i % 10 === 9;
    const v = ((10 << 24) | (96 << 16)) + i + 1;
    const clusterIP = `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    const nodePort = nodePortEvery > 0 && i % nodePortEvery === 0 ? 30000 + (i % 2768) : undefined;
    items.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: `ns-${Math.floor(i / 100)}`, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
      spec: {
        clusterIP,
        clusterIPs: [clusterIP],
        ipFamilies: ['IPv4'],
        ports: [{ name: udp ? 'dns' : 'http', port: udp ? 53 : 80, protocol: udp ? 'UDP' : 'TCP', targetPort: udp ? 5353 : 8080, ...(nodePort ? { nodePort } : {}) }],
        selector: { app: `svc-${i}` },
        type: nodePort ? 'NodePort' : 'ClusterIP',
      },
    });
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

function kubeModelOf(servicesJson: string): KubeModel {
  const file = new SourceFile('cluster/services.json', servicesJson);
  const bundle = new InMemoryBundle('bench', new Map([[file.path, file]]), [], undefined, new Set());
  return buildKubeModel(bundle).value;
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
}

function timed<T>(work: () => T): { value: T } & Timing {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const value = work();
  const cpu = process.cpuUsage(cpu0);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU seconds of this process's reaped children (/proc/self/stat cutime + cstime); undefined off Linux. */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command name start at field 3 (state); cutime and cstime are fields 16 and 17.
    const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return Number.isFinite(ticks) ? ticks / hz : undefined;
  } catch {
    return undefined;
  }
}

interface RestoreRunner {
  /** What runs, for the table: `iptables-restore v1.8.9 (nf_tables) in a fresh network namespace`. */
  description: string;
  run(dumpFile: string): Timing & { status: number | null; stderr: string };
  cleanup(): void;
}

/** `iptables-restore --test` inside a throwaway network namespace, or why it cannot run here. */
function restoreRunner(): RestoreRunner | string {
  const version = spawnSync('iptables-restore', ['--version'], { encoding: 'utf8' });
  if (version.error) return `iptables-restore is not installed (${(version.error as NodeJS.ErrnoException).code ?? version.error.message})`;
  const versionText = (version.stdout || version.stderr).trim();
  let prefix: string[];
  let cleanup = () => {};
  let where: string;
  if (process.getuid?.() === 0) {
    const namespace = `netdump-bench-${process.pid}`;
    const added = spawnSync('ip', ['netns', 'add', namespace], { encoding: 'utf8' });
    if (added.error || added.status !== 0) return `cannot create a network namespace: ${added.error?.message ?? added.stderr.trim()}`;
    prefix = ['ip', 'netns', 'exec', namespace];
    cleanup = () => void spawnSync('ip', ['netns', 'del', namespace]);
    where = `in network namespace ${namespace}`;
  } else {
    const probe = spawnSync('unshare', ['--net', '--map-root-user', 'true'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return `not root, and unshare --net --map-root-user fails (${probe.error?.message ?? probe.stderr.trim()}): no namespace to test the dump in`;
    prefix = ['unshare', '--net', '--map-root-user'];
    where = 'in a user + network namespace (unshare -rn)';
  }
  return {
    description: `${versionText} ${where}`,
    run(dumpFile) {
      const fd = openSync(dumpFile, 'r');
      try {
        const cpu0 = childrenCpuSeconds();
        const t0 = performance.now();
        const child = spawnSync(prefix[0]!, [...prefix.slice(1), 'iptables-restore', '--test'], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' });
        const seconds = (performance.now() - t0) / 1000;
        const cpu1 = childrenCpuSeconds();
        return { seconds, cpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : NaN, status: child.status, stderr: child.stderr ?? '' };
      } finally {
        closeSync(fd);
      }
    },
    cleanup,
  };
}

interface LoadRun {
  parse: Timing;
  reconstruct: Timing;
  compile: Timing;
  servicePorts: number;
  tiedToApi: number;
}

/** Parses, reconstructs and compiles once; hands the simulator to `keep` (the others are garbage at once). */
function loadOnce(text: string, kube: KubeModel, keep?: (simulator: IptablesSimulator) => void): LoadRun {
  const file = new SourceFile(DUMP_PATH, text);
  const parse = timed(() => parseIptablesSave(file));
  const issues = parse.value.issues;
  if (issues.length > 0) throw new Error(`the generated dump has ${issues.length} parse issues, first: ${issues[0]!.message}`);
  const dump = parse.value.value;
  // The index hashes every API Service port on first use: that is part of tying chains to the API.
  const reconstruct = timed(() => reconstructIptables(NODE, 4, { file, value: dump }, buildServicePortIndex(kube)));
  const compile = timed(() => compileIptables(dump, { file: DUMP_PATH }));
  keep?.(compile.value);
  const ports = reconstruct.value.servicePorts;
  const timing = (t: Timing): Timing => ({ seconds: t.seconds, cpuSeconds: t.cpuSeconds });
  return {
    parse: timing(parse),
    reconstruct: timing(reconstruct),
    compile: timing(compile),
    servicePorts: ports.length,
    tiedToApi: ports.filter((p) => p.ref !== undefined).length,
  };
}

interface TraceFigures {
  firstMs: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  /** The same in CPU time of this process: what competing processes do not inflate. */
  cpuMedianMs: number;
  cpuP99Ms: number;
  /** Traces whose every outcome is accepted with a DNAT, ENDPOINTS_PER_SERVICE outcomes, probabilities summing to 1. */
  wellFormed: number;
}

function traceRandomServices(simulator: IptablesSimulator, services: number): TraceFigures {
  const prng = createPrng(SEED);
  const node = nodeNetContext({ localAddresses: ['10.0.0.11'], podCidrs: ['10.244.0.0/24'] });
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let wellFormed = 0;
  for (let n = 0; n < TRACES; n++) {
    const i = prng.int(services);
    const udp = i % 10 === 9;
    const v = ((10 << 24) | (96 << 16)) + i + 1;
    const dst = `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    const packet = { from: 'pod' as const, src: `10.244.0.${prng.between(2, 254)}`, sport: prng.between(32768, 60999), dst, dport: udp ? 53 : 80, proto: udp ? 'udp' : 'tcp' };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = simulator.trace(node, packet);
    times.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    const sum = result.outcomes.reduce((s, o) => s + o.probability, 0);
    if (result.outcomes.length === ENDPOINTS_PER_SERVICE && Math.abs(sum - 1) < 1e-9 && result.outcomes.every((o) => o.fate === 'accepted' && o.dnat !== undefined)) wellFormed++;
  }
  const firstMs = times[0]!;
  const sorted = [...times].sort((a, b) => a - b);
  const cpuSorted = [...cpuTimes].sort((a, b) => a - b);
  return { firstMs, medianMs: median(sorted), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1)!, cpuMedianMs: median(cpuSorted), cpuP99Ms: percentile(cpuSorted, 99), wellFormed };
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

function printRows(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log(pad(header, widths));
  for (const row of rows) console.log(pad(row, widths));
}

const s = (t: number) => t.toFixed(2);

export const netfilterSection: BenchSection = {
  id: 'netfilter',
  title: 'Netfilter: kube-proxy iptables-save parse + reconstruction vs. iptables-restore --test, packet traces',
  unavailable: async () => undefined,
  async run(options: BenchOptions) {
    const scale = Math.max(...options.scales);
    const services = Math.max(1, Math.round(FULL_SERVICES * scale));
    progress(`netfilter: generating the iptables-save of ${services} Services × ${ENDPOINTS_PER_SERVICE} endpoints`);
    const generated = timed(() => generateKubeProxyIptablesDump({ services, endpointsPerService: ENDPOINTS_PER_SERVICE }));
    const text = generated.value;
    const lines = text.split('\n').length - 1;
    const bytes = Buffer.byteLength(text);
    const kube = kubeModelOf(generatedServicesJson(services));
    const dumpFile = join(tmpdir(), `netdump-bench-${process.pid}-iptables-save.txt`);
    writeFileSync(dumpFile, text);
    const loadAverages = [loadavg()[0]!];

    const restore: (Timing & { status: number | null; stderr: string })[] = [];
    let restoreNote: string;
    const runner = restoreRunner();
    if (typeof runner === 'string') {
      restoreNote = `iptables-restore --test not measured: ${runner}`;
    } else {
      restoreNote = `reference: ${runner.description}`;
      try {
        for (let r = 0; r < RUNS; r++) {
          progress(`netfilter: iptables-restore --test, run ${r + 1} of ${RUNS}`);
          const run = runner.run(dumpFile);
          if (run.status !== 0) {
            restoreNote = `iptables-restore --test rejected the dump (exit ${run.status}): ${run.stderr.trim().split('\n')[0]}`;
            restore.length = 0;
            break;
          }
          restore.push(run);
        }
      } finally {
        runner.cleanup();
      }
    }
    rmSync(dumpFile, { force: true });
    loadAverages.push(loadavg()[0]!);

    const loads: LoadRun[] = [];
    let simulator: IptablesSimulator | undefined;
    for (let r = 0; r < RUNS; r++) {
      progress(`netfilter: netdump parse + reconstruct + compile, run ${r + 1} of ${RUNS}`);
      gc?.();
      loads.push(loadOnce(text, kube, r === RUNS - 1 ? (sim) => (simulator = sim) : undefined));
    }
    loadAverages.push(loadavg()[0]!);
    progress(`netfilter: ${TRACES} packet traces to random Services`);
    const traces = traceRandomServices(simulator!, services);

    const restoreSeconds = restore.length > 0 ? median(restore.map((r) => r.seconds)) : undefined;
    const restoreCpu = restore.length > 0 ? median(restore.map((r) => r.cpuSeconds)) : undefined;
    /** Medians over the runs of the stages' total, and the first (cold) run's. */
    const stages = (pick: (l: LoadRun) => Timing[]) => {
      const total = (l: LoadRun, key: keyof Timing) => pick(l).reduce((n, t) => n + t[key], 0);
      return { seconds: median(loads.map((l) => total(l, 'seconds'))), cpuSeconds: median(loads.map((l) => total(l, 'cpuSeconds'))), cold: total(loads[0]!, 'seconds') };
    };
    const parse = stages((l) => [l.parse]);
    const reconstruct = stages((l) => [l.reconstruct]);
    const compile = stages((l) => [l.compile]);
    const parseReconstruct = stages((l) => [l.parse, l.reconstruct]);
    const all = stages((l) => [l.parse, l.reconstruct, l.compile]);
    const last = loads.at(-1)!;

    console.log();
    console.log(
      `kube-proxy iptables-save: ${services.toLocaleString('en')} Services × ${ENDPOINTS_PER_SERVICE} endpoints, ${(bytes / 1024 ** 2).toFixed(1)} MB, ` +
        `${lines.toLocaleString('en')} lines (generated in ${s(generated.seconds)} s); ${last.tiedToApi}/${last.servicePorts} Service ports tied to the API by chain hash`,
    );
    console.log(restoreNote);
    const ratio = (t: number | undefined, reference: number | undefined) => (t !== undefined && reference !== undefined && reference > 0 ? t / reference : undefined);
    const target = NETFILTER_TARGETS.maxRestoreRatio;
    const row = (name: string, t: { seconds: number; cpuSeconds: number; cold?: number }, judged: boolean): string[] => {
      const r = ratio(t.seconds, restoreSeconds);
      const cpuR = ratio(t.cpuSeconds, restoreCpu);
      return [
        name,
        s(t.seconds),
        t.cold !== undefined ? s(t.cold) : '-',
        s(t.cpuSeconds),
        r !== undefined ? `${r.toFixed(2)}${judged ? ` ${verdict(r <= target)}` : ''}` : '-',
        cpuR !== undefined && Number.isFinite(cpuR) ? cpuR.toFixed(2) : '-',
      ];
    };
    const rows: string[][] = [];
    if (restoreSeconds !== undefined) rows.push(['iptables-restore --test', s(restoreSeconds), '-', restoreCpu !== undefined && Number.isFinite(restoreCpu) ? s(restoreCpu) : '-', '1.00', '1.00']);
    rows.push(row('parse iptables-save', parse, false));
    rows.push(row('reconstruct kube-proxy', reconstruct, false));
    rows.push(row('compile the simulator', compile, false));
    rows.push(row('parse + reconstruct', parseReconstruct, true));
    rows.push(row('parse + reconstruct + compile', all, false));
    printRows(['step', `median s (${RUNS} runs)`, 'cold s', 'cpu s', 'ratio', 'cpu ratio'], rows);
    console.log(`target: parse + reconstruct <= ${target}x iptables-restore --test (wall-clock medians); cold: netdump's first run in this process`);
    console.log(
      `trace: ${TRACES} packets from a pod to random Services — median ${traces.medianMs.toFixed(2)} ms, p99 ${traces.p99Ms.toFixed(2)} ms ` +
        `${verdict(traces.p99Ms <= NETFILTER_TARGETS.maxTraceMs)} (target <= ${NETFILTER_TARGETS.maxTraceMs} ms), max ${traces.maxMs.toFixed(2)} ms, first ${traces.firstMs.toFixed(2)} ms`,
    );
    console.log(
      `trace CPU time: median ${traces.cpuMedianMs.toFixed(2)} ms, p99 ${traces.cpuP99Ms.toFixed(2)} ms ${verdict(traces.cpuP99Ms <= NETFILTER_TARGETS.maxTraceMs)}; ` +
        `${traces.wellFormed}/${TRACES} traces fanned out to ${ENDPOINTS_PER_SERVICE} accepted DNAT outcomes summing to 1`,
    );
    const busiest = Math.max(...loadAverages);
    if (busiest > availableParallelism()) {
      console.log(`note: the 1-minute load average reached ${busiest.toFixed(1)} on ${availableParallelism()} CPUs: other processes competed, so times are inflated and noisy`);
    }
    if (traces.wellFormed !== TRACES || last.tiedToApi !== last.servicePorts) process.exitCode = 1;
  },
};
