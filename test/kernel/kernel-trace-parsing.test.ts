/**
 * The kernel oracle's parsers, on output captured verbatim from nftables 1.0.6,
 * iptables-nft 1.8.9 and conntrack-tools 1.4.7 on Linux 6.x. Runs without root.
 */
import { describe, expect, it } from 'vitest';
import { parseTraceLine } from '../helpers/kernel-trace-events.js';
import { parseConntrackList } from '../helpers/kernel-conntrack.js';
import { IptablesLineLookup, indexNftJsonRuleset, ruleKey, chainKey, scanIptablesRuleLines } from '../helpers/kernel-rule-index.js';

describe('parseTraceLine (nft -a monitor trace)', () => {
  it('reads the packet dump that opens a base chain', () => {
    const event = parseTraceLine(
      'trace id a0a2665b ip nat PREROUTING packet: iif "kn-pod" ether saddr 02:ac:bb:d0:09:e4 ether daddr 32:43:0d:24:1f:db ip saddr 10.244.1.5 ip daddr 10.96.0.10 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 45224 ip length 60 tcp sport 40002 tcp dport 80 tcp flags == syn tcp window 64240 ',
    );
    expect(event).toEqual({
      traceId: 'a0a2665b',
      family: 'ip',
      table: 'nat',
      chain: 'PREROUTING',
      kind: 'packet',
      packet: { iif: 'kn-pod', saddr: '10.244.1.5', daddr: '10.96.0.10', l4proto: 'tcp', sport: 40002, dport: 80 },
    });
  });

  it('reads forwarded IPv6 UDP packets with both interfaces', () => {
    const event = parseTraceLine(
      'trace id 8aa35e92 inet netdump_oracle post_end packet: iif "cni0" oif "eth0" ether saddr 9e:7f:4c:12:3b:b0 ether daddr 7e:52:fe:a0:e4:75 ip6 saddr fd00:244:1::5 ip6 daddr fd00:96::10 ip6 dscp cs0 ip6 ecn not-ect ip6 hoplimit 63 ip6 flowlabel 309073 ip6 nexthdr udp ip6 length 29 udp sport 40007 udp dport 53 udp length 29 @th,64,96 0x6e657464756d702d6b65726e ',
    );
    expect(event).toMatchObject({
      kind: 'packet',
      family: 'inet',
      packet: { iif: 'cni0', oif: 'eth0', saddr: 'fd00:244:1::5', daddr: 'fd00:96::10', l4proto: 'udp', sport: 40007, dport: 53 },
    });
  });

  it('reads rule events with handle, verdict and jump target, dropping counters from the text', () => {
    expect(
      parseTraceLine(
        'trace id a0a2665b ip nat KUBE-SERVICES rule meta l4proto tcp ip daddr 10.96.0.10  tcp dport 80 counter packets 1 bytes 60 jump KUBE-SVC-AAAA # handle 18 (verdict jump KUBE-SVC-AAAA)',
      ),
    ).toEqual({
      traceId: 'a0a2665b',
      family: 'ip',
      table: 'nat',
      chain: 'KUBE-SERVICES',
      kind: 'rule',
      handle: 18,
      verdict: 'jump',
      target: 'KUBE-SVC-AAAA',
      text: 'meta l4proto tcp ip daddr 10.96.0.10 tcp dport 80 jump KUBE-SVC-AAAA',
    });
    expect(
      parseTraceLine(
        'trace id a0a2665b ip nat KUBE-SEP-A1 rule meta l4proto tcp   counter packets 0 bytes 0 dnat to 10.244.1.6:8080 # handle 23 (verdict accept)',
      ),
    ).toMatchObject({ kind: 'rule', handle: 23, verdict: 'accept', target: null, text: 'meta l4proto tcp dnat to 10.244.1.6:8080' });
    expect(
      parseTraceLine(
        'trace id a0a2665b ip nat KUBE-POSTROUTING rule meta mark & 0x00004000 != 0x00004000 counter packets 1 bytes 60 return # handle 15 (verdict return)',
      ),
    ).toMatchObject({ chain: 'KUBE-POSTROUTING', handle: 15, verdict: 'return' });
    expect(
      parseTraceLine(
        'trace id f261672e ip filter KUBE-SERVICES rule meta l4proto tcp ip daddr 10.96.0.20  tcp dport 80 counter packets 0 bytes 0 reject # handle 7 (verdict drop)',
      ),
    ).toMatchObject({ table: 'filter', handle: 7, verdict: 'drop', text: 'meta l4proto tcp ip daddr 10.96.0.20 tcp dport 80 reject' });
    expect(
      parseTraceLine(
        'trace id ea08806b ip kube-proxy services rule ip daddr . meta l4proto . th dport vmap @service-ips # handle 10 (verdict goto service-web)',
      ),
    ).toMatchObject({ table: 'kube-proxy', chain: 'services', handle: 10, verdict: 'goto', target: 'service-web' });
  });

  it('reads rules nft did not know when its monitor started', () => {
    expect(parseTraceLine('trace id 8fb42098 ip nat PREROUTING unknown rule handle 6 (verdict jump KUBE-SERVICES)')).toEqual({
      traceId: '8fb42098',
      family: 'ip',
      table: 'nat',
      chain: 'PREROUTING',
      kind: 'rule',
      handle: 6,
      verdict: 'jump',
      target: 'KUBE-SERVICES',
      text: null,
    });
  });

  it('reads base-chain policies, also when nft appends the packet mark', () => {
    expect(parseTraceLine('trace id a0a2665b ip nat POSTROUTING policy accept ')).toMatchObject({ kind: 'policy', policy: 'accept' });
    expect(parseTraceLine('trace id fe6c4da3 inet netdump_oracle pre_end policy accept meta mark 0x00004000 ')).toMatchObject({
      kind: 'policy',
      chain: 'pre_end',
      policy: 'accept',
    });
  });

  it('ignores lines that are not trace events', () => {
    expect(parseTraceLine('')).toBeNull();
    expect(parseTraceLine('Error: unsupported layer 4 protocol value')).toBeNull();
  });
});

