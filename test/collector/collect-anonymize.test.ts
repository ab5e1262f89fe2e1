/**
 * `netdump collect --anonymize --anonymize-key <file>` end to end: the collect command as
 * main.ts registers it, cluster mode through the real kubectl against the replay API server
 * (demo-shop's objects), the real bundle and mapping writers. The bundle holds no original pod
 * or node name; the mapping file beside it (0600) turns the report on the anonymized bundle
 * back into the findings of the same collection without --anonymize; a second collection with
 * the same key file gives the same pseudonyms.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePath } from '../../analyzer/analyze.js';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import type { CliIo } from '../../analyzer/cli/cli-io.js';
import { processCollectEnv, registerCollectCommand } from '../../analyzer/cli/commands/collect.js';
import { registerDeanonymizeCommand } from '../../analyzer/cli/commands/deanonymize.js';
import type { Finding } from '../../analyzer/report/report.js';
import { collectCluster } from '../../collector/cluster/collect-cluster.js';
import { startReplayApiServer, type ReplayApiServer } from '../helpers/replay-api-server.js';
import { runCliInProcess } from '../helpers/run-cli-in-process.js';
import { kubectlMissing, SCENARIOS_DIR } from './cluster-kubectl.js';

const missing = kubectlMissing();
if (missing) console.warn(`netdump: ${missing}`);

interface CollectRun {
  stdout: string;
  stderr: string;
  status: number | undefined;
}

/** `netdump collect <args>` with the real collectors, kubectl's cache kept private and no node or pod phases. */
async function collect(server: ReplayApiServer, args: string[]): Promise<CollectRun> {
  const run: CollectRun = { stdout: '', stderr: '', status: undefined };
  const io: CliIo = { out: (t) => void (run.stdout += t), err: (t) => void (run.stderr += t), stdoutIsTTY: false, env: {}, setExitCode: (c) => void (run.status = c) };
  const env = { ...processCollectEnv(), onInterrupt: () => () => {}, collectCluster: (options: Parameters<typeof collectCluster>[0]) => collectCluster({ ...options, kubectlEnv: { KUBECACHEDIR: server.cacheDir }, phases: [] }) };
  const program = new Command('netdump').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCollectCommand(program, io, env);
  try {
    await program.parseAsync(['node', 'netdump', 'collect', '--kubeconfig', server.kubeconfig, ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    run.status = 2;
  }
  return run;
}

const findingKeys = (findings: readonly Finding[]) => findings.map((f) => `${f.rule} ${f.severity} ${f.subjects.join(',')}`).sort();

describe.skipIf(missing !== undefined)('netdump collect --anonymize', () => {
  let dir: string;
  let server: ReplayApiServer;
  const fixture = join(SCENARIOS_DIR, 'demo-shop');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netdump-collect-anon-'));
    server = await startReplayApiServer({ bundleDir: fixture });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes pseudonyms into the bundle and the mapping beside it; the map turns the report back', async () => {
    const keyFile = join(dir, 'netdump.key');
    const anonymized = join(dir, 'anon.tgz');
    const run = await collect(server, ['--anonymize', '--anonymize-key', keyFile, '-o', anonymized]);
    expect(run.status, run.stderr).toBe(0);
    const mapPath = join(dir, 'anon.map.json');

    // The key file was created, private, and is not in the bundle; neither is the map.
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(mapPath).mode & 0o777).toBe(0o600);
    expect(run.stderr).toContain(`created key file ${keyFile}`);
    expect(run.stderr).toContain(`netdump: mapping file: ${mapPath}`);
    expect(run.stderr).toContain('keep it with you, do not send it with the bundle');
    expect(run.stdout.trim()).toBe(anonymized);

    // No original pod or node name anywhere in the bundle, paths included.
    const bundle = await readBundle(anonymized);
    const everything = [...bundle.files.values()].map((f) => `${f.path}\n${f.text}`).join('\n');
    const pods: any[] = JSON.parse(readFileSync(join(fixture, 'cluster/pods.json'), 'utf8')).items;
    const nodes: any[] = JSON.parse(readFileSync(join(fixture, 'cluster/nodes.json'), 'utf8')).items;
    const originals = [...pods, ...nodes].map((o) => o.metadata.name as string);
    expect(originals.length).toBeGreaterThan(5);
    for (const name of originals) expect(everything, name).not.toMatch(new RegExp(`(?<![\\w.-])${name.replaceAll('.', '\\.')}(?![\\w-])`));
    const manifest = JSON.parse(bundle.get('manifest.json')!.text);
    expect(manifest.redaction.anonymized).toBe(true);
    expect(manifest.cluster.context).toMatch(/^ctx-[0-9a-f]{8}$/);
    const map = JSON.parse(readFileSync(mapPath, 'utf8'));
    for (const node of nodes) expect(map.names.forward[node.metadata.name]).toMatch(/^node-[0-9a-f]{8,}$/);

    // The same collection without --anonymize, analyzed, equals the anonymized one's report turned back.
    const plain = join(dir, 'plain.tgz');
    expect((await collect(server, ['-o', plain, '--quiet'])).status).toBe(0);
    const plainText = [...(await readBundle(plain)).files.values()].map((f) => f.text).join('\n');
    for (const name of originals) expect(plainText, name).toContain(name);
    const expected = await analyzePath(plain);
    expect(expected.findings.length).toBeGreaterThan(0);
    const report = await analyzePath(anonymized);
    const reportPath = join(dir, 'report.json');
    writeFileSync(reportPath, JSON.stringify(report));
    const back = await runCliInProcess(registerDeanonymizeCommand, 'deanonymize', [reportPath, '--map', mapPath]);
    expect(back.status, back.stderr).toBe(0);
    expect(findingKeys(JSON.parse(back.stdout).findings)).toEqual(findingKeys(expected.findings));
    expect(findingKeys(report.findings)).not.toEqual(findingKeys(expected.findings));
  });

  it('a second collection with the same key file shares the pseudonyms', async () => {
    const keyFile = join(dir, 'shared.key');
    const first = await collect(server, ['--anonymize-key', keyFile, '-o', join(dir, 'first.tgz'), '--quiet']);
    expect(first.status).toBe(0);
    const key = readFileSync(keyFile, 'utf8');
    const second = await collect(server, ['--anonymize-key', keyFile, '-o', join(dir, 'second.tgz')]);
    expect(second.status).toBe(0);
    expect(second.stderr).not.toContain('created key file');
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    const names = (path: string) => JSON.parse(readFileSync(path, 'utf8')).names.forward;
    expect(names(join(dir, 'second.map.json'))).toEqual(names(join(dir, 'first.map.json')));
    expect(Object.keys(names(join(dir, 'first.map.json'))).length).toBeGreaterThan(5);
  });

  it('a key file that holds no key stops before anything is collected', async () => {
    const keyFile = join(dir, 'bad.key');
    writeFileSync(keyFile, 'not a key\n');
    const before = server.requests.length;
    const run = await collect(server, ['--anonymize', '--anonymize-key', keyFile, '-o', join(dir, 'never.tgz')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`key file ${keyFile} holds neither 64 hex digits nor 32 raw bytes`);
    expect(server.requests.length).toBe(before);
    expect(existsSync(join(dir, 'never.tgz'))).toBe(false);
  });
});
