/**
 * What rules read: the bundle, the Kubernetes model, and derived facets that later layers
 * (netfilter, DNS, routing, policy) compute once and share through `facet`.
 */
import type { Bundle } from '../bundle/bundle.js';
import type { ParseIssue } from '../bundle/parse-issue.js';
import type { KubeModel } from '../kube/types.js';

export interface AnalysisModel {
  bundle: Bundle;
  kube: KubeModel;
  /** Parse problems met by every parser so far (the bundle's own included). */
  readonly parseIssues: ParseIssue[];
  /**
   * A derived structure, built on first use and cached for the rest of the run. `build` may
   * push parse issues into `parseIssues`. Keys are module-level constants of the facet owner.
   */
  facet<T>(key: string, build: (model: AnalysisModel) => T): T;
}

export function createAnalysisModel(bundle: Bundle, kube: KubeModel, parseIssues: ParseIssue[]): AnalysisModel {
  const facets = new Map<string, unknown>();
  const model: AnalysisModel = {
    bundle,
    kube,
    parseIssues,
    facet<T>(key: string, build: (m: AnalysisModel) => T): T {
      if (facets.has(key)) return facets.get(key) as T;
      const value = build(model);
      facets.set(key, value);
      return value;
    },
  };
  return model;
}
