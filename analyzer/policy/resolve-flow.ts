/**
 * Turns a question as a user asks it ("from shop/cart-7d9 to shop/db port 5432", "from
 * 10.244.1.7 to 10.96.0.10 port dns/udp") into the flows policies actually see: endpoints
 * resolved against the model, and a Service replaced by each of its ready endpoints with the
 * targetPort (policies judge traffic after Service DNAT).
 *
 * Endpoint forms: `ns/name` (a pod; for a destination, else a Service), `pod/ns/name`,
 * `svc/ns/name` (or `service/ns/name`), `node/name`, or an IP (a pod's, a node's, a Service
 * ClusterIP, or anything else = outside the cluster). A hostNetwork pod is its node.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Node, Pod, Protocol, Service, ServicePort } from '../kube/types.js';
import { parseIpAddress } from '../netfilter/ip-cidr.js';
import { resolveNamedPort } from './named-port.js';
import type { FlowEndpoint, PolicyFlow } from './policy-types.js';

export type FlowProtocol = PolicyFlow['protocol'];

export interface FlowQuery {
  from: string;
  to: string;
  /** A port number, a Service port name, or a container port name of the destination pod. */
  port?: number | string;
  /** Default: the Service port's protocol, else TCP. */
  protocol?: FlowProtocol;
}

export interface ResolvedFlows {
  /** One flow, or one per ready endpoint of a Service; empty when `problems` says why. */
  flows: PolicyFlow[];
  service?: Service;
  servicePort?: ServicePort;
  notes: string[];
  /** Why the question cannot be answered as asked (unknown pod, no such Service port...). */
  problems: string[];
}

const PROTOCOL_NAMES: Record<string, FlowProtocol> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP', icmp: 'ICMP', icmpv6: 'ICMPv6' };

/** `80`, `80/udp`, `dns`, `dns/udp`, `icmp` as a port and protocol; an error message otherwise. */
export function parsePortSpec(text: string): { port?: number | string; protocol?: FlowProtocol } | { error: string } {
  const [portText = '', protocolText, extra] = text.trim().split('/');
  if (extra !== undefined) return { error: `--port ${text}: expected <port>[/tcp|udp|sctp]` };
  if (protocolText === undefined && PROTOCOL_NAMES[portText.toLowerCase()]?.startsWith('ICMP')) return { protocol: PROTOCOL_NAMES[portText.toLowerCase()]! };
  let protocol: FlowProtocol | undefined;
  if (protocolText !== undefined) {
    protocol = PROTOCOL_NAMES[protocolText.toLowerCase()];
    if (!protocol) return { error: `--port ${text}: unknown protocol ${protocolText} (tcp, udp, sctp)` };
  }
  if (portText === '') return { error: `--port ${text}: no port given` };
  if (/^\d+$/.test(portText)) {
    const port = Number(portText);
    if (port < 1 || port > 65535) return { error: `--port ${text}: ${port} is not a port number` };
    return protocol ? { port, protocol } : { port };
  }
  return protocol ? { port: portText, protocol } : { port: portText };
}

export const NODE_ADDRESS_FACET = 'policy.node-addresses';

/** Node by any of its addresses (InternalIP, ExternalIP). */
function nodeByAddress(model: AnalysisModel): Map<string, Node> {
  return model.facet(NODE_ADDRESS_FACET, (m) => {
    const map = new Map<string, Node>();
    for (const node of m.kube.nodes) {
      for (const address of node.addresses) {
        if ((address.type === 'InternalIP' || address.type === 'ExternalIP') && !map.has(address.address)) map.set(address.address, node);
      }
    }
    return map;
  });
}

const familyOf = (ip: string) => (ip.includes(':') ? 6 : 4);

