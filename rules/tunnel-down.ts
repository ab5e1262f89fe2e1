import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { formatIpAddress, parseIpAddress } from '../analyzer/netfilter/ip-cidr.js';
import { interfaceHolding } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings, type NodeRouting } from '../analyzer/routing/node-routing.js';
import { cniDisplayName, expectedTunnels, podNetwork, TUNNEL_KIND_NAMES, type ExpectedTunnel } from '../analyzer/routing/pod-network.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/**
 * The overlay device a CNI mode carries pod traffic through must exist and be up on every node:
 * Calico's tunl0 (IPIP), vxlan.calico / vxlan-v6.calico (VXLAN) and wireguard.cali, flannel's
 * flannel.<VNI> (vxlan), flannel-wg, flannel0 (udp), Cilium's cilium_vxlan / cilium_geneve,
 * Weave's weave bridge. Which device is needed comes from the CNI's own configuration (IP pools,
 * calico-node environment and node annotations, flannel's backend annotation, cilium-config),
 * never from the devices present. Down means not administratively up, or operationally DOWN /
 * LOWERLAYERDOWN (tunnels report UNKNOWN when up). A VXLAN device whose underlay device is gone
 * or down, or whose `local` address is no longer the node's, is reported too.
 */
export default defineRule({
  id: 'tunnel-down',
  layer: 'l2',
  severity: 'critical',
  description: 'An overlay device (vxlan, tunl0, cilium_vxlan, flannel.1, wireguard) is down or missing where the CNI needs it',
  area: 'Routing',
  requires: [routingInputs.interfaces],
  optional: [inputs.daemonSets, inputs.nodes, inputs.configMaps],
  check(ctx) {
    const network = podNetwork(ctx.model);
    let checked = 0;
    for (const node of nodeRoutings(ctx.model).nodes) {
      if (node.interfaces.length === 0) continue;
      checked++;
      for (const tunnel of expectedTunnels(network, node.node)) {
        const problem = inspect(node, tunnel);
        if (!problem) continue;
        const needs = `${cniDisplayName(network.cni)} needs it: ${tunnel.why}`;
        const effect =
          tunnel.kind === 'weave'
            ? `pods on ${node.node} are not attached to the Weave network`
            : `pod traffic between ${node.node} and ${tunnel.crossSubnet ? 'nodes in other subnets' : 'other nodes'} ${
                problem.state === 'misconfigured'
                  ? 'leaves from an address the other nodes do not know, and theirs goes to the old one'
                  : `cannot be encapsulated: the kernel keeps no route through a device that is ${problem.state}`
              }, so the other nodes' pods are unreachable from ${node.node} and the reverse`;
        ctx.report({
          subjects: [node.subject],
          title: `${tunnel.device} is ${problem.state} on ${node.node}`,
          message: `${problem.detail}; ${needs}. ${effect[0]!.toUpperCase()}${effect.slice(1)}.`,
          evidence: problem.evidence.length > 0 ? [...problem.evidence, tunnel.evidence] : [tunnel.evidence],
          remediation: remediationFor(network.cni, tunnel, node.node),
          commands: [`ip -d link show ${tunnel.device}   # on ${node.node}`, ...(problem.state === 'down' ? [`ip link set ${tunnel.device} up   # only to confirm; the CNI agent should keep it up`] : [])],
          severity: tunnel.crossSubnet ? 'warning' : 'critical',
          data: { node: node.node, device: tunnel.device, kind: tunnel.kind, state: problem.state, why: tunnel.why },
        });
      }
    }
    const notes = [...network.notes];
    if (network.tunnels.length === 0) notes.push(`${network.description}: no overlay device needed`);
    setNodeCoverage(ctx, `overlay devices of ${network.description} checked`, checked, notes);
  },
});

interface TunnelProblem {
  state: 'missing' | 'down' | 'misconfigured';
  detail: string;
  evidence: Evidence[];
}

function inspect(node: NodeRouting, tunnel: ExpectedTunnel): TunnelProblem | undefined {
  const iface = node.interface(tunnel.device);
  const listing = node.ipLink ?? node.ipAddr;
  if (!iface) {
    const evidence = listing ? [listing.file.evidenceAtLine(1, `no ${tunnel.device} among the ${node.interfaces.length} interfaces listed`)] : [];
    return { state: 'missing', detail: `${node.node} has no ${tunnel.device} device (${TUNNEL_KIND_NAMES[tunnel.kind]})`, evidence };
  }
  const line = node.interfaceEvidence(iface.name, `${iface.name} <${iface.view.flags.join(',')}> state ${iface.view.state ?? '?'}`)!;
  if (!iface.view.up) return { state: 'down', detail: `${tunnel.device} is administratively down (no UP flag: <${iface.view.flags.join(',')}>)`, evidence: [line] };
  if (iface.view.state === 'DOWN' || iface.view.state === 'LOWERLAYERDOWN') {
    return { state: 'down', detail: `${tunnel.device} is up but its state is ${iface.view.state}${iface.view.state === 'LOWERLAYERDOWN' ? ' (the device it sits on is down)' : ''}`, evidence: [line] };
  }
  const details = iface.view.details;
  if (details?.device !== undefined) {
    const underlay = node.interface(details.device);
    if (!underlay || !underlay.view.up) {
      const evidence = [line, ...(underlay ? [node.interfaceEvidence(underlay.name, `${underlay.name} is down`)!] : [])];
      return { state: 'down', detail: `${tunnel.device} sends through ${details.device}, which is ${underlay ? 'down' : 'missing'}`, evidence };
    }
  }
  if (details?.local !== undefined && node.ipAddr) {
    const local = parseIpAddress(details.local);
    if (local && !interfaceHolding(node, local)) {
      const detailLine = (node.ipLink && iface.link ? node.ipLink.file : node.ipAddr.file).evidenceAtLine(details.line, `local ${details.local} is not an address of ${node.node}`);
      return {
        state: 'misconfigured',
        detail: `${tunnel.device} encapsulates from local ${formatIpAddress(local)}, which is no address of ${node.node} any more (the node's address changed after the device was created): peers send to and expect the old address`,
        evidence: [detailLine, line],
      };
    }
  }
  return undefined;
}

function remediationFor(cni: string, tunnel: ExpectedTunnel, node: string): string {
  switch (cni) {
    case 'calico':
      return `calico-node (Felix) creates and maintains ${tunnel.device}: check that the calico-node pod on ${node} is Ready and read its logs; the ipip / vxlan kernel module must be loadable (modprobe ${tunnel.kind === 'ipip' ? 'ipip' : tunnel.kind === 'wireguard' ? 'wireguard' : 'vxlan'}); restarting calico-node re-creates the device`;
    case 'flannel':
    case 'canal':
      return `flanneld creates ${tunnel.device} at start: check the flannel pod on ${node} (its logs name the interface and the public IP it uses, --iface / --public-ip) and restart it; if the node's address changed, delete the stale device so flanneld re-creates it`;
    case 'cilium':
      return `the Cilium agent creates ${tunnel.device}: check the cilium pod on ${node} (cilium status) and restart it`;
    case 'weave':
      return `weave-net creates the weave bridge: check the weave-net pod on ${node} (weave status) and restart it`;
    default:
      return `restart the CNI agent on ${node}, which creates ${tunnel.device}`;
  }
}
