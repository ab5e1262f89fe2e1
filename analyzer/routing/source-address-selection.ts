/**
 * Which source address the kernel gives a packet that has none, as `ip route get` shows it.
 *
 * IPv4 follows `inet_select_addr()` (net/ipv4/devinet.c): the first primary address of the egress
 * device whose scope fits the route's scope, preferring one in the gateway's subnet; failing that,
 * the first primary address of any device (in device order, loopback first) that is not
 * link-scoped. IPv6 follows `ipv6_dev_get_saddr()` (net/ipv6/addrconf.c), RFC 6724's rules in the
 * kernel's order: same address, appropriate scope, not deprecated, outgoing interface, matching
 * label, public over temporary, longest matching prefix. Ties keep the address listed first, which
 * is the kernel's list order since `ip addr` prints that order.
 */
import type { IpAddress } from '../netfilter/ip-cidr.js';
import type { InterfaceAddress, NetInterface } from './interface-types.js';

/** Route and address scopes as numbers (`rtnetlink.h`): larger is narrower. */
export function scopeNumber(scope: string | undefined): number {
  switch (scope) {
    case undefined:
    case 'global':
    case 'universe':
      return 0;
    case 'site':
      return 200;
    case 'link':
      return 253;
    case 'host':
      return 254;
    case 'nowhere':
      return 255;
    default:
      return /^\d+$/.test(scope) ? Number(scope) : 0;
  }
}

function inSubnet4(address: InterfaceAddress, target: number): boolean {
  const mask = address.prefixLength === 0 ? 0 : (0xffffffff << (32 - address.prefixLength)) >>> 0;
  return ((((address.address.value as number) ^ target) & mask) >>> 0) === 0;
}

function primaries4(device: NetInterface): InterfaceAddress[] {
  return device.addresses.filter((a) => a.family === 4 && !a.secondary);
}

/**
 * `inet_select_addr(dev, gateway, scope)`. `interfaces` in device order; `scope` is the route's
 * scope number (0 for routes through a gateway, 253 for `scope link` routes).
 */
export function selectIpv4Source(
  interfaces: readonly NetInterface[],
  deviceName: string | undefined,
  gateway: IpAddress | undefined,
  scope: number,
): IpAddress | undefined {
  const device = deviceName === undefined ? undefined : interfaces.find((i) => i.name === deviceName);
  if (device) {
    let fallback: IpAddress | undefined;
    for (const address of primaries4(device)) {
      if (scopeNumber(address.scope) > scope) continue;
      if (!gateway || gateway.family !== 4 || inSubnet4(address, gateway.value)) return address.address;
      fallback ??= address.address;
    }
    if (fallback) return fallback;
  }
  for (const candidate of interfaces) {
    for (const address of primaries4(candidate)) {
      const addressScope = scopeNumber(address.scope);
      if (addressScope !== 253 && addressScope <= scope) return address.address;
    }
  }
  return undefined;
}

// ---- IPv6 ----------------------------------------------------------------------------------

const SCOPE_NODE = 0x1;
const SCOPE_LINK = 0x2;
const SCOPE_SITE = 0x5;
const SCOPE_GLOBAL = 0xe;

function isMulticast6(value: bigint): boolean {
  return value >> 120n === 0xffn;
}

/** The scope `__ipv6_addr_type()` gives an address (RFC 4291 values). */
export function ipv6Scope(value: bigint): number {
  if (isMulticast6(value)) return Number((value >> 112n) & 0xfn);
  if (value === 1n) return SCOPE_NODE;
  const top10 = value >> 118n;
  if (top10 === 0x3fan) return SCOPE_LINK; // fe80::/10
  if (top10 === 0x3fbn) return SCOPE_SITE; // fec0::/10
  return SCOPE_GLOBAL;
}

