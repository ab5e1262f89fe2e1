/**
 * Reads the interface listings of iproute2: `ip -d addr show` and `ip -d -s link show` share one
 * layout (a header per interface, indented detail lines), so one line state machine reads both.
 *
 *   7: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
 *       link/ether 8e:23:05:4d:c8:af brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535
 *       vxlan id 1 local 172.31.12.123 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 ...
 *       inet 10.244.1.0/32 scope global flannel.1
 *          valid_lft forever preferred_lft forever
 *       RX:  bytes packets errors dropped  missed   mcast
 *          898      11      0       0       0       0
 *
 * Statistics are read by their column headers, so both the older layout (`RX: bytes packets
 * errors dropped overrun mcast`) and the newer one (`RX:  bytes packets errors dropped missed
 * mcast`), the `-s -s` error breakdown lines and `-h` human units all land in the same counters.
 */
import type { SourceFile } from '../bundle/source-file.js';
import type { ParseResult } from '../bundle/parse-issue.js';
import { parseIpAddress } from '../netfilter/ip-cidr.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import type {
  InterfaceAddress,
  InterfaceListing,
  LinkCounters,
  LinkDetails,
  NetInterface,
} from './interface-types.js';

const HEADER = /^(\d+):\s+([^\s:]+):\s+<([^>]*)>(.*)$/;

/** Device-wide attributes `ip -d` prints after the kind-specific ones (or alone, for plain devices). */
const GENERIC_KEYS = new Set([
  'addrgenmode',
  'numtxqueues',
  'numrxqueues',
  'gso_max_size',
  'gso_max_segs',
  'tso_max_size',
  'tso_max_segs',
  'gro_max_size',
  'gso_ipv4_max_size',
  'gro_ipv4_max_size',
  'parentbus',
  'parentdev',
  'portname',
  'portid',
  'switchid',
  'promiscuity',
  'allmulti',
  'minmtu',
  'maxmtu',
]);

/** Keys whose value is a word rather than a number or an address (so the pairing cannot guess it). */
const WORD_VALUE_KEYS = new Set([
  'remote',
  'local',
  'dev',
  'group',
  'ttl',
  'tos',
  'df',
  'flowlabel',
  'protocol',
  'mode',
  'active_slave',
  'primary',
  'primary_reselect',
  'fail_over_mac',
  'xmit_hash_policy',
  'lacp_rate',
  'ad_select',
  'arp_validate',
  'arp_all_targets',
  'encap',
  'encap-sport',
  'encap-dport',
  'state',
  'addrgenmode',
  'parentbus',
  'parentdev',
  'designated_bridge',
  'designated_root',
  'bridge_id',
  'group_address',
  'type',
  'pi',
  'vnet_hdr',
  'persist',
  'external',
]);

const ADDRESS_FLAGS = new Set([
  'secondary',
  'primary',
  'dynamic',
  'deprecated',
  'tentative',
  'permanent',
  'noprefixroute',
  'autojoin',
  'nodad',
  'optimistic',
  'dadfailed',
  'home',
  'mngtmpaddr',
  'temporary',
  'stable-privacy',
]);

