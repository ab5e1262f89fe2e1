/**
 * Seeded generators of realistic node rule sets and of the packets that probe them, for the
 * netfilter differential test (test/difftest/) and its soak mode (bench/difftest.ts).
 *
 * A rule set is drawn from one seed (print it; `generateRuleset(seed)` gives the same text
 * again) and is printed exactly as `iptables-nft-save` prints it, so it can be loaded into the
 * kernel lab and read back byte-identical. Flavors:
 *
 *   kube-proxy  kube-proxy iptables mode (many Services, NodePorts, LoadBalancer + source
 *               ranges, ETP/ITP Local, affinity, no-endpoint REJECT), with flannel or kind's
 *               masq agent, a host firewall, a mesh REDIRECT and mangle marks now and then
 *   docker      dockerd's bridge rules (FORWARD DROP, DOCKER-USER, isolation, published
 *               ports), often with kube-proxy next to it
 *   calico      Calico Felix (raw/mangle/nat/filter, workload dispatch, policies on ipsets)
 *               on top of kube-proxy
 *   kube-proxy-nft  kube-proxy's nftables mode (verdict maps, numgen, dynamic affinity sets),
 *               sometimes dual-stack, sometimes with an nftables host firewall
 *
 * All addresses come from the lab plan (random-rulesets/lab-plan.ts). Generated rules never
 * match the source ports the lab uses for tracing (40000-59999) and never drop the lab's
 * loopback sentinel.
 */
import type { KernelLabOptions, KernelPacket, PacketSource } from './kernel-netfilter.js';
import { addCalico } from './random-rulesets/calico.js';
import { addDocker } from './random-rulesets/docker.js';
import {
  addFlannel,
  addHostFirewall,
  addKindMasqAgent,
  addMangleMarks,
  addMeshRedirect,
  addNodeLocalDns,
  addServiceForwardAccept,
  addTailscale,
} from './random-rulesets/host-extras.js';
import { IpsetBuilder } from './random-rulesets/ipset-builder.js';
import { addKubeProxy, type LocalDetector } from './random-rulesets/kube-proxy.js';
import { kubeProxyNftables, nftFirewalld, nftHostFirewall } from './random-rulesets/kube-proxy-nft.js';
import { IPV4_PLAN, IPV6_PLAN, LAB_PLAN, remotePodAddress, type AddressPlan, type PacketTarget } from './random-rulesets/lab-plan.js';
import { Rng } from './random-rulesets/rng.js';
import { RulesetBuilder } from './random-rulesets/ruleset-builder.js';

export { LAB_PLAN, type PacketTarget } from './random-rulesets/lab-plan.js';
export { Rng } from './random-rulesets/rng.js';

export const RULESET_FLAVORS = ['kube-proxy', 'docker', 'calico', 'kube-proxy-nft'] as const;
export type RulesetFlavor = (typeof RULESET_FLAVORS)[number];

/** The node-side name of the lab's pod interface each flavor expects. */
export const POD_INTERFACE: Record<RulesetFlavor, string> = {
  'kube-proxy': 'cni0',
  'kube-proxy-nft': 'cni0',
  docker: 'docker0',
  calico: LAB_PLAN.calicoInterface,
};

/** How to create the kernel lab for rule sets of a flavor. */
export function labOptionsFor(flavor: RulesetFlavor): KernelLabOptions {
  return {
    podInterface: POD_INTERFACE[flavor],
    extraPodAddresses: [...LAB_PLAN.extraPodAddresses],
    nodeLocalAddresses: [LAB_PLAN.nodeLocalDnsIPv4],
  };
}

export interface GeneratedRuleset {
  seed: number;
  flavor: RulesetFlavor;
  /** the components it was built from: `calico + kube-proxy(InterfaceNamePrefix) + host-firewall` */
  components: string[];
  podInterface: string;
  /** `iptables-nft-save` text ('' for a rule set written in nftables only) */
  iptables: string;
  /** `ip6tables-nft-save` text of a dual-stack node */
  ip6tables?: string;
  /** an `nft -f` script; `nft list table` of nftTables is what a node's nft-ruleset.txt shows */
  nft?: string;
  nftTables?: string[];
  /** nftables dynamic sets that remember clients (session affinity): `ip kube-proxy affinity-…` */
  nftAffinitySets?: string[];
  /** `ipset save` text, when the rules use ipsets */
  ipset?: string;
  /** addresses and ports where the rules do something */
  targets: PacketTarget[];
  /** ClientIP affinity (`-m recent`): packets from one source influence each other */
  affinity: boolean;
}

