/**
 * A Docker host (docker-01, 10.20.0.15) as `netdump collect --local` captures it, for the
 * container path tests: `docker inspect` and `docker network inspect` JSON as Docker 24 prints
 * them, the iptables-save Docker writes for three bridges (docker0 and two compose networks),
 * `ip -d addr show`, `ip route show table all`, ip rules and sysctl.
 *
 *   registry    172.17.0.2  bridge (docker0)          publishes 0.0.0.0:5000 → 5000
 *   shop-web-1  172.19.0.2  shop_frontend             publishes 0.0.0.0:80 → 80
 *   shop-api-1  172.18.0.3  shop_backend              exposes 8080
 *   shop-db-1   172.18.0.2  shop_backend              publishes 127.0.0.1:5432 → 5432
 */
import { eth0, IP_RULES, ipAddr, lo, sysctl, type IfaceSpec } from '../helpers/node-network.js';

export const FRONTEND_ID = 'ef788867b48f0c2b9d41a6e3f5c7d9e1b3a5c7e9f1d3b5a7c9e1f3d5b7a9c1e3';
export const BACKEND_ID = 'e8c6839a9cb2f4d6e8a0c2e4f6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4';
export const BRIDGE_ID = 'f79738e9c8d51b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d';
export const FRONTEND = `br-${FRONTEND_ID.slice(0, 12)}`;
export const BACKEND = `br-${BACKEND_ID.slice(0, 12)}`;

export const CONTAINER_IDS = {
  registry: 'afd52f09eee4c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1',
  web: '0f53398f8ec0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2',
  api: 'debf1ff82398b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1',
  db: '5839c61a91c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2',
};

interface NetworkSpec {
  name: string;
  id: string;
  subnet: string;
  gateway: string;
  options: Record<string, string>;
  members: { id: string; name: string; ip: string }[];
  compose?: string;
}

function network(n: NetworkSpec): unknown {
  return {
    Name: n.name,
    Id: n.id,
    Created: '2025-06-12T13:58:11.402617233Z',
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(n.members.map((m) => [m.id, { Name: m.name, EndpointID: `e${m.id.slice(1)}`, MacAddress: '02:42:ac:12:00:02', IPv4Address: `${m.ip}/16`, IPv6Address: '' }])),
    Options: n.options,
    Labels: n.compose ? { 'com.docker.compose.network': n.compose, 'com.docker.compose.project': 'shop', 'com.docker.compose.version': '2.24.6' } : {},
  };
}

interface ContainerSpec {
  id: string;
  name: string;
  image: string;
  network: { name: string; id: string; ip: string; gateway: string };
  exposed: string;
  published?: { HostIp: string; HostPort: string }[];
}

function container(c: ContainerSpec): unknown {
  return {
    Id: c.id,
    Created: '2025-06-12T13:58:12.118204451Z',
    Path: 'docker-entrypoint.sh',
    Args: [],
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 31337, ExitCode: 0, Error: '', StartedAt: '2025-06-12T13:58:13.5Z', FinishedAt: '0001-01-01T00:00:00Z' },
    Image: 'sha256:3b1a9c2e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
    Name: `/${c.name}`,
    HostConfig: { NetworkMode: c.network.name, PortBindings: c.published ? { [c.exposed]: c.published.filter((p) => p.HostIp !== '::').map((p) => ({ HostIp: p.HostIp === '0.0.0.0' ? '' : p.HostIp, HostPort: p.HostPort })) } : {}, RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } },
    Config: { Hostname: c.id.slice(0, 12), ExposedPorts: { [c.exposed]: {} }, Image: c.image, Labels: {} },
    NetworkSettings: {
      Ports: { [c.exposed]: c.published ?? null },
      Networks: {
        [c.network.name]: {
          IPAMConfig: null, Links: null, Aliases: null, MacAddress: '02:42:ac:12:00:03',
          NetworkID: c.network.id, EndpointID: `e${c.id.slice(1)}`, Gateway: c.network.gateway, IPAddress: c.network.ip, IPPrefixLen: 16,
          IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DriverOpts: null, DNSNames: null,
        },
      },
    },
  };
}

