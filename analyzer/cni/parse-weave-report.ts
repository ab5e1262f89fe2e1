/**
 * `weave report` (bundle: `nodes/<node>/weave/report.json`): the router's full state as JSON.
 *
 *   {
 *     "Ready": true,
 *     "Version": "2.8.1",
 *     "Router": {
 *       "Name": "5a:0b:3c:d2:2d:c1", "NickName": "node-a", "Encryption": false, "PeerDiscovery": true,
 *       "Connections": [
 *         { "Address": "10.0.1.12:6783", "Outbound": true, "State": "established",
 *           "Info": "fastdp 2a:c3:07:4e:1b:9a(node-b)", "Attrs": { "name": "fastdp", "mtu": 1376 } },
 *         { "Address": "10.0.1.14:6783", "Outbound": true, "State": "failed",
 *           "Info": "dial tcp 10.0.1.14:6783: connect: connection refused, retry: 2021-05-27 12:03:51 +0000 UTC" }
 *       ],
 *       "Peers": [ { "Name": "2a:c3:07:4e:1b:9a", "NickName": "node-b", "Connections": [
 *         { "Name": "5a:0b:3c:d2:2d:c1", "NickName": "node-a", "Address": "10.0.1.11:6783", "Outbound": false, "Established": true } ] } ],
 *       "Targets": ["10.0.1.12", "10.0.1.14"], "TrustedSubnets": []
 *     },
 *     "IPAM": {
 *       "Paxos": null, "Range": "10.32.0.0/12", "RangeNumIPs": 1048576, "ActiveIPs": 5,
 *       "DefaultSubnet": "10.32.0.0/12",
 *       "Entries": [ { "Token": "10.32.0.0", "Size": 524288, "Peer": "5a:0b:3c:d2:2d:c1", "Nickname": "node-a", "IsKnownPeer": true, "Version": 3 } ],
 *       "PendingAllocates": null
 *     }
 *   }
 *
 * The IPAM state follows weave's own `weave status` wording: ready when the ring has entries
 * and some owner is reachable; awaiting consensus while `Paxos` reports an elector.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { asArray, asObject, asStringArray, objectOrEmpty, type JsonObject } from '../kube/object-fields.js';
import { objectPath } from '../kube/object-path.js';
import type { ObjectSource } from '../kube/types.js';
import { parseJsonDocument } from './json-document.js';
import type { WeaveIpamState } from './weave-ipam-state.js';

export interface WeaveReportConnection {
  address: string;
  outbound: boolean;
  state: string;
  info: string;
  /** `fastdp` or `sleeve`, from `Attrs.name`. */
  overlay?: string;
  mtu?: number;
  /** Path in the report, for `report.source.at(path)`: `Router.Connections[2]`. */
  path: string;
}

export interface WeaveReportPeer {
  name: string;
  nickName: string;
  connections: { name: string; nickName: string; address: string; outbound: boolean; established: boolean }[];
  path: string;
}

export interface WeaveReportIpamEntry {
  token: string;
  size: number;
  peer: string;
  nickName: string;
  isKnownPeer: boolean;
}

export interface WeaveReport {
  file: string;
  source?: ObjectSource;
  ready?: boolean;
  version?: string;
  router?: {
    name: string;
    nickName: string;
    encryption: boolean;
    peerDiscovery: boolean;
    connections: WeaveReportConnection[];
    peers: WeaveReportPeer[];
    targets: string[];
    trustedSubnets: string[];
    /** `datapath (via ODP)` with fastdp; `weave` bridge otherwise. */
    interface?: string;
  };
  ipam?: {
    state: WeaveIpamState;
    range?: string;
    rangeSize?: number;
    activeAddresses?: number;
    defaultSubnet?: string;
    paxos?: { elector: boolean; knownNodes?: number; quorum?: number };
    entries: WeaveReportIpamEntry[];
    pendingAllocates: string[];
  };
}

