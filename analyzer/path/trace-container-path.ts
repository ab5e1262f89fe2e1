/**
 * The path from a Docker container to another container, a published port of the host, or an
 * outside address, on one Docker host, from `docker inspect`, `docker network inspect`, the
 * host's routes and its iptables-save:
 *
 *   container eth0 → its bridge (docker0, br-<id>) → the host: route lookup (ip_forward) and
 *   netfilter (DOCKER DNAT for published ports, DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2 between
 *   networks, the FORWARD policy, POSTROUTING MASQUERADE) → the destination container's bridge,
 *   the host itself, or the way out.
 *
 * Containers on one bridge talk at layer 2: iptables sees that traffic only when br_netfilter
 * passes bridged packets to it (`net.bridge.bridge-nf-call-iptables = 1`, which Docker sets).
 */
import type { DockerContainer, DockerContainerNetwork, DockerPortBinding } from '../cni/parse-docker-containers.js';
import type { DockerNetwork } from '../cni/parse-docker-networks.js';
import type { DockerHost } from '../docker/docker-host.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { formatIpAddress, parseIpAddress } from '../netfilter/ip-cidr.js';
import { compileIptables } from '../netfilter/simulate/compile-iptables.js';
import { nodeNetContext } from '../netfilter/simulate/node-context.js';
import type { SimPacket, TraceResult } from '../netfilter/simulate/trace-types.js';
import { nodeRoutings, type NodeRouting } from '../routing/node-routing.js';
import { lookupRoute } from '../routing/route-lookup.js';
import { concludePath } from './conclude-path.js';
import { judgeNetfilterTrace } from './netfilter-verdict.js';
import { nodeSimulator, simulatorFiles } from './node-simulator.js';
import type { PathHop, PathProtocol, PathResult } from './path-types.js';

const SOURCE_PORT = 43120;

/** A container's place on one network: the bridge it hangs off and its address there. */
export interface ContainerAttachment {
  container: DockerContainer;
  attached: DockerContainerNetwork;
  network?: DockerNetwork;
  ip: string;
}

export interface ContainerPathRequest {
  host: DockerHost;
  from: DockerContainer;
  /** Another container, or an address (the host's, or outside). */
  to: { container: DockerContainer } | { ip: string };
  proto: PathProtocol;
  port?: number;
}

