import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCiliumBpfLb, type CiliumLbService } from '../../analyzer/cni/parse-cilium-bpf-lb.js';
import { formatIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './cni-samples.js';

const file = (text: string) => new SourceFile('nodes/kind-worker/cilium/bpf-lb.txt', text);
const summary = (s: CiliumLbService) => [s.frontend, s.types, s.flags, s.backends.map((b) => `${formatIpAddress(b.address)}:${b.port}`), s.line, s.masterLine];

/** 1.16: CoreDNS with two backends, a Service with none, IPv6, a NodePort with a Local policy and its `/i` twin, a stale slot. */
const V1_16 = `SERVICE ADDRESS         BACKEND ADDRESS (REVNAT_ID) (SLOT)
10.96.0.10:53           10.244.1.69:53 (2) (1)
                        10.244.2.17:53 (2) (2)
                        0.0.0.0:0 (2) (0) [ClusterIP, non-routable]
10.96.44.12:8080        0.0.0.0:0 (9) (0) [ClusterIP, non-routable]
[fd00:10:96::a]:53      [fd00:10:244:1::45]:53 (3) (1)
                        [::]:0 (3) (0) [ClusterIP, non-routable]
172.18.0.3:30080        0.0.0.0:0 (11) (0) [NodePort, Local, two-scopes]
                        backend 57 not found
172.18.0.3:30080/i      10.244.1.33:8080 (12) (1)
                        0.0.0.0:0 (12) (0) [NodePort, two-scopes]
`;

/** 1.18+: one line per slot, protocols on frontends and backends, the slot after the frontend. */
const V1_18 = `SERVICE ADDRESS             BACKEND ADDRESS (REVNAT_ID) (SLOT)
10.96.15.6:80/TCP (0)       0.0.0.0:0 (7) (0) [ClusterIP, Local, non-routable]            
10.96.15.6:80/TCP (1)       10.0.0.58:8080/TCP (7) (1)                                    
10.96.15.6:0/ANY (0)        0.0.0.0:0 (0) (0) [ClusterIP, non-routable]                   
10.244.255.0:80/TCP (0)     0.0.0.0:0 (8) (0) [LoadBalancer, Local, two-scopes]           
10.244.255.0:80/TCP/i (0)   0.0.0.0:0 (9) (0) [LoadBalancer, two-scopes]                  
10.244.255.0:80/TCP/i (1)   10.0.0.58:8080/TCP (9) (1)                                    
`;

describe('parseCiliumBpfLb', () => {
  it('reads 1.16: backends per service, service types from the master entry, IPv6, scopes, stale slots', () => {
    const { value, issues } = parseCiliumBpfLb(file(V1_16));
    expect(issues).toEqual([]);
    expect(value.services.map(summary)).toEqual([
      ['10.96.0.10:53', ['ClusterIP'], ['non-routable'], ['10.244.1.69:53', '10.244.2.17:53'], 2, 4],
      ['10.96.44.12:8080', ['ClusterIP'], ['non-routable'], [], 5, 5],
      ['[fd00:10:96::a]:53', ['ClusterIP'], ['non-routable'], ['fd00:10:244:1::45:53'], 6, 7],
      ['172.18.0.3:30080', ['NodePort'], ['Local', 'two-scopes'], [], 8, 8],
      ['172.18.0.3:30080/i', ['NodePort'], ['two-scopes'], ['10.244.1.33:8080'], 10, 11],
    ]);
    expect(value.services[0]!.backends.map((b) => [b.revNat, b.slot, b.line])).toEqual([
      [2, 1, 2],
      [2, 2, 3],
    ]);
    expect(value.services[2]!.address.family).toBe(6);
    expect(value.services[3]).toMatchObject({ internalScope: false, missingBackends: [{ id: 57, line: 9 }] });
    expect(value.services[4]).toMatchObject({ internalScope: true, revNat: 12 });
  });

  it('reads 1.18+: slot lines of one frontend gathered into one service, protocols kept', () => {
    const { value, issues } = parseCiliumBpfLb(file(V1_18));
    expect(issues).toEqual([]);
    expect(value.services.map((s) => [s.frontend, s.protocol, s.internalScope, s.port, s.types, s.flags, s.backends.map((b) => [b.text, b.protocol, b.slot, b.line])])).toEqual([
      ['10.96.15.6:80/TCP', 'TCP', false, 80, ['ClusterIP'], ['Local', 'non-routable'], [['10.0.0.58:8080/TCP', 'TCP', 1, 3]]],
      ['10.96.15.6:0/ANY', 'ANY', false, 0, ['ClusterIP'], ['non-routable'], []],
      ['10.244.255.0:80/TCP', 'TCP', false, 80, ['LoadBalancer'], ['Local', 'two-scopes'], []],
      ['10.244.255.0:80/TCP/i', 'TCP', true, 80, ['LoadBalancer'], ['two-scopes'], [['10.0.0.58:8080/TCP', 'TCP', 1, 7]]],
    ]);
  });

  it('reports lines it cannot read at their place and keeps going', () => {
    const text = `10.96.0.1:443       172.18.0.3:6443 (1) (1)
SERVICE ADDRESS     BACKEND ADDRESS (REVNAT_ID) (SLOT)
                    172.18.0.9:6443 (1) (2)
10.96.0.1:443       172.18.0.3:6443 (1) (1)
                    172.18.0.4:6443
not-an-address      0.0.0.0:0 (5) (0) [ClusterIP]
10.96.9.9:99
                    0.0.0.0:0 (6) (0) [ClusterIP]
`;
    const { value, issues } = parseCiliumBpfLb(file(text));
    expect(value.services.map((s) => [s.frontend, s.backends.length, s.masterLine])).toEqual([
      ['10.96.0.1:443', 1, undefined],
      ['10.96.9.9:99', 0, 8],
    ]);
    expect(issues.map((i) => [i.line, i.severity ?? 'error'])).toEqual([
      [1, 'error'],
      [3, 'error'],
      [5, 'error'],
      [6, 'error'],
      [7, 'warning'],
    ]);
    for (const hostile of ['SERVICE ADDRESS BACKEND ADDRESS\n[', 'SERVICE ADDRESS  BACKEND ADDRESS\n1.1.1.1:1 (', 'SERVICE ADDRESS  BACKEND ADDRESS\n[::]:0/i/i/x (0) (0)']) {
      expect(() => parseCiliumBpfLb(file(hostile))).not.toThrow();
    }
  });

  it('reads the samples: the 1.16, 2020 and 2019 layouts; refuses `cilium service list`', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const v116 = parseCiliumBpfLb(sampleSection('cilium-bpf-lb-list.txt', 0));
    expect(v116.issues).toEqual([]);
    expect(v116.value.services.map(summary)).toEqual([
      ['10.96.0.1:443', ['ClusterIP'], ['non-routable'], ['172.18.0.3:6443'], 3, 4],
      ['10.96.252.10:443', ['ClusterIP'], ['InternalLocal', 'non-routable'], ['172.18.0.2:4244'], 5, 6],
      ['10.96.155.44:80', ['ClusterIP'], ['non-routable'], ['10.244.1.211:80'], 7, 7],
      ['172.18.0.2:32646', ['NodePort'], ['l7-load-balancer'], [], 9, 9],
      ['10.96.193.7:443', ['ClusterIP'], ['non-routable', 'l7-load-balancer'], [], 10, 10],
    ]);
    expect(v116.value.services[3]!.l7ProxyPort).toBe(15735);

    const v2020 = parseCiliumBpfLb(sampleSection('cilium-bpf-lb-list.txt', 1));
    expect(v2020.issues).toEqual([]);
    expect(v2020.value.services.map((s) => [s.frontend, s.types, s.backends.length, s.revNat])).toEqual([
      ['100.72.178.101:80', ['ClusterIP'], 2, 14],
      ['100.64.5.14:30157', ['NodePort'], 2, 30],
      ['10.88.58.5:443', ['ExternalIPs'], 6, 3],
      ['100.72.65.50:443', ['ClusterIP'], 1, 22],
    ]);

    const v2019 = parseCiliumBpfLb(sampleSection('cilium-bpf-lb-list.txt', 2));
    expect(v2019.issues).toEqual([]);
    expect(v2019.value.services.map((s) => [s.frontend, s.types, s.backends.length, s.masterLine])).toEqual([
      ['10.110.178.169:80', [], 2, 30],
      ['10.101.55.250:2379', [], 3, 34],
      ['10.96.0.10:53', [], 1, 37],
      ['10.96.0.1:443', [], 1, 40],
    ]);

    const serviceList = parseCiliumBpfLb(sampleSection('cilium-bpf-lb-list.txt', 3));
    expect(serviceList.value.services).toEqual([]);
    expect(serviceList.issues.map((i) => [i.code, i.line])).toEqual([['UNEXPECTED_SHAPE', 42]]);
  });
});
