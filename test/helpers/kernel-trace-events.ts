/**
 * Parser for `nft -a monitor trace` output (nftables v1.0.6, kernel 6.x), one event a line.
 *
 * Observed shapes (verbatim, counters and MACs shortened):
 *
 *   trace id a0a2665b ip nat PREROUTING packet: iif "cni0" ether saddr 02:.. ip saddr 10.244.1.5 ip daddr 10.96.0.10 ... tcp sport 40002 tcp dport 80 tcp flags == syn tcp window 64240
 *   trace id a0a2665b ip nat KUBE-SERVICES rule meta l4proto tcp ip daddr 10.96.0.10  tcp dport 80 counter packets 1 bytes 60 jump KUBE-SVC-AAAA # handle 18 (verdict jump KUBE-SVC-AAAA)
 *   trace id a0a2665b ip nat KUBE-SEP-A1 rule meta l4proto tcp   counter packets 0 bytes 0 dnat to 10.244.1.6:8080 # handle 23 (verdict accept)
 *   trace id a0a2665b ip nat KUBE-POSTROUTING rule meta mark & 0x00004000 != 0x00004000 counter packets 1 bytes 60 return # handle 15 (verdict return)
 *   trace id f261672e ip filter KUBE-SERVICES rule meta l4proto tcp ip daddr 10.96.0.20  tcp dport 80 counter packets 0 bytes 0 reject # handle 7 (verdict drop)
 *   trace id fe6c4da3 inet netdump_trace pre_end policy accept meta mark 0x00004000
 *
 *   trace id 8fb42098 ip nat PREROUTING unknown rule handle 6 (verdict jump KUBE-SERVICES)
 *
 * The last form appears when the rule was added after `nft monitor` started: nft resolves rule
 * text from the ruleset it cached at start-up and never refreshes it.
 * A "packet:" line opens every base chain the packet enters; a "rule" line is printed only for
 * a rule whose matches all succeeded (non-matching rules are silent, so is falling off the end of
 * a user chain); a "policy" line is printed when a base chain ends by its policy.
 * iptables-nft rules appear in nft syntax (comments and some xt matches print as nothing).
 */

export interface TracedPacketFields {
  iif?: string;
  oif?: string;
  saddr?: string;
  daddr?: string;
  l4proto?: 'tcp' | 'udp';
  sport?: number;
  dport?: number;
}

interface TraceEventBase {
  traceId: string;
  family: string;
  table: string;
  chain: string;
}

export interface TracePacketEvent extends TraceEventBase {
  kind: 'packet';
  packet: TracedPacketFields;
}

export interface TraceRuleEvent extends TraceEventBase {
  kind: 'rule';
  /** nft handle of the rule inside its table; absent only if nft was run without -a */
  handle: number | null;
  /** verdict word as nft prints it: continue, accept, drop, jump, goto, return, queue, ... */
  verdict: string;
  /** chain named by a jump / goto verdict */
  target: string | null;
  /** rule as nft printed it, counters removed; null for an "unknown rule" */
  text: string | null;
}

export interface TracePolicyEvent extends TraceEventBase {
  kind: 'policy';
  policy: string;
}

export type TraceEvent = TracePacketEvent | TraceRuleEvent | TracePolicyEvent;

const EVENT_LINE = /^trace id ([0-9a-f]+) (\S+) (\S+) (\S+) (packet: .*|rule .*|unknown rule .*|policy \S+.*)$/;
const RULE_BODY = /^rule (.*?)(?: # handle (\d+))? \(verdict (\w+)(?: (\S+))?\)$/;
const UNKNOWN_RULE_BODY = /^unknown rule handle (\d+) \(verdict (\w+)(?: (\S+))?\)$/;
const COUNTER = /\bcounter packets \d+ bytes \d+\s*/g;

/** Parses one line of `nft -a monitor trace`; returns null for lines that are not trace events. */
export function parseTraceLine(rawLine: string): TraceEvent | null {
  const line = rawLine.trimEnd();
  const head = EVENT_LINE.exec(line);
  if (!head) return null;
  const [, traceId, family, table, chain, body] = head;
  const base = { traceId, family, table, chain };
  if (body.startsWith('packet: ')) {
    return { ...base, kind: 'packet', packet: parsePacketFields(body.slice('packet: '.length)) };
  }
  if (body.startsWith('policy ')) {
    return { ...base, kind: 'policy', policy: body.split(/\s+/)[1] };
  }
  const unknown = UNKNOWN_RULE_BODY.exec(body);
  if (unknown) {
    const [, handle, verdict, target] = unknown;
    return { ...base, kind: 'rule', handle: Number(handle), verdict, target: target ?? null, text: null };
  }
  const rule = RULE_BODY.exec(body);
  if (!rule) return null;
  const [, text, handle, verdict, target] = rule;
  return {
    ...base,
    kind: 'rule',
    handle: handle === undefined ? null : Number(handle),
    verdict,
    target: target ?? null,
    text: text.replace(COUNTER, '').replace(/\s+/g, ' ').trim(),
  };
}

export function parsePacketFields(text: string): TracedPacketFields {
  const fields: TracedPacketFields = {};
  const iif = /\biif "([^"]*)"/.exec(text);
  if (iif) fields.iif = iif[1];
  const oif = /\boif "([^"]*)"/.exec(text);
  if (oif) fields.oif = oif[1];
  const saddr = /\bip6? saddr (\S+)/.exec(text);
  if (saddr) fields.saddr = saddr[1];
  const daddr = /\bip6? daddr (\S+)/.exec(text);
  if (daddr) fields.daddr = daddr[1];
  const ports = /\b(tcp|udp) sport (\d+) \1 dport (\d+)/.exec(text);
  if (ports) {
    fields.l4proto = ports[1] as 'tcp' | 'udp';
    fields.sport = Number(ports[2]);
    fields.dport = Number(ports[3]);
  }
  return fields;
}
