import type { Evidence } from '../analyzer/bundle/source-file.js';
import { makeEvidence } from '../analyzer/bundle/source-file.js';
import type { CalicoIpPool } from '../analyzer/cni/parse-calico-ippools.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { anyOf, bundleFile, inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type RuleContext } from '../analyzer/engine/rule.js';
import { formatIpAddress, parseCidr, parseIpAddress, type Cidr } from '../analyzer/netfilter/ip-cidr.js';
import { cidrsOverlap } from '../analyzer/routing/cidr-overlap.js';
import { clusterCidrs } from '../analyzer/routing/cluster-cidr.js';
import { clusterAddressing, interfaceHolding } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings } from '../analyzer/routing/node-routing.js';
import { cniDisplayName, podNetwork } from '../analyzer/routing/pod-network.js';
import { serviceCidrs } from '../analyzer/routing/service-cidr.js';
import { listSome, plural } from './lib/list-text.js';

const POOLS_JSON = 'cluster/calico/ippools.json';
const POOLS_YAML = 'cluster/calico/ippools.yaml';

type Pool = CalicoIpPool & { cidr: Cidr & { prefix: number } };

/**
 * Calico's IP pools against the rest of the cluster's addressing:
 * - an enabled pool overlapping the Service CIDR or the nodes' network (critical: pods get
 *   addresses that collide with ClusterIPs or hosts);
 * - a pool outside the cluster CIDR kube-controller-manager/kube-proxy know, or (host-local IPAM
 *   on node podCIDRs) node podCIDRs no enabled pool covers: Felix encapsulates and NATs only
 *   pool addresses (warning);
 * - a pool with both IP-in-IP and VXLAN on (Calico refuses it), IP-in-IP or unencapsulated pools
 *   where calico-node runs without BIRD (nothing distributes the routes), an unencapsulated pool
 *   across nodes in different subnets with no BGP peering to the routers between them (critical);
 * - fewer blocks in the pools than nodes (warning: nodes borrow addresses from others' blocks);
 * - pods still holding addresses of a disabled pool, and natOutgoing off (info).
 * Pod IPs outside every pool are pod-ip-outside-cidr's; a missing tunl0 / vxlan.calico is tunnel-down's.
 */
export default defineRule({
  id: 'calico-ippool-problem',
  layer: 'cni',
  severity: 'critical',
  description: 'A Calico IP pool overlaps other ranges, lies outside the cluster CIDR, or has an encapsulation that cannot work',
  area: 'CNI health',
  requires: [inputs.nodes],
  optional: [anyOf(POOLS_JSON, bundleFile(POOLS_JSON), bundleFile(POOLS_YAML)), inputs.pods, inputs.services, inputs.daemonSets, inputs.configMaps],
  check(ctx) {
    const network = podNetwork(ctx.model);
    if (!network.calicoPools) {
      const calico = network.cni === 'calico' || network.cni === 'canal';
      ctx.setCoverage('checked', calico ? `${cniDisplayName(network.cni)} runs but its IP pools were not collected (${POOLS_JSON}): pools not checked` : `no Calico IP pools in the bundle (${cniDisplayName(network.cni)})`);
      return;
    }
    const all = network.calicoPools;
    const pools = all.filter((p): p is Pool => p.cidr !== undefined && p.cidr.prefix !== undefined);
    const enabled = pools.filter((p) => !p.disabled);
    checkServiceOverlap(ctx, enabled);
    checkNodeOverlap(ctx, enabled);
    checkClusterCidr(ctx, enabled);
    checkEncapsulation(ctx, enabled);
    checkBlocks(ctx, enabled);
    checkDisabledInUse(ctx, pools, enabled);
    checkNatOutgoing(ctx, enabled);
    ctx.setCoverage('checked', `${plural(pools.length, 'IP pool')} (${enabled.length} enabled) checked against the Service CIDR, node addresses, cluster CIDR, encapsulation and node count`);
  },
});

function poolEvidence(pool: Pool, field: string, note: string): Evidence {
  return pool.source?.at(`spec.${field}`, note) ?? makeEvidence(POOLS_JSON, pool.line, pool.name, note);
}

const subjectOf = (pool: Pool) => `IPPool/${pool.name}`;

