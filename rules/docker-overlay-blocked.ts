import { makeEvidence } from '../analyzer/bundle/source-file.js';
import type { DockerNetwork } from '../analyzer/cni/parse-docker-networks.js';
import { DOCKER_FILES, dockerHosts } from '../analyzer/docker/docker-host.js';
import { nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { nodeDataplanes, nodeLocalAddresses } from '../analyzer/kubeproxy/node-dataplane.js';
import { compileIptables } from '../analyzer/netfilter/simulate/compile-iptables.js';
import { nodeNetContext } from '../analyzer/netfilter/simulate/node-context.js';
import type { TraceStep } from '../analyzer/netfilter/simulate/trace-types.js';
import { objectPath } from '../analyzer/kube/object-path.js';
import { formatIpAddress } from '../analyzer/netfilter/ip-cidr.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** What overlay networks need open between swarm nodes (Docker's swarm networking docs). */
const OVERLAY_PORTS = [
  { proto: 'udp', port: 4789, sport: 4789, what: 'VXLAN data traffic' },
  { proto: 'tcp', port: 7946, sport: 7946, what: 'gossip (node discovery)' },
  { proto: 'udp', port: 7946, sport: 7946, what: 'gossip (node discovery)' },
] as const;

/** VXLAN's encapsulation: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) bytes. */
const VXLAN_OVERHEAD = 50;
/** The MTU Docker gives an overlay network without `com.docker.network.driver.mtu`. */
const DOCKER_OVERLAY_DEFAULT_MTU = 1450;
const MTU_OPTION = 'com.docker.network.driver.mtu';

/** A peer address when the network lists none besides this host: TEST-NET-1, any remote node. */
const SOME_PEER = '192.0.2.10';

/**
 * Docker overlay networks carry container traffic between swarm nodes in VXLAN (UDP 4789) and
 * learn about peers over gossip (7946 tcp/udp). A host firewall that drops those in INPUT cuts
 * the overlay: decided by simulating a packet from a peer to this host through its iptables-save.
 * An overlay MTU above the uplink's MTU minus the 50 bytes of VXLAN makes full-size packets
 * too large once encapsulated: small requests work, large responses hang.
 */
