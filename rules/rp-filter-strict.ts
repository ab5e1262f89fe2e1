import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { formatIpAddress, type IpAddress } from '../analyzer/netfilter/ip-cidr.js';
import { clusterAddressing, interfaceHolding, interfaceOnSubnet, samplePodAddress, type NodeAddressing } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings, type NodeRouting, type NodeRoutings } from '../analyzer/routing/node-routing.js';
import { expectedTunnels, podNetwork, type PodNetwork } from '../analyzer/routing/pod-network.js';
import { lookupRoute, type RouteLookupResult, type RoutingState } from '../analyzer/routing/route-lookup.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

const TUNNEL_KINDS = new Set(['vxlan', 'ipip', 'geneve', 'wireguard']);

interface Arrival {
  device: string;
  /** How the arrival interface was worked out. */
  how: string;
  /** The sender's route line, when its routing table was read. */
  senderRoute?: Evidence;
}

interface Drop {
  remote: string;
  source: IpAddress;
  arrival: Arrival;
  result: RouteLookupResult;
  back: RouteLookupResult;
  assumedDefault: boolean;
}

/**
 * Strict reverse-path filtering (rp_filter = 1) drops a packet when the route back to its source
 * does not leave through the interface it arrived on. The effective value of an interface is
 * max(conf.all.rp_filter, conf.<dev>.rp_filter); a device created after boot got
 * conf.default.rp_filter. The rule asks the node's FIB, as the kernel would, for a pod packet of
 * each other node arriving where that node sends it (read from its routing table when collected,
 * else its tunnel device or the interface on its subnet), and reports the nodes where the answer
 * is an rp_filter drop: asymmetric routes (several uplinks, policy routing, a tunnel whose reverse
 * route points elsewhere). Strict filtering over symmetric routes is left alone.
 */
export default defineRule({
  id: 'rp-filter-strict',
  layer: 'l3',
  severity: 'critical',
  description: 'Strict reverse-path filtering drops pod traffic whose route back leaves through another interface',
  area: 'Routing',
  requires: [routingInputs.sysctl, routingInputs.ipRoute, inputs.nodes],
  optional: [routingInputs.ipAddr, routingInputs.ipRule],
  check(ctx) {
    const routings = nodeRoutings(ctx.model);
    const addressing = clusterAddressing(ctx.model);
    const network = podNetwork(ctx.model);
    let checked = 0;
    const strictButSymmetric: string[] = [];
    const listed = new Map(ctx.model.kube.nodes.map((n, i) => [n.name, i]));
    for (const local of routings.nodes) {
      if (!local.routing || !local.sysctl) continue;
      checked++;
      const strict = strictSettings(local);
      if (strict.length === 0) continue;
      const self = addressing.node(local.node);
      const destination = self ? samplePodAddress(self, 4) : undefined;
      if (!destination) continue;
      const { state, defaulted } = withDeviceDefaults(local, local.routing);
      // With conf.all strict every interface is strict: an interface's own (or defaulted) value then explains nothing.
      const allStrict = local.sysctlValue('net.ipv4.conf.all.rp_filter')?.value === '1';

      const drops: Drop[] = [];
      for (const remote of addressing.nodes) {
        if (remote.name === local.node) continue;
        const source = samplePodAddress(remote, 4);
        if (!source) continue;
        const arrival = arrivalInterface(routings, network, local, remote, destination);
        if (!arrival) continue;
        const result = lookupRoute(state, { dst: formatIpAddress(destination), src: formatIpAddress(source), iif: arrival.device });
        if (result.type !== 'rejected' || !result.reason.includes('rp_filter')) continue;
        const back = lookupRoute(state, { dst: formatIpAddress(source) });
        drops.push({ remote: remote.name, source, arrival, result, back, assumedDefault: !allStrict && defaulted.has(arrival.device) });
      }
      if (drops.length === 0) {
        strictButSymmetric.push(local.node);
        continue;
      }

      // The example is the first dropping node in cluster/nodes.json's order (kubectl lists by
      // name), which anonymization keeps, so a report on an anonymized bundle tells the same story.
      const first = drops.reduce((a, b) => ((listed.get(b.remote) ?? 0) < (listed.get(a.remote) ?? 0) ? b : a));
      const backDevices = [...new Set(first.back.nexthops.map((h) => h.device).filter((d): d is string => d !== undefined))];
      const evidence: Evidence[] = [...strict.map((s) => s.evidence)];
      const backRoute = first.back.evidence.find((e) => e.note === 'matching route');
      if (backRoute) evidence.push({ ...backRoute, note: `the route back to ${formatIpAddress(first.source)} leaves through ${backDevices.join(', ') || 'another interface'}` });
      if (first.arrival.senderRoute) evidence.push(first.arrival.senderRoute);
      const perRemote = drops.map((d) => `from ${d.remote}'s pods (${formatIpAddress(d.source)}) arriving on ${d.arrival.device}`);
      ctx.report({
        subjects: [local.subject],
        title: `Strict rp_filter on ${local.node} drops pod traffic from ${listSome(drops.map((d) => d.remote), 3)}`,
        message:
          `${strict.map((s) => s.text).join(', ')} on ${local.node}, and its routes are asymmetric: packets ${listSome(perRemote, 3, '; ')} are dropped as spoofed. ` +
          `${first.arrival.how}; ${first.result.reason}${backRoute ? ` (${backRoute.text})` : ''}. ` +
          `Pods on ${local.node} never see those packets, so connections from pods of ${plural(drops.length, 'node')} time out` +
          (first.assumedDefault ? `; ${first.arrival.device} has no rp_filter of its own in sysctl.txt, so it was taken as net.ipv4.conf.default.rp_filter, which a device gets when it is created` : '') +
          '.',
        evidence,
        remediation: `use loose reverse-path filtering (2) — the kernel applies max(conf.all, conf.<interface>), so set both: sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.${first.arrival.device.replaceAll('.', '/')}.rp_filter=2 (and default, for interfaces created later), persisted in /etc/sysctl.d/ — or make the routes symmetric so replies and requests use the same interface`,
        commands: [
          `ip route get ${formatIpAddress(destination)} from ${formatIpAddress(first.source)} iif ${first.arrival.device}   # on ${local.node}`,
          `sysctl -a --pattern 'rp_filter'`,
          'nstat -az TcpExtIPReversePathFilter',
        ],
        data: {
          node: local.node,
          settings: strict.map((s) => s.text),
          drops: drops.map((d) => ({ from: d.remote, source: formatIpAddress(d.source), arrivesOn: d.arrival.device, routeBackVia: d.back.nexthops.map((h) => h.device) })),
        },
      });
    }
    const notes = strictButSymmetric.length > 0 ? [`strict rp_filter with symmetric routes on ${listSome(strictButSymmetric, 3)} (no drop)`] : [];
    setNodeCoverage(ctx, 'reverse paths of pod traffic checked', checked, notes);
  },
});

