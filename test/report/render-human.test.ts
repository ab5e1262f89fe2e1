import { describe, expect, it } from 'vitest';
import { renderHuman } from '../../analyzer/report/render-human.js';
import type { Report } from '../../analyzer/report/report.js';
import { sampleReport } from './sample-report.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const plain = (report: Report = sampleReport()) => renderHuman(report, { color: false });
const lineWith = (lines: string[], text: string) => {
  const index = lines.findIndex((l) => l.includes(text));
  expect(index, `no line contains ${text}`).toBeGreaterThanOrEqual(0);
  return index;
};
const indentOf = (line: string) => line.length - line.trimStart().length;

describe('renderHuman', () => {
  it('shows root causes first, each with its symptoms indented under it', () => {
    const lines = plain().split('\n');
    const f1 = lineWith(lines, '[CRITICAL] F1 Service shop/cart selects no pods');
    const f3 = lineWith(lines, '[WARNING] F3 node-a rejects traffic to shop/cart');
    const f2 = lineWith(lines, '[CRITICAL] F2 IP forwarding is off on node-b');
    expect(lines.indexOf('Root causes (2)')).toBeLessThan(f1);
    expect(f1).toBeLessThan(f3);
    expect(f3).toBeLessThan(f2);
    expect(indentOf(lines[f1]!)).toBe(0);
    expect(indentOf(lines[f2]!)).toBe(0);
    expect(indentOf(lines[f3]!)).toBeGreaterThan(0);
    expect(lines[f1]).toContain('(svc-no-endpoints, service)');
  });

  it('prints a finding with several causes in full once, then as a reference', () => {
    const text = plain();
    const lines = text.split('\n');
    expect(text.split('the path web → cart crosses node-b').length - 1).toBe(1);
    const f4Lines = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('[WARNING] F4'));
    expect(f4Lines).toHaveLength(2);
    const [, referenceAt] = f4Lines[1]!;
    expect(referenceAt).toBeGreaterThan(lineWith(lines, '[CRITICAL] F2'));
    expect(lines[referenceAt + 1]!.trim()).toBe('(shown in full under F1)');
    expect(text).toContain('caused by F1, F2');
  });

  it('gives evidence as file:line with the excerpt, then the fix and commands', () => {
    const lines = plain().split('\n');
    const evidence = lineWith(lines, 'cluster/services.json:812 — the selector');
    expect(lines[evidence]).toMatch(/^\s+evidence\s+cluster\/services\.json:812/);
    expect(lines[evidence + 1]!.trim()).toBe('"app": "cart"');
    expect(lines[evidence + 2]!.trim()).toBe('cluster/pods.json:40');
    expect(lines[lineWith(lines, 'fix the selector or the pod labels')]).toMatch(/^\s+fix\s+fix the selector/);
    expect(lines[lineWith(lines, 'kubectl -n shop get pods')]).toMatch(/^\s+run\s+\$ kubectl -n shop get pods --show-labels$/);
  });

  it('lists what was not collected, grouping rules that miss the same input', () => {
    const lines = plain().split('\n');
    const coverage = lineWith(lines, 'Coverage');
    expect(lines[coverage]).toBe('Coverage  2 checked · 2 not collected · 1 failed · 1 skipped');
    const gap = lineWith(lines, 'not collected: nodes/*/calico/node-status.txt');
    expect(gap).toBeGreaterThan(coverage);
    expect(lines[gap + 1]!.trim()).toBe('Calico BGP (calico-bgp-peer-down, calico-bird-routes)');
    expect(lines[lineWith(lines, 'skipped: ')]!.trim()).toBe('skipped: not selected with --rule: 1 rule');
  });

  it('reports internal problems and asks for a report', () => {
    const lines = plain().split('\n');
    const heading = lineWith(lines, 'Problems (1)');
    expect(lines[heading]).toContain('please report');
    expect(lines[heading + 1]!.trim()).toBe('coredns-unavailable: boom');
  });

  it('ends with a one-line summary', () => {
    const lines = plain().trimEnd().split('\n');
    expect(lines.at(-1)).toBe('2 critical, 2 warnings, 0 info; 2 root causes · 2 checks not collected · 1 internal problem');
    expect(lines[0]).toBe('netdump 0.1.0 · bundle bundles/prod.tgz · context prod-eu-1 · 3 nodes · collected 2026-11-26T10:00:00Z');
  });

  it('says so when there is nothing to report', () => {
    const report: Report = { ...sampleReport(), findings: [], problems: [], coverage: [], summary: { critical: 0, warning: 0, info: 0, rootCauses: 0 } };
    const text = plain(report);
    expect(text).toContain('No findings.');
    expect(text).not.toContain('Root causes');
    expect(text.trimEnd().split('\n').at(-1)).toBe('no findings');
  });

  it('uses colour only when asked, and colour changes nothing but escapes', () => {
    const colored = renderHuman(sampleReport(), { color: true });
    expect(plain()).not.toMatch(ANSI);
    expect(colored).toMatch(/\u001b\[31m\[CRITICAL\]/);
    expect(colored.replace(ANSI, '')).toBe(plain());
  });
});
