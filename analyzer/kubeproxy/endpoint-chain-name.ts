/**
 * The KUBE-SEP- chain name kube-proxy gives an endpoint (kube-proxy-names.ts documents the
 * scheme), computed with Node's one-shot hash and only the ten bytes the 16-character name
 * needs: reconstruction checks every endpoint chain of a dump, 100,000 of them on a large node.
 */
import { hash } from 'node:crypto';
import type { ServicePortRef } from './dataplane-types.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `KUBE-SEP-` + base32(sha256(spn + proto + endpoint))[:16]; `endpoint` is `ip:port` / `[ip]:port`. */
export function endpointChainName(spn: string, protocol: string, endpoint: string): string {
  const digest = hash('sha256', spn + protocol + endpoint, 'buffer');
  // 16 base32 characters are exactly the first 80 bits: two 40-bit groups of 8 characters.
  let out = 'KUBE-SEP-';
  for (let group = 0; group < 2; group++) {
    const o = group * 5;
    const high = digest[o]! * 4 + (digest[o + 1]! >>> 6);
    const rest = ((digest[o + 1]! & 63) * 16777216 + digest[o + 2]! * 65536 + digest[o + 3]! * 256 + digest[o + 4]!) >>> 0;
    // 40 bits = high (10 bits) · rest (30 bits), read 5 bits at a time from the top.
    out += ALPHABET[high >>> 5]! + ALPHABET[high & 31]!;
    for (let shift = 25; shift >= 0; shift -= 5) out += ALPHABET[(rest >>> shift) & 31]!;
  }
  return out;
}

/** Names already derived, per API Service port and endpoint: every node of a cluster asks for the same ones. */
const derived = new WeakMap<ServicePortRef, Map<string, string>>();

/** endpointChainName for an API Service port, derived once per port and endpoint while the model lives. */
export function endpointChainNameOf(ref: ServicePortRef, endpoint: string): string {
  let byEndpoint = derived.get(ref);
  if (!byEndpoint) derived.set(ref, (byEndpoint = new Map()));
  let name = byEndpoint.get(endpoint);
  if (name === undefined) byEndpoint.set(endpoint, (name = endpointChainName(ref.spn, ref.protocol, endpoint)));
  return name;
}
