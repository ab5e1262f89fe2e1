/**
 * The inputs rules declare. A rule whose required input is absent from the bundle is not run:
 * coverage says "not collected" and names the files that would have held it.
 */
import type { AnalysisModel } from './analysis-model.js';

export interface InputSpec {
  id: string;
  /** Bundle paths that hold this input, as a user would look for them. */
  paths: string;
  isCollected(model: AnalysisModel): boolean;
}

/** A kubectl resource under cluster/ (`<resource>.json|yaml` or `<resource>/<ns>.json`). */
export function clusterResource(resource: string): InputSpec {
  return {
    id: resource,
    paths: `cluster/${resource}.json`,
    isCollected: (model) => model.kube.collected.has(resource),
  };
}

/** Any of several inputs (EndpointSlices or, on old clusters, Endpoints). */
export function anyOf(id: string, ...specs: InputSpec[]): InputSpec {
  return {
    id,
    paths: specs.map((s) => s.paths).join(' or '),
    isCollected: (model) => specs.some((s) => s.isCollected(model)),
  };
}

/** A per-node file (`nodes/<node>/<file>`), collected when at least one node has it. */
export function nodeFile(file: string): InputSpec {
  return {
    id: `nodes/*/${file}`,
    paths: `nodes/*/${file}`,
    isCollected: (model) => model.bundle.nodeNames().some((n) => model.bundle.has(`nodes/${n}/${file}`)),
  };
}

/** One file of the bundle (`hubble/flows.json`). */
export function bundleFile(path: string): InputSpec {
  return {
    id: path,
    paths: path,
    isCollected: (model) => model.bundle.has(path),
  };
}

/** Any file under a bundle folder. */
export function bundleFolder(prefix: string): InputSpec {
  return {
    id: prefix,
    paths: `${prefix}*`,
    isCollected: (model) => model.bundle.list(prefix).length > 0,
  };
}

export const inputs = {
  pods: clusterResource('pods'),
  services: clusterResource('services'),
  nodes: clusterResource('nodes'),
  namespaces: clusterResource('namespaces'),
  endpointSlices: clusterResource('endpointslices'),
  endpoints: clusterResource('endpoints'),
  serviceEndpoints: anyOf('endpointslices|endpoints', clusterResource('endpointslices'), clusterResource('endpoints')),
  networkPolicies: clusterResource('networkpolicies'),
  ingresses: clusterResource('ingresses'),
  ingressClasses: clusterResource('ingressclasses'),
  configMaps: clusterResource('configmaps'),
  /** Calico policy resources (`cluster/calico/<resource>.json`). */
  calicoResources: bundleFolder('cluster/calico/'),
  /** CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies (`cluster/cilium/<resource>.json`). */
  ciliumResources: bundleFolder('cluster/cilium/'),
  /** `hubble observe -o json`, one flow a line. */
  hubbleFlows: bundleFile('hubble/flows.json'),
  /** A capture of `cilium monitor --type drop` on a node. */
  ciliumMonitorDrops: nodeFile('cilium/monitor-drop.txt'),
  /** Active tests the collector ran on request (TCP connects, DNS look-ups). */
  probes: bundleFile('probes/probes.json'),
  daemonSets: clusterResource('daemonsets'),
  deployments: clusterResource('deployments'),
  events: clusterResource('events'),
  manifest: {
    id: 'manifest',
    paths: 'manifest.json',
    isCollected: (model: AnalysisModel) => model.bundle.manifest !== undefined,
  } satisfies InputSpec,
  /** Always available: the bundle itself. */
  bundle: { id: 'bundle', paths: '(the bundle)', isCollected: () => true } satisfies InputSpec,
} as const;
