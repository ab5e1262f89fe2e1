import mtuMismatch from '../../rules/mtu-mismatch.js';
import { kubectlList } from '../helpers/kube-objects.js';
import { lineOf } from '../helpers/node-dumps.js';
import { calicoNode, caliVeth, eth0, flannelAnnotations, flannelDaemonSet, ipLink, lo, threeNodeCluster, type IfaceSpec } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const flannel = { ...threeNodeCluster({ annotations: flannelAnnotations }), 'cluster/daemonsets.json': kubectlList([flannelDaemonSet]) };
const calico = { ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([calicoNode()]) };

const vxlan = (name: string, mtu: number, kind = 'vxlan id 1 local 10.0.1.12 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300'): IfaceSpec => ({ index: 3, name, mtu, state: 'UNKNOWN', link: 'link/ether 8e:23:05:4d:c8:af brd ff:ff:ff:ff:ff:ff', details: [kind] });
const veth = (index: number, name: string, mtu: number): IfaceSpec => ({ index, name, peer: 'if3', mtu, master: 'cni0', link: 'link/ether 72:62:fa:5a:91:f7 brd ff:ff:ff:ff:ff:ff link-netns cni-872d572d-49f0-076f-97f9-b6b60e374130', details: ['veth'] });
const flannelNode = (underlay: number, tunnel: number, pods: number) => ipLink([lo, eth0('10.0.1.12', { mtu: underlay }), vxlan('flannel.1', tunnel), veth(5, 'vethbf5b10c4', pods), veth(6, 'veth8d434531', pods)]);
const blackHole = flannelNode(1500, 1500, 1500);
const tunl0: IfaceSpec = { index: 4, name: 'tunl0', peer: 'NONE', flags: ['NOARP', 'UP', 'LOWER_UP'], mtu: 1480, state: 'UNKNOWN', link: 'link/ipip 0.0.0.0 brd 0.0.0.0', details: ['ipip any remote any local any ttl inherit nopmtudisc'] };
const ipipPodsTooWide = ipLink([lo, eth0('10.0.1.12'), tunl0, caliVeth(5, 'cali2f58e6b8347', 1500)]);
const jumboPods = ipLink([lo, eth0('10.0.1.12'), caliVeth(5, 'cali2f58e6b8347', 9000)]);
const wireguard: IfaceSpec = { index: 7, name: 'wireguard.cali', flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], mtu: 1440, state: 'UNKNOWN', link: 'link/none ', details: ['wireguard'] };
const wireguardOverSmallUplink = ipLink([lo, eth0('10.0.1.12', { mtu: 1450 }), wireguard, caliVeth(5, 'cali2f58e6b8347', 1390)]);

ruleTester(mtuMismatch, {
  valid: [
    { name: 'flannel.1 at 1450 over a 1500 underlay', files: { ...flannel, 'nodes/node-b/ip-link.txt': flannelNode(1500, 1450, 1450) } },
    { name: 'flannel.1 at 1500 over a 9001 underlay (wasteful, not broken)', files: { ...flannel, 'nodes/node-b/ip-link.txt': flannelNode(9001, 1500, 1500) } },
    { name: 'Cilium keeps cilium_vxlan and lxc at 1500 and puts the overhead in pod routes', files: { ...threeNodeCluster(), 'nodes/node-b/ip-link.txt': ipLink([lo, eth0('10.0.1.12'), vxlan('cilium_vxlan', 1500, 'vxlan external id 0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300')]) } },
    { name: 'no interface listing collected', files: flannel, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'flannel.1 and the pods at 1500 over a 1500 underlay',
      files: { ...flannel, 'nodes/node-b/ip-link.txt': blackHole },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(blackHole, '3: flannel.1:') },
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(blackHole, '2: eth0:') },
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(blackHole, '5: vethbf5b10c4@if3:') },
          ],
          severity: 'critical',
          titleMatch: /^MTU black hole on node-b: 1550-byte packets needed, 1450 get through$/,
          messageMatch: /VXLAN adds 50 bytes, so the largest packet that gets through to other nodes is 1450 bytes, while flannel\.1 accepts packets of up to 1500 bytes, which need 1550 bytes on eth0; 2 pods \(mtu 1500 on vethbf5b10c4, veth8d434531\) send packets that large too/,
        },
      ],
    },
    {
      name: 'tunl0 is right, the Calico pods are not',
      files: { ...calico, 'nodes/node-b/ip-link.txt': ipipPodsTooWide },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(ipipPodsTooWide, 'cali2f58e6b8347@if3') },
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(ipipPodsTooWide, '4: tunl0@NONE') },
          ],
          severity: 'warning',
          messageMatch: /the pod on cali2f58e6b8347 \(mtu 1500\) sends packets of up to 1500 bytes into tunl0 \(mtu 1480\): .*the pods' MTU should be 1480/,
        },
      ],
    },
    {
      name: 'jumbo-frame pods on a 1500 underlay without an overlay',
      files: { ...threeNodeCluster(), 'nodes/node-b/ip-link.txt': jumboPods },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(jumboPods, 'cali2f58e6b8347@if3') },
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(jumboPods, '2: eth0:') },
          ],
          severity: 'warning',
        },
      ],
    },
    {
      name: 'WireGuard (60 bytes) at 1440 over a 1450 uplink',
      files: { ...calico, 'nodes/node-b/ip-link.txt': wireguardOverSmallUplink },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(wireguardOverSmallUplink, '7: wireguard.cali:') },
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(wireguardOverSmallUplink, '2: eth0:') },
          ],
          severity: 'critical',
          titleMatch: /1500-byte packets needed, 1390 get through/,
        },
      ],
    },
  ],
});
