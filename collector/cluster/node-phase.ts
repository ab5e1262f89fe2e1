/**
 * Cluster mode's node step: the node capture (collector/node-capture.sh) on selected nodes,
 * through a pod in the node's host namespaces, then the CNI agents' own views of those nodes.
 *
 * - `--via debug`: per node, `kubectl debug node/<n> --profile=sysadmin --image=<img> -- sleep`
 *   creates a pod (hostNetwork, hostPID, privileged, the host's / at /host); netdump waits
 *   until it runs, runs the capture in it with `kubectl exec`, and always deletes it.
 * - `--via daemonset`: one short-lived privileged DaemonSet pinned to the selected nodes
 *   (capture-daemonset.ts); its pods are harvested as they start, `concurrency` at a time, and
 *   the DaemonSet is deleted in every case: at the end, on error, and at once on Ctrl-C.
 *
 * Which tools: the capture runs `chroot /host`, with the node's own iptables, nft, ip, ...:
 * the iptables binary the node has is the one whose backend (legacy or nf_tables) its
 * kube-proxy and CNI were installed to match, and its version prints the rules as they were
 * written. Where the node lacks a tool (minimal OS images have no conntrack, ipset or ipvsadm;
 * some have no sh at all), the capture is run again with the image's tools and host files
 * read under /host, and only the missing commands' outputs are taken from that run; their
 * manifest items say so.
 *
 * A node that fails (its pod never runs, exec is forbidden, the capture dies) is recorded in
 * the manifest and in `problems`; the other nodes go on.
 */
import { NODE_CAPTURE_SPECS, bundlePathOf, type CollectionSpec } from '../collection-specs.js';
import type { ManifestItemDocument } from '../manifest-document.js';
import { nodeCaptureItems } from '../node-capture-items.js';
import { runNodeCapture, type NodeCaptureOutput, type NodeCaptureRequest } from '../run-node-capture.js';
import type { BundleEntry } from '../write-bundle.js';
import { CAPTURE_LABEL, captureDaemonSet, captureDaemonSetName } from './capture-daemonset.js';
import type { ClusterPhaseContext, KubeObject, KubectlResult, PhaseOutput } from './cluster-phase.js';
import { agentCommands, agentExecArgs, type AgentCommandOptions } from './cni-agent-commands.js';
import { kubectlCommandLine } from './kubectl-run.js';
import { cniAgents, selectClusterNodes, type NodeSelection, type NodeSelectionResult } from './node-selection.js';
import { createLimiter, kubectlItem, mapLimited, pause } from './phase-items.js';

/** Has iptables (both backends), nft, ipset, ipvsadm, conntrack, iproute2, net-tools, sh, chroot. */
export const DEFAULT_NODE_IMAGE = 'nicolaka/netshoot:v0.13';
export const DEFAULT_MAX_NODES = 10;
/** Pod Security admission rarely restricts kube-system, where privileged agents already run. */
export const DEFAULT_CAPTURE_NAMESPACE = 'kube-system';
export const DEFAULT_POD_START_SECONDS = 120;

export interface NodePhaseOptions extends AgentCommandOptions {
  nodes: NodeSelection;
  via: 'debug' | 'daemonset';
  /** The capture pods' image (DEFAULT_NODE_IMAGE). */
  image: string;
  maxNodes: number;
  /** Where the debug pods or the DaemonSet are created. */
  namespace: string;
  /** How long a capture pod may take to run (image pull included). */
  podStartSeconds?: number;
  /** Between two looks at a starting pod. */
  pollIntervalMs?: number;
  /** Another copy of node-capture.sh (tests). */
  scriptPath?: string;
}

/** Where the host's file system is mounted in the capture pods. */
const HOST_ROOT = '/host';
const SLEEP_MARGIN_SECONDS = 600;

interface NodeResult {
  files: BundleEntry[];
  items: ManifestItemDocument[];
  problems: string[];
  /** The node has a nodes/<node>/ folder. */
  captured: boolean;
}

const emptyResult = (): NodeResult => ({ files: [], items: [], problems: [], captured: false });

