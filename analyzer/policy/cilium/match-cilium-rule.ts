/**
 * Does one Cilium rule element (ingress, ingressDeny, egress or egressDeny entry) match a flow?
 *
 * A rule element matches when its L3 part matches the peer's identity AND its L4 part matches
 * the port:
 * - L3: any of fromEndpoints/toEndpoints, from/toEntities, from/toCIDR(Set) (addresses outside
 *   the cluster only), from/toNodes, toFQDNs, toServices. With none of them the rule is L4-only
 *   and applies to every peer, but only if it has toPorts or icmps: an empty element `{}`
 *   matches nothing (which is why CNP `ingress: [{}]` denies all).
 * - L4: toPorts (protocol ANY = TCP, UDP, SCTP; port 0 or absent = every port; endPort ranges;
 *   named ports resolved on the destination pod) or icmps. Without either, every port.
 * L7 rules (`toPorts[].rules`) are enforced by the proxy after L3/L4 allows: recorded as notes.
 */
import { matchesLabelSelector } from '../../kube/label-selector.js';
import type { Pod } from '../../kube/types.js';
import { cidrContains, parseIpAddress } from '../../netfilter/ip-cidr.js';
import type { PolicyFlow } from '../policy-types.js';
import type { CiliumIdentity, CiliumPeerRule, CiliumPort } from './cilium-types.js';

export type PeerMatch = { result: 'match' | 'miss' | 'unknown'; reason: string; notes: string[] };

export interface CiliumMatchContext {
  flow: PolicyFlow;
  direction: 'ingress' | 'egress';
  /** The other end of the flow, as the judged endpoint sees it. */
  peer: CiliumIdentity;
  /** The pod that owns the destination port, for named ports. */
  destinationPod: Pod | undefined;
  /** Whether the API server addresses are known (for the kube-apiserver entity). */
  apiServerKnown: boolean;
  /** Names the bundle saw for an address (DNS answers); undefined when it holds none. */
  fqdnsOf?: (ip: string) => readonly string[] | undefined;
  /** Write miss reasons (default true). */
  explain?: boolean;
}

/** Echo request: the flow model carries no ICMP type, so an ICMP flow is read as ping. */
const ECHO_REQUEST = { IPv4: 8, IPv6: 128 } as const;

const QUIET_MISS: PeerMatch = { result: 'miss', reason: '', notes: [] };
/** A miss; its reason is only written when the caller explains (matrices do not). */
function miss(ctx: CiliumMatchContext, why: () => string, notes: string[] = []): PeerMatch {
  return ctx.explain === false && notes.length === 0 ? QUIET_MISS : { result: 'miss', reason: ctx.explain === false ? '' : why(), notes };
}

export function matchCiliumPeerRule(rule: CiliumPeerRule, ctx: CiliumMatchContext): PeerMatch {
  const l7: string[] = [];
  const l4 = matchL4(rule, ctx, l7);
  if (l4) return l4;
  const notes: string[] = [];
  const hasL3 =
    rule.endpoints !== undefined ||
    rule.entities !== undefined ||
    rule.cidrs !== undefined ||
    rule.nodes !== undefined ||
    rule.fqdns !== undefined ||
    rule.services !== undefined ||
    rule.unsupported.length > 0;
  if (!hasL3) {
    if (!rule.toPorts && !rule.icmps) return miss(ctx, () => 'an empty rule selects no peer');
    return { result: 'match', reason: `L4-only rule: every peer on ${describePort(ctx)}`, notes: l7 };
  }
  const l3 = matchL3(rule, ctx, notes);
  if (l3.result !== 'match') return l3;
  if (rule.authentication) notes.push(`${rule.path} requires authentication (${rule.authentication}): judged at L3/L4 only`);
  return { ...l3, notes: [...notes, ...l7] };
}

function describePort(ctx: CiliumMatchContext): string {
  return ctx.flow.port !== undefined ? `${ctx.flow.port}/${ctx.flow.protocol}` : ctx.flow.protocol;
}

