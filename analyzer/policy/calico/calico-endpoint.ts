/**
 * What Calico knows about the two ends of a flow: the labelled resources behind an IP.
 *
 * - A pod is a workload endpoint whose labels are the pod's plus those Calico adds
 *   (`projectcalico.org/namespace`, `/orchestrator`, `/serviceaccount`) and those inherited from
 *   its namespace and service-account profiles (`pcns.<key>`, `pcsa.<key>`).
 * - A node address may be a host endpoint (HostEndpoint with the IP in `expectedIPs`).
 * - Any IP may also lie in network sets (NetworkSet, GlobalNetworkSet): a rule selector that
 *   matches a set matches every address in it, pod IPs included (Calico's IP sets hold the CIDRs).
 */
import type { Labels, Namespace, Pod } from '../../kube/types.js';
import { cidrContains, parseIpAddress, type IpAddress } from '../../netfilter/ip-cidr.js';
import type { FlowEndpoint } from '../policy-types.js';
import type { CalicoHostEndpoint, CalicoNetworkSet, CalicoResources } from './calico-types.js';

export interface CalicoEntity {
  kind: 'workload' | 'host' | 'networkset';
  ref: string;
  /** '' for non-namespaced resources (host endpoints, global network sets). */
  namespace: string;
  labels: Labels;
  pod?: Pod;
  hostEndpoint?: CalicoHostEndpoint;
}

/** One end of a flow with its parsed address and the Calico resources it belongs to. */
export interface CalicoEndpointView {
  endpoint: FlowEndpoint;
  address: IpAddress | undefined;
  entities: CalicoEntity[];
  /** The labelled endpoint itself (workload or host endpoint), when there is one. */
  own: CalicoEntity | undefined;
  /** How to name it in reasons: `pod x/a (10.0.1.5)`, `node n1 (192.168.0.2)`, `1.2.3.4`. */
  label: string;
}

export type NamespaceLookup = (name: string) => Namespace | undefined;

const workloadLabelCache = new WeakMap<Pod, Labels>();

/** The labels a pod's workload endpoint carries in Calico. */
export function workloadLabels(pod: Pod, namespaceOf: NamespaceLookup): Labels {
  let labels = workloadLabelCache.get(pod);
  if (labels) return labels;
  const serviceAccount = pod.serviceAccountName ?? 'default';
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(namespaceOf(pod.namespace)?.labels ?? {})) out[`pcns.${key}`] = value;
  out['pcns.projectcalico.org/name'] = pod.namespace;
  out['pcsa.projectcalico.org/name'] = serviceAccount;
  Object.assign(out, pod.labels);
  out['projectcalico.org/namespace'] = pod.namespace;
  out['projectcalico.org/orchestrator'] = 'k8s';
  out['projectcalico.org/serviceaccount'] = serviceAccount;
  labels = out;
  workloadLabelCache.set(pod, labels);
  return labels;
}

const namespaceLabelCache = new WeakMap<Namespace, Labels>();

/** A namespace's labels as namespaceSelectors see them (plus `projectcalico.org/name`). */
export function calicoNamespaceLabels(name: string, namespaceOf: NamespaceLookup): Labels {
  const namespace = namespaceOf(name);
  if (!namespace) return { 'projectcalico.org/name': name };
  let labels = namespaceLabelCache.get(namespace);
  if (!labels) namespaceLabelCache.set(namespace, (labels = { ...namespace.labels, 'projectcalico.org/name': name }));
  return labels;
}

/** The labels a service account presents to serviceAccountSelectors (its objects are not collected). */
export function serviceAccountLabels(name: string): Labels {
  return { 'projectcalico.org/name': name };
}

function networkSetsContaining(address: IpAddress | undefined, sets: readonly CalicoNetworkSet[]): CalicoEntity[] {
  if (!address) return [];
  const out: CalicoEntity[] = [];
  for (const set of sets) {
    if (set.nets.some((net) => cidrContains(net, address))) {
      out.push({ kind: 'networkset', ref: set.ref, namespace: set.namespace, labels: set.labels });
    }
  }
  return out;
}

/** The host endpoint that owns a node address (by expectedIPs), if any. */
export function hostEndpointFor(nodeName: string | undefined, ip: string, hostEndpoints: readonly CalicoHostEndpoint[]): CalicoHostEndpoint | undefined {
  return (
    hostEndpoints.find((hep) => hep.expectedIPs.includes(ip)) ??
    (nodeName !== undefined ? hostEndpoints.find((hep) => hep.node === nodeName && hep.interfaceName === '*') : undefined)
  );
}

export function endpointView(endpoint: FlowEndpoint, resources: CalicoResources, namespaceOf: NamespaceLookup): CalicoEndpointView {
  const address = parseIpAddress(endpoint.ip);
  const entities: CalicoEntity[] = [];
  let own: CalicoEntity | undefined;
  let label: string;
  if (endpoint.kind === 'pod') {
    const pod = endpoint.pod;
    own = { kind: 'workload', ref: pod.ref, namespace: pod.namespace, labels: workloadLabels(pod, namespaceOf), pod };
    label = `pod ${pod.namespace}/${pod.name} (${endpoint.ip})`;
  } else if (endpoint.kind === 'node') {
    const hostEndpoint = hostEndpointFor(endpoint.node?.name, endpoint.ip, resources.hostEndpoints);
    if (hostEndpoint) own = { kind: 'host', ref: hostEndpoint.ref, namespace: '', labels: hostEndpoint.labels, hostEndpoint };
    label = `node ${endpoint.node?.name ?? '?'} (${endpoint.ip})`;
  } else {
    label = endpoint.ip;
  }
  if (own) entities.push(own);
  entities.push(...networkSetsContaining(address, resources.networkSets));
  return { endpoint, address, entities, own, label };
}
