/**
 * Whether one iptables rule matches the packet, as the kernel decides it: the rule's generic
 * options (-s -d -p -i -o -f) and then every `-m` match in order.
 *
 * The answer is a probability: 1 (matches), 0 (does not), p for `statistic`, and 0.5 for a
 * match the simulator cannot evaluate (an unknown module, an option not modelled, a missing
 * ipset) — in that last case the reason is recorded and the caller marks both branches uncertain.
 */
import { cidrContains, parseIpAddress, type IpAddress } from '../ip-cidr.js';
import { ipsetContains, type IpsetProbe } from '../ipset-contains.js';
import type { IpsetDump } from '../ipset-types.js';
import { protocolName } from '../ip-protocols.js';
import type {
  AddrtypeMatch,
  AddrTypeOption,
  ConntrackMatch,
  InterfaceOption,
  IptablesMatch,
  IptablesRule,
  PortRangeOption,
  RecentMatch,
  SetMatch,
  StateListOption,
} from '../iptables-types.js';
import type { NodeFacts } from './node-context.js';
import type { SimState } from './sim-state.js';
import type { MatchNotes } from './trace-context.js';
import type { Hook } from './trace-types.js';

export interface MatchEnvironment {
  node: NodeFacts;
  ipsets: IpsetDump | undefined;
  hook: Hook;
  /** True for a packet a local process sent (it has a socket). */
  fromHost: boolean;
}

const PORT_PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, dccp: 33 };
const PORTED = new Set([6, 17, 33, 132, 136]);

export function interfaceMatches(option: InterfaceOption, iface: string | undefined): boolean {
  const name = iface ?? '';
  const hit = option.wildcard ? name.startsWith(option.prefix) : name === option.name;
  return hit !== option.negated;
}

function inRange(option: PortRangeOption, port: number): boolean {
  return (port >= option.first && port <= option.last) !== option.negated;
}

/** The probability that `rule` matches the packet in `state` (see the file comment). */
export function matchIptablesRule(rule: IptablesRule, state: SimState, env: MatchEnvironment, notes: MatchNotes): number {
  if (rule.protocol) {
    const number = rule.protocol.number;
    if (number === undefined) return notes.unknown(`protocol "${rule.protocol.name}" is unknown`);
    if (number !== 0 && (state.proto === number) === rule.protocol.negated) return 0;
    if (number === 0 && rule.protocol.negated) return 0;
  }
  if (rule.source && cidrContains(rule.source.cidr, state.src) === rule.source.negated) return 0;
  if (rule.destination && cidrContains(rule.destination.cidr, state.dst) === rule.destination.negated) return 0;
  if (rule.inInterface && !interfaceMatches(rule.inInterface, state.inIface)) return 0;
  if (rule.outInterface && !interfaceMatches(rule.outInterface, state.outIface)) return 0;
  if (rule.fragment && state.constants.fragment === rule.fragment.negated) return 0;
  let p = 1;
  for (const match of rule.matches) {
    let q = matchOne(match, state, env, notes);
    if (q === 0) return 0;
    if (match.unsupportedOptions && match.unsupportedOptions.length > 0) {
      q *= notes.unknown(`${match.unsupportedOptions.join(' ')} of -m ${match.module} is not evaluated`);
    }
    p *= q;
  }
  return p;
}

