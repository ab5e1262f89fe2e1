/**
 * Parses a capture of `cilium monitor --type drop` (bundle file `nodes/<node>/cilium/monitor-drop.txt`).
 *
 * Input sample (samples/cilium-monitor-drop-and-ct.txt, cilium/cilium#5496 and #11517):
 *   Listening for events on 2 CPUs with 64x4096 of shared memory
 *   Press Ctrl-C to quit
 *   xx drop (Policy denied (L3)) flow 0xdd1bea99 to endpoint 0, identity 5->7479: 10.2.1.205:38631 -> 10.2.2.169:53 udp
 *   xx drop (Policy denied) flow 0xb6b3b6b3 to endpoint 1585, identity 16777388->33623: 10.0.x.y:55454 -> 10.0.a.b:c tcp SYN
 *   xx drop (Invalid destination mac) flow 0x61b2d9a8 to endpoint 0, identity 4->0: fe80::18da:1ff:fe73:4d40 -> ff02::2 RouterSolicitation
 * Newer agents insert `ifindex N, file bpf_lxc.c:1234, ` before `identity`.
 *
 * Each drop keeps its line. "Policy denied…" drops are policy drops (no rule allows); "Policy
 * denied by denylist" is a deny rule (POLICY_DENY). The monitor's banner and log lines are
 * skipped; any other line is a BAD_LINE warning. Addresses are kept as printed (captures are
 * sometimes redacted, `10.0.x.y`): `ip` is set only when the address parses.
 */
import type { ParseResult } from '../../bundle/parse-issue.js';
import type { SourceFile } from '../../bundle/source-file.js';
import { parseIpAddress } from '../../netfilter/ip-cidr.js';
import { IssueSink } from '../../netfilter/issue-sink.js';
import type { PolicyDropKind } from './parse-hubble-flows.js';

export interface MonitorAddress {
  /** As printed (without brackets for IPv6). */
  address: string;
  /** Set when `address` is a valid IP. */
  ip?: string;
  port?: number;
}

export interface CiliumMonitorDrop {
  file: string;
  line: number;
  /** The reason in parentheses: `Policy denied`, `Policy denied (L3)`, `Invalid destination mac`. */
  reason: string;
  policyDrop?: Exclude<PolicyDropKind, 'L7'>;
  flowId: string;
  /** Endpoint ID the packet was going to (0 when not an endpoint). */
  endpoint: number;
  ifindex?: number;
  /** The datapath source line (`bpf_lxc.c:1969`), printed by newer agents. */
  bpfSource?: string;
  /** Security identities as printed: a number, or a name such as `world` in some versions. */
  srcIdentity: string;
  dstIdentity: string;
  src: MonitorAddress;
  dst: MonitorAddress;
  /** `tcp`, `udp`, `icmp`... or a packet type (`RouterSolicitation`) when not TCP/UDP. */
  protocol?: string;
  /** What follows the protocol (`SYN`). */
  detail?: string;
}

const DROP = /^xx drop \((.+)\) flow (0x[0-9a-fA-F]+) to endpoint (\d+), (.*?)identity (\S+?)->(\S+?): (\S+) -> (\S+)(?: (\S+))?(?: (.*))?$/;
const NOISE = [/^Listening for events on /, /^Press Ctrl-C to quit/, /^level=\w+ /, /^-{10,}$/];

export function parseCiliumMonitorDrops(file: SourceFile): ParseResult<CiliumMonitorDrop[]> {
  const sink = new IssueSink(file.path);
  const drops: CiliumMonitorDrop[] = [];
  const lines = file.text.split('\n');
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const text = rawLine.trim();
    if (text === '' || NOISE.some((n) => n.test(text))) return;
    const match = DROP.exec(text);
    if (!match) {
      sink.add('BAD_LINE', line, `line ${line} is not a cilium monitor drop event; skipped`, { text, severity: 'warning', what: 'lines that are not drop events' });
      return;
    }
    const [, reason, flowId, endpoint, extras, srcIdentity, dstIdentity, src, dst, protocol, detail] = match;
    const drop: CiliumMonitorDrop = {
      file: file.path,
      line,
      reason: reason!,
      flowId: flowId!,
      endpoint: Number(endpoint),
      srcIdentity: srcIdentity!,
      dstIdentity: dstIdentity!,
      src: readAddress(src!),
      dst: readAddress(dst!),
    };
    const kind = policyDropKind(reason!);
    if (kind) drop.policyDrop = kind;
    const ifindex = /ifindex (\d+)/.exec(extras!);
    if (ifindex) drop.ifindex = Number(ifindex[1]);
    const bpf = /file (\S+?:\d+)/.exec(extras!);
    if (bpf) drop.bpfSource = bpf[1]!;
    if (protocol) drop.protocol = protocol;
    if (detail) drop.detail = detail;
    drops.push(drop);
  });
  return { value: drops, issues: sink.finish() };
}

function policyDropKind(reason: string): CiliumMonitorDrop['policyDrop'] {
  if (reason.startsWith('Policy denied by denylist')) return 'POLICY_DENY';
  if (reason.startsWith('Policy denied')) return 'POLICY_DENIED';
  return undefined;
}

/** `10.0.0.1:80`, `[f00d::1]:80`, `fe80::1` (no port), `10.0.x.y:55454` (redacted). */
function readAddress(token: string): MonitorAddress {
  let address = token;
  let portText: string | undefined;
  const bracketed = /^\[(.+)\]:(\S+)$/.exec(token);
  if (bracketed) {
    address = bracketed[1]!;
    portText = bracketed[2];
  } else if (token.indexOf(':') === token.lastIndexOf(':') && token.includes(':')) {
    const colon = token.lastIndexOf(':');
    address = token.slice(0, colon);
    portText = token.slice(colon + 1);
  }
  const out: MonitorAddress = { address };
  if (parseIpAddress(address)) out.ip = address;
  if (portText !== undefined && /^\d{1,5}$/.test(portText)) out.port = Number(portText);
  return out;
}