/** Draws one rule set; the same seed (and flavor) always gives the same text. */
export function generateRuleset(seed: number, flavor?: RulesetFlavor): GeneratedRuleset {
  const rng = new Rng(seed);
  const chosen = flavor ?? rng.pick(RULESET_FLAVORS);
  if (chosen === 'kube-proxy-nft') return generateNftRuleset(seed, rng);
  const podInterface = POD_INTERFACE[chosen];
  const b = new RulesetBuilder();
  const sets = new IpsetBuilder();
  const targets: PacketTarget[] = [];
  const components: string[] = [];
  let affinity = false;
  const kubeProxy = (detector: LocalDetector, builder = b, plan: AddressPlan = IPV4_PLAN) => {
    const result = addKubeProxy(rng.fork(), builder, { podInterface, localDetector: detector, plan });
    targets.push(...result.targets);
    affinity ||= result.affinity;
    components.push(`kube-proxy${plan.family === 6 ? ' IPv6' : ''}(${detector}, ${result.services} Services)`);
  };
  let ip6tables: string | undefined;

  if (chosen === 'calico') {
    targets.push(...addCalico(rng.fork(), b, sets, podInterface).targets);
    components.push('calico');
    if (rng.chance(0.85)) kubeProxy(rng.pick(['InterfaceNamePrefix', 'ClusterCIDR'] as const));
  } else if (chosen === 'docker') {
    const withKubeProxy = rng.chance(0.4);
    if (withKubeProxy) kubeProxy(rng.pick(['ClusterCIDR', 'BridgeInterface'] as const));
    targets.push(...addDocker(rng.fork(), b, podInterface).targets);
    components.push('docker');
    if (withKubeProxy && rng.chance(0.3)) {
      addServiceForwardAccept(b);
      components.push('forward-accept-dnat');
    }
  } else {
    const detector = rng.weighted([['ClusterCIDR', 6], ['BridgeInterface', 2], ['masquerade-all', 1]] as const);
    kubeProxy(detector);
    if (rng.chance(0.4)) {
      // a dual-stack node: kube-proxy writes the same kind of rules into ip6tables
      const b6 = new RulesetBuilder();
      kubeProxy(detector, b6, IPV6_PLAN);
      ip6tables = b6.toIptablesSave('ip6tables-nft-save');
    }
    const masq = rng.weighted([['flannel', 4], ['kind-masq-agent', 3], ['none', 3]] as const);
    if (masq === 'flannel') addFlannel(b, rng.chance(0.7));
    if (masq === 'kind-masq-agent') addKindMasqAgent(b);
    if (masq !== 'none') components.push(masq);
    if (rng.chance(0.15)) {
      targets.push(...addMeshRedirect(rng.fork(), b, podInterface));
      components.push('mesh-redirect');
    }
  }
  if (rng.chance(chosen === 'calico' ? 0.2 : 0.35)) {
    targets.push(...addHostFirewall(rng.fork(), b));
    components.push('host-firewall');
  }
  if (rng.chance(0.2)) {
    addMangleMarks(rng.fork(), b);
    components.push('mangle-marks');
  }
  if (chosen !== 'docker' && rng.chance(0.25)) {
    targets.push(...addNodeLocalDns(b));
    components.push('nodelocal-dns');
  }
  if (rng.chance(0.15)) {
    targets.push(...addTailscale(b));
    components.push('tailscale');
  }
  const ipset = sets.size > 0 ? sets.toIpsetSave() : undefined;
  return {
    seed,
    flavor: chosen,
    components,
    podInterface,
    iptables: b.toIptablesSave(),
    ...(ip6tables === undefined ? {} : { ip6tables }),
    ...(ipset === undefined ? {} : { ipset }),
    targets,
    affinity,
  };
}

