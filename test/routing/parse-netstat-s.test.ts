import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseNetstatS, tcpRetransmissionRate } from '../../analyzer/routing/parse-netstat-s.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './shared-samples.js';

/** `netstat -s` from net-tools 2.10 on a busy node (Ubuntu 22.04 / Debian 12 wording). */
const NETSTAT = `Ip:
    Forwarding: 1
    981245 total packets received
    412 forwarded
    0 incoming packets discarded
    980833 incoming packets delivered
    1002313 requests sent out
    20 dropped because of missing route
Icmp:
    1332 ICMP messages received
    5 input ICMP message failed
    ICMP input histogram:
        destination unreachable: 1300
        echo requests: 32
    1350 ICMP messages sent
    0 ICMP messages failed
    ICMP output histogram:
        destination unreachable: 1318
        echo replies: 32
IcmpMsg:
        InType3: 1300
        InType8: 32
        OutType0: 32
        OutType3: 1318
Tcp:
    18931 active connection openings
    2210 passive connection openings
    311 failed connection attempts
    96 connection resets received
    41 connections established
    912877 segments received
    1021130 segments sent out
    4121 segments retransmitted
    0 bad segments received
    1877 resets sent
Udp:
    61320 packets received
    18 packets to unknown port received
    0 packet receive errors
    61371 packets sent
    0 receive buffer errors
    0 send buffer errors
    IgnoredMulti: 212
UdpLite:
TcpExt:
    12 times the listen queue of a socket overflowed
    12 SYNs to LISTEN sockets dropped
    2381 TCP sockets finished time wait in fast timer
    Quick ack mode was activated 9 times
    1201 fast retransmits
    344 other TCP timeouts
    TCPLossProbes: 1021
    TCPTimeWaitOverflow: 0
IpExt:
    InOctets: 913229411
    OutOctets: 1120004882
MPTcpExt:
`;

/** `nstat -az`. */
const NSTAT = `#kernel
IpInReceives                    981245             0.0
TcpOutSegs                      1021130            0.0
TcpRetransSegs                  4121               0.0
TcpExtListenOverflows           12                 0.0
TcpExtTCPLossProbes             1021               0.0
IpExtInOctets                   913229411          0.0
`;

const file = (text: string) => new SourceFile('nodes/node-a/netstat-s.txt', text);

