/**
 * `netdump collect`: capture networking state into a bundle.
 *
 *   netdump collect                              the cluster of kubectl's current context
 *   netdump collect --context prod -n shop       another context, workloads of one namespace
 *   netdump collect --no-nodes                   API objects, logs and metrics only
 *   netdump collect --local                      this host (a Kubernetes node or a Docker host)
 *   netdump collect --local --node-name node-a   this node, under its Kubernetes node name
 *   netdump collect [--local] --dry-run          what would be run, and where each output goes
 *   netdump collect --anonymize --anonymize-key ~/.netdump-key
 *                                                pseudonyms in the bundle, the mapping beside it
 *
 * stdout carries the result (the bundle's path, or the --dry-run plan); progress and the
 * summary go to stderr. Exit status: 0 bundle written (whatever single commands did),
 * 2 usage error or the bundle could not be written, 130 interrupted (the bundle holds what was
 * collected until then).
 */
import { hostname } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { collectCluster, DEFAULT_CLUSTER_TIMEOUT_SECONDS, DEFAULT_CONCURRENCY, type CollectClusterOptions } from '../../../collector/cluster/collect-cluster.js';
import { collectLocal, DEFAULT_TIMEOUT_SECONDS, nodeNameProblem, type CollectSummary, type LocalCollectOptions } from '../../../collector/collect-local.js';
import { KeyFileError, loadOrCreateKeyFile, newAnonymizationKey } from '../../../collector/anonymize/anonymization-key.js';
import { renderClusterDryRun, renderDryRun } from '../../../collector/dry-run.js';
import { itemOutcome, type ItemOutcome } from '../../../collector/manifest-document.js';
import { Progress } from '../../../collector/progress.js';
import { defaultBundleName } from '../../../collector/write-bundle.js';
import type { CliIo } from '../cli-io.js';

/** What the command needs from the process beyond CliIo; tests pass their own. */
export interface CollectCommandEnv {
  stderrIsTTY: boolean;
  hostname(): string;
  now(): Date;
  /** Calls `listener` on Ctrl-C while a collection runs; returns the function that stops listening. */
  onInterrupt(listener: () => void): () => void;
  collectLocal(options: LocalCollectOptions): Promise<CollectSummary>;
  collectCluster(options: CollectClusterOptions): Promise<CollectSummary>;
}

export function processCollectEnv(): CollectCommandEnv {
  return {
    stderrIsTTY: process.stderr.isTTY === true,
    hostname,
    now: () => new Date(),
    onInterrupt(listener) {
      let count = 0;
      const handler = () => {
        // A second Ctrl-C means "stop now", bundle or not.
        if (++count > 1) process.exit(130);
        listener();
      };
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    collectLocal,
    collectCluster,
  };
}

interface CollectFlags {
  local?: boolean;
  output?: string;
  dryRun?: boolean;
  quiet?: boolean;
  timeout?: number;
  nodeName?: string;
  context?: string;
  kubeconfig?: string;
  namespace?: string[];
  concurrency: number;
  timeoutTotal: number;
  kubectl?: string;
  /** A string, or false for --no-nodes. */
  nodes?: string | false;
  via?: 'debug' | 'daemonset';
  image?: string;
  maxNodes?: number;
  anonymize?: boolean;
  anonymizeKey?: string;
}

/** The default of --timeout-total: a run that takes longer has usually met a stuck API server. */
export const DEFAULT_TOTAL_TIMEOUT_SECONDS = 1800;

const CLUSTER_ONLY: readonly (keyof CollectFlags)[] = ['context', 'kubeconfig', 'namespace', 'kubectl', 'nodes', 'via', 'image', 'maxNodes'];
const FLAG_NAMES: Partial<Record<keyof CollectFlags, string>> = {
  context: '--context',
  kubeconfig: '--kubeconfig',
  namespace: '--namespace',
  kubectl: '--kubectl',
  nodes: '--nodes/--no-nodes',
  via: '--via',
  image: '--image',
  maxNodes: '--max-nodes',
};

function parseSeconds(text: string): number {
  const seconds = /^\d{1,6}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(seconds >= 1)) throw new InvalidArgumentError(`expected a whole number of seconds, 1 or more, got "${text}".`);
  return seconds;
}

function parseCount(text: string): number {
  const count = /^\d{1,4}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(count >= 1)) throw new InvalidArgumentError(`expected a whole number, 1 or more, got "${text}".`);
  return count;
}

