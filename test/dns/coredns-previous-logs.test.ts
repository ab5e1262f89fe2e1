/**
 * A CoreDNS container that crashes at start-up (plugin/loop's FATAL) says why in the log of its
 * previous instance: `netdump collect` stores that as `<container>.previous.log` beside the
 * current log, which after a restart holds only the start-up lines. The loop finding must come
 * from the previous log then, and a `.previous.log` is the same container, not another one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle, buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { clusterDns } from '../../analyzer/dns/cluster-dns.js';

const SCENARIO = join(import.meta.dirname, '..', '..', 'fixtures', 'scenarios', 'coredns-forward-loop');

function filesOf(dir: string, prefix = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory()) Object.assign(files, filesOf(join(dir, entry.name), `${path}/`));
    else files[path] = readFileSync(join(dir, entry.name), 'utf8');
  }
  return files;
}

/** The scenario with each CoreDNS pod's crash moved to its previous log, and the current log cut to the start-up lines. */
function restartedBundle() {
  const files = filesOf(SCENARIO);
  for (const path of Object.keys(files).filter((p) => /^logs\/kube-system\/coredns-[^/]+\/coredns\.log$/.test(p))) {
    const lines = files[path]!.split('\n');
    const fatal = lines.findIndex((l) => l.startsWith('[FATAL] plugin/loop'));
    expect(fatal).toBeGreaterThan(0);
    files[path.replace(/\.log$/, '.previous.log')] = files[path]!;
    files[path] = `${lines.slice(0, fatal).join('\n')}\n`;
  }
  return bundleFromFiles(files, 'coredns-forward-loop-restarted');
}

describe('CoreDNS previous logs', () => {
  it('reads a .previous.log as the same container, marked previous', () => {
    const dns = clusterDns(buildModel(restartedBundle()));
    const previous = dns.logs.filter((l) => l.previous);
    expect(previous.map((l) => l.container)).toEqual(['coredns', 'coredns']);
    expect(dns.logs.filter((l) => !l.previous).map((l) => l.container)).toEqual(['coredns', 'coredns']);
  });

  it('finds the forward loop in the previous logs when the current ones hold only the start-up', () => {
    const findings = analyzeBundle(restartedBundle()).findings.filter((f) => f.rule === 'corefile-problem');
    expect(findings).toHaveLength(1);
    const logEvidence = findings[0]!.evidence.filter((e) => e.file.startsWith('logs/'));
    expect(logEvidence.length).toBeGreaterThan(0);
    for (const e of logEvidence) {
      expect(e.file).toMatch(/^logs\/kube-system\/coredns-[^/]+\/coredns\.previous\.log$/);
      expect(e.text).toContain('plugin/loop: Loop (127.0.0.1:');
    }
  });
});
