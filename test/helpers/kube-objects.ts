/**
 * Builders for Kubernetes objects shaped as `kubectl get <resource> -A -o json` prints them:
 * full metadata, spec defaults the API server fills in, and status. `kubectlList` serialises
 * a List the way kubectl does (keys sorted, 4-space indent), so line numbers in rule tests
 * are deterministic and can be found with `findLine`.
 */

type Json = Record<string, unknown>;

const CREATED = '2026-11-26T09:12:44Z';
const STARTED = '2026-11-26T09:12:47Z';

/** A stable fake UID for an object, derived from its identity. */
export function uidFor(...parts: string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const ch of parts.join('/')) {
    h1 = Math.imul(h1 ^ ch.charCodeAt(0), 16777619) >>> 0;
    h2 = Math.imul(h2 ^ ch.charCodeAt(0), 2246822507) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function resourceVersion(...parts: string[]): string {
  return String(10000 + (parseInt(uidFor(...parts).slice(0, 6), 16) % 90000));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted: Json = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Json)[key]);
    return sorted;
  }
  return value;
}

/** A kubectl List: what `kubectl get <resource> -A -o json` writes. */
export function kubectlList(items: unknown[]): string {
  return `${JSON.stringify(sortKeys({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }), null, 4)}\n`;
}

/**
 * 1-based line of the last needle, each needle searched after the previous one:
 * `findLine(pods, '"name": "cart-1"', '"waiting"', '"reason"')`.
 */
export function findLine(text: string, ...needles: string[]): number {
  let offset = 0;
  let at = -1;
  for (const needle of needles) {
    at = text.indexOf(needle, offset);
    if (at < 0) throw new Error(`findLine: ${JSON.stringify(needle)} not found after offset ${offset}`);
    offset = at + needle.length;
  }
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

// ---------------------------------------------------------------------------------------------
// Pods

export type ContainerStateSpec =
  | { running: true }
  | { waiting: { reason: string; message?: string } }
  | { terminated: { reason: string; exitCode: number } };

export interface ContainerSpec {
  name: string;
  image?: string;
  ports?: { containerPort: number; name?: string; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  readinessProbe?: boolean;
  /** Default: running and ready (or as the pod's `ready` says). */
  state?: ContainerStateSpec;
  ready?: boolean;
  restartCount?: number;
  lastTerminated?: { reason: string; exitCode: number };
  /** For init containers: `Always` makes a sidecar. */
  restartPolicy?: 'Always';
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  /** Pod IP(s); omit for a pod that has none yet. */
  ip?: string | string[];
  node?: string;
  hostIP?: string;
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** The pod's Ready condition; defaults to every container being ready. */
  ready?: boolean;
  /** Set metadata.deletionTimestamp (the pod is terminating). */
  deleting?: boolean;
  /** Leave the pod Pending with PodScheduled=False and this scheduler message. */
  unschedulable?: string;
  readinessGates?: string[];
  /** Owner kind and name; default a ReplicaSet named after the pod minus its last segment. */
  owner?: { kind: string; name: string };
  hostNetwork?: boolean;
}

function containerJson(c: ContainerSpec, serviceAccountVolume: string, isInit: boolean): Json {
  const json: Json = {
    image: c.image ?? 'nginx:1.27',
    imagePullPolicy: 'IfNotPresent',
    name: c.name,
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: serviceAccountVolume, readOnly: true }],
  };
  if (c.ports) json.ports = c.ports.map((p) => ({ containerPort: p.containerPort, ...(p.name ? { name: p.name } : {}), protocol: p.protocol ?? 'TCP' }));
  if (c.readinessProbe) {
    json.readinessProbe = {
      failureThreshold: 3,
      httpGet: { path: '/healthz', port: c.ports?.[0]?.containerPort ?? 8080, scheme: 'HTTP' },
      periodSeconds: 10,
      successThreshold: 1,
      timeoutSeconds: 1,
    };
  }
  if (isInit && c.restartPolicy) json.restartPolicy = c.restartPolicy;
  return json;
}