export function traceContainerPath(model: AnalysisModel, request: ContainerPathRequest): PathResult | { error: string } {
  const { host, from, proto } = request;
  const notes: string[] = [];
  const networks = host.networks?.value.networks ?? [];
  if (!host.networks) notes.push(`not collected: nodes/${host.host}/docker/networks.json (bridge devices and network options taken from Docker's naming)`);
  const fromAll = attachments(from, networks);
  if (fromAll.length === 0) {
    const mode = from.networkMode ?? 'unknown';
    return { error: `container ${from.name} has no address on a Docker network (network mode ${mode}${mode === 'host' ? ': it uses the host network, so its traffic is the host’s own' : ''})` };
  }

  let source = fromAll[0]!;
  let target: ContainerAttachment | undefined;
  let dstIp: string;
  if ('container' in request.to) {
    const toAll = attachments(request.to.container, networks);
    if (toAll.length === 0) return { error: `container ${request.to.container.name} has no address on a Docker network (network mode ${request.to.container.networkMode ?? 'unknown'})` };
    const shared = fromAll.flatMap((a) => toAll.filter((b) => sameNetwork(a, b)).map((b) => [a, b] as const))[0];
    [source, target] = shared ?? [fromAll[0]!, toAll[0]!];
    dstIp = target.ip;
  } else {
    dstIp = request.to.ip;
    if (/^127\./.test(dstIp) || dstIp === '::1') return { error: `${dstIp} inside ${from.name} is the container's own loopback, not the host's: give an address of ${host.host} (or another container) instead` };
    const holder = (host.containers?.value.containers ?? []).flatMap((c) => attachments(c, networks)).find((a) => a.ip === dstIp);
    if (holder) {
      target = holder;
      source = fromAll.find((a) => sameNetwork(a, holder)) ?? source;
    }
  }
  const port = request.port ?? (target ? target.container.exposedPorts.find((p) => p.protocol === proto)?.port : undefined);
  if (request.port === undefined && port !== undefined) notes.push(`port ${port}/${proto}: the first ${proto} port ${target!.container.name} exposes (add :<port> to --to for another)`);
  const family: 4 | 6 = dstIp.includes(':') ? 6 : 4;
  if (family === 6) return { error: `IPv6 paths between containers are not traced (${dstIp}): give an IPv4 address` };

  const routing = nodeRoutings(model).node(host.host);
  const fromBridge = source.network?.bridgeDevice;
  const hops: PathHop[] = [containerHop(source, routing, 'source')];
  const hostHop: PathHop = { kind: 'host', name: host.host, status: 'ok', summary: '', details: [], evidence: [], unknowns: [] };
  hops.push(hostHop);

  const sameBridge = target !== undefined && sameNetwork(source, target);
  if (source.network && source.network.driver !== 'bridge') {
    hostHop.unknowns.push(`${source.network.name} is a ${source.network.driver} network: only bridge networks are traced`);
  }
  if (sameBridge && target) {
    hostHop.details.push(`${source.container.name} and ${target.container.name} share ${source.network?.name ?? source.attached.name}${fromBridge ? ` (${fromBridge})` : ''}: the bridge carries the frame, the host does not route it`);
    if (source.network && !source.network.interContainerTraffic) hostHop.details.push(`${source.network.name} has enable_icc false: Docker drops traffic between its containers in FORWARD`);
  }

  // Netfilter: bridged traffic reaches iptables only through br_netfilter.
  const bridgeNf = routing?.sysctlValue('net.bridge.bridge-nf-call-iptables');
  const netfilterApplies = !sameBridge || bridgeNf === undefined || bridgeNf.value.trim() === '1';
  if (sameBridge && bridgeNf === undefined) hostHop.unknowns.push(`not collected: net.bridge.bridge-nf-call-iptables (nodes/${host.host}/sysctl.txt): traced as if bridged traffic passes iptables, as it does once Docker loads br_netfilter`);
  if (sameBridge && bridgeNf && bridgeNf.value.trim() !== '1') {
    hostHop.details.push(`net.bridge.bridge-nf-call-iptables = ${bridgeNf.value.trim()}: bridged frames bypass iptables`);
    const line = routing?.sysctlEvidence('net.bridge.bridge-nf-call-iptables', `net.bridge.bridge-nf-call-iptables = ${bridgeNf.value.trim()}`);
    if (line) hostHop.evidence.push(line);
  }

  const trace = netfilterApplies ? traceOnHost(model, host, routing, { from: 'pod', src: source.ip, dst: dstIp, proto, sport: SOURCE_PORT, ...(port !== undefined ? { dport: port } : {}), ...(fromBridge ? { inInterface: fromBridge } : {}), ctState: 'NEW' }) : undefined;
  let translatedFrom: PathResult['translatedFrom'];
  let finalIp = dstIp;
  let finalPort = port;
  let exitInterface: string | undefined;
  let path: 'forward' | 'input' | 'output' | undefined;
  if (trace && 'unknown' in trace) {
    // Docker's isolation, published ports and the FORWARD policy live in iptables alone.
    hostHop.unknowns.push(trace.unknown);
    hostHop.status = 'unknown';
    hostHop.summary = `${host.host}'s iptables rules were not collected: whether Docker lets it through is unknown`;
  } else if (trace) {
    const verdict = judgeNetfilterTrace(trace.result, trace.file);
    hostHop.details.push(`netfilter (${trace.file}): ${verdict.text}`);
    hostHop.evidence.push(...verdict.evidence);
    hostHop.unknowns.push(...verdict.unknowns);
    const outcome = verdict.outcome;
    if (verdict.status === 'blocked') {
      hostHop.status = 'blocked';
      hostHop.summary = `${host.host}'s iptables drop it: ${verdict.text}`;
    } else if (verdict.status !== 'ok') hostHop.status = verdict.status;
    if (outcome) {
      path = outcome.path;
      exitInterface = outcome.exitInterface;
      if (outcome.dnat) {
        const publisher = (host.containers?.value.containers ?? []).flatMap((c) => attachments(c, networks)).find((a) => a.ip === outcome.dnat!.ip);
        translatedFrom = { ip: dstIp, ...(port !== undefined ? { port } : {}), what: publisher ? `port ${port ?? '?'} published by ${publisher.container.name}` : `${dstIp}${port !== undefined ? `:${port}` : ''}`, how: `DNAT in the DOCKER chain (${trace.file})` };
        finalIp = outcome.dnat.ip;
        if (outcome.dnat.port !== undefined) finalPort = outcome.dnat.port;
        if (publisher) target = publisher;
      }
      if (outcome.snat) hostHop.details.push(outcome.snat.masquerade ? `POSTROUTING masquerades it${outcome.snat.ip ? ` to ${outcome.snat.ip}` : ' to the address of the interface it leaves by'}` : `POSTROUTING SNATs it to ${outcome.snat.ip}`);
    }
  }

  // Routing: bridged traffic is not routed; anything else needs the host to forward it.
  if (!sameBridge && routing?.routing && hostHop.status !== 'blocked') {
    const route = lookupRoute(routing.routing, { dst: finalIp, src: source.ip, ...(fromBridge ? { iif: fromBridge } : {}), proto, sport: SOURCE_PORT, ...(finalPort !== undefined ? { dport: finalPort } : {}) });
    hostHop.details.push(`ip route get ${finalIp} from ${source.ip}${fromBridge ? ` iif ${fromBridge}` : ''}: ${route.reason}`);
    hostHop.evidence.push(...route.evidence);
    const forward = routing.sysctlEvidence('net.ipv4.ip_forward');
    if (forward) hostHop.evidence.push({ ...forward, note: `net.ipv4.ip_forward = ${routing.sysctlValue('net.ipv4.ip_forward')?.value ?? '?'}` });
    if (route.type !== 'unicast' && route.type !== 'local') {
      hostHop.status = 'blocked';
      hostHop.summary = `${host.host} does not forward it: ${route.reason}`;
    } else {
      exitInterface ??= route.device ?? route.nexthops[0]?.device;
      if (route.type === 'local') path ??= 'input';
    }
  } else if (!sameBridge && !routing?.routing) {
    hostHop.unknowns.push(`not collected: nodes/${host.host}/ip-route.txt (${host.host}'s routes: forwarding not checked)`);
  }

  // Where it ends: a container, the host itself, or out of the host.
  if (target && finalIp === target.ip && path !== 'input') {
    const hop = containerHop(target, routing, 'destination');
    if (hostHop.summary === '') hostHop.summary = sameBridge ? `bridged on ${fromBridge ?? source.attached.name} to ${target.container.name}` : `forwarded from ${fromBridge ?? '?'} to ${target.network?.bridgeDevice ?? '?'} (${target.container.name})`;
    hops.push(hop);
  } else if (path === 'input' && hostHop.status !== 'blocked') {
    if (hostHop.summary === '') hostHop.summary = `${finalIp} is an address of ${host.host}: delivered locally`;
    const published = (host.containers?.value.containers ?? []).flatMap((c) => c.publishedPorts.filter((p) => p.hostPort === finalPort && p.protocol === proto).map((p) => ({ c, p })));
    const hop: PathHop = { kind: 'host', name: `${host.host} ${finalIp}${finalPort !== undefined ? `:${finalPort}` : ''}`, status: 'unknown', summary: '', details: [], evidence: [], unknowns: [] };
    const binding = (c: DockerContainer, p: DockerPortBinding) => c.source.at(p.path, `${c.name}: ${p.hostIp || '*'}:${p.hostPort} → ${p.containerPort}/${p.protocol}`);
    const listening = published.find(({ p }) => bindsAddress(p.hostIp, finalIp));
    let end: PathHop | undefined;
    if (listening) {
      // No DNAT for traffic from Docker's own bridges (`-A DOCKER -i <bridge> -j RETURN`): docker-proxy, the userland proxy, takes it.
      const { c, p } = listening;
      hop.status = 'ok';
      hop.summary = `docker-proxy listens on ${p.hostIp || '*'}:${p.hostPort} for ${c.name} and relays the connection to it`;
      hop.evidence.push(binding(c, p));
      const relayed = attachments(c, networks).find((a) => a.network?.bridgeDevice);
      if (relayed) {
        const relay = relayLeg(model, host, routing, relayed, proto, p.containerPort);
        hop.details.push(...relay.details);
        hop.evidence.push(...relay.evidence);
        hop.unknowns.push(...relay.unknowns);
        if (relay.blocked) {
          hop.status = 'blocked';
          hop.summary += `, but ${relay.blocked}`;
        }
        end = containerHop(relayed, routing, 'destination');
        translatedFrom = { ip: finalIp, ...(finalPort !== undefined ? { port: finalPort } : {}), what: `port ${finalPort} published by ${c.name}`, how: 'docker-proxy (the userland proxy: Docker does not DNAT traffic from its own bridges)' };
        target = relayed;
        finalIp = relayed.ip;
        finalPort = p.containerPort;
      }
    } else if (published.length > 0) {
      hop.status = 'blocked';
      hop.summary = `no DNAT for ${finalIp}:${finalPort}: ${published.map(({ c, p }) => `${c.name} publishes ${p.containerPort}/${p.protocol} on ${p.hostIp || 'every address'}:${p.hostPort} only`).join('; ')}, so the connection reaches the host itself, where docker-proxy does not listen on ${finalIp}`;
      hop.evidence.push(...published.map(({ c, p }) => binding(c, p)));
    } else {
      hop.summary = `delivered to ${host.host} itself: no container publishes ${finalPort ?? 'that port'}/${proto}; a process of the host would have to listen on it (not in the bundle)`;
    }
    hops.push(hop);
    if (end) hops.push(end);
  } else if (hostHop.status !== 'blocked') {
    const masquerade = source.network?.ipMasquerade ?? true;
    const snat = hostHop.details.some((d) => d.startsWith('POSTROUTING'));
    if (hostHop.summary === '') hostHop.summary = `forwarded out of ${exitInterface ?? '?'}${snat ? ', masqueraded to the host’s address' : ''}`;
    if (!snat && trace && !('unknown' in trace)) {
      hostHop.status = hostHop.status === 'ok' ? 'warning' : hostHop.status;
      hostHop.summary += `: leaves with the container's source address ${source.ip}${masquerade ? '' : ` (${source.network?.name} has enable_ip_masquerade false)`}, which the network outside has no route back to`;
    }
    hops.push({ kind: 'outside', name: finalIp, status: 'unknown', summary: `beyond ${host.host}${exitInterface ? ` (${exitInterface})` : ''} the path is not in the bundle`, details: [], evidence: [], unknowns: [] });
  }
  if (hostHop.summary === '') hostHop.summary = hostHop.status === 'blocked' ? 'dropped' : `${host.host} passes it`;

  const exitMtu = exitInterface && exitInterface !== 'lo' && routing ? routing.interface(exitInterface)?.view.mtu : undefined;
  const sent = hops[0]!.mtu;
  const largestCandidates = [exitMtu, hops.at(-1)?.kind === 'container' ? hops.at(-1)!.mtu : undefined].filter((m): m is number => m !== undefined);
  const largest = largestCandidates.length > 0 ? Math.min(...largestCandidates) : undefined;
  const result: PathResult = {
    kind: 'docker',
    from: { name: source.container.name, ip: source.ip, node: host.host, ...(sent !== undefined ? { mtu: sent } : {}) },
    to: { name: target && finalIp === target.ip ? target.container.name : finalIp, ip: finalIp, node: host.host },
    protocol: proto,
    ...(finalPort !== undefined ? { port: finalPort } : {}),
    family,
    verdict: 'unknown',
    reason: '',
    hops,
    mtu: {
      ...(sent !== undefined ? { sent } : {}),
      ...(largest !== undefined ? { largest } : {}),
      blackHole: false,
      text:
        largest === undefined
          ? `${sent !== undefined ? `the container sends up to ${sent} bytes; ` : ''}the MTUs further along the path are not known`
          : sent !== undefined && sent > largest
            ? `the container sends packets of up to ${sent} bytes; the path takes ${largest}: larger ones depend on path MTU discovery`
            : `${largest}-byte packets get through${sent !== undefined ? `; the container sends up to ${sent}: fits` : ''}`,
      evidence: [],
    },
    notes,
  };
  if (translatedFrom) result.translatedFrom = translatedFrom;
  return concludePath(result);
}

