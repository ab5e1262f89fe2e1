import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseBirdRoutes, type BirdRoute } from '../../analyzer/cni/parse-bird-routes.js';
import { formatIpAddress } from '../../analyzer/netfilter/ip-cidr.js';

const file = (text: string) => new SourceFile('nodes/node-a/calico/bird-routes.txt', text);
const hops = (route: BirdRoute) => route.nexthops.map((h) => [h.gateway ? formatIpAddress(h.gateway) : undefined, h.device, h.weight]);

/** `birdcl show route` in calico-node (Calico's BIRD 1.6 fork), IPIP mesh of four nodes. */
const BIRD1 = `BIRD v0.3.3+birdv1.6.8 ready.
0.0.0.0/0          via 10.0.0.1 on eth0 [kernel1 2024-03-01] * (10)
10.0.0.0/24        dev eth0 [direct1 2024-03-01] * (240)
192.168.97.0/26    via 10.0.0.12 on eth0 [Mesh_10_0_0_12 2024-03-01] * (100/0) [i]
192.168.135.192/26 via 10.0.0.13 on eth0 [Mesh_10_0_0_13 09:12:45] * (100/0) [i]
                   via 10.0.0.13 on tunl0 [kernel1 09:12:40] (10)
192.168.219.64/26  blackhole [static1 2024-03-01] * (200)
192.168.219.65/32  dev cali7b5a8d2e1f0 [kernel1 2024-03-01] * (10)
192.168.40.0/26    via 10.0.0.14 on eth0 [Mesh_10_0_0_14 09:12:44] (100/-) [i]
10.96.0.0/12       unreachable [static2 2024-03-01] * (200)
172.16.0.0/24      multipath [static3 2024-03-01] * (200)
	via 10.0.0.1 on eth0 weight 1
	via 10.0.0.2 on eth1 weight 2
10.200.0.0/24      via 10.0.0.5 on eth0 [Node_10_0_0_5 09:12:45 from 10.0.0.99] ! (100/0) [AS64513i]
`;

/** BIRD 2 (`show route all` for the BGP route): type on the route line, next hops below. */
const BIRD2 = `BIRD 2.0.12 ready.
Table master4:
0.0.0.0/0            unicast [kernel1 2024-03-01] * (10)
	via 10.0.0.1 on eth0
192.168.97.0/26      unicast [Mesh_10_0_0_12 09:12:45.123] * (100/0) [i]
	via 10.0.0.12 on eth0
	Type: BGP univ
	BGP.origin: IGP
	BGP.as_path: 
	BGP.next_hop: 10.0.0.12
192.168.219.64/26    blackhole [static1 2024-03-01] * (200)

Table master6:
fd00:10:244:1::/64   unicast [Mesh_fd00__12 09:12:45.123] * (100/0) [i]
	via fd00::12 on eth0
`;

