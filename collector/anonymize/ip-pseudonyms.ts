/**
 * Keyed IP pseudonyms that keep what an engineer (and the analyzer) reads from an address:
 *
 * - kept as they are: unspecified and "this network" (0.0.0.0/8, ::), loopback (127/8, ::1),
 *   link-local (169.254/16, fe80::/10: metadata servers, node-local DNS), multicast and the
 *   reserved/broadcast block (224/3, ff00::/8) — rules and people key on these values;
 * - private ranges keep their prefix and have the bits below it pseudonymized with Crypto-PAn:
 *   10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7 — a private address stays private
 *   in the same block, and because Crypto-PAn preserves prefixes, a Service or pod CIDR maps to
 *   a CIDR of the same length holding exactly the images of its addresses;
 * - every other (public) address is Crypto-PAn'ed; when the image lands in a kept or private
 *   range the permutation is applied again until it does not ("cycle walking"), so public maps
 *   to public one-to-one and never collides with a private or kept address. Walked addresses
 *   lose prefix preservation with their neighbours; the rest keep it.
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) carry their IPv4 address's pseudonym.
 */
import { CryptoPan } from './crypto-pan.js';
import { formatIpv4, formatIpv6, maskTo, parseIpv4, parseIpv6, samePrefix } from './ip-address.js';

interface Block {
  network: Buffer;
  bits: number;
}

function block(text: string): Block {
  const [address, bits] = text.split('/') as [string, string];
  const network = parseIpv4(address) ?? parseIpv6(address);
  if (!network) throw new Error(`bad block ${text}`);
  return { network, bits: Number(bits) };
}

const KEPT_V4 = ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3'].map(block);
const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map(block);
const KEPT_V6 = ['::/128', '::1/128', 'fe80::/10', 'ff00::/8'].map(block);
const PRIVATE_V6 = ['fc00::/7'].map(block);
const V4_MAPPED = block('::ffff:0.0.0.0/96');

type AddressClass = { kind: 'kept' } | { kind: 'private'; bits: number } | { kind: 'public' };

function classify(address: Uint8Array): AddressClass {
  const v4 = address.length === 4;
  for (const b of v4 ? KEPT_V4 : KEPT_V6) if (samePrefix(address, b.network, b.bits)) return { kind: 'kept' };
  for (const b of v4 ? PRIVATE_V4 : PRIVATE_V6) if (samePrefix(address, b.network, b.bits)) return { kind: 'private', bits: b.bits };
  return { kind: 'public' };
}

/** Whether an address (4 or 16 bytes) stays as it is: unspecified, loopback, link-local, multicast, reserved. */
export function isKeptAddress(address: Uint8Array): boolean {
  const inner = address.length === 16 && samePrefix(address, V4_MAPPED.network, V4_MAPPED.bits) ? address.subarray(12) : address;
  return classify(inner).kind === 'kept';
}

/** IPv6 text in the style of the original: `::ffff:10.1.2.3` keeps its dotted tail. */
function formatV6Like(original: string, bytes: Buffer): string {
  if (original.includes('.') && samePrefix(bytes, V4_MAPPED.network, V4_MAPPED.bits)) return `::ffff:${formatIpv4(bytes.subarray(12))}`;
  return formatIpv6(bytes);
}

export class IpPseudonyms {
  private readonly pan: CryptoPan;
  private readonly cache = new Map<string, string>();
  /** Original text → pseudonym text, for every address or prefix that changed. */
  readonly forward = new Map<string, string>();

  constructor(key: Buffer) {
    this.pan = new CryptoPan(key);
  }

  /** The pseudonym of an address's bytes (4 or 16). */
  mapBytes(address: Uint8Array): Buffer {
    if (address.length === 16 && samePrefix(address, V4_MAPPED.network, V4_MAPPED.bits)) {
      const out = Buffer.from(address);
      this.mapBytes(address.subarray(12)).copy(out, 12);
      return out;
    }
    const cls = classify(address);
    if (cls.kind === 'kept') return Buffer.from(address);
    if (cls.kind === 'private') {
      const permuted = this.pan.permute(address);
      const prefix = maskTo(address, cls.bits);
      const below = Buffer.from(permuted);
      const head = maskTo(permuted, cls.bits);
      for (let i = 0; i < below.length; i++) below[i] = prefix[i]! | (permuted[i]! ^ head[i]!);
      return below;
    }
    // A cycle of the permutation through `address` returns to it, so this loop ends.
    let image = this.pan.permute(address);
    while (classify(image).kind !== 'public') image = this.pan.permute(image);
    return image;
  }

  /** The pseudonym of an address written as text, or undefined when the text is no address. */
  mapAddress(text: string): string | undefined {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const v4 = parseIpv4(text);
    const bytes = v4 ?? parseIpv6(text);
    if (!bytes) return undefined;
    const mapped = this.mapBytes(bytes);
    const out = v4 ? formatIpv4(mapped) : mapped.equals(bytes) ? text : formatV6Like(text, mapped);
    this.cache.set(text, out);
    // An address the permutation happens to leave as it is is recorded too: the deanonymizer
    // takes an address missing from the map for one the analyzer computed (see deanonymize.ts).
    if (out !== text || !isKeptAddress(bytes)) this.forward.set(text, out);
    return out;
  }

  /**
   * `address/bits`: a network (host bits zero) maps to the network of its pseudonym, so that
   * `10.96.0.0/12` stays a canonical prefix; an interface address with its prefix length
   * (`10.244.1.5/24`) maps the address and keeps the length.
   */
  mapPrefix(address: string, bits: number): string | undefined {
    const text = `${address}/${bits}`;
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const v4 = parseIpv4(address);
    const bytes = v4 ?? parseIpv6(address);
    if (!bytes || bits > bytes.length * 8) return undefined;
    let out: string;
    if (maskTo(bytes, bits).equals(bytes)) {
      const network = maskTo(this.mapBytes(bytes), bits);
      out = `${v4 ? formatIpv4(network) : network.equals(bytes) ? address : formatIpv6(network)}/${bits}`;
    } else {
      // Recorded as an address too: a report may quote the address without its length.
      out = `${this.mapAddress(address)!}/${bits}`;
    }
    this.cache.set(text, out);
    if (out !== text) this.forward.set(text, out);
    return out;
  }
}