/** The kernel's default address label table (`ip addrlabel list`), longest prefix first. */
const LABELS: { prefix: bigint; length: number; label: number }[] = [
  { prefix: 1n, length: 128, label: 0 }, // ::1/128
  { prefix: 0x20010010n << 96n, length: 28, label: 7 }, // 2001:10::/28
  { prefix: 0x20010000n << 96n, length: 32, label: 6 }, // 2001::/32
  { prefix: 0n, length: 96, label: 3 }, // ::/96
  { prefix: 0xffffn << 32n, length: 96, label: 4 }, // ::ffff:0:0/96
  { prefix: 0x2002n << 112n, length: 16, label: 2 }, // 2002::/16
  { prefix: 0x3ffen << 112n, length: 16, label: 12 }, // 3ffe::/16
  { prefix: 0xfec0n << 112n, length: 10, label: 11 }, // fec0::/10
  { prefix: 0xfc00n << 112n, length: 7, label: 5 }, // fc00::/7
  { prefix: 0n, length: 0, label: 1 }, // ::/0
];

const ALL_ONES = (1n << 128n) - 1n;

function prefixMask(length: number): bigint {
  return length === 0 ? 0n : (ALL_ONES << BigInt(128 - length)) & ALL_ONES;
}

function addressLabel(value: bigint): number {
  for (const entry of LABELS) {
    if ((value & prefixMask(entry.length)) === entry.prefix) return entry.label;
  }
  return 1;
}

function commonPrefixLength(a: bigint, b: bigint): number {
  const difference = a ^ b;
  return difference === 0n ? 128 : 128 - difference.toString(2).length;
}

function isOrchid(value: bigint): boolean {
  return (value & prefixMask(28)) === 0x20010010n << 96n;
}

interface Candidate {
  address: InterfaceAddress;
  device: string;
}

/** `ipv6_dev_get_saddr(dst_dev, dst)`: the source for an IPv6 packet leaving through `deviceName`. */
export function selectIpv6Source(
  interfaces: readonly NetInterface[],
  deviceName: string | undefined,
  destination: bigint,
): IpAddress | undefined {
  const destinationScope = ipv6Scope(destination);
  const egressOnly =
    deviceName !== undefined && (isMulticast6(destination) || destinationScope <= SCOPE_LINK);
  const candidates: Candidate[] = [];
  for (const device of interfaces) {
    if (egressOnly && device.name !== deviceName) continue;
    for (const address of device.addresses) {
      if (address.family !== 6) continue;
      const value = address.address.value as bigint;
      if (value === 0n || isMulticast6(value)) continue;
      const flags = address.flags;
      if (flags.includes('tentative') && !flags.includes('optimistic')) continue;
      if (flags.includes('dadfailed')) continue;
      candidates.push({ address, device: device.name });
    }
  }
  const destinationLabel = addressLabel(destination);
  const scores = (c: Candidate): number[] => {
    const value = c.address.address.value as bigint;
    const scope = ipv6Scope(value);
    const deprecated = c.address.flags.includes('deprecated') || c.address.preferredLifetime === 0;
    const optimistic = c.address.flags.includes('optimistic');
    const loopbackOrMapped = value === 1n || value >> 32n === 0xffffn;
    return [
      value === destination ? 1 : 0,
      scope >= destinationScope ? -scope : scope - 128,
      loopbackOrMapped || !(deprecated || optimistic) ? 1 : 0,
      deviceName === undefined || c.device === deviceName ? 1 : 0,
      addressLabel(value) === destinationLabel ? 1 : 0,
      c.address.flags.includes('temporary') ? 0 : 1,
      isOrchid(value) === isOrchid(destination) ? 1 : 0,
      Math.min(commonPrefixLength(value, destination), c.address.prefixLength),
      optimistic ? 0 : 1,
    ];
  };
  let best: { candidate: Candidate; score: number[] } | undefined;
  for (const candidate of candidates) {
    const score = scores(candidate);
    if (!best || isBetter(score, best.score)) best = { candidate, score };
  }
  return best?.candidate.address.address;
}

function isBetter(score: number[], than: number[]): boolean {
  for (let i = 0; i < score.length; i++) {
    if (score[i]! !== than[i]!) return score[i]! > than[i]!;
  }
  return false;
}
