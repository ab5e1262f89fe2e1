/**
 * The addresses the generated rule sets are built around: the kernel lab's topology
 * (LAB_ADDRESSES) plus the extra addresses the lab is created with, and address pools that
 * route correctly from every namespace of the lab:
 *
 *   - pod addresses 10.244.1.5-7 live in the pod namespace (local endpoints, containers);
 *   - remote pods 10.244.2.0/24 and 10.244.3.0/24, other nodes 10.0.1.21-22, ClusterIPs in
 *     10.96.0.0/12, externalIPs in 198.51.100.0/24 and LoadBalancer IPs in 192.0.2.0/24 all
 *     route through the node (the external host's default route points at it; the node's own
 *     default route leaves by eth0).
 */
import { LAB_ADDRESSES, type PacketSource } from '../kernel-netfilter.js';
import type { Rng } from './rng.js';

export const LAB_PLAN = {
  ...LAB_ADDRESSES,
  /** the first is LAB_ADDRESSES.podIPv4; the others are added to the pod namespace */
  podAddresses: [LAB_ADDRESSES.podIPv4, '10.244.1.6', '10.244.1.7'],
  podAddressesIPv6: [LAB_ADDRESSES.podIPv6, 'fd00:244:1::6', 'fd00:244:1::7'],
  extraPodAddresses: ['10.244.1.6', '10.244.1.7', 'fd00:244:1::6', 'fd00:244:1::7'],
  clusterCidr: '10.244.0.0/16',
  remotePodSubnets: ['10.244.2', '10.244.3'],
  otherNodeIPs: ['10.0.1.21', '10.0.1.22'],
  externalIpSubnet: '198.51.100',
  loadBalancerSubnet: '192.0.2',
  /** NodeLocal DNSCache's link-local address, made local to the node (on lo) */
  nodeLocalDnsIPv4: '169.254.20.10',
  /** a Calico workload interface name (cali + 11 hex digits, 15 characters) */
  calicoInterface: 'calie2a4c7d91b3',
} as const;

/** A remote pod address (on another node). */
export function remotePodAddress(rng: Rng): string {
  return `${rng.pick(LAB_PLAN.remotePodSubnets)}.${rng.int(2, 250)}`;
}

/**
 * What a kube-proxy of one IP family works with (dual-stack kube-proxy writes the same rules
 * into iptables and ip6tables, each with its family's addresses).
 */
export interface AddressPlan {
  family: 4 | 6;
  node: string;
  podGateway: string;
  external: string;
  podAddresses: readonly string[];
  podSubnet: string;
  nodeSubnet: string;
  clusterCidr: string;
  otherNodes: readonly string[];
  kubernetesServiceIP: string;
  dnsServiceIP: string;
  /** loadBalancerSourceRanges to draw from: some cover the external host, some the node */
  sourceRanges: readonly string[];
  /** `-m recent --mask` as iptables-save prints it */
  recentMask: string;
  /** `-j REJECT` as iptables-save prints it */
  reject: string;
  serviceIP(rng: Rng): string;
  loadBalancerIP(rng: Rng): string;
  externalIP(rng: Rng): string;
  remotePod(rng: Rng): string;
}

export const IPV4_PLAN: AddressPlan = {
  family: 4,
  node: LAB_ADDRESSES.nodeIPv4,
  podGateway: LAB_ADDRESSES.podGatewayIPv4,
  external: LAB_ADDRESSES.externalIPv4,
  podAddresses: LAB_PLAN.podAddresses,
  podSubnet: LAB_ADDRESSES.podSubnetIPv4,
  nodeSubnet: LAB_ADDRESSES.nodeSubnetIPv4,
  clusterCidr: LAB_PLAN.clusterCidr,
  otherNodes: LAB_PLAN.otherNodeIPs,
  kubernetesServiceIP: '10.96.0.1',
  dnsServiceIP: '10.96.0.10',
  sourceRanges: ['10.0.1.0/24', '203.0.113.0/25', '10.244.0.0/16', '10.0.1.1/32', '192.168.0.0/16'],
  recentMask: '255.255.255.255',
  reject: '-j REJECT --reject-with icmp-port-unreachable',
  // 10.96.0.0/12 without 10.96.0.1 (kubernetes) and 10.96.0.10 (kube-dns)
  serviceIP: (rng) => `10.${rng.int(96, 111)}.${rng.int(0, 255)}.${rng.int(11, 254)}`,
  loadBalancerIP: (rng) => `${LAB_PLAN.loadBalancerSubnet}.${rng.int(10, 250)}`,
  externalIP: (rng) => `${LAB_PLAN.externalIpSubnet}.${rng.int(2, 250)}`,
  remotePod: (rng) => remotePodAddress(rng),
};

const hex = (rng: Rng, min: number, max: number) => rng.int(min, max).toString(16);

export const IPV6_PLAN: AddressPlan = {
  family: 6,
  node: LAB_ADDRESSES.nodeIPv6,
  podGateway: LAB_ADDRESSES.podGatewayIPv6,
  external: LAB_ADDRESSES.externalIPv6,
  podAddresses: LAB_PLAN.podAddressesIPv6,
  podSubnet: LAB_ADDRESSES.podSubnetIPv6,
  nodeSubnet: LAB_ADDRESSES.nodeSubnetIPv6,
  clusterCidr: 'fd00:244::/32',
  otherNodes: ['fd00:10::21', 'fd00:10::22'],
  kubernetesServiceIP: 'fd00:96::1',
  dnsServiceIP: 'fd00:96::a',
  sourceRanges: ['fd00:10::/64', '2001:db8:ffff::/48', 'fd00:244::/32', 'fd00:10::1/128'],
  recentMask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  reject: '-j REJECT --reject-with icmp6-port-unreachable',
  // fd00:96::/112 without ::1 (kubernetes) and ::a (kube-dns)
  serviceIP: (rng) => `fd00:96::${hex(rng, 0x10, 0xffff)}`,
  loadBalancerIP: (rng) => `2001:db8:100::${hex(rng, 0x10, 0xfff)}`,
  externalIP: (rng) => `2001:db8:200::${hex(rng, 0x10, 0xfff)}`,
  remotePod: (rng) => `fd00:244:${rng.pick(['2', '3'])}::${hex(rng, 2, 0xfff)}`,
};

/**
 * Somewhere a generated rule set does something interesting. `dst: 'node'` means any address
 * of the node (eth0 or the pod gateway, or 127.0.0.1 from the node itself).
 */
export interface PacketTarget {
  proto: 'tcp' | 'udp';
  dst: string | 'node';
  dport: number;
  /** sources that make sense (default: all) */
  from?: PacketSource[];
  /** 6 for an IPv6 target (`dst: 'node'` then means the node's IPv6 addresses) */
  family?: 6;
  /** what the target is, for reports: `ClusterIP default/web:http` */
  what: string;
}