function matchOne(match: IptablesMatch, state: SimState, env: MatchEnvironment, notes: MatchNotes): number {
  switch (match.kind) {
    case 'comment':
    case 'nfacct':
      return 1;
    case 'ports': {
      if (state.proto !== PORT_PROTOCOLS[match.protocol]) return 0;
      let p = 1;
      if (match.sourcePort) {
        if (state.sport === undefined) p *= notes.unknown('the packet has no source port');
        else if (!inRange(match.sourcePort, state.sport)) return 0;
      }
      if (match.destinationPort) {
        if (state.dport === undefined) p *= notes.unknown('the packet has no destination port');
        else if (!inRange(match.destinationPort, state.dport)) return 0;
      }
      if (match.tcpFlags) {
        const flags = state.constants.tcpFlags;
        const hit = match.tcpFlags.mask.every((f) => flags.has(f) === match.tcpFlags!.set.includes(f));
        if (hit === match.tcpFlags.negated) return 0;
      }
      return p;
    }
    case 'multiport': {
      if (!PORTED.has(state.proto)) return 0;
      const ports: (number | undefined)[] =
        match.direction === 'source' ? [state.sport] : match.direction === 'destination' ? [state.dport] : [state.sport, state.dport];
      let hit = false;
      let missing = false;
      for (const port of ports) {
        if (port === undefined) missing = true;
        else if (match.ports.some((r) => port >= r.first && port <= r.last)) hit = true;
      }
      if (!hit && missing) return notes.unknown('the packet has no port for -m multiport');
      return hit !== match.negated ? 1 : 0;
    }
    case 'addrtype':
      return matchAddrtype(match, state, env, notes);
    case 'statistic': {
      let p: number;
      if (match.mode === 'random') {
        if (match.probability === undefined) return notes.unknown('-m statistic without --probability');
        p = Math.min(1, Math.max(0, match.probability));
      } else {
        if (match.every === undefined || match.every === 0) return notes.unknown('-m statistic --mode nth without --every');
        p = 1 / match.every;
      }
      return match.negated ? 1 - p : p;
    }
    case 'mark':
      return ((state.mark & match.mask) >>> 0 === match.value) !== match.negated ? 1 : 0;
    case 'connmark':
      return ((state.ctMark & match.mask) >>> 0 === match.value) !== match.negated ? 1 : 0;
    case 'conntrack':
      return matchConntrack(match, state, notes);
    case 'state':
      return stateListMatches(match.state, state) ? 1 : 0;
    case 'set':
      return matchSet(match, state, env, notes);
    case 'recent':
      return matchRecent(match, state, notes);
    case 'physdev':
      return notes.unknown('-m physdev: the bridge port a packet crossed is not modelled');
    case 'iprange': {
      if (match.srcRange && within(state.src, match.srcRange.first, match.srcRange.last) === match.srcRange.negated) return 0;
      if (match.dstRange && within(state.dst, match.dstRange.first, match.dstRange.last) === match.dstRange.negated) return 0;
      return 1;
    }
    case 'limit':
      // A single traced packet never exhausts a rate limit's burst.
      return 1;
    case 'owner': {
      if (env.hook !== 'output' && env.hook !== 'postrouting') return 0;
      let p = 1;
      if (match.socketExists && env.fromHost === match.socketExists.negated) return 0;
      for (const [option, value, what] of [
        [match.uidOwner, state.constants.uid, 'uid'],
        [match.gidOwner, state.constants.gid, 'gid'],
      ] as const) {
        if (!option) continue;
        if (!env.fromHost) return option.negated ? 1 : 0;
        if (value === undefined) p *= notes.unknown(`-m owner: the sending process's ${what} is not given`);
        else if (!inRange(option, value)) return 0;
      }
      return p;
    }
    case 'icmp': {
      if (state.proto !== (match.version === 4 ? 1 : 58)) return 0;
      if (match.type === undefined) return match.negated ? 0 : 1;
      const type = state.constants.icmpType;
      if (type === undefined) return notes.unknown('the packet has no ICMP type');
      const code = state.constants.icmpCode;
      const hit = type === match.type && (match.code === undefined || code === match.code);
      return hit !== match.negated ? 1 : 0;
    }
    case 'rpfilter': {
      if (state.inIface === undefined) return notes.unknown('-m rpfilter outside PREROUTING');
      let pass: boolean;
      if (env.node.isLocal(state.src) && state.inIface !== 'lo') pass = match.acceptLocal;
      else {
        const back = env.node.routeOut(state.src);
        pass = match.loose ? back !== undefined : back === state.inIface;
      }
      return pass !== match.invert ? 1 : 0;
    }
    case 'socket':
      return notes.unknown('-m socket: the node\'s sockets are not known');
    case 'mac':
      return notes.unknown('-m mac: the source MAC address is not modelled');
    case 'pkttype': {
      const type = env.node.addressType(state.dst);
      const kind = type === 'MULTICAST' ? 'multicast' : type === 'BROADCAST' ? 'broadcast' : 'unicast';
      return (kind === match.pktType.toLowerCase()) !== match.negated ? 1 : 0;
    }
    case 'ipvs':
      if (!match.ipvs) return 1;
      return state.ipvs !== match.ipvs.negated ? 1 : 0;
    case 'unsupported':
      return notes.unknown(match.module === '' ? `unreadable option ${match.args.join(' ')}` : `-m ${match.module} is not evaluated`);
  }
}

