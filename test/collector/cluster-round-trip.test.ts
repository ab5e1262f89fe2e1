/**
 * Round trip through the real kubectl: a scenario bundle's cluster objects are served by the
 * replay API server, `collectCluster` reads them back with kubectl into a new bundle, and
 * analyzing that bundle gives the same findings as analyzing the scenario's own cluster data.
 *
 * The comparison, and why it is fair:
 * - Baseline: the scenario restricted to what cluster mode collects without node and pod
 *   captures (the phases are off here): its cluster/, logs/ and metrics/ files, plus a
 *   manifest holding only the scenario's `cluster` hints (its items describe the scenario's
 *   own collection, node commands included, so they are left out). Node files, pods/,
 *   hubble/ and probes/ are left out on both sides, so rules that need them are silent on
 *   both sides; every finding compared comes from cluster data.
 * - Collected: everything kubectl brought back, with the collector's own manifest.
 * - Compared: the (rule, severity, subjects) of every finding, as sorted lists, except
 *   bundle-collection-failed. That rule reports the collector's own failed calls, and the
 *   replay server has one kind of failure no scenario can avoid: a scenario without
 *   metrics/kube-system/<pod>.prom cannot serve CoreDNS metrics, so the proxy answers 503 as
 *   for a CoreDNS pod that does not listen. Those failed items are asserted exactly instead:
 *   the metrics of each running CoreDNS pod the scenario has no metrics for, and nothing else.
 *
 * Scenarios: a representative ten covering every kind of data cluster mode collects (Calico
 * CRDs mapped to v3, Cilium CRDs, CoreDNS logs, metrics and kubectl top, ingress,
 * NetworkPolicies, EndpointSlices, events). NETDUMP_ROUNDTRIP_ALL=1 runs every scenario with
 * cluster/ but broken-bundle, whose JSON is damaged on purpose (no API server could serve it);
 * all of them passed when this was written. The full set takes minutes on two shared cores
 * (kubectl starts ~30 times per scenario), so it is not the default.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle, analyzePath } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import type { Finding } from '../../analyzer/report/report.js';
import { collectCluster } from '../../collector/cluster/collect-cluster.js';
import { itemOutcome } from '../../collector/manifest-document.js';
import { scenariosWithCluster, startReplayApiServer, type RecordedRequest } from '../helpers/replay-api-server.js';
import { kubectlMissing, replayOptions, SCENARIOS_DIR } from './cluster-kubectl.js';

const REPRESENTATIVE = [
  'demo-shop',
  'healthy-dns',
  'dns-slow-cache-misses',
  'coredns-forward-loop',
  'calico-deny-shadows-allow',
  'calico-ipip-route-missing',
  'cilium-policy-drops',
  'ingress-wrong-backend',
  'netpol-namespace-label-typo',
  'stale-endpointslices',
];
const DAMAGED_ON_PURPOSE = new Set(['broken-bundle']);

const missing = kubectlMissing();
if (missing) console.warn(`netdump: ${missing}`);

const scenarios = process.env.NETDUMP_ROUNDTRIP_ALL === '1' ? scenariosWithCluster(SCENARIOS_DIR).filter((name) => !DAMAGED_ON_PURPOSE.has(name)) : REPRESENTATIVE;

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** The scenario as cluster mode without node and pod captures would have collected it. */
function baselineFiles(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of walk(root)) {
    const rel = relative(root, path);
    if (/^(cluster|logs|metrics)\//.test(rel)) files[rel] = readFileSync(path, 'utf8');
  }
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
  files['manifest.json'] = JSON.stringify({ format: manifest.format, createdAt: manifest.createdAt, collector: manifest.collector, cluster: manifest.cluster, items: [] }, null, 2);
  return files;
}

const findingKeys = (findings: readonly Finding[]) =>
  findings
    .filter((f) => f.rule !== 'bundle-collection-failed')
    .map((f) => `${f.rule} ${f.severity} ${f.subjects.join(',')}`)
    .sort();

/** metrics/ paths the replay server cannot serve: running CoreDNS pods the scenario has no metrics for. */
function unservableMetrics(root: string): string[] {
  const pods: any[] = JSON.parse(readFileSync(join(root, 'cluster/pods.json'), 'utf8')).items;
  return pods
    .filter((p) => p.metadata.namespace === 'kube-system' && p.metadata.labels?.['k8s-app'] === 'kube-dns' && p.status?.phase === 'Running')
    .map((p) => `metrics/kube-system/${p.metadata.name}.prom`)
    .filter((path) => !existsSync(join(root, path)))
    .sort();
}

describe.skipIf(missing !== undefined)('cluster mode round trip through kubectl and the replay API server', () => {
  let dir: string;
  const requests: RecordedRequest[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netdump-roundtrip-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const name of scenarios) {
    it(`${name}: the collected bundle gives the findings of the scenario's cluster data`, async () => {
      const root = join(SCENARIOS_DIR, name);
      const baseline = analyzeBundle(bundleFromFiles(baselineFiles(root), name));

      const server = await startReplayApiServer({ bundleDir: root });
      const output = join(dir, `${name}.tgz`);
      let summary;
      try {
        summary = await collectCluster(replayOptions(server, output));
      } finally {
        requests.push(...server.requests);
        await server.close();
      }
      const failedPaths = summary.manifest.items.filter((i) => itemOutcome(i) === 'failed').map((i) => i.path).sort();
      expect(failedPaths).toEqual(unservableMetrics(root));
      expect(summary.manifest.cluster).toMatchObject({ context: 'replay', serverVersion: 'v1.30.2', clusterDomain: 'cluster.local', serviceCIDR: '10.96.0.0/12' });

      const collected = await analyzePath(output);
      expect(findingKeys(collected.findings)).toEqual(findingKeys(baseline.findings));
    });
  }

  it('never asked for Secrets in any of those runs', () => {
    expect(requests.length).toBeGreaterThan(scenarios.length * 20);
    expect(requests.filter((r) => /secret/i.test(r.url))).toEqual([]);
  });
});
