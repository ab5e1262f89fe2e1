/**
 * The findings arranged for a reader who starts at the root: each root cause followed by the
 * findings it explains, recursively. A finding explained by several causes is shown in full
 * under the first and as a reference under the others, so nothing is printed twice.
 */
import type { Finding } from './report.js';

export interface CauseTreeNode {
  finding: Finding;
  /** True where the finding is shown in full; false for a reference to that place. */
  full: boolean;
  /** For a reference: the finding under which it is shown in full (absent when top level). */
  shownUnder?: string;
  /** The findings this one explains; empty for references. */
  symptoms: CauseTreeNode[];
}

export function buildCauseTree(findings: readonly Finding[]): CauseTreeNode[] {
  const symptomsOf = new Map<string, Finding[]>();
  for (const finding of findings) {
    for (const cause of finding.causedBy) {
      const list = symptomsOf.get(cause);
      if (list) list.push(finding);
      else symptomsOf.set(cause, [finding]);
    }
  }
  const shownUnder = new Map<string, string | undefined>();
  const visit = (finding: Finding, parent: string | undefined): CauseTreeNode => {
    if (shownUnder.has(finding.id)) {
      const node: CauseTreeNode = { finding, full: false, symptoms: [] };
      const under = shownUnder.get(finding.id);
      if (under !== undefined) node.shownUnder = under;
      return node;
    }
    shownUnder.set(finding.id, parent);
    const symptoms = (symptomsOf.get(finding.id) ?? []).map((s) => visit(s, finding.id));
    return { finding, full: true, symptoms };
  };
  const tree = findings.filter((f) => f.causedBy.length === 0).map((f) => visit(f, undefined));
  // A report whose causedBy names missing ids (hand-edited JSON) still shows every finding.
  for (const finding of findings) if (!shownUnder.has(finding.id)) tree.push(visit(finding, undefined));
  return tree;
}
