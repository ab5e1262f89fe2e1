/**
 * The IPVS simulator (kube-proxy's ipvs mode): a packet to a virtual server is handed to one of
 * its real servers, inside the node's iptables rules (KUBE-SERVICES with its ipsets, masquerade
 * marks, KUBE-POSTROUTING) when the dump is given.
 *
 * IPVS hooks in after the filter table: LOCAL_IN at priority 98 for packets addressed to a
 * virtual IP (every service IP is bound to kube-ipvs0, so it is local), LOCAL_OUT at -98 for
 * packets the node sends. The scheduler picks a real server; with NAT forwarding (`Masq`, all
 * kube-proxy uses) the packet, now addressed to the real server, re-enters at LOCAL_OUT and
 * leaves through POSTROUTING, where kube-proxy masquerades marked traffic.
 *
 * A virtual server with no usable real server (none, or all of weight 0) makes the kernel answer
 * ICMP port unreachable and drop the packet: the client is refused at once, it does not time
 * out. Read in net/netfilter/ipvs: tcp_conn_schedule / udp_conn_schedule (ip_vs_proto_*.c) call
 * ip_vs_schedule for a new connection; with no destination it returns NULL with *ignored = 0
 * (both the plain path and ip_vs_sched_persist: "return *ignored=0 i.e. ICMP and NF_DROP"), and
 * the caller then takes ip_vs_leave's verdict. ip_vs_leave (ip_vs_core.c) sends
 * ICMP_PORT_UNREACH (ICMPV6_PORT_UNREACH for IPv6) "no matter it is TCP/UDP" and returns
 * NF_DROP, the same since 2.6. Linux TCP turns that ICMP into ECONNREFUSED for a SYN_SENT
 * socket; a connected UDP socket gets ECONNREFUSED on its next call. kube-proxy's maintainers
 * found the same when iptables mode got its REJECT rules (kubernetes#72534: the IPVS proxier
 * needed no such change). Defaults modelled: `net.ipv4.vs.drop_entry` 0 (ip_vs_todrop would
 * drop silently under memory pressure), no FTP virtual server; `schedule_icmp` concerns ICMP
 * packets only. The ICMP error is rate-limited per destination (net.ipv4.icmp_ratelimit), so a
 * client flooding the address may see some attempts go unanswered and retry.
 *
 * The first packet of a connection is traced; which real server a scheduler picks then depends
 * on state the dump does not hold (round-robin position, connection counts, hashes), so every
 * eligible real server is an outcome: by weight for weighted schedulers, equally for rr and lc.
 */
import { formatIpAddress, parseIpAddress, type IpAddress } from '../ip-cidr.js';
import type { IpsetDump } from '../ipset-types.js';
import type { IptablesDump } from '../iptables-types.js';
import type { IpvsDump, IpvsRealServer, IpvsVirtualServer } from '../parse-ipvsadm.js';
import { compileIptables, type IptablesSimulator } from './compile-iptables.js';
import { sortHookEntries, tracePacketPaths, type EntryResult, type HookEntry } from './hook-pipeline.js';
import { NodeFacts } from './node-context.js';
import type { SimState } from './sim-state.js';
import { TraceContext } from './trace-context.js';
import type { Hook, NodeNetContext, SimPacket, TraceResult, TraceStep } from './trace-types.js';

export interface IpvsSimulatorOptions {
  /** The node's iptables rules (kube-proxy's ipvs-mode KUBE-* chains), compiled or parsed. */
  iptables?: IptablesSimulator | IptablesDump;
  /** The node's ipsets (KUBE-CLUSTER-IP, KUBE-LOOP-BACK, …), when `iptables` is a parsed dump. */
  ipsets?: IpsetDump;
  /** Bundle path of the ipvsadm output. */
  file?: string;
  /** Bundle path of the iptables dump, when `iptables` is a parsed dump. */
  iptablesFile?: string;
}

export interface IpvsSimulator {
  trace(node: NodeNetContext, packet: SimPacket): TraceResult;
}

const PROTOCOLS: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };
/** Schedulers that spread new connections evenly over the servers with a weight above 0. */
const UNWEIGHTED = new Set(['rr', 'lc']);
/** Schedulers that send everything to the highest-weight server. */
const HIGHEST_WEIGHT = new Set(['fo', 'ovf']);
/** Schedulers whose choice depends on live connection counts. */
const CONNECTION_COUNTING = new Set(['lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr']);

function isIptablesSimulator(value: IptablesSimulator | IptablesDump): value is IptablesSimulator {
  return typeof (value as IptablesSimulator).trace === 'function';
}

