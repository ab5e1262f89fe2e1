/**
 * The shape of the synthetic scale cluster, decided before any JSON is written: which
 * namespaces, nodes, workloads, Services and pods exist, where each pod runs, which IP it has,
 * and which few things are planted broken. The JSON writers (kube-objects.ts) only dress this
 * plan up as kubectl output, so every file of the bundle agrees with every other.
 *
 * Sizes at scale 1: 300 namespaces, 500 nodes (3 control-plane), 10,000 Services and 100,000
 * pods — system pods (kube-proxy and calico-node on every node, CoreDNS, control plane,
 * ingress-nginx) included. App workloads are skewed the way real clusters are: most Services
 * have a handful of replicas, a few have hundreds (so that some need several EndpointSlices).
 */
import { createPrng, KUBE_NAME_ALPHABET, type Prng } from './prng.js';

export interface ScaleOptions {
  /** 1 = full size (see FULL_SIZE); 0.25 and 0.5 for the linearity check; tests use less. */
  scale?: number;
  seed?: number;
  /** NetworkPolicies to create; default: a few (40 at full size, at least 8). */
  networkPolicies?: number;
}

export const FULL_SIZE = { namespaces: 300, nodes: 500, services: 10_000, pods: 100_000 } as const;

/** Wall-clock instant the bundle claims to be collected at (manifest createdAt). */
export const COLLECTED_AT = Date.UTC(2026, 10, 26, 10, 0, 0);
export const SERVICE_CIDR = '10.96.0.0/12';
export const CLUSTER_CIDR = '10.128.0.0/14';
export const KUBE_DNS_IP = '10.96.0.10';
export const KUBERNETES_VERSION = 'v1.30.2';
/** kubelet --max-pods: each node's /24 podCIDR leaves 253 addresses. */
export const MAX_PODS_PER_NODE = 250;

const CONTROL_PLANE_NODES = 3;
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'ingress-nginx'];
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const DAY = 86_400_000;

export type PodState = 'running' | 'crashloop' | 'pending' | 'terminating';
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Node';
export type AppPortProfile = 'web' | 'web-metrics' | 'web-grpc-metrics' | 'database';

export interface PlannedNode {
  name: string;
  uid: string;
  index: number;
  ip: string;
  podCIDR: string;
  zone: string;
  controlPlane: boolean;
  createdAt: number;
  /** Non-hostNetwork pods placed so far; the next pod IP is `.<podsPlaced + 2>`. */
  podsPlaced: number;
}

export interface PlannedNamespace {
  name: string;
  uid: string;
  createdAt: number;
  /** Team label on app namespaces ('' for system namespaces). */
  team: string;
  env: string;
  workloads: PlannedWorkload[];
  services: PlannedService[];
}

export interface PlannedWorkload {
  kind: WorkloadKind;
  /** Which pod template this workload uses (kube-objects.ts picks the containers by it). */
  template: 'app' | 'database' | 'kube-proxy' | 'calico-node' | 'coredns' | 'calico-kube-controllers' | 'metrics-server' | 'ingress-nginx' | 'static';
  name: string;
  namespace: string;
  uid: string;
  /** pod-template-hash (Deployment) or controller-revision hash (StatefulSet, DaemonSet). */
  hash: string;
  /** The ReplicaSet's uid for Deployments, else the workload's own. */
  ownerUid: string;
  /** Labels of the pod template (selector labels plus extras). */
  labels: Record<string, string>;
  selector: Record<string, string>;
  hostNetwork: boolean;
  portProfile?: AppPortProfile;
  /** Adds a log-shipper sidecar. */
  sidecar: boolean;
  antiAffinity: boolean;
  image: string;
  imageDigest: string;
  createdAt: number;
  pods: PlannedPod[];
}

export interface PlannedPod {
  name: string;
  uid: string;
  namespace: string;
  workload: PlannedWorkload;
  node: PlannedNode | undefined;
  /** Pod IP (the node IP for hostNetwork pods); undefined while Pending. */
  ip: string | undefined;
  state: PodState;
  restarts: number;
  createdAt: number;
  /** StatefulSet ordinal, or the pod's index in its workload. */
  ordinal: number;
  /** Static pods: the component name (etcd, kube-apiserver...). */
  component?: string;
}

export interface PlannedServicePort {
  /** '' when the Service port is unnamed (single-port Services). */
  name: string;
  port: number;
  targetPort: number | string;
  /** The container port the targetPort resolves to (what EndpointSlices carry). */
  endpointPort: number;
  protocol: 'TCP' | 'UDP';
  nodePort?: number;
}

export interface PlannedService {
  name: string;
  namespace: string;
  uid: string;
  createdAt: number;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** 'None' for headless Services; '' for none planned (never). */
  clusterIP: string;
  ports: PlannedServicePort[];
  /** undefined for the selector-less `kubernetes` Service. */
  selector: Record<string, string> | undefined;
  labels: Record<string, string>;
  /** 'helm' Services carry Helm labels/annotations; 'kubectl' ones last-applied-configuration. */
  managedBy: 'helm' | 'kubectl' | 'addon' | 'apiserver';
  externalTrafficPolicy?: 'Cluster' | 'Local';
  healthCheckNodePort?: number;
  /** LoadBalancer ingress IP; undefined while pending. */
  lbIP?: string;
  /** The pods behind it (the selector's matches; empty for planted typos). */
  backends: PlannedPod[];
  /** Stale endpoints the planted drift leaves behind: IPs of pods that no longer exist. */
  staleEndpoints: { ip: string; podName: string; uid: string; node: PlannedNode }[];
}

