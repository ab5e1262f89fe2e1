import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import { clusterAddressing, interfaceHolding } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings, type NodeInterface, type NodeRouting } from '../analyzer/routing/node-routing.js';
import { encapsulationOverhead as overheadOn, TUNNEL_LINK_KINDS as KIND_OF } from '../analyzer/routing/encapsulation.js';
import { expectedTunnels, podNetwork, TUNNEL_KIND_NAMES } from '../analyzer/routing/pod-network.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** Cilium's own devices and pod veths (see below). */
const CILIUM_DEVICE = /^(cilium_|lxc)/;

interface Problem {
  severity: Severity;
  text: string;
  evidence: Evidence[];
  data: Record<string, unknown>;
}

/**
 * An encapsulating device must leave room for its header on the device underneath: a packet the
 * overlay device accepts grows by the overhead (VXLAN and Geneve 50 bytes, IP-in-IP 20,
 * WireGuard 60; 20 more on an IPv6 underlay) and must still fit the underlay MTU, or it is
 * dropped (or fragmented, which clouds and many firewalls drop). Pods, whose veth MTU is what
 * they send, must not exceed the overlay device's MTU either; without an overlay they must not
 * exceed the underlay's. The classic signature: small requests work, large responses and TLS
 * handshakes hang (flannel#841). Cilium is left out: it keeps its tunnel device and pod veths at
 * the full MTU and puts the overhead in the MTU of each pod's routes.
 */
export default defineRule({
  id: 'mtu-mismatch',
  layer: 'l2',
  severity: 'critical',
  description: 'Pod or overlay MTU does not leave room for the encapsulation overhead of the underlay',
  area: 'Routing',
  requires: [routingInputs.interfaces],
  optional: [routingInputs.ipRoute, inputs.nodes],
  check(ctx) {
    const network = podNetwork(ctx.model);
    const addressing = clusterAddressing(ctx.model);
    let checked = 0;
    for (const node of nodeRoutings(ctx.model).nodes) {
      if (node.interfaces.length === 0) continue;
      checked++;
      const internal = addressing.node(node.node)?.internalIP;
      const primary = (internal && interfaceHolding(node, internal)) ?? defaultRouteDevice(node) ?? node.interface('eth0');
      const problems: Problem[] = [];

      // Cilium leaves cilium_vxlan / cilium_geneve and the lxc veths at the full MTU and applies the
      // tunnel overhead through the MTU of the routes inside each pod, which the bundle does not show.
      const tunnels = node.interfaces.filter((i) => i.view.up && i.view.mtu !== undefined && KIND_OF[i.view.details?.kind ?? ''] !== undefined && !CILIUM_DEVICE.test(i.name));
      for (const tunnel of tunnels) {
        const kind = KIND_OF[tunnel.view.details!.kind]!;
        const underlay = (tunnel.view.details?.device !== undefined ? node.interface(tunnel.view.details.device) : undefined) ?? primary;
        if (!underlay?.view.mtu || underlay === tunnel) continue;
        const overhead = overheadOn(kind, underlay);
        const largest = underlay.view.mtu - overhead;
        if (tunnel.view.mtu! <= largest) continue;
        problems.push({
          severity: 'critical',
          text: `${tunnel.name} (${TUNNEL_KIND_NAMES[kind]}) has mtu ${tunnel.view.mtu} over ${underlay.name} (mtu ${underlay.view.mtu}): ${TUNNEL_KIND_NAMES[kind]} adds ${overhead} bytes, so the largest packet that gets through to other nodes is ${largest} bytes, while ${tunnel.name} accepts packets of up to ${tunnel.view.mtu} bytes, which need ${tunnel.view.mtu! + overhead} bytes on ${underlay.name}`,
          evidence: [node.interfaceEvidence(tunnel.name, `${tunnel.name} mtu ${tunnel.view.mtu}`)!, node.interfaceEvidence(underlay.name, `${underlay.name} mtu ${underlay.view.mtu}`)!],
          data: { device: tunnel.name, kind, mtu: tunnel.view.mtu, underlay: underlay.name, underlayMtu: underlay.view.mtu, overhead, largestPacket: largest, needed: tunnel.view.mtu! + overhead },
        });
      }

      // What pods send: the MTU of their veths (both ends of a veth pair share it).
      const podVeths = node.interfaces.filter((i) => isPodVeth(i) && i.view.mtu !== undefined && !CILIUM_DEVICE.test(i.name));
      const widest = podVeths.reduce<NodeInterface | undefined>((best, i) => (!best || i.view.mtu! > best.view.mtu! ? i : best), undefined);
      const expected = expectedTunnels(network, node.node).find((t) => !t.crossSubnet && node.interface(t.device)?.view.up);
      const podTunnel = expected ? node.interface(expected.device) : tunnels.length === 1 ? tunnels[0] : undefined;
      if (widest && primary?.view.mtu) {
        const podMtu = widest.view.mtu!;
        const count = podVeths.filter((v) => v.view.mtu === podMtu).length;
        const pods = count === 1 ? `the pod on ${widest.name} (mtu ${podMtu})` : `${count} pods (mtu ${podMtu} on ${listSome(podVeths.filter((v) => v.view.mtu === podMtu).map((v) => v.name), 2)})`;
        const send = count === 1 ? 'sends' : 'send';
        if (podTunnel?.view.mtu !== undefined) {
          const kind = expected?.kind ?? KIND_OF[podTunnel.view.details?.kind ?? ''] ?? 'vxlan';
          const underlay = (podTunnel.view.details?.device !== undefined ? node.interface(podTunnel.view.details.device) : undefined) ?? primary;
          const largest = Math.min(podTunnel.view.mtu, (underlay.view.mtu ?? primary.view.mtu) - overheadOn(kind, underlay));
          const tunnelAlreadyWrong = problems.some((p) => p.data.device === podTunnel.name);
          if (podMtu > largest && !tunnelAlreadyWrong) {
            // The tunnel's own MTU is right, so oversized pod packets meet it first and get ICMP "fragmentation needed".
            problems.push({
              severity: 'warning',
              text: `${pods} ${send} packets of up to ${podMtu} bytes into ${podTunnel.name} (mtu ${podTunnel.view.mtu}): larger ones get through only when the pods see the node's ICMP "fragmentation needed" answers (path MTU discovery), which firewalls often drop; the pods' MTU should be ${largest}`,
              evidence: [node.interfaceEvidence(widest.name, `${widest.name} mtu ${podMtu}`)!, node.interfaceEvidence(podTunnel.name, `${podTunnel.name} mtu ${podTunnel.view.mtu}`)!],
              data: { device: widest.name, mtu: podMtu, tunnel: podTunnel.name, largestPacket: largest, needed: podMtu },
            });
          } else if (tunnelAlreadyWrong && podMtu > largest) {
            const problem = problems.find((p) => p.data.device === podTunnel.name)!;
            problem.text += `; ${pods} ${send} packets that large too`;
            problem.evidence.push(node.interfaceEvidence(widest.name, `${widest.name} mtu ${podMtu}`)!);
          }
        } else if (!expected && tunnels.length === 0 && podMtu > primary.view.mtu) {
          problems.push({
            severity: 'warning',
            text: `${pods} ${send} packets of up to ${podMtu} bytes, larger than ${primary.name}'s mtu ${primary.view.mtu}: packets to other nodes above ${primary.view.mtu} bytes are dropped unless path MTU discovery works`,
            evidence: [node.interfaceEvidence(widest.name, `${widest.name} mtu ${podMtu}`)!, node.interfaceEvidence(primary.name, `${primary.name} mtu ${primary.view.mtu}`)!],
            data: { device: widest.name, mtu: podMtu, underlay: primary.name, underlayMtu: primary.view.mtu, largestPacket: primary.view.mtu, needed: podMtu },
          });
        }
      }
      if (problems.length === 0) continue;
      const severity: Severity = problems.some((p) => p.severity === 'critical') ? 'critical' : 'warning';
      const main = problems[0]!;
      ctx.report({
        subjects: [node.subject],
        title:
          main.data.needed !== undefined && main.data.largestPacket !== undefined
            ? `MTU ${severity === 'critical' ? 'black hole' : 'mismatch'} on ${node.node}: ${main.data.needed}-byte packets needed, ${main.data.largestPacket} get through`
            : `MTU mismatch on ${node.node}`,
        message: `${problems.map((p) => p.text).join('; ')}. ${severity === 'critical' ? 'Small requests work while large responses, file transfers and TLS handshakes to or from pods on other nodes stall and time out.' : 'Large packets depend on ICMP getting through.'}`,
        evidence: problems.flatMap((p) => p.evidence),
        remediation: remediation(network.cni, problems),
        commands: [`ip -d link show   # on ${node.node}: compare the overlay and pod MTUs with the underlay`, `ping -M do -s ${Math.max(0, Number(main.data.largestPacket ?? 1400) - 28)} <a pod IP on another node>   # from a pod: the largest payload that passes`],
        severity,
        data: { node: node.node, problems: problems.map((p) => p.data) },
      });
    }
    setNodeCoverage(ctx, 'interface MTUs compared', checked);
  },
});

