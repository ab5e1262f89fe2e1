/**
 * The JSON report that scripts and ticket bots read must keep the shape of
 * ../shared/report-format.md. Checked on real reports of every fixture scenario.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../analyzer/analyze.js';
import { BundleReadError, readBundle } from '../../analyzer/bundle/read-bundle.js';
import { renderers } from '../../analyzer/report/renderers.js';
import type { Report } from '../../analyzer/report/report.js';
import { validateReport } from './report-contract.js';
import { sampleReport } from './sample-report.js';

const scenariosDir = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));
const scenarios = existsSync(scenariosDir)
  ? readdirSync(scenariosDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  : [];

describe('report contract validator', () => {
  it('accepts a well-formed report', () => {
    expect(validateReport(sampleReport())).toEqual([]);
  });

  const broken: Array<[string, (r: Report) => void, string]> = [
    ['wrong format', (r) => ((r as { format: string }).format = 'netdump-report/v2'), 'format: expected "netdump-report/v1"'],
    ['unknown severity', (r) => ((r.findings[0] as { severity: string }).severity = 'error'), 'findings[0].severity: not one of'],
    ['unknown layer', (r) => ((r.findings[1] as { layer: string }).layer = 'network'), 'findings[1].layer: not one of'],
    ['duplicate id', (r) => (r.findings[1]!.id = 'F1'), 'findings[1].id: duplicate id F1'],
    ['dangling causedBy', (r) => (r.findings[2]!.causedBy = ['F9']), 'findings[2].causedBy: names "F9", which is no finding'],
    ['rootCause with causes', (r) => (r.findings[2]!.rootCause = true), 'findings[2].rootCause: is true but causedBy is ["F1"]'],
    ['line 0', (r) => (r.findings[0]!.evidence[0]!.line = 0), 'findings[0].evidence[0].line: expected a 1-based line'],
    ['no evidence', (r) => (r.findings[3]!.evidence = []), 'findings[3].evidence: every finding needs evidence'],
    ['bad subject', (r) => (r.findings[0]!.subjects = ['shop/cart']), 'findings[0].subjects: expected Kind/namespace/name'],
    ['wrong count', (r) => (r.summary.warning = 5), 'summary.warning: is 5 but the findings count 2'],
    ['missing remediation', (r) => delete (r.findings[0] as Partial<Report['findings'][0]>).remediation, 'findings[0].remediation: expected a string'],
    ['bad coverage status', (r) => ((r.coverage[0] as { status: string }).status = 'ok'), 'coverage[0].status: not one of'],
  ];
  it.each(broken)('rejects a report with %s', (_name, breakIt, expected) => {
    const report = sampleReport();
    breakIt(report);
    const errors = validateReport(report);
    expect(errors.some((e) => e.startsWith(expected)), errors.join('\n')).toBe(true);
  });
});

describe.skipIf(scenarios.length === 0)('reports of the fixture scenarios', () => {
  it('include demo-shop, whose report has findings', () => {
    expect(scenarios).toContain('demo-shop');
  });

  it.for(scenarios)('%s: the JSON report follows report-format.md, evidence lines included', async (name, ctx) => {
    let bundle;
    try {
      bundle = await readBundle(`${scenariosDir}${name}`);
    } catch (error) {
      if (error instanceof BundleReadError) return ctx.skip(`${name} is not readable as a bundle: ${error.message}`);
      throw error;
    }
    const report = analyzeBundle(bundle);
    const parsed: unknown = JSON.parse(renderers.json(report, { color: false }));
    expect(validateReport(parsed, bundle)).toEqual([]);
    if (name === 'demo-shop') expect(report.findings.length).toBeGreaterThan(0);
  });
});
