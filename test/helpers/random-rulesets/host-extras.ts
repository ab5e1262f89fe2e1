/**
 * Rules other node components add next to kube-proxy, Docker and Calico: flannel's masquerade
 * and forward chains, kind's ip-masq-agent, a host INPUT firewall (ufw-like: lo, established,
 * SSH, kubelet, ports by multiport/tcp-flags/state, REJECT or DROP for the rest of eth0), a
 * service-mesh REDIRECT (and a node-local transparent proxy), a mangle mark/connmark pair, and an administrator's FORWARD
 * exception for DNATed Service traffic (`-m conntrack --ctstate DNAT --ctorigdst`).
 *
 * DROP/REJECT rules here always name an interface or address other than loopback: the lab's
 * trace sentinel (node to 127.0.0.1:9/udp) must never be dropped.
 */
import { LAB_PLAN, type PacketTarget } from './lab-plan.js';
import type { Rng } from './rng.js';
import { comment, spec, type RulesetBuilder } from './ruleset-builder.js';

export function addFlannel(b: RulesetBuilder, randomFully: boolean): void {
  const masq = `-j MASQUERADE${randomFully ? ' --random-fully' : ''}`;
  const c = comment('flanneld masq');
  b.chain('nat', 'FLANNEL-POSTRTG').chain('filter', 'FLANNEL-FWD');
  b.rule('nat', 'POSTROUTING', spec({}, c, '-j FLANNEL-POSTRTG'));
  b.rule('nat', 'FLANNEL-POSTRTG', spec({}, '-m mark --mark 0x4000/0x4000', c, '-j RETURN'));
  b.rule('nat', 'FLANNEL-POSTRTG', spec({ s: LAB_PLAN.podSubnetIPv4, d: LAB_PLAN.clusterCidr }, c, '-j RETURN'));
  b.rule('nat', 'FLANNEL-POSTRTG', spec({ s: LAB_PLAN.clusterCidr, d: LAB_PLAN.podSubnetIPv4 }, c, '-j RETURN'));
  b.rule('nat', 'FLANNEL-POSTRTG', spec({ s: `!${LAB_PLAN.clusterCidr}`, d: LAB_PLAN.podSubnetIPv4 }, c, '-j RETURN'));
  b.rule('nat', 'FLANNEL-POSTRTG', spec({ s: LAB_PLAN.clusterCidr, d: '!224.0.0.0/4' }, c, masq));
  b.rule('nat', 'FLANNEL-POSTRTG', spec({ s: `!${LAB_PLAN.clusterCidr}`, d: LAB_PLAN.clusterCidr }, c, masq));
  const f = comment('flanneld forward');
  b.rule('filter', 'FORWARD', spec({}, f, '-j FLANNEL-FWD'));
  b.rule('filter', 'FLANNEL-FWD', spec({ s: LAB_PLAN.clusterCidr }, f, '-j ACCEPT'));
  b.rule('filter', 'FLANNEL-FWD', spec({ d: LAB_PLAN.clusterCidr }, f, '-j ACCEPT'));
}

export function addKindMasqAgent(b: RulesetBuilder): void {
  b.chain('nat', 'KIND-MASQ-AGENT');
  b.rule(
    'nat',
    'POSTROUTING',
    spec(
      {},
      '-m addrtype ! --dst-type LOCAL',
      comment('kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain'),
      '-j KIND-MASQ-AGENT',
    ),
  );
  b.rule('nat', 'KIND-MASQ-AGENT', spec({ d: LAB_PLAN.clusterCidr }, comment('kind-masq-agent: local traffic is not subject to MASQUERADE'), '-j RETURN'));
  b.rule('nat', 'KIND-MASQ-AGENT', spec({}, comment('kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)'), '-j MASQUERADE'));
}

