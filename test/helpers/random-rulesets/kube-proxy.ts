/**
 * kube-proxy's iptables mode (v1.28 proxier.go syncProxyRules) for randomly drawn Services:
 * ClusterIP / NodePort / LoadBalancer, externalIPs, loadBalancerSourceRanges (KUBE-FW +
 * KUBE-PROXY-FIREWALL), externalTrafficPolicy=Local (KUBE-EXT short-circuits, KUBE-SVL,
 * healthCheckNodePort), internalTrafficPolicy=Local, ClientIP session affinity (`-m recent`),
 * endpoints with kube-proxy's statistic probabilities and real KUBE-SVC/SEP hashes, "has no
 * endpoints" REJECT and "has no local endpoints" DROP, KUBE-MARK-MASQ / KUBE-POSTROUTING,
 * KUBE-FORWARD and kubelet's KUBE-FIREWALL. Rules are written in iptables-save's normalized form.
 */
import { endpointChainHash, iptablesServiceChains, joinHostPort, servicePortName } from '../../../analyzer/netfilter/kube-proxy-names.js';
import type { AddressPlan, PacketTarget } from './lab-plan.js';
import type { Rng } from './rng.js';
import { comment, spec, type GenericOptions, type RulesetBuilder } from './ruleset-builder.js';

type Proto = 'tcp' | 'udp';

export interface Endpoint {
  ip: string;
  port: number;
  local: boolean;
}

export interface ServicePort {
  name: string;
  proto: Proto;
  port: number;
  nodePort?: number;
}

export interface Service {
  namespace: string;
  name: string;
  clusterIP: string;
  ports: ServicePort[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  sourceRanges: string[];
  etpLocal: boolean;
  itpLocal: boolean;
  healthCheckNodePort?: number;
  affinitySeconds?: number;
  /** endpoints per port name */
  endpoints: Map<string, Endpoint[]>;
}

/** How kube-proxy tells pod traffic from other traffic (--detect-local-mode). */
export type LocalDetector = 'ClusterCIDR' | 'BridgeInterface' | 'InterfaceNamePrefix' | 'masquerade-all';

export interface KubeProxyOptions {
  podInterface: string;
  localDetector: LocalDetector;
  /** the family's addresses: IPV4_PLAN for iptables, IPV6_PLAN for ip6tables */
  plan: AddressPlan;
}

export interface KubeProxyResult {
  targets: PacketTarget[];
  /** a Service uses ClientIP affinity (`-m recent` lists shared by packets of one batch) */
  affinity: boolean;
  services: number;
}

const NAMESPACES = ['default', 'shop', 'payments', 'monitoring', 'ingress-nginx', 'team-a'];
const SERVICE_NAMES = ['web', 'api', 'cart', 'checkout', 'catalog', 'redis', 'postgres', 'frontend', 'grafana', 'search', 'auth', 'queue'];
const PORT_CHOICES: ReadonlyArray<readonly [string, Proto, number, number]> = [
  ['http', 'tcp', 80, 8080],
  ['https', 'tcp', 443, 8443],
  ['', 'tcp', 80, 80],
  ['grpc', 'tcp', 9090, 9090],
  ['redis', 'tcp', 6379, 6379],
  ['pg', 'tcp', 5432, 5432],
  ['metrics', 'tcp', 9100, 9100],
  ['syslog', 'udp', 514, 5514],
  ['statsd', 'udp', 8125, 8125],
  ['dns', 'udp', 53, 5353],
];

class Allocator {
  private readonly used = new Set<string>();

  constructor(
    private readonly rng: Rng,
    private readonly plan: AddressPlan,
  ) {}

  unique(make: () => string): string {
    for (;;) {
      const value = make();
      if (!this.used.has(value)) {
        this.used.add(value);
        return value;
      }
    }
  }

  clusterIP(): string {
    return this.unique(() => this.plan.serviceIP(this.rng));
  }

