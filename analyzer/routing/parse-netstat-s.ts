/**
 * `netstat -s` (bundle: `nodes/<node>/netstat-s.txt`) and `nstat -az` output, read into one set
 * of counters named as the kernel (and nstat) names them: `TcpRetransSegs`, `TcpExtListenOverflows`.
 *
 *   Tcp:                                        #kernel
 *       1893 active connection openings         TcpActiveOpens                  1893       0.0
 *       102113 segments sent out                TcpOutSegs                      102113     0.0
 *       412 segments retransmitted              TcpRetransSegs                  412        0.0
 *   TcpExt:                                     TcpExtListenOverflows           12         0.0
 *       Quick ack mode was activated 9 times
 *       TCPTimeWaitOverflow: 27360
 *
 * netstat prints most counters as sentences (net-tools' statistics.c); the sentences of the
 * common counters, in the wordings of several net-tools releases, map back to their names. A
 * sentence not in the table is still kept, under `<Section>: <sentence with # for the number>`,
 * so nothing a check might want is dropped.
 */
import type { SourceFile } from '../bundle/source-file.js';
import type { ParseResult } from '../bundle/parse-issue.js';
import { IssueSink } from '../netfilter/issue-sink.js';

export interface NetCounter {
  /** `TcpRetransSegs`, or `Tcp: # sentence` for a sentence not in the table. */
  key: string;
  /** `Ip`, `Icmp`, `IcmpMsg`, `Tcp`, `Udp`, `TcpExt`, `IpExt`, ... */
  section: string;
  value: number;
  line: number;
}

export interface NetworkCounters {
  file: string;
  counters: Map<string, NetCounter>;
}

