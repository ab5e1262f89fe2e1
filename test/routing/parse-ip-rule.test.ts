import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseIpRule } from '../../analyzer/routing/parse-ip-rule.js';

/** `ip rule show` as iproute2 6.1 prints it, covering every selector and action. */
const RULES = `0:	from all lookup local
100:	from 10.2.0.0/16 lookup 100
200:	from all fwmark 0x1/0xff lookup 100
250:	from all fwmark 0x4000 lookup calico
300:	from all to 10.8.0.0/16 iif eth1 lookup main
400:	not from 10.3.0.0/16 lookup 100
500:	from all to 10.5.0.0/16 blackhole
510:	from all to 10.6.0.0/16 unreachable
520:	from all to 10.7.0.0/16 prohibit
600:	from all lookup main suppress_prefixlength 0
700:	from all uidrange 100-200 ipproto tcp dport 80 lookup 100
800:	from all sport 1000-2000 prohibit
900:	from all oif eth0 goto 32766
910:	from all iif cilium_host [detached] lookup 2004
920:	from all goto 950 [unresolved]
930:	from 192.168.1.5 nop
32766:	from all lookup main
32767:	from all lookup default
`;

const file = (text: string, path = 'nodes/node-a/ip-rule.txt') => new SourceFile(path, text);

describe('parseIpRule', () => {
  it('reads priorities, selectors and actions', () => {
    const { value, issues } = parseIpRule(file(RULES));
    expect(issues).toEqual([]);
    const rules = value.rules;
    expect(rules.map((r) => [r.priority, r.action, r.table ?? r.gotoPriority ?? null, r.line])).toEqual([
      [0, 'lookup', 'local', 1],
      [100, 'lookup', '100', 2],
      [200, 'lookup', '100', 3],
      [250, 'lookup', 'calico', 4],
      [300, 'lookup', 'main', 5],
      [400, 'lookup', '100', 6],
      [500, 'blackhole', null, 7],
      [510, 'unreachable', null, 8],
      [520, 'prohibit', null, 9],
      [600, 'lookup', 'main', 10],
      [700, 'lookup', '100', 11],
      [800, 'prohibit', null, 12],
      [900, 'goto', 32766, 13],
      [910, 'lookup', '2004', 14],
      [920, 'goto', 950, 15],
      [930, 'nop', null, 16],
      [32766, 'lookup', 'main', 17],
      [32767, 'lookup', 'default', 18],
    ]);
    expect(rules.every((r) => r.family === 4)).toBe(true);
    expect(rules[0]!.from).toBeUndefined();
    expect(rules[1]!.from!.text).toBe('10.2.0.0/16');
    expect(rules[2]!.fwmark).toEqual({ value: 1, mask: 0xff });
    expect(rules[3]!.fwmark).toEqual({ value: 0x4000, mask: 0xffffffff });
    expect(rules[4]).toMatchObject({ iif: 'eth1' });
    expect(rules[4]!.to!.text).toBe('10.8.0.0/16');
    expect(rules[5]!.not).toBe(true);
    expect(rules[9]!.suppressPrefixLength).toBe(0);
    expect(rules[10]).toMatchObject({ uidRange: { start: 100, end: 200 }, ipProto: 'tcp', destinationPorts: { start: 80, end: 80 } });
    expect(rules[11]!.sourcePorts).toEqual({ start: 1000, end: 2000 });
    expect(rules[12]).toMatchObject({ oif: 'eth0' });
    expect(rules[13]).toMatchObject({ iif: 'cilium_host', iifDetached: true });
    expect(rules[1]!.text).toBe('100:\tfrom 10.2.0.0/16 lookup 100');
  });

  it('takes the family from the addresses, else from the option', () => {
    const text = '0:\tfrom all lookup local\n100:\tfrom fd00:1::/64 lookup 100\n32766:\tfrom all lookup main\n';
    const v4 = parseIpRule(file(text)).value.rules.map((r) => r.family);
    const v6 = parseIpRule(file(text, 'nodes/node-a/ip6-rule.txt'), { family: 6 }).value.rules.map((r) => r.family);
    expect(v4).toEqual([4, 6, 4]);
    expect(v6).toEqual([6, 6, 6]);
  });

  it('reports hostile lines and drops only the rules it cannot read', () => {
    const text = [
      'this is not a rule',
      '100:\tfrom 10.0.0.0/33 lookup 100',
      '200:\tfrom all fwmark zzz lookup 100',
      '300:\tfrom all to 10.0.0.0/8 flurb 9 lookup 100',
      '400:\tfrom all uidrange 200-100 lookup 100',
      '500:\tfrom all',
      '600:\tfrom 10.0.0.0/8 to fd00::/8 lookup 100',
      '32766:\tfrom all lookup main',
    ].join('\n');
    const { value, issues } = parseIpRule(file(text));
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 1],
      ['BAD_LINE', 2],
      ['BAD_LINE', 3],
      ['UNSUPPORTED_FEATURE', 4],
      ['BAD_LINE', 5],
      ['UNSUPPORTED_FEATURE', 6],
      ['BAD_LINE', 7],
    ]);
    expect(value.rules.map((r) => [r.priority, r.action])).toEqual([
      [300, 'lookup'],
      [500, 'nop'],
      [32766, 'lookup'],
    ]);
  });
});