function stateJson(state: ContainerStateSpec): Json {
  if ('running' in state) return { running: { startedAt: STARTED } };
  if ('waiting' in state) return { waiting: { ...(state.waiting.message ? { message: state.waiting.message } : {}), reason: state.waiting.reason } };
  return {
    terminated: {
      containerID: 'containerd://4f1c2d9e7a3b',
      exitCode: state.terminated.exitCode,
      finishedAt: '2026-11-26T09:58:02Z',
      reason: state.terminated.reason,
      startedAt: '2026-11-26T09:57:59Z',
    },
  };
}

function containerStatusJson(c: ContainerSpec, podReady: boolean, isInit: boolean): Json {
  const state = c.state ?? (isInit && !c.restartPolicy ? { terminated: { reason: 'Completed', exitCode: 0 } } : { running: true as const });
  const running = 'running' in state;
  const ready = c.ready ?? (isInit ? running : running && podReady);
  const status: Json = {
    image: `docker.io/library/${c.image ?? 'nginx:1.27'}`,
    imageID: 'docker.io/library/nginx@sha256:2ad2c3e1b1f4e3c0d5e1b4e1a7d1f1e2c3b4a5d6e7f8091a2b3c4d5e6f708192',
    lastState: c.lastTerminated ? stateJson({ terminated: c.lastTerminated }) : {},
    name: c.name,
    ready,
    restartCount: c.restartCount ?? 0,
    started: running,
    state: stateJson(state),
  };
  if (!('waiting' in state)) status.containerID = 'containerd://9b2f6c1e5d8a';
  return status;
}

function condition(type: string, status: boolean, reason?: string, message?: string): Json {
  return { lastProbeTime: null, lastTransitionTime: STARTED, ...(message ? { message } : {}), ...(reason ? { reason } : {}), status: status ? 'True' : 'False', type };
}

export function pod(spec: PodSpec): Json {
  const containers = spec.containers ?? [{ name: 'app', ports: [{ containerPort: 8080, name: 'http' }] }];
  const init = spec.initContainers ?? [];
  const volume = `kube-api-access-${uidFor(spec.namespace, spec.name).slice(0, 5)}`;
  const ips = spec.ip === undefined ? [] : Array.isArray(spec.ip) ? spec.ip : [spec.ip];
  const scheduled = spec.unschedulable === undefined;
  const phase = spec.phase ?? (scheduled && ips.length > 0 ? 'Running' : 'Pending');
  const allReady = containers.every((c) => c.ready ?? !(c.state && !('running' in c.state)));
  const ready = spec.ready ?? (phase === 'Running' && allReady);
  const ownerName = spec.owner?.name ?? spec.name.replace(/-[^-]+$/, '');
  const ownerKind = spec.owner?.kind ?? 'ReplicaSet';
  const metadata: Json = {
    creationTimestamp: CREATED,
    generateName: `${ownerName}-`,
    labels: spec.labels ?? {},
    name: spec.name,
    namespace: spec.namespace,
    ownerReferences: [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: ownerKind, name: ownerName, uid: uidFor(spec.namespace, ownerName) }],
    resourceVersion: resourceVersion(spec.namespace, spec.name),
    uid: uidFor(spec.namespace, spec.name),
  };
  if (spec.deleting) {
    metadata.deletionGracePeriodSeconds = 30;
    metadata.deletionTimestamp = '2026-11-26T09:59:30Z';
  }
  const podSpec: Json = {
    containers: containers.map((c) => containerJson(c, volume, false)),
    dnsPolicy: 'ClusterFirst',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    serviceAccount: 'default',
    serviceAccountName: 'default',
    terminationGracePeriodSeconds: 30,
    tolerations: [
      { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
      { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
    ],
    volumes: [
      {
        name: volume,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
          ],
        },
      },
    ],
  };
  if (init.length > 0) podSpec.initContainers = init.map((c) => containerJson(c, volume, true));
  if (spec.hostNetwork) podSpec.hostNetwork = true;
  if (spec.readinessGates) podSpec.readinessGates = spec.readinessGates.map((conditionType) => ({ conditionType }));
  if (scheduled) podSpec.nodeName = spec.node ?? 'node-a';

  let status: Json;
  if (!scheduled) {
    status = {
      conditions: [condition('PodScheduled', false, 'Unschedulable', spec.unschedulable)],
      phase: 'Pending',
      qosClass: 'BestEffort',
    };
  } else {
    const initDone = init.every((c) => {
      const state = c.state ?? (c.restartPolicy ? { running: true } : { terminated: { reason: 'Completed', exitCode: 0 } });
      return c.restartPolicy ? 'running' in state : 'terminated' in state && state.terminated.exitCode === 0;
    });
    const hostIP = spec.hostIP ?? '10.0.0.11';
    status = {
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', initDone, initDone ? undefined : 'ContainersNotInitialized', initDone ? undefined : `containers with incomplete status: [${init.map((c) => c.name).join(' ')}]`),
        condition('Ready', ready, ready ? undefined : 'ContainersNotReady', ready ? undefined : `containers with unready status: [${containers.filter((c) => !(c.ready ?? ready)).map((c) => c.name).join(' ')}]`),
        condition('ContainersReady', allReady, allReady ? undefined : 'ContainersNotReady'),
        condition('PodScheduled', true),
      ],
      containerStatuses: containers.map((c) => containerStatusJson(c, ready, false)),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      phase,
      qosClass: 'BestEffort',
      startTime: CREATED,
    };
    if (init.length > 0) status.initContainerStatuses = init.map((c) => containerStatusJson(c, ready, true));
    if (ips.length > 0) {
      status.podIP = ips[0];
      status.podIPs = ips.map((ip) => ({ ip }));
    }
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec, status };
}

