/**
 * Services, EndpointSlices and Endpoints as `kubectl get -o json` prints them, written the way
 * the controllers fill them: slices of at most 100 endpoints with ready/serving/terminating
 * conditions, nodeName, zone and a targetRef per pod; Endpoints with ready addresses and
 * notReadyAddresses; a placeholder slice (`endpoints: null`) for a selector that matches
 * nothing; no targetRef on the apiserver's own `kubernetes` endpoints.
 */
import { COLLECTED_AT, type PlannedPod, type PlannedService, type PlannedServicePort } from './cluster-plan.js';
import { kubeTime, sortedRecord, type ObjectContext } from './object-context.js';
import { KUBE_NAME_ALPHABET } from './prng.js';

type Json = any;

/** EndpointSlice controller's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** One address behind a Service, with the conditions the controllers derive from the pod. */
interface Backend {
  ip: string;
  nodeName: string;
  zone: string;
  hostname?: string;
  target?: { name: string; namespace: string; uid: string };
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

function servicePortJson(p: PlannedServicePort): Json {
  const port: Json = {};
  if (p.name) port.name = p.name;
  if (p.nodePort !== undefined) port.nodePort = p.nodePort;
  port.port = p.port;
  port.protocol = p.protocol;
  port.targetPort = p.targetPort;
  return port;
}

export function serviceObject(ctx: ObjectContext, s: PlannedService): Json {
  const metadata: Json = {};
  if (s.managedBy === 'helm') metadata.annotations = { 'meta.helm.sh/release-name': s.labels['app.kubernetes.io/instance'] ?? s.name, 'meta.helm.sh/release-namespace': s.namespace };
  else if (s.managedBy === 'kubectl') metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(s) };
  else if (s.name === 'kube-dns') metadata.annotations = { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' };
  metadata.creationTimestamp = kubeTime(s.createdAt);
  metadata.labels = s.labels;
  metadata.name = s.name;
  metadata.namespace = s.namespace;
  metadata.resourceVersion = ctx.ids.resourceVersion();
  metadata.uid = s.uid;

  const spec: Json = {};
  if (s.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts = true;
  spec.clusterIP = s.clusterIP;
  spec.clusterIPs = [s.clusterIP];
  if (s.externalTrafficPolicy) spec.externalTrafficPolicy = s.externalTrafficPolicy;
  if (s.healthCheckNodePort !== undefined) spec.healthCheckNodePort = s.healthCheckNodePort;
  spec.internalTrafficPolicy = 'Cluster';
  spec.ipFamilies = ['IPv4'];
  spec.ipFamilyPolicy = 'SingleStack';
  spec.ports = s.ports.map(servicePortJson);
  if (s.selector) spec.selector = s.selector;
  spec.sessionAffinity = 'None';
  spec.type = s.type;

  const status = s.lbIP ? { loadBalancer: { ingress: [{ ip: s.lbIP, ipMode: 'VIP' }] } } : { loadBalancer: {} };
  return { apiVersion: 'v1', kind: 'Service', metadata, spec, status };
}

/** `kubectl apply` leaves the applied manifest, compact JSON with sorted keys, on the object. */
function lastApplied(s: PlannedService): string {
  const spec: Json = { ports: s.ports.map((p) => { const q = servicePortJson(p); delete q.nodePort; return q; }), selector: s.selector };
  if (s.type !== 'ClusterIP') spec.type = s.type;
  return JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { annotations: {}, labels: s.labels, name: s.name, namespace: s.namespace }, spec }) + '\n';
}

function backendsOf(s: PlannedService): Backend[] {
  const out: Backend[] = [];
  const headless = s.clusterIP === 'None';
  for (const pod of s.backends) {
    if (!pod.ip || !pod.node) continue; // Pending pods have no address yet.
    const b: Backend = {
      ip: pod.ip,
      nodeName: pod.node.name,
      zone: pod.node.zone,
      ready: pod.state === 'running',
      serving: pod.state === 'running' || pod.state === 'terminating',
      terminating: pod.state === 'terminating',
    };
    if (s.managedBy !== 'apiserver') b.target = { name: pod.name, namespace: pod.namespace, uid: pod.uid };
    if (headless) b.hostname = pod.name;
    out.push(b);
  }
  for (const stale of s.staleEndpoints) {
    out.push({ ip: stale.ip, nodeName: stale.node.name, zone: stale.node.zone, target: { name: stale.podName, namespace: s.namespace, uid: stale.uid }, ready: true, serving: true, terminating: false });
  }
  return out;
}

function lastChange(pods: readonly PlannedPod[], s: PlannedService): string {
  let latest = s.createdAt;
  for (const p of pods) if (p.createdAt > latest) latest = p.createdAt;
  return kubeTime(Math.min(latest + 9000, COLLECTED_AT));
}