/** `-n a -n b,c` → [a, b, c]. */
function collectNamespaces(text: string, previous: string[] | undefined): string[] {
  const names = text.split(',').map((name) => name.trim()).filter(Boolean);
  const bad = names.find((name) => !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name));
  if (bad !== undefined || names.length === 0) throw new InvalidArgumentError(`"${bad ?? text}" is not a namespace name.`);
  return [...(previous ?? []), ...names];
}

function parseVia(text: string): 'debug' | 'daemonset' {
  if (text !== 'debug' && text !== 'daemonset') throw new InvalidArgumentError('expected debug or daemonset.');
  return text;
}

export function registerCollectCommand(program: Command, io: CliIo, env: CollectCommandEnv = processCollectEnv()): void {
  program
    .command('collect')
    .description('capture networking state into a bundle for `netdump analyze`: a cluster through kubectl, or this host with --local')
    .option('--local', 'capture this host: a Kubernetes node you are logged into, or a Docker host')
    .option('-o, --output <file>', 'the bundle to write (default netdump-<context or node>-<UTC time>.tgz)')
    .option('--dry-run', 'print every command that would run and where its output would go, and run nothing')
    .option('--quiet', 'no progress and no summary on stderr (errors still show)')
    .option('--timeout <seconds>', `time limit for each command (default ${DEFAULT_TIMEOUT_SECONDS} with --local, ${DEFAULT_CLUSTER_TIMEOUT_SECONDS} for kubectl calls)`, parseSeconds)
    .option('--node-name <name>', "with --local: the folder name under nodes/, this host's Kubernetes node name (default its host name)")
    .option('--context <name>', "the kubeconfig context to collect (default kubectl's current context)")
    .option('--kubeconfig <file>', 'the kubeconfig kubectl reads (default $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <names>', 'focus on the workloads of these namespaces (repeatable, or a comma list); cluster-wide networking objects are still taken', collectNamespaces)
    .option('--concurrency <n>', `kubectl calls or node captures at once`, parseCount, DEFAULT_CONCURRENCY)
    .option('--timeout-total <seconds>', `after this long nothing new starts; the rest is recorded as not run`, parseSeconds, DEFAULT_TOTAL_TIMEOUT_SECONDS)
    .option('--kubectl <path>', 'the kubectl to run (default kubectl from PATH)')
    .option('--nodes <nodes>', 'nodes to capture: all, a comma list of names, or a label selector (default the nodes of the pods in focus plus one per CNI agent version)')
    .option('--no-nodes', 'no node capture: API objects, logs, metrics and pod captures only')
    .option('--via <how>', 'run the node capture through `kubectl debug node/...` (debug, the default) or a short-lived DaemonSet (daemonset)', parseVia)
    .option('--image <image>', 'the image of the node capture pods (a netshoot-like image with iptables, nft, ip, conntrack)')
    .option('--max-nodes <n>', 'capture at most this many nodes', parseCount)
    .option('--anonymize', 'replace addresses and namespace/node/pod names by keyed pseudonyms in the bundle; the mapping file (<bundle>.map.json) is written beside it and stays with you')
    .option('--anonymize-key <file>', 'with --anonymize (implies it): the key file, created when missing (mode 0600), reused when present so several collections share pseudonyms')
    .action(async (flags: CollectFlags, command: Command) => {
      const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: 2, code: 'netdump.collectUsage' });
      if (flags.anonymizeKey !== undefined) flags.anonymize = true;
      if (flags.local) {
        const clusterFlag = CLUSTER_ONLY.find((key) => flags[key] !== undefined);
        if (clusterFlag) usage(`${FLAG_NAMES[clusterFlag]} applies to cluster mode, not to --local`);
        await runLocal(flags, command, io, env);
        return;
      }
      if (flags.nodeName !== undefined) usage('--node-name applies to --local only');
      await runCluster(flags, io, env);
    });
}

async function runLocal(flags: CollectFlags, command: Command, io: CliIo, env: CollectCommandEnv): Promise<void> {
  const timeout = flags.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  const node = flags.nodeName ?? env.hostname();
  const problem = nodeNameProblem(node);
  if (problem) command.error(`error: ${problem}${flags.nodeName ? '' : ' (the host name; pass --node-name)'}`, { exitCode: 2, code: 'netdump.collectUsage' });
  const output = flags.output ?? defaultBundleName(node, env.now());

  if (flags.dryRun) {
    io.out(renderDryRun({ mode: 'local', node, timeoutSeconds: timeout, output, ...(flags.anonymize ? { anonymize: true } : {}) }));
    io.setExitCode(0);
    return;
  }
  await runCollection(flags, io, env, (signal, progress, anonymizeKey) => env.collectLocal({ output, nodeName: node, timeoutSeconds: timeout, signal, progress, ...(anonymizeKey ? { anonymizeKey } : {}) }));
}