function defaultRouteDevice(node: NodeRouting): NodeInterface | undefined {
  const route = node.ipRoute?.value.routes.find((r) => r.family === 4 && r.table === 'main' && r.type === 'unicast' && r.destination.prefix === 0);
  const device = route?.nexthops[0]?.device;
  return device === undefined ? undefined : node.interface(device);
}

/** The host end of a pod's veth: its peer lives in another network namespace. */
function isPodVeth(iface: NodeInterface): boolean {
  const kind = iface.view.details?.kind;
  if (kind !== undefined && kind !== 'veth') return false;
  return iface.view.linkNetns !== undefined || /^if\d+$/.test(iface.view.link ?? '');
}

function remediation(cni: string, problems: Problem[]): string {
  const first = problems[0]!;
  const target = first.data.largestPacket;
  switch (cni) {
    case 'flannel':
    case 'canal':
      return `let flannel compute its MTU from the underlay (it subtracts the backend's overhead from the interface it uses: check --iface), or set it explicitly; the flannel.1 and pod MTU should be ${target} here; pods get the new MTU when re-created`;
    case 'calico':
      return `set Calico's MTU to ${target} or less (calico-config veth_mtu, or the Installation's calicoNetwork.mtu; 0 lets Calico detect it) and restart calico-node; pods get the new MTU when re-created`;
    case 'cilium':
      return `set Cilium's MTU (the mtu option of cilium-config) to the underlay's, so Cilium derives the tunnel and pod MTUs (${target} here); restart the agents and re-create pods`;
    default:
      return `lower the overlay and pod MTU to ${target} (the underlay MTU minus the encapsulation overhead) in the CNI configuration, or raise the underlay MTU; pods get the new MTU when re-created`;
  }
}