function checkServiceOverlap(ctx: RuleContext, enabled: Pool[]): void {
  const ranges = serviceCidrs(ctx.model);
  for (const pool of enabled) {
    const hit = ranges.filter((r) => cidrsOverlap(r.cidr, pool.cidr));
    const clusterIPs = ranges.length > 0 ? [] : ctx.model.kube.services.filter((s) => s.clusterIPs.some((ip) => inPool(pool, ip)));
    if (hit.length === 0 && clusterIPs.length === 0) continue;
    const what = hit.length > 0 ? `the Service CIDR ${listSome(hit.map((r) => `${r.text} (${r.source})`), 2)}` : `the ClusterIPs of ${listSome(clusterIPs.map((s) => `${s.namespace}/${s.name} ${s.clusterIPs[0]}`), 3)}`;
    ctx.report({
      subjects: [subjectOf(pool)],
      title: `IP pool ${pool.name} (${pool.cidrText}) overlaps the Service range`,
      message:
        `Calico's IP pool ${pool.name} ${pool.cidrText} overlaps ${what}: ` +
        (podNetwork(ctx.model).ipam.kind === 'calico-ipam'
          ? "Calico hands pods addresses that are, or can become, ClusterIPs; kube-proxy DNATs traffic for those addresses to a Service's endpoints, so such pods are unreachable and Services whose ClusterIP equals a pod address misroute."
          : 'Felix takes those ClusterIPs for pod addresses (it skips natOutgoing for traffic to them and routes the blocks it sees there), and any switch to calico-ipam would hand them to pods.'),
      evidence: [poolEvidence(pool, 'cidr', `cidr ${pool.cidrText}`), ...hit.map((r) => r.evidence), ...clusterIPs.slice(0, 3).map((s) => s.source.at('spec.clusterIP', `ClusterIP ${s.clusterIPs[0]}`))],
      remediation: `create a pool outside the Service range, disable ${pool.name} (calicoctl patch ippool ${pool.name} -p '{"spec":{"disabled":true}}'), re-create the pods that hold its addresses, then delete it (Calico's "migrate from one IP pool to another")`,
      commands: ['calicoctl get ippool -o wide', "kubectl -n kube-system get pod -l component=kube-apiserver -o yaml | grep service-cluster-ip-range", 'calicoctl ipam show --show-blocks'],
      data: { pool: pool.name, cidr: pool.cidrText, serviceCIDRs: hit.map((r) => r.text), services: clusterIPs.map((s) => `${s.namespace}/${s.name}`) },
    });
  }
}

function inPool(pool: Pool, ip: string): boolean {
  const address = parseIpAddress(ip);
  if (!address) return false;
  const cidr = parseCidr(`${formatIpAddress(address)}/${address.family === 4 ? 32 : 128}`);
  return cidr !== undefined && cidrsOverlap(cidr, pool.cidr);
}

function checkNodeOverlap(ctx: RuleContext, enabled: Pool[]): void {
  const addressing = clusterAddressing(ctx.model);
  const routings = nodeRoutings(ctx.model);
  for (const pool of enabled) {
    const clashes: { what: string; evidence: Evidence; node: string }[] = [];
    for (const n of addressing.nodes) {
      const node = n.node;
      if (!node) continue;
      node.addresses.forEach((address, index) => {
        if ((address.type === 'InternalIP' || address.type === 'ExternalIP') && inPool(pool, address.address)) {
          clashes.push({ node: n.name, what: `${n.name}'s ${address.type} ${address.address}`, evidence: node.source.at(`status.addresses[${index}].address`, `${n.name} ${address.type} ${address.address}`) });
        }
      });
      const routing = routings.node(n.name);
      if (!routing?.ipAddr || !n.internalIP || clashes.some((c) => c.node === n.name)) continue;
      const holder = interfaceHolding(routing, n.internalIP);
      const own = holder?.view.addresses.find((a) => a.address.family === n.internalIP!.family && a.address.value === n.internalIP!.value);
      const subnet = own && own.prefixLength > 0 ? parseCidr(`${formatIpAddress(own.address)}/${own.prefixLength}`) : undefined;
      if (holder && own && subnet && cidrsOverlap(subnet, pool.cidr)) {
        clashes.push({ node: n.name, what: `${n.name}'s subnet ${own.text}/${own.prefixLength} on ${holder.name}`, evidence: routing.ipAddr.file.evidenceAtLine(own.line, `${holder.name} ${own.text}/${own.prefixLength}`) });
      }
    }
    if (clashes.length === 0) continue;
    const nodes = [...new Set(clashes.map((c) => c.node))];
    ctx.report({
      subjects: [subjectOf(pool), ...nodes.map((n) => `Node/${n}`)],
      title: `IP pool ${pool.name} (${pool.cidrText}) overlaps the node network`,
      message: `Calico's IP pool ${pool.name} ${pool.cidrText} contains ${listSome(clashes.map((c) => c.what), 4)}: routes to pod blocks and to the node network conflict, so pods given addresses in the overlap and the nodes (or hosts) there cannot reach each other reliably.`,
      evidence: [poolEvidence(pool, 'cidr', `cidr ${pool.cidrText}`), ...clashes.slice(0, 4).map((c) => c.evidence)],
      remediation: `move pods to a pool outside every network the nodes use: create it, disable ${pool.name}, re-create the pods, delete ${pool.name}`,
      commands: ['calicoctl get ippool -o wide', 'kubectl get nodes -o wide', 'ip -4 addr show   # on a node'],
      data: { pool: pool.name, cidr: pool.cidrText, clashes: clashes.map((c) => c.what) },
    });
  }
}

