/**
 * Cluster mode's node step. Node selection and the DaemonSet manifest are pure logic on kubectl's
 * JSON shapes. Then the real kubectl against a small API server (mini-api-server.ts with the
 * replay-pods handlers): `kubectl debug node/...` creates a pod, exec over WebSocket runs
 * node-capture.sh in a network namespace built like a node (node-lab.ts), the analyzer parses
 * what came back; a node whose pod never runs is recorded while the others go on; Ctrl-C during a
 * DaemonSet harvest deletes the DaemonSet.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import type { ParseIssue } from '../../analyzer/bundle/parse-issue.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import type { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCalicoctlNodeStatus } from '../../analyzer/cni/parse-calicoctl-node-status.js';
import { parseIpsetSave } from '../../analyzer/netfilter/parse-ipset-save.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import { parseNftRuleset } from '../../analyzer/netfilter/parse-nft-ruleset.js';
import { parseSysctl } from '../../analyzer/node/parse-sysctl.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import { CAPTURE_LABEL, captureDaemonSet, captureDaemonSetName } from '../../collector/cluster/capture-daemonset.js';
import type { ClusterPhaseContext, KubeObject, PhaseOutput } from '../../collector/cluster/cluster-phase.js';
import { captureClusterNodes, planClusterNodes, type NodePhaseOptions } from '../../collector/cluster/node-phase.js';
import { parseLabelSelector, selectClusterNodes } from '../../collector/cluster/node-selection.js';
import type { ManifestItemDocument } from '../../collector/manifest-document.js';
import { Progress } from '../../collector/progress.js';
import { createReplayPods, type ExecPlan, type ExecRequest, type ReplayPods } from '../helpers/replay-pods.js';
import { KUBECTL, startMiniApiServer, type MiniApiServer } from './mini-api-server.js';
import { createNodeLab, LAB, nodeLabProblem, type NodeLab } from './node-lab.js';

// ---- kubectl JSON shapes -----------------------------------------------------------------

function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    metadata: { name, uid: `uid-${name}`, resourceVersion: '4711', creationTimestamp: '2026-11-20T09:00:00Z', labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } },
    spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.1.11' }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(namespace: string, name: string, nodeName: string, options: { containers?: { name: string; image: string }[]; daemonSet?: string; phase?: string; hostNetwork?: boolean } = {}): KubeObject {
  const containers = options.containers ?? [{ name: 'app', image: 'ghcr.io/shop/web:1.4.2' }];
  return {
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      labels: { app: name.split('-')[0]! },
      ...(options.daemonSet ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: options.daemonSet, uid: `uid-ds-${options.daemonSet}`, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: { nodeName, containers: containers.map((c) => ({ ...c, resources: {} })), ...(options.hostNetwork ? { hostNetwork: true } : {}) },
    status: {
      phase: options.phase ?? 'Running',
      hostIP: '10.0.1.11',
      podIP: '10.244.1.5',
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: `${c.image}@sha256:0d5f`, ready: true, restartCount: 0, started: true, state: { running: { startedAt: '2026-11-20T09:01:00Z' } } })),
    },
  };
}

const calicoNode = (name: string, nodeName: string, version: string) =>
  pod('kube-system', name, nodeName, { daemonSet: 'calico-node', hostNetwork: true, containers: [{ name: 'calico-node', image: `docker.io/calico/node:${version}` }] });

const CLUSTER = {
  nodes: ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'].map((n, i) => node(n, i < 2 ? { 'node-role.kubernetes.io/edge': '', zone: 'eu-1a' } : { zone: 'eu-1b' })),
  pods: [
    pod('shop', 'web-7d9c5b6f4-x2x9k', 'node-b'),
    pod('shop', 'web-7d9c5b6f4-q8w4z', 'node-b'),
    pod('shop', 'db-0', 'node-d'),
    pod('shop', 'migrate-29381', 'node-e', { phase: 'Succeeded' }),
    pod('kube-system', 'coredns-5d78c9869d-abcde', 'node-c', { containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.1' }] }),
    calicoNode('calico-node-aaaaa', 'node-a', 'v3.27.2'),
    calicoNode('calico-node-bbbbb', 'node-b', 'v3.27.2'),
    calicoNode('calico-node-ccccc', 'node-c', 'v3.28.0'),
    calicoNode('calico-node-ddddd', 'node-d', 'v3.27.2'),
    calicoNode('calico-node-eeeee', 'node-e', 'v3.27.2'),
  ],
};

describe('node selection', () => {
  it('default: the nodes hosting pods in focus, plus one node per CNI agent version, representatives first', () => {
    const result = selectClusterNodes(CLUSTER, ['shop'], 'default', 10);
    // v3.27.2 runs on node-b already chosen for its pods; v3.28.0 only on node-c.
    expect(result.nodes).toEqual(['node-b', 'node-c', 'node-d']);
    expect(result.reasons.get('node-b')).toEqual(['runs calico agent docker.io/calico/node:v3.27.2', 'hosts 2 pods of shop']);
    expect(result.reasons.get('node-c')).toEqual(['runs calico agent docker.io/calico/node:v3.28.0']);
    // The finished pod on node-e does not pull it in.
    expect(result.nodes).not.toContain('node-e');
    expect(result.messages).toEqual([]);
  });

  it('default without a focus: every node with a running pod, the busiest first after the CNI representatives', () => {
    // node-b: 2 web + calico; node-c: coredns + calico (the only v3.28.0); node-d: db + calico.
    expect(selectClusterNodes(CLUSTER, [], 'default', 10).nodes).toEqual(['node-b', 'node-c', 'node-d', 'node-a', 'node-e']);
  });

  it('caps at maxNodes and names every node left out', () => {
    const result = selectClusterNodes(CLUSTER, [], 'default', 2);
    expect(result.nodes).toEqual(['node-b', 'node-c']);
    expect(result.notCaptured).toEqual(['node-d', 'node-a', 'node-e']);
    expect(result.messages).toEqual([
      'capturing 2 of 5 selected nodes (--max-nodes 2); not captured: node-d, node-a, node-e. Raise --max-nodes or name the nodes with --nodes to capture them.',
    ]);
  });

  it('all, names (unknown ones reported) and label selectors', () => {
    expect(selectClusterNodes(CLUSTER, ['shop'], 'all', 10).nodes).toEqual(['node-a', 'node-b', 'node-c', 'node-d', 'node-e']);
    const named = selectClusterNodes(CLUSTER, [], ['node-d', 'node-x', 'node-a'], 10);
    expect(named.nodes).toEqual(['node-d', 'node-a']);
    expect(named.unknown).toEqual(['node-x']);
    expect(named.messages).toEqual(["not in the cluster's node list, not captured: node-x"]);
    expect(selectClusterNodes(CLUSTER, [], { selector: 'node-role.kubernetes.io/edge' }, 10).nodes).toEqual(['node-a', 'node-b']);
    expect(selectClusterNodes(CLUSTER, [], { selector: 'zone in (eu-1b),kubernetes.io/hostname!=node-d' }, 10).nodes).toEqual(['node-c', 'node-e']);
    expect(selectClusterNodes(CLUSTER, [], { selector: '!node-role.kubernetes.io/edge,zone=eu-1b' }, 1).notCaptured).toEqual(['node-d', 'node-e']);
    expect(selectClusterNodes(CLUSTER, [], { selector: 'zone=nowhere' }, 10).messages).toEqual(['no node matches the selector "zone=nowhere"']);
    expect(parseLabelSelector('zone in (a')).toEqual({ error: 'cannot read "zone in (a" as a label requirement' });
  });
});

describe('the capture DaemonSet', () => {
  const name = captureDaemonSetName();
  const ds = captureDaemonSet({ name, namespace: 'kube-system', image: 'nicolaka/netshoot:v0.13', nodes: ['node-a', 'node-c'], sleepSeconds: 4200 });
  const spec = ds.spec.template.spec;

  it('has a unique name per run', () => {
    expect(name).toMatch(/^netdump-capture-[0-9a-f]{8}$/);
    expect(captureDaemonSetName()).not.toBe(name);
    expect(ds.metadata).toMatchObject({ name, namespace: 'kube-system' });
    expect(ds.spec.selector.matchLabels).toEqual({ [CAPTURE_LABEL]: name });
    expect(ds.spec.template.metadata.labels[CAPTURE_LABEL]).toBe(name);
  });

  it('is privileged in the host network and PID namespaces, with the host root at /host', () => {
    expect(spec).toMatchObject({ hostNetwork: true, hostPID: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect(spec.containers).toHaveLength(1);
    expect(spec.containers[0]).toMatchObject({ image: 'nicolaka/netshoot:v0.13', command: ['sleep', '4200'], securityContext: { privileged: true }, volumeMounts: [{ name: 'host-root', mountPath: '/host' }] });
    expect(spec.volumes).toEqual([{ name: 'host-root', hostPath: { path: '/', type: 'Directory' } }]);
  });

  it('tolerates every taint and runs only on the selected nodes', () => {
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a', 'node-c'] }] },
    ]);
  });

  it('carries no credential: no service account token, no Secret or ConfigMap reference', () => {
    expect(spec.automountServiceAccountToken).toBe(false);
    const text = JSON.stringify(ds);
    expect(text).not.toMatch(/secret|configMap|serviceAccountName|imagePullSecrets|envFrom/i);
  });
});

describe('--dry-run plan', () => {
  it('lists the pod lifecycle, every capture command with its bundle path, and the agent commands', () => {
    const ctx = { objects: { ...CLUSTER, daemonsets: [] }, focusNamespaces: ['shop'], deadline: Date.now() + 600_000 };
    const plan = planClusterNodes(ctx, { nodes: ['node-c'], via: 'debug', image: 'nicolaka/netshoot:v0.13', maxNodes: 5, namespace: 'kube-system' });
    const lines = plan.commands.map((c) => `${c.command} -> ${c.destination}`);
    expect(lines[0]).toMatch(/^kubectl debug node\/node-c -n kube-system --profile=sysadmin --image=nicolaka\/netshoot:v0.13 -- sleep \d+ -> nodes\/node-c\/$/);
    expect(lines).toContain('kubectl exec -n kube-system node-debugger-node-c-<id> -c debugger -- chroot /host iptables-save -> nodes/node-c/iptables-save.txt');
    expect(lines).toContain('kubectl exec -n kube-system node-debugger-node-c-<id> -c debugger -- chroot /host cat /etc/cni/net.d/* -> nodes/node-c/cni/<file>');
    expect(lines).toContain('kubectl delete pod -n kube-system node-debugger-node-c-<id> --ignore-not-found --wait=false -> nodes/node-c/');
    expect(lines).toContain('kubectl exec -n kube-system calico-node-ccccc -c calico-node -- calicoctl node status -> nodes/node-c/calico/node-status.txt');
    const ds = planClusterNodes(ctx, { nodes: 'default', via: 'daemonset', image: 'nicolaka/netshoot:v0.13', maxNodes: 5, namespace: 'netdump' });
    expect(ds.commands[0]!.command).toMatch(/^kubectl create --validate=false -f - \(DaemonSet netdump\/netdump-capture-<id>: privileged, hostNetwork, hostPID/);
    expect(ds.commands.at(-1)!.command).not.toMatch(/delete daemonset/); // agent commands come after the deletion
    expect(ds.commands.some((c) => c.command === 'kubectl delete daemonset -n netdump netdump-capture-<id> --ignore-not-found --wait=false')).toBe(true);
  });
});

// ---- the CNI agents' views, through the real kubectl ----------------------------------------

const kubectlProblem = existsSync(KUBECTL) ? undefined : `${KUBECTL} is not installed (apt-get install kubernetes-client)`;
if (kubectlProblem) console.warn(`skipped: CNI agent commands through kubectl — ${kubectlProblem}`);

/** cilium-dbg and hubble as a Cilium 1.15 agent container has them (outputs shortened). */
const FAKE_CILIUM = `#!/bin/sh
case "$1 $2" in
  'status --verbose') printf 'KVStore:                 Ok   Disabled\nKubernetes:              Ok   1.30 (v1.30.2) [linux/amd64]\nCilium:                  Ok   1.15.6 (v1.15.6-a09e05e6)\n' ;;
  'endpoint list') echo '[]' ;;
  'bpf lb') printf 'SERVICE ADDRESS     BACKEND ADDRESS (REVNAT_ID) (SLOT)\n10.96.0.1:443       0.0.0.0:0 (1) (0) [ClusterIP, non-routable]\n' ;;
  'bpf ct') ;;
  'monitor --type')
    echo 'Listening for events on 2 CPUs with 64x4096 of shared memory'
    echo 'Press Ctrl-C to quit'
    echo 'xx drop (Policy denied) flow 0xb6b3b6b3 to endpoint 1585, identity 16777388->33623: 10.244.1.5:55454 -> 10.244.2.9:8080 tcp SYN'
    exec sleep 60 ;;
  *) echo "cilium-dbg: unexpected $*" >&2; exit 1 ;;
esac
`;
const FAKE_HUBBLE = `#!/bin/sh
printf '{"flow":{"time":"2026-11-26T10:00:00Z","verdict":"FORWARDED","node_name":"%s"},"node_name":"%s","time":"2026-11-26T10:00:00Z"}\n' "$NODE" "$NODE"
`;

