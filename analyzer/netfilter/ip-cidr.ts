/**
 * IP addresses and CIDRs parsed once into numbers, so a matcher compares integers instead of
 * re-reading strings. IPv4 values are unsigned 32-bit numbers; IPv6 values are bigints.
 */

export type IpAddress = { family: 4; value: number } | { family: 6; value: bigint };

/**
 * A network as iptables stores it: address and mask. `prefix` is set when the mask is contiguous
 * (always, in practice; iptables prints `/255.0.255.0` for the rare non-contiguous mask).
 */
export type Cidr =
  | { family: 4; text: string; network: number; mask: number; prefix: number | undefined }
  | { family: 6; text: string; network: bigint; mask: bigint; prefix: number | undefined };

const IPV6_ALL = (1n << 128n) - 1n;

/** Parses a dotted quad; undefined unless it is exactly four decimal octets. */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits++;
      if (digits > 3 || octet > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** Parses an IPv6 address (with `::` compression and an optional trailing dotted quad). */
export function parseIpv6(text: string): bigint | undefined {
  if (text.length < 2 || text.indexOf(':') === -1) return undefined;
  const doubleColon = text.indexOf('::');
  if (doubleColon !== -1 && text.indexOf('::', doubleColon + 1) !== -1) return undefined;
  const head = doubleColon === -1 ? text : text.slice(0, doubleColon);
  const tail = doubleColon === -1 ? '' : text.slice(doubleColon + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const readGroups = (groups: string[], out: number[]): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return false;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (g.length === 0 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return false;
      out.push(parseInt(g, 16));
    }
    return true;
  };
  const headWords: number[] = [];
  const tailWords: number[] = [];
  if (!readGroups(headGroups, headWords) || !readGroups(tailGroups, tailWords)) return undefined;
  // A trailing dotted quad is only legal in the last group of the whole address.
  if (doubleColon !== -1 && headGroups.some((g) => g.includes('.'))) return undefined;
  const missing = 8 - headWords.length - tailWords.length;
  if (doubleColon === -1 ? missing !== 0 : missing < 1) return undefined;
  words.push(...headWords);
  for (let i = 0; i < (doubleColon === -1 ? 0 : missing); i++) words.push(0);
  words.push(...tailWords);
  let value = 0n;
  for (const w of words) value = (value << 16n) | BigInt(w);
  return value;
}

export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function ipv6Mask(prefix: number): bigint {
  return prefix === 0 ? 0n : (IPV6_ALL << BigInt(128 - prefix)) & IPV6_ALL;
}

function contiguousPrefix4(mask: number): number | undefined {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

function contiguousPrefix6(mask: bigint): number | undefined {
  const inverted = ~mask & IPV6_ALL;
  if ((inverted & (inverted + 1n)) !== 0n) return undefined;
  return 128 - (inverted + 1n).toString(2).length + 1;
}

function parsePrefixLength(text: string, max: number): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/**
 * Parses `10.0.0.0/8`, a bare address (a host route), `10.0.0.0/255.0.0.0` or an IPv6 form.
 * Host bits are cleared, as the kernel does when it stores the rule.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const maskText = slash === -1 ? undefined : text.slice(slash + 1);
  const v4 = parseIpv4(addressText);
  if (v4 !== undefined) {
    let mask: number;
    let prefix: number | undefined;
    if (maskText === undefined) {
      mask = 0xffffffff;
      prefix = 32;
    } else if (maskText.includes('.')) {
      const m = parseIpv4(maskText);
      if (m === undefined) return undefined;
      mask = m;
      prefix = contiguousPrefix4(m);
    } else {
      prefix = parsePrefixLength(maskText, 32);
      if (prefix === undefined) return undefined;
      mask = ipv4Mask(prefix);
    }
    return { family: 4, text, network: (v4 & mask) >>> 0, mask, prefix };
  }
  const v6 = parseIpv6(addressText);
  if (v6 === undefined) return undefined;
  let mask: bigint;
  let prefix: number | undefined;
  if (maskText === undefined) {
    mask = IPV6_ALL;
    prefix = 128;
  } else if (maskText.includes(':')) {
    const m = parseIpv6(maskText);
    if (m === undefined) return undefined;
    mask = m;
    prefix = contiguousPrefix6(m);
  } else {
    prefix = parsePrefixLength(maskText, 128);
    if (prefix === undefined) return undefined;
    mask = ipv6Mask(prefix);
  }
  return { family: 6, text, network: v6 & mask, mask, prefix };
}

/** Whether the address lies in the network; false across families. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family === 4) {
    return address.family === 4 && ((address.value & cidr.mask) >>> 0) === cidr.network;
  }
  return address.family === 6 && (address.value & cidr.mask) === cidr.network;
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

/** -1, 0 or 1; IPv4 sorts before IPv6. */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family < b.family ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** A map key for an address (`4:167772161`, `6:…`). */
export function ipKey(address: IpAddress): string {
  return `${address.family}:${address.value.toString()}`;
}

export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return `${Math.floor(v / 16777216) % 256}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
  }
  const words: string[] = [];
  for (let i = 7; i >= 0; i--) words.push(((address.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run (of at least two) of zero words.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return words.join(':');
  return `${words.slice(0, bestStart).join(':')}::${words.slice(bestStart + bestLength).join(':')}`;
}