export function addHostFirewall(rng: Rng, b: RulesetBuilder): PacketTarget[] {
  const chain = 'HOST-FIREWALL';
  b.chain('filter', chain);
  b.rule('filter', 'INPUT', spec({ i: 'lo' }, '-j ACCEPT'), 'head');
  b.rule('filter', 'INPUT', `-j ${chain}`, 'tail');
  const rules = [
    '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    spec({ p: 'tcp' }, '-m tcp --dport 22', comment('ssh'), '-j ACCEPT'),
    spec({ s: LAB_PLAN.nodeSubnetIPv4, p: 'tcp' }, '-m tcp --dport 10250 -j ACCEPT'),
    spec({ p: 'tcp' }, '-m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m multiport --dports 80,443 -j ACCEPT'),
    spec({ p: 'udp' }, '-m udp --sport 53 -j ACCEPT'),
    spec({ s: LAB_PLAN.podSubnetIPv4, p: 'udp' }, '-m udp --dport 53 -j ACCEPT'),
    spec({ p: 'tcp' }, '-m state --state NEW -m tcp --dport 8443 -j ACCEPT'),
    spec({ i: 'eth0', p: 'tcp' }, '-m tcp --dport 6443 -m iprange --src-range 10.0.1.1-10.0.1.30 -j ACCEPT'),
    spec({ i: 'eth0' }, '-m pkttype --pkt-type multicast -j DROP'),
    spec({ p: 'tcp' }, '-m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j DROP'),
    '-m state --state INVALID -j DROP',
    spec({ i: 'eth0', p: 'tcp' }, '-m tcp --dport 23 -j LOG --log-prefix "[telnet] " --log-level 6'),
    spec({ p: 'tcp' }, '-m multiport --ports 179,9099 -m iprange --dst-range 10.0.1.10-10.0.1.19 -j ACCEPT'),
    spec({ i: 'eth0' }, '-m addrtype --dst-type MULTICAST -j DROP'),
  ];
  for (const rule of rng.sample(rules, rng.int(2, rules.length))) b.rule('filter', chain, rule);
  const closing = rng.pick([
    spec({ i: 'eth0' }, '-j REJECT --reject-with icmp-host-prohibited'),
    spec({ i: 'eth0', p: 'tcp' }, '-j REJECT --reject-with tcp-reset'),
    spec({ i: 'eth0' }, '-m addrtype --dst-type LOCAL -j DROP'),
    spec({ i: 'eth0', p: 'udp' }, '-m multiport ! --dports 53,123 -j DROP'),
  ]);
  b.rule('filter', chain, closing);
  if (rng.chance(0.5)) {
    // root may talk to anything; other users not to SMTP (host packets of the lab are sent by root)
    b.rule('filter', 'OUTPUT', spec({ o: 'eth0' }, '-m owner --uid-owner 0 -j ACCEPT'), 'head');
    b.rule('filter', 'OUTPUT', spec({ p: 'tcp' }, '-m owner ! --uid-owner 0 -m tcp --dport 25 -j REJECT --reject-with icmp-port-unreachable'), 'head');
  }
  return [
    { proto: 'tcp', dst: 'node', dport: 23, from: ['external'], what: 'host firewall telnet (LOG)' },
    { proto: 'tcp', dst: LAB_PLAN.externalIPv4, dport: 25, from: ['node'], what: 'host firewall SMTP (owner)' },
    { proto: 'tcp', dst: 'node', dport: 22, from: ['external', 'pod'], what: 'host firewall ssh' },
    { proto: 'tcp', dst: 'node', dport: 10250, what: 'host firewall kubelet' },
    { proto: 'udp', dst: 'node', dport: 53, what: 'host firewall dns' },
    { proto: 'udp', dst: 'node', dport: 123, from: ['external'], what: 'host firewall ntp' },
    { proto: 'tcp', dst: 'node', dport: 8443, what: 'host firewall 8443' },
    { proto: 'tcp', dst: 'node', dport: 6443, what: 'host firewall apiserver' },
  ];
}

export function addMeshRedirect(rng: Rng, b: RulesetBuilder, podInterface: string): PacketTarget[] {
  const port = rng.pick([9080, 15080, 8000]);
  b.chain('nat', 'MESH-INBOUND');
  b.rule('nat', 'PREROUTING', spec({ i: podInterface, p: 'tcp' }, '-j MESH-INBOUND'), 'head');
  b.rule('nat', 'MESH-INBOUND', spec({ p: 'tcp' }, `-m tcp --dport ${port}`, comment('mesh: redirect to the sidecar'), '-j REDIRECT --to-ports 15001'));
  b.rule('nat', 'MESH-INBOUND', '-j RETURN');
  // and a transparent proxy for the node's own web traffic to the external host
  b.rule('nat', 'OUTPUT', spec({ d: LAB_PLAN.externalIPv4, p: 'tcp' }, '-m tcp --dport 3128', comment('transparent proxy'), '-j REDIRECT --to-ports 13128'), 'head');
  return [
    { proto: 'tcp', dst: LAB_PLAN.externalIPv4, dport: 3128, from: ['node'], what: 'transparent proxy REDIRECT in nat OUTPUT' },
    { proto: 'tcp', dst: '10.244.2.20', dport: port, from: ['pod'], what: `mesh REDIRECT of :${port}` },
    { proto: 'tcp', dst: LAB_PLAN.externalIPv4, dport: port, from: ['pod'], what: `mesh REDIRECT of :${port}` },
  ];
}

export function addMangleMarks(rng: Rng, b: RulesetBuilder): void {
  b.chain('mangle', 'NODE-MARKS');
  b.rule('mangle', 'PREROUTING', '-j NODE-MARKS');
  b.rule('mangle', 'NODE-MARKS', spec({ i: 'eth0', p: 'tcp' }, '-m tcp --dport 30000:32767 -j MARK --set-xmark 0x100/0x100'));
  b.rule('mangle', 'NODE-MARKS', spec({}, '-m addrtype --dst-type LOCAL --limit-iface-in -j MARK --set-xmark 0x200/0x300'));
  b.rule('mangle', 'NODE-MARKS', spec({}, '-m mark --mark 0x100/0x100 -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff'));
  if (rng.chance(0.5)) b.rule('mangle', 'NODE-MARKS', spec({ s: LAB_PLAN.clusterCidr }, '-m connmark ! --mark 0x0/0xf -j RETURN'));
  b.rule('mangle', 'POSTROUTING', spec({ o: 'eth0' }, '-m mark --mark 0x200/0x200 -j MARK --set-xmark 0x0/0x200'));
}

