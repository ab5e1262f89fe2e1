/**
 * The DNS scenario bundles (fixtures/scenarios, built by fixtures/dns-scenarios.mjs) analyzed
 * with every rule and the DNS rules: what each finding says and which lines it cites, the root
 * cause chain of the forwarding loop, and `netdump dns`'s simulation on the same bundles.
 * test/scenarios/scenarios.test.ts checks their sets of rule ids.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePath, buildModel } from '../../analyzer/analyze.js';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import { explainLookup } from '../../analyzer/dns/explain-lookup.js';
import type { Report } from '../../analyzer/report/report.js';
import { allRules } from '../../rules/index.js';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'fixtures', 'scenarios');
const analyze = (name: string): Promise<Report> => analyzePath(join(SCENARIOS, name));
const fixture = (name: string, path: string) => readFileSync(join(SCENARIOS, name, path), 'utf8');
const lineOf = (name: string, path: string, needle: string) => fixture(name, path).split('\n').findIndex((l) => l.includes(needle)) + 1;
const cites = (report: Report, rule: string) => report.findings.filter((f) => f.rule === rule).flatMap((f) => f.evidence.map((e) => `${e.file}:${e.line}`));

describe('coredns-forward-loop', () => {
  it('reports the Corefile loop as the root cause of CoreDNS being down', async () => {
    const report = await analyze('coredns-forward-loop');
    const loop = report.findings.find((f) => f.rule === 'corefile-problem')!;
    const down = report.findings.find((f) => f.rule === 'coredns-unavailable')!;
    expect(loop.rootCause).toBe(true);
    expect(loop.severity).toBe('critical');
    expect(loop.subjects).toEqual(['ConfigMap/kube-system/coredns', 'Pod/kube-system/coredns-5c8c7f7bf4-9sdhr', 'Pod/kube-system/coredns-5c8c7f7bf4-mc2fz']);
    expect(down.rootCause).toBe(false);
    expect(down.causedBy).toContain(loop.id);
    expect(loop.causes).toContain(down.id);
    // ... and of every pod's failing lookups, which the coredns-unavailable finding counts.
    expect(down.message).toContain('10 pods in 3 namespaces resolve through kube-dns 10.96.0.10: kube-proxy rejects their queries');
    expect(down.message).toContain('the Corefile is the cause: CoreDNS forwards to itself');
    // The loop is the only root cause: the crash-looping CoreDNS pods are its symptoms too.
    expect(report.findings.filter((f) => f.rootCause).map((f) => f.rule)).toEqual(['corefile-problem']);
    for (const crashing of report.findings.filter((f) => f.rule === 'pod-not-ready')) expect(crashing.causedBy).toEqual([loop.id]);
  });

  it('cites the forward line, the nodes\' 127.0.0.53 and the loop plugin\'s FATAL lines', async () => {
    const report = await analyze('coredns-forward-loop');
    const loop = report.findings.find((f) => f.rule === 'corefile-problem')!;
    expect(loop.evidence[0]).toMatchObject({ file: 'cluster/configmaps.json', line: lineOf('coredns-forward-loop', 'cluster/configmaps.json', '"Corefile"'), note: 'Corefile line 13: forward . /etc/resolv.conf' });
    expect(cites(report, 'corefile-problem')).toEqual(
      expect.arrayContaining([
        'nodes/node-a/resolv.conf:21',
        'nodes/node-b/resolv.conf:21',
        'logs/kube-system/coredns-5c8c7f7bf4-mc2fz/coredns.log:5',
        'logs/kube-system/coredns-5c8c7f7bf4-9sdhr/coredns.log:5',
      ]),
    );
    expect(fixture('coredns-forward-loop', 'logs/kube-system/coredns-5c8c7f7bf4-mc2fz/coredns.log').split('\n')[4]).toMatch(/^\[FATAL\] plugin\/loop: Loop \(127\.0\.0\.1:\d+ -> :53\) detected for zone "\."/);
  });

  it('simulates a pod\'s lookup failing at once: kube-proxy rejects, nothing answers', async () => {
    const model = buildModel(await readBundle(join(SCENARIOS, 'coredns-forward-loop')));
    const e = explainLookup(model, model.kube.pod('shop', 'frontend-5997b69cc8-d2pms')!, 'cart');
    expect(e.resolvConf.source).toBe('captured');
    expect(e.nameservers[0]).toMatchObject({ role: 'kube-dns', udp: { ok: false, rcode: 'UNREACHABLE' } });
    expect(e.result).toMatchObject({ kind: 'failed', error: 'EAI_AGAIN' });
    expect(e.queries.every((q) => q.reply.rcode === 'UNREACHABLE')).toBe(true);
  });
});

describe('healthy-dns', () => {
  it('has no DNS finding, with every DNS rule checked on real input', async () => {
    const report = await analyze('healthy-dns');
    expect(report.findings.filter((f) => f.layer === 'dns')).toEqual([]);
    const dnsRules = allRules.filter((r) => r.layer === 'dns');
    expect(dnsRules.length).toBeGreaterThanOrEqual(6);
    const dnsIds = new Set(dnsRules.map((r) => r.id));
    expect(report.coverage.filter((c) => c.rule && dnsIds.has(c.rule)).map((c) => `${c.rule}: ${c.status}`).sort()).toEqual(dnsRules.map((r) => `${r.id}: checked`).sort());
  });

  it('resolves a Service and forwards an outside name to the site resolvers', async () => {
    const model = buildModel(await readBundle(join(SCENARIOS, 'healthy-dns')));
    const frontend = model.kube.pod('shop', 'frontend-5997b69cc8-d2pms')!;
    expect(explainLookup(model, frontend, 'cart').result).toEqual({ kind: 'resolved', name: 'cart.shop.svc.cluster.local.', addresses: ['10.104.122.87'] });
    const outside = explainLookup(model, frontend, 'api.stripe.com');
    expect(outside.queries).toHaveLength(10);
    expect(outside.result).toMatchObject({ kind: 'unknown', from: ['10.0.0.2', '10.0.0.3'] });
  });
});

describe('the other DNS scenarios', () => {
  it('dns-5s-timeouts-conntrack: the race on node-b and node-c, with the CPU lines that show it', async () => {
    const report = await analyze('dns-5s-timeouts-conntrack');
    const race = report.findings.filter((f) => f.rule === 'dns-conntrack-race');
    expect(race.map((f) => f.subjects)).toEqual([['Node/node-b'], ['Node/node-c']]);
    expect(race[0]!.title).toBe('DNS queries lost to the conntrack race on node-b (insert_failed=96): 5-second lookups');
    expect(race[0]!.evidence.slice(0, 3).map((e) => `${e.file}:${e.line}`)).toEqual(['nodes/node-b/conntrack-stats.txt:3', 'nodes/node-b/conntrack-stats.txt:6', 'nodes/node-b/conntrack-stats.txt:1']);
    expect(race[0]!.remediation).toMatch(/NodeLocal DNSCache.*single-request-reopen.*use-vc/);
  });

  it('dns-slow-cache-misses: cache, SERVFAIL and latency in one finding', async () => {
    const report = await analyze('dns-slow-cache-misses');
    const [slow] = report.findings.filter((f) => f.rule === 'dns-slow');
    expect(slow!.title).toBe('CoreDNS is slow or failing: cache, SERVFAIL, latency, forward');
    expect(slow!.subjects).toEqual(['Deployment/kube-system/coredns']);
    expect(slow!.message).toMatch(/cache hit ratio 20%.*3\.1% of \d+ answers are SERVFAIL.*request latency p99 1\.65 s/);
  });

  it('pod-custom-nameserver: both frontend pods, citing their resolv.conf', async () => {
    const report = await analyze('pod-custom-nameserver');
    const [finding] = report.findings.filter((f) => f.rule === 'resolvconf-nameserver-mismatch');
    expect(finding!.subjects).toEqual(['Pod/shop/frontend-5997b69cc8-d2pms', 'Pod/shop/frontend-5997b69cc8-xlwlf']);
    expect(finding!.evidence[0]).toMatchObject({ file: 'pods/shop/frontend-5997b69cc8-d2pms/resolv.conf', line: 2, text: 'nameserver 8.8.8.8' });
  });

  it('ndots-external-heavy: the query sequence of catalog-db.acme-shop.internal and its cost', async () => {
    const report = await analyze('ndots-external-heavy');
    const [finding] = report.findings.filter((f) => f.rule === 'dns-ndots-amplification');
    expect(finding!.title).toBe('Each lookup of catalog-db.acme-shop.internal costs 10 DNS queries (ndots:5, 4 search domains)');
    expect(finding!.data).toMatchObject({ example: 'catalog-db.acme-shop.internal', cost: 10, fqdnCost: 2 });
    expect((finding!.data!.queries as string[]).slice(6, 8)).toEqual([
      'catalog-db.acme-shop.internal.acme-shop.internal. A NXDOMAIN',
      'catalog-db.acme-shop.internal.acme-shop.internal. AAAA NXDOMAIN',
    ]);
    expect(finding!.subjects[0]).toMatch(/^Pod\/shop\/catalog-/);
    expect(finding!.evidence[0]!.file).toMatch(/^logs\/kube-system\/coredns-.*\/coredns\.log$/);
  });
});
