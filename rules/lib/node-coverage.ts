/**
 * Coverage text of the per-node rules: "sysctl read on 2 of 3 nodes", where the total is the
 * cluster's node count (or the bundle's node folders when there is no cluster/nodes.json).
 */
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import type { RuleContext } from '../../analyzer/engine/rule.js';

export function totalNodes(model: AnalysisModel): number {
  const names = new Set(model.kube.nodes.map((n) => n.name));
  for (const name of model.bundle.nodeNames()) names.add(name);
  return names.size;
}

/** Sets the rule's coverage to `<what> on <checked> of <total> nodes[; notes]`. */
export function setNodeCoverage(ctx: RuleContext, what: string, checked: number, notes: readonly string[] = []): void {
  const total = Math.max(totalNodes(ctx.model), checked);
  ctx.setCoverage('checked', `${what} on ${checked} of ${total} node${total === 1 ? '' : 's'}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`);
}
