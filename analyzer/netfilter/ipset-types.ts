/**
 * The typed model of `ipset save` (and `ipset list`) output: sets with their type, header
 * options and members, each member split into one typed part per dimension of the set type.
 */
import type { Cidr, IpAddress } from './ip-cidr.js';

export interface IpsetDump {
  /** Sets by name, in file order. */
  sets: Map<string, Ipset>;
}

/** One dimension of a set type: `hash:ip,port,ip` has ip, port, ip. */
export type IpsetDimension = 'ip' | 'net' | 'port' | 'mac' | 'iface' | 'mark' | 'set';

export interface Ipset {
  name: string;
  /** As printed: `hash:ip,port`, `bitmap:port`, `list:set`; '' when the set was never created in the file. */
  type: string;
  /** `hash`, `bitmap` or `list`. */
  method: string;
  dimensions: IpsetDimension[];
  /** From `family inet|inet6`; bitmap and list sets have none (4). */
  family: 4 | 6;
  /** Line of the `create` line or of `Name:`. */
  line: number;
  /** Header options verbatim (`hashsize`, `maxelem`, `timeout`, `range`, `netmask`, `comment`, …). */
  options: Record<string, string>;
  /** hash:ip with `netmask N`: members stand for whole /N networks. */
  netmaskPrefix?: number;
  members: IpsetMember[];
}

export type IpsetMemberPart =
  /** An address (a host network: /32 or /128) or a network. */
  | { kind: 'cidr'; cidr: Cidr }
  /** bitmap:ip ranges `10.0.0.1-10.0.0.9`. */
  | { kind: 'ip-range'; first: IpAddress; last: IpAddress }
  /** `tcp:80`, `udp:53-55`, `17:53` (older ipset prints protocol numbers), `30080` (bitmap:port). */
  | { kind: 'port'; protocol: string | undefined; first: number; last: number }
  /** list:set member. */
  | { kind: 'set'; name: string }
  /** Dimensions not evaluated here (mac, iface, mark, icmp types), verbatim. */
  | { kind: 'raw'; text: string };

export interface IpsetMember {
  line: number;
  /** The element as printed (`10.96.0.10,tcp:53`). */
  text: string;
  /** One part per dimension. */
  parts: IpsetMemberPart[];
  /** `nomatch`: an exception inside a larger network of hash:net types. */
  nomatch: boolean;
  timeout?: number;
  comment?: string;
}
