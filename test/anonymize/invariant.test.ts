/**
 * The anonymization invariant, on every scenario bundle of fixtures/scenarios: analyzing the
 * anonymized bundle finds the same things as analyzing the original — the same rules at the
 * same severities, as many times, with titles, messages, subjects and evidence equal once the
 * mapping file turns them back — and the anonymized bytes hold none of the original names of
 * namespaces, nodes and pods, none of the original non-special addresses and none of the MACs of
 * network cards.
 */
import { readdirSync, statSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../analyzer/analyze.js';
import { bundleFromFiles, readBundle } from '../../analyzer/bundle/read-bundle.js';
import type { Bundle } from '../../analyzer/bundle/bundle.js';
import type { Finding } from '../../analyzer/report/report.js';
import type { AnonymizationMap } from '../../collector/anonymize/anonymization-map.js';
import { anonymizeEntries } from '../../collector/anonymize/anonymize-entries.js';
import { deanonymizeJson } from '../../collector/anonymize/deanonymize.js';
import { KEPT_NAMESPACES } from '../../collector/anonymize/name-pseudonyms.js';
import type { BundleEntry } from '../../collector/write-bundle.js';

const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'scenarios');
const KEY = Buffer.from('00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210', 'hex');

const scenarios = readdirSync(SCENARIOS_DIR).filter((name) => statSync(join(SCENARIOS_DIR, name)).isDirectory()).sort();

/**
 * A finding as a reader compares two reports. Pseudonyms sort differently from the names they
 * stand for, and rules list names in sorted order or quote "the first" of several equivalent
 * pods or nodes (one of two CoreDNS pods' logs, one of the pods that look a name up): so a
 * renamed pod, node or namespace reads as "<pod>", "<node>" or "<ns>" (a component pod as
 * "<coredns>"), findings and subjects are compared in sorted order, titles and messages as
 * sorted lists of words, and evidence only by its presence (which equivalent pod's files it
 * quotes, and so how many lines, may differ). Everything else — rule, severity, root cause, kept names, addresses after
 * mapping back, numbers — must be equal.
 */
function canonical(f: Finding, map: AnonymizationMap) {
  const renamed = new Map(Object.keys(map.names.forward).map((name) => [name, map.names.forward[name]!.replace(/-[0-9a-f]+$/, '')]));
  const mask = (text: string) => text.replace(/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?/g, (token) => (renamed.has(token) ? `<${renamed.get(token)}>` : token));
  const words = (text: string) => mask(text).split(/[\s,;()]+/).filter(Boolean).sort();
  return {
    rule: f.rule,
    severity: f.severity,
    rootCause: f.rootCause,
    title: words(f.title),
    message: words(f.message),
    subjects: f.subjects.map(mask).sort(),
    hasEvidence: f.evidence.length > 0,
  };
}

