import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseDockerNetworks } from '../../analyzer/cni/parse-docker-networks.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './cni-samples.js';

const file = (text: string) => new SourceFile('nodes/docker-host/docker/networks.json', text);

/** `docker network inspect $(docker network ls -q)` on Docker 24: a user-defined bridge without ICC, a swarm overlay, host and none. */
const NETWORKS = `[
    {
        "Name": "backend",
        "Id": "f3c2a91d7b6e4a1c9d0e8b7a6f5c4d3e2b1a09f8e7d6c5b4a3928170615243f1",
        "Created": "2024-03-01T09:12:44.118276541Z",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [
                {
                    "Subnet": "172.20.0.0/16",
                    "Gateway": "172.20.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {
            "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d": {
                "Name": "db",
                "EndpointID": "1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3",
                "MacAddress": "02:42:ac:14:00:02",
                "IPv4Address": "172.20.0.2/16",
                "IPv6Address": ""
            }
        },
        "Options": {
            "com.docker.network.bridge.enable_icc": "false"
        },
        "Labels": {
            "com.docker.compose.network": "backend",
            "com.docker.compose.project": "shop"
        }
    },
    {
        "Name": "swarm-net",
        "Id": "q8w7e6r5t4y3u2i1o0p9a8s7d",
        "Created": "2024-03-01T09:30:02.456Z",
        "Scope": "swarm",
        "Driver": "overlay",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [
                {
                    "Subnet": "10.0.1.0/24",
                    "Gateway": "10.0.1.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": true,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {},
        "Options": {
            "com.docker.network.driver.overlay.vxlanid_list": "4097"
        },
        "Labels": {},
        "Peers": [
            {
                "Name": "7b1c2d3e4f5a",
                "IP": "192.168.56.11"
            },
            {
                "Name": "8c2d3e4f5a6b",
                "IP": "192.168.56.12"
            }
        ]
    },
    {
        "Name": "host",
        "Id": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "Scope": "local",
        "Driver": "host",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": null
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "Containers": {},
        "Options": {},
        "Labels": {}
    },
    {
        "Name": "none",
        "Id": "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a",
        "Scope": "local",
        "Driver": "null",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": null
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "Containers": {},
        "Options": {},
        "Labels": {}
    }
]
`;

describe('parseDockerNetworks', () => {
  it('reads networks with their subnets, bridge devices, options, endpoints and overlay peers', () => {
    const { value, issues } = parseDockerNetworks(file(NETWORKS));
    expect(issues).toEqual([]);
    expect(value.networks.map((n) => [n.name, n.driver, n.scope, n.bridgeDevice, n.ipam.configs.map((c) => c.subnet), n.source.line])).toEqual([
      ['backend', 'bridge', 'local', 'br-f3c2a91d7b6e', ['172.20.0.0/16'], 2],
      ['swarm-net', 'overlay', 'swarm', undefined, ['10.0.1.0/24'], 43],
      ['host', 'host', 'local', undefined, [], 83],
      ['none', 'null', 'local', undefined, [], 101],
    ]);
    const [backend, overlay] = value.networks;
    expect(backend).toMatchObject({ interContainerTraffic: false, ipMasquerade: true, defaultBridge: false, internal: false, labels: { 'com.docker.compose.project': 'shop' } });
    expect(backend!.mtu).toBeUndefined();
    expect(backend!.containers).toEqual([
      {
        containerId: '9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d',
        name: 'db',
        endpointId: '1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3',
        macAddress: '02:42:ac:14:00:02',
        ipv4Address: '172.20.0.2/16',
        path: 'Containers.9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d',
      },
    ]);
    expect(backend!.source.at(backend!.containers[0]!.path).line).toBe(27);
    expect(backend!.source.at('Options["com.docker.network.bridge.enable_icc"]')).toMatchObject({ line: 36, text: '"com.docker.network.bridge.enable_icc": "false"' });
    expect(overlay).toMatchObject({ attachable: true, vxlanIds: [4097], peers: [{ name: '7b1c2d3e4f5a', ip: '192.168.56.11' }, { name: '8c2d3e4f5a6b', ip: '192.168.56.12' }] });
  });

  it('skips what is not a network, flags a bad MTU, and keeps the networks before a syntax error', () => {
    const text = `[
    {"Name": "a", "Id": "aaaaaaaaaaaaaaaa", "Driver": "bridge", "Options": {"com.docker.network.driver.mtu": "jumbo"}},
    {"Id": "no-name"},
    {"Name": "b", "Id": "bbbbbbbbbbbbbbbb", "Driver": "macvlan", "IPAM": {"Config": [{"Subnet": "192.168.1.0/24", "IPRange": "192.168.1.128/25"}]}},
    {"Name": "c", "Id": "cccc`;
    const { value, issues } = parseDockerNetworks(file(text));
    expect(value.networks.map((n) => [n.name, n.driver, n.ipam.configs])).toEqual([
      ['a', 'bridge', []],
      ['b', 'macvlan', [{ subnet: '192.168.1.0/24', ipRange: '192.168.1.128/25' }]],
    ]);
    expect(issues.map((i) => [i.code, i.line, i.severity ?? 'error'])).toEqual([
      ['INVALID_JSON', 5, 'error'],
      ['UNEXPECTED_SHAPE', 2, 'warning'],
      ['UNEXPECTED_SHAPE', 3, 'error'],
    ]);
    for (const hostile of ['', '{}', '[null]', '[{"Name": 1, "Id": []}]', '[{"Name": "x", "Id": "y", "Containers": [1], "Peers": {"a": 1}, "IPAM": []}]']) {
      expect(() => parseDockerNetworks(file(hostile))).not.toThrow();
    }
  });

  it('reads the sample: the default bridge with two containers', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const { value, issues } = parseDockerNetworks(sampleSection('docker-network-inspect-bridge.json.txt', 0, { blankComments: true }));
    expect(issues).toEqual([]);
    expect(value.networks).toHaveLength(1);
    const bridge = value.networks[0]!;
    expect(bridge).toMatchObject({ name: 'bridge', driver: 'bridge', bridgeDevice: 'docker0', defaultBridge: true, interContainerTraffic: true, ipMasquerade: true, mtu: 1500 });
    expect(bridge.ipam.configs).toEqual([{ subnet: '172.17.0.0/16', gateway: '172.17.0.1' }]);
    expect(bridge.containers.map((c) => [c.name, c.ipv4Address, bridge.source.at(c.path).line])).toEqual([
      ['alpine2', '172.17.0.3/16', 28],
      ['alpine1', '172.17.0.2/16', 35],
    ]);
  });
});
