import { describe, expect, it } from 'vitest';
import routeMissing from '../../rules/route-missing.js';
import tunnelDown from '../../rules/tunnel-down.js';
import { findLine, kubectlList, node } from '../helpers/kube-objects.js';
import { lineOf } from '../helpers/node-dumps.js';
import { daemonSet, eth0, flannelAnnotations, flannelDaemonSet, ipAddr, lo, threeNodeCluster, type IfaceSpec } from '../helpers/node-network.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
const nodesText = cluster['cluster/nodes.json']!;
const podCidrLine = (name: string, text = nodesText) => findLine(text, `"name": "${name}"`, '"podCIDRs": [', '"');

/** node-b's main table with Calico BGP routes; `remove` drops the lines containing it. */
const bgpRoutes = (remove?: string) =>
  `default via 10.0.1.1 dev eth0 proto static
10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.12
10.244.0.0/24 via 10.0.1.11 dev eth0 proto bird
blackhole 10.244.1.0/24 proto bird
10.244.1.6 dev cali2f58e6b8347 scope link
10.244.2.0/24 via 10.0.1.13 dev eth0 proto bird
local 10.0.1.12 dev eth0 table local proto kernel scope host src 10.0.1.12
broadcast 10.0.1.255 dev eth0 table local proto kernel scope link src 10.0.1.12
`
    .split('\n')
    .filter((l) => remove === undefined || !l.includes(remove))
    .join('\n');

const withoutNodeC = bgpRoutes('10.244.2.0/24');
const awsNodes = kubectlList([
  node({ name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.0.0/24', providerID: 'aws:///eu-west-1a/i-0a1b2c3d4e5f60718' }),
  node({ name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.1.0/24', providerID: 'aws:///eu-west-1a/i-0f9e8d7c6b5a43210' }),
  node({ name: 'node-c', ip: '10.0.1.13', podCIDR: '10.244.2.0/24', providerID: 'aws:///eu-west-1b/i-0123456789abcdef0' }),
]);
const wrongNode = bgpRoutes().replace('10.244.2.0/24 via 10.0.1.13', '10.244.2.0/24 via 10.0.1.11');
const noDefault = bgpRoutes('default').split('\n').filter((l) => !l.includes('10.244.2.0/24')).join('\n');

/** flannel on node-b: flannel.1 is gone, and with it every route through it. */
const flannelCluster = { ...threeNodeCluster({ annotations: flannelAnnotations }), 'cluster/daemonsets.json': kubectlList([flannelDaemonSet]) };
const flannelInterfaces: IfaceSpec[] = [lo, eth0('10.0.1.12'), { index: 4, name: 'cni0', mtu: 1450, details: ['bridge forward_delay 1500 hello_time 200 max_age 2000 stp_state 0'], addresses: ['inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0'] }];
const flannelRoutes = `default via 10.0.1.1 dev eth0 proto static
10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.12
10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1
`;
const flannelFiles = { ...flannelCluster, 'nodes/node-b/ip-route.txt': flannelRoutes, 'nodes/node-b/ip-addr.txt': ipAddr(flannelInterfaces) };

ruleTester(routeMissing, {
  valid: [
    { name: 'BGP routes to both other nodes', files: { ...cluster, 'nodes/node-b/ip-route.txt': bgpRoutes() } },
    { name: 'only the default route, on AWS (the route table carries the podCIDRs)', files: { 'cluster/nodes.json': awsNodes, 'nodes/node-b/ip-route.txt': bgpRoutes('proto bird') } },
    {
      name: 'the AWS VPC CNI: pod addresses are VPC addresses',
      files: { ...cluster, 'cluster/daemonsets.json': kubectlList([daemonSet({ namespace: 'kube-system', name: 'aws-node', containers: [{ name: 'aws-node', image: 'amazon-k8s-cni:v1.18.2' }] })]), 'nodes/node-b/ip-route.txt': bgpRoutes('proto bird') },
    },
    { name: 'no ip-route.txt collected', files: cluster, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: "on bare metal, node-c's podCIDR only matches the default route",
      files: { ...cluster, 'nodes/node-b/ip-route.txt': withoutNodeC },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-route.txt', line: lineOf(withoutNodeC, 'default via') },
            { file: 'cluster/nodes.json', line: podCidrLine('node-c') },
          ],
          severity: 'warning',
          titleMatch: /^node-b reaches the pods of node-c only through its default route$/,
          messageMatch: /node-c's podCIDR 10\.244\.2\.0\/24: falls back to the default route via 10\.0\.1\.1 dev eth0, which cannot know pod CIDRs unless the cloud route table has them/,
        },
      ],
    },
    {
      name: 'no route at all',
      files: { ...cluster, 'nodes/node-b/ip-route.txt': noDefault },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [{ file: 'cluster/nodes.json', line: podCidrLine('node-c') }],
          severity: 'critical',
          messageMatch: /no route in any table covers 10\.244\.2\.1 \(ip route get: Network is unreachable\)/,
        },
      ],
    },
    {
      name: "node-c's podCIDR routed to node-a",
      files: { ...cluster, 'nodes/node-b/ip-route.txt': wrongNode },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-route.txt', line: lineOf(wrongNode, '10.244.2.0/24 via 10.0.1.11') },
            { file: 'cluster/nodes.json', line: podCidrLine('node-c') },
          ],
          severity: 'critical',
          messageMatch: /routed via 10\.0\.1\.11, which is node-a's address, not node-c's/,
        },
      ],
    },
    {
      name: 'flannel.1 gone: both other podCIDRs fall to the default route instead of the tunnel',
      files: flannelFiles,
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-route.txt', line: 1 },
            { file: 'cluster/nodes.json', line: podCidrLine('node-a', flannelCluster['cluster/nodes.json']) },
            { file: 'nodes/node-b/ip-route.txt', line: 1 },
            { file: 'cluster/nodes.json', line: podCidrLine('node-c', flannelCluster['cluster/nodes.json']) },
          ],
          severity: 'critical',
          messageMatch: /only the default route \(via 10\.0\.1\.1 dev eth0\) matches, not flannel\.1.*flannel\.1 is missing on node-b/,
        },
      ],
    },
  ],
});

describe('route-missing and tunnel-down together', () => {
  it('links the missing routes to the missing tunnel of the same node', () => {
    const run = runOnFiles([routeMissing, tunnelDown], flannelFiles);
    const tunnel = run.findings.find((f) => f.rule === 'tunnel-down');
    const route = run.findings.find((f) => f.rule === 'route-missing');
    expect(tunnel?.subjects).toEqual(['Node/node-b']);
    expect(route?.causedBy).toEqual([tunnel!.id]);
    expect(tunnel?.rootCause).toBe(true);
    expect(route?.rootCause).toBe(false);
  });
});
