/**
 * Cluster mode when things go wrong, with the real kubectl against the replay API server:
 * RBAC forbids one resource, the API server fails another, a third hangs past the timeout, a
 * CRD is not installed; kubectl is missing; Ctrl-C; the total time limit. Each is recorded,
 * none stops the rest, and the analyzer says what was not collected. Also `netdump collect`
 * itself: its progress and summary, `-n` focus, and `--dry-run`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePath, buildModel } from '../../analyzer/analyze.js';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import type { CliIo } from '../../analyzer/cli/cli-io.js';
import { registerCollectCommand, type CollectCommandEnv } from '../../analyzer/cli/commands/collect.js';
import type { Report } from '../../analyzer/report/report.js';
import { collectCluster, type ClusterCollectSummary } from '../../collector/cluster/collect-cluster.js';
import { itemOutcome } from '../../collector/manifest-document.js';
import { Progress } from '../../collector/progress.js';
import { startReplayApiServer, type ReplayApiServer } from '../helpers/replay-api-server.js';
import { kubectlMissing, replayOptions, SCENARIOS_DIR } from './cluster-kubectl.js';

const missing = kubectlMissing();
if (missing) console.warn(`netdump: ${missing}`);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netdump-cluster-failures-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface CliRun {
  out: string;
  err: string;
  exitCode: number | undefined;
}

/** `netdump collect <args>` in process, with the real collectCluster (no node or pod phases) and kubectl's cache in `cacheDir`. */
async function runCli(args: string[], cacheDir: string): Promise<CliRun> {
  const run: CliRun = { out: '', err: '', exitCode: undefined };
  const io: CliIo = { out: (t) => void (run.out += t), err: (t) => void (run.err += t), stdoutIsTTY: false, env: {}, setExitCode: (c) => void (run.exitCode = c) };
  const env: CollectCommandEnv = {
    stderrIsTTY: false,
    hostname: () => 'build-host',
    now: () => new Date('2026-11-26T10:00:00Z'),
    onInterrupt: () => () => {},
    collectLocal: async () => {
      throw new Error('not in these tests');
    },
    collectCluster: (options) => collectCluster({ ...options, kubectlEnv: { KUBECACHEDIR: cacheDir }, phases: [] }),
  };
  const program = new Command('netdump').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCollectCommand(program, io, env);
  try {
    await program.parseAsync(['node', 'netdump', 'collect', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    run.exitCode = error.exitCode === 0 ? 0 : 2;
  }
  return run;
}

describe.skipIf(missing !== undefined)('one failing resource never stops the rest', () => {
  let server: ReplayApiServer;
  let run: CliRun;
  let report: Report;
  let summary: { items: any[]; problems: string[] };
  const output = () => join(dir, 'faults.tgz');

  beforeAll(async () => {
    server = await startReplayApiServer({
      bundleDir: join(SCENARIOS_DIR, 'calico-deny-shadows-allow'),
      faults: [
        { path: '/apis/networking.k8s.io/v1/networkpolicies', status: 403 },
        { path: '/api/v1/events', status: 500 },
        { path: '/apis/apps/v1/deployments', delayMs: 120_000 },
      ],
      missing: ['globalnetworkpolicies.crd.projectcalico.org'],
    });
    run = await runCli(['--kubeconfig', server.kubeconfig, '-o', output(), '--timeout', '8', '--no-nodes'], server.cacheDir);
    const bundle = await readBundle(output());
    const manifest = JSON.parse(bundle.get('manifest.json')!.text);
    summary = { items: manifest.items, problems: manifest.collection.problems };
    report = await analyzePath(output());
  });
  afterAll(async () => {
    await server?.close();
  });

  const item = (path: string) => summary.items.find((i) => i.path === path);

  it('names an RBAC refusal as forbidden, keeps kubectl\'s stderr, and stores no file for it', async () => {
    expect(item('cluster/networkpolicies.json')).toMatchObject({ command: 'kubectl get networkpolicies.networking.k8s.io -A -o json', exitCode: 1 });
    expect(item('cluster/networkpolicies.json').error).toMatch(/^forbidden/);
    expect(item('cluster/networkpolicies.json').stderr).toContain('Error from server (Forbidden): networkpolicies is forbidden: User "system:serviceaccount:support:netdump" cannot list resource');
    const bundle = await readBundle(output());
    expect(bundle.has('cluster/networkpolicies.json')).toBe(false);
  });

  it('records a server error and a timeout, and collects everything else', async () => {
    expect(item('cluster/events.json')).toMatchObject({ error: 'server error', exitCode: 1 });
    expect(item('cluster/events.json').stderr).toContain('Error from server (InternalError)');
    expect(item('cluster/deployments.json')).toMatchObject({ error: 'timed out' });
    expect(item('cluster/deployments.json').exitCode).toBeUndefined();
    const bundle = await readBundle(output());
    for (const path of ['cluster/pods.json', 'cluster/services.json', 'cluster/endpointslices.json', 'cluster/nodes.json', 'cluster/configmaps/kube-system.json', 'cluster/calico/networkpolicies.json']) {
      expect(bundle.has(path), path).toBe(true);
    }
  });

  it('does not ask for a CRD that is not installed, and does not count it as a failure', () => {
    expect(item('cluster/calico/globalnetworkpolicies.json')).toBeUndefined();
    expect(server.requests.some((r) => r.url.includes('globalnetworkpolicies'))).toBe(false);
    expect(item('cluster/calico/ippools.json')).toMatchObject({ exitCode: 0 });
  });

  it('the analyzer reports what was not collected and why', () => {
    const failed = report.findings.filter((f) => f.rule === 'bundle-collection-failed');
    const forbidden = failed.find((f) => (f.data as any)?.kind === 'forbidden');
    expect(forbidden?.title).toBe('RBAC forbade `kubectl get networkpolicies.networking.k8s.io -A -o json`');
    expect(forbidden?.commands).toEqual(['kubectl auth can-i list networkpolicies.networking.k8s.io --all-namespaces']);
    expect(failed.map((f) => (f.data as any).command).sort()).toEqual([
      'kubectl get deployments.apps -A -o json',
      'kubectl get events -A -o json',
      'kubectl get networkpolicies.networking.k8s.io -A -o json',
      // The scenario has no CoreDNS metrics to serve (see cluster-round-trip.test.ts).
      ...summary.items.filter((i) => i.path.startsWith('metrics/') && itemOutcome(i) === 'failed').map((i) => i.command),
    ].sort());
    const netpolCoverage = report.coverage.filter((c) => c.status === 'not-collected' && /networkpolicies/.test(JSON.stringify(c)));
    expect(netpolCoverage.length).toBeGreaterThan(0);
  });

  it('shows progress on stderr and a summary naming each failure; exit 0 with the bundle on stdout', () => {
    expect(run.exitCode).toBe(0);
    expect(run.out).toBe(`${output()}\n`);
    expect(run.err).toContain('netdump: cluster [1/3] ');
    expect(run.err).toMatch(/netdump: cluster \[\d+\/\d+\] failed cluster\/networkpolicies\.json \(forbidden/);
    expect(run.err).toMatch(/netdump: cluster "replay": \d+ commands ok, \d+ failed, 1 not run \(not applicable here\), in /);
    expect(run.err).toContain('netdump:   failed: kubectl get networkpolicies.networking.k8s.io -A -o json (forbidden (RBAC');
    expect(run.err).toContain('netdump:   failed: kubectl get deployments.apps -A -o json (timed out after 8s)');
    expect(run.err).toContain('netdump:   not run: kubectl top pods -A (the Metrics API (metrics-server) is not installed)');
    expect(run.err).toContain(`netdump: bundle written: ${output()} (`);
  });

  it('never asked for Secrets', () => {
    expect(server.requests.length).toBeGreaterThan(20);
    expect(server.requests.filter((r) => /secret/i.test(r.url))).toEqual([]);
  });
});

describe.skipIf(missing !== undefined)('focus, interruption and the total time limit', () => {
  it('-n shop lists pods and events of shop and the infrastructure namespaces only, and the rest cluster-wide', async () => {
    const server = await startReplayApiServer({ bundleDir: join(SCENARIOS_DIR, 'demo-shop') });
    try {
      const summary = await collectCluster(replayOptions(server, join(dir, 'focus.tgz'), { namespaces: ['shop'] }));
      const paths = summary.manifest.items.map((i) => i.path);
      expect(paths.filter((p) => p.startsWith('cluster/pods'))).toEqual(['cluster/pods/shop.json', 'cluster/pods/kube-system.json', 'cluster/pods/ingress-nginx.json']);
      expect(paths).toContain('cluster/services.json');
      const lists = server.requests.map((r) => r.url.split('?')[0]);
      expect(lists).toContain('/api/v1/namespaces/shop/pods');
      expect(lists).not.toContain('/api/v1/pods');
      expect(lists).toContain('/api/v1/services');
      const report = await analyzePath(join(dir, 'focus.tgz'));
      // The split files are read as pods: the Services of shop still find their endpoints' pods.
      expect(report.findings.filter((f) => f.rule === 'svc-no-endpoints').map((f) => f.subjects[0])).toEqual(
        (await analyzePath(join(SCENARIOS_DIR, 'demo-shop'))).findings.filter((f) => f.rule === 'svc-no-endpoints').map((f) => f.subjects[0]),
      );
    } finally {
      await server.close();
    }
  });

  it('lists a cluster-wide resource per namespace when its output is too large for one file', async () => {
    const server = await startReplayApiServer({ bundleDir: join(SCENARIOS_DIR, 'demo-shop') });
    let summary: ClusterCollectSummary;
    try {
      // demo-shop's `get pods -A` prints ~310 kB, its largest namespace ~200 kB, any other list < 60 kB.
      summary = await collectCluster(replayOptions(server, join(dir, 'split.tgz'), { maxOutputBytes: 250_000 }));
    } finally {
      await server.close();
    }
    const all = summary.manifest.items.find((i) => i.path === 'cluster/pods.json')!;
    expect(all.error).toBeUndefined();
    expect(all.note).toBe('output over 250000 bytes: listed per namespace instead (cluster/pods/<namespace>.json)');
    const perNamespace = summary.manifest.items.filter((i) => i.path.startsWith('cluster/pods/'));
    expect(perNamespace.map((i) => i.command)).toContain('kubectl get pods -n kube-system -o json');
    expect(perNamespace.every((i) => i.exitCode === 0)).toBe(true);
    const model = buildModel(await readBundle(join(dir, 'split.tgz')));
    const fixturePods = JSON.parse(readFileSync(join(SCENARIOS_DIR, 'demo-shop/cluster/pods.json'), 'utf8')).items.length;
    expect(model.kube.pods.length).toBe(fixturePods);
    // Logs were still taken: the split pods reached the components stage.
    expect(summary.manifest.items.some((i) => i.path.startsWith('logs/kube-system/coredns-'))).toBe(true);
  });

  it('Ctrl-C stops the calls that run, marks the rest interrupted and still writes the bundle', async () => {
    const server = await startReplayApiServer({ bundleDir: join(SCENARIOS_DIR, 'demo-shop'), faults: [{ path: '/api/v1/nodes', delayMs: 120_000 }] });
    const controller = new AbortController();
    // Interrupt once the objects stage is under way (the nodes list hangs, so something is running).
    const progress = new Progress({
      write: (text) => {
        if (text.includes('cluster/namespaces.json')) setTimeout(() => controller.abort(), 500);
      },
      isTTY: false,
      quiet: false,
    });
    let summary: ClusterCollectSummary;
    try {
      summary = await collectCluster(replayOptions(server, join(dir, 'interrupted.tgz'), { signal: controller.signal, progress }));
    } finally {
      await server.close();
    }
    expect(summary.manifest.collection.interrupted).toBe(true);
    const nodes = summary.manifest.items.find((i) => i.path === 'cluster/nodes.json')!;
    expect(nodes.error).toBe('interrupted');
    // Nothing starts after the interrupt: log calls planned from pods read before it are recorded, not run.
    for (const item of summary.manifest.items.filter((i) => i.path.startsWith('logs/'))) expect(item).toMatchObject({ error: 'interrupted', note: 'not run' });
    expect(summary.outcomes.interrupted).toBeGreaterThan(0);
    const bundle = await readBundle(join(dir, 'interrupted.tgz'));
    expect(bundle.has('cluster/namespaces.json')).toBe(true);
    expect(bundle.has('cluster/nodes.json')).toBe(false);
    expect(bundle.list('logs/')).toEqual([]);
  });

  it('after the total time limit nothing new starts, and what was left is recorded as not run', async () => {
    const server = await startReplayApiServer({ bundleDir: join(SCENARIOS_DIR, 'demo-shop'), faults: [{ path: '/api/v1/namespaces', delayMs: 120_000 }] });
    let summary: ClusterCollectSummary;
    try {
      summary = await collectCluster(replayOptions(server, join(dir, 'total.tgz'), { totalTimeoutSeconds: 3 }));
    } finally {
      await server.close();
    }
    expect(summary.manifest.items.find((i) => i.path === 'cluster/namespaces.json')!.error).toBe('timed out');
    const objects = summary.manifest.items.filter((i) => /^cluster\/(pods|services|nodes)\.json$/.test(i.path));
    expect(objects).toHaveLength(3);
    for (const item of objects) expect(item).toMatchObject({ error: 'total time limit reached', note: 'not run: the total time limit (3s) was reached first' });
    expect(server.requests.some((r) => r.url.startsWith('/api/v1/pods'))).toBe(false);
  });
});

describe.skipIf(missing !== undefined)('an API server that cannot be reached', () => {
  it('stops after discovery instead of waiting out every call, and says why', async () => {
    const closed = await startReplayApiServer({ bundleDir: join(SCENARIOS_DIR, 'demo-shop') });
    await closed.close(); // its port now refuses connections
    const kubeconfig = join(dir, 'unreachable-kubeconfig');
    await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: ${closed.url}\ncontexts:\n- name: gone\n  context: {cluster: gone, user: u}\ncurrent-context: gone\nusers:\n- name: u\n  user: {}\n`);
    const server2 = await startReplayApiServer({ bundleDir: join(SCENARIOS_DIR, 'demo-shop') });
    try {
      const summary = await collectCluster({ ...replayOptions(server2, join(dir, 'unreachable.tgz')), kubeconfig });
      expect(summary.manifest.items.find((i) => i.path === 'cluster/version.json')!.error).toBe('API server unreachable');
      expect(summary.manifest.items.find((i) => i.path === 'cluster/pods.json')).toMatchObject({ error: 'API server unreachable', note: 'not run' });
      expect(summary.manifest.collection.problems.some((p) => p.startsWith('kubectl could not talk to the cluster (API server unreachable: '))).toBe(true);
      expect(server2.requests).toEqual([]);
    } finally {
      await server2.close();
    }
  });
});

describe('without kubectl', () => {
  it('records kubectl as not found, runs nothing else, and still writes a bundle that says so', async () => {
    const output = join(dir, 'no-kubectl.tgz');
    const summary = await collectCluster({ output, kubectl: '/nonexistent/kubectl', phases: [] });
    expect(summary.manifest.items.find((i) => i.path === 'cluster/version.json')).toMatchObject({ exitCode: 127, error: 'command not found' });
    expect(summary.manifest.items.filter((i) => i.error === 'kubectl not found').length).toBeGreaterThan(5);
    expect(summary.manifest.collection.problems[0]).toContain('kubectl was not found (/nonexistent/kubectl): install it or name it with --kubectl <path>');
    expect(summary.outcomes.ok).toBe(0);
    const report = await analyzePath(output);
    const notInstalled = report.findings.filter((f) => f.rule === 'bundle-collection-failed' && (f.data as any).kind === 'not-found').map((f) => f.title);
    expect(notInstalled.sort()).toEqual([
      '`kubectl api-resources -o name` is not installed',
      '`kubectl get namespaces -o json` is not installed',
      '`kubectl version -o json` is not installed',
    ]);
  });
});

describe('netdump collect --dry-run (cluster mode)', () => {
  it('prints every kubectl command and where its output goes, never a Secret, and runs nothing', async () => {
    const run = await runCli(['--dry-run', '--context', 'prod-eu-1', '-n', 'shop', '--kubectl', '/nonexistent/kubectl'], dir);
    expect(run.exitCode).toBe(0);
    expect(run.err).toBe('');
    const lines = run.out.split('\n');
    const row = (command: string, path: string) => {
      const at = lines.findIndex((l) => l.endsWith(`-> ${path}`));
      expect(at, path).toBeGreaterThan(-1);
      expect(`${lines[at - 1]}\n${lines[at]}`, path).toContain(command);
    };
    row('kubectl get pods -n shop -o json', 'cluster/pods/shop.json');
    row('kubectl get services -A -o json', 'cluster/services.json');
    row('kubectl get endpointslices.discovery.k8s.io -A -o json', 'cluster/endpointslices.json');
    row('kubectl get configmaps -n kube-system -o json', 'cluster/configmaps/kube-system.json');
    row('kubectl get ippools.crd.projectcalico.org -o json', 'cluster/calico/ippools.json');
    row('kubectl logs -n <namespace> <pod> -c <container> --tail=2000', 'logs/<namespace>/<pod>/<container>.log');
    row('kubectl get --raw /api/v1/namespaces/kube-system/pods/<pod>:9153/proxy/metrics', 'metrics/kube-system/<pod>.prom');
    row('kubectl exec -n kube-system node-debugger-<node>-<id> -c debugger -- chroot /host iptables-save', 'nodes/<node>/iptables-save.txt');
    row('kubectl exec -n <namespace> <pod> -c <container> -- cat /etc/resolv.conf', 'pods/<namespace>/<pod>/resolv.conf');
    expect(run.out).toContain('against context "prod-eu-1", focused on namespace shop');
    expect(run.out).toContain('Bundle: netdump-prod-eu-1-2026-11-26T10-00-00Z.tgz');
    expect(run.out).not.toMatch(/get secrets|secrets -|get all\b/);

    const noNodes = await runCli(['--dry-run', '--no-nodes'], dir);
    expect(noNodes.out).toContain('No node capture (--no-nodes).');
    expect(noNodes.out).not.toContain('nodes/<node>/');
    expect(noNodes.out).toContain("against kubectl's current context");
  });
});
