/**
 * `netdump policy` in process: the command as main.ts registers it, on a bundle directory of
 * the test cluster, with a recording CliIo (stdout, stderr, exit status).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../analyzer/cli/cli-io.js';
import { registerPolicyCommand } from '../../analyzer/cli/commands/policy.js';
import { findLine } from '../helpers/kube-objects.js';
import { clusterFiles, DNS_IPS } from './policy-cluster.js';

type Json = Record<string, unknown>;

const policies: Record<string, Json> = {
  'deny-all': { podSelector: {}, policyTypes: ['Ingress'] },
  'allow-from-y': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 80, protocol: 'TCP' }] }] },
  'y/dns-one-replica': { podSelector: { matchLabels: { pod: 'c' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${DNS_IPS[0]}/32` } }], ports: [{ port: 53, protocol: 'UDP' }] }] },
};
const files = clusterFiles({ policies });
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netdump-policy-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  let stdout = '';
  let stderr = '';
  let status = 0;
  const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), stdoutIsTTY: false, env: {}, setExitCode: (c) => void (status = c) };
  const program = new Command('netdump').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerPolicyCommand(program, io);
  try {
    await program.parseAsync(['node', 'netdump', 'policy', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    status = error.exitCode;
  }
  return { stdout, stderr, status };
}

describe('netdump policy --from --to', () => {
  it('prints a deny with the walk and exits 1', async () => {
    const out = await run(dir, '--from', 'z/b', '--to', 'x/a', '--port', '80');
    expect(out.status).toBe(1);
    expect(out.stderr).toBe('');
    const text = files['cluster/networkpolicies.json']!;
    const podSelectorLine = (name: string) => findLine(text, `"name": "${name}"`, '\n                "podSelector": {') + 1;
    expect(out.stdout).toBe(
      [
        'z/b → x/a 80/TCP: DENY  (kubernetes, CNI kube-router)',
        '  egress of z/b: ALLOW (not isolated)',
        '    note: no NetworkPolicy selects z/b for egress: not isolated',
        '  ingress of x/a: DENY',
        `    ✗ NetworkPolicy/x/allow-from-y (deny): selects x/a for ingress and none of its 1 ingress rule allows z/b on 80/TCP  [cluster/networkpolicies.json:${podSelectorLine('allow-from-y')}]`,
        `    ✗ NetworkPolicy/x/deny-all (deny): selects x/a for ingress and has no ingress rules  [cluster/networkpolicies.json:${findLine(text, '"name": "deny-all"', '"podSelector": {')}]`,
        '        rule 0 did not match: from: z/b matches no peer (namespaceSelector ns=y: namespace z does not match namespaceSelector ns=y)',
        '      NetworkPolicy/x/deny-all: no ingress rules: denies all ingress of the pods it selects',
        '    note: x/a is isolated for ingress by 2 policies and no rule allows z/b on 80/TCP',
        '  note: denied by the ingress of x/a',
        '',
      ].join('\n'),
    );
  });

  it('prints an allow and exits 0; JSON carries endpoints by name', async () => {
    const out = await run(dir, '--from', 'y/b', '--to', 'x/a', '--port', 'serve-80-tcp', '--format', 'json');
    expect(out.status).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      verdict: 'allow',
      engine: 'kubernetes',
      cni: 'kube-router',
      flow: { src: { kind: 'pod', pod: 'y/b', ip: '10.244.2.21' }, dst: { kind: 'pod', pod: 'x/a', ip: '10.244.1.10' }, protocol: 'TCP', port: 80 },
    });
    expect(json.decidedBy.map((d: { policy: string; ruleIndex: number }) => [d.policy, d.ruleIndex])).toEqual([['NetworkPolicy/x/allow-from-y', 0]]);
  });

  it('judges a Service per endpoint', async () => {
    const out = await run(dir, '--from', 'y/c', '--to', 'kube-system/kube-dns', '--port', 'dns/udp');
    expect(out.status).toBe(1);
    expect(out.stdout.split('\n')[0]).toBe('UNKNOWN over 2 endpoints  (kubernetes, CNI kube-router)');
    expect(out.stdout).toContain(`y/c → kube-system/coredns-7db6d8ff4d-k2x9q 53/UDP via Service kube-system/kube-dns: ALLOW`);
    expect(out.stdout).toContain(`y/c → kube-system/coredns-7db6d8ff4d-p8wzt 53/UDP via Service kube-system/kube-dns: DENY`);
  });

  it('exits 2 on a flow the bundle cannot resolve, or a bad option', async () => {
    expect(await run(dir, '--from', 'x/nope', '--to', 'x/a', '--port', '80')).toEqual({ stdout: '', stderr: 'netdump: no pod x/nope in the bundle\n', status: 2 });
    const bad = await run(dir, '--from', 'x/a', '--to', 'x/b', '--port', '80/gre');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--port 80/gre: unknown protocol gre (tcp, udp, sctp)');
    expect((await run(dir, '--to', 'x/b')).status).toBe(2);
    expect((await run(join(dir, 'missing'), '--from', 'x/a', '--to', 'x/b', '--port', '80')).status).toBe(2);
  });
});

describe('netdump policy --matrix', () => {
  it('prints who reaches whom, grouped by workload', async () => {
    const out = await run(dir, '--matrix', '-n', 'x,y', '--port', '80');
    expect(out.status).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines.slice(0, 9)).toEqual([
      'reachability (kubernetes (kube-router)): rows are sources, columns destinations',
      '                              1 2 3 4 5 6 7',
      // A pod cannot block itself: the diagonal of single-pod workloads is always allowed.
      '1 x/db (StatefulSet, 1 pod)   ✓ ✗ ✗ ✗ ✓ ✓ ✓',
      '2 x/x-a (StatefulSet, 1 pod)  ✗ ✓ ✗ ✗ ✓ ✓ ✓',
      '3 x/x-b (StatefulSet, 1 pod)  ✗ ✗ ✓ ✗ ✓ ✓ ✓',
      '4 x/x-c (StatefulSet, 1 pod)  ✗ ✗ ✗ ✓ ✓ ✓ ✓',
      // x/a admits y on 80; y/c's egress only reaches one DNS replica.
      '5 y/y-a (StatefulSet, 1 pod)  ✗ ✓ ✗ ✗ ✓ ✓ ✓',
      '6 y/y-b (StatefulSet, 1 pod)  ✗ ✓ ✗ ✗ ✓ ✓ ✓',
      '7 y/y-c (StatefulSet, 1 pod)  ✗ ✗ ✗ ✗ ✗ ✗ ✓',
    ]);
    expect(out.stdout).toContain('denying policies (cells):\n  NetworkPolicy/x/deny-all (');
  });

  it('prints JSON cells', async () => {
    const out = await run(dir, '--matrix', '-n', 'y', '--format', 'json');
    const json = JSON.parse(out.stdout);
    expect(json.groups.map((g: { label: string }) => g.label)).toEqual(['y/y-a (StatefulSet, 1 pod)', 'y/y-b (StatefulSet, 1 pod)', 'y/y-c (StatefulSet, 1 pod)']);
    expect(json.cells[0][1]).toEqual({ verdict: 'allow', port: 80, protocol: 'TCP', policies: [] });
  });

  it('needs namespaces', async () => {
    const out = await run(dir, '--matrix');
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--matrix needs the namespaces to show');
  });
});