/** Sentence templates (the number replaced by `#`) to counter names, per section. */
const SENTENCES: Record<string, Record<string, string>> = {
  Ip: {
    '# total packets received': 'InReceives',
    '# forwarded': 'ForwDatagrams',
    '# incoming packets discarded': 'InDiscards',
    '# incoming packets delivered': 'InDelivers',
    '# requests sent out': 'OutRequests',
    '# with invalid addresses': 'InAddrErrors',
    '# with invalid headers': 'InHdrErrors',
    '# with unknown protocol': 'InUnknownProtos',
    '# outgoing packets dropped': 'OutDiscards',
    '# dropped because of missing route': 'OutNoRoutes',
    '# fragments dropped after timeout': 'ReasmTimeout',
    '# reassemblies required': 'ReasmReqds',
    '# packets reassembled ok': 'ReasmOKs',
    '# packet reassemblies failed': 'ReasmFails',
    '# fragments received ok': 'FragOKs',
    '# outgoing packets fragmented ok': 'FragOKs',
    '# fragments failed': 'FragFails',
    '# outgoing packets failed fragmentation': 'FragFails',
    '# fragments created': 'FragCreates',
  },
  Icmp: {
    '# ICMP messages received': 'InMsgs',
    '# input ICMP message failed': 'InErrors',
    '# input ICMP message failed.': 'InErrors',
    '# ICMP messages sent': 'OutMsgs',
    '# ICMP messages failed': 'OutErrors',
  },
  Tcp: {
    '# active connection openings': 'ActiveOpens',
    '# active connections openings': 'ActiveOpens',
    '# passive connection openings': 'PassiveOpens',
    '# failed connection attempts': 'AttemptFails',
    '# connection resets received': 'EstabResets',
    '# connections established': 'CurrEstab',
    '# segments received': 'InSegs',
    '# segments sent out': 'OutSegs',
    '# segments send out': 'OutSegs',
    '# segments retransmitted': 'RetransSegs',
    '# segments retransmited': 'RetransSegs',
    '# bad segments received': 'InErrs',
    '# bad segments received.': 'InErrs',
    '# resets sent': 'OutRsts',
  },
  Udp: {
    '# packets received': 'InDatagrams',
    '# packets to unknown port received': 'NoPorts',
    '# packets to unknown port received.': 'NoPorts',
    '# packet receive errors': 'InErrors',
    '# packets sent': 'OutDatagrams',
    '# receive buffer errors': 'RcvbufErrors',
    '# send buffer errors': 'SndbufErrors',
  },
  TcpExt: {
    '# invalid SYN cookies received': 'SyncookiesFailed',
    '# SYN cookies sent': 'SyncookiesSent',
    '# SYN cookies received': 'SyncookiesRecv',
    '# resets received for embryonic SYN_RECV sockets': 'EmbryonicRsts',
    '# packets pruned from receive queue because of socket buffer overrun': 'PruneCalled',
    '# packets pruned from receive queue': 'RcvPruned',
    '# packets dropped from out-of-order queue because of socket buffer overrun': 'OfoPruned',
    '# ICMP packets dropped because they were out-of-window': 'OutOfWindowIcmps',
    '# ICMP packets dropped because socket was locked': 'LockDroppedIcmps',
    '# TCP sockets finished time wait in fast timer': 'TW',
    '# TCP sockets finished time wait in slow timer': 'TWKilled',
    '# time wait sockets recycled by time stamp': 'TWRecycled',
    '# packets rejects in established connections because of timestamp': 'PAWSEstab',
    '# packetes rejected in established connections because of timestamp': 'PAWSEstab',
    '# delayed acks sent': 'DelayedACKs',
    '# delayed acks further delayed because of locked socket': 'DelayedACKLocked',
    'Quick ack mode was activated # times': 'DelayedACKLost',
    '# times the listen queue of a socket overflowed': 'ListenOverflows',
    '# SYNs to LISTEN sockets dropped': 'ListenDrops',
    '# SYNs to LISTEN sockets ignored': 'ListenDrops',
    '# packets directly queued to recvmsg prequeue.': 'TCPPrequeued',
    '# packets directly queued to recvmsg prequeue': 'TCPPrequeued',
    '# packets directly received from prequeue': 'TCPDirectCopyFromPrequeue',
    '# packet headers predicted': 'TCPHPHits',
    '# packets header predicted': 'TCPHPHits',
    '# packet headers predicted and directly queued to user': 'TCPHPHitsToUser',
    '# packets header predicted and directly queued to user': 'TCPHPHitsToUser',
    '# acknowledgments not containing data payload received': 'TCPPureAcks',
    '# acknowledgments not containing data received': 'TCPPureAcks',
    '# predicted acknowledgments': 'TCPHPAcks',
    '# times recovered from packet loss due to fast retransmit': 'TCPRenoRecovery',
    '# times recovered from packet loss by selective acknowledgements': 'TCPSackRecovery',
    '# congestion windows fully recovered without slow start': 'TCPFullUndo',
    '# congestion windows partially recovered using Hoe heuristic': 'TCPPartialUndo',
    '# congestion windows recovered without slow start by DSACK': 'TCPDSACKUndo',
    '# congestion windows recovered without slow start after partial ack': 'TCPLossUndo',
    '# TCP data loss events': 'TCPLoss',
    '# timeouts after reno fast retransmit': 'TCPRenoFailures',
    '# timeouts after SACK recovery': 'TCPSackFailures',
    '# timeouts in loss state': 'TCPLossFailures',
    '# fast retransmits': 'TCPFastRetrans',
    '# forward retransmits': 'TCPForwardRetrans',
    '# retransmits in slow start': 'TCPSlowStartRetrans',
    '# other TCP timeouts': 'TCPTimeouts',
    '# SACK retransmits failed': 'TCPSackRecoveryFail',
    '# classic Reno fast retransmits failed': 'TCPRenoRecoveryFail',
    '# packets collapsed in receive queue due to low socket buffer': 'TCPRcvCollapsed',
    '# DSACKs sent for old packets': 'TCPDSACKOldSent',
    '# DSACKs sent for out of order packets': 'TCPDSACKOfoSent',
    '# DSACKs received': 'TCPDSACKRecv',
    '# DSACKs for out of order packets received': 'TCPDSACKOfoRecv',
    '# connections reset due to unexpected data': 'TCPAbortOnData',
    '# connections reset due to unexpected SYN': 'TCPAbortOnSyn',
    '# connections reset due to early user close': 'TCPAbortOnClose',
    '# connections aborted due to memory pressure': 'TCPAbortOnMemory',
    '# connections aborted due to timeout': 'TCPAbortOnTimeout',
    '# connections aborted after user close in linger timeout': 'TCPAbortOnLinger',
    '# times unable to send RST due to no memory': 'TCPAbortFailed',
    'TCP ran low on memory # times': 'TCPMemoryPressures',
  },
};

