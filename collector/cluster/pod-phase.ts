/**
 * Cluster mode's per-pod step: for the pods in focus, what the pod itself sees: its
 * /etc/resolv.conf, addresses and routes, stored as pods/<ns>/<pod>/{resolv.conf,ip-addr.txt,
 * ip-route.txt}.
 *
 * Each comes from `kubectl exec` into the pod's first container. Many images have no `ip`
 * (distroless ones not even `cat`): what exec could not get is taken by one ephemeral debug
 * container (`kubectl debug <pod> --image=<img> --target=<container>`), which shares the pod's
 * network namespace and its resolv.conf. It runs the missing commands, prints them between
 * markers and exits; netdump waits for it to end and reads its output with `kubectl logs`.
 * Kubernetes cannot remove an ephemeral container: the pod keeps a terminated `netdump-<id>`
 * entry in its spec, which its manifest item says.
 */
import { randomBytes } from 'node:crypto';
import type { ManifestItemDocument } from '../manifest-document.js';
import type { BundleEntry } from '../write-bundle.js';
import type { ClusterPhaseContext, KubeObject, KubectlResult, PhaseOutput } from './cluster-phase.js';
import { kubectlCommandLine } from './kubectl-run.js';
import { inFocus } from './node-selection.js';
import { kubectlItem, mapLimited, pause } from './phase-items.js';
import { DEFAULT_NODE_IMAGE, type PlannedCommand } from './node-phase.js';

export const DEFAULT_MAX_PODS = 50;
export const DEFAULT_DEBUG_CONTAINER_SECONDS = 90;

export interface PodPhaseOptions {
  /** At most this many pods (the rest are named in `problems`). */
  maxPods?: number;
  /** The ephemeral debug container's image (it needs sh, cat and ip). */
  image?: string;
  /** How long the debug container may take to start and finish (image pull included). */
  debugContainerSeconds?: number;
  pollIntervalMs?: number;
}

export interface PodCommand {
  id: 'resolv-conf' | 'ip-addr' | 'ip-route';
  file: string;
  argv: string[];
}

export const POD_COMMANDS: readonly PodCommand[] = [
  { id: 'resolv-conf', file: 'resolv.conf', argv: ['cat', '/etc/resolv.conf'] },
  { id: 'ip-addr', file: 'ip-addr.txt', argv: ['ip', '-d', 'addr', 'show'] },
  { id: 'ip-route', file: 'ip-route.txt', argv: ['ip', 'route', 'show'] },
];

export interface PodTarget {
  namespace: string;
  pod: string;
  container: string;
}

export interface PodSelection {
  pods: PodTarget[];
  /** Why pods in focus were left out (host network, not running, over the cap). */
  messages: string[];
}

/** The running pods in focus with their own network namespace, capped at maxPods. */
export function selectPods(pods: readonly KubeObject[], focusNamespaces: readonly string[], maxPods = DEFAULT_MAX_PODS): PodSelection {
  const candidates: PodTarget[] = [];
  let hostNetwork = 0;
  let notRunning = 0;
  for (const pod of pods) {
    if (!inFocus(pod, focusNamespaces)) continue;
    if (pod.status?.phase !== 'Running') {
      notRunning++;
      continue;
    }
    // A host-network pod sees the node's addresses and routes: the node capture has them.
    if (pod.spec?.hostNetwork) {
      hostNetwork++;
      continue;
    }
    const container = pod.spec?.containers?.[0]?.name;
    if (container) candidates.push({ namespace: pod.metadata.namespace, pod: pod.metadata.name, container });
  }
  candidates.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.pod.localeCompare(b.pod));
  const messages: string[] = [];
  if (hostNetwork > 0) messages.push(`${hostNetwork} host-network pod${hostNetwork === 1 ? '' : 's'} in focus skipped: they share their node's network (see nodes/)`);
  if (notRunning > 0) messages.push(`${notRunning} pod${notRunning === 1 ? '' : 's'} in focus not running: nothing to exec into`);
  const cap = Math.max(0, maxPods);
  if (candidates.length > cap) {
    const skipped = candidates.slice(cap).map((p) => `${p.namespace}/${p.pod}`);
    messages.push(`captured ${cap} of ${candidates.length} pods in focus (at most ${cap}); not captured: ${skipped.slice(0, 30).join(', ')}${skipped.length > 30 ? ` and ${skipped.length - 30} more` : ''}. Narrow the focus with -n.`);
  }
  return { pods: candidates.slice(0, cap), messages };
}

export function execArgs(target: PodTarget, command: PodCommand): string[] {
  return ['exec', '-n', target.namespace, target.pod, '-c', target.container, '--', ...command.argv];
}

export async function capturePods(ctx: ClusterPhaseContext, options: PodPhaseOptions = {}): Promise<PhaseOutput> {
  const selection = selectPods(ctx.objects.pods, ctx.focusNamespaces, options.maxPods);
  const output: PhaseOutput = { files: [], items: [], problems: [...selection.messages] };
  for (const message of selection.messages) ctx.progress?.note(message);
  if (selection.pods.length === 0) return output;
  ctx.progress?.expect(selection.pods.length * POD_COMMANDS.length);
  const results = await mapLimited(selection.pods, ctx.concurrency, (target) => capturePod(ctx, options, target));
  for (const result of results) {
    output.files.push(...result.files);
    output.items.push(...result.items);
    output.problems.push(...result.problems);
  }
  return output;
}

