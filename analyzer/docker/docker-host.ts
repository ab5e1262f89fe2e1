/**
 * The Docker side of each bundle node (`nodes/<host>/docker/`): its containers and networks as
 * `docker inspect` / `docker network inspect` printed them, parsed once per model, next to the
 * host's iptables-save dump (the one the kube-proxy data-plane facet already parsed).
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { parseDockerContainers, type DockerContainers } from '../cni/parse-docker-containers.js';
import { parseDockerNetworks, type DockerNetworks } from '../cni/parse-docker-networks.js';
import { nodeDataplanes, type IptablesDumpView, type ParsedNodeFile } from '../kubeproxy/node-dataplane.js';

export const DOCKER_HOST_FACET = 'docker/docker-host';

export const DOCKER_FILES = {
  containers: 'docker/containers.json',
  networks: 'docker/networks.json',
} as const;

export interface DockerHost {
  /** The `nodes/<host>/` folder name. */
  host: string;
  /** `Node/<host>` when the cluster lists the host as a node, else `Host/<host>`. */
  subject: string;
  containers?: ParsedNodeFile<DockerContainers>;
  networks?: ParsedNodeFile<DockerNetworks>;
  /** The host's IPv4 iptables-save dump, when collected. */
  iptables?: IptablesDumpView;
}

/**
 * True for a capture of hosts alone (`netdump collect --local` on a Docker host or a node):
 * no Kubernetes object under cluster/, so checks of pod traffic have nothing to start from.
 */
export function hostCaptureOnly(model: AnalysisModel): boolean {
  return model.bundle.list('cluster/').length === 0 && model.kube.nodes.length === 0 && model.kube.pods.length === 0;
}

/** The label cri-dockerd (dockershim) puts on the containers of Kubernetes pods. */
const KUBERNETES_POD_LABEL = 'io.kubernetes.pod.name';

/**
 * True when `host` is a plain Docker host: it has Docker captures, the cluster does not list it
 * as a node, and none of its containers belongs to a Kubernetes pod. Kubernetes node checks
 * (CNI configuration, pod CIDRs) do not apply to it.
 */
export function isPlainDockerHost(model: AnalysisModel, host: string): boolean {
  const docker = dockerHosts(model).find((h) => h.host === host);
  if (!docker || model.kube.node(host)) return false;
  return !(docker.containers?.value.containers.some((c) => c.labels[KUBERNETES_POD_LABEL] !== undefined) ?? false);
}

/** Hosts with a docker/containers.json or docker/networks.json, sorted by name. */
export function dockerHosts(model: AnalysisModel): DockerHost[] {
  return model.facet(DOCKER_HOST_FACET, buildDockerHosts);
}

function buildDockerHosts(model: AnalysisModel): DockerHost[] {
  const nodes = new Set(model.kube.nodes.map((n) => n.name));
  const hosts: DockerHost[] = [];
  for (const host of model.bundle.nodeNames()) {
    const containersFile = model.bundle.get(`nodes/${host}/${DOCKER_FILES.containers}`);
    const networksFile = model.bundle.get(`nodes/${host}/${DOCKER_FILES.networks}`);
    if (!containersFile && !networksFile) continue;
    const entry: DockerHost = { host, subject: `${nodes.has(host) ? 'Node' : 'Host'}/${host}` };
    if (containersFile) {
      const parsed = parseDockerContainers(containersFile);
      model.parseIssues.push(...parsed.issues);
      entry.containers = { file: containersFile, value: parsed.value };
    }
    if (networksFile) {
      const parsed = parseDockerNetworks(networksFile);
      model.parseIssues.push(...parsed.issues);
      entry.networks = { file: networksFile, value: parsed.value };
    }
    const iptables = nodeDataplanes(model).node(host)?.iptables;
    if (iptables) entry.iptables = iptables;
    hosts.push(entry);
  }
  return hosts;
}
