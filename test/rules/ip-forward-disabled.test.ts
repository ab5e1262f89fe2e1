import ipForwardDisabled from '../../rules/ip-forward-disabled.js';
import { kubectlList, node } from '../helpers/kube-objects.js';
import { sysctl, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
const off = sysctl({ 'net.ipv4.ip_forward': '0' });
/** A dual-stack cluster: node-a has an IPv6 podCIDR too. */
const dualStack = (() => {
  const nodeA = node({ name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.0.0/24' }) as { spec: { podCIDRs: string[] } };
  nodeA.spec.podCIDRs.push('fd00:10:244::/64');
  return { 'cluster/nodes.json': kubectlList([nodeA]) };
})();

ruleTester(ipForwardDisabled, {
  valid: [
    { name: 'forwarding on everywhere', files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl(), 'nodes/node-b/sysctl.txt': sysctl() } },
    { name: 'IPv6 forwarding off in an IPv4-only cluster', files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl({ 'net.ipv6.conf.all.forwarding': '0' }) } },
    { name: 'forwarding off only on the default template (no interface has it)', files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl({ 'net.ipv4.conf.default.forwarding': '0' }) } },
    { name: 'no sysctl.txt collected', files: cluster, coverage: 'not-collected' },
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
      name: 'IPv6 forwarding off in a dual-stack cluster',
      files: { ...dualStack, 'nodes/node-a/sysctl.txt': sysctl({ 'net.ipv6.conf.all.forwarding': '0' }) },
      findings: [{ subjects: ['Node/node-a'], evidence: [{ file: 'nodes/node-a/sysctl.txt', line: 11 }], titleMatch: /net\.ipv6\.conf\.all\.forwarding = 0/, messageMatch: /every IPv6 packet/ }],
    },
  ],
});
