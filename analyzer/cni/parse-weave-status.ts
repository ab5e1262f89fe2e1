/**
 * `weave status` followed by `weave status connections` (bundle: `nodes/<node>/weave/status.txt`,
 * run in the weave-net pod). `weave status ipam` and `weave status peers` are read too.
 *
 *           Version: 2.8.1 (up to date; next check at 2021/05/27 12:53:53)
 *
 *           Service: router
 *          Protocol: weave 1..2
 *              Name: 5a:0b:3c:d2:2d:c1(node-a)
 *        Encryption: disabled
 *     PeerDiscovery: enabled
 *           Targets: 2
 *       Connections: 2 (1 established, 1 failed)
 *             Peers: 2 (with 2 established connections)
 *    TrustedSubnets: none
 *
 *           Service: ipam
 *            Status: ready
 *             Range: 10.32.0.0/12
 *     DefaultSubnet: 10.32.0.0/12
 *
 *   -> 10.0.1.12:6783        established fastdp 2a:c3:07:4e:1b:9a(node-b) mtu=1376
 *   <- 10.0.1.13:40586       established sleeve 7e:11:52:ab:39:0c(node-c) mtu=1438
 *   -> 10.0.1.14:6783        failed      dial tcp 10.0.1.14:6783: connect: connection refused, retry: 2021-05-27 12:03:51 +0000 UTC
 *
 * A connection's info names the overlay: `fastdp` (kernel VXLAN through the datapath) or
 * `sleeve` (weave's userspace UDP encapsulation, the slow fallback when fastdp cannot be used),
 * preceded by `encrypted`/`unencrypted` when a password is set.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { weaveIpamStateFromText, type WeaveIpamState } from './weave-ipam-state.js';

export interface WeaveStatusField {
  key: string;
  value: string;
  line: number;
}

export interface WeaveRouterStatus {
  line: number;
  protocol?: string;
  /** The peer name (a MAC) and nickname (the host name): `5a:0b:3c:d2:2d:c1(node-a)`. */
  peerName?: string;
  nickName?: string;
  encryption?: boolean;
  peerDiscovery?: boolean;
  targets?: number;
  /** `Connections: 3 (1 established, 1 pending, 1 failed)`: the total and the count per state. */
  connections?: { total: number; byState: Record<string, number>; line: number };
  /** `Peers: 3 (with 4 established, 2 pending connections)`. */
  peers?: { total: number; established?: number; pending?: number; line: number };
  trustedSubnets: string[];
}

export interface WeaveIpamStatus {
  line: number;
  /** The `Status:` (2.x) or `Consensus:` (1.x) text. */
  statusText?: string;
  state: WeaveIpamState;
  /** From `awaiting consensus (quorum: 2, known: 1)`. */
  quorum?: number;
  knownNodes?: number;
  range?: string;
  defaultSubnet?: string;
  statusLine?: number;
}

export interface WeaveConnection {
  /** `->` (this peer connected out) or `<-`. */
  outbound: boolean;
  address: string;
  /** `established`, `pending`, `connecting`, `retrying`, `failed`, `waiting`. */
  state: string;
  info: string;
  /** `fastdp` or `sleeve`, for established and pending connections. */
  overlay?: string;
  /** `encrypted`/`unencrypted`, when a password is set. */
  encryption?: string;
  peerName?: string;
  peerNickName?: string;
  mtu?: number;
  /** The error of a failed or retrying connection. */
  error?: string;
  /** When a failed connection is tried again, as printed. */
  retry?: string;
  line: number;
}

export interface WeaveIpamOwner {
  peerName: string;
  nickName: string;
  addresses: number;
  percent: number;
  /** The local peer's line ends `(N active)`. */
  active?: number;
  /** `- unreachable!`: the peer owning this share of the range is gone. */
  unreachable: boolean;
  line: number;
}

