/**
 * Turns a report on an anonymized bundle back into the customer's names and addresses with the
 * mapping file: every string of a JSON report (titles, messages, subjects, evidence paths and
 * lines, remediation commands), or the whole text of a human or Markdown report.
 */
import type { AnonymizationMap } from './anonymization-map.js';
import { rewriteText, type TokenMapper } from './text-rewriter.js';

function lookup(record: Record<string, string>): (key: string) => string | undefined {
  const map = new Map(Object.entries(record));
  return (key) => map.get(key);
}

export function reverseMapper(map: AnonymizationMap): TokenMapper {
  const address = lookup(map.addresses.reverse);
  const name = lookup(map.names.reverse);
  const chain = lookup(map.chains.reverse);
  return { address, prefix: (a, bits) => address(`${a}/${bits}`), name, chain };
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
