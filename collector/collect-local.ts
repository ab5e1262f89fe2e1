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
import { redactCollection } from './redact-collection.js';
import { runNodeCapture, type NodeCaptureRequest } from './run-node-capture.js';
import { defaultBundleName, type WrittenBundle } from './write-bundle.js';
import { writeCollection, type CollectionAnonymization } from './write-collection.js';

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
  /** `--anonymize`: the key of the pseudonyms; the mapping file goes beside the bundle. */
  anonymizeKey?: Buffer;
}

export interface CollectSummary {
  bundle: WrittenBundle;
  node: string;
  /** The manifest as collected (before any anonymization: the summary is for the customer). */
  manifest: ManifestDocument;
  outcomes: Record<ItemOutcome, number>;
  /** With `--anonymize`: where the mapping file is. */
  anonymization?: CollectionAnonymization;
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

  const entries = redactCollection([...capture.files].map(([path, data]) => ({ path: `nodes/${node}/${path}`, data })), manifest);
  manifest.collection.durationMs = Math.max(0, now().getTime() - started.getTime());

  const written = await writeCollection(output, [{ path: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` }, ...entries], { mtime: started, anonymizeKey: options.anonymizeKey });
  const outcomes: Record<ItemOutcome, number> = { ok: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const item of manifest.items) outcomes[itemOutcome(item)]++;
  return { bundle: written.bundle, node, manifest, outcomes, ...(written.anonymization ? { anonymization: written.anonymization } : {}) };
}
