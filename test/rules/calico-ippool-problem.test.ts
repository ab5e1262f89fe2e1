import calicoIppoolProblem from '../../rules/calico-ippool-problem.js';
import { kubectlList } from '../helpers/kube-objects.js';
import { calicoNode, eth0, ipAddr, lo, NODES, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();

interface PoolSpec {
  name: string;
  cidr: string;
  ipipMode?: string;
  vxlanMode?: string;
  natOutgoing?: boolean;
  blockSize?: number;
  disabled?: boolean;
}

/** `calicoctl get ippools -o json` (calicoctl v3.27). */
const ippools = (pools: PoolSpec[]) =>
  `${JSON.stringify(
    {
      kind: 'IPPoolList',
      apiVersion: 'projectcalico.org/v3',
      metadata: { resourceVersion: '52307' },
      items: pools.map((p, i) => ({
        kind: 'IPPool',
        apiVersion: 'projectcalico.org/v3',
        metadata: { name: p.name, uid: `3b0f8c1e-5d2a-4f7e-9c61-0e8a7b2d4c1${i}`, resourceVersion: String(1187 + i), creationTimestamp: '2026-11-01T08:04:11Z' },
        spec: {
          cidr: p.cidr,
          vxlanMode: p.vxlanMode ?? 'Never',
          ipipMode: p.ipipMode ?? 'Always',
          natOutgoing: p.natOutgoing ?? true,
          blockSize: p.blockSize ?? 26,
          nodeSelector: 'all()',
          ...(p.disabled ? { disabled: true } : {}),
          allowedUses: ['Workload', 'Tunnel'],
        },
      })),
    },
    null,
    2,
  )}\n`;

/** kube-system ConfigMaps: kubeadm's ClusterConfiguration, and calico-config with its CNI template (host-local on the node podCIDR). */
const configMaps = (options: { podSubnet?: string; backend?: string }) =>
  kubectlList([
    ...(options.backend
      ? [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { creationTimestamp: '2026-11-01T08:02:00Z', name: 'calico-config', namespace: 'kube-system', resourceVersion: '1120', uid: '5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170' },
            data: {
              calico_backend: options.backend,
              cni_network_config: '{\n  "name": "k8s-pod-network",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "calico",\n      "datastore_type": "kubernetes",\n      "nodename": "__KUBERNETES_NODE_NAME__",\n      "mtu": __CNI_MTU__,\n      "ipam": {\n          "type": "host-local",\n          "subnet": "usePodCidr"\n      },\n      "policy": {\n          "type": "k8s"\n      },\n      "kubernetes": {\n          "kubeconfig": "__KUBECONFIG_FILEPATH__"\n      }\n    },\n    {\n      "type": "portmap",\n      "snat": true,\n      "capabilities": {"portMappings": true}\n    }\n  ]\n}',
              typha_service_name: 'none',
              veth_mtu: '0',
            },
          },
        ]
      : []),
    ...(options.podSubnet
      ? [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { creationTimestamp: '2026-11-01T08:00:20Z', name: 'kubeadm-config', namespace: 'kube-system', resourceVersion: '214', uid: '0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f' },
            data: {
              ClusterConfiguration: `apiServer:\n  extraArgs:\n    authorization-mode: Node,RBAC\napiVersion: kubeadm.k8s.io/v1beta3\nclusterName: kubernetes\ncontrolPlaneEndpoint: 10.0.1.11:6443\nkind: ClusterConfiguration\nkubernetesVersion: v1.31.2\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: ${options.podSubnet}\n  serviceSubnet: 10.96.0.0/12\n`,
            },
          },
        ]
      : []),
  ]);

/** The three nodes with other InternalIPs and podCIDRs. */
const nodesAt = (ips: string[], podCidrs?: string[]) =>
  kubectlList(
    NODES.map((_, i) => {
      const object = JSON.parse(threeNodeCluster()['cluster/nodes.json']).items[i];
      object.status.addresses[0].address = ips[i];
      if (podCidrs) {
        object.spec.podCIDR = podCidrs[i];
        object.spec.podCIDRs = [podCidrs[i]];
      }
      return object;
    }),
  );

