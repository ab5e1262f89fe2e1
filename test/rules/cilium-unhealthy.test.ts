import ciliumUnhealthy from '../../rules/cilium-unhealthy.js';
import { threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();

/** `cilium status --verbose` of Cilium 1.15 (excerpt: the lines the rule reads), with parts swapped per case. */
const status = (parts: { kvstore?: string; controllers?: string[]; health?: string[] } = {}) =>
  [
    `KVStore:                 ${parts.kvstore ?? 'Ok   Disabled'}`,
    'Kubernetes:              Ok   1.28 (v1.28.4) [linux/amd64]',
    'KubeProxyReplacement:    True   [eth0   10.0.1.11 fe80::5054:ff:fe12:3456 (Direct Routing)]',
    'Cilium:                  Ok   1.15.1 (v1.15.1-a368c8f0)',
    'Cilium health daemon:    Ok   ',
    'IPAM:                    IPv4: 3/254 allocated from 10.244.0.0/24, ',
    'Routing:                 Network: Tunnel [vxlan]   Host: Legacy',
    ...(parts.controllers ?? ['Controller Status:       38/38 healthy']),
    'Proxy Status:            OK, ip 10.244.0.140, 0 redirects active on ports 10000-20000, Envoy: embedded',
    ...(parts.health ?? [
      'Cluster health:          3/3 reachable   (2024-07-17T12:45:45Z)',
      '  Name                   IP             Node          Endpoints',
      '  node-a (localhost)     10.0.1.11      reachable     reachable',
      '  node-b                 10.0.1.12      reachable     reachable',
      '  node-c                 10.0.1.13      reachable     reachable',
    ]),
    '',
  ].join('\n');

ruleTester(ciliumUnhealthy, {
  valid: [
    { name: 'everything Ok, all nodes reachable', files: { ...cluster, 'nodes/node-a/cilium/status.txt': status() } },
    { name: 'KVStore Disabled (CRD mode, 1.15+ single column)', files: { ...cluster, 'nodes/node-a/cilium/status.txt': status({ kvstore: 'Disabled   ' }) } },
    { name: 'cilium status not collected', files: cluster, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'agent not answering',
      files: {
        ...cluster,
        'nodes/node-b/cilium/status.txt':
          'Error: Cannot get status/probe: Get "http://localhost/v1/healthz": dial unix /var/run/cilium/cilium.sock: connect: no such file or directory\nIs the agent running?\n',
      },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [{ file: 'nodes/node-b/cilium/status.txt', line: 1 }],
          severity: 'critical',
          titleMatch: /^Cilium agent on node-b not answering$/,
          messageMatch: /the agent did not answer: Error: Cannot get status\/probe: .*cilium\.sock: connect: no such file or directory Is the agent running\?/,
        },
      ],
    },
    {
      name: 'one node unreachable in cluster health, a controller failing',
      files: {
        ...cluster,
        'nodes/node-a/cilium/status.txt': status({
          controllers: [
            'Controller Status:       37/38 healthy',
            '  Name                                  Last success   Last error   Count   Message',
            '  cilium-health-ep                      23m36s ago     49s ago      29      Get "http://10.244.0.248:4240/hello": context deadline exceeded',
            '  sync-to-k8s-ciliumendpoint (1187)     4s ago         never        0       no error',
          ],
          health: [
            'Cluster health:          2/3 reachable   (2024-07-17T12:45:45Z)',
            '  Name                   IP             Node          Endpoints',
            '  node-a (localhost)     10.0.1.11      reachable     reachable',
            '  node-b                 10.0.1.12      reachable     reachable',
            '  node-c                 10.0.1.13      unreachable   unreachable',
          ],
        }),
      },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [
            { file: 'nodes/node-a/cilium/status.txt', line: 13 },
            { file: 'nodes/node-a/cilium/status.txt', line: 17 },
            { file: 'nodes/node-a/cilium/status.txt', line: 8 },
            { file: 'nodes/node-a/cilium/status.txt', line: 10 },
          ],
          severity: 'critical',
          titleMatch: /^Cilium on node-a unhealthy$/,
          messageMatch: /cluster health 2\/3 reachable: node-c \(node unreachable, health endpoint unreachable\); controllers 37\/38 healthy; failing: cilium-health-ep \(29 failures, last error 49s ago: Get "http:\/\/10\.244\.0\.248:4240\/hello": context deadline exceeded\)\.$/,
        },
      ],
    },
    {
      name: 'KVStore failing (etcd quorum), only that',
      files: { ...cluster, 'nodes/node-c/cilium/status.txt': status({ kvstore: 'Failure   Err: quorum check failed 12 times in a row: timeout while waiting for initial connection' }) },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [{ file: 'nodes/node-c/cilium/status.txt', line: 1 }],
          severity: 'critical',
          messageMatch: /KVStore is Failure \(Err: quorum check failed 12 times in a row: timeout while waiting for initial connection\)\.$/,
        },
      ],
    },
    {
      name: 'controllers failing only: a warning',
      files: {
        ...cluster,
        'nodes/node-b/cilium/status.txt': status({
          controllers: [
            'Controller Status:       41/42 healthy',
            '  Name                                  Last success   Last error   Count   Message',
            '  ipcache-inject-labels                 never          2s ago       118     k8s cache not fully synced',
          ],
        }),
      },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/cilium/status.txt', line: 8 },
            { file: 'nodes/node-b/cilium/status.txt', line: 10 },
          ],
          severity: 'warning',
          messageMatch: /controllers 41\/42 healthy; failing: ipcache-inject-labels \(118 failures, last error 2s ago: k8s cache not fully synced\)/,
        },
      ],
    },
  ],
});
