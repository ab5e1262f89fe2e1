/**
 * The policy inputs the policy rules share, each read once per model (a facet) with its parse
 * issues joining the model's: Calico and Cilium policy resources, Hubble flows, cilium monitor
 * drops, and the collector's probes.
 *
 * The Calico and Cilium evaluators (analyzer/policy/engine-dispatch.ts) read the same resource
 * files inside their own facets and report those files' issues. So that each issue is reported
 * once, reading the resources here first builds the evaluator's facet (which reports them) and
 * keeps its own copy silent.
 */
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { readCalicoResources } from '../../analyzer/policy/calico/calico-resources.js';
import type { CalicoResources } from '../../analyzer/policy/calico/calico-types.js';
import { readCiliumResources } from '../../analyzer/policy/cilium/cilium-resources.js';
import type { CiliumResources } from '../../analyzer/policy/cilium/cilium-types.js';
import { parseCiliumMonitorDrops, type CiliumMonitorDrop } from '../../analyzer/policy/cilium/parse-cilium-monitor-drops.js';
import { parseHubbleFlows, type HubbleFlow } from '../../analyzer/policy/cilium/parse-hubble-flows.js';
import { directionEvaluator } from '../../analyzer/policy/engine-dispatch.js';
import { policySet } from '../../analyzer/policy/policy-facet.js';
import { parseProbes, type Probe } from '../../analyzer/probes/parse-probes.js';

export const HUBBLE_FLOWS_PATH = 'hubble/flows.json';
export const PROBES_PATH = 'probes/probes.json';
export const MONITOR_DROP_FILE = 'cilium/monitor-drop.txt';

export function calicoResources(model: AnalysisModel): CalicoResources {
  return model.facet('rules.calico-resources', (m) => {
    directionEvaluator(m, { ...policySet(m).engine, kind: 'calico' });
    return readCalicoResources(m.bundle).value;
  });
}

export function ciliumResources(model: AnalysisModel): CiliumResources {
  return model.facet('rules.cilium-resources', (m) => {
    directionEvaluator(m, { ...policySet(m).engine, kind: 'cilium' });
    return readCiliumResources(m.bundle).value;
  });
}

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
