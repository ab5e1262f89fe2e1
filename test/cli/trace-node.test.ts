/**
 * `netdump trace-node` in process: the command as main.ts registers it, on bundle folders
 * holding a kube-proxy node's real-format dumps (test/netfilter-sim/fixtures: node-a, iptables,
 * IPVS and nftables modes), and on the shipped scenarios when their node dumps are there.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTraceNodeCommand } from '../../analyzer/cli/commands/trace-node.js';
import { endpointChainHash, joinHostPort, servicePortChainHash } from '../../analyzer/netfilter/kube-proxy-names.js';
import { kubectlList, node, pod, service } from '../helpers/kube-objects.js';
import { lineOf, nodeIpAddr } from '../helpers/node-dumps.js';
import { fixtureText } from '../netfilter-sim/sim-fixtures.js';
import { runCliInProcess } from '../helpers/run-cli-in-process.js';
import { scenarioDir } from './run-cli.js';

type Json = Record<string, any>;

const IPTABLES = fixtureText('kube-proxy-iptables.txt');
const DUMP = 'nodes/node-a/iptables-save.txt';
const KUBE_SERVICES = (ip: string) => lineOf(IPTABLES, '-A KUBE-SERVICES', `-d ${ip}/32`);

/** The cluster of the simulator fixtures: node-a 10.0.1.11 (pods 10.244.1.0/24), node-b, node-c. */
function clusterFiles(): Record<string, string> {
  const webPort = [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }];
  const localOnly = service({ namespace: 'default', name: 'local-only', type: 'LoadBalancer', clusterIPs: ['10.96.0.60'], ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30081 }], lbIngress: ['192.0.2.10'] });
  (localOnly.spec as Json).externalTrafficPolicy = 'Local';
  return {
    'cluster/nodes.json': kubectlList([
      node({ name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.1.0/24' }),
      node({ name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.2.0/24' }),
      node({ name: 'node-c', ip: '10.0.1.13', podCIDR: '10.244.3.0/24' }),
    ]),
    'cluster/services.json': kubectlList([
      service({ namespace: 'default', name: 'web', type: 'NodePort', clusterIPs: ['10.96.0.50'], ports: webPort, selector: { app: 'web' } }),
      service({ namespace: 'default', name: 'empty', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, targetPort: 8080 }], selector: { app: 'gone' } }),
      localOnly,
    ]),
    // 10.244.3.8, web's third endpoint in the dump, has no pod any more: the rules are stale.
    'cluster/pods.json': kubectlList([
      pod({ namespace: 'default', name: 'client-0', ip: '10.244.1.5', node: 'node-a', labels: { app: 'client' } }),
      pod({ namespace: 'default', name: 'web-0', ip: '10.244.1.6', node: 'node-a', labels: { app: 'web' } }),
      pod({ namespace: 'default', name: 'web-1', ip: '10.244.2.7', node: 'node-b', labels: { app: 'web' } }),
    ]),
  };
}

const manifest = {
  format: 'netdump/v1',
  createdAt: '2026-11-26T10:00:00Z',
  items: [
    { path: DUMP, node: 'node-a', command: 'iptables-save', exitCode: 0, durationMs: 40, stderr: '' },
    { path: 'nodes/node-b/iptables-save.txt', node: 'node-b', command: 'iptables-save', exitCode: 127, durationMs: 2, stderr: 'sh: iptables-save: not found', error: 'command not found' },
  ],
};

const dirs: string[] = [];
function writeBundle(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'netdump-trace-node-'));
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

const run = (...args: string[]) => runCliInProcess(registerTraceNodeCommand, 'trace-node', args);

const traceJson = async (...args: string[]) => {
  const out = await run(...args, '--format', 'json');
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Json;
};

