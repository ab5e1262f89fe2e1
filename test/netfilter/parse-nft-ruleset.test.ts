/**
 * parseNftRuleset on `nft list ruleset` output of a kube-proxy nftables-mode node, on the nft
 * rendering of iptables-nft rules, on kube-proxy's `nft -f` golden transaction, and on hostile input.
 */
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { nftEndpointNames, nftServiceChains } from '../../analyzer/netfilter/kube-proxy-names.js';
import type { NftRule, NftRuleset } from '../../analyzer/netfilter/nft-types.js';
import { parseNftRuleset } from '../../analyzer/netfilter/parse-nft-ruleset.js';
import { sampleFile, samplesAvailable, SKIP_MESSAGE } from './shared-samples.js';

const parse = (text: string) => parseNftRuleset(new SourceFile('nodes/node-a/nft-ruleset.txt', text));

function ruleAt(ruleset: NftRuleset, line: number): NftRule {
  for (const table of ruleset.tables.values()) {
    for (const chain of table.chains.values()) {
      const rule = chain.rules.find((r) => r.line === line);
      if (rule) return rule;
    }
  }
  throw new Error(`no rule on line ${line}`);
}

const dns = nftServiceChains('kube-system', 'kube-dns', 'udp', 'dns').service;
const api = nftServiceChains('default', 'kubernetes', 'tcp', 'https').service;
const ep1 = nftEndpointNames('kube-system', 'kube-dns', 'udp', 'dns', '10.244.0.3', 53).endpoint;
const ep2 = nftEndpointNames('kube-system', 'kube-dns', 'udp', 'dns', '10.244.0.4', 53).endpoint;

// Tabs as nft prints them; line numbers are referenced below.
const KUBE_PROXY_LIST = `table ip kube-proxy {
\tcomment "rules for kube-proxy"
\tset cluster-ips {
\t\ttype ipv4_addr
\t\tcomment "Active ClusterIPs"
\t\telements = { 10.96.0.1, 10.96.0.10 }
\t}

\tmap service-ips {
\t\ttype ipv4_addr . inet_proto . inet_service : verdict
\t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
\t\telements = { 10.96.0.1 . tcp . 443 : goto ${api},
\t\t\t     10.96.0.10 . udp . 53 : goto ${dns} }
\t}

\tmap service-nodeports {
\t\ttype inet_proto . inet_service : verdict
\t\tcomment "NodePort traffic"
\t}

\tset nodeport-ips {
\t\ttype ipv4_addr
\t\telements = { 172.18.0.2 }
\t}

\tset affinity-demo {
\t\ttype ipv4_addr
\t\tsize 65535
\t\tflags dynamic,timeout
\t\ttimeout 3h
\t}

\tchain filter-prerouting-pre-dnat {
\t\ttype filter hook prerouting priority dstnat - 10; policy accept;
\t\tct state new jump firewall-check
\t}

\tchain firewall-check {
\t}

\tchain nat-prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tjump services
\t}

\tchain nat-postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tjump masquerading
\t}

\tchain masquerading {
\t\tmeta mark & 0x00004000 == 0x00000000 return
\t\tmeta mark set meta mark ^ 0x00004000
\t\tmasquerade fully-random
\t}

\tchain mark-for-masquerade {
\t\tmeta mark set meta mark | 0x00004000
\t}

\tchain services {
\t\tip daddr . meta l4proto . th dport vmap @service-ips
\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
\t}

\tchain ${dns} {
\t\tip daddr 10.96.0.10 udp dport 53 ip saddr != 10.244.0.0/16 counter packets 4 bytes 240 jump mark-for-masquerade
\t\tnumgen random mod 2 vmap { 0 : goto ${ep1}, 1 : goto ${ep2} }
\t}

\tchain ${ep1} {
\t\tip saddr 10.244.0.3 jump mark-for-masquerade
\t\tip saddr @affinity-demo goto ${ep1}
\t\tupdate @affinity-demo { ip saddr }
\t\tmeta l4proto udp dnat to 10.244.0.3:53
\t}

\tchain ${ep2} {
\t\tip saddr 10.244.0.4 jump mark-for-masquerade
\t\tmeta l4proto udp dnat to 10.244.0.4:53
\t}

\tchain ${api} {
\t\tct state { established, related } accept
\t\tfib daddr . iif type local reject with icmp type port-unreachable
\t}
}
`;