export interface DockerHostOptions {
  /** `com.docker.network.bridge.enable_icc` of the default bridge (default true). */
  bridgeIcc?: boolean;
  /** A second container on docker0 (`cache`, 172.17.0.3). */
  cacheOnBridge?: boolean;
  /** Leave out iptables-save.txt. */
  withoutIptables?: boolean;
  /** Docker's nat rules for its own bridges (`-A DOCKER -i <bridge> -j RETURN`, the userland proxy's setup; default true). */
  bridgeReturns?: boolean;
  sysctl?: Record<string, string>;
}

const bridgeNet = { name: 'bridge', id: BRIDGE_ID, gateway: '172.17.0.1' };
const frontendNet = { name: 'shop_frontend', id: FRONTEND_ID, gateway: '172.19.0.1' };
const backendNet = { name: 'shop_backend', id: BACKEND_ID, gateway: '172.18.0.1' };

export function dockerHostFiles(options: DockerHostOptions = {}): Record<string, string> {
  const icc = options.bridgeIcc ?? true;
  const containers: ContainerSpec[] = [
    { id: CONTAINER_IDS.registry, name: 'registry', image: 'registry:2', network: { ...bridgeNet, ip: '172.17.0.2' }, exposed: '5000/tcp', published: [{ HostIp: '0.0.0.0', HostPort: '5000' }, { HostIp: '::', HostPort: '5000' }] },
    { id: CONTAINER_IDS.db, name: 'shop-db-1', image: 'postgres:16', network: { ...backendNet, ip: '172.18.0.2' }, exposed: '5432/tcp', published: [{ HostIp: '127.0.0.1', HostPort: '5432' }] },
    { id: CONTAINER_IDS.api, name: 'shop-api-1', image: 'shop-api', network: { ...backendNet, ip: '172.18.0.3' }, exposed: '8080/tcp' },
    { id: CONTAINER_IDS.web, name: 'shop-web-1', image: 'nginx:1.27', network: { ...frontendNet, ip: '172.19.0.2' }, exposed: '80/tcp', published: [{ HostIp: '0.0.0.0', HostPort: '80' }, { HostIp: '::', HostPort: '80' }] },
  ];
  if (options.cacheOnBridge) containers.push({ id: 'c4c4e0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d', name: 'cache', image: 'redis:7', network: { ...bridgeNet, ip: '172.17.0.3' }, exposed: '6379/tcp' });
  const members = (net: string) => containers.filter((c) => c.network.name === net).map((c) => ({ id: c.id, name: c.name, ip: c.network.ip }));
  const networks = [
    network({
      name: 'bridge',
      id: BRIDGE_ID,
      subnet: '172.17.0.0/16',
      gateway: '172.17.0.1',
      members: members('bridge'),
      options: {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': String(icc),
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': 'docker0',
        'com.docker.network.driver.mtu': '1500',
      },
    }),
    network({ name: 'shop_backend', id: BACKEND_ID, subnet: '172.18.0.0/16', gateway: '172.18.0.1', members: members('shop_backend'), options: {}, compose: 'backend' }),
    network({ name: 'shop_frontend', id: FRONTEND_ID, subnet: '172.19.0.0/16', gateway: '172.19.0.1', members: members('shop_frontend'), options: {}, compose: 'frontend' }),
  ];

  const bridge = (index: number, name: string, ip: string): IfaceSpec => ({ index, name, mtu: 1500, link: 'link/ether 02:42:ce:d0:74:ce brd ff:ff:ff:ff:ff:ff', details: ['bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0'], addresses: [`inet ${ip}/16 brd ${ip.replace(/\.1$/, '.255').replace(/\.0\.255$/, '.255.255')} scope global ${name}`] });
  const interfaces: IfaceSpec[] = [lo, eth0('10.20.0.15'), bridge(3, 'docker0', '172.17.0.1'), bridge(4, BACKEND, '172.18.0.1'), bridge(5, FRONTEND, '172.19.0.1')];
  containers.forEach((c, i) => {
    const master = c.network.name === 'bridge' ? 'docker0' : c.network.name === 'shop_backend' ? BACKEND : FRONTEND;
    interfaces.push({ index: 6 + i, name: `veth${c.id.slice(0, 7)}`, peer: `if${5 + i}`, mtu: 1500, master, link: `link/ether 86:d9:30:91:85:0${i} brd ff:ff:ff:ff:ff:ff link-netnsid ${i}`, details: ['veth'] });
  });

  const files: Record<string, string> = {
    'nodes/docker-01/docker/containers.json': JSON.stringify(containers.map(container), null, 4),
    'nodes/docker-01/docker/networks.json': JSON.stringify(networks, null, 4),
    'nodes/docker-01/ip-addr.txt': ipAddr(interfaces),
    'nodes/docker-01/ip-route.txt': [
      'default via 10.20.0.1 dev eth0 proto dhcp src 10.20.0.15 metric 100 ',
      '10.20.0.0/24 dev eth0 proto kernel scope link src 10.20.0.15 metric 100 ',
      '172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 ',
      `172.18.0.0/16 dev ${BACKEND} proto kernel scope link src 172.18.0.1 `,
      `172.19.0.0/16 dev ${FRONTEND} proto kernel scope link src 172.19.0.1 `,
      'local 10.20.0.15 dev eth0 table local proto kernel scope host src 10.20.0.15 ',
      'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 ',
      'local 172.17.0.1 dev docker0 table local proto kernel scope host src 172.17.0.1 ',
      `local 172.18.0.1 dev ${BACKEND} table local proto kernel scope host src 172.18.0.1 `,
      `local 172.19.0.1 dev ${FRONTEND} table local proto kernel scope host src 172.19.0.1 `,
      '',
    ].join('\n'),
    'nodes/docker-01/ip-rule.txt': IP_RULES,
    'nodes/docker-01/sysctl.txt': sysctl(options.sysctl ?? {}),
  };
  if (!options.withoutIptables) files['nodes/docker-01/iptables-save.txt'] = dockerIptablesSave(icc, options.bridgeReturns ?? true);
  return files;
}