describe('parseConntrackList', () => {
  it('reads the original and reply tuples of TCP and UDP entries', () => {
    const entries = parseConntrackList(
      [
        'tcp      6 119 SYN_SENT src=10.244.1.5 dst=10.96.0.10 sport=40002 dport=80 [UNREPLIED] src=10.244.2.7 dst=10.244.1.5 sport=8080 dport=40002 mark=0 use=1',
        'udp      17 29 src=10.0.1.1 dst=10.0.1.11 sport=40005 dport=31053 [UNREPLIED] src=10.244.0.3 dst=10.0.1.11 sport=53 dport=61234 mark=16384 use=1',
        'tcp      6 119 SYN_SENT src=fd00:244:1::5 dst=fd00:96::10 sport=40003 dport=80 [UNREPLIED] src=fd00:244:1::6 dst=fd00:244:1::5 sport=8080 dport=40003 mark=0 use=1',
        '',
      ].join('\n'),
    );
    expect(entries).toEqual([
      {
        proto: 'tcp',
        state: 'SYN_SENT',
        original: { src: '10.244.1.5', dst: '10.96.0.10', sport: 40002, dport: 80 },
        reply: { src: '10.244.2.7', dst: '10.244.1.5', sport: 8080, dport: 40002 },
        flags: ['UNREPLIED'],
        mark: 0,
      },
      {
        proto: 'udp',
        state: null,
        original: { src: '10.0.1.1', dst: '10.0.1.11', sport: 40005, dport: 31053 },
        reply: { src: '10.244.0.3', dst: '10.0.1.11', sport: 53, dport: 61234 },
        flags: ['UNREPLIED'],
        mark: 16384,
      },
      {
        proto: 'tcp',
        state: 'SYN_SENT',
        original: { src: 'fd00:244:1::5', dst: 'fd00:96::10', sport: 40003, dport: 80 },
        reply: { src: 'fd00:244:1::6', dst: 'fd00:244:1::5', sport: 8080, dport: 40003 },
        flags: ['UNREPLIED'],
        mark: 0,
      },
    ]);
  });
});

