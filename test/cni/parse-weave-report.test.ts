import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseWeaveReport } from '../../analyzer/cni/parse-weave-report.js';

const file = (text: string) => new SourceFile('nodes/node-a/weave/report.json', text);

/** `weave report` on node-a, Weave Net 2.8.1 (4-space indentation as weave prints it; DNS and captures cut). */
const REPORT = `{
    "Ready": true,
    "Version": "2.8.1",
    "VersionCheck": {
        "Enabled": false,
        "Success": false,
        "NewVersion": "",
        "NextCheckAt": "0001-01-01T00:00:00Z"
    },
    "Router": {
        "Protocol": "weave",
        "ProtocolMinVersion": 1,
        "ProtocolMaxVersion": 2,
        "Encryption": false,
        "PeerDiscovery": true,
        "Name": "5a:0b:3c:d2:2d:c1",
        "NickName": "node-a",
        "Port": 6783,
        "Peers": [
            {
                "Name": "5a:0b:3c:d2:2d:c1",
                "NickName": "node-a",
                "UID": 7716316924432813829,
                "ShortID": 1817,
                "Version": 6,
                "Connections": [
                    {
                        "Name": "2a:c3:07:4e:1b:9a",
                        "NickName": "node-b",
                        "Address": "10.0.1.12:6783",
                        "Outbound": true,
                        "Established": true
                    }
                ]
            },
            {
                "Name": "2a:c3:07:4e:1b:9a",
                "NickName": "node-b",
                "UID": 4486301734582123370,
                "ShortID": 2219,
                "Version": 4,
                "Connections": [
                    {
                        "Name": "5a:0b:3c:d2:2d:c1",
                        "NickName": "node-a",
                        "Address": "10.0.1.11:52132",
                        "Outbound": false,
                        "Established": true
                    }
                ]
            }
        ],
        "UnicastRoutes": null,
        "BroadcastRoutes": null,
        "Connections": [
            {
                "Address": "10.0.1.12:6783",
                "Outbound": true,
                "State": "established",
                "Info": "fastdp 2a:c3:07:4e:1b:9a(node-b)",
                "Attrs": {
                    "mtu": 1376,
                    "name": "fastdp"
                }
            },
            {
                "Address": "10.0.1.14:6783",
                "Outbound": true,
                "State": "failed",
                "Info": "dial tcp 10.0.1.14:6783: connect: connection refused, retry: 2024-03-02 01:03:51.281957781 +0000 UTC m=+32.649105417",
                "Attrs": null
            }
        ],
        "TerminationCount": 0,
        "Targets": [
            "10.0.1.12",
            "10.0.1.14"
        ],
        "OverlayDiagnostics": {
            "fastdp": {
                "Vports": null,
                "Flows": null
            },
            "sleeve": null
        },
        "TrustedSubnets": [],
        "Interface": "datapath (via ODP)",
        "CaptureStats": {
            "FlowMisses": 41
        },
        "MACs": null
    },
    "IPAM": {
        "Paxos": null,
        "Range": "10.32.0.0/12",
        "RangeNumIPs": 1048576,
        "ActiveIPs": 5,
        "DefaultSubnet": "10.32.0.0/12",
        "Entries": [
            {
                "Token": "10.32.0.0",
                "Size": 524288,
                "Peer": "5a:0b:3c:d2:2d:c1",
                "Nickname": "node-a",
                "IsKnownPeer": true,
                "Version": 3
            },
            {
                "Token": "10.40.0.0",
                "Size": 524288,
                "Peer": "2a:c3:07:4e:1b:9a",
                "Nickname": "node-b",
                "IsKnownPeer": true,
                "Version": 2
            }
        ],
        "PendingClaims": null,
        "PendingAllocates": null
    }
}
`;