function comparable(findings: readonly Finding[], map: AnonymizationMap) {
  return findings.map((f) => canonical(f, map)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** Addresses that stay as they are by design: unspecified, loopback, link-local, multicast, reserved. */
function isKeptAddress(address: string): boolean {
  if (isIPv4(address)) {
    const [a, b] = address.split('.').map(Number) as [number, number];
    return a === 0 || a === 127 || (a === 169 && b === 254) || a >= 224;
  }
  const lower = address.toLowerCase();
  return lower === '::' || lower === '::1' || /^fe[89ab]/.test(lower) || lower.startsWith('ff');
}

/**
 * A prefix's network address (`10.96.0.0` of `10.96.0.0/12`) is not checked: a /12 inside 10/8
 * has only 16 possible images, so it may map to itself; its hosts are what gets pseudonymized.
 */
function isNetworkAddress(address: string, bits: number): boolean {
  const value = address.split('.').reduce((v, octet) => v * 256 + Number(octet), 0);
  return bits < 32 && value % 2 ** (32 - bits) === 0;
}

/** The names of namespaces, pods and nodes a bundle holds, read from its API objects and folders. */
function originalNames(bundle: Bundle): Set<string> {
  const names = new Set<string>();
  const itemsOf = (path: string): Array<{ metadata?: { name?: string; namespace?: string } }> => {
    try {
      return (JSON.parse(bundle.get(path)?.text ?? '{}') as { items?: [] }).items ?? [];
    } catch {
      return [];
    }
  };
  for (const item of itemsOf('cluster/namespaces.json')) names.add(item.metadata?.name ?? '');
  for (const item of itemsOf('cluster/nodes.json')) names.add(item.metadata?.name ?? '');
  for (const item of itemsOf('cluster/pods.json')) {
    names.add(item.metadata?.name ?? '');
    names.add(item.metadata?.namespace ?? '');
  }
  for (const node of bundle.nodeNames()) names.add(node);
  for (const kept of KEPT_NAMESPACES) names.delete(kept);
  names.delete('');
  return names;
}

/** No original name of a namespace, pod or node, and no original non-special address, in the output's bytes. */
function expectNothingOriginalLeft(original: Bundle, anonymized: readonly BundleEntry[]): void {
  const bytes = anonymized.map((e) => `${e.path}\n${String(e.data)}`).join('\n');
  const token = (text: string) => new RegExp(`(?<![A-Za-z0-9_.:-])${text.replace(/[.]/g, '\\.')}(?![A-Za-z0-9_-]|\\.\\d)`);
  for (const name of originalNames(original)) expect(token(name).test(bytes), `name ${name} is gone`).toBe(false);
  const addresses = new Set<string>();
  for (const file of original.files.values()) {
    for (const m of file.text.matchAll(/(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d+))?(?![\w]|\.\d)/g)) {
      if (isIPv4(m[1]!) && !(m[2] && isNetworkAddress(m[1]!, Number(m[2])))) addresses.add(m[1]!);
    }
    for (const m of file.text.matchAll(/(?<![\w:.])[0-9a-fA-F:]*::?[0-9a-fA-F:]+(?![\w:])/g)) if (isIPv6(m[0])) addresses.add(m[0]);
  }
  for (const address of addresses) {
    if (isKeptAddress(address)) continue;
    expect(token(address).test(bytes), `address ${address} is gone`).toBe(false);
  }
  // MACs of network cards; group addresses, all zeros and Calico's ee:ee:ee:ee:ee:ee are kept.
  const macs = new Set<string>();
  for (const file of original.files.values()) {
    for (const m of file.text.matchAll(/(?<![\w:.-])[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}(?![\w:])/g)) {
      const mac = m[0].toLowerCase();
      if ((parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== '00:00:00:00:00:00' && mac !== 'ee:ee:ee:ee:ee:ee') macs.add(mac);
    }
  }
  const lowerBytes = bytes.toLowerCase();
  for (const mac of macs) expect(lowerBytes.includes(mac), `MAC ${mac} is gone`).toBe(false);
}

describe('anonymized scenario bundles analyze like the originals', () => {
  it('finds the scenarios', () => expect(scenarios.length).toBeGreaterThan(10));

  for (const name of scenarios) {
    it(name, async () => {
      const original = await readBundle(join(SCENARIOS_DIR, name));
      const entries = [...original.files.values()].map((f) => ({ path: f.path, data: f.text }));
      const { entries: anonymized, map } = anonymizeEntries(entries, KEY);
      const anonymizedBundle = bundleFromFiles(Object.fromEntries(anonymized.map((e) => [e.path, String(e.data)])), name);

      expectNothingOriginalLeft(original, anonymized);

      const before = analyzeBundle(original).findings;
      const after = analyzeBundle(anonymizedBundle).findings;
      expect(after.length).toBe(before.length);
      const restored = deanonymizeJson(after, map) as Finding[];
      expect(comparable(restored, map)).toEqual(comparable(before, map));

      // Every line of evidence, turned back, quotes a line of the original bundle (a rule may
      // quote part of a line, or a line of a Corefile held in a ConfigMap's JSON string).
      for (const e of restored.flatMap((f) => f.evidence)) {
        if (e.file === 'manifest.json') continue;
        const file = original.get(e.file);
        expect(file, `${e.file} is a file of the original bundle`).toBeDefined();
        const quoted = e.text.replace(/[^\s"',]*…$/, '');
        const line = file!.lineText(e.line);
        expect(line.includes(quoted) || JSON.stringify(line).includes(JSON.stringify(quoted).slice(1, -1)), `${e.file}:${e.line} quotes ${quoted}`).toBe(true);
      }
    });
  }
});