export function parseInterfaceListing(file: SourceFile): ParseResult<InterfaceListing> {
  const sink = new IssueSink(file.path);
  const interfaces: NetInterface[] = [];
  let current: NetInterface | undefined;
  let lastAddress: InterfaceAddress | undefined;
  /** A statistics header waiting for its line of numbers. */
  let pendingColumns: { direction: 'rx' | 'tx'; names: string[]; line: number } | undefined;

  const lineCount = file.lineCount;
  for (let lineNumber = 1; lineNumber <= lineCount; lineNumber++) {
    const raw = file.lineText(lineNumber);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;

    if (pendingColumns) {
      const columns = pendingColumns;
      pendingColumns = undefined;
      if (current && readCounterValues(current, columns, text)) continue;
      if (/^\s/.test(raw) && !/^(RX|TX)(:| errors:)/.test(text)) {
        sink.add('BAD_LINE', lineNumber, `unreadable counters for the statistics header at line ${columns.line}`, { text: raw });
        continue;
      }
      sink.add('BAD_LINE', columns.line, 'statistics header without a line of numbers after it', { text: file.lineText(columns.line) });
    }

    const header = /^\s/.test(raw) ? null : HEADER.exec(raw);
    if (header) {
      current = readHeader(header, lineNumber);
      lastAddress = undefined;
      interfaces.push(current);
      continue;
    }
    if (!current || !/^\s/.test(raw)) {
      sink.add('BAD_LINE', lineNumber, 'not an `ip link`/`ip addr` line', { text: raw });
      continue;
    }

    const tokens = text.split(/\s+/);
    const first = tokens[0]!;
    if (first.startsWith('link/')) {
      readLinkLine(current, tokens);
    } else if (first === 'inet' || first === 'inet6') {
      const address = readAddress(tokens, lineNumber);
      if (address) {
        current.addresses.push(address);
        lastAddress = address;
      } else {
        sink.add('BAD_LINE', lineNumber, `unreadable ${first} address`, { text: raw });
      }
    } else if (first === 'valid_lft') {
      if (lastAddress) readLifetimes(lastAddress, tokens);
    } else if (first === 'altname') {
      if (tokens[1]) current.altNames.push(tokens[1]);
    } else if (/^(RX|TX)(:| errors:)/.test(text)) {
      pendingColumns = readCounterHeader(text, lineNumber);
      if (!current.statistics) current.statistics = { rx: {}, tx: {}, line: lineNumber, approximate: false };
    } else if (first === 'alias' || first === 'vf' || first === 'prop' || first === 'cache') {
      // Free text (`alias`), SR-IOV virtual functions and property lists: not used by any check.
    } else {
      readDetailLine(current, tokens, lineNumber);
    }
  }
  if (pendingColumns) {
    sink.add('BAD_LINE', pendingColumns.line, 'statistics header at the end of the file without numbers', {
      text: file.lineText(pendingColumns.line),
    });
  }
  return { value: { file: file.path, interfaces }, issues: sink.finish() };
}

function readHeader(match: RegExpExecArray, line: number): NetInterface {
  const [, index, nameField, flagText, rest] = match;
  const at = nameField!.indexOf('@');
  const flags = flagText === '' ? [] : flagText!.split(',');
  const entry: NetInterface = {
    index: Number(index),
    name: at === -1 ? nameField! : nameField!.slice(0, at),
    flags,
    up: flags.includes('UP'),
    lowerUp: flags.includes('LOWER_UP'),
    altNames: [],
    addresses: [],
    line,
  };
  if (at !== -1) entry.link = nameField!.slice(at + 1);
  const tokens = rest!.trim().split(/\s+/);
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const key = tokens[i]!;
    const value = tokens[i + 1]!;
    switch (key) {
      case 'mtu':
        entry.mtu = toInteger(value);
        break;
      case 'qdisc':
        entry.qdisc = value;
        break;
      case 'master':
        entry.master = value;
        break;
      case 'state':
        entry.state = value;
        break;
      case 'mode':
        entry.mode = value;
        break;
      case 'group':
        entry.group = value;
        break;
      case 'qlen':
        entry.qlen = toInteger(value);
        break;
      default:
        // `link-netnsid`, `netns`, `event` and other rarely printed pairs carry nothing a check reads.
        break;
    }
  }
  return entry;
}

