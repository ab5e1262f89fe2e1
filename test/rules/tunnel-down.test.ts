import tunnelDown from '../../rules/tunnel-down.js';
import { findLine, kubectlList } from '../helpers/kube-objects.js';
import { lineOf } from '../helpers/node-dumps.js';
import { calicoNode, caliVeth, eth0, flannelAnnotations, flannelDaemonSet, ipAddr, ipLink, lo, threeNodeCluster, type IfaceSpec } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const pools = (ipipMode: string) =>
  `${JSON.stringify(
    {
      kind: 'IPPoolList',
      apiVersion: 'projectcalico.org/v3',
      metadata: { resourceVersion: '52307' },
      items: [{ kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: { name: 'default-ipv4-ippool' }, spec: { cidr: '10.244.0.0/16', vxlanMode: 'Never', ipipMode, natOutgoing: true, blockSize: 26, nodeSelector: 'all()' } }],
    },
    null,
    2,
  )}\n`;
const calico = (ipipMode: string) => ({ ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([calicoNode()]), 'cluster/calico/ippools.json': pools(ipipMode) });
const ipipModeLine = findLine(pools('Always'), '"ipipMode"');

const tunl0 = (up: boolean): IfaceSpec => ({
  index: 4,
  name: 'tunl0',
  peer: 'NONE',
  flags: up ? ['NOARP', 'UP', 'LOWER_UP'] : ['NOARP'],
  mtu: 1480,
  state: up ? 'UNKNOWN' : 'DOWN',
  link: 'link/ipip 0.0.0.0 brd 0.0.0.0',
  details: ['ipip any remote any local any ttl inherit nopmtudisc'],
  addresses: ['inet 10.244.1.1/32 scope global tunl0'],
});
const calicoNodeB = (tunnel: IfaceSpec | undefined) => ipLink([lo, eth0('10.0.1.12'), ...(tunnel ? [tunnel] : []), caliVeth(5, 'cali2f58e6b8347', 1480)]);
const down = calicoNodeB(tunl0(false));

const flannel = { ...threeNodeCluster({ annotations: flannelAnnotations }), 'cluster/daemonsets.json': kubectlList([flannelDaemonSet]) };
/** node-a's annotation (the first node): the expectation cites the first node that carries it. */
const backendLine = () => findLine(flannel['cluster/nodes.json']!, '"flannel.alpha.coreos.com/backend-type"');
const flannelDevice = (local: string): IfaceSpec => ({
  index: 3,
  name: 'flannel.1',
  mtu: 1450,
  state: 'UNKNOWN',
  link: 'link/ether 8e:23:05:4d:c8:af brd ff:ff:ff:ff:ff:ff',
  details: [`vxlan id 1 local ${local} dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx`],
  addresses: ['inet 10.244.1.0/32 scope global flannel.1'],
});
const withoutFlannel = ipAddr([lo, eth0('10.0.1.12')]);
const staleLocal = ipAddr([lo, eth0('10.0.1.12'), flannelDevice('10.0.9.12')]);

ruleTester(tunnelDown, {
  valid: [
    { name: 'Calico IP-in-IP with tunl0 up', files: { ...calico('Always'), 'nodes/node-b/ip-link.txt': calicoNodeB(tunl0(true)) } },
    { name: 'Calico BGP without encapsulation needs no tunl0', files: { ...calico('Never'), 'nodes/node-b/ip-link.txt': calicoNodeB(undefined) } },
    { name: 'flannel.1 up with the node address as its local end', files: { ...flannel, 'nodes/node-b/ip-addr.txt': ipAddr([lo, eth0('10.0.1.12'), flannelDevice('10.0.1.12')]) } },
    { name: 'no interface listing collected', files: calico('Always'), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'tunl0 administratively down under an IP-in-IP pool',
      files: { ...calico('Always'), 'nodes/node-b/ip-link.txt': down },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(down, '4: tunl0@NONE:') },
            { file: 'cluster/calico/ippools.json', line: ipipModeLine },
          ],
          severity: 'critical',
          titleMatch: /^tunl0 is down on node-b$/,
          messageMatch: /tunl0 is administratively down \(no UP flag: <NOARP>\); Calico needs it: IPPool default-ipv4-ippool \(10\.244\.0\.0\/16\) has ipipMode Always/,
        },
      ],
    },
    {
      name: 'tunl0 missing under a CrossSubnet pool: a warning',
      files: { ...calico('CrossSubnet'), 'nodes/node-b/ip-link.txt': calicoNodeB(undefined) },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-link.txt', line: 1 },
            { file: 'cluster/calico/ippools.json', line: ipipModeLine },
          ],
          severity: 'warning',
          titleMatch: /^tunl0 is missing on node-b$/,
        },
      ],
    },
    {
      name: "flannel's vxlan backend without flannel.1",
      files: { ...flannel, 'nodes/node-b/ip-addr.txt': withoutFlannel },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-addr.txt', line: 1 },
            { file: 'cluster/nodes.json', line: backendLine() },
          ],
          severity: 'critical',
          messageMatch: /node-b has no flannel\.1 device \(VXLAN\); flannel needs it: flannel's vxlan backend.*no route through a device that is missing/,
        },
      ],
    },
    {
      name: 'flannel.1 still encapsulating from the old node address',
      files: { ...flannel, 'nodes/node-b/ip-addr.txt': staleLocal },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-addr.txt', line: lineOf(staleLocal, 'vxlan id 1 local 10.0.9.12') },
            { file: 'nodes/node-b/ip-addr.txt', line: lineOf(staleLocal, '3: flannel.1:') },
            { file: 'cluster/nodes.json', line: backendLine() },
          ],
          titleMatch: /^flannel\.1 is misconfigured on node-b$/,
          messageMatch: /local 10\.0\.9\.12, which is no address of node-b/,
        },
      ],
    },
  ],
});
