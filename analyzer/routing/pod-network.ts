/**
 * How the cluster's pod network is built, as far as the node-level checks need it: which CNI
 * moves the packets, which overlay devices it needs on each node (and their encapsulation
 * overhead), and who assigns pod IPs (the node's podCIDR, or the CNI's own pools).
 *
 * Read from what says what the CNI was *told* to do, never from the devices themselves (a missing
 * tunnel must not hide its own absence):
 * - the CNI config in force on the nodes (`nodes/<n>/cni/*`): the plugin that creates the pod
 *   interface and its `ipam`;
 * - the agents' DaemonSets: calico-node (CALICO_IPV4POOL_IPIP / _VXLAN), canal, kube-flannel
 *   (`--kube-subnet-mgr`), cilium, weave-net, aws-node, kindnet;
 * - Calico IP pools (`cluster/calico/ippools.json`: ipipMode / vxlanMode per pool), the
 *   `calico-config` ConfigMap (its CNI template's ipam), and calico-node's per-node annotations
 *   (`projectcalico.org/IPv4IPIPTunnelAddr`, `...VXLANTunnelAddr`, `...WireguardInterfaceAddr`);
 * - flannel's node annotations (`flannel.alpha.coreos.com/backend-type`, `backend-data` VNI);
 * - `cilium-config` (`routing-mode`, `tunnel-protocol`, the older `tunnel`, `ipam`).
 * Only when none of these names a CNI are the node's devices (tunl0, flannel.1, cilium_host, weave)
 * used to tell which CNI runs; they never create an expectation.
 */
import type { Evidence } from '../bundle/source-file.js';
import { makeEvidence } from '../bundle/source-file.js';
import { parseCalicoIpPoolList, type CalicoIpPool } from '../cni/parse-calico-ippools.js';
import { agentDaemonSet, clusterCni, cniDevice, CNI_AGENT_DAEMONSETS, effectiveCniConfig, type AgentDaemonSet } from '../cni/cluster-cni.js';
import type { CniConfig } from '../cni/parse-cni-config.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { objectPath } from '../kube/object-path.js';
import type { Node, Workload } from '../kube/types.js';
import { addParseIssuesOnce } from './node-routing.js';

export type PodNetworkCni = 'calico' | 'canal' | 'flannel' | 'cilium' | 'weave' | 'aws-vpc-cni' | 'azure' | 'kindnet' | 'bridge' | 'unknown';

export type TunnelKind = 'vxlan' | 'ipip' | 'wireguard' | 'geneve' | 'udp' | 'weave';

/**
 * Bytes each encapsulation adds to a packet on an IPv4 underlay: VXLAN and Geneve 50 (outer IPv4
 * 20 + UDP 8 + header 8 + inner Ethernet 14; Geneve more with options), IP-in-IP 20, WireGuard 60
 * (IPv4 20 + UDP 8 + WireGuard 32), flannel's udp backend 28, Weave fastdp (VXLAN) 50.
 * An IPv6 underlay adds 20 more.
 */
export const ENCAPSULATION_OVERHEAD: Record<TunnelKind, number> = { vxlan: 50, ipip: 20, wireguard: 60, geneve: 50, udp: 28, weave: 50 };

export const TUNNEL_KIND_NAMES: Record<TunnelKind, string> = { vxlan: 'VXLAN', ipip: 'IP-in-IP', wireguard: 'WireGuard', geneve: 'Geneve', udp: 'UDP encapsulation', weave: 'Weave fastdp (VXLAN)' };

export interface ExpectedTunnel {
  /** The device the CNI creates (`tunl0`, `flannel.1`, `cilium_vxlan`...). */
  device: string;
  kind: TunnelKind;
  family: 4 | 6;
  /** Calico CrossSubnet: only traffic between nodes in different subnets is encapsulated. */
  crossSubnet: boolean;
  /** Why the device is needed, in words ("IPPool default-ipv4-ippool: ipipMode Always"). */
  why: string;
  evidence: Evidence;
  /** The nodes this holds for when the source is per node (annotations); undefined: every node. */
  nodes?: ReadonlySet<string>;
}

export type PodIpamKind = 'node-podcidr' | 'calico-ipam' | 'cni';

export interface PodIpam {
  /** `node-podcidr`: pod IPs come from the node's spec.podCIDRs; `calico-ipam`: Calico's blocks of its IP pools; `cni`: the CNI's own pools. */
  kind: PodIpamKind;
  how: string;
  evidence?: Evidence;
}