function readLinkLine(entry: NetInterface, tokens: string[]): void {
  entry.linkType = tokens[0]!.slice('link/'.length);
  let i = 1;
  if (tokens[i] !== undefined && tokens[i] !== 'brd' && !GENERIC_KEYS.has(tokens[i]!)) entry.address = tokens[i++];
  for (; i < tokens.length; i++) {
    const key = tokens[i]!;
    const value = tokens[i + 1];
    if (key === 'brd' || key === 'peer') {
      if (key === 'brd') entry.broadcast = value;
      i++;
    } else if (key === 'link-netnsid' || key === 'link-netns') {
      entry.linkNetns = value;
      i++;
    } else if (key === 'promiscuity') {
      entry.promiscuity = toInteger(value);
      i++;
    } else if (key === 'minmtu') {
      entry.minMtu = toInteger(value);
      i++;
    } else if (key === 'maxmtu') {
      entry.maxMtu = toInteger(value);
      i++;
    } else if (value !== undefined && (GENERIC_KEYS.has(key) || key === 'permaddr')) {
      i++;
    }
  }
}

/** A `-d` line: the link kind with its attributes, a `*_slave` line, or only generic attributes. */
function readDetailLine(entry: NetInterface, tokens: string[], line: number): void {
  const first = tokens[0]!;
  if (GENERIC_KEYS.has(first)) {
    readGenericAttributes(entry, tokens, 0);
    return;
  }
  if (first.endsWith('_slave')) {
    entry.slaveKind = first;
    return;
  }
  const attributes: Record<string, string> = {};
  let i = 1;
  while (i < tokens.length) {
    const key = tokens[i]!;
    if (GENERIC_KEYS.has(key)) break;
    const value = tokens[i + 1];
    if (key === 'srcport' && value !== undefined && tokens[i + 2] !== undefined) {
      attributes[key] = `${value} ${tokens[i + 2]}`;
      i += 3;
    } else if (value !== undefined && (WORD_VALUE_KEYS.has(key) || looksLikeValue(value)) && !GENERIC_KEYS.has(value)) {
      attributes[key] = value;
      i += 2;
    } else {
      attributes[key] = '';
      i += 1;
    }
  }
  readGenericAttributes(entry, tokens, i);
  entry.details = typedDetails(first, attributes, line);
}

function readGenericAttributes(entry: NetInterface, tokens: string[], from: number): void {
  for (let i = from; i + 1 < tokens.length; i++) {
    const key = tokens[i]!;
    if (key === 'minmtu') entry.minMtu = toInteger(tokens[++i]!);
    else if (key === 'maxmtu') entry.maxMtu = toInteger(tokens[++i]!);
    else if (key === 'promiscuity') entry.promiscuity = toInteger(tokens[++i]!);
  }
}

function typedDetails(kind: string, attributes: Record<string, string>, line: number): LinkDetails {
  const details: LinkDetails = { kind, attributes, line };
  const id = attributes['id'];
  if (id !== undefined && /^\d+$/.test(id)) details.id = Number(id);
  const remote = attributes['remote'];
  if (remote !== undefined && remote !== 'any' && remote !== '') details.remote = remote;
  const local = attributes['local'];
  if (local !== undefined && local !== 'any' && local !== '') details.local = local;
  if (attributes['dev']) details.device = attributes['dev'];
  if (attributes['group']) details.group = attributes['group'];
  const port = attributes['dstport'];
  if (port !== undefined && /^\d+$/.test(port)) details.port = Number(port);
  const sourcePorts = attributes['srcport']?.split(' ');
  if (sourcePorts?.length === 2 && sourcePorts.every((p) => /^\d+$/.test(p))) {
    details.sourcePortRange = { min: Number(sourcePorts[0]), max: Number(sourcePorts[1]) };
  }
  if (attributes['protocol']) details.protocol = attributes['protocol'];
  if (attributes['mode']) details.mode = attributes['mode'];
  if ('nolearning' in attributes) details.learning = false;
  else if ('learning' in attributes && kind === 'vxlan') details.learning = true;
  return details;
}

