/**
 * RuleTester in the ESLint manner: a rule, `valid` bundles that must give no finding, and
 * `invalid` bundles that must give exactly the findings listed (rule, subjects, evidence
 * file and line; severity, title and message when given). Each bundle is a map of path to
 * file text, read with bundleFromFiles and modelled with buildModel as the CLI would, and only
 * the rule under test runs (through runRules, so input checks and coverage are the real ones).
 */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import type { Rule } from '../../analyzer/engine/rule.js';
import { runRules, type RunResult } from '../../analyzer/engine/run-rules.js';
import type { CoverageStatus, Finding, Severity } from '../../analyzer/report/report.js';

export type BundleFiles = Record<string, string>;

export interface ValidCase {
  name: string;
  files: BundleFiles;
  /** Expected coverage status of the rule; default 'checked'. */
  coverage?: CoverageStatus;
  /** What the coverage detail must say (why nothing was found, when that is the point). */
  coverageMatch?: RegExp;
  /** Run as with `--namespace`. */
  namespaces?: string[];
}

export interface ExpectedFinding {
  subjects: string[];
  evidence: { file: string; line: number }[];
  severity?: Severity;
  titleMatch?: RegExp;
  messageMatch?: RegExp;
}

export interface InvalidCase {
  name: string;
  files: BundleFiles;
  findings: ExpectedFinding[];
  namespaces?: string[];
}

export interface RuleRun extends RunResult {
  model: AnalysisModel;
}

/** Runs the given rules over an inline bundle, as `netdump analyze` would. */
export function runOnFiles(rules: Rule[], files: BundleFiles, namespaces?: string[]): RuleRun {
  const model = buildModel(bundleFromFiles(files, 'test-bundle.tgz'));
  return { model, ...runRules(model, rules, namespaces ? { namespaces } : {}) };
}

const identity = (rule: string, subjects: string[], evidence: { file: string; line: number }[]) =>
  JSON.stringify({ rule, subjects, evidence: evidence.map((e) => ({ file: e.file, line: e.line })) });

function expectWellFormed(finding: Finding): void {
  expect(finding.title, `${finding.rule}: title`).not.toBe('');
  expect(finding.message, `${finding.rule}: message`).not.toBe('');
  expect(finding.remediation, `${finding.rule}: remediation`).not.toBe('');
  expect(finding.evidence.length, `${finding.rule}: evidence`).toBeGreaterThan(0);
  for (const e of finding.evidence) expect(e.line, `${finding.rule}: evidence ${e.file} line`).toBeGreaterThanOrEqual(1);
}

export function ruleTester(rule: Rule, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(rule.id, () => {
    for (const c of cases.valid) {
      it(`valid: ${c.name}`, () => {
        const run = runOnFiles([rule], c.files, c.namespaces);
        expect(run.problems).toEqual([]);
        expect(run.findings.map((f) => `${f.title} — ${f.message}`)).toEqual([]);
        const coverage = run.coverage.find((e) => e.rule === rule.id);
        expect(coverage?.status, coverage?.detail).toBe(c.coverage ?? 'checked');
        if (c.coverageMatch) expect(coverage?.detail).toMatch(c.coverageMatch);
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name}`, () => {
        const run = runOnFiles([rule], c.files, c.namespaces);
        expect(run.problems).toEqual([]);
        const coverage = run.coverage.find((e) => e.rule === rule.id);
        expect(coverage?.status, coverage?.detail).toBe('checked');
        run.findings.forEach(expectWellFormed);

        const actual = run.findings.map((f) => identity(f.rule, f.subjects, f.evidence)).sort();
        const expected = c.findings.map((f) => identity(rule.id, f.subjects, f.evidence)).sort();
        expect(actual, run.findings.map((f) => `${f.title} — ${f.message}`).join('\n')).toEqual(expected);

        for (const want of c.findings) {
          const got = run.findings.find((f) => identity(f.rule, f.subjects, f.evidence) === identity(rule.id, want.subjects, want.evidence))!;
          if (want.severity) expect(got.severity, got.title).toBe(want.severity);
          if (want.titleMatch) expect(got.title).toMatch(want.titleMatch);
          if (want.messageMatch) expect(got.message).toMatch(want.messageMatch);
        }
      });
    }
  });
}
