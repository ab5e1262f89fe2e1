import { describe, expect, it } from 'vitest';
import { mdCode, mdFence, mdText } from '../../analyzer/report/markdown-text.js';
import { renderMarkdown } from '../../analyzer/report/render-markdown.js';
import type { Report } from '../../analyzer/report/report.js';
import { sampleReport } from './sample-report.js';

describe('renderMarkdown', () => {
  const text = renderMarkdown(sampleReport());
  const lines = text.split('\n');

  it('opens with the headline counts and the bundle', () => {
    expect(lines[0]).toBe('## netdump: 2 critical, 2 warnings, 0 info; 2 root causes');
    expect(lines[2]).toBe('Bundle `bundles/prod.tgz` · context `prod-eu-1` · 3 nodes · collected 2026-11-26T10:00:00Z · netdump 0.1.0');
  });

  it('makes each root cause a section, and only root causes', () => {
    const sections = lines.filter((l) => l.startsWith('### F'));
    expect(sections).toEqual(['### F1 · CRITICAL · Service shop/cart selects no pods', '### F2 · CRITICAL · IP forwarding is off on node-b']);
  });

  it('quotes evidence in code spans and fenced blocks, commands in a sh block', () => {
    const at = lines.indexOf('`cluster/services.json:812` — the selector');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 2, at + 5)).toEqual(['```', '"app": "cart"', '```']);
    const sh = lines.indexOf('```sh');
    expect(lines[sh + 1]).toBe('kubectl -n shop get pods --show-labels');
  });

  it('lists symptoms under their cause, a shared symptom in full once and then by reference', () => {
    const f1 = lines.indexOf('### F1 · CRITICAL · Service shop/cart selects no pods');
    const f2 = lines.findIndex((l) => l.startsWith('### F2'));
    const f3 = lines.findIndex((l) => l.startsWith('- **WARNING** F3 `kubeproxy-reject-no-endpoints`'));
    expect(f1).toBeLessThan(f3);
    expect(f3).toBeLessThan(f2);
    expect(lines[f3 + 2]).toBe(
      '  - evidence: `nodes/node-a/iptables-save.txt:120` `-A KUBE-SERVICES -d 10.96.14.2/32 -p tcp -m comment --comment "shop/cart:http has no endpoints" -j REJECT`',
    );
    expect(text.split('the path web → cart crosses node-b').length - 1).toBe(1);
    expect(lines.slice(f2)).toContain('- **WARNING** F4 `pod-unreachable` — Pods of shop/web cannot reach shop/cart (see under F1)');
  });

  it('lists coverage gaps and problems briefly', () => {
    const gaps = lines.indexOf('### Not checked');
    expect(lines.slice(gaps + 2, gaps + 5)).toEqual([
      '- error: internal error: boom — DNS (coredns-unavailable)',
      '- not collected: nodes/\\*/calico/node-status.txt — Calico BGP (calico-bgp-peer-down, calico-bird-routes)',
      '- skipped: not selected with --rule — 1 rule',
    ]);
    expect(text).toContain('please report');
    expect(text.trimEnd().endsWith('- `coredns-unavailable`: boom')).toBe(true);
  });

  it('reports a clean bundle plainly', () => {
    const clean: Report = { ...sampleReport(), findings: [], problems: [], summary: { critical: 0, warning: 0, info: 0, rootCauses: 0 } };
    clean.coverage = clean.coverage.filter((c) => c.status === 'checked');
    const md = renderMarkdown(clean);
    expect(md).toContain('## netdump: no findings');
    expect(md).toContain('No findings.');
    expect(md).toContain('All 2 checks ran.');
  });
});

describe('markdown quoting', () => {
  it('escapes what Markdown would interpret, but not snake_case', () => {
    expect(mdText('nodes/*/x <b> [a](b) net.ipv4.ip_forward _em_')).toBe('nodes/\\*/x \\<b\\> \\[a\\](b) net.ipv4.ip_forward \\_em\\_');
    expect(mdText('# not a heading\nsecond line')).toBe('\\# not a heading second line');
  });

  it('fences code spans and blocks longer than the backticks they hold', () => {
    expect(mdCode('a `b` c')).toBe('``a `b` c``');
    expect(mdCode('`x`')).toBe('`` `x` ``');
    expect(mdFence('```\ncode\n```')).toEqual(['````', '```', 'code', '```', '````']);
  });
});