export async function captureClusterNodes(ctx: ClusterPhaseContext, options: NodePhaseOptions): Promise<PhaseOutput> {
  const selection = selectClusterNodes(ctx.objects, ctx.focusNamespaces, options.nodes, options.maxNodes);
  const output: PhaseOutput = { files: [], items: [], problems: [...selection.messages], nodes: [] };
  for (const message of selection.messages) ctx.progress?.note(message);
  if (selection.nodes.length === 0) return output;

  ctx.progress?.note(`capturing ${selection.nodes.length} node${selection.nodes.length === 1 ? '' : 's'} through ${options.via === 'debug' ? '`kubectl debug node/...`' : `a DaemonSet in ${options.namespace}`} (image ${options.image})`);
  ctx.progress?.expect(selection.nodes.length * NODE_CAPTURE_SPECS.length);
  const results = options.via === 'debug' ? await captureViaDebug(ctx, options, selection.nodes) : await captureViaDaemonSet(ctx, options, selection.nodes, output);
  for (const node of selection.nodes) {
    const result = results.get(node) ?? emptyResult();
    output.files.push(...result.files);
    output.items.push(...result.items);
    output.problems.push(...result.problems);
    if (result.captured) output.nodes!.push(node);
  }

  const agents = await captureCniAgents(ctx, options, selection.nodes);
  output.files.push(...agents.files);
  output.items.push(...agents.items);
  for (const node of agents.nodes) if (!output.nodes!.includes(node)) output.nodes!.push(node);
  return output;
}

// ---- --via debug -------------------------------------------------------------------------

async function captureViaDebug(ctx: ClusterPhaseContext, options: NodePhaseOptions, nodes: readonly string[]): Promise<Map<string, NodeResult>> {
  const results = await mapLimited(nodes, ctx.concurrency, (node) => captureOneViaDebug(ctx, options, node));
  return new Map(nodes.map((node, i) => [node, results[i]!]));
}

/** `Creating debugging pod node-debugger-node-a-7xk2p with container debugger on node node-a.` */
const DEBUG_POD_LINE = /Creating debugging pod (\S+) with container (\S+) on node/;

