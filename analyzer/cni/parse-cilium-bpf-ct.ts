/**
 * `cilium bpf ct list global` (bundle: `nodes/<node>/cilium/bpf-ct.txt`): Cilium's connection
 * tracking map, one entry a line.
 *
 *   TCP OUT 10.0.1.5:43512 -> 10.96.0.10:53 expires=1234 RxPackets=2 RxBytes=160 RxFlagsSeen=0x1b LastRxReport=1230 TxPackets=2 TxBytes=148 TxFlagsSeen=0x1b LastTxReport=1230 Flags=0x0013 [ RxClosing TxClosing SeenNonSyn ] RevNAT=5 SourceSecurityID=2 IfIndex=0 BackendID=0
 *   TCP IN 2a00:23c8::33a4:47224 -> fd85:ee78::1:fe5:8000 expires=26562518 Packets=0 Bytes=0 … Flags=0x0013 [ RxClosing TxClosing SeenNonSyn ] RevNAT=0 SourceSecurityID=10 BackendID=0
 *   ICMP IN [f00d::a0f:0:0:4264]:0 -> [f00d::a0f:0:0:1150]:0 related expires=2446 rx_packets=1 rx_bytes=86 tx_packets=0 tx_bytes=0 flags=10 revnat=0 proxyport=0 src_sec_id=55058
 *
 * Directions: IN, OUT, SVC (the service entry; older releases print `OUT … service`). With the
 * clock source known, `expires=…` is followed by `(remaining: 42 sec(s))`. Recent releases
 * print IPv6 addresses without brackets (the port follows the last colon). The 2018 layout
 * (`rx_packets=`, `src_sec_id=`) is mapped onto the same fields; every `key=value` stays
 * readable through `ciliumCtFields`.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import type { IpAddress } from '../netfilter/ip-cidr.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { parseHostPort } from './host-port.js';

export interface CiliumCtEntry {
  /** `TCP`, `UDP`, `ICMP`, `ICMPv6`, `SCTP`, ... */
  protocol: string;
  /** `IN`, `OUT` or `SVC`. */
  direction: string;
  source: IpAddress;
  sourcePort: number;
  destination: IpAddress;
  destinationPort: number;
  /** An ICMP error entry related to a connection. */
  related: boolean;
  /** A service (load-balancing) entry: direction SVC, or the `service` word of older releases. */
  service: boolean;
  /** In seconds of the agent's monotonic clock (compare with other entries, not with wall time). */
  expires?: number;
  /** `expires=… (remaining: 42 sec(s))`, printed when the CLI knows the clock source. */
  remainingSeconds?: number;
  rxPackets?: number;
  rxBytes?: number;
  txPackets?: number;
  txBytes?: number;
  /** The flag word, and the names cilium prints for it (`RxClosing`, `TxClosing`, `SeenNonSyn`...). */
  flags?: number;
  flagNames: string[];
  revNat?: number;
  sourceSecurityId?: number;
  backendId?: number;
  /** The `key=value` part as printed; `ciliumCtFields` reads every pair (kept as text: tables hold 100,000s of entries). */
  attributes: string;
  line: number;
}

export interface CiliumCtDump {
  file: string;
  entries: CiliumCtEntry[];
}

type NumericField = 'expires' | 'rxPackets' | 'rxBytes' | 'txPackets' | 'txBytes' | 'flags' | 'revNat' | 'sourceSecurityId' | 'backendId';

/**
 * Printed key → field, for the current and the 2018 spellings. `Packets`/`Bytes` (1.14+) count
 * both directions and stay in `attributes`.
 */
const NUMERIC_KEYS = new Map<string, NumericField>([
  ['expires', 'expires'],
  ['RxPackets', 'rxPackets'],
  ['rx_packets', 'rxPackets'],
  ['RxBytes', 'rxBytes'],
  ['rx_bytes', 'rxBytes'],
  ['TxPackets', 'txPackets'],
  ['tx_packets', 'txPackets'],
  ['TxBytes', 'txBytes'],
  ['tx_bytes', 'txBytes'],
  ['Flags', 'flags'],
  ['flags', 'flags'],
  ['RevNAT', 'revNat'],
  ['revnat', 'revNat'],
  ['SourceSecurityID', 'sourceSecurityId'],
  ['src_sec_id', 'sourceSecurityId'],
  ['BackendID', 'backendId'],
]);

const REMAINING = /\(remaining: (-?\d+) sec\(s\)\)/;
const ENTRY = /^(\S+)\s+(IN|OUT|SVC|SERVICE)\s+(\S+)\s+->\s+(\S+)(.*)$/;

