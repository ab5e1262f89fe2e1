import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { usesIpv6Pods } from '../analyzer/routing/cluster-families.js';
import { nodeRoutings } from '../analyzer/routing/node-routing.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';
import { forwardingRole } from './lib/node-subject.js';

const PER_DEVICE = /^net\.ipv4\.conf\.(.+)\.forwarding$/;

/**
 * A node that does not forward IP packets cannot be a Kubernetes node: every packet a pod sends
 * off the node, and every packet for a pod arriving from elsewhere, is routed between two
 * interfaces. `net.ipv4.ip_forward = 0` (or `net.ipv4.conf.<dev>.forwarding = 0` on an interface
 * traffic arrives on) drops them; `net.ipv6.conf.all.forwarding = 0` does the same to IPv6 pod
 * traffic in a dual-stack cluster.
 */
export default defineRule({
  id: 'ip-forward-disabled',
  layer: 'node',
  severity: 'critical',
  description: 'net.ipv4.ip_forward = 0 (or IPv6 forwarding off in a dual-stack cluster) on a node',
  area: 'Node settings',
  requires: [routingInputs.sysctl],
  optional: [inputs.nodes],
  check(ctx) {
    const dualStack = usesIpv6Pods(ctx.model);
    let checked = 0;
    const unread: string[] = [];
    const routesNothing: string[] = [];
    for (const node of nodeRoutings(ctx.model).nodes) {
      if (!node.sysctl) continue;
      checked++;
      const role = forwardingRole(ctx.model, node.node);
      if (!role) {
        // A plain machine captured with --local: forwarding off is its normal state.
        routesNothing.push(node.node);
        continue;
      }
      const ipv4 = node.sysctlValue('net.ipv4.ip_forward');
      if (!ipv4) unread.push(node.node);
      const off: { what: string; evidence: Evidence }[] = [];
      if (ipv4 && ipv4.value === '0') {
        off.push({ what: 'net.ipv4.ip_forward = 0', evidence: node.sysctlEvidence('net.ipv4.ip_forward', 'IPv4 forwarding is off')! });
      } else if (ipv4) {
        for (const [key, entry] of node.sysctl.value.values) {
          const device = PER_DEVICE.exec(key)?.[1];
          if (device === undefined || device === 'default' || device === 'lo' || entry.value !== '0') continue;
          const name = device.replaceAll('/', '.');
          off.push({ what: `${key} = 0`, evidence: node.sysctlEvidence(key, `packets arriving on ${name === 'all' ? 'any interface' : name} are not forwarded`)! });
        }
      }
      if (dualStack) {
        const ipv6 = node.sysctlValue('net.ipv6.conf.all.forwarding');
        if (ipv6?.value === '0') off.push({ what: 'net.ipv6.conf.all.forwarding = 0', evidence: node.sysctlEvidence('net.ipv6.conf.all.forwarding', 'IPv6 forwarding is off in a dual-stack cluster')! });
      }
      if (off.length === 0) continue;

      const ipv4Off = off.some((o) => o.what.startsWith('net.ipv4.ip_forward') || o.what.startsWith('net.ipv4.conf.all.'));
      const ipv6Off = off.some((o) => o.what.startsWith('net.ipv6'));
      const family = ipv4Off && ipv6Off ? '' : ipv4Off ? 'IPv4 ' : 'IPv6 ';
      const effects =
        role === 'containers'
          ? ipv4Off || ipv6Off
            ? `the host drops every ${family}packet it would route between interfaces: containers on ${node.node} cannot reach anything outside their bridge, and connections to their published ports from other machines are not forwarded to them`
            : `packets arriving on those interfaces are not forwarded to the containers`
          : ipv4Off || ipv6Off
            ? `the node drops every ${family}packet it would route between interfaces: pods on ${node.node} cannot reach pods on other nodes, Services backed by them or anything outside the node, traffic for its pods arriving from other nodes (pod-to-pod, or DNATed by a Service or NodePort on another node) is dropped, and NodePorts on ${node.node} that DNAT to pods elsewhere fail`
            : `packets arriving on those interfaces are not forwarded to pods or other nodes`;
      ctx.report({
        subjects: [node.subject],
        title: `${node.node} does not forward packets: ${off.map((o) => o.what).join(', ')}`,
        message: `${listSome(off.map((o) => o.what), 4)} on ${node.node}: ${effects}.`,
        evidence: off.map((o) => o.evidence),
        remediation: `turn forwarding back on (sysctl -w ${ipv4Off || !ipv6Off ? 'net.ipv4.ip_forward=1' : 'net.ipv6.conf.all.forwarding=1'}), make it permanent in /etc/sysctl.d/ (kubeadm documents /etc/sysctl.d/k8s.conf), and find what turned it off: a hardening profile, a sysctl.d file applied after yours, a network manager (systemd-networkd IPForward=, NetworkManager) or a container runtime started with --ip-forward=false`,
        commands: [
          `sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding${dualStack ? ' net.ipv6.conf.all.forwarding' : ''}   # on ${node.node}`,
          'grep -rn forward /etc/sysctl.conf /etc/sysctl.d/ /run/sysctl.d/ /usr/lib/sysctl.d/',
        ],
        data: { node: node.node, settings: off.map((o) => o.what), dualStack },
      });
    }
    const notes = unread.length > 0 ? [`net.ipv4.ip_forward not in sysctl.txt of ${plural(unread.length, 'node')} (${listSome(unread, 3)})`] : [];
    if (routesNothing.length > 0) notes.push(`${listSome(routesNothing, 3)}: no Kubernetes or container networking, nothing to forward`);
    setNodeCoverage(ctx, 'forwarding settings read', checked, notes);
  },
});