export interface PodNetwork {
  cni: PodNetworkCni;
  /** False when nothing in the bundle named the CNI. */
  detected: boolean;
  /** "Calico, IP-in-IP (Always)", "flannel vxlan", "Cilium, native routing". */
  description: string;
  tunnels: ExpectedTunnel[];
  ipam: PodIpam;
  /** Pod IPs are addresses of the cloud network (AWS VPC CNI, Azure CNI): the underlay routes them. */
  cloudRoutedPods: boolean;
  /** Calico IP pools, when cluster/calico/ippools.json was collected. */
  calicoPools?: CalicoIpPool[];
  evidence: Evidence[];
  notes: string[];
}

export const POD_NETWORK_FACET = 'routing/pod-network';

export function podNetwork(model: AnalysisModel): PodNetwork {
  return model.facet(POD_NETWORK_FACET, detectPodNetwork);
}

/** The overlay devices `node` should have. */
export function expectedTunnels(network: PodNetwork, node: string): ExpectedTunnel[] {
  return network.tunnels.filter((t) => t.nodes === undefined || t.nodes.has(node));
}

const DAEMONSETS: [PodNetworkCni, readonly string[]][] = (['cilium', 'canal', 'calico', 'weave', 'flannel', 'aws-vpc-cni', 'azure', 'kindnet'] as const).map((cni) => [
  cni,
  CNI_AGENT_DAEMONSETS[cni],
]);

/** The plugin that creates the pod interface, by its CNI `type`. */
const CNI_TYPES: Record<string, PodNetworkCni> = {
  calico: 'calico',
  flannel: 'flannel',
  'cilium-cni': 'cilium',
  'weave-net': 'weave',
  'aws-cni': 'aws-vpc-cni',
  'azure-vnet': 'azure',
  bridge: 'bridge',
  ptp: 'bridge',
};

const CNI_NAMES: Record<PodNetworkCni, string> = {
  calico: 'Calico',
  canal: 'Canal (Calico policy, flannel networking)',
  flannel: 'flannel',
  cilium: 'Cilium',
  weave: 'Weave Net',
  'aws-vpc-cni': 'AWS VPC CNI',
  azure: 'Azure CNI',
  kindnet: 'kindnet',
  bridge: 'the bridge plugin',
  unknown: 'an unidentified CNI',
};

export function cniDisplayName(cni: PodNetworkCni): string {
  return CNI_NAMES[cni];
}

interface Detection {
  cni: PodNetworkCni;
  evidence: Evidence[];
  daemonSet?: Workload;
  config?: CniConfig;
}

export function detectPodNetwork(model: AnalysisModel): PodNetwork {
  const detection = identifyCni(model);
  const notes: string[] = [];
  const network: PodNetwork = {
    cni: detection.cni,
    detected: detection.cni !== 'unknown',
    description: cniDisplayName(detection.cni),
    tunnels: [],
    ipam: { kind: 'node-podcidr', how: 'assumed: the nodes podCIDRs allocated by kube-controller-manager' },
    cloudRoutedPods: detection.cni === 'aws-vpc-cni' || detection.cni === 'azure',
    evidence: detection.evidence,
    notes,
  };
  const poolsFile = model.bundle.get('cluster/calico/ippools.json') ?? model.bundle.get('cluster/calico/ippools.yaml');
  if (poolsFile) {
    const parsed = parseCalicoIpPoolList(poolsFile);
    addParseIssuesOnce(model, poolsFile.path, parsed.issues);
    network.calicoPools = parsed.value.pools;
  }

  switch (detection.cni) {
    case 'calico':
      network.ipam = calicoIpam(model, detection);
      network.tunnels = calicoTunnels(model, network.calicoPools, notes);
      break;
    case 'canal':
      network.ipam = calicoIpam(model, detection);
      network.tunnels = flannelTunnels(model, notes);
      break;
    case 'flannel':
      network.ipam = flannelIpam(model, detection);
      network.tunnels = flannelTunnels(model, notes);
      break;
    case 'cilium':
      ciliumSettings(model, network);
      break;
    case 'weave':
      network.ipam = { kind: 'cni', how: 'Weave Net assigns pod IPs from its own IPAM ring' };
      network.tunnels = [weaveBridge(detection)];
      break;
    case 'aws-vpc-cni':
      network.ipam = { kind: 'cni', how: 'the AWS VPC CNI gives pods secondary IPs of the node ENIs' };
      break;
    case 'azure':
      network.ipam = { kind: 'cni', how: 'the Azure CNI gives pods addresses of the VNet subnet' };
      break;
    case 'kindnet':
      network.ipam = { kind: 'node-podcidr', how: 'kindnet configures host-local IPAM on the node podCIDR' };
      break;
    case 'bridge':
      network.ipam = bridgeIpam(detection);
      break;
    case 'unknown':
      notes.push('the CNI could not be identified (no CNI config, agent DaemonSet or CNI device in the bundle)');
      break;
  }
  const modes = network.tunnels.filter((t) => t.kind !== 'weave').map((t) => `${TUNNEL_KIND_NAMES[t.kind]}${t.crossSubnet ? ' (CrossSubnet)' : ''} over ${t.device}`);
  if (modes.length > 0) network.description += `, ${[...new Set(modes)].join(', ')}`;
  else if (network.cni === 'calico' || network.cni === 'flannel' || network.cni === 'canal') network.description += ', no encapsulation (routed)';
  return network;
}

