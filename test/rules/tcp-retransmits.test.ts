import { describe, expect, it } from 'vitest';
import interfaceErrors from '../../rules/interface-errors.js';
import tcpRetransmits from '../../rules/tcp-retransmits.js';
import { lineOf } from '../helpers/node-dumps.js';
import { eth0, ipLink, lo, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
/** `netstat -s` (net-tools 2.10), the Tcp and TcpExt sections. */
const netstat = (sent: number, retransmitted: number) => `Ip:
    Forwarding: 1
    68211942 total packets received
    24310422 forwarded
Tcp:
    412093 active connection openings
    298117 passive connection openings
    1840 failed connection attempts
    9012 connection resets received
    87 connections established
    45122901 segments received
    ${sent} segments sent out
    ${retransmitted} segments retransmitted
    12 bad segments received
    20931 resets sent
TcpExt:
    TCPTimeouts: 812
    TCPSynRetrans: 301
`;
const healthy = netstat(37_343_632, 41_230);
const lossy = netstat(37_343_632, 1_157_653);
/** `nstat -az` prints the same counters by name. */
const nstat = `#kernel
TcpActiveOpens                  412093             0.0
TcpOutSegs                      1203344            0.0
TcpRetransSegs                  73404              0.0
TcpExtTCPTimeouts               9120               0.0
`;

ruleTester(tcpRetransmits, {
  valid: [
    { name: '0.1% retransmitted', files: { ...cluster, 'nodes/node-a/netstat-s.txt': healthy } },
    { name: 'too few segments to judge', files: { ...cluster, 'nodes/node-a/netstat-s.txt': netstat(2000, 600) } },
    { name: 'no netstat -s collected', files: cluster, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: '3.1% retransmitted',
      files: { ...cluster, 'nodes/node-b/netstat-s.txt': lossy },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/netstat-s.txt', line: lineOf(lossy, 'segments retransmitted') },
            { file: 'nodes/node-b/netstat-s.txt', line: lineOf(lossy, 'segments sent out') },
          ],
          severity: 'warning',
          titleMatch: /^3\.1% of TCP segments retransmitted on node-b$/,
          messageMatch: /1157653 of 37343632 segments sent were retransmissions \(3\.1%; 812 retransmission timeouts, 301 SYN retransmits\)/,
        },
      ],
    },
    {
      name: '6.1% in nstat output',
      files: { ...cluster, 'nodes/node-c/netstat-s.txt': nstat },
      findings: [{ subjects: ['Node/node-c'], evidence: [{ file: 'nodes/node-c/netstat-s.txt', line: 4 }, { file: 'nodes/node-c/netstat-s.txt', line: 3 }], severity: 'critical' }],
    },
  ],
});

describe('tcp-retransmits and interface-errors together', () => {
  it('names the interface errors of the same node as the cause', () => {
    const link = ipLink([lo, eth0('10.0.1.12', { rx: { bytes: 27_222_896_832, packets: 39_568_164, errors: 185_970 } })]);
    const run = runOnFiles([tcpRetransmits, interfaceErrors], { ...cluster, 'nodes/node-b/netstat-s.txt': lossy, 'nodes/node-b/ip-link.txt': link });
    const errors = run.findings.find((f) => f.rule === 'interface-errors')!;
    const retransmits = run.findings.find((f) => f.rule === 'tcp-retransmits')!;
    expect(retransmits.causedBy).toEqual([errors.id]);
    expect(errors.causes).toEqual([retransmits.id]);
  });
});
