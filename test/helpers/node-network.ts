/**
 * Node captures for the routing rule tests, in the layouts iproute2 5.15 prints: `ip -d addr show`
 * and `ip -d -s link show` from a list of interfaces, plus a three-node cluster (node-a 10.0.1.11
 * podCIDR 10.244.0.0/24, node-b 10.0.1.12 10.244.1.0/24, node-c 10.0.1.13 10.244.2.0/24) with a
 * pod on each node, and the CNI agents' DaemonSets as kubectl prints them.
 */
import { kubectlList, node, pod, uidFor } from './kube-objects.js';

export interface Counters {
  bytes: number;
  packets: number;
  errors?: number;
  dropped?: number;
  /** `missed` (RX) or `carrier` (TX). */
  fifth?: number;
  mcast?: number;
}

export interface IfaceSpec {
  index: number;
  name: string;
  /** After `@`: `if3` (a veth whose peer is in a pod), `NONE` (tunl0). */
  peer?: string;
  flags?: string[];
  mtu: number;
  qdisc?: string;
  master?: string;
  state?: string;
  /** `link/<type> <address> brd <broadcast>`, without the indent. */
  link?: string;
  /** `-d` lines after the link line (`vxlan id 1 local ... dev eth0 ...`, `veth`, `bridge ...`). */
  details?: string[];
  /** `inet`/`inet6` lines without the indent (`inet 10.0.1.11/24 brd 10.0.1.255 scope global eth0`). */
  addresses?: string[];
  rx?: Counters;
  tx?: Counters;
}

const UP = ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];
const GENERIC = 'addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 ';

function header(i: IfaceSpec, link: boolean): string {
  const words = [`${i.index}: ${i.peer ? `${i.name}@${i.peer}` : i.name}: <${(i.flags ?? UP).join(',')}> mtu ${i.mtu} qdisc ${i.qdisc ?? 'noqueue'}`];
  if (i.master) words.push(`master ${i.master}`);
  words.push(`state ${i.state ?? 'UP'}`);
  if (link) words.push('mode DEFAULT');
  words.push('group default ');
  return words.join(' ');
}

function body(i: IfaceSpec): string[] {
  const link = `    ${i.link ?? 'link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff'} promiscuity 0 minmtu 68 maxmtu 65535 `;
  const details = i.details ?? [];
  if (details.length === 0) return [link + GENERIC];
  return [link, ...details.map((d, n) => `    ${d} ${n === details.length - 1 ? GENERIC : ''}`)];
}

export function ipAddr(interfaces: IfaceSpec[]): string {
  const lines: string[] = [];
  for (const i of interfaces) {
    lines.push(header(i, false), ...body(i));
    for (const address of i.addresses ?? []) lines.push(`    ${address}`, '       valid_lft forever preferred_lft forever');
  }
  return `${lines.join('\n')}\n`;
}

export function ipLink(interfaces: IfaceSpec[]): string {
  const lines: string[] = [];
  for (const i of interfaces) {
    lines.push(header(i, true), ...body(i));
    const rx = i.rx ?? { bytes: 0, packets: 0 };
    const tx = i.tx ?? { bytes: 0, packets: 0 };
    const row = (c: Counters) => [c.bytes, c.packets, c.errors ?? 0, c.dropped ?? 0, c.fifth ?? 0, c.mcast ?? 0];
    const widths = [10, 7, 6, 7, 7, 7].map((w, n) => Math.max(w, String(row(rx)[n]).length, String(row(tx)[n]).length));
    const head = (dir: string, names: string[]) => `    ${dir}: ${names.map((name, n) => name.padStart(n === 0 ? widths[0]! - 4 : widths[n]!)).join(' ')} ${''.padStart(10)}`;
    const numbers = (c: Counters) => `    ${row(c).map((v, n) => String(v).padStart(widths[n]!)).join(' ')} `;
    lines.push(head('RX', ['bytes', 'packets', 'errors', 'dropped', 'missed', 'mcast']), numbers(rx), head('TX', ['bytes', 'packets', 'errors', 'dropped', 'carrier', 'collsns']), numbers(tx));
  }
  return `${lines.join('\n')}\n`;
}

export const lo: IfaceSpec = {
  index: 1,
  name: 'lo',
  flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
  mtu: 65536,
  state: 'UNKNOWN',
  link: 'link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  addresses: ['inet 127.0.0.1/8 scope host lo'],
  rx: { bytes: 912_345_678, packets: 4_512_345 },
  tx: { bytes: 912_345_678, packets: 4_512_345 },
};

export function eth0(ip: string, options: { mtu?: number; rx?: Counters; tx?: Counters } = {}): IfaceSpec {
  const base = ip.split('.').slice(0, 3).join('.');
  return {
    index: 2,
    name: 'eth0',
    mtu: options.mtu ?? 1500,
    qdisc: 'fq_codel',
    addresses: [`inet ${ip}/24 brd ${base}.255 scope global eth0`],
    rx: options.rx ?? { bytes: 31_234_567_890, packets: 41_234_567, mcast: 2310 },
    tx: options.tx ?? { bytes: 25_123_456_789, packets: 35_123_456 },
  };
}