function identifyCni(model: AnalysisModel): Detection {
  const cni = clusterCni(model);
  const daemonSet = (names: readonly string[]) => agentDaemonSet(cni, names);
  const found = (agent: AgentDaemonSet | undefined) => (agent ? { daemonSet: agent.daemonSet } : {});

  const config = effectiveCniConfig(model);
  const mainType = config?.plugins[0]?.type;
  const fromConfig = mainType === undefined ? undefined : CNI_TYPES[mainType];
  if (config && fromConfig) {
    const plugin = config.plugins[0]!;
    const evidence = [makeEvidence(config.file, plugin.line, lineText(model, config.file, plugin.line), `CNI plugin ${plugin.type} creates the pod interface`)];
    // Canal writes a calico plugin config; flannel moves the packets.
    if (fromConfig === 'calico') {
      const canal = daemonSet(['canal']) ?? (daemonSet(['calico-node']) ? undefined : daemonSet(['kube-flannel-ds', 'kube-flannel', 'flannel']));
      if (canal) return { cni: 'canal', evidence: [...evidence, canal.evidence], daemonSet: canal.daemonSet, config };
      const calico = daemonSet(['calico-node']);
      return { cni: 'calico', evidence: calico ? [...evidence, calico.evidence] : evidence, ...found(calico), config };
    }
    const kindnet = fromConfig === 'bridge' ? daemonSet(['kindnet']) : undefined;
    if (kindnet) return { cni: 'kindnet', evidence: [...evidence, kindnet.evidence], daemonSet: kindnet.daemonSet, config };
    const names = DAEMONSETS.find(([name]) => name === fromConfig)?.[1] ?? [];
    const ds = daemonSet(names);
    return { cni: fromConfig, evidence: ds ? [...evidence, ds.evidence] : evidence, ...found(ds), config };
  }
  for (const [name, names] of DAEMONSETS) {
    const ds = daemonSet(names);
    if (ds) return { cni: name, evidence: [ds.evidence], daemonSet: ds.daemonSet, ...(config ? { config } : {}) };
  }
  // Last resort: the devices a CNI leaves on the node.
  const device = cniDevice(model, (name, iface) => `${iface} is ${cniDisplayName(name)}'s device`);
  if (device) return { cni: device.cni, evidence: device.evidence ? [device.evidence] : [] };
  return { cni: 'unknown', evidence: [] };
}

function lineText(model: AnalysisModel, path: string, line: number): string {
  return model.bundle.get(path)?.lineText(line) ?? '';
}

// ---- Calico -------------------------------------------------------------------------------------

const CALICO_IPAM_IN_TEMPLATE = /"ipam"\s*:\s*\{[^}]*?"type"\s*:\s*"([^"]+)"/;

function calicoIpam(model: AnalysisModel, detection: Detection): PodIpam {
  const ipam = detection.config?.plugins[0]?.ipam;
  if (ipam && detection.config?.source) {
    return ipamFromType(ipam.type, ipam.usesPodCidr, detection.config.source.at(`${ipam.path}.type`, `ipam ${ipam.type}`), `the CNI config ${detection.config.fileName}`);
  }
  const configMap = model.kube.configMaps.find((c) => c.name === 'calico-config' || c.name === 'canal-config');
  const template = configMap?.data.cni_network_config;
  const match = template === undefined ? null : CALICO_IPAM_IN_TEMPLATE.exec(template);
  if (configMap && match) {
    return ipamFromType(match[1]!, /"subnet"\s*:\s*"usePodCidr"/.test(template!), configMap.source.at(objectPath('data', 'cni_network_config'), `ipam ${match[1]}`), `ConfigMap ${configMap.namespace}/${configMap.name} (cni_network_config)`);
  }
  return { kind: 'calico-ipam', how: "assumed: Calico's default IPAM (calico-ipam) hands out blocks of its IP pools" };
}