describe('parseNftRuleset: kube-proxy nftables mode, `nft list ruleset`', () => {
  const { value, issues } = parse(KUBE_PROXY_LIST);
  const table = value.tables.get('ip kube-proxy')!;

  it('reads the table without issues', () => {
    expect(issues).toEqual([]);
    expect(table).toMatchObject({ family: 'ip', name: 'kube-proxy', line: 1, comment: 'rules for kube-proxy' });
    expect(table.chains.size).toBe(11);
    expect([...table.sets.keys()]).toEqual(['cluster-ips', 'service-ips', 'service-nodeports', 'nodeport-ips', 'affinity-demo']);
  });

  it('reads sets and verdict maps with concatenated keys spread over lines', () => {
    expect(table.sets.get('cluster-ips')!.elements.map((e) => e.key[0]!.text)).toEqual(['10.96.0.1', '10.96.0.10']);
    const serviceIps = table.sets.get('service-ips')!;
    expect(serviceIps).toMatchObject({ kind: 'map', keyType: ['ipv4_addr', 'inet_proto', 'inet_service'], dataType: 'verdict', line: 9 });
    expect(serviceIps.elements[1]).toMatchObject({
      line: 13,
      key: [
        { type: 'ip', cidr: { network: parseIpAddress('10.96.0.10')!.value, prefix: 32 } },
        { type: 'symbol', text: 'udp' },
        { type: 'number', value: 53 },
      ],
      data: { kind: 'goto', chain: dns },
    });
    expect(table.sets.get('affinity-demo')).toMatchObject({ flags: ['dynamic', 'timeout'], timeoutSeconds: 10800, elements: [] });
  });

  it('reads base chains with named priorities', () => {
    expect(table.chains.get('filter-prerouting-pre-dnat')!.hook).toEqual({ type: 'filter', hook: 'prerouting', priority: -110, priorityText: 'dstnat - 10' });
    expect(table.chains.get('nat-postrouting')).toMatchObject({ hook: { type: 'nat', hook: 'postrouting', priority: 100 }, policy: 'accept' });
    expect(table.chains.get('masquerading')!.hook).toBeUndefined();
  });

  it('reads the masquerade marks as (value, mask) updates and the mark test', () => {
    const [test, xor, masquerade] = table.chains.get('masquerading')!.rules;
    expect(test!.statements).toEqual([
      {
        kind: 'match',
        left: [{ name: 'meta mark', bitwise: { op: 'and', value: 0x4000 } }],
        op: 'eq',
        right: { kind: 'value', value: [{ type: 'number', text: '0x00000000', value: 0 }] },
      },
      { kind: 'verdict', verdict: { kind: 'return' } },
    ]);
    expect(xor!.statements).toEqual([{ kind: 'mark', target: 'meta', update: { value: 0x4000, mask: 0 } }]);
    expect(masquerade!.statements).toEqual([{ kind: 'masquerade', flags: ['fully-random'] }]);
    expect(table.chains.get('mark-for-masquerade')!.rules[0]!.statements).toEqual([{ kind: 'mark', target: 'meta', update: { value: 0x4000, mask: 0x4000 } }]);
  });

  it('reads the vmap dispatch and numgen load balancing', () => {
    expect(ruleAt(value, 62).statements).toEqual([
      { kind: 'vmap', key: [{ name: 'ip daddr' }, { name: 'meta l4proto' }, { name: 'th dport' }], map: { kind: 'set-ref', name: 'service-ips' } },
    ]);
    expect(ruleAt(value, 63).statements[0]).toEqual({ kind: 'match', left: [{ name: 'ip daddr' }], op: 'eq', right: { kind: 'set-ref', name: 'nodeport-ips' } });
    const lb = ruleAt(value, 68).statements[0]!;
    expect(lb).toMatchObject({ kind: 'vmap', key: [{ name: 'numgen random', numgen: { mode: 'random', modulus: 2, offset: 0 } }] });
    expect(lb.kind === 'vmap' && lb.map.kind === 'set' ? lb.map.elements.map((e) => [e.key[0]!.text, e.data]) : []).toEqual([
      ['0', { kind: 'goto', chain: ep1 }],
      ['1', { kind: 'goto', chain: ep2 }],
    ]);
  });

  it('reads matches with negation, counters, affinity sets and DNAT', () => {
    const masq = ruleAt(value, 67);
    expect(masq.counter).toEqual({ packets: 4, bytes: 240 });
    expect(masq.statements.map((s) => s.kind)).toEqual(['match', 'match', 'match', 'verdict']);
    expect(masq.statements[2]).toMatchObject({ left: [{ name: 'ip saddr' }], op: 'ne', right: { kind: 'value', value: [{ type: 'ip', cidr: { prefix: 16 } }] } });
    expect(ruleAt(value, 73).statements).toEqual([
      { kind: 'match', left: [{ name: 'ip saddr' }], op: 'eq', right: { kind: 'set-ref', name: 'affinity-demo' } },
      { kind: 'verdict', verdict: { kind: 'goto', chain: ep1 } },
    ]);
    expect(ruleAt(value, 74).statements).toEqual([{ kind: 'set-update', op: 'update', set: 'affinity-demo', key: [{ name: 'ip saddr' }] }]);
    expect(ruleAt(value, 75).statements[1]).toEqual({
      kind: 'nat',
      type: 'dnat',
      to: { text: '10.244.0.3:53', addressFirst: parseIpAddress('10.244.0.3'), addressLast: parseIpAddress('10.244.0.3'), portFirst: 53, portLast: 53 },
      flags: [],
    });
  });

  it('reads ct state sets, fib lookups and reject reasons', () => {
    expect(ruleAt(value, 84).statements[0]).toMatchObject({ left: [{ name: 'ct state' }], right: { kind: 'set', elements: [{ key: [{ text: 'established' }] }, { key: [{ text: 'related' }] }] } });
    expect(ruleAt(value, 85).statements).toEqual([
      { kind: 'match', left: [{ name: 'fib daddr . iif type', fib: { keys: ['daddr', 'iif'], result: 'type' } }], op: 'eq', right: { kind: 'value', value: [{ type: 'symbol', text: 'local' }] } },
      { kind: 'verdict', verdict: { kind: 'reject', with: 'icmp type port-unreachable' } },
    ]);
  });
});

