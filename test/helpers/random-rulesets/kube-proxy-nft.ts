/**
 * kube-proxy's nftables mode (v1.31 pkg/proxy/nftables/proxier.go) for the same randomly drawn
 * Services as the iptables mode: `table ip kube-proxy` (and `ip6` on dual-stack nodes) with the
 * service-ips / service-nodeports / firewall-ips / no-endpoint-* verdict maps, cluster-ips-check,
 * service-/local-/external-/firewall-/endpoint- chains, `numgen random mod N vmap` load
 * balancing, affinity through dynamic sets (`update @affinity-… { ip saddr }`), masquerading by
 * mark 0x4000. Written as kube-proxy writes it, a `nft -f` transaction of `add` commands.
 *
 * Also a host firewall in nftables (`table inet filter`, the Debian /etc/nftables.conf shape)
 * whose base chains share hook and priority with kube-proxy's.
 */
import { nftEndpointNames, nftServiceChains } from '../../../analyzer/netfilter/kube-proxy-names.js';
import { drawServices, type Endpoint, type LocalDetector } from './kube-proxy.js';
import type { AddressPlan, PacketTarget } from './lab-plan.js';
import type { Rng } from './rng.js';

export interface KubeProxyNftResult {
  script: string;
  targets: PacketTarget[];
  /** dynamic affinity sets (`family table name`), to be emptied between batches */
  affinitySets: string[];
  services: number;
}

const SERVICE_CIDR: Record<4 | 6, string> = { 4: '10.96.0.0/12', 6: 'fd00:96::/112' };