function ipamFromType(type: string, usesPodCidr: boolean, evidence: Evidence, where: string): PodIpam {
  if (type === 'calico-ipam') return { kind: 'calico-ipam', how: `${where} uses calico-ipam: pod IPs come from blocks of Calico's IP pools`, evidence };
  if (type === 'host-local' && usesPodCidr) return { kind: 'node-podcidr', how: `${where} uses host-local IPAM on the node podCIDR ("usePodCidr")`, evidence };
  return { kind: 'cni', how: `${where} uses ${type || 'an unnamed'} IPAM`, evidence };
}

function calicoTunnels(model: AnalysisModel, pools: CalicoIpPool[] | undefined, notes: string[]): ExpectedTunnel[] {
  const tunnels: ExpectedTunnel[] = [];
  if (pools) {
    for (const pool of pools) {
      if (pool.disabled || !pool.cidr) continue;
      const family = pool.cidr.family;
      const at = (field: string, note: string) => pool.source?.at(`spec.${field}`, note) ?? makeEvidence('cluster/calico/ippools.json', pool.line, pool.name, note);
      if (family === 4 && pool.ipipMode && pool.ipipMode !== 'Never') {
        tunnels.push({ device: 'tunl0', kind: 'ipip', family, crossSubnet: pool.ipipMode === 'CrossSubnet', why: `IPPool ${pool.name} (${pool.cidrText}) has ipipMode ${pool.ipipMode}`, evidence: at('ipipMode', `ipipMode ${pool.ipipMode}`) });
      }
      if (pool.vxlanMode && pool.vxlanMode !== 'Never') {
        tunnels.push({ device: family === 4 ? 'vxlan.calico' : 'vxlan-v6.calico', kind: 'vxlan', family, crossSubnet: pool.vxlanMode === 'CrossSubnet', why: `IPPool ${pool.name} (${pool.cidrText}) has vxlanMode ${pool.vxlanMode}`, evidence: at('vxlanMode', `vxlanMode ${pool.vxlanMode}`) });
      }
    }
  } else {
    const ds = model.kube.daemonSets.find((d) => d.name === 'calico-node');
    const settings: [string, string, TunnelKind, 4 | 6][] = [
      ['CALICO_IPV4POOL_IPIP', 'tunl0', 'ipip', 4],
      ['CALICO_IPV4POOL_VXLAN', 'vxlan.calico', 'vxlan', 4],
      ['CALICO_IPV6POOL_VXLAN', 'vxlan-v6.calico', 'vxlan', 6],
    ];
    for (const [name, device, kind, family] of settings) {
      const env = ds ? containerEnv(ds, 'calico-node', name) : undefined;
      if (!env || !/^(always|crosssubnet|cross-subnet)$/i.test(env.value)) continue;
      tunnels.push({ device, kind, family, crossSubnet: /cross/i.test(env.value), why: `calico-node sets ${name}=${env.value}`, evidence: env.evidence });
    }
    if (ds && tunnels.length > 0) notes.push('encapsulation read from calico-node environment (it shapes the default IP pool at first start); cluster/calico/ippools.json would say what the pools use now');
  }
  // Per-node tunnel addresses calico-node allocated: the device exists where the address does.
  const annotated: [string, string, TunnelKind][] = [
    ['projectcalico.org/IPv4IPIPTunnelAddr', 'tunl0', 'ipip'],
    ['projectcalico.org/IPv4VXLANTunnelAddr', 'vxlan.calico', 'vxlan'],
    ['projectcalico.org/IPv4WireguardInterfaceAddr', 'wireguard.cali', 'wireguard'],
  ];
  for (const [annotation, device, kind] of annotated) {
    if (tunnels.some((t) => t.device === device)) continue;
    const nodes = model.kube.nodes.filter((n) => n.annotations[annotation] !== undefined);
    if (nodes.length === 0) continue;
    tunnels.push({
      device,
      kind,
      family: 4,
      crossSubnet: false,
      why: `calico-node gave the node a ${device} address (${annotation})`,
      evidence: annotationEvidence(nodes[0]!, annotation),
      nodes: new Set(nodes.map((n) => n.name)),
    });
  }
  return tunnels;
}

