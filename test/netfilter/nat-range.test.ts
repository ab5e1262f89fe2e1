import { describe, expect, it } from 'vitest';
import { parseIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { parseNatRange } from '../../analyzer/netfilter/nat-range.js';

describe('parseNatRange', () => {
  it('reads the address and port forms of --to-destination / dnat to', () => {
    const a = parseIpAddress('10.0.0.1');
    expect(parseNatRange('10.0.0.1:80')).toEqual({ text: '10.0.0.1:80', addressFirst: a, addressLast: a, portFirst: 80, portLast: 80 });
    expect(parseNatRange('10.0.0.1')).toEqual({ text: '10.0.0.1', addressFirst: a, addressLast: a });
    expect(parseNatRange('10.0.0.1-10.0.0.3:8000-8010')).toMatchObject({ addressLast: parseIpAddress('10.0.0.3'), portFirst: 8000, portLast: 8010 });
    expect(parseNatRange('[fd00::5]:53')).toMatchObject({ addressFirst: parseIpAddress('fd00::5'), portFirst: 53 });
    expect(parseNatRange('fd00::5')).toMatchObject({ addressFirst: parseIpAddress('fd00::5') });
    expect(parseNatRange(':1024-65535')).toEqual({ text: ':1024-65535', portFirst: 1024, portLast: 65535 });
  });

  it('rejects malformed ranges', () => {
    for (const bad of ['10.0.0.1:99999', '10.0.0.1:90-80', 'example.com:80', '[fd00::5', '']) expect(parseNatRange(bad)).toBeUndefined();
  });
});
