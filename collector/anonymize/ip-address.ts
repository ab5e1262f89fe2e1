/**
 * IP addresses as bytes and back: parsing the text forms tools print (dotted quads, IPv6 with
 * `::` and an embedded IPv4 tail) and printing IPv6 in RFC 5952's canonical form.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function parseIpv4(text: string): Buffer | undefined {
  if (!isIPv4(text)) return undefined;
  return Buffer.from(text.split('.').map(Number));
}

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

export function parseIpv6(text: string): Buffer | undefined {
  if (!isIPv6(text)) return undefined;
  let body = text;
  const groups: number[] = [];
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  let tailGroups: number[] = [];
  if (tail) {
    const v4 = parseIpv4(tail[1]!);
    if (!v4) return undefined;
    tailGroups = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = body.slice(0, -tail[1]!.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const toGroups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = body.indexOf('::');
  if (gap === -1) {
    groups.push(...toGroups(body), ...tailGroups);
  } else {
    const head = toGroups(body.slice(0, gap));
    const rest = [...toGroups(body.slice(gap + 2)), ...tailGroups];
    groups.push(...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest);
  }
  if (groups.length !== 8) return undefined;
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return bytes;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** True when the first `bits` bits of `a` and `b` are equal. */
export function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >>> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & mask) === (b[whole]! & mask);
}

/** `bytes` with every bit from `bits` on cleared: the network address of a prefix. */
export function maskTo(bytes: Uint8Array, bits: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const kept = Math.min(8, Math.max(0, bits - i * 8));
    out[i] = out[i]! & ((0xff << (8 - kept)) & 0xff);
  }
  return out;
}

/** The number of leading bits `a` and `b` share. */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const diff = a[i]! ^ b[i]!;
    if (diff !== 0) return i * 8 + Math.clz32(diff) - 24;
  }
  return a.length * 8;
}