const ipAddrOf = (ip: string, prefix = 24) => ipAddr([lo, { ...eth0(ip), addresses: [`inet ${ip}/${prefix} brd ${ip.replace(/\.\d+$/, '.255')} scope global eth0`] }]);

ruleTester(calicoIppoolProblem, {
  valid: [
    {
      name: 'the default pool inside the cluster CIDR, apart from Services and nodes',
      files: { ...cluster, 'cluster/configmaps.json': configMaps({ podSubnet: '10.244.0.0/16', backend: 'bird' }), 'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16' }]) },
    },
    {
      name: 'an unencapsulated pool with every node in one subnet',
      files: { ...cluster, 'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16', ipipMode: 'Never' }]), ...Object.fromEntries(NODES.map((n) => [`nodes/${n.name}/ip-addr.txt`, ipAddrOf(n.ip)])) },
    },
    { name: 'no IP pools in the bundle: checked, nothing to compare', files: cluster },
    { name: 'no nodes in the bundle', files: { 'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16' }]) }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'pool 10.96.0.0/16 (the Service range mistyped as CALICO_IPV4POOL_CIDR) with host-local IPAM: overlaps Services, podCIDRs uncovered',
      files: { ...cluster, 'cluster/daemonsets.json': kubectlList([calicoNode()]), 'cluster/configmaps.json': configMaps({ podSubnet: '10.244.0.0/16', backend: 'bird' }), 'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '10.96.0.0/16' }]) },
      findings: [
        {
          subjects: ['IPPool/default-ipv4-ippool'],
          evidence: [
            { file: 'cluster/calico/ippools.json', line: 18 },
            { file: 'cluster/configmaps.json', line: 24 },
          ],
          severity: 'critical',
          titleMatch: /^IP pool default-ipv4-ippool \(10\.96\.0\.0\/16\) overlaps the Service range$/,
          messageMatch: /overlaps the Service CIDR 10\.96\.0\.0\/12 \(kubeadm ClusterConfiguration\)/,
        },
        {
          subjects: ['Node/node-a', 'Node/node-b', 'Node/node-c'],
          evidence: [
            { file: 'cluster/nodes.json', line: 25 },
            { file: 'cluster/nodes.json', line: 79 },
            { file: 'cluster/nodes.json', line: 133 },
            { file: 'cluster/calico/ippools.json', line: 18 },
          ],
          severity: 'warning',
          messageMatch: /node-a's podCIDR 10\.244\.0\.0\/24, node-b's podCIDR 10\.244\.1\.0\/24, node-c's podCIDR 10\.244\.2\.0\/24 are in no enabled pool/,
        },
      ],
    },
    {
      name: 'a second pool 10.245.0.0/16 beside the cluster CIDR 10.244.0.0/16 (IPAM not stated: pool addresses may go to pods)',
      files: { ...cluster, 'cluster/configmaps.json': configMaps({ podSubnet: '10.244.0.0/16' }), 'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16' }, { name: 'extra-pool', cidr: '10.245.0.0/16' }]) },
      findings: [
        {
          subjects: ['IPPool/extra-pool'],
          evidence: [
            { file: 'cluster/calico/ippools.json', line: 40 },
            { file: 'cluster/configmaps.json', line: 7 },
          ],
          severity: 'warning',
          titleMatch: /^IP pool extra-pool \(10\.245\.0\.0\/16\) lies outside the cluster CIDR 10\.244\.0\.0\/16$/,
          messageMatch: /which is outside the cluster CIDR 10\.244\.0\.0\/16 \(kubeadm ClusterConfiguration\): kube-proxy \(--cluster-cidr\) treats traffic from those pods as coming from outside the cluster/,
        },
      ],
    },
    {
      name: "Calico's default 192.168.0.0/16 on nodes in 192.168.1.0/24",
      files: {
        'cluster/nodes.json': nodesAt(['192.168.1.11', '192.168.1.12', '192.168.1.13'], ['192.168.100.0/24', '192.168.101.0/24', '192.168.102.0/24']),
        'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '192.168.0.0/16' }]),
      },
      findings: [
        {
          subjects: ['IPPool/default-ipv4-ippool', 'Node/node-a', 'Node/node-b', 'Node/node-c'],
          evidence: [
            { file: 'cluster/calico/ippools.json', line: 18 },
            { file: 'cluster/nodes.json', line: 31 },
            { file: 'cluster/nodes.json', line: 85 },
            { file: 'cluster/nodes.json', line: 139 },
          ],
          severity: 'critical',
          messageMatch: /contains node-a's InternalIP 192\.168\.1\.11, node-b's InternalIP 192\.168\.1\.12, node-c's InternalIP 192\.168\.1\.13/,
        },
      ],
    },
    {
      name: 'IP-in-IP pool while calico-node runs the VXLAN backend (no BIRD)',
      files: { ...cluster, 'cluster/configmaps.json': configMaps({ backend: 'vxlan' }), 'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16' }]) },
      findings: [
        {
          subjects: ['IPPool/default-ipv4-ippool'],
          evidence: [
            { file: 'cluster/calico/ippools.json', line: 20 },
            { file: 'cluster/configmaps.json', line: 7 },
          ],
          severity: 'critical',
          titleMatch: /needs BGP \(ipipMode Always\) but calico-node runs without BIRD \(backend vxlan\)$/,
        },
      ],
    },
    {
      name: 'an unencapsulated pool while node-c sits in a second rack subnet, no BGPPeer',
      files: {
        ...cluster,
        'cluster/nodes.json': nodesAt(['10.0.1.11', '10.0.1.12', '10.0.2.13']),
        'cluster/calico/ippools.json': ippools([{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16', ipipMode: 'Never' }]),
        'nodes/node-a/ip-addr.txt': ipAddrOf('10.0.1.11'),
        'nodes/node-b/ip-addr.txt': ipAddrOf('10.0.1.12'),
        'nodes/node-c/ip-addr.txt': ipAddrOf('10.0.2.13'),
      },
      findings: [
        {
          subjects: ['IPPool/default-ipv4-ippool'],
          evidence: [
            { file: 'cluster/calico/ippools.json', line: 20 },
            { file: 'nodes/node-a/ip-addr.txt', line: 7 },
            { file: 'nodes/node-c/ip-addr.txt', line: 7 },
          ],
          severity: 'critical',
          messageMatch: /The nodes are in 10\.0\.1\.0\/24 \(node-a, node-b\); 10\.0\.2\.0\/24 \(node-c\)/,
        },
      ],
    },
    {
      name: 'pods still in a disabled pool during a migration (info), the new pool with natOutgoing off (info)',
      files: {
        ...cluster,
        'cluster/calico/ippools.json': ippools([
          { name: 'default-ipv4-ippool', cidr: '10.244.0.0/16', disabled: true },
          { name: 'pods-2026', cidr: '10.250.0.0/16', natOutgoing: false },
        ]),
      },
      findings: [
        {
          subjects: ['IPPool/default-ipv4-ippool', 'Pod/shop/web-7d9f8b6c5d-4hq8z', 'Pod/shop/web-7d9f8b6c5d-q2w3e', 'Pod/shop/web-7d9f8b6c5d-x8k2m'],
          evidence: [
            { file: 'cluster/calico/ippools.json', line: 24 },
            { file: 'cluster/pods.json', line: 163 },
            { file: 'cluster/pods.json', line: 332 },
            { file: 'cluster/pods.json', line: 501 },
          ],
          severity: 'info',
        },
        {
          subjects: ['IPPool/pods-2026'],
          evidence: [{ file: 'cluster/calico/ippools.json', line: 44 }],
          severity: 'info',
          titleMatch: /^IP pool pods-2026 has natOutgoing off$/,
        },
      ],
    },
  ],
});
