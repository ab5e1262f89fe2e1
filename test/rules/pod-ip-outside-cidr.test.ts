import podIpOutsideCidr from '../../rules/pod-ip-outside-cidr.js';
import { findLine, kubectlList, pod } from '../helpers/kube-objects.js';
import { calicoNode, daemonSet, flannelAnnotations, flannelDaemonSet, NODES, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const podOn = (name: string, node: string, ip: string) => pod({ namespace: 'shop', name, labels: { app: 'cart' }, ip, node, hostIP: NODES.find((n) => n.name === node)!.ip });
const nodesText = threeNodeCluster()['cluster/nodes.json']!;
const flannelNodes = threeNodeCluster({ annotations: flannelAnnotations })['cluster/nodes.json']!;
const podCidrLine = (name: string, text = flannelNodes) => findLine(text, `"name": "${name}"`, '"podCIDRs": [', '"');

const flannel = (pods: Record<string, unknown>[]) => ({
  ...threeNodeCluster({ annotations: flannelAnnotations, pods }),
  'cluster/daemonsets.json': kubectlList([flannelDaemonSet]),
});
const stray = [podOn('cart-845d9ff6b-mj9pc', 'node-b', '10.244.1.17'), podOn('cart-845d9ff6b-nsk8z', 'node-b', '10.244.2.44')];
const strayPods = kubectlList(stray);
const nowhere = [podOn('cart-845d9ff6b-mj9pc', 'node-b', '10.244.9.3')];
const hostNetwork = pod({ namespace: 'kube-system', name: 'kube-proxy-r9wsk', node: 'node-b', hostIP: '10.0.1.12', ip: '10.0.1.12', hostNetwork: true });

/** flannel VXLAN routes of node-a (ip route show, main table). */
const nodeARoutes = `default via 10.0.1.1 dev eth0 proto static
10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.11
10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1
10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
`;
const calicoPools = `${JSON.stringify(
  {
    kind: 'IPPoolList',
    apiVersion: 'projectcalico.org/v3',
    metadata: { resourceVersion: '52307' },
    items: [{ kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: { name: 'default-ipv4-ippool' }, spec: { cidr: '192.168.0.0/16', ipipMode: 'Always', natOutgoing: true, blockSize: 26 } }],
  },
  null,
  2,
)}\n`;
const calicoPods = [podOn('cart-845d9ff6b-mj9pc', 'node-b', '192.168.77.4'), podOn('cart-845d9ff6b-nsk8z', 'node-c', '10.88.0.12')];

ruleTester(podIpOutsideCidr, {
  valid: [
    { name: 'every pod inside its node podCIDR; hostNetwork pods skipped', files: flannel([podOn('cart-845d9ff6b-mj9pc', 'node-b', '10.244.1.17'), hostNetwork]) },
    { name: 'Calico IPAM without its pools collected: podCIDRs do not apply', files: { ...threeNodeCluster({ pods: calicoPods }), 'cluster/daemonsets.json': kubectlList([calicoNode()]) } },
    { name: 'the AWS VPC CNI gives pods VPC addresses', files: { ...threeNodeCluster({ pods: [podOn('cart-845d9ff6b-mj9pc', 'node-b', '172.31.40.12')] }), 'cluster/daemonsets.json': kubectlList([daemonSet({ namespace: 'kube-system', name: 'aws-node', containers: [{ name: 'aws-node', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.2' }] })]) } },
    {
      name: 'unidentified CNI whose addresses ignore the podCIDRs altogether',
      files: threeNodeCluster({ pods: [podOn('cart-845d9ff6b-mj9pc', 'node-b', '100.64.3.9'), podOn('cart-845d9ff6b-nsk8z', 'node-c', '100.64.7.2')] }),
    },
    { name: 'no pods collected', files: { 'cluster/nodes.json': nodesText }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: "flannel: a pod on node-b with an address of node-c's podCIDR",
      files: flannel(stray),
      findings: [
        {
          subjects: ['Node/node-b', 'Pod/shop/cart-845d9ff6b-nsk8z'],
          evidence: [
            { file: 'cluster/nodes.json', line: podCidrLine('node-b') },
            { file: 'cluster/pods.json', line: findLine(strayPods, '"name": "cart-845d9ff6b-nsk8z"', '"podIPs": [', '"ip": "10.244.2.44"') },
            { file: 'cluster/nodes.json', line: podCidrLine('node-c') },
          ],
          severity: 'critical',
          titleMatch: /^1 pod on node-b has an IP outside its podCIDR 10\.244\.1\.0\/24$/,
          messageMatch: /shop\/cart-845d9ff6b-nsk8z 10\.244\.2\.44 \(in node-c's podCIDR 10\.244\.2\.0\/24\).*sent to the node that owns the range instead \(node-c\)/,
        },
      ],
    },
    {
      name: 'an address in no node podCIDR',
      files: flannel(nowhere),
      findings: [
        {
          subjects: ['Node/node-b', 'Pod/shop/cart-845d9ff6b-mj9pc'],
          evidence: [
            { file: 'cluster/nodes.json', line: podCidrLine('node-b') },
            { file: 'cluster/pods.json', line: findLine(kubectlList(nowhere), '"podIPs": [', '"ip": "10.244.9.3"') },
          ],
          severity: 'warning',
          messageMatch: /routed nowhere or to the wrong place/,
        },
      ],
    },
    {
      name: 'an address in no node podCIDR that the other nodes route only by their default route: unreachable',
      files: { ...flannel(nowhere), 'nodes/node-a/ip-route.txt': nodeARoutes, 'nodes/node-c/ip-route.txt': nodeARoutes.replace('10.244.2.0/24 via 10.244.2.0', '10.244.0.0/24 via 10.244.0.0').replace(/src 10\.0\.1\.11/g, 'src 10.0.1.13').replace('dev cni0 proto kernel scope link src 10.244.0.1', 'dev cni0 proto kernel scope link src 10.244.2.1') },
      findings: [
        {
          subjects: ['Node/node-b', 'Pod/shop/cart-845d9ff6b-mj9pc'],
          evidence: [
            { file: 'cluster/nodes.json', line: podCidrLine('node-b') },
            { file: 'cluster/pods.json', line: findLine(kubectlList(nowhere), '"podIPs": [', '"ip": "10.244.9.3"') },
            { file: 'nodes/node-a/ip-route.txt', line: 1 },
          ],
          severity: 'critical',
          messageMatch: /routed by no node: node-a, node-c send 10\.244\.9\.3 only to the default route \(default via 10\.0\.1\.1 dev eth0 proto static\)/,
        },
      ],
    },
    {
      name: 'Calico IPAM with its pools: a pod outside every pool',
      files: { ...threeNodeCluster({ pods: calicoPods }), 'cluster/daemonsets.json': kubectlList([calicoNode()]), 'cluster/calico/ippools.json': calicoPools },
      findings: [
        {
          subjects: ['Node/node-c', 'Pod/shop/cart-845d9ff6b-nsk8z'],
          evidence: [{ file: 'cluster/pods.json', line: findLine(kubectlList(calicoPods), '"name": "cart-845d9ff6b-nsk8z"', '"podIPs": [', '"ip": "10.88.0.12"') }],
          titleMatch: /outside every Calico IP pool$/,
          messageMatch: /default-ipv4-ippool 192\.168\.0\.0\/16/,
        },
      ],
    },
  ],
});
