import type { Evidence } from '../analyzer/bundle/source-file.js';
import type { CauseRef, RuleContext } from '../analyzer/engine/rule.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import { formatIpAddress, ipEquals, type IpAddress } from '../analyzer/netfilter/ip-cidr.js';
import { cidrsOverlap } from '../analyzer/routing/cidr-overlap.js';
import { clusterAddressing, firstHost, type ClusterAddressing, type NodeAddressing } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings, type NodeRouting } from '../analyzer/routing/node-routing.js';
import { cniDisplayName, expectedTunnels, podNetwork, type ExpectedTunnel, type PodNetwork } from '../analyzer/routing/pod-network.js';
import { lookupRoute, type RouteLookupResult } from '../analyzer/routing/route-lookup.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** Cloud providers whose route controller (or VPC) can carry pod CIDRs in the cloud route table. */
const CLOUD_ROUTERS = new Set(['aws', 'gce', 'azure', 'alicloud', 'openstack']);

interface Target {
  remote: NodeAddressing;
  destination: IpAddress;
  /** "node-c's podCIDR 10.244.2.0/24" or "pods of node-c (10.244.2.7)". */
  label: string;
  evidence?: Evidence;
  /** The remote node's podCIDR the destination was taken from. */
  podCidr?: NodeAddressing['podCidrs'][number];
}

interface Problem {
  target: Target;
  severity: Severity;
  text: string;
  result: RouteLookupResult;
}

/**
 * A node must route every other node's pods somewhere that leads to them: a route to the other
 * node's podCIDR directly, through the CNI's tunnel device, or learned over BGP (`proto bird`).
 * For each other node the rule looks up, in this node's FIB as `ip route get` would, the first
 * address of its podCIDR (or, where the CNI assigns addresses itself, its pods' addresses, one per
 * block), and reports:
 * - no route, or a blackhole / unreachable / prohibit route: the packets die here (critical);
 * - a route through another node's address: the packets go to the wrong node (critical);
 * - only the default route: with an overlay the packets leave unencapsulated (critical); without
 *   one, outside a cloud whose route table can carry pod CIDRs, the gateway cannot know them
 *   (warning).
 * A missing route is linked to `tunnel-down` on the same node and to `calico-bgp-down`.
 */
export default defineRule({
  id: 'route-missing',
  layer: 'l3',
  severity: 'critical',
  description: "A node has no route (direct, tunnel or BGP-learned) to another node's pod CIDR",
  area: 'Routing',
  requires: [routingInputs.ipRoute, inputs.nodes],
  optional: [routingInputs.ipRule, routingInputs.ipAddr, inputs.pods],
  check(ctx) {
    const network = podNetwork(ctx.model);
    const addressing = clusterAddressing(ctx.model);
    const routings = nodeRoutings(ctx.model);
    if (network.cloudRoutedPods) {
      ctx.setCoverage('checked', `${cniDisplayName(network.cni)} gives pods addresses of the cloud network, which routes them: no per-node pod routes to check`);
      return;
    }
    const nodeIPs = new Map<string, string>();
    for (const n of addressing.nodes) if (n.internalIP) nodeIPs.set(formatIpAddress(n.internalIP), n.name);

    let checked = 0;
    for (const local of routings.nodes) {
      if (!local.routing) continue;
      checked++;
      const self = addressing.node(local.node);
      const provider = providerOf(self);
      const tunnels = expectedTunnels(network, local.node).filter((t) => !t.crossSubnet && t.kind !== 'weave');
      const problems: Problem[] = [];
      for (const remote of addressing.nodes) {
        if (remote.name === local.node) continue;
        for (const target of targetsOf(remote, network)) {
          const result = lookupRoute(local.routing, { dst: formatIpAddress(target.destination) });
          const problem = judge(target, result, tunnels, provider, nodeIPs);
          if (problem) problems.push(problem);
        }
      }
      if (problems.length === 0) continue;
      report(ctx, local, network, problems, tunnels, addressing);
    }
    setNodeCoverage(ctx, 'routes to the other nodes’ pods looked up', checked);
  },
});

