/**
 * A small Kubernetes API server for tests, serving a fixture bundle's objects the way a real
 * one does, so the real kubectl can run against it: legacy discovery (/api, /apis, /api/v1,
 * /apis/<group>/<version>; kubectl falls back to it when aggregated discovery is not offered),
 * lists (cluster-wide and per namespace, with `labelSelector`/`fieldSelector` ignored), single
 * objects, /version, pod logs from the bundle's logs/, the pod proxy path for CoreDNS metrics
 * from metrics/, PodMetrics for `kubectl top` from cluster/top-pods.txt, and the Calico and
 * Cilium CRDs the bundle holds.
 *
 * As a real API server, lists carry no kind/apiVersion on built-in items (kubectl adds them
 * when it prints); CRD lists do. Calico objects are served as crd.projectcalico.org/v1 CRDs, with
 * default-tier policy names stored as `default.<name>`, the way Calico stores them.
 *
 * Faults per path: a 403 Status as the API server sends it, a 500, a delay longer than the
 * caller's timeout; `missing` leaves a resource out of discovery (a CRD that is not installed).
 * Every request is recorded (method and path with query) so tests can assert what was asked.
 * `extraHandlers` lets other tests add endpoints (pod create/exec/delete).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReplayFault {
  /** A request path (without query) or a pattern matched against it. */
  path: string | RegExp;
  /** 403 answers a Forbidden Status, 500 an InternalError Status. */
  status?: 403 | 500;
  /** Wait this long before answering (longer than the caller's timeout to make it time out). */
  delayMs?: number;
}

export interface ReplayServerOptions {
  /** An unpacked bundle (fixtures/scenarios/<name>). */
  bundleDir: string;
  faults?: ReplayFault[];
  /** Resources (`<plural>` or `<plural>.<group>`) left out of discovery and answered 404. */
  missing?: string[];
  extraHandlers?: {
    /** True when it answered the request. */
    request?(req: IncomingMessage, res: ServerResponse): boolean;
    upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  };
}

export interface RecordedRequest {
  method: string;
  /** Path with its query string. */
  url: string;
}

export interface ReplayApiServer {
  url: string;
  /** A kubeconfig whose current context (`replay`) points at this server. */
  kubeconfig: string;
  /** A folder for kubectl's discovery cache (pass as KUBECACHEDIR). */
  cacheDir: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Bundle file holding its objects; undefined for types served empty (secrets, ...). */
  file?: string;
  crd?: boolean;
  subresources?: string[];
}

const CORE: ResourceType[] = [
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], file: 'namespaces' },
  { group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], file: 'nodes', subresources: ['proxy', 'status'] },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], file: 'pods', subresources: ['log', 'exec', 'proxy', 'ephemeralcontainers', 'status'] },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], file: 'services', subresources: ['proxy', 'status'] },
  { group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], file: 'endpoints' },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], file: 'events' },
  { group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], file: 'configmaps' },
  { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] },
];

const GROUPED: ResourceType[] = [
  { group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], file: 'daemonsets' },
  { group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], file: 'deployments' },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, file: 'endpointslices' },
  { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], file: 'networkpolicies' },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', singular: 'ingress', kind: 'Ingress', namespaced: true, shortNames: ['ing'], file: 'ingresses' },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', singular: 'ingressclass', kind: 'IngressClass', namespaced: false, file: 'ingressclasses' },
];

