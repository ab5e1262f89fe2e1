import podcidrOverlap from '../../rules/podcidr-overlap.js';
import { findLine, kubectlList, node, pod, service } from '../helpers/kube-objects.js';
import { lineOf } from '../helpers/node-dumps.js';
import { eth0, ipAddr, lo } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const nodesWith = (cidrs: [string, string, string]) =>
  kubectlList([
    node({ name: 'node-a', ip: '10.0.1.11', podCIDR: cidrs[0] }),
    node({ name: 'node-b', ip: '10.0.1.12', podCIDR: cidrs[1] }),
    node({ name: 'node-c', ip: '10.0.1.13', podCIDR: cidrs[2] }),
  ]);
const healthy = nodesWith(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
const podCidrLine = (text: string, name: string) => findLine(text, `"name": "${name}"`, '"podCIDRs": [', '"');
const manifest = (serviceCIDR: string) => `${JSON.stringify({ format: 'netdump/v1', createdAt: '2026-11-26T10:00:00Z', cluster: { context: 'prod', serviceCIDR }, items: [] }, null, 2)}\n`;

/** kubeadm's kube-apiserver static pod, with its Service range flag. */
function apiServer(range: string): string {
  const object = pod({ namespace: 'kube-system', name: 'kube-apiserver-node-a', node: 'node-a', hostIP: '10.0.1.11', ip: '10.0.1.11', hostNetwork: true, containers: [{ name: 'kube-apiserver', image: 'registry.k8s.io/kube-apiserver:v1.31.2' }] }) as { spec: { containers: { command?: string[] }[] } };
  object.spec.containers[0]!.command = ['kube-apiserver', '--advertise-address=10.0.1.11', '--allow-privileged=true', `--service-cluster-ip-range=${range}`, '--service-account-issuer=https://kubernetes.default.svc.cluster.local'];
  return kubectlList([object]);
}

const overlapping = nodesWith(['10.244.0.0/24', '10.244.0.0/23', '10.244.2.0/24']);
const onNodeNetwork = nodesWith(['10.244.0.0/24', '10.244.1.0/24', '10.0.1.0/24']);
const wideRange = apiServer('10.244.0.0/16');
const services = kubectlList([service({ namespace: 'shop', name: 'cart', clusterIPs: ['10.244.2.40'], selector: { app: 'cart' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] })]);

ruleTester(podcidrOverlap, {
  valid: [
    { name: 'disjoint podCIDRs, Service CIDR from the manifest', files: { 'cluster/nodes.json': healthy, 'manifest.json': manifest('10.96.0.0/12') } },
    { name: 'disjoint podCIDRs, Service CIDR from kube-apiserver', files: { 'cluster/nodes.json': healthy, 'cluster/pods.json': apiServer('10.96.0.0/12') } },
    { name: 'nodes without podCIDRs (the CNI assigns addresses)', files: { 'cluster/nodes.json': kubectlList([{ ...node({ name: 'node-a', ip: '10.0.1.11' }), spec: {} }]) } },
    { name: 'no nodes collected', files: { 'cluster/pods.json': kubectlList([]) }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: "node-b's podCIDR (a /23) covers node-a's",
      files: { 'cluster/nodes.json': overlapping, 'manifest.json': manifest('10.96.0.0/12') },
      findings: [
        {
          subjects: ['Node/node-b', 'Node/node-a'],
          evidence: [
            { file: 'cluster/nodes.json', line: podCidrLine(overlapping, 'node-b') },
            { file: 'cluster/nodes.json', line: podCidrLine(overlapping, 'node-a') },
          ],
          severity: 'critical',
          titleMatch: /^podCIDRs of node-b \(10\.244\.0\.0\/23\) and node-a \(10\.244\.0\.0\/24\) overlap$/,
          messageMatch: /share the addresses of 10\.244\.0\.0\/24/,
        },
      ],
    },
    {
      name: 'the Service range (kube-apiserver flag) overlaps every podCIDR',
      files: { 'cluster/nodes.json': healthy, 'cluster/pods.json': wideRange },
      findings: [
        {
          subjects: ['Node/node-a', 'Node/node-b', 'Node/node-c'],
          evidence: [
            { file: 'cluster/pods.json', line: findLine(wideRange, '--service-cluster-ip-range=') },
            { file: 'cluster/nodes.json', line: podCidrLine(healthy, 'node-a') },
            { file: 'cluster/nodes.json', line: podCidrLine(healthy, 'node-b') },
            { file: 'cluster/nodes.json', line: podCidrLine(healthy, 'node-c') },
          ],
          titleMatch: /^Service CIDR 10\.244\.0\.0\/16 overlaps the podCIDR of node-a, node-b, node-c$/,
        },
      ],
    },
    {
      name: 'no Service CIDR stated: a ClusterIP inside a podCIDR',
      files: { 'cluster/nodes.json': healthy, 'cluster/services.json': services },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [
            { file: 'cluster/nodes.json', line: podCidrLine(healthy, 'node-c') },
            { file: 'cluster/services.json', line: findLine(services, '"clusterIP": "10.244.2.40"') },
          ],
          messageMatch: /shop\/cart 10\.244\.2\.40/,
        },
      ],
    },
    {
      name: "node-c's podCIDR is the node network",
      files: { 'cluster/nodes.json': onNodeNetwork, 'manifest.json': manifest('10.96.0.0/12'), 'nodes/node-c/ip-addr.txt': ipAddr([lo, eth0('10.0.1.13')]) },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [
            { file: 'cluster/nodes.json', line: podCidrLine(onNodeNetwork, 'node-c') },
            { file: 'cluster/nodes.json', line: findLine(onNodeNetwork, '"name": "node-a"', '"address": "10.0.1.11"') },
            { file: 'cluster/nodes.json', line: findLine(onNodeNetwork, '"name": "node-b"', '"address": "10.0.1.12"') },
            { file: 'cluster/nodes.json', line: findLine(onNodeNetwork, '"name": "node-c"', '"address": "10.0.1.13"') },
          ],
          titleMatch: /^node-c's podCIDR 10\.0\.1\.0\/24 overlaps node addresses$/,
        },
      ],
    },
    {
      name: "a podCIDR inside the node's own subnet (ip-addr.txt), though not on a node address",
      files: { 'cluster/nodes.json': nodesWith(['10.244.0.0/24', '10.244.1.0/24', '10.0.0.0/25']), 'manifest.json': manifest('10.96.0.0/12'), 'nodes/node-c/ip-addr.txt': ipAddr([lo, { ...eth0('10.0.1.13'), addresses: ['inet 10.0.1.13/22 brd 10.0.3.255 scope global eth0'] }]) },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [
            { file: 'cluster/nodes.json', line: podCidrLine(nodesWith(['10.244.0.0/24', '10.244.1.0/24', '10.0.0.0/25']), 'node-c') },
            { file: 'nodes/node-c/ip-addr.txt', line: lineOf(ipAddr([lo, eth0('10.0.1.13')]), 'inet 10.0.1.13/24') },
          ],
          messageMatch: /node-c's own subnet 10\.0\.1\.13\/22 on eth0/,
        },
      ],
    },
  ],
});
