import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Pod } from '../analyzer/kube/types.js';
import { cidrContains, parseIpAddress } from '../analyzer/netfilter/ip-cidr.js';
import { clusterAddressing, podCidrHolder, type PodCidrOf } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings, type NodeRoutings } from '../analyzer/routing/node-routing.js';
import { cniDisplayName, podNetwork } from '../analyzer/routing/pod-network.js';
import { lookupRoute } from '../analyzer/routing/route-lookup.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome, plural } from './lib/list-text.js';

interface Stray {
  pod: Pod;
  ip: string;
  /** Another node whose podCIDR holds the address. */
  holder?: { node: string; cidr: PodCidrOf };
}

/**
 * Every node routes a node's podCIDR to that node; a pod whose IP lies outside its node's podCIDR
 * is therefore unreachable from other nodes (or its traffic goes to whichever node owns the
 * range). Typical causes: a node re-registered with a new podCIDR while host-local IPAM kept its
 * old leases (/var/lib/cni/networks), or a CNI config whose subnet is not the node's.
 *
 * Where the other nodes' routes were collected, a stray address in no node's podCIDR is looked up
 * in their FIBs: when every one of them sends it only to its default route (or drops it), nothing
 * in the cluster routes it and the pod is unreachable from other nodes (critical).
 *
 * Applies only where pod IPs are meant to come from the node podCIDRs (host-local IPAM, flannel,
 * Cilium ipam=kubernetes, kindnet). A CNI with its own IPAM (Calico IPAM blocks, Cilium cluster
 * pools, AWS VPC CNI, Weave) is exempt; with Calico IPAM and its IP pools collected
 * (cluster/calico/ippools.json) pod IPs are checked against the pools instead (a disabled pool still
 * routes the blocks it gave out).
 */
