/**
 * One packet through one node's data plane, read from a bundle: the building block of
 * `netdump trace-node` (and of a later DNS → Service → route → policy trace).
 *
 * It picks the rules the kernel runs on that node (kube-proxy's mode there, or the one asked
 * for; the iptables dump of the packet's family), the node's addresses and routes, where the
 * packet comes from when the caller does not say, traces it, and tells who owns the addresses
 * the trace meets — pod, Service, node — from the API objects.
 *
 * Only the asked node's dumps are parsed: a bundle of 500 nodes holds 500 kube-proxy dumps of
 * tens of megabytes each, and one trace needs one of them.
 */
import type { Bundle } from '../bundle/bundle.js';
import { createAnalysisModel, type AnalysisModel } from '../engine/analysis-model.js';
import type { FrontendKind, ProxyMode } from '../kubeproxy/dataplane-types.js';
import { readKubeProxyConfig } from '../kubeproxy/kube-proxy-config.js';
import { DATAPLANE_FILES, nodeDataplanes, type IptablesDumpView, type NodeDataplane } from '../kubeproxy/node-dataplane.js';
import { nodeNet, type NodeNet } from '../kubeproxy/node-net.js';
import { nodeSimulators } from '../kubeproxy/node-simulators.js';
import { servicePortIndex } from '../kubeproxy/service-port-index.js';
import { cidrContains, formatIpAddress, parseCidr, parseIpAddress } from '../netfilter/ip-cidr.js';
import { compileIptables } from '../netfilter/simulate/compile-iptables.js';
import { compileNftables } from '../netfilter/simulate/compile-nftables.js';
import { nodeNetContext, type RouteEntry } from '../netfilter/simulate/node-context.js';
import { compileIpvs } from '../netfilter/simulate/trace-ipvs.js';
import type { ConntrackState, NodeNetContext, PacketOrigin, SimPacket, TraceResult } from '../netfilter/simulate/trace-types.js';
import { parseIpRoute } from '../routing/parse-ip-route.js';

export type TraceProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp';

export interface NodeTraceRequest {
  node: string;
  src: string;
  dst: string;
  /** Default `tcp`. */
  proto?: TraceProtocol;
  sport?: number;
  dport?: number;
  /** Inferred from the source address when absent. */
  from?: PacketOrigin;
  /** Default NEW: the first packet of a connection. */
  ctState?: ConntrackState;
  /** The rules to trace; by default those of the mode kube-proxy runs on the node. */
  mode?: ProxyMode;
  /** The interface the packet arrives on (`-i` matches), when the caller knows it. */
  inInterface?: string;
}

/** Who holds an address, as the API objects say. */
export interface AddressOwner {
  /** A (non-hostNetwork) pod with this IP: `namespace/name`, and its node. */
  pod?: { name: string; node?: string };
  /** The Service at this address: the frontend a packet's port reaches, or the Service whose ClusterIP it is. */
  service?: { name: string; port?: string; kind: FrontendKind };
  /** A node with this address. */
  node?: string;
}

export interface UnsupportedLine {
  file?: string;
  line: number;
  reason: string;
  /** The line as the dump has it. */
  text?: string;
}

export interface NodePacketTrace {
  node: string;
  mode: ProxyMode;
  /** Bundle files whose rules were traced, in the order they were given to the simulator. */
  files: string[];
  packet: SimPacket & { proto: string; ctState: ConntrackState };
  /** Why the packet comes `from` where it does, when the request did not say. */
  fromInferred?: string;
  source: AddressOwner;
  destination: AddressOwner;
  result: TraceResult;
  /** What the unsupported lines say, with their text. */
  unsupported: UnsupportedLine[];
  /** Owners of the addresses the outcomes DNAT to, by address. */
  dnatOwners: Record<string, AddressOwner>;
  /** What the reader should know about how the trace was set up. */
  notes: string[];
}

/** A request the bundle cannot answer: unknown node, nothing collected, inconsistent packet. */
export interface NodeTraceError {
  error: string;
}

const PROXY_MODES: readonly ProxyMode[] = ['ipvs', 'nftables', 'iptables'];

/**
 * The bundle as a one-node bundle: the node-dataplane facet parses the dumps of every node the
 * bundle lists, and the trace needs those of one.
 */
