/**
 * End-to-end: the built `netdump` bin on the fixture scenarios, as a CI job or a support
 * engineer would run it. Exit status: 0 fine, 1 findings at --fail-on, 2 usage error or
 * unreadable bundle.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, Severity } from '../../analyzer/report/report.js';
import { assertBinBuilt, packDirectory, projectRoot, runCli, scenarioDir } from './run-cli.js';

const demoShop = scenarioDir('demo-shop');
const healthy = scenarioDir('healthy-cluster');
const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];
const ANSI = /\u001b\[[0-9;]*m/;

let tmp: string;
let demoReport: Report;

const analyzeJson = (...args: string[]) => {
  const run = runCli(['analyze', '--format', 'json', ...args]);
  expect([0, 1], run.stderr).toContain(run.status);
  return { run, report: JSON.parse(run.stdout) as Report };
};
const expectedExit = (report: Report, failOn: Severity) =>
  report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= SEVERITIES.indexOf(failOn)) ? 1 : 0;
const namespaceOf = (subject: string) => (subject.split('/').length === 3 ? subject.split('/')[1] : '');

beforeAll(() => {
  assertBinBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'netdump-cli-'));
  demoReport = analyzeJson(demoShop).report;
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('netdump analyze', () => {
  it('prints only the report on stdout with --format json', () => {
    const { run, report } = analyzeJson(demoShop);
    expect(report.format).toBe('netdump-report/v1');
    expect(report.bundle.path).toContain('demo-shop');
    expect(report.findings.length).toBeGreaterThan(0);
    expect(run.stdout).toBe(JSON.stringify(report, null, 2) + '\n');
  });

  it('exits 1 when a finding reaches --fail-on (default critical), else 0', () => {
    expect(demoReport.findings.length).toBeGreaterThan(0);
    expect(runCli(['analyze', '--format', 'json', demoShop]).status).toBe(expectedExit(demoReport, 'critical'));
    for (const failOn of SEVERITIES) {
      expect(runCli(['analyze', '--format', 'json', '--fail-on', failOn, demoShop]).status, failOn).toBe(expectedExit(demoReport, failOn));
    }
    expect(runCli(['analyze', '--fail-on', 'info', '--format', 'json', demoShop]).status).toBe(1);
  });

  it('exits 0 on a healthy cluster', () => {
    const run = runCli(['analyze', healthy]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^(no findings|0 critical)/);
  });

  it('reads the same bundle as a .tgz', async () => {
    const tgz = join(tmp, 'demo-shop.tgz');
    writeFileSync(tgz, await packDirectory(demoShop, 'netdump-2026-11-26T10-00'));
    const { report } = analyzeJson(tgz);
    expect(report.bundle.path).toContain('demo-shop.tgz');
    expect({ ...report, bundle: undefined }).toEqual({ ...demoReport, bundle: undefined });
  });

  it('narrows to namespaces with --namespace, repeatable and comma-separated', () => {
    const namespaces = [...new Set(demoReport.findings.flatMap((f) => f.subjects.map(namespaceOf)).filter((ns) => ns !== ''))].sort();
    expect(namespaces.length, 'demo-shop should report on at least one namespace').toBeGreaterThan(0);
    const ns = namespaces[0]!;
    const narrowed = analyzeJson('--namespace', ns, demoShop).report;
    expect(narrowed.findings.length).toBeGreaterThan(0);
    for (const f of narrowed.findings) {
      expect(f.subjects.length === 0 || f.subjects.some((s) => [ns, ''].includes(namespaceOf(s))), f.id).toBe(true);
    }
    const none = analyzeJson('--namespace', 'no-such-namespace', demoShop).report;
    expect(none.findings.every((f) => f.subjects.every((s) => namespaceOf(s) === ''))).toBe(true);
    const comma = analyzeJson(`--namespace=${ns},no-such-namespace`, demoShop).report;
    const repeated = analyzeJson('--namespace', ns, '--namespace', 'no-such-namespace', demoShop).report;
    expect(comma).toEqual(repeated);
    expect(comma.findings.map((f) => f.title)).toEqual(narrowed.findings.map((f) => f.title));
  });

  it('runs only the rules named with --rule', () => {
    const rule = demoReport.findings[0]!.rule;
    const { report } = analyzeJson('--rule', rule, demoShop);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(new Set(report.findings.map((f) => f.rule))).toEqual(new Set([rule]));
    expect(report.coverage.filter((c) => c.status === 'skipped').length).toBeGreaterThan(0);
  });

  it('writes a ticket-ready summary with --format markdown', () => {
    const run = runCli(['analyze', '--format', 'markdown', demoShop]);
    expect(run.stdout.startsWith('## netdump: ')).toBe(true);
    const root = demoReport.findings.find((f) => f.rootCause)!;
    expect(run.stdout).toContain(`### ${root.id} · ${root.severity.toUpperCase()} · `);
  });

  it('prints the human report without colour to a pipe, with colour under FORCE_COLOR', () => {
    const plain = runCli(['analyze', demoShop]);
    expect(plain.stdout).toContain(`${demoReport.findings[0]!.id} ${demoReport.findings[0]!.title}`);
    expect(plain.stdout).not.toMatch(ANSI);
    expect(runCli(['analyze', demoShop], { FORCE_COLOR: '1' }).stdout).toMatch(ANSI);
    expect(runCli(['analyze', demoShop], { FORCE_COLOR: '0' }).stdout).not.toMatch(ANSI);
  });

  it('writes the report to a file with -o, keeping stdout empty', () => {
    const out = join(tmp, 'report.json');
    const run = runCli(['analyze', '--format', 'json', '-o', out, demoShop]);
    expect(run.status).toBe(expectedExit(demoReport, 'critical'));
    expect(run.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(demoReport);
  });
});

describe('netdump analyze: usage errors and unreadable bundles exit 2', () => {
  it('a missing path: a one-line error, no stack', () => {
    const run = runCli(['analyze', join(tmp, 'no-such-bundle.tgz')]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('no-such-bundle.tgz');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a file that is no bundle', () => {
    const garbage = join(tmp, 'garbage.tgz');
    writeFileSync(garbage, Buffer.from('this is not a gzip stream, just text pretending to be one\n'.repeat(20)));
    const run = runCli(['analyze', garbage]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^netdump: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown rule id, naming the ones that exist', () => {
    const known = (JSON.parse(runCli(['rules', '--format', 'json']).stdout) as Array<{ id: string }>).map((r) => r.id);
    const run = runCli(['analyze', '--rule', `${known[0]},svc-no-endpoint-typo`, demoShop]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("unknown rule id 'svc-no-endpoint-typo'");
    for (const id of known) expect(run.stderr).toContain(id);
  });

  it.each([
    ['an unknown format', ['--format', 'xml'], "'xml' is invalid"],
    ['an unknown --fail-on', ['--fail-on', 'fatal'], "'fatal' is invalid"],
    ['an unknown option', ['--frmat', 'json'], "unknown option '--frmat'"],
    ['a bad size', ['--max-file-size', '12X'], 'expected a size such as 512M'],
  ])('%s', (_name, args, message) => {
    const run = runCli(['analyze', ...args, demoShop]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('an output file that cannot be written', () => {
    const run = runCli(['analyze', '-o', join(tmp, 'no-such-dir', 'report.txt'), demoShop]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^netdump: cannot write the report to .*report\.txt: ENOENT/);
  });

  it('no bundle argument', () => {
    const run = runCli(['analyze']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("missing required argument 'bundle'");
  });

  it('bundle limits are passed to the reader', () => {
    const run = runCli(['analyze', '--format', 'json', '--max-file-size', '1', demoShop]);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.findings.map((f) => f.rule)).toContain('bundle-parse-error');
  });
});

describe('netdump rules', () => {
  const json = () => JSON.parse(runCli(['rules', '--format', 'json']).stdout) as Array<Record<string, string>>;

  it('lists every rule as an aligned table', () => {
    const run = runCli(['rules']);
    expect(run.status).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+LAYER\s+SEVERITY\s+DESCRIPTION$/);
    const rules = json();
    expect(rows).toHaveLength(rules.length);
    const layerColumn = header!.indexOf('LAYER');
    rows.forEach((row, i) => {
      expect(row.startsWith(rules[i]!.id + ' ')).toBe(true);
      expect(row.slice(layerColumn).startsWith(rules[i]!.layer + ' ')).toBe(true);
      expect(row.endsWith(rules[i]!.description)).toBe(true);
    });
  });

  it('lists id, layer, severity and description as JSON', () => {
    const rules = json();
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(Object.keys(rule)).toEqual(expect.arrayContaining(['id', 'layer', 'severity', 'description']));
    }
  });

  it("prints a rule's documentation", () => {
    const id = json()[0]!.id;
    const run = runCli(['rules', id]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(projectRoot, 'rules', `${id}.md`), 'utf8'));
  });

  it('exits 2 on an unknown rule id', () => {
    const run = runCli(['rules', 'no-such-rule']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown rule id 'no-such-rule'");
  });
});

describe('netdump', () => {
  it('--version prints the package version', () => {
    const run = runCli(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version);
  });

  it('--help names the commands', () => {
    const run = runCli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/analyze \[options\] <bundle>/);
    expect(run.stdout).toMatch(/rules \[options\] \[id\]/);
  });

  it('an unknown command is a usage error', () => {
    const run = runCli(['analyse', demoShop]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown command 'analyse'");
  });
});
