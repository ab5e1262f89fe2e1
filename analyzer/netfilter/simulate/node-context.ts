/**
 * The node facts a trace needs, parsed once per trace: which addresses are local (for routing
 * and `addrtype LOCAL` / `fib daddr type local`), and where a packet to an address leaves.
 */
import { cidrContains, formatIpAddress, ipKey, parseCidr, parseIpAddress, type Cidr, type IpAddress } from '../ip-cidr.js';
import type { NodeNetContext } from './trace-types.js';

const LOOPBACK_V4 = parseCidr('127.0.0.0/8')!;
const LOOPBACK_V6 = parseCidr('::1/128')!;
const MULTICAST_V4 = parseCidr('224.0.0.0/4')!;
const MULTICAST_V6 = parseCidr('ff00::/8')!;
const LIMITED_BROADCAST = parseIpAddress('255.255.255.255')!;

export interface RouteEntry {
  /** `10.244.1.0/24`, `0.0.0.0/0`. */
  cidr: string;
  interface: string;
}

/**
 * The usual NodeNetContext: pod CIDRs leave by the pod interface, listed routes by theirs
 * (longest prefix wins), everything else by the external interface.
 */
export function nodeNetContext(options: {
  localAddresses: string[];
  podCidrs?: string[];
  routes?: RouteEntry[];
  podInterface?: string;
  externalInterface?: string;
  interfaceAddresses?: Record<string, string[]>;
}): NodeNetContext {
  const podInterface = options.podInterface ?? 'cni0';
  const externalInterface = options.externalInterface ?? 'eth0';
  const table: { cidr: Cidr; iface: string }[] = [];
  for (const r of options.routes ?? []) {
    const cidr = parseCidr(r.cidr);
    if (cidr) table.push({ cidr, iface: r.interface });
  }
  for (const text of options.podCidrs ?? []) {
    const cidr = parseCidr(text);
    if (cidr) table.push({ cidr, iface: podInterface });
  }
  table.sort((a, b) => (b.cidr.prefix ?? 0) - (a.cidr.prefix ?? 0));
  const context: NodeNetContext = {
    localAddresses: options.localAddresses,
    podInterface,
    externalInterface,
    routeOutInterface(dst: string) {
      const address = parseIpAddress(dst);
      if (!address) return undefined;
      for (const route of table) if (cidrContains(route.cidr, address)) return route.iface;
      return externalInterface;
    },
  };
  if (options.interfaceAddresses) context.interfaceAddresses = options.interfaceAddresses;
  return context;
}

export type AddressType = 'LOCAL' | 'UNICAST' | 'MULTICAST' | 'BROADCAST';

/** The node's addresses as the matchers ask about them. */
export class NodeFacts {
  private readonly local = new Set<string>();
  private readonly localList: IpAddress[] = [];
  private readonly byInterface = new Map<string, Set<string>>();
  private readonly firstOnInterface = new Map<string, IpAddress[]>();
  readonly podInterface: string;
  readonly externalInterface: string;
  readonly hasInterfaceAddresses: boolean;

  constructor(readonly context: NodeNetContext, extraLocal: Iterable<IpAddress> = []) {
    for (const text of context.localAddresses) {
      const address = parseIpAddress(text.replace(/\/\d+$/, ''));
      if (!address) continue;
      this.local.add(ipKey(address));
      this.localList.push(address);
    }
    for (const address of extraLocal) this.local.add(ipKey(address));
    for (const [iface, list] of Object.entries(context.interfaceAddresses ?? {})) {
      const keys = new Set<string>();
      const addresses: IpAddress[] = [];
      for (const text of list) {
        const address = parseIpAddress(text.replace(/\/\d+$/, ''));
        if (!address) continue;
        keys.add(ipKey(address));
        addresses.push(address);
      }
      this.byInterface.set(iface, keys);
      this.firstOnInterface.set(iface, addresses);
    }
    this.hasInterfaceAddresses = context.interfaceAddresses !== undefined;
    this.podInterface = context.podInterface ?? 'cni0';
    this.externalInterface = context.externalInterface ?? 'eth0';
  }

  isLocal(address: IpAddress): boolean {
    return cidrContains(address.family === 4 ? LOOPBACK_V4 : LOOPBACK_V6, address) || this.local.has(ipKey(address));
  }

  /** Whether the address is on the interface; undefined when the context has no per-interface addresses. */
  isLocalOn(address: IpAddress, iface: string | undefined): boolean | undefined {
    if (iface === 'lo' && cidrContains(address.family === 4 ? LOOPBACK_V4 : LOOPBACK_V6, address)) return true;
    if (!this.hasInterfaceAddresses) return undefined;
    return iface !== undefined && (this.byInterface.get(iface)?.has(ipKey(address)) ?? false);
  }

  /** The kernel's route type for an address, as `addrtype` and `fib … type` see it. */
  addressType(address: IpAddress): AddressType {
    if (this.isLocal(address)) return 'LOCAL';
    if (cidrContains(address.family === 4 ? MULTICAST_V4 : MULTICAST_V6, address)) return 'MULTICAST';
    if (address.family === 4 && address.value === LIMITED_BROADCAST.value) return 'BROADCAST';
    return 'UNICAST';
  }

  /** The first address of the family on the interface (what MASQUERADE and REDIRECT use), when known. */
  primaryAddress(iface: string | undefined, family: 4 | 6): IpAddress | undefined {
    if (iface === undefined) return undefined;
    return this.firstOnInterface.get(iface)?.find((a) => a.family === family);
  }

  /** The first of the node's own addresses of the family (REDIRECT's target when the interface's is unknown). */
  firstLocalAddress(family: 4 | 6): IpAddress | undefined {
    return this.localList.find((a) => a.family === family);
  }

  routeOut(address: IpAddress): string | undefined {
    if (this.isLocal(address)) return 'lo';
    return this.context.routeOutInterface(formatIpAddress(address));
  }
}
