/**
 * `netdump collect` in process, as main.ts registers it: cluster mode gets its flags, --dry-run prints every command and where its output goes, usage errors exit 2, the
 * summary names failures, Ctrl-C still yields a bundle (exit 130).
 */
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../analyzer/cli/cli-io.js';
import { registerCollectCommand, type CollectCommandEnv } from '../../analyzer/cli/commands/collect.js';
import type { CollectClusterOptions } from '../../collector/cluster/collect-cluster.js';
import type { CollectSummary, LocalCollectOptions } from '../../collector/collect-local.js';
import { NODE_CAPTURE_SPECS, bundlePathOf } from '../../collector/collection-specs.js';
import { newManifest } from '../../collector/manifest-document.js';

interface Run {
  out: string;
  err: string;
  exitCode: number | undefined;
  collectCalls: LocalCollectOptions[];
  clusterCalls: CollectClusterOptions[];
}

const NOW = new Date('2026-11-26T10:00:00Z');

function summaryFor(options: LocalCollectOptions, interrupted = false): CollectSummary {
  const manifest = newManifest('local', NOW, options.timeoutSeconds ?? 30);
  manifest.collection.nodes = [options.nodeName!];
  manifest.collection.interrupted = interrupted;
  const base = `nodes/${options.nodeName}`;
  manifest.items = [
    { path: `${base}/iptables-save.txt`, node: options.nodeName, command: 'iptables-save', exitCode: 0, durationMs: 40, stderr: '' },
    { path: `${base}/nft-ruleset.txt`, node: options.nodeName, command: 'nft list ruleset', exitCode: 1, durationMs: 10, stderr: 'Error: Could not process rule: Operation not permitted\nmore' },
    { path: `${base}/conntrack-stats.txt`, node: options.nodeName, command: 'conntrack -S', exitCode: 124, durationMs: 30010, stderr: '', error: 'timed out' },
    { path: `${base}/ipvsadm.txt`, node: options.nodeName, command: 'ipvsadm -Ln', note: 'not run: IPVS is not loaded: no /proc/net/ip_vs' },
    ...(interrupted ? [{ path: `${base}/netstat-s.txt`, node: options.nodeName, command: 'netstat -s', error: 'interrupted', note: 'not run' }] : []),
  ];
  manifest.redaction.redacted = [{ path: `${base}/docker/containers.json`, in: 'output', kind: 'password', count: 2 }];
  manifest.redaction.total = 2;
  return {
    bundle: { path: `/work/${options.output}`, bytes: 48_230, topFolder: 'b' },
    node: options.nodeName!,
    manifest,
    outcomes: { ok: 1, failed: 2, skipped: 1, interrupted: interrupted ? 1 : 0 },
  };
}

