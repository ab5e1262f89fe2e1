/**
 * `tracePath(model, request)`: the library entry of `netdump path`. Resolves the endpoints as
 * the user named them — `ns/pod`, an IP with an optional port, or on a Docker host a container
 * name or id prefix — and traces the path between them (trace-pod-path.ts for pods,
 * trace-container-path.ts for containers). Unknown names come back as an error with near names.
 */
import type { DockerContainer } from '../cni/parse-docker-containers.js';
import { dockerHosts, type DockerHost } from '../docker/docker-host.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Pod } from '../kube/types.js';
import { formatIpAddress, parseIpAddress } from '../netfilter/ip-cidr.js';
import { nearNames } from './near-names.js';
import { parsePathTarget } from './path-target.js';
import type { PathError, PathRequest, PathResult } from './path-types.js';
import { attachments, traceContainerPath } from './trace-container-path.js';
import { tracePodPath } from './trace-pod-path.js';

export function tracePath(model: AnalysisModel, request: PathRequest): PathResult | PathError {
  const target = parsePathTarget(request.to);
  if ('error' in target) return { error: target.error, suggestions: [] };
  if (target.port !== undefined && request.port !== undefined && target.port !== request.port) {
    return { error: `--to ${request.to} names port ${target.port}, --port says ${request.port}`, suggestions: [] };
  }
  const port = target.port ?? request.port;
  const proto = request.proto ?? 'tcp';
  const from = request.from.trim();
  const hosts = dockerHosts(model).filter((h) => h.containers);

  if (from.includes('/') || hosts.length === 0) {
    const source = findPod(model, from, 'from');
    if ('error' in source) return source;
    let to: { pod: Pod } | { ip: string };
    if (target.kind === 'ip') to = { ip: formatIpAddress(parseIpAddress(target.name)!) };
    else {
      const pod = findPod(model, target.name, 'to');
      if ('error' in pod) return pod;
      to = { pod };
    }
    const result = tracePodPath(model, { from: source, to, proto, ...(port !== undefined ? { port } : {}) });
    return 'error' in result ? { error: result.error, suggestions: [] } : result;
  }

  const source = findContainer(hosts, from, 'from');
  if ('error' in source) return source;
  let to: { container: DockerContainer } | { ip: string };
  if (target.kind === 'ip') to = { ip: formatIpAddress(parseIpAddress(target.name)!) };
  else {
    const container = findContainer([source.host], target.name, 'to');
    if ('error' in container) {
      const elsewhere = hosts.filter((h) => h !== source.host && !('error' in findContainer([h], target.name, 'to')));
      if (elsewhere.length > 0) return { error: `${target.name} runs on ${elsewhere.map((h) => h.host).join(', ')}, not on ${source.host.host} where ${source.container.name} runs: paths between Docker hosts are not traced`, suggestions: [] };
      return container;
    }
    to = { container: container.container };
  }
  const result = traceContainerPath(model, { host: source.host, from: source.container, to, proto, ...(port !== undefined ? { port } : {}) });
  return 'error' in result ? { error: result.error, suggestions: [] } : result;
}

function findPod(model: AnalysisModel, text: string, role: 'from' | 'to'): Pod | PathError {
  const parts = text.split('/');
  const names = model.kube.pods.map((p) => `${p.namespace}/${p.name}`);
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return { error: `--${role} ${text}: expected <namespace>/<pod>${role === 'to' ? ' or an IP address[:port]' : ''}`, suggestions: nearNames(text, names) };
  }
  const pod = model.kube.pod(parts[0], parts[1]);
  if (pod) return pod;
  if (model.kube.pods.length === 0) return { error: `no pod ${text}: the bundle holds no pods (cluster/pods.json not collected)`, suggestions: [] };
  const inNamespace = names.filter((n) => n.startsWith(`${parts[0]}/`));
  const suggestions = nearNames(text, inNamespace.length > 0 ? inNamespace : names);
  return { error: `no pod ${text} in the bundle`, suggestions: suggestions.length > 0 ? suggestions : nearNames(parts[1], model.kube.pods.map((p) => p.name)).map((name) => names.find((n) => n.endsWith(`/${name}`))!) };
}

function findContainer(hosts: readonly DockerHost[], text: string, role: 'from' | 'to'): { host: DockerHost; container: DockerContainer } | PathError {
  const all = hosts.flatMap((host) => (host.containers?.value.containers ?? []).map((container) => ({ host, container })));
  const byName = all.filter((c) => c.container.name === text);
  if (byName.length === 1) return byName[0]!;
  const byId = /^[0-9a-f]{3,64}$/i.test(text) ? all.filter((c) => c.container.id.toLowerCase().startsWith(text.toLowerCase())) : [];
  const matches = byName.length > 1 ? byName : byId;
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    return { error: `--${role} ${text} matches ${matches.length} containers: give more of the id`, suggestions: matches.map((c) => `${c.container.name} (${c.container.id.slice(0, 12)} on ${c.host.host})`) };
  }
  const networks = hosts.flatMap((h) => h.networks?.value.networks ?? []);
  const attached = all.filter((c) => attachments(c.container, networks).length > 0 || c.container.networks.length > 0);
  return { error: `no container ${text} on ${hosts.map((h) => h.host).join(', ')}`, suggestions: nearNames(text, attached.map((c) => c.container.name)) };
}