const CALICO_KINDS: Record<string, [string, string, boolean]> = {
  ippools: ['ippool', 'IPPool', false],
  networkpolicies: ['networkpolicy', 'NetworkPolicy', true],
  globalnetworkpolicies: ['globalnetworkpolicy', 'GlobalNetworkPolicy', false],
  tiers: ['tier', 'Tier', false],
  networksets: ['networkset', 'NetworkSet', true],
  globalnetworksets: ['globalnetworkset', 'GlobalNetworkSet', false],
  hostendpoints: ['hostendpoint', 'HostEndpoint', false],
  bgppeers: ['bgppeer', 'BGPPeer', false],
  bgpconfigurations: ['bgpconfiguration', 'BGPConfiguration', false],
  felixconfigurations: ['felixconfiguration', 'FelixConfiguration', false],
  profiles: ['profile', 'Profile', false],
};
const CILIUM_KINDS: Record<string, [string, string, boolean]> = {
  ciliumnetworkpolicies: ['ciliumnetworkpolicy', 'CiliumNetworkPolicy', true],
  ciliumclusterwidenetworkpolicies: ['ciliumclusterwidenetworkpolicy', 'CiliumClusterwideNetworkPolicy', false],
  ciliumendpoints: ['ciliumendpoint', 'CiliumEndpoint', true],
  ciliumnodes: ['ciliumnode', 'CiliumNode', false],
};
const TIERED_POLICY_KINDS = new Set(['NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy']);

function readJson(path: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`replay API server: ${path} is not JSON (${(error as Error).message}); an API server could not serve it`);
  }
}

function listItems(path: string): any[] {
  if (!existsSync(path)) return [];
  const doc = readJson(path);
  return Array.isArray(doc?.items) ? doc.items : [];
}

/** The types this bundle's cluster can serve, with their objects. */
function loadTypes(bundleDir: string, missing: ReadonlySet<string>): Map<ResourceType, any[]> {
  const cluster = join(bundleDir, 'cluster');
  const types = new Map<ResourceType, any[]>();
  for (const type of [...CORE, ...GROUPED]) {
    types.set(type, type.file ? listItems(join(cluster, `${type.file}.json`)).map(stripTypeMeta) : []);
  }
  const calicoDir = join(cluster, 'calico');
  if (existsSync(calicoDir)) {
    // A cluster running Calico has all its CRDs, whichever the fixture fills.
    for (const [plural, [singular, kind, namespaced]] of Object.entries(CALICO_KINDS)) {
      const type: ResourceType = { group: 'crd.projectcalico.org', version: 'v1', plural, singular, kind, namespaced, crd: true };
      types.set(type, listItems(join(calicoDir, `${plural}.json`)).map(asCalicoCrd));
    }
  }
  const ciliumDir = join(cluster, 'cilium');
  if (existsSync(ciliumDir)) {
    for (const [plural, [singular, kind, namespaced]] of Object.entries(CILIUM_KINDS)) {
      const type: ResourceType = { group: 'cilium.io', version: 'v2', plural, singular, kind, namespaced, crd: true };
      types.set(
        type,
        listItems(join(ciliumDir, `${plural}.json`)).map((item) => ({ ...item, apiVersion: 'cilium.io/v2', kind })),
      );
    }
  }
  if (existsSync(join(cluster, 'top-pods.txt'))) {
    const type: ResourceType = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', singular: '', kind: 'PodMetrics', namespaced: true };
    types.set(type, podMetricsFromTop(readFileSync(join(cluster, 'top-pods.txt'), 'utf8')));
  }
  for (const type of [...types.keys()]) {
    if (missing.has(type.plural) || missing.has(`${type.plural}.${type.group}`)) types.delete(type);
  }
  return types;
}

function stripTypeMeta(item: any): any {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = item;
  return rest;
}

/** A projectcalico.org/v3 object as its crd.projectcalico.org/v1 CRD holds it. */
function asCalicoCrd(item: any): any {
  const object = { ...item, apiVersion: 'crd.projectcalico.org/v1', metadata: { ...item.metadata } };
  const tier = item.spec?.tier ?? 'default';
  if (TIERED_POLICY_KINDS.has(item.kind) && tier === 'default' && !String(item.metadata?.name).startsWith('default.')) {
    object.metadata.name = `default.${item.metadata.name}`;
  }
  return object;
}