/** The endpoint a pod is: itself, or its node when it uses the host network. */
export function podEndpoint(model: AnalysisModel, pod: Pod, family?: 4 | 6): FlowEndpoint {
  if (pod.hostNetwork) {
    const node = pod.nodeName !== undefined ? model.kube.node(pod.nodeName) : undefined;
    const ip = pod.hostIP ?? pod.podIPs[0] ?? node?.ips[0] ?? '';
    return { kind: 'node', node, ip, pod };
  }
  const ip = pod.podIPs.find((candidate) => family === undefined || familyOf(candidate) === family) ?? pod.podIPs[0] ?? '';
  return { kind: 'pod', pod, ip };
}

/** What an IP address is in the cluster: a pod, a node (hostNetwork pods included), or outside. */
export function endpointForIp(model: AnalysisModel, ip: string): FlowEndpoint {
  const pods = model.kube.podsByIP(ip);
  const pod = pods.find((p) => !p.hostNetwork);
  if (pod) return { kind: 'pod', pod, ip };
  const node = nodeByAddress(model).get(ip);
  if (node) return { kind: 'node', node, ip };
  const hostNetworkPod = pods[0];
  if (hostNetworkPod) {
    const owner = hostNetworkPod.nodeName !== undefined ? model.kube.node(hostNetworkPod.nodeName) : undefined;
    return { kind: 'node', node: owner, ip, pod: hostNetworkPod };
  }
  return { kind: 'external', ip };
}

type Named = { kind: 'pod'; pod: Pod } | { kind: 'service'; service: Service } | { kind: 'endpoint'; endpoint: FlowEndpoint } | { kind: 'problem'; problem: string };

function lookUp(model: AnalysisModel, text: string, role: 'from' | 'to', notes: string[]): Named {
  const kube = model.kube;
  const trimmed = text.trim();
  if (parseIpAddress(trimmed)) {
    const service = role === 'to' ? kube.serviceByClusterIP(trimmed) : undefined;
    if (service) return { kind: 'service', service };
    return { kind: 'endpoint', endpoint: endpointForIp(model, trimmed) };
  }
  const parts = trimmed.split('/');
  if (parts.length === 2 && parts[0] === 'node') {
    const node = kube.node(parts[1]!);
    if (!node) return { kind: 'problem', problem: `no node named ${parts[1]} in the bundle` };
    return { kind: 'endpoint', endpoint: { kind: 'node', node, ip: node.ips[0] ?? '' } };
  }
  let prefix: string | undefined;
  if (parts.length === 3) prefix = parts.shift();
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { kind: 'problem', problem: `${text}: expected <namespace>/<pod>, svc/<namespace>/<service>, node/<name> or an IP address` };
  const [namespace, name] = parts as [string, string];
  if (prefix !== undefined && !['pod', 'svc', 'service'].includes(prefix)) return { kind: 'problem', problem: `${text}: unknown kind ${prefix} (pod, svc)` };
  const pod = prefix === 'svc' || prefix === 'service' ? undefined : kube.pod(namespace, name);
  const service = prefix === 'pod' || role === 'from' ? undefined : kube.service(namespace, name);
  if (pod) {
    if (prefix === undefined && role === 'to' && kube.service(namespace, name)) notes.push(`${namespace}/${name} is both a pod and a Service: judged as the pod (write svc/${namespace}/${name} for the Service)`);
    return { kind: 'pod', pod };
  }
  if (service) return { kind: 'service', service };
  if (role === 'from' && kube.service(namespace, name)) return { kind: 'problem', problem: `${text} is a Service, which sends no traffic: name one of its pods` };
  const what = prefix === 'svc' || prefix === 'service' ? 'Service' : role === 'to' && prefix === undefined ? 'pod or Service' : 'pod';
  return { kind: 'problem', problem: `no ${what} ${namespace}/${name} in the bundle` };
}

