/**
 * `docker network inspect $(docker network ls -q)` (bundle: `nodes/<host>/docker/networks.json`),
 * a JSON array of networks:
 *
 *   [ { "Name": "bridge", "Id": "7e0368…", "Scope": "local", "Driver": "bridge", "EnableIPv6": false,
 *       "IPAM": { "Driver": "default", "Config": [ { "Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1" } ] },
 *       "Internal": false, "Attachable": false, "Ingress": false,
 *       "Containers": { "3485a4…": { "Name": "alpine2", "EndpointID": "4977…", "MacAddress": "02:42:ac:11:00:03",
 *                                    "IPv4Address": "172.17.0.3/16", "IPv6Address": "" } },
 *       "Options": { "com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "true",
 *                    "com.docker.network.bridge.enable_ip_masquerade": "true", "com.docker.network.bridge.name": "docker0",
 *                    "com.docker.network.driver.mtu": "1500" },
 *       "Labels": {} } ]
 *
 * Drivers: bridge, overlay (with `Peers` and a VXLAN id), host, null, macvlan, ipvlan. A
 * user-defined bridge names no device in its options: Docker calls it `br-` and the first 12
 * characters of the network id, which is what `bridgeDevice` gives.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseJsonList } from '../kube/json-list.js';
import { asArray, asObject, asStringMap, objectOrEmpty } from '../kube/object-fields.js';
import { objectPath } from '../kube/object-path.js';
import type { ObjectSource } from '../kube/types.js';

export interface DockerIpamConfig {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

export interface DockerNetworkEndpoint {
  containerId: string;
  name: string;
  endpointId: string;
  macAddress?: string;
  /** `172.17.0.3/16`, as printed. */
  ipv4Address?: string;
  ipv6Address?: string;
  /** Path in the network, for `network.source.at(path)`. */
  path: string;
}

export interface DockerNetwork {
  name: string;
  id: string;
  /** `bridge`, `overlay`, `host`, `null`, `macvlan`, `ipvlan`, or a plugin's name. */
  driver: string;
  /** `local`, `swarm`, `global`. */
  scope?: string;
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  enableIpv6: boolean;
  ipam: { driver?: string; configs: DockerIpamConfig[] };
  options: Record<string, string>;
  /** The Linux bridge of a bridge network: `docker0`, `br-<id prefix>`, or the `bridge.name` option. */
  bridgeDevice?: string;
  defaultBridge: boolean;
  /** `enable_icc`: containers of this bridge may talk to each other (Docker's default, true). */
  interContainerTraffic: boolean;
  /** `enable_ip_masquerade`: outbound traffic is masqueraded (default true). */
  ipMasquerade: boolean;
  /** `com.docker.network.driver.mtu`, when set. */
  mtu?: number;
  /** Overlay: the VXLAN ids (`com.docker.network.driver.overlay.vxlanid_list`). */
  vxlanIds: number[];
  containers: DockerNetworkEndpoint[];
  /** Overlay: the swarm nodes holding this network. */
  peers: { name: string; ip: string }[];
  labels: Record<string, string>;
  index: number;
  source: ObjectSource;
}

export interface DockerNetworks {
  file: string;
  networks: DockerNetwork[];
}

const BRIDGE_OPTION = 'com.docker.network.bridge.';

