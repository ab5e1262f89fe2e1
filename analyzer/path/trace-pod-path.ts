/**
 * The L3 path from one pod to another pod (or a Service address, or any IP) across the nodes,
 * as the bundle shows it:
 *
 *   source pod eth0 → source node (netfilter: DNAT, FORWARD, POSTROUTING; route lookup with the
 *   pod's interface as `iif`: ip_forward, rp_filter, egress device, next hop) → the wire (the
 *   tunnel device, its encapsulation overhead and the underlay MTU, or plain routing) →
 *   destination node (arriving on the tunnel or underlay device: ip_forward, rp_filter against
 *   the source it sees, the route to the pod's veth or bridge, netfilter) → destination pod.
 *
 * Then the path MTU (the largest packet that gets through against what the pod sends) and the
 * NetworkPolicy verdict. Every hop names the lines it read; what was not collected is said, not
 * assumed. Pods of one node take the short path. The address family is the destination's.
 */
import { makeEvidence, type Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { readCniConfigDir } from '../cni/parse-cni-config.js';
import type { Pod } from '../kube/types.js';
import { formatIpAddress, ipEquals, parseIpAddress, type IpAddress } from '../netfilter/ip-cidr.js';
import type { PacketOrigin } from '../netfilter/simulate/trace-types.js';
import { evaluateFlow } from '../policy/evaluate.js';
import type { FlowEndpoint } from '../policy/policy-types.js';
import { endpointForIp, podEndpoint, resolveFlowQuery } from '../policy/resolve-flow.js';
import { encapsulationOverhead, tunnelKindOf } from '../routing/encapsulation.js';
import { clusterAddressing, interfaceHolding, interfaceOnSubnet, podCidrHolder, type ClusterAddressing } from '../routing/node-addressing.js';
import { nodeRoutings, type NodeInterface, type NodeRouting } from '../routing/node-routing.js';
import { parseIpAddr } from '../routing/parse-ip-addr.js';
import { expectedTunnels, podNetwork, TUNNEL_KIND_NAMES } from '../routing/pod-network.js';
import { lookupRoute, type RouteLookupResult } from '../routing/route-lookup.js';
import { routeGetLine } from '../routing/route-get.js';
import { traceNodePacket } from '../trace/trace-node-packet.js';
import { judgeNetfilterTrace, type NetfilterVerdict } from './netfilter-verdict.js';
import { nodeSimulator, simulatorFiles } from './node-simulator.js';
import { concludePath } from './conclude-path.js';
import type { PathEncapsulation, PathHop, PathMtu, PathPolicy, PathProtocol, PathResult } from './path-types.js';

/** The source port the simulated packet carries (an ephemeral one). */
const SOURCE_PORT = 43120;

export interface PodPathRequest {
  from: Pod;
  /** The destination pod, or an address (a Service ClusterIP, a node, anything). */
  to: { pod: Pod } | { ip: string };
  proto: PathProtocol;
  port?: number;
}

/** Where a pod sits on its node: the host-side device its address is routed to, and its MTU. */
interface PodAttachment {
  pod: Pod;
  ip: string;
  node?: string;
  routing?: NodeRouting;
  /** `cali1a2b…`, `cni0`, `veth…`: the route to the pod's address on its node. */
  hostDevice?: string;
  hostRoute?: Evidence;
  mtu?: { value: number; how: string; evidence?: Evidence };
  mtuUnknown?: string;
}

export function tracePodPath(model: AnalysisModel, request: PodPathRequest): PathResult | { error: string } {
  const { from, proto } = request;
  const notes: string[] = [];
  let port = request.port;
  let toPod: Pod | undefined;
  let dstText: string;
  if ('pod' in request.to) {
    toPod = request.to.pod;
    const family = familyOfPod(toPod);
    dstText = toPod.podIPs.find((ip) => family === undefined || familyOf(ip) === family) ?? '';
    if (!dstText) return { error: `pod ${toPod.namespace}/${toPod.name} has no IP address (phase ${toPod.phase ?? 'unknown'})` };
    if (toPod.hostNetwork) notes.push(`${toPod.namespace}/${toPod.name} uses the host network: its address is ${toPod.nodeName ?? 'its node'}'s`);
    if (port === undefined) {
      const declared = toPod.containers.flatMap((c) => c.ports).find((p) => p.protocol.toLowerCase() === proto);
      if (declared) {
        port = declared.containerPort;
        notes.push(`port ${port}/${proto}: the first ${proto} port ${toPod.namespace}/${toPod.name} declares (add :<port> to --to for another)`);
      }
    }
  } else {
    dstText = request.to.ip;
  }
  const dstAddress = parseIpAddress(dstText);
  if (!dstAddress) return { error: `${dstText} is not an IP address` };
  const family = dstAddress.family;
  const srcIp = from.podIPs.find((ip) => familyOf(ip) === family);
  if (!srcIp) return { error: `pod ${from.namespace}/${from.name} has no IPv${family} address (${from.podIPs.join(', ') || 'none'}) to reach ${dstText}` };
  const srcText = canonical(srcIp);
  if (from.hostNetwork) notes.push(`${from.namespace}/${from.name} uses the host network: it sends from ${from.nodeName ?? 'its node'} itself, not through a pod interface`);
  if (!from.nodeName) return { error: `pod ${from.namespace}/${from.name} is not scheduled on a node` };

  const source = attach(model, from, srcText);
  const hops: PathHop[] = [podHop(source, 'source')];
  const srcNode = from.nodeName;
  const routing = source.routing;

  // 1. Netfilter on the source node first: PREROUTING may DNAT a Service address to a pod.
  let dst = formatIpAddress(dstAddress);
  let dport = port;
  const asked = { ip: dst, port };
  const sourceNetfilter = netfilterOn(model, srcNode, family, { from: from.hostNetwork ? 'host' : 'pod', src: srcText, dst, proto, ...(port !== undefined ? { dport: port } : {}), ...(source.hostDevice ? { inInterface: source.hostDevice } : {}) });
  let translatedFrom: PathResult['translatedFrom'];
  const service = model.kube.serviceByClusterIP(dst);
  if (sourceNetfilter.verdict?.outcome?.dnat) {
    const dnat = sourceNetfilter.verdict.outcome.dnat;
    translatedFrom = { ip: dst, ...(port !== undefined ? { port } : {}), what: service ? `Service ${service.namespace}/${service.name}` : dst, how: `DNAT on ${srcNode} (${sourceNetfilter.file})` };
    if (sourceNetfilter.verdict.alternatives.length > 0) notes.push(`the Service's rules also send connections to ${sourceNetfilter.verdict.alternatives.join(', ')}: this path follows ${dnat.ip}`);
    dst = dnat.ip;
    if (dnat.port !== undefined) dport = dnat.port;
  } else if (service && !toPod) {
    // No data plane to ask: the endpoints the API lists stand in for kube-proxy's choice.
    const resolved = resolveFlowQuery(model, { from: `${from.namespace}/${from.name}`, to: dst, ...(port !== undefined ? { port } : {}), protocol: proto === 'udp' ? 'UDP' : 'TCP' });
    const flow = resolved.flows.find((f) => f.dst.kind === 'pod');
    if (!flow) return { error: `Service ${service.namespace}/${service.name} at ${dst}: ${[...resolved.problems, ...resolved.notes][0] ?? 'no ready endpoint to follow'}` };
    translatedFrom = { ip: dst, ...(port !== undefined ? { port } : {}), what: `Service ${service.namespace}/${service.name}`, how: `its EndpointSlices (${srcNode}'s data plane was not collected: kube-proxy's DNAT not checked)` };
    if (resolved.flows.length > 1) notes.push(`${service.namespace}/${service.name} has ${resolved.flows.length} ready endpoints: this path follows ${flow.dst.ip}`);
    dst = flow.dst.ip;
    if (flow.port !== undefined) dport = flow.port;
  }
  // An address may be a pod's: the one asked for, or the endpoint a Service led to.
  const owner = model.kube.podsByIP(dst).find((p) => !p.hostNetwork);
  if (owner && (translatedFrom || !toPod)) toPod = owner;
  const destinationPod = toPod && hasIp(toPod, dst) ? attach(model, toPod, dst) : undefined;
  const dstNodeName = destinationPod?.pod.nodeName;

  const sourceNodeHop: PathHop = { kind: 'node', name: srcNode, status: 'ok', summary: '', details: [], evidence: [], unknowns: [] };
  hops.push(sourceNodeHop);
  applyNetfilter(sourceNodeHop, sourceNetfilter, srcNode);
  const snat = sourceNetfilter.verdict?.outcome?.snat;

  let encapsulation: PathEncapsulation | undefined;
  /** The source node's next hop towards the destination node: the arrival interface there holds it. */
  let nextHop: IpAddress | undefined;
  let delivered: { device?: string; mtu?: number; evidence?: Evidence } | undefined;
  const limits: { mtu: number; by: string; silent: boolean; evidence: Evidence[] }[] = [];

  if (!routing?.routing) {
    sourceNodeHop.status = 'unknown';
    sourceNodeHop.unknowns.unshift(`not collected: nodes/${srcNode}/ip-route.txt (${srcNode}'s routes)`);
    sourceNodeHop.summary = `${srcNode}'s routes were not collected: where it sends ${dst} is unknown`;
  } else {
    const route = lookupRoute(routing.routing, { dst, src: srcText, ...(source.hostDevice ? { iif: source.hostDevice } : {}), proto, sport: SOURCE_PORT, ...(dport !== undefined ? { dport } : {}) });
    if (!source.hostDevice) sourceNodeHop.unknowns.push(`the interface ${from.namespace}/${from.name} arrives on is unknown (no route to ${srcText} on ${srcNode}): looked up as sent by the node, without ip_forward and rp_filter checks`);
    describeRoute(sourceNodeHop, route, routing, dst, srcText, source.hostDevice);
    const sameNode = dstNodeName === srcNode;
    if (route.type === 'unicast' && !sameNode) {
      const wire = judgeWire(model, route, routing, srcNode, dstNodeName, dst);
      if (wire.blocked) {
        sourceNodeHop.status = 'blocked';
        sourceNodeHop.summary = wire.blocked;
      } else if (wire.warning && sourceNodeHop.status === 'ok') {
        sourceNodeHop.status = 'warning';
        sourceNodeHop.summary = wire.warning;
      }
      encapsulation = wire.encapsulation;
      nextHop = route.gateway ?? route.nexthops[0]?.gateway;
      hops.push(wire.hop);
      limits.push(...wire.limits);
    } else if (route.type === 'unicast' && sameNode) {
      delivered = deviceFacts(routing, route.device);
      notes.push(`both pods run on ${srcNode}: the packet does not leave the node`);
      const bridge = source.hostDevice && source.hostDevice === destinationPod?.hostDevice ? routing.interface(source.hostDevice) : undefined;
      if (bridge?.view.details?.kind === 'bridge') notes.push(`both pods hang off the bridge ${bridge.name}: it switches the frames, the node does not route them, and iptables sees them only through br_netfilter (net.bridge.bridge-nf-call-iptables = ${routing.sysctlValue('net.bridge.bridge-nf-call-iptables')?.value.trim() ?? 'not collected'})`);
    }
    if (sourceNodeHop.summary === '') sourceNodeHop.summary = sourceSummary(route, srcNode, sameNode);
  }

  /** Set when the destination node cannot send the replies back. */
  let replyHop: PathHop | undefined;
  // The destination node, when the packet crosses to another one.
  if (dstNodeName && dstNodeName !== srcNode && sourceNodeHop.status !== 'blocked') {
    const seenSource = snat?.ip ?? srcText;
    const arrival = destinationHop(model, dstNodeName, srcNode, dst, seenSource, proto, dport, encapsulation, nextHop);
    hops.push(arrival.hop);
    delivered = arrival.delivered;
    const expected = destinationPod?.hostDevice;
    if (expected && delivered?.device && delivered.device !== expected && arrival.hop.status === 'ok') {
      arrival.hop.status = 'blocked';
      arrival.hop.summary = `${dstNodeName} routes ${dst} to ${delivered.device}, not to ${expected}, the interface of ${destinationPod.pod.namespace}/${destinationPod.pod.name}`;
    }
    if (arrival.hop.status === 'ok' || arrival.hop.status === 'warning') replyHop = judgeReply(model, dstNodeName, srcNode, dst, seenSource, expected ?? delivered?.device);
  } else if (!dstNodeName && !destinationPod && sourceNodeHop.status !== 'blocked') {
    const owner = endpointForIp(model, dst);
    hops.push({
      kind: 'outside',
      name: dst,
      status: 'unknown',
      summary: owner.kind === 'node' ? `${dst} is node ${owner.node?.name ?? ''}: the path ends at its address` : `${dst} is no pod of the bundle: beyond ${srcNode} the path is not in the bundle`,
      details: [],
      evidence: [],
      unknowns: [],
    });
  }
  if (destinationPod) {
    hops.push(podHop(destinationPod, 'destination'));
  }
  if (replyHop) hops.push(replyHop);
  if (delivered?.mtu !== undefined) limits.push({ mtu: delivered.mtu, by: `${delivered.device} on ${dstNodeName ?? srcNode} (towards the pod)`, silent: false, evidence: delivered.evidence ? [delivered.evidence] : [] });
  if (destinationPod?.mtu) limits.push({ mtu: destinationPod.mtu.value, by: `${destinationPod.pod.namespace}/${destinationPod.pod.name}'s interface`, silent: false, evidence: destinationPod.mtu.evidence ? [destinationPod.mtu.evidence] : [] });

  const mtu = pathMtu(source, limits);
  const policy = judgePolicy(model, from, srcText, snat?.ip, destinationPod?.pod, dst, proto, dport);
  const result: PathResult = {
    kind: 'kubernetes',
    from: { name: `${from.namespace}/${from.name}`, ip: srcText, node: srcNode, ...(source.mtu ? { mtu: source.mtu.value } : {}) },
    to: {
      name: destinationPod ? `${destinationPod.pod.namespace}/${destinationPod.pod.name}` : dst,
      ip: dst,
      ...(dstNodeName ? { node: dstNodeName } : {}),
      ...(destinationPod?.mtu ? { mtu: destinationPod.mtu.value } : {}),
    },
    protocol: proto,
    ...(dport !== undefined ? { port: dport } : {}),
    family,
    verdict: 'unknown',
    reason: '',
    hops,
    mtu,
    policy,
    notes,
  };
  if (translatedFrom) result.translatedFrom = translatedFrom;
  if (encapsulation) result.encapsulation = encapsulation;
  if (asked.port === undefined && dport === undefined) notes.push(`no port given: netfilter rules and policies that test ports were judged without one (add :<port> to --to)`);
  return concludePath(result);
}

// ---- Pods ---------------------------------------------------------------------------------------

function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

function canonical(ip: string): string {
  const address = parseIpAddress(ip);
  return address ? formatIpAddress(address) : ip;
}

function hasIp(pod: Pod, ip: string): boolean {
  return pod.podIPs.some((candidate) => canonical(candidate) === ip);
}

function familyOfPod(pod: Pod): 4 | 6 | undefined {
  return pod.podIPs[0] === undefined ? undefined : familyOf(pod.podIPs[0]);
}

function attach(model: AnalysisModel, pod: Pod, ip: string): PodAttachment {
  const attachment: PodAttachment = { pod, ip };
  if (pod.nodeName) attachment.node = pod.nodeName;
  const routing = pod.nodeName ? nodeRoutings(model).node(pod.nodeName) : undefined;
  if (routing) attachment.routing = routing;
  if (routing?.routing && !pod.hostNetwork) {
    const result = lookupRoute(routing.routing, { dst: ip });
    if (result.type === 'unicast' && result.device) {
      attachment.hostDevice = result.device;
      const line = result.evidence.find((e) => e.note === 'matching route') ?? result.evidence.at(-1);
      if (line) attachment.hostRoute = { ...line, note: `${pod.namespace}/${pod.name} is behind ${result.device}` };
    }
  }
  podMtu(model, attachment);
  return attachment;
}

/** The MTU the pod's interface has: from inside the pod, else what the CNI gave it. */
function podMtu(model: AnalysisModel, attachment: PodAttachment): void {
  const { pod, routing } = attachment;
  const podFile = model.bundle.get(`pods/${pod.namespace}/${pod.name}/ip-addr.txt`);
  if (podFile) {
    const listing = parseIpAddr(podFile).value;
    const iface = listing.interfaces.find((i) => i.name === 'eth0') ?? listing.interfaces.find((i) => i.name !== 'lo' && i.mtu !== undefined);
    if (iface?.mtu !== undefined) {
      attachment.mtu = { value: iface.mtu, how: `${iface.name} inside the pod`, evidence: podFile.evidenceAtLine(iface.line, `${iface.name} mtu ${iface.mtu}`) };
      return;
    }
  }
  const missing = `not collected: pods/${pod.namespace}/${pod.name}/ip-addr.txt`;
  const device = attachment.hostDevice ? routing?.interface(attachment.hostDevice) : undefined;
  if (device && device.view.mtu !== undefined && isVeth(device)) {
    attachment.mtu = { value: device.view.mtu, how: `the host end of its veth ${device.name} (both ends of a veth share the MTU; ${missing})`, ...evidenceOf(routing!, device) };
    return;
  }
  if (device && routing) {
    const slaves = routing.interfaces.filter((i) => i.view.master === device.name && isVeth(i) && i.view.mtu !== undefined);
    const mtus = new Set(slaves.map((s) => s.view.mtu));
    if (slaves.length > 0 && mtus.size === 1) {
      const mtu = slaves[0]!.view.mtu!;
      attachment.mtu = { value: mtu, how: `every pod veth on ${device.name} has mtu ${mtu} (${missing})`, ...evidenceOf(routing, slaves[0]!) };
      return;
    }
  }
  const cni = cniMtu(model, attachment.node);
  if (cni) {
    attachment.mtu = { value: cni.mtu, how: `the CNI config ${cni.file} sets mtu ${cni.mtu} (${missing})`, evidence: cni.evidence };
    return;
  }
  attachment.mtuUnknown = `${missing}, and nothing on ${attachment.node ?? 'its node'} tells the MTU its CNI gave it`;
}

function isVeth(iface: NodeInterface): boolean {
  const kind = iface.view.details?.kind;
  if (kind !== undefined) return kind === 'veth';
  return iface.view.linkNetns !== undefined || /^if\d+$/.test(iface.view.link ?? '');
}

function evidenceOf(routing: NodeRouting, iface: NodeInterface): { evidence?: Evidence } {
  const evidence = routing.interfaceEvidence(iface.name, `${iface.name} mtu ${iface.view.mtu}`);
  return evidence ? { evidence } : {};
}

function cniMtu(model: AnalysisModel, node: string | undefined): { mtu: number; file: string; evidence: Evidence } | undefined {
  if (!node) return undefined;
  const files = model.bundle.list(`nodes/${node}/cni/`);
  if (files.length === 0) return undefined;
  const config = readCniConfigDir(files).value.effective;
  const plugin = config?.plugins.find((p) => p.mtu !== undefined);
  if (!config || !plugin?.mtu) return undefined;
  const evidence = config.source?.at(`${plugin.path}${plugin.path ? '.' : ''}mtu`, `mtu ${plugin.mtu}`) ?? makeEvidence(config.file, plugin.line, '', `mtu ${plugin.mtu}`);
  return { mtu: plugin.mtu, file: config.file, evidence };
}

function podHop(attachment: PodAttachment, role: 'source' | 'destination'): PathHop {
  const { pod } = attachment;
  const hop: PathHop = {
    kind: 'pod',
    name: `${pod.namespace}/${pod.name}`,
    status: 'ok',
    summary: '',
    details: [`${attachment.ip}${attachment.node ? ` on ${attachment.node}` : ''}${attachment.hostDevice ? `, behind ${attachment.hostDevice}` : ''}`],
    evidence: [pod.source.at('status.podIPs', `${pod.namespace}/${pod.name} has ${attachment.ip}`)],
    unknowns: [],
  };
  if (attachment.hostRoute) hop.evidence.push(attachment.hostRoute);
  if (attachment.mtu) {
    hop.mtu = attachment.mtu.value;
    hop.details.push(`mtu ${attachment.mtu.value}: ${attachment.mtu.how}`);
    if (attachment.mtu.evidence) hop.evidence.push(attachment.mtu.evidence);
  } else if (attachment.mtuUnknown) {
    hop.unknowns.push(attachment.mtuUnknown);
  }
  if (!pod.ready || pod.phase !== 'Running') {
    hop.status = 'warning';
    hop.summary = `${role === 'source' ? 'sends' : 'receives'} as ${pod.namespace}/${pod.name}, which is ${pod.phase !== 'Running' ? `in phase ${pod.phase ?? 'unknown'}` : 'not Ready'}`;
  } else {
    hop.summary = role === 'source' ? `sends from ${attachment.ip}${attachment.mtu ? ` (mtu ${attachment.mtu.value})` : ''}` : `receives on ${attachment.ip}${attachment.mtu ? ` (mtu ${attachment.mtu.value})` : ''}`;
  }
  return hop;
}

// ---- Netfilter ----------------------------------------------------------------------------------

interface NodeNetfilter {
  verdict?: NetfilterVerdict;
  file?: string;
  unknown?: string;
}

function netfilterOn(model: AnalysisModel, node: string, family: 4 | 6, packet: { from: PacketOrigin; src: string; dst: string; proto: PathProtocol; dport?: number; inInterface?: string }): NodeNetfilter {
  if (family === 6) {
    // The IPv6 rules (ip6tables-save, or the ip6 tables of an nft ruleset), as trace-node reads them.
    const trace = traceNodePacket(model, { node, ...packet, sport: SOURCE_PORT, ctState: 'NEW' });
    if ('error' in trace) return { unknown: trace.error.startsWith('not collected') ? trace.error : `${node}'s IPv6 netfilter rules not traced: ${trace.error}` };
    return { verdict: judgeNetfilterTrace(trace.result, trace.files[0] ?? `nodes/${node}/ip6tables-save.txt`), file: trace.files.join(' + ') };
  }
  const simulator = nodeSimulator(model, node);
  if (!simulator) return { unknown: `not collected: nodes/${node}/iptables-save.txt (${node}'s netfilter rules: FORWARD and NAT not checked)` };
  const result = simulator.trace({ ...packet, sport: SOURCE_PORT, ctState: 'NEW' });
  return { verdict: judgeNetfilterTrace(result, simulator.dumps[0]!.file.path), file: simulatorFiles(simulator) };
}

function applyNetfilter(hop: PathHop, netfilter: NodeNetfilter, node: string): void {
  if (!netfilter.verdict) {
    if (netfilter.unknown) hop.unknowns.push(netfilter.unknown);
    return;
  }
  const verdict = netfilter.verdict;
  hop.details.push(`netfilter (${netfilter.file}): ${verdict.text}`);
  hop.evidence.push(...verdict.evidence);
  hop.unknowns.push(...verdict.unknowns);
  if (verdict.status === 'blocked') {
    hop.status = 'blocked';
    hop.summary = `${node}'s netfilter rules drop it: ${verdict.text}`;
  } else if (verdict.status === 'warning' || verdict.status === 'unknown') {
    if (hop.status === 'ok') hop.status = verdict.status;
  }
}

// ---- Routing ------------------------------------------------------------------------------------

function describeRoute(hop: PathHop, route: RouteLookupResult, routing: NodeRouting, dst: string, src: string, iif: string | undefined): void {
  const request = { node: routing.node, dst, src, ...(iif !== undefined ? { iif } : {}) };
  hop.details.push(`ip route get ${dst} from ${src}${iif !== undefined ? ` iif ${iif}` : ''}: ${routeGetLine({ node: routing.node, request, command: '', result: route, read: [], notes: [] })}`);
  hop.details.push(route.reason);
  hop.evidence.push(...route.evidence);
  for (const key of ['net.ipv4.ip_forward']) {
    const evidence = routing.sysctlEvidence(key);
    if (evidence && route.family === 4) hop.evidence.push({ ...evidence, note: `${key} = ${routing.sysctlValue(key)?.value ?? '?'}` });
  }
  hop.unknowns.push(...route.assumptions.filter((a) => /not collected/.test(a)), ...route.unsupported);
  if (route.type !== 'unicast' && route.type !== 'local') {
    hop.status = 'blocked';
    hop.summary = `${routing.node} does not forward it: ${route.reason}`;
  } else if (route.nexthops.some((h) => h.rejected)) {
    hop.status = 'warning';
    hop.summary = `some nexthops drop it: ${route.nexthops.find((h) => h.rejected)!.rejected!.reason}`;
  }
}

function sourceSummary(route: RouteLookupResult, node: string, sameNode: boolean): string {
  const gateway = route.gateway ?? route.nexthops[0]?.gateway;
  const device = route.device ?? route.nexthops[0]?.device;
  if (sameNode) return `${node} delivers it to ${device ?? 'the pod'} (same node)`;
  return `${node} forwards it ${gateway ? `via ${formatIpAddress(gateway)} ` : ''}dev ${device ?? '?'}`;
}

interface Wire {
  hop: PathHop;
  encapsulation: PathEncapsulation;
  blocked?: string;
  warning?: string;
  limits: { mtu: number; by: string; silent: boolean; evidence: Evidence[] }[];
}

/**
 * A connection needs its replies too: the destination node's route back to the address the
 * packet came from (the pod's, or its node's after SNAT). A reply that cannot get back (no route,
 * a blackhole, only a default route for an address no node announces) is a last hop, blocked at
 * the destination node: the request arrives, the answer is lost.
 */
function judgeReply(model: AnalysisModel, dstNode: string, srcNode: string, dst: string, replyTo: string, podDevice: string | undefined): PathHop | undefined {
  const routing = nodeRoutings(model).node(dstNode);
  if (!routing?.routing) return undefined;
  // Forwarded from the pod's host-side interface; without it, as the node would send it.
  const back = lookupRoute(routing.routing, podDevice ? { dst: replyTo, src: dst, iif: podDevice } : { dst: replyTo });
  const routeLine = back.evidence.find((e) => e.note === 'matching route');
  let lost: string | undefined;
  if (back.type === 'blackhole' || back.type === 'unreachable' || back.type === 'prohibit' || back.type === 'no-route') {
    lost = `${back.route ? `"${back.route.text}" catches ${replyTo}` : `no route covers ${replyTo}`}`;
  } else if (back.type === 'unicast') {
    lost = judgeWire(model, back, routing, dstNode, srcNode, replyTo).blocked;
  }
  if (!lost) return undefined;
  return {
    kind: 'node',
    name: `${dstNode} (replies)`,
    status: 'blocked',
    summary: `the request arrives, but the replies to ${replyTo} cannot get back: ${lost}`,
    details: [`ip route get ${replyTo}${podDevice ? ` from ${dst} iif ${podDevice}` : ''} on ${dstNode}: ${back.type === 'unicast' ? back.reason : back.error?.message ?? back.reason}`],
    evidence: routeLine ? [{ ...routeLine, note: `${dstNode}'s route for the replies to ${replyTo}` }] : [],
    unknowns: [],
  };
}

/** Whether `dst` lies outside the podCIDRs of every node (and some node has one of its family). */
function outsideEveryPodCidr(addressing: ClusterAddressing, dst: string): boolean {
  const ip = parseIpAddress(dst);
  return ip !== undefined && addressing.nodes.some((n) => n.podCidrs.some((c) => c.cidr.family === ip.family)) && !podCidrHolder(addressing, ip);
}

/** Where the source node's route sends the packet, and whether that leads to the destination node. */
function judgeWire(model: AnalysisModel, route: RouteLookupResult, routing: NodeRouting, srcNode: string, dstNode: string | undefined, dst: string): Wire {
  const addressing = clusterAddressing(model);
  const network = podNetwork(model);
  const deviceName = route.device ?? route.nexthops[0]?.device;
  const gateway = route.gateway ?? route.nexthops[0]?.gateway;
  const device = deviceName ? routing.interface(deviceName) : undefined;
  const kind = device ? tunnelKindOf(device) : undefined;
  const dstInternal = dstNode ? addressing.node(dstNode)?.internalIP : undefined;
  const limits: Wire['limits'] = [];
  let blocked: string | undefined;
  let warning: string | undefined;

  const nodeOwning = (ip: IpAddress) => addressing.nodes.find((n) => n.internalIP && ipEquals(n.internalIP, ip))?.name;
  const defaultRoute = route.route?.destination.prefix === 0;
  const tunnels = expectedTunnels(network, srcNode).filter((t) => !t.crossSubnet && t.kind !== 'weave' && t.family === route.family);
  if (defaultRoute && dstNode) {
    if (tunnels.length > 0 && !kind) blocked = `only the default route matches ${dst}, not ${tunnels.map((t) => t.device).join(' or ')}: the packet leaves ${deviceName ?? '?'} unencapsulated${gateway ? ` for ${formatIpAddress(gateway)}` : ''}, which has no route to pod addresses`;
    else if (!network.cloudRoutedPods && network.ipam.kind === 'node-podcidr' && outsideEveryPodCidr(addressing, dst)) {
      // What the CNI announces or the cloud routes are the nodes' podCIDRs: an address in none of
      // them is routed by nobody (pod-ip-outside-cidr), whatever the gateway is.
      blocked = `only the default route matches ${dst}, which lies in no node's podCIDR: no node announces it, so ${gateway ? formatIpAddress(gateway) : 'the next hop'} cannot know to send it to ${dstNode}`;
    } else if (!network.cloudRoutedPods) warning = `only the default route matches ${dst}${gateway ? `: it reaches ${dstNode} only if ${formatIpAddress(gateway)} routes pod addresses` : ''}`;
  }
  if (gateway && dstNode && !blocked) {
    const owner = nodeOwning(gateway);
    if (owner && owner !== dstNode) blocked = `routed via ${formatIpAddress(gateway)}, which is ${owner}'s address, not ${dstNode}'s`;
  }
  if (device && !device.view.up) blocked ??= `${device.name} is down`;

  const hop: PathHop = { kind: 'link', name: '', status: 'ok', summary: '', details: [], evidence: [], unknowns: [] };
  let encapsulation: PathEncapsulation;
  if (device && kind) {
    const underlay = tunnelUnderlay(routing, device, dstInternal);
    const overhead = underlay ? encapsulationOverhead(kind, underlay) : undefined;
    encapsulation = { kind, name: TUNNEL_KIND_NAMES[kind], overhead: overhead ?? 0, device: device.name, ...(device.view.mtu !== undefined ? { deviceMtu: device.view.mtu } : {}) };
    hop.name = `${TUNNEL_KIND_NAMES[kind]} ${device.name}${underlay ? ` over ${underlay.name}` : ''}`;
    const deviceLine = routing.interfaceEvidence(device.name, `${device.name} (${device.view.details?.kind}) mtu ${device.view.mtu ?? '?'}`);
    if (deviceLine) hop.evidence.push(deviceLine);
    if (device.view.mtu !== undefined) limits.push({ mtu: device.view.mtu, by: `${device.name} on ${srcNode}`, silent: false, evidence: deviceLine ? [deviceLine] : [] });
    if (underlay && underlay.view.mtu !== undefined && overhead !== undefined) {
      encapsulation.underlay = underlay.name;
      encapsulation.underlayMtu = underlay.view.mtu;
      const underlayLine = routing.interfaceEvidence(underlay.name, `${underlay.name} mtu ${underlay.view.mtu}`);
      if (underlayLine) hop.evidence.push(underlayLine);
      const fits = underlay.view.mtu - overhead;
      // The tunnel device accepts packets up to its MTU; once wrapped, a larger one than `fits` is too big for the underlay and vanishes.
      limits.push({ mtu: fits, by: `${underlay.name} on ${srcNode} (mtu ${underlay.view.mtu} − ${overhead} bytes of ${TUNNEL_KIND_NAMES[kind]})`, silent: (device.view.mtu ?? 0) > fits, evidence: [...(deviceLine ? [deviceLine] : []), ...(underlayLine ? [underlayLine] : [])] });
      hop.details.push(`${device.name} mtu ${device.view.mtu ?? '?'}, ${underlay.name} mtu ${underlay.view.mtu}: ${TUNNEL_KIND_NAMES[kind]} adds ${overhead} bytes, so ${fits}-byte packets are the largest that fit`);
      hop.mtu = Math.min(device.view.mtu ?? fits, fits);
      if ((device.view.mtu ?? 0) > fits) {
        hop.status = 'warning';
        hop.summary = `${TUNNEL_KIND_NAMES[kind]} to ${dstNode ?? dst}: ${device.name} accepts ${device.view.mtu}-byte packets, but only ${fits} fit ${underlay.name} once wrapped — larger ones are lost`;
      }
    } else {
      hop.unknowns.push(`the device under ${device.name} and its MTU are unknown: the encapsulated size is not checked`);
    }
    if (device.view.details?.remote) hop.details.push(`remote ${device.view.details.remote}`);
    if (hop.summary === '') hop.summary = `${TUNNEL_KIND_NAMES[kind]}-encapsulated by ${device.name}${gateway ? ` to ${formatIpAddress(gateway)}` : ''}${dstNode ? ` (${dstNode})` : ''}`;
  } else {
    const proto = route.route?.protocol;
    encapsulation = { kind: 'none', name: `none (${proto === 'bird' || proto === 'bgp' ? 'routed natively, learned over BGP' : 'routed natively'})`, overhead: 0, ...(deviceName ? { device: deviceName } : {}), ...(device?.view.mtu !== undefined ? { deviceMtu: device.view.mtu } : {}) };
    hop.name = `${deviceName ?? '?'} (no encapsulation)`;
    const line = device ? routing.interfaceEvidence(device.name, `${device.name} mtu ${device.view.mtu ?? '?'}`) : undefined;
    if (line) hop.evidence.push(line);
    if (device?.view.mtu !== undefined) {
      hop.mtu = device.view.mtu;
      limits.push({ mtu: device.view.mtu, by: `${device.name} on ${srcNode}`, silent: false, evidence: line ? [line] : [] });
    }
    hop.summary = `sent unencapsulated out of ${deviceName ?? '?'}${gateway ? ` to ${formatIpAddress(gateway)}` : ''}${dstNode ? ` towards ${dstNode}` : ''}`;
  }
  return { hop, encapsulation, ...(blocked ? { blocked } : {}), ...(warning ? { warning } : {}), limits };
}

/** The device a tunnel sends its wrapped packets out of: `dev` of its `-d` line, else the route to the far end. */
function tunnelUnderlay(routing: NodeRouting, tunnel: NodeInterface, remote: IpAddress | undefined): NodeInterface | undefined {
  const named = tunnel.view.details?.device;
  if (named) return routing.interface(named);
  const far = tunnel.view.details?.remote ?? (remote ? formatIpAddress(remote) : undefined);
  if (far && routing.routing) {
    const result = lookupRoute(routing.routing, { dst: far });
    const device = result.device ?? result.nexthops[0]?.device;
    if (device && device !== tunnel.name) return routing.interface(device);
  }
  const local = tunnel.view.details?.local ? parseIpAddress(tunnel.view.details.local) : undefined;
  return local ? interfaceHolding(routing, local) : undefined;
}

function deviceFacts(routing: NodeRouting, device: string | undefined): { device?: string; mtu?: number; evidence?: Evidence } {
  if (!device) return {};
  const iface = routing.interface(device);
  if (!iface || iface.view.mtu === undefined) return { device };
  const evidence = routing.interfaceEvidence(device, `${device} mtu ${iface.view.mtu}`);
  return { device, mtu: iface.view.mtu, ...(evidence ? { evidence } : {}) };
}

/** The destination node: where the packet arrives, whether the kernel forwards it to the pod, and its netfilter verdict. */
function destinationHop(
  model: AnalysisModel,
  node: string,
  srcNode: string,
  dst: string,
  seenSource: string,
  proto: PathProtocol,
  dport: number | undefined,
  encapsulation: PathEncapsulation | undefined,
  nextHop: IpAddress | undefined,
): { hop: PathHop; delivered?: { device?: string; mtu?: number; evidence?: Evidence } } {
  const hop: PathHop = { kind: 'node', name: node, status: 'ok', summary: '', details: [], evidence: [], unknowns: [] };
  const routing = nodeRoutings(model).node(node);
  let arrival: string | undefined;
  let delivered: { device?: string; mtu?: number; evidence?: Evidence } | undefined;
  if (!routing?.routing) {
    hop.status = 'unknown';
    hop.unknowns.push(`not collected: nodes/${node}/ip-route.txt (${node}'s routes: forwarding, rp_filter and the route to the pod not checked)`);
    hop.summary = `${node}'s routes were not collected`;
  } else {
    arrival = arrivalDevice(model, routing, srcNode, encapsulation, nextHop);
    if (!arrival) hop.unknowns.push(`the interface the packet arrives on at ${node} is unknown: looked up as sent by ${node}, without ip_forward and rp_filter checks`);
    const route = lookupRoute(routing.routing, { dst, src: seenSource, ...(arrival ? { iif: arrival } : {}), proto, sport: SOURCE_PORT, ...(dport !== undefined ? { dport } : {}) });
    if (arrival) hop.details.push(`arrives on ${arrival} from ${seenSource}`);
    describeRoute(hop, route, routing, dst, seenSource, arrival);
    for (const key of ['net.ipv4.conf.all.rp_filter', ...(arrival ? [`net.ipv4.conf.${arrival}.rp_filter`] : [])]) {
      const evidence = routing.sysctlEvidence(key);
      const value = routing.sysctlValue(key);
      if (evidence && value) hop.evidence.push({ ...evidence, note: `${key} = ${value.value}` });
    }
    if (route.type === 'unicast') {
      const device = route.device ?? route.nexthops[0]?.device;
      delivered = deviceFacts(routing, device);
      if (hop.status === 'ok') hop.summary = `${node} forwards it to ${device ?? '?'}${arrival ? ` (arrived on ${arrival})` : ''}`;
    } else if (route.type === 'local') {
      hop.summary = `${dst} is an address of ${node}: delivered to the node itself`;
    }
    // An encapsulated packet is unwrapped by the node's device of that kind: with none, or one that is down, the kernel drops it on arrival.
    if (encapsulation && encapsulation.kind !== 'none' && routing.interfaces.length > 0) {
      const tunnel = arrival ? routing.interface(arrival) : undefined;
      if (!tunnel || !tunnel.view.up) {
        hop.status = 'blocked';
        hop.summary = tunnel ? `${tunnel.name} is down on ${node}: the ${encapsulation.name} packets from ${srcNode} are not unwrapped` : `${node} has no ${encapsulation.name} device: the packets ${srcNode} encapsulates are not unwrapped`;
        const line = tunnel ? routing.interfaceEvidence(tunnel.name, `${tunnel.name} is not up`) : undefined;
        if (line) hop.evidence.unshift(line);
      }
    }
  }
  const netfilter = netfilterOn(model, node, familyOf(dst), { from: 'external', src: seenSource, dst, proto, ...(dport !== undefined ? { dport } : {}), ...(arrival ? { inInterface: arrival } : {}) });
  if (hop.status !== 'blocked') applyNetfilter(hop, netfilter, node);
  else if (netfilter.unknown) hop.unknowns.push(netfilter.unknown);
  return { hop, ...(delivered ? { delivered } : {}) };
}

/**
 * The destination node's device the packet arrives on: its own tunnel of the same kind; unencapsulated,
 * the one holding the source node's next hop (a node with several NICs), else the one on the source node's subnet.
 */
function arrivalDevice(model: AnalysisModel, routing: NodeRouting, srcNode: string, encapsulation: PathEncapsulation | undefined, nextHop: IpAddress | undefined): string | undefined {
  if (encapsulation && encapsulation.kind !== 'none') {
    const same = encapsulation.device ? routing.interface(encapsulation.device) : undefined;
    if (same && tunnelKindOf(same) === encapsulation.kind) return same.name;
    return routing.interfaces.find((i) => tunnelKindOf(i) === encapsulation.kind)?.name;
  }
  const holder = nextHop ? interfaceHolding(routing, nextHop) : undefined;
  if (holder) return holder.name;
  const addressing = clusterAddressing(model);
  const srcIp = addressing.node(srcNode)?.internalIP;
  const own = addressing.node(routing.node)?.internalIP;
  return (srcIp && interfaceOnSubnet(routing, srcIp)?.name) ?? (own && interfaceHolding(routing, own)?.name) ?? undefined;
}

// ---- MTU and policy -----------------------------------------------------------------------------

function pathMtu(source: PodAttachment, limits: { mtu: number; by: string; silent: boolean; evidence: Evidence[] }[]): PathMtu {
  const sent = source.mtu?.value;
  const smallest = limits.reduce<(typeof limits)[number] | undefined>((best, l) => (!best || l.mtu < best.mtu ? l : best), undefined);
  const evidence = [...(source.mtu?.evidence ? [source.mtu.evidence] : []), ...(smallest?.evidence ?? [])];
  if (!smallest) return { ...(sent !== undefined ? { sent } : {}), blackHole: false, text: 'the MTUs along the path were not collected', evidence };
  const mtu: PathMtu = { largest: smallest.mtu, limitedBy: smallest.by, blackHole: false, text: '', evidence };
  if (sent !== undefined) mtu.sent = sent;
  if (sent === undefined) mtu.text = `${smallest.mtu}-byte packets get through (limited by ${smallest.by}); the MTU the pod sends with is unknown`;
  else if (sent <= smallest.mtu) mtu.text = `${smallest.mtu}-byte packets get through (limited by ${smallest.by}); the pod sends up to ${sent}: fits`;
  else if (smallest.silent) {
    mtu.blackHole = true;
    mtu.text = `the pod sends packets of up to ${sent} bytes, but only ${smallest.mtu} get through (${smallest.by}): larger ones are dropped without an ICMP answer, so large responses and TLS handshakes hang`;
  } else {
    mtu.text = `the pod sends packets of up to ${sent} bytes; ${smallest.by} takes ${smallest.mtu}: larger ones get through only when path MTU discovery works (ICMP "fragmentation needed" reaching the pod)`;
  }
  return mtu;
}

function judgePolicy(model: AnalysisModel, from: Pod, srcIp: string, snatIp: string | undefined, toPod: Pod | undefined, dst: string, proto: PathProtocol, port: number | undefined): PathPolicy {
  if (port === undefined) return { verdict: 'not-judged', text: 'no port given: NetworkPolicy not judged (add :<port> to --to)', evidence: [] };
  const family = familyOf(srcIp);
  const src: FlowEndpoint = snatIp ? endpointForIp(model, snatIp) : podEndpoint(model, from, family);
  const dstEndpoint: FlowEndpoint = toPod ? podEndpoint(model, toPod, family) : endpointForIp(model, dst);
  const verdict = evaluateFlow(model, { src, dst: dstEndpoint, protocol: proto === 'udp' ? 'UDP' : 'TCP', port }, { explain: false });
  const evidence = verdict.decidedBy.map((d) => ({ ...d.evidence, note: `${d.policy} ${d.direction}: ${d.reason}` }));
  const by = verdict.decidedBy.map((d) => d.policy);
  const masq = snatIp ? ` (as ${snatIp}: masqueraded on the way)` : '';
  const text =
    verdict.verdict === 'allow'
      ? `allowed${by.length > 0 ? ` by ${[...new Set(by)].join(', ')}` : ''}${masq}${verdict.notes[0] && by.length === 0 ? `: ${verdict.notes[0]}` : ''}`
      : verdict.verdict === 'deny'
        ? `denied${by.length > 0 ? ` by ${[...new Set(by)].join(', ')}` : ''}${masq}${verdict.notes[0] ? `: ${verdict.notes[0]}` : ''}`
        : `undecided${masq}${verdict.notes[0] ? `: ${verdict.notes[0]}` : ''}`;
  return { verdict: verdict.verdict, text, evidence };
}
