/**
 * The policy inputs the policy rules share, each read once per model (a facet) with its parse
 * issues joining the model's: Calico and Cilium policy resources (the facets the evaluators of
 * analyzer/policy/engine-dispatch.ts read too), Hubble flows, cilium monitor drops, and the
 * collector's probes.
 */
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { parseCiliumMonitorDrops, type CiliumMonitorDrop } from '../../analyzer/policy/cilium/parse-cilium-monitor-drops.js';
import { parseHubbleFlows, type HubbleFlow } from '../../analyzer/policy/cilium/parse-hubble-flows.js';
import { parseProbes, type Probe } from '../../analyzer/probes/parse-probes.js';

export const HUBBLE_FLOWS_PATH = 'hubble/flows.json';
export const PROBES_PATH = 'probes/probes.json';
export const MONITOR_DROP_FILE = 'cilium/monitor-drop.txt';

export { calicoResources, ciliumResources } from '../../analyzer/policy/policy-resources.js';

/** `hubble/flows.json`, parsed; empty when absent. */
export function hubbleFlows(model: AnalysisModel): HubbleFlow[] {
  return model.facet('rules.hubble-flows', (m) => {
    const file = m.bundle.get(HUBBLE_FLOWS_PATH);
    if (!file) return [];
    const parsed = parseHubbleFlows(file);
    m.parseIssues.push(...parsed.issues);
    return parsed.value;
  });
}

/** Drops captured by `cilium monitor --type drop` on every node that has the file, with the node. */
export function monitorDrops(model: AnalysisModel): (CiliumMonitorDrop & { node: string })[] {
  return model.facet('rules.cilium-monitor-drops', (m) => {
    const drops: (CiliumMonitorDrop & { node: string })[] = [];
    for (const node of m.bundle.nodeNames()) {
      const file = m.bundle.get(`nodes/${node}/${MONITOR_DROP_FILE}`);
      if (!file) continue;
      const parsed = parseCiliumMonitorDrops(file);
      m.parseIssues.push(...parsed.issues);
      for (const drop of parsed.value) drops.push({ ...drop, node });
    }
    return drops;
  });
}

/** `probes/probes.json`, parsed; empty when absent. */
export function probes(model: AnalysisModel): Probe[] {
  return model.facet('rules.probes', (m) => {
    const file = m.bundle.get(PROBES_PATH);
    if (!file) return [];
    const parsed = parseProbes(file);
    m.parseIssues.push(...parsed.issues);
    return parsed.value;
  });
}