async function runCluster(flags: CollectFlags, io: CliIo, env: CollectCommandEnv): Promise<void> {
  const timeout = flags.timeout ?? DEFAULT_CLUSTER_TIMEOUT_SECONDS;
  const nodeOptions = {
    ...(flags.nodes ? { nodes: flags.nodes } : {}),
    ...(flags.nodes === false ? { skip: true } : {}),
    ...(flags.via ? { via: flags.via } : {}),
    ...(flags.image ? { image: flags.image } : {}),
    ...(flags.maxNodes ? { maxNodes: flags.maxNodes } : {}),
  };
  const focus = [...new Set(flags.namespace ?? [])];
  if (flags.dryRun) {
    const output = flags.output ?? defaultBundleName(flags.context ?? '<context>', env.now());
    io.out(
      renderClusterDryRun({
        mode: 'cluster',
        ...(flags.context ? { context: flags.context } : {}),
        focus,
        timeoutSeconds: timeout,
        totalTimeoutSeconds: flags.timeoutTotal,
        concurrency: flags.concurrency,
        nodeOptions,
        output,
        ...(flags.anonymize ? { anonymize: true } : {}),
      }),
    );
    io.setExitCode(0);
    return;
  }
  await runCollection(flags, io, env, (signal, progress, anonymizeKey) =>
    env.collectCluster({
      ...(anonymizeKey ? { anonymizeKey } : {}),
      ...(flags.output ? { output: flags.output } : {}),
      ...(flags.context ? { context: flags.context } : {}),
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.kubectl ? { kubectl: flags.kubectl } : {}),
      namespaces: focus,
      concurrency: flags.concurrency,
      timeoutSeconds: timeout,
      totalTimeoutSeconds: flags.timeoutTotal,
      nodeOptions,
      signal,
      progress,
    }),
  );
}

/** Progress, Ctrl-C, the summary and the exit status around one collection. */
async function runCollection(
  flags: CollectFlags,
  io: CliIo,
  env: CollectCommandEnv,
  collect: (signal: AbortSignal, progress: Progress, anonymizeKey: Buffer | undefined) => Promise<CollectSummary>,
): Promise<void> {
  let anonymizeKey: Buffer | undefined;
  if (flags.anonymize) {
    if (flags.anonymizeKey === undefined) anonymizeKey = newAnonymizationKey();
    else {
      try {
        const loaded = await loadOrCreateKeyFile(flags.anonymizeKey);
        anonymizeKey = loaded.key;
        if (loaded.created && !flags.quiet) io.err(`netdump: created key file ${flags.anonymizeKey} (mode 0600); pass it again to get the same pseudonyms, and keep it private\n`);
      } catch (error) {
        if (!(error instanceof KeyFileError)) throw error;
        io.err(`netdump: ${error.message}\n`);
        io.setExitCode(2);
        return;
      }
    }
  }
  const progress = new Progress({ write: io.err, isTTY: env.stderrIsTTY, quiet: flags.quiet === true });
  const controller = new AbortController();
  const stopListening = env.onInterrupt(() => {
    if (controller.signal.aborted) return;
    progress.note('interrupted: finishing the bundle with what was collected (Ctrl-C again to stop at once)');
    controller.abort();
  });
  let summary: CollectSummary;
  try {
    summary = await collect(controller.signal, progress, anonymizeKey);
  } catch (error) {
    progress.end();
    io.err(`netdump: the bundle could not be written: ${(error as Error).message}\n`);
    io.setExitCode(2);
    return;
  } finally {
    stopListening();
  }
  progress.end();
  if (!flags.quiet) io.err(renderSummary(summary, progress.elapsedText()));
  io.out(`${summary.bundle.path}\n`);
  io.setExitCode(summary.manifest.collection.interrupted ? 130 : 0);
}

/** Failure lines beyond this are counted, not listed: the manifest has them all. */
const MAX_FAILURE_LINES = 20;
/** Per-node lines beyond this are summed into one. */
const MAX_NODE_LINES = 8;

/**
 * What was collected, what failed and why, what was redacted, and the bundle's size. A local
 * capture is one scope (its node); a cluster collection has the cluster's own calls and one
 * scope per captured node. Identical failures on several nodes are one line.
 */
