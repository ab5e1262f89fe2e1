/**
 * The per-node facet: both interface listings joined by name, the routing state lookupRoute
 * reads, sysctl evidence (missing keys included), and parse problems reported once per file.
 */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { nodeDataplanes } from '../../analyzer/kubeproxy/node-dataplane.js';
import { nodeRoutings } from '../../analyzer/routing/node-routing.js';
import { lookupRoute } from '../../analyzer/routing/route-lookup.js';
import { caliVeth, eth0, ipAddr, ipLink, lo, sysctl } from '../helpers/node-network.js';

const files = {
  'nodes/node-a/ip-addr.txt': ipAddr([lo, eth0('10.0.1.11'), caliVeth(5, 'cali2f58e6b8347')]),
  'nodes/node-a/ip-link.txt': ipLink([lo, eth0('10.0.1.11', { rx: { bytes: 1000, packets: 10, errors: 2 } }), caliVeth(5, 'cali2f58e6b8347'), { index: 9, name: 'kube-ipvs0', mtu: 1500, flags: ['BROADCAST', 'NOARP'], state: 'DOWN', details: ['dummy'] }]),
  'nodes/node-a/ip-route.txt': 'default via 10.0.1.1 dev eth0 proto static\n10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.11\n',
  'nodes/node-a/sysctl.txt': sysctl({ 'net.bridge.bridge-nf-call-iptables': 'missing' }),
  'nodes/node-b/netstat-s.txt': 'Tcp:\n    100 segments sent out\n',
};

describe('nodeRoutings', () => {
  it('joins ip-addr.txt and ip-link.txt by name, in the kernel order, with the routing state', () => {
    const model = buildModel(bundleFromFiles(files, 'test.tgz'));
    const routings = nodeRoutings(model);
    expect(routings.nodes.map((n) => n.node)).toEqual(['node-a', 'node-b']);
    const nodeA = routings.node('node-a')!;
    expect(nodeA.interfaces.map((i) => [i.name, i.addr !== undefined, i.link !== undefined])).toEqual([
      ['lo', true, true],
      ['eth0', true, true],
      ['cali2f58e6b8347', true, true],
      ['kube-ipvs0', false, true],
    ]);
    expect(nodeA.interface('eth0')!.view.addresses[0]!.text).toBe('10.0.1.11');
    expect(nodeA.interface('eth0')!.link!.statistics!.rx.errors).toBe(2);
    expect(nodeA.interfaceEvidence('kube-ipvs0')).toMatchObject({ file: 'nodes/node-a/ip-link.txt', text: expect.stringMatching(/^9: kube-ipvs0:/) });
    expect(lookupRoute(nodeA.routing!, { dst: '192.0.2.1' })).toMatchObject({ type: 'unicast', device: 'eth0', source: { family: 4, value: 0x0a00010b } });
    expect(routings.node('node-b')!.routing).toBeUndefined();
  });

  it('cites sysctl lines, including the `cannot stat` line of a key the kernel lacks', () => {
    const nodeA = nodeRoutings(buildModel(bundleFromFiles(files, 'test.tgz'))).node('node-a')!;
    expect(nodeA.sysctlValue('net.ipv4.ip_forward')).toMatchObject({ value: '1', line: 1 });
    expect(nodeA.sysctlValue('net.bridge.bridge-nf-call-iptables')).toBeUndefined();
    expect(nodeA.sysctlEvidence('net.bridge.bridge-nf-call-iptables')).toMatchObject({ line: 4, text: 'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory' });
  });

  it('reports a file’s parse problems once, whichever facet read it first', () => {
    const broken = { ...files, 'nodes/node-a/ip-addr.txt': `${files['nodes/node-a/ip-addr.txt']}    inet 10.0.1.300/24 scope global eth0\n` };
    const model = buildModel(bundleFromFiles(broken, 'test.tgz'));
    nodeDataplanes(model);
    const before = model.parseIssues.filter((i) => i.file === 'nodes/node-a/ip-addr.txt').length;
    expect(before).toBeGreaterThan(0);
    nodeRoutings(model);
    expect(model.parseIssues.filter((i) => i.file === 'nodes/node-a/ip-addr.txt').length).toBe(before);
  });
});