export interface PlannedIngress {
  name: string;
  namespace: string;
  uid: string;
  createdAt: number;
  host: string;
  serviceName: string;
  port: { name: string } | { number: number };
}

/** What was planted broken, as report subjects (`Kind/namespace/name`). */
export interface PlantedProblems {
  /** Services whose selector has a typo: no pod matches (svc-no-endpoints). */
  selectorTypos: string[];
  /** Services all of whose pods crashloop (svc-endpoints-not-ready). */
  allEndpointsNotReady: string[];
  /** Services whose numeric targetPort no container declares (svc-targetport-mismatch). */
  targetPortMismatch: string[];
  /** A LoadBalancer Service without an ingress IP (lb-pending). */
  lbPending: string[];
  /** Services whose EndpointSlices keep an address of a deleted pod (svc-endpoints-drift). */
  staleEndpoints: string[];
  /** Pods in CrashLoopBackOff (pod-not-ready), Pending, and terminating. */
  crashLoopingPods: string[];
  pendingPods: string[];
  terminatingPods: string[];
  /** A NetworkPolicy whose podSelector matches no pod (netpol-selects-nothing). */
  policySelectsNothing: string[];
  /** A NetworkPolicy peer whose namespaceSelector matches no namespace (netpol-peer-matches-nothing). */
  policyPeerMatchesNothing: string[];
  /** An Ingress whose backend Service does not exist (ingress-backend-missing). */
  ingressBackendMissing: string[];
}

export interface ClusterPlan {
  scale: number;
  seed: number;
  nodes: PlannedNode[];
  namespaces: PlannedNamespace[];
  /** Every pod, in namespace order. */
  pods: PlannedPod[];
  services: PlannedService[];
  ingresses: PlannedIngress[];
  networkPolicyCount: number;
  /** The LoadBalancer IP of ingress-nginx (Ingress status). */
  ingressLbIP: string;
  planted: PlantedProblems;
}

const TEAM_WORDS = [
  'payments', 'checkout', 'catalog', 'search', 'identity', 'billing', 'shipping', 'inventory',
  'pricing', 'reviews', 'recommend', 'notify', 'ledger', 'fraud', 'loyalty', 'support', 'media',
  'analytics', 'reporting', 'orders', 'accounts', 'onboarding', 'partners', 'marketing', 'ads',
  'maps', 'routing', 'fleet', 'booking', 'crm', 'messaging', 'gateway', 'platform', 'data',
  'ml', 'etl', 'stream', 'audit', 'compliance', 'risk', 'tax', 'invoicing', 'subscriptions',
  'content', 'cms', 'auth', 'sso', 'profile', 'social', 'feeds', 'chat', 'video', 'storage',
  'backup', 'observability', 'tracing', 'quality', 'experiments', 'growth', 'mobile',
];
const ENVS = ['prod', 'staging', 'qa', 'dev', 'perf'];
const SERVICE_WORDS = [
  'api', 'web', 'worker', 'cart', 'order', 'user', 'session', 'token', 'price', 'quote', 'stock',
  'item', 'image', 'thumb', 'report', 'export', 'import', 'sync', 'event', 'audit', 'mail',
  'sms', 'push', 'feed', 'rank', 'score', 'rules', 'policy', 'config', 'admin', 'portal',
  'graph', 'index', 'query', 'cache', 'proxy', 'edge', 'hook', 'batch', 'stream', 'ledger',
  'wallet', 'refund', 'invoice', 'tax', 'address', 'geo', 'route', 'slot', 'booking',
];
const SERVICE_SUFFIXES = ['', '-api', '-svc', '-service', '-backend', '-gateway', '-consumer', '-v2'];