function checkClusterCidr(ctx: RuleContext, enabled: Pool[]): void {
  const network = podNetwork(ctx.model);
  const clusters = clusterCidrs(ctx.model);
  // With host-local IPAM pods take node podCIDR addresses whatever the pools say: what matters
  // then is that the pools cover the podCIDRs (below), not where each pool lies.
  if (clusters.length > 0 && !(network.ipam.kind === 'node-podcidr' && network.ipam.evidence)) {
    for (const pool of enabled) {
      const same = clusters.filter((c) => c.cidr.family === pool.cidr.family);
      if (same.length === 0 || same.some((c) => within(pool.cidr, c.cidr))) continue;
      ctx.report({
        subjects: [subjectOf(pool)],
        title: `IP pool ${pool.name} (${pool.cidrText}) lies outside the cluster CIDR ${same.map((c) => c.text).join(', ')}`,
        message: `pods get addresses from ${pool.name} ${pool.cidrText}, ${same.some((c) => cidrsOverlap(c.cidr, pool.cidr)) ? 'which reaches beyond' : 'which is outside'} the cluster CIDR ${same.map((c) => `${c.text} (${c.source})`).join(', ')}: kube-proxy (--cluster-cidr) treats traffic from those pods as coming from outside the cluster and masquerades it, and the node podCIDRs allocated from the cluster CIDR do not match the addresses pods have.`,
        evidence: [poolEvidence(pool, 'cidr', `cidr ${pool.cidrText}`), ...same.map((c) => c.evidence)],
        severity: 'warning',
        remediation: `make the pool a subset of the cluster CIDR (kube-controller-manager --cluster-cidr, kubeadm podSubnet), or set the cluster CIDR to cover the pool (kube-proxy's clusterCIDR too)`,
        commands: ['calicoctl get ippool -o wide', 'kubectl -n kube-system get cm kube-proxy -o yaml | grep clusterCIDR'],
        data: { pool: pool.name, cidr: pool.cidrText, clusterCIDRs: same.map((c) => c.text) },
      });
    }
  }
  // host-local IPAM on the node podCIDRs: Felix encapsulates and NATs only addresses of its pools.
  // Only when something says so: without a CNI config, ConfigMap or DaemonSet the podCIDR IPAM is a guess.
  if (network.ipam.kind !== 'node-podcidr' || !network.ipam.evidence || enabled.length === 0) return;
  const uncovered = clusterAddressing(ctx.model).nodes.flatMap((n) => n.podCidrs.filter((c) => !enabled.some((p) => within(c.cidr, p.cidr))).map((c) => ({ node: n.name, podCidr: c })));
  if (uncovered.length === 0) return;
  ctx.report({
    subjects: uncovered.map((u) => `Node/${u.node}`).filter((s, i, list) => list.indexOf(s) === i),
    title: `${plural(uncovered.length, 'node podCIDR')} outside every enabled Calico IP pool`,
    message: `${network.ipam.how}, but ${listSome(uncovered.map((u) => `${u.node}'s podCIDR ${u.podCidr.text}`), 4)} ${uncovered.length === 1 ? 'is' : 'are'} in no enabled pool (${listSome(enabled.map((p) => `${p.name} ${p.cidrText}`), 3)}): Calico applies a pool's IP-in-IP/VXLAN and natOutgoing only to its addresses, so those pods' traffic to other nodes and to the outside is not encapsulated or NATed.`,
    evidence: [...uncovered.slice(0, 3).map((u) => u.podCidr.evidence), ...enabled.slice(0, 2).map((p) => poolEvidence(p, 'cidr', `cidr ${p.cidrText}`))],
    severity: 'warning',
    remediation: 'create an IP pool covering the cluster CIDR (the node podCIDRs), with the encapsulation and natOutgoing the cluster needs',
    commands: ['calicoctl get ippool -o wide', "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR"],
    data: { uncovered: uncovered.map((u) => ({ node: u.node, podCIDR: u.podCidr.text })) },
  });
}

