/**
 * `ip -d -s link show` (bundle: `nodes/<node>/ip-link.txt`):
 *
 *   2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000
 *       link/ether 0a:1b:aa:f3:64:00 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 128 maxmtu 9216
 *       addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535
 *       RX:  bytes packets errors dropped  missed   mcast
 *       626106341 7188302      0       0       0       0
 *       TX:  bytes packets errors dropped carrier collsns
 *      1032601999 7396154      0       0       0       0
 *
 * Interfaces with their `-d` details and RX/TX counters, keyed by the column names printed (older
 * iproute2 prints `overrun` where newer prints `missed`; `-s -s` adds `RX errors:` lines).
 */
import type { SourceFile } from '../bundle/source-file.js';
import type { ParseResult } from '../bundle/parse-issue.js';
import type { InterfaceListing } from './interface-types.js';
import { parseInterfaceListing } from './parse-interface-listing.js';

export function parseIpLink(file: SourceFile): ParseResult<InterfaceListing> {
  return parseInterfaceListing(file);
}