function generateNftRuleset(seed: number, rng: Rng): GeneratedRuleset {
  const detector = rng.weighted([['ClusterCIDR', 6], ['BridgeInterface', 2], ['masquerade-all', 1]] as const);
  const podInterface = POD_INTERFACE['kube-proxy-nft'];
  const scripts: string[] = [];
  const tables: string[] = [];
  const targets: PacketTarget[] = [];
  const affinitySets: string[] = [];
  const components: string[] = [];
  for (const plan of rng.chance(0.4) ? [IPV4_PLAN, IPV6_PLAN] : [IPV4_PLAN]) {
    const result = kubeProxyNftables(rng.fork(), plan, detector, podInterface);
    scripts.push(result.script);
    tables.push(`${plan.family === 4 ? 'ip' : 'ip6'} kube-proxy`);
    targets.push(...result.targets);
    affinitySets.push(...result.affinitySets);
    components.push(`kube-proxy nftables${plan.family === 6 ? ' IPv6' : ''}(${detector}, ${result.services} Services)`);
  }
  const firewall = rng.weighted([['none', 3], ['inet filter', 2], ['firewalld', 3]] as const);
  if (firewall !== 'none') {
    const host = firewall === 'firewalld' ? nftFirewalld(rng.fork(), podInterface) : nftHostFirewall(rng.fork());
    scripts.push(host.script);
    tables.push(firewall === 'firewalld' ? 'inet firewalld' : 'inet filter');
    targets.push(...host.targets);
    components.push(firewall === 'firewalld' ? 'firewalld' : 'nft host firewall');
  }
  return {
    seed,
    flavor: 'kube-proxy-nft',
    components,
    podInterface,
    iptables: '',
    nft: scripts.join(''),
    nftTables: tables,
    nftAffinitySets: affinitySets,
    targets,
    affinity: affinitySets.length > 0,
  };
}

export interface GeneratedPacket extends KernelPacket {
  /** what the packet aims at, for reports */
  what: string;
}

const SOURCES: ReadonlyArray<readonly [PacketSource, number]> = [
  ['pod', 5],
  ['node', 3],
  ['external', 4],
];

/**
 * Packets aimed at the rule set's targets (about 70%), at near misses (right address, wrong
 * port or protocol) and at ordinary traffic (pod egress, pod-to-pod across nodes, external
 * to the node and to pods, random Service addresses).
 */
export function generatePackets(rng: Rng, ruleset: GeneratedRuleset, count: number): GeneratedPacket[] {
  const packets: GeneratedPacket[] = [];
  while (packets.length < count) {
    const packet = drawPacket(rng, ruleset);
    if (packet && reachesNode(packet)) packets.push(packet);
  }
  return packets;
}

function drawPacket(rng: Rng, ruleset: GeneratedRuleset): GeneratedPacket | undefined {
  const kind = ruleset.targets.length === 0 ? 'ordinary' : rng.weighted([['target', 70], ['wrong-port', 8], ['wrong-proto', 5], ['ordinary', 17]] as const);
  if (kind === 'ordinary') return ruleset.ip6tables !== undefined && rng.chance(0.3) ? ordinaryIPv6Packet(rng) : ordinaryPacket(rng);
  const target = rng.pick(ruleset.targets);
  const from = target.from ? rng.pick(target.from) : rng.weighted(SOURCES);
  let proto = target.proto;
  let dport = target.dport;
  let what = target.what;
  if (kind === 'wrong-port') {
    dport = rng.pick([dport + 1, 81, 8081, 31999, 12345]);
    what = `wrong port of ${what}`;
  } else if (kind === 'wrong-proto') {
    proto = proto === 'tcp' ? 'udp' : 'tcp';
    what = `wrong protocol for ${what}`;
  }
  const plan = target.family === 6 ? IPV6_PLAN : IPV4_PLAN;
  return withSource(rng, { from, proto, dst: resolveDestination(rng, target.dst, from, plan), dport, what });
}

function resolveDestination(rng: Rng, dst: string, from: PacketSource, plan: AddressPlan): string {
  if (dst !== 'node') return dst;
  if (from === 'pod') return rng.pick([plan.node, plan.node, plan.podGateway]);
  // kube-proxy answers NodePorts on 127.0.0.1 (route_localnet), not on ::1
  if (from === 'node') return rng.weighted([[plan.node, 6], [plan.podGateway, 2], [plan.family === 4 ? '127.0.0.1' : plan.node, 1]] as const);
  return plan.node;
}

function withSource(rng: Rng, packet: GeneratedPacket): GeneratedPacket {
  // pods send from any of their addresses; the node and the external host let routing choose
  if (packet.from !== 'pod') return packet;
  return { ...packet, src: rng.pick(packet.dst.includes(':') ? IPV6_PLAN.podAddresses : IPV4_PLAN.podAddresses) };
}