export const NODES = [
  { name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.0.0/24', pod: { name: 'web-7d9f8b6c5d-4hq8z', ip: '10.244.0.5' } },
  { name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.1.0/24', pod: { name: 'web-7d9f8b6c5d-q2w3e', ip: '10.244.1.6' } },
  { name: 'node-c', ip: '10.0.1.13', podCIDR: '10.244.2.0/24', pod: { name: 'web-7d9f8b6c5d-x8k2m', ip: '10.244.2.7' } },
] as const;

/** A calico veth for a pod (routed, no bridge). */
export function caliVeth(index: number, name: string, mtu = 1500): IfaceSpec {
  return { index, name, peer: 'if3', mtu, link: 'link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-4f1c2d9e-7a3b-11ef-9b2f-6c1e5d8a0b12', details: ['veth'] };
}

/** A DaemonSet as `kubectl get daemonsets -A -o json` prints it, with its containers' args and env. */
export function daemonSet(spec: { namespace: string; name: string; containers: { name: string; image: string; args?: string[]; env?: { name: string; value: string }[] }[] }): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { creationTimestamp: '2026-11-01T08:02:00Z', generation: 1, labels: { 'k8s-app': spec.name }, name: spec.name, namespace: spec.namespace, resourceVersion: '1204', uid: uidFor(spec.namespace, spec.name) },
    spec: {
      selector: { matchLabels: { 'k8s-app': spec.name } },
      template: { metadata: { labels: { 'k8s-app': spec.name } }, spec: { containers: spec.containers, hostNetwork: true } },
    },
    status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberAvailable: 3, numberReady: 3, updatedNumberScheduled: 3 },
  };
}

/** The three nodes, one running pod on each; `annotations` adds to each Node's. */
export function threeNodeCluster(options: { annotations?: (name: string) => Record<string, string>; pods?: Record<string, unknown>[] } = {}): { 'cluster/nodes.json': string; 'cluster/pods.json': string } {
  const nodes = NODES.map((n) => {
    const object = node({ name: n.name, ip: n.ip, podCIDR: n.podCIDR }) as { metadata: { annotations: Record<string, string> } };
    Object.assign(object.metadata.annotations, options.annotations?.(n.name) ?? {});
    return object;
  });
  const pods = options.pods ?? NODES.map((n) => pod({ namespace: 'shop', name: n.pod.name, labels: { app: 'web' }, ip: n.pod.ip, node: n.name, hostIP: n.ip }));
  return { 'cluster/nodes.json': kubectlList(nodes), 'cluster/pods.json': kubectlList(pods) };
}

export const calicoNode = (env: Record<string, string> = {}) =>
  daemonSet({
    namespace: 'kube-system',
    name: 'calico-node',
    containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.3', env: Object.entries({ DATASTORE_TYPE: 'kubernetes', CALICO_IPV4POOL_IPIP: 'Never', ...env }).map(([name, value]) => ({ name, value })) }],
  });

export const flannelDaemonSet = daemonSet({
  namespace: 'kube-flannel',
  name: 'kube-flannel-ds',
  containers: [{ name: 'kube-flannel', image: 'docker.io/flannel/flannel:v0.25.4', args: ['--ip-masq', '--kube-subnet-mgr'] }],
});

/** flannel's node annotations (vxlan backend, VNI 1). */
export const flannelAnnotations = (name: string) => ({
  'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"8e:23:05:4d:c8:af"}',
  'flannel.alpha.coreos.com/backend-type': 'vxlan',
  'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
  'flannel.alpha.coreos.com/public-ip': NODES.find((n) => n.name === name)!.ip,
});

/** The sysctl keys of the bundle format, healthy values; `overrides` replace or add keys. */
export function sysctl(overrides: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    'net.ipv4.ip_forward': '1',
    'net.ipv4.conf.all.rp_filter': '2',
    'net.ipv4.conf.default.rp_filter': '2',
    'net.bridge.bridge-nf-call-iptables': '1',
    'net.bridge.bridge-nf-call-ip6tables': '1',
    'net.netfilter.nf_conntrack_count': '3187',
    'net.netfilter.nf_conntrack_max': '262144',
    'net.ipv4.ip_local_port_range': '32768\t60999',
    'net.ipv4.tcp_retries2': '15',
    'net.core.somaxconn': '4096',
    ...overrides,
  };
  return `${Object.entries(values)
    .map(([key, value]) => (value === 'missing' ? `sysctl: cannot stat /proc/sys/${key.replaceAll('.', '/')}: No such file or directory` : `${key} = ${value}`))
    .join('\n')}\n`;
}

export const IP_RULES = '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n';

/** kube-flannel.yml's cni-conf.json, copied to /etc/cni/net.d/10-flannel.conflist by its install-cni container. */
export const FLANNEL_CONFLIST = `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
`;

/** /etc/cni/net.d/10-weave.conflist as weave-kube 2.8.1 writes it. */
export const WEAVE_CONFLIST = `{
    "cniVersion": "0.3.0",
    "name": "weave",
    "plugins": [
        {
            "name": "weave",
            "type": "weave-net",
            "hairpinMode": true
        },
        {
            "type": "portmap",
            "capabilities": {"portMappings": true},
            "snat": true
        }
    ]
}
`;