export function kubeProxyNftables(rng: Rng, plan: AddressPlan, detector: LocalDetector, podInterface: string): KubeProxyNftResult {
  const fam = plan.family === 4 ? 'ip' : 'ip6';
  const addrType = plan.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
  const T = `${fam} kube-proxy`;
  // declarations first: a rule may only name a set or chain declared above it in the transaction
  const declarations: string[] = [];
  const rules: string[] = [];
  const elements: string[] = [];
  const add = (line: string) => (line.startsWith('add rule') ? rules : line.startsWith('add element') ? elements : declarations).push(line);
  const targets: PacketTarget[] = [];
  const affinitySets: string[] = [];
  const family = plan.family === 6 ? { family: 6 as const } : {};
  const endpointText = (e: Endpoint) => (plan.family === 6 ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
  const ifLocal = detector === 'ClusterCIDR' ? `${fam} saddr ${plan.clusterCidr}` : detector === 'BridgeInterface' ? `iifname "${podInterface}"` : null;
  const ifNotLocal = detector === 'ClusterCIDR' ? `${fam} saddr != ${plan.clusterCidr}` : detector === 'BridgeInterface' ? `iifname != "${podInterface}"` : '';

  add(`add table ${T} { comment "rules for kube-proxy" ; }`);
  add(`add set ${T} cluster-ips { type ${addrType} ; comment "Active ClusterIPs" ; }`);
  add(`add set ${T} nodeport-ips { type ${addrType} ; comment "IPs that accept NodePort traffic" ; }`);
  add(`add map ${T} firewall-ips { type ${addrType} . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`);
  add(`add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`);
  add(`add map ${T} no-endpoint-services { type ${addrType} . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`);
  add(`add map ${T} service-ips { type ${addrType} . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`);
  add(`add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`);
  for (const chain of ['cluster-ips-check', 'firewall-check', 'mark-for-masquerade', 'masquerading', 'nodeport-endpoints-check', 'services', 'service-endpoints-check']) {
    add(`add chain ${T} ${chain}`);
  }
  add(`add chain ${T} filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`);
  add(`add chain ${T} filter-output-pre-dnat { type filter hook output priority -110 ; }`);
  add(`add chain ${T} filter-forward { type filter hook forward priority 0 ; }`);
  add(`add chain ${T} filter-input { type filter hook input priority 0 ; }`);
  add(`add chain ${T} filter-output { type filter hook output priority 0 ; }`);
  add(`add chain ${T} nat-output { type nat hook output priority -100 ; }`);
  add(`add chain ${T} nat-postrouting { type nat hook postrouting priority 100 ; }`);
  add(`add chain ${T} nat-prerouting { type nat hook prerouting priority -100 ; }`);
  add(`add chain ${T} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`);
  add(`add rule ${T} cluster-ips-check ${fam} daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`);
  add(`add rule ${T} cluster-ips-check ${fam} daddr { ${SERVICE_CIDR[plan.family]} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  add(`add rule ${T} filter-prerouting-pre-dnat ct state new jump firewall-check`);
  add(`add rule ${T} filter-forward ct state new jump service-endpoints-check`);
  add(`add rule ${T} filter-forward ct state new jump cluster-ips-check`);
  add(`add rule ${T} filter-input ct state new jump nodeport-endpoints-check`);
  add(`add rule ${T} filter-input ct state new jump service-endpoints-check`);
  add(`add rule ${T} filter-output ct state new jump service-endpoints-check`);
  add(`add rule ${T} filter-output-pre-dnat ct state new jump firewall-check`);
  add(`add rule ${T} filter-output ct state new jump cluster-ips-check`);
  add(`add rule ${T} firewall-check ${fam} daddr . meta l4proto . th dport vmap @firewall-ips`);
  add(`add rule ${T} mark-for-masquerade mark set mark or 0x4000`);
  add(`add rule ${T} masquerading mark and 0x4000 == 0 return`);
  add(`add rule ${T} masquerading mark set mark xor 0x4000`);
  add(`add rule ${T} masquerading masquerade fully-random`);
  add(`add rule ${T} nat-output jump services`);
  add(`add rule ${T} nat-postrouting jump masquerading`);
  add(`add rule ${T} nat-prerouting jump services`);
  // --nodeport-addresses unset (MatchAll): NodePorts on every local address but loopback, by fib
  const matchAll = rng.chance(0.5);
  const nodePortDestination = matchAll ? 'fib daddr type local' : `${fam} daddr @nodeport-ips`;
  const noLocalhost = matchAll ? (plan.family === 4 ? ' ip daddr != 127.0.0.0/8' : ' ip6 daddr != ::1') : '';
  add(`add rule ${T} nodeport-endpoints-check ${nodePortDestination} meta l4proto . th dport vmap @no-endpoint-nodeports`);
  add(`add rule ${T} reject-chain reject`);
  add(`add rule ${T} services ${fam} daddr . meta l4proto . th dport vmap @service-ips`);
  add(`add rule ${T} services ${nodePortDestination}${noLocalhost} meta l4proto . th dport vmap @service-nodeports`);
  if (!matchAll) add(`add element ${T} nodeport-ips { ${plan.node} }`);
  add(`add rule ${T} service-endpoints-check ${fam} daddr . meta l4proto . th dport vmap @no-endpoint-services`);

  const services = drawServices(rng, plan);
  for (const svc of services) {
    for (const port of svc.ports) {
      const p = port.proto;
      const portName = port.name;
      const spnComment = `${svc.namespace}/${svc.name}${portName === '' ? '' : `:${portName}`}`;
      const chains = nftServiceChains(svc.namespace, svc.name, p, portName);
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
      const internalChain = svc.itpLocal ? chains.local : chains.service;
      const externalPolicyChain = svc.etpLocal ? chains.local : chains.service;
      const noEndpoints = hasEndpoints ? 'drop' : 'goto reject-chain';
      const what = `${spnComment} (${p}, nftables)`;

      add(`add element ${T} cluster-ips { ${svc.clusterIP} }`);
      targets.push({ proto: p, dst: svc.clusterIP, dport: port.port, what: `ClusterIP ${what}`, ...family });
      if (internalEps.length > 0) {
        add(`add element ${T} service-ips { ${svc.clusterIP} . ${p} . ${port.port} : goto ${internalChain} }`);
      } else {
        add(`add element ${T} no-endpoint-services { ${svc.clusterIP} . ${p} . ${port.port} comment "${spnComment}" : ${noEndpoints} }`);
      }
      for (const ip of [...svc.externalIPs, ...svc.loadBalancerIPs]) {
        const kind = svc.externalIPs.includes(ip) ? 'externalIP' : 'LoadBalancer IP';
        targets.push({ proto: p, dst: ip, dport: port.port, what: `${kind} ${what}`, ...family });
        if (hasEndpoints) add(`add element ${T} service-ips { ${ip} . ${p} . ${port.port} : goto ${chains.external} }`);
        if (externalEps.length === 0) add(`add element ${T} no-endpoint-services { ${ip} . ${p} . ${port.port} comment "${spnComment}" : ${noEndpoints} }`);
      }
      if (usesFw) {
        add(`add chain ${T} ${chains.firewall}`);
        add(`add rule ${T} ${chains.firewall} ${fam} saddr != { ${svc.sourceRanges.join(', ')} } drop`);
        for (const ip of svc.loadBalancerIPs) add(`add element ${T} firewall-ips { ${ip} . ${p} . ${port.port} : goto ${chains.firewall} }`);
      }
      if (port.nodePort !== undefined) {
        targets.push({ proto: p, dst: 'node', dport: port.nodePort, what: `NodePort ${what}`, ...family });
        if (hasEndpoints) add(`add element ${T} service-nodeports { ${p} . ${port.nodePort} : goto ${chains.external} }`);
        if (externalEps.length === 0) add(`add element ${T} no-endpoint-nodeports { ${p} . ${port.nodePort} comment "${spnComment}" : ${noEndpoints} }`);
      }

      if (usesExt) {
        add(`add chain ${T} ${chains.external}`);
        if (!svc.etpLocal) {
          add(`add rule ${T} ${chains.external} jump mark-for-masquerade`);
          add(`add rule ${T} ${chains.external} goto ${chains.service}`);
        } else {
          if (ifLocal) add(`add rule ${T} ${chains.external} ${ifLocal} goto ${chains.service} comment "short-circuit pod traffic"`);
          add(`add rule ${T} ${chains.external} fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`);
          add(`add rule ${T} ${chains.external} fib saddr type local goto ${chains.service} comment "short-circuit local traffic"`);
          if (externalEps.length > 0) add(`add rule ${T} ${chains.external} goto ${externalPolicyChain}`);
        }
      }
      const endpointNames = (e: Endpoint) => nftEndpointNames(svc.namespace, svc.name, p, portName, e.ip, e.port);
      const writeBalancing = (chain: string, endpoints: Endpoint[], withMasquerade: boolean) => {
        add(`add chain ${T} ${chain}`);
        if (withMasquerade) add(`add rule ${T} ${chain} ${fam} daddr ${svc.clusterIP} ${ifNotLocal}${ifNotLocal ? ' ' : ''}jump mark-for-masquerade`);
        if (svc.affinitySeconds !== undefined) {
          for (const e of endpoints) add(`add rule ${T} ${chain} ${fam} saddr @${endpointNames(e).affinity} goto ${endpointNames(e).endpoint}`);
        }
        const choices = endpoints.map((e, i) => `${i} : goto ${endpointNames(e).endpoint}`).join(' , ');
        add(`add rule ${T} ${chain} numgen random mod ${endpoints.length} vmap { ${choices} }`);
      };
      // the ClusterIP masquerade rule sits in the chain ClusterIP traffic goes to
      const internalChainUsed = internalEps.length > 0;
      if (usesCluster) writeBalancing(chains.service, clusterEps, internalChainUsed && internalChain === chains.service);
      if (usesLocal) writeBalancing(chains.local, localEps, internalChainUsed && internalChain === chains.local);
      if (usesCluster || usesLocal) {
        for (const e of usesCluster ? clusterEps : localEps) {
          const names = endpointNames(e);
          if (svc.affinitySeconds !== undefined) {
            add(`add set ${T} ${names.affinity} { type ${addrType} ; flags dynamic,timeout ; timeout ${svc.affinitySeconds}s ; }`);
            affinitySets.push(`${T} ${names.affinity}`);
          }
          add(`add chain ${T} ${names.endpoint}`);
          add(`add rule ${T} ${names.endpoint} ${fam} saddr ${e.ip} jump mark-for-masquerade`);
          if (svc.affinitySeconds !== undefined) add(`add rule ${T} ${names.endpoint} update @${names.affinity} { ${fam} saddr }`);
          add(`add rule ${T} ${names.endpoint} meta l4proto ${p} dnat to ${endpointText(e)}`);
        }
      }
    }
  }
  return { script: `${[...declarations, ...rules, ...elements].join('\n')}\n`, targets, affinitySets, services: services.length };
}

/** A host firewall in nftables, as Debian's /etc/nftables.conf sets one up. */
export function nftHostFirewall(rng: Rng): { script: string; targets: PacketTarget[] } {
  const rules = rng.sample(
    [
      'ct state established,related accept',
      'tcp dport 22 accept',
      'ip saddr 10.0.1.0/24 tcp dport 10250 accept',
      'iifname "eth0" tcp dport { 80, 443 } accept',
      'ip6 saddr fd00:10::/64 tcp dport 10250 accept',
      'iifname "eth0" meta l4proto udp udp dport != { 53, 123 } drop',
      'iifname "eth0" tcp dport 8443 ct state new counter accept',
    ],
    rng.int(2, 5),
  );
  const closing = rng.pick(['iifname "eth0" reject with icmpx type admin-prohibited', 'iifname "eth0" tcp dport 1-1024 drop', 'iifname "eth0" meta l4proto tcp reject with tcp reset']);
  const script = [
    'table inet filter {',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    '\t\tiif "lo" accept',
    ...rules.map((r) => `\t\t${r}`),
    `\t\t${closing}`,
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    '\t}',
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy accept;',
    '\t}',
    '}',
    '',
  ].join('\n');
  return {
    script,
    targets: [
      { proto: 'tcp', dst: 'node', dport: 22, from: ['external'], what: 'nft host firewall ssh' },
      { proto: 'tcp', dst: 'node', dport: 10250, what: 'nft host firewall kubelet' },
      { proto: 'udp', dst: 'node', dport: 123, from: ['external'], what: 'nft host firewall ntp' },
      { proto: 'tcp', dst: 'node', dport: 8443, what: 'nft host firewall 8443' },
      { proto: 'tcp', dst: 'node', dport: 10250, family: 6, what: 'nft host firewall kubelet (IPv6)' },
    ],
  };
}

/**
 * firewalld 1.x with its nftables backend (`table inet firewalld`, RHEL 9 shape): chains at
 * `priority filter + 10` and friends, ct state/status, the IPv6 rpfilter (and the optional IPv4
 * one) as `fib saddr . mark . iif oif missing drop`, zone dispatch by interface (eth0 in the
 * public zone, the pod interface in the trusted zone), the public zone's services and ports
 * (SSH, kubelet, the NodePort range), a rich-rule deny, a port forward and masquerading.
 */
export function nftFirewalld(rng: Rng, podInterface: string): { script: string; targets: PacketTarget[] } {
  const bogons6 = '::/96, ::ffff:0.0.0.0/96, 2002::/24, 2002:a00::/24, 2002:7f00::/24, 2002:a9fe::/32, 2002:ac10::/28, 2002:c0a8::/32, 2002:e000::/19';
  const ipv4Rpfilter = rng.chance(0.5);
  const forwardPort = rng.chance(0.5) ? rng.pick([2222, 8022]) : undefined;
  const masquerade = rng.chance(0.5);
  const allowNodePorts = rng.chance(0.8);
  const allowed = rng.sample(['tcp dport 6443 accept', 'tcp dport 10250 accept', 'udp dport 8472 accept', 'tcp dport 179 accept'], rng.int(1, 4));
  const richDeny = rng.chance(0.5) ? 'ip saddr 10.0.1.1 tcp dport 10250 reject with icmpx admin-prohibited' : undefined;
  const chain = (name: string, hook: string | undefined, rules: Array<string | false | undefined>) => [
    `\tchain ${name} {`,
    ...(hook ? [`\t\t${hook}`] : []),
    ...rules.filter((r): r is string => typeof r === 'string').map((r) => `\t\t${r}`),
    '\t}',
  ];
  const zoneChains = (prefix: string, zone: string, tail: string[], allow: Array<string | false | undefined>, deny: Array<string | false | undefined> = []) => [
    ...chain(`${prefix}_${zone}`, undefined, [
      `jump ${prefix}_${zone}_pre`,
      `jump ${prefix}_${zone}_log`,
      `jump ${prefix}_${zone}_deny`,
      `jump ${prefix}_${zone}_allow`,
      `jump ${prefix}_${zone}_post`,
      ...tail,
    ]),
    ...chain(`${prefix}_${zone}_pre`, undefined, []),
    ...chain(`${prefix}_${zone}_log`, undefined, []),
    ...chain(`${prefix}_${zone}_deny`, undefined, deny),
    ...chain(`${prefix}_${zone}_allow`, undefined, allow),
    ...chain(`${prefix}_${zone}_post`, undefined, []),
  ];
  const lines = [
    'table inet firewalld {',
    ...chain('raw_PREROUTING', 'type filter hook prerouting priority raw + 10; policy accept;', [
      'icmpv6 type { nd-router-advert, nd-neighbor-solicit } accept',
      'meta nfproto ipv6 fib saddr . mark . iif oif missing drop',
      ipv4Rpfilter && 'meta nfproto ipv4 fib saddr . mark . iif oif missing drop',
      'jump raw_PREROUTING_POLICIES',
    ]),
    ...chain('raw_PREROUTING_POLICIES', undefined, []),
    ...chain('mangle_PREROUTING', 'type filter hook prerouting priority mangle + 10; policy accept;', ['jump mangle_PREROUTING_POLICIES']),
    ...chain('mangle_PREROUTING_POLICIES', undefined, []),
    ...chain('nat_PREROUTING', 'type nat hook prerouting priority dstnat + 10; policy accept;', ['jump nat_PREROUTING_POLICIES']),
    ...chain('nat_PREROUTING_POLICIES', undefined, ['iifname "eth0" jump nat_PRE_public']),
    ...zoneChains('nat_PRE', 'public', [], [forwardPort !== undefined && `meta nfproto ipv4 tcp dport ${forwardPort} dnat ip to 10.244.1.5:22`]),
    ...chain('nat_POSTROUTING', 'type nat hook postrouting priority srcnat + 10; policy accept;', ['jump nat_POSTROUTING_POLICIES']),
    ...chain('nat_POSTROUTING_POLICIES', undefined, ['oifname "eth0" jump nat_POST_public']),
    ...zoneChains('nat_POST', 'public', [], [masquerade && 'meta nfproto ipv4 oifname != "lo" masquerade']),
    ...chain('filter_INPUT', 'type filter hook input priority filter + 10; policy accept;', [
      'ct state { established, related } accept',
      'ct status dnat accept',
      'iifname "lo" accept',
      'ct state invalid drop',
      'jump filter_INPUT_POLICIES',
      'reject with icmpx admin-prohibited',
    ]),
    ...chain('filter_FORWARD', 'type filter hook forward priority filter + 10; policy accept;', [
      'ct state { established, related } accept',
      'ct status dnat accept',
      'iifname "lo" accept',
      'ct state invalid drop',
      `ip6 daddr { ${bogons6} } reject with icmpv6 addr-unreachable`,
      'jump filter_FORWARD_POLICIES',
      'reject with icmpx admin-prohibited',
    ]),
    ...chain('filter_OUTPUT', 'type filter hook output priority filter + 10; policy accept;', [
      'ct state { established, related } accept',
      'oifname "lo" accept',
      `ip6 daddr { ${bogons6} } reject with icmpv6 addr-unreachable`,
      'jump filter_OUTPUT_POLICIES',
    ]),
    ...chain('filter_INPUT_POLICIES', undefined, [
      `iifname "${podInterface}" jump filter_IN_trusted`,
      `iifname "${podInterface}" accept`,
      'iifname "eth0" jump filter_IN_public',
      'iifname "eth0" reject with icmpx admin-prohibited',
      'jump filter_IN_public',
      'reject with icmpx admin-prohibited',
    ]),
    ...chain('filter_FORWARD_POLICIES', undefined, [
      `iifname "${podInterface}" accept`,
      `iifname "eth0" oifname "${podInterface}" jump filter_FWD_public`,
      'iifname "eth0" jump filter_FWD_public',
      'iifname "eth0" reject with icmpx admin-prohibited',
      'reject with icmpx admin-prohibited',
    ]),
    ...chain('filter_OUTPUT_POLICIES', undefined, []),
    ...zoneChains(
      'filter_IN',
      'public',
      ['meta l4proto { icmp, ipv6-icmp } accept'],
      [
        'tcp dport 22 accept',
        'ip6 daddr fe80::/64 udp dport 546 accept',
        ...allowed,
        allowNodePorts && 'tcp dport 30000-32767 accept',
        allowNodePorts && 'udp dport 30000-32767 accept',
        forwardPort !== undefined && `tcp dport ${forwardPort} ct status dnat accept`,
      ],
      [richDeny],
    ),
    ...zoneChains('filter_IN', 'trusted', ['accept'], []),
    ...zoneChains('filter_FWD', 'public', [], ['oifname "eth0" accept', masquerade && `oifname "${podInterface}" ct state new accept`]),
    '}',
    '',
  ];
  return {
    script: lines.join('\n'),
    targets: [
      { proto: 'tcp', dst: 'node', dport: 22, from: ['external'], what: 'firewalld ssh' },
      { proto: 'tcp', dst: 'node', dport: 10250, what: 'firewalld kubelet' },
      { proto: 'tcp', dst: 'node', dport: 9100, from: ['external'], what: 'firewalld closed port' },
      { proto: 'udp', dst: 'node', dport: 8472, from: ['external'], what: 'firewalld vxlan' },
      { proto: 'tcp', dst: 'node', dport: 10250, family: 6, from: ['external'], what: 'firewalld kubelet (IPv6)' },
      ...(forwardPort === undefined ? [] : [{ proto: 'tcp' as const, dst: 'node', dport: forwardPort, from: ['external' as const], what: `firewalld port forward ${forwardPort}` }]),
    ],
  };
}
