/**
 * `netdump collect`: capture networking state into a bundle.
 *
 *   netdump collect --local                      this host (a Kubernetes node or a Docker host)
 *   netdump collect --local --node-name node-a   this node, under its Kubernetes node name
 *   netdump collect --local --dry-run            what would be run, and where each output goes
 *
 * Only --local exists so far; cluster mode (kubectl) says so and exits 2 rather than pretend.
 * stdout carries the result (the bundle's path, or the --dry-run plan); progress and the
 * summary go to stderr. Exit status: 0 bundle written (whatever single commands did),
 * 2 usage error or the bundle could not be written, 130 interrupted (the bundle holds what was
 * collected until then).
 */
import { hostname } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { collectLocal, DEFAULT_TIMEOUT_SECONDS, nodeNameProblem, type CollectSummary, type LocalCollectOptions } from '../../../collector/collect-local.js';
import { renderDryRun } from '../../../collector/dry-run.js';
import { itemOutcome } from '../../../collector/manifest-document.js';
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
  };
}

interface CollectFlags {
  local?: boolean;
  output?: string;
  dryRun?: boolean;
  quiet?: boolean;
  timeout: number;
  nodeName?: string;
}

function parseSeconds(text: string): number {
  const seconds = /^\d{1,6}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(seconds >= 1)) throw new InvalidArgumentError(`expected a whole number of seconds, 1 or more, got "${text}".`);
  return seconds;
}

export function registerCollectCommand(program: Command, io: CliIo, env: CollectCommandEnv = processCollectEnv()): void {
  program
    .command('collect')
    .description('capture networking state into a bundle for `netdump analyze` (only --local so far)')
    .option('--local', 'capture this host: a Kubernetes node you are logged into, or a Docker host')
    .option('-o, --output <file>', 'the bundle to write (default netdump-<node>-<UTC time>.tgz)')
    .option('--dry-run', 'print every command that would run and where its output would go, and run nothing')
    .option('--quiet', 'no progress and no summary on stderr (errors still show)')
    .option('--timeout <seconds>', `time limit for each command (default ${DEFAULT_TIMEOUT_SECONDS})`, parseSeconds, DEFAULT_TIMEOUT_SECONDS)
    .option('--node-name <name>', "the folder name under nodes/: this host's Kubernetes node name (default its host name)")
    .action(async (flags: CollectFlags, command: Command) => {
      if (!flags.local) {
        io.err(
          'netdump: cluster mode is not implemented yet: collecting a cluster through kubectl is not available in this version.\n' +
            'netdump: use --local to capture this host (a Kubernetes node you are logged into, or a Docker host).\n',
        );
        io.setExitCode(2);
        return;
      }
      const node = flags.nodeName ?? env.hostname();
      const problem = nodeNameProblem(node);
      if (problem) command.error(`error: ${problem}${flags.nodeName ? '' : ' (the host name; pass --node-name)'}`, { exitCode: 2, code: 'netdump.collectUsage' });
      const output = flags.output ?? defaultBundleName(node, env.now());

      if (flags.dryRun) {
        io.out(renderDryRun({ mode: 'local', node, timeoutSeconds: flags.timeout, output }));
        io.setExitCode(0);
        return;
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
        summary = await env.collectLocal({ output, nodeName: node, timeoutSeconds: flags.timeout, signal: controller.signal, progress });
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
    });
}

/** What was collected, what failed and why, what was redacted, and the bundle's size. */
export function renderSummary(summary: CollectSummary, elapsed: string): string {
  const { manifest, outcomes, node } = summary;
  const lines = [
    `${node}: ${plural(outcomes.ok, 'command')} ok, ${outcomes.failed} failed, ${outcomes.skipped} not run (not applicable here)` +
      `${outcomes.interrupted > 0 ? `, ${outcomes.interrupted} interrupted` : ''}, in ${elapsed}`,
  ];
  for (const item of manifest.items) {
    const outcome = itemOutcome(item);
    if (outcome === 'failed') {
      const why = item.error === 'timed out' ? `timed out after ${manifest.collection.timeoutSeconds}s` : item.error ?? `exit ${item.exitCode}`;
      const stderr = item.stderr ? `: ${item.stderr.split('\n')[0]!.slice(0, 160)}` : '';
      lines.push(`  failed: ${item.command} (${why}${stderr})`);
    } else if (outcome === 'skipped') {
      lines.push(`  not run: ${item.command} (${(item.note ?? '').replace(/^not run: /, '')})`);
    }
  }
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