/** Whether a port published on `hostIp` ('' and 0.0.0.0 for every IPv4 address, :: for every address) takes connections to `ip`. */
function bindsAddress(hostIp: string, ip: string): boolean {
  if (hostIp === '' || hostIp === '::') return true;
  if (hostIp === '0.0.0.0') return !ip.includes(':');
  const bound = parseIpAddress(hostIp);
  const wanted = parseIpAddress(ip);
  return bound !== undefined && wanted !== undefined && bound.family === wanted.family && bound.value === wanted.value;
}

/** docker-proxy's own connection from the host to the container: OUTPUT → POSTROUTING, out of the container's bridge. */
function relayLeg(model: AnalysisModel, host: DockerHost, routing: NodeRouting | undefined, to: ContainerAttachment, proto: PathProtocol, port: number): { details: string[]; evidence: PathHop['evidence']; unknowns: string[]; blocked?: string } {
  const gateway = to.network?.ipam.configs.find((c) => c.gateway && !c.gateway.includes(':'))?.gateway;
  const src = gateway ?? to.attached.gateway;
  if (!src) return { details: [], evidence: [], unknowns: [`the address docker-proxy connects from (${to.network?.name ?? to.attached.name}'s gateway) is unknown: its connection is not traced`] };
  const trace = traceOnHost(model, host, routing, { from: 'host', src, dst: to.ip, proto, sport: SOURCE_PORT, dport: port, ctState: 'NEW' });
  if ('unknown' in trace) return { details: [], evidence: [], unknowns: [trace.unknown] };
  const verdict = judgeNetfilterTrace(trace.result, trace.file);
  const details = [`docker-proxy connects from ${src} to ${to.ip}:${port}: ${verdict.text}`];
  return { details, evidence: verdict.evidence, unknowns: verdict.unknowns, ...(verdict.status === 'blocked' ? { blocked: `its connection to ${to.container.name} is ${verdict.text}` } : {}) };
}

