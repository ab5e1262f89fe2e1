/**
 * The Corefile lives in a ConfigMap (`kube-system/coredns`, key `Corefile`; NodeLocal
 * DNSCache uses `kube-system/node-local-dns`). In `cluster/configmaps.json` the whole
 * Corefile is one JSON string on the key's line:
 *
 *   "data": {
 *       "Corefile": ".:53 {\n    errors\n    health {\n ...}\n"
 *   },
 *
 * so every Corefile line maps to that bundle line, and evidence names the Corefile line in
 * its note. In the YAML twin (`configmaps.yaml`) a literal block (`Corefile: |`) keeps one
 * bundle line per Corefile line, starting on the line after the key.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import { makeEvidence, SourceFile, type Evidence } from '../bundle/source-file.js';
import { objectPath } from '../kube/object-path.js';
import type { ConfigMap } from '../kube/types.js';
import type { Corefile } from './corefile-types.js';
import { parseCorefile } from './parse-corefile.js';

export interface CorefileInConfigMap {
  configMap: ConfigMap;
  /** The data key holding the Corefile. */
  key: string;
  corefile: Corefile;
  /** The bundle file holding the ConfigMap. */
  file: string;
  /** The bundle line holding a Corefile line (1-based, the Corefile's own numbering). */
  bundleLine(corefileLine: number): number;
  /** Evidence for a Corefile line: bundle file and line, the Corefile line's text, a note naming the Corefile line. */
  evidence(corefileLine: number, note?: string): Evidence;
}

/** The CoreDNS ConfigMap: kube-system/coredns, else a kube-system ConfigMap with a `Corefile` key (rke2, distributions). */
export function findCorednsConfigMap(configMaps: readonly ConfigMap[]): ConfigMap | undefined {
  const inKubeSystem = configMaps.filter((c) => c.namespace === 'kube-system');
  return (
    inKubeSystem.find((c) => c.name === 'coredns' && c.data.Corefile !== undefined) ??
    inKubeSystem.find((c) => c.data.Corefile !== undefined && c.name !== 'node-local-dns')
  );
}

/** Parses the Corefile held under `key`; undefined when the ConfigMap has no such key. */
export function corefileFromConfigMap(configMap: ConfigMap, key = 'Corefile'): ParseResult<CorefileInConfigMap> | undefined {
  const text = configMap.data[key];
  if (text === undefined) return undefined;
  const keyEvidence = configMap.source.at(objectPath('data', key));
  const file = keyEvidence.file;
  const literalBlock = /\.ya?ml$/.test(file) && /:\s*\|[-+0-9]*\s*(#.*)?$/.test(keyEvidence.text);
  const corefileSource = new SourceFile(`${file}#${configMap.namespace}/${configMap.name}/${key}`, text);
  const parsed = parseCorefile(corefileSource);

  const bundleLine = (line: number) => (literalBlock && line > 0 ? keyEvidence.line + line : keyEvidence.line);
  const where = `${configMap.namespace}/${configMap.name} ${key}`;
  const value: CorefileInConfigMap = {
    configMap,
    key,
    corefile: parsed.value,
    file,
    bundleLine,
    evidence: (line, note) => makeEvidence(file, bundleLine(line), corefileSource.lineText(line), note ? `${key} line ${line}: ${note}` : `${key} line ${line}`),
  };
  const issues: ParseIssue[] = parsed.issues.map((issue) => ({
    ...issue,
    file,
    line: bundleLine(issue.line),
    message: issue.line > 0 ? `${where} line ${issue.line}: ${issue.message}` : `${where}: ${issue.message}`,
  }));
  return { value, issues };
}
