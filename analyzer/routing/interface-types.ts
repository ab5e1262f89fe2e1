/**
 * The typed model of `ip -d addr show` and `ip -d -s link show`: one entry per network interface,
 * with its link-layer facts, the kind-specific details of `-d` (vxlan id, tunnel endpoints, ...),
 * its addresses and, from `-s`, its counters. Every entity keeps the 1-based line it came from.
 */
import type { IpAddress } from '../netfilter/ip-cidr.js';

export interface InterfaceListing {
  /** Bundle-relative path of the file read. */
  file: string;
  /** In file order, which is the kernel's device order (the order source address selection walks). */
  interfaces: NetInterface[];
}

export interface NetInterface {
  /** The ifindex printed before the name. */
  index: number;
  name: string;
  /**
   * What follows `@` in the header: the parent or peer as the kernel names it — `eth0` (vlan or
   * veth peer in the same namespace), `if7` (peer in another namespace, by ifindex), `NONE`
   * (a tunnel without an underlay device, such as `tunl0@NONE`).
   */
  link?: string;
  /** `<BROADCAST,MULTICAST,UP,LOWER_UP>` split on commas. */
  flags: string[];
  /** Administratively up: `UP` among the flags. */
  up: boolean;
  /** Carrier present: `LOWER_UP` among the flags (`NO-CARRIER` otherwise). */
  lowerUp: boolean;
  mtu?: number;
  qdisc?: string;
  /** `master br0`: the bridge or bond this interface is enslaved to. */
  master?: string;
  /** Operational state: `UP`, `DOWN`, `UNKNOWN`, `LOWERLAYERDOWN`, `DORMANT`. */
  state?: string;
  mode?: string;
  group?: string;
  qlen?: number;
  /** `ether`, `loopback`, `ipip`, `none`, `gre`, `void`, ... from `link/<type>`. */
  linkType?: string;
  /** The link-layer address after `link/<type>` (a MAC, or the tunnel's local address for ipip). */
  address?: string;
  broadcast?: string;
  /** `link-netnsid 0` (the peer lives in another namespace) or `link-netns <name>`. */
  linkNetns?: string;
  promiscuity?: number;
  minMtu?: number;
  maxMtu?: number;
  /** Alternative names (`altname enp0s3`). */
  altNames: string[];
  /** From `ip -d`: the link kind and its parsed attributes; absent for plain physical devices. */
  details?: LinkDetails;
  /** From `ip -d`: `bridge_slave ...` or `bond_slave ...` when the interface is enslaved. */
  slaveKind?: string;
  /** In the order `ip` printed them (the kernel's list order, which source selection relies on). */
  addresses: InterfaceAddress[];
  /** From `ip -s`: receive and transmit counters. */
  statistics?: LinkStatistics;
  /** Line of the `N: name: <FLAGS> ...` header. */
  line: number;
}

/**
 * The kind-specific line of `ip -d` output. `attributes` keeps every `key value` pair of the line
 * as printed, so a check can read one the typed fields below do not cover.
 */
export interface LinkDetails {
  /** `veth`, `bridge`, `vxlan`, `ipip`, `wireguard`, `geneve`, `dummy`, `vlan`, `bond`, `gre`, ... */
  kind: string;
  attributes: Record<string, string>;
  /** vxlan/geneve VNI, vlan id. */
  id?: number;
  /** Tunnel remote endpoint (vxlan/geneve/ipip/gre); absent for `remote any`. */
  remote?: string;
  /** Tunnel local endpoint; absent for `local any`. */
  local?: string;
  /** Underlay device of a tunnel (`dev eth0`). */
  device?: string;
  /** vxlan multicast group. */
  group?: string;
  /** UDP destination port (vxlan `dstport`, geneve `dstport`). */
  port?: number;
  /** vxlan `srcport <min> <max>`. */
  sourcePortRange?: { min: number; max: number };
  /** vlan `protocol 802.1Q`. */
  protocol?: string;
  /** bond `mode active-backup`. */
  mode?: string;
  /** vxlan `nolearning` (false) / `learning` (true). */
  learning?: boolean;
  line: number;
}

export interface InterfaceAddress {
  family: 4 | 6;
  address: IpAddress;
  /** As printed, without the prefix length. */
  text: string;
  prefixLength: number;
  /** Point-to-point peer (`inet 10.0.0.1 peer 10.0.0.2/32`). */
  peer?: string;
  broadcast?: string;
  /** `global`, `link`, `host`, `site`, or a number. */
  scope: string;
  /** IPv4 label (`eth0:1`); IPv6 addresses have none. */
  label?: string;
  /** `secondary`, `dynamic`, `deprecated`, `tentative`, `noprefixroute`, `temporary`, ... */
  flags: string[];
  secondary: boolean;
  /** Seconds, or `forever` (undefined). */
  validLifetime?: number;
  preferredLifetime?: number;
  line: number;
}

/** Counters of one direction, keyed by the column names `ip -s` printed (`bytes`, `errors`, `carrier`, ...). */
export interface LinkCounters {
  bytes?: number;
  packets?: number;
  errors?: number;
  dropped?: number;
  missed?: number;
  overrun?: number;
  mcast?: number;
  carrier?: number;
  collsns?: number;
  [column: string]: number | undefined;
}

export interface LinkStatistics {
  rx: LinkCounters;
  tx: LinkCounters;
  /** Line of the `RX:` header. */
  line: number;
  /** Human-readable units (`ip -h`: `6.04T`) were read; the values are rounded. */
  approximate: boolean;
}