function ordinaryIPv6Packet(rng: Rng): GeneratedPacket {
  const p = IPV6_PLAN;
  const packets: GeneratedPacket[] = [
    { from: 'pod', proto: rng.pick(['tcp', 'udp'] as const), dst: p.external, dport: rng.pick([53, 443]), what: 'IPv6 pod egress to the external host' },
    { from: 'pod', proto: 'tcp', dst: p.remotePod(rng), dport: 8080, what: 'IPv6 pod to a pod on another node' },
    { from: 'external', proto: 'tcp', dst: rng.pick(p.podAddresses), dport: 80, what: 'IPv6 external host straight to a pod' },
    { from: 'external', proto: rng.pick(['tcp', 'udp'] as const), dst: p.node, dport: rng.pick([22, 31000]), what: 'IPv6 external host to the node' },
    { from: 'node', proto: 'tcp', dst: p.remotePod(rng), dport: 8080, what: 'IPv6 node to a remote pod' },
    { from: rng.weighted(SOURCES), proto: 'tcp', dst: p.serviceIP(rng), dport: 80, what: 'an IPv6 address in the Service range without a Service' },
  ];
  return withSource(rng, rng.pick(packets));
}

function ordinaryPacket(rng: Rng): GeneratedPacket {
  const choice = rng.int(0, 11);
  const tcp = 'tcp' as const;
  const udp = 'udp' as const;
  const packets: GeneratedPacket[] = [
    { from: 'pod', proto: rng.pick([tcp, udp]), dst: LAB_PLAN.externalIPv4, dport: rng.pick([53, 443, 80]), what: 'pod egress to the external host' },
    { from: 'pod', proto: tcp, dst: remotePodAddress(rng), dport: rng.pick([8080, 80, 5432]), what: 'pod to a pod on another node' },
    { from: 'pod', proto: udp, dst: LAB_PLAN.podGatewayIPv4, dport: 53, what: 'pod to the node (DNS on the gateway)' },
    { from: 'pod', proto: tcp, dst: LAB_PLAN.nodeIPv4, dport: rng.pick([10250, 22, 6443]), what: 'pod to the node address' },
    { from: 'external', proto: tcp, dst: rng.pick(LAB_PLAN.podAddresses), dport: rng.pick([80, 8080, 443]), what: 'external host straight to a pod' },
    { from: 'external', proto: rng.pick([tcp, udp]), dst: LAB_PLAN.nodeIPv4, dport: rng.pick([22, 80, 10250, 31000, 53]), what: 'external host to the node' },
    { from: 'external', proto: tcp, dst: '10.96.0.1', dport: 443, what: 'external host to the kubernetes ClusterIP' },
    { from: 'node', proto: tcp, dst: remotePodAddress(rng), dport: 8080, what: 'node to a remote pod' },
    { from: 'node', proto: rng.pick([tcp, udp]), dst: LAB_PLAN.externalIPv4, dport: rng.pick([443, 53]), what: 'node to the external host' },
    { from: 'node', proto: tcp, dst: rng.pick(LAB_PLAN.podAddresses), dport: 8080, what: 'node to a local pod' },
    { from: rng.weighted(SOURCES), proto: rng.pick([tcp, udp]), dst: `10.${rng.int(96, 111)}.${rng.int(0, 255)}.${rng.int(2, 254)}`, dport: rng.pick([80, 443, 53]), what: 'an address in the Service range without a Service' },
    { from: rng.weighted(SOURCES), proto: tcp, dst: `${LAB_PLAN.loadBalancerSubnet}.${rng.int(2, 254)}`, dport: 80, what: 'an address in the LoadBalancer range' },
  ];
  return withSource(rng, packets[choice]);
}

/**
 * Packets that never pass the node are useless: a pod's packet to its own subnet stays on its
 * link, and so does the external host's packet to another address of the node subnet.
 */
function reachesNode(packet: GeneratedPacket): boolean {
  const plan = packet.dst.includes(':') ? IPV6_PLAN : IPV4_PLAN;
  const podPrefix = plan.family === 6 ? 'fd00:244:1::' : '10.244.1.';
  const nodePrefix = plan.family === 6 ? 'fd00:10::' : '10.0.1.';
  if (packet.from === 'pod') return !packet.dst.startsWith(podPrefix) || packet.dst === plan.podGateway;
  if (packet.from === 'external') return !packet.dst.startsWith(nodePrefix) || packet.dst === plan.node;
  return true;
}