/** Whether `inner` lies wholly in `outer`. */
function within(inner: Cidr, outer: Cidr): boolean {
  return (outer.prefix ?? 0) <= (inner.prefix ?? 0) && cidrsOverlap(inner, outer);
}

/** calico-node's networking backend: `bird` (BGP), `vxlan` or `none`; from calico-config or the DaemonSet. */
function calicoBackend(model: AnalysisModel): { value: string; evidence: Evidence } | undefined {
  const configMap = model.kube.configMaps.find((c) => c.namespace === 'kube-system' && c.name === 'calico-config') ?? model.kube.configMaps.find((c) => c.name === 'calico-config');
  const ds = model.kube.daemonSets.find((d) => d.name === 'calico-node');
  const containers: any[] = ds?.raw?.spec?.template?.spec?.containers ?? [];
  for (let c = 0; c < containers.length; c++) {
    const env: any[] = Array.isArray(containers[c]?.env) ? containers[c].env : [];
    const at = env.findIndex((e) => e?.name === 'CALICO_NETWORKING_BACKEND');
    if (at < 0) continue;
    if (typeof env[at].value === 'string') return { value: env[at].value, evidence: ds!.source.at(`spec.template.spec.containers[${c}].env[${at}].value`, `CALICO_NETWORKING_BACKEND=${env[at].value}`) };
  }
  const value = configMap?.data.calico_backend;
  if (configMap && value !== undefined) return { value, evidence: configMap.source.at('data.calico_backend', `calico_backend: ${value}`) };
  return undefined;
}

function checkEncapsulation(ctx: RuleContext, enabled: Pool[]): void {
  const backend = calicoBackend(ctx.model);
  const v4 = enabled.filter((p) => p.cidr.family === 4);
  for (const pool of v4) {
    const ipip = pool.ipipMode !== undefined && pool.ipipMode !== 'Never';
    const vxlan = pool.vxlanMode !== undefined && pool.vxlanMode !== 'Never';
    if (ipip && vxlan) {
      ctx.report({
        subjects: [subjectOf(pool)],
        title: `IP pool ${pool.name} enables both IP-in-IP (${pool.ipipMode}) and VXLAN (${pool.vxlanMode})`,
        message: `${pool.name} ${pool.cidrText} has ipipMode ${pool.ipipMode} and vxlanMode ${pool.vxlanMode}: Calico refuses a pool with both (calicoctl rejects it; written through the CRD it leaves Felix programming routes inconsistently), so cross-node traffic of its pods is not encapsulated the way the other nodes expect.`,
        evidence: [poolEvidence(pool, 'ipipMode', `ipipMode ${pool.ipipMode}`), poolEvidence(pool, 'vxlanMode', `vxlanMode ${pool.vxlanMode}`)],
        remediation: `set one of them to Never: calicoctl patch ippool ${pool.name} -p '{"spec":{"ipipMode":"Never"}}' (or vxlanMode)`,
        commands: ['calicoctl get ippool -o wide'],
        data: { pool: pool.name, ipipMode: pool.ipipMode, vxlanMode: pool.vxlanMode },
      });
      continue;
    }
    if (backend && backend.value !== 'bird' && !vxlan) {
      ctx.report({
        subjects: [subjectOf(pool)],
        title: `IP pool ${pool.name} needs BGP (${ipip ? `ipipMode ${pool.ipipMode}` : 'no encapsulation'}) but calico-node runs without BIRD (backend ${backend.value})`,
        message: `${pool.name} ${pool.cidrText} ${ipip ? `uses IP-in-IP (${pool.ipipMode}), whose routes BIRD distributes over BGP` : 'is routed without encapsulation, which needs the routes BIRD distributes over BGP'}, but the networking backend is "${backend.value}": no BGP runs, so no node learns the other nodes' blocks and cross-node pod traffic has no route.`,
        evidence: [poolEvidence(pool, ipip ? 'ipipMode' : 'vxlanMode', ipip ? `ipipMode ${pool.ipipMode}` : `vxlanMode ${pool.vxlanMode ?? 'Never'}`), backend.evidence],
        remediation: backend.value === 'vxlan' ? `switch the pool to VXLAN: calicoctl patch ippool ${pool.name} -p '{"spec":{"ipipMode":"Never","vxlanMode":"Always"}}'` : 'set calico_backend to bird (and restart calico-node), or switch the pool to VXLAN',
        commands: ['calicoctl get ippool -o wide', 'kubectl -n kube-system get cm calico-config -o yaml | grep calico_backend'],
        data: { pool: pool.name, ipipMode: pool.ipipMode, vxlanMode: pool.vxlanMode, backend: backend.value },
      });
      continue;
    }
    if (!ipip && !vxlan) checkRoutedAcrossSubnets(ctx, pool);
  }
}

