import kubeproxyModeMismatch from '../../rules/kubeproxy-mode-mismatch.js';
import { endpointSlice, findLine, kubectlList, service } from '../helpers/kube-objects.js';
import { kubeProxyIptablesSave, lineOf } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';

const web = service({ namespace: 'shop', name: 'web', clusterIPs: ['10.96.14.7'], selector: { app: 'web' } });
const webSlice = endpointSlice({ namespace: 'shop', service: 'web', endpoints: [{ ip: '10.244.1.5', node: 'node-a' }] });
const iptablesMode = (node: string) => kubeProxyIptablesSave({ services: [web], endpointSlices: [webSlice], node });

function configMaps(mode: string): string {
  return kubectlList([
    {
      apiVersion: 'v1',
      data: { 'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nclusterCIDR: 10.244.0.0/16\nkind: KubeProxyConfiguration\nmode: ${mode}\n` },
      kind: 'ConfigMap',
      metadata: { labels: { app: 'kube-proxy' }, name: 'kube-proxy', namespace: 'kube-system', uid: '5d1c0f5e-8f38-4b1e-9f0e-2f6f8a0d2b11' },
    },
  ]);
}

const IPVSADM = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.14.7:80 rr
  -> 10.244.1.5:8080              Masq    1      0          0
`;
const firstServiceChain = (dump: string) => lineOf(dump, ':KUBE-SEP-');

ruleTester(kubeproxyModeMismatch, {
  valid: [
    {
      name: 'configured and running iptables',
      files: { 'cluster/configmaps.json': configMaps('iptables'), 'nodes/node-a/iptables-save.txt': iptablesMode('node-a') },
    },
    {
      name: 'an empty mode is iptables',
      files: { 'cluster/configmaps.json': configMaps('""'), 'nodes/node-a/iptables-save.txt': iptablesMode('node-a') },
    },
    {
      name: 'no iptables-save or nft ruleset collected',
      files: { 'cluster/configmaps.json': configMaps('ipvs'), 'nodes/node-a/ipvsadm.txt': IPVSADM },
      coverage: 'not-collected',
    },
  ],
  invalid: [
    {
      name: 'the ConfigMap says ipvs, the nodes still run iptables',
      files: { 'cluster/configmaps.json': configMaps('ipvs'), 'nodes/node-a/iptables-save.txt': iptablesMode('node-a'), 'nodes/node-b/iptables-save.txt': iptablesMode('node-b') },
      findings: [
        {
          subjects: ['Node/node-a', 'Node/node-b'],
          evidence: [
            { file: 'cluster/configmaps.json', line: findLine(configMaps('ipvs'), '"config.conf"') },
            { file: 'nodes/node-a/iptables-save.txt', line: firstServiceChain(iptablesMode('node-a')) },
            { file: 'nodes/node-b/iptables-save.txt', line: firstServiceChain(iptablesMode('node-b')) },
          ],
          severity: 'warning',
          titleMatch: /^kube-proxy on 2 nodes runs in iptables mode, but its configuration says ipvs$/,
        },
      ],
    },
    {
      name: 'iptables-mode chains left next to IPVS virtual servers',
      files: { 'cluster/configmaps.json': configMaps('ipvs'), 'nodes/node-a/iptables-save.txt': iptablesMode('node-a'), 'nodes/node-a/ipvsadm.txt': IPVSADM },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [
            { file: 'nodes/node-a/iptables-save.txt', line: firstServiceChain(iptablesMode('node-a')) },
            { file: 'nodes/node-a/ipvsadm.txt', line: 4 },
            { file: 'cluster/configmaps.json', line: findLine(configMaps('ipvs'), '"config.conf"') },
          ],
          severity: 'critical',
          titleMatch: /^node-a runs kube-proxy in 2 modes at once: iptables and ipvs$/,
          messageMatch: /the iptables rules are leftovers that still capture Service traffic/,
        },
      ],
    },
  ],
});
