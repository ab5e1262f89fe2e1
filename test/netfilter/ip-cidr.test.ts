import { describe, expect, it } from 'vitest';
import { cidrContains, compareIp, formatIpAddress, parseCidr, parseIpAddress, parseIpv6 } from '../../analyzer/netfilter/ip-cidr.js';

describe('parseIpAddress / parseCidr', () => {
  it('parses IPv4 into unsigned numbers and rejects malformed quads', () => {
    expect(parseIpAddress('10.244.0.3')).toEqual({ family: 4, value: 0x0af40003 });
    expect(parseIpAddress('255.255.255.255')).toEqual({ family: 4, value: 0xffffffff });
    for (const bad of ['10.0.0', '10.0.0.256', '1.2.3.4.5', '01234.1.1.1', '', 'a.b.c.d']) expect(parseIpAddress(bad)).toBeUndefined();
  });

  it('parses IPv6 with compression and an embedded IPv4 tail', () => {
    expect(parseIpv6('::1')).toBe(1n);
    expect(parseIpv6('fd00:10:244::5')).toBe(0xfd000010024400000000000000000005n);
    expect(parseIpv6('::ffff:10.0.0.1')).toBe(0xffff0a000001n);
    for (const bad of ['1::2::3', '12345::', ':1', '1:2:3:4:5:6:7:8:9']) expect(parseIpv6(bad)).toBeUndefined();
  });

  it('reads prefixes, dotted masks and bare hosts, clearing host bits as the kernel does', () => {
    expect(parseCidr('10.244.1.7/16')).toEqual({ family: 4, text: '10.244.1.7/16', network: 0x0af40000, mask: 0xffff0000, prefix: 16 });
    expect(parseCidr('10.0.0.0/255.0.0.0')).toMatchObject({ prefix: 8, mask: 0xff000000 });
    expect(parseCidr('10.0.0.0/255.0.255.0')).toMatchObject({ prefix: undefined, mask: 0xff00ff00 });
    expect(parseCidr('1.2.3.4')).toMatchObject({ prefix: 32 });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ prefix: 0, mask: 0 });
    expect(parseCidr('fe80::/10')).toMatchObject({ family: 6, prefix: 10 });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });

  it('tests containment within one family only', () => {
    const pods = parseCidr('10.244.0.0/16')!;
    expect(cidrContains(pods, parseIpAddress('10.244.255.1')!)).toBe(true);
    expect(cidrContains(pods, parseIpAddress('10.245.0.1')!)).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIpAddress('::1')!)).toBe(false);
    expect(cidrContains(parseCidr('fd00::/8')!, parseIpAddress('fd00:10:244::5')!)).toBe(true);
  });

  it('formats and orders addresses', () => {
    expect(formatIpAddress(parseIpAddress('192.168.0.1')!)).toBe('192.168.0.1');
    expect(formatIpAddress(parseIpAddress('fd00:10:0:0:0:0:0:5')!)).toBe('fd00:10::5');
    expect(compareIp(parseIpAddress('10.0.0.2')!, parseIpAddress('10.0.0.10')!)).toBe(-1);
    expect(compareIp(parseIpAddress('::1')!, parseIpAddress('10.0.0.1')!)).toBe(1);
  });
});
