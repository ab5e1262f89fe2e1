/**
 * Zone names as CoreDNS normalizes them (plugin.Host(...).NormalizeExact): lower-case,
 * absolute, and CIDR prefixes turned into their reverse zones (`10.0.0.0/24` →
 * `0.0.10.in-addr.arpa.`).
 */
import { isIP } from 'node:net';

export type ZoneResult = { ok: true; zone: string } | { ok: false; reason: string };

/** `Cluster.Local` → `cluster.local.`; `.` and `` → `.`; a CIDR → its reverse zone. */
export function normalizeZone(raw: string): ZoneResult {
  const slash = raw.indexOf('/');
  if (slash >= 0) return reverseZone(raw.slice(0, slash), raw.slice(slash + 1));
  const lower = raw.toLowerCase();
  if (lower === '' || lower === '.') return { ok: true, zone: '.' };
  if (lower.includes('..')) return { ok: false, reason: `\`${raw}\` has an empty label` };
  return { ok: true, zone: lower.endsWith('.') ? lower : `${lower}.` };
}

/** Is `name` (absolute) inside `zone` (absolute)? */
export function inZone(name: string, zone: string): boolean {
  const n = name.toLowerCase();
  return zone === '.' || n === zone || n.endsWith(`.${zone}`);
}

function reverseZone(address: string, prefixText: string): ZoneResult {
  const family = isIP(address);
  const prefix = /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (family === 0 || Number.isNaN(prefix) || prefix > (family === 4 ? 32 : 128)) {
    return { ok: false, reason: `\`${address}/${prefixText}\` is not a CIDR` };
  }
  if (family === 4) {
    if (prefix % 8 !== 0) return { ok: false, reason: `/${prefix} is not on an octet boundary: CoreDNS splits it into several reverse zones` };
    const octets = address.split('.').slice(0, prefix / 8);
    return { ok: true, zone: [...octets.reverse(), 'in-addr', 'arpa', ''].join('.') };
  }
  if (prefix % 4 !== 0) return { ok: false, reason: `/${prefix} is not on a nibble boundary: CoreDNS splits it into several reverse zones` };
  const nibbles = expandIpv6(address).slice(0, prefix / 4).split('');
  return { ok: true, zone: [...nibbles.reverse(), 'ip6', 'arpa', ''].join('.') };
}

/** The 32 hex digits of an IPv6 address. */
function expandIpv6(address: string): string {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const middle = Array(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => g.padStart(4, '0')).join('').toLowerCase();
}
