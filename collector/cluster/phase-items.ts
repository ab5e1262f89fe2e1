/**
 * Manifest items and files from kubectl calls, for the phases that reach into nodes and pods:
 * the same fields as a node capture's items (exit code, duration, stderr, error), with the
 * error named from kubectl's own words (forbidden, not found, timed out, ...).
 */
import type { ManifestItemDocument } from '../manifest-document.js';
import { MAX_STDERR_CHARS } from '../node-capture-items.js';
import type { KubectlResult } from './cluster-phase.js';
import { classifyKubectlFailure, failureText } from './kubectl-run.js';

export interface KubectlItemOptions {
  node?: string;
  /** The command as recorded, when it differs from kubectl's own line (a script shown by name). */
  command?: string;
  note?: string;
  /** Exit codes that mean success for this command besides 0. */
  okExitCodes?: readonly number[];
}

/** The manifest item of one kubectl call whose output goes to `path`. */
export function kubectlItem(path: string, result: KubectlResult, options: KubectlItemOptions = {}): ManifestItemDocument {
  const item: ManifestItemDocument = { path, command: options.command ?? result.command };
  if (options.node) item.node = options.node;
  if (result.exitCode !== null) item.exitCode = result.exitCode;
  if (result.exitCode !== null || result.durationMs > 0) item.durationMs = result.durationMs;
  item.stderr = cutStderr(result.stderr);
  const ok = result.exitCode === 0 || (result.exitCode !== null && (options.okExitCodes ?? []).includes(result.exitCode));
  if (!ok) {
    const failure = classifyKubectlFailure(result);
    if (failure) item.error = failureText(failure);
  }
  const notes = [options.note, !ok && result.stdout.length > 0 ? 'partial output kept' : undefined].filter(Boolean);
  if (notes.length > 0) item.note = notes.join('; ');
  return item;
}

function cutStderr(text: string): string {
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed.length <= MAX_STDERR_CHARS) return trimmed;
  return `${trimmed.slice(0, MAX_STDERR_CHARS)}… (${trimmed.length - MAX_STDERR_CHARS} more characters)`;
}

/** Runs `task` over `inputs`, at most `limit` at once, results in input order. */
export async function mapLimited<T, R>(inputs: readonly T[], limit: number, task: (input: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await task(inputs[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, worker));
  return results;
}

/** Resolves after `ms`, or at once when the signal is aborted. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A gate that lets at most `limit` tasks run at once. */
export function createLimiter(limit: number): <R>(task: () => Promise<R>) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <R>(task: () => Promise<R>): Promise<R> => {
    if (running >= Math.max(1, limit)) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