export function parseWeaveReport(file: SourceFile): ParseResult<WeaveReport> {
  const parsed = parseJsonDocument(file);
  const report: WeaveReport = { file: file.path };
  if (!parsed.value) return { value: report, issues: parsed.issues };
  const { root, source } = parsed.value;
  report.source = source;
  const issues: ParseIssue[] = [];
  const object = asObject(root);
  if (!object) {
    const evidence = source.at();
    issues.push({ code: 'UNEXPECTED_SHAPE', file: file.path, line: evidence.line, message: 'a weave report is a JSON object', text: evidence.text });
    return { value: report, issues };
  }
  if (typeof object.Ready === 'boolean') report.ready = object.Ready;
  if (typeof object.Version === 'string') report.version = object.Version;
  const router = asObject(object.Router);
  if (router) report.router = readRouter(router);
  const ipam = asObject(object.IPAM);
  if (ipam) report.ipam = readIpam(ipam);
  if (!router && !ipam) {
    const evidence = source.at();
    issues.push({ code: 'UNEXPECTED_SHAPE', file: file.path, line: evidence.line, message: 'no Router or IPAM section: not a `weave report`', text: evidence.text });
  }
  return { value: report, issues };
}

function readRouter(router: JsonObject): NonNullable<WeaveReport['router']> {
  const result: NonNullable<WeaveReport['router']> = {
    name: text(router.Name),
    nickName: text(router.NickName),
    encryption: router.Encryption === true,
    peerDiscovery: router.PeerDiscovery === true,
    connections: [],
    peers: [],
    targets: asStringArray(router.Targets),
    trustedSubnets: asStringArray(router.TrustedSubnets),
  };
  if (typeof router.Interface === 'string') result.interface = router.Interface;
  asArray(router.Connections).forEach((entry, index) => {
    const connection = objectOrEmpty(entry);
    const attrs = objectOrEmpty(connection.Attrs);
    const read: WeaveReportConnection = {
      address: text(connection.Address),
      outbound: connection.Outbound === true,
      state: text(connection.State),
      info: text(connection.Info),
      path: objectPath('Router', 'Connections', index),
    };
    if (typeof attrs.name === 'string') read.overlay = attrs.name;
    if (typeof attrs.mtu === 'number') read.mtu = attrs.mtu;
    result.connections.push(read);
  });
  asArray(router.Peers).forEach((entry, index) => {
    const peer = objectOrEmpty(entry);
    result.peers.push({
      name: text(peer.Name),
      nickName: text(peer.NickName),
      connections: asArray(peer.Connections).map((value) => {
        const connection = objectOrEmpty(value);
        return {
          name: text(connection.Name),
          nickName: text(connection.NickName),
          address: text(connection.Address),
          outbound: connection.Outbound === true,
          established: connection.Established === true,
        };
      }),
      path: objectPath('Router', 'Peers', index),
    });
  });
  return result;
}

function readIpam(ipam: JsonObject): NonNullable<WeaveReport['ipam']> {
  const entries: WeaveReportIpamEntry[] = asArray(ipam.Entries).map((value) => {
    const entry = objectOrEmpty(value);
    return {
      token: text(entry.Token),
      size: typeof entry.Size === 'number' ? entry.Size : 0,
      peer: text(entry.Peer),
      nickName: text(entry.Nickname),
      isKnownPeer: entry.IsKnownPeer === true,
    };
  });
  const pendingAllocates = asStringArray(ipam.PendingAllocates);
  const paxosObject = asObject(ipam.Paxos);
  const result: NonNullable<WeaveReport['ipam']> = { state: 'unknown', entries, pendingAllocates };
  if (paxosObject) {
    const paxos: NonNullable<typeof result.paxos> = { elector: paxosObject.Elector === true };
    if (typeof paxosObject.KnownNodes === 'number') paxos.knownNodes = paxosObject.KnownNodes;
    if (typeof paxosObject.Quorum === 'number') paxos.quorum = paxosObject.Quorum;
    result.paxos = paxos;
  }
  if (typeof ipam.Range === 'string') result.range = ipam.Range;
  if (typeof ipam.RangeNumIPs === 'number') result.rangeSize = ipam.RangeNumIPs;
  if (typeof ipam.ActiveIPs === 'number') result.activeAddresses = ipam.ActiveIPs;
  if (typeof ipam.DefaultSubnet === 'string') result.defaultSubnet = ipam.DefaultSubnet;
  // The same decision as weave's status template.
  if (entries.length > 0) {
    if (!entries.some((entry) => entry.size > 0 && entry.isKnownPeer)) result.state = 'owners-unreachable';
    else if (pendingAllocates.length > 0) result.state = 'waiting-for-addresses';
    else result.state = 'ready';
  } else if (result.paxos) {
    result.state = result.paxos.elector ? 'awaiting-consensus' : 'priming';
  } else {
    result.state = 'idle';
  }
  return result;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
