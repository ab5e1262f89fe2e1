import cniConfigProblem from '../../rules/cni-config-problem.js';
import { kubectlList, node, pod } from '../helpers/kube-objects.js';
import { calicoNode, daemonSet, eth0, FLANNEL_CONFLIST, ipAddr, ipLink, lo, NODES, threeNodeCluster, WEAVE_CONFLIST } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();

/** /etc/cni/net.d/10-calico.conflist as calico's install-cni writes it (calico.yaml v3.27, `"mtu": 0` = auto-detect). */
const calico = (nodeName: string, options: { mtu?: number; ipam?: string } = {}) => `{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "log_file_path": "/var/log/calico/cni/cni.log",
      "datastore_type": "kubernetes",
      "nodename": "${nodeName}",
      "mtu": ${options.mtu ?? 0},
      "ipam": ${options.ipam ?? '{\n          "type": "calico-ipam"\n      }'},
      "policy": {
          "type": "k8s"
      },
      "kubernetes": {
          "kubeconfig": "/etc/cni/net.d/calico-kubeconfig"
      }
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    },
    {
      "type": "bandwidth",
      "capabilities": {"bandwidth": true}
    }
  ]
}
`;

const CALICO_KUBECONFIG = `# Kubeconfig file for Calico CNI plugin. Installed by calico/node.
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://10.96.0.1:443
    certificate-authority-data: "LS0tLS1CRUdJTi...redacted"
users:
- name: calico
  user:
    token: redacted
contexts:
- name: calico-context
  context:
    cluster: local
    user: calico
current-context: calico-context
`;



/** 00-multus.conf as multus-cni 4 (thin plugin) writes it, delegating to the calico conflist. */
const MULTUS = `{
  "cniVersion": "0.3.1",
  "name": "multus-cni-network",
  "type": "multus",
  "kubeconfig": "/etc/cni/net.d/multus.d/multus.kubeconfig",
  "delegates": [
    { "cniVersion": "0.3.1", "name": "k8s-pod-network", "plugins": [ { "type": "calico" } ] }
  ]
}
`;

const calicoEverywhere = Object.fromEntries(NODES.flatMap((n) => [[`nodes/${n.name}/cni/10-calico.conflist`, calico(n.name)], [`nodes/${n.name}/cni/calico-kubeconfig`, CALICO_KUBECONFIG]]));

const weaveNet = daemonSet({ namespace: 'kube-system', name: 'weave-net', containers: [{ name: 'weave', image: 'docker.io/weaveworks/weave-kube:2.8.1' }, { name: 'weave-npc', image: 'docker.io/weaveworks/weave-npc:2.8.1' }] });

/** A manifest whose collector found /etc/cni/net.d on node-c empty. */
const manifestWithEmptyDir = `{
  "format": "netdump-bundle/v1",
  "createdAt": "2026-11-26T10:00:00Z",
  "collector": { "name": "netdump", "version": "0.4.0" },
  "items": [
    { "path": "nodes/node-a/cni/10-calico.conflist", "node": "node-a", "command": "cat /etc/cni/net.d/10-calico.conflist", "exitCode": 0, "durationMs": 2, "stderr": "" },
    { "path": "nodes/node-c/cni/", "node": "node-c", "command": "cat /etc/cni/net.d/*", "note": "/host/etc/cni/net.d holds no files" }
  ],
  "redaction": { "secrets": "never collected", "anonymized": false }
}
`;

const notReadyNodeC = () => {
  const nodes = NODES.map((n) => node({ name: n.name, ip: n.ip, podCIDR: n.podCIDR })) as any[];
  nodes[2].status.conditions = [
    {
      lastHeartbeatTime: '2026-11-26T09:59:40Z',
      lastTransitionTime: '2026-11-26T09:41:12Z',
      message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
      reason: 'KubeletNotReady',
      status: 'False',
      type: 'Ready',
    },
  ];
  return kubectlList(nodes);
};

