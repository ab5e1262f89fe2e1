/**
 * `netdump collect` (cluster mode): reads the cluster through the user's kubectl into a bundle.
 *
 *   discovery   kubectl version, api-resources, namespaces
 *   objects     every resource of the bundle format, the CNI CRDs that exist, ConfigMaps of
 *               kube-system and CNI namespaces, kubectl top pods (cluster-objects.ts)
 *   components  logs of networking components, CoreDNS metrics through the pod proxy
 *   phases      node captures and per-pod captures (node-phase.ts, pod-phase.ts), given the
 *               nodes, pods and DaemonSets read above
 *
 * At most `concurrency` kubectl calls run at once, each with its own time limit; after the
 * total time limit nothing new starts and what was left is recorded as not run. One failing
 * call never stops the others: each call is a manifest item, failed ones with their error
 * ("forbidden" for RBAC refusals) and stderr. Ctrl-C (the AbortSignal) stops the calls that
 * run, marks the rest interrupted and still writes the bundle. Every file and stderr is
 * redacted before it is written; manifest.json says what was replaced where.
 */
import { resolve } from 'node:path';
import { itemOutcome, newManifest, type ItemOutcome, type ManifestDocument, type ManifestItemDocument } from '../manifest-document.js';
import type { CollectSummary } from '../collect-local.js';
import { MAX_STDERR_CHARS } from '../node-capture-items.js';
import type { Progress, StepStatus } from '../progress.js';
import { redactCollection } from '../redact-collection.js';
import { defaultBundleName, type BundleEntry } from '../write-bundle.js';
import { writeCollection } from '../write-collection.js';
import { deriveClusterHints, type ClusterHints } from './cluster-hints.js';
import {
  API_RESOURCES_PATH,
  NAMESPACES_PATH,
  VERSION_PATH,
  calicoCrdListToV3,
  componentCommands,
  discoveryCommands,
  objectCommands,
  parseApiResourceNames,
  perNamespaceCommands,
  DEFAULT_LOG_TAIL_LINES,
  PREVIOUS_LOG_SUFFIX,
  type PlannedCommand,
} from './cluster-objects.js';
import type { ClusterPhaseContext, KubeObject, KubectlResult, KubectlRun, KubectlTarget, PhaseOutput } from './cluster-phase.js';
import { classifyKubectlFailure, createKubectlRun, DEFAULT_MAX_STDOUT_BYTES, failureText, kubectlCommandLine, type KubectlFailure } from './kubectl-run.js';
import { DEFAULT_CAPTURE_NAMESPACE, DEFAULT_MAX_NODES, DEFAULT_NODE_IMAGE, captureClusterNodes, type NodePhaseOptions } from './node-phase.js';
import type { NodeSelection } from './node-selection.js';
import { kubectlItem } from './phase-items.js';
import { capturePods } from './pod-phase.js';

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_CLUSTER_TIMEOUT_SECONDS = 60;

/** Node selection and capture flags, passed through to the node phase. */
export interface ClusterNodeOptions {
  /** `--nodes all|<names>|<label selector>`; undefined: the phase's default choice. */
  nodes?: string;
  via?: 'debug' | 'daemonset';
  image?: string;
  maxNodes?: number;
  /** `--no-nodes`: no node capture at all. */
  skip?: boolean;
}

/** A step after the objects that reaches into nodes or pods (node-phase.ts, pod-phase.ts). */
export interface ClusterPhase {
  /** For progress and problems: "node capture", "pod captures". */
  name: string;
  run(ctx: ClusterPhaseContext): Promise<PhaseOutput>;
}