/** The EndpointSlices the controller keeps for a Service (at least one, even when empty). */
export function endpointSliceObjects(ctx: ObjectContext, s: PlannedService): Json[] {
  if (!s.selector && s.managedBy !== 'apiserver') return [];
  const backends = backendsOf(s);
  const headless = s.clusterIP === 'None';
  const ports = s.ports.map((p) => ({ name: p.name, port: p.endpointPort, protocol: p.protocol }));
  const labelEntries: [string, string][] = [...Object.entries(s.labels), ['kubernetes.io/service-name', s.name]];
  if (s.managedBy === 'apiserver') {
    return [
      {
        addressType: 'IPv4',
        apiVersion: 'discovery.k8s.io/v1',
        endpoints: backends.map((b) => ({ addresses: [b.ip], conditions: { ready: true } })),
        kind: 'EndpointSlice',
        metadata: {
          creationTimestamp: kubeTime(s.createdAt),
          generation: 1,
          labels: { 'kubernetes.io/service-name': s.name },
          name: s.name,
          namespace: s.namespace,
          resourceVersion: ctx.ids.resourceVersion(),
          uid: ctx.ids.uid(),
        },
        ports,
      },
    ];
  }
  labelEntries.push(['endpointslice.kubernetes.io/managed-by', 'endpointslice-controller.k8s.io']);
  if (headless) labelEntries.push(['service.kubernetes.io/headless', '']);
  const labels = sortedRecord(labelEntries);
  const chunks: Backend[][] = [];
  for (let i = 0; i < backends.length; i += MAX_ENDPOINTS_PER_SLICE) chunks.push(backends.slice(i, i + MAX_ENDPOINTS_PER_SLICE));
  if (chunks.length === 0) chunks.push([]);
  const trigger = lastChange(s.backends, s);
  return chunks.map((chunk) => ({
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints: chunk.length === 0 ? null : chunk.map(sliceEndpoint),
    kind: 'EndpointSlice',
    metadata: {
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger },
      creationTimestamp: kubeTime(s.createdAt + 1000),
      generateName: `${s.name}-`,
      generation: 1 + ctx.rng.int(40),
      labels,
      name: `${s.name}-${ctx.rng.chars(KUBE_NAME_ALPHABET, 5)}`,
      namespace: s.namespace,
      ownerReferences: [{ apiVersion: 'v1', blockOwnerDeletion: true, controller: true, kind: 'Service', name: s.name, uid: s.uid }],
      resourceVersion: ctx.ids.resourceVersion(),
      uid: ctx.ids.uid(),
    },
    ports: chunk.length === 0 ? null : ports,
  }));
}

function sliceEndpoint(b: Backend): Json {
  const e: Json = { addresses: [b.ip], conditions: { ready: b.ready, serving: b.serving, terminating: b.terminating } };
  if (b.hostname) e.hostname = b.hostname;
  e.nodeName = b.nodeName;
  if (b.target) e.targetRef = { kind: 'Pod', name: b.target.name, namespace: b.target.namespace, uid: b.target.uid };
  e.zone = b.zone;
  return e;
}

function ipKey(ip: string): number {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

/** core/v1 Endpoints: one subset with ready addresses and notReadyAddresses, sorted by IP. */
export function endpointsObject(ctx: ObjectContext, s: PlannedService): Json | undefined {
  if (!s.selector && s.managedBy !== 'apiserver') return undefined;
  // The Endpoints controller leaves terminating pods out (publishNotReadyAddresses is false).
  const backends = backendsOf(s).filter((b) => !b.terminating).sort((a, b) => ipKey(a.ip) - ipKey(b.ip));
  const address = (b: Backend): Json => {
    const a: Json = {};
    if (b.hostname) a.hostname = b.hostname;
    a.ip = b.ip;
    if (s.managedBy !== 'apiserver') a.nodeName = b.nodeName;
    if (b.target) a.targetRef = { kind: 'Pod', name: b.target.name, namespace: b.target.namespace, uid: b.target.uid };
    return a;
  };
  const metadata: Json = {};
  if (s.managedBy !== 'apiserver') metadata.annotations = { 'endpoints.kubernetes.io/last-change-trigger-time': lastChange(s.backends, s) };
  metadata.creationTimestamp = kubeTime(s.createdAt + 1000);
  metadata.labels = s.managedBy === 'apiserver' ? { 'endpointslice.kubernetes.io/skip-mirror': 'true' } : s.clusterIP === 'None' ? sortedRecord([...Object.entries(s.labels), ['service.kubernetes.io/headless', '']]) : s.labels;
  metadata.name = s.name;
  metadata.namespace = s.namespace;
  metadata.resourceVersion = ctx.ids.resourceVersion();
  metadata.uid = ctx.ids.uid();
  const object: Json = { apiVersion: 'v1', kind: 'Endpoints', metadata };
  if (backends.length > 0) {
    const subset: Json = {};
    const ready = backends.filter((b) => b.ready);
    const notReady = backends.filter((b) => !b.ready);
    if (ready.length > 0) subset.addresses = ready.map(address);
    if (notReady.length > 0) subset.notReadyAddresses = notReady.map(address);
    subset.ports = s.ports.map((p) => {
      const port: Json = {};
      if (p.name) port.name = p.name;
      port.port = p.endpointPort;
      port.protocol = p.protocol;
      return port;
    });
    object.subsets = [subset];
  }
  return object;
}

/** Endpoints in a Service's slices (what the benchmark counts as "endpoints"). */
export function endpointCount(s: PlannedService): number {
  let n = s.staleEndpoints.length;
  for (const p of s.backends) if (p.ip && p.node) n++;
  return n;
}
