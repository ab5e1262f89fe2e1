import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseIpLink } from '../../analyzer/routing/parse-ip-link.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './shared-samples.js';

/** `ip -d -s link show`, iproute2 6.x layout (`RX:  bytes packets errors dropped  missed   mcast`). */
const NEW_LAYOUT = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
    RX:  bytes packets errors dropped  missed   mcast           
         86272    1024      0       0       0       0 
    TX:  bytes packets errors dropped carrier collsns           
         86272    1024      0       0       0       0 
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether 0a:1b:aa:f3:64:00 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 128 maxmtu 9216 
    addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 parentbus pci parentdev 0000:00:05.0 
    RX:  bytes packets errors dropped  missed   mcast           
    6261063410 7188302     12    4521       0       0 
    TX:  bytes packets errors dropped carrier collsns           
    1032601999 7396154      0       0       0       0 
5: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default 
    link/ether 8e:23:05:4d:c8:af brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    vxlan id 1 local 172.31.12.123 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 
    RX:  bytes packets errors dropped  missed   mcast           
      14877352  120211      0       0       0       0 
    TX:  bytes packets errors dropped carrier collsns           
      18226715  130145      0      87       0       0 
`;

/** Older iproute2 (4.x) with `-s -s`: `overrun` in the main line, `missed` in the error breakdown. */
const OLD_LAYOUT_DETAILED = `6: enp59s0f0: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 9000 qdisc mq master bond1 state UP mode DEFAULT group default qlen 1000
    link/ether ac:1f:6b:9e:d8:44 brd ff:ff:ff:ff:ff:ff promiscuity 0
    bond_slave state ACTIVE mii_status UP link_failure_count 0 perm_hwaddr ac:1f:6b:9e:d8:44 queue_id 0 ad_aggregator_id 1 ad_actor_oper_port_state 63 ad_partner_oper_port_state 63 addrgenmode none numtxqueues 480 numrxqueues 60 gso_max_size 65536 gso_max_segs 65535
    RX: bytes  packets  errors  dropped overrun mcast
    566216505914 198725012 3       10000000       0       10354794
    RX errors: length   crc     frame   fifo    missed
               0        2       1       0       7
    TX: bytes  packets  errors  dropped carrier collsns
    784224322216 226755877 0       0       0       0 
    TX errors: aborted  fifo   window heartbeat transns
               0        0       0       0       6
`;

const file = (text: string) => new SourceFile('nodes/node-a/ip-link.txt', text);

describe('parseIpLink', () => {
  it('reads the newer statistics layout into named counters', () => {
    const { value, issues } = parseIpLink(file(NEW_LAYOUT));
    expect(issues).toEqual([]);
    const [lo, eth0, flannel] = value.interfaces;
    expect(lo!.statistics).toEqual({
      rx: { bytes: 86272, packets: 1024, errors: 0, dropped: 0, missed: 0, mcast: 0 },
      tx: { bytes: 86272, packets: 1024, errors: 0, dropped: 0, carrier: 0, collsns: 0 },
      line: 3,
      approximate: false,
    });
    expect(eth0!.statistics!.rx).toMatchObject({ bytes: 6261063410, errors: 12, dropped: 4521 });
    expect(eth0!.statistics!.line).toBe(10);
    expect(eth0).toMatchObject({ mtu: 9001, mode: 'DEFAULT', minMtu: 128, maxMtu: 9216 });
    expect(flannel!.details).toMatchObject({ kind: 'vxlan', id: 1, port: 8472, device: 'eth0' });
    expect(flannel!.statistics!.tx.dropped).toBe(87);
  });

  it('reads the older layout and the -s -s error breakdown', () => {
    const { value, issues } = parseIpLink(file(OLD_LAYOUT_DETAILED));
    expect(issues).toEqual([]);
    const [port] = value.interfaces;
    expect(port).toMatchObject({ master: 'bond1', slaveKind: 'bond_slave', flags: ['BROADCAST', 'MULTICAST', 'SLAVE', 'UP', 'LOWER_UP'] });
    expect(port!.statistics!.rx).toEqual({
      bytes: 566216505914,
      packets: 198725012,
      errors: 3,
      dropped: 10000000,
      overrun: 0,
      mcast: 10354794,
      length: 0,
      crc: 2,
      frame: 1,
      fifo: 0,
      missed: 7,
    });
    expect(port!.statistics!.tx).toMatchObject({ bytes: 784224322216, carrier: 0, aborted: 0, heartbeat: 0, transns: 6 });
  });

  it('flags human-readable (-h) counters as approximate', () => {
    const text = `2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether 00:0a:f7:c1:4d:38 brd ff:ff:ff:ff:ff:ff
    RX: bytes  packets  errors  dropped overrun mcast
    6.04T      4.67G    0       0       0       67.7M
    TX: bytes  packets  errors  dropped carrier collsns
    3.13Ti     2.76G    0       0       0       0
