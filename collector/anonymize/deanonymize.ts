/**
 * Turns a report on an anonymized bundle back into the customer's names and addresses with the
 * mapping file: every string of a JSON report (titles, messages, subjects, evidence paths and
 * lines, remediation commands), or the whole text of a human or Markdown report.
 */
import type { AnonymizationMap } from './anonymization-map.js';
import { formatIpv4, formatIpv6, maskTo, parseIpv4, parseIpv6, samePrefix } from './ip-address.js';
import { isKeptAddress } from './ip-pseudonyms.js';
import { canonicalMac, formatMacLike, parseMac } from './mac-pseudonyms.js';
import { rewriteText, type TokenMapper } from './text-rewriter.js';

function lookup(record: Record<string, string>): (key: string) => string | undefined {
  const map = new Map(Object.entries(record));
  return (key) => map.get(key);
}

interface NetworkPair {
  image: Buffer;
  original: Buffer;
  bits: number;
}

/** The networks (host bits zero) of the map: pseudonym network → original network, longest first. */
function networkPairs(reverse: Record<string, string>): NetworkPair[] {
  const pairs: NetworkPair[] = [];
  for (const [pseudonym, original] of Object.entries(reverse)) {
    const [imageText, bitsText] = pseudonym.split('/');
    const [originalText] = original.split('/');
    if (bitsText === undefined || !imageText || !originalText) continue;
    const bits = Number(bitsText);
    const image = parseIpv4(imageText) ?? parseIpv6(imageText);
    const source = parseIpv4(originalText) ?? parseIpv6(originalText);
    if (!image || !source || image.length !== source.length || bits <= 0) continue;
    if (!maskTo(image, bits).equals(image) || !maskTo(source, bits).equals(source)) continue;
    pairs.push({ image, original: source, bits });
  }
  return pairs.sort((a, b) => b.bits - a.bits);
}

/**
 * Every address the bundle held is in the map. One that is not was computed by the analyzer from
 * a prefix (a podCIDR's first address, which `route-missing` looks up): it turns back by its
 * offset in the longest mapped network that holds it, which is the same arithmetic on the
 * original network.
 */
function computedAddress(networks: readonly NetworkPair[]): (text: string) => string | undefined {
  return (text) => {
    const v4 = parseIpv4(text);
    const bytes = v4 ?? parseIpv6(text);
    // Kept addresses (loopback, link-local, multicast) were never pseudonymized, even inside a mapped network.
    if (!bytes || isKeptAddress(bytes)) return undefined;
    const network = networks.find((n) => n.image.length === bytes.length && samePrefix(bytes, n.image, n.bits));
    if (!network) return undefined;
    const head = maskTo(bytes, network.bits);
    const restored = Buffer.from(network.original);
    for (let i = 0; i < restored.length; i++) restored[i] = restored[i]! | (bytes[i]! ^ head[i]!);
    return v4 ? formatIpv4(restored) : formatIpv6(restored);
  };
}

export function reverseMapper(map: AnonymizationMap): TokenMapper {
  const known = lookup(map.addresses.reverse);
  const computed = computedAddress(networkPairs(map.addresses.reverse));
  const address = (text: string) => known(text) ?? computed(text);
  const name = lookup(map.names.reverse);
  const chain = lookup(map.chains.reverse);
  const macs = lookup(map.macs?.reverse ?? {});
  const mac = (text: string) => {
    const bytes = parseMac(text);
    const original = bytes && macs(canonicalMac(bytes));
    return original === undefined ? undefined : formatMacLike(text, parseMac(original)!);
  };
  return { address, prefix: (a, bits) => address(`${a}/${bits}`), name, chain, mac };
}

export function deanonymizeText(text: string, map: AnonymizationMap): string {
  return rewriteText(text, reverseMapper(map));
}

/** A JSON value with every string (object keys included) turned back. */
export function deanonymizeJson(value: unknown, map: AnonymizationMap): unknown {
  const mapper = reverseMapper(map);
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return rewriteText(node, mapper);
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [rewriteText(k, mapper), walk(v)]));
    }
    return node;
  };
  return walk(value);
}
