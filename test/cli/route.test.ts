/**
 * `netdump route` in process: the command as main.ts registers it, on the shipped
 * calico-ipip-route-missing scenario (node-b lost its tunl0 route to node-c) and on small
 * bundle folders for multipath routes, policy rules and the errors it answers with.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerRouteCommand } from '../../analyzer/cli/commands/route.js';
import { eth0, ipAddr, lo, threeNodeCluster, type IfaceSpec } from '../helpers/node-network.js';
import { runCliInProcess } from '../helpers/run-cli-in-process.js';
import { scenarioDir } from './run-cli.js';

const SCENARIO = scenarioDir('calico-ipip-route-missing');

const dirs: string[] = [];
function writeBundle(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'netdump-route-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => runCliInProcess(registerRouteCommand, 'route', args);

/** A gateway node with two uplinks, a policy rule for marked traffic, and blackholed space. */
const eth1: IfaceSpec = { index: 3, name: 'eth1', mtu: 1500, qdisc: 'fq_codel', addresses: ['inet 192.168.50.2/24 brd 192.168.50.255 scope global eth1'] };
const gateway = writeBundle({
  ...threeNodeCluster(),
  'nodes/node-a/ip-addr.txt': ipAddr([lo, eth0('10.0.1.11'), eth1]),
  'nodes/node-a/ip-route.txt': `default proto static metric 20
\tnexthop via 10.0.1.1 dev eth0 weight 1
\tnexthop via 192.168.50.1 dev eth1 weight 2
10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.11
192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.2
unreachable 10.99.0.0/16
default via 192.168.50.1 dev eth1 table 100
local 10.0.1.11 dev eth0 table local proto kernel scope host src 10.0.1.11
local 192.168.50.2 dev eth1 table local proto kernel scope host src 192.168.50.2
`,
  'nodes/node-a/ip-rule.txt': '0:\tfrom all lookup local\n100:\tfrom all fwmark 0x4000/0x4000 lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n',
  'nodes/node-b/sysctl.txt': 'net.ipv4.ip_forward = 1\n',
});

describe('netdump route on a shipped scenario', () => {
  it("answers like `ip route get`, with the rule and route lines, and says what the destination is", async () => {
    const out = await run(SCENARIO, '--node', 'node-b', '10.244.2.21');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout.split('\n').slice(0, 6)).toEqual([
      'node-b: ip route get 10.244.2.21',
      '10.244.2.21 via 10.0.1.1 dev eth0 src 10.0.1.12',
      '  type         unicast: default route in table main: via 10.0.1.1 dev eth0',
      '  rule         nodes/node-b/ip-rule.txt:2  32766:\tfrom all lookup main',
      '  route        nodes/node-b/ip-route.txt:1  default via 10.0.1.1 dev eth0 proto static',
      '  destination  pod shop/cart-845d9ff6b-nsk8z on node-c',
    ]);
  });

  it('follows the tunnel on a node that still has its route, with the tunnel address as source', async () => {
    const out = await run(SCENARIO, '--node', 'node-c', '10.244.1.14');
    expect(out.stdout.split('\n')[1]).toBe('10.244.1.14 via 10.0.1.12 dev tunl0 src 10.244.2.1');
    expect(out.stdout).toContain('  route        nodes/node-c/ip-route.txt:4  10.244.1.0/24 via 10.0.1.12 dev tunl0 proto bird onlink\n');
  });

  it('forwards a packet arriving on a tunnel (--src, --iif) and prints JSON', async () => {
    const out = await run(SCENARIO, '--node', 'node-c', '10.244.2.21', '--src', '10.244.1.14', '--iif', 'tunl0', '--format', 'json');
    expect(out.status, out.stderr).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      command: 'ip route get 10.244.2.21 from 10.244.1.14 iif tunl0',
      type: 'unicast',
      device: 'cali9aae80ad9d3',
      table: 'main',
      route: { text: '10.244.2.21 dev cali9aae80ad9d3 scope link', file: 'nodes/node-c/ip-route.txt' },
      rule: { priority: 32766, kernelDefault: false },
      destinationIs: 'pod shop/cart-845d9ff6b-nsk8z on node-c',
      sourceIs: 'pod shop/frontend-5997b69cc8-d2pms on node-b',
    });
    expect(json.line).toBe('10.244.2.21 from 10.244.1.14 dev cali9aae80ad9d3 iif tunl0');
  });
});

describe('netdump route on policy routing and multipath', () => {
  it('lists every nexthop of a multipath default route', async () => {
    const out = await run(gateway, '--node', 'node-a', '203.0.113.9');
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines[1]).toBe('203.0.113.9');
    expect(lines).toContain('  nexthops     2 (multipath: each flow takes one, chosen by hash)');
    expect(lines).toContain('    1. via 10.0.1.1 dev eth0 weight 1 src 10.0.1.11');
    expect(lines).toContain('    2. via 192.168.50.1 dev eth1 weight 2 src 192.168.50.2');
    expect(out.stdout).toContain('  not modelled:\n    - multipath route: the kernel sends each flow through one nexthop chosen by hash\n');
  });

  it('takes the table a fwmark rule chooses (--mark in hex)', async () => {
    const out = await run(gateway, '--node', 'node-a', '203.0.113.9', '--mark', '0x4000', '--format', 'json');
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({ line: '203.0.113.9 via 192.168.50.1 dev eth1 table 100 src 192.168.50.2 mark 0x4000', table: '100', rule: { priority: 100, line: 2 } });
  });

  it("prints the kernel's error for an unreachable route, and exits 0", async () => {
    const out = await run(gateway, '--node', 'node-a', '10.99.3.4');
    expect(out.status).toBe(0);
    expect(out.stdout.split('\n').slice(0, 3)).toEqual([
      'node-a: ip route get 10.99.3.4',
      'RTNETLINK answers: No route to host',
      '  type         unreachable (EHOSTUNREACH): unreachable by route "unreachable 10.99.0.0/16" in table main',
    ]);
  });
});

describe('netdump route usage errors', () => {
  it.each([
    [['--node', 'node-z', '10.0.0.1'], /node node-z has no files in the bundle \(nodes: node-a, node-b\)/],
    [['--node', 'node-b', '10.0.0.1'], /no nodes\/node-b\/ip-route\.txt in the bundle/],
    [['--node', 'node-a', 'ten.0.0.1'], /expected an IPv4 or IPv6 address, got "ten\.0\.0\.1"/],
    [['--node', 'node-a', '10.0.0.1', '--mark', '0xfffffffff'], /expected a mark such as 0x4000 or 16384/],
    [['--node', 'node-a', '10.0.0.1', '--src', 'fd00::1'], /are of different IP families/],
  ])('%j exits 2', async (args, message) => {
    const out = await run(gateway, ...(args as string[]));
    expect(out.status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(message);
  });
});
