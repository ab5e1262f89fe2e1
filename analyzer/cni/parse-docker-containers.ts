/**
 * `docker inspect $(docker ps -q)` (bundle: `nodes/<host>/docker/containers.json`), a JSON array
 * of containers; the fields read:
 *
 *   [ { "Id": "5788f74f…", "Name": "/web", "Image": "sha256:…",
 *       "State": { "Status": "running", "Running": true, "Restarting": false, "ExitCode": 0, "Pid": 4242 },
 *       "HostConfig": { "NetworkMode": "bridge", "PortBindings": { "80/tcp": [ { "HostIp": "", "HostPort": "8080" } ] } },
 *       "Config": { "Hostname": "5788f74fdc59", "Image": "nginx:1.25", "ExposedPorts": { "80/tcp": {} } },
 *       "NetworkSettings": {
 *         "Ports": { "80/tcp": [ { "HostIp": "0.0.0.0", "HostPort": "8080" }, { "HostIp": "::", "HostPort": "8080" } ] },
 *         "Networks": { "bridge": { "NetworkID": "7e0368…", "EndpointID": "6635…", "Gateway": "172.17.0.1",
 *                                   "IPAddress": "172.17.0.2", "IPPrefixLen": 16, "MacAddress": "02:42:ac:11:00:02",
 *                                   "Aliases": null } } } } ]
 *
 * `HostConfig.PortBindings` is what was asked for (`-p 8080:80`, HostIp empty for all
 * addresses); `NetworkSettings.Ports` what Docker bound (null for a port exposed but not
 * published, empty when the container is not running).
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseJsonList } from '../kube/json-list.js';
import { asArray, asObject, asStringArray, asStringMap, objectOrEmpty } from '../kube/object-fields.js';
import { objectPath } from '../kube/object-path.js';
import type { ObjectSource } from '../kube/types.js';

export type DockerPortProtocol = 'tcp' | 'udp' | 'sctp';

export interface DockerPortBinding {
  containerPort: number;
  protocol: DockerPortProtocol;
  /** As printed: `0.0.0.0`, `::`, `127.0.0.1`, or '' (all addresses) in PortBindings. */
  hostIp: string;
  /** Absent when Docker picks one (`"HostPort": ""`). */
  hostPort?: number;
  /** Path in the container, for `container.source.at(path)`. */
  path: string;
}

export interface DockerContainerNetwork {
  /** The network's name (the key under NetworkSettings.Networks). */
  name: string;
  networkId?: string;
  endpointId?: string;
  ipAddress?: string;
  prefixLength?: number;
  gateway?: string;
  macAddress?: string;
  ipv6Address?: string;
  aliases: string[];
  path: string;
}

export interface DockerContainer {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  image?: string;
  status?: string;
  running: boolean;
  restarting: boolean;
  exitCode?: number;
  /** `bridge`, `host`, `none`, `default`, `container:<id>`, or a network name. */
  networkMode?: string;
  /** HostConfig.PortBindings: the ports asked to be published. */
  portBindings: DockerPortBinding[];
  /** NetworkSettings.Ports: the ports bound on the host. */
  publishedPorts: DockerPortBinding[];
  exposedPorts: { port: number; protocol: DockerPortProtocol }[];
  networks: DockerContainerNetwork[];
  hostname?: string;
  /** Config.Labels (`com.docker.compose.project`, …). */
  labels: Record<string, string>;
  index: number;
  source: ObjectSource;
}

export interface DockerContainers {
  file: string;
  containers: DockerContainer[];
}

const PORT_KEY = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