  nodePort(): number {
    return Number(this.unique(() => String(this.rng.int(30000, 32767))));
  }
}

function drawEndpoints(rng: Rng, plan: AddressPlan, port: number): Endpoint[] {
  const count = rng.weighted([[0, 1], [1, 3], [2, 3], [3, 2], [4, 1], [5, 1]] as const);
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  while (endpoints.length < count) {
    const local = rng.chance(0.4);
    const ip = local ? rng.pick(plan.podAddresses) : plan.remotePod(rng);
    if (seen.has(ip)) {
      if (seen.size >= plan.podAddresses.length + 2) break;
      continue;
    }
    seen.add(ip);
    endpoints.push({ ip, port, local });
  }
  return endpoints;
}

/** Services as kube-proxy would see them on this node (shared by the iptables and nftables modes). */
export function drawServices(rng: Rng, plan: AddressPlan): Service[] {
  const alloc = new Allocator(rng, plan);
  const services: Service[] = [
    {
      namespace: 'default',
      name: 'kubernetes',
      clusterIP: plan.kubernetesServiceIP,
      ports: [{ name: 'https', proto: 'tcp', port: 443 }],
      externalIPs: [],
      loadBalancerIPs: [],
      sourceRanges: [],
      etpLocal: false,
      itpLocal: false,
      // apiserver endpoints are host-network addresses without a nodeName: never "local"
      endpoints: new Map([['https', [plan.node, ...rng.sample(plan.otherNodes, rng.int(0, 2))].map((ip) => ({ ip, port: 6443, local: false }))]]),
    },
  ];
  const dnsEndpoints = rng.sample([plan.podAddresses[1], plan.remotePod(rng), plan.remotePod(rng)], rng.int(1, 2));
  const isLocal = (ip: string) => plan.podAddresses.includes(ip);
  services.push({
    namespace: 'kube-system',
    name: 'kube-dns',
    clusterIP: plan.dnsServiceIP,
    ports: [
      { name: 'dns', proto: 'udp', port: 53 },
      { name: 'dns-tcp', proto: 'tcp', port: 53 },
      { name: 'metrics', proto: 'tcp', port: 9153 },
    ],
    externalIPs: [],
    loadBalancerIPs: [],
    sourceRanges: [],
    etpLocal: false,
    itpLocal: false,
    affinitySeconds: rng.chance(0.1) ? 10800 : undefined,
    endpoints: new Map([
      ['dns', dnsEndpoints.map((ip) => ({ ip, port: 53, local: isLocal(ip) }))],
      ['dns-tcp', dnsEndpoints.map((ip) => ({ ip, port: 53, local: isLocal(ip) }))],
      ['metrics', dnsEndpoints.map((ip) => ({ ip, port: 9153, local: isLocal(ip) }))],
    ]),
  });
  // now and then a node with many Services, so long chains (which the simulator indexes) are exercised
  const count = rng.chance(0.15) ? rng.int(40, 120) : rng.int(2, 12);
  const names = new Set<string>();
  for (let n = 0; n < count; n++) {
    const namespace = rng.pick(NAMESPACES);
    const name = `${rng.pick(SERVICE_NAMES)}${rng.chance(0.3) ? `-${rng.int(1, 9)}` : ''}`;
    if (names.has(`${namespace}/${name}`)) continue;
    names.add(`${namespace}/${name}`);
    const type = rng.weighted([['ClusterIP', 5], ['NodePort', 3], ['LoadBalancer', 3]] as const);
    const portChoices = rng.sample(PORT_CHOICES, rng.weighted([[1, 4], [2, 1]] as const));
    // two ports of one Service need distinct names and numbers
    const ports: ServicePort[] = [];
    const endpoints = new Map<string, Endpoint[]>();
    const epDraw = drawEndpoints(rng, plan, 0);
    for (const [portName, proto, port, targetPort] of portChoices) {
      if (ports.some((p) => p.port === port && p.proto === proto)) continue;
      const nameForPort = portChoices.length > 1 && portName === '' ? `p${port}` : portName;
      ports.push({ name: nameForPort, proto, port, nodePort: type === 'ClusterIP' ? undefined : alloc.nodePort() });
      endpoints.set(nameForPort, epDraw.map((e) => ({ ...e, port: targetPort })));
    }
    // every Service gets its own LoadBalancer and external IPs (nftables refuses duplicate map keys)
    const loadBalancerIPs = type === 'LoadBalancer' && rng.chance(0.85) ? [alloc.unique(() => plan.loadBalancerIP(rng))] : [];
    const external = type !== 'ClusterIP';
    const etpLocal = external && rng.chance(0.35);
    services.push({
      namespace,
      name,
      clusterIP: alloc.clusterIP(),
      ports,
      externalIPs: rng.chance(0.15) ? [alloc.unique(() => plan.externalIP(rng))] : [],
      loadBalancerIPs,
      sourceRanges:
        loadBalancerIPs.length > 0 && rng.chance(0.4) ? rng.sample(plan.sourceRanges, rng.int(1, 2)) : [],
      etpLocal,
      itpLocal: rng.chance(0.15),
      healthCheckNodePort: etpLocal && type === 'LoadBalancer' ? alloc.nodePort() : undefined,
      affinitySeconds: rng.chance(0.2) ? rng.pick([10800, 10800, 3600, 60]) : undefined,
      endpoints,
    });
  }
  return rng.shuffle(services);
}

/** kube-proxy's computeProbability (`%0.10f` of 1/n) as the kernel stores and iptables-save prints it. */
export function savedProbability(n: number): string {
  const requested = Number((1 / n).toFixed(10));
  const stored = Math.round(requested * 0x80000000);
  return (stored / 0x80000000).toFixed(11);
}

export function addKubeProxy(rng: Rng, b: RulesetBuilder, options: KubeProxyOptions): KubeProxyResult {
  const plan = options.plan;
  const services = drawServices(rng, plan);
  const family = plan.family === 6 ? { family: 6 as const } : {};
  const randomFully = rng.chance(0.7) ? ' --random-fully' : '';
  const detector = localDetectorOptions(options, plan);
  const targets: PacketTarget[] = [];
  let affinity = false;

  for (const table of ['mangle', 'nat', 'filter'] as const) b.chain(table, 'KUBE-KUBELET-CANARY').chain(table, 'KUBE-PROXY-CANARY');
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) b.chain('nat', chain);
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-PROXY-FIREWALL', 'KUBE-FIREWALL']) {
    b.chain('filter', chain);
  }

  // hooks (kube-proxy EnsureRule, kubelet's KUBE-FIREWALL)
  const ctNew = '-m conntrack --ctstate NEW';
  b.rule('filter', 'INPUT', spec({}, ctNew, comment('kubernetes load balancer firewall'), '-j KUBE-PROXY-FIREWALL'));
  b.rule('filter', 'INPUT', spec({}, comment('kubernetes health check service ports'), '-j KUBE-NODEPORTS'));
  b.rule('filter', 'INPUT', spec({}, ctNew, comment('kubernetes externally-visible service portals'), '-j KUBE-EXTERNAL-SERVICES'));
  b.rule('filter', 'INPUT', '-j KUBE-FIREWALL');
  b.rule('filter', 'FORWARD', spec({}, ctNew, comment('kubernetes load balancer firewall'), '-j KUBE-PROXY-FIREWALL'));
  b.rule('filter', 'FORWARD', spec({}, comment('kubernetes forwarding rules'), '-j KUBE-FORWARD'));
  b.rule('filter', 'FORWARD', spec({}, ctNew, comment('kubernetes service portals'), '-j KUBE-SERVICES'));
  b.rule('filter', 'FORWARD', spec({}, ctNew, comment('kubernetes externally-visible service portals'), '-j KUBE-EXTERNAL-SERVICES'));
  b.rule('filter', 'OUTPUT', spec({}, ctNew, comment('kubernetes load balancer firewall'), '-j KUBE-PROXY-FIREWALL'));
  b.rule('filter', 'OUTPUT', spec({}, ctNew, comment('kubernetes service portals'), '-j KUBE-SERVICES'));
  b.rule('filter', 'OUTPUT', '-j KUBE-FIREWALL');
  b.rule('nat', 'PREROUTING', spec({}, comment('kubernetes service portals'), '-j KUBE-SERVICES'));
  b.rule('nat', 'OUTPUT', spec({}, comment('kubernetes service portals'), '-j KUBE-SERVICES'));
  b.rule('nat', 'POSTROUTING', spec({}, comment('kubernetes postrouting rules'), '-j KUBE-POSTROUTING'));

  if (rng.chance(0.3)) {
    // kubelet < 1.24 also dropped packets marked by KUBE-MARK-DROP (in both families)
    b.rule('filter', 'KUBE-FIREWALL', spec({}, comment('kubernetes firewall for dropping marked packets'), '-m mark --mark 0x8000/0x8000 -j DROP'));
  }
  if (plan.family === 4) {
    // kubelet's route_localnet guard exists for IPv4 only
    b.rule(
      'filter',
      'KUBE-FIREWALL',
      spec({ s: '!127.0.0.0/8', d: '127.0.0.0/8' }, comment('block incoming localnet connections'), '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP'),
    );
  }
  b.rule('filter', 'KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  b.rule('filter', 'KUBE-FORWARD', spec({}, comment('kubernetes forwarding rules'), '-m mark --mark 0x4000/0x4000 -j ACCEPT'));
  b.rule('filter', 'KUBE-FORWARD', spec({}, comment('kubernetes forwarding conntrack rule'), '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'));
  b.rule('nat', 'KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  b.rule('nat', 'KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  b.rule('nat', 'KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  b.rule('nat', 'KUBE-POSTROUTING', spec({}, comment('kubernetes service traffic requiring SNAT'), `-j MASQUERADE${randomFully}`));

  for (const svc of services) {
    for (const port of svc.ports) {
      const spn = servicePortName(svc.namespace, svc.name, port.name);
      const chains = iptablesServiceChains(spn, port.proto);
      const p = port.proto;
      const dport = (n: number) => `-m ${p} --dport ${n}`;
      const clusterEps = svc.endpoints.get(port.name) ?? [];
      const localEps = clusterEps.filter((e) => e.local);
      const hasEndpoints = clusterEps.length > 0;
      const internalEps = svc.itpLocal ? localEps : clusterEps;
      const externalEps = svc.etpLocal ? localEps : clusterEps;
      const externallyAccessible = port.nodePort !== undefined || svc.externalIPs.length > 0 || svc.loadBalancerIPs.length > 0;
      const usesExt = hasEndpoints && externallyAccessible;
      const usesCluster = clusterEps.length > 0 && (!svc.itpLocal || usesExt);
      const usesLocal = localEps.length > 0 && (svc.itpLocal || (usesExt && svc.etpLocal));
      const usesFw = usesExt && svc.loadBalancerIPs.length > 0 && svc.sourceRanges.length > 0;
      const internalChain = svc.itpLocal ? chains.svl : chains.svc;
      const externalChain = svc.etpLocal ? chains.svl : chains.svc;
      const what = `${spn} (${p})`;

      // ClusterIP
      targets.push({ proto: p, dst: svc.clusterIP, dport: port.port, what: `ClusterIP ${what}`, ...family });
      if (internalEps.length > 0) {
        b.chain('nat', internalChain);
        const vip = { d: svc.clusterIP, p };
        const masqDetector = detector.ifNotLocal;
        if (masqDetector !== null) {
          b.rule('nat', internalChain, spec({ ...masqDetector, ...vip }, comment(`${spn} cluster IP`), dport(port.port), '-j KUBE-MARK-MASQ'));
        }
        b.rule('nat', 'KUBE-SERVICES', spec(vip, comment(`${spn} cluster IP`), dport(port.port), `-j ${internalChain}`));
      } else {
        const [why, verdict] = hasEndpoints ? ['has no local endpoints', '-j DROP'] : ['has no endpoints', plan.reject];
        b.rule('filter', 'KUBE-SERVICES', spec({ d: svc.clusterIP, p }, comment(`${spn} ${why}`), dport(port.port), verdict));
      }
      const externalFilter = hasEndpoints
        ? { why: 'has no local endpoints', verdict: '-j DROP' }
        : { why: 'has no endpoints', verdict: plan.reject };

      for (const ip of svc.externalIPs) {
        targets.push({ proto: p, dst: ip, dport: port.port, what: `externalIP ${what}`, ...family });
        if (hasEndpoints) b.rule('nat', 'KUBE-SERVICES', spec({ d: ip, p }, comment(`${spn} external IP`), dport(port.port), `-j ${chains.ext}`));
        if (externalEps.length === 0) {
          b.rule('filter', 'KUBE-EXTERNAL-SERVICES', spec({ d: ip, p }, comment(`${spn} ${externalFilter.why}`), dport(port.port), externalFilter.verdict));
        }
      }
      for (const ip of svc.loadBalancerIPs) {
        targets.push({ proto: p, dst: ip, dport: port.port, what: `LoadBalancer IP ${what}`, ...family });
        if (hasEndpoints) {
          b.rule('nat', 'KUBE-SERVICES', spec({ d: ip, p }, comment(`${spn} loadbalancer IP`), dport(port.port), `-j ${usesFw ? chains.fw : chains.ext}`));
        }
        if (usesFw) {
          b.rule('filter', 'KUBE-PROXY-FIREWALL', spec({ d: ip, p }, comment(`${spn} traffic not accepted by ${chains.fw}`), dport(port.port), '-j DROP'));
        }
      }
      if (externalEps.length === 0) {
        for (const ip of svc.loadBalancerIPs) {
          b.rule('filter', 'KUBE-EXTERNAL-SERVICES', spec({ d: ip, p }, comment(`${spn} ${externalFilter.why}`), dport(port.port), externalFilter.verdict));
        }
      }
      if (port.nodePort !== undefined) {
        targets.push({ proto: p, dst: 'node', dport: port.nodePort, what: `NodePort ${what}`, ...family });
        if (hasEndpoints) b.rule('nat', 'KUBE-NODEPORTS', spec({ p }, comment(spn), dport(port.nodePort), `-j ${chains.ext}`));
        if (externalEps.length === 0) {
          b.rule(
            'filter',
            'KUBE-EXTERNAL-SERVICES',
            spec({ p }, comment(`${spn} ${externalFilter.why}`), '-m addrtype --dst-type LOCAL', dport(port.nodePort), externalFilter.verdict),
          );
        }
      }
      if (svc.healthCheckNodePort !== undefined && port === svc.ports[0]) {
        targets.push({ proto: 'tcp', dst: 'node', dport: svc.healthCheckNodePort, what: `health check node port ${what}`, ...family });
        b.rule('filter', 'KUBE-NODEPORTS', spec({ p: 'tcp' }, comment(`${spn} health check node port`), `-m tcp --dport ${svc.healthCheckNodePort}`, '-j ACCEPT'));
      }

      if (usesFw) {
        b.chain('nat', chains.fw).chain('nat', chains.ext);
        const nodeCovered = svc.sourceRanges.some((range) => range === plan.nodeSubnet);
        for (const range of svc.sourceRanges) b.rule('nat', chains.fw, spec({ s: range }, comment(`${spn} loadbalancer IP`), `-j ${chains.ext}`));
        if (nodeCovered) {
          for (const ip of svc.loadBalancerIPs) b.rule('nat', chains.fw, spec({ s: ip }, comment(`${spn} loadbalancer IP`), `-j ${chains.ext}`));
        }
        b.rule('nat', chains.fw, comment(`other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL`));
      }
      if (usesExt) {
        b.chain('nat', chains.ext).chain('nat', chains.svc);
        if (!svc.etpLocal) {
          b.rule('nat', chains.ext, spec({}, comment(`masquerade traffic for ${spn} external destinations`), '-j KUBE-MARK-MASQ'));
        } else {
          if (detector.ifLocal !== null) {
            b.rule('nat', chains.ext, spec(detector.ifLocal, comment(`pod traffic for ${spn} external destinations`), `-j ${chains.svc}`));
          }
          b.rule('nat', chains.ext, spec({}, comment(`masquerade LOCAL traffic for ${spn} external destinations`), '-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ'));
          b.rule('nat', chains.ext, spec({}, comment(`route LOCAL traffic for ${spn} external destinations`), `-m addrtype --src-type LOCAL -j ${chains.svc}`));
        }
        if (externalEps.length > 0) b.rule('nat', chains.ext, `-j ${externalChain}`);
      }
      const sticky = svc.affinitySeconds;
      const writeEndpoints = (chain: string, endpoints: Endpoint[]) => {
        b.chain('nat', chain);
        const sepOf = (e: Endpoint) => `KUBE-SEP-${endpointChainHash(spn, p, joinHostPort(e.ip, e.port))}`;
        if (sticky !== undefined) {
          affinity = true;
          for (const e of endpoints) {
            b.rule(
              'nat',
              chain,
              spec({}, comment(`${spn} -> ${joinHostPort(e.ip, e.port)}`), `-m recent --rcheck --seconds ${sticky} --reap --name ${sepOf(e)} --mask ${plan.recentMask} --rsource -j ${sepOf(e)}`),
            );
          }
        }
        endpoints.forEach((e, i) => {
          const statistic = i < endpoints.length - 1 ? `-m statistic --mode random --probability ${savedProbability(endpoints.length - i)}` : undefined;
          b.rule('nat', chain, spec({}, comment(`${spn} -> ${joinHostPort(e.ip, e.port)}`), statistic, `-j ${sepOf(e)}`));
        });
      };
      if (usesCluster) writeEndpoints(chains.svc, clusterEps);
      if (usesLocal) writeEndpoints(chains.svl, localEps);
      if (usesCluster || usesLocal) {
        for (const e of usesCluster ? clusterEps : localEps) {
          const sep = `KUBE-SEP-${endpointChainHash(spn, p, joinHostPort(e.ip, e.port))}`;
          b.chain('nat', sep);
          b.rule('nat', sep, spec({ s: e.ip }, comment(spn), '-j KUBE-MARK-MASQ'));
          const recentSet = sticky !== undefined ? `-m recent --set --name ${sep} --mask ${plan.recentMask} --rsource` : undefined;
          b.rule('nat', sep, spec({ p }, comment(spn), recentSet, `-m ${p}`, `-j DNAT --to-destination ${joinHostPort(e.ip, e.port)}`));
        }
      }
    }
  }
  b.rule(
    'nat',
    'KUBE-SERVICES',
    spec({}, comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain'), '-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS'),
  );
  return { targets, affinity, services: services.length };
}

function localDetectorOptions(options: KubeProxyOptions, plan: AddressPlan): { ifLocal: GenericOptions | null; ifNotLocal: GenericOptions | null } {
  switch (options.localDetector) {
    case 'ClusterCIDR':
      return { ifLocal: { s: plan.clusterCidr }, ifNotLocal: { s: `!${plan.clusterCidr}` } };
    case 'BridgeInterface':
      return { ifLocal: { i: options.podInterface }, ifNotLocal: { i: `!${options.podInterface}` } };
    case 'InterfaceNamePrefix': {
      const prefix = `${options.podInterface.slice(0, 4)}+`;
      return { ifLocal: { i: prefix }, ifNotLocal: { i: `!${prefix}` } };
    }
    case 'masquerade-all':
      return { ifLocal: null, ifNotLocal: {} };
  }
}