function within(address: IpAddress, first: IpAddress, last: IpAddress): boolean {
  return address.family === first.family && address.value >= first.value && address.value <= last.value;
}

function addressTypeHit(option: AddrTypeOption, address: IpAddress, iface: string | undefined, limit: boolean, env: MatchEnvironment, notes: MatchNotes): number {
  let type = env.node.addressType(address);
  let unsure = false;
  if (limit && type === 'LOCAL') {
    const on = env.node.isLocalOn(address, iface);
    if (on === undefined) unsure = true;
    else if (!on) type = 'UNICAST';
  }
  let hit = false;
  for (const wanted of option.types) {
    if (wanted === type) hit = true;
    else if (wanted !== 'LOCAL' && wanted !== 'UNICAST' && wanted !== 'MULTICAST' && wanted !== 'BROADCAST') {
      return notes.unknown(`-m addrtype type ${wanted} is not modelled`);
    }
  }
  if (unsure && (option.types.includes('LOCAL') || option.types.includes('UNICAST'))) {
    return notes.unknown('-m addrtype --limit-iface-*: addresses per interface are not known');
  }
  return hit !== option.negated ? 1 : 0;
}

function matchAddrtype(match: AddrtypeMatch, state: SimState, env: MatchEnvironment, notes: MatchNotes): number {
  let p = 1;
  if (match.srcType) {
    p *= addressTypeHit(match.srcType, state.src, state.inIface, match.limitIfaceIn, env, notes);
    if (p === 0) return 0;
  }
  if (match.dstType) {
    const limit = match.limitIfaceIn || match.limitIfaceOut;
    const iface = match.limitIfaceIn ? state.inIface : state.outIface;
    p *= addressTypeHit(match.dstType, state.dst, iface, limit, env, notes);
  }
  return p;
}

/** The conntrack "states" a packet has: its ctinfo plus the DNAT/SNAT virtual states. */
function stateListMatches(option: StateListOption, state: SimState): boolean {
  let hit = false;
  for (const s of option.states) {
    if (s === state.visibleCtState || (s === 'DNAT' && state.dnatDone) || (s === 'SNAT' && state.snatDone)) hit = true;
  }
  return hit !== option.negated;
}

function matchConntrack(match: ConntrackMatch, state: SimState, notes: MatchNotes): number {
  if (match.ctstate && !stateListMatches(match.ctstate, state)) return 0;
  const visible = state.visibleCtState;
  const tracked = visible !== 'UNTRACKED' && visible !== 'INVALID';
  // Without a conntrack entry, only a pure --ctstate test can match (xt_conntrack).
  if (!tracked) {
    const others =
      match.ctstatus ?? match.ctproto ?? match.ctorigsrc ?? match.ctorigdst ?? match.ctreplsrc ?? match.ctrepldst ??
      match.ctorigsrcport ?? match.ctorigdstport ?? match.ctreplsrcport ?? match.ctrepldstport ?? match.ctexpire ?? match.ctdir;
    return others === undefined ? 1 : 0;
  }
  let p = 1;
  const c = state.constants;
  if (match.ctstatus) {
    if (state.ctState !== 'NEW') p *= notes.unknown('--ctstatus of an established connection is not modelled');
    else {
      // The first packet of a connection: no EXPECTED / SEEN_REPLY / ASSURED / CONFIRMED bits yet.
      const hit = match.ctstatus.states.includes('NONE');
      if (hit === match.ctstatus.negated) return 0;
    }
  }
  if (match.ctproto && match.ctproto.number !== undefined && (match.ctproto.number === state.proto) === match.ctproto.negated) return 0;
  const replySrc = state.dnat ? state.dnat.ip : c.origDst;
  const addressTests: [typeof match.ctorigsrc, IpAddress | undefined][] = [
    [match.ctorigsrc, c.origSrc],
    [match.ctorigdst, c.origDst],
    [match.ctreplsrc, replySrc],
    [match.ctrepldst, state.snat ? state.snat.ip : c.origSrc],
  ];
  for (const [option, address] of addressTests) {
    if (!option) continue;
    if (address === undefined) p *= notes.unknown('conntrack reply address after MASQUERADE is not known');
    else if (cidrContains(option.cidr, address) === option.negated) return 0;
  }
  const replySport = state.dnat?.port ?? c.origDport;
  const portTests: [PortRangeOption | undefined, number | undefined][] = [
    [match.ctorigsrcport, c.origSport],
    [match.ctorigdstport, c.origDport],
    [match.ctreplsrcport, replySport],
    [match.ctrepldstport, state.snat ? undefined : c.origSport],
  ];
  for (const [option, port] of portTests) {
    if (!option) continue;
    if (port === undefined) p *= notes.unknown('conntrack port is not known');
    else if (!inRange(option, port)) return 0;
  }
  if (match.ctexpire) p *= notes.unknown('--ctexpire is not modelled');
  // Traced packets travel in the original direction.
  if (match.ctdir && match.ctdir !== 'ORIGINAL') return 0;
  return p;
}