/** An unencapsulated pool only works when every node shares one L2 subnet, or routers learn the blocks over BGP. */
function checkRoutedAcrossSubnets(ctx: RuleContext, pool: Pool): void {
  const peers = ctx.model.bundle.get('cluster/calico/bgppeers.json');
  if (peers && /"peerIP"\s*:/.test(peers.text)) return;
  const routings = nodeRoutings(ctx.model);
  const subnets = new Map<string, { node: string; evidence: Evidence }[]>();
  for (const n of clusterAddressing(ctx.model).nodes) {
    const routing = routings.node(n.name);
    if (!routing?.ipAddr || !n.internalIP || n.internalIP.family !== 4) continue;
    const holder = interfaceHolding(routing, n.internalIP);
    const own = holder?.view.addresses.find((a) => a.address.family === 4 && a.address.value === n.internalIP!.value);
    const subnet = own && own.prefixLength > 0 ? parseCidr(`${formatIpAddress(own.address)}/${own.prefixLength}`) : undefined;
    if (!subnet || !own) continue;
    const key = `${formatIpAddress({ family: 4, value: subnet.network as number })}/${own.prefixLength}`;
    const list = subnets.get(key) ?? [];
    list.push({ node: n.name, evidence: routing.ipAddr.file.evidenceAtLine(own.line, `${n.name} ${own.text}/${own.prefixLength}`) });
    subnets.set(key, list);
  }
  if (subnets.size < 2) return;
  const groups = [...subnets].map(([subnet, nodes]) => `${subnet} (${listSome(nodes.map((x) => x.node), 3)})`);
  ctx.report({
    subjects: [subjectOf(pool)],
    title: `IP pool ${pool.name} is unencapsulated but the nodes sit in ${subnets.size} subnets`,
    message: `${pool.name} ${pool.cidrText} has ipipMode and vxlanMode Never: pod packets leave the node with pod addresses, which only works within one L2 subnet or when the routers in between learn the pod blocks over BGP (no BGPPeer is configured). The nodes are in ${listSome(groups, 4, '; ')}: traffic between pods on different subnets goes to the gateway, which has no route to pod blocks.`,
    evidence: [poolEvidence(pool, 'ipipMode', `ipipMode ${pool.ipipMode ?? 'Never'}`), ...[...subnets.values()].map((nodes) => nodes[0]!.evidence)],
    remediation: `use CrossSubnet encapsulation: calicoctl patch ippool ${pool.name} -p '{"spec":{"ipipMode":"CrossSubnet"}}' (or vxlanMode CrossSubnet), or peer the nodes with the routers (BGPPeer)`,
    commands: ['calicoctl get ippool -o wide', 'calicoctl get bgppeers', 'calicoctl node status'],
    data: { pool: pool.name, subnets: [...subnets.keys()] },
  });
}

