/**
 * `netdump dns` in process: the command as main.ts registers it, on the DNS scenario bundles,
 * with a recording CliIo (stdout, stderr, exit status).
 */
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../analyzer/cli/cli-io.js';
import { registerDnsCommand } from '../../analyzer/cli/commands/dns.js';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'fixtures', 'scenarios');
const FRONTEND = 'shop/frontend-5997b69cc8-d2pms';

async function run(...args: string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  let stdout = '';
  let stderr = '';
  let status = 0;
  const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), stdoutIsTTY: false, env: {}, setExitCode: (c) => void (status = c) };
  const program = new Command('netdump').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerDnsCommand(program, io);
  try {
    await program.parseAsync(['node', 'netdump', 'dns', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // As main.ts does: commander's own usage errors exit 2.
    status = error.exitCode === 0 ? 0 : 2;
  }
  return { stdout, stderr, status };
}

describe('netdump dns', () => {
  it('follows a Service name to its ClusterIP on a healthy cluster (exit 0)', async () => {
    const { stdout, status } = await run(join(SCENARIOS, 'healthy-dns'), 'cart', '--from', FRONTEND);
    expect(status).toBe(0);
    expect(stdout).toContain(`netdump dns: ${FRONTEND} looks up cart`);
    expect(stdout).toContain('resolv.conf from pods/shop/frontend-5997b69cc8-d2pms/resolv.conf:');
    expect(stdout).toContain('10.96.0.10: kube-dns Service 10.96.0.10 → 2 ready CoreDNS endpoints (10.244.1.2, 10.244.0.3); UDP ok, TCP ok');
    expect(stdout).toMatch(/ {3}1 {2}\+0 s {6}10\.96\.0\.10 {6}udp A {4}cart\.shop\.svc\.cluster\.local\. +10\.104\.122\.87\n {6}CoreDNS: kubernetes \(Corefile line 7\): Service shop\/cart: ClusterIP 10\.104\.122\.87/);
    expect(stdout).toContain('answer: cart.shop.svc.cluster.local. → 10.104.122.87');
    expect(stdout).toContain('worst case: 0 s (no timeout on the way)');
  });

  it('shows every lookup failing at once while CoreDNS crash-loops (exit 1)', async () => {
    const { stdout, status } = await run(join(SCENARIOS, 'coredns-forward-loop'), 'cart', '--from', FRONTEND);
    expect(status).toBe(1);
    expect(stdout).toContain('UDP port unreachable, TCP port unreachable');
    expect(stdout).toContain('no kube-dns endpoint is ready: kube-proxy rejects the query (ICMP port unreachable)');
    expect(stdout).toContain('answer: failed: EAI_AGAIN');
    // ... and says why, end to end: the CoreDNS pods crash-loop on the Corefile's loop.
    expect(stdout).toContain('CoreDNS pod coredns-5c8c7f7bf4-mc2fz is not Ready (CrashLoopBackOff, 11 restarts)');
    expect(stdout).toContain('the Corefile is why: CoreDNS forwards to itself: 127.0.0.53 loops back (.:53 block) (see corefile-problem)');
  });

  it('prints the search walk of an outside name, the final answer unknown offline', async () => {
    const { stdout, status } = await run(join(SCENARIOS, 'ndots-external-heavy'), 'catalog-db.acme-shop.internal', '--from', 'shop/catalog-6b94965f75-p9m24');
    expect(status).toBe(0);
    expect(stdout).toContain('queries (10):');
    expect(stdout).toMatch(/catalog-db\.acme-shop\.internal\.acme-shop\.internal\. +NXDOMAIN \(assumed\)/);
    expect(stdout).toContain('answer: catalog-db.acme-shop.internal. is answered by 10.0.0.2, 10.0.0.3: answer unknown offline');
  });

  it('writes JSON with every query, and takes the libc from --libc', async () => {
    const { stdout, status } = await run(join(SCENARIOS, 'healthy-dns'), 'api.stripe.com', '--from', FRONTEND, '--libc', 'musl', '--format', 'json');
    expect(status).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ from: FRONTEND, name: 'api.stripe.com', libc: 'musl', libcReason: '--libc musl', worstCaseMs: 0 });
    expect(json.result).toMatchObject({ kind: 'unknown', name: 'api.stripe.com.' });
    // musl queries a name with 2 dots (< ndots 5) through the search list too: 4 domains, then as-is.
    expect(json.queries.map((q: { name: string; type: string }) => `${q.name} ${q.type}`).slice(-2)).toEqual(['api.stripe.com. A', 'api.stripe.com. AAAA']);
    expect(json.queries).toHaveLength(10);
    expect(json.nameservers[0]).toMatchObject({ address: '10.96.0.10', role: 'kube-dns', udp: { ok: true } });
  });

  it('refuses a --from that is not namespace/pod, or a pod the bundle does not hold (exit 2)', async () => {
    expect((await run(join(SCENARIOS, 'healthy-dns'), 'cart', '--from', 'frontend')).status).toBe(2);
    const missing = await run(join(SCENARIOS, 'healthy-dns'), 'cart', '--from', 'shop/nope');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('netdump: no pod shop/nope in the bundle\n');
    expect((await run(join(SCENARIOS, 'healthy-dns'), 'cart', '--from', FRONTEND, '--libc', 'uclibc')).status).toBe(2);
  });
});