export interface WeavePeer {
  peerName: string;
  nickName: string;
  connections: { outbound: boolean; address: string; peerName: string; nickName: string; established: boolean; line: number }[];
  line: number;
}

export interface WeaveStatus {
  file: string;
  version?: { text: string; line: number };
  router?: WeaveRouterStatus;
  ipam?: WeaveIpamStatus;
  /** Every `Key: value`, under the service it belongs to (`router`, `ipam`, `dns`, `proxy`; '' before any). */
  fields: Record<string, WeaveStatusField[]>;
  connections: WeaveConnection[];
  ipamOwners: WeaveIpamOwner[];
  peers: WeavePeer[];
}

const FIELD = /^([A-Za-z][A-Za-z ]*?):\s+(.*)$/;
const CONNECTION = /^(->|<-)\s+(\S+)\s+(\S+)\s*(.*)$/;
const PEER_NAME = '([0-9a-f]{2}(?::[0-9a-f]{2}){5})\\(([^)]*)\\)';
const OVERLAY_INFO = new RegExp(`^(?:(encrypted|unencrypted)\\s+)?(\\S+)\\s+${PEER_NAME}(.*)$`);
const IPAM_OWNER = new RegExp(`^${PEER_NAME}\\s+(\\d+) IPs \\(([\\d.]+)% of total\\)\\s*(.*)$`);
const PEER_LINE = new RegExp(`^${PEER_NAME}$`);
const PEER_CONNECTION = new RegExp(`^(->|<-)\\s+(\\S+)\\s+${PEER_NAME}\\s+(established|pending|unestablished)$`);

export function parseWeaveStatus(file: SourceFile): ParseResult<WeaveStatus> {
  const sink = new IssueSink(file.path);
  const status: WeaveStatus = { file: file.path, fields: Object.create(null) as Record<string, WeaveStatusField[]>, connections: [], ipamOwners: [], peers: [] };
  let service = '';
  let peer: WeavePeer | undefined;
  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;

    const peerConnection = peer && /^\s/.test(raw) ? PEER_CONNECTION.exec(text) : null;
    if (peer && peerConnection) {
      const [, arrow, address = '', peerName = '', nickName = '', state] = peerConnection;
      peer.connections.push({ outbound: arrow === '->', address, peerName, nickName, established: state === 'established', line });
      continue;
    }
    peer = undefined;
    const connection = CONNECTION.exec(text);
    if (connection) {
      status.connections.push(readConnection(connection, line));
      continue;
    }
    const peerLine = PEER_LINE.exec(text);
    if (peerLine) {
      peer = { peerName: peerLine[1]!, nickName: peerLine[2]!, connections: [], line };
      status.peers.push(peer);
      continue;
    }
    const owner = IPAM_OWNER.exec(text);
    if (owner) {
      status.ipamOwners.push(readIpamOwner(owner, line));
      continue;
    }
    const field = FIELD.exec(text);
    if (!field) {
      sink.add('BAD_LINE', line, 'not a line of `weave status` (`Key: value`, or a connection `-> address state info`)', { text: raw });
      continue;
    }
    const key = field[1]!;
    const value = field[2]!.trim();
    if (key === 'Service') {
      service = value;
      if (value === 'router') status.router = { line, trustedSubnets: [] };
      else if (value === 'ipam') status.ipam = { line, state: 'unknown' };
    } else if (key === 'Version') {
      status.version = { text: value, line };
    } else if (service === 'router' && status.router) {
      readRouterField(status.router, key, value, line, sink, raw);
    } else if (service === 'ipam' && status.ipam) {
      readIpamField(status.ipam, key, value, line);
    }
    (status.fields[service] ??= []).push({ key, value, line });
  }
  return { value: status, issues: sink.finish() };
}

