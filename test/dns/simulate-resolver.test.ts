import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultResolverOptions, type ResolverConfig, type ResolverOptions } from '../../analyzer/dns/resolver-config.js';
import { queriesByNameserver, type Answerer, type DnsQuery, type DnsReply } from '../../analyzer/dns/resolver-simulation.js';
import { simulateResolver } from '../../analyzer/dns/simulate-resolver.js';

const KUBE_DNS = '10.96.0.10';
const SEARCH = ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

function config(overrides: Partial<ResolverOptions> = {}, nameservers = [KUBE_DNS], search = SEARCH): ResolverConfig {
  return { nameservers, search, options: { ...defaultResolverOptions(), ndots: 5, ...overrides } };
}

/** A zone as a table: name → A and AAAA records; NXDOMAIN for the rest. */
function zone(records: Record<string, { A?: string[]; AAAA?: string[] }>, extra?: (q: DnsQuery) => DnsReply | undefined): Answerer {
  return (query) => {
    const special = extra?.(query);
    if (special) return special;
    const entry = records[query.name.toLowerCase()];
    if (!entry) return { rcode: 'NXDOMAIN' };
    const data = entry[query.type] ?? [];
    return { rcode: 'NOERROR', answers: data.map((d) => ({ name: query.name, type: query.type, data: d })) };
  };
}

const CLUSTER = zone({
  'api.example.com.': { A: ['93.184.216.34'], AAAA: ['2606:2800:220:1::'] },
  'kubernetes.default.svc.cluster.local.': { A: ['10.96.0.1'] },
  'cart.shop.svc.cluster.local.': { A: ['10.96.12.7'] },
});

const sequence = (sim: { queries: { name: string; type: string }[] }) => sim.queries.map((q) => `${q.name} ${q.type}`);

describe('glibc: search order', () => {
  it('tries 3 search domains before an external name with ndots:5: 8 queries', () => {
    const sim = simulateResolver('api.example.com', config(), CLUSTER);
    expect(sequence(sim)).toEqual([
      'api.example.com.shop.svc.cluster.local. A',
      'api.example.com.shop.svc.cluster.local. AAAA',
      'api.example.com.svc.cluster.local. A',
      'api.example.com.svc.cluster.local. AAAA',
      'api.example.com.cluster.local. A',
      'api.example.com.cluster.local. AAAA',
      'api.example.com. A',
      'api.example.com. AAAA',
    ]);
    expect(sim.outcome).toEqual({ status: 'resolved', answeredName: 'api.example.com.', addresses: ['93.184.216.34', '2606:2800:220:1::'] });
    expect(sim.worstCaseMs).toBe(0);
    // A and AAAA of a name leave together from one socket; each name gets a new socket.
    expect(sim.queries.map((q) => q.socket)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(sim.queries.map((q) => q.concurrent)).toEqual([false, true, false, true, false, true, false, true]);
  });

  it('resolves a Service of the own namespace at the first search domain', () => {
    const sim = simulateResolver('cart', config(), CLUSTER);
    expect(sequence(sim)).toEqual(['cart.shop.svc.cluster.local. A', 'cart.shop.svc.cluster.local. AAAA']);
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['10.96.12.7'] });
  });

  it('resolves kubernetes.default at the second search domain (svc.cluster.local)', () => {
    const sim = simulateResolver('kubernetes.default', config(), CLUSTER);
    expect(sequence(sim)).toEqual([
      'kubernetes.default.shop.svc.cluster.local. A',
      'kubernetes.default.shop.svc.cluster.local. AAAA',
      'kubernetes.default.svc.cluster.local. A',
      'kubernetes.default.svc.cluster.local. AAAA',
    ]);
    expect(sim.outcome).toMatchObject({ status: 'resolved', answeredName: 'kubernetes.default.svc.cluster.local.' });
  });

  it('sends 2 queries for an absolute name with a trailing dot', () => {
    const sim = simulateResolver('api.example.com.', config(), CLUSTER);
    expect(sequence(sim)).toEqual(['api.example.com. A', 'api.example.com. AAAA']);
  });

  it('does not search after an absolute name fails', () => {
    const sim = simulateResolver('nowhere.example.', config(), CLUSTER);
    expect(sim.queries).toHaveLength(2);
    expect(sim.outcome).toMatchObject({ status: 'failed', error: 'EAI_NONAME', hErrno: 'HOST_NOT_FOUND' });
  });

  it('tries a name with ndots dots as-is first, then falls back to the search list', () => {
    const answerer = zone({ 'web.shop.svc.cluster.local.': { A: ['10.96.3.3'] } });
    const sim = simulateResolver('web.shop', config({ ndots: 1 }), answerer);
    expect(sequence(sim)).toEqual([
      'web.shop. A',
      'web.shop. AAAA',
      'web.shop.shop.svc.cluster.local. A',
      'web.shop.shop.svc.cluster.local. AAAA',
      'web.shop.svc.cluster.local. A',
      'web.shop.svc.cluster.local. AAAA',
    ]);
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['10.96.3.3'] });
  });

  it('keeps walking the search list after NODATA and reports NO_DATA when nothing resolves', () => {
    const answerer = zone({ 'db.shop.svc.cluster.local.': {} });
    const sim = simulateResolver('db', config(), answerer);
    expect(sim.queries).toHaveLength(8);
    expect(sim.outcome).toMatchObject({ status: 'failed', error: 'EAI_NODATA', hErrno: 'NO_DATA' });
  });

  it('asks only A with no-aaaa or for AF_INET', () => {
    expect(sequence(simulateResolver('cart', config({ noAaaa: true }), CLUSTER))).toEqual(['cart.shop.svc.cluster.local. A']);
    expect(sequence(simulateResolver('cart', config(), CLUSTER, { family: 'inet' }))).toEqual(['cart.shop.svc.cluster.local. A']);
  });

  it('answers an IP address without any query', () => {
    const sim = simulateResolver('10.96.0.10', config(), CLUSTER);
    expect(sim.queries).toEqual([]);
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['10.96.0.10'] });
  });
});

