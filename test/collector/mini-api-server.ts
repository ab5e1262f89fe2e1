/**
 * Just enough of an API server for the real kubectl to find pods, nodes and DaemonSets
 * (legacy discovery: /api, /api/v1, /apis, /apis/apps/v1), with everything else handed to the
 * replay-pods handlers; plus a KubectlRun over the real binary and a kubeconfig pointing at
 * the server. It keeps node:http's default header limit (16 kB), as proxies in front of API
 * servers do: the node capture sends its script on the exec's stdin, not in the URL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubectlRun, KubectlTarget } from '../../collector/cluster/cluster-phase.js';
import { createKubectlRun } from '../../collector/cluster/kubectl-run.js';
import type { ReplayPods } from '../helpers/replay-pods.js';

export const KUBECTL = '/usr/bin/kubectl';

const V1_RESOURCES = [
  { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['get', 'list'], shortNames: ['no'] },
  { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list'], shortNames: ['po'] },
  { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
  { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
  { name: 'pods/ephemeralcontainers', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
];
const APPS_RESOURCES = [{ name: 'daemonsets', singularName: 'daemonset', namespaced: true, kind: 'DaemonSet', verbs: ['create', 'delete', 'get', 'list'], shortNames: ['ds'] }];

const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: V1_RESOURCES },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] },
  '/apis/apps/v1': { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1', resources: APPS_RESOURCES },
  '/version': { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' },
};

export interface MiniApiServer {
  target: KubectlTarget;
  kubectl: KubectlRun;
  /** Requests nobody answered (404), for diagnosis. */
  unanswered: string[];
  close(): Promise<void>;
}

export async function startMiniApiServer(handlers: Pick<ReplayPods, 'request' | 'upgrade'>): Promise<MiniApiServer> {
  const unanswered: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://mini').pathname;
    if (req.method === 'GET' && path in DISCOVERY) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(DISCOVERY[path]));
      return;
    }
    if (handlers.request(req, res)) return;
    unanswered.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server could not find the requested resource (${req.method} ${path})`, reason: 'NotFound', code: 404 }));
  });
  server.on('upgrade', (req, socket, head) => {
    if (!handlers.upgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const dir = mkdtempSync(join(tmpdir(), 'netdump-mini-api-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: replay
  cluster:
    server: http://127.0.0.1:${port}
contexts:
- name: replay
  context:
    cluster: replay
    user: replay
    namespace: default
current-context: replay
users:
- name: replay
  user: {}
`,
  );
  const target: KubectlTarget = { binary: KUBECTL, globalArgs: ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')] };
  return {
    target,
    kubectl: createKubectlRun(target),
    unanswered,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