class CompiledIpvs implements IpvsSimulator {
  private readonly iptables: IptablesSimulator | undefined;
  private readonly byAddress = new Map<string, IpvsVirtualServer>();
  private readonly byMark = new Map<string, IpvsVirtualServer>();
  private readonly addresses: IpAddress[] = [];
  private readonly entries = new Map<Hook, readonly HookEntry[]>();

  constructor(
    ipvs: IpvsDump,
    private readonly options: IpvsSimulatorOptions,
  ) {
    const iptables = options.iptables;
    if (iptables) {
      this.iptables = isIptablesSimulator(iptables)
        ? iptables
        : compileIptables(iptables, {
            ...(options.ipsets ? { ipsets: options.ipsets } : {}),
            ...(options.iptablesFile === undefined ? {} : { file: options.iptablesFile }),
          });
    }
    for (const vs of ipvs.virtualServers) {
      if (vs.fwmark !== undefined) {
        this.byMark.set(`${vs.family}/${vs.fwmark}`, vs);
        continue;
      }
      if (!vs.address || vs.port === undefined) continue;
      const key = this.addressKey(vs.protocol, vs.address, vs.port);
      if (!this.byAddress.has(key)) this.byAddress.set(key, vs);
      this.addresses.push(vs.address);
    }
  }

  private addressKey(protocol: string, address: IpAddress, port: number): string {
    return `${protocol}/${address.family}:${address.value.toString()}/${port}`;
  }

  private hookEntries(hook: Hook): readonly HookEntry[] {
    let list = this.entries.get(hook);
    if (list) return list;
    const base = this.iptables ? [...this.iptables.hookEntries(hook)] : [];
    if (hook === 'input' || hook === 'output') {
      base.push({
        // ip_vs_remote_request (LOCAL_IN, NF_IP_PRI_NAT_SRC - 2) / ip_vs_local_request (LOCAL_OUT, NF_IP_PRI_NAT_DST + 2).
        priority: hook === 'input' ? 98 : -98,
        nat: false,
        ipvs: true,
        run: (state, h, trace) => this.schedule(state, h, trace),
      });
    }
    list = sortHookEntries(base, hook);
    this.entries.set(hook, list);
    return list;
  }

  trace(node: NodeNetContext, packet: SimPacket): TraceResult {
    const source = parseIpAddress(packet.src);
    if (this.iptables && source && source.family !== this.iptables.family) {
      throw new RangeError(`packet ${packet.src} → ${packet.dst} is not IPv${this.iptables.family}, the family of the iptables dump`);
    }
    // Every virtual address is local: kube-proxy binds them all to the kube-ipvs0 dummy device.
    const trace = new TraceContext(new NodeFacts(node, this.addresses));
    const outcomes = tracePacketPaths((hook) => this.hookEntries(hook), packet, trace);
    return { outcomes, unsupported: trace.unsupportedList() };
  }

  private lookup(state: SimState): IpvsVirtualServer | undefined {
    if (state.mark !== 0) {
      const byMark = this.byMark.get(`${state.constants.family}/${state.mark}`);
      if (byMark) return byMark;
    }
    const protocol = Object.keys(PROTOCOLS).find((p) => PROTOCOLS[p] === state.proto);
    if (!protocol || state.dport === undefined) return undefined;
    const exact = this.byAddress.get(this.addressKey(protocol, state.dst, state.dport));
    if (exact) return exact;
    // A persistent port-zero service catches every port of its address.
    const any = this.byAddress.get(this.addressKey(protocol, state.dst, 0));
    return any?.persistent ? any : undefined;
  }

  private step(hook: Hook, partial: Omit<TraceStep, 'kind' | 'family' | 'table' | 'hook'>, family: 4 | 6): TraceStep {
    return {
      kind: 'ipvs',
      ...(this.options.file === undefined ? {} : { file: this.options.file }),
      family: family === 6 ? 'ip6' : 'ip',
      table: 'ipvs',
      hook,
      ...partial,
    };
  }