export function renderSummary(summary: CollectSummary, elapsed: string): string {
  const { manifest, outcomes, node } = summary;
  const counts = (o: Record<ItemOutcome, number>) =>
    `${plural(o.ok, 'command')} ok, ${o.failed} failed, ${o.skipped} not run (not applicable here)${o.interrupted > 0 ? `, ${o.interrupted} interrupted` : ''}`;
  const lines: string[] = [];
  if (manifest.collection.mode === 'local') {
    lines.push(`${node}: ${counts(outcomes)}, in ${elapsed}`);
  } else {
    const byScope = new Map<string, Record<ItemOutcome, number>>();
    for (const item of manifest.items) {
      const scope = item.node ?? '';
      const entry = byScope.get(scope) ?? { ok: 0, failed: 0, skipped: 0, interrupted: 0 };
      entry[itemOutcome(item)]++;
      byScope.set(scope, entry);
    }
    const cluster = byScope.get('') ?? { ok: 0, failed: 0, skipped: 0, interrupted: 0 };
    lines.push(`cluster "${node}": ${counts(cluster)}, in ${elapsed}`);
    const nodes = [...byScope.keys()].filter((scope) => scope !== '').sort();
    for (const scope of nodes.slice(0, MAX_NODE_LINES)) lines.push(`  node ${scope}: ${counts(byScope.get(scope)!)}`);
    if (nodes.length > MAX_NODE_LINES) {
      const rest = { ok: 0, failed: 0, skipped: 0, interrupted: 0 };
      for (const scope of nodes.slice(MAX_NODE_LINES)) for (const key of Object.keys(rest) as ItemOutcome[]) rest[key] += byScope.get(scope)![key];
      lines.push(`  ${nodes.length - MAX_NODE_LINES} more nodes: ${counts(rest)}`);
    }
  }
  const failures = new Map<string, { text: string; nodes: Set<string> }>();
  for (const item of manifest.items) {
    const outcome = itemOutcome(item);
    let text: string | undefined;
    if (outcome === 'failed') {
      const why = item.error === 'timed out' ? `timed out after ${manifest.collection.timeoutSeconds}s` : item.error ?? `exit ${item.exitCode}`;
      const stderr = item.stderr ? `: ${item.stderr.split('\n')[0]!.slice(0, 160)}` : '';
      text = `  failed: ${item.command} (${why}${stderr})`;
    } else if (outcome === 'skipped') {
      text = `  not run: ${item.command} (${(item.note ?? '').replace(/^not run: /, '')})`;
    }
    if (!text) continue;
    const entry = failures.get(text) ?? { text, nodes: new Set<string>() };
    if (item.node) entry.nodes.add(item.node);
    failures.set(text, entry);
  }
  const failureLines = [...failures.values()].map(({ text, nodes }) => (nodes.size > 1 ? `${text} on ${nodes.size} nodes` : text));
  lines.push(...failureLines.slice(0, MAX_FAILURE_LINES));
  if (failureLines.length > MAX_FAILURE_LINES) lines.push(`  ... and ${failureLines.length - MAX_FAILURE_LINES} more: see manifest.json "items"`);
  if (outcomes.interrupted > 0) lines.push(`  interrupted: ${plural(outcomes.interrupted, 'command')} stopped or not run`);
  for (const problem of manifest.collection.problems) lines.push(`  problem: ${problem}`);
  const redacted = manifest.redaction.redacted;
  if (redacted.length > 0) {
    const kinds = new Map<string, number>();
    for (const entry of redacted) kinds.set(entry.kind, (kinds.get(entry.kind) ?? 0) + entry.count);
    const byKind = [...kinds].map(([kind, count]) => `${count} ${kind}`).join(', ');
    const files = new Set(redacted.map((e) => e.path)).size;
    lines.push(`${plural(manifest.redaction.total, 'credential')} redacted (${byKind}) in ${plural(files, 'file')}: see manifest.json "redaction"`);
  }
  lines.push(`bundle written: ${summary.bundle.path} (${formatBytes(summary.bundle.bytes)})`);
  if (summary.anonymization) {
    const { mapPath, names, addresses, macs } = summary.anonymization;
    lines.push(`anonymized: ${plural(names, 'name')}, ${addresses} address${addresses === 1 ? '' : 'es'} and ${macs} MAC address${macs === 1 ? '' : 'es'} replaced by pseudonyms in the bundle`);
    lines.push(`mapping file: ${mapPath} — it turns the pseudonyms back (netdump deanonymize report.json --map ${mapPath}): keep it with you, do not send it with the bundle`);
  }
  return lines.map((line) => `netdump: ${line}\n`).join('');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
