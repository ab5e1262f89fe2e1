/**
 * A ticket-ready summary: headline counts, one section per root cause with the findings it
 * explains, evidence quoted verbatim, and the coverage gaps a reader must know about.
 */
import { buildCauseTree, type CauseTreeNode } from './cause-tree.js';
import { describeGapEntries, summarizeCoverage } from './coverage-gaps.js';
import { mdCode, mdFence, mdText } from './markdown-text.js';
import type { Evidence } from '../bundle/source-file.js';
import type { Finding, Report } from './report.js';
import { describeCounts, plural } from './summary-text.js';

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`## netdump: ${describeCounts(report.summary)}`, '');
  out.push(describeBundle(report), '');

  const tree = buildCauseTree(report.findings);
  if (tree.length === 0) out.push('No findings.', '');
  for (const node of tree) renderRootSection(node, out);

  renderCoverage(report, out);
  renderProblems(report, out);
  while (out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

function describeBundle(report: Report): string {
  const b = report.bundle;
  const parts = [`Bundle ${mdCode(b.path)}`];
  if (b.context) parts.push(`context ${mdCode(b.context)}`);
  parts.push(plural(b.nodes, 'node'));
  if (b.createdAt) parts.push(`collected ${b.createdAt}`);
  parts.push(`netdump ${report.tool.version}`);
  return parts.join(' · ');
}

const SEVERITY_TEXT = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' } as const;

function renderRootSection(node: CauseTreeNode, out: string[]): void {
  const f = node.finding;
  out.push(`### ${f.id} · ${SEVERITY_TEXT[f.severity]} · ${mdText(f.title)}`, '');
  if (!node.full) {
    out.push(`Shown above${node.shownUnder ? ` under ${node.shownUnder}` : ''}.`, '');
    return;
  }
  const meta = [`Rule ${mdCode(f.rule)} (${f.layer})`];
  if (f.subjects.length > 0) meta.push(`subjects: ${f.subjects.map(mdCode).join(', ')}`);
  out.push(meta.join(' · '), '', mdText(f.message), '');
  if (f.evidence.length > 0) {
    out.push('**Evidence**', '');
    for (const e of f.evidence) {
      out.push(`${mdCode(`${e.file}:${e.line}`)}${e.note ? ` — ${mdText(e.note)}` : ''}`, '');
      if (e.text) out.push(...mdFence(e.text), '');
    }
  }
  if (f.remediation) out.push(`**Fix:** ${mdText(f.remediation)}`, '');
  if (f.commands && f.commands.length > 0) out.push(...mdFence(f.commands.join('\n'), 'sh'), '');
  if (node.symptoms.length > 0) {
    out.push(`**Symptoms (${node.symptoms.length})**`, '');
    for (const symptom of node.symptoms) renderSymptom(symptom, '', out);
    out.push('');
  }
}

function symptomHead(f: Finding): string {
  return `**${SEVERITY_TEXT[f.severity]}** ${f.id} ${mdCode(f.rule)} — ${mdText(f.title)}`;
}

const evidenceSpan = (e: Evidence) =>
  `${mdCode(`${e.file}:${e.line}`)}${e.text ? ` ${mdCode(e.text)}` : ''}${e.note ? ` (${mdText(e.note)})` : ''}`;

function renderSymptom(node: CauseTreeNode, indent: string, out: string[]): void {
  const f = node.finding;
  if (!node.full) {
    out.push(`${indent}- ${symptomHead(f)} (see ${node.shownUnder ? `under ${node.shownUnder}` : 'above'})`);
    return;
  }
  const more = `${indent}  `;
  out.push(`${indent}- ${symptomHead(f)}  `, `${more}${mdText(f.message)}`);
  if (f.causedBy.length > 1) out.push(`${more}- caused by: ${f.causedBy.join(', ')}`);
  for (const e of f.evidence) out.push(`${more}- evidence: ${evidenceSpan(e)}`);
  if (f.remediation) out.push(`${more}- fix: ${mdText(f.remediation)}`);
  for (const command of f.commands ?? []) out.push(`${more}- run: ${mdCode(command)}`);
  for (const symptom of node.symptoms) renderSymptom(symptom, more, out);
}

function renderCoverage(report: Report, out: string[]): void {
  const { counts, gaps } = summarizeCoverage(report.coverage);
  if (gaps.length === 0) {
    out.push(`### Coverage`, '', `All ${plural(counts.checked, 'check')} ran.`, '');
    return;
  }
  out.push('### Not checked', '');
  for (const gap of gaps) {
    const who = gap.status === 'skipped' ? plural(gap.entries.length, 'rule') : describeGapEntries(gap.entries).join('; ');
    out.push(`- ${mdText(gap.label)} — ${mdText(who)}`);
  }
  out.push('', `${plural(counts.checked, 'check')} ran.`, '');
}

function renderProblems(report: Report, out: string[]): void {
  if (report.problems.length === 0) return;
  out.push('### netdump problems', '', 'netdump itself failed here; please report it with the `--format json` output.', '');
  for (const problem of report.problems) out.push(`- ${mdCode(problem.where)}: ${mdText(problem.message)}`);
  out.push('');
}
