import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCalicoctlNodeStatus, type CalicoBgpPeer } from '../../analyzer/cni/parse-calicoctl-node-status.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './cni-samples.js';

const file = (text: string) => new SourceFile('nodes/node-a/calico/node-status.txt', text);
const row = (p: CalicoBgpPeer) => [p.family, p.address, p.peerType, p.state, p.since, p.info, p.established, p.line];

/** calicoctl 3.x on a 3-node mesh where TCP 179 to one node is blocked (INFO wraps). */
const MESH_ONE_DOWN = `Calico process is running.

IPv4 BGP status
+--------------+-------------------+-------+----------+--------------------------------+
| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |              INFO              |
+--------------+-------------------+-------+----------+--------------------------------+
| 10.0.0.11    | node-to-node mesh | up    | 09:12:45 | Established                    |
| 10.0.0.12    | node-to-node mesh | start | 09:12:44 | Active Socket: Connection      |
|              |                   |       |          | refused                        |
| 10.0.0.13    | node-to-node mesh | start | 09:12:44 | Connect                        |
+--------------+-------------------+-------+----------+--------------------------------+

IPv6 BGP status
No IPv6 peers found.

`;

describe('parseCalicoctlNodeStatus', () => {
  it('reads the peer table, joining wrapped INFO cells, with one line per peer', () => {
    const { value, issues } = parseCalicoctlNodeStatus(file(MESH_ONE_DOWN));
    expect(issues).toEqual([]);
    expect(value.processRunning).toBe(true);
    expect(value.processLine).toBe(1);
    expect(value.sections).toEqual([
      { family: 4, line: 3, noPeers: false },
      { family: 6, line: 13, noPeers: true },
    ]);
    expect(value.peers.map(row)).toEqual([
      [4, '10.0.0.11', 'node-to-node mesh', 'up', '09:12:45', 'Established', true, 7],
      [4, '10.0.0.12', 'node-to-node mesh', 'start', '09:12:44', 'Active Socket: Connection refused', false, 8],
      [4, '10.0.0.13', 'node-to-node mesh', 'start', '09:12:44', 'Connect', false, 10],
    ]);
  });

  it('reads a node that is not running, one without a BGP daemon, and one whose BIRD socket is closed', () => {
    const down = parseCalicoctlNodeStatus(file('Calico process is not running.\n'));
    expect(down.issues).toEqual([]);
    expect(down.value).toMatchObject({ processRunning: false, processLine: 1, peers: [], sections: [] });

    const noBackend = parseCalicoctlNodeStatus(file('Calico process is running.\n\nNone of the BGP backend processes (BIRD or GoBGP) are running.\n'));
    expect(noBackend.issues).toEqual([]);
    expect(noBackend.value).toMatchObject({ processRunning: true, bgpBackendRunning: false, bgpBackendLine: 3 });

    const socket = parseCalicoctlNodeStatus(
      file(
        'Calico process is running.\n\nIPv4 BGP status\nError executing command: unable to connect to BIRDv4 socket: dial unix /var/run/calico/bird.ctl: connect: connection refused\n',
      ),
    );
    expect(socket.issues).toEqual([]);
    expect(socket.value.sections).toEqual([
      { family: 4, line: 3, noPeers: false, error: 'Error executing command: unable to connect to BIRDv4 socket: dial unix /var/run/calico/bird.ctl: connect: connection refused' },
    ]);
  });

  it('turns truncated rows and garbage into positioned issues, keeping the good rows', () => {
    const text = `Calico process is running.
IPv4 BGP status
| 10.0.0.9     | global            | up    | 09:00:00 | Established |
+--------------+-------------------+-------+----------+-------------+
| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |
+--------------+-------------------+-------+----------+-------------+
|              |                   |       |          | orphan      |
| 10.0.0.11    | node-to-node mesh | up    | 09:12:45 | Established |
| 10.0.0.14    | node-to-node mesh | up
segmentation fault (core dumped)
`;
    const { value, issues } = parseCalicoctlNodeStatus(file(text));
    expect(value.peers.map((p) => [p.address, p.line])).toEqual([['10.0.0.11', 8]]);
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 3],
      ['BAD_LINE', 7],
      ['BAD_LINE', 9],
      ['BAD_LINE', 10],
    ]);
    expect(issues[2]!.message).toContain('truncated');
  });

  it('never throws on hostile input', () => {
    for (const hostile of ['|', '||||||', '| PEER ADDRESS |', '+', '\u0000|\u0000|', 'IPv4 BGP status\n|'.repeat(50)]) {
      expect(() => parseCalicoctlNodeStatus(file(hostile))).not.toThrow();
    }
  });

  it('reads the samples: node-specific peer with a BGP error, IPv6 Passive mesh, the old header, a global peer, a date in SINCE', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const error = parseCalicoctlNodeStatus(sampleSection('calicoctl-node-status-1.txt', 0));
    expect(error.issues).toEqual([]);
    expect(error.value.peers.map(row)).toEqual([[4, '172.30.30.11', 'node specific', 'start', '14:50:02', 'Idle BGP Error: Bad BGP identifier', false, 8]]);
    expect(error.value.sections.map((s) => [s.family, s.noPeers])).toEqual([
      [4, false],
      [6, true],
    ]);

    const passive = parseCalicoctlNodeStatus(sampleSection('calicoctl-node-status-2.txt', 0));
    expect(passive.issues).toEqual([]);
    expect(passive.value.peers.map((p) => [p.family, p.info, p.established, p.line])).toEqual([
      [6, 'Passive', false, 11],
      [6, 'Passive', false, 12],
    ]);

    const old = parseCalicoctlNodeStatus(sampleSection('calicoctl-node-status-2.txt', 1));
    expect(old.issues).toEqual([]);
    expect(old.value.processRunning).toBe(true);
    expect(old.value.peers.map((p) => [p.family, p.address, p.established])).toEqual([
      [4, '172.17.8.102', true],
      [6, 'fd80:24e2:f998:72d7::2', true],
    ]);

    const global = parseCalicoctlNodeStatus(sampleSection('calicoctl-node-status-2.txt', 2));
    expect(global.value.peers.map((p) => [p.peerType, p.established])).toEqual([['global', true]]);

    const dated = parseCalicoctlNodeStatus(sampleSection('calicoctl-node-status-2.txt', 3));
    expect(dated.issues).toEqual([]);
    expect(dated.value.peers.map((p) => [p.address, p.since, p.info, p.established])).toEqual([
      ['172.28.138.128', '2021-11-09', 'Established', true],
      ['172.28.252.244', '2021-11-09', 'Established', true],
      ['172.20.196.48', '01:50:43', 'Connect', false],
    ]);
  });
});