describe('glibc: A and AAAA on the wire', () => {
  const slow: Answerer = (q) => ({ ...CLUSTER(q), latencyMs: 3 });

  it('sends A and AAAA together by default', () => {
    const sim = simulateResolver('api.example.com.', config(), slow);
    expect(sim.queries.map((q) => [q.type, q.atMs, q.socket])).toEqual([
      ['A', 0, 1],
      ['AAAA', 0, 1],
    ]);
    expect(sim.worstCaseMs).toBe(3);
  });

  it('single-request: AAAA leaves when the A reply is in, from the same socket', () => {
    const sim = simulateResolver('api.example.com.', config({ singleRequest: true }), slow);
    expect(sim.queries.map((q) => [q.type, q.atMs, q.socket, q.concurrent])).toEqual([
      ['A', 0, 1, false],
      ['AAAA', 3, 1, false],
    ]);
    expect(sim.worstCaseMs).toBe(6);
  });

  it('single-request-reopen: AAAA leaves from a new socket', () => {
    const sim = simulateResolver('api.example.com.', config({ singleRequestReopen: true }), slow);
    expect(sim.queries.map((q) => [q.type, q.atMs, q.socket])).toEqual([
      ['A', 0, 1],
      ['AAAA', 3, 2],
    ]);
  });

  it('recovers from the conntrack race after one timeout by switching to single-request', () => {
    // The AAAA that leaves with its A from the same socket is dropped (insert_failed).
    const racy = zone({ 'api.example.com.': { A: ['93.184.216.34'] } }, (q) =>
      q.type === 'AAAA' && q.concurrent ? { rcode: 'TIMEOUT' } : undefined,
    );
    const sim = simulateResolver('api.example.com.', config(), racy);
    expect(sim.queries.map((q) => [q.type, q.atMs, q.socket, q.concurrent, q.reply.rcode])).toEqual([
      ['A', 0, 1, false, 'NOERROR'],
      ['AAAA', 0, 1, true, 'TIMEOUT'],
      ['A', 5000, 1, false, 'NOERROR'],
      ['AAAA', 5000, 1, false, 'NOERROR'],
    ]);
    expect(sim.worstCaseMs).toBe(5000);
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['93.184.216.34'] });
    expect(sim.trace.join('\n')).toMatch(/switches to single-request/);
  });

  it('goes to single-request-reopen, then keeps the A reply, when AAAA never comes back', () => {
    const noAaaa = zone({ 'api.example.com.': { A: ['93.184.216.34'] } }, (q) => (q.type === 'AAAA' ? { rcode: 'TIMEOUT' } : undefined));
    const sim = simulateResolver('api.example.com.', config(), noAaaa);
    expect(sim.queries.map((q) => [q.type, q.atMs, q.socket])).toEqual([
      ['A', 0, 1],
      ['AAAA', 0, 1],
      ['A', 5000, 1],
      ['AAAA', 5000, 1],
      ['A', 10000, 2],
      ['AAAA', 10000, 3],
    ]);
    expect(sim.worstCaseMs).toBe(15000);
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['93.184.216.34'] });
  });

  it('retries over TCP with the same server after a truncated reply', () => {
    const big = zone({ 'big.example.com.': { A: ['192.0.2.1', '192.0.2.2'] } }, (q) =>
      q.transport === 'udp' ? { rcode: 'NOERROR', truncated: true } : undefined,
    );
    const sim = simulateResolver('big.example.com.', config(), big);
    expect(sim.queries.map((q) => `${q.type} ${q.transport} ${q.nameserver}`)).toEqual([
      'A udp 10.96.0.10',
      'AAAA udp 10.96.0.10',
      'A tcp 10.96.0.10',
      'AAAA tcp 10.96.0.10',
    ]);
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['192.0.2.1', '192.0.2.2'] });
  });

  it('uses TCP from the start with use-vc', () => {
    const sim = simulateResolver('api.example.com.', config({ useVc: true }), CLUSTER);
    expect(sim.queries.map((q) => q.transport)).toEqual(['tcp', 'tcp']);
  });
});