/** `kubectl top pods -A` text back into the PodMetrics it was printed from (one container each). */
function podMetricsFromTop(text: string): any[] {
  const metrics: any[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [namespace, name, cpu, memory] = line.trim().split(/\s+/);
    if (!namespace || !name || !cpu || !memory) continue;
    metrics.push({
      metadata: { name, namespace, creationTimestamp: '2025-06-12T14:03:20Z' },
      timestamp: '2025-06-12T14:03:00Z',
      window: '15s',
      containers: [{ name, usage: { cpu, memory } }],
    });
  }
  return metrics;
}

function groupVersion(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

/** The API server's Forbidden message for a list, as RBAC words it. */
function forbiddenMessage(path: string): string {
  const parsed = parseResourcePath(path);
  const resource = parsed?.plural ?? path;
  const group = parsed?.group ?? '';
  const scope = parsed?.namespace ? `in the namespace "${parsed.namespace}"` : 'at the cluster scope';
  return `${resource} is forbidden: User "system:serviceaccount:support:netdump" cannot list resource "${resource}" in API group "${group}" ${scope}`;
}

interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
}

/** /api/v1/[namespaces/<ns>/]<plural>[/<name>[/<sub>]] and /apis/<g>/<v>/... */
function parseResourcePath(path: string): ResourcePath | undefined {
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  if (!plural) return undefined;
  return { group, version, plural, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
}

export async function startReplayApiServer(options: ReplayServerOptions): Promise<ReplayApiServer> {
  const types = loadTypes(options.bundleDir, new Set(options.missing ?? []));
  const version = existsSync(join(options.bundleDir, 'cluster/version.json'))
    ? readJson(join(options.bundleDir, 'cluster/version.json')).serverVersion
    : { major: '1', minor: '30', gitVersion: 'v1.30.2', platform: 'linux/amd64' };
  const requests: RecordedRequest[] = [];
  const pending = new Set<NodeJS.Timeout>();

  const json = (res: ServerResponse, code: number, body: string) => {
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const text = (res: ServerResponse, code: number, body: string | Buffer, type = 'text/plain') => {
    res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  const groups = () => {
    const byGroup = new Map<string, Set<string>>();
    for (const type of types.keys()) {
      if (type.group === '') continue;
      if (!byGroup.has(type.group)) byGroup.set(type.group, new Set());
      byGroup.get(type.group)!.add(type.version);
    }
    return byGroup;
  };

  const resourceList = (group: string, version: string) => {
    const resources: any[] = [];
    for (const type of types.keys()) {
      if (type.group !== group || type.version !== version) continue;
      const verbs = type.kind === 'PodMetrics' ? ['get', 'list'] : ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
      resources.push({ name: type.plural, singularName: type.singular, namespaced: type.namespaced, kind: type.kind, verbs, ...(type.shortNames ? { shortNames: type.shortNames } : {}) });
      for (const sub of type.subresources ?? []) resources.push({ name: `${type.plural}/${sub}`, singularName: '', namespaced: type.namespaced, kind: sub === 'log' ? 'Pod' : type.kind, verbs: ['get'] });
    }
    return resources;
  };

  const findType = (path: ResourcePath) =>
    [...types.keys()].find((t) => t.group === path.group && t.version === path.version && t.plural === path.plural);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const path = url.pathname;
    if (path === '/version') return json(res, 200, JSON.stringify(version));
    if (path === '/api') {
      return json(res, 200, JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] }));
    }
    if (path === '/apis') {
      const list = [...groups()].map(([name, versions]) => {
        const entries = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: entries, preferredVersion: entries[0] };
      });
      return json(res, 200, JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: list }));
    }
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (discovery) {
      const group = discovery[2] ?? '';
      const version = discovery[1] ?? discovery[3]!;
      const resources = resourceList(group, version);
      if (resources.length === 0) return json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return json(res, 200, JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources }));
    }
    const target = parseResourcePath(path);
    const type = target && findType(target);
    if (!target || !type) return json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const objects = types.get(type)!;

    // Pod proxy: /api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/<path>
    if (type.plural === 'pods' && target.subresource === 'proxy' && target.name) {
      const pod = target.name.replace(/:\d+$/, '');
      const file = join(options.bundleDir, 'metrics', target.namespace ?? '', `${pod}.prom`);
      if (existsSync(file)) return text(res, 200, readFileSync(file), 'text/plain; version=0.0.4');
      return json(res, 503, status(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${pod}:9153: connect: connection refused`));
    }
    const matches = objects.filter((o) => (target.namespace === undefined || o.metadata?.namespace === target.namespace) && (target.name === undefined || o.metadata?.name === target.name));
    if (target.name) {
      const object = matches[0];
      if (!object) return json(res, 404, status(404, 'NotFound', `${type.plural} "${target.name}" not found`, { name: target.name, kind: type.plural }));
      if (type.plural === 'pods' && target.subresource === 'log') {
        const container = url.searchParams.get('container') ?? object.spec?.containers?.[0]?.name;
        // `kubectl logs --previous`: the bundle's <container>.previous.log, else the kubelet's answer when it kept none.
        const previous = url.searchParams.get('previous') === 'true';
        const file = join(options.bundleDir, 'logs', target.namespace ?? '', target.name, `${container}${previous ? '.previous' : ''}.log`);
        if (previous && !existsSync(file)) {
          return json(res, 400, status(400, 'BadRequest', `previous terminated container "${container}" in pod "${target.name}" not found`));
        }
        const log = existsSync(file) ? readFileSync(file, 'utf8') : '';
        const tail = Number(url.searchParams.get('tailLines') ?? NaN);
        const lines = log.split('\n');
        if (lines.at(-1) === '') lines.pop();
        const kept = Number.isFinite(tail) && tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
        return text(res, 200, kept.length > 0 ? `${kept.join('\n')}\n` : '');
      }
      if (target.subresource) return json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return json(res, 200, JSON.stringify(type.crd ? object : { kind: type.kind, apiVersion: groupVersion(type), ...object }));
    }
    const listKind = type.kind === 'PodMetrics' ? 'PodMetricsList' : `${type.kind}List`;
    const body = { kind: listKind, apiVersion: groupVersion(type), metadata: { resourceVersion: '48211' }, items: matches };
    return json(res, 200, JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    if (options.extraHandlers?.request?.(req, res)) return;
    const path = new URL(req.url ?? '/', 'http://replay').pathname;
    const fault = options.faults?.find((f) => (typeof f.path === 'string' ? f.path === path : f.path.test(path)));
    const answer = () => {
      if (fault?.status === 403) return json(res, 403, status(403, 'Forbidden', forbiddenMessage(path), { kind: parseResourcePath(path)?.plural ?? '' }));
      if (fault?.status === 500) return json(res, 500, status(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out'));
      return handle(req, res);
    };
    if (fault?.delayMs) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        answer();
      }, fault.delayMs);
      pending.add(timer);
      return;
    }
    answer();
  });
  server.on('upgrade', (req, socket, head) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    if (options.extraHandlers?.upgrade?.(req, socket, head)) return;
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;

  const dir = await mkdtemp(join(tmpdir(), 'netdump-replay-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: replay',
      '  cluster:',
      `    server: ${url}`,
      'contexts:',
      '- name: replay',
      '  context:',
      '    cluster: replay',
      '    user: replay',
      'current-context: replay',
      'users:',
      '- name: replay',
      '  user: {}',
      '',
    ].join('\n'),
  );

  return {
    url,
    kubeconfig,
    cacheDir: join(dir, 'cache'),
    requests,
    async close() {
      for (const timer of pending) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Scenario folders that hold cluster objects, for round-trip tests. */
export function scenariosWithCluster(scenariosDir: string): string[] {
  return readdirSync(scenariosDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(scenariosDir, entry.name, 'cluster')))
    .map((entry) => entry.name)
    .sort();
}
