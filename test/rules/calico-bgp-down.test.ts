import calicoBgpDown from '../../rules/calico-bgp-down.js';
import { threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();

/** `calicoctl node status` (calicoctl v3.27) as printed for a three-node mesh. */
const nodeStatus = (rows: string[]) =>
  [
    'Calico process is running.',
    '',
    'IPv4 BGP status',
    '+--------------+-------------------+-------+----------+--------------------------------+',
    '| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |              INFO              |',
    '+--------------+-------------------+-------+----------+--------------------------------+',
    ...rows,
    '+--------------+-------------------+-------+----------+--------------------------------+',
    '',
    'IPv6 BGP status',
    'No IPv6 peers found.',
    '',
  ].join('\n');

const up = (address: string) => `| ${address.padEnd(12)} | node-to-node mesh | up    | 09:14:02 | Established                    |`;

ruleTester(calicoBgpDown, {
  valid: [
    { name: 'every mesh peer Established', files: { ...cluster, 'nodes/node-a/calico/node-status.txt': nodeStatus([up('10.0.1.12'), up('10.0.1.13')]) } },
    { name: 'no IPv4 peers at all (single node)', files: { ...cluster, 'nodes/node-a/calico/node-status.txt': 'Calico process is running.\n\nIPv4 BGP status\nNo IPv4 peers found.\n\nIPv6 BGP status\nNo IPv6 peers found.\n' } },
    { name: 'calicoctl node status not collected', files: cluster, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'one mesh peer stuck in Connect with a wrapped error, the other Established',
      files: {
        ...cluster,
        'nodes/node-a/calico/node-status.txt': nodeStatus([
          up('10.0.1.12'),
          '| 10.0.1.13    | node-to-node mesh | start | 09:20:41 | Connect Socket: Connection     |',
          '|              |                   |       |          | refused                        |',
        ]),
        'nodes/node-b/calico/node-status.txt': nodeStatus([up('10.0.1.11'), up('10.0.1.13')]),
      },
      findings: [
        {
          subjects: ['Node/node-a', 'Node/node-c'],
          evidence: [{ file: 'nodes/node-a/calico/node-status.txt', line: 8 }],
          severity: 'critical',
          titleMatch: /^1 Calico BGP peer of node-a not Established: 10\.0\.1\.13 \(node node-c\)$/,
          messageMatch: /10\.0\.1\.13 \(node node-c\) node-to-node mesh: state start since 09:20:41, Connect Socket: Connection refused\./,
        },
      ],
    },
    {
      name: 'a global peer outside the cluster in Idle and a mesh peer Active',
      files: {
        ...cluster,
        'nodes/node-c/calico/node-status.txt': nodeStatus([
          '| 10.0.1.11    | node-to-node mesh | start | 09:20:41 | Active Socket: Connection      |',
          '|              |                   |       |          | closed                         |',
          up('10.0.1.12'),
          '| 172.30.30.1  | global            | start | 08:02:17 | Idle BGP Error: Bad BGP        |',
          '|              |                   |       |          | identifier                     |',
        ]),
      },
      findings: [
        {
          subjects: ['Node/node-c', 'Node/node-a'],
          evidence: [
            { file: 'nodes/node-c/calico/node-status.txt', line: 7 },
            { file: 'nodes/node-c/calico/node-status.txt', line: 10 },
          ],
          titleMatch: /^2 Calico BGP peers of node-c not Established: 10\.0\.1\.11 \(node node-a\), 172\.30\.30\.1$/,
          messageMatch: /10\.0\.1\.11 \(node node-a\) node-to-node mesh: state start since 09:20:41, Active Socket: Connection closed; 172\.30\.30\.1 global: state start since 08:02:17, Idle BGP Error: Bad BGP identifier\./,
        },
      ],
    },
  ],
});