  private schedule(state: SimState, hook: Hook, trace: TraceContext): EntryResult[] {
    const vs = this.lookup(state);
    if (!vs) return [{ state, verdict: 'accept' }];
    const family = state.constants.family;
    const vsText = `${vs.key} ${vs.scheduler}${vs.persistent ? ` persistent ${vs.persistent.timeoutSeconds}` : ''}`;
    if (state.ctState !== 'NEW') {
      state.addStep(this.step(hook, { chain: vs.key, line: vs.line, text: vsText, verdict: 'unknown' }, family));
      state.reason = 'the real server of an established IPVS connection is not in the dump';
      return [{ state, verdict: 'unknown' }];
    }
    const eligible = vs.realServers.map((rs, index) => ({ rs, index })).filter(({ rs }) => (rs.weight ?? 1) > 0);
    if (eligible.length === 0) {
      state.addStep(
        this.step(
          hook,
          {
            chain: vs.key,
            line: vs.line,
            text: vsText,
            verdict: 'drop',
            note: vs.realServers.length === 0 ? 'no real servers' : 'every real server has weight 0',
          },
          family,
        ),
      );
      state.reason =
        'the IPVS virtual server has no usable real server: the kernel answers ICMP port unreachable and drops the packet (ip_vs_leave), ' +
        'so a TCP client gets connection refused at once rather than a timeout (defaults: net.ipv4.vs.drop_entry=0; the ICMP is subject to net.ipv4.icmp_ratelimit)';
      return [{ state, verdict: 'reject' }];
    }
    const shares = this.shares(vs, eligible.map((e) => e.rs));
    if (shares.length > 1 && !trace.allowFork(shares.length - 1)) {
      state.reason = 'the trace reached its branch limit here';
      return [{ state, verdict: 'unknown' }];
    }
    const notes: string[] = [];
    if (vs.persistent) notes.push(`persistent ${vs.persistent.timeoutSeconds}s: a client keeps the real server it got first`);
    if (CONNECTION_COUNTING.has(vs.scheduler) && shares.length > 1) notes.push(`${vs.scheduler} picks by live connection counts; spread by weight here`);
    const results: EntryResult[] = [];
    for (const { rs, probability } of shares) {
      const s = state.fork(state.probability * probability);
      const index = vs.realServers.indexOf(rs);
      s.addStep(this.step(hook, { chain: vs.key, line: vs.line, text: vsText, verdict: 'continue', ...(notes.length ? { note: notes.join('; ') } : {}) }, family));
      const target = rs.address.family === 6 ? `[${formatIpAddress(rs.address)}]:${rs.port}` : `${formatIpAddress(rs.address)}:${rs.port}`;
      const method = rs.forward ?? 'Masq';
      s.addStep(
        this.step(
          hook,
          {
            chain: vs.key,
            position: index + 1,
            line: rs.line,
            text: `-> ${target} ${method} ${rs.weight ?? 1}`,
            verdict: 'accept',
            target,
            ...(probability < 1 ? { note: `probability ${Math.round(probability * 1e6) / 1e6}` } : {}),
          },
          family,
        ),
      );
      s.ipvs = true;
      if (method === 'Local') {
        // ip_vs_null_xmit: the packet carries on to local delivery.
        results.push({ state: s, verdict: 'accept' });
        continue;
      }
      if (method === 'Masq') {
        s.dst = rs.address;
        // A real server of port 0 (firewall-mark services) keeps the packet's port.
        if (rs.port !== 0) s.dport = rs.port;
        s.dnat = { ip: rs.address, ...(s.dport === undefined ? {} : { port: s.dport }) };
      } else {
        s.nextHop = rs.address;
      }
      results.push({ state: s, verdict: 'stolen' });
    }
    return results;
  }

  private shares(vs: IpvsVirtualServer, servers: IpvsRealServer[]): { rs: IpvsRealServer; probability: number }[] {
    if (HIGHEST_WEIGHT.has(vs.scheduler)) {
      const best = servers.reduce((a, b) => ((b.weight ?? 1) > (a.weight ?? 1) ? b : a));
      return [{ rs: best, probability: 1 }];
    }
    if (UNWEIGHTED.has(vs.scheduler)) return servers.map((rs) => ({ rs, probability: 1 / servers.length }));
    const total = servers.reduce((sum, rs) => sum + (rs.weight ?? 1), 0);
    return servers.map((rs) => ({ rs, probability: (rs.weight ?? 1) / total }));
  }
}

export function compileIpvs(ipvs: IpvsDump, options: IpvsSimulatorOptions = {}): IpvsSimulator {
  return new CompiledIpvs(ipvs, options);
}

/** One-off trace through IPVS (and the node's iptables rules when `dump` is given). */
export function traceIpvs(
  input: { ipvs: IpvsDump; dump?: IptablesDump; ipsets?: IpsetDump; node: NodeNetContext; file?: string; dumpFile?: string },
  packet: SimPacket,
): TraceResult {
  const options: IpvsSimulatorOptions = {};
  if (input.dump) options.iptables = input.dump;
  if (input.ipsets) options.ipsets = input.ipsets;
  if (input.file !== undefined) options.file = input.file;
  if (input.dumpFile !== undefined) options.iptablesFile = input.dumpFile;
  return compileIpvs(input.ipvs, options).trace(input.node, packet);
}
