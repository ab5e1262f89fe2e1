/**
 * `ip -d addr show` (bundle: `nodes/<node>/ip-addr.txt`, `pods/<ns>/<pod>/ip-addr.txt`):
 *
 *   3: eth0@if12: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default
 *       link/ether 9a:3e:51:0b:7c:11 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0 minmtu 68 maxmtu 65535
 *       veth numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535
 *       inet 10.244.1.5/24 brd 10.244.1.255 scope global eth0
 *          valid_lft forever preferred_lft forever
 *
 * Interfaces with their `-d` details and addresses (flags, scope, label, lifetimes), in the
 * kernel's order; see parse-interface-listing.ts for the layout variants it reads.
 */
import type { SourceFile } from '../bundle/source-file.js';
import type { ParseResult } from '../bundle/parse-issue.js';
import type { InterfaceListing } from './interface-types.js';
import { parseInterfaceListing } from './parse-interface-listing.js';

export function parseIpAddr(file: SourceFile): ParseResult<InterfaceListing> {
  return parseInterfaceListing(file);
}
