import calicoNodeUnhealthy from '../../rules/calico-node-unhealthy.js';
import { findLine, pod } from '../helpers/kube-objects.js';
import { NODES, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const calicoPod = (node: string, suffix: string, ready: boolean) =>
  pod({
    namespace: 'calico-system',
    name: `calico-node-${suffix}`,
    labels: { 'k8s-app': 'calico-node' },
    ip: NODES.find((n) => n.name === node)!.ip,
    hostIP: NODES.find((n) => n.name === node)!.ip,
    hostNetwork: true,
    node,
    owner: { kind: 'DaemonSet', name: 'calico-node' },
    containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.3', readinessProbe: true, ready, restartCount: ready ? 0 : 3 }],
  });
const appPods = NODES.map((n) => pod({ namespace: 'shop', name: n.pod.name, labels: { app: 'web' }, ip: n.pod.ip, node: n.name, hostIP: n.ip }));
const withCalico = (readyOnB: boolean) => threeNodeCluster({ pods: [...appPods, calicoPod('node-a', 'x7k2p', true), calicoPod('node-b', 'q9w4d', readyOnB), calicoPod('node-c', 'm3n8r', true)] });

const birdDown =
  'Calico process is running.\n\nIPv4 BGP status\nError executing command: unable to connect to BIRDv4 socket: dial unix /var/run/calico/bird.ctl: connect: connection refused\n\nIPv6 BGP status\nNo IPv6 peers found.\n';
const notRunning = 'Calico process is not running.\n';
const healthy = 'Calico process is running.\n\nIPv4 BGP status\nNo IPv4 peers found.\n\nIPv6 BGP status\nNo IPv6 peers found.\n';

const unready = withCalico(false);

ruleTester(calicoNodeUnhealthy, {
  valid: [
    { name: 'every calico-node Ready, BIRD answering', files: { ...withCalico(true), 'nodes/node-a/calico/node-status.txt': healthy } },
    { name: 'no calico-node pods (another CNI)', files: threeNodeCluster() },
  ],
  invalid: [
    {
      name: 'calico-node on node-b not Ready, BIRD socket refusing',
      files: { ...unready, 'nodes/node-b/calico/node-status.txt': birdDown },
      findings: [
        {
          subjects: ['Node/node-b', 'Pod/calico-system/calico-node-q9w4d'],
          evidence: [
            { file: 'cluster/pods.json', line: findLine(unready['cluster/pods.json'], '"name": "calico-node-q9w4d"', '"containerStatuses"', '"ready": false') },
            { file: 'cluster/pods.json', line: findLine(unready['cluster/pods.json'], '"name": "calico-node-q9w4d"', '"type": "Initialized"', '"status": "False"') },
            { file: 'nodes/node-b/calico/node-status.txt', line: 3 },
          ],
          severity: 'critical',
          titleMatch: /^calico-node unhealthy on node-b$/,
          messageMatch: /pod calico-system\/calico-node-q9w4d is not Ready .*calicoctl node status, IPv4: Error executing command: unable to connect to BIRDv4 socket/,
        },
      ],
    },
    {
      name: 'node status says the Calico process is not running (no pods collected)',
      files: { 'nodes/node-c/calico/node-status.txt': notRunning },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [{ file: 'nodes/node-c/calico/node-status.txt', line: 1 }],
          messageMatch: /^calicoctl node status: Calico process is not running\./,
        },
      ],
    },
  ],
});
