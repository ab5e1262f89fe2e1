import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseDockerContainers } from '../../analyzer/cni/parse-docker-containers.js';

const file = (text: string) => new SourceFile('nodes/docker-host/docker/containers.json', text);

/** `docker inspect $(docker ps -q)` on Docker 24, cut to the fields netdump reads (and a few around them). */
const CONTAINERS = `[
    {
        "Id": "5788f74fdc59f95ced36d908245b923cd940ed5917ae4a464ea42c7a135be21c",
        "Created": "2024-03-01T09:12:45.20339781Z",
        "Path": "/docker-entrypoint.sh",
        "Args": [
            "nginx",
            "-g",
            "daemon off;"
        ],
        "State": {
            "Status": "running",
            "Running": true,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 4242,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "2024-03-01T09:12:45.589551624Z",
            "FinishedAt": "0001-01-01T00:00:00Z"
        },
        "Image": "sha256:e4720093a3c1381245b53a5a51b417963b3c4472d3f47fc301930a4f3b17666a",
        "Name": "/web",
        "HostConfig": {
            "NetworkMode": "shop_frontend",
            "PortBindings": {
                "80/tcp": [
                    {
                        "HostIp": "",
                        "HostPort": "8080"
                    }
                ]
            },
            "RestartPolicy": {
                "Name": "unless-stopped",
                "MaximumRetryCount": 0
            }
        },
        "Config": {
            "Hostname": "5788f74fdc59",
            "ExposedPorts": {
                "80/tcp": {}
            },
            "Image": "nginx:1.25"
        },
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "a3b1c2d4e5f6",
            "Ports": {
                "80/tcp": [
                    {
                        "HostIp": "0.0.0.0",
                        "HostPort": "8080"
                    },
                    {
                        "HostIp": "::",
                        "HostPort": "8080"
                    }
                ]
            },
            "SandboxKey": "/var/run/docker/netns/a3b1c2d4e5f6",
            "Networks": {
                "shop_frontend": {
                    "IPAMConfig": null,
                    "Links": null,
                    "Aliases": [
                        "web",
                        "5788f74fdc59"
                    ],
                    "NetworkID": "c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
                    "EndpointID": "663581b9cd9cc26fcd3d091257d2e4ce4fbb54d3ae05732a48877492f64aa539",
                    "Gateway": "172.21.0.1",
                    "IPAddress": "172.21.0.2",
                    "IPPrefixLen": 16,
                    "IPv6Gateway": "",
                    "GlobalIPv6Address": "",
                    "GlobalIPv6PrefixLen": 0,
                    "MacAddress": "02:42:ac:15:00:02",
                    "DriverOpts": null
                }
            }
        }
    },
    {
        "Id": "3485a425ed17ede9bec0bdfb9b971508042afc2e6c78ba3751b821e3e3004a98",
        "State": {
            "Status": "restarting",
            "Running": true,
            "Restarting": true,
            "ExitCode": 1
        },
        "Name": "/metrics",
        "HostConfig": {
            "NetworkMode": "host",
            "PortBindings": {}
        },
        "Config": {
            "Hostname": "docker-host",
            "ExposedPorts": {
                "9100/tcp": {},
                "8125/udp": {}
            },
            "Image": "prom/node-exporter:v1.7.0"
        },
        "NetworkSettings": {
            "Ports": {},
            "Networks": {
                "host": {
                    "NetworkID": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
                    "EndpointID": "9f8e7d6c5b4a",
                    "Gateway": "",
                    "IPAddress": "",
                    "IPPrefixLen": 0
                }
            }
        }
    },
    {
        "Id": "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d",
        "State": {
            "Status": "running",
            "Running": true
        },
        "Name": "/db",
        "HostConfig": {
            "NetworkMode": "bridge",
            "PortBindings": {
                "5432/tcp": [
                    {
                        "HostIp": "127.0.0.1",
                        "HostPort": ""
                    }
                ]
            }
        },
        "Config": {
            "ExposedPorts": {
                "5432/tcp": {}
            },
            "Image": "postgres:16"
        },
        "NetworkSettings": {
            "Ports": {
                "5432/tcp": [
                    {
                        "HostIp": "127.0.0.1",
                        "HostPort": "32768"
                    }
                ],
                "5433/tcp": null
            },
            "Networks": {
                "bridge": {
                    "NetworkID": "7e036800a97c8150206d570d6b781c1f9e3e99392533f01dc411eff760a49cdc",
                    "EndpointID": "497729c65ae1a929d6eee8ce024115e103b114973578b05fa9ed9cd945511c32",
                    "Gateway": "172.17.0.1",
                    "IPAddress": "172.17.0.3",
                    "IPPrefixLen": 16,
                    "MacAddress": "02:42:ac:11:00:03"
                }
            }
        }
    }
]
`;