describe('parseWeaveReport', () => {
  it('reads connections with their overlay and positions, peers, targets and IPAM', () => {
    const { value, issues } = parseWeaveReport(file(REPORT));
    expect(issues).toEqual([]);
    expect(value).toMatchObject({ ready: true, version: '2.8.1' });
    const router = value.router!;
    expect(router).toMatchObject({ name: '5a:0b:3c:d2:2d:c1', nickName: 'node-a', encryption: false, peerDiscovery: true, targets: ['10.0.1.12', '10.0.1.14'], trustedSubnets: [], interface: 'datapath (via ODP)' });
    expect(router.connections.map((c) => [c.address, c.state, c.overlay, c.mtu, c.path])).toEqual([
      ['10.0.1.12:6783', 'established', 'fastdp', 1376, 'Router.Connections[0]'],
      ['10.0.1.14:6783', 'failed', undefined, undefined, 'Router.Connections[1]'],
    ]);
    // A finding cites the failed connection's state line.
    expect(value.source!.at(`${router.connections[1]!.path}.State`)).toMatchObject({ line: 69, text: '"State": "failed",' });
    expect(router.peers.map((p) => [p.nickName, p.connections.map((c) => [c.nickName, c.established]), p.path])).toEqual([
      ['node-a', [['node-b', true]], 'Router.Peers[0]'],
      ['node-b', [['node-a', true]], 'Router.Peers[1]'],
    ]);
    expect(value.ipam).toEqual({
      state: 'ready',
      range: '10.32.0.0/12',
      rangeSize: 1048576,
      activeAddresses: 5,
      defaultSubnet: '10.32.0.0/12',
      entries: [
        { token: '10.32.0.0', size: 524288, peer: '5a:0b:3c:d2:2d:c1', nickName: 'node-a', isKnownPeer: true },
        { token: '10.40.0.0', size: 524288, peer: '2a:c3:07:4e:1b:9a', nickName: 'node-b', isKnownPeer: true },
      ],
      pendingAllocates: [],
    });
  });

  it("derives the IPAM state as weave's status does", () => {
    const ipam = (body: string) => parseWeaveReport(file(`{ "Router": { "Name": "x" }, "IPAM": ${body} }`)).value.ipam;
    expect(ipam('{ "Paxos": { "Elector": true, "KnownNodes": 1, "Quorum": 2 }, "Entries": null }')).toMatchObject({ state: 'awaiting-consensus', paxos: { elector: true, knownNodes: 1, quorum: 2 } });
    expect(ipam('{ "Paxos": { "Elector": false }, "Entries": null }')!.state).toBe('priming');
    expect(ipam('{ "Paxos": null, "Entries": null }')!.state).toBe('idle');
    expect(ipam('{ "Entries": [ { "Token": "10.32.0.0", "Size": 1048576, "Peer": "gone", "IsKnownPeer": false } ] }')!.state).toBe('owners-unreachable');
    expect(ipam('{ "Entries": [ { "Size": 1048576, "IsKnownPeer": true } ], "PendingAllocates": ["abc 10.32.0.0/12"] }')!.state).toBe('waiting-for-addresses');
  });

  it('reports invalid JSON and wrong shapes at their lines, and never throws', () => {
    const truncated = parseWeaveReport(file(REPORT.slice(0, 1500)));
    expect(truncated.value.router).toBeUndefined();
    expect(truncated.issues).toMatchObject([{ code: 'INVALID_JSON' }]);
    expect(parseWeaveReport(file('[1, 2]')).issues).toMatchObject([{ code: 'UNEXPECTED_SHAPE', line: 1 }]);
    expect(parseWeaveReport(file('\n\n{ "Hello": 1 }')).issues).toMatchObject([{ code: 'UNEXPECTED_SHAPE', line: 3 }]);
    for (const hostile of ['', 'null', '{"Router": [], "IPAM": 7}', '{"Router": {"Connections": [null, 1, "x"], "Peers": [null]}, "IPAM": {"Entries": [null, 5]}}']) {
      expect(() => parseWeaveReport(file(hostile))).not.toThrow();
    }
  });
});
