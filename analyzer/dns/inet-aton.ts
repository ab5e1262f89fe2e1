/**
 * getaddrinfo takes a name that inet_aton reads whole as an IPv4 address and sends no DNS
 * query for it: glibc through __inet_aton_exact (sysdeps/posix/getaddrinfo.c), musl through
 * __lookup_ipliteral → __inet_aton (src/network/lookup_ipliteral.c, inet_aton.c). That takes
 * the BSD shorthands as well as the dotted quad:
 *
 *   a.b.c.d   each part one octet
 *   a.b.c     c fills the last 16 bits          `1.2.3`   → 1.2.0.3
 *   a.b       b fills the last 24 bits          `10.1`    → 10.0.0.1,  `127.1` → 127.0.0.1
 *   a         a is the whole 32-bit address     `2130706433` → 127.0.0.1
 *
 * Each part is decimal, octal after a leading `0` (`010` is 8; `08` is no number) or
 * hexadecimal after `0x`/`0X`; it must start with a digit. Nothing may follow the last part
 * (no trailing dot or space: `1.2.3.` is a DNS name). Checked against both libcs in the
 * resolver differential test (test/dns-difftest/edge-cases.ts).
 */

/** The largest value of the last part, by the number of parts before it (it fills the rest). */
const LAST_PART_MAX = [0xffffffff, 0xffffff, 0xffff, 0xff] as const;

/** The dotted-quad address inet_aton reads `text` as, or undefined when it is no address. */
export function inetAtonExact(text: string): string | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    const value = partValue(part);
    if (value === undefined) return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 0xff) || last > LAST_PART_MAX[values.length]!) return undefined;
  let address = last;
  values.forEach((v, i) => (address += v * 2 ** (8 * (3 - i))));
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}

function partValue(part: string): number | undefined {
  const hex = /^0[xX]/.test(part);
  const base = hex ? 16 : part.startsWith('0') ? 8 : 10;
  const digits = hex ? part.slice(2) : part;
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  // Past 11 significant digits every base overflows 32 bits: no need to read further.
  const significant = digits.replace(/^0+/, '');
  return significant.length > 11 ? Number.POSITIVE_INFINITY : Number.parseInt(significant || '0', base);
}