describe('trace-node on an iptables-mode node', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = writeBundle({
      ...clusterFiles(),
      'manifest.json': JSON.stringify(manifest, null, 2),
      [DUMP]: IPTABLES,
      'nodes/node-a/ip-addr.txt': nodeIpAddr('10.0.1.11'),
      'nodes/node-b/sysctl.txt': 'net.ipv4.ip_forward = 1\n',
    });
  });

  it('prints every endpoint a pod reaches through a ClusterIP, with the rules and who the endpoints are', async () => {
    const out = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    const lines = out.stdout.split('\n');
    expect(lines.slice(0, 10)).toEqual([
      'node-a, kube-proxy iptables mode: tcp 10.244.1.5 → 10.96.0.50:80, NEW, from pod',
      '  source: 10.244.1.5 is pod default/client-0 on node-a (hence --from pod)',
      '  destination: Service default/web port http (ClusterIP)',
      `  rules: ${DUMP}`,
      '',
      '3 outcomes:',
      '  1  33.33%  accepted  DNAT 10.244.1.6:8080 (pod default/web-0 on node-a)',
      '  2  33.33%  accepted  DNAT 10.244.2.7:8080 (pod default/web-1 on node-b)',
      '  3  33.33%  accepted  DNAT 10.244.3.8:8080 (no pod has this address)',
      '',
    ]);
    const second = out.stdout.slice(out.stdout.indexOf('outcome 2 of 3'), out.stdout.indexOf('outcome 3 of 3'));
    expect(second.split('\n')[0]).toBe('outcome 2 of 3 (33.33%): accepted: forwarded out of eth0');
    const svc = lineOf(IPTABLES, '-A KUBE-SVC-CDGGSHYLG3RE2FKL', '10.244.2.7:8080');
    const dnat = lineOf(IPTABLES, '-A KUBE-SEP-2RIJ5GIYXEFH6G4D', 'DNAT');
    expect(second).toContain(
      `  nat/KUBE-SERVICES #2  ${DUMP}:${KUBE_SERVICES('10.96.0.50')}  -A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL  → jump KUBE-SVC-CDGGSHYLG3RE2FKL\n`,
    );
    expect(second).toContain(`  nat/KUBE-SVC-CDGGSHYLG3RE2FKL #3  ${DUMP}:${svc}  `);
    expect(second).toContain(`  nat/KUBE-SEP-2RIJ5GIYXEFH6G4D #2  ${DUMP}:${dnat}  -A KUBE-SEP-2RIJ5GIYXEFH6G4D -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.7:8080  → accept (DNAT)\n`);
    const filterForward = lineOf(IPTABLES, '*filter') + lineOf(IPTABLES.split('*filter')[1]!, ':FORWARD ACCEPT') - 1;
    expect(second).toContain(`  filter/FORWARD policy  ${DUMP}:${filterForward}  :FORWARD ACCEPT  → accept\n`);
    expect(second).toContain('  DNAT to 10.244.2.7:8080: pod default/web-1 on node-b\n  SNAT: none\n');
    expect(out.stdout).toContain('  DNAT to 10.244.3.8:8080: no pod, Service or node of the bundle has this address\n');
  });

  it('gives the JSON form: node, packet, mode, outcomes with owned DNAT targets, unsupported, notes', async () => {
    const json = await traceJson(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--sport', '40000', '--dst', '10.96.0.50', '--dport', '80');
    expect(Object.keys(json)).toEqual(['node', 'mode', 'files', 'packet', 'outcomes', 'unsupported', 'notes']);
    expect(json.node).toBe('node-a');
    expect(json.mode).toBe('iptables');
    expect(json.packet).toMatchObject({ from: 'pod', src: '10.244.1.5', sport: 40000, dst: '10.96.0.50', dport: 80, proto: 'tcp', ctState: 'NEW' });
    expect(json.packet.destination).toEqual({ service: { name: 'default/web', port: 'http', kind: 'cluster-ip' } });
    expect(json.outcomes.map((o: Json) => [o.fate, o.dnat])).toEqual([
      ['accepted', { ip: '10.244.1.6', port: 8080, pod: { name: 'default/web-0', node: 'node-a' } }],
      ['accepted', { ip: '10.244.2.7', port: 8080, pod: { name: 'default/web-1', node: 'node-b' } }],
      ['accepted', { ip: '10.244.3.8', port: 8080 }],
    ]);
    const sum = json.outcomes.reduce((n: number, o: Json) => n + o.probability, 0);
    expect(sum).toBeCloseTo(1, 9);
    const step = json.outcomes[0].steps.find((s: Json) => s.chain === 'KUBE-SERVICES' && s.table === 'nat');
    expect(step).toMatchObject({ file: DUMP, line: KUBE_SERVICES('10.96.0.50'), verdict: 'jump', target: 'KUBE-SVC-CDGGSHYLG3RE2FKL' });
    expect(json.unsupported).toEqual([]);
  });

  it('drops NodePort traffic from outside to an externalTrafficPolicy=Local Service with no local endpoint', async () => {
    const out = await run(bundle, '--node', 'node-a', '--src', '203.0.113.9', '--dst', '10.0.1.11', '--dport', '30081');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('  source: 203.0.113.9 is neither a pod on node-a nor one of its addresses (10.0.1.11, 127.0.0.1) (hence --from external)\n');
    expect(out.stdout).toContain('  destination: Service default/local-only port http (NodePort), node node-a\n');
    expect(out.stdout).toContain('outcome 1 of 1 (100%): dropped\n');
    const drop = lineOf(IPTABLES, '-A KUBE-EXTERNAL-SERVICES', '--dport 30081 -j DROP');
    expect(out.stdout).toContain(`  filter/KUBE-EXTERNAL-SERVICES #2  ${DUMP}:${drop}  -A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/local-only:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30081 -j DROP  → drop\n`);
  });

  it('rejects a host connection to a Service without endpoints, and says the source is the node', async () => {
    const json = await traceJson(bundle, '--node', 'node-a', '--src', '10.0.1.11', '--dst', '10.96.0.20', '--dport', '80');
    expect(json.packet.from).toBe('host');
    expect(json.packet.fromInferred).toBe('10.0.1.11 is an address of node-a');
    expect(json.outcomes).toHaveLength(1);
    expect(json.outcomes[0]).toMatchObject({ fate: 'rejected', path: 'output' });
    expect(json.outcomes[0].steps.at(-1)).toMatchObject({ table: 'filter', chain: 'KUBE-SERVICES', line: KUBE_SERVICES('10.96.0.20'), verdict: 'drop', target: 'REJECT' });
  });

  it('masquerades external NodePort traffic (KUBE-MARK-MASQ, then MASQUERADE in POSTROUTING)', async () => {
    const json = await traceJson(bundle, '--node', 'node-a', '--src', '198.51.100.7', '--dst', '10.0.1.11', '--dport', '30080', '--from', 'external');
    expect(json.packet.fromInferred).toBeUndefined();
    // The pod interface (cni0) has no address in ip-addr.txt: masquerade's address is unknown there.
    expect(json.outcomes.map((o: Json) => [o.dnat.ip, o.exitInterface, o.snat])).toEqual([
      ['10.244.1.6', 'cni0', { masquerade: true }],
      ['10.244.2.7', 'eth0', { masquerade: true, ip: '10.0.1.11' }],
      ['10.244.3.8', 'eth0', { masquerade: true, ip: '10.0.1.11' }],
    ]);
    const mark = lineOf(IPTABLES, '-A KUBE-EXT-CDGGSHYLG3RE2FKL', 'KUBE-MARK-MASQ');
    const masquerade = lineOf(IPTABLES, '-j MASQUERADE');
    expect(json.outcomes[1].steps.filter((s: Json) => s.line === mark || s.line === masquerade).map((s: Json) => [s.chain, s.verdict])).toEqual([
      ['KUBE-EXT-CDGGSHYLG3RE2FKL', 'jump'],
      ['KUBE-POSTROUTING', 'accept'],
    ]);
  });

  it('notes that an ESTABLISHED packet is traced without its NAT binding', async () => {
    const out = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80', '--ctstate', 'established');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain(', ESTABLISHED, from pod\n');
    expect(out.stdout).toContain('  - ctstate ESTABLISHED: traced without the NAT binding of its connection');
    expect(out.stdout).not.toContain('DNAT to');
  });

  it('exits 2 naming the nodes that have data when the node is unknown', async () => {
    const out = await run(bundle, '--node', 'node-z', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(out).toEqual({ status: 2, stdout: '', stderr: 'netdump: unknown node "node-z": nodes with data-plane dumps: node-a\n' });
  });

  it('exits 2 with "not collected" and the collector\'s failure for a node without dumps', async () => {
    const out = await run(bundle, '--node', 'node-b', '--src', '10.244.2.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(out.status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(
      'netdump: not collected: nodes/node-b/iptables-save.txt (nor nft-ruleset.txt, ipvsadm.txt): the collector ran `iptables-save`, which failed (exit 127): command not found; nothing to trace on node-b\n',
    );
    const c = await run(bundle, '--node', 'node-c', '--src', '10.244.3.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(c.stderr).toBe('netdump: not collected: nodes/node-c/iptables-save.txt (nor nft-ruleset.txt, ipvsadm.txt); nothing to trace on node-c\n');
    const nft = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80', '--mode', 'nftables');
    expect(nft.stderr).toBe('netdump: not collected: nodes/node-a/nft-ruleset.txt; nothing to trace on node-a\n');
    const v6 = await run(bundle, '--node', 'node-a', '--src', 'fd00:10:244:1::5', '--dst', 'fd00:10:96::50', '--dport', '80');
    expect(v6.stderr).toBe('netdump: not collected: nodes/node-a/ip6tables-save.txt; nothing to trace on node-a\n');
  });

  it('exits 2 on a bad address, mixed families, a missing port or ports on icmp', async () => {
    const bad = await run(bundle, '--node', 'node-a', '--src', '10.244.1.500', '--dst', '10.96.0.50', '--dport', '80');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('10.244.1.500');
    expect(bad.stderr).toContain('expected an IPv4 or IPv6 address');
    const mixed = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', 'fd00::1', '--dport', '80');
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain('--src 10.244.1.5 and --dst fd00::1 are of different IP families');
    const noPort = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50');
    expect(noPort.status).toBe(2);
    expect(noPort.stderr).toContain('--dport is required for tcp');
    const icmpPort = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--proto', 'icmp', '--dport', '80');
    expect(icmpPort.status).toBe(2);
    expect(icmpPort.stderr).toContain('icmp has no ports');
    const port = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '70000');
    expect(port.status).toBe(2);
    expect(port.stderr).toContain('expected a port number from 1 to 65535');
    const missing = await run(join(bundle, 'no-such-dir'), '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^netdump: cannot read bundle /);
  });

  it('traces ICMP echo requests without ports', async () => {
    const json = await traceJson(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.244.2.7', '--proto', 'icmp');
    expect(json.packet).toMatchObject({ proto: 'icmp', icmpType: 8 });
    expect(json.outcomes.map((o: Json) => [o.fate, o.path, o.dnat])).toEqual([['accepted', 'forward', undefined]]);
  });
});

describe('trace-node with a rule the simulator cannot evaluate', () => {
  it('takes it both ways, marks those outcomes uncertain and lists the line', async () => {
    // A bridge firewall rule of the kind libvirt and OpenStack hosts carry: physdev is not evaluated.
    const dump = IPTABLES.replace('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"', '-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT\n$&');
    const physdev = lineOf(dump, '--physdev-is-bridged');
    const bundle = writeBundle({ ...clusterFiles(), [DUMP]: dump, 'nodes/node-a/ip-addr.txt': nodeIpAddr('10.0.1.11') });
    const out = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.244.2.7', '--dport', '8080');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain(`not evaluated (taken both ways; the outcomes that rest on them are marked uncertain):\n  ${DUMP}:${physdev}  -A FORWARD -m physdev --physdev-is-bridged -j ACCEPT  — `);
    expect(out.stdout).toContain(`  uncertain: rests on line ${physdev} the simulator could not evaluate (both ways taken)\n`);
    const json = await traceJson(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.244.2.7', '--dport', '8080');
    expect(json.unsupported).toEqual([expect.objectContaining({ file: DUMP, line: physdev, text: '-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT' })]);
    expect(json.outcomes.map((o: Json) => [o.probability, o.fate, o.uncertain, o.uncertainLines])).toEqual([
      [0.5, 'accepted', true, [physdev]],
      [0.5, 'accepted', true, [physdev]],
    ]);
  });
});

describe('trace-node on IPVS and nftables nodes', () => {
  it('follows IPVS to the real servers, with the iptables rules of IPVS mode', async () => {
    const bundle = writeBundle({
      ...clusterFiles(),
      'nodes/node-a/iptables-save.txt': fixtureText('kube-proxy-ipvs-iptables.txt'),
      'nodes/node-a/ipset-save.txt': fixtureText('kube-proxy-ipvs-ipset.txt'),
      'nodes/node-a/ipvsadm.txt': fixtureText('kube-proxy-ipvsadm.txt'),
      'nodes/node-a/ip-addr.txt': nodeIpAddr('10.0.1.11'),
    });
    const json = await traceJson(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(json.mode).toBe('ipvs');
    expect(json.files).toEqual(['nodes/node-a/ipvsadm.txt', 'nodes/node-a/iptables-save.txt']);
    expect(json.outcomes.map((o: Json) => [o.probability, o.fate, o.dnat])).toEqual([
      [0.5, 'accepted', { ip: '10.244.1.6', port: 8080, pod: { name: 'default/web-0', node: 'node-a' } }],
      [0.5, 'accepted', { ip: '10.244.2.7', port: 8080, pod: { name: 'default/web-1', node: 'node-b' } }],
    ]);
    const vs = json.outcomes[0].steps.filter((s: Json) => s.kind === 'ipvs');
    expect(vs.map((s: Json) => [s.file, s.line, s.text])).toEqual([
      ['nodes/node-a/ipvsadm.txt', lineOf(fixtureText('kube-proxy-ipvsadm.txt'), 'TCP  10.96.0.50:80'), 'TCP 10.96.0.50:80 rr'],
      ['nodes/node-a/ipvsadm.txt', lineOf(fixtureText('kube-proxy-ipvsadm.txt'), 'TCP  10.96.0.50:80') + 1, '-> 10.244.1.6:8080 Masq 1'],
    ]);
    const text = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(text.stdout).toContain('outcome 2 of 2 (50%): accepted: taken in by IPVS on node-a and sent out of eth0\n');
    expect(text.stdout).toContain(`  ipvs/TCP 10.96.0.50:80 #2  nodes/node-a/ipvsadm.txt:${lineOf(fixtureText('kube-proxy-ipvsadm.txt'), 'TCP  10.96.0.50:80') + 2}  -> 10.244.2.7:8080 Masq 1  → accept  [probability 0.5]\n`);
    const empty = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.20', '--dport', '80');
    expect(empty.stdout).toContain('outcome 1 of 1 (100%): rejected\n');
    expect(empty.stdout).toContain('  why: the IPVS virtual server has no usable real server');
  });

  it('follows nftables mode through the service-ips map and numgen', async () => {
    const bundle = writeBundle({ ...clusterFiles(), 'nodes/node-a/nft-ruleset.txt': fixtureText('kube-proxy-nft-list.txt'), 'nodes/node-a/ip-addr.txt': nodeIpAddr('10.0.1.11') });
    const out = await run(bundle, '--node', 'node-a', '--src', '10.244.1.5', '--dst', '10.96.0.50', '--dport', '80');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.split('\n').slice(0, 8)).toEqual([
      'node-a, kube-proxy nftables mode: tcp 10.244.1.5 → 10.96.0.50:80, NEW, from pod',
      '  source: 10.244.1.5 is pod default/client-0 on node-a (hence --from pod)',
      '  destination: Service default/web port http (ClusterIP)',
      '  rules: nodes/node-a/nft-ruleset.txt',
      '',
      '2 outcomes:',
      '  1  50%  accepted  DNAT 10.244.1.6:8080 (pod default/web-0 on node-a)',
      '  2  50%  accepted  DNAT 10.244.2.7:8080 (pod default/web-1 on node-b)',
    ]);
    const vmap = lineOf(fixtureText('kube-proxy-nft-list.txt'), 'vmap @service-ips');
    expect(out.stdout).toContain(`  kube-proxy/services #`);
    expect(out.stdout).toContain(`  nodes/node-a/nft-ruleset.txt:${vmap}  `);
  });
});

describe('trace-node on IPv6', () => {
  it('reads ip6tables-save.txt for an IPv6 packet', async () => {
    const spn = 'default/web:http';
    const svc = `KUBE-SVC-${servicePortChainHash(spn, 'tcp')}`;
    const endpoint = joinHostPort('fd00:10:244:1::6', 8080);
    const sep = `KUBE-SEP-${endpointChainHash(spn, 'tcp', endpoint)}`;
    const dump = [
      '# Generated by ip6tables-nft-save v1.8.9 on Tue Mar  5 10:00:00 2024',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
      ':KUBE-POSTROUTING - [0:0]',
      `:${sep} - [0:0]`,
      ':KUBE-SERVICES - [0:0]',
      `:${svc} - [0:0]`,
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      `-A ${sep} -s fd00:10:244:1::6/128 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`,
      `-A ${sep} -p tcp -m comment --comment "${spn}" -m tcp -j DNAT --to-destination ${endpoint}`,
      `-A KUBE-SERVICES -d fd00:10:96::50/128 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j ${svc}`,
      `-A ${svc} ! -s fd00:10:244::/56 -d fd00:10:96::50/128 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`,
      `-A ${svc} -m comment --comment "${spn} -> ${endpoint}" -j ${sep}`,
      'COMMIT',
      '# Completed on Tue Mar  5 10:00:00 2024',
      '',
    ].join('\n');
    const bundle = writeBundle({ ...clusterFiles(), 'nodes/node-a/iptables-save.txt': IPTABLES, 'nodes/node-a/ip6tables-save.txt': dump });
    const out = await run(bundle, '--node', 'node-a', '--src', 'fd00:10:244:1::5', '--dst', 'fd00:10:96::50', '--dport', '80', '--from', 'pod');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('  rules: nodes/node-a/ip6tables-save.txt\n');
    expect(out.stdout).toContain('  DNAT to [fd00:10:244:1::6]:8080: no pod, Service or node of the bundle has this address\n');
    expect(out.stdout).toContain(`  nat/KUBE-SERVICES #1  nodes/node-a/ip6tables-save.txt:${lineOf(dump, '-A KUBE-SERVICES')}  `);
  });
});

const stuck = scenarioDir('kube-proxy-stuck-node');
const hasStuckDumps = existsSync(join(stuck, 'nodes/node-b/iptables-save.txt'));

describe.skipIf(!hasStuckDumps)('trace-node on the kube-proxy-stuck-node scenario', () => {
  it('shows node-b still DNATing shop/cart to the pods it had before the rollout, and node-a to the new ones', async () => {
    const onB = await traceJson(stuck, '--node', 'node-b', '--src', '10.244.1.31', '--dst', '10.104.122.87', '--dport', '80');
    expect(onB.packet).toMatchObject({ from: 'pod', fromInferred: expect.stringMatching(/^10\.244\.1\.31 is pod shop\/cart-/) });
    expect(onB.packet.destination.service).toEqual({ name: 'shop/cart', port: 'http', kind: 'cluster-ip' });
    expect(onB.outcomes.map((o: Json) => o.dnat)).toEqual([
      { ip: '10.244.1.17', port: 8080 },
      { ip: '10.244.2.21', port: 8080 },
    ]);
    const metrics = await traceJson(stuck, '--node', 'node-b', '--src', '10.244.1.31', '--dst', '10.102.83.17', '--dport', '9090');
    expect(metrics.outcomes.map((o: Json) => [o.fate, o.dnat])).toEqual([['accepted', undefined]]);
    expect(metrics.notes).toContain('no rule on node-b translates 10.102.83.17:9090 (Service shop/frontend-metrics): the packet keeps the Service address as its destination');
    const onA = await traceJson(stuck, '--node', 'node-a', '--src', '10.0.1.11', '--dst', '10.104.122.87', '--dport', '80');
    expect(onA.packet.from).toBe('host');
    expect(onA.outcomes.map((o: Json) => [o.dnat.ip, o.dnat.pod?.node]).sort()).toEqual([
      ['10.244.1.31', 'node-b'],
      ['10.244.2.27', 'node-c'],
    ]);
  });
});
