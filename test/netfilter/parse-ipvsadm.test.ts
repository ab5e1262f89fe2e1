/** parseIpvsadm on `ipvsadm -Ln` output: kube-proxy IPVS mode, FWM/SCTP/IPv6 services, empty services. */
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { parseIpvsadm } from '../../analyzer/netfilter/parse-ipvsadm.js';
import { sampleFile, samplesAvailable, SKIP_MESSAGE } from './shared-samples.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;
const parse = (text: string) => parseIpvsadm(new SourceFile('nodes/node-a/ipvsadm.txt', text));

describe('parseIpvsadm', () => {
  const { value, issues } = parse(
    lines(
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.96.0.1:443 rr persistent 10800',
      '  -> 192.168.0.11:6443            Masq    1      3          0         ',
      '  -> 192.168.0.12:6443            Masq    1      2          1         ',
      'UDP  10.96.0.10:53 rr',
      '  -> 10.244.0.2:53                Masq    1      0          12        ',
      'TCP  10.1.109.187:443 rr',
      'SCTP 10.96.5.5:3868 sh',
      '  -> 10.244.3.3:3868              Route   5      0          0         ',
      'TCP  [fd00:10:96::a]:53 wlc persistent 60 mask 255.255.255.0 ops',
      '  -> [fd00:10:244::7]:53          Tunnel  2      0          0         ',
      'FWM  100 rr',
      '  -> 10.0.0.5:0                   Local   1      0          0         ',
    ),
  );

  it('reads the header and every virtual server with its key', () => {
    expect(issues).toEqual([]);
    expect(value.version).toBe('1.2.1');
    expect(value.connectionTableSize).toBe(4096);
    expect(value.virtualServers.map((v) => v.key)).toEqual([
      'TCP 10.96.0.1:443',
      'UDP 10.96.0.10:53',
      'TCP 10.1.109.187:443',
      'SCTP 10.96.5.5:3868',
      'TCP [fd00:10:96::a]:53',
      'FWM 100',
    ]);
  });

  it('reads persistence (ClientIP affinity) and real servers with forward method, weight and counters', () => {
    const api = value.virtualServers[0]!;
    expect(api).toMatchObject({ line: 4, protocol: 'TCP', address: parseIpAddress('10.96.0.1'), port: 443, scheduler: 'rr', persistent: { timeoutSeconds: 10800 } });
    expect(api.realServers).toEqual([
      { line: 5, address: parseIpAddress('192.168.0.11'), port: 6443, forward: 'Masq', weight: 1, activeConnections: 3, inactiveConnections: 0 },
      { line: 6, address: parseIpAddress('192.168.0.12'), port: 6443, forward: 'Masq', weight: 1, activeConnections: 2, inactiveConnections: 1 },
    ]);
    expect(value.virtualServers[1]!.persistent).toBeUndefined();
  });

  it('keeps a virtual server without real servers (traffic to it is blackholed)', () => {
    expect(value.virtualServers[2]).toMatchObject({ line: 9, realServers: [] });
  });

  it('reads SCTP, IPv6 with netmask and flags, and firewall-mark services', () => {
    expect(value.virtualServers[3]).toMatchObject({ protocol: 'SCTP', scheduler: 'sh', realServers: [{ forward: 'Route', weight: 5 }] });
    expect(value.virtualServers[4]).toMatchObject({
      family: 6,
      scheduler: 'wlc',
      persistent: { timeoutSeconds: 60, netmask: '255.255.255.0' },
      flags: ['ops'],
      realServers: [{ address: parseIpAddress('fd00:10:244::7'), port: 53, forward: 'Tunnel', weight: 2 }],
    });
    expect(value.virtualServers[5]).toMatchObject({ protocol: 'FWM', fwmark: 100, family: 4, realServers: [{ forward: 'Local' }] });
    expect(value.virtualServers[5]!.address).toBeUndefined();
  });

  it('reports unreadable lines and orphan real servers', () => {
    const result = parse(lines('  -> 10.0.0.1:80  Masq 1 0 0', 'TCP  not-an-address rr', 'TCP  10.0.0.2:80 rr', '  -> 10.0.0.3  Masq 1 0 0'));
    expect(result.issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 1],
      ['BAD_LINE', 2],
      ['BAD_LINE', 4],
    ]);
    expect(result.value.virtualServers).toHaveLength(1);
  });
});

describe.skipIf(!samplesAvailable)(`parseIpvsadm on shared samples${samplesAvailable ? '' : ` (skipped: ${SKIP_MESSAGE})`}`, () => {
  it('ipvsadm-Ln-1.txt: NodePort per node IP, persistent 10800', () => {
    const { value, issues } = parseIpvsadm(sampleFile('ipvsadm-Ln-1.txt'));
    expect(issues).toEqual([]);
    expect(value.virtualServers).toHaveLength(7);
    expect(value.virtualServers[0]!.realServers).toHaveLength(4);
    expect(value.virtualServers[3]).toMatchObject({ key: 'TCP 10.254.0.1:443', persistent: { timeoutSeconds: 10800 } });
    expect(value.virtualServers[6]!.realServers.at(-1)).toMatchObject({ line: 25, port: 1, inactiveConnections: 0 });
  });

  it('ipvsadm-Ln-2.txt: the --persistent-conn layout, elisions, and a service with no real server', () => {
    const { value, issues } = parseIpvsadm(sampleFile('ipvsadm-Ln-2.txt'));
    expect(issues.filter((i) => i.code === 'BAD_LINE')).toEqual([]);
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['UNEXPECTED_SHAPE', 16],
      ['UNEXPECTED_SHAPE', 21],
    ]);
    expect(value.virtualServers[1]).toMatchObject({
      persistent: { timeoutSeconds: 60 },
      realServers: [{ weight: 1, persistentConnections: 1, activeConnections: 1, inactiveConnections: 0 }],
    });
    expect(value.virtualServers[1]!.realServers[0]!.forward).toBeUndefined();
    expect(value.virtualServers.at(-1)).toMatchObject({ key: 'TCP 10.1.109.187:443', realServers: [] });
  });

  it('kubeproxy-ipvs-iptables-ipset.txt: the ipvsadm section', () => {
    const { value, issues } = parseIpvsadm(sampleFile('kubeproxy-ipvs-iptables-ipset.txt', ['ipvsadm']));
    expect(issues).toEqual([]);
    expect(value.virtualServers.map((v) => v.key)).toEqual(['TCP 10.0.0.1:443', 'TCP 10.0.0.10:53', 'UDP 10.0.0.10:53']);
  });
});
