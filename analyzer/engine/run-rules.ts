/**
 * Runs rules over a model: skips those whose inputs are missing (coverage "not collected"),
 * isolates a rule that throws (reported as a problem, the others still run), links causes,
 * orders findings root cause first, and numbers them.
 */
import type { CoverageEntry, Finding, ReportProblem, Severity } from '../report/report.js';
import { LAYERS, SEVERITIES } from '../report/report.js';
import type { AnalysisModel } from './analysis-model.js';
import type { CauseRef, FindingDraft, Rule, RuleContext } from './rule.js';

export interface RunOptions {
  /** Only these rule ids (`--rule`). */
  ruleIds?: readonly string[];
  /** Only findings about these namespaces, plus cluster-scoped ones (`--namespace`). */
  namespaces?: readonly string[];
}

export interface RunResult {
  findings: Finding[];
  coverage: CoverageEntry[];
  problems: ReportProblem[];
}

interface DraftWithRule {
  rule: Rule;
  draft: FindingDraft;
}

export function runRules(model: AnalysisModel, rules: readonly Rule[], options: RunOptions = {}): RunResult {
  const wanted = options.ruleIds && options.ruleIds.length > 0 ? new Set(options.ruleIds) : undefined;
  const namespaces = options.namespaces && options.namespaces.length > 0 ? new Set(options.namespaces) : undefined;
  const inScope = (ns: string) => !namespaces || ns === '' || namespaces.has(ns);

  const drafts: DraftWithRule[] = [];
  const coverage: CoverageEntry[] = [];
  const problems: ReportProblem[] = [];

  for (const rule of rules) {
    if (wanted && !wanted.has(rule.id)) {
      coverage.push({ area: rule.area, rule: rule.id, status: 'skipped', detail: 'not selected with --rule' });
      continue;
    }
    const missing = rule.requires.filter((input) => !input.isCollected(model));
    if (missing.length > 0) {
      coverage.push({
        area: rule.area,
        rule: rule.id,
        status: 'not-collected',
        detail: `not collected: ${missing.map((m) => m.paths).join(', ')}`,
      });
      continue;
    }
    let status: CoverageEntry['status'] = 'checked';
    let detail: string | undefined;
    let optionalUnused = false;
    let count = 0;
    const ctx: RuleContext = {
      model,
      namespaces,
      inScope,
      report(draft) {
        count++;
        drafts.push({ rule, draft });
      },
      setCoverage(s, d, options) {
        status = s;
        detail = d;
        optionalUnused = options?.optionalUnused ?? false;
      },
    };
    try {
      rule.check(ctx);
    } catch (error) {
      const err = error as Error;
      problems.push({ where: rule.id, message: err?.message ?? String(error), stack: err?.stack });
      coverage.push({ area: rule.area, rule: rule.id, status: 'error', detail: `internal error: ${err?.message ?? String(error)}` });
      continue;
    }
    const absentOptional = optionalUnused ? [] : (rule.optional ?? []).filter((input) => !input.isCollected(model));
    let text = detail ?? (count === 0 ? 'no problem found' : `${count} finding${count === 1 ? '' : 's'}`);
    if (absentOptional.length > 0) text += `; not collected: ${absentOptional.map((m) => m.paths).join(', ')}`;
    coverage.push({ area: rule.area, rule: rule.id, status, detail: text });
  }

  const kept = drafts.filter(({ draft }) => !namespaces || draft.subjects.length === 0 || draft.subjects.some((s) => inScope(subjectNamespace(s))));
  return { findings: linkAndOrder(kept), coverage, problems };
}

/** The namespace of a `Kind/namespace/name` subject; '' for cluster-scoped and host subjects. */
export function subjectNamespace(subject: string): string {
  const parts = subject.split('/');
  return parts.length >= 3 ? parts[1]! : '';
}

const severityRank = (s: Severity) => SEVERITIES.indexOf(s);

function linkAndOrder(drafts: DraftWithRule[]): Finding[] {
  // Index by (rule, subject) to resolve CauseRefs.
  const byRuleSubject = new Map<string, number[]>();
  drafts.forEach(({ rule, draft }, i) => {
    for (const subject of draft.subjects) {
      const key = `${rule.id}\u0000${subject}`;
      const list = byRuleSubject.get(key);
      if (list) list.push(i);
      else byRuleSubject.set(key, [i]);
    }
  });
  const causeIdx: number[][] = drafts.map(({ draft }, i) => {
    const found = new Set<number>();
    for (const ref of draft.causedBy ?? ([] as CauseRef[])) {
      for (const j of byRuleSubject.get(`${ref.rule}\u0000${ref.subject}`) ?? []) {
        if (j !== i && (ref.alsoAbout ?? []).every((subject) => drafts[j]!.draft.subjects.includes(subject))) found.add(j);
      }
    }
    return [...found];
  });
  // Break cycles: a finding may not be (transitively) caused by itself.
  for (let i = 0; i < causeIdx.length; i++) {
    causeIdx[i] = causeIdx[i]!.filter((j) => !reaches(causeIdx, j, i));
  }

  const severityOf = (i: number) => drafts[i]!.draft.severity ?? drafts[i]!.rule.severity;
  // Order: root causes by severity, then each one's symptoms right after... the flat order
  // is root causes first (by severity, layer, rule, subject), then symptoms the same way.
  const order = drafts.map((_, i) => i);
  const key = (i: number) => {
    const { rule, draft } = drafts[i]!;
    return [causeIdx[i]!.length === 0 ? 0 : 1, severityRank(severityOf(i)), LAYERS.indexOf(rule.layer), rule.id, draft.subjects.join(','), draft.title] as const;
  };
  order.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let k = 0; k < ka.length; k++) {
      if (ka[k]! < kb[k]!) return -1;
      if (ka[k]! > kb[k]!) return 1;
    }
    return 0;
  });
  const idOf = new Map<number, string>();
  order.forEach((i, n) => idOf.set(i, `F${n + 1}`));

  const findings: Finding[] = order.map((i) => {
    const { rule, draft } = drafts[i]!;
    const finding: Finding = {
      id: idOf.get(i)!,
      rule: rule.id,
      severity: severityOf(i),
      layer: rule.layer,
      title: draft.title,
      message: draft.message,
      subjects: draft.subjects,
      evidence: draft.evidence,
      remediation: draft.remediation,
      rootCause: causeIdx[i]!.length === 0,
      causedBy: causeIdx[i]!.map((j) => idOf.get(j)!).sort(compareIds),
    };
    if (draft.commands && draft.commands.length > 0) finding.commands = draft.commands;
    if (draft.data) finding.data = draft.data;
    return finding;
  });
  const byId = new Map(findings.map((f) => [f.id, f]));
  for (const f of findings) {
    for (const c of f.causedBy) {
      const cause = byId.get(c)!;
      (cause.causes ??= []).push(f.id);
    }
  }
  for (const f of findings) f.causes?.sort(compareIds);
  return findings;
}

function reaches(graph: number[][], from: number, target: number): boolean {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === target) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...graph[n]!);
  }
  return false;
}

function compareIds(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}