describe('glibc: timeouts and nameservers', () => {
  const silent: Answerer = () => ({ rcode: 'TIMEOUT' });

  it('waits 5 s per server and round: 2 nameservers, attempts:2 → 20 s, 8 queries', () => {
    const sim = simulateResolver('api.example.com.', config({ attempts: 2 }, ['10.96.0.10', '10.96.0.11']), silent);
    expect(sim.queries.map((q) => `${q.atMs} ${q.nameserver} ${q.type}`)).toEqual([
      '0 10.96.0.10 A',
      '0 10.96.0.10 AAAA',
      '5000 10.96.0.11 A',
      '5000 10.96.0.11 AAAA',
      '10000 10.96.0.10 A',
      '10000 10.96.0.10 AAAA',
      '15000 10.96.0.11 A',
      '15000 10.96.0.11 AAAA',
    ]);
    expect(sim.worstCaseMs).toBe(20_000);
    expect(sim.outcome).toMatchObject({ status: 'failed', error: 'EAI_AGAIN', hErrno: 'TRY_AGAIN' });
    // After a timeout glibc keeps the socket: the second round leaves from the same ports.
    expect(sim.queries.map((q) => q.socket)).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
  });

  it('gives later servers timeout·2ⁿ/count seconds: 5, 3 and 6 s with 3 servers', () => {
    const sim = simulateResolver('api.example.com.', config({ attempts: 1 }, ['10.0.0.1', '10.0.0.2', '10.0.0.3']), silent);
    expect(sim.queries.filter((q) => q.type === 'A').map((q) => q.atMs)).toEqual([0, 5000, 8000]);
    expect(sim.worstCaseMs).toBe(14_000);
  });

  it('stops walking the search list after a timeout but still tries the name as-is', () => {
    const sim = simulateResolver('api.example.com', config({ attempts: 2 }), silent);
    expect(sim.queries.map((q) => q.name)).toEqual([
      'api.example.com.shop.svc.cluster.local.',
      'api.example.com.shop.svc.cluster.local.',
      'api.example.com.shop.svc.cluster.local.',
      'api.example.com.shop.svc.cluster.local.',
      'api.example.com.',
      'api.example.com.',
      'api.example.com.',
      'api.example.com.',
    ]);
    expect(sim.worstCaseMs).toBe(20_000);
  });

  it('moves to the next server on SERVFAIL, without waiting', () => {
    const answerer: Answerer = (q) => (q.nameserver === '10.0.0.1' ? { rcode: 'SERVFAIL' } : CLUSTER(q));
    const sim = simulateResolver('api.example.com.', config({}, ['10.0.0.1', '10.0.0.2']), answerer);
    expect(sim.queries.map((q) => `${q.nameserver} ${q.reply.rcode}`)).toEqual([
      '10.0.0.1 SERVFAIL',
      '10.0.0.1 SERVFAIL',
      '10.0.0.2 NOERROR',
      '10.0.0.2 NOERROR',
    ]);
    expect(sim.worstCaseMs).toBe(0);
    expect(sim.outcome.status).toBe('resolved');
  });

  it('goes on to the next search domain after SERVFAIL everywhere', () => {
    const answerer: Answerer = (q) => (q.name.startsWith('cart.shop.') ? { rcode: 'SERVFAIL' } : CLUSTER(q));
    const answererWithSvc = (q: DnsQuery): DnsReply =>
      q.name === 'cart.svc.cluster.local.'
        ? { rcode: 'NOERROR', answers: q.type === 'A' ? [{ name: q.name, type: 'A', data: '10.96.9.9' }] : [] }
        : answerer(q);
    const sim = simulateResolver('cart', config({ attempts: 1 }), answererWithSvc);
    expect(sim.queries.map((q) => q.name)).toEqual([
      'cart.shop.svc.cluster.local.',
      'cart.shop.svc.cluster.local.',
      'cart.svc.cluster.local.',
      'cart.svc.cluster.local.',
    ]);
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['10.96.9.9'] });
  });

  it('in single-request mode, a SERVFAIL to A costs the whole timeout', () => {
    const answerer: Answerer = (q) => (q.nameserver === '10.0.0.1' ? { rcode: 'SERVFAIL' } : CLUSTER(q));
    const sim = simulateResolver('api.example.com.', config({ singleRequest: true }, ['10.0.0.1', '10.0.0.2']), answerer);
    expect(sim.queries.map((q) => `${q.atMs} ${q.nameserver} ${q.type}`)).toEqual([
      '0 10.0.0.1 A',
      '5000 10.0.0.2 A',
      '5000 10.0.0.2 AAAA',
    ]);
    expect(sim.worstCaseMs).toBe(5000);
  });

  it('abandons the lookup when no server can be reached (ICMP port unreachable)', () => {
    const sim = simulateResolver('api.example.com', config({ attempts: 2 }), () => ({ rcode: 'UNREACHABLE' }));
    expect(sim.queries.map((q) => q.name)).toEqual(Array(4).fill('api.example.com.shop.svc.cluster.local.'));
    expect(sim.worstCaseMs).toBe(0);
    expect(sim.outcome).toMatchObject({ status: 'failed', error: 'EAI_AGAIN' });
    expect(queriesByNameserver(sim).size).toBe(0);
  });

  it('rotate starts each send at the next server', () => {
    const sim = simulateResolver('cart', config({ rotate: true }, ['10.0.0.1', '10.0.0.2']), CLUSTER);
    expect(sim.queries.map((q) => q.nameserver)).toEqual(['10.0.0.1', '10.0.0.1']);
    const shifted = simulateResolver('api.example.com', config({ rotate: true }, ['10.0.0.1', '10.0.0.2']), CLUSTER);
    expect(shifted.queries.filter((q) => q.type === 'A').map((q) => q.nameserver)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
  });
});

