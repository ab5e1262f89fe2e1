/**
 * What a `nodes/<name>/` folder is about: a Kubernetes node, or a host outside any cluster —
 * a plain Docker host, or the machine of a capture without cluster objects (`netdump collect
 * --local`). Findings name the first `Node/<name>` and the second `Host/<name>` (report-format.md),
 * as node-routing and the Docker rules do, so that causes link across rules by subject.
 */
import { dockerHosts, hostCaptureOnly, isPlainDockerHost } from '../../analyzer/docker/docker-host.js';
import { cniOfDevice } from '../../analyzer/cni/cluster-cni.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { nodeRoutings } from '../../analyzer/routing/node-routing.js';

export type MachineKind = 'node' | 'host';

export function machineKind(model: AnalysisModel, name: string): MachineKind {
  if (model.kube.node(name)) return 'node';
  // A capture of hosts alone: no Kubernetes object, and a manifest that names no cluster (one
  // naming a cluster makes its folders nodes, even when every kubectl read failed).
  const manifest = model.bundle.manifest;
  const localCapture = hostCaptureOnly(model) && manifest !== undefined && manifest.cluster === undefined;
  return localCapture || isPlainDockerHost(model, name) ? 'host' : 'node';
}

/** `Node/<name>` or `Host/<name>`. */
export function machineSubject(model: AnalysisModel, name: string): string {
  return `${machineKind(model, name) === 'host' ? 'Host' : 'Node'}/${name}`;
}

/**
 * Interfaces only Kubernetes creates, beyond those that name their CNI (cniOfDevice): Cilium's
 * other devices and lxc<hex> endpoints (not LXC's lxcbr0), the bridge plugin's and kubenet's
 * bridges, kube-proxy's IPVS dummy, kube-router's bridge, Weave's veths, node-local DNS.
 */
const KUBERNETES_INTERFACES = /^(cilium_|lxc(?:_health$|[0-9a-f]{8})|cni0$|cbr0$|kube-ipvs0$|kube-bridge$|vethwe|nodelocaldns$)/;
/** Bridges Docker creates: its default bridge, user-defined networks' br-<id>, the swarm's gateway bridge. */
const DOCKER_BRIDGES = /^(docker0|br-[0-9a-f]{12}|docker_gwbridge)$/;
/** Other interfaces of containers: Podman's bridges, the host ends of veth pairs. */
const CONTAINER_INTERFACES = /^(podman\d*$|cni-podman\d*$|veth)/;

/** Whether the machine's interfaces (ip-link.txt or ip-addr.txt) include one of Docker's bridges. */
export function hasDockerBridge(model: AnalysisModel, name: string): boolean {
  return interfaceNames(model, name).some((i) => DOCKER_BRIDGES.test(i));
}

export type ForwardingRole = 'kubernetes' | 'containers';

/**
 * Why a machine forwards packets at all: it is a Kubernetes node (listed by the cluster, or a
 * local capture showing KUBE- chains, CNI configuration or CNI interfaces), or it runs
 * containers behind a bridge (Docker's networks, a docker0/br-… bridge, veths). A plain machine
 * with neither routes nothing, so settings that matter only for forwarding are no finding there.
 */
export function forwardingRole(model: AnalysisModel, name: string): ForwardingRole | undefined {
  if (machineKind(model, name) === 'node') return 'kubernetes';
  const file = (path: string) => model.bundle.get(`nodes/${name}/${path}`)?.text;
  // Any KUBE- chain, not only kube-proxy's Service rules (nodeDataplanes' mode): the kubelet's
  // KUBE-FIREWALL and KUBE-KUBELET-CANARY mark a node whose Services Cilium handles too.
  const kubernetesChains = /^:KUBE-|^\s*table ip(6)? kube-proxy\b/m;
  if ([file('iptables-save.txt'), file('iptables-nft-save.txt'), file('iptables-legacy-save.txt'), file('nft-ruleset.txt')].some((text) => text !== undefined && kubernetesChains.test(text))) return 'kubernetes';
  if (model.bundle.list(`nodes/${name}/cni/`).length > 0) return 'kubernetes';
  const interfaces = interfaceNames(model, name);
  if (interfaces.some((i) => cniOfDevice(i) !== undefined || KUBERNETES_INTERFACES.test(i))) return 'kubernetes';
  if (isPlainDockerHost(model, name) && dockerHosts(model).some((h) => h.host === name && (h.networks?.value.networks.some((n) => n.driver === 'bridge' || n.driver === 'overlay') ?? false))) return 'containers';
  if (interfaces.some((i) => DOCKER_BRIDGES.test(i) || CONTAINER_INTERFACES.test(i))) return 'containers';
  return undefined;
}

function interfaceNames(model: AnalysisModel, name: string): string[] {
  return nodeRoutings(model).node(name)?.interfaces.map((i) => i.name) ?? [];
}