function matchSet(match: SetMatch, state: SimState, env: MatchEnvironment, notes: MatchNotes): number {
  if (!env.ipsets) return notes.unknown(`ipset ${match.setName}: no ipset dump was given`);
  const result = setContains(match.setName, match.flags, state, env.ipsets, 0);
  if (result === 'unknown') return notes.unknown(`ipset ${match.setName}: membership cannot be decided`);
  if (result === 'missing') return notes.unknown(`ipset ${match.setName} is not in the ipset dump`);
  if (match.returnNomatch) {
    const set = env.ipsets.sets.get(match.setName);
    if (set?.members.some((m) => m.nomatch)) return notes.unknown('--return-nomatch with nomatch entries is not modelled');
  }
  return (result === 'match') !== match.negated ? 1 : 0;
}

function setContains(name: string, flags: readonly ('src' | 'dst')[], state: SimState, ipsets: IpsetDump, depth: number): 'match' | 'no-match' | 'unknown' | 'missing' {
  const set = ipsets.sets.get(name);
  if (!set) return 'missing';
  if (set.method === 'list') {
    if (depth > 3) return 'unknown';
    let unknown = false;
    for (const member of set.members) {
      const part = member.parts[0];
      if (part?.kind !== 'set') {
        unknown = true;
        continue;
      }
      const r = setContains(part.name, flags, state, ipsets, depth + 1);
      if (r === 'match') return 'match';
      if (r !== 'no-match') unknown = true;
    }
    return unknown ? 'unknown' : 'no-match';
  }
  // The kernel's ip_set_test: fewer flags than dimensions never matches; so does another family.
  if (flags.length < set.dimensions.length) return 'no-match';
  if (set.method === 'hash' && set.family !== state.constants.family) return 'no-match';
  const probe: IpsetProbe = {};
  let ips = 0;
  for (let d = 0; d < set.dimensions.length; d++) {
    const dimension = set.dimensions[d];
    const side = flags[d];
    if (dimension === 'port') {
      const port = side === 'src' ? state.sport : state.dport;
      if (port !== undefined) probe.port = port;
      probe.protocol = protocolName(state.proto);
    } else if (dimension === 'ip' || dimension === 'net') {
      const address = side === 'src' ? state.src : state.dst;
      if (ips++ === 0) probe.ip = address;
      else probe.ip2 = address;
    }
  }
  return ipsetContains(set, probe, ipsets.sets);
}

function recentListHolds(match: RecentMatch, state: SimState, notes: MatchNotes): boolean | number {
  const affinity = state.constants.affinity;
  if (affinity === 'unknown') return notes.unknown(`-m recent --name ${match.name}: affinity state is unknown`);
  if (typeof affinity === 'string') return false;
  const address = match.side === 'destination' ? state.dst : state.src;
  const list = affinity[match.name] ?? [];
  return list.some((text) => {
    const entry = parseIpAddress(text);
    return entry !== undefined && entry.family === address.family && entry.value === address.value;
  });
}

function matchRecent(match: RecentMatch, state: SimState, notes: MatchNotes): number {
  if (match.command === 'set') return match.negated ? 0 : 1;
  const holds = recentListHolds(match, state, notes);
  if (typeof holds === 'number') return holds;
  if (holds && match.hitcount !== undefined) return notes.unknown('-m recent --hitcount: hit counts are not known');
  return holds !== match.negated ? 1 : 0;
}
