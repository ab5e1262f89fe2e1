import type { Evidence } from '../analyzer/bundle/source-file.js';
import { CNI_NODE_FILES, nodeCnis, type NodeCni } from '../analyzer/cni/node-cni.js';
import type { WeaveIpamState } from '../analyzer/cni/weave-ipam-state.js';
import { anyOf, inputs, nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule, type RuleContext } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** What each IPAM state means for the node's pods. */
const IPAM_TROUBLE: Partial<Record<WeaveIpamState, string>> = {
  'awaiting-consensus': 'IPAM is waiting for a quorum of peers to agree on the first split of the range: no pod on this node gets an address until enough peers are connected',
  priming: 'IPAM is still learning the ring from its peers: pods wait for an address',
  'waiting-for-addresses': 'IPAM is waiting for addresses (allocation requests pending, no free space it owns): new pods stay in ContainerCreating',
  'owners-unreachable': 'every IP range is owned by unreachable peers: this node cannot allocate addresses (split brain, or peers removed without `weave rmpeer`)',
};

interface Connection {
  address: string;
  outbound: boolean;
  state: string;
  reason: string;
  evidence: Evidence;
}

/**
 * Weave Net's router and IPAM as `weave status` / `weave status connections` / `weave report`
 * show them on each node:
 * - connections to peers that are not established (`failed` or `retrying` with the dial error:
 *   TCP 6783 blocked or the peer down, critical; `pending`/`connecting` stuck, usually UDP
 *   6783/6784 blocked, warning);
 * - IPAM not ready (awaiting consensus, priming, waiting for addresses, every range owned by
 *   unreachable peers), critical; ranges owned by unreachable peers beside reachable ones
 *   (a lost peer never `rmpeer`ed, or a split ring), warning;
 * - established connections in sleeve mode (userspace encapsulation: fastdp could not be used), info;
 * - the weave-net DaemonSet without its weave-npc container while NetworkPolicies exist, warning.
 */
export default defineRule({
  id: 'weave-unhealthy',
  layer: 'cni',
  severity: 'critical',
  description: 'Weave Net peers not connected, IPAM not ready or split, sleeve fallback, or no weave-npc',
  area: 'CNI health',
  requires: [anyOf('nodes/*/weave/', nodeFile(CNI_NODE_FILES.weaveStatus), nodeFile(CNI_NODE_FILES.weaveReport))],
  optional: [inputs.nodes, inputs.daemonSets, inputs.networkPolicies],
  check(ctx) {
    const nodeByIp = new Map<string, string>();
    for (const node of ctx.model.kube.nodes) for (const ip of node.ips) nodeByIp.set(ip, node.name);
    const peerNode = (address: string) => nodeByIp.get(address.replace(/:\d+$/, ''));
    let checked = 0;
    for (const entry of nodeCnis(ctx.model)) {
      if (!entry.weaveStatus && !entry.weaveReport) continue;
      checked++;
      checkRouterAndIpam(ctx, entry, peerNode);
      checkSleeve(ctx, entry);
    }
    checkNpc(ctx);
    setNodeCoverage(ctx, 'weave status read', checked);
  },
});

function connectionsOf(entry: NodeCni): Connection[] {
  if (entry.weaveStatus && entry.weaveStatus.value.connections.length > 0) {
    const { file, value } = entry.weaveStatus;
    return value.connections.map((c) => ({ address: c.address, outbound: c.outbound, state: c.state, reason: c.error ?? c.info, evidence: file.evidenceAtLine(c.line, `${c.address} ${c.state}`) }));
  }
  const report = entry.weaveReport;
  if (!report?.value.router || !report.value.source) return [];
  return report.value.router.connections.map((c) => ({
    address: c.address,
    outbound: c.outbound,
    state: c.state,
    reason: c.info.replace(/, retry: .*$/, ''),
    evidence: report.value.source!.at(`${c.path}.State`, `${c.address} ${c.state}`),
  }));
}

