import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { formatIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';

/** `ip -d addr show` on a Calico (IPIP) node with kube-proxy in IPVS mode, iproute2 6.x layout. */
const CALICO_NODE = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
2: ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 00:50:56:b4:60:31 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 60 maxmtu 9000 
    addrgenmode none numtxqueues 4 numrxqueues 4 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 parentbus pci parentdev 0000:0b:00.0 
    altname enp11s0
    inet 10.12.22.1/16 brd 10.12.255.255 scope global noprefixroute ens192
       valid_lft forever preferred_lft forever
    inet 10.12.22.100/16 scope global secondary ens192:vip
       valid_lft forever preferred_lft forever
    inet6 fe80::250:56ff:feb4:6031/64 scope link noprefixroute 
       valid_lft forever preferred_lft forever
3: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default 
    link/ether 9e:54:7a:0b:4f:02 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 
    dummy numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
    inet 10.96.0.1/32 scope global kube-ipvs0
       valid_lft forever preferred_lft forever
    inet 10.96.0.10/32 scope global kube-ipvs0
       valid_lft forever preferred_lft forever
4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 
    ipip ipip remote any local any ttl inherit nopmtudisc numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 
    inet 192.168.0.1/32 scope global tunl0
       valid_lft forever preferred_lft forever
7: cali566ba2f164b@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1480 qdisc noqueue state UP group default qlen 1000
    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-8a0e4d34-0dbb-3b04-e55d-fa7c3b8fd959 promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    veth numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
    inet6 fe80::ecee:eeff:feee:eeee/64 scope link 
       valid_lft forever preferred_lft forever
8: wireguard.cali: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1440 qdisc noqueue state UNKNOWN group default qlen 1000
    link/none  promiscuity 0  allmulti 0 minmtu 0 maxmtu 2147483552 
    wireguard numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 
    inet 192.168.0.2/32 scope global wireguard.cali
       valid_lft forever preferred_lft forever
9: ens192.100@ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 00:50:56:b4:60:31 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 0 maxmtu 65535
    vlan protocol 802.1Q id 100 <REORDER_HDR> addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535
    inet 172.16.100.5/24 brd 172.16.100.255 scope global dynamic ens192.100
       valid_lft 86205sec preferred_lft 86205sec
`;

/** Flannel VXLAN, a bridge with a bond under it, geneve (Istio ambient) and an IPv6 temporary address. */
const MIXED_NODE = `5: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default 
    link/ether 8e:23:05:4d:c8:af brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 
    vxlan id 1 local 172.31.12.123 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 
    inet 10.244.1.0/32 scope global flannel.1
       valid_lft forever preferred_lft forever
6: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000
    link/ether 1a:9c:4f:6e:11:02 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 
    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 vlan_protocol 802.1Q bridge_id 8000.1a:9c:4f:6e:11:2 designated_root 8000.1a:9c:4f:6e:11:2 root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 gc_timer  127.14 vlan_default_pvid 1 vlan_stats_enabled 0 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 mcast_router 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 
    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0
       valid_lft forever preferred_lft forever
45: bond1: <BROADCAST,MULTICAST,MASTER,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-bond1 state UP group default qlen 1000
    link/ether 45:1d:b2:89:bd:35 brd ff:ff:ff:ff:ff:ff promiscuity 1 
    bond mode 802.3ad miimon 100 updelay 0 downdelay 0 use_carrier 1 arp_interval 0 arp_validate none arp_all_targets any primary_reselect always fail_over_mac none xmit_hash_policy layer3+4 resend_igmp 1 num_grat_arp 1 all_slaves_active 0 min_links 0 lp_interval 1 packets_per_slave 1 lacp_rate fast ad_select stable ad_aggregator 1 ad_num_ports 1 ad_actor_key 9 ad_partner_key 1 ad_partner_mac 00:00:00:00:00:00 ad_actor_sys_prio 65535 ad_user_port_key 0 ad_actor_system 00:00:00:00:00:00 tlb_dynamic_lb 1 
    bridge_slave state forwarding priority 32 cost 4 hairpin off guard off root_block off fastleave off learning on flood on 
    inet6 fe80::36ed:1bff:feb9:ad46/64 scope link 
       valid_lft forever preferred_lft forever
24: istioout: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1410 qdisc noqueue state UNKNOWN group default 
    link/ether 62:59:1b:ad:79:01 brd ff:ff:ff:ff:ff:ff
    geneve id 1001 remote 10.4.4.18 ttl auto dstport 6081 noudpcsum udp6zerocsumrx numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535
    inet 192.168.127.1/30 brd 192.168.127.3 scope global istioout
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000
    link/ether 0a:1b:aa:f3:64:00 brd ff:ff:ff:ff:ff:ff
    inet 172.31.12.123/20 brd 172.31.15.255 scope global dynamic eth0
       valid_lft 3412sec preferred_lft 3412sec
    inet6 2a05:d018:1:2::5/64 scope global temporary dynamic 
       valid_lft 604715sec preferred_lft 85715sec
    inet6 2a05:d018:1:2:81a:7ff:fe21:3c4e/64 scope global dynamic mngtmpaddr noprefixroute 
       valid_lft 2591915sec preferred_lft 604715sec
    inet6 fd00:5::2/64 scope global deprecated 
       valid_lft forever preferred_lft 0sec
`;

const file = (text: string) => new SourceFile('nodes/node-a/ip-addr.txt', text);

describe('parseIpAddr', () => {
  it('reads interfaces with their header facts and kinds', () => {
    const { value, issues } = parseIpAddr(file(CALICO_NODE));
    expect(issues).toEqual([]);
    expect(value.interfaces.map((i) => [i.index, i.name, i.link, i.details?.kind, i.line])).toEqual([
      [1, 'lo', undefined, undefined, 1],
      [2, 'ens192', undefined, undefined, 7],
      [3, 'kube-ipvs0', undefined, 'dummy', 17],
      [4, 'tunl0', 'NONE', 'ipip', 24],
      [7, 'cali566ba2f164b', 'if4', 'veth', 29],
      [8, 'wireguard.cali', undefined, 'wireguard', 34],
      [9, 'ens192.100', 'ens192', 'vlan', 39],
    ]);
    const ens = value.interfaces[1]!;
    expect(ens).toMatchObject({ mtu: 1500, qdisc: 'mq', state: 'UP', up: true, lowerUp: true, qlen: 1000, linkType: 'ether' });
    expect(ens.address).toBe('00:50:56:b4:60:31');
    expect(ens.minMtu).toBe(60);
    expect(ens.maxMtu).toBe(9000);
    expect(ens.altNames).toEqual(['enp11s0']);
    const ipvs = value.interfaces[2]!;
    expect(ipvs).toMatchObject({ up: false, lowerUp: false, state: 'DOWN', flags: ['BROADCAST', 'NOARP'] });
    const veth = value.interfaces[4]!;
    expect(veth.linkNetns).toBe('cni-8a0e4d34-0dbb-3b04-e55d-fa7c3b8fd959');
    const tunnel = value.interfaces[3]!;
    expect(tunnel).toMatchObject({ linkType: 'ipip', address: '0.0.0.0', mtu: 1480 });
    // `remote any local any`: Calico's tunl0 has no fixed endpoints.
    expect(tunnel.details!.kind).toBe('ipip');
    expect(tunnel.details!.attributes['remote']).toBe('any');
    expect(tunnel.details!.remote).toBeUndefined();
    expect(tunnel.details!.local).toBeUndefined();
    expect(tunnel.details!.attributes['ttl']).toBe('inherit');
    expect(value.interfaces[5]).toMatchObject({ linkType: 'none', maxMtu: 2147483552 });
    expect(value.interfaces[6]!.details).toMatchObject({ kind: 'vlan', id: 100, protocol: '802.1Q', line: 41 });
  });

  it('reads addresses with prefix, scope, label, flags and lifetimes', () => {
    const { value } = parseIpAddr(file(CALICO_NODE));
    const ens = value.interfaces[1]!;
    expect(ens.addresses.map((a) => [a.family, a.text, a.prefixLength, a.scope, a.label, a.secondary, a.flags, a.line])).toEqual([
      [4, '10.12.22.1', 16, 'global', 'ens192', false, ['noprefixroute'], 11],
      [4, '10.12.22.100', 16, 'global', 'ens192:vip', true, ['secondary'], 13],
      [6, 'fe80::250:56ff:feb4:6031', 64, 'link', undefined, false, ['noprefixroute'], 15],
    ]);
    expect(ens.addresses[0]!.broadcast).toBe('10.12.255.255');
    expect(ens.addresses[0]!.validLifetime).toBeUndefined();
    const vlan = value.interfaces[6]!;
    expect(vlan.addresses[0]).toMatchObject({ text: '172.16.100.5', flags: ['dynamic'], validLifetime: 86205, preferredLifetime: 86205 });
    expect(value.interfaces[2]!.addresses.map((a) => formatIpAddress(a.address))).toEqual(['10.96.0.1', '10.96.0.10']);
  });

  it('reads vxlan, bridge, bond with its bridge-port line, geneve and IPv6 address flags', () => {
    const { value, issues } = parseIpAddr(file(MIXED_NODE));
    expect(issues).toEqual([]);
    const [flannel, cni0, bond, geneve, eth0] = value.interfaces;
    expect(flannel!.details).toMatchObject({
      kind: 'vxlan',
      id: 1,
      local: '172.31.12.123',
      device: 'eth0',
      port: 8472,
      sourcePortRange: { min: 0, max: 0 },
      learning: false,
      line: 3,
    });
    expect(flannel!.details!.remote).toBeUndefined();
    expect(cni0!.details!.kind).toBe('bridge');
    expect(cni0!.details!.attributes['stp_state']).toBe('0');
    expect(cni0!.details!.attributes['bridge_id']).toBe('8000.1a:9c:4f:6e:11:2');
    expect(bond).toMatchObject({ master: 'br-bond1', slaveKind: 'bridge_slave', promiscuity: 1 });
    expect(bond!.details).toMatchObject({ kind: 'bond', mode: '802.3ad' });
    expect(bond!.details!.attributes['xmit_hash_policy']).toBe('layer3+4');
    expect(geneve!.details).toMatchObject({ kind: 'geneve', id: 1001, remote: '10.4.4.18', port: 6081 });
    expect(eth0!.details).toBeUndefined();
    expect(eth0!.addresses.map((a) => [a.text, a.flags, a.preferredLifetime])).toEqual([
      ['172.31.12.123', ['dynamic'], 3412],
      ['2a05:d018:1:2::5', ['temporary', 'dynamic'], 85715],
      ['2a05:d018:1:2:81a:7ff:fe21:3c4e', ['dynamic', 'mngtmpaddr', 'noprefixroute'], 604715],
      ['fd00:5::2', ['deprecated'], 0],
    ]);
  });

  it('reports hostile lines with their position and keeps everything else', () => {
    const text = [
      'garbage before any interface',
      '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000',
      '    link/ether 0a:1b:aa:f3:64:00 brd ff:ff:ff:ff:ff:ff',
      '    inet 10.0.0.999/24 scope global eth0',
      '    inet6 not-an-address/64 scope global',
      '    inet 10.0.0.5/40 scope global eth0',
      '    inet 10.0.0.6/24 scope global eth0',
      '       valid_lft forever preferred_lft forever',
      'not a header either',
      `3: ${'x'.repeat(5000)}`,
      '    RX:  bytes packets errors dropped  missed   mcast',
      '    link/ether 0a:1b:aa:f3:64:01 brd ff:ff:ff:ff:ff:ff',
    ].join('\n');
    const { value, issues } = parseIpAddr(file(text));
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 1],
      ['BAD_LINE', 4],
      ['BAD_LINE', 5],
      ['BAD_LINE', 6],
      ['BAD_LINE', 9],
      ['BAD_LINE', 10],
      ['BAD_LINE', 12],
    ]);
    expect(issues.every((i) => i.file === 'nodes/node-a/ip-addr.txt')).toBe(true);
    expect(value.interfaces).toHaveLength(1);
    expect(value.interfaces[0]!.addresses.map((a) => a.text)).toEqual(['10.0.0.6']);
  });

  it('reads an empty file as no interfaces', () => {
    expect(parseIpAddr(file(''))).toEqual({ value: { file: 'nodes/node-a/ip-addr.txt', interfaces: [] }, issues: [] });
  });
});
