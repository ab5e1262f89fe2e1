/**
 * The Kubernetes model with its indexes, built once in O(objects). Label look-ups use an
 * inverted index per namespace (label key → value → pods), made the first time a namespace
 * is queried, so a Service selector costs the size of its rarest label's posting list rather
 * than the number of pods (10,000 Services × 100,000 pods stays fast).
 */
import { matchesEquality, matchesRequirement } from './label-selector.js';
import type {
  ConfigMap,
  EndpointSlice,
  Endpoints,
  Ingress,
  IngressClass,
  KubeEvent,
  KubeModel,
  LabelSelector,
  Namespace,
  NetworkPolicy,
  Node,
  Pod,
  ResourceFiles,
  Service,
  Workload,
} from './types.js';

export interface KubeEntities {
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
}

export interface KubeModelFacts {
  collected: ReadonlyMap<string, ResourceFiles>;
  clusterDomain: string;
  serverVersion?: string;
}

/** label key → label value → pods carrying it, in input order. */
type LabelIndex = Map<string, Map<string, Pod[]>>;

const NONE: readonly never[] = Object.freeze([]);

/** Assembles the model from entities (missing lists are empty) and indexes them. */
export function createKubeModel(entities: Partial<KubeEntities>, facts: KubeModelFacts): KubeModel {
  const all: KubeEntities = {
    namespaces: entities.namespaces ?? [],
    nodes: entities.nodes ?? [],
    pods: entities.pods ?? [],
    services: entities.services ?? [],
    endpointSlices: entities.endpointSlices ?? [],
    endpoints: entities.endpoints ?? [],
    networkPolicies: entities.networkPolicies ?? [],
    ingresses: entities.ingresses ?? [],
    ingressClasses: entities.ingressClasses ?? [],
    configMaps: entities.configMaps ?? [],
    daemonSets: entities.daemonSets ?? [],
    deployments: entities.deployments ?? [],
    events: entities.events ?? [],
  };

  const namespacesByName = byName(all.namespaces);
  const nodesByName = byName(all.nodes);
  const podsByName = byNamespacedName(all.pods);
  const servicesByName = byNamespacedName(all.services);
  const endpointsByName = byNamespacedName(all.endpoints);
  const configMapsByName = byNamespacedName(all.configMaps);
  const podsByNamespace = groupBy(all.pods, (pod) => pod.namespace);
  const servicesByNamespace = groupBy(all.services, (service) => service.namespace);

  // A finished pod (Succeeded, Failed) keeps its IP in status after the IP went back to the
  // pool, so a running pod may share it: pods that can still own an IP come first.
  const podsByIP = new Map<string, Pod[]>();
  for (const finished of [false, true]) {
    for (const pod of all.pods) {
      if (isFinished(pod) !== finished) continue;
      for (const ip of pod.podIPs) push(podsByIP, ip, pod);
    }
  }
  const servicesByClusterIP = new Map<string, Service>();
  for (const service of all.services) {
    for (const ip of service.clusterIPs) if (!servicesByClusterIP.has(ip)) servicesByClusterIP.set(ip, service);
  }
  // namespace → service name → slices, from the kubernetes.io/service-name label.
  const slicesByService = new Map<string, Map<string, EndpointSlice[]>>();
  for (const slice of all.endpointSlices) {
    if (slice.serviceName === undefined) continue;
    let byService = slicesByService.get(slice.namespace);
    if (!byService) slicesByService.set(slice.namespace, (byService = new Map()));
    push(byService, slice.serviceName, slice);
  }

  const labelIndexes = new Map<string, LabelIndex>();
  const labelIndex = (namespace: string): LabelIndex => {
    let index = labelIndexes.get(namespace);
    if (index) return index;
    index = new Map();
    for (const pod of podsByNamespace.get(namespace) ?? NONE) {
      const labels = pod.labels;
      for (const key in labels) {
        let byValue = index.get(key);
        if (!byValue) index.set(key, (byValue = new Map()));
        push(byValue, labels[key]!, pod);
      }
    }
    labelIndexes.set(namespace, index);
    return index;
  };

  const podsMatching = (namespace: string, selector: Readonly<Record<string, string>>): Pod[] => {
    const index = labelIndex(namespace);
    let smallest: Pod[] | undefined;
    let requirements = 0;
    for (const key in selector) {
      requirements++;
      const postings = index.get(key)?.get(selector[key]!);
      if (!postings) return [];
      if (!smallest || postings.length < smallest.length) smallest = postings;
    }
    // An empty Service selector selects nothing (label-selector.ts).
    if (!smallest) return [];
    if (requirements === 1) return smallest.slice();
    // Intersecting with the other posting lists is checking the other labels of these pods.
    return smallest.filter((pod) => matchesEquality(pod.labels, selector));
  };

  const podsOfServices = new Map<Service, Pod[]>();

  const podsSelectedBy = (namespace: string, selector: LabelSelector): Pod[] => {
    if (!selector) return [];
    const matchLabels = selector.matchLabels;
    const indexed = matchLabels !== undefined && Object.keys(matchLabels).length > 0;
    const candidates: readonly Pod[] = indexed ? podsMatching(namespace, matchLabels) : (podsByNamespace.get(namespace) ?? NONE);
    const expressions = selector.matchExpressions ?? NONE;
    // podsMatching already returned a fresh array; the namespace's own list must not leak.
    if (expressions.length === 0) return indexed ? (candidates as Pod[]) : candidates.slice();
    return candidates.filter((pod) => expressions.every((requirement) => matchesRequirement(pod.labels, requirement)));
  };

  return {
    ...all,
    collected: facts.collected,
    clusterDomain: facts.clusterDomain,
    ...(facts.serverVersion !== undefined ? { serverVersion: facts.serverVersion } : {}),
    namespace: (name) => namespacesByName.get(name),
    node: (name) => nodesByName.get(name),
    pod: (namespace, name) => podsByName.get(namespace)?.get(name),
    service: (namespace, name) => servicesByName.get(namespace)?.get(name),
    podsInNamespace: (namespace) => podsByNamespace.get(namespace) ?? NONE,
    podsMatching,
    podsSelectedBy,
    podsByIP: (ip) => podsByIP.get(ip) ?? NONE,
    serviceByClusterIP: (ip) => servicesByClusterIP.get(ip),
    slicesOf: (service) => slicesByService.get(service.namespace)?.get(service.name) ?? NONE,
    endpointsOf: (service) => endpointsByName.get(service.namespace)?.get(service.name),
    podsOfService: (service) => {
      if (!service.selector) return [];
      // Several rules ask for every Service's pods: match once, hand out copies.
      let pods = podsOfServices.get(service);
      if (!pods) podsOfServices.set(service, (pods = podsMatching(service.namespace, service.selector)));
      return pods.slice();
    },
    servicesInNamespace: (namespace) => servicesByNamespace.get(namespace) ?? NONE,
    configMap: (namespace, name) => configMapsByName.get(namespace)?.get(name),
  };
}

function isFinished(pod: Pod): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

function byName<T extends { name: string }>(objects: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const object of objects) if (!map.has(object.name)) map.set(object.name, object);
  return map;
}

function byNamespacedName<T extends { namespace: string; name: string }>(objects: readonly T[]): Map<string, Map<string, T>> {
  const map = new Map<string, Map<string, T>>();
  for (const object of objects) {
    let names = map.get(object.namespace);
    if (!names) map.set(object.namespace, (names = new Map()));
    if (!names.has(object.name)) names.set(object.name, object);
  }
  return map;
}

function groupBy<T>(objects: readonly T[], keyOf: (object: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const object of objects) push(map, keyOf(object), object);
  return map;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
