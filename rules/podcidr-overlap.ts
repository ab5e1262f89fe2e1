import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { formatIpAddress, parseCidr, parseIpAddress, type Cidr } from '../analyzer/netfilter/ip-cidr.js';
import { CidrIndex, cidrEnd, cidrsOverlap } from '../analyzer/routing/cidr-overlap.js';
import { clusterAddressing, interfaceHolding, type PodCidrOf } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings } from '../analyzer/routing/node-routing.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { serviceCidrs } from '../analyzer/routing/service-cidr.js';
import { listSome, plural } from './lib/list-text.js';

interface OwnedCidr extends PodCidrOf {
  node: string;
}

/**
 * Pod CIDRs must be disjoint from each other, from the Service range and from the network the
 * nodes live on: an overlap makes two things claim one address, and the routes of one hide the
 * other (pods reachable from some nodes only, Services answered by a pod, nodes unreachable
 * from pods). Checks every node's spec.podCIDRs against the other nodes' (a sweep over sorted
 * ranges), the Service CIDR (kube-apiserver's flag, kubeadm's ClusterConfiguration, or the
 * manifest's hint; without one, each ClusterIP), and the nodes' addresses and, where ip-addr.txt
 * was collected, the subnet of the interface holding each node's InternalIP.
 */
