/**
 * nftables expressions evaluated on a simulated packet: what a selector (`ip daddr`,
 * `meta l4proto`, `th dport`, `ct state`, `fib daddr type`, …) yields, and whether a set or map
 * element, or a rule's right-hand value, matches it. Named sets are indexed by exact key so
 * kube-proxy's `service-ips` map (one element per Service port) is a hash lookup.
 */
import { cidrContains, ipKey, type IpAddress } from '../ip-cidr.js';
import { protocolNumber } from '../ip-protocols.js';
import type { NftAtom, NftElement, NftSelector, NftSet } from '../nft-types.js';
import type { NodeFacts } from './node-context.js';
import type { SimState } from './sim-state.js';

/** A selector's value: an address, a number, a word, or a set of flags (`ct status`, `tcp flags`). */
export type NftPacketValue =
  | { kind: 'ip'; value: IpAddress }
  | { kind: 'number'; value: number }
  | { kind: 'word'; value: string }
  | { kind: 'flags'; value: ReadonlySet<string> };

/**
 * `absent`: the expression does not apply to this packet (`tcp dport` of a UDP packet, `ip daddr`
 * of an IPv6 one) — nft ends the rule there, whatever the operator.
 */
export type SelectorResult = NftPacketValue | 'absent' | { unknown: string };

/** How a selector's column reads symbols in set elements and right-hand values. */
export type ColumnKind = 'address' | 'protocol' | 'port' | 'number' | 'word' | 'icmp';

const PORTED = new Set([6, 17, 33, 132, 136]);
const L4_OF: Record<string, number> = { tcp: 6, udp: 17, udplite: 136, sctp: 132, dccp: 33 };
const SERVICES: Record<string, number> = { ssh: 22, domain: 53, http: 80, https: 443, ntp: 123, bgp: 179, 'kubernetes': 6443 };
const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'redirect': 5,
  'echo-request': 8,
  'time-exceeded': 11,
  'parameter-problem': 12,
};
const ICMPV6_TYPES: Record<string, number> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
};

export function columnKind(selector: NftSelector): ColumnKind {
  const name = selector.name;
  if (selector.bitwise || selector.numgen || name === 'meta mark' || name === 'ct mark' || name === 'meta skuid' || name === 'meta skgid') return 'number';
  if (/(^| )(saddr|daddr)$/.test(name) && !name.startsWith('fib') && !name.startsWith('ether') && !name.startsWith('arp')) return 'address';
  if (name === 'meta l4proto' || name === 'ip protocol' || name === 'ip6 nexthdr' || name === 'ct protocol') return 'protocol';
  if (/ (sport|dport)$/.test(name) || name === 'ct proto-src' || name === 'ct proto-dst') return 'port';
  if (name === 'icmp type' || name === 'icmpv6 type' || name === 'icmp code' || name === 'icmpv6 code') return 'icmp';
  return 'word';
}

export interface SelectorEnvironment {
  node: NodeFacts;
}

/** What the selector reads from the packet. */
export function evaluateSelector(selector: NftSelector, state: SimState, env: SelectorEnvironment): SelectorResult {
  const raw = readSelector(selector, state, env);
  if (!selector.bitwise || typeof raw === 'string' || !('kind' in raw)) return raw;
  if (raw.kind !== 'number') return { unknown: `bit operation on ${selector.name}` };
  const { op, value } = selector.bitwise;
  const result = op === 'and' ? raw.value & value : op === 'or' ? raw.value | value : raw.value ^ value;
  return { kind: 'number', value: result >>> 0 };
}

