import type { Evidence } from '../analyzer/bundle/source-file.js';
import { makeEvidence } from '../analyzer/bundle/source-file.js';
import type { Bundle } from '../analyzer/bundle/bundle.js';
import type { ParseIssue, ParseIssueCode } from '../analyzer/bundle/parse-issue.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import { plural } from './lib/list-text.js';
import { machineSubject } from './lib/node-subject.js';

const MAX_EVIDENCE = 10;

/** What each code means, for titles (a Record, so a new code cannot be forgotten). */
const CODE_LABELS: Record<ParseIssueCode, string> = {
  TRUNCATED_ARCHIVE: 'the archive is truncated',
  CORRUPT_ARCHIVE: 'the archive is corrupt',
  UNSAFE_PATH: 'entries with unsafe paths were refused',
  LINK_IGNORED: 'links were ignored',
  SPECIAL_FILE_IGNORED: 'special files were ignored',
  FILE_TOO_LARGE: 'too large, not read',
  TOTAL_SIZE_EXCEEDED: 'size limit reached, reading stopped',
  TOO_MANY_ENTRIES: 'entry limit reached, reading stopped',
  NOT_TEXT: 'not text, not read',
  DUPLICATE_ENTRY: 'appears more than once',
  BAD_MANIFEST: 'malformed manifest',
  UNKNOWN_FORMAT_VERSION: 'unknown format version',
  INVALID_JSON: 'invalid JSON',
  INVALID_YAML: 'invalid YAML',
  UNEXPECTED_SHAPE: 'unexpected content',
  BAD_LINE: 'unreadable lines',
  UNKNOWN_DIRECTIVE: 'unknown directives',
  UNSUPPORTED_MATCH: 'unsupported matches',
  UNSUPPORTED_FEATURE: 'unsupported features',
};

/** The reader refused these on purpose; nothing the collector meant to send was lost. */
const DELIBERATE_SKIPS = new Set<ParseIssueCode>(['LINK_IGNORED', 'SPECIAL_FILE_IGNORED']);

/** Issues about the archive as a whole, or about entries that never became bundle files. */
function isArchiveLevel(issue: ParseIssue): boolean {
  return issue.file === '' || issue.code === 'UNSAFE_PATH';
}

/**
 * The subject a file's problems are about: the node (or non-Kubernetes host) or pod whose data it holds, else the
 * bundle part (`Bundle/cluster`, `Bundle/manifest`, `Bundle/archive` for the archive itself).
 * Paths are not used as names: their slashes would read as a namespace.
 */
function subjectOf(model: AnalysisModel, issue: ParseIssue): string {
  if (isArchiveLevel(issue)) return 'Bundle/archive';
  const parts = issue.file.split('/');
  if (parts[0] === 'nodes' && parts.length >= 3 && parts[1]) return machineSubject(model, parts[1]);
  if (parts[0] === 'pods' && parts.length >= 4 && parts[1] && parts[2]) return `Pod/${parts[1]}/${parts[2]}`;
  if (issue.file === 'manifest.json') return 'Bundle/manifest';
  return `Bundle/${parts.length > 1 ? parts[0] : issue.file.replace(/\.[^.]*$/, '')}`;
}

/** Severity of a group of issues: deliberate skips and doubtful reads are info, lost content a warning. */
function severityOf(code: ParseIssueCode, issues: ParseIssue[]): Severity {
  if (DELIBERATE_SKIPS.has(code)) return 'info';
  return issues.some((i) => (i.severity ?? 'error') === 'error') ? 'warning' : 'info';
}

/**
 * Evidence for an issue. Whole-file issues (line 0) cite line 1 of the file when the bundle
 * kept it. Issues about the archive, or about an entry the reader refused or could not keep
 * (too large, not text), cite line 1 of what the user has: the archive, or the entry's name.
 */
function evidenceOf(bundle: Bundle, issue: ParseIssue): Evidence {
  if (isArchiveLevel(issue)) {
    return makeEvidence(bundle.origin, 1, '', issue.file === '' ? `the archive itself: ${issue.message}` : issue.message);
  }
  const file = bundle.get(issue.file);
  const note = issue.line > 0 ? issue.message : `whole file: ${issue.message}`;
  if (file) return file.evidenceAtLine(Math.max(issue.line, 1), note);
  return makeEvidence(issue.file, Math.max(issue.line, 1), issue.text ?? '', note);
}

/**
 * A file of the bundle (or the archive) could not be read or parsed, fully or in part: the
 * checks that need it saw less than was collected. One finding per file and issue code.
 * Runs last, so it also sees the issues that facets built by earlier rules added.
 */
export default defineRule({
  id: 'bundle-parse-error',
  layer: 'bundle',
  severity: 'warning',
  description: 'A file of the bundle could not be parsed',
  area: 'Bundle',
  requires: [inputs.bundle],
  check(ctx) {
    const bundle = ctx.model.bundle;
    const groups = new Map<string, ParseIssue[]>();
    for (const issue of ctx.model.parseIssues) {
      const key = `${isArchiveLevel(issue) ? '' : issue.file}\u0000${issue.code}`;
      const group = groups.get(key);
      if (group) group.push(issue);
      else groups.set(key, [issue]);
    }
    for (const issues of groups.values()) {
      const first = issues[0]!;
      const where = isArchiveLevel(first) ? `the archive ${bundle.origin}` : first.file;
      const lines = issues.filter((i) => i.line > 0).map((i) => i.line);
      const at = lines.length > 0 ? ` (line${lines.length === 1 ? '' : 's'} ${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''})` : '';
      const deliberate = DELIBERATE_SKIPS.has(first.code);
      ctx.report({
        subjects: [subjectOf(ctx.model, first)],
        title: `${where}: ${CODE_LABELS[first.code] ?? first.code} (${first.code}${issues.length > 1 ? `, ${issues.length}×` : ''})`,
        message: `${plural(issues.length, 'problem')} reading ${where}${at}: ${first.message}${
          deliberate ? '; the reader skipped this entry on purpose' : '; checks that need this file saw only what could be read'
        }.`,
        evidence: issues.slice(0, MAX_EVIDENCE).map((i) => evidenceOf(bundle, i)),
        remediation: deliberate
          ? 'nothing to do unless the entry was meant to be collected; bundles should hold regular files only'
          : `look at ${where}${at}: if the collector wrote it truncated or mixed with error text, collect again; if the tool printed a format netdump does not know, report it with the file attached`,
        severity: severityOf(first.code, issues),
        data: { file: first.file, code: first.code, count: issues.length, lines },
      });
    }
  },
});
