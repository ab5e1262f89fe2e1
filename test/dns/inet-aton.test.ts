import { describe, expect, it } from 'vitest';
import { defaultResolverOptions } from '../../analyzer/dns/resolver-config.js';
import { inetAtonExact } from '../../analyzer/dns/inet-aton.js';
import { simulateResolver } from '../../analyzer/dns/simulate-resolver.js';

// The same names are looked up by the real glibc and musl in test/dns-difftest/edge-cases.ts.
describe('inetAtonExact: what getaddrinfo takes as an IPv4 address', () => {
  it('reads the shorthands and the other bases', () => {
    expect(inetAtonExact('1.2.3')).toBe('1.2.0.3');
    expect(inetAtonExact('10.1')).toBe('10.0.0.1');
    expect(inetAtonExact('127.1')).toBe('127.0.0.1');
    expect(inetAtonExact('0x7f.1')).toBe('127.0.0.1');
    expect(inetAtonExact('0X7F.0.0.1')).toBe('127.0.0.1');
    expect(inetAtonExact('010.0.0.1')).toBe('8.0.0.1');
    expect(inetAtonExact('2130706433')).toBe('127.0.0.1');
    expect(inetAtonExact('4294967295')).toBe('255.255.255.255');
    expect(inetAtonExact('1.2.65535')).toBe('1.2.255.255');
    expect(inetAtonExact('10.96.0.10')).toBe('10.96.0.10');
  });

  it('leaves names that only look numeric to DNS', () => {
    for (const name of ['1.2.3.', '256.1', '1.2.65536', '4294967296', '1.2.3.4.5', '08.1', '0x', '1..2', '', '1.2.3 ', '-1', 'api.1', '99999999999999999999']) {
      expect(inetAtonExact(name), name).toBeUndefined();
    }
  });

  it('makes the resolver simulation send nothing for a shorthand, with either libc', () => {
    const config = { nameservers: ['10.96.0.10'], search: ['shop.svc.cluster.local'], options: { ...defaultResolverOptions(), ndots: 5 } };
    const answerer = () => ({ rcode: 'NXDOMAIN' as const });
    for (const libc of ['glibc', 'musl'] as const) {
      const sim = simulateResolver('127.1', config, answerer, { libc });
      expect(sim.queries).toEqual([]);
      expect(sim.outcome).toEqual({ status: 'resolved', answeredName: '127.1', addresses: ['127.0.0.1'] });
    }
  });
});

describe('musl with options attempts:0', () => {
  const config = { nameservers: ['10.96.0.10'], search: ['shop.svc.cluster.local'], options: { ...defaultResolverOptions(), attempts: 0 } };
  const answerer = () => ({ rcode: 'NOERROR' as const, answers: [{ name: 'cart.shop.svc.cluster.local.', type: 'A', data: '10.96.12.7' }] });

  it('dies of SIGFPE before its first query (glibc sends nothing and fails)', () => {
    const musl = simulateResolver('cart', config, answerer, { libc: 'musl', muslVersion: '1.2.3' });
    expect(musl.queries).toEqual([]);
    expect(musl.outcome).toMatchObject({ status: 'crashed', signal: 'SIGFPE' });
    const glibc = simulateResolver('cart', config, answerer, { libc: 'glibc' });
    expect(glibc.outcome).toMatchObject({ status: 'failed', error: 'EAI_AGAIN' });
  });

  it('survives a lookup that needs no query', () => {
    const musl = simulateResolver('10.1', config, answerer, { libc: 'musl', muslVersion: '1.2.3' });
    expect(musl.outcome).toMatchObject({ status: 'resolved', addresses: ['10.0.0.1'] });
  });
});