/** ICMP histogram lines, by the subheader they follow. */
const ICMP_HISTOGRAM: Record<string, Record<string, string>> = {
  in: {
    'destination unreachable: #': 'InDestUnreachs',
    'timeout in transit: #': 'InTimeExcds',
    'wrong parameters: #': 'InParmProbs',
    'source quenches: #': 'InSrcQuenchs',
    'redirects: #': 'InRedirects',
    'echo requests: #': 'InEchos',
    'echo replies: #': 'InEchoReps',
    'timestamp request: #': 'InTimestamps',
    'timestamp reply: #': 'InTimestampReps',
  },
  out: {
    'destination unreachable: #': 'OutDestUnreachs',
    'time exceeded: #': 'OutTimeExcds',
    'wrong parameters: #': 'OutParmProbs',
    'source quench: #': 'OutSrcQuenchs',
    'redirect: #': 'OutRedirects',
    'echo requests: #': 'OutEchos',
    'echo replies: #': 'OutEchoReps',
    'timestamp requests: #': 'OutTimestamps',
    'timestamp replies: #': 'OutTimestampReps',
  },
};

/** Section prefixes of nstat names, longest first so `TcpExt` wins over `Tcp`. */
const NSTAT_SECTIONS = ['UdpLite6', 'MPTcpExt', 'IcmpMsg', 'UdpLite', 'TcpExt', 'Icmp6', 'IpExt', 'Ip6', 'Udp6', 'Icmp', 'Tcp', 'Udp', 'Ip'];

const SECTION_HEADER = /^([A-Za-z][A-Za-z0-9]*):\s*$/;
const NSTAT_LINE = /^([A-Za-z][A-Za-z0-9_]*)\s+(\d+)(?:\s+[\d.]+)?$/;
const KEY_VALUE = /^([A-Za-z][A-Za-z0-9_]*):\s+(\d+)$/;

export function parseNetstatS(file: SourceFile): ParseResult<NetworkCounters> {
  const sink = new IssueSink(file.path);
  const counters = new Map<string, NetCounter>();
  let section: string | undefined;
  let histogram: 'in' | 'out' | undefined;
  const add = (sectionName: string, name: string, value: number, line: number) => {
    const key = name.includes(' ') ? `${sectionName}: ${name}` : `${sectionName}${name}`;
    counters.set(key, { key, section: sectionName, value, line });
  };

  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (!/^\s/.test(raw)) {
      const header = SECTION_HEADER.exec(text);
      if (header) {
        section = header[1]!;
        histogram = undefined;
        continue;
      }
      const nstat = NSTAT_LINE.exec(text);
      if (nstat) {
        const name = nstat[1]!;
        const prefix = NSTAT_SECTIONS.find((s) => name.startsWith(s) && name.length > s.length) ?? '';
        counters.set(name, { key: name, section: prefix, value: Number(nstat[2]), line });
        continue;
      }
      sink.add('BAD_LINE', line, 'not a `netstat -s` section header or an `nstat` counter', { text: raw });
      continue;
    }
    if (!section) {
      sink.add('BAD_LINE', line, 'counter line before any section header', { text: raw });
      continue;
    }
    if (/^ICMP (input|output) histogram:$/.test(text)) {
      histogram = text.startsWith('ICMP input') ? 'in' : 'out';
      continue;
    }
    const keyValue = KEY_VALUE.exec(text);
    if (keyValue) {
      add(section, keyValue[1]!, Number(keyValue[2]), line);
      continue;
    }
    const number = /\d+/.exec(text);
    if (!number) {
      // `Forwarding is enabled`, `RTO algorithm is constant`: static settings, not counters.
      continue;
    }
    const template = `${text.slice(0, number.index)}#${text.slice(number.index + number[0].length)}`;
    const histogramName = histogram && section === 'Icmp' ? ICMP_HISTOGRAM[histogram]![template] : undefined;
    const name = histogramName ?? SENTENCES[section]?.[template] ?? template;
    add(section, name, Number(number[0]), line);
  }
  return { value: { file: file.path, counters }, issues: sink.finish() };
}

export interface RetransmissionRate {
  retransmitted: NetCounter;
  sent: NetCounter;
  /** RetransSegs / OutSegs: the share of TCP segments sent again (0 when none were sent). */
  rate: number;
}

/** TCP retransmission rate since boot, from `TcpRetransSegs` and `TcpOutSegs`. */
export function tcpRetransmissionRate(counters: NetworkCounters): RetransmissionRate | undefined {
  const retransmitted = counters.counters.get('TcpRetransSegs');
  const sent = counters.counters.get('TcpOutSegs');
  if (!retransmitted || !sent) return undefined;
  return { retransmitted, sent, rate: sent.value === 0 ? 0 : retransmitted.value / sent.value };
}