/** An administrator's workaround for Docker's FORWARD DROP policy: let DNATed Service traffic through. */
export function addServiceForwardAccept(b: RulesetBuilder): void {
  b.rule('filter', 'FORWARD', spec({}, '-m conntrack --ctstate DNAT --ctorigdst 10.96.0.0/12', comment('allow Service traffic'), '-j ACCEPT'), 'head');
}

/** NodeLocal DNSCache (k8s.io/dns node-cache) on its link-local address: NOTRACK in raw, ACCEPT in filter. */
export function addNodeLocalDns(b: RulesetBuilder): PacketTarget[] {
  const ip = LAB_PLAN.nodeLocalDnsIPv4;
  const skip = comment('NodeLocal DNS Cache: skip conntrack');
  const allow = comment('NodeLocal DNS Cache: allow DNS traffic');
  for (const p of ['tcp', 'udp'] as const) {
    b.rule('raw', 'PREROUTING', spec({ d: ip, p }, `-m ${p} --dport 53`, skip, '-j CT --notrack'), 'head');
    b.rule('filter', 'INPUT', spec({ d: ip, p }, `-m ${p} --dport 53`, allow, '-j ACCEPT'), 'head');
    b.rule('raw', 'OUTPUT', spec({ s: ip, p }, `-m ${p} --sport 53`, skip, '-j CT --notrack'), 'head');
    b.rule('filter', 'OUTPUT', spec({ s: ip, p }, `-m ${p} --sport 53`, allow, '-j ACCEPT'), 'head');
    b.rule('raw', 'OUTPUT', spec({ d: ip, p }, `-m ${p} --dport 53`, skip, '-j CT --notrack'), 'head');
  }
  b.rule('raw', 'OUTPUT', spec({ d: ip, p: 'tcp' }, '-m tcp --dport 8080', skip, '-j CT --notrack'), 'head');
  b.rule('raw', 'OUTPUT', spec({ s: ip, p: 'tcp' }, '-m tcp --sport 8080', skip, '-j CT --notrack'), 'head');
  return [
    { proto: 'udp', dst: ip, dport: 53, what: 'NodeLocal DNSCache (untracked)' },
    { proto: 'tcp', dst: ip, dport: 53, what: 'NodeLocal DNSCache (untracked)' },
    { proto: 'tcp', dst: ip, dport: 8080, from: ['node'], what: 'NodeLocal DNSCache health port (untracked)' },
  ];
}

/** tailscaled's netfilter rules (ts-* chains; its fwmark 0x40000/0xff0000 overlaps Calico's). */
export function addTailscale(b: RulesetBuilder): PacketTarget[] {
  b.chain('filter', 'ts-input').chain('filter', 'ts-forward').chain('nat', 'ts-postrouting');
  b.rule('filter', 'INPUT', '-j ts-input', 'head');
  b.rule('filter', 'FORWARD', '-j ts-forward', 'head');
  b.rule('nat', 'POSTROUTING', '-j ts-postrouting', 'head');
  b.rule('filter', 'ts-input', spec({ s: '100.101.102.103', i: 'lo' }, '-j ACCEPT'));
  b.rule('filter', 'ts-input', spec({ s: '100.115.92.0/23', i: '!tailscale0' }, '-j RETURN'));
  b.rule('filter', 'ts-input', spec({ s: '100.64.0.0/10', i: '!tailscale0' }, '-j DROP'));
  b.rule('filter', 'ts-input', spec({ i: 'tailscale0' }, '-j ACCEPT'));
  b.rule('filter', 'ts-input', spec({ p: 'udp' }, '-m udp --dport 41641 -j ACCEPT'));
  b.rule('filter', 'ts-forward', spec({ i: 'tailscale0' }, '-j MARK --set-xmark 0x40000/0xff0000'));
  b.rule('filter', 'ts-forward', '-m mark --mark 0x40000/0xff0000 -j ACCEPT');
  b.rule('filter', 'ts-forward', spec({ s: '100.64.0.0/10', o: 'tailscale0' }, '-j DROP'));
  b.rule('filter', 'ts-forward', spec({ o: 'tailscale0' }, '-j ACCEPT'));
  b.rule('nat', 'ts-postrouting', '-m mark --mark 0x40000/0xff0000 -j MASQUERADE');
  return [{ proto: 'udp', dst: 'node', dport: 41641, what: 'tailscale WireGuard port' }];
}