describe('parseNftRuleset: iptables-nft rules as nft lists them', () => {
  const text = `table ip nat {
\tchain KUBE-SERVICES {
\t\tmeta l4proto tcp ip daddr 10.96.0.1  tcp dport 443 counter packets 0 bytes 0 jump KUBE-SVC-NPX46M4PTMTKRN6Y comment "default/kubernetes:https cluster IP"
\t\t fib daddr type local counter packets 24 bytes 1440 jump KUBE-NODEPORTS
\t}
\tchain KUBE-NODEPORTS {
\t}
\tchain KUBE-SVC-NPX46M4PTMTKRN6Y {
\t\txt match "statistic" counter packets 0 bytes 0 jump KUBE-SEP-A
\t\t counter packets 0 bytes 0 jump KUBE-SEP-B
\t}
\tchain KUBE-SEP-A {
\t\tmeta l4proto tcp counter packets 0 bytes 0 xt target "DNAT"
\t}
\tchain KUBE-SEP-B {
\t}
}
`;
  const { value, issues } = parse(text);

  it('keeps the xt compat parts as unsupported statements, reported with their line, and still sees the verdict', () => {
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['UNSUPPORTED_FEATURE', 9],
      ['UNSUPPORTED_FEATURE', 13],
    ]);
    expect(ruleAt(value, 9).statements).toEqual([
      { kind: 'unsupported', text: 'xt match "statistic"' },
      { kind: 'verdict', verdict: { kind: 'jump', chain: 'KUBE-SEP-A' } },
    ]);
    expect(ruleAt(value, 13).statements.at(-1)).toEqual({ kind: 'unsupported', text: 'xt target "DNAT"' });
  });

  it('reads the translated matches, counters and comments', () => {
    const rule = ruleAt(value, 3);
    expect(rule.comment).toBe('default/kubernetes:https cluster IP');
    expect(rule.statements.map((s) => (s.kind === 'match' ? s.left[0]!.name : s.kind))).toEqual(['meta l4proto', 'ip daddr', 'tcp dport', 'verdict']);
    expect(ruleAt(value, 4).counter).toEqual({ packets: 24, bytes: 1440 });
  });
});

