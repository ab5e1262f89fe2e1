/**
 * The node-network scenarios of fixtures/scenarios/ (fixtures/node-scenarios.mjs): what their
 * findings say and cite, checked against the fixture files the way a user would check them.
 * test/scenarios/scenarios.test.ts checks the set of rule ids of each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePath } from '../../analyzer/analyze.js';
import type { Report } from '../../analyzer/report/report.js';
import { scenarioDir } from '../cli/run-cli.js';

const NODE_RULES = ['ip-forward-disabled', 'br-netfilter-disabled', 'rp-filter-strict', 'podcidr-overlap', 'pod-ip-outside-cidr', 'route-missing', 'tunnel-down', 'mtu-mismatch', 'conntrack-table-full', 'interface-errors', 'tcp-retransmits'];

const reports = new Map<string, Promise<Report>>();
const analyze = (name: string) => {
  if (!reports.has(name)) reports.set(name, analyzePath(scenarioDir(name)));
  return reports.get(name)!;
};
const lineOf = (name: string, path: string, needle: string) => readFileSync(join(scenarioDir(name), path), 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
const ours = (report: Report) => report.findings.filter((f) => NODE_RULES.includes(f.rule));

describe('node-network scenarios', () => {
  it('healthy-cluster-node-network: every routing rule read all three nodes and found nothing', async () => {
    const report = await analyze('healthy-cluster-node-network');
    expect(ours(report)).toEqual([]);
    for (const rule of NODE_RULES) {
      const coverage = report.coverage.find((c) => c.rule === rule)!;
      expect(coverage.status, `${rule}: ${coverage.detail}`).toBe('checked');
      if (rule !== 'podcidr-overlap' && rule !== 'pod-ip-outside-cidr') expect(coverage.detail, rule).toContain('on 3 of 3 nodes');
    }
  });

  it('node-forwarding-off: node-c, with its sysctl line', async () => {
    const [finding, ...rest] = ours(await analyze('node-forwarding-off'));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ip-forward-disabled', severity: 'critical', subjects: ['Node/node-c'] });
    expect(finding!.evidence).toEqual([expect.objectContaining({ file: 'nodes/node-c/sysctl.txt', line: lineOf('node-forwarding-off', 'nodes/node-c/sysctl.txt', 'net.ipv4.ip_forward = 0'), text: 'net.ipv4.ip_forward = 0' })]);
  });

  it('flannel-vxlan-mtu-mismatch: every node, with the largest packet that passes and the one needed', async () => {
    const findings = ours(await analyze('flannel-vxlan-mtu-mismatch'));
    expect(findings.map((f) => [f.rule, f.subjects[0]])).toEqual([
      ['mtu-mismatch', 'Node/node-a'],
      ['mtu-mismatch', 'Node/node-b'],
      ['mtu-mismatch', 'Node/node-c'],
    ]);
    const nodeB = findings[1]!;
    expect(nodeB.title).toBe('MTU black hole on node-b: 1550-byte packets needed, 1450 get through');
    expect(nodeB.message).toContain('flannel.1 (VXLAN) has mtu 1500 over eth0 (mtu 1500)');
    expect(nodeB.evidence.slice(0, 2).map((e) => [e.file, e.line])).toEqual([
      ['nodes/node-b/ip-link.txt', lineOf('flannel-vxlan-mtu-mismatch', 'nodes/node-b/ip-link.txt', ': flannel.1:')],
      ['nodes/node-b/ip-link.txt', lineOf('flannel-vxlan-mtu-mismatch', 'nodes/node-b/ip-link.txt', ': eth0:')],
    ]);
    expect(nodeB.data).toMatchObject({ problems: [expect.objectContaining({ largestPacket: 1450, needed: 1550, overhead: 50 })] });
  });

  it("calico-ipip-route-missing: node-b's lookup for node-c's podCIDR ends on the default route", async () => {
    const [finding, ...rest] = ours(await analyze('calico-ipip-route-missing'));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: 'route-missing', severity: 'critical', subjects: ['Node/node-b'], rootCause: true });
    expect(finding!.message).toMatch(/^node-c's podCIDR 10\.244\.2\.0\/24: only the default route \(via 10\.0\.1\.1 dev eth0\) matches, not tunl0/);
    expect(finding!.evidence.map((e) => [e.file, e.line])).toEqual([
      ['nodes/node-b/ip-route.txt', lineOf('calico-ipip-route-missing', 'nodes/node-b/ip-route.txt', 'default via 10.0.1.1')],
      // node-c's spec.podCIDRs entry: the line holding only the quoted CIDR.
      ['cluster/nodes.json', readFileSync(join(scenarioDir('calico-ipip-route-missing'), 'cluster/nodes.json'), 'utf8').split('\n').findIndex((l) => l.trim() === '"10.244.2.0/24"') + 1],
    ]);
  });

  it('conntrack-table-full: node-c, count and max lines, then the CPUs that dropped', async () => {
    const [finding, ...rest] = ours(await analyze('conntrack-table-full'));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: 'conntrack-table-full', severity: 'critical', subjects: ['Node/node-c'], title: 'conntrack table full on node-c' });
    expect(finding!.evidence.slice(0, 3).map((e) => [e.file, e.line])).toEqual([
      ['nodes/node-c/sysctl.txt', 6],
      ['nodes/node-c/sysctl.txt', 7],
      ['nodes/node-c/conntrack-stats.txt', 1],
    ]);
  });

  it('node-interface-errors: the eth0 counter line, and the retransmits it causes', async () => {
    const findings = ours(await analyze('node-interface-errors'));
    const errors = findings.find((f) => f.rule === 'interface-errors')!;
    const retransmits = findings.find((f) => f.rule === 'tcp-retransmits')!;
    expect(findings).toHaveLength(2);
    expect(errors.subjects).toEqual(['Node/node-b']);
    const rxHeader = lineOf('node-interface-errors', 'nodes/node-b/ip-link.txt', '    RX:   bytes');
    expect(errors.evidence.map((e) => [e.file, e.line])).toEqual([['nodes/node-b/ip-link.txt', rxHeader + 1]]);
    expect(retransmits).toMatchObject({ subjects: ['Node/node-b'], severity: 'warning', causedBy: [errors.id], rootCause: false });
    expect(retransmits.title).toBe('3.1% of TCP segments retransmitted on node-b');
  });
});