/** The rp_filter settings at 1 (strict): all, default, and any interface's own. */
function strictSettings(node: NodeRouting): { text: string; evidence: Evidence }[] {
  const result: { text: string; evidence: Evidence }[] = [];
  for (const [key, entry] of node.sysctl?.value.values ?? []) {
    if (!/^net\.ipv4\.conf\.[^ ]+\.rp_filter$/.test(key) || entry.value !== '1') continue;
    result.push({ text: `${key} = 1`, evidence: node.sysctlEvidence(key, 'strict reverse-path filtering')! });
  }
  return result;
}

/** The routing state with each interface's rp_filter filled from `default` where sysctl.txt has none of its own. */
function withDeviceDefaults(node: NodeRouting, routing: RoutingState): { state: RoutingState; defaulted: Set<string> } {
  const defaulted = new Set<string>();
  const fallback = node.sysctlValue('net.ipv4.conf.default.rp_filter');
  if (!fallback || !routing.sysctl) return { state: routing, defaulted };
  const values = new Map<string, { value: string }>(routing.sysctl);
  for (const iface of node.interfaces) {
    const key = `net.ipv4.conf.${iface.name.replaceAll('.', '/')}.rp_filter`;
    if (values.has(key)) continue;
    values.set(key, { value: fallback.value });
    defaulted.add(iface.name);
  }
  return { state: { ...routing, sysctl: values }, defaulted };
}

/**
 * Where a pod packet of `remote` for `destination` arrives on `local`: read from the remote
 * node's routing table when it was collected (through a tunnel: the local device of that kind;
 * via a gateway that is a local address: the interface holding it), else the local overlay
 * device the CNI uses, else the local interface on the remote node's subnet.
 */
function arrivalInterface(routings: NodeRoutings, network: PodNetwork, local: NodeRouting, remote: NodeAddressing, destination: IpAddress): Arrival | undefined {
  const sender = routings.node(remote.name);
  if (sender?.routing) {
    const out = lookupRoute(sender.routing, { dst: formatIpAddress(destination) });
    const hop = out.type === 'unicast' ? out.nexthops[0] : undefined;
    const senderRoute = out.evidence.find((e) => e.note === 'matching route');
    const routeNote = senderRoute ? { ...senderRoute, note: `${remote.name} sends ${local.node}'s pod traffic this way` } : undefined;
    if (hop?.device) {
      const kind = sender.interface(hop.device)?.view.details?.kind;
      if (kind && TUNNEL_KINDS.has(kind)) {
        const id = sender.interface(hop.device)?.view.details?.id;
        const peer = local.interfaces.find((i) => i.view.details?.kind === kind && (id === undefined || i.view.details?.id === id));
        if (peer) return { device: peer.name, how: `${remote.name} sends them through ${hop.device} (${kind}), so they arrive decapsulated on ${local.node}'s ${peer.name}`, ...(routeNote ? { senderRoute: routeNote } : {}) };
      } else if (hop.gateway) {
        const holder = interfaceHolding(local, hop.gateway);
        if (holder) return { device: holder.name, how: `${remote.name} sends them via ${formatIpAddress(hop.gateway)}, ${local.node}'s address on ${holder.name}`, ...(routeNote ? { senderRoute: routeNote } : {}) };
      }
    }
  }
  const tunnel = expectedTunnels(network, local.node).find((t) => !t.crossSubnet && t.family === 4 && local.interface(t.device)?.view.up);
  if (tunnel) return { device: tunnel.device, how: `with ${tunnel.kind} encapsulation pod packets from other nodes arrive decapsulated on ${tunnel.device}` };
  if (remote.internalIP) {
    const link = interfaceOnSubnet(local, remote.internalIP);
    if (link) return { device: link.name, how: `${remote.name} (${formatIpAddress(remote.internalIP)}) is on the subnet of ${local.node}'s ${link.name}, where its packets arrive` };
  }
  return undefined;
}
