/**
 * What `netdump collect` runs and where each output goes in the bundle, as a table (the
 * insights-core way): `--dry-run`, the README and the manifest all read it, and nothing is run
 * that is not in it.
 *
 * The node capture's rows are the same as the SPECS table of collector/node-capture.sh, which
 * must run on a node with nothing but sh: test/collector/collection-specs.test.ts compares
 * `node-capture.sh --list` with NODE_CAPTURE_SPECS, so the two cannot drift apart.
 */

/**
 * `cluster`: the default mode, through kubectl (its node step runs the node capture on
 * selected nodes); `local`: `netdump collect --local`, the node capture on this host.
 */
export type CollectionMode = 'cluster' | 'local';

/** Where a spec's path is rooted: `nodes/<node>/` for commands run in a node's network namespace. */
export type SpecScope = 'node';

/** The node-capture.sh flags of a row (see the script's header for each one's meaning). */
export type NodeCaptureFlag =
  | 'both-backends'
  | 'keep-if-rules'
  | 'ipvs-loaded'
  | 'docker'
  | 'list-args'
  | 'stderr-in-output'
  | 'file'
  | 'each-file';

export interface CollectionSpec {
  /** Stable id, also the script's record id. */
  id: string;
  scope: SpecScope;
  /** The modes that run it. */
  modes: readonly CollectionMode[];
  /** Path under the scope folder; a trailing `/` is a folder that receives one file per source file. */
  path: string;
  /** The command as it is run (and recorded in the manifest). */
  command: string;
  /** The program whose absence makes the command "not found". */
  tool: string;
  flags: readonly NodeCaptureFlag[];
}

const NODE_MODES: readonly CollectionMode[] = ['cluster', 'local'];

/** The sysctl keys of bundle-format.md, plus route_localnet (NodePorts on 127.0.0.1). */
export const SYSCTL_KEYS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.default.rp_filter',
  'net.ipv4.conf.all.route_localnet',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.netfilter.nf_conntrack_count',
  'net.netfilter.nf_conntrack_max',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_retries2',
  'net.core.somaxconn',
] as const;

function nodeSpec(id: string, tool: string, flags: readonly NodeCaptureFlag[], path: string, command: string): CollectionSpec {
  return { id, scope: 'node', modes: NODE_MODES, path, command, tool, flags };
}

/** Row for row the SPECS table of node-capture.sh, in the order the script runs them. */
export const NODE_CAPTURE_SPECS: readonly CollectionSpec[] = [
  nodeSpec('iptables-save', 'iptables-save', [], 'iptables-save.txt', 'iptables-save'),
  nodeSpec('ip6tables-save', 'ip6tables-save', [], 'ip6tables-save.txt', 'ip6tables-save'),
  nodeSpec('iptables-legacy-save', 'iptables-legacy-save', ['both-backends', 'keep-if-rules'], 'iptables-legacy-save.txt', 'iptables-legacy-save'),
  nodeSpec('iptables-nft-save', 'iptables-nft-save', ['both-backends'], 'iptables-nft-save.txt', 'iptables-nft-save'),
  nodeSpec('nft-ruleset', 'nft', [], 'nft-ruleset.txt', 'nft list ruleset'),
  nodeSpec('ipset-save', 'ipset', [], 'ipset-save.txt', 'ipset save'),
  nodeSpec('ipvsadm', 'ipvsadm', ['ipvs-loaded'], 'ipvsadm.txt', 'ipvsadm -Ln'),
  nodeSpec('ip-addr', 'ip', [], 'ip-addr.txt', 'ip -d addr show'),
  nodeSpec('ip-link', 'ip', [], 'ip-link.txt', 'ip -d -s link show'),
  nodeSpec('ip-route', 'ip', [], 'ip-route.txt', 'ip route show table all'),
  nodeSpec('ip-rule', 'ip', [], 'ip-rule.txt', 'ip rule show'),
  nodeSpec('sysctl', 'sysctl', ['stderr-in-output'], 'sysctl.txt', `sysctl ${SYSCTL_KEYS.join(' ')}`),
  nodeSpec('conntrack-stats', 'conntrack', [], 'conntrack-stats.txt', 'conntrack -S'),
  nodeSpec('conntrack-count', 'conntrack', [], 'conntrack-count.txt', 'conntrack -C'),
  nodeSpec('netstat-s', 'netstat', [], 'netstat-s.txt', 'netstat -s'),
  nodeSpec('resolv-conf', 'cat', ['file'], 'resolv.conf', 'cat /etc/resolv.conf'),
  nodeSpec('cni', 'cat', ['each-file'], 'cni/', 'cat /etc/cni/net.d/*'),
  nodeSpec('docker-networks', 'docker', ['docker', 'list-args'], 'docker/networks.json', 'docker network inspect $(docker network ls -q)'),
  nodeSpec('docker-containers', 'docker', ['docker', 'list-args'], 'docker/containers.json', 'docker inspect $(docker ps -q)'),
];

/** Every spec, of every mode. Cluster-mode specs (kubectl) join this table when that mode exists. */
export const COLLECTION_SPECS: readonly CollectionSpec[] = NODE_CAPTURE_SPECS;

export function specsFor(mode: CollectionMode): CollectionSpec[] {
  return COLLECTION_SPECS.filter((spec) => spec.modes.includes(mode));
}

/** The bundle path of a spec's output for one node; `<file>` stands for each file of a folder spec. */
export function bundlePathOf(spec: CollectionSpec, where: { node: string }): string {
  const path = spec.path.endsWith('/') ? `${spec.path}<file>` : spec.path;
  return `nodes/${where.node}/${path}`;
}

const CONDITIONS: Partial<Record<NodeCaptureFlag, string>> = {
  'both-backends': 'only when iptables-legacy-save and iptables-nft-save are both installed',
  'keep-if-rules': 'kept only when the legacy backend holds rules (or a DROP policy)',
  'ipvs-loaded': 'only when IPVS is loaded (/proc/net/ip_vs exists): ipvsadm would load the kernel module',
  docker: 'only when docker is installed',
  'list-args': 'an empty list stores []',
  'stderr-in-output': 'absent keys are kept as sysctl\'s "cannot stat" lines',
  'each-file': 'one file per regular file of the folder',
};

/** When and how a spec runs, for people: the conditions its flags stand for. */
export function describeConditions(spec: CollectionSpec): string[] {
  return spec.flags.map((flag) => CONDITIONS[flag]).filter((text): text is string => text !== undefined);
}
