import { describe, expect, it } from 'vitest';
import bundleCollectionFailed from '../../rules/bundle-collection-failed.js';
import { findLine } from '../helpers/kube-objects.js';
import { eth0, ipLink, lo } from '../helpers/node-network.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

interface Item {
  path: string;
  node?: string;
  command: string;
  exitCode: number;
  durationMs: number;
  stderr: string;
  error?: string;
}

const manifest = (items: Item[]) =>
  `${JSON.stringify(
    {
      format: 'netdump/v1',
      createdAt: '2026-11-26T10:00:00Z',
      collector: { name: 'netdump', version: '0.1.0' },
      cluster: { context: 'prod-eu-1', serverVersion: 'v1.31.2', clusterDomain: 'cluster.local' },
      items,
      redaction: { secrets: 'never collected', anonymized: false },
    },
    null,
    2,
  )}\n`;

const ok = (node: string): Item => ({ path: `nodes/${node}/iptables-save.txt`, node, command: 'iptables-save', exitCode: 0, durationMs: 84, stderr: '' });
const noIpvsadm = (node: string): Item => ({
  path: `nodes/${node}/ipvsadm.txt`,
  node,
  command: 'ipvsadm -Ln',
  exitCode: 127,
  durationMs: 3,
  stderr: 'sh: ipvsadm: not found',
  error: 'command not found',
});

const healthy = manifest([ok('node-a'), ok('node-b')]);
const missingTool = manifest([ok('node-a'), noIpvsadm('node-a'), ok('node-b'), noIpvsadm('node-b')]);
const forbidden = manifest([
  {
    path: 'cluster/networkpolicies.json',
    command: 'kubectl get networkpolicies.networking.k8s.io -A -o json',
    exitCode: 1,
    durationMs: 212,
    stderr:
      'Error from server (Forbidden): networkpolicies.networking.k8s.io is forbidden: User "system:serviceaccount:netdump:collector" cannot list resource "networkpolicies" in API group "networking.k8s.io" at the cluster scope\n',
  },
]);
const differentErrors = manifest([
  { path: 'nodes/node-a/conntrack-stats.txt', node: 'node-a', command: 'conntrack -S', exitCode: 1, durationMs: 5, stderr: 'conntrack v1.4.8 (conntrack-tools): Operation failed: Operation not permitted' },
  { path: 'nodes/node-b/conntrack-stats.txt', node: 'node-b', command: 'conntrack -S', exitCode: 124, durationMs: 30000, stderr: '', error: 'timed out after 30s' },
]);

// br_netfilter not loaded: sysctl prints the other keys and exits non-zero for the two absent ones.
const bridgeKeysAbsent =
  'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\nsysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-ip6tables: No such file or directory\n';
const sysctlCommand =
  'sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max net.ipv4.ip_local_port_range net.ipv4.tcp_retries2 net.core.somaxconn';
const sysctlItem = (node: string, stderr: string): Item => ({ path: `nodes/${node}/sysctl.txt`, node, command: sysctlCommand, exitCode: 255, durationMs: 4, stderr });
const absentKeys = manifest([ok('node-a'), sysctlItem('node-a', bridgeKeysAbsent)]);
const sysctlDenied = manifest([sysctlItem('node-a', `${bridgeKeysAbsent}sysctl: permission denied on key "net.netfilter.nf_conntrack_count"\n`)]);
// `netdump collect --local` on a Docker host: no cluster/, the host is not a Kubernetes node.
const dockerHost = `${JSON.stringify(
  {
    format: 'netdump/v1',
    createdAt: '2026-11-26T10:00:00Z',
    collector: { name: 'netdump', version: '0.1.0' },
    collection: { mode: 'local', nodes: ['docker-01'], timeoutSeconds: 30, durationMs: 655, interrupted: false, problems: [] },
    items: [{ path: 'nodes/docker-01/netstat-s.txt', node: 'docker-01', command: 'netstat -s', exitCode: 127, durationMs: 2, stderr: 'sh: netstat: not found', error: 'command not found' }],
  },
  null,
  2,
)}\n`;

// `netdump collect --local` where the Docker CLI is installed but no daemon runs (as on this project's CI machines).
const noDaemon = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n';
const dockerDown = `${JSON.stringify(
  {
    format: 'netdump/v1',
    createdAt: '2026-11-26T10:00:00Z',
    collector: { name: 'netdump', version: '0.1.0' },
    collection: { mode: 'local', nodes: ['vm'], timeoutSeconds: 30, durationMs: 240, interrupted: false, problems: [] },
    items: [
      { path: 'nodes/vm/docker/networks.json', node: 'vm', command: 'docker network inspect $(docker network ls -q)', exitCode: 1, durationMs: 20, stderr: noDaemon },
      { path: 'nodes/vm/docker/containers.json', node: 'vm', command: 'docker inspect $(docker ps -q)', exitCode: 1, durationMs: 20, stderr: noDaemon },
    ],
  },
  null,
  2,
)}\n`;
const vmLinks = ipLink([lo, eth0('10.0.2.15')]);
const docker0 = { index: 3, name: 'docker0', mtu: 1500, flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], state: 'DOWN', details: ['bridge forward_delay 1500 hello_time 200 max_age 2000'] };

/** The evidence is the item's exitCode line, the member that shows the failure. */
const itemLine = (text: string, path: string) => findLine(text, `"path": "${path}"`, '"exitCode"');

