/**
 * Differential test: netdump's netfilter parsers + simulators against the Linux kernel.
 *
 * Randomly generated rule sets (test/helpers/random-rulesets.ts: kube-proxy iptables mode, also
 * dual-stack; Docker; Calico on kube-proxy; kube-proxy nftables mode with an nftables host
 * firewall or firewalld) and the scenarios' real-format dumps are loaded into a throwaway
 * network namespace; real packets are sent from a pod namespace, the node and an external host;
 * the kernel's trace (every rule that matched with its dump line, the policies that applied, the
 * fate, where the packet went, the DNAT destination, the source after SNAT) must be one of the
 * simulator's outcomes. Every disagreement is printed with what replays it.
 *
 *   NETDUMP_DIFFTEST_SEED=123 NETDUMP_DIFFTEST_CASES=2000 npx vitest run test/difftest
 *   npm run difftest -- --cases 20000 --seed 123      (soak mode, bench/difftest.ts)
 *
 * Needs root, iproute2, nftables, iptables (nf_tables backend), ipset and conntrack; skipped
 * with the reason otherwise.
 *
 * How the comparison is set up, and what it leaves out (kernel 6.x, iptables 1.8.9, nft 1.0.6):
 *   - iptables rule sets are the exact `iptables-nft-save` text (checked by reading them back);
 *     an nftables rule set is simulated from the kernel's own `nft list table` listing, as a
 *     node's nft-ruleset.txt holds it, and the kernel's chain/position is mapped to its lines.
 *   - Packets are the first of their connection (TCP SYN or a UDP datagram): conntrack state is
 *     NEW for all of them, and the simulator is asked about NEW packets only.
 *   - Packets of one batch share `-m recent` lists and nft dynamic sets; rule sets with ClientIP
 *     affinity are sent in rounds of one packet per source address and the lists/sets are
 *     emptied between rounds, so each packet meets none (the simulator's `affinity: 'none'`).
 *   - The source after SNAT is compared for packets that leave the node; MASQUERADE picks the
 *     primary address of the outgoing interface (eth0 10.0.1.11, the pod interface 10.244.1.1,
 *     and their IPv6 counterparts). Source ports (`--random-fully`) are not compared; nor are the
 *     packet and conntrack marks (the lab's trace does not report them).
 *   - A packet the node sends to one of its own addresses is traced twice (out through lo, in
 *     again); the lab joins both traces. The kernel runs no nat chain on the way back in.
 *   - Generated rule sets avoid what the kernel decides by time or hashing: `-m limit`, NAT
 *     ranges, `statistic --mode nth`; they never match the lab's tracing source ports
 *     (40000-59999) and never drop its loopback sentinel; iptables and native nft rules are not
 *     mixed in one rule set (the simulators trace either, not both together).
 *   - Kernel behaviour the simulators must (and now do) follow, found by this test: `iifname` /
 *     `oifname` of a packet without that device is "" (the rule goes on; `iifname != "cni0"`
 *     matches a host packet), and among base chains of equal priority the one created last runs
 *     first.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import { compileIptables } from '../../analyzer/netfilter/simulate/compile-iptables.js';
import { KernelLab, kernelAvailable } from '../helpers/kernel-netfilter.js';
import { LAB_PLAN, RULESET_FLAVORS, generateRuleset, labOptionsFor } from '../helpers/random-rulesets.js';
import { compareRun } from './compare-trace.js';
import { findFixtureDumps } from './fixture-dumps.js';
import { DEFAULT_SEED, labNodeContext, runDifferential, type DifferentialReport } from './run-differential.js';

const availability = await kernelAvailable();
const skipReason = availability.ok ? '' : ` (skipped: ${availability.reason})`;
if (!availability.ok) console.warn(`netfilter differential test skipped: ${availability.reason}`);

const seed = process.env.NETDUMP_DIFFTEST_SEED ? Number(process.env.NETDUMP_DIFFTEST_SEED) : DEFAULT_SEED;
const cases = process.env.NETDUMP_DIFFTEST_CASES ? Number(process.env.NETDUMP_DIFFTEST_CASES) : 800;
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

describe.skipIf(!availability.ok)(`netfilter simulator against the Linux kernel${skipReason}`, () => {
  const fixtures = findFixtureDumps(projectRoot);
  let report: DifferentialReport;
  const reportsOf = (kind: string) => report.disagreements.filter((d) => d.kind === kind).map((d) => d.report);

  beforeAll(async () => {
    console.log(`netfilter differential test: seed ${seed}, ${cases} random cases, ${fixtures.length} fixture dumps`);
    report = await runDifferential({ seed, cases, fixtures, log: (line) => console.log(line) });
    const s = report.stats;
    console.log(
      `netfilter differential test: seed ${seed}: ${s.cases} cases (${s.fixtureCases} on fixtures) on ${s.rulesets} rule sets, ` +
        `${report.disagreements.length} disagreements, ${(report.durationMs / 1000).toFixed(1)} s\n` +
        `  kernel coverage: ${JSON.stringify(s.kernel)}\n` +
        `  matched only an uncertain outcome: ${s.matchedUncertain}; simulator could not evaluate: ${JSON.stringify([...s.unsupported])}`,
    );
    for (const d of report.disagreements) console.log(d.report);
  }, 600_000);

  it(`loads every rule set into the kernel (seed ${seed})`, () => {
    expect(reportsOf('load')).toEqual([]);
  });

  it('reads every rule set back from the kernel byte-identical (iptables-nft-save)', () => {
    expect(reportsOf('round-trip')).toEqual([]);
  });

  it('parses every rule set and ipset dump without errors', () => {
    expect(reportsOf('parse')).toEqual([]);
  });

  it('sees the kernel trace every packet', () => {
    expect(reportsOf('kernel-no-trace')).toEqual([]);
  });

  it(`finds the kernel's rule path, fate, DNAT and SNAT among the simulator's outcomes for ${cases} random cases and the fixtures`, () => {
    expect(report.stats.cases).toBe(cases + report.stats.fixtureCases);
    expect([...reportsOf('simulator-error'), ...reportsOf('path')]).toEqual([]);
  });

  // with a few hundred cases every construct below shows up; a small NETDUMP_DIFFTEST_CASES may miss some
  it.skipIf(cases < 300)('exercises DNAT, statistic/numgen choices, affinity, ipsets, gotos, masquerade, drops, rejects, IPv6 and nftables in the kernel', () => {
    const k = report.stats.kernel;
    // a generator that stopped producing one of these would make the agreement above hollow
    const expected = [
      'dnat', 'snat', 'statistic rule matched', 'recent rule matched', 'ipset rule matched', 'goto', 'return', 'fate dropped',
      'fate rejected', 'exit local', 'looped back over lo', 'IPv6', 'nftables rule matched', 'numgen rule matched',
    ];
    for (const key of expected) expect(k[key] ?? 0, key).toBeGreaterThan(0);
    for (const flavor of RULESET_FLAVORS) expect(report.stats.byFlavor[flavor] ?? 0, flavor).toBeGreaterThan(0);
  });
});

describe.skipIf(!availability.ok)(`the differential comparison itself${skipReason}`, () => {
  it('catches a simulator that is wrong: kube-dns endpoints DNATed to port 54 instead of 53', async () => {
    const ruleset = generateRuleset(seed, 'kube-proxy');
    const wrong = ruleset.iptables.replace(/(-j DNAT --to-destination [0-9.]+):53$/gm, '$1:54');
    expect(wrong).not.toBe(ruleset.iptables);
    const simulator = compileIptables(parseIptablesSave(new SourceFile('iptables-save.txt', wrong)).value);
    const { node, addresses } = labNodeContext(ruleset.podInterface);
    const lab = await KernelLab.create(labOptionsFor('kube-proxy'));
    try {
      await lab.load({ iptables: ruleset.iptables });
      const verdicts = await lab.sendBatch(LAB_PLAN.podAddresses.map((src) => ({ from: 'pod' as const, src, proto: 'udp' as const, dst: '10.96.0.10', dport: 53 })));
      for (const verdict of verdicts) {
        expect(verdict.dnat?.port).toBe(53);
        const src = verdict.packet.src!;
        const result = simulator.trace(node, { from: 'pod', src, dst: '10.96.0.10', proto: 'udp', sport: verdict.sport, dport: 53, affinity: 'none' });
        const comparison = compareRun(verdict, result, { src, dport: 53 }, addresses[4]);
        expect(comparison.agree).toBe(false);
        for (const o of comparison.outcomes) expect(o.differences).toContain(`dnat: kernel ${verdict.dnat!.address}:53, simulator ${verdict.dnat!.address}:54`);
      }
    } finally {
      await lab.close();
    }
  }, 60_000);
});