// ---------------------------------------------------------------------------------------------
// Services and endpoints

export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  nodePort?: number;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  selector?: Record<string, string>;
  ports?: ServicePortSpec[];
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  clusterIPs?: string[];
  ipFamilies?: ('IPv4' | 'IPv6')[];
  headless?: boolean;
  publishNotReadyAddresses?: boolean;
  loadBalancerClass?: string;
  loadBalancerIP?: string;
  lbIngress?: string[];
  externalName?: string;
}

function clusterIPFor(namespace: string, name: string): string {
  const n = parseInt(uidFor('svc', namespace, name).slice(0, 4), 16);
  return `10.96.${(n >> 8) & 0xff}.${(n & 0xfe) + 1}`;
}

export function service(spec: ServiceSpec): Json {
  const type = spec.type ?? 'ClusterIP';
  const ports = (spec.ports ?? [{ name: 'http', port: 80, targetPort: 'http' }]).map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    ...(p.nodePort ? { nodePort: p.nodePort } : type === 'NodePort' || type === 'LoadBalancer' ? { nodePort: 30000 + (p.port % 2768) } : {}),
    port: p.port,
    protocol: p.protocol ?? 'TCP',
    targetPort: p.targetPort ?? p.port,
  }));
  const specJson: Json = { ports, sessionAffinity: 'None', type };
  if (type === 'ExternalName') {
    specJson.externalName = spec.externalName ?? 'example.com';
  } else {
    const families = spec.ipFamilies ?? (spec.clusterIPs?.some((ip) => ip.includes(':')) ? ['IPv6'] : ['IPv4']);
    const ips = spec.headless ? ['None'] : (spec.clusterIPs ?? [clusterIPFor(spec.namespace, spec.name)]);
    specJson.clusterIP = ips[0];
    specJson.clusterIPs = ips;
    specJson.internalTrafficPolicy = 'Cluster';
    specJson.ipFamilies = families;
    specJson.ipFamilyPolicy = families.length > 1 ? 'PreferDualStack' : 'SingleStack';
  }
  if (spec.selector) specJson.selector = spec.selector;
  if (spec.publishNotReadyAddresses) specJson.publishNotReadyAddresses = true;
  if (type === 'LoadBalancer' || type === 'NodePort') specJson.externalTrafficPolicy = 'Cluster';
  if (type === 'LoadBalancer') specJson.allocateLoadBalancerNodePorts = true;
  if (spec.loadBalancerClass) specJson.loadBalancerClass = spec.loadBalancerClass;
  if (spec.loadBalancerIP) specJson.loadBalancerIP = spec.loadBalancerIP;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': `{"apiVersion":"v1","kind":"Service","metadata":{"name":"${spec.name}","namespace":"${spec.namespace}"}}\n`,
      },
      creationTimestamp: CREATED,
      labels: { app: spec.name },
      name: spec.name,
      namespace: spec.namespace,
      resourceVersion: resourceVersion('svc', spec.namespace, spec.name),
      uid: uidFor('svc', spec.namespace, spec.name),
    },
    spec: specJson,
    status: { loadBalancer: spec.lbIngress ? { ingress: spec.lbIngress.map((ip) => ({ ip, ipMode: 'VIP' })) } : {} },
  };
}