const stuckOnNodeC = kubectlList([
  pod({ namespace: 'shop', name: 'web-7d9f8b6c5d-4hq8z', labels: { app: 'web' }, ip: '10.244.0.5', node: 'node-a', hostIP: '10.0.1.11' }),
  pod({ namespace: 'shop', name: 'web-7d9f8b6c5d-x8k2m', labels: { app: 'web' }, node: 'node-c', hostIP: '10.0.1.13', phase: 'Pending', containers: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] }),
]);

/** A pod on node-b asking for hostPort 8443. */
const hostPortPod = () => {
  const object = pod({ namespace: 'ingress', name: 'edge-proxy-5f6d7c8b9-kq2lp', labels: { app: 'edge-proxy' }, ip: '10.244.1.9', node: 'node-b', hostIP: '10.0.1.12', containers: [{ name: 'proxy', ports: [{ containerPort: 8443, name: 'https' }] }] }) as any;
  object.spec.containers[0].ports[0].hostPort = 8443;
  return kubectlList([object]);
};

/** node-a's interfaces: eth0 at 1500, as for an IP-in-IP pool. */
const nodeAInterfaces = [lo, eth0('10.0.1.11')];
const ipipPool = `{
  "kind": "IPPoolList",
  "apiVersion": "projectcalico.org/v3",
  "metadata": { "resourceVersion": "52307" },
  "items": [
    {
      "kind": "IPPool",
      "apiVersion": "projectcalico.org/v3",
      "metadata": { "name": "default-ipv4-ippool", "uid": "3b0f8c1e-5d2a-4f7e-9c61-0e8a7b2d4c19", "resourceVersion": "1187", "creationTimestamp": "2026-11-01T08:04:11Z" },
      "spec": { "cidr": "10.244.0.0/16", "vxlanMode": "Never", "ipipMode": "Always", "natOutgoing": true, "blockSize": 26, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"] }
    }
  ]
}
`;