function readRouterField(router: WeaveRouterStatus, key: string, value: string, line: number, sink: IssueSink, raw: string): void {
  switch (key) {
    case 'Protocol':
      router.protocol = value;
      return;
    case 'Name': {
      const name = new RegExp(`^${PEER_NAME}$`).exec(value);
      if (name) {
        router.peerName = name[1]!;
        router.nickName = name[2]!;
      } else {
        router.peerName = value;
      }
      return;
    }
    case 'Encryption':
      router.encryption = value === 'enabled';
      return;
    case 'PeerDiscovery':
      router.peerDiscovery = value === 'enabled';
      return;
    case 'Targets':
      if (/^\d+$/.test(value)) router.targets = Number(value);
      return;
    case 'Connections': {
      const total = /^(\d+)/.exec(value);
      if (!total) {
        sink.add('BAD_LINE', line, 'expected `Connections: <count> (<n> <state>, ...)`', { text: raw });
        return;
      }
      const byState: Record<string, number> = Object.create(null) as Record<string, number>;
      for (const [, count, state] of value.matchAll(/(\d+) (established|pending|retrying|failed|connecting|waiting)/g)) {
        byState[state!] = Number(count);
      }
      router.connections = { total: Number(total[1]), byState, line };
      return;
    }
    case 'Peers': {
      const total = /^(\d+)/.exec(value);
      if (!total) return;
      router.peers = { total: Number(total[1]), line };
      const established = /(\d+) established/.exec(value);
      if (established) router.peers.established = Number(established[1]);
      const pending = /(\d+) pending/.exec(value);
      if (pending) router.peers.pending = Number(pending[1]);
      return;
    }
    case 'TrustedSubnets':
      router.trustedSubnets = value === 'none' ? [] : value.split(/,\s*/);
      return;
    // Other keys are kept in `fields` only.
  }
}

function readIpamField(ipam: WeaveIpamStatus, key: string, value: string, line: number): void {
  if (key === 'Status' || key === 'Consensus') {
    ipam.statusText = value;
    ipam.statusLine = line;
    ipam.state = weaveIpamStateFromText(value);
    const quorum = /quorum: (\d+), known: (\d+)/.exec(value);
    if (quorum) {
      ipam.quorum = Number(quorum[1]);
      ipam.knownNodes = Number(quorum[2]);
    }
  } else if (key === 'Range') {
    ipam.range = value;
  } else if (key === 'DefaultSubnet') {
    ipam.defaultSubnet = value;
  }
}

function readConnection(match: RegExpExecArray, line: number): WeaveConnection {
  const [, arrow, address = '', state = '', rest = ''] = match;
  const connection: WeaveConnection = { outbound: arrow === '->', address, state, info: rest.trim(), line };
  if (state === 'failed') {
    const retry = /^(.*), retry: (.*)$/.exec(connection.info);
    connection.error = retry ? retry[1]! : connection.info;
    if (retry) connection.retry = retry[2]!;
    return connection;
  }
  if (state === 'retrying') {
    connection.error = connection.info;
    return connection;
  }
  const overlay = OVERLAY_INFO.exec(connection.info);
  if (overlay) {
    const [, encryption, overlayName = '', peerName = '', nickName = '', attributes = ''] = overlay;
    if (encryption !== undefined) connection.encryption = encryption;
    connection.overlay = overlayName;
    connection.peerName = peerName;
    connection.peerNickName = nickName;
    const mtu = /\bmtu=(\d+)/.exec(attributes);
    if (mtu) connection.mtu = Number(mtu[1]);
  }
  return connection;
}

function readIpamOwner(match: RegExpExecArray, line: number): WeaveIpamOwner {
  const [, peerName = '', nickName = '', addresses = '0', percent = '0', note = ''] = match;
  const owner: WeaveIpamOwner = { peerName, nickName, addresses: Number(addresses), percent: Number(percent), unreachable: note.includes('unreachable'), line };
  const active = /\((\d+) active\)/.exec(note);
  if (active) owner.active = Number(active[1]);
  return owner;
}