export function oneNodeBundle(bundle: Bundle, node: string): Bundle {
  return {
    origin: bundle.origin,
    files: bundle.files,
    issues: bundle.issues,
    manifest: bundle.manifest,
    skipped: bundle.skipped,
    has: (path) => bundle.has(path),
    get: (path) => bundle.get(path),
    list: (prefix) => bundle.list(prefix),
    nodeNames: () => bundle.nodeNames().filter((n) => n === node),
  };
}

/** Nodes with at least one netfilter or IPVS dump. */
export function nodesWithDataplane(bundle: Bundle): string[] {
  const files = [DATAPLANE_FILES.iptables, DATAPLANE_FILES.ip6tables, DATAPLANE_FILES.iptablesLegacy, DATAPLANE_FILES.iptablesNft, DATAPLANE_FILES.nft, DATAPLANE_FILES.ipvs];
  return bundle.nodeNames().filter((node) => files.some((f) => bundle.has(`nodes/${node}/${f}`)));
}

/** "not collected: nodes/n/x", with what the manifest or the reader says about that file. */
function notCollected(model: AnalysisModel, node: string, file: string, others: string[] = []): NodeTraceError {
  const path = `nodes/${node}/${file}`;
  const also = others.length > 0 ? ` (nor ${others.join(', ')})` : '';
  let why = '';
  const item = model.bundle.manifest?.items.find((i) => i.path === path);
  if (item && (item.error !== undefined || (item.exitCode !== undefined && item.exitCode !== 0))) {
    const said = item.error ?? item.stderr?.trim();
    why = `: the collector ran \`${item.command ?? file}\`, which failed${item.exitCode !== undefined ? ` (exit ${item.exitCode})` : ''}${said ? `: ${said}` : ''}`;
  } else if (model.bundle.skipped.has(path)) {
    const issue = model.bundle.issues.find((i) => i.file === path);
    why = `: the file is in the bundle but was not read${issue ? ` (${issue.message})` : ''}`;
  }
  return { error: `not collected: ${path}${also}${why}; nothing to trace on ${node}` };
}