function matchL3(rule: CiliumPeerRule, ctx: CiliumMatchContext, notes: string[]): PeerMatch {
  const peer = ctx.peer;
  const side = ctx.direction === 'ingress' ? 'from' : 'to';
  const explain = ctx.explain !== false;
  const misses: string[] = [];
  const undecided: string[] = [];

  if (rule.endpoints) {
    const hit = rule.endpoints.find((s) => s.matches(peer));
    if (hit) return { result: 'match', reason: `${side}Endpoints ${hit.text} matches ${peer.label}`, notes };
    if (explain) misses.push(`${side}Endpoints [${rule.endpoints.map((s) => s.text).join('; ')}]`);
  }
  if (rule.entities) {
    for (const entity of rule.entities) {
      const match = entityMatches(entity, peer, ctx);
      if (match === true) return { result: 'match', reason: `${side}Entities ${entity} matches ${peer.label}`, notes };
      if (match === 'unknown') undecided.push(`${side}Entities ${entity}: the API server addresses are not in the bundle`);
    }
    if (explain) misses.push(`${side}Entities [${rule.entities.join(', ')}]`);
  }
  if (rule.cidrs) {
    const address = parseIpAddress(ctx.flow[ctx.direction === 'ingress' ? 'src' : 'dst'].ip);
    const outside = peer.kind === 'world' || peer.kind === 'kube-apiserver';
    for (const cidr of rule.cidrs) {
      if (!address || !cidrContains(cidr.cidr, address)) continue;
      if (cidr.except.some((e) => cidrContains(e, address))) continue;
      if (outside) return { result: 'match', reason: `${side}CIDR ${cidr.text} contains ${peer.label}`, notes };
      notes.push(`${cidr.text} contains the address of ${peer.label}, but Cilium matches cluster endpoints by identity, not by CIDR`);
    }
    if (explain) misses.push(`${side}CIDR [${rule.cidrs.map((c) => c.text).join(', ')}]`);
  }
  if (rule.nodes) {
    const node = peer.node;
    if (node && (peer.kind === 'host' || peer.kind === 'remote-node') && rule.nodes.some((s) => matchesLabelSelector(node.labels, s))) {
      return { result: 'match', reason: `${side}Nodes matches ${peer.label}`, notes };
    }
    if (explain) misses.push(`${side}Nodes`);
  }
  if (rule.fqdns) {
    const patterns = rule.fqdns.map((f) => f.matchName ?? f.matchPattern ?? '').filter((p) => p !== '');
    if (peer.kind === 'world') {
      const names = ctx.fqdnsOf?.(ctx.flow.dst.ip);
      if (names === undefined) {
        undecided.push(`toFQDNs [${patterns.join(', ')}]: which names ${ctx.flow.dst.ip} answers for is learned from DNS at run time, and the bundle holds no DNS answers`);
      } else {
        const hit = names.find((name) => rule.fqdns!.some((f) => fqdnMatches(f, name)));
        if (hit) return { result: 'match', reason: `toFQDNs matches ${hit} (${ctx.flow.dst.ip})`, notes };
      }
    }
    if (explain) misses.push(`toFQDNs [${patterns.join(', ')}]`);
  }
  if (rule.services) {
    const names = rule.services.map((s) => (s.selector ? 'a k8sServiceSelector' : `${s.namespace ?? ''}/${s.name}`));
    const via = ctx.flow.viaService?.replace(/^Service\//, '');
    const named = rule.services.find((s) => !s.selector && via !== undefined && via === `${s.namespace ?? ''}/${s.name}`);
    if (named && peer.kind === 'world') return { result: 'match', reason: `toServices ${via}: ${peer.label} is one of its endpoints`, notes };
    notes.push(`toServices [${names.join(', ')}] match the endpoints of selector-less Services only; judged by the Service the flow names`);
    if (explain) misses.push(`toServices [${names.join(', ')}]`);
  }
  for (const field of rule.unsupported) undecided.push(`${field} cannot be judged offline`);
  if (undecided.length > 0) return { result: 'unknown', reason: undecided.join('; '), notes };
  return miss(ctx, () => `${peer.label} matches none of ${misses.join(', ')}`, notes);
}

function entityMatches(entity: string, peer: CiliumIdentity, ctx: CiliumMatchContext): boolean | 'unknown' {
  switch (entity) {
    case 'all':
      return true;
    case 'world':
    case 'world-ipv4':
    case 'world-ipv6':
    case 'host':
    case 'remote-node':
      return peer.labels.has(`reserved:${entity}`);
    case 'cluster':
      return peer.kind === 'pod' || peer.kind === 'host' || peer.kind === 'remote-node';
    case 'kube-apiserver':
      if (peer.labels.has('reserved:kube-apiserver')) return true;
      return !ctx.apiServerKnown && peer.kind !== 'pod' ? 'unknown' : false;
    default:
      // health, init, ingress, unmanaged: identities no modelled endpoint has.
      return false;
  }
}

/** matchName is exact (case-insensitive, trailing dot ignored); matchPattern has `*` wildcards. */
export function fqdnMatches(rule: { matchName?: string; matchPattern?: string }, name: string): boolean {
  const normalize = (s: string) => s.toLowerCase().replace(/\.$/, '');
  const target = normalize(name);
  if (rule.matchName !== undefined) return normalize(rule.matchName) === target;
  if (rule.matchPattern === undefined) return false;
  const pattern = normalize(rule.matchPattern);
  if (pattern === '*') return true;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[-a-z0-9_]*')}$`);
  return regex.test(target);
}

function matchL4(rule: CiliumPeerRule, ctx: CiliumMatchContext, notes: string[]): PeerMatch | undefined {
  if (!rule.toPorts && !rule.icmps) return undefined;
  const flow = ctx.flow;
  if (flow.protocol === 'ICMP' || flow.protocol === 'ICMPv6') {
    const family = flow.protocol === 'ICMP' ? 'IPv4' : 'IPv6';
    const allowed = (rule.icmps ?? []).some((i) => i.family === family && (i.type === ECHO_REQUEST[family] || i.type === 'EchoRequest'));
    return allowed ? undefined : miss(ctx, () => `${flow.protocol} echo request not in ${rule.icmps ? 'icmps' : 'toPorts (TCP/UDP/SCTP only)'}`);
  }
  const port = flow.port;
  for (const portRule of rule.toPorts ?? []) {
    const ports = portRule.ports.length === 0 ? [{ protocol: 'ANY', text: 'all ports/ANY' } as CiliumPort] : portRule.ports;
    const hit = ports.find((p) => portMatches(p, port, ctx));
    if (!hit) continue;
    if (portRule.l7.length > 0) {
      notes.push(`${rule.path}: L7 ${portRule.l7.join('/')} rules on ${hit.text} are enforced by the proxy: allowed at L3/L4, requests not matching them are refused (HTTP 403 / L7 DROPPED)`);
    }
    return undefined;
  }
  return miss(ctx, () => `${port ?? '?'}/${flow.protocol} not in toPorts [${(rule.toPorts ?? []).flatMap((r) => r.ports.map((p) => p.text)).join(', ')}]${namedPortHint(rule, ctx)}`);
}

function protocolMatches(rule: CiliumPort['protocol'], flow: PolicyFlow['protocol']): boolean {
  return rule === 'ANY' ? flow === 'TCP' || flow === 'UDP' || flow === 'SCTP' : rule === flow;
}

function portMatches(rule: CiliumPort, port: number | undefined, ctx: CiliumMatchContext): boolean {
  if (!protocolMatches(rule.protocol, ctx.flow.protocol)) return false;
  if (rule.port === undefined) return true;
  if (port === undefined) return false;
  if (typeof rule.port === 'string') return namedPorts(rule.port, ctx).includes(port);
  return port >= rule.port && port <= (rule.endPort ?? rule.port);
}

function namedPorts(name: string, ctx: CiliumMatchContext): number[] {
  const pod = ctx.destinationPod;
  if (!pod) return [];
  return pod.containers.flatMap((c) => c.ports.filter((p) => p.name === name && p.protocol === ctx.flow.protocol).map((p) => p.containerPort));
}

function namedPortHint(rule: CiliumPeerRule, ctx: CiliumMatchContext): string {
  const names = (rule.toPorts ?? []).flatMap((r) => r.ports.flatMap((p) => (typeof p.port === 'string' ? [p.port] : [])));
  if (names.length === 0) return '';
  const resolved = names.map((name) => {
    const numbers = namedPorts(name, ctx);
    return numbers.length > 0 ? `${name}=${numbers.join('/')}` : `${name} is not a ${ctx.flow.protocol} port of the destination`;
  });
  return ` (${resolved.join('; ')})`;
}