export interface SliceEndpointSpec {
  ip: string | string[];
  /** Pod name for targetRef; omitted for endpoints without one. */
  pod?: string;
  /** Defaults to the uid `pod()` gives a pod of that name. */
  podUid?: string;
  node?: string;
  ready?: boolean | null;
  serving?: boolean;
  terminating?: boolean;
}

export interface SliceSpec {
  namespace: string;
  service: string;
  /** Default `<service>-<5 chars>`. */
  name?: string;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  ports?: { name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  endpoints: SliceEndpointSpec[];
  managedBy?: string;
}

export function endpointSlice(spec: SliceSpec): Json {
  const name = spec.name ?? `${spec.service}-${uidFor('slice', spec.namespace, spec.service, spec.addressType ?? 'IPv4').slice(0, 5)}`;
  return {
    addressType: spec.addressType ?? 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints:
      spec.endpoints.length === 0
        ? null
        : spec.endpoints.map((e) => {
            const conditions: Json = {};
            if (e.ready !== null) conditions.ready = e.ready ?? true;
            conditions.serving = e.serving ?? e.ready ?? true;
            conditions.terminating = e.terminating ?? false;
            return {
              addresses: Array.isArray(e.ip) ? e.ip : [e.ip],
              conditions,
              ...(e.node !== undefined ? { nodeName: e.node } : { nodeName: 'node-a' }),
              ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: spec.namespace, uid: e.podUid ?? uidFor(spec.namespace, e.pod) } } : {}),
            };
          }),
    kind: 'EndpointSlice',
    metadata: {
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-26T09:12:48Z' },
      creationTimestamp: CREATED,
      generateName: `${spec.service}-`,
      generation: 3,
      labels: {
        'endpointslice.kubernetes.io/managed-by': spec.managedBy ?? 'endpointslice-controller.k8s.io',
        'kubernetes.io/service-name': spec.service,
      },
      name,
      namespace: spec.namespace,
      ownerReferences: [{ apiVersion: 'v1', blockOwnerDeletion: true, controller: true, kind: 'Service', name: spec.service, uid: uidFor('svc', spec.namespace, spec.service) }],
      resourceVersion: resourceVersion('slice', spec.namespace, name),
      uid: uidFor('slice', spec.namespace, name),
    },
    ports: (spec.ports ?? [{ name: 'http', port: 8080 }]).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

export interface EndpointsAddressSpec {
  ip: string;
  pod?: string;
  node?: string;
}

export function endpoints(spec: {
  namespace: string;
  name: string;
  addresses?: EndpointsAddressSpec[];
  notReadyAddresses?: EndpointsAddressSpec[];
  ports?: { name?: string; port: number; protocol?: 'TCP' | 'UDP' }[];
}): Json {
  const address = (a: EndpointsAddressSpec) => ({
    ip: a.ip,
    nodeName: a.node ?? 'node-a',
    ...(a.pod ? { targetRef: { kind: 'Pod', name: a.pod, namespace: spec.namespace, uid: uidFor(spec.namespace, a.pod) } } : {}),
  });
  const subset: Json = { ports: (spec.ports ?? [{ name: 'http', port: 8080 }]).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })) };
  if (spec.addresses?.length) subset.addresses = spec.addresses.map(address);
  if (spec.notReadyAddresses?.length) subset.notReadyAddresses = spec.notReadyAddresses.map(address);
  const hasAddresses = !!(spec.addresses?.length || spec.notReadyAddresses?.length);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-26T09:12:48Z' },
      creationTimestamp: CREATED,
      labels: { app: spec.name },
      name: spec.name,
      namespace: spec.namespace,
      resourceVersion: resourceVersion('ep', spec.namespace, spec.name),
      uid: uidFor('ep', spec.namespace, spec.name),
    },
    ...(hasAddresses ? { subsets: [subset] } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Ingress, nodes, events

export interface IngressBackendSpec {
  service: string;
  port: number | string;
}

export function ingress(spec: {
  namespace: string;
  name: string;
  className?: string;
  classAnnotation?: string;
  defaultBackend?: IngressBackendSpec;
  rules?: { host?: string; paths: { path: string; backend: IngressBackendSpec }[] }[];
  lbIngress?: string[];
}): Json {
  const backend = (b: IngressBackendSpec) => ({ service: { name: b.service, port: typeof b.port === 'number' ? { number: b.port } : { name: b.port } } });
  const specJson: Json = {};
  if (spec.className) specJson.ingressClassName = spec.className;
  if (spec.defaultBackend) specJson.defaultBackend = backend(spec.defaultBackend);
  if (spec.rules) {
    specJson.rules = spec.rules.map((r) => ({
      ...(r.host ? { host: r.host } : {}),
      http: { paths: r.paths.map((p) => ({ backend: backend(p.backend), path: p.path, pathType: 'Prefix' })) },
    }));
  }
  const annotations: Record<string, string> = { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' };
  if (spec.classAnnotation) annotations['kubernetes.io/ingress.class'] = spec.classAnnotation;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      annotations,
      creationTimestamp: CREATED,
      generation: 1,
      name: spec.name,
      namespace: spec.namespace,
      resourceVersion: resourceVersion('ing', spec.namespace, spec.name),
      uid: uidFor('ing', spec.namespace, spec.name),
    },
    spec: specJson,
    status: { loadBalancer: spec.lbIngress ? { ingress: spec.lbIngress.map((ip) => ({ ip })) } : {} },
  };
}