async function captureOneViaDebug(ctx: ClusterPhaseContext, options: NodePhaseOptions, node: string): Promise<NodeResult> {
  const result = emptyResult();
  const folder = `nodes/${node}/`;
  if (notStartable(ctx, node, folder, result)) return result;
  const ns = options.namespace;
  const create = await ctx.kubectl(debugNodeArgs(ctx, options, node), { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
  const created = DEBUG_POD_LINE.exec(`${create.stdout.toString('utf8')}\n${create.stderr}`);
  result.items.push(kubectlItem(folder, create, { node, note: `creates the capture pod${created ? ` ${ns}/${created[1]}` : ''} (deleted after the capture)` }));
  if (create.exitCode !== 0) {
    // kubectl names the pod before it asks for it: a name alone does not mean it exists.
    result.problems.push(`${node}: could not create a debug pod: ${firstLine(create.stderr) || (create.interrupted ? 'interrupted' : 'kubectl debug failed')}`);
    if (created && (create.interrupted || create.timedOut)) {
      const remove = await ctx.kubectl(['delete', 'pod', '-n', ns, created[1]!, '--ignore-not-found', '--wait=false'], { timeoutSeconds: Math.max(ctx.timeoutSeconds, 10) });
      result.items.push(kubectlItem(folder, remove, { node, note: 'deletes the capture pod, in case its creation went through' }));
    }
    return result;
  }
  const pod = created?.[1] ?? (await findDebugPod(ctx, ns, node, options.image));
  if (!pod) {
    result.problems.push(`${node}: kubectl debug did not name the pod it created, and none was found in ${ns}; if one exists, delete it: kubectl get pods -n ${ns} | grep node-debugger-${node}`);
    return result;
  }
  const container = created?.[2] ?? 'debugger';
  try {
    const running = await waitForPod(ctx, options, ns, pod, node, folder);
    result.items.push(running.item);
    if (!running.ok) {
      result.problems.push(`${node}: ${running.problem}`);
      return result;
    }
    Object.assign(result, mergeNodeResult(result, await captureInPod(ctx, options, node, ns, pod, container)));
  } finally {
    // Not tied to the signal: after Ctrl-C the pod must still go.
    const remove = await ctx.kubectl(['delete', 'pod', '-n', ns, pod, '--ignore-not-found', '--wait=false'], { timeoutSeconds: Math.max(ctx.timeoutSeconds, 10) });
    result.items.push(kubectlItem(folder, remove, { node, note: 'deletes the capture pod' }));
    if (remove.exitCode !== 0) result.problems.push(`${node}: could not delete the debug pod ${ns}/${pod} (${firstLine(remove.stderr)}): delete it with kubectl delete pod -n ${ns} ${pod}`);
  }
  return result;
}

export function debugNodeArgs(ctx: Pick<ClusterPhaseContext, 'deadline'>, options: Pick<NodePhaseOptions, 'namespace' | 'image'>, node: string): string[] {
  return ['debug', `node/${node}`, '-n', options.namespace, '--profile=sysadmin', `--image=${options.image}`, '--', 'sleep', String(sleepSeconds(ctx))];
}

/** Long enough for the whole run, then the pod ends by itself even if its deletion failed. */
function sleepSeconds(ctx: Pick<ClusterPhaseContext, 'deadline'>): number {
  const remaining = Math.ceil((ctx.deadline - Date.now()) / 1000);
  return Math.max(60, Math.min(remaining, 24 * 3600)) + SLEEP_MARGIN_SECONDS;
}

async function findDebugPod(ctx: ClusterPhaseContext, ns: string, node: string, image: string): Promise<string | undefined> {
  const list = await ctx.kubectl(['get', 'pods', '-n', ns, '-o', 'json'], { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
  if (list.exitCode !== 0) return undefined;
  const items: KubeObject[] = parseList(list.stdout);
  return items
    .filter((p) => String(p.metadata?.name).startsWith(`node-debugger-${node}-`) && p.spec?.nodeName === node && p.spec?.containers?.some((c: KubeObject) => c.image === image))
    .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))[0]?.metadata.name;
}

interface PodWait {
  ok: boolean;
  item: ManifestItemDocument;
  problem?: string;
}

async function waitForPod(ctx: ClusterPhaseContext, options: NodePhaseOptions, ns: string, pod: string, node: string, folder: string): Promise<PodWait> {
  const started = Date.now();
  const until = Math.min(ctx.deadline, started + (options.podStartSeconds ?? DEFAULT_POD_START_SECONDS) * 1000);
  const args = ['get', 'pod', '-n', ns, pod, '-o', 'json'];
  const command = `${kubectlCommandLine(args)} (until the pod runs)`;
  let last: KubectlResult | undefined;
  let waiting = 'not yet read';
  for (;;) {
    last = await ctx.kubectl(args, { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
    if (last.exitCode === 0) {
      const object = parseObject(last.stdout);
      const phase = String(object?.status?.phase ?? 'unknown');
      if (phase === 'Running') return { ok: true, item: { ...kubectlItem(folder, last, { node, command }), durationMs: Date.now() - started } };
      waiting = podWaitingReason(object);
      if (phase === 'Failed' || phase === 'Succeeded') {
        const item = { ...kubectlItem(folder, last, { node, command }), durationMs: Date.now() - started, error: `pod ${phase.toLowerCase()}`, note: `the capture pod ${ns}/${pod} ${waiting}` };
        return { ok: false, item, problem: `the capture pod ${ns}/${pod} ended before the capture (${waiting})` };
      }
    } else {
      waiting = firstLine(last.stderr) || 'kubectl get failed';
      if (/\(NotFound\)/.test(last.stderr)) {
        const item = { ...kubectlItem(folder, last, { node, command }), durationMs: Date.now() - started };
        return { ok: false, item, problem: `the capture pod ${ns}/${pod} is gone (${waiting})` };
      }
    }
    if (ctx.signal?.aborted || Date.now() >= until) break;
    await pause(options.pollIntervalMs ?? 1000, ctx.signal);
  }
  const interrupted = ctx.signal?.aborted === true;
  const seconds = Math.round((Date.now() - started) / 1000);
  const item: ManifestItemDocument = {
    ...kubectlItem(folder, last, { node, command }),
    durationMs: Date.now() - started,
    error: interrupted ? 'interrupted' : 'timed out',
    note: `the capture pod ${ns}/${pod} was not running after ${seconds}s: ${waiting}`,
  };
  return { ok: false, item, problem: interrupted ? `interrupted while waiting for the capture pod ${ns}/${pod}` : `the capture pod ${ns}/${pod} was not running after ${seconds}s (${waiting}); node not captured` };
}

/** Why a pod is not running, from its container statuses (`ImagePullBackOff: Back-off pulling ...`). */
export function podWaitingReason(pod: KubeObject | undefined): string {
  if (!pod) return 'its state could not be read';
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
    const terminated = status.state?.terminated;
    if (terminated?.reason) return `container ${terminated.reason} (exit ${terminated.exitCode})`;
  }
  const unscheduled = (pod.status?.conditions ?? []).find((c: KubeObject) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `not scheduled: ${unscheduled.message ?? unscheduled.reason ?? ''}`.trim();
  return `phase ${pod.status?.phase ?? 'unknown'}${pod.status?.reason ? ` (${pod.status.reason})` : ''}`;
}

// ---- --via daemonset ---------------------------------------------------------------------

async function captureViaDaemonSet(ctx: ClusterPhaseContext, options: NodePhaseOptions, nodes: readonly string[], output: PhaseOutput): Promise<Map<string, NodeResult>> {
  const results = new Map<string, NodeResult>();
  const ns = options.namespace;
  const name = captureDaemonSetName();
  const manifest = captureDaemonSet({ name, namespace: ns, image: options.image, nodes, sleepSeconds: sleepSeconds(ctx) });
  const create = await ctx.kubectl(['create', '--validate=false', '-f', '-'], { stdin: JSON.stringify(manifest), timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
  output.items.push(kubectlItem('nodes/', create, { command: `kubectl create --validate=false -f - (DaemonSet ${ns}/${name}, image ${options.image})`, note: 'creates the capture DaemonSet (deleted after the capture)' }));
  if (create.exitCode !== 0) {
    output.problems.push(`could not create the capture DaemonSet ${ns}/${name}: ${firstLine(create.stderr) || 'kubectl create failed'}; no node captured`);
    return results;
  }

  let deletion: Promise<KubectlResult> | undefined;
  const remove = () =>
    (deletion ??= ctx.kubectl(['delete', 'daemonset', '-n', ns, name, '--ignore-not-found', '--wait=false'], { timeoutSeconds: Math.max(ctx.timeoutSeconds, 10) }));
  // Ctrl-C: the DaemonSet goes at once, while the captures under way end.
  ctx.signal?.addEventListener('abort', remove, { once: true });
  try {
    const limit = createLimiter(ctx.concurrency);
    const started: Promise<void>[] = [];
    const pending = new Set(nodes);
    const noPod = `no pod was created for it (Pod Security admission or a quota in ${ns} may refuse privileged host-network pods: kubectl describe daemonset -n ${ns} ${name})`;
    const waiting = new Map<string, string>(nodes.map((n) => [n, noPod]));
    const since = Date.now();
    const until = Math.min(ctx.deadline, since + (options.podStartSeconds ?? DEFAULT_POD_START_SECONDS) * 1000);
    const listArgs = ['get', 'pods', '-n', ns, '-l', `${CAPTURE_LABEL}=${name}`, '-o', 'json'];
    let lastList: KubectlResult | undefined;
    while (pending.size > 0 && !ctx.signal?.aborted) {
      lastList = await ctx.kubectl(listArgs, { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
      if (lastList.exitCode === 0) {
        for (const pod of parseList(lastList.stdout)) {
          const node = pod.spec?.nodeName;
          if (!pending.has(node) || pod.metadata?.deletionTimestamp) continue;
          if (pod.status?.phase !== 'Running') {
            waiting.set(node, `${pod.metadata.name}: ${podWaitingReason(pod)}`);
            continue;
          }
          pending.delete(node);
          const podName = String(pod.metadata.name);
          started.push(
            limit(async () => {
              const result = emptyResult();
              if (!notStartable(ctx, node, `nodes/${node}/`, result)) Object.assign(result, mergeNodeResult(result, await captureInPod(ctx, options, node, ns, podName, 'capture')));
              results.set(node, result);
            }),
          );
        }
      } else {
        for (const node of pending) waiting.set(node, firstLine(lastList.stderr) || 'the pod list could not be read');
      }
      if (pending.size === 0 || Date.now() >= until) break;
      await pause(options.pollIntervalMs ?? 1000, ctx.signal);
    }
    const interrupted = ctx.signal?.aborted === true;
    const seconds = Math.round((Date.now() - since) / 1000);
    for (const node of pending) {
      const reason = waiting.get(node)!;
      results.set(node, {
        ...emptyResult(),
        items: [
          {
            path: `nodes/${node}/`,
            node,
            command: `${kubectlCommandLine(listArgs)} (until the pod on ${node} runs)`,
            ...(lastList?.exitCode != null ? { exitCode: lastList.exitCode } : {}),
            durationMs: Date.now() - since,
            error: interrupted ? 'interrupted' : 'timed out',
            note: `the capture pod on ${node} was not running after ${seconds}s: ${reason}`,
          },
        ],
        problems: [interrupted ? `${node}: interrupted before its capture pod ran` : `${node}: the capture pod was not running after ${seconds}s (${reason}); node not captured`],
      });
    }
    await Promise.all(started);
  } finally {
    ctx.signal?.removeEventListener('abort', remove);
    const removed = await remove();
    output.items.push(kubectlItem('nodes/', removed, { note: `deletes the capture DaemonSet ${ns}/${name} and its pods` }));
    if (removed.exitCode !== 0) {
      output.problems.push(`could not delete the capture DaemonSet ${ns}/${name} (${firstLine(removed.stderr) || 'kubectl delete failed'}): delete it with kubectl delete daemonset -n ${ns} ${name}`);
    }
  }
  return results;
}

// ---- the capture in a pod ----------------------------------------------------------------

function notStartable(ctx: ClusterPhaseContext, node: string, folder: string, result: NodeResult): boolean {
  const interrupted = ctx.signal?.aborted === true;
  if (!interrupted && Date.now() < ctx.deadline) return false;
  result.items.push({ path: folder, node, command: 'node capture', error: interrupted ? 'interrupted' : 'timed out', note: interrupted ? 'not run' : 'not run: the total time limit was reached' });
  result.problems.push(`${node}: not captured (${interrupted ? 'interrupted' : 'the total time limit was reached'})`);
  return true;
}

function mergeNodeResult(into: NodeResult, more: NodeResult): NodeResult {
  return { files: [...into.files, ...more.files], items: [...into.items, ...more.items], problems: [...into.problems, ...more.problems], captured: into.captured || more.captured };
}

/**
 * `kubectl exec -i` into the capture pod, with the node's tools (chroot) or the image's. The
 * script goes on the exec's stdin (`sh -s`): as an argument it would travel in the request URL
 * (~25 kB), which proxies in front of API servers refuse.
 */
export function captureLauncher(ctx: Pick<ClusterPhaseContext, 'target'>, ns: string, pod: string, container: string, withNodeTools: boolean): string[] {
  return [ctx.target.binary, ...ctx.target.globalArgs, 'exec', '-i', '-n', ns, pod, '-c', container, '--', ...(withNodeTools ? ['chroot', HOST_ROOT] : [])];
}

async function captureInPod(ctx: ClusterPhaseContext, options: NodePhaseOptions, node: string, ns: string, pod: string, container: string): Promise<NodeResult> {
  // The script bounds each command; this bounds the transport (a stalled exec stream).
  const limitSeconds = NODE_CAPTURE_SPECS.length * ctx.timeoutSeconds + 60;
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  if (ctx.signal?.aborted) stop.abort();
  ctx.signal?.addEventListener('abort', onInterrupt, { once: true });
  const timer = setTimeout(() => stop.abort(), limitSeconds * 1000);
  timer.unref();
  try {
    const result = await captureWithFallback(ctx, options, node, ns, pod, container, stop.signal);
    if (stop.signal.aborted && !ctx.signal?.aborted) {
      for (const item of result.items) if (item.error === 'interrupted') item.error = 'timed out';
      result.problems = result.problems.map((p) => p.replace('interrupted during the node capture', `the node capture took longer than ${limitSeconds}s and was stopped`));
    }
    return result;
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onInterrupt);
  }
}

async function captureWithFallback(ctx: ClusterPhaseContext, options: NodePhaseOptions, node: string, ns: string, pod: string, container: string, signal: AbortSignal): Promise<NodeResult> {
  const request = (withNodeTools: boolean, onlyPaths?: Set<string>): NodeCaptureRequest => ({
    node,
    timeoutSeconds: ctx.timeoutSeconds,
    launcher: captureLauncher(ctx, ns, pod, container, withNodeTools),
    scriptVia: 'stdin',
    ...(withNodeTools ? {} : { hostRoot: HOST_ROOT }),
    signal,
    ...(options.scriptPath ? { scriptPath: options.scriptPath } : {}),
    onStep: (step) => {
      if (onlyPaths && !onlyPaths.has(step.path) && ![...onlyPaths].some((p) => p.endsWith('/') && step.path.startsWith(p))) return;
      ctx.progress?.step({ scope: node, status: step.status, label: step.path, ...(step.detail ? { detail: step.detail } : {}) });
    },
  });

  const onNode = await runNodeCapture(request(true));
  const missing = onNode.records.filter((r) => r.error === 'command not found').map((r) => r.id);
  const unusable = onNode.records.length === 0;
  let capture = onNode;
  let fallbackNote: string | undefined;
  if (!onNode.interrupted && (unusable || missing.length > 0)) {
    const specs = NODE_CAPTURE_SPECS.filter((s) => unusable || missing.includes(s.id));
    const withImage = await runNodeCapture(request(false, unusable ? undefined : new Set(specs.map((s) => s.path))));
    if (unusable && withImage.records.length > 0) {
      capture = withImage;
      fallbackNote = `run with the tools of ${options.image} (chroot ${HOST_ROOT} could not run the capture: ${onNode.log.slice(-1)[0] ?? `exit status ${onNode.exitCode}`})`;
      for (const record of capture.records) record.note = joinNotes(record.note, fallbackNote);
    } else if (!unusable) {
      capture = takeFromImageRun(onNode, withImage, specs, options.image);
    } else {
      capture = { ...onNode, log: [...onNode.log, ...withImage.log], problems: [...onNode.problems, ...withImage.problems] };
    }
  }

  const items = nodeCaptureItems(node, capture, NODE_CAPTURE_SPECS);
  const problems = capture.problems.map((p) => `${node}: ${p}`);
  if (capture.interrupted) {
    problems.push(`${node}: interrupted during the node capture`);
  } else if (capture.records.length === 0) {
    // The script never ran (exec refused, pod gone): kubectl's own words say why, on every item.
    const why = capture.log.slice(-5).join('\n');
    for (const item of items) if (why) item.stderr = why;
    problems.push(`${node}: the node capture did not run${why ? `: ${capture.log.slice(-1)[0]}` : ''}`);
  }
  const files = [...capture.files].sort(([a], [b]) => a.localeCompare(b)).map(([path, data]) => ({ path: `nodes/${node}/${path}`, data }));
  return { files, items, problems, captured: files.length > 0 };
}

/** The node run, with the outputs of the commands the node lacks taken from the image run. */
function takeFromImageRun(onNode: NodeCaptureOutput, withImage: NodeCaptureOutput, specs: readonly CollectionSpec[], image: string): NodeCaptureOutput {
  const ids = new Set(specs.map((s) => s.id));
  const belongs = (path: string) => specs.some((s) => (s.path.endsWith('/') ? path.startsWith(s.path) : path === s.path));
  const files = new Map([...onNode.files].filter(([path]) => !belongs(path)));
  for (const [path, data] of withImage.files) if (belongs(path)) files.set(path, data);
  const stderr = new Map(onNode.stderr);
  // The image run's sequence numbers are moved past the node run's, with their stderr.
  const offset = Math.max(0, ...onNode.records.map((r) => r.seq));
  const replaced = withImage.records
    .filter((r) => ids.has(r.id))
    .map((r) => {
      const text = withImage.stderr.get(r.seq);
      if (text !== undefined) stderr.set(r.seq + offset, text);
      const tool = specs.find((s) => s.id === r.id)?.tool;
      return { ...r, seq: r.seq + offset, note: joinNotes(r.note, `run with the tools of ${image}: the node has no ${tool}`) };
    });
  const taken = new Set(replaced.map((r) => r.id));
  return {
    ...onNode,
    files,
    stderr,
    records: [...onNode.records.filter((r) => !taken.has(r.id)), ...replaced],
    interrupted: onNode.interrupted || withImage.interrupted,
    problems: [...onNode.problems, ...withImage.problems],
  };
}

function joinNotes(...notes: (string | undefined)[]): string {
  return notes.filter(Boolean).join('; ');
}

// ---- CNI agents and Hubble ---------------------------------------------------------------

async function captureCniAgents(ctx: ClusterPhaseContext, options: NodePhaseOptions, nodes: readonly string[]): Promise<{ files: BundleEntry[]; items: ManifestItemDocument[]; nodes: string[] }> {
  const wanted = new Set(nodes);
  const agents = cniAgents(ctx.objects.pods).filter((a) => wanted.has(a.node));
  const perAgent = await mapLimited(agents, ctx.concurrency, async (agent) => {
    const files: BundleEntry[] = [];
    const items: ManifestItemDocument[] = [];
    for (const command of agentCommands(agent, options)) {
      const args = agentExecArgs(agent, command);
      const display = kubectlCommandLine([...args.slice(0, args.indexOf('--') + 1)]) + ` ${command.display}`;
      if (ctx.signal?.aborted || Date.now() >= ctx.deadline) {
        items.push({ path: command.path, node: agent.node, command: display, error: ctx.signal?.aborted ? 'interrupted' : 'timed out', note: 'not run' });
        continue;
      }
      const result = await ctx.kubectl(args, { timeoutSeconds: ctx.timeoutSeconds + (command.path.endsWith('monitor-drop.txt') ? (options.monitorSeconds ?? 10) : 0), signal: ctx.signal });
      items.push(kubectlItem(command.path, result, { node: agent.node, command: display, ...(command.note ? { note: command.note } : {}) }));
      ctx.progress?.step({ scope: agent.node, status: result.exitCode === 0 ? 'ok' : result.timedOut ? 'timed-out' : result.interrupted ? 'interrupted' : 'failed', label: command.path.replace(`nodes/${agent.node}/`, '') });
      if (result.stdout.length > 0) files.push({ path: command.path, data: result.stdout });
    }
    return { files, items };
  });

  const files: BundleEntry[] = [];
  const items: ManifestItemDocument[] = [];
  const flows: Buffer[] = [];
  const withFiles = new Set<string>();
  perAgent.forEach((result, i) => {
    items.push(...result.items);
    for (const file of result.files) {
      // Each agent's Hubble holds its own node's flows: one file, one flow a line.
      if (file.path === 'hubble/flows.json') {
        const data = Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data);
        flows.push(data.length > 0 && data[data.length - 1] !== 0x0a ? Buffer.concat([data, Buffer.from('\n')]) : data);
      } else {
        files.push(file);
        withFiles.add(agents[i]!.node);
      }
    }
  });
  if (flows.length > 0) files.push({ path: 'hubble/flows.json', data: Buffer.concat(flows) });
  return { files, items, nodes: [...withFiles] };
}

// ---- --dry-run ---------------------------------------------------------------------------

export interface PlannedCommand {
  command: string;
  /** Bundle path of the output (a folder for the pod's lifecycle commands). */
  destination: string;
  node?: string;
  note?: string;
}

export interface NodePhasePlan {
  selection: NodeSelectionResult;
  commands: PlannedCommand[];
}

/** What captureClusterNodes would run, and where each output would go; nothing is run. */
export function planClusterNodes(
  ctx: Pick<ClusterPhaseContext, 'objects' | 'focusNamespaces' | 'deadline'>,
  options: NodePhaseOptions,
): NodePhasePlan {
  const selection = selectClusterNodes(ctx.objects, ctx.focusNamespaces, options.nodes, options.maxNodes);
  const commands: PlannedCommand[] = [];
  const ns = options.namespace;
  // Names only known when it runs: `<id>` stands for their random part (not shell-quoted).
  const ID = 'ID0PLACEHOLDER';
  const line = (args: string[]) => kubectlCommandLine(args).replaceAll(ID, '<id>');
  const dsName = `netdump-capture-${ID}`;
  if (options.via === 'daemonset' && selection.nodes.length > 0) {
    commands.push({ command: `kubectl create --validate=false -f - (DaemonSet ${ns}/netdump-capture-<id>: privileged, hostNetwork, hostPID, image ${options.image}, on ${selection.nodes.length} nodes)`, destination: 'nodes/', note: 'deleted when the capture ends, also on Ctrl-C' });
    commands.push({ command: line(['get', 'pods', '-n', ns, '-l', `${CAPTURE_LABEL}=${dsName}`, '-o', 'json']), destination: 'nodes/', note: "until each node's pod runs" });
  }
  for (const node of selection.nodes) {
    const why = selection.reasons.get(node)?.join('; ');
    const pod = options.via === 'debug' ? `node-debugger-${node}-${ID}` : `${dsName}-${ID}`;
    const container = options.via === 'debug' ? 'debugger' : 'capture';
    if (options.via === 'debug') {
      commands.push({ command: line(debugNodeArgs(ctx, options, node)), destination: `nodes/${node}/`, node, note: `creates the capture pod${why ? ` (node chosen: ${why})` : ''}` });
    }
    const exec = line(['exec', '-n', ns, pod, '-c', container, '--', 'chroot', HOST_ROOT]);
    for (const spec of NODE_CAPTURE_SPECS) commands.push({ command: `${exec} ${spec.command}`, destination: bundlePathOf(spec, { node }), node });
    if (options.via === 'debug') commands.push({ command: line(['delete', 'pod', '-n', ns, pod, '--ignore-not-found', '--wait=false']), destination: `nodes/${node}/`, node });
  }
  if (options.via === 'daemonset' && selection.nodes.length > 0) {
    commands.push({ command: line(['delete', 'daemonset', '-n', ns, dsName, '--ignore-not-found', '--wait=false']), destination: 'nodes/' });
  }
  const wanted = new Set(selection.nodes);
  for (const agent of cniAgents(ctx.objects.pods).filter((a) => wanted.has(a.node))) {
    for (const command of agentCommands(agent, options)) {
      const args = agentExecArgs(agent, command);
      commands.push({ command: `${kubectlCommandLine(args.slice(0, args.indexOf('--') + 1))} ${command.display}`, destination: command.path, node: agent.node, ...(command.note ? { note: command.note } : {}) });
    }
  }
  return { selection, commands };
}

// ---- helpers -----------------------------------------------------------------------------

function parseObject(stdout: Buffer): KubeObject | undefined {
  try {
    return JSON.parse(stdout.toString('utf8')) as KubeObject;
  } catch {
    return undefined;
  }
}

function parseList(stdout: Buffer): KubeObject[] {
  const list = parseObject(stdout);
  return Array.isArray(list?.items) ? list.items : [];
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}
