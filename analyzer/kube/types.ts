/**
 * The Kubernetes part of the model: typed views of the API objects that networking depends on,
 * each keeping where it came from. Raw objects are kept too (`raw`) for engines that need
 * fields not lifted here (the policy engine reads NetworkPolicy specs from `raw`), except for
 * pods: they are too many (see Pod).
 */
import type { Evidence } from '../bundle/source-file.js';

/** Where an object sits in the bundle. */
export interface ObjectSource {
  file: string;
  /** 1-based line where the object starts. */
  line: number;
  /**
   * Evidence for a field of this object, by a dotted path with optional indexes
   * (`spec.selector`, `spec.ports[1].targetPort`, `metadata.labels.app`). When the field is
   * not found, the nearest existing ancestor's line is used (at worst the object's start).
   */
  at(path?: string, note?: string): Evidence;
}

export type Labels = Readonly<Record<string, string>>;

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

/** metav1.LabelSelector. `undefined` selectors and `{}` differ: see label-selector.ts. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ObjectMeta {
  /** `Kind/namespace/name` or `Kind/name` for cluster-scoped objects (report-format.md). */
  ref: string;
  kind: string;
  namespace: string; // '' for cluster-scoped objects
  name: string;
  uid: string;
  labels: Labels;
  annotations: Labels;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences: { kind: string; name: string; uid?: string; controller?: boolean }[];
  source: ObjectSource;
  raw: any;
}

export interface Namespace extends ObjectMeta {
  phase?: string;
}

export interface NodeAddress {
  type: string; // InternalIP, ExternalIP, Hostname, InternalDNS...
  address: string;
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface Node extends ObjectMeta {
  podCIDRs: string[];
  addresses: NodeAddress[];
  /** InternalIP and ExternalIP addresses. */
  ips: string[];
  conditions: NodeCondition[];
  ready: boolean;
  unschedulable: boolean;
  taints: { key: string; value?: string; effect: string }[];
  kubeletVersion?: string;
  kubeProxyVersion?: string;
  osImage?: string;
  kernelVersion?: string;
  containerRuntimeVersion?: string;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: Protocol;
  hostPort?: number;
}

/** An environment variable of a container. */
export interface EnvVar {
  name: string;
  /** The literal value; undefined for `valueFrom` (a Secret, a field...). */
  value?: string;
}

export interface Container {
  name: string;
  image: string;
  /** The entrypoint and its arguments as written, in order (non-strings as their text). */
  command: readonly string[];
  args: readonly string[];
  /** In spec order, so that `env[i]` is the object's `env[i]`. */
  env: readonly EnvVar[];
  ports: ContainerPort[];
  init: boolean;
  /** `Always` makes an init container a sidecar. */
  restartPolicy?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  hasReadinessProbe: boolean;
}

export type ContainerStateKind = 'waiting' | 'running' | 'terminated' | 'unknown';

export interface ContainerState {
  kind: ContainerStateKind;
  reason?: string;
  message?: string;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState;
  image?: string;
  /** Index in status.containerStatuses (or initContainerStatuses), for evidence paths. */
  index: number;
  init: boolean;
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * A pod keeps no raw object: clusters have 100,000 pods, whose kubectl objects would stay
 * alive (about 460 MB) for a few fields. What rules read is lifted here.
 */
export interface Pod extends ObjectMeta {
  raw: undefined;
  nodeName?: string;
  hostNetwork: boolean;
  /** status.podIPs (falls back to status.podIP), IPv4 and IPv6. */
  podIPs: string[];
  /** status.podIPs is a list, so `podIPs[i]` is at `status.podIPs[i].ip` (else at status.podIP). */
  podIPsListed: boolean;
  hostIP?: string;
  phase?: string;
  /** The Ready condition is True. */
  ready: boolean;
  /** In status order, so that `conditions[i]` is at `status.conditions[i]`. */
  conditions: PodCondition[];
  /** spec.readinessGates' condition types. */
  readinessGates: string[];
  containers: Container[];
  initContainers: Container[];
  containerStatuses: ContainerStatus[];
  initContainerStatuses: ContainerStatus[];
  serviceAccountName?: string;
  dnsPolicy?: string;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
  terminating: boolean;
}

export interface ServicePort {
  name: string; // '' when unnamed
  protocol: Protocol;
  port: number;
  /** Number or name; defaults to `port` when absent in the object. */
  targetPort: number | string;
  nodePort?: number;
  appProtocol?: string;
  /** Index in spec.ports, for evidence paths. */
  index: number;
}

export interface Service extends ObjectMeta {
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName' | string;
  /** spec.clusterIPs (falls back to spec.clusterIP); empty for headless / ExternalName. */
  clusterIPs: string[];
  headless: boolean;
  ports: ServicePort[];
  /** undefined when the Service has no selector (endpoints managed by hand). */
  selector?: Record<string, string>;
  externalTrafficPolicy?: 'Cluster' | 'Local' | string;
  internalTrafficPolicy?: 'Cluster' | 'Local' | string;
  healthCheckNodePort?: number;
  externalIPs: string[];
  loadBalancerIP?: string;
  loadBalancerSourceRanges: string[];
  loadBalancerClass?: string;
  /** status.loadBalancer.ingress IPs or hostnames. */
  lbIngress: string[];
  sessionAffinity?: 'None' | 'ClientIP' | string;
  sessionAffinityTimeoutSeconds?: number;
  externalName?: string;
  ipFamilies: string[];
  ipFamilyPolicy?: string;
  publishNotReadyAddresses: boolean;
}

export interface EndpointConditions {
  /** `ready: nil` counts as ready (semantics.md a). */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: EndpointConditions;
  nodeName?: string;
  zone?: string;
  hostname?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
  /** Index in `endpoints`, for evidence paths. */
  index: number;
}

export interface SlicePort {
  name: string; // '' when unnamed
  port?: number;
  protocol: Protocol;
  appProtocol?: string;
}

export interface EndpointSlice extends ObjectMeta {
  /** Label kubernetes.io/service-name. */
  serviceName?: string;
  addressType: 'IPv4' | 'IPv6' | 'FQDN' | string;
  ports: SlicePort[];
  endpoints: SliceEndpoint[];
  /** Label endpointslice.kubernetes.io/managed-by. */
  managedBy?: string;
}

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  hostname?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
  ready: boolean;
}

/** core/v1 Endpoints, flattened from its subsets. */
export interface Endpoints extends ObjectMeta {
  subsets: { addresses: EndpointAddress[]; ports: SlicePort[]; index: number }[];
}

export interface NetworkPolicy extends ObjectMeta {
  podSelector: LabelSelector;
  /** As written; `effectivePolicyTypes` applies the API server's defaulting. */
  policyTypes?: string[];
  effectivePolicyTypes: ('Ingress' | 'Egress')[];
  ingress?: any[];
  egress?: any[];
}

export interface IngressBackendRef {
  service?: { name: string; port?: { number?: number; name?: string } };
  resource?: { apiGroup?: string; kind: string; name: string };
  /** Dotted path of this backend inside the Ingress, for evidence. */
  path: string;
}

export interface IngressPath {
  path?: string;
  pathType?: string;
  backend: IngressBackendRef;
}

export interface IngressRule {
  host?: string;
  paths: IngressPath[];
}

export interface Ingress extends ObjectMeta {
  /** spec.ingressClassName, else the kubernetes.io/ingress.class annotation. */
  className?: string;
  classFrom: 'spec' | 'annotation' | 'none';
  defaultBackend?: IngressBackendRef;
  rules: IngressRule[];
  tls: { hosts: string[]; secretName?: string }[];
  lbIngress: string[];
}

export interface IngressClass extends ObjectMeta {
  controller: string;
  isDefault: boolean;
}

export interface ConfigMap extends ObjectMeta {
  data: Record<string, string>;
}

export interface Workload extends ObjectMeta {
  /** DaemonSet, Deployment, StatefulSet... */
  selector?: LabelSelector;
  containers: Container[];
  desired?: number;
  ready?: number;
  available?: number;
}

export interface KubeEvent extends ObjectMeta {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind: string; namespace?: string; name: string };
  count?: number;
  lastTimestamp?: string;
}

