/**
 * `calicoctl node status` (bundle: `nodes/<node>/calico/node-status.txt`):
 *
 *   Calico process is running.
 *
 *   IPv4 BGP status
 *   +--------------+-------------------+-------+----------+--------------------------------+
 *   | PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |              INFO              |
 *   +--------------+-------------------+-------+----------+--------------------------------+
 *   | 172.17.8.102 | node-to-node mesh | up    | 23:18:20 | Established                    |
 *   | 172.30.30.11 | node specific     | start | 14:50:02 | Idle BGP Error: Bad BGP        |
 *   |              |                   |       |          | identifier                     |
 *   +--------------+-------------------+-------+----------+--------------------------------+
 *
 *   IPv6 BGP status
 *   No IPv6 peers found.
 *
 * The table is BIRD's protocol list: STATE is BIRD's protocol state (up, start, stop, down,
 * passive) and INFO the BGP state (Established, Connect, Active, Idle, OpenSent, Passive) with
 * BIRD's last error appended (`Idle BGP Error: Bad BGP identifier`, `Connect Socket: Connection
 * refused`). A long INFO wraps onto rows whose other cells are empty; they are joined back.
 * Older calicoctl printed `calico-node container is running. Status: Up 58 seconds`. Rows may
 * appear without a section heading (pasted tables): the family then comes from the address.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';

export interface CalicoBgpPeer {
  family: 4 | 6;
  address: string;
  /** `node-to-node mesh`, `global`, `node specific` (as printed). */
  peerType: string;
  /** BIRD's protocol state: `up`, `start`, `stop`, `down`, `passive`. */
  state: string;
  /** A time of day, or a date when the state is older than a day. */
  since: string;
  /** The BGP state and BIRD's last error, wrapped rows joined: `Established`, `Connect Socket: Connection refused`. */
  info: string;
  /** The session is up: INFO starts with Established. */
  established: boolean;
  line: number;
}

export interface CalicoBgpSection {
  family: 4 | 6;
  /** The `IPv4 BGP status` line. */
  line: number;
  /** `No IPv4 peers found.` */
  noPeers: boolean;
  /** calicoctl could not ask BIRD (`Error executing command: unable to connect to BIRDv4 socket ...`). */
  error?: string;
}

export interface CalicoNodeStatus {
  file: string;
  /** Whether calico-node runs (`Calico process is running.` / `is not running.`). */
  processRunning?: boolean;
  processLine?: number;
  /** False on `None of the BGP backend processes (BIRD or GoBGP) are running.` */
  bgpBackendRunning?: boolean;
  bgpBackendLine?: number;
  sections: CalicoBgpSection[];
  peers: CalicoBgpPeer[];
}

const PROCESS = /^(?:Calico process|calico-node container) (?:is )?(not )?running\b/i;
const SECTION = /^IPv([46]) BGP status$/;
const NO_PEERS = /^No IPv([46]) peers found\.?$/;
const NO_BACKEND = /^None of the BGP backend processes .* (?:are|is) running/;
const COLUMNS = ['PEER ADDRESS', 'PEER TYPE', 'STATE', 'SINCE', 'INFO'] as const;

export function parseCalicoctlNodeStatus(file: SourceFile): ParseResult<CalicoNodeStatus> {
  const sink = new IssueSink(file.path);
  const status: CalicoNodeStatus = { file: file.path, sections: [], peers: [] };
  let section: CalicoBgpSection | undefined;
  /** Index of each known column in the current table's cells; undefined until a header is seen. */
  let columnIndex: number[] | undefined;
  let last: CalicoBgpPeer | undefined;

  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (text.startsWith('+') && /^\+[-+]*$/.test(text)) continue;

    if (text.startsWith('|')) {
      const cells = tableCells(text);
      if (cells.includes('PEER ADDRESS')) {
        columnIndex = COLUMNS.map((name) => cells.indexOf(name));
        if (columnIndex.some((i) => i < 0)) {
          sink.add('UNEXPECTED_SHAPE', line, `a BGP peer table needs the columns ${COLUMNS.join(', ')}`, { text: raw });
          columnIndex = undefined;
        }
        last = undefined;
        continue;
      }
      if (!columnIndex) {
        sink.add('BAD_LINE', line, 'table row before the PEER ADDRESS header', { text: raw });
        continue;
      }
      const cell = (column: number) => cells[columnIndex![column]!] ?? '';
      if (cells.length < COLUMNS.length) {
        sink.add('BAD_LINE', line, `a peer row has ${COLUMNS.length} cells, this one ${cells.length} (truncated?)`, { text: raw });
        last = undefined;
        continue;
      }
      if (cell(0) === '') {
        // A wrapped row: each non-empty cell continues the cell above.
        if (!last) {
          sink.add('BAD_LINE', line, 'continuation row without a peer row above it', { text: raw });
          continue;
        }
        const continued = cell(4);
        if (continued !== '') {
          last.info = `${last.info} ${continued}`;
          last.established = isEstablished(last.info);
        }
        if (cell(1) !== '') last.peerType = `${last.peerType} ${cell(1)}`;
        continue;
      }
      const address = cell(0);
      const family: 4 | 6 = section?.family ?? (address.includes(':') ? 6 : 4);
      last = { family, address, peerType: cell(1), state: cell(2), since: cell(3), info: cell(4), established: isEstablished(cell(4)), line };
      status.peers.push(last);
      continue;
    }

    columnIndex = undefined;
    last = undefined;
    const process = PROCESS.exec(text);
    if (process) {
      status.processRunning = process[1] === undefined;
      status.processLine = line;
      continue;
    }
    const heading = SECTION.exec(text);
    if (heading) {
      section = { family: heading[1] === '6' ? 6 : 4, line, noPeers: false };
      status.sections.push(section);
      continue;
    }
    const none = NO_PEERS.exec(text);
    if (none) {
      const family = none[1] === '6' ? 6 : 4;
      if (!section || section.family !== family) {
        section = { family, line, noPeers: true };
        status.sections.push(section);
      } else {
        section.noPeers = true;
      }
      continue;
    }
    if (NO_BACKEND.test(text)) {
      status.bgpBackendRunning = false;
      status.bgpBackendLine = line;
      continue;
    }
    if (section && /^Error\b/.test(text)) {
      section.error = section.error === undefined ? text : `${section.error} ${text}`;
      continue;
    }
    sink.add('BAD_LINE', line, 'not a line of `calicoctl node status`', { text: raw });
  }
  return { value: status, issues: sink.finish() };
}

function tableCells(text: string): string[] {
  const inner = text.endsWith('|') && text.length > 1 ? text.slice(1, -1) : text.slice(1);
  return inner.split('|').map((cell) => cell.trim());
}

function isEstablished(info: string): boolean {
  return /^Established\b/.test(info);
}
