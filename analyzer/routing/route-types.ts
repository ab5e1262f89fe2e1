/**
 * The typed model of `ip route show table all` / `ip -6 route show table all` and of
 * `ip rule show`: what the FIB holds, parsed once into numbers and CIDRs so a lookup compares
 * integers. Every route and rule keeps its file, line and text as evidence.
 */
import type { Cidr, IpAddress } from '../netfilter/ip-cidr.js';

/** Route types as `ip route` prints them; a route without a type word is `unicast`. */
export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'multicast'
  | 'anycast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat'
  | 'xresolve';

export const ROUTE_TYPES: ReadonlySet<string> = new Set<RouteType>([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
]);

export interface RouteDump {
  file: string;
  routes: IpRoute[];
}

export interface IpRoute {
  family: 4 | 6;
  type: RouteType;
  /** `default` is 0.0.0.0/0 or ::/0; host bits are cleared as the kernel stores them. */
  destination: Cidr & { prefix: number };
  /** `main`, `local`, `default`, or the number / name `ip` printed (`100`, `calico`). */
  table: string;
  /** `tos 0x10` / `dsfield 0x10`: the route only matches packets with that TOS. */
  tos?: string;
  /** IPv6 source-specific route (`from fd00::/64`), or the source `ip route get` echoes. */
  sourcePrefix?: Cidr;
  /** `proto kernel`, `boot`, `static`, `bird`, `dhcp`, or a number. */
  protocol?: string;
  /** `scope link`, `host`, `global` (the default, not printed), or a number. */
  scope?: string;
  /** `src 10.0.0.5`: the preferred source address for traffic using this route. */
  preferredSource?: IpAddress;
  /** `metric N`; IPv4 routes print none when it is 0. */
  metric: number;
  /** One entry for a single-path route (possibly without gateway or device), several for multipath. */
  nexthops: RouteNexthop[];
  multipath: boolean;
  /** Route-level flags: `onlink`, `linkdown`, `dead`, `pervasive`, `offload`, `notify`, ... */
  flags: string[];
  /** `mtu [lock] 1400`. */
  mtu?: { value: number; locked: boolean };
  /** IPv6 router preference: `pref medium`. */
  preference?: string;
  /** `expires 298sec`. */
  expiresSeconds?: number;
  /** `nhid 12`: the route uses a nexthop object. */
  nexthopId?: number;
  file: string;
  /** First line of the route. */
  line: number;
  /** Last line (differs from `line` for multipath routes, whose nexthops follow on their own lines). */
  lastLine: number;
  /** The route on one line, as printed (continuation lines joined). */
  text: string;
}

export interface RouteNexthop {
  /** `via 10.0.0.1`; on an IPv4 route `via inet6 fe80::1` gives an IPv6 gateway. */
  gateway?: IpAddress;
  device?: string;
  /** Multipath weight; 1 for single-path routes. */
  weight: number;
  /** `onlink`, `dead`, `linkdown`, `pervasive`. */
  flags: string[];
  line: number;
}

export interface RuleDump {
  file: string;
  rules: IpRule[];
}

export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

export interface IpRule {
  family: 4 | 6;
  priority: number;
  /** `not from ...`: the whole selector is inverted. */
  not: boolean;
  /** Absent for `from all`. */
  from?: Cidr;
  to?: Cidr;
  tos?: string;
  /** `fwmark 0x1/0xff`; the mask is 0xffffffff when not printed. */
  fwmark?: { value: number; mask: number };
  /** `iif lo`: for locally generated traffic the input interface is `lo`. */
  iif?: string;
  oif?: string;
  /** `[detached]` / `[oif detached]`: the named device does not exist, so the rule never matches. */
  iifDetached?: boolean;
  oifDetached?: boolean;
  uidRange?: { start: number; end: number };
  /** `ipproto tcp` (name as printed, or a number). */
  ipProto?: string;
  sourcePorts?: { start: number; end: number };
  destinationPorts?: { start: number; end: number };
  /** `l3mdev`: VRF rules, not modelled by the lookup. */
  l3mdev?: boolean;
  action: RuleAction;
  /** For `lookup`: the table as printed (`main`, `local`, `100`, `calico`). */
  table?: string;
  /** For `goto`: the target priority. */
  gotoPriority?: number;
  /** `suppress_prefixlength N`: a lookup result with a prefix this short or shorter is ignored. */
  suppressPrefixLength?: number;
  suppressIfGroup?: string;
  /** `realms`, `nat`, `tun_id`, `dscp`, `flowlabel`, `proto`: kept verbatim. */
  extras: Record<string, string>;
  file: string;
  line: number;
  text: string;
}
