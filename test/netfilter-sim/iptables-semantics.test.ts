/**
 * The iptables semantics the simulator must get exactly right, each on a small dump: chain
 * control flow, marks, conntrack, address types, interface wildcards, what it cannot evaluate,
 * IPv6, and that the chain index never changes an answer.
 */
import { describe, expect, it } from 'vitest';
import { generateKubeProxyIptablesDump } from '../../bench/generate-kube-proxy-dump.js';
import { compileIptables, traceIptables } from '../../analyzer/netfilter/simulate/compile-iptables.js';
import { nodeNetContext } from '../../analyzer/netfilter/simulate/node-context.js';
import { MAX_BRANCHES } from '../../analyzer/netfilter/simulate/trace-context.js';
import type { SimPacket, TraceResult } from '../../analyzer/netfilter/simulate/trace-types.js';
import { expectProbabilitiesSumToOne, iptables, lineOf, onlyOutcome, ruleSteps } from './sim-fixtures.js';

const node = nodeNetContext({ localAddresses: ['10.0.1.11'], podCidrs: ['10.244.1.0/24'] });
const fromPod: SimPacket = { from: 'pod', src: '10.244.1.5', sport: 40300, dst: '10.0.2.20', dport: 80 };

function run(dump: string, packet: SimPacket = fromPod, context = node): TraceResult {
  const result = traceIptables({ dump: iptables(dump), node: context }, packet);
  expectProbabilitiesSumToOne(result);
  return result;
}

