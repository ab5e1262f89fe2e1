/**
 * `netdump policy` on the network-policy scenario bundles: the flows their READMEs talk about,
 * asked as a user would. Each case runs in process (the command as main.ts registers it, with a
 * recording CliIo) and, when the bin has been built (`npm run build`), through the built bin too.
 */
import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../analyzer/cli/cli-io.js';
import { registerPolicyCommand } from '../../analyzer/cli/commands/policy.js';
import { netdumpBin, runCli, scenarioDir } from './run-cli.js';

interface Outcome {
  stdout: string;
  stderr: string;
  status: number | null;
}

async function runInProcess(args: string[]): Promise<Outcome> {
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

const CONTROLLER = 'ingress-nginx/ingress-nginx-controller-586ccc46fc-5rk2h';

const cases: { name: string; args: string[]; check(out: Outcome): void }[] = [
  {
    name: 'ingress-controller-blocked-by-netpol: the controller → frontend is denied at both endpoints, and why',
    args: [scenarioDir('ingress-controller-blocked-by-netpol'), '--from', CONTROLLER, '--to', 'svc/shop/frontend', '--port', '80'],
    check(out) {
      expect(out.status).toBe(1);
      expect(out.stderr).toBe('');
      const lines = out.stdout.split('\n');
      expect(lines[0]).toBe('DENY over 2 endpoints  (calico, CNI calico)');
      expect(lines).toContain(`${CONTROLLER} → shop/frontend-5997b69cc8-d2pms 8080/TCP via Service shop/frontend: DENY  (calico)`);
      expect(lines).toContain(`        rule 0 did not match: source pod ${CONTROLLER} (10.244.2.3): not in namespace shop and the rule has no namespaceSelector`);
    },
  },
  {
    name: 'healthy-cluster-with-policies: the same flow is allowed by allow-from-ingress-nginx',
    args: [scenarioDir('healthy-cluster-with-policies'), '--from', CONTROLLER, '--to', 'svc/shop/frontend', '--port', '80'],
    check(out) {
      expect(out.status).toBe(0);
      expect(out.stdout.split('\n')[0]).toBe('ALLOW over 2 endpoints  (calico, CNI calico)');
      expect(out.stdout).toContain('✓ NetworkPolicy/shop/allow-from-ingress-nginx rule 0 (allow)');
    },
  },
  {
    name: 'cilium-policy-drops: checkout → cart on 8080 is denied by the CiliumNetworkPolicy',
    args: [scenarioDir('cilium-policy-drops'), '--from', 'shop/checkout-57bd955cbf-jq8zb', '--to', 'shop/cart-845d9ff6b-mj9pc', '--port', '8080'],
    check(out) {
      expect(out.status).toBe(1);
      const lines = out.stdout.split('\n');
      expect(lines[0]).toBe('shop/checkout-57bd955cbf-jq8zb → shop/cart-845d9ff6b-mj9pc 8080/TCP: DENY  (cilium)');
      expect(lines.some((l) => l.startsWith('    ✗ CiliumNetworkPolicy/shop/cart-ingress (deny): default deny:'))).toBe(true);
    },
  },
  {
    name: 'netpol-default-deny-blocks-dns: frontend → kube-dns dns/udp is denied (JSON)',
    args: [scenarioDir('netpol-default-deny-blocks-dns'), '--from', 'shop/frontend-5997b69cc8-d2pms', '--to', 'svc/kube-system/kube-dns', '--port', 'dns/udp', '--format', 'json'],
    check(out) {
      expect(out.status).toBe(1);
      const json = JSON.parse(out.stdout);
      expect(json).toMatchObject({ verdict: 'deny', engine: 'calico', cni: 'calico' });
      expect(json.backends.map((b: { verdict: { verdict: string } }) => b.verdict.verdict)).toEqual(['deny', 'deny']);
    },
  },
  {
    name: 'flannel-ignores-netpol: a flow the policies would deny is allowed, and says why',
    args: [scenarioDir('flannel-ignores-netpol'), '--from', 'shop/cart-845d9ff6b-mj9pc', '--to', 'shop/catalog-6b94965f75-dp47q', '--port', '8080', '--format', 'json'],
    check(out) {
      expect(out.status).toBe(0);
      const json = JSON.parse(out.stdout);
      expect(json).toMatchObject({ verdict: 'allow', engine: 'none', cni: 'flannel' });
      expect(json.notes).toContain('NetworkPolicies are not enforced by flannel');
    },
  },
];

describe('netdump policy on the policy scenarios (in process)', () => {
  for (const c of cases) it(c.name, async () => c.check(await runInProcess(c.args)));
});

describe('netdump policy on the policy scenarios (built bin)', () => {
  const built = existsSync(netdumpBin);
  if (!built) console.warn(`policy-scenarios.test: ${netdumpBin} not built; the built-bin runs are skipped (npm run build)`);
  for (const c of cases) it.skipIf(!built)(c.name, () => c.check(runCli(['policy', ...c.args])));
});