describe('parseDockerContainers', () => {
  it('reads state, network mode, requested and bound ports with their positions, and networks', () => {
    const { value, issues } = parseDockerContainers(file(CONTAINERS));
    expect(issues).toEqual([]);
    expect(value.containers.map((c) => [c.name, c.status, c.running, c.restarting, c.networkMode, c.image, c.source.line])).toEqual([
      ['web', 'running', true, false, 'shop_frontend', 'nginx:1.25', 2],
      ['metrics', 'restarting', true, true, 'host', 'prom/node-exporter:v1.7.0', 86],
      ['db', 'running', true, false, 'bridge', 'postgres:16', 120],
    ]);
    const [web, metrics, db] = value.containers;
    expect(web!.portBindings).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 8080, path: 'HostConfig.PortBindings.80/tcp[0]' }]);
    expect(web!.publishedPorts.map((p) => [p.hostIp, p.hostPort, p.containerPort, web!.source.at(p.path).line])).toEqual([
      ['0.0.0.0', 8080, 80, 53],
      ['::', 8080, 80, 57],
    ]);
    expect(web!.networks).toEqual([
      {
        name: 'shop_frontend',
        networkId: 'c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
        endpointId: '663581b9cd9cc26fcd3d091257d2e4ce4fbb54d3ae05732a48877492f64aa539',
        ipAddress: '172.21.0.2',
        prefixLength: 16,
        gateway: '172.21.0.1',
        macAddress: '02:42:ac:15:00:02',
        aliases: ['web', '5788f74fdc59'],
        path: 'NetworkSettings.Networks.shop_frontend',
      },
    ]);
    expect(web!.source.at(web!.networks[0]!.path).line).toBe(65);
    expect(metrics!.exposedPorts).toEqual([
      { port: 9100, protocol: 'tcp' },
      { port: 8125, protocol: 'udp' },
    ]);
    expect(metrics).toMatchObject({ exitCode: 1, publishedPorts: [], portBindings: [] });
    expect(metrics!.networks[0]).toEqual({ name: 'host', networkId: '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9', endpointId: '9f8e7d6c5b4a', aliases: [], path: 'NetworkSettings.Networks.host' });
    // Asked for any host port on loopback; Docker picked 32768. A port exposed but not published has no binding.
    expect(db!.portBindings).toEqual([{ containerPort: 5432, protocol: 'tcp', hostIp: '127.0.0.1', path: 'HostConfig.PortBindings.5432/tcp[0]' }]);
    expect(db!.publishedPorts.map((p) => [p.containerPort, p.hostIp, p.hostPort])).toEqual([[5432, '127.0.0.1', 32768]]);
  });

  it('reports bad ports and non-containers at their lines, and keeps what precedes a syntax error', () => {
    const text = `[
    {"Id": "a1", "Name": "/a", "HostConfig": {"PortBindings": {"http": [{"HostPort": "80"}], "53/udp": [{"HostIp": "", "HostPort": "99999"}]}}},
    {"Name": "/no-id"},
    {"Id": "b2", "Name": "/b", "Config": {"ExposedPorts": {"8000-8010/tcp": {}}}},
    {"Id": "c3", "Name": "/c", "State": {"Running": tr`;
    const { value, issues } = parseDockerContainers(file(text));
    expect(value.containers.map((c) => [c.name, c.portBindings.map((p) => [p.containerPort, p.protocol, p.hostPort]), c.exposedPorts])).toEqual([
      ['a', [[53, 'udp', undefined]], []],
      ['b', [], []],
    ]);
    expect(issues.map((i) => [i.code, i.line, i.severity ?? 'error'])).toEqual([
      ['INVALID_JSON', 5, 'error'],
      ['UNEXPECTED_SHAPE', 2, 'warning'],
      ['UNEXPECTED_SHAPE', 2, 'warning'],
      ['UNEXPECTED_SHAPE', 3, 'error'],
      ['UNEXPECTED_SHAPE', 4, 'warning'],
    ]);
    for (const hostile of ['', '[]', '[1]', '[{"Id": 5}]', '[{"Id": "x", "NetworkSettings": {"Ports": {"80/tcp": "x"}, "Networks": []}, "HostConfig": {"PortBindings": []}}]']) {
      expect(() => parseDockerContainers(file(hostile))).not.toThrow();
    }
  });
});