describe('parseNetstatS', () => {
  it('names netstat sentences as the kernel counters they print', () => {
    const { value, issues } = parseNetstatS(file(NETSTAT));
    expect(issues).toEqual([]);
    const get = (key: string) => {
      const counter = value.counters.get(key);
      return counter && [counter.value, counter.line];
    };
    expect(get('IpForwarding')).toEqual([1, 2]);
    expect(get('IpInReceives')).toEqual([981245, 3]);
    expect(get('IpForwDatagrams')).toEqual([412, 4]);
    expect(get('IpOutNoRoutes')).toEqual([20, 8]);
    expect(get('IcmpInErrors')).toEqual([5, 11]);
    expect(get('IcmpInDestUnreachs')).toEqual([1300, 13]);
    expect(get('IcmpOutDestUnreachs')).toEqual([1318, 18]);
    expect(get('IcmpMsgInType3')).toEqual([1300, 21]);
    expect(get('TcpActiveOpens')).toEqual([18931, 26]);
    expect(get('TcpOutSegs')).toEqual([1021130, 32]);
    expect(get('TcpRetransSegs')).toEqual([4121, 33]);
    expect(get('TcpOutRsts')).toEqual([1877, 35]);
    expect(get('UdpNoPorts')).toEqual([18, 38]);
    expect(get('UdpIgnoredMulti')).toEqual([212, 43]);
    expect(get('TcpExtListenOverflows')).toEqual([12, 46]);
    expect(get('TcpExtListenDrops')).toEqual([12, 47]);
    expect(get('TcpExtDelayedACKLost')).toEqual([9, 49]);
    expect(get('TcpExtTCPFastRetrans')).toEqual([1201, 50]);
    expect(get('TcpExtTCPLossProbes')).toEqual([1021, 52]);
    expect(get('IpExtOutOctets')).toEqual([1120004882, 56]);
  });

  it('reads nstat output into the same names', () => {
    const { value, issues } = parseNetstatS(file(NSTAT));
    expect(issues).toEqual([]);
    expect([...value.counters.values()].map((c) => [c.key, c.section, c.value, c.line])).toEqual([
      ['IpInReceives', 'Ip', 981245, 2],
      ['TcpOutSegs', 'Tcp', 1021130, 3],
      ['TcpRetransSegs', 'Tcp', 4121, 4],
      ['TcpExtListenOverflows', 'TcpExt', 12, 5],
      ['TcpExtTCPLossProbes', 'TcpExt', 1021, 6],
      ['IpExtInOctets', 'IpExt', 913229411, 7],
    ]);
  });

  it('derives the TCP retransmission rate from either format', () => {
    for (const text of [NETSTAT, NSTAT]) {
      const rate = tcpRetransmissionRate(parseNetstatS(file(text)).value);
      expect(rate?.rate).toBeCloseTo(4121 / 1021130, 10);
      expect(rate?.retransmitted.value).toBe(4121);
    }
    expect(tcpRetransmissionRate(parseNetstatS(file('Udp:\n    5 packets sent\n')).value)).toBeUndefined();
    expect(tcpRetransmissionRate(parseNetstatS(file('Tcp:\n    0 segments sent out\n    0 segments retransmitted\n')).value)?.rate).toBe(0);
  });

  it('reads older net-tools wordings and keeps unknown sentences under their text', () => {
    const text = `Tcp:
    102113 segments send out
    412 segments retransmited
TcpExt:
    497793 packets header predicted
    876502 acknowledgments not containing data received
    7 packets rejects in established connections because of timestamp
    3 frobnications while widgeting
`;
    const { value, issues } = parseNetstatS(file(text));
    expect(issues).toEqual([]);
    expect(value.counters.get('TcpOutSegs')?.value).toBe(102113);
    expect(value.counters.get('TcpRetransSegs')?.value).toBe(412);
    expect(value.counters.get('TcpExtTCPHPHits')?.value).toBe(497793);
    expect(value.counters.get('TcpExtTCPPureAcks')?.value).toBe(876502);
    expect(value.counters.get('TcpExtPAWSEstab')?.value).toBe(7);
    expect(value.counters.get('TcpExt: # frobnications while widgeting')).toMatchObject({ value: 3, line: 8 });
  });

  it('reports lines that are neither section, counter nor nstat line', () => {
    const text = '    12 segments retransmitted\nTcp:\n    1 active connection openings\nthis is not netstat\n';
    const { value, issues } = parseNetstatS(file(text));
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 1],
      ['BAD_LINE', 4],
    ]);
    expect(value.counters.get('TcpActiveOpens')?.value).toBe(1);
  });

  it('reads the shared sample (TcpExt sentences of an older net-tools, and nstat lines)', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const netstat = parseNetstatS(sampleSection('netstat-s.txt', 0));
    expect(netstat.issues).toEqual([]);
    expect(netstat.value.counters.get('TcpExtPruneCalled')).toMatchObject({ value: 5, line: 3 });
    expect(netstat.value.counters.get('TcpExtTW')?.value).toBe(23450);
    expect(netstat.value.counters.get('TcpExtTCPAbortOnData')?.value).toBe(128105);
    expect(netstat.value.counters.get('TcpExtTCPTimeWaitOverflow')?.value).toBe(27360);
    const nstat = parseNetstatS(sampleSection('netstat-s.txt', 1));
    expect(nstat.issues).toEqual([]);
    expect(nstat.value.counters.get('TcpExtListenOverflows')?.value).toBe(12178939);
  });
});
