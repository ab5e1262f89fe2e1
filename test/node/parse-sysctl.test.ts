import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseSysctl } from '../../analyzer/node/parse-sysctl.js';

/** `sysctl` of the bundle-format keys on a node without br_netfilter, stderr captured with stdout. */
const SYSCTL = `net.ipv4.ip_forward = 1
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.flannel/1.rp_filter = 2
sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory
sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-ip6tables: No such file or directory
net.netfilter.nf_conntrack_count = 262101
net.netfilter.nf_conntrack_max = 262144
net.ipv4.ip_local_port_range = 32768	60999
net.ipv4.tcp_retries2 = 15
net.core.somaxconn = 4096
`;

describe('parseSysctl', () => {
  it('reads key = value lines with their line numbers', () => {
    const { value, issues } = parseSysctl(new SourceFile('nodes/node-a/sysctl.txt', SYSCTL));
    expect(issues).toEqual([]);
    expect(value.values.get('net.ipv4.ip_forward')).toEqual({ key: 'net.ipv4.ip_forward', value: '1', line: 1 });
    expect(value.values.get('net.ipv4.conf.flannel/1.rp_filter')?.value).toBe('2');
    expect(value.values.get('net.ipv4.ip_local_port_range')?.value).toBe('32768 60999');
    expect(value.values.get('net.netfilter.nf_conntrack_count')).toMatchObject({ value: '262101', line: 7 });
    expect([...value.values.keys()]).toHaveLength(9);
  });

  it('records keys the kernel does not have', () => {
    const { value } = parseSysctl(new SourceFile('nodes/node-a/sysctl.txt', SYSCTL));
    expect([...value.missing]).toEqual([
      ['net.bridge.bridge-nf-call-iptables', 5],
      ['net.bridge.bridge-nf-call-ip6tables', 6],
    ]);
  });

  it('reports lines that are not key = value and keeps the rest', () => {
    const text = 'net.core.somaxconn = 4096\njust some words\n= 5\nnet.ipv4.ip_forward=0\n';
    const { value, issues } = parseSysctl(new SourceFile('nodes/node-a/sysctl.txt', text));
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 2],
      ['BAD_LINE', 3],
    ]);
    expect(value.values.get('net.ipv4.ip_forward')?.value).toBe('0');
  });
});