describe.skipIf(kubectlProblem !== undefined)('CNI agent commands through kubectl exec', () => {
  it('runs the cilium agent commands and Hubble on each selected node, even where the node capture failed', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'netdump-fake-cilium-'));
    writeFileSync(join(bin, 'cilium-dbg'), FAKE_CILIUM);
    writeFileSync(join(bin, 'hubble'), FAKE_HUBBLE);
    chmodSync(join(bin, 'cilium-dbg'), 0o755);
    chmodSync(join(bin, 'hubble'), 0o755);
    const cilium = (name: string, nodeName: string) =>
      pod('kube-system', name, nodeName, { daemonSet: 'cilium', hostNetwork: true, containers: [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.15.6' }] });
    const agents = [cilium('cilium-7xk2p', 'node-a'), cilium('cilium-9bq4r', 'node-b')];
    const replay = createReplayPods({
      nodes: CLUSTER.nodes,
      pods: agents,
      // The capture pods are evicted: the node capture fails, the agents still answer.
      createdPodPhase: () => 'Failed',
      exec: (request) => ({ argv: request.command, env: { PATH: `${bin}:/usr/bin:/bin`, NODE: request.nodeName } }),
    });
    const api = await startMiniApiServer(replay);
    try {
      const ctx: ClusterPhaseContext = {
        kubectl: api.kubectl,
        target: api.target,
        timeoutSeconds: 20,
        deadline: Date.now() + 300_000,
        concurrency: 2,
        objects: { nodes: CLUSTER.nodes, pods: agents, daemonsets: [] },
        focusNamespaces: [],
      };
      const output = await captureClusterNodes(ctx, { nodes: ['node-a', 'node-b'], via: 'debug', image: 'nicolaka/netshoot:v0.13', maxNodes: 5, namespace: 'kube-system', podStartSeconds: 5, pollIntervalMs: 100, monitorSeconds: 1, hubbleFlows: 500 });
      const files = Object.fromEntries(output.files.map((f) => [f.path, f.data.toString()]));

      expect(output.problems).toEqual([
        expect.stringMatching(/^node-a: the capture pod kube-system\/node-debugger-node-a-\w+ ended before the capture \(phase Failed \(Evicted\)\)$/),
        expect.stringMatching(/^node-b: the capture pod kube-system\/node-debugger-node-b-\w+ ended before the capture/),
      ]);
      expect(files['nodes/node-a/cilium/status.txt']).toContain('Cilium:                  Ok   1.15.6');
      expect(files['nodes/node-b/cilium/bpf-lb.txt']).toContain('10.96.0.1:443');
      expect(files['nodes/node-a/cilium/endpoints.json']).toBe('[]\n');
      // The drop monitor ran for its second and ended normally, its drops kept.
      expect(files['nodes/node-a/cilium/monitor-drop.txt']).toContain('xx drop (Policy denied) flow 0xb6b3b6b3');
      const monitor = output.items.find((i) => i.path === 'nodes/node-a/cilium/monitor-drop.txt')!;
      expect(monitor).toMatchObject({
        node: 'node-a',
        exitCode: 0,
        command: 'kubectl exec -n kube-system cilium-7xk2p -c cilium-agent -- timeout 1 cilium-dbg monitor --type drop',
        note: 'bounded capture: the drops seen in 1 seconds',
      });
      expect(monitor.error).toBeUndefined();
      // An empty conntrack table is an empty output, not a failure.
      expect(output.items.find((i) => i.path === 'nodes/node-b/cilium/bpf-ct.txt')).toMatchObject({ exitCode: 0 });
      expect(files['nodes/node-b/cilium/bpf-ct.txt']).toBeUndefined();

      // Hubble: one file, each agent's flows one a line.
      const flows = files['hubble/flows.json']!.trim().split('\n').map((line) => JSON.parse(line).node_name);
      expect(flows.sort()).toEqual(['node-a', 'node-b']);
      expect(output.items.filter((i) => i.path === 'hubble/flows.json').map((i) => i.command)).toEqual([
        'kubectl exec -n kube-system cilium-7xk2p -c cilium-agent -- hubble observe -o json --last 500',
        'kubectl exec -n kube-system cilium-9bq4r -c cilium-agent -- hubble observe -o json --last 500',
      ]);
      expect(output.nodes!.sort()).toEqual(['node-a', 'node-b']);
    } finally {
      await api.close();
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe.skipIf(kubectlProblem !== undefined)('RBAC refusals', () => {
  it('a forbidden debug pod or DaemonSet is recorded as forbidden, at once, and nothing is left to delete', async () => {
    const replay = createReplayPods({ nodes: CLUSTER.nodes, forbidden: /^POST \/(api\/v1|apis\/apps\/v1)\/namespaces\/kube-system\/(pods|daemonsets)$/, exec: () => ({ exitCode: 0 }) });
    const api = await startMiniApiServer(replay);
    try {
      const ctx: ClusterPhaseContext = { kubectl: api.kubectl, target: api.target, timeoutSeconds: 20, deadline: Date.now() + 300_000, concurrency: 2, objects: { nodes: CLUSTER.nodes, pods: [], daemonsets: [] }, focusNamespaces: [] };
      const base = { nodes: ['node-a'], image: 'nicolaka/netshoot:v0.13', maxNodes: 5, namespace: 'kube-system', podStartSeconds: 60, pollIntervalMs: 100 } as const;
      const debug = await captureClusterNodes(ctx, { ...base, nodes: ['node-a'], via: 'debug' });
      expect(debug.items).toEqual([
        expect.objectContaining({ path: 'nodes/node-a/', node: 'node-a', exitCode: 1, error: 'forbidden (RBAC: the identity kubectl uses may not read this)', stderr: expect.stringContaining('Error from server (Forbidden): pods is forbidden') }),
      ]);
      expect(debug.problems).toEqual([expect.stringMatching(/^node-a: could not create a debug pod: Error from server \(Forbidden\)/)]);
      const daemonset = await captureClusterNodes(ctx, { ...base, nodes: ['node-a'], via: 'daemonset' });
      expect(daemonset.items).toEqual([expect.objectContaining({ path: 'nodes/', exitCode: 1, error: 'forbidden (RBAC: the identity kubectl uses may not read this)' })]);
      expect(daemonset.problems).toEqual([expect.stringMatching(/^could not create the capture DaemonSet kube-system\/netdump-capture-[0-9a-f]{8}: Error from server \(Forbidden\).*; no node captured$/)]);
      expect(replay.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    } finally {
      await api.close();
    }
  });
});

// ---- the real kubectl, a replayed API server, node-capture.sh in a network namespace --------

const labProblem = nodeLabProblem() ?? (existsSync(KUBECTL) ? undefined : `${KUBECTL} is not installed (apt-get install kubernetes-client)`);
if (labProblem) console.warn(`skipped: cluster node capture through kubectl — ${labProblem}`);

const CALICO_STATUS = `Calico process is running.

IPv4 BGP status
+--------------+-------------------+-------+----------+-------------+
| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |
+--------------+-------------------+-------+----------+-------------+
| 10.0.1.12    | node-to-node mesh | up    | 09:12:03 | Established |
+--------------+-------------------+-------+----------+-------------+

IPv6 BGP status
No IPv6 peers found.

`;

function itemsAt(output: PhaseOutput, path: string): ManifestItemDocument[] {
  return output.items.filter((i) => i.path === path);
}

describe.skipIf(labProblem !== undefined)('node capture through kubectl', () => {
  let lab: NodeLab;
  beforeAll(() => {
    lab = createNodeLab();
  });
  afterAll(() => lab?.destroy());

  /**
   * Runs an exec "on node-a": in the lab's node namespace. `chroot /host` is played by the
   * node's tool PATH (without conntrack, to make the image's tools fill in) and --host-root
   * pointing at the lab's host root; the image's run gets every tool.
   */
  function nodeExec(request: ExecRequest): ExecPlan {
    let argv = request.command;
    const chroot = argv[0] === 'chroot' && argv[1] === '/host';
    argv = chroot ? [...argv.slice(2), '--host-root', lab.hostRoot] : argv.map((word) => (word === '/host' ? lab.hostRoot : word));
    const PATH = lab.toolPath(chroot ? { hide: ['conntrack'] } : {});
    return { argv: ['ip', 'netns', 'exec', lab.netns, ...argv], env: { PATH } };
  }

  async function withServer(
    options: { pods?: KubeObject[]; exec: (request: ExecRequest) => ExecPlan; createdPodPhase?: (pod: KubeObject) => 'Pending' | 'Running' | 'Failed' },
    run: (api: MiniApiServer, replay: ReplayPods) => Promise<void>,
  ): Promise<void> {
    const replay = createReplayPods({ nodes: CLUSTER.nodes, ...options });
    const api = await startMiniApiServer(replay);
    try {
      await run(api, replay);
    } finally {
      await api.close();
    }
  }

  function context(api: MiniApiServer, signal?: AbortSignal): ClusterPhaseContext {
    return {
      kubectl: api.kubectl,
      target: api.target,
      timeoutSeconds: 20,
      deadline: Date.now() + 300_000,
      concurrency: 2,
      ...(signal ? { signal } : {}),
      objects: { nodes: CLUSTER.nodes, pods: [calicoNode('calico-node-aaaaa', 'node-a', 'v3.27.2')], daemonsets: [] },
      focusNamespaces: [],
    };
  }

  const OPTIONS: NodePhaseOptions = { nodes: ['node-a', 'node-b'], via: 'debug', image: 'nicolaka/netshoot:v0.13', maxNodes: 5, namespace: 'kube-system', podStartSeconds: 3, pollIntervalMs: 100 };

  it('--via debug: captures node-a through kubectl debug + exec, records node-b whose pod never runs, deletes both pods', async () => {
    const calicoPod = calicoNode('calico-node-aaaaa', 'node-a', 'v3.27.2');
    await withServer(
      {
        pods: [calicoPod],
        createdPodPhase: (p) => (p.spec.nodeName === 'node-b' ? 'Pending' : 'Running'),
        exec: (request) => {
          if (request.pod === 'calico-node-aaaaa') return request.command[0] === 'calicoctl' ? { exitCode: 0, stdout: CALICO_STATUS } : { notFound: request.command[0]! };
          return nodeExec(request);
        },
      },
      async (api, replay) => {
        const output = await captureClusterNodes(context(api), OPTIONS);
        expect(api.unanswered).toEqual([]);

        // node-a: the debug pod was created with the sysadmin profile, and exec ran in it.
        const debugPod = replay.created.find((o) => o.spec.nodeName === 'node-a')!;
        expect(debugPod.metadata.name).toMatch(/^node-debugger-node-a-[a-z0-9]{5}$/);
        expect(debugPod.spec).toMatchObject({ hostNetwork: true, hostPID: true, restartPolicy: 'Never', tolerations: [{ operator: 'Exists' }] });
        expect(debugPod.spec.containers).toEqual([
          expect.objectContaining({ name: 'debugger', image: 'nicolaka/netshoot:v0.13', command: ['sleep', expect.stringMatching(/^\d+$/)], securityContext: { privileged: true }, volumeMounts: [{ name: 'host-root', readOnly: false, mountPath: '/host' }] }),
        ]);
        expect([...replay.pods.keys()]).toEqual(['kube-system/calico-node-aaaaa']); // both debug pods were deleted
        const debugPodExecs = replay.execs.filter((e) => e.pod.startsWith('node-debugger-node-a-'));
        // The script went on the exec's stdin (`sh -s`), so the request URL stays short enough
        // for proxies in front of API servers (8-16 kB header limits).
        expect(debugPodExecs[0]!.command.slice(0, 5)).toEqual(['chroot', '/host', 'sh', '-s', '--']);
        expect(debugPodExecs[0]!.command).toContain('--tar');
        const execRequests = replay.requests.filter((r) => r.path.endsWith('/exec') && r.path.includes('/node-debugger-node-a-'));
        expect(execRequests).toHaveLength(2);
        for (const r of execRequests) {
          expect(r.query).toContain('stdin=true');
          expect(r.path.length + r.query.length).toBeLessThan(4096);
        }
        // conntrack is missing "on the node": a second run with the image's tools, without chroot.
        expect(debugPodExecs.map((e) => e.command[0])).toEqual(['chroot', 'sh']);
        const deleted = replay.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
        expect(deleted).toHaveLength(2);
        expect(deleted).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^\/api\/v1\/namespaces\/kube-system\/pods\/node-debugger-node-a-[a-z0-9]{5}$/),
            expect.stringMatching(/^\/api\/v1\/namespaces\/kube-system\/pods\/node-debugger-node-b-[a-z0-9]{5}$/),
          ]),
        );

        expect(output.nodes).toEqual(['node-a']);
        const files = Object.fromEntries(output.files.map((f) => [f.path, f.data.toString()]));
        const bundle = bundleFromFiles(files);
        const parse = (path: string, parser: (file: SourceFile) => { issues: ParseIssue[] }) => parser(bundle.get(`nodes/node-a/${path}`)!).issues.filter((i) => i.code === 'BAD_LINE');
        expect(parse('iptables-save.txt', parseIptablesSave)).toEqual([]);
        expect(parse('nft-ruleset.txt', parseNftRuleset)).toEqual([]);
        expect(parse('ipset-save.txt', parseIpsetSave)).toEqual([]);
        expect(parse('sysctl.txt', parseSysctl)).toEqual([]);
        expect(parseIptablesSave(bundle.get('nodes/node-a/iptables-save.txt')!).value.tables.get('nat')!.chains.has('KUBE-SVC-TCOU7JCQXEZGVUNU')).toBe(true);
        const eth0 = parseIpAddr(bundle.get('nodes/node-a/ip-addr.txt')!).value.interfaces.find((i) => i.name === 'eth0')!;
        expect(eth0.addresses.map((a) => a.text)).toContain(LAB.nodeIPv4);
        expect(parseIpRoute(bundle.get('nodes/node-a/ip-route.txt')!).value.routes.some((r) => r.text.includes(`via ${LAB.gateway}`))).toBe(true);
        expect(bundle.get('nodes/node-a/resolv.conf')!.text).toContain('nameserver 10.0.1.1');
        expect(bundle.has('nodes/node-a/cni/10-calico.conflist')).toBe(true);
        expect(buildModel(bundle).parseIssues).toEqual([]);

        // conntrack came from the image's run, and says so.
        const conntrack = itemsAt(output, 'nodes/node-a/conntrack-count.txt');
        expect(conntrack).toHaveLength(1);
        expect(conntrack[0]).toMatchObject({ node: 'node-a', exitCode: 0, note: 'run with the tools of nicolaka/netshoot:v0.13: the node has no conntrack' });
        expect(files['nodes/node-a/conntrack-count.txt']).toMatch(/^\d+\n$/);
        expect(itemsAt(output, 'nodes/node-a/iptables-save.txt')[0]).toMatchObject({ exitCode: 0, command: 'iptables-save' });
        expect(itemsAt(output, 'nodes/node-a/iptables-save.txt')[0]!.note).toBeUndefined();

        // The pod lifecycle is in the manifest: created, waited for, deleted.
        const lifecycle = itemsAt(output, 'nodes/node-a/').map((i) => i.command);
        expect(lifecycle).toEqual([
          expect.stringMatching(/^kubectl debug node\/node-a -n kube-system --profile=sysadmin --image=nicolaka\/netshoot:v0.13 -- sleep \d+$/),
          expect.stringMatching(/^kubectl get pod -n kube-system node-debugger-node-a-\w+ -o json \(until the pod runs\)$/),
          expect.stringMatching(/^kubectl delete pod -n kube-system node-debugger-node-a-\w+ --ignore-not-found --wait=false$/),
        ]);

        // node-b: never Running, recorded as such, not fatal.
        const nodeB = itemsAt(output, 'nodes/node-b/');
        expect(nodeB[1]).toMatchObject({ node: 'node-b', error: 'timed out', note: expect.stringContaining('ImagePullBackOff: Back-off pulling image "nicolaka/netshoot:v0.13"') });
        expect(nodeB[2]!.command).toMatch(/^kubectl delete pod -n kube-system node-debugger-node-b-/);
        expect(output.problems).toEqual([expect.stringMatching(/^node-b: the capture pod kube-system\/node-debugger-node-b-\w+ was not running after \d+s \(ImagePullBackOff/)]);
        expect(output.files.some((f) => f.path.startsWith('nodes/node-b/'))).toBe(false);

        // The calico agent on node-a: calicoctl answered, birdcl is not in the image.
        expect(files['nodes/node-a/calico/node-status.txt']).toBe(CALICO_STATUS);
        expect(parseCalicoctlNodeStatus(bundle.get('nodes/node-a/calico/node-status.txt')!).issues).toEqual([]);
        expect(itemsAt(output, 'nodes/node-a/calico/bird-routes.txt')[0]).toMatchObject({ node: 'node-a', exitCode: 1, stderr: expect.stringContaining('executable file not found') });
      },
    );
  });

  it('--via daemonset: Ctrl-C during the harvest deletes the DaemonSet at once and marks the rest interrupted', async () => {
    const controller = new AbortController();
    // Ctrl-C as soon as the capture reports its first command done: the harvest is under way.
    const progress = new Progress({ write: (text) => /\] ok iptables-save\.txt/.test(text) && controller.abort(), isTTY: false, quiet: false });
    await withServer(
      { exec: nodeExec },
      async (api, replay) => {
        const output = await captureClusterNodes({ ...context(api, controller.signal), progress }, { ...OPTIONS, via: 'daemonset', nodes: ['node-a'] });
        expect(controller.signal.aborted).toBe(true);
        const created = replay.requests.find((r) => r.method === 'POST' && r.path === '/apis/apps/v1/namespaces/kube-system/daemonsets');
        expect(created).toBeDefined();
        const deletes = replay.requests.filter((r) => r.method === 'DELETE');
        expect(deletes.map((r) => r.path)).toEqual([expect.stringMatching(/^\/apis\/apps\/v1\/namespaces\/kube-system\/daemonsets\/netdump-capture-[0-9a-f]{8}$/)]);
        expect(replay.daemonsets.size).toBe(0);
        expect(replay.pods.size).toBe(0);

        const deletion = output.items.find((i) => i.command.startsWith('kubectl delete daemonset'))!;
        expect(deletion).toMatchObject({ path: 'nodes/', exitCode: 0, note: expect.stringMatching(/^deletes the capture DaemonSet kube-system\/netdump-capture-/) });
        const nodeItems = output.items.filter((i) => i.node === 'node-a' && i.path !== 'nodes/node-a/');
        expect(nodeItems.some((i) => i.error === 'interrupted')).toBe(true);
        expect(output.problems).toEqual(['node-a: interrupted during the node capture']);
        // The DaemonSet reached the server as generated: privileged, host network, pinned to node-a.
        const ds = replay.created.find((o) => o.kind === 'DaemonSet')!;
        expect(ds.spec.template.spec).toMatchObject({ hostNetwork: true, hostPID: true, automountServiceAccountToken: false });
        expect(ds.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values).toEqual(['node-a']);
        // Its pod was on node-a, and exec ran in its `capture` container.
        expect(replay.execs[0]).toMatchObject({ container: 'capture', nodeName: 'node-a' });
      },
    );
  });

  it('--via daemonset: harvests every selected node, then deletes the DaemonSet', async () => {
    await withServer({ exec: nodeExec }, async (api, replay) => {
      const output = await captureClusterNodes(context(api), { ...OPTIONS, via: 'daemonset', nodes: ['node-a'] });
      expect(output.nodes).toEqual(['node-a']);
      expect(output.problems).toEqual([]);
      expect(output.files.map((f) => f.path)).toContain('nodes/node-a/iptables-save.txt');
      expect(replay.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
      expect(replay.daemonsets.size).toBe(0);
      expect(output.items.filter((i) => i.path === 'nodes/').map((i) => i.command)).toEqual([
        expect.stringMatching(/^kubectl create --validate=false -f - \(DaemonSet kube-system\/netdump-capture-[0-9a-f]{8}, image nicolaka\/netshoot:v0.13\)$/),
        expect.stringMatching(/^kubectl delete daemonset -n kube-system netdump-capture-[0-9a-f]{8} --ignore-not-found --wait=false$/),
      ]);
    });
  });
});
