/**
 * Differential test: netdump's resolver simulation (analyzer/dns/simulate-resolver.ts) against
 * the real glibc and musl resolvers of this machine.
 *
 * Randomized (resolv.conf, name) pairs (random-resolver-cases.ts; fixed seed, printed) are
 * looked up with getaddrinfo(AF_UNSPEC) by a tiny C client built for glibc (gcc) and for musl
 * (musl-gcc -static), inside a network namespace whose dnsmasq servers answer from the same
 * table as the simulator's answerer (test/helpers/dns-lab.ts, dns-lab-zone.ts). For every case
 * the queries each server received, in order, the source ports (one simulated socket, one
 * port) and getaddrinfo's result must be the simulator's (compare-lookup.ts). The simulator is
 * given the lab's musl release (Debian 12: 1.2.3).
 *
 *   NETDUMP_DNS_DIFFTEST_SEED=123 NETDUMP_DNS_DIFFTEST_CASES=2000 npx vitest run test/dns-difftest
 *
 * Needs root, iproute2, util-linux, dnsmasq (dnsmasq-base), gcc, and musl-tools for the musl
 * half; skipped with the reason otherwise.
 *
 * Fixed cases cover what the random ones leave out: servers that never answer (glibc's
 * per-server timeouts, musl's resends), a server that answers A but drops AAAA (glibc's
 * fallback to single-request, then single-request-reopen), and edge-cases.ts (invalid names
 * and search domains, no nameserver line, lines glibc and musl read differently).
 *
 * Found in the real resolvers, and modelled by the simulator:
 *   - dnsmasq answers an empty non-terminal (`svc.cluster.local`) with NODATA, like CoreDNS;
 *     glibc then goes on with the next candidate, musl stops.
 *   - musl 1.2.3 returns EAI_NONAME for a name without address records (EAI_NODATA later).
 *   - glibc ≥ 2.34 sends nothing for a name that fails res_hnok (`x..y`, `-`, `a b`); a search
 *     candidate it cannot encode ends the search-list walk (NO_RECOVERY), the name as-is goes
 *     out. musl 1.2.3 ends the lookup at such a candidate (EAI_NONAME), and at a doubled
 *     trailing dot (`search .`) it sends a malformed query and fails after its timeout.
 *   - `1.2.3`, `10.1`, `0x7f.1`, `2130706433` (inet_aton shorthands) are addresses for both
 *     libcs: no query (1.2.0.3, 10.0.0.1, 127.0.0.1); `1.2.3.` and `256.1` are names.
 *   - `options ndots:-1` is ndots 15 for glibc (the low 4 bits: -2 is 14, -16 is 0); musl
 *     ignores it.
 *   - musl 1.2.3 dies of SIGFPE with `options attempts:0` (division by zero in res_msend)
 *     at its first query; glibc sends nothing and returns EAI_AGAIN.
 * Not compared: timing (a test must not time), `rotate` (random start), IPv6 nameservers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queriesByNameserver, type Libc } from '../../analyzer/dns/resolver-simulation.js';
import { DNS_LAB_ADDRESSES, DnsLab, dnsLabAvailable, labMuslVersion, type LabLookupResult, type ScriptedServer } from '../helpers/dns-lab.js';
import { EDGE_CASES } from './edge-cases.js';
import { generateCases, labZone } from './random-resolver-cases.js';
import { labAnswerer, runDifferential, simulate } from './run-resolver-differential.js';
import { formatOutcome } from './compare-lookup.js';

const DEFAULT_SEED = 20250305;
const seed = process.env.NETDUMP_DNS_DIFFTEST_SEED ? Number(process.env.NETDUMP_DNS_DIFFTEST_SEED) : DEFAULT_SEED;
const caseCount = process.env.NETDUMP_DNS_DIFFTEST_CASES ? Number(process.env.NETDUMP_DNS_DIFFTEST_CASES) : 300;

const availability = await dnsLabAvailable();
if (!availability.ok) console.warn(`resolver differential test skipped: ${availability.reason}`);
else if (!availability.musl) console.warn(`resolver differential test: musl half skipped: ${availability.muslReason}`);
const muslAvailable = availability.ok && availability.musl;

const [SILENT, A_ONLY] = DNS_LAB_ADDRESSES.scripted;
const [NS1, NS2] = DNS_LAB_ADDRESSES.servers;
const SCRIPTED: ScriptedServer[] = [
  { address: SILENT, actions: {} },
  { address: A_ONLY, actions: { A: '10.9.9.9' } },
];
const zone = labZone();
const answerer = labAnswerer(zone, SCRIPTED);

describe.skipIf(!availability.ok)('resolver differential: glibc and musl against dnsmasq', () => {
  let lab: DnsLab;
  // Known whenever the musl half runs (dnsLabAvailable checks); glibc ignores it.
  const muslVersion = labMuslVersion() ?? 'unknown';

  beforeAll(async () => {
    lab = await DnsLab.start({ zone, scripted: SCRIPTED });
  });
  afterAll(async () => {
    await lab?.close();
  });

  const randomized = (libc: Libc) => async () => {
    const cases = generateCases(seed, caseCount, zone);
    console.log(
      `resolver differential (${libc}${libc === 'musl' ? ` ${muslVersion}` : ''}): seed ${seed}, ${cases.length} cases ` +
        `(replay: NETDUMP_DNS_DIFFTEST_SEED=${seed} NETDUMP_DNS_DIFFTEST_CASES=${cases.length})`,
    );
    const lookups = cases.map((c) => ({ resolvConf: c.resolvConf, name: c.name, label: `seed ${seed} case ${c.index} (${c.intent})` }));
    const { results, disagreements } = await runDifferential(lab, libc, lookups, answerer, muslVersion);
    // The lab must have answered: a run where nothing resolved or nothing was logged proves nothing.
    expect(results.filter((r) => r.outcome.status === 'resolved').length).toBeGreaterThan(cases.length / 5);
    expect(results.filter((r) => [...r.queries.values()].every((q) => q.length === 0))).toEqual([]);
    const report = disagreements.slice(0, 5).map((d) => d.report).join('\n');
    expect(disagreements.length, `${disagreements.length} of ${cases.length} cases disagree; the first:\n\n${report}`).toBe(0);
  };

  // About 10 ms a lookup; more cases than the default get more time.
  const randomizedTimeout = Math.max(60_000, caseCount * 100);
  it(`glibc: randomized lookups (seed ${seed})`, randomized('glibc'), randomizedTimeout);
  it.skipIf(!muslAvailable)(`musl: randomized lookups (seed ${seed})`, randomized('musl'), randomizedTimeout);

  const edges = (libc: Libc) => async () => {
    const { results, disagreements } = await runDifferential(lab, libc, EDGE_CASES, answerer, muslVersion);
    expect(disagreements.map((d) => d.report).join('\n')).toBe('');
    return results;
  };

  it('glibc: edge cases (invalid names and search domains, no nameserver line, odd lines)', async () => {
    const results = await edges('glibc')();
    const byLabel = new Map(results.map((r, i) => [EDGE_CASES[i]!.label, r]));
    const sent = (label: string) => [...byLabel.get(label)!.queries.values()].flat().map((q) => `${q.name} ${q.type}`);
    // nss_dns checks the name first: nothing is sent for a name that is no host name.
    for (const label of ['empty label', 'leading hyphen', 'space', 'label of 64 octets']) {
      expect(sent(label), label).toEqual([]);
      expect(formatOutcome(byLabel.get(label)!.outcome), label).toBe('error EAI_NONAME');
    }
    // An unencodable candidate ends the search-list walk; the name as-is still goes out.
    expect(sent('search domain with two trailing dots')).toEqual([
      'nothing-here.shop.svc.cluster.local. A',
      'nothing-here.shop.svc.cluster.local. AAAA',
      'nothing-here. A',
      'nothing-here. AAAA',
    ]);
    // `#` is no comment inside a line: `#` and `comment` are search domains.
    expect(sent('`#` inside a search line')).toContain('nothing.#. A');
    expectInetAtonAddresses(byLabel, sent);
    // ndots:-1 is 15: a 14-dot name goes through the search list first, a 15-dot one as-is.
    expect(sent('ndots:-1, one label')).toEqual(['db.shop.svc.cluster.local. A', 'db.shop.svc.cluster.local. AAAA']);
    expect(sent('ndots:-1, 14 dots')[0]).toBe('a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.shop.svc.cluster.local. A');
    expect(sent('ndots:-1, 15 dots')[0]).toBe('a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p. A');
    expect(sent('ndots:-2, 14 dots')[0]).toBe('a.b.c.d.e.f.g.h.i.j.k.l.m.n.o. A');
    expect(sent('ndots:-16, one label')[0]).toBe('db. A');
    expect(formatOutcome(byLabel.get('attempts:0')!.outcome)).toBe('error EAI_AGAIN');
  });

  /** Both libcs: inet_aton shorthands are addresses (no query), near misses are names. */
  function expectInetAtonAddresses(byLabel: Map<string, LabLookupResult>, sent: (label: string) => string[]) {
    const addresses: [string, string][] = [
      ['inet_aton a.b.c', 'ok 1.2.0.3'],
      ['inet_aton a.b', 'ok 10.0.0.1'],
      ['inet_aton loopback a.b', 'ok 127.0.0.1'],
      ['inet_aton hexadecimal part', 'ok 127.0.0.1'],
      ['inet_aton octal part', 'ok 8.0.0.1'],
      ['inet_aton one 32-bit number', 'ok 127.0.0.1'],
    ];
    for (const [label, outcome] of addresses) {
      expect(sent(label), label).toEqual([]);
      expect(formatOutcome(byLabel.get(label)!.outcome), label).toBe(outcome);
    }
    for (const label of ['inet_aton part too large: a name', 'inet_aton 2^32: a name', 'inet_aton five parts: a name', 'inet_aton trailing dot: a name', 'inet_aton bad octal digit: a name']) {
      expect(sent(label).length, label).toBeGreaterThan(0);
    }
  }

  it.skipIf(!muslAvailable)('musl: edge cases (invalid names and search domains, no nameserver line, odd lines)', async () => {
    const results = await edges('musl')();
    const byLabel = new Map(results.map((r, i) => [EDGE_CASES[i]!.label, r]));
    const sent = (label: string) => [...byLabel.get(label)!.queries.values()].flat().map((q) => `${q.name} ${q.type}`);
    // musl reads every word of a `domain` line (glibc only the first).
    expect(formatOutcome(byLabel.get('domain with two words')!.outcome)).toBe('ok 10.96.0.1');
    expectInetAtonAddresses(byLabel, sent);
    // A negative ndots is no number for musl: ndots stays 1, a one-label name searches first.
    expect(sent('ndots:-16, one label')[0]).toBe('db.shop.svc.cluster.local. A');
    // attempts:0: SIGFPE before any query; an address needs no query and survives.
    expect(sent('attempts:0')).toEqual([]);
    expect(formatOutcome(byLabel.get('attempts:0')!.outcome)).toBe('error client crashed (exit 136)');
    expect(formatOutcome(byLabel.get('attempts:0, an address')!.outcome)).toBe('ok 10.0.0.1');
  });

  /** A fixed case: real and simulated queries and outcome agree, and are what the test says. */
  async function fixedCase(libc: Libc, resolvConf: string, name: string, expected: { queries: Record<string, string[]>; outcome: string }) {
    const lookup = { resolvConf, name, label: 'fixed case' };
    const { results, disagreements } = await runDifferential(lab, libc, [lookup], answerer, muslVersion);
    expect(disagreements.map((d) => d.report).join('\n')).toBe('');
    const real = Object.fromEntries([...results[0]!.queries].filter(([, q]) => q.length > 0).map(([s, q]) => [s, q.map((x) => `${x.name} ${x.type}`)]));
    expect(real).toEqual(expected.queries);
    expect(formatOutcome(results[0]!.outcome)).toBe(expected.outcome);
    return simulate(lookup, libc, answerer, muslVersion);
  }

  it('glibc: a silent first nameserver costs a timeout per candidate name before the second answers', async () => {
    const sim = await fixedCase(
      'glibc',
      `nameserver ${SILENT}\nnameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:5 timeout:1 attempts:2\n`,
      'api.example.com',
      {
        queries: {
          [SILENT]: [
            'api.example.com.shop.svc.cluster.local. A',
            'api.example.com.shop.svc.cluster.local. AAAA',
            'api.example.com. A',
            'api.example.com. AAAA',
          ],
          [NS1]: [
            'api.example.com.shop.svc.cluster.local. A',
            'api.example.com.shop.svc.cluster.local. AAAA',
            'api.example.com. A',
            'api.example.com. AAAA',
          ],
        },
        outcome: 'ok 2606:2800:220:1::248 93.184.216.34',
      },
    );
    expect(sim.worstCaseMs).toBe(2000);
  });

  it('glibc: every round over silent servers, then EAI_AGAIN', async () => {
    const sim = await fixedCase('glibc', `nameserver ${SILENT}\noptions timeout:1 attempts:2\n`, 'cart.shop.svc.cluster.local.', {
      queries: {
        [SILENT]: ['cart.shop.svc.cluster.local. A', 'cart.shop.svc.cluster.local. AAAA', 'cart.shop.svc.cluster.local. A', 'cart.shop.svc.cluster.local. AAAA'],
      },
      outcome: 'error EAI_AGAIN',
    });
    // Both rounds leave from the socket glibc keeps open after a timeout.
    expect(new Set(sim.queries.map((q) => q.socket)).size).toBe(1);
  });

  it('glibc: A answered and AAAA lost: resent with single-request, then single-request-reopen', async () => {
    const sim = await fixedCase('glibc', `nameserver ${A_ONLY}\noptions timeout:1 attempts:1\n`, 'race.example.com.', {
      queries: {
        [A_ONLY]: ['race.example.com. A', 'race.example.com. AAAA', 'race.example.com. A', 'race.example.com. AAAA', 'race.example.com. A', 'race.example.com. AAAA'],
      },
      outcome: 'ok 10.9.9.9',
    });
    // Same socket for the parallel pair and the single-request resend; new sockets after reopen.
    expect(sim.queries.map((q) => q.socket)).toEqual([1, 1, 1, 1, 2, 3]);
    expect(sim.worstCaseMs).toBe(3000);
  });

  it.skipIf(!muslAvailable)('musl: asks every nameserver at once; a silent one costs nothing when another answers', async () => {
    await fixedCase('musl', `nameserver ${SILENT}\nnameserver ${NS2}\nsearch shop.svc.cluster.local\noptions ndots:1 timeout:2 attempts:2\n`, 'cart', {
      queries: {
        [SILENT]: ['cart.shop.svc.cluster.local. A', 'cart.shop.svc.cluster.local. AAAA'],
        [NS2]: ['cart.shop.svc.cluster.local. A', 'cart.shop.svc.cluster.local. AAAA'],
      },
      outcome: 'ok 10.96.12.7',
    });
  });

  it.skipIf(!muslAvailable)('musl: resends the unanswered AAAA every timeout/attempts, then EAI_AGAIN', async () => {
    const sim = await fixedCase('musl', `nameserver ${A_ONLY}\noptions timeout:2 attempts:2\n`, 'race.example.com', {
      queries: { [A_ONLY]: ['race.example.com. A', 'race.example.com. AAAA', 'race.example.com. AAAA'] },
      outcome: 'error EAI_AGAIN',
    });
    expect(sim.worstCaseMs).toBe(2000);
    expect(queriesByNameserver(sim).get(A_ONLY)).toHaveLength(3);
  });
});