export function parseDockerNetworks(file: SourceFile): ParseResult<DockerNetworks> {
  const parsed = parseJsonList(file);
  const issues: ParseIssue[] = [...parsed.issues];
  const networks: DockerNetwork[] = [];
  parsed.value.items.forEach((item, index) => {
    const object = asObject(item.object);
    const name = object?.Name;
    if (!object || typeof name !== 'string' || typeof object.Id !== 'string') {
      const evidence = item.source.at();
      issues.push({
        code: 'UNEXPECTED_SHAPE',
        file: evidence.file,
        line: evidence.line,
        message: `network ${index} has no Name and Id: not \`docker network inspect\` output; skipped`,
        text: evidence.text,
      });
      return;
    }
    const options = asStringMap(object.Options);
    const driver = typeof object.Driver === 'string' ? object.Driver : '';
    const id = object.Id;
    const defaultBridge = options[`${BRIDGE_OPTION}default_bridge`] === 'true';
    const network: DockerNetwork = {
      name,
      id,
      driver,
      internal: object.Internal === true,
      attachable: object.Attachable === true,
      ingress: object.Ingress === true,
      enableIpv6: object.EnableIPv6 === true,
      ipam: { configs: [] },
      options,
      defaultBridge,
      interContainerTraffic: options[`${BRIDGE_OPTION}enable_icc`] !== 'false',
      ipMasquerade: options[`${BRIDGE_OPTION}enable_ip_masquerade`] !== 'false',
      vxlanIds: [],
      containers: [],
      peers: [],
      labels: asStringMap(object.Labels),
      index,
      source: item.source,
    };
    if (typeof object.Scope === 'string') network.scope = object.Scope;
    const ipam = objectOrEmpty(object.IPAM);
    if (typeof ipam.Driver === 'string') network.ipam.driver = ipam.Driver;
    for (const entry of asArray(ipam.Config)) {
      const config = objectOrEmpty(entry);
      const read: DockerIpamConfig = {};
      if (typeof config.Subnet === 'string' && config.Subnet !== '') read.subnet = config.Subnet;
      if (typeof config.Gateway === 'string' && config.Gateway !== '') read.gateway = config.Gateway;
      if (typeof config.IPRange === 'string' && config.IPRange !== '') read.ipRange = config.IPRange;
      network.ipam.configs.push(read);
    }
    if (driver === 'bridge') network.bridgeDevice = options[`${BRIDGE_OPTION}name`] ?? (defaultBridge ? 'docker0' : `br-${id.slice(0, 12)}`);
    const mtu = options['com.docker.network.driver.mtu'];
    if (mtu !== undefined && /^\d+$/.test(mtu)) network.mtu = Number(mtu);
    else if (mtu !== undefined) {
      const evidence = item.source.at('Options');
      issues.push({ code: 'UNEXPECTED_SHAPE', file: evidence.file, line: evidence.line, message: `network ${name}: MTU option "${mtu}" is not a number`, text: evidence.text, severity: 'warning' });
    }
    const vxlan = options['com.docker.network.driver.overlay.vxlanid_list'];
    if (vxlan) network.vxlanIds = vxlan.split(',').filter((v) => /^\d+$/.test(v.trim())).map(Number);
    const containers = objectOrEmpty(object.Containers);
    for (const containerId of Object.keys(containers)) {
      const endpoint = objectOrEmpty(containers[containerId]);
      const read: DockerNetworkEndpoint = {
        containerId,
        name: typeof endpoint.Name === 'string' ? endpoint.Name : '',
        endpointId: typeof endpoint.EndpointID === 'string' ? endpoint.EndpointID : '',
        path: objectPath('Containers', containerId),
      };
      if (typeof endpoint.MacAddress === 'string' && endpoint.MacAddress !== '') read.macAddress = endpoint.MacAddress;
      if (typeof endpoint.IPv4Address === 'string' && endpoint.IPv4Address !== '') read.ipv4Address = endpoint.IPv4Address;
      if (typeof endpoint.IPv6Address === 'string' && endpoint.IPv6Address !== '') read.ipv6Address = endpoint.IPv6Address;
      network.containers.push(read);
    }
    for (const entry of asArray(object.Peers)) {
      const peer = objectOrEmpty(entry);
      if (typeof peer.IP === 'string') network.peers.push({ name: typeof peer.Name === 'string' ? peer.Name : '', ip: peer.IP });
    }
    networks.push(network);
  });
  return { value: { file: file.path, networks }, issues };
}