async function runCollect(args: string[], envOverrides: Partial<CollectCommandEnv> = {}): Promise<Run> {
  const run: Run = { out: '', err: '', exitCode: undefined, collectCalls: [], clusterCalls: [] };
  const io: CliIo = {
    out: (text) => void (run.out += text),
    err: (text) => void (run.err += text),
    stdoutIsTTY: false,
    env: {},
    setExitCode: (code) => void (run.exitCode = code),
  };
  const env: CollectCommandEnv = {
    stderrIsTTY: false,
    hostname: () => 'build-host-7',
    now: () => NOW,
    onInterrupt: () => () => {},
    collectLocal: async (options) => {
      run.collectCalls.push(options);
      return summaryFor(options);
    },
    collectCluster: async (options) => {
      run.clusterCalls.push(options);
      const context = options.context ?? 'kind-dev';
      const manifest = newManifest('cluster', NOW, options.timeoutSeconds ?? 60);
      return { bundle: { path: `/work/netdump-${context}-2026-11-26T10-00-00Z.tgz`, bytes: 1000, topFolder: 'b' }, node: context, manifest, outcomes: { ok: 0, failed: 0, skipped: 0, interrupted: 0 } };
    },
    ...envOverrides,
  };
  const program = new Command('netdump').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCollectCommand(program, io, env);
  try {
    await program.parseAsync(['node', 'netdump', 'collect', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // As main.ts does: commander printed the message; any usage error is exit 2.
    run.exitCode = error.exitCode === 0 ? 0 : 2;
  }
  return run;
}

describe('netdump collect', () => {
  it('without --local collects the cluster through kubectl, passing the cluster flags on', async () => {
    const run = await runCollect(['--context', 'prod-eu-1', '--kubeconfig', '/tmp/kc', '-n', 'shop', '-n', 'payments,ops', '--concurrency', '8', '--timeout', '20', '--timeout-total', '600', '--kubectl', '/opt/kubectl', '--nodes', 'node-a,node-b', '--via', 'daemonset', '--max-nodes', '3', '--quiet']);
    expect(run.exitCode).toBe(0);
    expect(run.collectCalls).toEqual([]);
    expect(run.clusterCalls).toHaveLength(1);
    expect(run.clusterCalls[0]).toMatchObject({
      context: 'prod-eu-1',
      kubeconfig: '/tmp/kc',
      namespaces: ['shop', 'payments', 'ops'],
      concurrency: 8,
      timeoutSeconds: 20,
      totalTimeoutSeconds: 600,
      kubectl: '/opt/kubectl',
      nodeOptions: { nodes: 'node-a,node-b', via: 'daemonset', maxNodes: 3 },
    });
    expect(run.out).toBe('/work/netdump-prod-eu-1-2026-11-26T10-00-00Z.tgz\n');

    const noNodes = await runCollect(['--no-nodes', '--quiet']);
    expect(noNodes.clusterCalls[0]).toMatchObject({ namespaces: [], concurrency: 4, timeoutSeconds: 60, totalTimeoutSeconds: 1800, nodeOptions: { skip: true } });
  });

  it('refuses cluster flags with --local and --node-name without it', async () => {
    const mixed = await runCollect(['--local', '--context', 'prod']);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.err).toContain('--context applies to cluster mode, not to --local');
    const nodeName = await runCollect(['--node-name', 'node-a']);
    expect(nodeName.exitCode).toBe(2);
    expect(nodeName.err).toContain('--node-name applies to --local only');
    const badNamespace = await runCollect(['-n', 'Shop_1']);
    expect(badNamespace.exitCode).toBe(2);
    expect(badNamespace.err).toContain('"Shop_1" is not a namespace name');
    expect([...mixed.collectCalls, ...nodeName.clusterCalls, ...badNamespace.clusterCalls]).toEqual([]);
  });

  it('--dry-run prints every command with its bundle path, and runs nothing', async () => {
    const run = await runCollect(['--local', '--dry-run', '--node-name', 'node-a', '--timeout', '10']);
    expect(run.exitCode).toBe(0);
    expect(run.collectCalls).toEqual([]);
    const lines = run.out.split('\n');
    for (const spec of NODE_CAPTURE_SPECS) {
      const path = bundlePathOf(spec, { node: 'node-a' });
      const line = lines.findIndex((l) => l.endsWith(`-> ${path}`));
      expect(line, spec.command).toBeGreaterThan(-1);
      // The command is on the same line, or (when long) on the line before.
      expect(`${lines[line - 1]}\n${lines[line]}`, spec.command).toContain(spec.command);
    }
    expect(run.out).toContain('only when IPVS is loaded');
    expect(run.out).toContain('each with a 10s timeout');
    expect(run.out).toContain('Bundle: netdump-node-a-2026-11-26T10-00-00Z.tgz');
    expect(run.err).toBe('');
  });

  it('--anonymize: --dry-run names the mapping file; a run passes a key on and --anonymize-key implies it', async () => {
    const dry = await runCollect(['--local', '--dry-run', '--anonymize', '-o', 'out.tgz']);
    expect(dry.out).toContain('the mapping file that reverses them is written beside it: out.map.json (keep it with you).');
    expect(dry.collectCalls).toEqual([]);
    const plain = await runCollect(['--local', '--quiet']);
    expect(plain.collectCalls[0]!.anonymizeKey).toBeUndefined();
    const anonymized = await runCollect(['--anonymize']);
    expect(anonymized.clusterCalls[0]!.anonymizeKey).toHaveLength(32);
    const missingDir = await runCollect(['--local', '--anonymize-key', '/nonexistent-dir/netdump.key']);
    expect(missingDir.exitCode).toBe(2);
    expect(missingDir.err).toContain('cannot create key file /nonexistent-dir/netdump.key');
    expect(missingDir.collectCalls).toEqual([]);
  });

  it('names the node after the host by default and passes the options on', async () => {
    const run = await runCollect(['--local', '--timeout', '5', '--quiet']);
    expect(run.collectCalls).toHaveLength(1);
    expect(run.collectCalls[0]).toMatchObject({ nodeName: 'build-host-7', timeoutSeconds: 5, output: 'netdump-build-host-7-2026-11-26T10-00-00Z.tgz' });
    expect(run.out).toBe('/work/netdump-build-host-7-2026-11-26T10-00-00Z.tgz\n');
    expect(run.err).toBe('');
    expect(run.exitCode).toBe(0);
  });

  it('summarises what was collected, what failed and why, what was redacted and the size', async () => {
    const run = await runCollect(['--local', '-o', 'case-4711.tgz', '--node-name', 'node-a']);
    expect(run.exitCode).toBe(0);
    expect(run.err).toContain('netdump: node-a: 1 command ok, 2 failed, 1 not run (not applicable here), in ');
    expect(run.err).toContain('netdump:   failed: nft list ruleset (exit 1: Error: Could not process rule: Operation not permitted)');
    expect(run.err).toContain('netdump:   failed: conntrack -S (timed out after 30s)');
    expect(run.err).toContain('netdump:   not run: ipvsadm -Ln (IPVS is not loaded: no /proc/net/ip_vs)');
    expect(run.err).toContain('netdump: 2 credentials redacted (2 password) in 1 file: see manifest.json "redaction"');
    expect(run.err).toContain('netdump: bundle written: /work/case-4711.tgz (47.1 KB)');
    expect(run.out).toBe('/work/case-4711.tgz\n');
  });

  it('Ctrl-C aborts the collection, which still writes the bundle; exit 130', async () => {
    let interrupt: (() => void) | undefined;
    let stopped = false;
    const run = await runCollect(['--local', '--node-name', 'node-a'], {
      onInterrupt: (listener) => {
        interrupt = listener;
        return () => void (stopped = true);
      },
      collectLocal: async (options) => {
        interrupt!();
        expect(options.signal?.aborted).toBe(true);
        return summaryFor(options, true);
      },
    });
    expect(run.exitCode).toBe(130);
    expect(stopped).toBe(true);
    expect(run.err).toContain('netdump: interrupted: finishing the bundle with what was collected');
    expect(run.err).toContain('interrupted: 1 command stopped or not run');
    expect(run.out).toBe('/work/netdump-node-a-2026-11-26T10-00-00Z.tgz\n');
  });

  it('rejects a bad --timeout, a node name that cannot be a folder, and reports an unwritable bundle', async () => {
    const timeout = await runCollect(['--local', '--timeout', '0']);
    expect(timeout.exitCode).toBe(2);
    expect(timeout.err).toContain('expected a whole number of seconds');

    const name = await runCollect(['--local', '--node-name', '../etc']);
    expect(name.exitCode).toBe(2);
    expect(name.err).toContain('cannot name a node folder');

    const unwritable = await runCollect(['--local', '-o', '/nonexistent/b.tgz'], {
      collectLocal: async () => {
        throw new Error("ENOENT: no such file or directory, open '/nonexistent/b.tgz.partial'");
      },
    });
    expect(unwritable.exitCode).toBe(2);
    expect(unwritable.err).toContain('netdump: the bundle could not be written: ENOENT');
  });
});