describe('parseNftRuleset: `nft -a list ruleset`', () => {
  it('keeps rule handles and ignores other comments', () => {
    const { value, issues } = parse('table inet filter { # handle 1\n\tchain input { # handle 2\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 22 accept # handle 7\n\t}\n}\n');
    expect(issues).toEqual([]);
    expect(value.tables.get('inet filter')!.chains.get('input')!.rules[0]).toMatchObject({ handle: 7, line: 4, text: 'tcp dport 22 accept' });
  });
});

describe('parseNftRuleset: hostile input', () => {
  it('reports unknown statements, unbalanced braces, unterminated strings and stray words', () => {
    const { value, issues } = parse(
      [
        'table inet filter {',
        '\tchain input {',
        '\t\ttype filter hook input priority filter; policy drop;',
        '\t\tlimit rate 10/second accept',
        '\t\tiifname "lo accept',
        '\t\ttcp dport { 22, 80 } accept',
        '\t}',
        '}',
        'bogus statement here',
        'table ip broken {',
        '\tchain c {',
      ].join('\n'),
    );
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['UNSUPPORTED_FEATURE', 4],
      ['BAD_LINE', 5],
      ['BAD_LINE', 9],
      ['BAD_LINE', 11],
      ['BAD_LINE', 10],
    ]);
    const input = value.tables.get('inet filter')!.chains.get('input')!;
    expect(input.policy).toBe('drop');
    expect(input.rules[0]!.statements).toEqual([
      { kind: 'unsupported', text: 'limit rate 10/second' },
      { kind: 'verdict', verdict: { kind: 'accept' } },
    ]);
    expect(ruleAt(value, 6).statements[0]).toMatchObject({ left: [{ name: 'tcp dport' }], right: { kind: 'set', elements: [{ key: [{ value: 22 }] }, { key: [{ value: 80 }] }] } });
  });

  it('reports jumps to missing chains and references to missing sets', () => {
    const { issues } = parse('table ip t {\n\tchain a {\n\t\tip daddr @nope jump b\n\t}\n}\n');
    expect(issues).toEqual([
      expect.objectContaining({ code: 'UNEXPECTED_SHAPE', line: 3, message: '@nope: no such set or map in table ip t' }),
      expect.objectContaining({ code: 'UNEXPECTED_SHAPE', line: 3, message: 'jump b: no such chain in table ip t' }),
    ]);
  });
});