function checkBlocks(ctx: RuleContext, enabled: Pool[]): void {
  const network = podNetwork(ctx.model);
  if (network.ipam.kind !== 'calico-ipam') return;
  const nodes = ctx.model.kube.nodes.length;
  const v4 = enabled.filter((p) => p.cidr.family === 4 && p.blockSize !== undefined && p.blockSize >= p.cidr.prefix && (p.nodeSelector === undefined || p.nodeSelector === 'all()'));
  if (v4.length === 0 || nodes === 0) return;
  const blocks = v4.reduce((sum, p) => sum + 2 ** (p.blockSize! - p.cidr.prefix), 0);
  if (blocks >= nodes) return;
  ctx.report({
    subjects: v4.map(subjectOf),
    title: `The IPv4 pools hold ${plural(blocks, 'block')} for ${plural(nodes, 'node')}`,
    message: `Calico gives each node its own blocks: ${listSome(v4.map((p) => `${p.name} ${p.cidrText} with blockSize ${p.blockSize} has ${plural(2 ** (p.blockSize! - p.cidr.prefix), 'block')}`), 3)}, fewer than the ${nodes} nodes. Nodes without a block borrow single addresses from other nodes' blocks, which needs a /32 route per pod (and fails under strictAffinity), or their pods get no address.`,
    evidence: v4.map((p) => poolEvidence(p, 'blockSize', `blockSize ${p.blockSize}`)),
    severity: 'warning',
    remediation: 'add an IP pool (or use a larger pool, or a larger block: a smaller blockSize number); a pool\'s blockSize cannot be changed in place',
    commands: ['calicoctl ipam show --show-blocks', 'calicoctl get ippool -o yaml'],
    data: { blocks, nodes, pools: v4.map((p) => ({ pool: p.name, cidr: p.cidrText, blockSize: p.blockSize })) },
  });
}

function checkDisabledInUse(ctx: RuleContext, pools: Pool[], enabled: Pool[]): void {
  for (const pool of pools.filter((p) => p.disabled)) {
    const holders = ctx.model.kube.pods.filter((p) => !p.hostNetwork && p.phase !== 'Succeeded' && p.phase !== 'Failed' && p.podIPs.some((ip) => inPool(pool, ip) && !enabled.some((e) => inPool(e, ip))));
    if (holders.length === 0) continue;
    ctx.report({
      subjects: [subjectOf(pool), ...holders.slice(0, 5).map((p) => p.ref)],
      title: `${plural(holders.length, 'pod')} still ${holders.length === 1 ? 'holds an address' : 'hold addresses'} of the disabled IP pool ${pool.name}`,
      message: `${pool.name} ${pool.cidrText} is disabled (no new addresses), but ${listSome(holders.map((p) => `${p.namespace}/${p.name} ${p.podIPs[0]}`), 4)} still use it: a pool migration that is not finished. They keep working while the pool exists; deleting the pool now would strand them.`,
      evidence: [poolEvidence(pool, 'disabled', 'disabled: true'), ...holders.slice(0, 3).map((p) => p.source.at('status.podIP', `${p.namespace}/${p.name} ${p.podIPs[0]}`))],
      severity: 'info',
      remediation: `re-create those pods (kubectl rollout restart on their workloads) so they get addresses from an enabled pool, then delete ${pool.name}`,
      commands: ['calicoctl ipam show --show-blocks', 'calicoctl get ippool -o wide'],
      data: { pool: pool.name, pods: holders.map((p) => p.ref) },
    });
  }
}

function checkNatOutgoing(ctx: RuleContext, enabled: Pool[]): void {
  const network = podNetwork(ctx.model);
  if (network.cloudRoutedPods) return;
  for (const pool of enabled.filter((p) => p.natOutgoing === false)) {
    ctx.report({
      subjects: [subjectOf(pool)],
      title: `IP pool ${pool.name} has natOutgoing off`,
      message: `${pool.name} ${pool.cidrText} does not masquerade traffic leaving the pool: pods reach destinations outside the cluster with their own addresses, which works only when the network routes ${pool.cidrText} back to the nodes (BGP peering with the routers, or static routes).`,
      evidence: [poolEvidence(pool, 'natOutgoing', 'natOutgoing: false')],
      severity: 'info',
      remediation: `if the network does not route the pool, turn NAT on: calicoctl patch ippool ${pool.name} -p '{"spec":{"natOutgoing":true}}'`,
      commands: ['calicoctl get ippool -o wide'],
      data: { pool: pool.name },
    });
  }
}