/** Lays out the whole cluster. Pure: the same options give the same plan. */
export function planCluster(options: ScaleOptions = {}): ClusterPlan {
  const scale = options.scale ?? 1;
  const seed = options.seed ?? 20261126;
  if (!(scale > 0 && scale <= 4)) throw new RangeError(`scale must be in (0, 4], got ${scale}`);
  const rng = createPrng(seed);
  const size = {
    namespaces: Math.max(SYSTEM_NAMESPACES.length + 4, Math.round(FULL_SIZE.namespaces * scale)),
    // Tiny scales keep enough workers for their pods (max-pods 250, so at most 240 a node).
    nodes: Math.max(CONTROL_PLANE_NODES + Math.ceil((FULL_SIZE.pods * scale) / 240), Math.round(FULL_SIZE.nodes * scale)),
    services: Math.round(FULL_SIZE.services * scale),
    pods: Math.round(FULL_SIZE.pods * scale),
  };
  const clock = { rv: 48_211_907 };
  const ids = new IdSource(rng, clock);

  const nodes = planNodes(size.nodes, ids);
  const workers = nodes.filter((n) => !n.controlPlane);
  const placer = new PodPlacer(workers, rng);

  const namespaces = planNamespaces(size.namespaces, ids);
  const nsByName = new Map(namespaces.map((ns) => [ns.name, ns]));
  const clusterIPs = new UniqueIPs(rng);
  const nodePorts = new UniqueNodePorts(rng);
  const services: PlannedService[] = [];
  const pods: PlannedPod[] = [];

  // ---- system workloads -------------------------------------------------------------------
  const system = new SystemPlanner(rng, ids, nodes, placer, clusterIPs, nodePorts);
  system.plan(nsByName);
  const systemPods = namespaces.reduce((n, ns) => n + ns.workloads.reduce((m, w) => m + w.pods.length, 0), 0);
  const systemServices = namespaces.reduce((n, ns) => n + ns.services.length, 0);

  // ---- app workloads: one Service per workload, skewed replica counts ----------------------
  const appNamespaces = namespaces.filter((ns) => ns.team !== '');
  const appServiceCount = Math.max(appNamespaces.length, size.services - systemServices);
  const appPodCount = Math.max(appServiceCount, size.pods - systemPods);
  const servicesPerNs = apportion(appServiceCount, appNamespaces.map(() => Math.exp(0.9 * rng.normal())), 1);
  const replicas = apportion(appPodCount, Array.from({ length: appServiceCount }, () => Math.exp(1.1 * rng.normal())), 1, 900);
  let serviceIndex = 0;
  for (let i = 0; i < appNamespaces.length; i++) {
    const ns = appNamespaces[i]!;
    const names = new Set<string>();
    for (let k = 0; k < servicesPerNs[i]!; k++) {
      const name = uniqueServiceName(rng, names);
      const count = replicas[serviceIndex++]!;
      const database = rng.chance(0.03);
      const workload = planAppWorkload(ns, name, database, rng, ids);
      for (let p = 0; p < count; p++) workload.pods.push(planAppPod(workload, p, rng, ids, placer));
      ns.workloads.push(workload);
      ns.services.push(planAppService(ns, workload, rng, ids, clusterIPs, nodePorts));
    }
  }

  for (const ns of namespaces) {
    for (const w of ns.workloads) pods.push(...w.pods);
    services.push(...ns.services);
  }

  const planted = plantProblems(appNamespaces, rng, ids, placer);
  const ingresses = planIngresses(appNamespaces, rng, ids, planted, Math.max(4, Math.round(appServiceCount / 40)));
  const networkPolicyCount = options.networkPolicies ?? Math.max(8, Math.round(40 * scale));
  // cluster-objects.ts writes these two first, in the second and third app namespaces.
  const nth = (i: number) => appNamespaces[i % appNamespaces.length]!.name;
  if (networkPolicyCount > 0) planted.policySelectsNothing.push(`NetworkPolicy/${nth(1)}/allow-from-frontend`);
  if (networkPolicyCount > 1) planted.policyPeerMatchesNothing.push(`NetworkPolicy/${nth(2)}/allow-from-monitoring`);
  return {
    scale,
    seed,
    nodes,
    namespaces,
    pods,
    services,
    ingresses,
    networkPolicyCount,
    ingressLbIP: system.ingressLbIP,
    planted,
  };
}

// ---- helpers ---------------------------------------------------------------------------------

/** Monotonic resourceVersions and random uids, shared by everything planned. */
export class IdSource {
  constructor(
    private readonly rng: Prng,
    private readonly clock: { rv: number },
  ) {}
  uid(): string {
    return this.rng.uuid();
  }
  resourceVersion(): string {
    this.clock.rv += 1 + this.rng.int(40);
    return String(this.clock.rv);
  }
  /** A creation time `minDays`..`maxDays` before collection, whole seconds. */
  createdBetween(minDays: number, maxDays: number): number {
    const ms = COLLECTED_AT - (minDays + this.rng.next() * (maxDays - minDays)) * DAY;
    return Math.floor(ms / 1000) * 1000;
  }
}