interface PodResult {
  files: BundleEntry[];
  items: ManifestItemDocument[];
  problems: string[];
}

async function capturePod(ctx: ClusterPhaseContext, options: PodPhaseOptions, target: PodTarget): Promise<PodResult> {
  const result: PodResult = { files: [], items: [], problems: [] };
  const base = `pods/${target.namespace}/${target.pod}`;
  const failed: { command: PodCommand; exec: KubectlResult }[] = [];
  for (const command of POD_COMMANDS) {
    const path = `${base}/${command.file}`;
    if (ctx.signal?.aborted || Date.now() >= ctx.deadline) {
      result.items.push({ path, command: kubectlCommandLine(execArgs(target, command)), error: ctx.signal?.aborted ? 'interrupted' : 'timed out', note: 'not run' });
      continue;
    }
    const exec = await ctx.kubectl(execArgs(target, command), { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
    if (exec.exitCode === 0) {
      result.items.push(kubectlItem(path, exec, { note: 'obtained by exec in the pod' }));
      result.files.push({ path, data: exec.stdout });
      step(ctx, target, command, 'ok');
    } else if (exec.timedOut || exec.interrupted) {
      result.items.push(kubectlItem(path, exec));
      step(ctx, target, command, exec.timedOut ? 'timed-out' : 'interrupted');
    } else {
      failed.push({ command, exec });
    }
  }
  if (failed.length === 0) return result;

  const debug = await runDebugContainer(ctx, options, target, failed.map((f) => f.command));
  for (const { command, exec } of failed) {
    const path = `${base}/${command.file}`;
    const section = debug.sections.get(command.id);
    const why = `\`${exec.command}\` failed (${firstLine(exec.stderr) || `exit code ${exec.exitCode}`})`;
    if (section && section.exitCode === 0) {
      result.items.push({
        path,
        command: `${debug.command} -- ${command.argv.join(' ')}`,
        exitCode: 0,
        durationMs: debug.durationMs,
        stderr: section.stderr,
        note: `obtained through the ephemeral debug container ${debug.container} (image ${debug.image}): ${why}; the terminated container stays listed in the pod's spec`,
      });
      result.files.push({ path, data: section.output });
      step(ctx, target, command, 'ok');
    } else {
      result.items.push(kubectlItem(path, exec));
      const fallback: ManifestItemDocument = {
        path,
        command: `${debug.command} -- ${command.argv.join(' ')}`,
        ...(section ? { exitCode: section.exitCode, stderr: section.stderr } : {}),
        ...(debug.durationMs > 0 ? { durationMs: debug.durationMs } : {}),
        error: section ? 'failed' : debug.error ?? 'failed',
        note: section ? 'the ephemeral debug container ran it and it failed' : `the ephemeral debug container did not produce it: ${debug.problem ?? 'no output'}`,
      };
      if (!section && debug.stderr) fallback.stderr = debug.stderr;
      if (section && section.output.length > 0) result.files.push({ path, data: section.output });
      result.items.push(fallback);
      result.problems.push(`${target.namespace}/${target.pod}: ${command.file} not captured: ${why}, and the debug container ${section ? `exited ${section.exitCode}` : `failed: ${debug.problem ?? 'no output'}`}`);
      step(ctx, target, command, 'failed');
    }
  }
  return result;
}

function step(ctx: ClusterPhaseContext, target: PodTarget, command: PodCommand, status: 'ok' | 'failed' | 'timed-out' | 'interrupted'): void {
  ctx.progress?.step({ scope: `${target.namespace}/${target.pod}`, status, label: command.file });
}

interface Section {
  output: Buffer;
  exitCode: number;
  stderr: string;
}

interface DebugRun {
  /** `kubectl debug ...` as recorded, without the script. */
  command: string;
  container: string;
  image: string;
  durationMs: number;
  sections: Map<string, Section>;
  error?: string;
  problem?: string;
  stderr?: string;
}

/**
 * The shell script of the debug container: each command between `<marker> begin <id>` and
 * `<marker> end <id> <exit code>` lines, its stderr after, each line prefixed, so that one
 * log stream carries several verbatim outputs. The newline before `end` is the script's own.
 */
export function debugScript(marker: string, commands: readonly PodCommand[]): string {
  const lines = [`e=/tmp/${marker}.err`];
  for (const command of commands) {
    lines.push(
      `printf '%s begin ${command.id}\\n' ${marker}; ${command.argv.join(' ')} 2>"$e"; rc=$?; printf '\\n%s end ${command.id} %s\\n' ${marker} "$rc"; sed "s/^/${marker} stderr ${command.id} /" "$e"`,
    );
  }
  return lines.join('\n');
}

export function parseDebugOutput(text: Buffer, marker: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  const source = text.toString('utf8');
  const begin = new RegExp(`^${marker} begin (\\S+)\\n`, 'gm');
  let m: RegExpExecArray | null;
  while ((m = begin.exec(source))) {
    const id = m[1]!;
    const start = m.index + m[0].length;
    const end = new RegExp(`\\n${marker} end ${id} (\\d+)\\n`, 'g');
    end.lastIndex = start;
    const e = end.exec(source);
    if (!e) continue;
    const stderr = source
      .slice(e.index + e[0].length)
      .split('\n')
      .filter((line) => line.startsWith(`${marker} stderr ${id} `))
      .map((line) => line.slice(`${marker} stderr ${id} `.length))
      .join('\n');
    sections.set(id, { output: Buffer.from(source.slice(start, e.index)), exitCode: Number(e[1]), stderr });
    begin.lastIndex = e.index + e[0].length;
  }
  return sections;
}

export function debugArgs(target: PodTarget, container: string, image: string): string[] {
  return ['debug', '-n', target.namespace, target.pod, `--image=${image}`, `--target=${target.container}`, '-c', container, '--profile=general', '--quiet'];
}

async function runDebugContainer(ctx: ClusterPhaseContext, options: PodPhaseOptions, target: PodTarget, commands: readonly PodCommand[]): Promise<DebugRun> {
  const id = randomBytes(4).toString('hex');
  const container = `netdump-${id}`;
  const marker = `netdump-${id}`;
  const image = options.image ?? DEFAULT_NODE_IMAGE;
  const args = debugArgs(target, container, image);
  const run: DebugRun = { command: kubectlCommandLine(args), container, image, durationMs: 0, sections: new Map() };
  const started = Date.now();
  const finish = (fields: Partial<DebugRun>): DebugRun => Object.assign(run, { durationMs: Date.now() - started }, fields);
  if (ctx.signal?.aborted) return finish({ error: 'interrupted', problem: 'interrupted' });

  const create = await ctx.kubectl([...args, '--', 'sh', '-c', debugScript(marker, commands)], { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
  if (create.exitCode !== 0) return finish(failure(create, 'kubectl debug failed'));

  const until = Math.min(ctx.deadline, Date.now() + (options.debugContainerSeconds ?? DEFAULT_DEBUG_CONTAINER_SECONDS) * 1000);
  let state = 'not started';
  for (;;) {
    const get = await ctx.kubectl(['get', 'pod', '-n', target.namespace, target.pod, '-o', 'json'], { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
    if (get.exitCode === 0) {
      const status = (parseJson(get.stdout)?.status?.ephemeralContainerStatuses ?? []).find((s: KubeObject) => s.name === container);
      if (status?.state?.terminated) break;
      const waiting = status?.state?.waiting;
      state = waiting ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` : status?.state?.running ? 'running' : 'not started';
    }
    if (ctx.signal?.aborted) return finish({ error: 'interrupted', problem: 'interrupted while waiting for the debug container' });
    if (Date.now() >= until) return finish({ error: 'timed out', problem: `the debug container ${container} had not ended after ${Math.round((Date.now() - started) / 1000)}s (${state})` });
    await pause(options.pollIntervalMs ?? 1000, ctx.signal);
  }
  const logs = await ctx.kubectl(['logs', '-n', target.namespace, target.pod, '-c', container], { timeoutSeconds: ctx.timeoutSeconds, signal: ctx.signal });
  if (logs.exitCode !== 0) return finish(failure(logs, 'kubectl logs failed'));
  const sections = parseDebugOutput(logs.stdout, marker);
  return finish({ sections, ...(sections.size === 0 ? { error: 'failed', problem: 'its output holds none of the commands (the image may lack sh)' } : {}) });
}

function failure(result: KubectlResult, fallback: string): Partial<DebugRun> {
  return {
    error: result.timedOut ? 'timed out' : result.interrupted ? 'interrupted' : 'failed',
    problem: `\`${result.command.split(' -- ')[0]}\` ${firstLine(result.stderr) || fallback}`,
    stderr: result.stderr.trim(),
  };
}

/** What capturePods would run, and where each output would go; nothing is run. */
export function planPods(ctx: Pick<ClusterPhaseContext, 'objects' | 'focusNamespaces'>, options: PodPhaseOptions = {}): { selection: PodSelection; commands: PlannedCommand[] } {
  const selection = selectPods(ctx.objects.pods, ctx.focusNamespaces, options.maxPods);
  const commands: PlannedCommand[] = [];
  const image = options.image ?? DEFAULT_NODE_IMAGE;
  for (const target of selection.pods) {
    for (const command of POD_COMMANDS) {
      commands.push({
        command: kubectlCommandLine(execArgs(target, command)),
        destination: `pods/${target.namespace}/${target.pod}/${command.file}`,
        note: `if that fails: ${kubectlCommandLine(debugArgs(target, 'netdump-<id>', image))} -- ${command.argv.join(' ')} (an ephemeral container; read with kubectl logs)`,
      });
    }
  }
  return { selection, commands };
}

function parseJson(stdout: Buffer): KubeObject | undefined {
  try {
    return JSON.parse(stdout.toString('utf8')) as KubeObject;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}