function targetsOf(remote: NodeAddressing, network: PodNetwork): Target[] {
  if (network.ipam.kind === 'node-podcidr' && remote.podCidrs.length > 0) {
    return remote.podCidrs.map((c) => ({ remote, destination: firstHost(c.cidr), label: `${remote.name}'s podCIDR ${c.text}`, evidence: c.evidence, podCidr: c }));
  }
  // The CNI's own IPAM: one pod address per block (/26 for IPv4, /122 for IPv6, Calico's defaults).
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const ip of remote.podIPs) {
    const block = ip.family === 4 ? String(ip.value >>> 6) : String(ip.value >> 6n);
    if (seen.has(`${ip.family}/${block}`)) continue;
    seen.add(`${ip.family}/${block}`);
    targets.push({ remote, destination: ip, label: `pods of ${remote.name} (${formatIpAddress(ip)})` });
  }
  return targets;
}

function overlapsAnotherNode(owner: NodeAddressing, cidr: NodeAddressing['podCidrs'][number]['cidr'], addressing: ClusterAddressing): boolean {
  return addressing.nodes.some((n) => n !== owner && n.podCidrs.some((c) => cidrsOverlap(c.cidr, cidr)));
}

function providerOf(node: NodeAddressing | undefined): string | undefined {
  const id = node?.node?.raw?.spec?.providerID;
  return typeof id === 'string' && id.includes('://') ? id.slice(0, id.indexOf('://')) : undefined;
}

function judge(target: Target, result: RouteLookupResult, tunnels: ExpectedTunnel[], provider: string | undefined, nodeIPs: Map<string, string>): Problem | undefined {
  const dst = formatIpAddress(target.destination);
  if (result.type === 'local') return undefined;
  if (result.type !== 'unicast') {
    const how =
      result.type === 'no-route'
        ? `no route in any table covers ${dst}`
        : result.route
          ? `"${result.route.text}" catches ${dst}`
          : `${result.reason}`;
    return { target, severity: 'critical', text: `${target.label}: ${how} (ip route get: ${result.error?.message ?? result.reason})`, result };
  }
  const route = result.route!;
  const via = result.nexthops.map((h) => [h.gateway ? `via ${formatIpAddress(h.gateway)}` : '', h.device ? `dev ${h.device}` : ''].filter(Boolean).join(' ')).join(' or ');
  if (route.destination.prefix === 0) {
    if (tunnels.length > 0) {
      return {
        target,
        severity: 'critical',
        text: `${target.label}: only the default route (${via}) matches, not ${tunnels.map((t) => t.device).join(' or ')}: the packets leave unencapsulated to a gateway that has no route to pod addresses`,
        result,
      };
    }
    if (provider && CLOUD_ROUTERS.has(provider)) return undefined;
    return {
      target,
      severity: 'warning',
      text: `${target.label}: falls back to the default route ${via}, which cannot know pod CIDRs unless the cloud route table has them`,
      result,
    };
  }
  const wrong = result.nexthops.find((h) => h.gateway && nodeIPs.has(formatIpAddress(h.gateway)) && nodeIPs.get(formatIpAddress(h.gateway)) !== target.remote.name);
  if (wrong?.gateway && !(target.remote.internalIP && ipEquals(wrong.gateway, target.remote.internalIP))) {
    return { target, severity: 'critical', text: `${target.label}: routed via ${formatIpAddress(wrong.gateway)}, which is ${nodeIPs.get(formatIpAddress(wrong.gateway))}'s address, not ${target.remote.name}'s (${route.text})`, result };
  }
  return undefined;
}

