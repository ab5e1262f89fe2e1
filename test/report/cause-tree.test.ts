import { describe, expect, it } from 'vitest';
import { buildCauseTree, type CauseTreeNode } from '../../analyzer/report/cause-tree.js';
import { sampleReport } from './sample-report.js';

const outline = (nodes: CauseTreeNode[]): unknown[] =>
  nodes.map((n) => (n.full ? [n.finding.id, outline(n.symptoms)] : `${n.finding.id}→${n.shownUnder ?? 'top'}`));

describe('buildCauseTree', () => {
  it('nests symptoms under root causes; a symptom of two causes is full under the first', () => {
    expect(outline(buildCauseTree(sampleReport().findings))).toEqual([
      ['F1', [['F3', []], ['F4', []]]],
      ['F2', ['F4→F1']],
    ]);
  });

  it('follows chains of causes', () => {
    const [f1, , f3] = sampleReport().findings;
    const f5 = { ...f3!, id: 'F5', causedBy: ['F3'], rootCause: false };
    expect(outline(buildCauseTree([f1!, f3!, f5]))).toEqual([['F1', [['F3', [['F5', []]]]]]]);
  });

  it('still shows a finding whose cause is missing from the report', () => {
    const [, , f3] = sampleReport().findings;
    expect(outline(buildCauseTree([f3!]))).toEqual([['F3', []]]);
  });
});