export function traceNodePacket(fullModel: AnalysisModel, request: NodeTraceRequest): NodePacketTrace | NodeTraceError {
  const { node } = request;
  const source = parseIpAddress(request.src);
  const destination = parseIpAddress(request.dst);
  if (!source) return { error: `--src ${request.src} is not an IP address` };
  if (!destination) return { error: `--dst ${request.dst} is not an IP address` };
  if (source.family !== destination.family) return { error: `--src ${request.src} and --dst ${request.dst} are of different IP families` };
  const family = source.family;

  const bundle = fullModel.bundle;
  const withData = nodesWithDataplane(bundle);
  const known = bundle.nodeNames().includes(node) || fullModel.kube.node(node) !== undefined;
  if (!known) {
    const list = withData.length > 0 ? `nodes with data-plane dumps: ${withData.join(', ')}` : 'no node of this bundle has data-plane dumps (nodes/<node>/iptables-save.txt)';
    return { error: `unknown node "${node}": ${list}` };
  }

  const model = createAnalysisModel(oneNodeBundle(bundle, node), fullModel.kube, fullModel.parseIssues);
  const dataplane = nodeDataplanes(model).node(node);
  const familyDump = family === 4 ? DATAPLANE_FILES.iptables : DATAPLANE_FILES.ip6tables;
  if (!dataplane) return notCollected(model, node, familyDump, [DATAPLANE_FILES.nft, DATAPLANE_FILES.ipvs]);

  const notes: string[] = [];
  const mode = chooseMode(model, dataplane, family, request.mode, notes);
  if (!mode) return notCollected(model, node, familyDump, [DATAPLANE_FILES.nft, DATAPLANE_FILES.ipvs]);

  const net = nodeNet(model, dataplane);
  const context = family === 4 ? net.context : ipv6Context(model, dataplane, net);
  if (!dataplane.ipAddr) notes.push(`no ${DATAPLANE_FILES.ipAddr} for ${node}: its addresses come from its Node object (${net.addresses.join(', ') || 'none'})`);
  if (net.routesFrom === 'podCIDRs') notes.push(`no ip-route.txt for ${node}: routes assumed from the Nodes' podCIDRs (own pod CIDR on ${net.podInterface}, the rest out of ${net.externalInterface})`);

  const simulator = buildSimulator(model, dataplane, mode, family, notes);
  if ('error' in simulator) return simulator;

  const proto = request.proto === 'icmp' && family === 6 ? 'ipv6-icmp' : (request.proto ?? 'tcp');
  const ctState = request.ctState ?? 'NEW';
  const origin: { from: PacketOrigin; why?: string } = request.from ? { from: request.from } : inferOrigin(model, node, context, net, request.src);
  const packet: NodePacketTrace['packet'] = { from: origin.from, src: formatIpAddress(source), dst: formatIpAddress(destination), proto, ctState };
  if (request.sport !== undefined) packet.sport = request.sport;
  if (request.dport !== undefined) packet.dport = request.dport;
  if (request.inInterface !== undefined) packet.inInterface = request.inInterface;
  if (request.proto === 'icmp') packet.icmpType = family === 4 ? 8 : 128;
  if (request.proto === 'icmp') notes.push(`an ICMP echo request (type ${packet.icmpType})`);
  if (ctState !== 'NEW') notes.push(`ctstate ${ctState}: traced without the NAT binding of its connection (conntrack entries are not in the dump), and the nat chains do not run for it`);

  const result = simulator.trace(context, packet);

  const owners = new AddressOwners(model);
  const dnatOwners: Record<string, AddressOwner> = {};
  for (const outcome of result.outcomes) {
    if (outcome.dnat && !(outcome.dnat.ip in dnatOwners)) dnatOwners[outcome.dnat.ip] = owners.of(outcome.dnat.ip);
  }
  const destinationOwner = owners.of(packet.dst);
  const frontend = owners.frontend(packet.dst, proto, packet.dport, context.localAddresses.some((a) => normalize(a) === packet.dst));
  if (frontend) destinationOwner.service = frontend;

  if (frontend && result.outcomes.some((o) => o.fate === 'accepted') && !result.outcomes.some((o) => o.dnat)) {
    notes.push(`no rule on ${node} translates ${packet.dst}:${packet.dport} (Service ${frontend.name}): the packet keeps the Service address as its destination`);
  }

  const trace: NodePacketTrace = {
    node,
    mode,
    files: simulator.files,
    packet,
    source: owners.of(packet.src),
    destination: destinationOwner,
    result,
    unsupported: result.unsupported.map((u) => {
      const text = u.file !== undefined ? bundle.get(u.file)?.lineText(u.line) : undefined;
      return { ...u, ...(text !== undefined ? { text } : {}) };
    }),
    dnatOwners,
    notes,
  };
  if (origin.why !== undefined) trace.fromInferred = origin.why;
  return trace;
}

/** The mode whose rules the trace runs; undefined when the node has none of them. */
function chooseMode(model: AnalysisModel, dataplane: NodeDataplane, family: 4 | 6, requested: ProxyMode | undefined, notes: string[]): ProxyMode | undefined {
  if (requested) return requested;
  const verdict = dataplane.mode;
  if (verdict.mode === 'iptables' || verdict.mode === 'ipvs' || verdict.mode === 'nftables') return verdict.mode;
  if (verdict.mode === 'several') {
    // The kernel runs every rule set the node holds; IPVS mode's simulator runs the iptables dump too.
    const configured = readKubeProxyConfig(model.kube)?.mode;
    const chosen = verdict.modes.find((m) => m === configured) ?? PROXY_MODES.find((m) => verdict.modes.includes(m))!;
    const others = verdict.modes.filter((m) => m !== chosen);
    notes.push(
      `${dataplane.node} holds kube-proxy rules of ${verdict.modes.join(' and ')} modes at once: traced as ${chosen}` +
        `${chosen === configured ? ' (the mode kube-proxy is configured with)' : ''}; --mode ${others[0]} traces the other`,
    );
    return chosen;
  }
  // No kube-proxy rules (or nothing to tell from): trace whatever rules the node has.
  const iptables = family === 4 ? dataplane.kubeProxyIptables : dataplane.ip6tables;
  const chosen: ProxyMode | undefined = iptables ? 'iptables' : dataplane.nft ? 'nftables' : (dataplane.ipvs?.value.virtualServers.length ?? 0) > 0 ? 'ipvs' : undefined;
  if (chosen) notes.push(`no kube-proxy Service rules seen on ${dataplane.node}: tracing its ${chosen} rules as they are`);
  return chosen;
}

