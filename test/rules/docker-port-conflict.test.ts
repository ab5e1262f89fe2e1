import dockerPortConflict from '../../rules/docker-port-conflict.js';
import { kubectlList, node } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

interface ContainerSpec {
  id: string;
  name: string;
  image: string;
  running: boolean;
  /** `-p` bindings: container port key to [HostIp, HostPort]. */
  publish: Record<string, [string, string]>;
  ip: string;
}

/** One container as `docker inspect` prints it (4-space indent; fields in Docker's order). */
function inspected(spec: ContainerSpec): unknown {
  const portBindings = Object.fromEntries(Object.entries(spec.publish).map(([port, [hostIp, hostPort]]) => [port, [{ HostIp: hostIp, HostPort: hostPort }]]));
  const ports = spec.running
    ? Object.fromEntries(
        Object.entries(spec.publish).map(([port, [hostIp, hostPort]]) => [
          port,
          hostIp === '' ? [{ HostIp: '0.0.0.0', HostPort: hostPort }, { HostIp: '::', HostPort: hostPort }] : [{ HostIp: hostIp, HostPort: hostPort }],
        ]),
      )
    : {};
  return {
    Id: spec.id,
    Created: '2024-03-11T09:12:44.123456789Z',
    Path: '/docker-entrypoint.sh',
    Args: ['nginx', '-g', 'daemon off;'],
    State: spec.running
      ? { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 4242, ExitCode: 0, Error: '', StartedAt: '2024-03-11T09:12:45.01Z', FinishedAt: '0001-01-01T00:00:00Z' }
      : {
          Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 128,
          Error: `driver failed programming external connectivity on endpoint ${spec.name}: Bind for 0.0.0.0:8080 failed: port is already allocated`,
          StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
        },
    Image: 'sha256:92b11f67642b62bbb98e7e49169c346b30e20cd3c1c034d31087e46924b9312e',
    Name: `/${spec.name}`,
    RestartCount: 0,
    HostConfig: { NetworkMode: 'bridge', PortBindings: portBindings, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
    Config: { Hostname: spec.id.slice(0, 12), ExposedPorts: Object.fromEntries(Object.keys(spec.publish).map((p) => [p, {}])), Image: spec.image },
    NetworkSettings: {
      Ports: ports,
      Networks: {
        bridge: {
          IPAMConfig: null, Links: null, Aliases: null,
          NetworkID: '7e0368e8b9a6c0d8b1c4f2e3a5d6b7c8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4',
          EndpointID: spec.running ? '66358e3c8d1b4c0a9f2e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928' : '',
          Gateway: spec.running ? '172.17.0.1' : '', IPAddress: spec.running ? spec.ip : '', IPPrefixLen: spec.running ? 16 : 0,
          MacAddress: spec.running ? '02:42:ac:11:00:02' : '',
        },
      },
    },
  };
}

const containers = (...specs: ContainerSpec[]) => JSON.stringify(specs.map(inspected), null, 4) + '\n';

const web: ContainerSpec = { id: '5788f74fdc59a3d2e1f0b9c8a7d6e5f4c3b2a1908f7e6d5c4b3a29180f7e6d5c', name: 'web', image: 'nginx:1.25', running: true, publish: { '80/tcp': ['', '8080'] }, ip: '172.17.0.2' };
const api = (hostIp: string, hostPort: string, running = false): ContainerSpec => ({
  id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', name: 'api', image: 'ghcr.io/acme/api:2.4.1', running, publish: { '3000/tcp': [hostIp, hostPort] }, ip: '172.17.0.3',
});
const path = 'nodes/docker-host-1/docker/containers.json';

ruleTester(dockerPortConflict, {
  valid: [
    { name: 'different host ports', files: { [path]: containers(web, api('', '8081', true)) } },
    { name: 'same port, different protocol', files: { [path]: containers(web, { ...api('', '8080'), publish: { '3000/udp': ['', '8080'] } }) } },
    { name: 'same port on two distinct loopback addresses', files: { [path]: containers({ ...web, publish: { '80/tcp': ['127.0.0.1', '8080'] } }, api('127.0.0.2', '8080')) } },
    { name: 'IPv4-only and IPv6-only wildcards', files: { [path]: containers({ ...web, publish: { '80/tcp': ['0.0.0.0', '8080'] } }, api('::', '8080')) } },
    { name: 'ports left to Docker (HostPort "")', files: { [path]: containers({ ...web, publish: { '80/tcp': ['', ''] } }, api('', '')) } },
    { name: 'no docker/containers.json', files: { 'nodes/docker-host-1/ip-addr.txt': '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n' }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'the second container could not start: 0.0.0.0:8080 already allocated',
      files: { [path]: containers(web, api('0.0.0.0', '8080')) },
      findings: [
        {
          subjects: ['Host/docker-host-1'],
          evidence: [{ file: path, line: 31 }, { file: path, line: 106 }],
          titleMatch: /^web and api both publish host port 8080\/tcp on docker-host-1$/,
          messageMatch: /web asks for 0\.0\.0\.0:8080\/tcp \(to its port 80\) and api for 0\.0\.0\.0:8080\/tcp \(to its port 3000\).*web holds the port; api is created/,
        },
      ],
    },
    {
      name: 'on a Kubernetes node the subject is the Node',
      files: {
        'cluster/nodes.json': kubectlList([node({ name: 'docker-host-1', ip: '10.0.1.11', podCIDR: '10.244.0.0/24' })]),
        [path]: containers(web, api('0.0.0.0', '8080')),
      },
      findings: [{ subjects: ['Node/docker-host-1'], evidence: [{ file: path, line: 31 }, { file: path, line: 106 }] }],
    },
    {
      name: 'a specific address overlaps an all-addresses binding',
      files: { [path]: containers(web, api('192.168.1.20', '8080', true)) },
      findings: [{ subjects: ['Host/docker-host-1'], evidence: [{ file: path, line: 31 }, { file: path, line: 106 }], messageMatch: /192\.168\.1\.20:8080\/tcp.*both are running/ }],
    },
  ],
});