describe('rule index', () => {
  const RESTORE = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SVC-AAAA - [0:0]',
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-AAAA',
    '-A KUBE-SVC-AAAA -m statistic --mode random --probability 0.50000000000 -j RETURN',
    '-A KUBE-SVC-AAAA -j RETURN',
    'COMMIT',
  ].join('\n');
  // `nft -j list ruleset` after `iptables-nft-restore` of RESTORE: chains take handles 1-3
  const NFT_JSON =
    '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "ip", "name": "nat", "handle": 1}}, {"chain": {"family": "ip", "table": "nat", "name": "PREROUTING", "handle": 1, "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}}, {"chain": {"family": "ip", "table": "nat", "name": "KUBE-SERVICES", "handle": 2}}, {"chain": {"family": "ip", "table": "nat", "name": "KUBE-SVC-AAAA", "handle": 3}}, {"rule": {"family": "ip", "table": "nat", "chain": "PREROUTING", "handle": 4, "expr": [{"xt": {"type": "match", "name": "comment"}}, {"counter": {"packets": 0, "bytes": 0}}, {"jump": {"target": "KUBE-SERVICES"}}]}}, {"rule": {"family": "ip", "table": "nat", "chain": "KUBE-SERVICES", "handle": 5, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "10.96.0.10"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"counter": {"packets": 0, "bytes": 0}}, {"jump": {"target": "KUBE-SVC-AAAA"}}]}}, {"rule": {"family": "ip", "table": "nat", "chain": "KUBE-SVC-AAAA", "handle": 6, "expr": [{"xt": {"type": "match", "name": "statistic"}}, {"counter": {"packets": 0, "bytes": 0}}, {"return": null}]}}, {"rule": {"family": "ip", "table": "nat", "chain": "KUBE-SVC-AAAA", "handle": 7, "expr": [{"counter": {"packets": 0, "bytes": 0}}, {"return": null}]}}]}';

  it('turns nft handles into chain positions and knows the hook of base chains', () => {
    const index = indexNftJsonRuleset(NFT_JSON);
    expect(index.rules.get(ruleKey('ip', 'nat', 6))).toEqual({ family: 'ip', table: 'nat', chain: 'KUBE-SVC-AAAA', handle: 6, position: 1 });
    expect(index.rules.get(ruleKey('ip', 'nat', 7))?.position).toBe(2);
    expect(index.chains.get(chainKey('ip', 'nat', 'PREROUTING'))).toMatchObject({ hook: 'prerouting', priority: -100, policy: 'accept' });
    expect(index.chains.get(chainKey('ip', 'nat', 'KUBE-SERVICES'))?.hook).toBeNull();
  });

  it('finds the loaded line of the n-th rule of a chain', () => {
    expect(scanIptablesRuleLines(RESTORE).map((r) => [r.chain, r.position, r.line])).toEqual([
      ['PREROUTING', 1, 5],
      ['KUBE-SERVICES', 1, 6],
      ['KUBE-SVC-AAAA', 1, 7],
      ['KUBE-SVC-AAAA', 2, 8],
    ]);
    const lookup = new IptablesLineLookup(RESTORE);
    expect(lookup.at('nat', 'KUBE-SVC-AAAA', 2)?.text).toBe('-A KUBE-SVC-AAAA -j RETURN');
    expect(lookup.at('filter', 'KUBE-SVC-AAAA', 2)).toBeUndefined();
    expect(lookup.chainLength('nat', 'KUBE-SVC-AAAA')).toBe(2);
  });
});
