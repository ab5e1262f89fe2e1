/**
 * `netdump anonymize` and `netdump deanonymize` as a user runs them, in process (the commands as
 * main.ts registers them, with a recording CliIo): a scenario bundle in, an anonymized .tgz and
 * its mapping file out, a report on the anonymized bundle turned back into the original names.
 * Archives, keys and maps go to a temporary folder that is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePath } from '../../analyzer/analyze.js';
import type { CliIo } from '../../analyzer/cli/cli-io.js';
import { registerAnonymizeCommand } from '../../analyzer/cli/commands/anonymize.js';
import { registerDeanonymizeCommand } from '../../analyzer/cli/commands/deanonymize.js';
import { renderMarkdown } from '../../analyzer/report/render-markdown.js';
import type { Report } from '../../analyzer/report/report.js';
import type { AnonymizationMap } from '../../collector/anonymize/anonymization-map.js';
import { scenarioDir } from '../cli/run-cli.js';

interface Outcome {
  stdout: string;
  stderr: string;
  status: number;
}

async function netdump(...args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  let status = -1;
  const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), stdoutIsTTY: false, env: {}, setExitCode: (c) => void (status = c) };
  const program = new Command('netdump').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerAnonymizeCommand(program, io);
  registerDeanonymizeCommand(program, io);
  try {
    await program.parseAsync(['node', 'netdump', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    status = error.exitCode;
  }
  return { stdout, stderr, status };
}

const SCENARIO = 'service-no-endpoints-reject';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netdump-anonymize-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('netdump anonymize / deanonymize', () => {
  it('writes an anonymized .tgz that tar lists, and a mapping file beside it', async () => {
    const out = join(dir, 'shop-anon.tgz');
    const run = await netdump('anonymize', scenarioDir(SCENARIO), '-o', out);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^anonymized \d+ files: \d+ names, \d+ addresses, [1-9]\d* MAC addresses, \d+ kube-proxy chain names → /);
    expect(run.stderr).toContain(join(dir, 'shop-anon.map.json'));
    const listing = spawnSync('tar', ['-tzf', out], { encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout).toMatch(/^shop-anon\/manifest\.json$/m);
    expect(listing.stdout).not.toMatch(/\/node-[abc]\/|\/shop\//);
    const map = JSON.parse(await readFile(join(dir, 'shop-anon.map.json'), 'utf8')) as AnonymizationMap;
    expect(map.names.forward['node-a']).toMatch(/^node-/);
    expect((await stat(join(dir, 'shop-anon.map.json'))).mode & 0o077).toBe(0);
  });

  it('turns a JSON and a Markdown report on the anonymized bundle back into the original names and addresses', async () => {
    const out = join(dir, 'round-trip.tgz');
    const mapPath = join(dir, 'round-trip-map.json');
    expect((await netdump('anonymize', scenarioDir(SCENARIO), '-o', out, '--map-out', mapPath)).status).toBe(0);
    const original = await analyzePath(scenarioDir(SCENARIO));
    const anonymous = await analyzePath(out);
    const reject = (r: Report) => r.findings.find((f) => f.rule === 'kubeproxy-reject-no-endpoints')!;
    expect(reject(anonymous).message).not.toContain('10.97.201.55');

    const reportPath = join(dir, 'report.json');
    await writeFile(reportPath, JSON.stringify(anonymous, null, 2));
    const json = await netdump('deanonymize', reportPath, '--map', mapPath);
    expect(json.status).toBe(0);
    const restored = JSON.parse(json.stdout) as Report;
    expect(reject(restored).message).toContain('ClusterIP 10.97.201.55:80/tcp is REJECTed');
    expect([...reject(restored).subjects].sort()).toEqual([...reject(original).subjects].sort());
    expect(reject(restored).evidence.map((e) => e.file).sort()).toEqual(reject(original).evidence.map((e) => e.file).sort());

    const markdownPath = join(dir, 'report.md');
    await writeFile(markdownPath, renderMarkdown(anonymous));
    const restoredPath = join(dir, 'report-real.md');
    const markdown = await netdump('deanonymize', markdownPath, '--map', mapPath, '-o', restoredPath);
    expect(markdown.status).toBe(0);
    expect(markdown.stdout).toBe('');
    const text = await readFile(restoredPath, 'utf8');
    expect(text).toContain('10.97.201.55');
    expect(text).toContain('node-a');
    expect(text).not.toMatch(/\bnode-[0-9a-f]{8}\b/);
  });

  it('creates the key file when missing and gives the same pseudonyms with it the next time', async () => {
    const keyFile = join(dir, 'netdump.key');
    const first = await netdump('anonymize', scenarioDir(SCENARIO), '-o', join(dir, 'a.tgz'), '--key-file', keyFile);
    expect(first.status).toBe(0);
    expect(first.stderr).toContain(`created key file ${keyFile}`);
    expect((await readFile(keyFile, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    const second = await netdump('anonymize', scenarioDir(SCENARIO), '-o', join(dir, 'b.tgz'), '--key-file', keyFile);
    expect(second.stderr).not.toContain('created key file');
    const mapA = JSON.parse(await readFile(join(dir, 'a.map.json'), 'utf8')) as AnonymizationMap;
    const mapB = JSON.parse(await readFile(join(dir, 'b.map.json'), 'utf8')) as AnonymizationMap;
    expect(mapB).toEqual(mapA);
    const fresh = await netdump('anonymize', scenarioDir(SCENARIO), '-o', join(dir, 'c.tgz'));
    expect(fresh.status).toBe(0);
    const mapC = JSON.parse(await readFile(join(dir, 'c.map.json'), 'utf8')) as AnonymizationMap;
    expect(mapC.keyId).not.toBe(mapA.keyId);
  });

  it('refuses a bad key file, an unreadable bundle, an output over its input and a file that is no map (exit 2)', async () => {
    const badKey = join(dir, 'bad.key');
    await writeFile(badKey, 'not a key\n');
    const bad = await netdump('anonymize', scenarioDir(SCENARIO), '-o', join(dir, 'x.tgz'), '--key-file', badKey);
    expect(bad).toMatchObject({ status: 2 });
    expect(bad.stderr).toContain('holds neither 64 hex digits nor 32 raw bytes');

    const missing = await netdump('anonymize', join(dir, 'no-such.tgz'), '-o', join(dir, 'y.tgz'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read bundle');

    const same = await netdump('anonymize', join(dir, 'a.tgz'), '-o', join(dir, 'a.tgz'));
    expect(same.status).toBe(2);
    expect(same.stderr).toContain('would overwrite the bundle');

    const notMap = join(dir, 'not-map.json');
    await writeFile(notMap, '{"hello": 1}');
    await writeFile(join(dir, 'r.json'), '{}');
    const deanon = await netdump('deanonymize', join(dir, 'r.json'), '--map', notMap);
    expect(deanon.status).toBe(2);
    expect(deanon.stderr).toContain('is not a netdump mapping file');
  });
});
