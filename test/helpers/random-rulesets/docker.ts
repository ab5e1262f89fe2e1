/**
 * Docker's iptables rules (dockerd 20-24 with the default bridge driver): FORWARD policy DROP,
 * DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2, per-bridge FORWARD rules, published ports as nat
 * DOCKER DNAT rules (optionally bound to one host address) with their filter DOCKER ACCEPT and
 * hairpin MASQUERADE, plus a few user rules in DOCKER-USER. The default bridge is the lab's pod
 * interface (dockerd --bip 10.244.1.1/24), so its containers are the pod namespace addresses;
 * user-defined bridges (br-<id>) exist only in the rules.
 */
import { LAB_PLAN, type PacketTarget } from './lab-plan.js';
import type { Rng } from './rng.js';
import { spec, type RulesetBuilder } from './ruleset-builder.js';

interface Bridge {
  iface: string;
  subnet: string;
  containers: string[];
}

interface PublishedPort {
  bridge: Bridge;
  container: string;
  proto: 'tcp' | 'udp';
  hostPort: number;
  containerPort: number;
  /** host address the port is bound to (`-p 10.0.1.11:8080:80`), else all */
  hostIp?: string;
}

const CONTAINER_PORTS: ReadonlyArray<readonly ['tcp' | 'udp', number]> = [
  ['tcp', 80],
  ['tcp', 443],
  ['tcp', 5000],
  ['tcp', 3306],
  ['tcp', 6379],
  ['udp', 1194],
  ['udp', 5353],
];

export interface DockerResult {
  targets: PacketTarget[];
}

export function addDocker(rng: Rng, b: RulesetBuilder, podInterface: string): DockerResult {
  const defaultBridge: Bridge = { iface: podInterface, subnet: LAB_PLAN.podSubnetIPv4, containers: [...LAB_PLAN.podAddresses] };
  const bridges: Bridge[] = [defaultBridge];
  for (let n = rng.int(0, 2); n > 0; n--) {
    const octet = 18 + bridges.length;
    bridges.push({ iface: `br-${rng.chars('0123456789abcdef', 12)}`, subnet: `172.${octet}.0.0/16`, containers: [`172.${octet}.0.2`, `172.${octet}.0.3`] });
  }
  const published: PublishedPort[] = [];
  const usedHostPorts = new Set<string>();
  for (let n = rng.int(1, 5); n > 0; n--) {
    const bridge = rng.chance(0.75) ? defaultBridge : rng.pick(bridges);
    const [proto, containerPort] = rng.pick(CONTAINER_PORTS);
    const hostPort = rng.chance(0.5) ? containerPort + 8000 : rng.int(8000, 9999);
    if (usedHostPorts.has(`${proto}/${hostPort}`)) continue;
    usedHostPorts.add(`${proto}/${hostPort}`);
    published.push({
      bridge,
      container: rng.pick(bridge.containers),
      proto,
      hostPort,
      containerPort,
      hostIp: rng.chance(0.25) ? LAB_PLAN.nodeIPv4 : undefined,
    });
  }

  b.policy('filter', 'FORWARD', 'DROP');
  for (const chain of ['DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER']) b.chain('filter', chain);
  b.chain('nat', 'DOCKER');

  b.rule('filter', 'FORWARD', '-j DOCKER-USER', 'head');
  b.rule('filter', 'FORWARD', '-j DOCKER-ISOLATION-STAGE-1', 'head');
  // dockerd inserts each new bridge's rules above the older ones
  for (const bridge of [...bridges].reverse()) {
    b.rule('filter', 'FORWARD', spec({ o: bridge.iface }, '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'), 'head');
    b.rule('filter', 'FORWARD', spec({ o: bridge.iface }, '-j DOCKER'), 'head');
    b.rule('filter', 'FORWARD', spec({ i: bridge.iface, o: `!${bridge.iface}` }, '-j ACCEPT'), 'head');
    b.rule('filter', 'FORWARD', spec({ i: bridge.iface, o: bridge.iface }, '-j ACCEPT'), 'head');
  }
  for (const bridge of [...bridges].reverse()) {
    b.rule('filter', 'DOCKER-ISOLATION-STAGE-1', spec({ i: bridge.iface, o: `!${bridge.iface}` }, '-j DOCKER-ISOLATION-STAGE-2'));
  }
  b.rule('filter', 'DOCKER-ISOLATION-STAGE-1', '-j RETURN');
  for (const bridge of [...bridges].reverse()) b.rule('filter', 'DOCKER-ISOLATION-STAGE-2', spec({ o: bridge.iface }, '-j DROP'));
  b.rule('filter', 'DOCKER-ISOLATION-STAGE-2', '-j RETURN');

  // administrators' DOCKER-USER rules come before Docker's final RETURN
  const userRules = [
    spec({ s: `!${LAB_PLAN.nodeSubnetIPv4}`, i: 'eth0' }, '-j DROP'),
    spec({ s: `${LAB_PLAN.externalIPv4}`, p: 'tcp' }, '-m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable'),
    '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
    spec({ i: 'eth0', p: 'tcp' }, '-m multiport --dports 3306,6379 -j DROP'),
    spec({ i: 'eth0', p: 'udp' }, '-m iprange ! --src-range 10.0.1.1-10.0.1.9 -j DROP'),
    spec({ d: LAB_PLAN.podAddresses[2], p: 'tcp' }, '-m tcp ! --dport 80 -j DROP'),
  ];
  for (const rule of rng.sample(userRules, rng.weighted([[0, 2], [1, 2], [2, 1]] as const))) b.rule('filter', 'DOCKER-USER', rule);
  b.rule('filter', 'DOCKER-USER', '-j RETURN');

  b.rule('nat', 'PREROUTING', spec({}, '-m addrtype --dst-type LOCAL -j DOCKER'));
  b.rule('nat', 'OUTPUT', spec({ d: '!127.0.0.0/8' }, '-m addrtype --dst-type LOCAL -j DOCKER'));
  for (const bridge of [...bridges].reverse()) b.rule('nat', 'POSTROUTING', spec({ s: bridge.subnet, o: `!${bridge.iface}` }, '-j MASQUERADE'));
  for (const bridge of [...bridges].reverse()) b.rule('nat', 'DOCKER', spec({ i: bridge.iface }, '-j RETURN'));

  const targets: PacketTarget[] = [];
  for (const port of published) {
    const p = port.proto;
    b.rule(
      'nat',
      'POSTROUTING',
      spec({ s: port.container, d: port.container, p }, `-m ${p} --dport ${port.containerPort}`, '-j MASQUERADE'),
    );
    b.rule(
      'nat',
      'DOCKER',
      spec({ d: port.hostIp, i: `!${port.bridge.iface}`, p }, `-m ${p} --dport ${port.hostPort}`, `-j DNAT --to-destination ${port.container}:${port.containerPort}`),
    );
    b.rule(
      'filter',
      'DOCKER',
      spec({ d: port.container, i: `!${port.bridge.iface}`, o: port.bridge.iface, p }, `-m ${p} --dport ${port.containerPort}`, '-j ACCEPT'),
    );
    targets.push({ proto: p, dst: port.hostIp ?? 'node', dport: port.hostPort, what: `published port ${port.hostIp ?? '0.0.0.0'}:${port.hostPort}/${p} -> ${port.container}:${port.containerPort}` });
    if (port.bridge === defaultBridge) {
      targets.push({ proto: p, dst: port.container, dport: port.containerPort, from: ['external', 'node'], what: `container ${port.container}:${port.containerPort}/${p}` });
    }
  }
  return { targets };
}
