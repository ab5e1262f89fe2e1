/**
 * For the cluster-mode tests that run the real kubectl against the replay API server: whether
 * kubectl is there, and collectCluster's options pointing at a replay server.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectClusterOptions } from '../../collector/cluster/collect-cluster.js';
import type { ReplayApiServer } from '../helpers/replay-api-server.js';

export const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'scenarios');

/** Undefined when kubectl runs; else why the tests are skipped. */
export function kubectlMissing(): string | undefined {
  const probe = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error || probe.status !== 0) {
    return `kubectl is not installed here (${probe.error?.message ?? probe.stderr.trim()}): the cluster-mode tests against the replay API server are skipped`;
  }
  return undefined;
}

/** collectCluster's options for a replay server: its kubeconfig, a private discovery cache, no node or pod phases. */
export function replayOptions(server: ReplayApiServer, output: string, extra: Partial<CollectClusterOptions> = {}): CollectClusterOptions {
  return {
    output,
    kubeconfig: server.kubeconfig,
    kubectlEnv: { KUBECACHEDIR: server.cacheDir },
    concurrency: 6,
    timeoutSeconds: 30,
    phases: [],
    ...extra,
  };
}
