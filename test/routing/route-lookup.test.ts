/**
 * lookupRoute on hand-written node dumps: each case states what `ip route get` answers on such a
 * node (the kernel differential test checks the same machinery against a live kernel).
 */
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { formatIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { parseSysctl } from '../../analyzer/node/parse-sysctl.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import { parseIpRule } from '../../analyzer/routing/parse-ip-rule.js';
import { lookupRoute, type RouteLookupResult, type RouteQuery, type RoutingState } from '../../analyzer/routing/route-lookup.js';

const CALICO_ADDR = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
2: ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 00:50:56:b4:60:31 brd ff:ff:ff:ff:ff:ff
    inet 10.12.22.1/16 brd 10.12.255.255 scope global ens192
       valid_lft forever preferred_lft forever
    inet 10.12.22.100/16 scope global secondary ens192
       valid_lft forever preferred_lft forever
    inet6 fd00:10:12::5/64 scope global deprecated 
       valid_lft forever preferred_lft 0sec
    inet6 fd00:10:12::1/64 scope global 
       valid_lft forever preferred_lft forever
    inet6 fe80::250:56ff:feb4:6031/64 scope link 
       valid_lft forever preferred_lft forever
3: ens224: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 00:50:56:b4:60:32 brd ff:ff:ff:ff:ff:ff
    inet 172.20.0.7/24 brd 172.20.0.255 scope global ens224
       valid_lft forever preferred_lft forever
    inet6 fd00:20::7/64 scope global 
       valid_lft forever preferred_lft forever
    inet6 fe80::250:56ff:feb4:6032/64 scope link 
       valid_lft forever preferred_lft forever
4: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default 
    link/ether 9e:54:7a:0b:4f:02 brd ff:ff:ff:ff:ff:ff
    inet 10.96.0.10/32 scope global kube-ipvs0
       valid_lft forever preferred_lft forever
5: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0
    inet 192.168.0.1/32 scope global tunl0
       valid_lft forever preferred_lft forever
7: cali566ba2f164b@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1480 qdisc noqueue state UP group default qlen 1000
    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid 0
`;

const CALICO_ROUTES = `default via 10.12.0.1 dev ens192 proto static metric 100 
10.12.0.0/16 dev ens192 proto kernel scope link src 10.12.22.1 
172.20.0.0/24 dev ens224 proto kernel scope link src 172.20.0.7 
blackhole 192.168.0.0/26 proto bird 
192.168.0.3 dev cali566ba2f164b scope link 
192.168.1.0/26 via 10.12.22.2 dev tunl0 proto bird onlink 
192.168.3.0/26 proto bird 
	nexthop via 10.12.22.3 dev ens192 weight 1 
	nexthop via 172.20.0.3 dev ens224 weight 2 
192.168.4.0/26 proto bird 
	nexthop via 10.12.22.4 dev ens192 weight 1 
	nexthop via 172.20.0.4 dev ens224 weight 1 dead linkdown 
10.50.0.0/16 via 10.12.0.1 dev ens192 metric 10 
10.50.0.0/16 via 172.20.0.1 dev ens224 metric 20 
local 10.12.22.1 dev ens192 table local proto kernel scope host src 10.12.22.1 
local 10.12.22.100 dev ens192 table local proto kernel scope host src 10.12.22.1 
broadcast 10.12.255.255 dev ens192 table local proto kernel scope link src 10.12.22.1 
local 10.96.0.10 dev kube-ipvs0 table local proto kernel scope host src 10.96.0.10 
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 
local 172.20.0.7 dev ens224 table local proto kernel scope host src 172.20.0.7 
local 192.168.0.1 dev tunl0 table local proto kernel scope host src 192.168.0.1 
fd00:10:12::/64 dev ens192 proto kernel metric 256 pref medium
fd00:20::/64 dev ens224 proto kernel metric 256 pref medium
fd00:99::/64 via fd00:20::1 dev ens224 metric 1024 pref medium
fe80::/64 dev ens192 proto kernel metric 256 pref medium
fe80::/64 dev ens224 proto kernel metric 256 pref medium
default via fd00:10:12::fe dev ens192 metric 1024 pref medium
local ::1 dev lo table local proto kernel metric 0 pref medium
local fd00:10:12::1 dev ens192 table local proto kernel metric 0 pref medium
local fd00:10:12::5 dev ens192 table local proto kernel metric 0 pref medium
local fd00:20::7 dev ens224 table local proto kernel metric 0 pref medium
`;

/** A second NIC with source-based policy routing (the classic multi-homed setup) and a few more rules. */
const POLICY_RULES = `0:	from all lookup local
100:	from 172.20.0.7 lookup 100
150:	from all fwmark 0x4000/0x4000 lookup 101
160:	from all iif lo to 10.77.0.0/16 lookup 101
170:	from all uidrange 1000-1999 lookup 102
180:	from all to 10.88.0.0/16 goto 32766
190:	from all to 10.88.0.0/16 prohibit
200:	from all lookup main suppress_prefixlength 0
210:	from all to 10.99.0.0/16 unreachable
32766:	from all lookup main
32767:	from all lookup default
`;

const POLICY_TABLES = `default via 172.20.0.1 dev ens224 table 100 
throw 10.50.0.0/16 table 100 
10.77.0.0/16 via 172.20.0.254 dev ens224 table 101 
default via 172.20.0.254 dev ens224 table 102 
`;

function state(options: { rules?: string; extraRoutes?: string; sysctl?: string } = {}): RoutingState {
  const addr = parseIpAddr(new SourceFile('nodes/node-a/ip-addr.txt', CALICO_ADDR));
  const routes = parseIpRoute(new SourceFile('nodes/node-a/ip-route.txt', CALICO_ROUTES + (options.extraRoutes ?? '')));
  const rules = options.rules ? parseIpRule(new SourceFile('nodes/node-a/ip-rule.txt', options.rules)) : undefined;
  const sysctl = options.sysctl ? parseSysctl(new SourceFile('nodes/node-a/sysctl.txt', options.sysctl)) : undefined;
  expect([...addr.issues, ...routes.issues, ...(rules?.issues ?? []), ...(sysctl?.issues ?? [])]).toEqual([]);
  const result: RoutingState = { interfaces: addr.value.interfaces, routes: routes.value.routes };
  if (rules) result.rules = rules.value.rules;
  if (sysctl) result.sysctl = sysctl.value.values;
  return result;
}

/** The answer in `ip route get` terms: `<type> via <gw> dev <dev> table <t> src <src>` or the error. */
function answer(result: RouteLookupResult): string {
  if (result.error) return `error: ${result.error.message}`;
  const hops = result.nexthops.map((h) =>
    [h.gateway ? `via ${formatIpAddress(h.gateway)}` : '', `dev ${h.device}`, h.source ? `src ${formatIpAddress(h.source)}` : '', h.weight !== 1 ? `weight ${h.weight}` : '']
      .filter(Boolean)
      .join(' '),
  );
  return `${result.type} table ${result.table ?? '-'}: ${hops.join(' | ')}`;
}

function ask(routing: RoutingState, query: RouteQuery): string {
  return answer(lookupRoute(routing, query));
}

describe('lookupRoute: a Calico node with the default rules', () => {
  const node = state();

  it.each([
    ['a pod on this node', '192.168.0.3', 'unicast table main: dev cali566ba2f164b src 10.12.22.1'],
    // No address of tunl0 shares the gateway's subnet, so its first address is used: Calico gives tunl0 one for this.
    ['a pod on another node, through the IPIP tunnel', '192.168.1.17', 'unicast table main: via 10.12.22.2 dev tunl0 src 192.168.0.1'],
    ['an unassigned address of this node’s block', '192.168.0.9', 'error: Invalid argument'],
    ['a ClusterIP bound to kube-ipvs0 (local; the local table is merged into main)', '10.96.0.10', 'local table main: dev lo src 10.96.0.10'],
    ['a secondary address of this node', '10.12.22.100', 'local table main: dev lo src 10.12.22.1'],
    ['the subnet broadcast', '10.12.255.255', 'broadcast table main: dev ens192 src 10.12.22.1'],
    ['the Internet, through the default route, from the primary address', '1.1.1.1', 'unicast table main: via 10.12.0.1 dev ens192 src 10.12.22.1'],
    ['the lower metric of two routes to one prefix', '10.50.3.4', 'unicast table main: via 10.12.0.1 dev ens192 src 10.12.22.1'],
    [
      'multipath: every nexthop with its weight and own source',
      '192.168.3.9',
      'unicast table main: via 10.12.22.3 dev ens192 src 10.12.22.1 | via 172.20.0.3 dev ens224 src 172.20.0.7 weight 2',
    ],
    ['multipath with a dead nexthop', '192.168.4.9', 'unicast table main: via 10.12.22.4 dev ens192 src 10.12.22.1'],
    ['loopback', '127.0.0.9', 'local table main: dev lo src 127.0.0.1'],
  ])('%s', (_, dst, expected) => {
    expect(ask(node, { dst })).toBe(expected);
  });

  it('keeps the evidence: the route line that decided', () => {
    const result = lookupRoute(node, { dst: '192.168.0.9' });
    expect(result).toMatchObject({ type: 'blackhole', table: 'main', error: { code: 'EINVAL' } });
    expect(result.evidence).toEqual([
      { file: 'nodes/node-a/ip-route.txt', line: 4, text: 'blackhole 192.168.0.0/26 proto bird', note: 'matching route' },
    ]);
    expect(result.reason).toBe('blackhole by route "blackhole 192.168.0.0/26 proto bird" in table main');
  });

  it('honours the output interface: another route of the prefix, or the on-link assumption', () => {
    expect(ask(node, { dst: '10.50.3.4', oif: 'ens224' })).toBe('unicast table main: via 172.20.0.1 dev ens224 src 172.20.0.7');
    expect(ask(node, { dst: '8.8.8.8', oif: 'ens224' })).toBe('unicast table -: dev ens224 src 172.20.0.7');
  });

  it('requires a `from` address to be one of the node’s own', () => {
    expect(ask(node, { dst: '1.1.1.1', src: '172.20.0.7' })).toBe('unicast table main: via 10.12.0.1 dev ens192 src 172.20.0.7');
    expect(ask(node, { dst: '1.1.1.1', src: '172.20.0.8' })).toBe('error: Network is unreachable');
  });

  it('answers like the kernel for bad queries', () => {
    expect(lookupRoute(node, { dst: 'not-an-ip' }).error?.code).toBe('EINVAL');
    expect(lookupRoute(node, { dst: '1.1.1.1', iif: 'eth9', src: '10.0.0.1' }).error?.code).toBe('ENODEV');
    expect(lookupRoute(node, { dst: '0.1.2.3' }).error?.code).toBe('EINVAL');
  });
});

describe('lookupRoute: policy routing', () => {
  const node = state({ rules: POLICY_RULES, extraRoutes: POLICY_TABLES });

  it.each<[string, RouteQuery, string]>([
    ['a `from` rule sends the second NIC’s traffic to its own table', { dst: '1.1.1.1', src: '172.20.0.7' }, 'unicast table 100: via 172.20.0.1 dev ens224 src 172.20.0.7'],
    ['`throw` in that table falls through to main', { dst: '10.50.1.1', src: '172.20.0.7' }, 'unicast table main: via 10.12.0.1 dev ens192 src 172.20.0.7'],
    ['a fwmark rule with a mask', { dst: '10.77.1.1', fwmark: 0xc000 }, 'unicast table 101: via 172.20.0.254 dev ens224 src 172.20.0.7'],
    ['`iif lo` matches locally generated traffic', { dst: '10.77.1.1' }, 'unicast table 101: via 172.20.0.254 dev ens224 src 172.20.0.7'],
    ['…but not forwarded traffic', { dst: '10.77.1.1', src: '10.12.9.9', iif: 'ens192' }, 'unicast table main: via 10.12.0.1 dev ens192 src 10.12.9.9'],
    ['uidrange', { dst: '1.1.1.1', uid: 1500 }, 'unicast table 102: via 172.20.0.254 dev ens224 src 172.20.0.7'],
    ['goto skips the prohibit rule', { dst: '10.88.1.1' }, 'unicast table main: via 10.12.0.1 dev ens192 src 10.12.22.1'],
    ['suppress_prefixlength 0 ignores main’s default route, so the next rule decides', { dst: '10.99.1.1' }, 'error: Network is unreachable'],
    ['suppress_prefixlength 0 keeps more specific routes', { dst: '192.168.1.1' }, 'unicast table main: via 10.12.22.2 dev tunl0 src 192.168.0.1'],
  ])('%s', (_, query, expected) => {
    expect(ask(node, query)).toBe(expected);
  });

  it('names the rule that chose the table', () => {
    const result = lookupRoute(node, { dst: '1.1.1.1', src: '172.20.0.7' });
    expect(result.rule?.priority).toBe(100);
    expect(result.evidence.map((e) => [e.file, e.line, e.note])).toEqual([
      ['nodes/node-a/ip-rule.txt', 2, 'policy rule that chose the table'],
      ['nodes/node-a/ip-route.txt', 32, 'matching route'],
    ]);
  });

  it('reports local routes in table local once custom rules exist', () => {
    expect(ask(node, { dst: '10.96.0.10' })).toBe('local table local: dev lo src 10.96.0.10');
  });
});

describe('lookupRoute: forwarded packets (iif)', () => {
  it('forwards, keeping the packet’s source', () => {
    const node = state({ sysctl: 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 0\n' });
    const result = lookupRoute(node, { dst: '192.168.1.17', src: '192.168.0.3', iif: 'cali566ba2f164b' });
    expect(answer(result)).toBe('unicast table main: via 10.12.22.2 dev tunl0 src 192.168.0.3');
    expect(result.assumptions).toEqual([]);
  });

  it('refuses to forward when ip_forward is 0', () => {
    const node = state({ sysctl: 'net.ipv4.ip_forward = 0\n' });
    const result = lookupRoute(node, { dst: '192.168.1.17', src: '192.168.0.3', iif: 'cali566ba2f164b' });
    expect(result).toMatchObject({ type: 'rejected', error: { code: 'EHOSTUNREACH' } });
    expect(result.reason).toContain('net.ipv4.ip_forward is 0');
    // Local delivery still works.
    expect(ask(node, { dst: '10.12.22.1', src: '192.168.0.3', iif: 'cali566ba2f164b' })).toBe('local table main: dev lo src 192.168.0.3');
  });

  it('drops asymmetric traffic under strict rp_filter, not under loose', () => {
    // The way back to 172.20.0.50 is through ens224, but the packet came in on ens192.
    const query = { dst: '192.168.1.17', src: '172.20.0.50', iif: 'ens192' };
    const strict = lookupRoute(state({ sysctl: 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 1\n' }), query);
    expect(strict).toMatchObject({ type: 'rejected', error: { code: 'EINVAL' } });
    expect(strict.reason).toBe('rp_filter strict on ens192: the route back to 172.20.0.50 leaves through ens224');
    const perDevice = state({ sysctl: 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.ens192.rp_filter = 1\n' });
    expect(lookupRoute(perDevice, query).error?.code).toBe('EINVAL');
    const loose = state({ sysctl: 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 2\n' });
    expect(ask(loose, query)).toBe('unicast table main: via 10.12.22.2 dev tunl0 src 172.20.0.50');
  });

  it('treats the node’s own address arriving from outside as a martian', () => {
    const node = state({ sysctl: 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 0\n' });
    const result = lookupRoute(node, { dst: '192.168.1.17', src: '10.12.22.1', iif: 'cali566ba2f164b' });
    expect(result.error?.code).toBe('EINVAL');
    expect(result.reason).toContain('martian source 10.12.22.1');
  });

  it('says what it assumed when sysctl was not collected', () => {
    const result = lookupRoute(state(), { dst: '192.168.1.17', src: '192.168.0.3', iif: 'cali566ba2f164b' });
    expect(result.type).toBe('unicast');
    expect(result.assumptions).toEqual([
      'net.ipv4.ip_forward = 1 assumed (Kubernetes nodes forward)',
      'net.ipv4.conf.all.rp_filter = 0 assumed (not collected)',
    ]);
  });
});

describe('lookupRoute: IPv6', () => {
  const node = state();

  it.each([
    ['the default route, from the outgoing interface’s preferred (not deprecated) address', 'fd00:99:1::1', 'unicast table main: via fd00:10:12::fe dev ens192 src fd00:10:12::1'],
    ['a connected prefix on the second NIC', 'fd00:20::99', 'unicast table main: dev ens224 src fd00:20::7'],
    ['a route through the second NIC', 'fd00:99::1', 'unicast table main: via fd00:20::1 dev ens224 src fd00:20::7'],
    ['an own address', 'fd00:20::7', 'local table local: dev lo src fd00:20::7'],
    ['an own deprecated address (the same address wins over preference)', 'fd00:10:12::5', 'local table local: dev lo src fd00:10:12::5'],
  ])('%s', (_, dst, expected) => {
    expect(ask(node, { dst })).toBe(expected);
  });

  it('takes link-local sources from the outgoing interface only', () => {
    expect(ask(node, { dst: 'fe80::99', oif: 'ens224' })).toBe('unicast table main: dev ens224 src fe80::250:56ff:feb4:6032');
  });

  it('answers ENETUNREACH for an `unreachable` rule (a route answers EHOSTUNREACH)', () => {
    const rules = parseIpRule(
      new SourceFile('nodes/node-a/ip6-rule.txt', '0:\tfrom all lookup local\n100:\tfrom all to fd00:99::/64 unreachable\n32766:\tfrom all lookup main\n'),
      { family: 6 },
    ).value.rules;
    const withRule = { ...node, rules };
    expect(ask(withRule, { dst: 'fd00:99::1' })).toBe('error: Network is unreachable');
    const withRoute = state({ extraRoutes: 'unreachable fd00:98::/64 dev lo metric 1024 pref medium\n' });
    expect(ask(withRoute, { dst: 'fd00:98::1' })).toBe('error: No route to host');
  });
});