describe('parseNftRuleset: `nft -f` commands', () => {
  it('applies add, insert, flush and delete in order', () => {
    const { value, issues } = parse(
      [
        'add table ip kube-proxy { comment "rules for kube-proxy" ; }',
        'add chain ip kube-proxy services',
        'add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }',
        'add chain ip kube-proxy svc-a',
        'add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips',
        'add element ip kube-proxy service-ips { 10.96.0.1 . tcp . 443 : goto svc-a }',
        'add element ip kube-proxy service-ips { 10.96.0.2 . tcp . 80 : goto svc-a }',
        'delete element ip kube-proxy service-ips { 10.96.0.1 . tcp . 443 }',
        'add rule ip kube-proxy svc-a drop',
        'insert rule ip kube-proxy svc-a accept',
        'flush chain ip kube-proxy services',
        'add rule ip kube-proxy services jump svc-a',
      ].join('\n'),
    );
    expect(issues).toEqual([]);
    const table = value.tables.get('ip kube-proxy')!;
    expect(table.comment).toBe('rules for kube-proxy');
    expect(table.sets.get('service-ips')!.elements.map((e) => e.key.map((a) => a.text).join(' . '))).toEqual(['10.96.0.2 . tcp . 80']);
    expect(table.chains.get('svc-a')!.rules.map((r) => r.line)).toEqual([10, 9]);
    expect(table.chains.get('services')!.rules).toEqual([
      { table: 'kube-proxy', chain: 'services', line: 12, text: 'add rule ip kube-proxy services jump svc-a', statements: [{ kind: 'verdict', verdict: { kind: 'jump', chain: 'svc-a' } }] },
    ]);
  });
});

describe.skipIf(!samplesAvailable)(`parseNftRuleset on shared samples${samplesAvailable ? '' : ` (skipped: ${SKIP_MESSAGE})`}`, () => {
  it('kubeproxy-nftables-overall.txt (golden nft -f transaction) reads without a single issue', () => {
    const { value, issues } = parseNftRuleset(sampleFile('kubeproxy-nftables-overall.txt'));
    expect(issues).toEqual([]);
    const table = value.tables.get('ip kube-proxy')!;
    expect(table.chains.get('filter-prerouting-pre-dnat')!.hook).toMatchObject({ hook: 'prerouting', priority: -110 });
    expect(table.chains.get('reject-chain')!.comment).toBe('helper for @no-endpoint-services / @no-endpoint-nodeports');
    expect(table.sets.get('no-endpoint-services')!.elements.find((e) => e.line === 149)).toMatchObject({
      comment: 'ns6/svc6:p80',
      data: { kind: 'goto', chain: 'reject-chain' },
    });
    const lb = ruleAt(value, 108).statements[0]!;
    expect(lb.kind === 'vmap' && lb.map.kind === 'set' ? lb.map.elements.map((e) => e.data) : []).toEqual([
      { kind: 'goto', chain: 'endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80' },
      { kind: 'goto', chain: 'endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80' },
    ]);
    expect(ruleAt(value, 41).statements).toEqual([{ kind: 'mark', target: 'meta', update: { value: 0x4000, mask: 0x4000 } }]);
    expect(ruleAt(value, 42).statements[0]).toMatchObject({ left: [{ name: 'meta mark', bitwise: { op: 'and', value: 0x4000 } }], op: 'eq' });
    expect(ruleAt(value, 74).statements[0]).toMatchObject({ left: [{ name: 'fib saddr type' }], right: { kind: 'value', value: [{ text: 'local' }] } });
    expect(ruleAt(value, 139).statements[0]).toMatchObject({ op: 'ne', right: { kind: 'set' } });
    expect(table.sets.get('affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80')).toMatchObject({ flags: ['dynamic', 'timeout'], timeoutSeconds: 10800 });
  });

  it('kubeproxy-nft-list-blog.txt (nft list with the author\'s "..." elisions) reads without BAD_LINE', () => {
    const { value, issues } = parseNftRuleset(sampleFile('kubeproxy-nft-list-blog.txt'));
    expect(issues.filter((i) => i.code === 'BAD_LINE')).toEqual([]);
    expect(issues.filter((i) => i.message.startsWith('elided')).map((i) => i.line)).toEqual([11, 23]);
    const map = value.tables.get('ip kube-proxy')!.sets.get('service-ips')!;
    expect(map.elements).toHaveLength(3);
    expect(map.comment).toBe('ClusterIP, ExternalIP and LoadBalancer IP traffic');
    expect(ruleAt(value, 20).statements[0]).toMatchObject({ kind: 'vmap', map: { name: 'service-ips' } });
  });
});