export interface CollectClusterOptions {
  /** Default `netdump-<context>-<UTC timestamp>.tgz` in the working folder. */
  output?: string;
  /** `--context`; default kubectl's current context. */
  context?: string;
  kubeconfig?: string;
  /** The kubectl binary (`--kubectl`); default `kubectl` from PATH. */
  kubectl?: string;
  /** Extra environment for kubectl (tests set KUBECACHEDIR). */
  kubectlEnv?: Readonly<Record<string, string>>;
  /** `-n/--namespace`: the namespaces in focus; empty or undefined means all. */
  namespaces?: readonly string[];
  concurrency?: number;
  /** Per kubectl call. */
  timeoutSeconds?: number;
  /** After this long nothing new starts (`--timeout-total`). */
  totalTimeoutSeconds?: number;
  logTailLines?: number;
  signal?: AbortSignal;
  progress?: Progress;
  now?: () => Date;
  /** Passed through to the node phase. */
  nodeOptions?: ClusterNodeOptions;
  /**
   * The steps run after the objects, in order. Default: the node capture (unless
   * `nodeOptions.skip`) then the per-pod captures (clusterPhases). Tests pass their own, or none.
   */
  phases?: readonly ClusterPhase[];
  /** One kubectl output larger than this is not stored; a cluster-wide list is then taken per namespace. */
  maxOutputBytes?: number;
  /** Replaces the kubectl runner (tests). */
  kubectlRun?: KubectlRun;
  /** `--anonymize`: the key of the pseudonyms; the mapping file goes beside the bundle. */
  anonymizeKey?: Buffer;
}

export interface ClusterCollectSummary extends CollectSummary {
  manifest: ClusterManifestDocument;
  context: string;
}

export interface ClusterManifestDocument extends ManifestDocument {
  cluster: ClusterHints;
}

/** `--nodes all|<name,name>|<label selector>` as the node phase takes it. */
export function parseNodeSelection(text: string | undefined): NodeSelection {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return 'default';
  if (trimmed === 'all') return 'all';
  // Node names are DNS names: '=', '!', '(', ' in ' or a '/' (a label key's prefix) make it a selector.
  if (/[=!()/]|\s(in|notin)\s/.test(trimmed)) return { selector: trimmed };
  return trimmed.split(',').map((name) => name.trim()).filter(Boolean);
}

/** The node phase's options from the CLI's node flags. */
export function nodePhaseOptions(options: ClusterNodeOptions = {}): NodePhaseOptions {
  return {
    nodes: parseNodeSelection(options.nodes),
    via: options.via ?? 'debug',
    image: options.image ?? DEFAULT_NODE_IMAGE,
    maxNodes: options.maxNodes ?? DEFAULT_MAX_NODES,
    namespace: DEFAULT_CAPTURE_NAMESPACE,
  };
}

/** The default phases: node capture (unless skipped), then per-pod captures. */
export function clusterPhases(options: ClusterNodeOptions = {}): ClusterPhase[] {
  const phases: ClusterPhase[] = [];
  if (!options.skip) {
    const nodeOptions = nodePhaseOptions(options);
    phases.push({ name: 'node capture', run: (ctx) => captureClusterNodes(ctx, nodeOptions) });
  }
  phases.push({ name: 'pod captures', run: (ctx) => capturePods(ctx) });
  return phases;
}

/** The kubectl flags every call carries. */
export function kubectlTarget(options: Pick<CollectClusterOptions, 'kubectl' | 'kubeconfig' | 'context'>): KubectlTarget {
  return {
    binary: options.kubectl ?? 'kubectl',
    globalArgs: [...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : []), ...(options.context ? ['--context', options.context] : [])],
  };
}

/** Discovery failures that no later call would escape. */
const FATAL_DISCOVERY_FAILURES: ReadonlySet<KubectlFailure> = new Set(['unreachable', 'timed-out', 'bad-config', 'unauthorized']);

interface CommandOutcome {
  planned: PlannedCommand;
  item: ManifestItemDocument;
  failure?: KubectlFailure;
  /** Raw stdout of a successful call. */
  stdout?: Buffer;
}

