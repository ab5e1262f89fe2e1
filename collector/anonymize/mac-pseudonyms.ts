/**
 * Keyed pseudonyms for MAC addresses: a NIC's own part identifies a machine. The first three
 * bytes are kept — the vendor or virtualization prefix (52:54:00 QEMU/KVM, 02:42 Docker,
 * fa:16:3e OpenStack) tells an engineer what the interface is — and the last three become bytes
 * of HMAC-SHA256(key, address), re-drawn on a collision so that the mapping stays one-to-one.
 *
 * Kept as they are: group addresses (multicast and broadcast: the I/G bit of the first byte),
 * all zeros (tunnel and loopback devices), and ee:ee:ee:ee:ee:ee, the MAC Calico gives every
 * cali veth in every cluster.
 */
import { createHmac } from 'node:crypto';

const KEPT = new Set(['00:00:00:00:00:00', 'ee:ee:ee:ee:ee:ee']);

/** `52:54:00:12:34:56`, `52:54:0:12:34:56` (bridge ids drop leading zeros), either case → lower-case bytes, or undefined. */
export function parseMac(text: string): number[] | undefined {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9A-Fa-f]{1,2}$/.test(p))) return undefined;
  return parts.map((p) => parseInt(p, 16));
}

/** The address written as `text` was: same case, leading zeros dropped where it dropped them. */
export function formatMacLike(text: string, bytes: readonly number[]): string {
  const upper = /[A-F]/.test(text) && !/[a-f]/.test(text);
  const padded = text.split(':').every((p) => p.length === 2);
  const out = bytes.map((b) => (padded ? b.toString(16).padStart(2, '0') : b.toString(16))).join(':');
  return upper ? out.toUpperCase() : out;
}

export function canonicalMac(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export class MacPseudonyms {
  /** Original → pseudonym, canonical (lower-case, two digits a byte), for every MAC that changed. */
  readonly forward = new Map<string, string>();
  private readonly taken = new Set<string>();

  constructor(private readonly key: Buffer) {}

  /** The pseudonym of a MAC written as text, in the same style; undefined to keep it. */
  map(text: string): string | undefined {
    const bytes = parseMac(text);
    if (!bytes || (bytes[0]! & 1) === 1) return undefined;
    const canonical = canonicalMac(bytes);
    if (KEPT.has(canonical)) return undefined;
    let pseudonym = this.forward.get(canonical);
    if (pseudonym === undefined) {
      for (let attempt = 0; pseudonym === undefined || this.taken.has(pseudonym); attempt++) {
        const digest = createHmac('sha256', this.key).update(`mac\0${canonical}\0${attempt}`).digest();
        pseudonym = canonicalMac([...bytes.slice(0, 3), digest[0]!, digest[1]!, digest[2]!]);
      }
      this.taken.add(pseudonym);
      this.forward.set(canonical, pseudonym);
    }
    return formatMacLike(text, parseMac(pseudonym)!);
  }
}
