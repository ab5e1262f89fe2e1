import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { ciliumCtFields, parseCiliumBpfCt, type CiliumCtEntry } from '../../analyzer/cni/parse-cilium-bpf-ct.js';
import { formatIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './cni-samples.js';

const file = (text: string) => new SourceFile('nodes/kind-worker/cilium/bpf-ct.txt', text);
const tuple = (e: CiliumCtEntry) => [e.protocol, e.direction, `${formatIpAddress(e.source)}:${e.sourcePort}`, `${formatIpAddress(e.destination)}:${e.destinationPort}`, e.line];

/** `cilium bpf ct list global`, Cilium 1.12 (per-direction counters; `service` word; remaining seconds). */
const V1_12 = `TCP OUT 10.244.1.33:43512 -> 10.244.2.17:53 expires=17342 (remaining: 21 sec(s)) RxPackets=2 RxBytes=172 RxFlagsSeen=0x1b LastRxReport=17332 TxPackets=2 TxBytes=150 TxFlagsSeen=0x1b LastTxReport=17332 Flags=0x0013 [ RxClosing TxClosing SeenNonSyn ] RevNAT=2 SourceSecurityID=6848 IfIndex=0 
TCP OUT 10.96.0.10:53 -> 10.244.1.33:43512 service expires=17342 (remaining: 21 sec(s)) RxPackets=0 RxBytes=2 RxFlagsSeen=0x00 LastRxReport=0 TxPackets=0 TxBytes=0 TxFlagsSeen=0x1b LastTxReport=17332 Flags=0x0013 [ RxClosing TxClosing SeenNonSyn ] RevNAT=2 SourceSecurityID=0 IfIndex=0 
UDP IN 10.244.2.17:53 -> 10.244.1.33:38122 expires=17380 (remaining: -3 sec(s)) RxPackets=1 RxBytes=98 RxFlagsSeen=0x00 LastRxReport=17320 TxPackets=1 TxBytes=153 TxFlagsSeen=0x00 LastTxReport=17320 Flags=0x0000 [ ] RevNAT=0 SourceSecurityID=5128 IfIndex=0 
ICMP OUT 10.244.1.33:0 -> 10.244.2.17:0 related expires=17400 RxPackets=1 RxBytes=74 RxFlagsSeen=0x00 LastRxReport=17340 TxPackets=0 TxBytes=0 TxFlagsSeen=0x00 LastTxReport=0 Flags=0x0000 [ ] RevNAT=0 SourceSecurityID=6848 IfIndex=0 
`;

describe('parseCiliumBpfCt', () => {
  it('reads tuples, counters, flags, service and related entries, with their lines', () => {
    const { value, issues } = parseCiliumBpfCt(file(V1_12));
    expect(issues).toEqual([]);
    expect(value.entries.map(tuple)).toEqual([
      ['TCP', 'OUT', '10.244.1.33:43512', '10.244.2.17:53', 1],
      ['TCP', 'OUT', '10.96.0.10:53', '10.244.1.33:43512', 2],
      ['UDP', 'IN', '10.244.2.17:53', '10.244.1.33:38122', 3],
      ['ICMP', 'OUT', '10.244.1.33:0', '10.244.2.17:0', 4],
    ]);
    const [dns, service, reply, icmp] = value.entries;
    expect(dns).toMatchObject({ expires: 17342, remainingSeconds: 21, rxPackets: 2, rxBytes: 172, txPackets: 2, txBytes: 150, flags: 0x13, revNat: 2, sourceSecurityId: 6848, service: false, related: false });
    expect(dns!.flagNames).toEqual(['RxClosing', 'TxClosing', 'SeenNonSyn']);
    expect(ciliumCtFields(dns!).get('IfIndex')).toBe('0');
    expect(ciliumCtFields(dns!).get('LastRxReport')).toBe('17332');
    expect(service).toMatchObject({ service: true, sourceSecurityId: 0 });
    expect(reply).toMatchObject({ remainingSeconds: -3, flags: 0, flagNames: [] });
    expect(icmp).toMatchObject({ related: true, service: false });
  });

  it('reports what is not an entry, at its line, and never throws', () => {
    const text = `TCP OUT 10.0.0.1:1 -> 10.0.0.2:80 expires=5 RevNAT=0
garbage
TCP SIDEWAYS 10.0.0.1:1 -> 10.0.0.2:80 expires=5
TCP OUT 10.0.0.1 -> 10.0.0.2:80 expires=5
UDP IN 10.0.0.3:53 -> 10.0.0.1:5353 expires=7 oops RevNAT=x
TCP OUT 10.0.0.1:2 -> 10.0.0.2:80 expires=5 RevNAT=1 SourceSecurityID=2`;
    const { value, issues } = parseCiliumBpfCt(file(text));
    expect(value.entries.map((e) => [e.line, e.revNat])).toEqual([
      [1, 0],
      [5, undefined],
      [6, 1],
    ]);
    expect(issues.map((i) => [i.line, i.severity ?? 'error'])).toEqual([
      [2, 'error'],
      [3, 'error'],
      [4, 'error'],
      [5, 'warning'],
      [5, 'warning'],
    ]);
    for (const hostile of ['TCP IN a -> b', 'TCP IN [::]:0 -> [::', ' -> ', 'TCP IN 1.1.1.1:1 -> 1.1.1.1:1 [ [ ] ] =x x= __proto__=1']) {
      expect(() => parseCiliumBpfCt(file(hostile))).not.toThrow();
    }
  });

  it('reads the samples: 2025 IPv6 global entries without brackets, and the 2018 per-endpoint layout', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const recent = parseCiliumBpfCt(sampleSection('cilium-monitor-drop-and-ct.txt', 2));
    expect(recent.issues).toEqual([]);
    expect(recent.value.entries.map(tuple)).toEqual([
      ['TCP', 'IN', '2a00:23c8:bcb:5101:cce4:dbf7:957:33a4:47224', 'fd85:ee78:d8a6:8607::1:fe5:8000', 16],
      ['TCP', 'SVC', '2603:8080:c0f0:d2e0:99f2:9195:c043:304f:44564', '2a03:3f40:88:1::24:80', 17],
      ['TCP', 'IN', '2601:647:8500:fb60:6c05:5abe:2e2e:8184:57218', 'fd85:ee78:d8a6:8607::1:fe5:8000', 18],
    ]);
    expect(recent.value.entries[1]).toMatchObject({ service: true, revNat: 218, backendId: 98, flags: 0x13 });
    expect(ciliumCtFields(recent.value.entries[1]!).get('Packets')).toBe('0');

    const old = parseCiliumBpfCt(sampleSection('cilium-monitor-drop-and-ct.txt', 3));
    expect(old.issues).toEqual([]);
    expect(old.value.entries.map((e) => [e.protocol, e.related, e.rxPackets, e.txBytes, e.flags, e.sourceSecurityId, e.line])).toEqual([
      ['TCP', false, 2, 86, 0x13, 55058, 20],
      ['ICMP', true, 1, 0, 0x10, 55058, 21],
    ]);
  });
});