export function parseDockerContainers(file: SourceFile): ParseResult<DockerContainers> {
  const parsed = parseJsonList(file);
  const issues: ParseIssue[] = [...parsed.issues];
  const containers: DockerContainer[] = [];
  parsed.value.items.forEach((item, index) => {
    const problem = (path: string | undefined, message: string, severity?: 'warning') => {
      const evidence = item.source.at(path);
      const issue: ParseIssue = { code: 'UNEXPECTED_SHAPE', file: evidence.file, line: evidence.line, message, text: evidence.text };
      if (severity) issue.severity = severity;
      issues.push(issue);
    };
    const object = asObject(item.object);
    if (!object || typeof object.Id !== 'string') {
      problem(undefined, `container ${index} has no Id: not \`docker inspect\` output; skipped`);
      return;
    }
    const state = objectOrEmpty(object.State);
    const hostConfig = objectOrEmpty(object.HostConfig);
    const config = objectOrEmpty(object.Config);
    const settings = objectOrEmpty(object.NetworkSettings);
    const rawName = typeof object.Name === 'string' ? object.Name : '';
    const container: DockerContainer = {
      id: object.Id,
      name: rawName.startsWith('/') ? rawName.slice(1) : rawName,
      running: state.Running === true,
      restarting: state.Restarting === true,
      portBindings: readPorts(hostConfig.PortBindings, ['HostConfig', 'PortBindings'], problem),
      publishedPorts: readPorts(settings.Ports, ['NetworkSettings', 'Ports'], problem),
      exposedPorts: [],
      networks: readNetworks(settings.Networks),
      labels: asStringMap(config.Labels),
      index,
      source: item.source,
    };
    if (typeof config.Image === 'string') container.image = config.Image;
    else if (typeof object.Image === 'string') container.image = object.Image;
    if (typeof state.Status === 'string') container.status = state.Status;
    if (typeof state.ExitCode === 'number') container.exitCode = state.ExitCode;
    if (typeof hostConfig.NetworkMode === 'string') container.networkMode = hostConfig.NetworkMode;
    if (typeof config.Hostname === 'string') container.hostname = config.Hostname;
    for (const key of Object.keys(objectOrEmpty(config.ExposedPorts))) {
      const port = PORT_KEY.exec(key);
      if (port) container.exposedPorts.push({ port: Number(port[1]), protocol: (port[2] as DockerPortProtocol | undefined) ?? 'tcp' });
      else problem(objectPath('Config', 'ExposedPorts', key), `container ${container.name}: exposed port "${key}" is not <port>/<protocol>`, 'warning');
    }
    containers.push(container);
  });
  return { value: { file: file.path, containers }, issues };
}

type Problem = (path: string | undefined, message: string, severity?: 'warning') => void;

/** `{ "80/tcp": [ { "HostIp": "0.0.0.0", "HostPort": "8080" } ] }` (a null list: not published). */
function readPorts(value: unknown, base: readonly string[], problem: Problem): DockerPortBinding[] {
  const ports = asObject(value);
  if (!ports) return [];
  const bindings: DockerPortBinding[] = [];
  for (const key of Object.keys(ports)) {
    const port = PORT_KEY.exec(key);
    if (!port) {
      problem(objectPath(...base, key), `port "${key}" is not <port>/<protocol>; its bindings are not read`, 'warning');
      continue;
    }
    asArray(ports[key]).forEach((entry, index) => {
      const binding = objectOrEmpty(entry);
      const path = objectPath(...base, key, index);
      const read: DockerPortBinding = {
        containerPort: Number(port[1]),
        protocol: (port[2] as DockerPortProtocol | undefined) ?? 'tcp',
        hostIp: typeof binding.HostIp === 'string' ? binding.HostIp : '',
        path,
      };
      const hostPort = typeof binding.HostPort === 'string' ? binding.HostPort : '';
      if (/^\d{1,5}$/.test(hostPort) && Number(hostPort) <= 65535) read.hostPort = Number(hostPort);
      else if (hostPort !== '') problem(path, `host port "${hostPort}" is not a port number`, 'warning');
      bindings.push(read);
    });
  }
  return bindings;
}

function readNetworks(value: unknown): DockerContainerNetwork[] {
  const networks = objectOrEmpty(value);
  return Object.keys(networks).map((name) => {
    const network = objectOrEmpty(networks[name]);
    const read: DockerContainerNetwork = { name, aliases: asStringArray(network.Aliases), path: objectPath('NetworkSettings', 'Networks', name) };
    if (typeof network.NetworkID === 'string' && network.NetworkID !== '') read.networkId = network.NetworkID;
    if (typeof network.EndpointID === 'string' && network.EndpointID !== '') read.endpointId = network.EndpointID;
    if (typeof network.IPAddress === 'string' && network.IPAddress !== '') read.ipAddress = network.IPAddress;
    if (typeof network.IPPrefixLen === 'number' && network.IPPrefixLen > 0) read.prefixLength = network.IPPrefixLen;
    if (typeof network.Gateway === 'string' && network.Gateway !== '') read.gateway = network.Gateway;
    if (typeof network.MacAddress === 'string' && network.MacAddress !== '') read.macAddress = network.MacAddress;
    if (typeof network.GlobalIPv6Address === 'string' && network.GlobalIPv6Address !== '') read.ipv6Address = network.GlobalIPv6Address;
    return read;
  });
}
