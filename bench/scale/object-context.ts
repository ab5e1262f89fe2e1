/**
 * What every object writer of the scale bundle shares: the plan, a random stream of its own
 * (so the plan's draws do not depend on what gets written), monotonic resourceVersions, and
 * the kubectl output conventions.
 */
import { IdSource, type ClusterPlan } from './cluster-plan.js';
import { createPrng, type Prng } from './prng.js';

export interface ObjectContext {
  plan: ClusterPlan;
  rng: Prng;
  ids: IdSource;
}

export function createObjectContext(plan: ClusterPlan): ObjectContext {
  const rng = createPrng(plan.seed ^ 0x5bd1e995);
  return { plan, rng, ids: new IdSource(rng, { rv: 49_000_000 }) };
}

/** Go's RFC 3339 rendering of a metav1.Time: whole seconds, `Z`. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** What `kubectl get <resource> -o json` prints for a list: a `List`, 4-space indent, newline. */
export function kubectlList(items: readonly unknown[]): string {
  return JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4) + '\n';
}

/** A string map with its keys in the order Go's encoding/json prints map keys. */
export function sortedRecord(entries: [string, string][]): Record<string, string> {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(entries);
}