export function ingressClass(spec: { name: string; controller: string; isDefault?: boolean }): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      ...(spec.isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
      creationTimestamp: CREATED,
      generation: 1,
      labels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/name': spec.name },
      name: spec.name,
      resourceVersion: resourceVersion('ingressclass', spec.name),
      uid: uidFor('ingressclass', spec.name),
    },
    spec: { controller: spec.controller },
  };
}

export function node(spec: { name: string; ip: string; podCIDR?: string; providerID?: string }): Json {
  const specJson: Json = { podCIDR: spec.podCIDR ?? '10.244.0.0/24', podCIDRs: [spec.podCIDR ?? '10.244.0.0/24'] };
  if (spec.providerID) specJson.providerID = spec.providerID;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      creationTimestamp: '2026-11-01T08:00:00Z',
      labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': spec.name, 'kubernetes.io/os': 'linux' },
      name: spec.name,
      resourceVersion: resourceVersion('node', spec.name),
      uid: uidFor('node', spec.name),
    },
    spec: specJson,
    status: {
      addresses: [
        { address: spec.ip, type: 'InternalIP' },
        { address: spec.name, type: 'Hostname' },
      ],
      conditions: [{ lastHeartbeatTime: '2026-11-26T09:59:00Z', lastTransitionTime: '2026-11-01T08:01:00Z', message: 'kubelet is posting ready status', reason: 'KubeletReady', status: 'True', type: 'Ready' }],
      nodeInfo: { containerRuntimeVersion: 'containerd://1.7.22', kernelVersion: '6.8.0-45-generic', kubeProxyVersion: 'v1.31.2', kubeletVersion: 'v1.31.2', osImage: 'Ubuntu 24.04.1 LTS' },
    },
  };
}

export function event(spec: { namespace: string; kind: string; name: string; reason: string; message: string; type?: 'Warning' | 'Normal'; count?: number }): Json {
  const name = `${spec.name}.${uidFor('event', spec.namespace, spec.name, spec.reason).slice(0, 16).replace(/-/g, '')}`;
  return {
    apiVersion: 'v1',
    count: spec.count ?? 1,
    eventTime: null,
    firstTimestamp: '2026-11-26T09:13:00Z',
    involvedObject: { apiVersion: 'v1', kind: spec.kind, name: spec.name, namespace: spec.namespace, uid: uidFor(spec.namespace, spec.name) },
    kind: 'Event',
    lastTimestamp: '2026-11-26T09:58:00Z',
    message: spec.message,
    metadata: { creationTimestamp: '2026-11-26T09:13:00Z', name, namespace: spec.namespace, resourceVersion: resourceVersion('event', name), uid: uidFor('event', name) },
    reason: spec.reason,
    reportingComponent: 'kubelet',
    reportingInstance: 'node-a',
    source: { component: 'kubelet', host: 'node-a' },
    type: spec.type ?? 'Warning',
  };
}