ruleTester(cniConfigProblem, {
  valid: [
    { name: 'calico conflist with "mtu": 0 (auto-detect) and its kubeconfig on every node', files: { ...cluster, ...calicoEverywhere, 'cluster/daemonsets.json': kubectlList([calicoNode()]) } },
    { name: 'multus sorting first, delegating to calico', files: { ...cluster, ...calicoEverywhere, 'nodes/node-a/cni/00-multus.conf': MULTUS } },
    {
      name: "Cilium's 05-cilium.conflist has no portmap: Cilium maps the hostPort itself",
      files: {
        ...cluster,
        'cluster/pods.json': hostPortPod(),
        'nodes/node-b/cni/05-cilium.conflist': '{\n  "cniVersion": "0.3.1",\n  "name": "cilium",\n  "plugins": [\n    {\n       "type": "cilium-cni",\n       "enable-debug": false,\n       "log-file": "/var/run/cilium/cilium-cni.log"\n    }\n  ]\n}\n',
      },
    },
    { name: 'CNI folder not collected', files: cluster, coverage: 'not-collected' },
    {
      // `netdump collect --local` on a VM that is no Kubernetes node: no /etc/cni/net.d is normal there.
      name: 'a local capture of a machine without any Kubernetes trace',
      files: {
        'manifest.json': `{
  "format": "netdump/v1",
  "createdAt": "2026-11-26T10:00:00Z",
  "collector": { "name": "netdump", "version": "0.1.0" },
  "collection": { "mode": "local", "nodes": ["vm"], "timeoutSeconds": 30, "durationMs": 380, "interrupted": false, "problems": [] },
  "items": [
    { "path": "nodes/vm/ip-link.txt", "node": "vm", "command": "ip -d -s link show", "exitCode": 0, "durationMs": 4, "stderr": "" },
    { "path": "nodes/vm/cni/", "node": "vm", "command": "cat /etc/cni/net.d/*", "exitCode": 0, "durationMs": 0, "stderr": "", "note": "not run: /etc/cni/net.d does not exist" }
  ]
}
`,
        'nodes/vm/ip-link.txt': ipLink([lo, eth0('10.0.2.15')]),
      },
    },
    {
      // LXC's bridge is no Cilium endpoint (lxc<hex>): an LXC host is no Kubernetes node either.
      name: 'a local capture of an LXC host (lxcbr0)',
      files: {
        'manifest.json': `{
  "format": "netdump/v1",
  "createdAt": "2026-11-26T10:00:00Z",
  "collector": { "name": "netdump", "version": "0.1.0" },
  "collection": { "mode": "local", "nodes": ["lxc-01"], "timeoutSeconds": 30, "durationMs": 380, "interrupted": false, "problems": [] },
  "items": [
    { "path": "nodes/lxc-01/cni/", "node": "lxc-01", "command": "cat /etc/cni/net.d/*", "exitCode": 0, "durationMs": 0, "stderr": "", "note": "not run: /etc/cni/net.d does not exist" }
  ]
}
`,
        'nodes/lxc-01/ip-link.txt': ipLink([lo, eth0('10.0.2.15'), { index: 3, name: 'lxcbr0', mtu: 1500, details: ['bridge forward_delay 1500 hello_time 200 max_age 2000'] }]),
      },
    },
  ],
  invalid: [
    {
      name: 'node-c: empty /etc/cni/net.d, node NotReady, a pod stuck in ContainerCreating',
      files: { 'cluster/nodes.json': notReadyNodeC(), 'cluster/pods.json': stuckOnNodeC, 'nodes/node-a/cni/10-calico.conflist': calico('node-a'), 'nodes/node-c/ip-route.txt': 'default via 10.0.1.1 dev eth0 proto static\n', 'manifest.json': manifestWithEmptyDir },
      findings: [
        {
          subjects: ['Node/node-c', 'Pod/shop/web-7d9f8b6c5d-x8k2m'],
          evidence: [
            { file: 'manifest.json', line: 7 },
            { file: 'cluster/nodes.json', line: 151 },
            { file: 'cluster/pods.json', line: 315 },
          ],
          severity: 'critical',
          titleMatch: /^No CNI configuration on node-c$/,
          messageMatch: /the kubelet reports Ready=False: "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady.*1 pod on it is stuck in ContainerCreating \(shop\/web-7d9f8b6c5d-x8k2m\)/,
        },
      ],
    },
    {
      name: 'leftover 10-flannel.conflist sorts before 10-weave.conflist while only weave-net runs',
      files: { ...cluster, 'cluster/daemonsets.json': kubectlList([weaveNet]), 'nodes/node-b/cni/10-flannel.conflist': FLANNEL_CONFLIST, 'nodes/node-b/cni/10-weave.conflist': WEAVE_CONFLIST, 'nodes/node-a/cni/10-weave.conflist': WEAVE_CONFLIST },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/cni/10-flannel.conflist', line: 5 },
            { file: 'nodes/node-b/cni/10-weave.conflist', line: 5 },
          ],
          severity: 'critical',
          titleMatch: /^node-b uses the leftover 10-flannel\.conflist instead of 10-weave\.conflist$/,
          messageMatch: /uses the first by name, 10-flannel\.conflist \(flannel, network "cbr0"\), and ignores 10-weave\.conflist \(weave-net, network "weave"\); no flannel agent runs/,
        },
      ],
    },
    {
      name: 'leftover flannel file behind the calico one that wins: a warning naming both',
      files: { ...cluster, ...calicoEverywhere, 'cluster/daemonsets.json': kubectlList([calicoNode()]), 'nodes/node-a/cni/10-flannel.conflist': FLANNEL_CONFLIST },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [
            { file: 'nodes/node-a/cni/10-calico.conflist', line: 5 },
            { file: 'nodes/node-a/cni/10-flannel.conflist', line: 5 },
          ],
          severity: 'warning',
          titleMatch: /^node-a has 2 CNI configurations of different CNIs; 10-calico\.conflist wins$/,
        },
      ],
    },
    {
      name: 'hand-edited 10-calico.conflist with a trailing comma sorts before a podman bridge: containerd stops there',
      files: {
        ...cluster,
        'nodes/node-a/cni/10-calico.conflist': calico('node-a').replace('"capabilities": {"bandwidth": true}', '"capabilities": {"bandwidth": true},'),
        'nodes/node-a/cni/87-podman-bridge.conflist': '{\n  "cniVersion": "0.4.0",\n  "name": "podman",\n  "plugins": [\n    {\n      "type": "bridge",\n      "bridge": "cni-podman0",\n      "isGateway": true,\n      "ipMasq": true,\n      "hairpinMode": true,\n      "ipam": {\n        "type": "host-local",\n        "routes": [{ "dst": "0.0.0.0/0" }],\n        "ranges": [[{ "subnet": "10.88.0.0/16", "gateway": "10.88.0.1" }]]\n      }\n    },\n    { "type": "portmap", "capabilities": { "portMappings": true } },\n    { "type": "firewall" },\n    { "type": "tuning" }\n  ]\n}\n',
      },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [{ file: 'nodes/node-a/cni/10-calico.conflist', line: 30 }],
          severity: 'critical',
          messageMatch: /containerd stops at this file .* CRI-O skips it and uses 87-podman-bridge\.conflist/,
        },
        {
          subjects: ['Node/node-a'],
          evidence: [
            { file: 'nodes/node-a/cni/87-podman-bridge.conflist', line: 11 },
            { file: 'cluster/nodes.json', line: 25 },
          ],
          titleMatch: /^host-local IPAM on node-a hands out 10\.88\.0\.0\/16, not its podCIDR 10\.244\.0\.0\/24$/,
        },
      ],
    },
    {
      name: 'flannel chain without portmap while a pod on node-b asks for hostPort 8443',
      files: { ...threeNodeCluster(), 'cluster/pods.json': hostPortPod(), 'nodes/node-b/cni/10-flannel.conflist': FLANNEL_CONFLIST.replace(/,\n    \{\n      "type": "portmap"[^]*?\n    \}\n  \]/, '\n  ]') },
      findings: [
        {
          subjects: ['Node/node-b', 'Pod/ingress/edge-proxy-5f6d7c8b9-kq2lp'],
          evidence: [
            { file: 'nodes/node-b/cni/10-flannel.conflist', line: 1 },
            { file: 'cluster/pods.json', line: 37 },
          ],
          severity: 'warning',
          messageMatch: /chains flannel and no portmap plugin .* ingress\/edge-proxy-5f6d7c8b9-kq2lp hostPort 8443 is never opened/,
        },
      ],
    },
    {
      name: 'calico mtu 1500 with an IP-in-IP pool on a 1500-byte eth0: 1480 fits',
      files: { ...cluster, 'cluster/calico/ippools.json': ipipPool, 'nodes/node-a/cni/10-calico.conflist': calico('node-a', { mtu: 1500 }), 'nodes/node-a/ip-addr.txt': ipAddr(nodeAInterfaces), 'nodes/node-a/ip-link.txt': ipLink(nodeAInterfaces) },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [
            { file: 'nodes/node-a/cni/10-calico.conflist', line: 11 },
            { file: 'nodes/node-a/ip-link.txt', line: 7 },
            { file: 'cluster/calico/ippools.json', line: 10 },
          ],
          severity: 'critical',
          titleMatch: /^CNI MTU 1500 on node-a exceeds the 1480 the underlay carries$/,
          messageMatch: /largest packet that crosses between nodes is 1480 \(1500 on eth0 minus 20 bytes of IP-in-IP\)/,
        },
      ],
    },
  ],
});
