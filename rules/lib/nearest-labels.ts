/**
 * For a selector that matches no pod: the label sets that do exist in the namespace, nearest
 * first, and the label keys or values that look like a typo of what the selector wants.
 * Pods are grouped by identical label sets first (the replicas of a workload revision share
 * theirs), so the search costs (distinct label sets × selector size).
 */
import type { Labels, Pod } from '../../analyzer/kube/types.js';
import { isLikelyTypo } from './string-distance.js';

export interface LabelSetGroup {
  labels: Labels;
  pods: Pod[];
}

export interface Mismatch {
  key: string;
  wanted: string;
  /** The value the pods carry under `key`; undefined when they lack the key. */
  found?: string;
}

export interface LabelTypo {
  /** Selector key and value the pods were meant to carry. */
  key: string;
  wanted: string;
  /** What the pods carry instead. */
  foundKey: string;
  foundValue: string;
  pods: Pod[];
}

export interface NearLabelSet {
  labels: Labels;
  pods: Pod[];
  /** Selector requirements these pods do not meet. */
  mismatches: Mismatch[];
}

export interface NearestLabels {
  typos: LabelTypo[];
  /** Label sets meeting at least one requirement or carrying a typo, fewest misses first (at most `limit`). */
  nearest: NearLabelSet[];
}

/** Labels that differ per pod or per revision and say nothing about what the pod is. */
const VOLATILE_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'pod-template-generation']);

export function groupByLabels(pods: readonly Pod[]): LabelSetGroup[] {
  const groups = new Map<string, LabelSetGroup>();
  for (const pod of pods) {
    const key = JSON.stringify(Object.entries(pod.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const group = groups.get(key);
    if (group) group.pods.push(pod);
    else groups.set(key, { labels: pod.labels, pods: [pod] });
  }
  return [...groups.values()];
}

/** Labels worth showing: the volatile per-pod ones are left out unless the selector names them. */
export function displayLabels(labels: Labels, selector: Record<string, string>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!VOLATILE_LABELS.has(k) || k in selector) shown[k] = v;
  return shown;
}

export function nearestLabels(groups: readonly LabelSetGroup[], selector: Record<string, string>, limit = 3): NearestLabels {
  const requirements = Object.entries(selector);
  const typos = new Map<string, LabelTypo>();
  const near: NearLabelSet[] = [];

  for (const [key, wanted] of requirements) {
    // A value some pods carry exactly is not a typo, even if others carry a similar one.
    if (groups.some((g) => g.labels[key] === wanted)) continue;
    for (const group of groups) {
      for (const [foundKey, foundValue] of Object.entries(group.labels)) {
        const sameKey = foundKey === key;
        const valueTypo = sameKey && isLikelyTypo(wanted, foundValue);
        const keyTypo = !sameKey && isLikelyTypo(key, foundKey) && (foundValue === wanted || isLikelyTypo(wanted, foundValue));
        if (!valueTypo && !keyTypo) continue;
        const id = `${key}\u0000${foundKey}\u0000${foundValue}`;
        const typo = typos.get(id);
        if (typo) typo.pods.push(...group.pods);
        else typos.set(id, { key, wanted, foundKey, foundValue, pods: [...group.pods] });
      }
    }
  }

  const typoKeys = new Set([...typos.values()].map((t) => `${t.foundKey}\u0000${t.foundValue}`));
  for (const group of groups) {
    const mismatches: Mismatch[] = [];
    for (const [key, wanted] of requirements) {
      const found = group.labels[key];
      if (found === wanted) continue;
      const mismatch: Mismatch = { key, wanted };
      if (found !== undefined) mismatch.found = found;
      mismatches.push(mismatch);
    }
    const carriesTypo = Object.entries(group.labels).some(([k, v]) => typoKeys.has(`${k}\u0000${v}`));
    if (mismatches.length < requirements.length || carriesTypo) near.push({ labels: group.labels, pods: group.pods, mismatches });
  }
  near.sort((a, b) => a.mismatches.length - b.mismatches.length || b.pods.length - a.pods.length);

  return {
    typos: [...typos.values()].sort((a, b) => b.pods.length - a.pods.length),
    nearest: near.slice(0, limit),
  };
}
