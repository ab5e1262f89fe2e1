/**
 * What a `nodes/<name>/` folder is about: a Kubernetes node, or a host outside any cluster —
 * a plain Docker host, or the machine of a capture without cluster objects (`netdump collect
 * --local`). Findings name the first `Node/<name>` and the second `Host/<name>` (report-format.md),
 * as node-routing and the Docker rules do, so that causes link across rules by subject.
 */
import { dockerHosts, hostCaptureOnly, isPlainDockerHost } from '../../analyzer/docker/docker-host.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';

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

/** Interfaces that only a Kubernetes CNI or kube-proxy creates (Cilium's lxc<hex>, not LXC's lxcbr0). */
const KUBERNETES_INTERFACES = /^(cali[0-9a-f]|cilium_|lxc(?:_health$|[0-9a-f]{8})|flannel\.|cni0$|cbr0$|tunl0$|vxlan\.calico$|kube-ipvs0$|kube-bridge$|weave$|vethwe|nodelocaldns$)/;
/** Interfaces of container bridges (Docker's default bridge and user networks, Podman's). */
const CONTAINER_INTERFACES = /^(docker0$|br-[0-9a-f]{12}$|docker_gwbridge$|podman\d*$|cni-podman\d*$|veth)/;

export type ForwardingRole = 'kubernetes' | 'containers';

/**
 * Why a machine forwards packets at all: it is a Kubernetes node (listed by the cluster, or a
 * local capture showing kube-proxy's chains, CNI configuration or CNI interfaces), or it runs
 * containers behind a bridge (Docker's networks, a docker0/br-… bridge, veths). A plain machine
 * with neither routes nothing, so settings that matter only for forwarding are no finding there.
 */
export function forwardingRole(model: AnalysisModel, name: string): ForwardingRole | undefined {
  if (machineKind(model, name) === 'node') return 'kubernetes';
  const file = (path: string) => model.bundle.get(`nodes/${name}/${path}`)?.text;
  const kubeProxyRules = /^:KUBE-|^\s*table ip(6)? kube-proxy\b/m;
  if ([file('iptables-save.txt'), file('iptables-nft-save.txt'), file('iptables-legacy-save.txt'), file('nft-ruleset.txt')].some((text) => text !== undefined && kubeProxyRules.test(text))) return 'kubernetes';
  if (model.bundle.list(`nodes/${name}/cni/`).length > 0) return 'kubernetes';
  const interfaces = interfaceNames(model, name);
  if (interfaces.some((i) => KUBERNETES_INTERFACES.test(i))) return 'kubernetes';
  if (isPlainDockerHost(model, name) && dockerHosts(model).some((h) => h.host === name && (h.networks?.value.networks.some((n) => n.driver === 'bridge' || n.driver === 'overlay') ?? false))) return 'containers';
  if (interfaces.some((i) => CONTAINER_INTERFACES.test(i))) return 'containers';
  return undefined;
}

function interfaceNames(model: AnalysisModel, name: string): string[] {
  const names: string[] = [];
  for (const path of ['ip-link.txt', 'ip-addr.txt']) {
    const text = model.bundle.get(`nodes/${name}/${path}`)?.text;
    if (!text) continue;
    for (const match of text.matchAll(/^\d+: ([^:@\s]+)[@:]/gm)) names.push(match[1]!);
  }
  return names;
}