interface BuiltSimulator {
  files: string[];
  trace(context: NodeNetContext, packet: SimPacket): TraceResult;
}

function buildSimulator(model: AnalysisModel, dataplane: NodeDataplane, mode: ProxyMode, family: 4 | 6, notes: string[]): BuiltSimulator | NodeTraceError {
  const node = dataplane.node;
  const ipsets = dataplane.ipset?.value;
  const iptablesDump: IptablesDumpView | undefined = family === 4 ? dataplane.kubeProxyIptables : dataplane.ip6tables;
  const iptablesFile = family === 4 ? DATAPLANE_FILES.iptables : DATAPLANE_FILES.ip6tables;
  if (mode === 'iptables') {
    if (!iptablesDump) return notCollected(model, node, iptablesFile);
    if (family === 4) {
      // The node's simulator composes both iptables backends when both hold rules.
      const simulator = nodeSimulators(model).get(node)!;
      if (simulator.dumps.length > 1) {
        notes.push(`rules live in both iptables backends on ${node} (${simulator.dumps.map((d) => d.file.path).join(', ')}): the kernel runs both, and so does the trace`);
      }
      return { files: simulator.dumps.map((d) => d.file.path), trace: (_context, packet) => simulator.trace(packet) };
    }
    const simulator = compileIptables(iptablesDump.value, ipsets ? { ipsets, file: iptablesDump.file.path } : { file: iptablesDump.file.path });
    return { files: [iptablesDump.file.path], trace: (context, packet) => simulator.trace(context, packet) };
  }
  if (mode === 'nftables') {
    if (!dataplane.nft) return notCollected(model, node, DATAPLANE_FILES.nft);
    const simulator = compileNftables(dataplane.nft.value, { file: dataplane.nft.file.path });
    return { files: [dataplane.nft.file.path], trace: (context, packet) => simulator.trace(context, packet) };
  }
  if (!dataplane.ipvs) return notCollected(model, node, DATAPLANE_FILES.ipvs);
  const files = [dataplane.ipvs.file.path];
  if (iptablesDump) files.push(iptablesDump.file.path);
  else notes.push(`no ${iptablesFile} for ${node}: IPVS traced alone, without kube-proxy's iptables rules (masquerade marks, filter verdicts)`);
  const simulator = compileIpvs(dataplane.ipvs.value, {
    file: dataplane.ipvs.file.path,
    ...(iptablesDump ? { iptables: iptablesDump.value, iptablesFile: iptablesDump.file.path } : {}),
    ...(ipsets ? { ipsets } : {}),
  });
  return { files, trace: (context, packet) => simulator.trace(context, packet) };
}

/**
 * The IPv6 side of the node (NodeNet is IPv4): every address of ip-addr.txt is local, routes
 * from ip-route.txt's main table, else the node's own IPv6 pod CIDR behind the pod interface
 * and the other nodes' out of the external one.
 */
function ipv6Context(model: AnalysisModel, dataplane: NodeDataplane, net: NodeNet): NodeNetContext {
  const interfaceAddresses = net.context.interfaceAddresses ?? {};
  const local = Object.values(interfaceAddresses).flat().filter((a) => a.includes(':'));
  const self = model.kube.node(dataplane.node);
  if (local.length === 0) local.push(...(self?.ips.filter((ip) => ip.includes(':')) ?? []));
  const routes: RouteEntry[] = [];
  let externalInterface = net.externalInterface;
  let podCidrs: string[] = [];
  const routeFile = model.bundle.get(`nodes/${dataplane.node}/ip-route.txt`);
  if (routeFile) {
    for (const route of parseIpRoute(routeFile).value.routes) {
      if (route.family !== 6 || route.table !== 'main' || route.type !== 'unicast') continue;
      const device = route.nexthops[0]?.device;
      if (!device) continue;
      if (route.destination.prefix === 0) externalInterface = device;
      else routes.push({ cidr: route.destination.text, interface: device });
    }
  } else {
    podCidrs = self?.podCIDRs.filter((c) => c.includes(':')) ?? [];
    for (const other of model.kube.nodes) {
      if (other.name === dataplane.node) continue;
      for (const cidr of other.podCIDRs) if (cidr.includes(':')) routes.push({ cidr, interface: externalInterface });
    }
  }
  return nodeNetContext({ localAddresses: local, podCidrs, routes, podInterface: net.podInterface, externalInterface, interfaceAddresses });
}