ruleTester(bundleCollectionFailed, {
  valid: [
    { name: 'every command succeeded', files: { 'manifest.json': healthy } },
    { name: 'not collected: no manifest.json', files: { 'cluster/pods.json': '{"apiVersion": "v1", "items": [], "kind": "List"}\n' }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'the same missing tool on two nodes: one finding, info',
      files: { 'manifest.json': missingTool },
      findings: [
        {
          subjects: ['Node/node-a', 'Node/node-b'],
          evidence: [
            { file: 'manifest.json', line: itemLine(missingTool, 'nodes/node-a/ipvsadm.txt') },
            { file: 'manifest.json', line: itemLine(missingTool, 'nodes/node-b/ipvsadm.txt') },
          ],
          severity: 'info',
          titleMatch: /^`ipvsadm -Ln` is not installed on 2 nodes \(node-a, node-b\)$/,
          messageMatch: /failed on 2 nodes \(node-a, node-b\) \(exit code 127; sh: ipvsadm: not found; error: command not found\)/,
        },
      ],
    },
    {
      name: 'RBAC refused a cluster read',
      files: { 'manifest.json': forbidden },
      findings: [
        {
          subjects: ['Bundle/manifest'],
          evidence: [{ file: 'manifest.json', line: itemLine(forbidden, 'cluster/networkpolicies.json') }],
          severity: 'warning',
          titleMatch: /^RBAC forbade `kubectl get networkpolicies\.networking\.k8s\.io -A -o json`$/,
          messageMatch: /cannot list resource "networkpolicies".*not allowed to read this resource/,
        },
      ],
    },
    {
      name: 'sysctl exits non-zero only for keys the kernel lacks: information about the node, not a failed collection',
      files: { 'manifest.json': absentKeys },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [{ file: 'manifest.json', line: itemLine(absentKeys, 'nodes/node-a/sysctl.txt') }],
          severity: 'info',
          titleMatch: /^The kernel on node node-a has no net\.bridge\.bridge-nf-call-iptables, net\.bridge\.bridge-nf-call-ip6tables$/,
          messageMatch: /exited 255 on node node-a only because these keys do not exist.*br_netfilter module is loaded; br-netfilter-disabled says/,
        },
      ],
    },
    {
      name: 'sysctl with another error besides absent keys is still a failed collection',
      files: { 'manifest.json': sysctlDenied },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [{ file: 'manifest.json', line: itemLine(sysctlDenied, 'nodes/node-a/sysctl.txt') }],
          severity: 'warning',
          titleMatch: /^`sysctl .*` failed on node node-a$/,
        },
      ],
    },
    {
      name: 'a Docker host captured alone is a host, not a node',
      files: { 'manifest.json': dockerHost },
      findings: [
        {
          subjects: ['Host/docker-01'],
          evidence: [{ file: 'manifest.json', line: itemLine(dockerHost, 'nodes/docker-01/netstat-s.txt') }],
          severity: 'info',
          titleMatch: /^`netstat -s` is not installed on host docker-01$/,
        },
      ],
    },
    {
      name: 'no Docker daemon and no Docker bridge: one finding for both docker commands, info',
      files: { 'manifest.json': dockerDown, 'nodes/vm/ip-link.txt': vmLinks },
      findings: [
        {
          subjects: ['Host/vm'],
          evidence: [
            { file: 'manifest.json', line: itemLine(dockerDown, 'nodes/vm/docker/networks.json') },
            { file: 'manifest.json', line: itemLine(dockerDown, 'nodes/vm/docker/containers.json') },
          ],
          severity: 'info',
          titleMatch: /^No Docker daemon answered on host vm$/,
          messageMatch: /Is the docker daemon running\? No Docker bridge exists there either: the Docker CLI is installed, but no Docker networking runs to analyze/,
        },
      ],
    },
    {
      name: 'no Docker daemon on a host with docker0: its containers are down, a warning',
      files: { 'manifest.json': dockerDown, 'nodes/vm/ip-link.txt': ipLink([lo, eth0('10.0.2.15'), docker0]) },
      findings: [
        {
          subjects: ['Host/vm'],
          evidence: [
            { file: 'manifest.json', line: itemLine(dockerDown, 'nodes/vm/docker/networks.json') },
            { file: 'manifest.json', line: itemLine(dockerDown, 'nodes/vm/docker/containers.json') },
          ],
          severity: 'warning',
          messageMatch: /vm has Docker's bridges, so a daemon ran there/,
        },
      ],
    },
    {
      name: 'different errors on two nodes stay apart',
      files: { 'manifest.json': differentErrors },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [{ file: 'manifest.json', line: itemLine(differentErrors, 'nodes/node-a/conntrack-stats.txt') }],
          messageMatch: /Operation not permitted/,
        },
        {
          subjects: ['Node/node-b'],
          evidence: [{ file: 'manifest.json', line: itemLine(differentErrors, 'nodes/node-b/conntrack-stats.txt') }],
          messageMatch: /exit code 124; error: timed out after 30s/,
        },
      ],
    },
  ],
});

describe('bundle-collection-failed advice', () => {
  it('gives the kubectl auth can-i command for an RBAC refusal', () => {
    const run = runOnFiles([bundleCollectionFailed], { 'manifest.json': forbidden });
    expect(run.findings[0]!.commands).toEqual(['kubectl auth can-i list networkpolicies.networking.k8s.io --all-namespaces']);
  });
});
