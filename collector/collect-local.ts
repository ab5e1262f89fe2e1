/**
 * `netdump collect --local`: the node capture on this host, written as a bundle. The host is
 * a Kubernetes node you are logged into (name it with its node name so the analyzer can join
 * it to cluster data) or a plain Docker host (its host name; `docker/` holds the networks and
 * containers). The bundle has manifest.json and nodes/<node>/, never cluster/.
 *
 * Every output and every stderr passes through redaction before it is written; manifest.json
 * says what was replaced where.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { specsFor } from './collection-specs.js';
import { itemOutcome, newManifest, type ItemOutcome, type ManifestDocument } from './manifest-document.js';
import { nodeCaptureItems } from './node-capture-items.js';
import type { Progress } from './progress.js';
import { RedactionReport, redactBytes, redactText } from './redact.js';
import { runNodeCapture, type NodeCaptureRequest } from './run-node-capture.js';
import { defaultBundleName, writeBundle, type BundleEntry, type WrittenBundle } from './write-bundle.js';

export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface LocalCollectOptions {
  /** The bundle to write; default `netdump-<node>-<UTC timestamp>.tgz` in the working folder. */
  output?: string;
  /** The folder name under nodes/; default this host's name. */
  nodeName?: string;
  /** Per command. */
  timeoutSeconds?: number;
  /** Aborting stops the capture; the bundle is still written with what was collected. */
  signal?: AbortSignal;
  progress?: Progress;
  /** How the script is started and what it sees (tests run it in a network namespace). */
  capture?: Pick<NodeCaptureRequest, 'launcher' | 'hostRoot' | 'env' | 'scriptPath'>;
  now?: () => Date;
}

export interface CollectSummary {
  bundle: WrittenBundle;
  node: string;
  manifest: ManifestDocument;
  outcomes: Record<ItemOutcome, number>;
}

/** Why a name cannot be a bundle folder, or undefined when it can. */
export function nodeNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..' || !/^[A-Za-z0-9._-]+$/.test(name)) {
    return `"${name}" cannot name a node folder: use letters, digits, '.', '_' and '-' only`;
  }
  return undefined;
}

/** The node name for --local: the one given (the Kubernetes node name), else this host's name. */
export function localNodeName(explicit?: string): string {
  return explicit ?? hostname();
}

export async function collectLocal(options: LocalCollectOptions = {}): Promise<CollectSummary> {
  const now = options.now ?? (() => new Date());
  const node = localNodeName(options.nodeName);
  const problem = nodeNameProblem(node);
  if (problem) throw new Error(problem);
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const started = now();
  const output = resolve(options.output ?? defaultBundleName(node, started));
  const specs = specsFor('local');
  const progress = options.progress;

  progress?.expect(specs.length);
  progress?.note(`capturing ${node} (${specs.length} commands, ${timeoutSeconds}s timeout each)`);
  const capture = await runNodeCapture({
    ...options.capture,
    node,
    timeoutSeconds,
    ...(options.signal ? { signal: options.signal } : {}),
    onStep: (step) => progress?.step({ scope: node, status: step.status, label: step.path, ...(step.detail ? { detail: step.detail } : {}) }),
  });

  const manifest = newManifest('local', started, timeoutSeconds);
  manifest.collection.nodes = [node];
  manifest.collection.interrupted = capture.interrupted;
  manifest.collection.problems = capture.problems.map((text) => `${node}: ${text}`);
  if (capture.records.length === 0 && capture.log.length > 0) {
    // The script did not run at all: its own words say why.
    manifest.collection.problems.push(...capture.log.slice(-5).map((line) => `${node}: ${line}`));
  }
  manifest.items = nodeCaptureItems(node, capture, specs);

  const redaction = new RedactionReport();
  const entries: BundleEntry[] = [];
  for (const [path, data] of [...capture.files].sort(([a], [b]) => a.localeCompare(b))) {
    const bundlePath = `nodes/${node}/${path}`;
    const redacted = redactBytes(data);
    redaction.add(bundlePath, 'output', redacted.counts);
    entries.push({ path: bundlePath, data: redacted.data });
  }
  for (const item of manifest.items) {
    if (!item.stderr) continue;
    const redacted = redactText(item.stderr);
    redaction.add(item.path, 'stderr', redacted.counts);
    item.stderr = redacted.text;
  }
  manifest.redaction.redacted = redaction.list();
  manifest.redaction.total = redaction.total;
  manifest.collection.durationMs = Math.max(0, now().getTime() - started.getTime());

  const bundle = await writeBundle(output, [{ path: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` }, ...entries], { mtime: started });
  const outcomes: Record<ItemOutcome, number> = { ok: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const item of manifest.items) outcomes[itemOutcome(item)]++;
  return { bundle, node, manifest, outcomes };
}
