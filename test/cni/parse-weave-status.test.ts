import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseWeaveStatus } from '../../analyzer/cni/parse-weave-status.js';

const file = (text: string) => new SourceFile('nodes/node-a/weave/status.txt', text);

/** `weave status` then `weave status connections`, Weave Net 2.8.1: one peer on sleeve, one unreachable. */
const STATUS_AND_CONNECTIONS = `
        Version: 2.8.1 (up to date; next check at 2024/03/02 01:14:08)

        Service: router
       Protocol: weave 1..2
           Name: 5a:0b:3c:d2:2d:c1(node-a)
     Encryption: disabled
  PeerDiscovery: enabled
        Targets: 3
    Connections: 3 (2 established, 1 failed)
          Peers: 3 (with 6 established connections)
 TrustedSubnets: none

        Service: ipam
         Status: ready
          Range: 10.32.0.0/12
  DefaultSubnet: 10.32.0.0/12

-> 10.0.1.12:6783        established fastdp 2a:c3:07:4e:1b:9a(node-b) mtu=1376
<- 10.0.1.13:40586       established sleeve 7e:11:52:ab:39:0c(node-c) mtu=1438
-> 10.0.1.14:6783        failed      dial tcp 10.0.1.14:6783: connect: connection refused, retry: 2024-03-02 01:03:51.281957781 +0000 UTC m=+32.649105417
`;

/** An encrypted mesh whose IPAM waits for a quorum (2.6.5, a newer version available). */
const AWAITING_CONSENSUS = `        Version: 2.6.5 (version 2.8.1 available - please upgrade!)

        Service: router
       Protocol: weave 1..2
           Name: 7e:11:52:ab:39:0c(node-c)
     Encryption: enabled
  PeerDiscovery: enabled
        Targets: 2
    Connections: 2 (1 established, 1 retrying)
          Peers: 2 (with 2 established connections)
 TrustedSubnets: 10.0.0.0/8, 192.168.0.0/16

        Service: ipam
         Status: awaiting consensus (quorum: 2, known: 1)
          Range: 10.32.0.0/12
  DefaultSubnet: 10.32.0.0/12

-> 10.0.1.12:6783        established encrypted   fastdp 2a:c3:07:4e:1b:9a(node-b) mtu=1376
-> 10.0.1.11:6783        retrying    dial tcp 10.0.1.11:6783: i/o timeout
`;