/** iptables-save as Docker 24 leaves it (legacy backend). */
export function dockerIptablesSave(icc: boolean, bridgeReturns: boolean): string {
  const returns = bridgeReturns ? [`-A DOCKER -i ${FRONTEND} -j RETURN`, `-A DOCKER -i ${BACKEND} -j RETURN`, '-A DOCKER -i docker0 -j RETURN'] : [];
  return [
    '# Generated by iptables-save v1.8.7 on Thu Jun 12 14:03:27 2025',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
    `-A POSTROUTING -s 172.19.0.0/16 ! -o ${FRONTEND} -j MASQUERADE`,
    `-A POSTROUTING -s 172.18.0.0/16 ! -o ${BACKEND} -j MASQUERADE`,
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    '-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 5000 -j MASQUERADE',
    '-A POSTROUTING -s 172.18.0.2/32 -d 172.18.0.2/32 -p tcp -m tcp --dport 5432 -j MASQUERADE',
    '-A POSTROUTING -s 172.19.0.2/32 -d 172.19.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE',
    ...returns,
    '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172.17.0.2:5000',
    `-A DOCKER -d 127.0.0.1/32 ! -i ${BACKEND} -p tcp -m tcp --dport 5432 -j DNAT --to-destination 172.18.0.2:5432`,
    `-A DOCKER ! -i ${FRONTEND} -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.19.0.2:80`,
    'COMMIT',
    '# Completed on Thu Jun 12 14:03:27 2025',
    '# Generated by iptables-save v1.8.7 on Thu Jun 12 14:03:27 2025',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
    ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
    '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    ...[FRONTEND, BACKEND, 'docker0'].flatMap((b) => [
      `-A FORWARD -o ${b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A FORWARD -o ${b} -j DOCKER`,
      `-A FORWARD -i ${b} ! -o ${b} -j ACCEPT`,
      `-A FORWARD -i ${b} -o ${b} -j ${b === 'docker0' && !icc ? 'DROP' : 'ACCEPT'}`,
    ]),
    '-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 5000 -j ACCEPT',
    `-A DOCKER -d 172.18.0.2/32 ! -i ${BACKEND} -o ${BACKEND} -p tcp -m tcp --dport 5432 -j ACCEPT`,
    `-A DOCKER -d 172.19.0.2/32 ! -i ${FRONTEND} -o ${FRONTEND} -p tcp -m tcp --dport 80 -j ACCEPT`,
    ...[FRONTEND, BACKEND, 'docker0'].map((b) => `-A DOCKER-ISOLATION-STAGE-1 -i ${b} ! -o ${b} -j DOCKER-ISOLATION-STAGE-2`),
    '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    ...[FRONTEND, BACKEND, 'docker0'].map((b) => `-A DOCKER-ISOLATION-STAGE-2 -o ${b} -j DROP`),
    '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
    '# Completed on Thu Jun 12 14:03:27 2025',
    '',
  ].join('\n');
}
