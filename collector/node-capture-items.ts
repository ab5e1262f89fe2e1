/**
 * Turns one node capture into manifest items: one per command the script recorded, failed
 * and skipped ones included, plus one per spec the script never got to (it was interrupted,
 * or it died), so the manifest accounts for every row of the spec table.
 */
import type { CaptureRecord } from './capture-records.js';
import type { CollectionSpec } from './collection-specs.js';
import type { ManifestItemDocument } from './manifest-document.js';
import type { NodeCaptureOutput } from './run-node-capture.js';

/** Longer stderr is cut: the manifest is for diagnosis, not for whole error logs. */
export const MAX_STDERR_CHARS = 4000;

export function nodeCaptureItems(node: string, capture: NodeCaptureOutput, specs: readonly CollectionSpec[]): ManifestItemDocument[] {
  const items = [...capture.records].sort((a, b) => a.seq - b.seq).map((record) => recordItem(node, record, capture.stderr.get(record.seq)));

  const recorded = new Set(capture.records.map((record) => record.id));
  const missing = specs.filter((spec) => !recorded.has(spec.id));
  if (missing.length > 0) {
    const ended = capture.exitSignal ? `signal ${capture.exitSignal}` : `exit status ${capture.exitCode ?? 'unknown'}`;
    for (const spec of missing) {
      items.push({
        path: `nodes/${node}/${spec.path}`,
        node,
        command: spec.command,
        error: capture.interrupted ? 'interrupted' : 'capture ended early',
        note: capture.interrupted ? 'not run' : `not run: the node capture ended (${ended}) before this command`,
      });
    }
  }
  return items;
}

function recordItem(node: string, record: CaptureRecord, stderr: string | undefined): ManifestItemDocument {
  const item: ManifestItemDocument = { path: `nodes/${node}/${record.path}`, node, command: record.command };
  if (record.exitCode !== undefined) {
    item.exitCode = record.exitCode;
    item.durationMs = record.durationMs ?? 0;
    item.stderr = cutStderr(stderr ?? '');
  }
  if (record.error) item.error = record.error;
  if (record.note) item.note = record.exitCode === undefined && !record.error ? `not run: ${record.note}` : record.note;
  return item;
}

function cutStderr(text: string): string {
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed.length <= MAX_STDERR_CHARS) return trimmed;
  return `${trimmed.slice(0, MAX_STDERR_CHARS)}… (${trimmed.length - MAX_STDERR_CHARS} more characters)`;
}