export function resolveFlowQuery(model: AnalysisModel, query: FlowQuery): ResolvedFlows {
  const notes: string[] = [];
  const problems: string[] = [];
  const from = lookUp(model, query.from, 'from', notes);
  const to = lookUp(model, query.to, 'to', notes);
  if (from.kind === 'problem') problems.push(from.problem);
  if (to.kind === 'problem') problems.push(to.problem);
  if (from.kind === 'problem' || to.kind === 'problem') return { flows: [], notes, problems };
  if (from.kind === 'service') return { flows: [], notes, problems: [`${query.from} is a Service, which sends no traffic: name one of its pods`] };

  if (to.kind === 'service') return resolveServiceFlows(model, from, to.service, query, notes);

  const dst = to.kind === 'pod' ? podEndpoint(model, to.pod) : to.endpoint;
  const src = sourceEndpoint(model, from, familyOf(dst.ip));
  const protocol = query.protocol ?? 'TCP';
  if (protocol === 'ICMP' || protocol === 'ICMPv6') return { flows: [{ src, dst, protocol }], notes, problems };
  const port = destinationPort(query.port, protocol, dst, notes, problems);
  if (port === undefined) return { flows: [], notes, problems };
  return { flows: [{ src, dst, protocol: port.protocol, port: port.port }], notes, problems };
}

function sourceEndpoint(model: AnalysisModel, from: Exclude<Named, { kind: 'problem' | 'service' }>, family: 4 | 6): FlowEndpoint {
  return from.kind === 'pod' ? podEndpoint(model, from.pod, family) : from.endpoint;
}

/** The port on a destination pod, node or address; a name is looked up on the pod. */
function destinationPort(
  asked: number | string | undefined,
  protocol: Protocol,
  dst: FlowEndpoint,
  notes: string[],
  problems: string[],
): { port: number; protocol: Protocol } | undefined {
  const pod = dst.kind === 'pod' ? dst.pod : dst.kind === 'node' ? dst.pod : undefined;
  if (typeof asked === 'number') return { port: asked, protocol };
  if (typeof asked === 'string') {
    if (!pod) {
      problems.push(`port ${asked} is a name, and ${dst.ip} is not a pod that could declare it`);
      return undefined;
    }
    const number = resolveNamedPort(pod, asked, protocol);
    if (number === undefined) {
      problems.push(`${pod.namespace}/${pod.name} declares no ${protocol} container port named ${asked}`);
      return undefined;
    }
    notes.push(`port ${asked} is ${number}/${protocol} on ${pod.namespace}/${pod.name}`);
    return { port: number, protocol };
  }
  const declared = pod?.containers.flatMap((c) => c.ports) ?? [];
  if (declared.length === 1) {
    notes.push(`no port given: using the only container port of ${pod!.namespace}/${pod!.name}, ${declared[0]!.containerPort}/${declared[0]!.protocol}`);
    return { port: declared[0]!.containerPort, protocol: declared[0]!.protocol };
  }
  problems.push(`give a port: ${pod ? `${pod.namespace}/${pod.name} declares ${declared.length === 0 ? 'no container port' : declared.map((p) => `${p.containerPort}/${p.protocol}`).join(', ')}` : `${dst.ip} is not a pod`}`);
  return undefined;
}

