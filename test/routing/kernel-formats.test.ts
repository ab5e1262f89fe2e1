/**
 * The parsers against what the installed tools print today: a namespace is built from a known
 * configuration, `ip -d addr`, `ip -d -s link`, `ip route show table all`, `ip rule`, `sysctl`,
 * `netstat -s` and `nstat` are captured from it, and the parsed result must show exactly what
 * was configured, without parse issues. A format change in iproute2, procps or net-tools then
 * fails here. Needs root and `ip netns`; skipped with the reason otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { formatIpAddress, parseCidr } from '../../analyzer/netfilter/ip-cidr.js';
import { parseSysctl } from '../../analyzer/node/parse-sysctl.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';
import { parseIpLink } from '../../analyzer/routing/parse-ip-link.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import { parseIpRule } from '../../analyzer/routing/parse-ip-rule.js';
import { parseNetstatS, tcpRetransmissionRate } from '../../analyzer/routing/parse-netstat-s.js';
import { generateLabConfig } from './fib-lab-config.js';
import { FibLab, fibLabAvailability, type LabCapture } from './fib-lab.js';

const availability = fibLabAvailability();
const skipReason = availability.ok ? '' : ` (skipped: ${availability.reason})`;
if (!availability.ok) console.warn(`kernel format tests skipped: ${availability.reason}`);

const SEED = 4242;
const dummyDriver = availability.ok && availability.dummyDriver;
const config = generateLabConfig(SEED);
// Every configured route must still be there when captured: no interface is taken down here.
delete config.downDevice;

let lab: FibLab | undefined;
let capture: LabCapture;

beforeAll(() => {
  if (!availability.ok) return;
  lab = new FibLab(config);
  lab.build({ dummyDriver });
  capture = lab.capture();
});

afterAll(() => lab?.destroy());

const run = it.skipIf(!availability.ok);

describe(`parsers on the installed tools' output (lab seed ${SEED})${skipReason}`, () => {
  run('ip -d addr show: every configured interface, kind and address', () => {
    const { value, issues } = parseIpAddr(new SourceFile('nodes/lab/ip-addr.txt', capture.addr));
    expect(issues).toEqual([]);
    for (const device of config.devices) {
      const parsed = value.interfaces.find((i) => i.name === device.name);
      expect(parsed, device.name).toBeDefined();
      // Without the dummy driver the lab builds kube-ipvs0 as a veth.
      const expectedKind = device.kind === 'loopback' ? undefined : device.kind === 'dummy' && !dummyDriver ? 'veth' : device.kind;
      expect(parsed!.details?.kind, `${device.name} kind`).toBe(expectedKind);
      const v4 = parsed!.addresses.filter((a) => a.family === 4 && a.text !== '127.0.0.1');
      expect(v4.map((a) => [a.text, a.prefixLength, a.secondary]).sort(), `${device.name} IPv4`).toEqual(
        device.v4.map((a) => [a.address, a.prefix, a.secondary]).sort(),
      );
      const v6 = parsed!.addresses.filter((a) => a.family === 6 && a.scope === 'global');
      expect(v6.map((a) => `${a.text}/${a.prefixLength}`).sort(), `${device.name} IPv6`).toEqual(device.v6.map((a) => `${a.address}/${a.prefix}`).sort());
      for (const address of v6) {
        expect(address.flags.includes('deprecated'), `${address.text} deprecated`).toBe(address.text.endsWith('::2') && device.kind === 'veth');
      }
    }
    const vxlan = value.interfaces.find((i) => i.name === 'flannel.1')!;
    const eth0 = config.devices.find((d) => d.name === 'eth0')!;
    expect(vxlan.details).toMatchObject({ kind: 'vxlan', id: 1, port: 8472, device: 'eth0', local: eth0.v4[0]!.address, learning: false });
    const veth = value.interfaces.find((i) => i.name === 'eth1')!;
    expect(veth.link).toMatch(/^if\d+$/);
    expect(veth.linkNetns).toBeDefined();
    const noCarrier = config.devices.find((d) => d.noCarrier);
    if (noCarrier) expect(value.interfaces.find((i) => i.name === noCarrier.name)).toMatchObject({ up: true, lowerUp: false });
  });

  run('ip -d -s link show: counters of every interface, in the installed layout', () => {
    const { value, issues } = parseIpLink(new SourceFile('nodes/lab/ip-link.txt', capture.link));
    expect(issues).toEqual([]);
    expect(value.interfaces.map((i) => i.name).sort()).toEqual(parseIpAddr(new SourceFile('a', capture.addr)).value.interfaces.map((i) => i.name).sort());
    for (const device of value.interfaces) {
      const { rx, tx, approximate } = device.statistics!;
      expect(approximate).toBe(false);
      for (const counter of ['bytes', 'packets', 'errors', 'dropped', 'mcast']) expect(rx[counter], `${device.name} rx ${counter}`).toBeTypeOf('number');
      expect(rx.missed ?? rx.overrun, `${device.name} rx missed/overrun`).toBeTypeOf('number');
      for (const counter of ['bytes', 'packets', 'errors', 'dropped', 'carrier', 'collsns']) expect(tx[counter], `${device.name} tx ${counter}`).toBeTypeOf('number');
    }
    expect(value.interfaces.find((i) => i.name === 'flannel.1')!.details?.kind).toBe('vxlan');
  });

  run('ip route show table all: every configured route with its type and table, both families', () => {
    const { value, issues } = parseIpRoute(new SourceFile('nodes/lab/ip-route.txt', capture.route));
    expect(issues).toEqual([]);
    const refused = new Set(lab!.refused);
    const expectations = [
      ...config.commands.filter((c) => c.startsWith('route add')).map((c) => ({ command: c, family: 4 as const })),
      ...config.commands6.filter((c) => c.startsWith('route add')).map((c) => ({ command: c, family: 6 as const })),
    ].filter(({ command, family }) => !refused.has(family === 6 ? `-6 ${command}` : command));
    expect(expectations.length).toBeGreaterThan(20);
    for (const { command, family } of expectations) {
      const [, type = 'unicast', prefix] = /^route add (?:(blackhole|unreachable|prohibit|throw|local) )?(\S+)/.exec(command)!;
      const table = / table (\S+)/.exec(command)?.[1] ?? (type === 'local' ? 'local' : 'main');
      const metric = / metric (\d+)/.exec(command)?.[1];
      const destination = parseCidr(prefix === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : prefix!)!;
      const found = value.routes.find(
        (r) =>
          r.family === family &&
          r.type === type &&
          r.table === table &&
          r.destination.prefix === destination.prefix &&
          r.destination.network === destination.network &&
          (metric === undefined || r.metric === Number(metric)),
      );
      expect(found, command).toBeDefined();
      const hops = [...command.matchAll(/nexthop via (\S+) dev (\S+) weight (\d+)/g)];
      if (hops.length > 0) {
        expect(found!.nexthops.map((h) => [formatIpAddress(h.gateway!), h.device, h.weight]), command).toEqual(hops.map((h) => [h[1], h[2], Number(h[3])]));
      }
    }
    const ipv6 = parseIpRoute(new SourceFile('nodes/lab/ip6-route.txt', capture.route6), { family: 6 });
    expect(ipv6.issues).toEqual([]);
    expect(value.routes.filter((r) => r.family === 6).map((r) => r.text)).toEqual(ipv6.value.routes.map((r) => r.text));
    const noCarrier = config.devices.find((d) => d.noCarrier);
    if (noCarrier) {
      const connected = value.routes.find((r) => r.family === 4 && r.protocol === 'kernel' && r.table === 'main' && r.nexthops[0]!.device === noCarrier.name);
      expect(connected?.flags).toContain('linkdown');
    }
  });

  run('ip rule show / ip -6 rule show: the configured rules plus the defaults', () => {
    const rules4 = parseIpRule(new SourceFile('nodes/lab/ip-rule.txt', capture.rule));
    const rules6 = parseIpRule(new SourceFile('nodes/lab/ip6-rule.txt', capture.rule6), { family: 6 });
    expect([...rules4.issues, ...rules6.issues]).toEqual([]);
    const configured4 = config.commands.filter((c) => c.startsWith('rule add'));
    const configured6 = config.commands6.filter((c) => c.startsWith('rule add'));
    expect(rules4.value.rules.map((r) => r.priority)).toEqual([0, ...configured4.map((c) => Number(/priority (\d+)$/.exec(c)![1])), 32766, 32767]);
    expect(rules6.value.rules.map((r) => r.priority)).toEqual([0, ...configured6.map((c) => Number(/priority (\d+)$/.exec(c)![1])), 32766]);
    for (const [command, rule] of configured4.map((c, i) => [c, rules4.value.rules[i + 1]!] as const)) {
      const action = / (lookup \S+|goto \d+|blackhole|unreachable|prohibit)/.exec(command)![1]!;
      expect(rule.action, command).toBe(action.split(' ')[0]);
      expect(rule.not, command).toBe(command.includes(' not '));
      if (command.includes('fwmark')) expect(rule.fwmark, command).toBeDefined();
      if (command.includes(' iif ')) expect(rule.iif, command).toBe(/ iif (\S+)/.exec(command)![1]);
      if (command.includes('suppress_prefixlength')) expect(rule.suppressPrefixLength, command).toBe(0);
    }
  });

  run('sysctl: the bundle-format keys and per-interface rp_filter', () => {
    const { value, issues } = parseSysctl(new SourceFile('nodes/lab/sysctl.txt', capture.sysctl));
    expect(issues).toEqual([]);
    const configured = (key: string) => config.sysctls.find((s) => s.startsWith(`${key}=`))?.split('=')[1];
    expect(value.values.get('net.ipv4.ip_forward')?.value).toBe(configured('net.ipv4.ip_forward'));
    expect(value.values.get('net.ipv4.conf.all.rp_filter')?.value).toBe(configured('net.ipv4.conf.all.rp_filter'));
    for (const setting of config.deviceSysctls) {
      const [key, wanted] = setting.split('=');
      expect(value.values.get(key!)?.value, key).toBe(wanted);
    }
    expect(value.values.get('net.ipv4.ip_local_port_range')?.value).toMatch(/^\d+ \d+$/);
    expect(value.values.get('net.core.somaxconn')?.value).toMatch(/^\d+$/);
  });

  run('netstat -s and nstat: the TCP counters behind the retransmission rate', (context) => {
    if (capture.netstat === undefined || capture.nstat === undefined) return context.skip('net-tools (netstat) or nstat is not installed');
    const netstat = parseNetstatS(new SourceFile('nodes/lab/netstat-s.txt', capture.netstat));
    expect(netstat.issues).toEqual([]);
    for (const key of ['IpInReceives', 'IpForwDatagrams', 'IcmpInMsgs', 'TcpActiveOpens', 'TcpOutSegs', 'TcpRetransSegs', 'UdpInDatagrams', 'UdpNoPorts']) {
      expect(netstat.value.counters.get(key)?.value, key).toBeTypeOf('number');
    }
    // Every sentence netstat printed for the classic sections is one the table knows.
    const unnamed = [...netstat.value.counters.keys()].filter((k) => k.includes(': ') && /^(Ip|Icmp|Tcp|Udp):/.test(k));
    expect(unnamed).toEqual([]);
    expect(tcpRetransmissionRate(netstat.value)).toBeDefined();
    const nstat = parseNetstatS(new SourceFile('nodes/lab/nstat.txt', capture.nstat));
    expect(nstat.issues).toEqual([]);
    expect(nstat.value.counters.get('TcpRetransSegs')?.value).toBeTypeOf('number');
    expect(nstat.value.counters.get('TcpExtListenOverflows')?.section).toBe('TcpExt');
  });
});