/** A kubectl List file as read: which resource, which file(s). */
export interface ResourceFiles {
  resource: string;
  files: string[];
}

export interface KubeModel {
  namespaces: Namespace[];
  nodes: Node[];
  pods: Pod[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  endpoints: Endpoints[];
  networkPolicies: NetworkPolicy[];
  ingresses: Ingress[];
  ingressClasses: IngressClass[];
  configMaps: ConfigMap[];
  daemonSets: Workload[];
  deployments: Workload[];
  events: KubeEvent[];
  /** Which resources were present in the bundle (even if empty), and from which files. */
  collected: ReadonlyMap<string, ResourceFiles>;
  /** Cluster domain (manifest hint, CoreDNS Corefile, or 'cluster.local'). */
  clusterDomain: string;
  serverVersion?: string;

  // ---- indexes (built once) ----
  namespace(name: string): Namespace | undefined;
  node(name: string): Node | undefined;
  pod(namespace: string, name: string): Pod | undefined;
  service(namespace: string, name: string): Service | undefined;
  podsInNamespace(namespace: string): readonly Pod[];
  /** Pods of `namespace` whose labels match a Service-style equality selector (indexed). */
  podsMatching(namespace: string, selector: Record<string, string>): Pod[];
  /** Pods of `namespace` matching a metav1.LabelSelector (indexed on matchLabels). */
  podsSelectedBy(namespace: string, selector: LabelSelector): Pod[];
  /** Pods owning an IP (several when a hostNetwork pod shares the node IP). */
  podsByIP(ip: string): readonly Pod[];
  /** Services with this ClusterIP. */
  serviceByClusterIP(ip: string): Service | undefined;
  slicesOf(service: Service): readonly EndpointSlice[];
  endpointsOf(service: Service): Endpoints | undefined;
  /** Pods a Service's selector matches (empty for selector-less Services). */
  podsOfService(service: Service): Pod[];
  servicesInNamespace(namespace: string): readonly Service[];
  configMap(namespace: string, name: string): ConfigMap | undefined;
}