export default defineRule({
  id: 'podcidr-overlap',
  layer: 'l3',
  severity: 'critical',
  description: 'Node podCIDRs overlap each other, the Service CIDR, or node addresses',
  area: 'Routing',
  requires: [inputs.nodes],
  optional: [inputs.services, inputs.pods, routingInputs.ipAddr],
  check(ctx) {
    const addressing = clusterAddressing(ctx.model);
    const owned: OwnedCidr[] = addressing.nodes.flatMap((n) => n.podCidrs.map((c) => ({ ...c, node: n.name })));
    if (owned.length === 0) {
      ctx.setCoverage('checked', 'no node has a podCIDR (the CNI assigns pod addresses itself): nothing to compare');
      return;
    }

    const index = new CidrIndex(owned, (o) => o.cidr);

    // podCIDR against podCIDR: sorted by start, each compared with the ranges that start inside it.
    const sorted = [...owned].sort((a, b) => a.cidr.family - b.cidr.family || compare(a.cidr.network, b.cidr.network) || a.cidr.prefix - b.cidr.prefix);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      const end = cidrEnd(a.cidr);
      for (let j = i + 1; j < sorted.length; j++) {
        const b = sorted[j]!;
        if (b.cidr.family !== a.cidr.family || compare(b.cidr.network, end) > 0) break;
        if (!cidrsOverlap(a.cidr, b.cidr)) continue;
        const same = a.node === b.node;
        ctx.report({
          subjects: same ? [`Node/${a.node}`] : [`Node/${a.node}`, `Node/${b.node}`],
          title: same ? `Node ${a.node} has overlapping podCIDRs ${a.text} and ${b.text}` : `podCIDRs of ${a.node} (${a.text}) and ${b.node} (${b.text}) overlap`,
          message: `${a.text} and ${b.text} share ${describeShared(a.cidr, b.cidr)}: ${same ? 'the node' : 'both nodes'} may give the same address to two pods, and every other node routes the shared addresses to only one of them, so pods in the overlap on the other are unreachable from the rest of the cluster.`,
          evidence: [a.evidence, b.evidence],
          remediation: 'podCIDRs are allocated by kube-controller-manager (--allocate-node-cidrs, --cluster-cidr, --node-cidr-mask-size) or set by hand in spec.podCIDR, which is immutable: drain and delete the node whose range was set by hand or carried over from another cluster, and let it re-register to get a free range',
          commands: [`kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs`],
          data: { nodes: [a.node, b.node], podCIDRs: [a.text, b.text] },
        });
      }
    }

    // podCIDR against the Service range.
    const services = serviceCidrs(ctx.model);
    let serviceNote: string;
    if (services.length > 0) {
      serviceNote = `Service CIDR ${services.map((s) => s.text).join(', ')} from ${services[0]!.source}`;
      for (const range of services) {
        const hit = owned.filter((o) => cidrsOverlap(o.cidr, range.cidr));
        if (hit.length === 0) continue;
        ctx.report({
          subjects: [...new Set(hit.map((h) => `Node/${h.node}`))],
          title: `Service CIDR ${range.text} overlaps the podCIDR of ${listSome([...new Set(hit.map((h) => h.node))], 3)}`,
          message: `the Service range ${range.text} (${range.source}) overlaps ${listSome(hit.map((h) => `${h.node}'s podCIDR ${h.text}`), 4)}: a ClusterIP and a pod can get the same address, and kube-proxy's DNAT captures traffic meant for the pod (or the pod route hides the Service).`,
          evidence: [range.evidence, ...hit.slice(0, 4).map((h) => h.evidence)],
          remediation: 'choose disjoint ranges: the cluster CIDR (kube-controller-manager --cluster-cidr, kubeadm podSubnet) and the Service CIDR (kube-apiserver --service-cluster-ip-range, kubeadm serviceSubnet) must not overlap; moving either means re-creating the nodes or the Services',
          data: { serviceCIDR: range.text, nodes: hit.map((h) => ({ node: h.node, podCIDR: h.text })) },
        });
      }
    } else {
      serviceNote = 'no Service CIDR stated (kube-apiserver flag, kubeadm-config, manifest): ClusterIPs compared one by one';
      const byNode = new Map<OwnedCidr, { name: string; ip: string; evidence: Evidence }[]>();
      for (const service of ctx.model.kube.services) {
        for (const ip of service.clusterIPs) {
          const address = parseIpAddress(ip);
          const owner = address && index.containing(address)[0];
          if (!owner) continue;
          const list = byNode.get(owner) ?? [];
          list.push({ name: `${service.namespace}/${service.name}`, ip, evidence: service.source.at('spec.clusterIP', `ClusterIP ${ip}`) });
          byNode.set(owner, list);
        }
      }
      for (const [owner, hits] of byNode) {
        ctx.report({
          subjects: [`Node/${owner.node}`],
          title: `ClusterIPs inside ${owner.node}'s podCIDR ${owner.text}`,
          message: `${plural(hits.length, 'Service')} ${hits.length === 1 ? 'has' : 'have'} a ClusterIP in ${owner.node}'s podCIDR ${owner.text}: ${listSome(hits.map((h) => `${h.name} ${h.ip}`), 4)}: the Service range overlaps the pod range, so a pod can get a Service's address and kube-proxy's DNAT captures its traffic.`,
          evidence: [owner.evidence, ...hits.slice(0, 3).map((h) => h.evidence)],
          remediation: 'choose disjoint ranges for pods (kube-controller-manager --cluster-cidr) and Services (kube-apiserver --service-cluster-ip-range)',
          data: { node: owner.node, podCIDR: owner.text, services: hits.map((h) => ({ service: h.name, clusterIP: h.ip })) },
        });
      }
    }

    // podCIDR against node addresses and the subnet the nodes' InternalIPs live on.
    const routings = nodeRoutings(ctx.model);
    let subnetsRead = 0;
    // Node addresses, each looked up in the index once.
    const addressClashes = new Map<OwnedCidr, { what: string; evidence: Evidence }[]>();
    for (const n of addressing.nodes) {
      for (const [position, address] of (n.node?.addresses ?? []).entries()) {
        if (address.type !== 'InternalIP' && address.type !== 'ExternalIP') continue;
        const ip = parseIpAddress(address.address);
        for (const o of ip ? index.containing(ip) : []) {
          const list = addressClashes.get(o) ?? [];
          list.push({ what: `${n.name}'s ${address.type} ${address.address}`, evidence: n.node!.source.at(`status.addresses[${position}].address`, `${n.name} ${address.type} ${address.address}`) });
          addressClashes.set(o, list);
        }
      }
    }
    for (const o of owned) {
      const clashes = [...(addressClashes.get(o) ?? [])];
      const self = addressing.node(o.node);
      const routing = routings.node(o.node);
      if (routing?.ipAddr && self?.internalIP) {
        subnetsRead++;
        const holder = interfaceHolding(routing, self.internalIP);
        const address = holder?.view.addresses.find((a) => a.address.family === self.internalIP!.family && a.address.value === self.internalIP!.value);
        const subnet = address && address.prefixLength > 0 ? parseCidr(`${formatIpAddress(address.address)}/${address.prefixLength}`) : undefined;
        if (holder && address && subnet && cidrsOverlap(subnet, o.cidr) && !clashes.some((c) => c.what.startsWith(`${o.node}'s`))) {
          clashes.push({ what: `${o.node}'s own subnet ${address.text}/${address.prefixLength} on ${holder.name}`, evidence: routing.ipAddr.file.evidenceAtLine(address.line, `${holder.name} ${address.text}/${address.prefixLength}`) });
        }
      }
      if (clashes.length === 0) continue;
      ctx.report({
        subjects: [`Node/${o.node}`],
        title: `${o.node}'s podCIDR ${o.text} overlaps node addresses`,
        message: `${o.node}'s podCIDR ${o.text} collides with ${listSome(clashes.map((c) => c.what), 4)}: routes to the pod range and to the node network conflict, so nodes and pods in the overlap cannot reach each other reliably (traffic for a node address is sent into the pod network, or the reverse).`,
        evidence: [o.evidence, ...clashes.slice(0, 4).map((c) => c.evidence)],
        remediation: 'pick a cluster CIDR outside every network the nodes use (kube-controller-manager --cluster-cidr, kubeadm podSubnet, the CNI pool) and re-create the nodes so they get ranges from it',
        data: { node: o.node, podCIDR: o.text, clashes: clashes.map((c) => c.what) },
      });
    }
    const subnetNote = subnetsRead > 0 ? `, node subnets from ip-addr.txt of ${plural(subnetsRead, 'node')}` : '';
    ctx.setCoverage('checked', `${plural(owned.length, 'podCIDR')} of ${plural(addressing.nodes.length, 'node')} compared with each other, node addresses${subnetNote}; ${serviceNote}`);
  },
});

function compare(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeShared(a: Cidr, b: Cidr): string {
  const smaller = (a.prefix ?? 0) >= (b.prefix ?? 0) ? a : b;
  return `${smaller.text === a.text && smaller.text === b.text ? 'every address' : `the addresses of ${smaller.text}`}`;
}