export default defineRule({
  id: 'pod-ip-outside-cidr',
  layer: 'l3',
  severity: 'warning',
  description: "A pod IP lies outside its node's podCIDR or any IP pool",
  area: 'Routing',
  requires: [inputs.pods, inputs.nodes],
  optional: [inputs.daemonSets, inputs.configMaps, routingInputs.ipRoute, routingInputs.ipRule],
  check(ctx) {
    const network = podNetwork(ctx.model);
    const addressing = clusterAddressing(ctx.model);
    const pods = ctx.model.kube.pods.filter((p) => !p.hostNetwork && p.nodeName !== undefined && p.podIPs.length > 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed' && ctx.inScope(p.namespace));

    if (network.ipam.kind === 'cni') {
      ctx.setCoverage('checked', `${cniDisplayName(network.cni)} assigns pod IPs itself (${network.ipam.how}): node podCIDRs do not apply`);
      return;
    }
    if (network.ipam.kind === 'calico-ipam') {
      // A disabled pool stops new allocations only: its existing blocks are still routed (a pool
      // migration in progress, which calico-ippool-problem notes), so its pods are not strays.
      const pools = (network.calicoPools ?? []).filter((p) => p.cidr);
      if (!network.calicoPools) {
        ctx.setCoverage('checked', `${network.ipam.how}; cluster/calico/ippools.json not collected: pod IPs not checked`);
        return;
      }
      const outside = pods.flatMap((pod) =>
        pod.podIPs.filter((ip) => {
          const address = parseIpAddress(ip);
          return address !== undefined && !pools.some((pool) => cidrContains(pool.cidr!, address));
        }).map((ip) => ({ pod, ip })),
      );
      if (outside.length > 0) {
        const byNode = groupBy(outside, (o) => o.pod.nodeName!);
        for (const [node, strays] of byNode) {
          ctx.report({
            subjects: [`Node/${node}`, ...strays.map((s) => s.pod.ref)],
            title: `${plural(strays.length, 'pod')} on ${node} ${strays.length === 1 ? 'has an IP' : 'have IPs'} outside every Calico IP pool`,
            message: `${listSome(strays.map((s) => `${s.pod.namespace}/${s.pod.name} ${s.ip}`), 5)} ${strays.length === 1 ? 'is' : 'are'} in none of the enabled pools (${listSome(pools.map((p) => `${p.name} ${p.cidrText}`), 4)}): Calico does not announce or encapsulate routes for ${strays.length === 1 ? 'it' : 'them'}, so other nodes cannot reach ${strays.length === 1 ? 'it' : 'them'}.`,
            evidence: strays.slice(0, 5).map((s) => podIpEvidence(s.pod, s.ip)),
            remediation: 'the pool these pods were given addresses from was deleted (or they came from another IPAM): restart the pods so they get addresses from a current pool, and check `calicoctl ipam check`',
            commands: ['calicoctl get ippool -o wide', 'calicoctl ipam check'],
            data: { node, pods: strays.map((s) => ({ pod: s.pod.ref, ip: s.ip })) },
          });
        }
      }
      ctx.setCoverage('checked', `${plural(pods.length, 'pod')} checked against ${plural(pools.length, 'Calico IP pool')}`);
      return;
    }

    // Pod IPs from the node podCIDRs.
    const strays: Stray[] = [];
    const routings = nodeRoutings(ctx.model);
    let checked = 0;
    const withoutCidr = new Set<string>();
    for (const pod of pods) {
      const node = addressing.node(pod.nodeName!);
      if (!node) continue;
      for (const ip of pod.podIPs) {
        const address = parseIpAddress(ip);
        if (!address) continue;
        const ranges = node.podCidrs.filter((c) => c.cidr.family === address.family);
        if (ranges.length === 0) {
          withoutCidr.add(node.name);
          continue;
        }
        checked++;
        if (ranges.some((c) => cidrContains(c.cidr, address))) continue;
        const stray: Stray = { pod, ip };
        const holder = podCidrHolder(addressing, address, node.name);
        if (holder) stray.holder = { node: holder.node.name, cidr: holder.cidr };
        strays.push(stray);
      }
    }
    const notes: string[] = [];
    if (withoutCidr.size > 0) notes.push(`${plural(withoutCidr.size, 'node')} without a podCIDR of the pod's family (${listSome([...withoutCidr], 3)})`);
    // When the CNI was not identified and most pods disagree with the podCIDRs, the CNI has its own IPAM.
    if (!network.detected && strays.length * 2 > checked) {
      ctx.setCoverage('checked', `${strays.length} of ${plural(checked, 'pod IP')} lie outside their node's podCIDR and the CNI could not be identified: it assigns addresses itself, so podCIDRs do not apply`);
      return;
    }
    for (const [nodeName, group] of groupBy(strays, (s) => s.pod.nodeName!)) {
      const node = addressing.node(nodeName)!;
      const ranges = node.podCidrs.map((c) => c.text).join(', ');
      const captured = group.filter((s) => s.holder);
      const unrouted = captured.length === 0 ? unroutedElsewhere(routings, nodeName, group) : undefined;
      const evidence: Evidence[] = [node.podCidrs[0]!.evidence, ...group.slice(0, 4).map((s) => podIpEvidence(s.pod, s.ip))];
      if (captured[0]?.holder) evidence.push(captured[0].holder.cidr.evidence);
      if (unrouted?.evidence) evidence.push(unrouted.evidence);
      ctx.report({
        subjects: [`Node/${nodeName}`, ...group.map((s) => s.pod.ref)],
        title: `${plural(group.length, 'pod')} on ${nodeName} ${group.length === 1 ? 'has an IP' : 'have IPs'} outside its podCIDR ${ranges}`,
        message:
          `${listSome(group.map((s) => `${s.pod.namespace}/${s.pod.name} ${s.ip}${s.holder ? ` (in ${s.holder.node}'s podCIDR ${s.holder.cidr.text})` : ''}`), 5)}: ` +
          `other nodes route ${ranges} to ${nodeName}, so ${group.length === 1 ? 'this address is' : 'these addresses are'} ` +
          (captured.length > 0
            ? `sent to the node that owns the range instead (${listSome([...new Set(captured.map((s) => s.holder!.node))], 3)}), where no such pod exists`
            : unrouted
              ? `routed by no node: ${listSome(unrouted.nodes, 3)} ${unrouted.nodes.length === 1 ? 'sends' : 'send'} ${unrouted.ip} only ${unrouted.how}`
              : 'routed nowhere or to the wrong place') +
          `: the pod${group.length === 1 ? '' : 's'} can reach out but cannot be reached from other nodes. ${network.ipam.how}.`,
        evidence,
        remediation: `the CNI handed out addresses from a range that is not the node's (stale host-local leases in /var/lib/cni/networks after the node was re-registered with a new podCIDR, or a CNI config subnet that differs from spec.podCIDR): fix the config, clear the stale leases, and restart the pods on ${nodeName}`,
        commands: [`kubectl get node ${nodeName} -o jsonpath='{.spec.podCIDRs}'`, `kubectl get pods -A -o wide --field-selector spec.nodeName=${nodeName}`, `ls /var/lib/cni/networks/*   # on ${nodeName}`],
        severity: captured.length > 0 || unrouted ? 'critical' : 'warning',
        data: { node: nodeName, podCIDRs: node.podCidrs.map((c) => c.text), pods: group.map((s) => ({ pod: s.pod.ref, ip: s.ip, ownedBy: s.holder?.node })) },
      });
    }
    ctx.setCoverage('checked', `${plural(checked, 'pod IP')} checked against node podCIDRs (${network.ipam.how})${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`);
  },
});

/** Stray addresses whose lookups this checks per node: enough to tell, bounded for clusters with many strays. */
const LOOKUPS_PER_NODE = 5;

/**
 * Whether every other node whose routes were collected sends the sampled stray addresses only to
 * its default route (or drops them): then no node routes them to `podNode`. Undefined when some
 * node has a more specific route for one, or no other node's routes were collected.
 */
function unroutedElsewhere(routings: NodeRoutings, podNode: string, group: Stray[]): { nodes: string[]; ip: string; how: string; evidence?: Evidence } | undefined {
  const others = routings.nodes.filter((n) => n.node !== podNode && n.routing);
  if (others.length === 0) return undefined;
  let first: { ip: string; how: string; evidence?: Evidence } | undefined;
  for (const stray of group.slice(0, LOOKUPS_PER_NODE)) {
    for (const other of others) {
      const result = lookupRoute(other.routing!, { dst: stray.ip });
      const byDefault = result.type === 'unicast' && result.route?.destination.prefix === 0;
      if (result.type === 'unicast' && !byDefault) return undefined;
      if (result.type === 'local') return undefined;
      if (!first) {
        const route = result.evidence.find((e) => e.note === 'matching route');
        first = {
          ip: stray.ip,
          how: byDefault ? `to the default route (${result.route!.text})` : `to a route that drops it (${result.reason})`,
          ...(route ? { evidence: { ...route, note: `what ${stray.ip} matches on ${other.node}` } } : {}),
        };
      }
    }
  }
  return first ? { nodes: others.map((n) => n.node), ...first } : undefined;
}

function podIpEvidence(pod: Pod, ip: string): Evidence {
  const index = pod.podIPs.indexOf(ip);
  return pod.source.at(pod.podIPsListed ? `status.podIPs[${index}].ip` : 'status.podIP', `${pod.name} ${ip}`);
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