function containerEnv(ds: Workload, container: string, name: string): { value: string; evidence: Evidence } | undefined {
  const containers: any[] = ds.raw?.spec?.template?.spec?.containers ?? [];
  const index = containers.findIndex((c) => c?.name === container);
  const env: any[] = index >= 0 && Array.isArray(containers[index].env) ? containers[index].env : [];
  const at = env.findIndex((e) => e?.name === name && typeof e.value === 'string');
  if (at < 0) return undefined;
  return { value: env[at].value as string, evidence: ds.source.at(`spec.template.spec.containers[${index}].env[${at}].value`, `${name}=${env[at].value}`) };
}

function annotationEvidence(node: Node, annotation: string): Evidence {
  return node.source.at(objectPath('metadata', 'annotations', annotation), `${annotation}: ${node.annotations[annotation]}`);
}

// ---- flannel ------------------------------------------------------------------------------------

const FLANNEL_BACKEND = 'flannel.alpha.coreos.com/backend-type';
const FLANNEL_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';

function flannelIpam(model: AnalysisModel, detection: Detection): PodIpam {
  const ds = detection.daemonSet;
  if (ds) {
    const containers: any[] = ds.raw?.spec?.template?.spec?.containers ?? [];
    const args = containers.flatMap((c) => [...(Array.isArray(c?.command) ? c.command : []), ...(Array.isArray(c?.args) ? c.args : [])]).map(String);
    if (!args.some((a) => a.startsWith('--kube-subnet-mgr'))) {
      return { kind: 'cni', how: `DaemonSet ${ds.namespace}/${ds.name} runs flanneld without --kube-subnet-mgr: subnets come from etcd, not the node podCIDRs`, evidence: ds.source.at('spec.template.spec.containers') };
    }
    return { kind: 'node-podcidr', how: `flanneld runs with --kube-subnet-mgr: each node's subnet is its podCIDR`, evidence: ds.source.at('spec.template.spec.containers') };
  }
  const annotated = model.kube.nodes.find((n) => n.annotations['flannel.alpha.coreos.com/kube-subnet-manager'] === 'true');
  if (annotated) return { kind: 'node-podcidr', how: 'flannel runs with the Kubernetes subnet manager: each node subnet is its podCIDR', evidence: annotationEvidence(annotated, 'flannel.alpha.coreos.com/kube-subnet-manager') };
  return { kind: 'node-podcidr', how: 'assumed: flannel with the Kubernetes subnet manager (node podCIDRs)' };
}

function flannelTunnels(model: AnalysisModel, notes: string[]): ExpectedTunnel[] {
  const byDevice = new Map<string, { kind: TunnelKind; nodes: Node[]; backend: string }>();
  for (const node of model.kube.nodes) {
    const backend = node.annotations[FLANNEL_BACKEND];
    if (backend === undefined) continue;
    const device = flannelDevice(backend, node.annotations[FLANNEL_BACKEND_DATA]);
    if (!device) continue;
    const entry = byDevice.get(device.device) ?? { kind: device.kind, nodes: [], backend };
    entry.nodes.push(node);
    byDevice.set(device.device, entry);
  }
  if (byDevice.size === 0) {
    const configMap = model.kube.configMaps.find((c) => c.name === 'kube-flannel-cfg' || c.name === 'canal-config');
    const netConf = configMap?.data['net-conf.json'];
    const type = netConf === undefined ? undefined : /"Type"\s*:\s*"([^"]+)"/.exec(netConf)?.[1];
    const device = type === undefined ? undefined : flannelDevice(type, netConf);
    if (configMap && type !== undefined && device) {
      return [{ device: device.device, kind: device.kind, family: 4, crossSubnet: false, why: `flannel's net-conf.json sets Backend Type ${type}`, evidence: configMap.source.at(objectPath('data', 'net-conf.json'), `Backend Type ${type}`) }];
    }
    if (type === undefined) notes.push('flannel backend not found (no flannel.alpha.coreos.com/backend-type node annotation, no net-conf.json): its tunnel device is not checked');
    return [];
  }
  return [...byDevice].map(([device, { kind, nodes, backend }]) => ({
    device,
    kind,
    family: 4 as const,
    crossSubnet: false,
    why: `flannel's ${backend} backend (node annotation ${FLANNEL_BACKEND})`,
    evidence: annotationEvidence(nodes[0]!, FLANNEL_BACKEND),
    nodes: new Set(nodes.map((n) => n.name)),
  }));
}