describe('musl', () => {
  it('queries a name with ≥ ndots dots only as-is, never the search list', () => {
    const answerer = zone({ 'web.shop.svc.cluster.local.': { A: ['10.96.3.3'] } });
    const sim = simulateResolver('web.shop', config({ ndots: 1 }), answerer, { libc: 'musl' });
    expect(sequence(sim)).toEqual(['web.shop. A', 'web.shop. AAAA']);
    expect(sim.outcome).toMatchObject({ status: 'failed', error: 'EAI_NONAME' });
  });

  it('walks the search list like glibc for short names', () => {
    const sim = simulateResolver('api.example.com', config(), CLUSTER, { libc: 'musl' });
    expect(sequence(sim)).toEqual(sequence(simulateResolver('api.example.com', config(), CLUSTER)));
  });

  it('sends every query to every nameserver at once', () => {
    const sim = simulateResolver('api.example.com.', config({}, ['10.0.0.1', '10.0.0.2']), CLUSTER, { libc: 'musl' });
    expect(sim.queries.map((q) => `${q.nameserver} ${q.type} ${q.socket}`)).toEqual([
      '10.0.0.1 A 1',
      '10.0.0.2 A 1',
      '10.0.0.1 AAAA 1',
      '10.0.0.2 AAAA 1',
    ]);
  });

  it('stops at the first search domain that gives NODATA', () => {
    const answerer = zone({ 'db.shop.svc.cluster.local.': {}, 'db.svc.cluster.local.': { A: ['10.96.5.5'] } });
    const musl = simulateResolver('db', config(), answerer, { libc: 'musl' });
    expect(musl.queries).toHaveLength(2);
    expect(musl.outcome).toMatchObject({ status: 'failed', error: 'EAI_NODATA' });
    const glibc = simulateResolver('db', config(), answerer);
    expect(glibc.outcome).toMatchObject({ status: 'resolved', addresses: ['10.96.5.5'] });
  });

  it('gives up after `timeout` seconds in all, resending every timeout/attempts', () => {
    const sim = simulateResolver('api.example.com.', config({ attempts: 2 }, ['10.0.0.1', '10.0.0.2']), () => ({ rcode: 'TIMEOUT' }), {
      libc: 'musl',
    });
    expect(sim.queries.map((q) => `${q.atMs} ${q.nameserver} ${q.type}`)).toEqual([
      '0 10.0.0.1 A',
      '0 10.0.0.2 A',
      '0 10.0.0.1 AAAA',
      '0 10.0.0.2 AAAA',
      '2500 10.0.0.1 A',
      '2500 10.0.0.2 A',
      '2500 10.0.0.1 AAAA',
      '2500 10.0.0.2 AAAA',
    ]);
    expect(sim.worstCaseMs).toBe(5000);
    expect(sim.outcome).toMatchObject({ status: 'failed', error: 'EAI_AGAIN' });
  });

  it('stops the whole lookup when a search domain query is lost, unless A already said NXDOMAIN', () => {
    const lost = (type: string): Answerer =>
      zone({ 'cart.svc.cluster.local.': { A: ['10.96.9.9'] } }, (q) =>
        q.name === 'cart.shop.svc.cluster.local.' && q.type === type ? { rcode: 'TIMEOUT' } : undefined,
      );
    const lostA = simulateResolver('cart', config(), lost('A'), { libc: 'musl' });
    expect(new Set(lostA.queries.map((q) => q.name))).toEqual(new Set(['cart.shop.svc.cluster.local.']));
    expect(lostA.outcome).toMatchObject({ status: 'failed', error: 'EAI_AGAIN' });
    expect(lostA.worstCaseMs).toBe(5000);
    // musl reads the A reply first: its NXDOMAIN sends the search on despite the lost AAAA.
    const lostAaaa = simulateResolver('cart', config(), lost('AAAA'), { libc: 'musl' });
    expect(lostAaaa.outcome).toMatchObject({ status: 'resolved', addresses: ['10.96.9.9'] });
    expect(lostAaaa.worstCaseMs).toBe(5000);
  });

  it('takes the first good answer from either server and resends after SERVFAIL', () => {
    const answerer: Answerer = (q) => (q.nameserver === '10.0.0.1' ? { rcode: 'SERVFAIL' } : { ...CLUSTER(q), latencyMs: 20 });
    const sim = simulateResolver('api.example.com.', config({}, ['10.0.0.1', '10.0.0.2']), answerer, { libc: 'musl' });
    expect(sim.outcome).toMatchObject({ status: 'resolved', addresses: ['93.184.216.34', '2606:2800:220:1::'] });
    expect(sim.queries.filter((q) => q.reason.includes('SERVFAIL'))).toHaveLength(4);
    expect(sim.worstCaseMs).toBe(20);
  });

  it('ignores search lists before 1.1.13 and retries truncated answers over TCP from 1.2.4', () => {
    expect(sequence(simulateResolver('cart', config(), CLUSTER, { libc: 'musl', muslVersion: '1.1.12' }))).toEqual(['cart. A', 'cart. AAAA']);
    const big = zone({ 'big.example.com.': { A: ['192.0.2.1'] } }, (q) =>
      q.transport === 'udp' ? { rcode: 'NOERROR', truncated: true } : undefined,
    );
    const current = simulateResolver('big.example.com.', config(), big, { libc: 'musl', muslVersion: '1.2.4' });
    expect(current.queries.map((q) => q.transport)).toEqual(['udp', 'udp', 'tcp', 'tcp']);
    expect(current.outcome).toMatchObject({ status: 'resolved', addresses: ['192.0.2.1'] });
    const old = simulateResolver('big.example.com.', config(), big, { libc: 'musl', muslVersion: '1.2.3' });
    expect(old.queries.map((q) => q.transport)).toEqual(['udp', 'udp']);
    // musl 1.2.3 reports a name without address records as EAI_NONAME (EAI_NODATA from 1.2.4).
    expect(old.outcome).toMatchObject({ status: 'failed', error: 'EAI_NONAME' });
  });
});