/** A container's addresses on the host's networks, joined to the networks by id, else by name. */
export function attachments(container: DockerContainer, networks: readonly DockerNetwork[]): ContainerAttachment[] {
  return container.networks.flatMap((attached) => {
    if (!attached.ipAddress) return [];
    const network = networks.find((n) => attached.networkId !== undefined && n.id === attached.networkId) ?? networks.find((n) => n.name === attached.name);
    return [{ container, attached, ...(network ? { network } : {}), ip: attached.ipAddress }];
  });
}

function sameNetwork(a: ContainerAttachment, b: ContainerAttachment): boolean {
  if (a.network && b.network) return a.network.id === b.network.id;
  return a.attached.name === b.attached.name;
}

function containerHop(attachment: ContainerAttachment, routing: NodeRouting | undefined, role: 'source' | 'destination'): PathHop {
  const { container, attached, network } = attachment;
  const bridge = network?.bridgeDevice;
  const hop: PathHop = {
    kind: 'container',
    name: container.name,
    status: container.running ? 'ok' : 'blocked',
    summary: container.running ? `${role === 'source' ? 'sends from' : 'receives on'} ${attachment.ip} on ${attached.name}${bridge ? ` (${bridge})` : ''}` : `${container.name} is not running (${container.status ?? 'unknown state'})`,
    details: [`${container.id.slice(0, 12)}, network ${attached.name}${network ? ` (${network.driver})` : ''}`],
    evidence: [container.source.at(attached.path, `${container.name} on ${attached.name}: ${attachment.ip}`)],
    unknowns: [],
  };
  if (network?.mtu !== undefined) {
    hop.mtu = network.mtu;
    hop.details.push(`mtu ${network.mtu}: the network's com.docker.network.driver.mtu`);
    hop.evidence.push(network.source.at('Options', `com.docker.network.driver.mtu ${network.mtu}`));
  } else if (bridge && routing?.interface(bridge)?.view.mtu !== undefined) {
    const mtu = routing.interface(bridge)!.view.mtu!;
    hop.mtu = mtu;
    hop.details.push(`mtu ${mtu}: ${bridge}'s (Docker gives the container the network's MTU, 1500 unless the network sets com.docker.network.driver.mtu)`);
    const line = routing.interfaceEvidence(bridge, `${bridge} mtu ${mtu}`);
    if (line) hop.evidence.push(line);
  } else {
    hop.unknowns.push(`the MTU of ${container.name}'s interface is unknown (no network MTU option, ${bridge ?? 'its bridge'} not in ip-addr.txt)`);
  }
  return hop;
}

