/**
 * The orchestrator with its default phases and its redaction, through the real kubectl: the
 * per-pod captures (pod-phase.ts) run after the objects with the pods just read and the `-n`
 * focus, their files and items join the bundle, and every file and stderr is redacted before
 * it is written, the manifest saying what was replaced where.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import { collectCluster } from '../../collector/cluster/collect-cluster.js';
import { startReplayApiServer } from '../helpers/replay-api-server.js';
import { createReplayPods, type ExecPlan, type ExecRequest } from '../helpers/replay-pods.js';
import { kubectlMissing, SCENARIOS_DIR } from './cluster-kubectl.js';

const missing = kubectlMissing();
if (missing) console.warn(`netdump: ${missing}`);

const RESOLV = 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjQ2In0.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu';

describe.skipIf(missing !== undefined)('collectCluster with its default phases, redacting everything it writes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netdump-cluster-phases-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('captures the pods in focus after the objects, and no planted credential reaches the bundle', async () => {
    // demo-shop, with credentials planted where a cluster leaks them: a kube-system ConfigMap
    // value and a CoreDNS log line.
    const fixture = join(dir, 'demo-shop');
    cpSync(join(SCENARIOS_DIR, 'demo-shop'), fixture, { recursive: true });
    const configMaps = JSON.parse(readFileSync(join(fixture, 'cluster/configmaps.json'), 'utf8'));
    configMaps.items.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'registry-mirror', namespace: 'kube-system' },
      data: { 'config.yaml': 'mirror: https://puller:Sup3rS3cret@registry.example.com\ntoken: 8f14e45fceea167a5a36dedd4bea2543\n' },
    });
    writeFileSync(join(fixture, 'cluster/configmaps.json'), JSON.stringify(configMaps));
    const pods: any[] = JSON.parse(readFileSync(join(fixture, 'cluster/pods.json'), 'utf8')).items;
    const coredns = pods.find((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns')!.metadata.name;
    mkdirSync(join(fixture, 'logs/kube-system', coredns), { recursive: true });
    writeFileSync(join(fixture, 'logs/kube-system', coredns, 'coredns.log'), `[INFO] plugin/reload: Running configuration\n[ERROR] upstream said Authorization: Bearer ${JWT}\n`);

    const exec = (request: ExecRequest): ExecPlan => {
      if (request.command[0] === 'cat') return { exitCode: 0, stdout: RESOLV };
      if (request.command.join(' ') === 'ip route show') return { exitCode: 0, stdout: 'default via 169.254.1.1 dev eth0\n169.254.1.1 dev eth0 scope link\n' };
      return { exitCode: 0, stdout: '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n' };
    };
    // The pod helper answers for the pods it is given (exec, logs of its debug containers): the shop pods.
    const shop = pods.filter((p) => p.metadata.namespace === 'shop');
    const server = await startReplayApiServer({ bundleDir: fixture, extraHandlers: createReplayPods({ pods: shop, exec }) });
    const output = join(dir, 'phases.tgz');
    let summary;
    try {
      summary = await collectCluster({
        output,
        kubeconfig: server.kubeconfig,
        kubectlEnv: { KUBECACHEDIR: server.cacheDir },
        namespaces: ['shop'],
        nodeOptions: { skip: true },
        timeoutSeconds: 30,
      });
    } finally {
      await server.close();
    }

    const shopPods = shop.filter((p) => p.status?.phase === 'Running' && !p.spec?.hostNetwork).map((p) => p.metadata.name as string);
    const bundle = await readBundle(output);
    for (const name of shopPods) {
      expect(bundle.get(`pods/shop/${name}/resolv.conf`)?.text, name).toBe(RESOLV);
      expect(summary.manifest.items.find((i) => i.path === `pods/shop/${name}/ip-route.txt`), name).toMatchObject({ exitCode: 0 });
    }
    expect(summary.manifest.collection.problems.some((p) => p.startsWith('node capture'))).toBe(false);

    const everything = [...bundle.files.values()].map((f) => f.text).join('\n');
    for (const secret of ['Sup3rS3cret', '8f14e45fceea167a5a36dedd4bea2543', JWT]) expect(everything).not.toContain(secret);
    expect(bundle.get('cluster/configmaps/kube-system.json')!.text).toContain('https://puller:<redacted:url-password>@registry.example.com');
    expect(bundle.get(`logs/kube-system/${coredns}/coredns.log`)!.text).toContain('Authorization: Bearer <redacted:jwt>');
    const manifest = JSON.parse(bundle.get('manifest.json')!.text);
    expect(manifest.redaction.redacted).toEqual(
      expect.arrayContaining([
        { path: 'cluster/configmaps/kube-system.json', in: 'output', kind: 'url-password', count: 1 },
        { path: 'cluster/configmaps/kube-system.json', in: 'output', kind: 'token', count: 1 },
        { path: `logs/kube-system/${coredns}/coredns.log`, in: 'output', kind: 'jwt', count: 1 },
      ]),
    );
    expect(manifest.redaction.total).toBe(manifest.redaction.redacted.reduce((sum: number, e: any) => sum + e.count, 0));
  });
});
