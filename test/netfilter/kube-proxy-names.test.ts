/** Chain names kube-proxy derives from Service ports and endpoints (semantics.md a/b, verified table). */
import { describe, expect, it } from 'vitest';
import { base32Encode } from '../../analyzer/netfilter/base32.js';
import {
  endpointChainHash,
  iptablesEndpointChain,
  iptablesServiceChains,
  joinHostPort,
  nftEndpointNames,
  nftHashAndTruncate,
  nftServiceChains,
  servicePortChainHash,
  servicePortName,
} from '../../analyzer/netfilter/kube-proxy-names.js';

describe('iptables chain hashes', () => {
  it.each([
    ['ns1/svc1:p80', 'tcp', 'XPGD46QRK7WJZT7O'],
    ['ns1/svc1', 'tcp', 'AQI2S6QIMU7PVVRP'],
    ['default/kubernetes:https', 'tcp', 'NPX46M4PTMTKRN6Y'],
    ['kube-system/kube-dns:dns', 'udp', 'TCOU7JCQXEZGVUNU'],
    ['kube-system/kube-dns:dns-tcp', 'tcp', 'ERIFXISQEP7F7OF4'],
    ['kube-system/kube-dns:metrics', 'tcp', 'JD5MR3NA4I4DYORP'],
  ])('servicePortChainHash(%s, %s) = %s', (spn, protocol, hash) => {
    expect(servicePortChainHash(spn, protocol)).toBe(hash);
  });

  it('endpointChainHash("ns1/svc1:p80", "tcp", "10.180.0.1:80") = SXIVWICOYRO3J4NJ', () => {
    expect(endpointChainHash('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('SXIVWICOYRO3J4NJ');
    expect(iptablesEndpointChain('ns1/svc1:p80', 'TCP', joinHostPort('10.180.0.1', 80))).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });

  it('builds the service port name like ServicePortName.String() and endpoints like net.JoinHostPort', () => {
    expect(servicePortName('ns1', 'svc1', 'p80')).toBe('ns1/svc1:p80');
    expect(servicePortName('ns1', 'svc1', '')).toBe('ns1/svc1');
    expect(joinHostPort('2001:db8::2', 80)).toBe('[2001:db8::2]:80');
  });

  it('shares one hash across the SVC, SVL, EXT, FW and XLB chains (golden output: ns2/svc2:p80)', () => {
    expect(iptablesServiceChains('ns2/svc2:p80', 'tcp')).toEqual({
      svc: 'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      svl: 'KUBE-SVL-GNZBNJ2PO5MGZ6GT',
      ext: 'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
      fw: 'KUBE-FW-GNZBNJ2PO5MGZ6GT',
      xlb: 'KUBE-XLB-GNZBNJ2PO5MGZ6GT',
    });
  });
});

describe('nftables chain names', () => {
  it('H8 of "ns1/svc1/tcp/p80" is ULMVA6XW and of its endpoint 5OJB2KTY', () => {
    expect(nftServiceChains('ns1', 'svc1', 'tcp', 'p80')).toEqual({
      service: 'service-ULMVA6XW-ns1/svc1/tcp/p80',
      local: 'local-ULMVA6XW-ns1/svc1/tcp/p80',
      external: 'external-ULMVA6XW-ns1/svc1/tcp/p80',
      firewall: 'firewall-ULMVA6XW-ns1/svc1/tcp/p80',
    });
    expect(nftEndpointNames('ns1', 'svc1', 'tcp', 'p80', '10.180.0.1', 80)).toEqual({
      endpoint: 'endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
      affinity: 'affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
    });
  });

  it('matches the golden nftables names of other services and endpoints', () => {
    expect(nftServiceChains('ns5', 'svc5', 'tcp', 'p80').service).toBe('service-HVFWP5L3-ns5/svc5/tcp/p80');
    expect(nftEndpointNames('ns4', 'svc4', 'tcp', 'p80', '10.180.0.5', 80).endpoint).toBe('endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80');
  });

  it('replaces the colons of IPv6 endpoints and truncates names over 240 characters', () => {
    expect(nftEndpointNames('ns', 'svc', 'tcp', 'http', '2001:db8::2', 80).endpoint).toMatch(/^endpoint-[A-Z2-7]{8}-ns\/svc\/tcp\/http__2001\.db8\.\.2\/80$/);
    const long = nftHashAndTruncate('x'.repeat(300));
    expect(long).toHaveLength(240);
    expect(long.endsWith('...')).toBe(true);
  });
});

describe('base32Encode', () => {
  it('follows RFC 4648 test vectors', () => {
    const enc = (s: string) => base32Encode(new TextEncoder().encode(s));
    expect([enc(''), enc('f'), enc('fo'), enc('foo'), enc('foob'), enc('fooba'), enc('foobar')]).toEqual([
      '',
      'MY======',
      'MZXQ====',
      'MZXW6===',
      'MZXW6YQ=',
      'MZXW6YTB',
      'MZXW6YTBOI======',
    ]);
  });
});