/** Splits `total` into parts proportional to `weights`, each in [min, max], summing to total. */
export function apportion(total: number, weights: number[], min: number, max = Infinity): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const parts = new Array<number>(n).fill(min);
  let left = total - min * n;
  if (left <= 0) return parts;
  const sum = weights.reduce((a, b) => a + b, 0);
  const fractions: { i: number; f: number }[] = [];
  for (let i = 0; i < n; i++) {
    const exact = (left * weights[i]!) / sum;
    const whole = Math.min(Math.floor(exact), max - min);
    parts[i] = min + whole;
    fractions.push({ i, f: exact - whole });
  }
  left = total - parts.reduce((a, b) => a + b, 0);
  fractions.sort((a, b) => b.f - a.f || a.i - b.i);
  // Hand the remainder out by largest fraction, cycling while parts are below max.
  for (let round = 0; left > 0 && round < 1000; round++) {
    let gave = false;
    for (const { i } of fractions) {
      if (left === 0) break;
      if (parts[i]! < max) {
        parts[i]!++;
        left--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  return parts;
}

function planNodes(count: number, ids: IdSource): PlannedNode[] {
  const nodes: PlannedNode[] = [];
  for (let i = 0; i < count; i++) {
    const controlPlane = i < CONTROL_PLANE_NODES;
    const host = i + 10;
    nodes.push({
      name: controlPlane ? `cp-${i + 1}` : `worker-${String(i - CONTROL_PLANE_NODES + 1).padStart(3, '0')}`,
      uid: ids.uid(),
      index: i,
      ip: `10.20.${host >> 8}.${host & 255}`,
      podCIDR: `10.${128 + (i >> 8)}.${i & 255}.0/24`,
      zone: ZONES[i % ZONES.length]!,
      controlPlane,
      createdAt: ids.createdBetween(controlPlane ? 400 : 30, controlPlane ? 401 : 380),
      podsPlaced: 0,
    });
  }
  return nodes;
}

/** Places pods on worker nodes at random, never beyond max-pods, handing out podCIDR IPs. */
class PodPlacer {
  private full = 0;
  constructor(
    private readonly workers: PlannedNode[],
    private readonly rng: Prng,
  ) {}

  place(): { node: PlannedNode; ip: string } {
    if (this.full >= this.workers.length) throw new Error('scale plan: every node is full');
    let i = this.rng.int(this.workers.length);
    while (this.workers[i]!.podsPlaced >= MAX_PODS_PER_NODE) i = (i + 1) % this.workers.length;
    return this.placeOn(this.workers[i]!);
  }

  placeOn(node: PlannedNode): { node: PlannedNode; ip: string } {
    const host = node.podsPlaced + 2;
    node.podsPlaced++;
    if (node.podsPlaced === MAX_PODS_PER_NODE) this.full++;
    return { node, ip: node.podCIDR.replace(/\.0\/24$/, `.${host}`) };
  }

  /** Pod IP of a pod deleted since: the address its node would have handed out next. */
  vacatedIP(): { node: PlannedNode; ip: string } {
    const node = this.workers[this.rng.int(this.workers.length)]!;
    return { node, ip: node.podCIDR.replace(/\.0\/24$/, `.${253}`) };
  }
}

class UniqueIPs {
  private readonly used = new Set<string>(['10.96.0.1', KUBE_DNS_IP]);
  constructor(private readonly rng: Prng) {}
  /** A free ClusterIP in 10.96.0.0/12, as the allocator picks one: at random. */
  next(): string {
    for (;;) {
      const n = this.rng.int(1 << 20);
      const ip = `10.${96 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
      if ((n & 255) === 0 || (n & 255) === 255 || this.used.has(ip)) continue;
      this.used.add(ip);
      return ip;
    }
  }
}

class UniqueNodePorts {
  private readonly used = new Set<number>();
  constructor(private readonly rng: Prng) {}
  next(): number {
    for (;;) {
      const port = this.rng.between(30000, 32767);
      if (this.used.has(port)) continue;
      this.used.add(port);
      return port;
    }
  }
}

function planNamespaces(count: number, ids: IdSource): PlannedNamespace[] {
  const namespaces: PlannedNamespace[] = SYSTEM_NAMESPACES.map((name) => ({
    name,
    uid: ids.uid(),
    createdAt: ids.createdBetween(400, 401),
    team: '',
    env: '',
    workloads: [],
    services: [],
  }));
  const combos: [string, string][] = [];
  for (const env of ENVS) for (const team of TEAM_WORDS) combos.push([team, env]);
  for (let i = 0; i < count - SYSTEM_NAMESPACES.length; i++) {
    // Teams first in prod, then their other environments, as clusters fill up.
    const [team, env] = combos[i % combos.length]!;
    const round = Math.floor(i / combos.length);
    namespaces.push({
      name: round === 0 ? `${team}-${env}` : `${team}-${env}-${round + 1}`,
      uid: ids.uid(),
      createdAt: ids.createdBetween(20, 390),
      team,
      env,
      workloads: [],
      services: [],
    });
  }
  return namespaces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function uniqueServiceName(rng: Prng, taken: Set<string>): string {
  for (let attempt = 0; ; attempt++) {
    const base = attempt < 20 ? `${rng.pick(SERVICE_WORDS)}${rng.pick(SERVICE_SUFFIXES)}` : `${rng.pick(SERVICE_WORDS)}-${rng.pick(SERVICE_WORDS)}${rng.pick(SERVICE_SUFFIXES)}`;
    if (!taken.has(base)) {
      taken.add(base);
      return base;
    }
  }
}

function sortedRecord(entries: [string, string][]): Record<string, string> {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(entries);
}

function planAppWorkload(ns: PlannedNamespace, name: string, database: boolean, rng: Prng, ids: IdSource): PlannedWorkload {
  const helm = rng.chance(0.7);
  const selector = helm ? sortedRecord([['app.kubernetes.io/instance', name], ['app.kubernetes.io/name', name]]) : { app: name };
  const hash = database ? `${name}-${rng.chars(KUBE_NAME_ALPHABET, 10)}` : rng.chars(KUBE_NAME_ALPHABET, 10);
  const labels = database
    ? sortedRecord([...Object.entries(selector), ['controller-revision-hash', hash]])
    : sortedRecord([...Object.entries(selector), ['pod-template-hash', hash]]);
  const uid = ids.uid();
  return {
    kind: database ? 'StatefulSet' : 'Deployment',
    template: database ? 'database' : 'app',
    name,
    namespace: ns.name,
    uid,
    hash,
    ownerUid: database ? uid : ids.uid(),
    labels,
    selector,
    hostNetwork: false,
    portProfile: database ? 'database' : rng.pick(['web', 'web', 'web', 'web-metrics', 'web-metrics', 'web-grpc-metrics'] as const),
    sidecar: rng.chance(0.15),
    antiAffinity: rng.chance(0.2),
    image: database ? `registry.example.com/${ns.team}/${name}-postgres:16.4` : `registry.example.com/${ns.team}/${name}:${rng.between(1, 4)}.${rng.between(0, 30)}.${rng.between(0, 12)}`,
    imageDigest: rng.hex(64),
    createdAt: ids.createdBetween(1, 30),
    pods: [],
  };
}

function planAppPod(workload: PlannedWorkload, ordinal: number, rng: Prng, ids: IdSource, placer: PodPlacer): PlannedPod {
  const { node, ip } = placer.place();
  return {
    name: workload.kind === 'StatefulSet' ? `${workload.name}-${ordinal}` : `${workload.name}-${workload.hash}-${rng.chars(KUBE_NAME_ALPHABET, 5)}`,
    uid: ids.uid(),
    namespace: workload.namespace,
    workload,
    node,
    ip,
    state: 'running',
    restarts: rng.chance(0.05) ? rng.between(1, 3) : 0,
    createdAt: Math.max(workload.createdAt, ids.createdBetween(0.1, 30)),
    ordinal,
  };
}

const PROFILE_PORTS: Record<AppPortProfile, { name: string; port: number; containerPort: number; named: boolean }[]> = {
  web: [{ name: 'http', port: 80, containerPort: 8080, named: true }],
  'web-metrics': [
    { name: 'http', port: 80, containerPort: 8080, named: true },
    { name: 'metrics', port: 9102, containerPort: 9102, named: true },
  ],
  'web-grpc-metrics': [
    { name: 'http', port: 80, containerPort: 8080, named: true },
    { name: 'grpc', port: 9090, containerPort: 9090, named: false },
    { name: 'metrics', port: 9102, containerPort: 9102, named: true },
  ],
  database: [{ name: 'tcp-postgres', port: 5432, containerPort: 5432, named: false }],
};

/** Container ports a workload's main container declares, by profile. */
export function containerPortsOf(profile: AppPortProfile): { name: string; containerPort: number }[] {
  return PROFILE_PORTS[profile].map((p) => ({ name: p.name, containerPort: p.containerPort }));
}

function planAppService(ns: PlannedNamespace, workload: PlannedWorkload, rng: Prng, ids: IdSource, clusterIPs: UniqueIPs, nodePorts: UniqueNodePorts): PlannedService {
  const headless = workload.kind === 'StatefulSet';
  const roll = rng.next();
  const type: PlannedService['type'] = headless ? 'ClusterIP' : roll < 0.02 ? 'LoadBalancer' : roll < 0.05 ? 'NodePort' : 'ClusterIP';
  const profile = PROFILE_PORTS[workload.portProfile!];
  const numericTarget = rng.chance(0.5);
  const unnamedSingle = profile.length === 1 && rng.chance(0.4);
  const ports: PlannedServicePort[] = profile.map((p) => ({
    name: unnamedSingle ? '' : p.name,
    port: p.port,
    targetPort: p.named && !numericTarget ? p.name : p.containerPort,
    endpointPort: p.containerPort,
    protocol: 'TCP',
    ...(type !== 'ClusterIP' ? { nodePort: nodePorts.next() } : {}),
  }));
  const helm = 'app.kubernetes.io/name' in workload.selector;
  const labels = helm
    ? sortedRecord([
        ['app.kubernetes.io/instance', workload.name],
        ['app.kubernetes.io/managed-by', 'Helm'],
        ['app.kubernetes.io/name', workload.name],
        ['helm.sh/chart', `${workload.name}-${rng.between(0, 3)}.${rng.between(0, 20)}.${rng.between(0, 9)}`],
      ])
    : { app: workload.name };
  const service: PlannedService = {
    name: workload.name,
    namespace: ns.name,
    uid: ids.uid(),
    createdAt: workload.createdAt,
    type,
    clusterIP: headless ? 'None' : clusterIPs.next(),
    ports,
    selector: workload.selector,
    labels,
    managedBy: helm ? 'helm' : 'kubectl',
    backends: workload.pods,
    staleEndpoints: [],
  };
  if (type !== 'ClusterIP') service.externalTrafficPolicy = type === 'LoadBalancer' && rng.chance(0.5) ? 'Local' : 'Cluster';
  if (service.externalTrafficPolicy === 'Local') service.healthCheckNodePort = nodePorts.next();
  if (type === 'LoadBalancer') service.lbIP = `10.30.${rng.int(256)}.${1 + rng.int(254)}`;
  return service;
}

/**
 * Plants the realistic handful of problems that rules look for: a few per kind, spread over
 * the namespaces, plus crash-looping, pending and terminating pods in proportion to size.
 */
function plantProblems(appNamespaces: PlannedNamespace[], rng: Prng, ids: IdSource, placer: PodPlacer): PlantedProblems {
  const planted: PlantedProblems = {
    selectorTypos: [],
    allEndpointsNotReady: [],
    targetPortMismatch: [],
    lbPending: [],
    staleEndpoints: [],
    crashLoopingPods: [],
    pendingPods: [],
    terminatingPods: [],
    policySelectsNothing: [],
    policyPeerMatchesNothing: [],
    ingressBackendMissing: [],
  };
  const appServices = appNamespaces.flatMap((ns) => ns.services);
  const taken = new Set<PlannedService>();
  const pickService = (accept: (s: PlannedService) => boolean): PlannedService | undefined => {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const s = appServices[rng.int(appServices.length)]!;
      if (!taken.has(s) && accept(s)) {
        taken.add(s);
        return s;
      }
    }
    return undefined;
  };
  const ref = (s: PlannedService) => `Service/${s.namespace}/${s.name}`;
  const isDeployment = (s: PlannedService) => s.clusterIP !== 'None';

  for (let i = 0; i < 3; i++) {
    const s = pickService((c) => isDeployment(c) && c.backends.length >= 2);
    if (!s) break;
    // A typo in the selector's name value: `cart` → `carts`, the classic one-letter slip.
    const key = 'app.kubernetes.io/name' in s.selector! ? 'app.kubernetes.io/name' : 'app';
    s.selector = { ...s.selector, [key]: i % 2 === 0 ? `${s.name}s` : s.name.slice(0, -1) };
    s.backends = [];
    planted.selectorTypos.push(ref(s));
  }
  for (let i = 0; i < 2; i++) {
    const s = pickService((c) => isDeployment(c) && c.backends.length >= 2 && c.backends.length <= 6);
    if (!s) break;
    for (const pod of s.backends) crashLoop(pod, rng);
    planted.allEndpointsNotReady.push(ref(s));
  }
  for (let i = 0; i < 2; i++) {
    const s = pickService((c) => isDeployment(c) && c.ports[0]!.port === 80);
    if (!s) break;
    s.ports[0] = { ...s.ports[0]!, targetPort: 8081, endpointPort: 8081 };
    planted.targetPortMismatch.push(ref(s));
  }
  {
    const s = pickService((c) => c.type === 'LoadBalancer');
    if (s) {
      delete s.lbIP;
      planted.lbPending.push(ref(s));
    }
  }
  {
    const s = pickService((c) => isDeployment(c) && c.backends.length >= 3);
    if (s) {
      const { node, ip } = placer.vacatedIP();
      const w = s.backends[0]!.workload;
      s.staleEndpoints.push({ ip, node, podName: `${w.name}-${w.hash}-${rng.chars(KUBE_NAME_ALPHABET, 5)}`, uid: ids.uid() });
      planted.staleEndpoints.push(ref(s));
    }
  }

  // Pod-level trouble, in proportion to size: 0.2% crash-looping, 0.02% Pending, 0.05% terminating.
  const appPods = appNamespaces.flatMap((ns) => ns.workloads.flatMap((w) => w.pods));
  const choose = (fraction: number, apply: (p: PlannedPod) => void) => {
    const want = Math.max(1, Math.round(appPods.length * fraction));
    for (let n = 0, attempt = 0; n < want && attempt < want * 50; attempt++) {
      const pod = appPods[rng.int(appPods.length)]!;
      if (pod.state !== 'running') continue;
      apply(pod);
      n++;
    }
  };
  choose(0.002, (p) => crashLoop(p, rng));
  choose(0.0002, (p) => {
    p.state = 'pending';
    p.node = undefined;
    p.ip = undefined;
    p.restarts = 0;
  });
  choose(0.0005, (p) => {
    p.state = 'terminating';
  });
  for (const p of appPods) {
    const podRef = `Pod/${p.namespace}/${p.name}`;
    if (p.state === 'crashloop') planted.crashLoopingPods.push(podRef);
    else if (p.state === 'pending') planted.pendingPods.push(podRef);
    else if (p.state === 'terminating') planted.terminatingPods.push(podRef);
  }
  return planted;
}

function crashLoop(pod: PlannedPod, rng: Prng): void {
  pod.state = 'crashloop';
  pod.restarts = rng.between(8, 400);
}

function planIngresses(appNamespaces: PlannedNamespace[], rng: Prng, ids: IdSource, planted: PlantedProblems, count: number): PlannedIngress[] {
  const ingresses: PlannedIngress[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; ingresses.length < count && attempt < count * 20; attempt++) {
    const ns = appNamespaces[rng.int(appNamespaces.length)]!;
    const s = ns.services[rng.int(ns.services.length)]!;
    if (s.clusterIP === 'None' || seen.has(`${ns.name}/${s.name}`)) continue;
    seen.add(`${ns.name}/${s.name}`);
    const p = s.ports[0]!;
    ingresses.push({
      name: s.name,
      namespace: ns.name,
      uid: ids.uid(),
      createdAt: s.createdAt,
      host: `${s.name}.${ns.name}.apps.example.com`,
      serviceName: s.name,
      port: p.name ? { name: p.name } : { number: p.port },
    });
  }
  // One Ingress still points at a Service that was renamed since.
  const broken = ingresses[ingresses.length - 1];
  if (broken) {
    broken.serviceName = `${broken.serviceName}-old`;
    planted.ingressBackendMissing.push(`Ingress/${broken.namespace}/${broken.name}`);
  }
  return ingresses;
}

/** kube-system, ingress-nginx and default: the cluster's own workloads and Services. */
class SystemPlanner {
  ingressLbIP = '10.30.255.10';

  constructor(
    private readonly rng: Prng,
    private readonly ids: IdSource,
    private readonly nodes: PlannedNode[],
    private readonly placer: PodPlacer,
    private readonly clusterIPs: UniqueIPs,
    private readonly nodePorts: UniqueNodePorts,
  ) {}

  plan(nsByName: Map<string, PlannedNamespace>): void {
    const kubeSystem = nsByName.get('kube-system')!;
    const ingressNs = nsByName.get('ingress-nginx')!;
    const defaultNs = nsByName.get('default')!;
    const controlPlane = this.nodes.filter((n) => n.controlPlane);

    for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      kubeSystem.workloads.push(this.staticPods(component, controlPlane));
    }
    const kubeProxy = this.workload('DaemonSet', 'kube-proxy', 'kube-system', 'kube-proxy', { 'k8s-app': 'kube-proxy' }, true);
    const calicoNode = this.workload('DaemonSet', 'calico-node', 'kube-system', 'calico-node', { 'k8s-app': 'calico-node' }, true);
    for (const ds of [kubeProxy, calicoNode]) {
      for (const node of this.nodes) ds.pods.push(this.pod(ds, ds.pods.length, { node, ip: node.ip }));
      kubeSystem.workloads.push(ds);
    }
    const corednsReplicas = Math.max(2, Math.ceil(this.nodes.length / 16));
    const deployments: [PlannedWorkload, number][] = [
      [this.workload('Deployment', 'coredns', 'kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, false), corednsReplicas],
      [this.workload('Deployment', 'calico-kube-controllers', 'kube-system', 'calico-kube-controllers', { 'k8s-app': 'calico-kube-controllers' }, false), 1],
      [this.workload('Deployment', 'metrics-server', 'kube-system', 'metrics-server', { 'k8s-app': 'metrics-server' }, false), 1],
      [
        this.workload('Deployment', 'ingress-nginx-controller', 'ingress-nginx', 'ingress-nginx', sortedRecord([
          ['app.kubernetes.io/component', 'controller'],
          ['app.kubernetes.io/instance', 'ingress-nginx'],
          ['app.kubernetes.io/name', 'ingress-nginx'],
        ]), false),
        3,
      ],
    ];
    for (const [w, replicas] of deployments) {
      for (let i = 0; i < replicas; i++) w.pods.push(this.pod(w, i, this.placer.place()));
      (w.namespace === 'kube-system' ? kubeSystem : ingressNs).workloads.push(w);
    }
    const [coredns, , metricsServer, ingress] = deployments.map(([w]) => w) as [PlannedWorkload, PlannedWorkload, PlannedWorkload, PlannedWorkload];

    defaultNs.services.push({
      ...this.service('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443, targetPort: 6443, endpointPort: 6443, protocol: 'TCP' }], undefined, { component: 'apiserver', provider: 'kubernetes' }, 'apiserver'),
      // The apiserver keeps its own endpoints: the control-plane node IPs.
      backends: kubeSystem.workloads.find((w) => w.name === 'kube-apiserver')!.pods,
    });
    kubeSystem.services.push(
      {
        ...this.service(
          'kube-dns',
          'kube-system',
          KUBE_DNS_IP,
          [
            { name: 'dns', port: 53, targetPort: 53, endpointPort: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, targetPort: 53, endpointPort: 53, protocol: 'TCP' },
            { name: 'metrics', port: 9153, targetPort: 9153, endpointPort: 9153, protocol: 'TCP' },
          ],
          { 'k8s-app': 'kube-dns' },
          { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
          'addon',
        ),
        backends: coredns.pods,
      },
      {
        ...this.service('metrics-server', 'kube-system', this.clusterIPs.next(), [{ name: 'https', port: 443, targetPort: 'https', endpointPort: 10250, protocol: 'TCP' }], { 'k8s-app': 'metrics-server' }, { 'k8s-app': 'metrics-server' }, 'addon'),
        backends: metricsServer.pods,
      },
    );
    const ingressLabels = sortedRecord([
      ['app.kubernetes.io/component', 'controller'],
      ['app.kubernetes.io/instance', 'ingress-nginx'],
      ['app.kubernetes.io/managed-by', 'Helm'],
      ['app.kubernetes.io/name', 'ingress-nginx'],
      ['app.kubernetes.io/part-of', 'ingress-nginx'],
      ['app.kubernetes.io/version', '1.11.2'],
      ['helm.sh/chart', 'ingress-nginx-4.11.2'],
    ]);
    const lb = this.service(
      'ingress-nginx-controller',
      'ingress-nginx',
      this.clusterIPs.next(),
      [
        { name: 'http', port: 80, targetPort: 'http', endpointPort: 80, protocol: 'TCP', nodePort: this.nodePorts.next() },
        { name: 'https', port: 443, targetPort: 'https', endpointPort: 443, protocol: 'TCP', nodePort: this.nodePorts.next() },
      ],
      ingress.selector,
      ingressLabels,
      'helm',
    );
    lb.type = 'LoadBalancer';
    lb.externalTrafficPolicy = 'Local';
    lb.healthCheckNodePort = this.nodePorts.next();
    lb.lbIP = this.ingressLbIP;
    ingressNs.services.push(
      { ...lb, backends: ingress.pods },
      {
        ...this.service('ingress-nginx-controller-admission', 'ingress-nginx', this.clusterIPs.next(), [{ name: 'https-webhook', port: 443, targetPort: 'webhook', endpointPort: 8443, protocol: 'TCP' }], ingress.selector, ingressLabels, 'helm'),
        backends: ingress.pods,
      },
    );
  }

  private workload(kind: WorkloadKind, name: string, namespace: string, template: PlannedWorkload['template'], selector: Record<string, string>, hostNetwork: boolean): PlannedWorkload {
    const hash = this.rng.chars(KUBE_NAME_ALPHABET, 10);
    const labels =
      kind === 'DaemonSet'
        ? sortedRecord([...Object.entries(selector), ['controller-revision-hash', hash], ['pod-template-generation', '1']])
        : sortedRecord([...Object.entries(selector), ['pod-template-hash', hash]]);
    const uid = this.ids.uid();
    return {
      kind,
      template,
      name,
      namespace,
      uid,
      hash,
      ownerUid: kind === 'Deployment' ? this.ids.uid() : uid,
      labels,
      selector,
      hostNetwork,
      sidecar: false,
      antiAffinity: template === 'coredns',
      image: SYSTEM_IMAGES[template]!,
      imageDigest: this.rng.hex(64),
      createdAt: this.ids.createdBetween(60, 400),
      pods: [],
    };
  }

  private staticPods(component: string, controlPlane: PlannedNode[]): PlannedWorkload {
    const w = this.workload('Node', component, 'kube-system', 'static', sortedRecord([['component', component], ['tier', 'control-plane']]), true);
    w.labels = w.selector;
    w.image = `registry.k8s.io/${component}:${component === 'etcd' ? '3.5.12-0' : KUBERNETES_VERSION}`;
    for (const node of controlPlane) {
      const pod = this.pod(w, w.pods.length, { node, ip: node.ip });
      pod.name = `${component}-${node.name}`;
      pod.component = component;
      w.pods.push(pod);
    }
    return w;
  }

  private pod(w: PlannedWorkload, ordinal: number, at: { node: PlannedNode; ip: string }): PlannedPod {
    return {
      name: `${w.name}-${w.kind === 'DaemonSet' ? this.rng.chars(KUBE_NAME_ALPHABET, 5) : `${w.hash}-${this.rng.chars(KUBE_NAME_ALPHABET, 5)}`}`,
      uid: this.ids.uid(),
      namespace: w.namespace,
      workload: w,
      node: at.node,
      ip: at.ip,
      state: 'running',
      restarts: 0,
      createdAt: this.ids.createdBetween(5, 60),
      ordinal,
    };
  }

  private service(name: string, namespace: string, clusterIP: string, ports: PlannedServicePort[], selector: Record<string, string> | undefined, labels: Record<string, string>, managedBy: PlannedService['managedBy']): PlannedService {
    return {
      name,
      namespace,
      uid: this.ids.uid(),
      createdAt: this.ids.createdBetween(300, 400),
      type: 'ClusterIP',
      clusterIP,
      ports,
      selector,
      labels: sortedRecord(Object.entries(labels)),
      managedBy,
      backends: [],
      staleEndpoints: [],
    };
  }
}

const SYSTEM_IMAGES: Partial<Record<PlannedWorkload['template'], string>> = {
  'kube-proxy': `registry.k8s.io/kube-proxy:${KUBERNETES_VERSION}`,
  'calico-node': 'docker.io/calico/node:v3.28.1',
  coredns: 'registry.k8s.io/coredns/coredns:v1.11.1',
  'calico-kube-controllers': 'docker.io/calico/kube-controllers:v3.28.1',
  'metrics-server': 'registry.k8s.io/metrics-server/metrics-server:v0.7.1',
  'ingress-nginx': 'registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:d5f8217feeac4887cb1ed21f27c2674e58be06bd8f5184cacea2a69abaf78dce',
  static: '',
};