export default defineRule({
  id: 'docker-overlay-blocked',
  layer: 'l2',
  severity: 'critical',
  description: 'an overlay network exists but the host firewall drops VXLAN (UDP 4789) or gossip (7946) traffic, or its MTU ignores the VXLAN overhead',
  area: 'Docker hosts',
  requires: [nodeFile(DOCKER_FILES.networks), nodeFile('iptables-save.txt'), nodeFile('ip-addr.txt')],
  check(ctx) {
    let checked = 0;
    for (const host of dockerHosts(ctx.model)) {
      if (!host.networks || !host.iptables) continue;
      const dataplane = nodeDataplanes(ctx.model).node(host.host);
      const local = dataplane ? nodeLocalAddresses(dataplane) : undefined;
      if (!local) continue;
      checked++;
      const overlays = host.networks.value.networks.filter((n) => n.driver === 'overlay');
      if (overlays.length === 0) continue;
      const localSet = new Set(local);
      const peers = overlays.flatMap((n) => n.peers);
      const self = peers.find((p) => localSet.has(p.ip))?.ip ?? local.find((a) => !a.startsWith('127.') && !a.includes(':'));
      if (!self) continue;
      const remote = peers.find((p) => !localSet.has(p.ip))?.ip ?? SOME_PEER;
      const simulator = compileIptables(host.iptables.value, { file: host.iptables.file.path });
      const context = nodeNetContext({ localAddresses: local });
      const blocked: { proto: string; port: number; what: string; drops: TraceStep[] }[] = [];
      for (const p of OVERLAY_PORTS) {
        const outcomes = simulator.trace(context, { from: 'external', src: remote, dst: self, proto: p.proto, sport: p.sport, dport: p.port }).outcomes;
        if (outcomes.length === 0 || !outcomes.every((o) => (o.fate === 'dropped' || o.fate === 'rejected') && !o.uncertain)) continue;
        const drops = new Map<number, TraceStep>();
        for (const o of outcomes) for (const s of o.steps) if (s.verdict === 'drop') drops.set(s.line, s);
        blocked.push({ proto: p.proto, port: p.port, what: p.what, drops: [...drops.values()] });
      }
      const uplink = dataplane!.ipAddr!.value.interfaces.find((i) => i.addresses.some((a) => formatIpAddress(a.address) === self));
      if (uplink?.mtu !== undefined) {
        for (const network of overlays) {
          const mtu = network.mtu ?? DOCKER_OVERLAY_DEFAULT_MTU;
          if (mtu + VXLAN_OVERHEAD <= uplink.mtu) continue;
          const fits = uplink.mtu - VXLAN_OVERHEAD;
          const set = network.mtu !== undefined ? `set to ${mtu} (${MTU_OPTION})` : `${mtu} (Docker's default, no ${MTU_OPTION})`;
          ctx.report({
            subjects: [host.subject],
            title: `overlay network ${network.name} on ${host.host} has MTU ${mtu}, more than ${uplink.name} (MTU ${uplink.mtu}) carries after VXLAN's ${VXLAN_OVERHEAD} bytes`,
            message: `Overlay network ${network.name}'s MTU is ${set}; encapsulated in VXLAN a full-size packet becomes ${mtu + VXLAN_OVERHEAD} bytes, but ${uplink.name} (the interface holding ${self}) has MTU ${uplink.mtu}: the largest container packet that gets through is ${fits} bytes, the one needed is ${mtu}. Larger packets are dropped or fragmented on the way, so small requests work and large transfers stall.`,
            evidence: [
              network.mtu !== undefined ? network.source.at(objectPath('Options', MTU_OPTION), `overlay MTU ${mtu}`) : network.source.at(undefined, `overlay network ${network.name} without ${MTU_OPTION}: MTU ${mtu}`),
              dataplane!.ipAddr!.file.evidenceAtLine(uplink.line, `${uplink.name} MTU ${uplink.mtu}`),
            ],
            remediation: `recreate the network with \`docker network create -d overlay --opt ${MTU_OPTION}=${fits} ${network.name}\` (a network's MTU cannot be changed in place), or raise the underlay MTU to ${mtu + VXLAN_OVERHEAD}`,
            commands: [`docker network inspect -f '{{json .Options}}' ${network.name}   # on ${host.host}`, `ip link show ${uplink.name}`],
            data: { host: host.host, network: network.name, mtu, uplink: uplink.name, uplinkMtu: uplink.mtu, largestThatFits: fits },
          });
        }
      }
      if (blocked.length === 0) continue;
      const names = (list: DockerNetwork[]) => list.map((n) => n.name).join(', ');
      const ports = blocked.map((b) => `${b.port}/${b.proto}`);
      ctx.report({
        subjects: [host.subject],
        title: `${host.host} drops overlay traffic (${ports.join(', ')}) for ${names(overlays)}`,
        message: `${host.host} has overlay network${overlays.length === 1 ? '' : 's'} ${names(overlays)}, but a packet from peer ${remote} to ${self} is dropped by the host firewall for ${blocked.map((b) => `${b.port}/${b.proto} (${b.what}, by ${b.drops.map((s) => `${s.chain} line ${s.line}`).join(', ') || 'the chain policy'})`).join('; ')}. Containers on the overlay cannot reach containers on other nodes${blocked.some((b) => b.port === 7946) ? ', and the node does not learn about its peers' : ''}.`,
        evidence: [
          ...overlays.map((n) => n.source.at(undefined, `overlay network ${n.name}${n.vxlanIds.length > 0 ? ` (VXLAN id ${n.vxlanIds.join(', ')})` : ''}`)),
          ...dropLines(blocked).map(({ step, ports }) => makeEvidence(step.file ?? host.iptables!.file.path, step.line, step.text, `drops ${ports.join(', ')} from ${remote}`)),
        ],
        remediation: 'allow UDP 4789 and TCP/UDP 7946 (and TCP 2377 to managers) from the other swarm nodes in INPUT, before the rule that drops them (e.g. `iptables -I INPUT -s <node subnet> -p udp --dport 4789 -j ACCEPT`, or the equivalent in ufw/firewalld)',
        commands: [`iptables -L INPUT -n -v --line-numbers   # on ${host.host}`, 'docker network inspect -v <overlay network>   # Peers'],
        data: { host: host.host, networks: overlays.map((n) => n.name), blocked: ports, from: remote, to: self },
      });
    }
    setNodeCoverage(ctx, 'host firewall simulated for overlay ports', checked);
  },
});

/** Each dropping line once, with the ports it drops, in dump order. */
function dropLines(blocked: { proto: string; port: number; drops: TraceStep[] }[]): { step: TraceStep; ports: string[] }[] {
  const byLine = new Map<number, { step: TraceStep; ports: string[] }>();
  for (const b of blocked) {
    for (const step of b.drops) {
      const entry = byLine.get(step.line) ?? { step, ports: [] };
      entry.ports.push(`${b.port}/${b.proto}`);
      byLine.set(step.line, entry);
    }
  }
  return [...byLine.values()].sort((a, b) => a.step.line - b.step.line);
}