function readSelector(selector: NftSelector, state: SimState, env: SelectorEnvironment): SelectorResult {
  const name = selector.name;
  const c = state.constants;
  const v4 = c.family === 4;
  if (selector.fib) return readFib(selector.fib, state, env);
  switch (name) {
    case 'ip saddr':
      return v4 ? { kind: 'ip', value: state.src } : 'absent';
    case 'ip daddr':
      return v4 ? { kind: 'ip', value: state.dst } : 'absent';
    case 'ip6 saddr':
      return v4 ? 'absent' : { kind: 'ip', value: state.src };
    case 'ip6 daddr':
      return v4 ? 'absent' : { kind: 'ip', value: state.dst };
    case 'ip protocol':
      return v4 ? { kind: 'number', value: state.proto } : 'absent';
    case 'ip6 nexthdr':
      return v4 ? 'absent' : { kind: 'number', value: state.proto };
    case 'ip version':
      return v4 ? { kind: 'number', value: 4 } : 'absent';
    case 'meta l4proto':
    case 'ct protocol':
      return { kind: 'number', value: state.proto };
    case 'meta nfproto':
    case 'ct l3proto':
      return { kind: 'word', value: v4 ? 'ipv4' : 'ipv6' };
    case 'meta protocol':
      return { kind: 'word', value: v4 ? 'ip' : 'ip6' };
    case 'th sport':
    case 'th dport': {
      if (!PORTED.has(state.proto)) return 'absent';
      return port(name === 'th sport' ? state.sport : state.dport, name);
    }
    case 'meta mark':
      return { kind: 'number', value: state.mark };
    case 'ct mark':
      return state.visibleCtState === 'UNTRACKED' || state.visibleCtState === 'INVALID' ? 'absent' : { kind: 'number', value: state.ctMark };
    case 'ct state':
      return { kind: 'word', value: state.visibleCtState.toLowerCase() };
    case 'ct status': {
      if (state.visibleCtState === 'UNTRACKED' || state.visibleCtState === 'INVALID') return 'absent';
      if (state.ctState !== 'NEW') return { unknown: 'ct status of an established connection is not modelled' };
      const flags = new Set<string>();
      if (state.dnatDone) flags.add('dnat');
      if (state.snatDone) flags.add('snat');
      return { kind: 'flags', value: flags };
    }
    case 'ct direction':
      return { kind: 'word', value: 'original' };
    case 'ct original ip saddr':
    case 'ct original ip6 saddr':
    case 'ct original saddr':
      return { kind: 'ip', value: c.origSrc };
    case 'ct original ip daddr':
    case 'ct original ip6 daddr':
    case 'ct original daddr':
      return { kind: 'ip', value: c.origDst };
    case 'ct reply ip saddr':
    case 'ct reply ip6 saddr':
    case 'ct reply saddr':
      return { kind: 'ip', value: state.dnat?.ip ?? c.origDst };
    // Without a device the kernel (nft_meta_get_eval_ifname) reads an empty name
    // and ifindex 0, so the rule goes on: `iifname != "cni0"` matches a locally sent packet.
    case 'meta iifname':
    case 'meta iif':
      return { kind: 'word', value: state.inIface ?? '' };
    case 'meta oifname':
    case 'meta oif':
      return { kind: 'word', value: state.outIface ?? '' };
    case 'meta pkttype': {
      const type = env.node.addressType(state.dst);
      return { kind: 'word', value: type === 'MULTICAST' ? 'multicast' : type === 'BROADCAST' ? 'broadcast' : 'host' };
    }
    case 'meta skuid':
    case 'meta skgid': {
      if (c.origin !== 'host' || state.ipvs) return 'absent';
      const id = name === 'meta skuid' ? c.uid : c.gid;
      return id === undefined ? { unknown: `${name}: the sending process is not given` } : { kind: 'number', value: id };
    }
    case 'icmp type':
    case 'icmp code':
    case 'icmpv6 type':
    case 'icmpv6 code': {
      if (state.proto !== (name.startsWith('icmpv6') ? 58 : 1)) return 'absent';
      const value = name.endsWith('type') ? c.icmpType : c.icmpCode;
      return value === undefined ? { unknown: 'the packet has no ICMP type/code' } : { kind: 'number', value };
    }
    case 'tcp flags': {
      if (state.proto !== 6) return 'absent';
      return { kind: 'flags', value: new Set([...c.tcpFlags].map((f) => f.toLowerCase())) };
    }
  }
  const l4 = /^(tcp|udp|udplite|sctp|dccp) (sport|dport)$/.exec(name);
  if (l4) {
    if (state.proto !== L4_OF[l4[1]!]) return 'absent';
    return port(l4[2] === 'sport' ? state.sport : state.dport, name);
  }
  return { unknown: `${name} is not modelled` };
}

function port(value: number | undefined, name: string): SelectorResult {
  return value === undefined ? { unknown: `${name}: the packet has no such port` } : { kind: 'number', value };
}

function readFib(fib: NonNullable<NftSelector['fib']>, state: SimState, env: SelectorEnvironment): SelectorResult {
  const source = fib.keys.includes('saddr');
  const address = source ? state.src : state.dst;
  const limitIif = fib.keys.includes('iif');
  const limitOif = fib.keys.includes('oif');
  if (fib.result === 'type') {
    let type = env.node.addressType(address);
    if ((limitIif || limitOif) && type === 'LOCAL') {
      const on = env.node.isLocalOn(address, limitIif ? state.inIface : state.outIface);
      if (on === undefined) return { unknown: 'fib … type with an interface: addresses per interface are not known' };
      if (!on) type = 'UNICAST';
    }
    return { kind: 'word', value: type.toLowerCase() };
  }
  if (fib.result === 'oif' || fib.result === 'oifname') {
    const out = env.node.routeOut(address);
    if (limitIif) return { kind: 'word', value: out !== undefined && out === state.inIface ? out : 'missing' };
    return { kind: 'word', value: out ?? 'missing' };
  }
  return { unknown: `fib result ${fib.result} is not modelled` };
}

/** A symbol read in a column of the given kind; undefined when it names nothing known. */
function resolveSymbol(text: string, kind: ColumnKind, family: 4 | 6): number | string | undefined {
  switch (kind) {
    case 'protocol':
      return protocolNumber(text === 'icmpv6' ? 'ipv6-icmp' : text);
    case 'port':
      return SERVICES[text];
    case 'icmp':
      return (family === 4 ? ICMP_TYPES : ICMPV6_TYPES)[text];
    case 'number':
      return undefined;
    default:
      return text;
  }
}

