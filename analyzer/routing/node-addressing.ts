/**
 * Addresses the cross-node checks reason with: each node's InternalIP and podCIDRs (parsed),
 * a pod address to stand for each node's pods, and which local interface holds or neighbours an
 * address.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Node } from '../kube/types.js';
import { cidrContains, formatIpAddress, parseCidr, parseIpAddress, type Cidr, type IpAddress } from '../netfilter/ip-cidr.js';
import type { NodeInterface, NodeRouting } from './node-routing.js';

export interface PodCidrOf {
  text: string;
  cidr: Cidr & { prefix: number };
  /** spec.podCIDRs[i] of the Node object. */
  evidence: Evidence;
}

export interface NodeAddressing {
  name: string;
  node?: Node;
  internalIP?: IpAddress;
  podCidrs: PodCidrOf[];
  /** Addresses of the node's running, non-hostNetwork pods, IPv4 first. */
  podIPs: IpAddress[];
}

export const NODE_ADDRESSING_FACET = 'routing/node-addressing';

export interface ClusterAddressing {
  nodes: NodeAddressing[];
  node(name: string): NodeAddressing | undefined;
}

export function clusterAddressing(model: AnalysisModel): ClusterAddressing {
  return model.facet(NODE_ADDRESSING_FACET, build);
}

function build(model: AnalysisModel): ClusterAddressing {
  const byName = new Map<string, NodeAddressing>();
  for (const node of model.kube.nodes) {
    const internal = node.addresses.find((a) => a.type === 'InternalIP')?.address;
    const entry: NodeAddressing = { name: node.name, node, podCidrs: [], podIPs: [] };
    const ip = internal === undefined ? undefined : parseIpAddress(internal);
    if (ip) entry.internalIP = ip;
    const listed = Array.isArray(node.raw?.spec?.podCIDRs);
    node.podCIDRs.forEach((text, i) => {
      const cidr = parseCidr(text);
      if (!cidr || cidr.prefix === undefined) return;
      entry.podCidrs.push({ text, cidr: cidr as Cidr & { prefix: number }, evidence: node.source.at(listed ? `spec.podCIDRs[${i}]` : 'spec.podCIDR', `${node.name} podCIDR ${text}`) });
    });
    byName.set(node.name, entry);
  }
  for (const pod of model.kube.pods) {
    if (pod.hostNetwork || pod.nodeName === undefined || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    const entry = byName.get(pod.nodeName);
    if (!entry) continue;
    for (const text of pod.podIPs) {
      const ip = parseIpAddress(text);
      if (ip) entry.podIPs.push(ip);
    }
  }
  for (const entry of byName.values()) entry.podIPs.sort((a, b) => a.family - b.family);
  const nodes = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { nodes, node: (name) => byName.get(name) };
}

/** The first node (in name order), other than `except`, whose podCIDRs hold `address`, with that podCIDR. */
export function podCidrHolder(addressing: ClusterAddressing, address: IpAddress, except?: string): { node: NodeAddressing; cidr: PodCidrOf } | undefined {
  for (const node of addressing.nodes) {
    if (node.name === except) continue;
    const cidr = node.podCidrs.find((c) => cidrContains(c.cidr, address));
    if (cidr) return { node, cidr };
  }
  return undefined;
}

/** The first usable address of a network (the network itself for /32 and /128). */
export function firstHost(cidr: Cidr & { prefix: number }): IpAddress {
  if (cidr.family === 4) return { family: 4, value: cidr.prefix >= 31 ? cidr.network : cidr.network + 1 };
  return { family: 6, value: cidr.prefix >= 127 ? cidr.network : cidr.network + 1n };
}

/**
 * An address standing for the node's pods in `family`: a running pod's, else the second address
 * of its podCIDR (the first is the bridge or gateway address on many CNIs).
 */
export function samplePodAddress(node: NodeAddressing, family: 4 | 6): IpAddress | undefined {
  const pod = node.podIPs.find((ip) => ip.family === family && node.podCidrs.some((c) => cidrContains(c.cidr, ip)));
  if (pod) return pod;
  const cidr = node.podCidrs.find((c) => c.cidr.family === family);
  if (!cidr) return node.podIPs.find((ip) => ip.family === family);
  const first = firstHost(cidr.cidr);
  const second: IpAddress = first.family === 4 ? { family: 4, value: first.value + 1 } : { family: 6, value: first.value + 1n };
  return cidrContains(cidr.cidr, second) ? second : first;
}

/** The interface that has `address` as one of its own. */
export function interfaceHolding(routing: NodeRouting, address: IpAddress): NodeInterface | undefined {
  return routing.interfaces.find((i) => i.view.addresses.some((a) => a.address.family === address.family && a.address.value === address.value));
}

/** The interface with an address whose subnet contains `address` (the link it is reachable on). */
export function interfaceOnSubnet(routing: NodeRouting, address: IpAddress): NodeInterface | undefined {
  return routing.interfaces.find((i) =>
    i.view.addresses.some((a) => {
      if (a.address.family !== address.family || a.scope === 'host') return false;
      const subnet = parseCidr(`${formatIpAddress(a.address)}/${a.prefixLength}`);
      return subnet !== undefined && a.prefixLength < (address.family === 4 ? 32 : 128) && cidrContains(subnet, address);
    }),
  );
}
