import ipForwardDisabled from '../../rules/ip-forward-disabled.js';
import { kubectlList, node } from '../helpers/kube-objects.js';
import { eth0, ipLink, lo, sysctl, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
const off = sysctl({ 'net.ipv4.ip_forward': '0' });
/** A dual-stack cluster: node-a has an IPv6 podCIDR too. */
const dualStack = (() => {
  const nodeA = node({ name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.0.0/24' }) as { spec: { podCIDRs: string[] } };
  nodeA.spec.podCIDRs.push('fd00:10:244::/64');
  return { 'cluster/nodes.json': kubectlList([nodeA]) };
})();

/** The manifest of `netdump collect --local` on a machine outside any cluster. */
const localManifest = (host: string) =>
  `${JSON.stringify(
    {
      format: 'netdump/v1',
      createdAt: '2026-11-26T10:00:00Z',
      collector: { name: 'netdump', version: '0.1.0' },
      collection: { mode: 'local', nodes: [host], timeoutSeconds: 30, durationMs: 412, interrupted: false, problems: [] },
      items: [{ path: `nodes/${host}/sysctl.txt`, node: host, command: 'sysctl net.ipv4.ip_forward', exitCode: 0, durationMs: 3, stderr: '' }],
    },
    null,
    2,
  )}\n`;
const docker0 = { index: 3, name: 'docker0', mtu: 1500, flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], state: 'DOWN', details: ['bridge forward_delay 1500 hello_time 200 max_age 2000'] };

ruleTester(ipForwardDisabled, {
  valid: [
    { name: 'forwarding on everywhere', files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl(), 'nodes/node-b/sysctl.txt': sysctl() } },
    { name: 'IPv6 forwarding off in an IPv4-only cluster', files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl({ 'net.ipv6.conf.all.forwarding': '0' }) } },
    { name: 'forwarding off only on the default template (no interface has it)', files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl({ 'net.ipv4.conf.default.forwarding': '0' }) } },
    { name: 'no sysctl.txt collected', files: cluster, coverage: 'not-collected' },
    {
      // `collect --local` on a plain VM: forwarding off is its normal state, not a finding.
      name: 'a machine with neither Kubernetes nor containers (local capture)',
      files: { 'manifest.json': localManifest('vm'), 'nodes/vm/sysctl.txt': off, 'nodes/vm/ip-link.txt': ipLink([lo, eth0('10.0.2.15')]) },
      coverageMatch: /vm: no Kubernetes or container networking, nothing to forward/,
    },
  ],
  invalid: [
    {
      name: 'net.ipv4.ip_forward = 0 on node-c',
      files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl(), 'nodes/node-c/sysctl.txt': off },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [{ file: 'nodes/node-c/sysctl.txt', line: 1 }],
          severity: 'critical',
          titleMatch: /^node-c does not forward packets: net\.ipv4\.ip_forward = 0$/,
          messageMatch: /pods on node-c cannot reach pods on other nodes.*traffic for its pods arriving from other nodes .* is dropped/,
        },
      ],
    },
    {
      name: 'forwarding off on one interface (sysctl prints flannel.1 as flannel/1)',
      files: { ...cluster, 'nodes/node-b/sysctl.txt': sysctl({ 'net.ipv4.conf.flannel/1.forwarding': '0' }) },
      findings: [{ subjects: ['Node/node-b'], evidence: [{ file: 'nodes/node-b/sysctl.txt', line: 11 }], messageMatch: /net\.ipv4\.conf\.flannel\/1\.forwarding = 0 on node-b: packets arriving on those interfaces are not forwarded/ }],
    },
    {
      name: 'a Docker host without a cluster is a Host subject',
      files: { 'nodes/docker-01/sysctl.txt': off },
      findings: [{ subjects: ['Host/docker-01'], evidence: [{ file: 'nodes/docker-01/sysctl.txt', line: 1 }] }],
    },
    {
      name: 'a local capture of a host with a docker0 bridge: its containers are cut off',
      files: { 'manifest.json': localManifest('build-07'), 'nodes/build-07/sysctl.txt': off, 'nodes/build-07/ip-link.txt': ipLink([lo, eth0('10.0.2.15'), docker0]) },
      findings: [{ subjects: ['Host/build-07'], evidence: [{ file: 'nodes/build-07/sysctl.txt', line: 1 }], messageMatch: /containers on build-07 cannot reach anything outside their bridge/ }],
    },
    {
      name: 'a local capture of a Kubernetes node (kube-proxy chains, no cluster/) is judged as a node',
      files: {
        'manifest.json': localManifest('worker-3'),
        'nodes/worker-3/sysctl.txt': off,
        'nodes/worker-3/ip-link.txt': ipLink([lo, eth0('10.0.2.15')]),
        'nodes/worker-3/iptables-save.txt': '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\nCOMMIT\n',
      },
      findings: [{ subjects: ['Host/worker-3'], evidence: [{ file: 'nodes/worker-3/sysctl.txt', line: 1 }], messageMatch: /pods on worker-3 cannot reach pods on other nodes/ }],
    },
    {
      name: 'IPv6 forwarding off in a dual-stack cluster',
      files: { ...dualStack, 'nodes/node-a/sysctl.txt': sysctl({ 'net.ipv6.conf.all.forwarding': '0' }) },
      findings: [{ subjects: ['Node/node-a'], evidence: [{ file: 'nodes/node-a/sysctl.txt', line: 11 }], titleMatch: /net\.ipv6\.conf\.all\.forwarding = 0/, messageMatch: /every IPv6 packet/ }],
    },
  ],
});
