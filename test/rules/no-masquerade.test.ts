import noMasquerade from '../../rules/no-masquerade.js';
import { kubectlList } from '../helpers/kube-objects.js';
import { lineOf } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { clusterFiles, ipAddr, nodeDump } from '../helpers/two-node-cluster.js';

const kubeProxyOnly = nodeDump('node-b');
// flannel's masquerade rules (--ip-masq), for the cluster's pod CIDR.
const flannel = nodeDump('node-b', {
  table: 'nat',
  declare: ['FLANNEL-POSTRTG'],
  rules: [
    '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
    '-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
    '-A FLANNEL-POSTRTG -s 10.244.1.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN',
    '-A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN',
    '-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN',
    '-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
  ],
});
// A masquerade rule written for another pod CIDR (the cluster was re-addressed).
const wrongCidr = nodeDump('node-b', { table: 'nat', rules: ['-A POSTROUTING -s 10.245.0.0/16 ! -o cni0 -j MASQUERADE'] });
const postrouting = (dump: string) => {
  const lines = dump.split('\n');
  return lines.findIndex((l, i) => i > lines.indexOf('*nat') && l.startsWith(':POSTROUTING')) + 1;
};

ruleTester(noMasquerade, {
  valid: [
    { name: 'flannel masquerades pod egress', files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': flannel, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] } },
    {
      name: 'Cilium masquerades in eBPF: not judged from iptables',
      files: {
        ...clusterFiles,
        'cluster/daemonsets.json': kubectlList([{ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'cilium', namespace: 'kube-system', uid: '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b' }, spec: { selector: { matchLabels: { 'k8s-app': 'cilium' } } } }]),
        'nodes/node-b/iptables-save.txt': kubeProxyOnly,
      },
    },
  ],
  invalid: [
    {
      name: 'only kube-proxy’s KUBE-POSTROUTING, which masquerades marked Service traffic only',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': kubeProxyOnly, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(kubeProxyOnly, '-A POSTROUTING', 'KUBE-POSTROUTING') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(kubeProxyOnly, '-A KUBE-POSTROUTING -m mark ! --mark') },
            { file: 'nodes/node-b/iptables-save.txt', line: postrouting(kubeProxyOnly) },
          ],
          severity: 'warning',
          messageMatch: /pod shop\/web-7d9f8b6c5d-q2w3e \(10\.244\.1\.6\) to 8\.8\.8\.8:443 leaves eth0 with its pod address.*The node has no pod masquerade rule at all/,
        },
      ],
    },
    {
      name: 'a MASQUERADE rule for another CIDR',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': wrongCidr, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(wrongCidr, '-A POSTROUTING', 'KUBE-POSTROUTING') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(wrongCidr, '-A KUBE-POSTROUTING -m mark ! --mark') },
            { file: 'nodes/node-b/iptables-save.txt', line: postrouting(wrongCidr) },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(wrongCidr, '-s 10.245.0.0/16') },
          ],
          messageMatch: /does not match this packet \(POSTROUTING -s 10\.245\.0\.0\/16 ! -o cni0 -j MASQUERADE\)/,
        },
      ],
    },
  ],
});

// ---- pod egress masqueraded in nftables (flannel's nftables backend) ----

const flannelNft = `table ip flannel-ipv4 {
	comment "rules for flannel-ipv4"
	chain postrtg {
		comment "chain to manage traffic masquerading by flannel"
		type nat hook postrouting priority srcnat; policy accept;
		meta mark 0x00004000 return
		ip saddr 10.244.1.0/24 ip daddr 10.244.0.0/16 return
		ip saddr 10.244.0.0/16 ip daddr 10.244.1.0/24 return
		ip saddr != 10.244.0.0/16 ip daddr 10.244.1.0/24 return
		ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random
	}
}
`;

// ---- Calico with its pool's natOutgoing switched off ----

const ippools = `${JSON.stringify(
  {
    kind: 'IPPoolList',
    apiVersion: 'projectcalico.org/v3',
    metadata: { resourceVersion: '9121877' },
    items: [
      {
        kind: 'IPPool',
        apiVersion: 'projectcalico.org/v3',
        metadata: { name: 'default-ipv4-ippool', uid: '4b1d9c2e-7f3a-4e21-9d8c-1a2b3c4d5e6f', resourceVersion: '9120544', creationTimestamp: '2026-01-20T09:15:11Z' },
        spec: { cidr: '10.244.0.0/16', vxlanMode: 'Never', ipipMode: 'Never', natOutgoing: false, blockSize: 26, nodeSelector: 'all()' },
      },
    ],
  },
  null,
  2,
)}\n`;

ruleTester(noMasquerade, {
  valid: [
    {
      name: 'flannel masquerades in nftables; iptables holds only kube-proxy’s rules',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': kubeProxyOnly, 'nodes/node-b/nft-ruleset.txt': flannelNft, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
    },
  ],
  invalid: [
    {
      name: 'the Calico pool holding the pod has natOutgoing off: named as the cause',
      files: { ...clusterFiles, 'cluster/calico/ippools.json': ippools, 'nodes/node-b/iptables-save.txt': kubeProxyOnly, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'cluster/calico/ippools.json', line: lineOf(ippools, '"natOutgoing": false') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(kubeProxyOnly, '-A POSTROUTING', 'KUBE-POSTROUTING') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(kubeProxyOnly, '-A KUBE-POSTROUTING -m mark ! --mark') },
            { file: 'nodes/node-b/iptables-save.txt', line: postrouting(kubeProxyOnly) },
          ],
          messageMatch: /Calico IP pool default-ipv4-ippool \(10\.244\.0\.0\/16\), whose natOutgoing is false/,
        },
      ],
    },
  ],
});
