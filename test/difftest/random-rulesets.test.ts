/**
 * The differential test's generators and bookkeeping, checked without a kernel: the same seed
 * gives the same rule set, the text has iptables-nft-save's shape, probabilities and quoting are
 * printed the way the kernel prints them back, and affinity rule sets are sent in rounds.
 */
import { describe, expect, it } from 'vitest';
import { RULESET_FLAVORS, Rng, generatePackets, generateRuleset } from '../helpers/random-rulesets.js';
import { savedProbability } from '../helpers/random-rulesets/kube-proxy.js';
import { RulesetBuilder, comment, saveString, spec } from '../helpers/random-rulesets/ruleset-builder.js';
import { nftChainKey, nftRuleLines } from './nft-rule-lines.js';
import { fixtureTargets, packetRng, sendingRounds } from './run-differential.js';

describe('generateRuleset', () => {
  it.each(RULESET_FLAVORS)('gives the same %s rule set and packets for the same seed', (flavor) => {
    const a = generateRuleset(4242, flavor);
    const b = generateRuleset(4242, flavor);
    expect(b).toEqual(a);
    expect(generatePackets(packetRng(4242), b, 20)).toEqual(generatePackets(packetRng(4242), a, 20));
    expect(generateRuleset(4243, flavor)).not.toEqual(a);
  });

  it('declares every chain a rule jumps to, and prints tables, chains and rules in iptables-nft-save order', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const { iptables } = generateRuleset(seed, RULESET_FLAVORS[seed % 3]);
      const tables = iptables.split('\n').filter((l) => l.startsWith('*'));
      const order = ['*mangle', '*raw', '*filter', '*nat'];
      expect(tables).toEqual(order.filter((t) => tables.includes(t)));
      for (const section of iptables.split('COMMIT').slice(0, -1)) {
        const declared = section.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]);
        const user = section.split('\n').filter((l) => / - \[0:0\]$/.test(l)).map((l) => l.slice(1).split(' ')[0]);
        expect(user).toEqual([...user].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
        const ruleChains = section.split('\n').filter((l) => l.startsWith('-A ')).map((l) => l.split(' ')[1]);
        // rules come grouped, in declaration order
        expect(ruleChains).toEqual([...ruleChains].sort((x, y) => declared.indexOf(x) - declared.indexOf(y)));
        for (const target of section.matchAll(/ -[jg] ([^ \n]+)/g)) {
          if (declared.includes(target[1])) continue;
          expect(['ACCEPT', 'DROP', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'MARK', 'CONNMARK', 'REJECT', 'LOG', 'CT']).toContain(target[1]);
        }
      }
    }
  });

  it('never matches the source ports the kernel lab traces with (40000-59999)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rs = generateRuleset(seed, RULESET_FLAVORS[seed % RULESET_FLAVORS.length]);
      const text = `${rs.iptables}${rs.ip6tables ?? ''}${rs.nft ?? ''}`;
      for (const m of text.matchAll(/(?:--sport|--sports|--ports|th sport|tcp sport|udp sport) (\S+)/g)) {
        for (const port of m[1].split(/[,:-]/).map(Number)) expect(port < 40000 || port > 59999, m[0]).toBe(true);
      }
    }
  });
});

describe('iptables-save printing', () => {
  it("quotes like xtables_save_string and orders generic options like iptables-save", () => {
    expect(saveString('cali:6gwbT8clXdHdC1b1')).toBe('"cali:6gwbT8clXdHdC1b1"');
    expect(saveString('a_b-C9')).toBe('a_b-C9');
    expect(saveString(`with 'q' "dq"`)).toBe(`"with \\'q\\' \\"dq\\""`);
    expect(spec({ p: 'tcp', o: 'eth0', i: '!docker0', d: '10.0.0.1', s: '!10.244.0.0/16' }, comment('x y'), '-j ACCEPT')).toBe(
      '! -s 10.244.0.0/16 -d 10.0.0.1/32 ! -i docker0 -o eth0 -p tcp -m comment --comment "x y" -j ACCEPT',
    );
    expect(spec({ d: 'fd00:96::a' }, '-j DROP')).toBe('-d fd00:96::a/128 -j DROP');
  });

  it("prints kube-proxy's statistic probabilities as the kernel stores them", () => {
    expect([2, 3, 4, 5].map(savedProbability)).toEqual(['0.50000000000', '0.33333333349', '0.25000000000', '0.20000000019']);
  });

  it('refuses a jump to an undeclared chain', () => {
    const b = new RulesetBuilder().rule('nat', 'PREROUTING', '-j KUBE-SERVICES');
    expect(() => b.toIptablesSave()).toThrow(/undeclared chain KUBE-SERVICES/);
  });
});

describe('differential bookkeeping', () => {
  it('sends affinity rule sets in rounds of one packet per source address', () => {
    const packets = generatePackets(new Rng(7), generateRuleset(7, 'kube-proxy'), 20);
    expect(sendingRounds(packets, false)).toEqual([packets]);
    const rounds = sendingRounds(packets, true);
    expect(rounds.flat()).toHaveLength(20);
    for (const round of rounds) {
      const sources = round.map((p) => (p.from === 'pod' ? p.src : p.from));
      expect(new Set(sources).size).toBe(sources.length);
    }
  });

  it("maps an nft listing's chain positions to lines", () => {
    const listing = [
      'table ip kube-proxy {',
      '\tset cluster-ips {',
      '\t\ttype ipv4_addr',
      '\t}',
      '',
      '\tchain nat-prerouting {',
      '\t\ttype nat hook prerouting priority dstnat; policy accept;',
      '\t\tjump services',
      '\t}',
      '',
      '\tchain reject-chain {',
      '\t\tcomment "helper for @no-endpoint-services / @no-endpoint-nodeports"',
      '\t\treject',
      '\t}',
      '}',
    ].join('\n');
    const lines = nftRuleLines(listing);
    expect(lines.get(nftChainKey('ip', 'kube-proxy', 'nat-prerouting'))).toEqual([8]);
    expect(lines.get(nftChainKey('ip', 'kube-proxy', 'reject-chain'))).toEqual([13]);
    expect(lines.has(nftChainKey('ip', 'kube-proxy', 'cluster-ips'))).toBe(false);
  });

  it("finds a real dump's Service addresses and node ports to aim packets at", () => {
    const dump = [
      '*nat',
      '-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU',
      '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-XBBXYMVKK37OV7LG',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
      'COMMIT',
    ].join('\n');
    expect(fixtureTargets(dump)).toEqual([
      { proto: 'udp', dst: '10.96.0.10', dport: 53, what: 'KUBE-SERVICES kube-system/kube-dns:dns cluster IP' },
      { proto: 'tcp', dst: 'node', dport: 30080, what: 'KUBE-NODEPORTS default/web:http' },
    ]);
  });
});