function checkRouterAndIpam(ctx: RuleContext, entry: NodeCni, peerNode: (address: string) => string | undefined): void {
  const sentences: string[] = [];
  const evidence: Evidence[] = [];
  const peers = new Set<string>();
  let severity: Severity | undefined;
  const describe = (address: string) => {
    const name = peerNode(address);
    return name ? `${address} (${name})` : address;
  };

  const down = connectionsOf(entry).filter((c) => c.state !== 'established');
  if (down.length > 0) {
    const hard = down.filter((c) => c.state === 'failed' || c.state === 'retrying');
    severity = hard.length > 0 ? 'critical' : 'warning';
    sentences.push(`${plural(down.length, 'connection')} not established: ${listSome(down.map((c) => `${c.outbound ? '->' : '<-'} ${describe(c.address)} ${c.state}${c.reason ? `: ${c.reason}` : ''}`), 4, '; ')}`);
    if (down.some((c) => c.state === 'pending' || c.state === 'connecting')) sentences.push('a connection stuck in pending has its TCP control channel but no UDP heartbeat: UDP 6783/6784 is blocked between the nodes');
    for (const c of down.slice(0, 4)) {
      evidence.push(c.evidence);
      const name = peerNode(c.address);
      if (name && name !== entry.node) peers.add(name);
    }
  }

  const status = entry.weaveStatus?.value.ipam;
  const reportIpam = entry.weaveReport?.value.ipam;
  const state = status && status.state !== 'unknown' ? status.state : reportIpam?.state;
  const trouble = state === undefined ? undefined : IPAM_TROUBLE[state];
  if (trouble) {
    severity = 'critical';
    const text = status?.statusText ?? state!;
    sentences.push(`IPAM status "${text}": ${trouble}`);
    if (status?.statusLine !== undefined && entry.weaveStatus) evidence.push(entry.weaveStatus.file.evidenceAtLine(status.statusLine, `IPAM ${text}`));
    else if (entry.weaveReport?.value.source) evidence.push(entry.weaveReport.value.source.at('IPAM', `IPAM ${state}`));
  }

  const unreachable = unreachableOwners(entry);
  if (unreachable.length > 0 && state !== 'owners-unreachable') {
    severity ??= 'warning';
    sentences.push(`${listSome(unreachable.map((u) => `${u.name} (${u.share})`), 3)} of the IP range ${unreachable.length === 1 ? 'is' : 'are'} owned by ${unreachable.length === 1 ? 'a peer' : 'peers'} this node cannot reach: those addresses are lost until the peer returns or is removed with \`weave rmpeer\`, and a ring split this way hands out the same addresses twice when both halves allocate`);
    for (const u of unreachable.slice(0, 3)) evidence.push(u.evidence);
  }

  if (entry.weaveReport?.value.ready === false && entry.weaveReport.value.source) {
    severity ??= 'warning';
    sentences.push('the router reports Ready: false');
    evidence.push(entry.weaveReport.value.source.at('Ready', 'Ready: false'));
  }
  if (!severity) return;

  ctx.report({
    subjects: [`Node/${entry.node}`, ...[...peers].map((name) => `Node/${name}`)],
    title:
      down.length > 0
        ? `Weave Net on ${entry.node}: ${plural(down.length, 'peer connection')} not established${peers.size > 0 ? ` (${listSome([...peers], 3)})` : ''}`
        : trouble
          ? `Weave Net IPAM on ${entry.node} not ready`
          : unreachable.length > 0
            ? `Weave Net on ${entry.node}: part of the IP range is owned by unreachable peers`
            : `Weave Net router on ${entry.node} not ready`,
    message: `weave status on ${entry.node}: ${sentences.join('; ')}.${down.length > 0 ? ` Pods on ${entry.node} cannot reach pods on the peers it is not connected to (Weave routes only over established connections, or relays through a third peer when one is connected to both).` : ''}`,
    evidence,
    severity,
    remediation:
      'open TCP 6783 and UDP 6783-6784 between the nodes (firewalls, security groups), check the weave container on the unreachable peer (kubectl logs -c weave); for ranges owned by peers that are gone for good run `weave rmpeer <peer>` on one remaining node',
    commands: [
      `kubectl -n kube-system exec <weave-net pod on ${entry.node}> -c weave -- /home/weave/weave --local status connections`,
      `kubectl -n kube-system exec <weave-net pod on ${entry.node}> -c weave -- /home/weave/weave --local status ipam`,
      'kubectl -n kube-system logs -l name=weave-net -c weave --tail=100',
    ],
    data: { node: entry.node, connections: down.map((c) => ({ address: c.address, node: peerNode(c.address), state: c.state, reason: c.reason })), ipam: state, peers: [...peers] },
  });
}