describe('parseWeaveStatus', () => {
  it('reads the router and IPAM sections and each connection with its overlay', () => {
    const { value, issues } = parseWeaveStatus(file(STATUS_AND_CONNECTIONS));
    expect(issues).toEqual([]);
    expect(value.version).toEqual({ text: '2.8.1 (up to date; next check at 2024/03/02 01:14:08)', line: 2 });
    expect(value.router).toEqual({
      line: 4,
      protocol: 'weave 1..2',
      peerName: '5a:0b:3c:d2:2d:c1',
      nickName: 'node-a',
      encryption: false,
      peerDiscovery: true,
      targets: 3,
      connections: { total: 3, byState: { established: 2, failed: 1 }, line: 10 },
      peers: { total: 3, established: 6, line: 11 },
      trustedSubnets: [],
    });
    expect(value.ipam).toEqual({ line: 14, statusText: 'ready', statusLine: 15, state: 'ready', range: '10.32.0.0/12', defaultSubnet: '10.32.0.0/12' });
    expect(value.connections).toEqual([
      { outbound: true, address: '10.0.1.12:6783', state: 'established', info: 'fastdp 2a:c3:07:4e:1b:9a(node-b) mtu=1376', overlay: 'fastdp', peerName: '2a:c3:07:4e:1b:9a', peerNickName: 'node-b', mtu: 1376, line: 19 },
      { outbound: false, address: '10.0.1.13:40586', state: 'established', info: 'sleeve 7e:11:52:ab:39:0c(node-c) mtu=1438', overlay: 'sleeve', peerName: '7e:11:52:ab:39:0c', peerNickName: 'node-c', mtu: 1438, line: 20 },
      {
        outbound: true,
        address: '10.0.1.14:6783',
        state: 'failed',
        info: 'dial tcp 10.0.1.14:6783: connect: connection refused, retry: 2024-03-02 01:03:51.281957781 +0000 UTC m=+32.649105417',
        error: 'dial tcp 10.0.1.14:6783: connect: connection refused',
        retry: '2024-03-02 01:03:51.281957781 +0000 UTC m=+32.649105417',
        line: 21,
      },
    ]);
    expect(value.fields.ipam!.map((f) => [f.key, f.line])).toEqual([
      ['Service', 14],
      ['Status', 15],
      ['Range', 16],
      ['DefaultSubnet', 17],
    ]);
  });

  it('reads encryption, trusted subnets, retrying connections and IPAM awaiting consensus', () => {
    const { value, issues } = parseWeaveStatus(file(AWAITING_CONSENSUS));
    expect(issues).toEqual([]);
    expect(value.router).toMatchObject({ encryption: true, trustedSubnets: ['10.0.0.0/8', '192.168.0.0/16'], connections: { total: 2, byState: { established: 1, retrying: 1 } } });
    expect(value.ipam).toMatchObject({ state: 'awaiting-consensus', quorum: 2, knownNodes: 1, statusLine: 14 });
    expect(value.connections.map((c) => [c.state, c.encryption, c.overlay, c.error, c.line])).toEqual([
      ['established', 'encrypted', 'fastdp', undefined, 18],
      ['retrying', undefined, undefined, 'dial tcp 10.0.1.11:6783: i/o timeout', 19],
    ]);
  });

  it('reads `weave status ipam` and `weave status peers`', () => {
    const text = `5a:0b:3c:d2:2d:c1(node-a)                 524288 IPs (50.0% of total) (12 active)
2a:c3:07:4e:1b:9a(node-b)                 262144 IPs (25.0% of total) 
7e:11:52:ab:39:0c(node-c)                 262144 IPs (25.0% of total) - unreachable!
5a:0b:3c:d2:2d:c1(node-a)
   -> 10.0.1.12:6783        2a:c3:07:4e:1b:9a(node-b)             established
   <- 10.0.1.13:40586       7e:11:52:ab:39:0c(node-c)             pending
2a:c3:07:4e:1b:9a(node-b)
   <- 10.0.1.11:52132       5a:0b:3c:d2:2d:c1(node-a)             established
`;
    const { value, issues } = parseWeaveStatus(file(text));
    expect(issues).toEqual([]);
    expect(value.ipamOwners).toEqual([
      { peerName: '5a:0b:3c:d2:2d:c1', nickName: 'node-a', addresses: 524288, percent: 50, active: 12, unreachable: false, line: 1 },
      { peerName: '2a:c3:07:4e:1b:9a', nickName: 'node-b', addresses: 262144, percent: 25, unreachable: false, line: 2 },
      { peerName: '7e:11:52:ab:39:0c', nickName: 'node-c', addresses: 262144, percent: 25, unreachable: true, line: 3 },
    ]);
    expect(value.peers.map((p) => [p.nickName, p.line, p.connections.map((c) => [c.outbound, c.nickName, c.established, c.line])])).toEqual([
      [
        'node-a',
        4,
        [
          [true, 'node-b', true, 5],
          [false, 'node-c', false, 6],
        ],
      ],
      ['node-b', 7, [[false, 'node-a', true, 8]]],
    ]);
    expect(value.connections).toEqual([]);
  });

  it('reads the 1.x IPAM wording (Consensus:) and reports garbage at its line', () => {
    const text = `       Service: ipam
     Consensus: waiting (quorum: 2, known: 1)
         Range: 10.32.0.0/12
%%% not weave %%%
       Service: router
   Connections: many
`;
    const { value, issues } = parseWeaveStatus(file(text));
    expect(value.ipam).toMatchObject({ state: 'awaiting-consensus', quorum: 2, knownNodes: 1, range: '10.32.0.0/12' });
    expect(value.router?.connections).toBeUndefined();
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 4],
      ['BAD_LINE', 6],
    ]);
    for (const hostile of ['->', '-> x', ':', 'Service:', '5a:0b:3c:d2:2d:c1(', '   -> 1 2(3) established', 'Connections: 1 (x established)']) {
      expect(() => parseWeaveStatus(file(hostile))).not.toThrow();
    }
  });
});
