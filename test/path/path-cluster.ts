/**
 * A three-node Calico cluster for the path tests, as its nodes' tools print it (node-network.ts
 * layouts): node-a 10.0.1.11 (podCIDR 10.244.0.0/24), node-b 10.0.1.12, node-c 10.0.1.13, the
 * web pod of each node behind a `cali…` veth with a /32 route, the other nodes' podCIDRs learned
 * over BGP through tunl0 (IP-in-IP) or straight out of eth0 (native routing), sysctl, ip rules,
 * and calico-node's DaemonSet. Options change one thing each; `files` overrides whole files.
 */
import { kubectlList, node, pod } from '../helpers/kube-objects.js';
import { calicoNode, eth0, IP_RULES, ipAddr, ipLink, lo, NODES, sysctl, type IfaceSpec } from '../helpers/node-network.js';

export interface PathClusterOptions {
  encapsulation?: 'ipip' | 'none';
  /** tunl0's MTU (default 1480). */
  tunnelMtu?: number;
  /** The pods' veth MTU (default 1480 with IP-in-IP, else 1500). */
  podMtu?: number;
  /** Extra pods: `{ node, name, ip }` in namespace shop (a second pod on a node). */
  extraPods?: { node: string; name: string; ip: string | string[]; labels?: Record<string, string> }[];
  /** IPv6 too: fd00:10:0:1::1x on eth0, podCIDRs fd00:10:244:x::/64, pods ::5/6/7. */
  dualStack?: boolean;
  sysctl?: Record<string, Record<string, string>>;
  /** Extra main-table routes per node, prepended (longest prefix wins anyway). */
  routes?: Record<string, string[]>;
}

export const vethName = (ip: string) => `cali${Buffer.from(ip).toString('hex').slice(-11)}`;
/** Written as kubectl and iproute2 print them: fd00:10:244:0:: is fd00:10:244::. */
const v6 = (i: number) => {
  const prefix = i === 0 ? 'fd00:10:244:' : `fd00:10:244:${i}:`;
  return { node: `fd00:10:0:1::1${i + 1}`, cidr: `${prefix}:/64`, pod: `${prefix}:${5 + i}` };
};

export function pathCluster(options: PathClusterOptions = {}): Record<string, string> {
  const ipip = (options.encapsulation ?? 'ipip') === 'ipip';
  const podMtu = options.podMtu ?? (ipip ? 1480 : 1500);
  const pods: { node: string; name: string; ip: string[]; labels: Record<string, string> }[] = NODES.map((n, i) => ({ node: n.name, name: n.pod.name, ip: options.dualStack ? [n.pod.ip, v6(i).pod] : [n.pod.ip], labels: { app: 'web' } }));
  for (const extra of options.extraPods ?? []) pods.push({ node: extra.node, name: extra.name, ip: Array.isArray(extra.ip) ? extra.ip : [extra.ip], labels: extra.labels ?? { app: 'web' } });

  const nodes = NODES.map((n, i) => {
    const object = node({ name: n.name, ip: n.ip, podCIDR: n.podCIDR }) as { metadata: { annotations: Record<string, string> }; spec: { podCIDRs: string[] }; status: { addresses: { address: string; type: string }[] } };
    if (ipip) object.metadata.annotations['projectcalico.org/IPv4IPIPTunnelAddr'] = n.podCIDR.replace('0/24', '1');
    if (options.dualStack) {
      object.spec.podCIDRs.push(v6(i).cidr);
      object.status.addresses.splice(1, 0, { address: v6(i).node, type: 'InternalIP' });
    }
    return object;
  });
  const files: Record<string, string> = {
    'cluster/nodes.json': kubectlList(nodes),
    'cluster/pods.json': kubectlList(pods.map((p) => pod({ namespace: 'shop', name: p.name, labels: p.labels, ip: p.ip, node: p.node, hostIP: NODES.find((n) => n.name === p.node)!.ip }))),
    'cluster/daemonsets.json': kubectlList([calicoNode({ CALICO_IPV4POOL_IPIP: ipip ? 'Always' : 'Never' })]),
  };

  NODES.forEach((n, i) => {
    const local = pods.filter((p) => p.node === n.name);
    const ethernet = eth0(n.ip);
    if (options.dualStack) ethernet.addresses = [...(ethernet.addresses ?? []), `inet6 ${v6(i).node}/64 scope global`];
    const interfaces: IfaceSpec[] = [lo, ethernet];
    if (ipip) {
      interfaces.push({
        index: 4,
        name: 'tunl0',
        peer: 'NONE',
        flags: ['NOARP', 'UP', 'LOWER_UP'],
        mtu: options.tunnelMtu ?? 1480,
        state: 'UNKNOWN',
        link: 'link/ipip 0.0.0.0 brd 0.0.0.0',
        details: ['ipip any remote any local any ttl inherit nopmtudisc'],
        addresses: [`inet ${n.podCIDR.replace('0/24', '1')}/32 scope global tunl0`],
      });
    }
    local.forEach((p, k) => interfaces.push({ index: 5 + k, name: vethName(p.ip[0]!), peer: 'if3', mtu: podMtu, link: 'link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-4f1c2d9e-7a3b-11ef-9b2f-6c1e5d8a0b12', details: ['veth'] }));

    const routes = [...(options.routes?.[n.name] ?? []), 'default via 10.0.1.1 dev eth0 proto static', `10.0.1.0/24 dev eth0 proto kernel scope link src ${n.ip}`, `blackhole ${n.podCIDR} proto bird`];
    for (const p of local) routes.push(`${p.ip[0]} dev ${vethName(p.ip[0]!)} scope link`);
    NODES.forEach((other) => {
      if (other.name !== n.name) routes.push(ipip ? `${other.podCIDR} via ${other.ip} dev tunl0 proto bird onlink` : `${other.podCIDR} via ${other.ip} dev eth0 proto bird`);
    });
    routes.push(`local ${n.ip} dev eth0 table local proto kernel scope host src ${n.ip}`);
    if (ipip) routes.push(`local ${n.podCIDR.replace('0/24', '1')} dev tunl0 table local proto kernel scope host src ${n.podCIDR.replace('0/24', '1')}`);
    routes.push('local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1');
    if (options.dualStack) {
      routes.push(`fd00:10:0:1::/64 dev eth0 proto kernel metric 256 pref medium`);
      for (const p of local) if (p.ip[1]) routes.push(`${p.ip[1]} dev ${vethName(p.ip[0]!)} metric 1024 pref medium`);
      NODES.forEach((other, j) => {
        if (other.name !== n.name) routes.push(`${v6(j).cidr} via ${v6(j).node} dev eth0 proto bird metric 1024 pref medium`);
      });
      routes.push(`local ${v6(i).node} dev eth0 table local proto kernel metric 0 pref medium`);
    }
    files[`nodes/${n.name}/ip-addr.txt`] = ipAddr(interfaces);
    files[`nodes/${n.name}/ip-link.txt`] = ipLink(interfaces);
    files[`nodes/${n.name}/ip-route.txt`] = `${routes.join('\n')}\n`;
    files[`nodes/${n.name}/ip-rule.txt`] = IP_RULES;
    files[`nodes/${n.name}/sysctl.txt`] = sysctl({ 'net.ipv6.conf.all.forwarding': '1', ...(options.sysctl?.[n.name] ?? {}) });
  });
  return files;
}