describe('queriesByNameserver', () => {
  it('lists what each nameserver saw, as a query log would', () => {
    const sim = simulateResolver('kubernetes.default', config(), CLUSTER);
    expect(Object.fromEntries(queriesByNameserver(sim))).toEqual({
      [KUBE_DNS]: [
        'kubernetes.default.shop.svc.cluster.local. A',
        'kubernetes.default.shop.svc.cluster.local. AAAA',
        'kubernetes.default.svc.cluster.local. A',
        'kubernetes.default.svc.cluster.local. AAAA',
      ],
    });
  });
});

describe('simulation invariants on random configurations', () => {
  const REPLIES: DnsReply['rcode'][] = ['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', 'TIMEOUT', 'UNREACHABLE'];
  const configuration = fc.record({
    ndots: fc.integer({ min: 0, max: 15 }),
    timeout: fc.integer({ min: 0, max: 30 }),
    attempts: fc.integer({ min: 0, max: 5 }),
    rotate: fc.boolean(),
    singleRequest: fc.boolean(),
    singleRequestReopen: fc.boolean(),
    useVc: fc.boolean(),
    noAaaa: fc.boolean(),
    nameservers: fc.integer({ min: 1, max: 3 }),
    search: fc.subarray(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', '.', 'corp.example.com.']),
    name: fc.constantFrom('cart', 'api.example.com', 'api.example.com.', 'a.b.c.d.e.f', 'kubernetes.default'),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    libc: fc.constantFrom('glibc' as const, 'musl' as const),
  });

  it('terminate with queries in time order within the reported time', () => {
    fc.assert(
      fc.property(configuration, (c) => {
        const answerer: Answerer = (q) => {
          let h = c.seed;
          for (const ch of `${q.name}${q.type}${q.nameserver}${q.attempt}${q.transport}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
          const rcode = REPLIES[h % REPLIES.length]!;
          return { rcode, latencyMs: h % 7, truncated: h % 11 === 0, answers: rcode === 'NOERROR' && h % 3 !== 0 ? [{ name: q.name, type: q.type, data: q.type === 'A' ? '192.0.2.1' : '2001:db8::1' }] : [] };
        };
        const { name, seed, libc, search, nameservers: count, ...options } = c;
        const nameservers = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].slice(0, count);
        const sim = simulateResolver(name, { nameservers, search, options: { ...defaultResolverOptions(), ...options } }, answerer, { libc });
        const times = sim.queries.map((q) => q.atMs);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(sim.worstCaseMs).toBeGreaterThanOrEqual(times.at(-1) ?? 0);
        expect(sim.queries.length).toBeLessThan(400);
        if (sim.outcome.status === 'resolved') expect(sim.outcome.addresses.length).toBeGreaterThan(0);
      }),
      { numRuns: 400, seed: 5 },
    );
  });
});
