/**
 * Through the real kubectl and the replay API server (coredns-forward-loop, whose two CoreDNS
 * pods restarted 11 times): the previous log of each restarted networking container is asked
 * with `kubectl logs --previous` and stored as <container>.previous.log; where the kubelet kept
 * none (the API server's 400 "previous terminated container ... not found") the item says so
 * and is no failure. `kubectl config current-context` is a manifest item of its own.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import { collectCluster } from '../../collector/cluster/collect-cluster.js';
import { itemOutcome } from '../../collector/manifest-document.js';
import { startReplayApiServer } from '../helpers/replay-api-server.js';
import { kubectlMissing, replayOptions, SCENARIOS_DIR } from './cluster-kubectl.js';

const missing = kubectlMissing();
if (missing) console.warn(`netdump: ${missing}`);

const CRASH = '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908\n[FATAL] plugin/loop: Loop (127.0.0.1:41226 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."\n';

describe.skipIf(missing !== undefined)('previous logs of restarted components, and the context item', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netdump-previous-logs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the previous log where the kubelet kept one, and records where it kept none', async () => {
    const fixture = join(dir, 'coredns-forward-loop');
    cpSync(join(SCENARIOS_DIR, 'coredns-forward-loop'), fixture, { recursive: true });
    const pods: any[] = JSON.parse(readFileSync(join(fixture, 'cluster/pods.json'), 'utf8')).items;
    const coredns = pods.filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns').map((p) => p.metadata.name as string).sort();
    expect(coredns).toHaveLength(2);
    writeFileSync(join(fixture, 'logs/kube-system', coredns[0]!, 'coredns.previous.log'), CRASH);

    const server = await startReplayApiServer({ bundleDir: fixture });
    const output = join(dir, 'out.tgz');
    let summary;
    try {
      summary = await collectCluster(replayOptions(server, output));
    } finally {
      await server.close();
    }
    const bundle = await readBundle(output);
    expect(bundle.get(`logs/kube-system/${coredns[0]}/coredns.previous.log`)?.text).toBe(CRASH);
    expect(bundle.has(`logs/kube-system/${coredns[1]}/coredns.previous.log`)).toBe(false);
    // The current logs are still there, apart from the previous ones.
    expect(bundle.get(`logs/kube-system/${coredns[0]}/coredns.log`)?.text).not.toBe(CRASH);

    const item = (path: string) => summary.manifest.items.find((i) => i.path === path)!;
    expect(item(`logs/kube-system/${coredns[0]}/coredns.previous.log`)).toMatchObject({ command: `kubectl logs -n kube-system ${coredns[0]} -c coredns --previous --tail=2000`, exitCode: 0 });
    const none = item(`logs/kube-system/${coredns[1]}/coredns.previous.log`);
    expect(none).toMatchObject({ note: 'no previous log: the kubelet kept none for this container', stderr: expect.stringContaining(`previous terminated container "coredns" in pod "${coredns[1]}" not found`) });
    expect(itemOutcome(none)).toBe('skipped');
    // Containers that never restarted are not asked.
    expect(summary.manifest.items.filter((i) => i.command.includes('--previous')).map((i) => i.path).sort()).toEqual(coredns.map((p) => `logs/kube-system/${p}/coredns.previous.log`));

    expect(summary.manifest.items[0]).toMatchObject({ path: 'manifest.json', command: 'kubectl config current-context', exitCode: 0, note: 'its answer is cluster.context' });
    expect(summary.manifest.cluster.context).toBe('replay');
  });
});