function unreachableOwners(entry: NodeCni): { name: string; share: string; evidence: Evidence }[] {
  if (entry.weaveStatus && entry.weaveStatus.value.ipamOwners.length > 0) {
    const { file, value } = entry.weaveStatus;
    return value.ipamOwners.filter((o) => o.unreachable).map((o) => ({ name: `${o.peerName}(${o.nickName})`, share: `${o.addresses} IPs, ${o.percent}%`, evidence: file.evidenceAtLine(o.line, `${o.nickName} unreachable`) }));
  }
  const report = entry.weaveReport?.value;
  if (!report?.ipam || !report.source) return [];
  const total = report.ipam.rangeSize ?? 0;
  const lost = new Map<string, { name: string; size: number; index: number }>();
  report.ipam.entries.forEach((e, index) => {
    if (e.isKnownPeer || e.size === 0) return;
    const known = lost.get(e.peer);
    if (known) known.size += e.size;
    else lost.set(e.peer, { name: `${e.peer}(${e.nickName})`, size: e.size, index });
  });
  return [...lost.values()].map((l) => ({
    name: l.name,
    share: total > 0 ? `${l.size} IPs, ${Math.round((l.size / total) * 1000) / 10}%` : `${l.size} IPs`,
    evidence: report.source!.at(`IPAM.Entries[${l.index}].IsKnownPeer`, `${l.name} not a known peer`),
  }));
}

function checkSleeve(ctx: RuleContext, entry: NodeCni): void {
  const sleeve = entry.weaveStatus
    ? entry.weaveStatus.value.connections.filter((c) => c.state === 'established' && c.overlay === 'sleeve').map((c) => ({ address: c.address, peer: c.peerNickName, evidence: entry.weaveStatus!.file.evidenceAtLine(c.line, `${c.address} sleeve`) }))
    : [];
  if (sleeve.length === 0) return;
  ctx.report({
    subjects: [`Node/${entry.node}`],
    title: `Weave Net on ${entry.node} uses sleeve for ${plural(sleeve.length, 'connection')}`,
    message: `${listSome(sleeve.map((s) => `${s.address}${s.peer ? ` (${s.peer})` : ''}`), 4)} ${sleeve.length === 1 ? 'runs' : 'run'} in sleeve mode: weave encapsulates in userspace instead of the kernel's fastdp (VXLAN via Open vSwitch datapath), which costs CPU and throughput. Weave falls back to sleeve when the fastdp handshake fails: UDP 6784 blocked, encryption in old versions, or a kernel without the openvswitch module.`,
    evidence: sleeve.slice(0, 4).map((s) => s.evidence),
    severity: 'info',
    remediation: 'open UDP 6784 between the nodes and check that the openvswitch and vxlan kernel modules load; the weave container log says why fastdp was not used',
    commands: [`kubectl -n kube-system logs <weave-net pod on ${entry.node}> -c weave | grep -i -e fastdp -e sleeve`],
    data: { node: entry.node, sleeve: sleeve.map((s) => s.address) },
  });
}

function checkNpc(ctx: RuleContext): void {
  const ds = ctx.model.kube.daemonSets.find((d) => d.name === 'weave-net');
  if (!ds || ctx.model.kube.networkPolicies.length === 0) return;
  const containers: any[] = ds.raw?.spec?.template?.spec?.containers ?? [];
  if (containers.some((c) => c?.name === 'weave-npc' || String(c?.image ?? '').includes('weave-npc'))) return;
  const policies = ctx.model.kube.networkPolicies;
  ctx.report({
    subjects: [ds.ref],
    title: `weave-net runs without weave-npc while ${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')} ${policies.length === 1 ? 'exists' : 'exist'}`,
    message: `the weave-net DaemonSet has the containers ${listSome(containers.map((c) => String(c?.name)), 4)} but no weave-npc, Weave Net's NetworkPolicy controller: ${listSome(policies.map((p) => `${p.namespace}/${p.name}`), 3)} and the others are not enforced.`,
    evidence: [ds.source.at('spec.template.spec.containers', 'containers'), ...policies.slice(0, 2).map((p) => p.source.at('metadata.name', `NetworkPolicy ${p.namespace}/${p.name}`))],
    severity: 'warning',
    remediation: 're-apply the weave-net manifest with its weave-npc container (or install another policy engine)',
    commands: ['kubectl -n kube-system get ds weave-net -o jsonpath="{.spec.template.spec.containers[*].name}"'],
    data: { daemonSet: ds.ref, policies: policies.length },
  });
}