export function parseCiliumBpfCt(file: SourceFile): ParseResult<CiliumCtDump> {
  const sink = new IssueSink(file.path);
  const entries: CiliumCtEntry[] = [];
  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const entry = readEntry(trimmed, line, sink, raw);
    if (entry) entries.push(entry);
  }
  return { value: { file: file.path, entries }, issues: sink.finish() };
}

function readEntry(text: string, line: number, sink: IssueSink, raw: string): CiliumCtEntry | undefined {
  const match = ENTRY.exec(text);
  if (!match) {
    sink.add('BAD_LINE', line, 'not a conntrack entry (`<PROTO> <IN|OUT|SVC> <src> -> <dst> key=value...`)', { text: raw });
    return undefined;
  }
  const [, protocol = '', direction = '', sourceText = '', destinationText = '', rest = ''] = match;
  const source = parseHostPort(sourceText, { bareIpv6: true });
  const destination = parseHostPort(destinationText, { bareIpv6: true });
  if (!source || !destination) {
    sink.add('BAD_LINE', line, `"${source ? destinationText : sourceText}" is not address:port`, { text: raw });
    return undefined;
  }
  // Every field is set here, absent ones to undefined, so all entries share one object shape
  // (tables hold hundreds of thousands of entries; per-entry shapes make V8 slow).
  const entry: CiliumCtEntry = {
    protocol,
    direction: direction === 'SERVICE' ? 'SVC' : direction,
    source: source.address,
    sourcePort: source.port,
    destination: destination.address,
    destinationPort: destination.port,
    related: false,
    service: direction === 'SVC' || direction === 'SERVICE',
    expires: undefined,
    remainingSeconds: undefined,
    rxPackets: undefined,
    rxBytes: undefined,
    txPackets: undefined,
    txBytes: undefined,
    flags: undefined,
    flagNames: [],
    revNat: undefined,
    sourceSecurityId: undefined,
    backendId: undefined,
    attributes: rest.trim(),
    line,
  };
  const remaining = REMAINING.exec(rest);
  if (remaining) entry.remainingSeconds = Number(remaining[1]);
  const tokens = (remaining ? rest.replace(REMAINING, ' ') : rest).trim().split(' ');
  let inFlagList = false;
  for (const token of tokens) {
    if (token === '') continue;
    if (token === '[') {
      inFlagList = true;
      continue;
    }
    if (token === ']') {
      inFlagList = false;
      continue;
    }
    if (inFlagList) {
      entry.flagNames.push(token);
      continue;
    }
    if (token === 'related') {
      entry.related = true;
      continue;
    }
    if (token === 'service') {
      entry.service = true;
      continue;
    }
    const equals = token.indexOf('=');
    if (equals <= 0) {
      sink.add('BAD_LINE', line, `unexpected word "${token}" in a conntrack entry`, { text: raw, severity: 'warning', kind: 'ct-word', what: 'unexpected words in conntrack entries' });
      continue;
    }
    const key = token.slice(0, equals);
    const field = NUMERIC_KEYS.get(key);
    if (!field) continue;
    const value = token.slice(equals + 1);
    // Old releases printed flags in hex without a prefix (`flags=13`).
    const number = field === 'flags' || value.startsWith('0x') ? parseInt(value, 16) : Number(value);
    if (!Number.isFinite(number)) {
      sink.add('BAD_LINE', line, `${key}=${value} is not a number`, { text: raw, severity: 'warning', kind: 'ct-value', what: 'non-numeric conntrack values' });
      continue;
    }
    switch (field) {
      case 'expires':
        entry.expires = number;
        break;
      case 'rxPackets':
        entry.rxPackets = number;
        break;
      case 'rxBytes':
        entry.rxBytes = number;
        break;
      case 'txPackets':
        entry.txPackets = number;
        break;
      case 'txBytes':
        entry.txBytes = number;
        break;
      case 'flags':
        entry.flags = number;
        break;
      case 'revNat':
        entry.revNat = number;
        break;
      case 'sourceSecurityId':
        entry.sourceSecurityId = number;
        break;
      case 'backendId':
        entry.backendId = number;
        break;
    }
  }
  return entry;
}

/** Every `key=value` of an entry, as printed (`IfIndex`, `LastRxReport`, `proxyport`, ...). */
export function ciliumCtFields(entry: CiliumCtEntry): Map<string, string> {
  const fields = new Map<string, string>();
  for (const token of entry.attributes.split(/\s+/)) {
    const equals = token.indexOf('=');
    if (equals > 0) fields.set(token.slice(0, equals), token.slice(equals + 1));
  }
  return fields;
}
