/**
 * Cluster mode's per-pod step: which pods, the debug container's script and how its output is
 * split, and, with the real kubectl against a small API server (mini-api-server.ts + replay-pods),
 * exec into a pod's network namespace (node-lab.ts's pod namespace), falling back to an
 * ephemeral debug container for the pod whose image has no `ip`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { parseResolvConf } from '../../analyzer/dns/parse-resolv-conf.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import type { ClusterPhaseContext, KubeObject } from '../../collector/cluster/cluster-phase.js';
import { createKubectlRun } from '../../collector/cluster/kubectl-run.js';
import { capturePods, debugScript, parseDebugOutput, planPods, POD_COMMANDS, selectPods } from '../../collector/cluster/pod-phase.js';
import { startReplayApiServer } from '../helpers/replay-api-server.js';
import { createReplayPods, type ExecPlan, type ExecRequest } from '../helpers/replay-pods.js';
import { KUBECTL, startMiniApiServer } from './mini-api-server.js';
import { createNodeLab, LAB, nodeLabProblem, type NodeLab } from './node-lab.js';

function pod(namespace: string, name: string, options: { container?: string; phase?: string; hostNetwork?: boolean } = {}): KubeObject {
  const container = options.container ?? 'app';
  return {
    metadata: { name, namespace, uid: `uid-${name}`, labels: { app: name.split('-')[0]! } },
    spec: { nodeName: 'node-a', containers: [{ name: container, image: 'gcr.io/distroless/static:nonroot', resources: {} }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.1' }], ...(options.hostNetwork ? { hostNetwork: true } : {}) },
    status: {
      phase: options.phase ?? 'Running',
      podIP: '10.244.1.5',
      containerStatuses: [{ name: container, image: 'gcr.io/distroless/static:nonroot', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-20T09:01:00Z' } } }],
    },
  };
}

describe('pods in focus', () => {
  const pods = [
    pod('shop', 'web-7d9c5b6f4-x2x9k'),
    pod('shop', 'cart-5f7b8c9d4-k3j2h', { container: 'cart' }),
    pod('shop', 'migrate-29381', { phase: 'Succeeded' }),
    pod('shop', 'node-exporter-abcde', { hostNetwork: true }),
    pod('kube-system', 'coredns-5d78c9869d-abcde', { container: 'coredns' }),
  ];

  it('takes the running pods of the focus namespaces with their own network, first container', () => {
    const selection = selectPods(pods, ['shop']);
    expect(selection.pods).toEqual([
      { namespace: 'shop', pod: 'cart-5f7b8c9d4-k3j2h', container: 'cart' },
      { namespace: 'shop', pod: 'web-7d9c5b6f4-x2x9k', container: 'app' },
    ]);
    expect(selection.messages).toEqual([
      "1 host-network pod in focus skipped: they share their node's network (see nodes/)",
      '1 pod in focus not running: nothing to exec into',
    ]);
    expect(selectPods(pods, []).pods.map((p) => p.pod)).toEqual(['coredns-5d78c9869d-abcde', 'cart-5f7b8c9d4-k3j2h', 'web-7d9c5b6f4-x2x9k']);
  });

  it('is bounded, and says which pods it skipped', () => {
    const selection = selectPods(pods, [], 1);
    expect(selection.pods.map((p) => p.pod)).toEqual(['coredns-5d78c9869d-abcde']);
    expect(selection.messages.at(-1)).toBe('captured 1 of 3 pods in focus (at most 1); not captured: shop/cart-5f7b8c9d4-k3j2h, shop/web-7d9c5b6f4-x2x9k. Narrow the focus with -n.');
  });

  it('plans an exec per file, with the debug container as the fallback', () => {
    const plan = planPods({ objects: { nodes: [], pods, daemonsets: [] }, focusNamespaces: ['shop'] }, { image: 'nicolaka/netshoot:v0.13' });
    expect(plan.commands.map((c) => `${c.command} -> ${c.destination}`)).toEqual([
      'kubectl exec -n shop cart-5f7b8c9d4-k3j2h -c cart -- cat /etc/resolv.conf -> pods/shop/cart-5f7b8c9d4-k3j2h/resolv.conf',
      'kubectl exec -n shop cart-5f7b8c9d4-k3j2h -c cart -- ip -d addr show -> pods/shop/cart-5f7b8c9d4-k3j2h/ip-addr.txt',
      'kubectl exec -n shop cart-5f7b8c9d4-k3j2h -c cart -- ip route show -> pods/shop/cart-5f7b8c9d4-k3j2h/ip-route.txt',
      'kubectl exec -n shop web-7d9c5b6f4-x2x9k -c app -- cat /etc/resolv.conf -> pods/shop/web-7d9c5b6f4-x2x9k/resolv.conf',
      'kubectl exec -n shop web-7d9c5b6f4-x2x9k -c app -- ip -d addr show -> pods/shop/web-7d9c5b6f4-x2x9k/ip-addr.txt',
      'kubectl exec -n shop web-7d9c5b6f4-x2x9k -c app -- ip route show -> pods/shop/web-7d9c5b6f4-x2x9k/ip-route.txt',
    ]);
    expect(plan.commands[1]!.note).toMatch(/^if that fails: kubectl debug -n shop cart-5f7b8c9d4-k3j2h --image=nicolaka\/netshoot:v0.13 --target=cart -c 'netdump-<id>' --profile=general --quiet -- ip -d addr show/);
  });
});

describe('the debug container script', () => {
  it('carries several verbatim outputs, exit codes and stderr through one log stream', () => {
    const marker = 'netdump-0a1b2c3d';
    const commands = [POD_COMMANDS[2]!, { id: 'ip-addr' as const, file: 'x', argv: ['ip', '-d', 'addr', 'show', 'dev', 'no-such-device'] }];
    const log = execFileSync('sh', ['-c', debugScript(marker, commands)]);
    const sections = parseDebugOutput(log, marker);
    expect(sections.get('ip-route')).toEqual({ output: execFileSync('ip', ['route', 'show']), exitCode: 0, stderr: '' });
    expect(sections.get('ip-addr')).toMatchObject({ output: Buffer.alloc(0), exitCode: 1, stderr: expect.stringContaining('no-such-device') });
  });

  it('keeps an output without a final newline as it was', () => {
    const marker = 'netdump-ffff0000';
    const log = Buffer.from(`${marker} begin resolv-conf\nnameserver 10.96.0.10\n\n${marker} end resolv-conf 0\n${marker} begin ip-addr\nno newline\n${marker} end ip-addr 0\n`);
    const sections = parseDebugOutput(log, marker);
    expect(sections.get('resolv-conf')!.output.toString()).toBe('nameserver 10.96.0.10\n');
    expect(sections.get('ip-addr')!.output.toString()).toBe('no newline');
  });
});

const labProblem = nodeLabProblem() ?? (existsSync(KUBECTL) ? undefined : `${KUBECTL} is not installed (apt-get install kubernetes-client)`);
if (labProblem) console.warn(`skipped: pod captures through kubectl — ${labProblem}`);

describe.skipIf(labProblem !== undefined)('pod captures through kubectl exec and kubectl debug', () => {
  let lab: NodeLab;
  beforeAll(() => {
    lab = createNodeLab();
  });
  afterAll(() => lab?.destroy());

  it('execs where the image has the tools, falls back to an ephemeral debug container where it lacks ip, records what failed', async () => {
    // node-lab's pod namespace: eth0 10.244.1.5/24, default via 10.244.1.1.
    const podNetns = lab.netns.replace(/-node$/, '-pod');
    const pods = [pod('shop', 'web-7d9c5b6f4-x2x9k'), pod('shop', 'cart-5f7b8c9d4-k3j2h', { container: 'cart' }), pod('shop', 'static-0', { container: 'files' })];
    const inPod = (argv: string[]): ExecPlan => ({ argv: ['ip', 'netns', 'exec', podNetns, ...argv], env: { PATH: lab.toolPath({}) } });
    const exec = (request: ExecRequest): ExecPlan => {
      if (request.container.startsWith('netdump-')) return request.pod === 'static-0' ? { notFound: 'sh' } : inPod(request.command);
      // distroless web: cat works (say), no ip; cart has both.
      if (request.pod === 'web-7d9c5b6f4-x2x9k' && request.command[0] === 'ip') return { notFound: 'ip' };
      if (request.pod === 'static-0') return { notFound: request.command[0]! };
      return inPod(request.command);
    };
    const replay = createReplayPods({ pods, exec });
    const api = await startMiniApiServer(replay);
    try {
      const ctx: ClusterPhaseContext = {
        kubectl: api.kubectl,
        target: api.target,
        timeoutSeconds: 20,
        deadline: Date.now() + 300_000,
        concurrency: 2,
        objects: { nodes: [], pods, daemonsets: [] },
        focusNamespaces: ['shop'],
      };
      const output = await capturePods(ctx, { image: 'nicolaka/netshoot:v0.13', pollIntervalMs: 100, debugContainerSeconds: 30 });
      expect(api.unanswered).toEqual([]);
      const files = Object.fromEntries(output.files.map((f) => [f.path, f.data.toString()]));
      const bundle = bundleFromFiles(files);
      const item = (path: string) => output.items.filter((i) => i.path === path);

      // web: resolv.conf by exec, addresses and routes through one debug container.
      const web = 'pods/shop/web-7d9c5b6f4-x2x9k';
      expect(item(`${web}/resolv.conf`)).toEqual([expect.objectContaining({ command: 'kubectl exec -n shop web-7d9c5b6f4-x2x9k -c app -- cat /etc/resolv.conf', exitCode: 0, note: 'obtained by exec in the pod' })]);
      expect(parseResolvConf(bundle.get(`${web}/resolv.conf`)!).issues).toEqual([]);
      const addr = item(`${web}/ip-addr.txt`);
      expect(addr).toHaveLength(1);
      expect(addr[0]).toMatchObject({
        command: expect.stringMatching(/^kubectl debug -n shop web-7d9c5b6f4-x2x9k --image=nicolaka\/netshoot:v0.13 --target=app -c netdump-[0-9a-f]{8} --profile=general --quiet -- ip -d addr show$/),
        exitCode: 0,
        note: expect.stringMatching(/^obtained through the ephemeral debug container netdump-[0-9a-f]{8} \(image nicolaka\/netshoot:v0.13\): `kubectl exec -n shop web-7d9c5b6f4-x2x9k -c app -- ip -d addr show` failed \(error: Internal error occurred: .*executable file not found/),
      });
      const eth0 = parseIpAddr(bundle.get(`${web}/ip-addr.txt`)!).value.interfaces.find((i) => i.name === 'eth0')!;
      expect(eth0.addresses.map((a) => `${a.text}/${a.prefixLength}`)).toContain(`${LAB.podIP}/24`);
      const routes = parseIpRoute(bundle.get(`${web}/ip-route.txt`)!);
      expect(routes.issues).toEqual([]);
      expect(routes.value.routes.map((r) => r.text)).toContain('default via 10.244.1.1 dev eth0');
      // One ephemeral container for both commands, read back with kubectl logs.
      const patched = replay.requests.filter((r) => r.path.endsWith('/ephemeralcontainers')).map((r) => `${r.method} ${r.path}`);
      expect(patched.sort()).toEqual([
        'PATCH /api/v1/namespaces/shop/pods/static-0/ephemeralcontainers',
        'PATCH /api/v1/namespaces/shop/pods/web-7d9c5b6f4-x2x9k/ephemeralcontainers',
      ]);
      const webDebug = replay.execs.filter((e) => e.pod === 'web-7d9c5b6f4-x2x9k' && e.container.startsWith('netdump-'));
      expect(webDebug).toHaveLength(1);
      expect(replay.requests.some((r) => r.path === '/api/v1/namespaces/shop/pods/web-7d9c5b6f4-x2x9k/log' && r.query.includes(`container=${webDebug[0]!.container}`))).toBe(true);

      // cart: everything by exec, no debug container.
      const cart = 'pods/shop/cart-5f7b8c9d4-k3j2h';
      for (const file of ['resolv.conf', 'ip-addr.txt', 'ip-route.txt']) expect(item(`${cart}/${file}`), file).toEqual([expect.objectContaining({ exitCode: 0, note: 'obtained by exec in the pod' })]);
      expect(replay.execs.some((e) => e.pod === 'cart-5f7b8c9d4-k3j2h' && e.container.startsWith('netdump-'))).toBe(false);

      // static-0: neither exec nor the debug container could run: both attempts recorded, nothing fatal.
      const failed = item('pods/shop/static-0/ip-route.txt');
      expect(failed).toEqual([
        expect.objectContaining({ command: 'kubectl exec -n shop static-0 -c files -- ip route show', exitCode: 1, stderr: expect.stringContaining('executable file not found') }),
        expect.objectContaining({ error: 'failed', note: expect.stringContaining('the ephemeral debug container did not produce it') }),
      ]);
      expect(output.files.some((f) => f.path.startsWith('pods/shop/static-0/'))).toBe(false);
      expect(output.problems).toHaveLength(3);
      expect(output.problems.every((p) => p.startsWith('shop/static-0: '))).toBe(true);
    } finally {
      await api.close();
    }
  });
});

const SCENARIO = 'fixtures/scenarios/calico-deny-shadows-allow';
const replayProblem = existsSync(KUBECTL) ? (existsSync(`${SCENARIO}/cluster/pods.json`) ? undefined : `${SCENARIO} is missing`) : `${KUBECTL} is not installed`;
if (replayProblem) console.warn(`skipped: pod captures against the replay API server — ${replayProblem}`);

describe.skipIf(replayProblem !== undefined)('pod captures against the replay API server', () => {
  it("plugs into its extraHandlers: the scenario's shop pods, resolv.conf by exec, ip through debug containers", async () => {
    const pods = JSON.parse(readFileSync(`${SCENARIO}/cluster/pods.json`, 'utf8')).items as KubeObject[];
    const RESOLV = 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';
    const exec = (request: ExecRequest): ExecPlan => {
      // The debug container's script runs here: this machine's own addresses stand in for the pod's.
      if (request.container.startsWith('netdump-')) return { argv: request.command };
      return request.command[0] === 'cat' ? { exitCode: 0, stdout: RESOLV } : { notFound: request.command[0]! };
    };
    const replay = createReplayPods({ pods, exec });
    const server = await startReplayApiServer({ bundleDir: SCENARIO, extraHandlers: replay });
    try {
      const kubectl = createKubectlRun({ binary: KUBECTL, globalArgs: ['--kubeconfig', server.kubeconfig] }, { env: { KUBECACHEDIR: server.cacheDir } });
      const ctx: ClusterPhaseContext = {
        kubectl,
        target: { binary: KUBECTL, globalArgs: ['--kubeconfig', server.kubeconfig] },
        timeoutSeconds: 20,
        deadline: Date.now() + 300_000,
        concurrency: 2,
        objects: { nodes: [], pods, daemonsets: [] },
        focusNamespaces: ['shop'],
      };
      const output = await capturePods(ctx, { maxPods: 2, pollIntervalMs: 100 });
      const shop = pods.filter((p) => p.metadata.namespace === 'shop' && p.status?.phase === 'Running').map((p) => p.metadata.name as string).sort();
      expect(output.problems).toEqual([`captured 2 of ${shop.length} pods in focus (at most 2); not captured: ${shop.slice(2).map((n) => `shop/${n}`).join(', ')}. Narrow the focus with -n.`]);
      expect(output.files.map((f) => f.path).sort()).toEqual(shop.slice(0, 2).flatMap((name) => ['ip-addr.txt', 'ip-route.txt', 'resolv.conf'].map((file) => `pods/shop/${name}/${file}`)));
      const bundle = bundleFromFiles(Object.fromEntries(output.files.map((f) => [f.path, f.data.toString()])));
      for (const name of shop.slice(0, 2)) {
        expect(parseIpAddr(bundle.get(`pods/shop/${name}/ip-addr.txt`)!).value.interfaces.map((i) => i.name)).toContain('lo');
        expect(output.items.find((i) => i.path === `pods/shop/${name}/ip-route.txt`)!.note).toMatch(/^obtained through the ephemeral debug container/);
      }
      expect(server.requests.filter((r) => r.method === 'PATCH').map((r) => r.url.replace(/\?.*$/, ''))).toEqual(
        expect.arrayContaining(shop.slice(0, 2).map((name) => `/api/v1/namespaces/shop/pods/${name}/ephemeralcontainers`)),
      );
    } finally {
      await server.close();
    }
  });
});
