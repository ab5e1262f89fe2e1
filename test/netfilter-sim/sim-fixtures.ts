/**
 * Loading rule sets for the simulator tests and reading traces back in a form a test can state:
 * `nat/KUBE-SEP-…#2 accept DNAT` per step, and the line a rule text sits on in its file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import type { IpsetDump } from '../../analyzer/netfilter/ipset-types.js';
import type { IptablesDump } from '../../analyzer/netfilter/iptables-types.js';
import type { NftRuleset } from '../../analyzer/netfilter/nft-types.js';
import { parseIpsetSave } from '../../analyzer/netfilter/parse-ipset-save.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import { parseIpvsadm, type IpvsDump } from '../../analyzer/netfilter/parse-ipvsadm.js';
import { parseNftRuleset } from '../../analyzer/netfilter/parse-nft-ruleset.js';
import type { TraceOutcome, TraceResult, TraceStep } from '../../analyzer/netfilter/simulate/trace-types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const SAMPLES_DIR = join(here, '../../../shared/samples');

export function fixtureText(name: string): string {
  return readFileSync(join(here, 'fixtures', name), 'utf8');
}

/** A shared sample's text, or undefined when ../shared/samples is not there. */
export function sampleText(name: string): string | undefined {
  const path = join(SAMPLES_DIR, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export function iptables(text: string, file = 'iptables-save.txt'): IptablesDump {
  const parsed = parseIptablesSave(new SourceFile(file, text));
  const broken = parsed.issues.filter((i) => i.code === 'BAD_LINE');
  expect(broken, 'the fixture parses without BAD_LINE issues').toEqual([]);
  return parsed.value;
}

export function ipsets(text: string): IpsetDump {
  return parseIpsetSave(new SourceFile('ipset-save.txt', text)).value;
}

export function nftables(text: string, file = 'nft-ruleset.txt'): NftRuleset {
  const parsed = parseNftRuleset(new SourceFile(file, text));
  const broken = parsed.issues.filter((i) => i.code === 'BAD_LINE');
  expect(broken, 'the fixture parses without BAD_LINE issues').toEqual([]);
  return parsed.value;
}

export function ipvsadm(text: string): IpvsDump {
  return parseIpvsadm(new SourceFile('ipvsadm.txt', text)).value;
}

/** 1-based line of the first line containing every fragment. */
export function lineOf(text: string, ...fragments: string[]): number {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => fragments.every((f) => l.includes(f)));
  if (index === -1) throw new Error(`no line contains ${JSON.stringify(fragments)}`);
  return index + 1;
}

/** `nat/KUBE-SERVICES#2 jump KUBE-SVC-X` (policies: `filter/FORWARD policy drop`). */
export function describeStep(step: TraceStep): string {
  if (step.kind === 'policy') return `${step.table}/${step.chain} policy ${step.verdict}`;
  if (step.kind === 'ipvs') return `ipvs ${step.chain}${step.position === undefined ? '' : `#${step.position}`} ${step.verdict}${step.target ? ` ${step.target}` : ''}`;
  return `${step.table}/${step.chain}#${step.position} ${step.verdict}${step.target ? ` ${step.target}` : ''}`;
}

/** The matched rules of an outcome, leaving out policy steps of chains that only accepted. */
export function ruleSteps(outcome: TraceOutcome): string[] {
  return outcome.steps.filter((s) => !(s.kind === 'policy' && s.verdict === 'accept')).map(describeStep);
}

export function expectProbabilitiesSumToOne(result: TraceResult): void {
  const total = result.outcomes.reduce((sum, o) => sum + o.probability, 0);
  expect(Math.abs(total - 1)).toBeLessThan(1e-9);
}

/** The single outcome of a deterministic trace. */
export function onlyOutcome(result: TraceResult): TraceOutcome {
  expect(result.outcomes, 'exactly one outcome').toHaveLength(1);
  return result.outcomes[0]!;
}