function resolveServiceFlows(
  model: AnalysisModel,
  from: Exclude<Named, { kind: 'problem' | 'service' }>,
  service: Service,
  query: FlowQuery,
  notes: string[],
): ResolvedFlows {
  const problems: string[] = [];
  const svcText = `${service.namespace}/${service.name}`;
  const listPorts = () => service.ports.map((p) => `${p.name ? `${p.name} ` : ''}${p.port}/${p.protocol}`).join(', ') || 'none';
  if (query.protocol === 'ICMP' || query.protocol === 'ICMPv6') {
    problems.push(`Service ${svcText}: a ClusterIP forwards TCP, UDP and SCTP ports only, not ${query.protocol}`);
    return { flows: [], service, notes, problems };
  }
  let servicePort: ServicePort | undefined;
  if (typeof query.port === 'number') servicePort = service.ports.find((p) => p.port === query.port && (query.protocol === undefined || p.protocol === query.protocol));
  else if (typeof query.port === 'string') servicePort = service.ports.find((p) => p.name === query.port && (query.protocol === undefined || p.protocol === query.protocol));
  else if (service.ports.length === 1) servicePort = service.ports[0];
  if (!servicePort) {
    const asked = query.port === undefined ? 'no port given' : `no port ${query.port}${query.protocol ? `/${query.protocol}` : ''}`;
    problems.push(`Service ${svcText}: ${asked} (ports: ${listPorts()})`);
    return { flows: [], service, notes, problems };
  }
  const protocol = servicePort.protocol;
  const viaService = svcText;
  const flows: PolicyFlow[] = [];
  const srcFor = (ip: string) => sourceEndpoint(model, from, familyOf(ip));

  for (const backend of serviceBackends(model, service, servicePort, notes)) {
    const port = backend.port ?? (typeof servicePort.targetPort === 'number' ? servicePort.targetPort : backend.pod ? resolveNamedPort(backend.pod, servicePort.targetPort, protocol) : undefined);
    if (port === undefined) {
      notes.push(`${backend.ip}: targetPort ${servicePort.targetPort} does not resolve on this endpoint; left out`);
      continue;
    }
    const dst = backend.pod ? podEndpoint(model, backend.pod, familyOf(backend.ip)) : endpointForIp(model, backend.ip);
    if (dst.kind === 'pod') dst.ip = backend.ip;
    flows.push({ src: srcFor(backend.ip), dst, protocol, port, viaService });
  }
  if (flows.length === 0) problems.push(`Service ${svcText} has no ready endpoint for port ${servicePort.name || servicePort.port}: the connection fails before any policy`);
  else notes.push(`judged against the ${flows.length} ready endpoint${flows.length === 1 ? '' : 's'} of Service ${svcText} ${servicePort.port}/${protocol} → targetPort ${servicePort.targetPort}: policies see traffic after Service DNAT`);
  return { flows, service, servicePort, notes, problems };
}

interface Backend {
  ip: string;
  pod: Pod | undefined;
  /** The endpoint port the controller resolved, when the endpoint object gives it. */
  port: number | undefined;
}

/** Ready endpoints of a Service port: EndpointSlices, else Endpoints, else the selector's ready pods. */
function serviceBackends(model: AnalysisModel, service: Service, servicePort: ServicePort, notes: string[]): Backend[] {
  const kube = model.kube;
  const podOf = (ip: string, ref: { kind: string; namespace?: string; name: string } | undefined) =>
    ref?.kind === 'Pod' ? kube.pod(ref.namespace ?? service.namespace, ref.name) : kube.podsByIP(ip).find((p) => !p.hostNetwork) ?? kube.podsByIP(ip)[0];
  const backends: Backend[] = [];
  const seen = new Set<string>();
  const slices = kube.slicesOf(service).filter((s) => s.addressType === 'IPv4' || s.addressType === 'IPv6');
  if (slices.length > 0) {
    for (const slice of slices) {
      const port = slice.ports.find((p) => p.name === servicePort.name && p.protocol === servicePort.protocol)?.port;
      for (const endpoint of slice.endpoints) {
        if (!endpoint.conditions.ready) continue;
        for (const ip of endpoint.addresses) {
          if (seen.has(ip)) continue;
          seen.add(ip);
          backends.push({ ip, pod: podOf(ip, endpoint.targetRef), port });
        }
      }
    }
    return backends;
  }
  const endpoints = kube.endpointsOf(service);
  if (endpoints) {
    for (const subset of endpoints.subsets) {
      const port = subset.ports.find((p) => p.name === servicePort.name && p.protocol === servicePort.protocol)?.port;
      for (const address of subset.addresses) {
        if (!address.ready || seen.has(address.ip)) continue;
        seen.add(address.ip);
        backends.push({ ip: address.ip, pod: podOf(address.ip, address.targetRef), port });
      }
    }
    return backends;
  }
  if (!service.selector) return backends;
  notes.push(`no EndpointSlice or Endpoints of ${service.namespace}/${service.name} in the bundle: backends are the ready pods its selector matches`);
  for (const pod of kube.podsOfService(service)) {
    if (!pod.ready || pod.podIPs.length === 0) continue;
    backends.push({ ip: pod.podIPs[0]!, pod, port: undefined });
  }
  return backends;
}
