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
