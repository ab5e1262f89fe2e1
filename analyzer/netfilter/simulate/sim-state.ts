/**
 * One branch of a trace: the packet as netfilter sees it at this point (addresses after NAT,
 * marks, conntrack facts), its probability, and the steps taken so far. Branches fork at
 * `statistic`/`numgen` rules and at rules the simulator cannot evaluate; steps are a shared
 * linked list so a fork costs a few fields, not a copy of the path.
 */
import { parseIpAddress, type IpAddress } from '../ip-cidr.js';
import { protocolNumber } from '../ip-protocols.js';
import type { AffinityState, ConntrackState, Hook, PacketOrigin, SimPacket, TraceStep } from './trace-types.js';

/** Facts about the packet that no rule changes. */
export interface PacketConstants {
  family: 4 | 6;
  origin: PacketOrigin;
  tcpFlags: ReadonlySet<string>;
  icmpType?: number;
  icmpCode?: number;
  fragment: boolean;
  uid?: number;
  gid?: number;
  affinity: AffinityState;
  /** Original tuple, for conntrack's --ctorig* and reply-tuple matches. */
  origSrc: IpAddress;
  origDst: IpAddress;
  origSport?: number;
  origDport?: number;
}

interface StepNode {
  step: TraceStep;
  previous: StepNode | undefined;
}

export class SimState {
  probability = 1;
  src!: IpAddress;
  dst!: IpAddress;
  sport: number | undefined;
  dport: number | undefined;
  proto!: number;
  inIface: string | undefined;
  outIface: string | undefined;
  mark = 0;
  ctMark = 0;
  ctState: ConntrackState = 'NEW';
  /** Conntrack (priority -200 in PREROUTING/OUTPUT) has attached its entry; before that, rules see no entry. */
  ctAttached = false;
  /** Conntrack status bits: a DNAT / SNAT happened for this connection. */
  dnatDone = false;
  snatDone = false;
  dnat: { ip: IpAddress; port?: number } | undefined;
  snat: { ip?: IpAddress; masquerade: boolean } | undefined;
  /** The nat hooks ran for this connection (the kernel's null binding), so they are not run again. */
  natInitDst = false;
  natInitSrc = false;
  /** The packet belongs to an IPVS connection (skb->ipvs_property). */
  ipvs = false;
  /** IPVS direct routing / tunnelling: the real server the packet is sent to, its destination unchanged. */
  nextHop: IpAddress | undefined;
  uncertainLines: readonly number[] = [];
  /** Why the branch ended, when no rule says it. */
  reason: string | undefined;
  private stepList: StepNode | undefined;
  constants!: PacketConstants;

  static fromPacket(packet: SimPacket): SimState {
    const src = parseIpAddress(packet.src);
    const dst = parseIpAddress(packet.dst);
    if (!src) throw new RangeError(`packet source "${packet.src}" is not an IP address`);
    if (!dst) throw new RangeError(`packet destination "${packet.dst}" is not an IP address`);
    if (src.family !== dst.family) throw new RangeError(`packet source ${packet.src} and destination ${packet.dst} are of different IP families`);
    const protoText = packet.proto ?? 'tcp';
    const proto = protocolNumber(protoText === 'icmpv6' ? 'ipv6-icmp' : protoText);
    if (proto === undefined) throw new RangeError(`packet protocol "${protoText}" is unknown`);
    for (const [name, port] of [
      ['source', packet.sport],
      ['destination', packet.dport],
    ] as const) {
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new RangeError(`${name} port ${port} is not a port number`);
    }
    const state = new SimState();
    state.src = src;
    state.dst = dst;
    state.sport = packet.sport;
    state.dport = packet.dport;
    state.proto = proto;
    state.mark = (packet.mark ?? 0) >>> 0;
    state.ctMark = (packet.ctMark ?? 0) >>> 0;
    state.ctState = packet.ctState ?? 'NEW';
    const constants: PacketConstants = {
      family: src.family,
      origin: packet.from,
      tcpFlags: new Set((packet.tcpFlags ?? (state.ctState === 'NEW' ? ['SYN'] : ['ACK'])).map((f) => f.toUpperCase())),
      fragment: packet.fragment ?? false,
      affinity: packet.affinity ?? 'none',
      origSrc: src,
      origDst: dst,
    };
    if (packet.icmpType !== undefined) constants.icmpType = packet.icmpType;
    if (packet.icmpCode !== undefined) constants.icmpCode = packet.icmpCode;
    if (packet.uid !== undefined) constants.uid = packet.uid;
    if (packet.gid !== undefined) constants.gid = packet.gid;
    if (packet.sport !== undefined) constants.origSport = packet.sport;
    if (packet.dport !== undefined) constants.origDport = packet.dport;
    state.constants = constants;
    return state;
  }

  /** A copy carrying `probability`. */
  fork(probability: number): SimState {
    const copy = new SimState();
    copy.probability = probability;
    copy.src = this.src;
    copy.dst = this.dst;
    copy.sport = this.sport;
    copy.dport = this.dport;
    copy.proto = this.proto;
    copy.inIface = this.inIface;
    copy.outIface = this.outIface;
    copy.mark = this.mark;
    copy.ctMark = this.ctMark;
    copy.ctState = this.ctState;
    copy.ctAttached = this.ctAttached;
    copy.dnatDone = this.dnatDone;
    copy.snatDone = this.snatDone;
    copy.dnat = this.dnat;
    copy.snat = this.snat;
    copy.natInitDst = this.natInitDst;
    copy.natInitSrc = this.natInitSrc;
    copy.ipvs = this.ipvs;
    copy.nextHop = this.nextHop;
    copy.uncertainLines = this.uncertainLines;
    copy.reason = this.reason;
    copy.stepList = this.stepList;
    copy.constants = this.constants;
    return copy;
  }

  addStep(step: TraceStep): void {
    this.stepList = { step, previous: this.stepList };
  }

  steps(): TraceStep[] {
    const list: TraceStep[] = [];
    for (let node = this.stepList; node; node = node.previous) list.push(node.step);
    return list.reverse();
  }

  markUncertain(line: number): void {
    if (!this.uncertainLines.includes(line)) this.uncertainLines = [...this.uncertainLines, line];
  }

  get uncertain(): boolean {
    return this.uncertainLines.length > 0;
  }

  /**
   * The conntrack state rules see: before conntrack attached an entry (the raw table, nft chains
   * below -200) there is none, which reads as INVALID — unless NOTRACK already made it UNTRACKED.
   */
  get visibleCtState(): ConntrackState {
    return this.ctAttached || this.ctState === 'UNTRACKED' ? this.ctState : 'INVALID';
  }

  /** Whether the nat hooks run for this packet at `hook`: first packet of a tracked, not yet NATed connection. */
  natEligible(hook: Hook): boolean {
    if (this.ctState !== 'NEW') return false;
    return hook === 'prerouting' || hook === 'output' ? !this.natInitDst : !this.natInitSrc;
  }
}