function report(ctx: RuleContext, local: NodeRouting, network: PodNetwork, problems: Problem[], tunnels: ExpectedTunnel[], addressing: ClusterAddressing): void {
  const severity: Severity = problems.some((p) => p.severity === 'critical') ? 'critical' : 'warning';
  const remotes = [...new Set(problems.map((p) => p.target.remote.name))];
  const evidence: Evidence[] = [];
  for (const problem of problems.slice(0, 4)) {
    const route = problem.result.evidence.find((e) => e.note === 'matching route');
    if (route) evidence.push({ ...route, note: `what ${problem.target.label} matches` });
    if (problem.target.evidence) evidence.push(problem.target.evidence);
  }
  if (evidence.length === 0) evidence.push(local.ipRoute!.file.evidenceAtLine(1, `first line of ${local.node}'s routes`));
  const down = tunnels.filter((t) => {
    const iface = local.interface(t.device);
    return !iface || !iface.view.up;
  });
  const sentences = problems.slice(0, 6).map((p) => p.text);
  if (problems.length > 6) sentences.push(`and ${plural(problems.length - 6, 'more')}`);
  if (down.length > 0) sentences.push(`${listSome(down.map((t) => t.device), 3)} ${down.length === 1 ? 'is' : 'are'} ${down.every((t) => !local.interface(t.device)) ? 'missing' : 'down'} on ${local.node}, and the kernel drops the routes of a device that is down`);
  // This node's routes come from its own BGP sessions: calico-bgp-down findings naming this node
  // (its own, or a peer's whose session to it is down). A remote node alone would also match the
  // findings of third nodes about their sessions to it, which explain nothing here.
  const causedBy: CauseRef[] = [
    { rule: 'tunnel-down', subject: local.subject },
    { rule: 'calico-bgp-down', subject: local.subject },
  ];
  // A podCIDR that overlaps another node's is routed to one of the two (or blackholed by the
  // owner of the smaller one): the overlap explains the route, which no routing fix repairs.
  for (const remote of new Set(problems.filter((p) => p.target.podCidr && overlapsAnotherNode(p.target.remote, p.target.podCidr.cidr, addressing)).map((p) => p.target.remote))) {
    causedBy.push({ rule: 'podcidr-overlap', subject: `Node/${remote.name}` });
  }
  const first = problems[0]!;
  const commands = [`ip route get ${formatIpAddress(first.target.destination)}   # on ${local.node}`, `ip route show table all | grep -v '^local'`];
  if (network.cni === 'calico') commands.push(`calicoctl node status   # on ${local.node}: BGP sessions to ${listSome(remotes, 3)}`);
  if (network.cni === 'flannel' || network.cni === 'canal') commands.push(`kubectl -n kube-flannel logs -l app=flannel --tail=100   # flanneld adds a route per node lease`);
  if (network.cni === 'cilium') commands.push('cilium status --verbose');
  ctx.report({
    subjects: [local.subject],
    title: severity === 'critical' ? `${local.node} has no usable route to the pods of ${listSome(remotes, 3)}` : `${local.node} reaches the pods of ${listSome(remotes, 3)} only through its default route`,
    message: `${sentences.join('; ')}. Pods on ${local.node} cannot reach pods on ${listSome(remotes, 3)}, nor Services whose endpoints run there; replies to connections from those pods are lost the same way.`,
    evidence,
    remediation:
      network.cni === 'calico'
        ? `Calico installs these routes from BGP (or per-node blocks for IPIP/VXLAN): check ${local.node}'s BGP sessions (calicoctl node status) and calico-node's logs there; restarting calico-node re-programs them`
        : network.cni === 'flannel' || network.cni === 'canal'
          ? `flanneld on ${local.node} adds one route per node from the node annotations: check that it runs and sees ${listSome(remotes, 3)} (its logs), and that its ${tunnels[0]?.device ?? 'tunnel'} device is up; restarting the flannel pod re-creates them`
          : `add routes to the other nodes' pod ranges (the CNI's agent normally does: check it runs on ${local.node}), or let the network (cloud route table, BGP) carry them`,
    commands,
    severity,
    causedBy,
    data: {
      node: local.node,
      missing: problems.map((p) => ({ node: p.target.remote.name, destination: formatIpAddress(p.target.destination), result: p.result.type, route: p.result.route?.text, severity: p.severity })),
    },
  });
}
