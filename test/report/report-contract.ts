/**
 * A hand-written check of ../shared/report-format.md (netdump-report/v1), written from the
 * contract rather than from report.ts so that a change to the types cannot silently change
 * what scripts receive. Returns every violation as "path: problem"; empty means valid.
 */
import type { Bundle } from '../../analyzer/bundle/bundle.js';

const SEVERITIES = ['critical', 'warning', 'info'];
const LAYERS = ['node', 'l2', 'l3', 'service', 'dns', 'policy', 'ingress', 'cni', 'bundle'];
const COVERAGE_STATUSES = ['checked', 'not-collected', 'partial', 'error', 'skipped'];
/** `Kind/namespace/name`, `Kind/name`, `Host/<name>`. */
const SUBJECT = /^[A-Z][A-Za-z0-9]*\/[^/\s]+(\/[^/\s]+)?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

export function validateReport(value: unknown, bundle?: Bundle): string[] {
  const errors: string[] = [];
  const fail = (path: string, problem: string) => errors.push(`${path}: ${problem}`);
  const expectString = (obj: Json, key: string, path: string, optional = false) => {
    if (optional && obj[key] === undefined) return;
    if (typeof obj[key] !== 'string') fail(`${path}.${key}`, `expected a string, got ${JSON.stringify(obj[key])}`);
  };

  if (!isObject(value)) return ['report: expected an object'];
  if (value.format !== 'netdump-report/v1') fail('format', `expected "netdump-report/v1", got ${JSON.stringify(value.format)}`);

  const b = value.bundle;
  if (!isObject(b)) fail('bundle', 'expected an object');
  else {
    expectString(b, 'path', 'bundle');
    expectString(b, 'createdAt', 'bundle', true);
    expectString(b, 'context', 'bundle', true);
    if (!isCount(b.nodes)) fail('bundle.nodes', `expected a count, got ${JSON.stringify(b.nodes)}`);
  }

  const findings = Array.isArray(value.findings) ? value.findings : (fail('findings', 'expected an array'), []);
  const ids = new Set<string>();
  for (const [i, f] of findings.entries()) {
    if (isObject(f) && typeof f.id === 'string') {
      if (ids.has(f.id)) fail(`findings[${i}].id`, `duplicate id ${f.id}`);
      ids.add(f.id);
    }
  }
  const counts = { critical: 0, warning: 0, info: 0, rootCauses: 0 };
  for (const [i, f] of findings.entries()) {
    const at = `findings[${i}]`;
    if (!isObject(f)) {
      fail(at, 'expected an object');
      continue;
    }
    for (const key of ['id', 'rule', 'title', 'message', 'remediation']) expectString(f, key, at);
    if (typeof f.severity === 'string' && SEVERITIES.includes(f.severity)) counts[f.severity as 'critical']++;
    else fail(`${at}.severity`, `not one of ${SEVERITIES.join(', ')}: ${JSON.stringify(f.severity)}`);
    if (!LAYERS.includes(f.layer as string)) fail(`${at}.layer`, `not one of ${LAYERS.join(', ')}: ${JSON.stringify(f.layer)}`);
    if (!Array.isArray(f.subjects) || f.subjects.some((s) => typeof s !== 'string' || !SUBJECT.test(s))) {
      fail(`${at}.subjects`, `expected Kind/namespace/name, Kind/name or Host/name strings, got ${JSON.stringify(f.subjects)}`);
    }
    if (!Array.isArray(f.evidence) || f.evidence.length === 0) fail(`${at}.evidence`, 'every finding needs evidence');
    else f.evidence.forEach((e: unknown, j: number) => checkEvidence(e, `${at}.evidence[${j}]`, bundle, fail));
    if (typeof f.rootCause !== 'boolean') fail(`${at}.rootCause`, 'expected a boolean');
    if (!Array.isArray(f.causedBy)) {
      fail(`${at}.causedBy`, 'expected an array');
      continue;
    }
    if (f.rootCause === true) counts.rootCauses++;
    if (f.rootCause !== (f.causedBy.length === 0)) fail(`${at}.rootCause`, `is ${f.rootCause} but causedBy is ${JSON.stringify(f.causedBy)}`);
    for (const cause of f.causedBy) {
      if (!ids.has(cause)) fail(`${at}.causedBy`, `names ${JSON.stringify(cause)}, which is no finding`);
      if (cause === f.id) fail(`${at}.causedBy`, 'names the finding itself');
    }
  }

  const s = value.summary;
  if (!isObject(s)) fail('summary', 'expected an object');
  else {
    for (const key of ['critical', 'warning', 'info', 'rootCauses'] as const) {
      if (s[key] !== counts[key]) fail(`summary.${key}`, `is ${JSON.stringify(s[key])} but the findings count ${counts[key]}`);
    }
  }

  const coverage = Array.isArray(value.coverage) ? value.coverage : (fail('coverage', 'expected an array'), []);
  for (const [i, c] of coverage.entries()) {
    const at = `coverage[${i}]`;
    if (!isObject(c)) {
      fail(at, 'expected an object');
      continue;
    }
    expectString(c, 'area', at);
    expectString(c, 'detail', at);
    if (!COVERAGE_STATUSES.includes(c.status as string)) fail(`${at}.status`, `not one of ${COVERAGE_STATUSES.join(', ')}: ${JSON.stringify(c.status)}`);
  }
  return errors;
}

/** Evidence names a bundle file and a line of it, and its excerpt is that line's text. */
function checkEvidence(e: unknown, at: string, bundle: Bundle | undefined, fail: (path: string, problem: string) => void): void {
  if (!isObject(e)) return void fail(at, 'expected an object');
  if (typeof e.file !== 'string' || e.file === '' || e.file.startsWith('/') || e.file.includes('\\')) {
    fail(`${at}.file`, `expected a bundle-relative path with forward slashes, got ${JSON.stringify(e.file)}`);
  }
  if (!Number.isInteger(e.line) || (e.line as number) < 1) fail(`${at}.line`, `expected a 1-based line, got ${JSON.stringify(e.line)}`);
  if (typeof e.text !== 'string') fail(`${at}.text`, 'expected a string');
  if (!bundle || typeof e.file !== 'string' || !Number.isInteger(e.line)) return;
  // A file the reader kept out (too large, not text) is in the bundle but has no lines to check.
  if (bundle.skipped.has(e.file)) return;
  const file = bundle.get(e.file);
  if (!file) return void fail(`${at}.file`, `${e.file} is not in the bundle`);
  const line = e.line as number;
  if (line > file.lineCount) return void fail(`${at}.line`, `${e.file} has ${file.lineCount} lines, not ${line}`);
  const excerpt = typeof e.text === 'string' ? e.text.replace(/…$/, '') : '';
  if (!file.lineText(line).includes(excerpt)) {
    fail(`${at}.text`, `${JSON.stringify(e.text)} is not on ${e.file}:${line} (${JSON.stringify(file.lineText(line).trim())})`);
  }
}