/** Whether one atom (of an element key or a right-hand value) matches the packet value. */
export function atomMatches(atom: NftAtom, value: NftPacketValue, kind: ColumnKind, family: 4 | 6): boolean {
  switch (atom.type) {
    case 'ip':
      return value.kind === 'ip' && cidrContains(atom.cidr, value.value);
    case 'ip-range':
      return value.kind === 'ip' && value.value.family === atom.first.family && value.value.value >= atom.first.value && value.value.value <= atom.last.value;
    case 'number':
      return value.kind === 'number' && value.value === atom.value;
    case 'number-range':
      return value.kind === 'number' && value.value >= atom.first && value.value <= atom.last;
    case 'string':
    case 'symbol': {
      const resolved = resolveSymbol(atom.text, kind, family);
      if (resolved === undefined) return false;
      if (typeof resolved === 'number') return value.kind === 'number' && value.value === resolved;
      if (value.kind === 'flags') return value.value.has(resolved);
      if (value.kind !== 'word') return false;
      return resolved.endsWith('*') ? value.value.startsWith(resolved.slice(0, -1)) : value.value === resolved;
    }
  }
}

export function elementMatches(key: readonly NftAtom[], values: readonly NftPacketValue[], kinds: readonly ColumnKind[], family: 4 | 6): boolean {
  if (key.length !== values.length) return false;
  for (let i = 0; i < key.length; i++) if (!atomMatches(key[i]!, values[i]!, kinds[i]!, family)) return false;
  return true;
}

/** A canonical text for an exact atom, or undefined when the atom is a range, prefix or wildcard. */
function exactAtomKey(atom: NftAtom, kind: ColumnKind, family: 4 | 6): string | undefined {
  switch (atom.type) {
    case 'ip': {
      const full = atom.cidr.family === 4 ? 32 : 128;
      return atom.cidr.prefix === full ? `a${ipKey({ family: atom.cidr.family, value: atom.cidr.network } as IpAddress)}` : undefined;
    }
    case 'number':
      return `n${atom.value}`;
    case 'string':
    case 'symbol': {
      const resolved = resolveSymbol(atom.text, kind, family);
      if (resolved === undefined) return undefined;
      if (typeof resolved === 'number') return `n${resolved}`;
      return resolved.endsWith('*') ? undefined : `w${resolved}`;
    }
    default:
      return undefined;
  }
}

function valueKey(value: NftPacketValue): string | undefined {
  switch (value.kind) {
    case 'ip':
      return `a${ipKey(value.value)}`;
    case 'number':
      return `n${value.value}`;
    case 'word':
      return `w${value.value}`;
    case 'flags':
      return undefined;
  }
}

/** Elements split into a hash on exact keys and a list to scan (prefixes, ranges, wildcards). */
export class ElementIndex {
  private readonly exact = new Map<string, NftElement>();
  private readonly scanned: NftElement[] = [];

  constructor(
    elements: readonly NftElement[],
    private readonly kinds: readonly ColumnKind[],
    private readonly family: 4 | 6,
  ) {
    for (const element of elements) {
      let key = '';
      let exact = element.key.length === kinds.length;
      for (let i = 0; exact && i < element.key.length; i++) {
        const part = exactAtomKey(element.key[i]!, kinds[i]!, family);
        if (part === undefined) exact = false;
        else key += `${part}|`;
      }
      if (exact && !this.exact.has(key)) this.exact.set(key, element);
      else if (!exact) this.scanned.push(element);
    }
  }

  /** The element the packet values select (exact keys first, as nft's sets hold no overlaps). */
  lookup(values: readonly NftPacketValue[]): NftElement | undefined {
    let key = '';
    for (const value of values) {
      const part = valueKey(value);
      if (part === undefined) {
        key = '';
        break;
      }
      key += `${part}|`;
    }
    if (key !== '') {
      const hit = this.exact.get(key);
      if (hit) return hit;
    } else {
      for (const element of this.exact.values()) if (elementMatches(element.key, values, this.kinds, this.family)) return element;
    }
    return this.scanned.find((e) => elementMatches(e.key, values, this.kinds, this.family));
  }
}

/** Indexes named sets lazily, per the column kinds a lookup uses. */
export class SetIndexes {
  private readonly cache = new Map<NftSet, Map<string, ElementIndex>>();

  constructor(private readonly family: 4 | 6) {}

  get(set: NftSet, kinds: readonly ColumnKind[]): ElementIndex {
    let byKinds = this.cache.get(set);
    if (!byKinds) this.cache.set(set, (byKinds = new Map()));
    const k = kinds.join(',');
    let index = byKinds.get(k);
    if (!index) byKinds.set(k, (index = new ElementIndex(set.elements, kinds, this.family)));
    return index;
  }
}
