import rpFilterStrict from '../../rules/rp-filter-strict.js';
import { lineOf } from '../helpers/node-dumps.js';
import { caliVeth, eth0, ipAddr, IP_RULES, lo, sysctl, threeNodeCluster, type IfaceSpec } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
const eth1 = (ip: string): IfaceSpec => ({ index: 3, name: 'eth1', mtu: 1500, qdisc: 'fq_codel', link: 'link/ether 52:54:00:9a:21:7c brd ff:ff:ff:ff:ff:ff', addresses: [`inet ${ip}/24 brd 10.0.2.255 scope global eth1`] });

/** node-b: two uplinks, Calico BGP routes learned on eth0, and its pod 10.244.1.6 on a cali veth. */
const nodeBAddr = ipAddr([lo, eth0('10.0.1.12'), eth1('10.0.2.12'), caliVeth(5, 'cali2f58e6b8347')]);
const nodeBRoutes = `default via 10.0.1.1 dev eth0 proto static
10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.12
10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.12
10.244.0.0/24 via 10.0.1.11 dev eth0 proto bird
blackhole 10.244.1.0/24 proto bird
10.244.1.6 dev cali2f58e6b8347 scope link
10.244.2.0/24 via 10.0.1.13 dev eth0 proto bird
local 10.0.1.12 dev eth0 table local proto kernel scope host src 10.0.1.12
local 10.0.2.12 dev eth1 table local proto kernel scope host src 10.0.2.12
`;
/** node-c sends to node-b's pods over the storage network, to node-b's eth1 address. */
const nodeCRoutes = (via: string) => `default via 10.0.1.1 dev eth0 proto static
10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.13
10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.13
10.244.0.0/24 via 10.0.1.11 dev eth0 proto bird
10.244.1.0/24 ${via} proto bird
blackhole 10.244.2.0/24 proto bird
`;
const nodeCAddr = ipAddr([lo, eth0('10.0.1.13'), eth1('10.0.2.13')]);
const asymmetric = nodeCRoutes('via 10.0.2.12 dev eth1');
const strict = sysctl({ 'net.ipv4.conf.all.rp_filter': '1', 'net.ipv4.conf.default.rp_filter': '1' });

const files = (nodeB: string, nodeC: string, extra: Record<string, string> = {}) => ({
  ...cluster,
  'nodes/node-b/sysctl.txt': nodeB,
  'nodes/node-b/ip-route.txt': nodeBRoutes,
  'nodes/node-b/ip-addr.txt': nodeBAddr,
  'nodes/node-b/ip-rule.txt': IP_RULES,
  'nodes/node-c/ip-route.txt': nodeC,
  'nodes/node-c/ip-addr.txt': nodeCAddr,
  ...extra,
});

ruleTester(rpFilterStrict, {
  valid: [
    { name: 'asymmetric routes with loose rp_filter (2)', files: files(sysctl(), asymmetric) },
    { name: 'strict rp_filter with symmetric routes (node-c sends over eth0)', files: files(strict, nodeCRoutes('via 10.0.1.12 dev eth0')) },
    {
      name: 'all = 1 but the arrival device was created loose (default = 2): the kernel takes the larger',
      files: files(sysctl({ 'net.ipv4.conf.all.rp_filter': '1' }), asymmetric),
    },
    { name: 'no ip-route.txt collected', files: { ...cluster, 'nodes/node-b/sysctl.txt': strict }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'strict rp_filter on node-b; node-c sends to its pods over eth1, node-b answers over eth0',
      files: files(strict, asymmetric),
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/sysctl.txt', line: 2 },
            { file: 'nodes/node-b/sysctl.txt', line: 3 },
            { file: 'nodes/node-b/ip-route.txt', line: lineOf(nodeBRoutes, '10.244.2.0/24 via 10.0.1.13') },
            { file: 'nodes/node-c/ip-route.txt', line: lineOf(asymmetric, '10.244.1.0/24 via 10.0.2.12') },
          ],
          severity: 'critical',
          titleMatch: /^Strict rp_filter on node-b drops pod traffic from node-c$/,
          messageMatch: /from node-c's pods \(10\.244\.2\.7\) arriving on eth1 are dropped as spoofed\. node-c sends them via 10\.0\.2\.12, node-b's address on eth1; rp_filter strict on eth1: the route back to 10\.244\.2\.7 leaves through eth0 \(10\.244\.2\.0\/24 via 10\.0\.1\.13 dev eth0 proto bird\)\. Pods on node-b never see those packets, so connections from pods of 1 node time out\.$/,
        },
      ],
    },
    {
      name: 'all = 0 but default = 1: eth1, created after boot, got strict filtering from default',
      files: files(sysctl({ 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.default.rp_filter': '1' }), asymmetric),
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/sysctl.txt', line: 3 },
            { file: 'nodes/node-b/ip-route.txt', line: lineOf(nodeBRoutes, '10.244.2.0/24 via 10.0.1.13') },
            { file: 'nodes/node-c/ip-route.txt', line: lineOf(asymmetric, '10.244.1.0/24 via 10.0.2.12') },
          ],
          messageMatch: /; eth1 has no rp_filter of its own in sysctl\.txt, so it was taken as net\.ipv4\.conf\.default\.rp_filter, which a device gets when it is created\.$/,
        },
      ],
    },
    {
      name: 'strict on eth1 only; node-c’s routes not collected, so its packets are taken to arrive on the interface of its subnet',
      files: {
        ...cluster,
        'nodes/node-b/sysctl.txt': sysctl({ 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.default.rp_filter': '0', 'net.ipv4.conf.eth1.rp_filter': '1' }),
        'nodes/node-b/ip-route.txt': nodeBRoutes.replace('10.244.2.0/24 via 10.0.1.13 dev eth0', '10.244.2.0/24 via 10.0.1.1 dev eth0'),
        'nodes/node-b/ip-addr.txt': nodeBAddr,
        'cluster/nodes.json': threeNodeCluster()['cluster/nodes.json']!.replace('"address": "10.0.1.13"', '"address": "10.0.2.13"'),
      },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/sysctl.txt', line: 11 },
            { file: 'nodes/node-b/ip-route.txt', line: lineOf(nodeBRoutes, '10.244.2.0/24 via') },
          ],
          messageMatch: /node-c \(10\.0\.2\.13\) is on the subnet of node-b's eth1, where its packets arrive/,
        },
      ],
    },
  ],
});