/**
 * Traces a packet through the host's iptables: the node's simulator (both iptables backends when
 * both hold rules) when its routes were collected, else the dump alone with the bridges' subnets
 * as routes.
 */
function traceOnHost(model: AnalysisModel, host: DockerHost, routing: NodeRouting | undefined, packet: SimPacket): { result: TraceResult; file: string } | { unknown: string } {
  if (!host.iptables) return { unknown: `not collected: nodes/${host.host}/iptables-save.txt (Docker's DNAT, isolation and FORWARD rules not checked)` };
  const simulator = routing?.routing ? nodeSimulator(model, host.host) : undefined;
  if (simulator) return { result: simulator.trace(packet), file: simulatorFiles(simulator) };
  const networks = host.networks?.value.networks ?? [];
  const bridges = networks.filter((n) => n.bridgeDevice !== undefined);
  const addresses = routing?.interfaces.flatMap((i) => i.view.addresses.filter((a) => a.family === 4).map((a) => formatIpAddress(a.address))) ?? [];
  const context = nodeNetContext({
    localAddresses: [...addresses, ...bridges.flatMap((n) => n.ipam.configs.flatMap((c) => (c.gateway && parseIpAddress(c.gateway) ? [c.gateway] : [])))],
    routes: bridges.flatMap((n) => n.ipam.configs.flatMap((c) => (c.subnet ? [{ cidr: c.subnet, interface: n.bridgeDevice! }] : []))),
  });
  const result = compileIptables(host.iptables.value, { file: host.iptables.file.path }).trace(context, packet);
  return { result, file: host.iptables.file.path };
}
