/**
 * The terminal report: root causes first, each followed by the findings it explains, then
 * what could not be checked, netdump's own failures, and a one-line summary.
 */
import { createPalette, type Palette } from './ansi.js';
import { buildCauseTree, type CauseTreeNode } from './cause-tree.js';
import { describeGapEntries, summarizeCoverage } from './coverage-gaps.js';
import type { RenderOptions } from './render-options.js';
import type { Finding, Report, Severity } from './report.js';
import { describeCounts, plural } from './summary-text.js';

const STEP = '    ';

export function renderHuman(report: Report, options: RenderOptions): string {
  const p = createPalette(options.color);
  const out: string[] = [];

  out.push(p.bold(`netdump ${report.tool.version}`) + ` · ${describeBundle(report)}`, '');

  const tree = buildCauseTree(report.findings);
  if (tree.length === 0) {
    out.push(p.green('No findings.'), '');
  } else {
    out.push(p.bold(`Root causes (${report.summary.rootCauses})`), '');
    for (const node of tree) {
      renderNode(node, '', out, p);
      out.push('');
    }
  }

  renderCoverage(report, out, p);
  renderProblems(report, out, p);
  out.push(summaryLine(report, p));
  return out.join('\n') + '\n';
}

function describeBundle(report: Report): string {
  const b = report.bundle;
  const parts = [`bundle ${b.path}`];
  if (b.context) parts.push(`context ${b.context}`);
  parts.push(plural(b.nodes, 'node'));
  if (b.createdAt) parts.push(`collected ${b.createdAt}`);
  return parts.join(' · ');
}

function badge(severity: Severity, p: Palette): string {
  const text = `[${severity.toUpperCase()}]`;
  if (severity === 'critical') return p.bold(p.red(text));
  if (severity === 'warning') return p.bold(p.yellow(text));
  return p.cyan(text);
}

function header(f: Finding, p: Palette): string {
  return `${badge(f.severity, p)} ${p.bold(f.id)} ${f.title}  ${p.dim(`(${f.rule}, ${f.layer})`)}`;
}

/** A finding at `indent`; symptoms are marked with an arrow and nested one step deeper. */
function renderNode(node: CauseTreeNode, indent: string, out: string[], p: Palette, marker = ''): void {
  const f = node.finding;
  const body = indent + STEP;
  out.push(`${indent}${marker}${header(f, p)}`);
  if (!node.full) {
    out.push(`${body}${p.dim(`(shown in full ${node.shownUnder ? `under ${node.shownUnder}` : 'above'})`)}`);
    return;
  }
  // Labels are padded to one width so the values line up.
  const label = (name: string) => p.dim(name.padEnd(9));
  const cont = body + ' '.repeat(10);
  out.push(`${body}${f.message}`);
  if (f.causedBy.length > 1) out.push(`${body}${label('caused by')} ${f.causedBy.join(', ')}`);
  if (f.subjects.length > 0) out.push(`${body}${label('subjects')} ${f.subjects.join(', ')}`);
  f.evidence.forEach((e, i) => {
    const location = p.cyan(`${e.file}:${e.line}`) + (e.note ? ` — ${e.note}` : '');
    out.push(i === 0 ? `${body}${label('evidence')} ${location}` : `${cont}${location}`);
    if (e.text) out.push(`${cont}${STEP}${p.dim(e.text)}`);
  });
  if (f.remediation) out.push(`${body}${label('fix')} ${f.remediation}`);
  (f.commands ?? []).forEach((command, i) => out.push(`${i === 0 ? `${body}${label('run')} ` : cont}$ ${command}`));
  if (node.symptoms.length > 0) {
    out.push(`${body}${p.bold(`symptoms of ${f.id} (${node.symptoms.length}):`)}`);
    for (const symptom of node.symptoms) renderNode(symptom, body + '  ', out, p, '↳ ');
  }
}

function renderCoverage(report: Report, out: string[], p: Palette): void {
  const { counts, gaps } = summarizeCoverage(report.coverage);
  const parts = [`${counts.checked} checked`];
  if (counts['not-collected']) parts.push(`${counts['not-collected']} not collected`);
  if (counts.partial) parts.push(`${counts.partial} partial`);
  if (counts.error) parts.push(`${counts.error} failed`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  out.push(`${p.bold('Coverage')}  ${parts.join(' · ')}`);
  for (const gap of gaps) {
    if (gap.status === 'skipped') {
      out.push(`${STEP}${gap.label}: ${plural(gap.entries.length, 'rule')}`);
      continue;
    }
    const label = gap.status === 'error' ? p.red(gap.label) : gap.label;
    out.push(`${STEP}${label}`);
    for (const line of describeGapEntries(gap.entries)) out.push(`${STEP}${STEP}${p.dim(line)}`);
  }
  out.push('');
}

function renderProblems(report: Report, out: string[], p: Palette): void {
  if (report.problems.length === 0) return;
  out.push(p.bold(p.red(`Problems (${report.problems.length})`)) + ' — netdump itself failed here; please report it with the `--format json` output');
  for (const problem of report.problems) out.push(`${STEP}${problem.where}: ${problem.message}`);
  out.push('');
}

function summaryLine(report: Report, p: Palette): string {
  const s = report.summary;
  const parts = [describeCounts(s)];
  const notCollected = report.coverage.filter((c) => c.status === 'not-collected').length;
  if (notCollected > 0) parts.push(`${plural(notCollected, 'check')} not collected`);
  if (report.problems.length > 0) parts.push(plural(report.problems.length, 'internal problem'));
  const text = parts.join(' · ');
  if (s.critical > 0) return p.bold(p.red(text));
  if (s.warning > 0) return p.bold(p.yellow(text));
  return p.bold(p.green(text));
}