function filter(rules: string, policy = 'ACCEPT', chains: string[] = []): string {
  return ['*filter', ':INPUT ACCEPT [0:0]', `:FORWARD ${policy} [0:0]`, ':OUTPUT ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`), rules, 'COMMIT', ''].join('\n');
}

describe('chain control flow', () => {
  it('a RETURN in a goto\'d chain returns to the caller of the chain that did the goto', () => {
    const dump = filter(
      [
        '-A FORWARD -j A',
        '-A FORWARD -j DROP',
        '-A A -g B',
        '-A A -j ACCEPT',
        '-A B -j RETURN',
      ].join('\n'),
      'ACCEPT',
      ['A', 'B'],
    );
    const outcome = onlyOutcome(run(dump));
    expect(outcome.fate).toBe('dropped');
    expect(ruleSteps(outcome)).toEqual(['filter/FORWARD#1 jump A', 'filter/A#1 goto B', 'filter/B#1 return', 'filter/FORWARD#2 drop']);
  });

  it('falling off a user chain resumes after the jump; RETURN in a built-in chain applies its policy', () => {
    const dump = filter(['-A FORWARD -j A', '-A FORWARD -s 10.244.1.5/32 -j RETURN', '-A FORWARD -j ACCEPT', '-A A -d 10.9.9.9/32 -j ACCEPT'].join('\n'), 'DROP', ['A']);
    const outcome = onlyOutcome(run(dump));
    expect(outcome.fate).toBe('dropped');
    expect(ruleSteps(outcome)).toEqual(['filter/FORWARD#1 jump A', 'filter/FORWARD#2 return', 'filter/FORWARD policy drop']);
  });

  it('ACCEPT ends only the current table: the packet still runs through nat POSTROUTING', () => {
    const dump = [
      filter('-A FORWARD -j ACCEPT\n-A FORWARD -j DROP'),
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      '-A POSTROUTING -o eth0 -j SNAT --to-source 10.0.1.11',
      'COMMIT',
      '',
    ].join('\n');
    const outcome = onlyOutcome(run(dump));
    expect(outcome).toMatchObject({ fate: 'accepted', snat: { ip: '10.0.1.11', masquerade: false }, exitInterface: 'eth0' });
    expect(ruleSteps(outcome)).toEqual(['filter/FORWARD#1 accept', 'nat/POSTROUTING#1 accept SNAT']);
  });

  it('a jump to a chain the dump never defines is taken as an empty chain and reported', () => {
    const dump = filter('-A FORWARD -j MISSING\n-A FORWARD -j DROP');
    const result = run(dump);
    expect(onlyOutcome(result).fate).toBe('dropped');
    expect(result.unsupported).toEqual([{ line: 5, reason: 'jump to chain MISSING, which the dump does not define (taken as empty)' }]);
  });
});

describe('what the simulator cannot evaluate', () => {
  const dump = filter(
    [
      '-A FORWARD -p tcp -m string --string "GET /admin" --algo bm --to 65535 -j DROP',
      '-A FORWARD -p tcp -m tcp --dport 80 --tcp-option 5 -j REJECT --reject-with tcp-reset',
      '-A FORWARD -j ACCEPT',
    ].join('\n'),
  );

  it('an unknown module gives both outcomes, each marked uncertain with the rule\'s line', () => {
    const result = run(dump);
    const stringLine = lineOf(dump, '-m string');
    const optionLine = lineOf(dump, '--tcp-option');
    expect(result.outcomes.map((o) => [o.fate, o.probability, o.uncertainLines])).toEqual([
      ['dropped', 0.5, [stringLine]],
      ['accepted', 0.25, [stringLine, optionLine]],
      ['rejected', 0.25, [stringLine, optionLine]],
    ]);
    expect(result.unsupported).toEqual([
      { line: stringLine, reason: '-m string is not evaluated' },
      { line: optionLine, reason: '--tcp-option 5 of -m tcp is not evaluated' },
    ]);
  });

  it('a match that fails on what it can evaluate is a plain miss', () => {
    const result = run(dump, { ...fromPod, proto: 'udp' });
    expect(onlyOutcome(result)).toMatchObject({ fate: 'accepted', uncertain: false });
    expect(result.unsupported).toEqual([]);
  });

  it('an unknown terminating target ends the branch as unknown; NFLOG just continues', () => {
    const queued = run(filter('-A FORWARD -j NFLOG --nflog-group 5\n-A FORWARD -p tcp -j NFQUEUE --queue-num 1\n-A FORWARD -j ACCEPT'));
    const outcome = onlyOutcome(queued);
    expect(outcome).toMatchObject({ fate: 'unknown', uncertain: true, reason: '-j NFQUEUE is not simulated' });
    expect(ruleSteps(outcome)).toEqual(['filter/FORWARD#1 continue NFLOG', 'filter/FORWARD#2 unknown NFQUEUE']);
  });

  it('bounds the number of branches and accounts for every one of them', () => {
    const rules = Array.from({ length: 16 }, (_, i) => `-A FORWARD -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j MARK --set-xmark 0x${(1 << i).toString(16)}/0x${(1 << i).toString(16)}`);
    const result = run(filter(rules.join('\n')));
    expect(result.outcomes.length).toBeLessThanOrEqual(MAX_BRANCHES);
    expect(result.outcomes.some((o) => o.reason === 'the trace reached its branch limit here')).toBe(true);
  });
});

describe('statistic', () => {
  it('nth mode matches one packet in N', () => {
    const result = run(filter('-A FORWARD -m statistic --mode nth --every 4 --packet 0 -j DROP'));
    expect(result.outcomes.map((o) => [o.fate, o.probability])).toEqual([
      ['accepted', 0.75],
      ['dropped', 0.25],
    ]);
  });

  it('a negated random match takes the complement', () => {
    const result = run(filter('-A FORWARD -m statistic --mode random ! --probability 0.20000000019 -j DROP'));
    expect(result.outcomes.find((o) => o.fate === 'dropped')!.probability).toBeCloseTo(0.8, 9);
  });
});

describe('marks and conntrack', () => {
  it('applies --set-xmark value/mask and tests --mark value/mask', () => {
    const dump = [
      '*mangle',
      ':PREROUTING ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      '-A PREROUTING -j MARK --set-xmark 0x4000/0x4000',
      '-A PREROUTING -j MARK --set-xmark 0x1/0xffff0001',
      '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff',
      'COMMIT',
      filter('-A FORWARD -m mark --mark 0x4001/0x4001 -m connmark --mark 0x4009 -j DROP'),
    ].join('\n');
    const outcome = onlyOutcome(run(dump, { ...fromPod, mark: 0x10008 }));
    // (0x10008 & ~0x4000) ^ 0x4000 = 0x14008; then (x & ~0xffff0001) ^ 0x1 = 0x4009.
    expect(outcome.mark).toBe(0x4009);
    expect(outcome.fate).toBe('dropped');
  });

  it('NOTRACK in raw leaves the packet untracked: nat is skipped and --ctstate UNTRACKED matches', () => {
    const dump = [
      '*raw',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A PREROUTING -p tcp -m tcp --dport 80 -j CT --notrack',
      'COMMIT',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      '-A PREROUTING -j DNAT --to-destination 10.244.1.9:8080',
      'COMMIT',
      filter('-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT\n-A FORWARD -j DROP'),
    ].join('\n');
    const outcome = onlyOutcome(run(dump));
    expect(outcome.dnat).toBeUndefined();
    expect(outcome.fate).toBe('accepted');
    expect(outcome.steps.some((s) => s.table === 'nat')).toBe(false);
  });

  it('in the raw table, before conntrack attaches an entry, every packet reads as INVALID', () => {
    const dump = [
      '*raw',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A PREROUTING -m conntrack --ctstate NEW -j DROP',
      '-A PREROUTING -m conntrack --ctstate INVALID -j MARK --set-xmark 0x1/0x1',
      'COMMIT',
      '*mangle',
      ':PREROUTING ACCEPT [0:0]',
      '-A PREROUTING -m conntrack --ctstate NEW -j MARK --set-xmark 0x2/0x2',
      'COMMIT',
      '',
    ].join('\n');
    expect(onlyOutcome(run(dump))).toMatchObject({ fate: 'accepted', mark: 3 });
  });

  it('--ctstate DNAT holds after a DNAT in PREROUTING (KUBE-FIREWALL\'s exception for localhost node ports)', () => {
    const dump = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      '-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 127.0.0.1:8081',
      'COMMIT',
      filter(
        '-A INPUT ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      ),
    ].join('\n');
    const viaDnat = onlyOutcome(run(dump, { from: 'external', src: '198.51.100.1', sport: 40300, dst: '10.0.1.11', dport: 8080 }));
    expect(viaDnat).toMatchObject({ fate: 'accepted', path: 'input', dnat: { ip: '127.0.0.1', port: 8081 } });
    const direct = onlyOutcome(run(dump, { from: 'external', src: '198.51.100.1', sport: 40300, dst: '127.0.0.1', dport: 8081 }));
    expect(direct.fate).toBe('dropped');
  });
});

describe('addresses, interfaces and ports', () => {
  it('addrtype LOCAL covers the node addresses and 127.0.0.0/8', () => {
    const dump = filter('-A OUTPUT -m addrtype --dst-type LOCAL -j DROP');
    const host = (dst: string) => onlyOutcome(run(dump, { from: 'host', src: '10.0.1.11', sport: 40300, dst, dport: 80 })).fate;
    expect(host('10.0.1.11')).toBe('dropped');
    expect(host('127.0.0.53')).toBe('dropped');
    expect(host('10.0.2.20')).toBe('accepted');
  });

  it('--limit-iface-in needs per-interface addresses; without them both outcomes are kept', () => {
    const dump = filter('-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j DROP');
    const packet: SimPacket = { from: 'external', src: '198.51.100.1', sport: 40300, dst: '10.0.1.11', dport: 80 };
    expect(run(dump, packet).outcomes.every((o) => o.uncertain)).toBe(true);
    const withInterfaces = nodeNetContext({ localAddresses: ['10.0.1.11', '10.244.1.1'], interfaceAddresses: { eth0: ['10.0.1.11'], cni0: ['10.244.1.1'] } });
    expect(onlyOutcome(run(dump, packet, withInterfaces)).fate).toBe('dropped');
    expect(onlyOutcome(run(dump, { ...packet, dst: '10.244.1.1' }, withInterfaces)).fate).toBe('accepted');
  });

  it('matches interface wildcards, negations, multiport and fragments', () => {
    const dump = filter(
      [
        '-A FORWARD -i veth+ -j DROP',
        '-A FORWARD ! -i cni+ -j DROP',
        '-A FORWARD -p tcp -m multiport --dports 22,8000:8100 -j REJECT',
        '-A FORWARD -f -j DROP',
        '-A FORWARD ! -s 10.244.0.0/16 -j DROP',
        '-A FORWARD ! -p udp -o eth+ -j ACCEPT',
      ].join('\n'),
      'DROP',
    );
    const fate = (packet: Partial<SimPacket>) => onlyOutcome(run(dump, { ...fromPod, ...packet })).fate;
    expect(fate({})).toBe('accepted');
    expect(fate({ inInterface: 'veth12ab' })).toBe('dropped');
    expect(fate({ inInterface: 'eth1' })).toBe('dropped');
    expect(fate({ dport: 8080 })).toBe('rejected');
    expect(fate({ fragment: true })).toBe('dropped');
    expect(fate({ src: '10.1.0.5' })).toBe('dropped');
    expect(fate({ proto: 'udp' })).toBe('dropped');
  });
});

describe('IPv6 (ip6tables-save)', () => {
  const dump = `# Generated by ip6tables-save v1.8.9 (nf_tables) on Tue Mar  5 10:00:00 2024
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SEP-ABCDEFGHIJKLMNOP - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-QRSTUVWXYZ234567 - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SEP-ABCDEFGHIJKLMNOP -p tcp -m comment --comment "default/web6:http" -m tcp -j DNAT --to-destination [fd00:244:1::6]:8080
-A KUBE-SERVICES -d fd00:96::50/128 -p tcp -m comment --comment "default/web6:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-QRSTUVWXYZ234567
-A KUBE-SVC-QRSTUVWXYZ234567 -m comment --comment "default/web6:http -> [fd00:244:1::6]:8080" -j KUBE-SEP-ABCDEFGHIJKLMNOP
COMMIT
`;
  const node6 = nodeNetContext({ localAddresses: ['fd00:10::11'], podCidrs: ['fd00:244:1::/64'] });

  it('DNATs an IPv6 ClusterIP to the endpoint', () => {
    const result = traceIptables({ dump: iptables(dump), node: node6 }, { from: 'pod', src: 'fd00:244:1::5', sport: 40300, dst: 'fd00:96::50', dport: 80 });
    const outcome = onlyOutcome(result);
    expect(outcome).toMatchObject({ fate: 'accepted', dnat: { ip: 'fd00:244:1::6', port: 8080 }, exitInterface: 'cni0' });
    expect(outcome.steps[0]!.family).toBe('ip6');
  });

  it('refuses an IPv4 packet', () => {
    expect(() => traceIptables({ dump: iptables(dump), node: node6 }, fromPod)).toThrow(/not IPv6/);
  });
});

describe('the chain index', () => {
  it('gives the same traces as scanning every rule', () => {
    const dump = iptables(generateKubeProxyIptablesDump({ services: 300, endpointsPerService: 3, nodePortEvery: 4 }));
    const indexed = compileIptables(dump);
    const scanned = compileIptables(dump, { indexChains: false });
    const context = nodeNetContext({ localAddresses: ['10.0.1.11'], podCidrs: ['10.244.0.0/16'] });
    const packets: SimPacket[] = [];
    for (let i = 0; i < 300; i += 7) {
      const dst = `10.96.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;
      packets.push({ from: 'pod', src: '10.250.0.5', sport: 40300, dst, dport: i % 10 === 9 ? 53 : 80, proto: i % 10 === 9 ? 'udp' : 'tcp' });
      packets.push({ from: 'host', src: '10.0.1.11', sport: 40300, dst, dport: 443 });
    }
    for (let port = 30000; port < 30400; port += 13) packets.push({ from: 'external', src: '198.51.100.1', sport: 40300, dst: '10.0.1.11', dport: port });
    for (const packet of packets) expect(indexed.trace(context, packet)).toEqual(scanned.trace(context, packet));
  });
});
