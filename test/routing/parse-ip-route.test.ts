import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { formatIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import type { IpRoute } from '../../analyzer/routing/route-types.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './shared-samples.js';

/** `ip route show table all` on a Calico (BIRD, IPIP) node, iproute2 6.x: IPv4 and IPv6 tables. */
const CALICO_TABLE_ALL = `default via 10.12.0.1 dev ens192 proto static metric 100 
10.12.0.0/16 dev ens192 proto kernel scope link src 10.12.22.1 metric 100 
blackhole 192.168.0.0/26 proto bird 
192.168.0.3 dev cali566ba2f164b scope link 
192.168.1.0/26 via 10.12.22.2 dev tunl0 proto bird onlink 
192.168.2.0/26 via 10.12.22.3 dev tunl0 proto bird onlink linkdown 
172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown 
local 10.12.22.1 dev ens192 table local proto kernel scope host src 10.12.22.1 
broadcast 10.12.255.255 dev ens192 table local proto kernel scope link src 10.12.22.1 
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 
local 192.168.0.1 dev tunl0 table local proto kernel scope host src 192.168.0.1 
fd00:10:12::/64 dev ens192 proto kernel metric 256 pref medium
fe80::/64 dev ens192 proto kernel metric 256 pref medium
default via fe80::1 dev ens192 proto ra metric 1024 expires 1792sec hoplimit 64 pref medium
local ::1 dev lo table local proto kernel metric 0 pref medium
anycast fd00:10:12:: dev ens192 table local proto kernel metric 0 pref medium
multicast ff00::/8 dev ens192 table local proto kernel metric 256 pref medium
`;

/** Policy routing with multipath, throw, reject types, metrics and route attributes. */
const POLICY_ROUTES = `default proto bird metric 20 
	nexthop via 10.0.0.2 dev eth0 weight 1 
	nexthop via 10.0.1.2 dev eth1 weight 3 dead linkdown 
throw 10.69.0.0/16 table 100 
10.70.0.0/16 via 10.1.0.254 dev eth0 table 100 mtu lock 1400 
10.71.0.0/16 dev eth1 table calico scope link 
unreachable 10.67.0.0/16 metric 5 
prohibit 10.68.0.0/16 
10.72.0.0/16 via inet6 fe80::1 dev eth1 
10.73.0.0/16 nhid 12 via 10.0.0.9 dev eth0 
10.74.0.0/16 tos 0x10 via 10.0.0.9 dev eth0 
fd00:10::/64 metric 1024 pref medium
	nexthop via fd00:1::fe dev eth0 weight 2 
	nexthop via fe80::1 dev eth1 weight 1 
blackhole fd00:66::/64 dev lo metric 1024 pref medium
unreachable default dev lo proto kernel metric 4294967295 error -101 pref medium
default dev wg0 metric 1024 pref high
`;

const file = (text: string) => new SourceFile('nodes/node-a/ip-route.txt', text);
const gateways = (route: IpRoute) => route.nexthops.map((h) => [h.gateway ? formatIpAddress(h.gateway) : undefined, h.device, h.weight, h.flags]);

describe('parseIpRoute', () => {
  it('reads a Calico node: BIRD routes, blackhole block, onlink tunnel routes, local table, IPv6', () => {
    const { value, issues } = parseIpRoute(file(CALICO_TABLE_ALL));
    expect(issues).toEqual([]);
    expect(value.routes.map((r) => [r.type, `${r.destination.text}`, r.family, r.table, r.line])).toEqual([
      ['unicast', '0.0.0.0/0', 4, 'main', 1],
      ['unicast', '10.12.0.0/16', 4, 'main', 2],
      ['blackhole', '192.168.0.0/26', 4, 'main', 3],
      ['unicast', '192.168.0.3', 4, 'main', 4],
      ['unicast', '192.168.1.0/26', 4, 'main', 5],
      ['unicast', '192.168.2.0/26', 4, 'main', 6],
      ['unicast', '172.17.0.0/16', 4, 'main', 7],
      ['local', '10.12.22.1', 4, 'local', 8],
      ['broadcast', '10.12.255.255', 4, 'local', 9],
      ['local', '127.0.0.0/8', 4, 'local', 10],
      ['local', '192.168.0.1', 4, 'local', 11],
      ['unicast', 'fd00:10:12::/64', 6, 'main', 12],
      ['unicast', 'fe80::/64', 6, 'main', 13],
      ['unicast', '::/0', 6, 'main', 14],
      ['local', '::1', 6, 'local', 15],
      ['anycast', 'fd00:10:12::', 6, 'local', 16],
      ['multicast', 'ff00::/8', 6, 'local', 17],
    ]);
    const [defaultRoute, connected, blackhole, pod, remoteBlock, downBlock] = value.routes;
    expect(defaultRoute).toMatchObject({ protocol: 'static', metric: 100, multipath: false });
    expect(gateways(defaultRoute!)).toEqual([['10.12.0.1', 'ens192', 1, []]]);
    expect(connected).toMatchObject({ protocol: 'kernel', scope: 'link', metric: 100 });
    expect(formatIpAddress(connected!.preferredSource!)).toBe('10.12.22.1');
    expect(blackhole).toMatchObject({ protocol: 'bird', metric: 0 });
    expect(pod!.destination.prefix).toBe(32);
    expect(remoteBlock!.flags).toEqual(['onlink']);
    expect(gateways(downBlock!)).toEqual([['10.12.22.3', 'tunl0', 1, ['onlink', 'linkdown']]]);
    const ipv6Default = value.routes[13]!;
    expect(ipv6Default).toMatchObject({ protocol: 'ra', metric: 1024, expiresSeconds: 1792, preference: 'medium' });
    expect(gateways(ipv6Default)).toEqual([['fe80::1', 'ens192', 1, []]]);
  });

  it('reads multipath nexthops, throw and reject routes, tables by name, mtu lock and gateways of the other family', () => {
    const { value, issues } = parseIpRoute(file(POLICY_ROUTES));
    expect(issues).toEqual([]);
    const byLine = new Map(value.routes.map((r) => [r.line, r]));
    const multipath = byLine.get(1)!;
    expect(multipath).toMatchObject({ family: 4, multipath: true, metric: 20, protocol: 'bird', lastLine: 3 });
    expect(gateways(multipath)).toEqual([
      ['10.0.0.2', 'eth0', 1, []],
      ['10.0.1.2', 'eth1', 3, ['dead', 'linkdown']],
    ]);
    expect(multipath.text).toBe('default proto bird metric 20 nexthop via 10.0.0.2 dev eth0 weight 1 nexthop via 10.0.1.2 dev eth1 weight 3 dead linkdown');
    expect(byLine.get(4)).toMatchObject({ type: 'throw', table: '100' });
    expect(byLine.get(5)).toMatchObject({ table: '100', mtu: { value: 1400, locked: true } });
    expect(byLine.get(6)).toMatchObject({ table: 'calico', scope: 'link' });
    expect(byLine.get(7)).toMatchObject({ type: 'unreachable', metric: 5 });
    expect(byLine.get(8)!.type).toBe('prohibit');
    const otherFamily = byLine.get(9)!;
    expect(otherFamily.family).toBe(4);
    expect(gateways(otherFamily)).toEqual([['fe80::1', 'eth1', 1, []]]);
    expect(byLine.get(10)!.nexthopId).toBe(12);
    expect(byLine.get(11)!.tos).toBe('0x10');
    const ipv6Multipath = byLine.get(12)!;
    expect(ipv6Multipath).toMatchObject({ family: 6, multipath: true, metric: 1024, lastLine: 14 });
    expect(gateways(ipv6Multipath)).toEqual([
      ['fd00:1::fe', 'eth0', 2, []],
      ['fe80::1', 'eth1', 1, []],
    ]);
    expect(byLine.get(15)).toMatchObject({ type: 'blackhole', family: 6 });
    // A `default` with neither gateway nor source is IPv6 when only IPv6 prints `pref` / `error`.
    expect(byLine.get(16)).toMatchObject({ type: 'unreachable', family: 6, metric: 4294967295 });
    expect(byLine.get(16)!.destination.text).toBe('::/0');
    expect(byLine.get(17)).toMatchObject({ family: 6, preference: 'high' });
  });

  it('uses the family and table options for `ip -6 route` and `ip route show table N` files', () => {
    const { value } = parseIpRoute(file('default dev wg0 metric 1024\n10.0.0.0/8 dev eth0\n'), { family: 6, table: '254' });
    expect(value.routes.map((r) => [r.family, r.destination.text, r.table])).toEqual([
      [6, '::/0', 'main'],
      [4, '10.0.0.0/8', 'main'],
    ]);
  });

  it('reports hostile lines and unknown attributes with their positions', () => {
    const text = [
      'not-a-prefix via 10.0.0.1',
      '10.0.0.0/33 dev eth0',
      '10.1.0.0/16 via 10.0.0.300 dev eth0',
      '10.2.0.0/16 dev eth0 frobnicate 7',
      '\tnexthop via 10.0.0.2 dev eth0 weight x',
      '10.3.0.0/16 encap mpls 200 via 10.0.0.1 dev eth0',
      '    stray continuation',
      '10.4.0.0/16 dev eth0 metric',
    ].join('\n');
    const { value, issues } = parseIpRoute(file(text));
    expect(issues.map((i) => [i.code, i.line, i.severity ?? 'error'])).toEqual([
      ['BAD_LINE', 1, 'error'],
      ['BAD_LINE', 2, 'error'],
      ['BAD_LINE', 3, 'error'],
      ['UNSUPPORTED_FEATURE', 4, 'warning'],
      ['BAD_LINE', 5, 'error'],
      ['UNSUPPORTED_FEATURE', 6, 'warning'],
      ['BAD_LINE', 7, 'error'],
      ['UNSUPPORTED_FEATURE', 8, 'warning'],
    ]);
    expect(value.routes.map((r) => r.destination.text)).toEqual(['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16']);
  });

  it('reads the shared samples: old double-spaced output, `ip route get` answers with cache lines', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const old = parseIpRoute(sampleSection('ip-s-link-and-route.txt', 2));
    expect(old.issues).toEqual([]);
    expect(old.value.routes.map((r) => [r.destination.text, r.nexthops[0]!.device, r.protocol, r.metric, r.line])).toEqual([
      ['0.0.0.0/0', 'enp0s3', 'static', 100, 26],
      ['192.168.122.0/24', 'virbr0', 'kernel', 0, 27],
      ['192.168.241.0/24', 'enp0s3', 'kernel', 100, 28],
    ]);
    const answers = parseIpRoute(sampleSection('ip-s-link-and-route.txt', 3));
    expect(answers.issues).toEqual([]);
    expect(answers.value.routes.map((r) => [r.destination.text, formatIpAddress(r.nexthops[0]!.gateway!), r.nexthops[0]!.device])).toEqual([
      ['10.110.178.169', '10.0.2.2', 'enp0s3'],
      ['10.10.0.183', '10.10.0.160', 'cilium_host'],
    ]);
    const local = parseIpRoute(sampleSection('ip-s-link-and-route.txt', 4));
    expect(local.issues).toEqual([]);
    expect(local.value.routes[0]).toMatchObject({ type: 'local', table: 'local', line: 35 });
    const docker = parseIpRoute(sampleSection('ip-d-link-vxlan.txt', 3));
    expect(docker.issues).toEqual([]);
    expect(docker.value.routes[0]).toMatchObject({ scope: 'link', protocol: 'kernel' });
  });
});
