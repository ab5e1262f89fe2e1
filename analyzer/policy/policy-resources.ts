/**
 * The Calico and Cilium policy resources of the bundle (`cluster/calico/`, `cluster/cilium/`),
 * each read once per model (a facet) with its parse issues joining the model's: the evaluators
 * (engine-dispatch.ts) and the policy rules share the one reading.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { readCalicoResources } from './calico/calico-resources.js';
import type { CalicoResources } from './calico/calico-types.js';
import { readCiliumResources } from './cilium/cilium-resources.js';
import type { CiliumResources } from './cilium/cilium-types.js';

export const CALICO_RESOURCES_FACET = 'policy.calico-resources';
export const CILIUM_RESOURCES_FACET = 'policy.cilium-resources';

export function calicoResources(model: AnalysisModel): CalicoResources {
  return model.facet(CALICO_RESOURCES_FACET, (m) => {
    const read = readCalicoResources(m.bundle);
    m.parseIssues.push(...read.issues);
    return read.value;
  });
}

export function ciliumResources(model: AnalysisModel): CiliumResources {
  return model.facet(CILIUM_RESOURCES_FACET, (m) => {
    const read = readCiliumResources(m.bundle);
    m.parseIssues.push(...read.issues);
    return read.value;
  });
}