/**
 * Where a packet from `src` enters the node: a pod of this node sends from its interface, the
 * node's own address means a local process, anything else arrives from the network.
 */
function inferOrigin(model: AnalysisModel, node: string, context: NodeNetContext, net: NodeNet, src: string): { from: PacketOrigin; why: string } {
  const address = parseIpAddress(src)!;
  const canonical = formatIpAddress(address);
  const pods = model.kube.podsByIP(canonical).filter((p) => !p.hostNetwork);
  const here = pods.find((p) => p.nodeName === node);
  if (here) return { from: 'pod', why: `${canonical} is pod ${here.namespace}/${here.name} on ${node}` };
  const nodeAddresses = new Set([...context.localAddresses, ...(model.kube.node(node)?.ips ?? [])].map((a) => normalize(a)));
  if (nodeAddresses.has(canonical)) return { from: 'host', why: `${canonical} is an address of ${node}` };
  if (pods.length > 0) {
    const pod = pods[0]!;
    return { from: 'external', why: `${canonical} is pod ${pod.namespace}/${pod.name}${pod.nodeName ? ` on ${pod.nodeName}` : ''}: it reaches ${node} from the network` };
  }
  const podCidr = model.kube
    .node(node)
    ?.podCIDRs.map((c) => parseCidr(c))
    .find((c) => c !== undefined && c.family === address.family && cidrContains(c, address));
  if (podCidr) return { from: 'pod', why: `${canonical} lies in ${node}'s pod CIDR ${podCidr.text} (no pod in the bundle has it)` };
  const owner = model.kube.nodes.find((n) => n.ips.some((ip) => normalize(ip) === canonical));
  if (owner) return { from: 'external', why: `${canonical} is node ${owner.name}: it reaches ${node} from the network` };
  return { from: 'external', why: `${canonical} is neither a pod on ${node} nor one of its addresses (${net.addresses.join(', ') || 'none known'})` };
}

function normalize(text: string): string {
  const address = parseIpAddress(text.replace(/\/\d+$/, ''));
  return address ? formatIpAddress(address) : text;
}

/** Looks addresses up in the API objects. */
class AddressOwners {
  private nodeByIp: Map<string, string> | undefined;

  constructor(private readonly model: AnalysisModel) {}

  of(ip: string): AddressOwner {
    const kube = this.model.kube;
    const owner: AddressOwner = {};
    const pod = kube.podsByIP(ip).find((p) => !p.hostNetwork);
    if (pod) owner.pod = { name: `${pod.namespace}/${pod.name}`, ...(pod.nodeName ? { node: pod.nodeName } : {}) };
    const service = kube.serviceByClusterIP(ip);
    if (service) owner.service = { name: `${service.namespace}/${service.name}`, kind: 'cluster-ip' };
    if (!this.nodeByIp) {
      this.nodeByIp = new Map();
      for (const n of kube.nodes) for (const address of n.ips) this.nodeByIp.set(normalize(address), n.name);
    }
    const node = this.nodeByIp.get(ip);
    if (node) owner.node = node;
    return owner;
  }

  /** The Service port a packet to ip:port reaches: its ClusterIP, external or LB IP, or a NodePort of this node. */
  frontend(ip: string, proto: string, port: number | undefined, localAddress: boolean): AddressOwner['service'] {
    if (port === undefined || (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')) return undefined;
    const index = servicePortIndex(this.model);
    const portName = (name: string, number: number) => name || String(number);
    const frontend = index.frontend(ip, proto, port);
    if (frontend) {
      const { service, port: servicePort } = frontend.ref;
      return { name: `${service.namespace}/${service.name}`, port: portName(servicePort.name, servicePort.port), kind: frontend.kind };
    }
    if (!localAddress) return undefined;
    const ref = index.byNodePort(proto, port);
    if (!ref) return undefined;
    return { name: `${ref.service.namespace}/${ref.service.name}`, port: portName(ref.port.name, ref.port.port), kind: 'node-port' };
  }
}
