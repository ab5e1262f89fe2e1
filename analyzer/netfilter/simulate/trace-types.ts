/**
 * What the packet simulators take and return. One shape for iptables, nftables and IPVS, so a
 * caller (the CLI's trace-node, the rules, the kernel differential test) reads them alike.
 *
 * A trace is exhaustive: every way the packet can go (each `statistic`/`numgen` choice, each
 * IPVS real server, both sides of a rule the simulator cannot evaluate) is an outcome with its
 * probability, and each outcome lists the rules that matched in the order the kernel ran them.
 */

/** Where the packet comes from, which decides the netfilter path. */
export type PacketOrigin =
  /** A pod on this node: enters through the pod's interface (bridge, veth or cali*). */
  | 'pod'
  /** A process on the node itself: OUTPUT → POSTROUTING. */
  | 'host'
  /** Another machine: enters through the node's external interface. */
  | 'external';

export type ConntrackState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

/**
 * What the node remembers about earlier connections that decides session affinity:
 * iptables `-m recent` lists (KUBE-SEP-… names) and nftables dynamic sets (`@affinity-…`).
 * - `none` (default): no client has affinity yet — the first connection of a new client.
 * - `unknown`: every affinity check may go either way (fanned out, outcomes marked uncertain).
 * - `captured`: nftables dynamic sets hold the elements the dump shows; iptables lists (which
 *   iptables-save does not print) are empty.
 * - a record: the addresses each list or set holds (`{ 'KUBE-SEP-ABC': ['10.244.1.5'] }`).
 */
export type AffinityState = 'none' | 'unknown' | 'captured' | Record<string, string[]>;

export interface SimPacket {
  from: PacketOrigin;
  src: string;
  dst: string;
  /** `tcp`, `udp`, `sctp`, `icmp`, `ipv6-icmp`, or a protocol number as text. Default `tcp`. */
  proto?: string;
  /** Without a source port, rules that test it are fanned out as unknown. */
  sport?: number;
  dport?: number;
  /** Overrides the interface the packet arrives on (default: the node's pod or external interface). */
  inInterface?: string;
  /** Conntrack state of the packet (default NEW: the first packet of a connection). */
  ctState?: ConntrackState;
  /** Packet mark and connection mark on arrival (default 0). */
  mark?: number;
  ctMark?: number;
  /** TCP flags set (default `SYN` for NEW, `ACK` otherwise). */
  tcpFlags?: string[];
  icmpType?: number;
  icmpCode?: number;
  /** `-f`: a second or later fragment. */
  fragment?: boolean;
  /** Socket owner of a host-originated packet, for `-m owner`. */
  uid?: number;
  gid?: number;
  affinity?: AffinityState;
}

/**
 * The node as the simulator needs it. Routing stays abstract: the caller answers "which
 * interface does a packet to this address leave by" (see nodeNetContext for the usual form).
 */
export interface NodeNetContext {
  /** The node's own addresses (127.0.0.0/8 and ::1 are always local). */
  localAddresses: string[];
  /** Output interface for a non-local destination; undefined means no route. */
  routeOutInterface(dst: string): string | undefined;
  /** Interface pod traffic arrives on (default `cni0`). */
  podInterface?: string;
  /** Interface external traffic arrives on (default `eth0`). */
  externalInterface?: string;
  /** Addresses per interface, for `addrtype --limit-iface-in/out`; without it those are unknown. */
  interfaceAddresses?: Record<string, string[]>;
}

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/**
 * The verdict a rule or policy hands back, as `nft monitor trace` prints it: a MARK or LOG rule
 * is `continue`, DNAT/SNAT/MASQUERADE are `accept`, REJECT is `drop`.
 */
export type StepVerdict = 'continue' | 'accept' | 'drop' | 'return' | 'jump' | 'goto' | 'queue' | 'unknown';

export interface TraceStep {
  kind: 'rule' | 'policy' | 'ipvs';
  /** Dump file the line belongs to, when the simulator was given one. */
  file?: string;
  /** nftables table family (`ip`, `inet`, …); iptables steps carry the dump family (`ip`/`ip6`). */
  family: string;
  /** Table (`nat`, `filter`, `kube-proxy`; `ipvs` for IPVS steps). */
  table: string;
  chain: string;
  /** Hook of the base chain being run when the step happened. */
  hook: Hook;
  /** 1-based position of the rule in its chain (rules only; the real server index for IPVS). */
  position?: number;
  /** 1-based line in the dump (the chain declaration for a policy step). */
  line: number;
  text: string;
  verdict: StepVerdict;
  /** Chain of a jump/goto; the target extension (`DNAT`, `MARK`, `REJECT`); an IPVS real server. */
  target?: string;
  /** Why the step is less than certain, or a choice made (statistic branch, NAT range). */
  note?: string;
}

export type PacketFate = 'accepted' | 'dropped' | 'rejected' | 'unknown';

export interface TraceOutcome {
  probability: number;
  steps: TraceStep[];
  fate: PacketFate;
  /** The netfilter path: forwarded, delivered to the host, or sent by the host. */
  path: 'forward' | 'input' | 'output';
  /** Destination after DNAT (or IPVS NAT), when it changed. */
  dnat?: { ip: string; port?: number };
  /** Source NAT applied in POSTROUTING (or INPUT). */
  snat?: { ip?: string; masquerade: boolean };
  /** Packet mark when the packet left netfilter. */
  mark: number;
  /** Interface the packet leaves by (`lo` for host traffic to itself); absent for local delivery. */
  exitInterface?: string;
  /** True when the outcome rests on a guess: a rule the simulator could not evaluate. */
  uncertain: boolean;
  /** Lines of the rules whose outcome was assumed on this path. */
  uncertainLines?: number[];
  /** Why the packet ended this way when no rule says it (no route, IPVS without real servers, …). */
  reason?: string;
}

export interface TraceResult {
  outcomes: TraceOutcome[];
  /** What could not be evaluated, once per line and reason. */
  unsupported: { line: number; reason: string; file?: string }[];
}