function looksLikeValue(token: string): boolean {
  if (/^-?\d/.test(token)) return true; // numbers, `0.00`, `8000.0:0:0:0:0:0`, addresses
  if (token === 'on' || token === 'off' || token === 'any' || token === 'auto' || token === 'inherit') return true;
  return /^[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,}/i.test(token); // MAC or IPv6 address
}

function readAddress(tokens: string[], line: number): InterfaceAddress | undefined {
  const family = tokens[0] === 'inet' ? 4 : 6;
  const spec = tokens[1];
  if (!spec) return undefined;
  const slash = spec.indexOf('/');
  const text = slash === -1 ? spec : spec.slice(0, slash);
  const address = parseIpAddress(text);
  if (!address || address.family !== family) return undefined;
  let prefixLength = slash === -1 ? (family === 4 ? 32 : 128) : Number(spec.slice(slash + 1));
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > (family === 4 ? 32 : 128)) return undefined;
  const entry: InterfaceAddress = { family, address, text, prefixLength, scope: 'global', flags: [], secondary: false, line };
  for (let i = 2; i < tokens.length; i++) {
    const key = tokens[i]!;
    const value = tokens[i + 1];
    if ((key === 'peer' || key === 'brd' || key === 'scope' || key === 'metric') && value !== undefined) {
      i++;
      if (key === 'peer') {
        entry.peer = value;
        const peerSlash = value.indexOf('/');
        if (slash === -1 && peerSlash !== -1) prefixLength = Number(value.slice(peerSlash + 1));
      } else if (key === 'brd') entry.broadcast = value;
      else if (key === 'scope') entry.scope = value;
    } else if (ADDRESS_FLAGS.has(key)) {
      entry.flags.push(key);
    } else if (family === 4 && i === tokens.length - 1) {
      entry.label = key;
    } else {
      entry.flags.push(key);
    }
  }
  entry.prefixLength = prefixLength;
  entry.secondary = entry.flags.includes('secondary');
  return entry;
}

function readLifetimes(address: InterfaceAddress, tokens: string[]): void {
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const seconds = /^(\d+)sec$/.exec(tokens[i + 1]!);
    const value = seconds ? Number(seconds[1]) : undefined;
    if (tokens[i] === 'valid_lft') address.validLifetime = value;
    else if (tokens[i] === 'preferred_lft') address.preferredLifetime = value;
  }
}

function readCounterHeader(text: string, line: number): { direction: 'rx' | 'tx'; names: string[]; line: number } {
  const colon = text.indexOf(':');
  const direction = text.startsWith('RX') ? 'rx' : 'tx';
  const names = text.slice(colon + 1).trim().split(/\s+/).filter((n) => n !== '');
  return { direction, names, line };
}

/** Assigns a line of numbers to the columns of the header before it; false when it is not one. */
function readCounterValues(
  entry: NetInterface,
  columns: { direction: 'rx' | 'tx'; names: string[] },
  text: string,
): boolean {
  const values = text.split(/\s+/);
  if (values.length < columns.names.length) return false;
  const parsed: number[] = [];
  let approximate = false;
  for (const value of values.slice(0, columns.names.length)) {
    const reading = readCounter(value);
    if (!reading) return false;
    parsed.push(reading.value);
    approximate ||= reading.approximate;
  }
  const statistics = entry.statistics!;
  const counters: LinkCounters = statistics[columns.direction];
  columns.names.forEach((name, i) => {
    counters[name] = parsed[i];
  });
  statistics.approximate ||= approximate;
  return true;
}

const UNIT_FACTORS: Record<string, number> = {
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

function readCounter(text: string): { value: number; approximate: boolean } | undefined {
  const match = /^(\d+(?:\.\d+)?)([KMGTP]i?)?$/.exec(text);
  if (!match) return undefined;
  if (!match[2]) return { value: Number(match[1]), approximate: match[1]!.includes('.') };
  return { value: Math.round(Number(match[1]) * UNIT_FACTORS[match[2]]!), approximate: true };
}

function toInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}
