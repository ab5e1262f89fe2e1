import weaveUnhealthy from '../../rules/weave-unhealthy.js';
import { kubectlList } from '../helpers/kube-objects.js';
import { daemonSet, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();

const PEERS: Record<string, string> = { 'node-a': '5a:0b:3c:d2:2d:c1', 'node-b': '2a:c3:07:4e:1b:9a', 'node-c': '7e:11:52:ab:39:0c' };

/** `weave status` then `weave status connections` as Weave Net 2.8.1 prints them in the weave container. */
const weaveStatus = (node: string, ipamStatus: string, connections: string[], summary: string) =>
  [
    '',
    '        Version: 2.8.1 (up to date; next check at 2026/11/26 21:14:08)',
    '',
    '        Service: router',
    '       Protocol: weave 1..2',
    `           Name: ${PEERS[node]}(${node})`,
    '     Encryption: disabled',
    '  PeerDiscovery: enabled',
    '        Targets: 2',
    `    Connections: ${summary}`,
    '          Peers: 3 (with 4 established connections)',
    ' TrustedSubnets: none',
    '',
    '        Service: ipam',
    `         Status: ${ipamStatus}`,
    '          Range: 10.32.0.0/12',
    '  DefaultSubnet: 10.32.0.0/12',
    '',
    ...connections,
    '',
  ].join('\n');

const fastdp = (arrow: '->' | '<-', address: string, peer: string) => `${arrow} ${address.padEnd(21)} established fastdp ${PEERS[peer]}(${peer}) mtu=1376`;

const healthy = {
  'nodes/node-a/weave/status.txt': weaveStatus('node-a', 'ready', [fastdp('->', '10.0.1.12:6783', 'node-b'), fastdp('->', '10.0.1.13:6783', 'node-c')], '2 (2 established)'),
  'nodes/node-b/weave/status.txt': weaveStatus('node-b', 'ready', [fastdp('<-', '10.0.1.11:44919', 'node-a'), fastdp('->', '10.0.1.13:6783', 'node-c')], '2 (2 established)'),
};

const weaveNet = (containers: string[]) =>
  daemonSet({ namespace: 'kube-system', name: 'weave-net', containers: containers.map((name) => ({ name, image: `docker.io/weaveworks/${name === 'weave' ? 'weave-kube' : name}:2.8.1` })) });

const denyAll = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { creationTimestamp: '2026-11-20T10:00:00Z', generation: 1, name: 'default-deny', namespace: 'shop', resourceVersion: '88120', uid: 'a3f1c2d4-0b1e-4c55-9e0a-2b7c6d5e4f30' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
};

/** `weave report` of node-c after node-b's peer was deleted without `weave rmpeer`: part of the ring has no known owner. */
const reportWithLostRange = `{
    "Ready": true,
    "Version": "2.8.1",
    "Router": {
        "Name": "7e:11:52:ab:39:0c",
        "NickName": "node-c",
        "Encryption": false,
        "PeerDiscovery": true,
        "Connections": [
            {
                "Address": "10.0.1.11:6783",
                "Outbound": true,
                "State": "established",
                "Info": "fastdp 5a:0b:3c:d2:2d:c1(node-a)",
                "Attrs": { "mtu": 1376, "name": "fastdp" }
            }
        ],
        "Peers": [],
        "Targets": ["10.0.1.11"],
        "TrustedSubnets": []
    },
    "IPAM": {
        "Paxos": null,
        "Range": "10.32.0.0/12",
        "RangeNumIPs": 1048576,
        "ActiveIPs": 4,
        "DefaultSubnet": "10.32.0.0/12",
        "Entries": [
            { "Token": "10.32.0.0", "Size": 524288, "Peer": "5a:0b:3c:d2:2d:c1", "Nickname": "node-a", "IsKnownPeer": true, "Version": 9 },
            { "Token": "10.40.0.0", "Size": 262144, "Peer": "2a:c3:07:4e:1b:9a", "Nickname": "node-b", "IsKnownPeer": false, "Version": 4 },
            { "Token": "10.44.0.0", "Size": 262144, "Peer": "7e:11:52:ab:39:0c", "Nickname": "node-c", "IsKnownPeer": true, "Version": 6 }
        ],
        "PendingAllocates": null
    }
}
`;

ruleTester(weaveUnhealthy, {
  valid: [
    { name: 'a full fastdp mesh with IPAM ready, weave-npc running beside a policy', files: { ...cluster, ...healthy, 'cluster/daemonsets.json': kubectlList([weaveNet(['weave', 'weave-npc'])]), 'cluster/networkpolicies.json': kubectlList([denyAll]) } },
    { name: 'IPAM idle on a node that has not allocated yet', files: { ...cluster, 'nodes/node-c/weave/status.txt': weaveStatus('node-c', 'idle', [fastdp('<-', '10.0.1.11:40586', 'node-a')], '1 (1 established)') } },
    { name: 'weave status not collected', files: cluster, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'node-a cannot reach node-c: the connection failed with connection refused, the retry time cut off',
      files: {
        ...cluster,
        ...healthy,
        'nodes/node-a/weave/status.txt': weaveStatus(
          'node-a',
          'ready',
          [fastdp('->', '10.0.1.12:6783', 'node-b'), '-> 10.0.1.13:6783        failed      dial tcp4 :0->10.0.1.13:6783: connect: connection refused, retry: 2026-11-26 14:03:51.281957781 +0000 UTC m=+32.649105417'],
          '2 (1 established, 1 failed)',
        ),
      },
      findings: [
        {
          subjects: ['Node/node-a', 'Node/node-c'],
          evidence: [{ file: 'nodes/node-a/weave/status.txt', line: 20 }],
          severity: 'critical',
          titleMatch: /^Weave Net on node-a: 1 peer connection not established \(node-c\)$/,
          messageMatch: /-> 10\.0\.1\.13:6783 \(node-c\) failed: dial tcp4 :0->10\.0\.1\.13:6783: connect: connection refused/,
        },
      ],
    },
    {
      name: 'IPAM awaiting consensus with one connection retrying, and a sleeve connection (info)',
      files: {
        ...cluster,
        'nodes/node-c/weave/status.txt': weaveStatus(
          'node-c',
          'awaiting consensus (quorum: 2, known: 1)',
          ['<- 10.0.1.12:51220       established sleeve 2a:c3:07:4e:1b:9a(node-b) mtu=1438', '-> 10.0.1.11:6783        retrying    dial tcp 10.0.1.11:6783: i/o timeout'],
          '2 (1 established, 1 retrying)',
        ),
      },
      findings: [
        {
          subjects: ['Node/node-c', 'Node/node-a'],
          evidence: [
            { file: 'nodes/node-c/weave/status.txt', line: 20 },
            { file: 'nodes/node-c/weave/status.txt', line: 15 },
          ],
          severity: 'critical',
          messageMatch: /retrying: dial tcp 10\.0\.1\.11:6783: i\/o timeout; IPAM status "awaiting consensus \(quorum: 2, known: 1\)": IPAM is waiting for a quorum/,
        },
        {
          subjects: ['Node/node-c'],
          evidence: [{ file: 'nodes/node-c/weave/status.txt', line: 19 }],
          severity: 'info',
          titleMatch: /^Weave Net on node-c uses sleeve for 1 connection$/,
        },
      ],
    },
    {
      name: 'weave report only: a range owned by a peer that is no longer known',
      files: { ...cluster, 'nodes/node-c/weave/report.json': reportWithLostRange },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [{ file: 'nodes/node-c/weave/report.json', line: 30 }],
          severity: 'warning',
          titleMatch: /^Weave Net on node-c: part of the IP range is owned by unreachable peers$/,
          messageMatch: /2a:c3:07:4e:1b:9a\(node-b\) \(262144 IPs, 25%\) of the IP range is owned by a peer this node cannot reach/,
        },
      ],
    },
    {
      name: 'weave-net without weave-npc while a NetworkPolicy exists',
      files: { ...cluster, ...healthy, 'cluster/daemonsets.json': kubectlList([weaveNet(['weave'])]), 'cluster/networkpolicies.json': kubectlList([denyAll]) },
      findings: [
        {
          subjects: ['DaemonSet/kube-system/weave-net'],
          evidence: [
            { file: 'cluster/daemonsets.json', line: 31 },
            { file: 'cluster/networkpolicies.json', line: 10 },
          ],
          severity: 'warning',
          titleMatch: /^weave-net runs without weave-npc while 1 NetworkPolicy exists$/,
          messageMatch: /containers weave but no weave-npc/,
        },
      ],
    },
  ],
});
