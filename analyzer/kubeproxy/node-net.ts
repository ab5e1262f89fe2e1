/**
 * A node's network as the packet simulator needs it (NodeNetContext), from what the bundle has:
 * its addresses (ip-addr.txt, else the Node object), where packets leave (the main routing table
 * of ip-route.txt, else the node podCIDRs: its own behind the pod interface, everything else out
 * of the interface holding the node address), and which interface pod traffic arrives on (the
 * CNI's bridge or veths as ip-addr.txt lists them).
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { formatIpAddress } from '../netfilter/ip-cidr.js';
import { nodeNetContext, type RouteEntry } from '../netfilter/simulate/node-context.js';
import type { NodeNetContext } from '../netfilter/simulate/trace-types.js';
import { parseIpRoute } from '../routing/parse-ip-route.js';
import type { NodeDataplane } from './node-dataplane.js';

export interface NodeNet {
  context: NodeNetContext;
  /** The node's own IPv4 addresses, the InternalIP first when known. */
  addresses: string[];
  podInterface: string;
  externalInterface: string;
  /** What the routes were read from, for coverage notes. */
  routesFrom: 'ip-route.txt' | 'podCIDRs';
}

/** Pod-side interfaces by CNI: a bridge (cni0, docker0, cbr0) or per-pod veths (Calico, Cilium, generic). */
const POD_INTERFACE = /^(cni0|cbr0|weave|cali[0-9a-f]+|lxc[0-9a-f]+|veth[0-9a-f]+|azv[0-9a-f]+|eni[0-9a-f]+)$/;

export function nodeNet(model: AnalysisModel, dataplane: NodeDataplane): NodeNet {
  const node = model.kube.node(dataplane.node);
  const internalIP = node?.addresses.find((a) => a.type === 'InternalIP')?.address;
  const interfaces = dataplane.ipAddr?.value.interfaces ?? [];
  const interfaceAddresses: Record<string, string[]> = {};
  const addresses: string[] = [];
  for (const iface of interfaces) {
    const list = iface.addresses.map((a) => formatIpAddress(a.address));
    interfaceAddresses[iface.name] = list;
    for (const a of iface.addresses) if (a.family === 4) addresses.push(formatIpAddress(a.address));
  }
  if (addresses.length === 0) addresses.push(...(node?.ips.filter((ip) => !ip.includes(':')) ?? []));
  if (internalIP && addresses.includes(internalIP)) addresses.sort((a, b) => Number(b === internalIP) - Number(a === internalIP));

  const podInterface = interfaces.find((i) => POD_INTERFACE.test(i.name))?.name ?? 'cni0';
  const holder = interfaces.find((i) => internalIP !== undefined && i.addresses.some((a) => formatIpAddress(a.address) === internalIP))?.name;

  const routes: RouteEntry[] = [];
  let externalInterface = holder ?? 'eth0';
  let routesFrom: NodeNet['routesFrom'] = 'podCIDRs';
  const routeFile = model.bundle.get(`nodes/${dataplane.node}/ip-route.txt`);
  if (routeFile) {
    const parsed = parseIpRoute(routeFile);
    for (const route of parsed.value.routes) {
      if (route.family !== 4 || route.table !== 'main' || route.type !== 'unicast') continue;
      const device = route.nexthops[0]?.device;
      if (!device) continue;
      if (route.destination.prefix === 0) externalInterface = device;
      else routes.push({ cidr: route.destination.text, interface: device });
    }
    routesFrom = 'ip-route.txt';
  } else {
    for (const other of model.kube.nodes) {
      if (other.name === dataplane.node) continue;
      for (const cidr of other.podCIDRs) if (!cidr.includes(':')) routes.push({ cidr, interface: externalInterface });
    }
  }
  const podCidrs = routesFrom === 'podCIDRs' ? (node?.podCIDRs.filter((c) => !c.includes(':')) ?? []) : [];
  const context = nodeNetContext({ localAddresses: addresses, podCidrs, routes, podInterface, externalInterface, interfaceAddresses });
  return { context, addresses, podInterface, externalInterface, routesFrom };
}
