import brNetfilterDisabled from '../../rules/br-netfilter-disabled.js';
import { lineOf } from '../helpers/node-dumps.js';
import { caliVeth, eth0, ipAddr, ipLink, lo, sysctl, threeNodeCluster, type IfaceSpec } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();

/** flannel's node: the cni0 bridge with two pod veths enslaved to it. */
const bridged: IfaceSpec[] = [
  lo,
  eth0('10.0.1.12'),
  {
    index: 4,
    name: 'cni0',
    mtu: 1450,
    link: 'link/ether f2:47:cc:6b:30:18 brd ff:ff:ff:ff:ff:ff',
    details: ['bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 vlan_protocol 802.1Q nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0'],
    addresses: ['inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0'],
  },
  { index: 5, name: 'vethbf5b10c4', peer: 'if3', mtu: 1450, master: 'cni0', link: 'link/ether 72:62:fa:5a:91:f7 brd ff:ff:ff:ff:ff:ff link-netns cni-872d572d-49f0-076f-97f9-b6b60e374130', details: ['veth', 'bridge_slave state forwarding priority 32 cost 2 hairpin on guard off root_block off fastleave off learning on flood on'] },
  { index: 6, name: 'veth8d434531', peer: 'if3', mtu: 1450, master: 'cni0', link: 'link/ether d2:cb:72:dd:36:c6 brd ff:ff:ff:ff:ff:ff link-netns cni-524fe6be-b971-dcba-1962-4ecc5f80d9e6', details: ['veth', 'bridge_slave state forwarding priority 32 cost 2 hairpin on guard off root_block off fastleave off learning on flood on'] },
];
const bridgedLink = ipLink(bridged);

/** A containerd node with a leftover docker0 and no container on it, and Calico's routed veths. */
const routed: IfaceSpec[] = [
  lo,
  eth0('10.0.1.12'),
  { index: 3, name: 'docker0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, state: 'DOWN', details: ['bridge forward_delay 1500 hello_time 200 max_age 2000 stp_state 0'], addresses: ['inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0'] },
  caliVeth(5, 'cali2f58e6b8347'),
];

ruleTester(brNetfilterDisabled, {
  valid: [
    { name: 'pods on cni0 with bridge-nf-call-iptables = 1', files: { ...cluster, 'nodes/node-b/sysctl.txt': sysctl(), 'nodes/node-b/ip-link.txt': bridgedLink } },
    {
      name: 'br_netfilter not loaded, but Calico routes its veths and docker0 bridges nothing',
      files: { ...cluster, 'nodes/node-b/sysctl.txt': sysctl({ 'net.bridge.bridge-nf-call-iptables': 'missing', 'net.bridge.bridge-nf-call-ip6tables': 'missing' }), 'nodes/node-b/ip-addr.txt': ipAddr(routed) },
    },
    { name: 'no interface listing collected', files: { ...cluster, 'nodes/node-b/sysctl.txt': sysctl({ 'net.bridge.bridge-nf-call-iptables': '0' }) }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'bridge-nf-call-iptables = 0 with pods on cni0',
      files: { ...cluster, 'nodes/node-b/sysctl.txt': sysctl({ 'net.bridge.bridge-nf-call-iptables': '0' }), 'nodes/node-b/ip-link.txt': bridgedLink },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/sysctl.txt', line: 4 },
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(bridgedLink, '4: cni0:') },
            { file: 'nodes/node-b/ip-link.txt', line: lineOf(bridgedLink, '5: vethbf5b10c4@if3:') },
          ],
          severity: 'critical',
          titleMatch: /^Bridged pod traffic bypasses iptables on node-b: net\.bridge\.bridge-nf-call-iptables = 0$/,
          messageMatch: /cni0 \(2 ports: vethbf5b10c4, veth8d434531\) bridges pods: .*without the reverse DNAT/,
        },
      ],
    },
    {
      name: 'br_netfilter not loaded ("cannot stat") with pods on cni0, read from ip-addr.txt',
      files: { ...cluster, 'nodes/node-b/sysctl.txt': sysctl({ 'net.bridge.bridge-nf-call-iptables': 'missing', 'net.bridge.bridge-nf-call-ip6tables': 'missing' }), 'nodes/node-b/ip-addr.txt': ipAddr(bridged) },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/sysctl.txt', line: 4 },
            { file: 'nodes/node-b/ip-addr.txt', line: lineOf(ipAddr(bridged), '4: cni0:') },
            { file: 'nodes/node-b/ip-addr.txt', line: lineOf(ipAddr(bridged), '5: vethbf5b10c4@if3:') },
          ],
          titleMatch: /br_netfilter not loaded$/,
          messageMatch: /does not exist \(the br_netfilter module is not loaded\)/,
        },
      ],
    },
  ],
});