`;
    const { value, issues } = parseIpLink(file(text));
    expect(issues).toEqual([]);
    const statistics = value.interfaces[0]!.statistics!;
    expect(statistics.approximate).toBe(true);
    expect(statistics.rx.bytes).toBe(6.04e12);
    expect(statistics.rx.mcast).toBe(67_700_000);
    expect(statistics.tx.bytes).toBe(Math.round(3.13 * 2 ** 40));
  });

  it('reports a statistics header whose numbers are missing or unreadable', () => {
    const text = `2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether 00:0a:f7:c1:4d:38 brd ff:ff:ff:ff:ff:ff
    RX: bytes  packets  errors  dropped overrun mcast
    12 x 0 0 0 0
    TX: bytes  packets  errors  dropped carrier collsns
`;
    const { value, issues } = parseIpLink(file(text));
    expect(issues.map((i) => [i.code, i.line, i.message])).toEqual([
      ['BAD_LINE', 4, 'unreadable counters for the statistics header at line 3'],
      ['BAD_LINE', 5, 'statistics header at the end of the file without numbers'],
    ]);
    expect(value.interfaces[0]!.details).toBeUndefined();
    expect(value.interfaces[0]!.statistics!.rx).toEqual({});
  });

  it('reads the shared samples (flannel VXLAN over a 9001-byte underlay; old and -h layouts)', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const flannel = parseIpLink(sampleSection('ip-d-link-vxlan.txt', 0));
    expect(flannel.issues).toEqual([]);
    expect(flannel.value.interfaces.map((i) => [i.name, i.mtu, i.details?.kind, i.details?.device, i.details?.port, i.line])).toEqual([
      ['flannel.1', 1500, 'vxlan', 'eth0', 8472, 2],
      ['eth0', 9001, undefined, undefined, undefined, 5],
    ]);
    const rke2 = parseIpLink(sampleSection('ip-d-link-vxlan.txt', 1));
    expect(rke2.issues).toEqual([]);
    expect(rke2.value.interfaces[0]).toMatchObject({ name: 'flannel.1', mtu: 1370, minMtu: 68, maxMtu: 65535 });
    expect(rke2.value.interfaces[0]!.details).toMatchObject({ id: 1, local: '10.0.0.1', device: 'abc', learning: false });

    const stats = parseIpLink(sampleSection('ip-s-link-and-route.txt', 0));
    expect(stats.issues).toEqual([]);
    expect(stats.value.interfaces.map((i) => [i.name, i.statistics?.rx.bytes, i.statistics?.tx.bytes])).toEqual([
      ['lo', 376, 376],
      ['eth0', 626106341, 1032601999],
    ]);
    const human = parseIpLink(sampleSection('ip-s-link-and-route.txt', 1));
    expect(human.issues).toEqual([]);
    expect(human.value.interfaces[0]!.statistics).toMatchObject({ approximate: true, rx: { missed: 7, mcast: 67_700_000 }, tx: { transns: 6 } });
  });
});
