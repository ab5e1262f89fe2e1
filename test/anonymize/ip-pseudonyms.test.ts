import { describe, expect, it } from 'vitest';
import { commonPrefixBits, formatIpv4, formatIpv6, parseIpv4, parseIpv6, samePrefix } from '../../collector/anonymize/ip-address.js';
import { IpPseudonyms } from '../../collector/anonymize/ip-pseudonyms.js';
import { addressSharing, randomBytes, seededRandom } from './random-addresses.js';

const KEY = Buffer.from('8c1f6a2b9d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8', 'hex');

function inBlock(address: string, block: string): boolean {
  const [network, bits] = block.split('/') as [string, string];
  const a = parseIpv4(address) ?? parseIpv6(address);
  const n = parseIpv4(network) ?? parseIpv6(network);
  return !!a && !!n && a.length === n.length && samePrefix(a, n, Number(bits));
}

const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];
const NOT_PUBLIC_V4 = [...PRIVATE_V4, '0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3'];

describe('IP pseudonyms', () => {
  it('keeps loopback, link-local, unspecified, multicast and broadcast addresses as they are', () => {
    const ips = new IpPseudonyms(KEY);
    for (const kept of ['127.0.0.1', '127.0.0.53', '169.254.20.10', '169.254.169.254', '0.0.0.0', '224.0.0.251', '255.255.255.255', '255.255.255.0', '::', '::1', 'fe80::1c2b:3ff:fe4d:5e6f', 'ff02::fb']) {
      expect(ips.mapAddress(kept), kept).toBe(kept);
    }
    expect(ips.mapPrefix('0.0.0.0', 0)).toBe('0.0.0.0/0');
    expect(ips.mapPrefix('::', 0)).toBe('::/0');
    expect(ips.forward.size).toBe(0);
  });

  it('keeps a private address in its private block and changes the bits below the block', () => {
    const ips = new IpPseudonyms(KEY);
    for (const [address, block] of [
      ['10.244.1.5', '10.0.0.0/8'],
      ['172.18.0.2', '172.16.0.0/12'],
      ['192.168.49.2', '192.168.0.0/16'],
      ['100.64.12.7', '100.64.0.0/10'],
      ['fd00:10:244:1::5', 'fc00::/7'],
    ] as const) {
      const mapped = ips.mapAddress(address)!;
      expect(mapped).not.toBe(address);
      expect(inBlock(mapped, block), `${address} → ${mapped} stays in ${block}`).toBe(true);
    }
  });

  it('maps a public address to a public one', () => {
    const ips = new IpPseudonyms(KEY);
    const random = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      const address = formatIpv4(randomBytes(4, random));
      if (NOT_PUBLIC_V4.some((b) => inBlock(address, b))) continue;
      const mapped = ips.mapAddress(address)!;
      expect(NOT_PUBLIC_V4.some((b) => inBlock(mapped, b)), `${address} → ${mapped}`).toBe(false);
    }
    const v6 = ips.mapAddress('2001:db8:85a3::8a2e:370:7334')!;
    expect(['fc00::/7', 'fe80::/10', 'ff00::/8', '::/8'].some((b) => inBlock(v6, b))).toBe(false);
  });

  for (const [family, block, length] of [
    ['IPv4', '10.0.0.0/8', 4],
    ['IPv6', 'fc00::/7', 16],
  ] as const) {
    it(`preserves prefixes inside ${block}: two ${family} addresses share exactly k bits before ⇔ after`, () => {
      const ips = new IpPseudonyms(KEY);
      const random = seededRandom(length);
      const [network, bits] = block.split('/') as [string, string];
      const base = (parseIpv4(network) ?? parseIpv6(network))!;
      const toText = (b: Uint8Array) => (length === 4 ? formatIpv4(b) : formatIpv6(b));
      for (let i = 0; i < 1500; i++) {
        const start = randomBytes(length, random);
        base.copy(start, 0, 0, 1);
        if (length === 16) start[0] = (start[0]! & 1) | 0xfc;
        const shared = Number(bits) + Math.floor(random() * (length * 8 - Number(bits) + 1));
        const [a, b] = addressSharing(length, shared, random, start);
        const mappedA = parseIpv4(ips.mapAddress(toText(a))!) ?? parseIpv6(ips.mapAddress(toText(a))!)!;
        const mappedB = parseIpv4(ips.mapAddress(toText(b))!) ?? parseIpv6(ips.mapAddress(toText(b))!)!;
        expect(commonPrefixBits(mappedA!, mappedB!)).toBe(shared);
      }
    });
  }

  it('maps a Service CIDR to a CIDR of the same length that holds exactly the images of its addresses', () => {
    const ips = new IpPseudonyms(KEY);
    const cidr = ips.mapPrefix('10.96.0.0', 12)!;
    expect(cidr).toMatch(/^10\.\d+\.0\.0\/12$/);
    for (const inside of ['10.96.0.1', '10.96.0.10', '10.104.13.201', '10.111.255.254']) expect(inBlock(ips.mapAddress(inside)!, cidr), inside).toBe(true);
    for (const outside of ['10.95.255.255', '10.112.0.1', '10.244.1.5']) expect(inBlock(ips.mapAddress(outside)!, cidr), outside).toBe(false);
    const v6 = ips.mapPrefix('fd00:10:96::', 112)!;
    expect(v6).toMatch(/^f[cd][0-9a-f]{2}:.*:0\/112$|::\/112$/);
    expect(inBlock(ips.mapAddress('fd00:10:96::a')!, v6)).toBe(true);
  });

  it('maps an interface address with its prefix length as an address, and records both forms', () => {
    const ips = new IpPseudonyms(KEY);
    const mapped = ips.mapPrefix('10.244.1.5', 24)!;
    expect(mapped).toMatch(/^10\.\d+\.\d+\.\d+\/24$/);
    expect(ips.forward.get('10.244.1.5/24')).toBe(mapped);
    expect(ips.forward.get('10.244.1.5')).toBe(mapped.split('/')[0]);
  });

  it('gives an IPv4-mapped IPv6 address its IPv4 address’s pseudonym', () => {
    const ips = new IpPseudonyms(KEY);
    expect(ips.mapAddress('::ffff:10.244.1.5')).toBe(`::ffff:${ips.mapAddress('10.244.1.5')}`);
    const hex = parseIpv6(ips.mapAddress('::ffff:af4:105')!)!;
    expect(formatIpv4(hex.subarray(12))).toBe(ips.mapAddress('10.244.1.5'));
  });

  it('is deterministic per key and differs between keys', () => {
    const a = new IpPseudonyms(KEY).mapAddress('10.244.1.5');
    expect(new IpPseudonyms(KEY).mapAddress('10.244.1.5')).toBe(a);
    expect(new IpPseudonyms(Buffer.alloc(32, 1)).mapAddress('10.244.1.5')).not.toBe(a);
  });
});