export async function collectCluster(options: CollectClusterOptions = {}): Promise<ClusterCollectSummary> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const startedMs = Date.now();
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_CLUSTER_TIMEOUT_SECONDS;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const deadline = options.totalTimeoutSeconds ? startedMs + options.totalTimeoutSeconds * 1000 : Number.POSITIVE_INFINITY;
  const focus = [...new Set(options.namespaces ?? [])];
  const target = kubectlTarget(options);
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const kubectl = options.kubectlRun ?? createKubectlRun(target, { maxStdoutBytes: maxOutputBytes, ...(options.kubectlEnv ? { env: options.kubectlEnv } : {}) });
  const progress = options.progress;
  const problems: string[] = [];
  const signal = options.signal;

  const contextItems: ManifestItemDocument[] = [];
  const context = options.context ?? (await currentContext(kubectl, timeoutSeconds, signal, problems, contextItems));
  const output = resolve(options.output ?? defaultBundleName(context ?? 'cluster', started));
  progress?.note(`collecting cluster ${context ? `"${context}"` : '(unknown context)'}${focus.length > 0 ? `, focused on ${focus.join(', ')}` : ''}`);

  /** Set when the run cannot go on (kubectl missing, API server unreachable): the rest is not run. */
  let stopReason: string | undefined;
  const runAll = async (commands: PlannedCommand[]): Promise<CommandOutcome[]> => {
    progress?.expect(commands.length);
    return runPool(commands, concurrency, async (planned) => {
      const outcome = await runPlanned(planned);
      const status = stepStatus(outcome.item);
      progress?.step({ scope: 'cluster', status, label: planned.path, ...(status === 'ok' ? {} : { detail: stepDetail(outcome.item) }) });
      return outcome;
    });
  };

  const runPlanned = async (planned: PlannedCommand): Promise<CommandOutcome> => {
    const command = kubectlCommandLine(planned.args);
    const item: ManifestItemDocument = { path: planned.path, command };
    if (planned.skip) return { planned, item: { ...item, note: `not run: ${planned.skip}` } };
    if (signal?.aborted) return { planned, item: { ...item, error: 'interrupted', note: 'not run' } };
    if (stopReason) return { planned, item: { ...item, error: stopReason, note: 'not run' } };
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      return { planned, item: { ...item, error: 'total time limit reached', note: `not run: the total time limit (${options.totalTimeoutSeconds}s) was reached first` } };
    }
    const result = await kubectl(planned.args, { timeoutSeconds: Math.min(timeoutSeconds, Math.ceil(remaining / 1000)), ...(signal ? { signal } : {}) });
    const failure = classifyKubectlFailure(result);
    if (failure === 'kubectl-not-found') stopReason = 'kubectl not found';
    return toOutcome(planned, result, failure);
  };

  // 1. discovery
  const discovery = await runAll(discoveryCommands());
  const byPath = (outcomes: CommandOutcome[], path: string) => outcomes.find((o) => o.planned.path === path);
  const apiResourcesOut = byPath(discovery, API_RESOURCES_PATH)?.stdout;
  const apiResources = apiResourcesOut ? parseApiResourceNames(apiResourcesOut.toString('utf8')) : undefined;
  const namespacesList = parseList(byPath(discovery, NAMESPACES_PATH)?.stdout, NAMESPACES_PATH, problems);
  const namespaces = namespacesList?.map((ns) => String(ns?.metadata?.name ?? '')).filter(Boolean);
  if (stopReason === 'kubectl not found') {
    problems.push(`kubectl was not found (${target.binary}): install it or name it with --kubectl <path>; nothing was collected from the cluster`);
  } else if (discovery.every((o) => o.failure !== undefined && FATAL_DISCOVERY_FAILURES.has(o.failure))) {
    // Every later call would fail the same way, each after its own timeout.
    const first = discovery[0]!;
    stopReason = first.item.error ?? failureText(first.failure!);
    problems.push(`kubectl could not talk to the cluster (${first.item.error}: ${firstLine(first.item.stderr)}): nothing more was asked`);
  }
  if (!apiResources && !stopReason) problems.push('kubectl api-resources failed: Calico, Cilium and other optional resources were not asked for');
  if (focus.length > 0 && namespaces) {
    const unknown = focus.filter((ns) => !namespaces.includes(ns));
    if (unknown.length > 0) problems.push(`namespace${unknown.length > 1 ? 's' : ''} not found in the cluster: ${unknown.join(', ')}`);
  }

  // 2. objects; a cluster-wide list too large for one file is listed again per namespace
  const objects = await runAll(objectCommands({ apiResources, namespaces, focus }));
  const tooLarge = objects.filter((o) => o.failure === 'output-too-large' && o.planned.args.includes('-A'));
  if (tooLarge.length > 0 && namespaces) {
    for (const outcome of tooLarge) {
      outcome.item.note = `output over ${formatMiB(maxOutputBytes)}: listed per namespace instead (${outcome.planned.path.replace(/\.json$/, '/<namespace>.json')})`;
      delete outcome.item.error;
      delete outcome.failure;
    }
    objects.push(...(await runAll(tooLarge.flatMap((o) => perNamespaceCommands(o.planned, namespaces)))));
  }
  const listed = (pattern: RegExp) => objects.filter((o) => pattern.test(o.planned.path)).flatMap((o) => parseList(o.stdout, o.planned.path, problems) ?? []);
  const pods = listed(/^cluster\/pods(\.json|\/)/);
  const nodes = listed(/^cluster\/nodes\.json$/);
  const daemonsets = listed(/^cluster\/daemonsets(\.json|\/)/);
  const configMaps = listed(/^cluster\/configmaps(\.json|\/)/);

  // 3. components
  const components = componentCommands(pods, options.logTailLines ?? DEFAULT_LOG_TAIL_LINES);
  problems.push(...components.notes);
  const componentOutcomes = await runAll(components.commands);

  // 4. node and pod phases
  const phaseOutputs: PhaseOutput[] = [];
  for (const phase of options.phases ?? clusterPhases(options.nodeOptions)) {
    if (signal?.aborted || stopReason) {
      problems.push(`${phase.name}: not run (${signal?.aborted ? 'interrupted' : stopReason})`);
      continue;
    }
    const ctx: ClusterPhaseContext = {
      kubectl,
      target,
      timeoutSeconds,
      deadline,
      concurrency,
      ...(signal ? { signal } : {}),
      ...(progress ? { progress } : {}),
      objects: { nodes, pods, daemonsets },
      focusNamespaces: focus,
    };
    try {
      phaseOutputs.push(await phase.run(ctx));
    } catch (error) {
      problems.push(`${phase.name}: ${(error as Error).message}`);
    }
  }

  // 5. manifest, redaction, bundle
  const all = [...discovery, ...objects, ...componentOutcomes];
  const version = parseObject(byPath(discovery, VERSION_PATH)?.stdout);
  const hints: ClusterHints = { ...(context ? { context } : {}), ...deriveClusterHints({ ...(version ? { version } : {}), pods, configMaps }) };
  const base = newManifest('cluster', started, timeoutSeconds);
  const manifest: ClusterManifestDocument = {
    format: base.format,
    createdAt: base.createdAt,
    collector: base.collector,
    cluster: hints,
    collection: base.collection,
    items: [...contextItems, ...all.map((o) => o.item), ...phaseOutputs.flatMap((p) => p.items)],
    redaction: base.redaction,
  };
  manifest.collection.nodes = [...new Set(phaseOutputs.flatMap((p) => p.nodes ?? []))].sort();
  manifest.collection.interrupted = signal?.aborted === true;
  manifest.collection.problems = [...problems, ...phaseOutputs.flatMap((p) => p.problems)];

  const files: BundleEntry[] = [];
  for (const outcome of all) {
    if (!outcome.stdout) continue;
    let data: Buffer | string = outcome.stdout;
    if (outcome.planned.calicoV3) {
      const converted = calicoCrdListToV3(outcome.stdout.toString('utf8'), outcome.planned.calicoV3);
      if (converted) {
        data = converted;
        outcome.item.note = 'crd.projectcalico.org/v1 objects stored as projectcalico.org/v3 (apiVersion, List kind, default-tier policy names without "default.")';
      } else outcome.item.note = 'stored as kubectl printed it: not a List that could be mapped to projectcalico.org/v3';
    }
    files.push({ path: outcome.planned.path, data });
  }
  files.push(...phaseOutputs.flatMap((p) => p.files));

  const entries = redactCollection(files, manifest);
  manifest.collection.durationMs = Math.max(0, now().getTime() - started.getTime());

  const written = await writeCollection(output, [{ path: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` }, ...entries], { mtime: started, anonymizeKey: options.anonymizeKey });
  const outcomes: Record<ItemOutcome, number> = { ok: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const item of manifest.items) outcomes[itemOutcome(item)]++;
  return { bundle: written.bundle, node: context ?? 'cluster', context: context ?? '', manifest, outcomes, ...(written.anonymization ? { anonymization: written.anonymization } : {}) };
}

/** `kubectl config current-context`: the context name for the manifest and the bundle's name. */
async function currentContext(kubectl: KubectlRun, timeoutSeconds: number, signal: AbortSignal | undefined, problems: string[], items: ManifestItemDocument[]): Promise<string | undefined> {
  const result = await kubectl(['config', 'current-context'], { timeoutSeconds, ...(signal ? { signal } : {}) });
  const name = result.exitCode === 0 ? result.stdout.toString('utf8').trim() : '';
  // Its output is no file: it is the manifest's cluster.context (and the bundle's default name).
  // A missing kubectl is recorded once, on the discovery calls that follow.
  if (!result.notFound) items.push(kubectlItem('manifest.json', result, { note: name !== '' ? 'its answer is cluster.context' : 'no current context: cluster.context is not set' }));
  if (name !== '') return name;
  if (!result.notFound) problems.push(`kubectl config current-context: ${firstLine(result.stderr) || 'no current context'}`);
  return undefined;
}

function toOutcome(planned: PlannedCommand, result: KubectlResult, failure: KubectlFailure | undefined): CommandOutcome {
  const item: ManifestItemDocument = { path: planned.path, command: result.command };
  if (result.notFound) {
    Object.assign(item, { exitCode: 127, durationMs: result.durationMs, stderr: result.stderr, error: 'command not found' });
    return { planned, item, failure: 'kubectl-not-found' };
  }
  if (result.exitCode !== null) item.exitCode = result.exitCode;
  item.durationMs = result.durationMs;
  item.stderr = cutStderr(result.stderr);
  if (failure && planned.path.endsWith(PREVIOUS_LOG_SUFFIX) && /previous terminated container .* not found/.test(result.stderr)) {
    // The kubelet keeps one earlier log per container, until the pod goes or the log is rotated
    // away: its absence is a fact about the node, not a failed collection.
    delete item.exitCode;
    item.note = 'no previous log: the kubelet kept none for this container';
    return { planned, item };
  }
  if (failure) {
    item.error = failureText(failure);
    // kubectl prints an empty List even when the API refused: storing it would read as "collected, none".
    return { planned, item, failure };
  }
  return { planned, item, stdout: result.stdout };
}

function cutStderr(text: string): string {
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed.length <= MAX_STDERR_CHARS) return trimmed;
  return `${trimmed.slice(0, MAX_STDERR_CHARS)}… (${trimmed.length - MAX_STDERR_CHARS} more characters)`;
}

function stepStatus(item: ManifestItemDocument): StepStatus {
  if (item.error === 'command not found') return 'not-found';
  if (item.error === 'timed out') return 'timed-out';
  const outcome = itemOutcome(item);
  return outcome === 'ok' ? 'ok' : outcome === 'skipped' ? 'skipped' : outcome === 'interrupted' ? 'interrupted' : 'failed';
}

function stepDetail(item: ManifestItemDocument): string {
  if (itemOutcome(item) === 'skipped') return item.note?.replace(/^not run: /, '') ?? 'not run';
  const stderr = firstLine(item.stderr);
  return [item.error, stderr].filter(Boolean).join(': ');
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${bytes} bytes`;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0]!.slice(0, 200);
}

/** The items of a kubectl List; undefined (with a problem) when the output is not one. */
function parseList(stdout: Buffer | undefined, path: string, problems: string[]): KubeObject[] | undefined {
  if (!stdout) return undefined;
  const object = parseObject(stdout);
  if (object && Array.isArray(object.items)) return object.items;
  problems.push(`${path}: kubectl's output is not a JSON List; the phases after it do not see its objects`);
  return undefined;
}

function parseObject(stdout: Buffer | undefined): KubeObject | undefined {
  if (!stdout) return undefined;
  try {
    const value = JSON.parse(stdout.toString('utf8'));
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `work` over `inputs`, at most `limit` at a time, keeping the inputs' order in the results. */
async function runPool<T, R>(inputs: readonly T[], limit: number, work: (input: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await work(inputs[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  return results;
}
