/**
 * Whether two networks share addresses, the last address of a network, and an index of networks
 * by the addresses they contain; for the contiguous-mask CIDRs of routes, podCIDRs and Service ranges.
 */
import type { Cidr, IpAddress } from '../netfilter/ip-cidr.js';

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family === 4 && b.family === 4) {
    const mask = (a.mask & b.mask) >>> 0;
    return ((a.network & mask) >>> 0) === ((b.network & mask) >>> 0);
  }
  if (a.family === 6 && b.family === 6) {
    const mask = a.mask & b.mask;
    return (a.network & mask) === (b.network & mask);
  }
  return false;
}

/** The network's last address as a comparable value. */
export function cidrEnd(cidr: Cidr): number | bigint {
  if (cidr.family === 4) return (cidr.network | (~cidr.mask >>> 0)) >>> 0;
  return cidr.network | (~cidr.mask & ((1n << 128n) - 1n));
}

/**
 * Networks indexed by prefix length, so finding the ones that contain an address costs one map
 * look-up per distinct prefix length (a handful) instead of a scan of every network.
 */
export class CidrIndex<T> {
  private readonly byPrefix = new Map<string, Map<string, T[]>>();

  constructor(entries: readonly T[], cidrOf: (entry: T) => Cidr) {
    for (const entry of entries) {
      const cidr = cidrOf(entry);
      if (cidr.prefix === undefined) continue;
      const key = `${cidr.family}/${cidr.prefix}`;
      let networks = this.byPrefix.get(key);
      if (!networks) this.byPrefix.set(key, (networks = new Map()));
      const network = cidr.network.toString();
      const list = networks.get(network);
      if (list) list.push(entry);
      else networks.set(network, [entry]);
    }
  }

  /** Every entry whose network contains the address. */
  containing(address: IpAddress): T[] {
    const found: T[] = [];
    for (const [key, networks] of this.byPrefix) {
      const [family, prefixText] = key.split('/');
      if (Number(family) !== address.family) continue;
      const prefix = Number(prefixText);
      const network =
        address.family === 4
          ? String(prefix === 0 ? 0 : (address.value & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0)
          : String(prefix === 0 ? 0n : address.value & (((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n)));
      found.push(...(networks.get(network) ?? []));
    }
    return found;
  }
}
