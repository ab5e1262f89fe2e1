/**
 * Set membership as the kernel's `-m set --match-set` test sees it, for the set types that
 * kube-proxy (IPVS mode), Calico and Docker create. The caller fills the probe from the packet
 * in the order of the set's dimensions (the match's src/dst flags decide which field goes where):
 * hash:ip,port,ip → { ip, protocol, port, ip2 }.
 *
 * hash:net-style sets honour `nomatch`: the most specific matching entry decides, and a
 * nomatch entry makes the answer "no". Types not evaluated here answer 'unknown', never a guess.
 */
import { cidrContains, ipKey, parseIpAddress, type IpAddress } from './ip-cidr.js';
import { protocolName, protocolNumber } from './ip-protocols.js';
import type { Ipset, IpsetMember, IpsetMemberPart } from './ipset-types.js';

export interface IpsetProbe {
  ip?: string | IpAddress;
  /** `tcp`, `udp`, `sctp`, … or the protocol number. */
  protocol?: string | number;
  port?: number;
  ip2?: string | IpAddress;
}

export type IpsetTestResult = 'match' | 'no-match' | 'unknown';

/** list:set members may not themselves be list:set sets in the kernel; this bounds hand-made loops. */
const MAX_LIST_DEPTH = 4;

const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'udplite']);

/**
 * Whether the probe is in the set. `sets` resolves list:set members; without it a list:set
 * answers 'unknown'.
 */
export function ipsetContains(set: Ipset, probe: IpsetProbe, sets?: ReadonlyMap<string, Ipset>, depth = 0): IpsetTestResult {
  if (set.method === 'list') return listContains(set, probe, sets, depth);
  if (set.type === '' || set.dimensions.some((d) => d !== 'ip' && d !== 'net' && d !== 'port')) return 'unknown';

  const values: ProbeValue[] = [];
  let ipIndex = 0;
  for (const dimension of set.dimensions) {
    if (dimension === 'port') {
      if (probe.port === undefined) return 'unknown';
      const protocol = normaliseProtocol(probe.protocol);
      if (probe.protocol !== undefined && protocol === undefined) return 'unknown';
      values.push({ kind: 'port', port: probe.port, protocol });
    } else {
      const raw = ipIndex++ === 0 ? probe.ip : probe.ip2;
      if (raw === undefined) return 'unknown';
      const address = typeof raw === 'string' ? parseIpAddress(raw) : raw;
      if (!address) return 'unknown';
      values.push({ kind: 'ip', address });
    }
  }

  const index = exactIndex(set);
  if (index) {
    const key = probeKey(set, values);
    if (key === undefined) return 'unknown';
    const member = index.get(key);
    return member && !member.nomatch ? 'match' : 'no-match';
  }

  let best: IpsetMember | undefined;
  let bestPrefix = -1;
  let sawRaw = false;
  for (const member of set.members) {
    if (member.parts.length !== values.length) {
      sawRaw = true;
      continue;
    }
    let matches = true;
    let prefix = 0;
    for (let d = 0; d < values.length && matches; d++) {
      const part = member.parts[d]!;
      const value = values[d]!;
      if (part.kind === 'raw') {
        sawRaw = true;
        matches = false;
      } else if (value.kind === 'ip') {
        if (part.kind === 'cidr') {
          matches = cidrContains(part.cidr, value.address);
          if (set.dimensions[d] === 'net') prefix += part.cidr.prefix ?? 0;
        } else if (part.kind === 'ip-range') {
          matches = inRange(value.address, part.first, part.last);
        } else matches = false;
      } else if (part.kind === 'port') {
        matches =
          value.port >= part.first &&
          value.port <= part.last &&
          (part.protocol === undefined
            ? value.protocol === undefined || PORT_PROTOCOLS.has(value.protocol)
            : value.protocol === undefined || value.protocol === part.protocol);
        if (matches && part.protocol !== undefined && value.protocol === undefined) return 'unknown';
      } else matches = false;
    }
    if (matches && prefix > bestPrefix) {
      best = member;
      bestPrefix = prefix;
    }
  }
  if (best) return best.nomatch ? 'no-match' : 'match';
  return sawRaw ? 'unknown' : 'no-match';
}

type ProbeValue = { kind: 'ip'; address: IpAddress } | { kind: 'port'; port: number; protocol: string | undefined };

function normaliseProtocol(protocol: string | number | undefined): string | undefined {
  if (protocol === undefined) return undefined;
  const number = typeof protocol === 'number' ? protocol : protocolNumber(protocol);
  return number === undefined ? undefined : protocolName(number);
}

function inRange(address: IpAddress, first: IpAddress, last: IpAddress): boolean {
  return address.family === first.family && address.value >= first.value && address.value <= last.value;
}

function listContains(set: Ipset, probe: IpsetProbe, sets: ReadonlyMap<string, Ipset> | undefined, depth: number): IpsetTestResult {
  if (!sets || depth >= MAX_LIST_DEPTH) return 'unknown';
  let unknown = false;
  for (const member of set.members) {
    const part = member.parts[0];
    const inner = part?.kind === 'set' ? sets.get(part.name) : undefined;
    if (!inner) {
      unknown = true;
      continue;
    }
    const result = ipsetContains(inner, probe, sets, depth + 1);
    if (result === 'match') return 'match';
    if (result === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : 'no-match';
}

// ---------------------------------------------------------------------------------------------
// A hash index for sets whose members are all single values (host addresses, single ports):
// kube-proxy's KUBE-CLUSTER-IP holds one entry per Service port, so tests must not scan it.

const indexes = new WeakMap<Ipset, Map<string, IpsetMember> | null>();

function exactIndex(set: Ipset): Map<string, IpsetMember> | undefined {
  const cached = indexes.get(set);
  if (cached !== undefined) return cached ?? undefined;
  const index = new Map<string, IpsetMember>();
  let exact = set.dimensions.every((d) => d === 'ip' || d === 'port') && set.netmaskPrefix === undefined;
  for (const member of set.members) {
    if (!exact) break;
    const key = memberKey(member.parts);
    if (key === undefined) exact = false;
    else index.set(key, member);
  }
  indexes.set(set, exact ? index : null);
  return exact ? index : undefined;
}

function memberKey(parts: IpsetMemberPart[]): string | undefined {
  let key = '';
  for (const part of parts) {
    if (part.kind === 'cidr') {
      const full = part.cidr.family === 4 ? 32 : 128;
      if (part.cidr.prefix !== full) return undefined;
      key += `${part.cidr.family}:${part.cidr.network.toString()}|`;
    } else if (part.kind === 'port') {
      if (part.first !== part.last) return undefined;
      key += `${part.protocol ?? '*'}:${part.first}|`;
    } else {
      return undefined;
    }
  }
  return key;
}

function probeKey(set: Ipset, values: ProbeValue[]): string | undefined {
  let key = '';
  for (const value of values) {
    if (value.kind === 'ip') key += `${ipKey(value.address)}|`;
    else {
      // bitmap:port members carry no protocol; hash types always do.
      const bitmap = set.method === 'bitmap';
      if (bitmap && value.protocol !== undefined && !PORT_PROTOCOLS.has(value.protocol)) return undefined;
      if (!bitmap && value.protocol === undefined) return undefined;
      key += `${bitmap ? '*' : value.protocol}:${value.port}|`;
    }
  }
  return key;
}