/** The device flannel's backend creates; undefined for host-gw (plain routes). */
function flannelDevice(backend: string, data: string | undefined): { device: string; kind: TunnelKind } | undefined {
  switch (backend.toLowerCase()) {
    case 'vxlan': {
      const vni = data === undefined ? undefined : /"VNI"\s*:\s*(\d+)/.exec(data)?.[1];
      return { device: `flannel.${vni ?? '1'}`, kind: 'vxlan' };
    }
    case 'wireguard':
      return { device: 'flannel-wg', kind: 'wireguard' };
    case 'udp':
      return { device: 'flannel0', kind: 'udp' };
    case 'ipip':
      return { device: 'flannel.ipip', kind: 'ipip' };
    default:
      return undefined;
  }
}

// ---- Cilium -------------------------------------------------------------------------------------

function ciliumSettings(model: AnalysisModel, network: PodNetwork): void {
  const config = model.kube.configMaps.find((c) => c.name === 'cilium-config');
  if (!config) {
    network.ipam = { kind: 'cni', how: "assumed: Cilium's default cluster-pool IPAM (no cilium-config ConfigMap in the bundle)" };
    network.notes.push('no cilium-config ConfigMap: the routing mode is unknown, Cilium tunnel devices are not checked');
    return;
  }
  const at = (key: string, note: string) => config.source.at(objectPath('data', key), note);
  const ipam = config.data.ipam;
  network.ipam =
    ipam === 'kubernetes'
      ? { kind: 'node-podcidr', how: 'cilium-config sets ipam: kubernetes (the node podCIDRs)', evidence: at('ipam', 'ipam kubernetes') }
      : { kind: 'cni', how: `Cilium assigns pod IPs itself (ipam: ${ipam ?? 'cluster-pool, the default'})`, ...(ipam ? { evidence: at('ipam', `ipam ${ipam}`) } : {}) };
  if (ipam === 'eni' || ipam === 'azure' || ipam === 'alibabacloud') network.cloudRoutedPods = true;
  const routingMode = config.data['routing-mode'];
  const legacyTunnel = config.data.tunnel;
  if (routingMode === 'native' || legacyTunnel === 'disabled') {
    network.description += ', native routing';
    return;
  }
  const protocol = config.data['tunnel-protocol'] ?? (legacyTunnel && legacyTunnel !== 'disabled' ? legacyTunnel : 'vxlan');
  const key = config.data['tunnel-protocol'] !== undefined ? 'tunnel-protocol' : legacyTunnel !== undefined ? 'tunnel' : routingMode !== undefined ? 'routing-mode' : undefined;
  const kind: TunnelKind = protocol === 'geneve' ? 'geneve' : 'vxlan';
  network.tunnels.push({
    device: kind === 'geneve' ? 'cilium_geneve' : 'cilium_vxlan',
    kind,
    family: 4,
    crossSubnet: false,
    why: `cilium-config: ${key ? `${key} ${config.data[key]}` : 'tunnel routing (the default)'}`,
    evidence: key ? at(key, `${key}: ${config.data[key]}`) : config.source.at('data', 'tunnel routing by default'),
  });
}

// ---- Weave, bridge -----------------------------------------------------------------------------

function weaveBridge(detection: Detection): ExpectedTunnel {
  return {
    device: 'weave',
    kind: 'weave',
    family: 4,
    crossSubnet: false,
    why: 'Weave Net attaches pods to its weave bridge and carries them to other nodes over fastdp (VXLAN) or sleeve',
    evidence: detection.evidence[0] ?? makeEvidence('cluster/daemonsets.json', 1, '', 'weave-net'),
  };
}

function bridgeIpam(detection: Detection): PodIpam {
  const ipam = detection.config?.plugins[0]?.ipam;
  if (ipam?.type === 'host-local' && detection.config?.source) {
    return { kind: 'node-podcidr', how: `the CNI config ${detection.config.fileName} uses host-local IPAM (${ipam.subnets.join(', ') || 'no subnet'})`, evidence: detection.config.source.at(`${ipam.path}.type`) };
  }
  return { kind: 'node-podcidr', how: 'assumed: host-local IPAM on the node podCIDR' };
}
