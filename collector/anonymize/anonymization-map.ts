/**
 * The mapping file `netdump anonymize` writes beside the anonymized bundle. It stays with the
 * customer: with it, `netdump deanonymize` turns a report on the anonymized bundle back into
 * real names and addresses. It holds the key's fingerprint, never the key.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

export const ANONYMIZATION_MAP_FORMAT = 'netdump-anonymization-map/v1';

export interface TwoWayMap {
  /** Original → pseudonym. */
  forward: Record<string, string>;
  /** Pseudonym → original. */
  reverse: Record<string, string>;
}

export interface AnonymizationMap {
  format: typeof ANONYMIZATION_MAP_FORMAT;
  /** First 16 hex digits of SHA-256 of the key: tells which key made the map. */
  keyId: string;
  /** Namespaces, nodes and pods. */
  names: TwoWayMap;
  /** Addresses and prefixes as they were written (`10.96.0.10`, `10.244.1.0/24`). */
  addresses: TwoWayMap;
  /** kube-proxy chain names whose hashes were recomputed. */
  chains: TwoWayMap;
  /** MAC addresses, canonical (lower-case, two digits a byte); absent in maps written before MACs were pseudonymized. */
  macs?: TwoWayMap;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function twoWay(forward: ReadonlyMap<string, string>): TwoWayMap {
  const sorted = [...forward].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    forward: Object.fromEntries(sorted),
    reverse: Object.fromEntries(sorted.map(([original, pseudonym]) => [pseudonym, original])),
  };
}

export interface PseudonymCounts {
  names: number;
  addresses: number;
  macs: number;
  chains: number;
}

/** How many names, addresses, MAC addresses and kube-proxy chain names got pseudonyms. */
export function pseudonymCounts(map: AnonymizationMap): PseudonymCounts {
  const count = (part: TwoWayMap | undefined) => Object.keys(part?.forward ?? {}).length;
  return { names: count(map.names), addresses: count(map.addresses), macs: count(map.macs), chains: count(map.chains) };
}

/** Checks the shape of a map read from a file; returns a message for what is wrong. */
export function validateAnonymizationMap(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const map = value as Partial<AnonymizationMap>;
  if (map.format !== ANONYMIZATION_MAP_FORMAT) return `format is ${JSON.stringify(map.format)}, expected ${ANONYMIZATION_MAP_FORMAT}`;
  for (const part of ['names', 'addresses', 'chains'] as const) {
    const twoWayMap = map[part];
    if (typeof twoWayMap !== 'object' || twoWayMap === null || typeof twoWayMap.reverse !== 'object' || twoWayMap.reverse === null) {
      return `${part}.reverse is missing`;
    }
  }
  return undefined;
}

/** Where the mapping file goes when not named: beside the bundle, `prod-anon.tgz` → `prod-anon.map.json`. */
export function defaultMapPath(bundlePath: string): string {
  return `${bundlePath.replace(/\.(?:tgz|tar\.gz|tar)$/i, '')}.map.json`;
}

/** Writes the mapping file readable by its owner only: it undoes the anonymization. */
export async function writeAnonymizationMap(path: string, map: AnonymizationMap): Promise<void> {
  await writeFile(path, `${JSON.stringify(map, null, 2)}\n`, { mode: 0o600 });
}