describe('parseBirdRoutes', () => {
  it('reads BIRD 1: next hops, selected routes, alternatives, blackhole/unreachable, multipath, BGP info', () => {
    const { value, issues } = parseBirdRoutes(file(BIRD1));
    expect(issues).toEqual([]);
    expect(value.version).toBe('v0.3.3+birdv1.6.8');
    expect(value.routes.map((r) => [r.prefix?.text, r.kind, r.protocol, r.primary, r.preference, r.line])).toEqual([
      ['0.0.0.0/0', 'router', 'kernel1', true, 10, 2],
      ['10.0.0.0/24', 'device', 'direct1', true, 240, 3],
      ['192.168.97.0/26', 'router', 'Mesh_10_0_0_12', true, 100, 4],
      ['192.168.135.192/26', 'router', 'Mesh_10_0_0_13', true, 100, 5],
      ['192.168.135.192/26', 'router', 'kernel1', false, 10, 6],
      ['192.168.219.64/26', 'blackhole', 'static1', true, 200, 7],
      ['192.168.219.65/32', 'device', 'kernel1', true, 10, 8],
      ['192.168.40.0/26', 'router', 'Mesh_10_0_0_14', false, 100, 9],
      ['10.96.0.0/12', 'unreachable', 'static2', true, 200, 10],
      ['172.16.0.0/24', 'multipath', 'static3', true, 200, 11],
      ['10.200.0.0/24', 'router', 'Node_10_0_0_5', true, 100, 14],
    ]);
    const [, direct, mesh, , alternative, blackhole, workload, unresolved, , multipath, peer] = value.routes as BirdRoute[];
    expect(hops(direct!)).toEqual([[undefined, 'eth0', undefined]]);
    expect(hops(mesh!)).toEqual([['10.0.0.12', 'eth0', undefined]]);
    expect(mesh).toMatchObject({ since: '2024-03-01', igpMetric: 0, origin: 'i' });
    expect(hops(alternative!)).toEqual([['10.0.0.13', 'tunl0', undefined]]);
    expect(blackhole!.nexthops).toEqual([]);
    expect(hops(workload!)).toEqual([[undefined, 'cali7b5a8d2e1f0', undefined]]);
    // A `-` metric: BIRD cannot resolve the next hop, the route is not selected.
    expect(unresolved).toMatchObject({ igpMetric: '-', primary: false });
    expect(multipath!.nexthops.map((h) => [formatIpAddress(h.gateway!), h.device, h.weight, h.line])).toEqual([
      ['10.0.0.1', 'eth0', 1, 12],
      ['10.0.0.2', 'eth1', 2, 13],
    ]);
    expect(peer).toMatchObject({ from: '10.0.0.99', since: '09:12:45', primary: true, syncError: true, originAs: 64513, origin: 'i' });
  });

  it('reads BIRD 2: tables, next hops on their own lines, route attributes', () => {
    const { value, issues } = parseBirdRoutes(file(BIRD2));
    expect(issues).toEqual([]);
    expect(value.version).toBe('2.0.12');
    expect(value.routes.map((r) => [r.table, r.prefixText, r.kind, hops(r), r.line])).toEqual([
      ['master4', '0.0.0.0/0', 'unicast', [['10.0.0.1', 'eth0', undefined]], 3],
      ['master4', '192.168.97.0/26', 'unicast', [['10.0.0.12', 'eth0', undefined]], 5],
      ['master4', '192.168.219.64/26', 'blackhole', [], 11],
      ['master6', 'fd00:10:244:1::/64', 'unicast', [['fd00::12', 'eth0', undefined]], 14],
    ]);
    expect(value.routes[1]!.since).toBe('09:12:45.123');
    expect({ ...value.routes[1]!.attributes }).toEqual({ Type: 'BGP univ', 'BGP.origin': 'IGP', 'BGP.as_path': '', 'BGP.next_hop': '10.0.0.12' });
    expect(value.routes[3]!.prefix?.family).toBe(6);
  });

  it('reports what is not a route at its line and keeps going', () => {
    const text = `bird> show route
	via 10.0.0.9 on eth0
                   via 10.0.0.13 on eth0 [kernel1 09:12:40] (10)
192.168.97.0/26    via 10.0.0.12 on eth0 [Mesh_10_0_0_12 2024-03-01
192.168.98.0/26    via 10.0.0.12 on eth0 [Mesh_10_0_0_12 2024-03-01] * (100/0) [i]
	nexthop somewhere
Network not in table
999.0.0.0/8        dev eth0 [direct1 2024-03-01] * (240)
`;
    const { value, issues } = parseBirdRoutes(file(text));
    expect(value.routes.map((r) => [r.prefixText, r.line])).toEqual([
      ['192.168.98.0/26', 5],
      ['999.0.0.0/8', 8],
    ]);
    expect(value.routes[1]!.prefix).toBeUndefined();
    expect(issues.map((i) => [i.line, i.severity ?? 'error'])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
      [4, 'error'],
      [6, 'error'],
      [7, 'error'],
      [8, 'warning'],
    ]);
    for (const hostile of ['\t', '[', '0/0 [', '1.2.3.4/32 via', '\t\t\tvia', 'Table :\n\tvia 1.1.1.1 on x']) {
      expect(() => parseBirdRoutes(file(hostile))).not.toThrow();
    }
  });
});
