/**
 * The rule registry: every rule netdump runs, listed by hand (no globbing) so that adding a
 * rule is a visible change and the meta test can check each one has its doc and test.
 * Order matters only for `bundle-parse-error`, which must stay last: facets built while
 * earlier rules run add their parse issues to the model.
 */
import type { Rule } from '../analyzer/engine/rule.js';
import bundleCollectionFailed from './bundle-collection-failed.js';
import bundleParseError from './bundle-parse-error.js';
import ingressBackendMissing from './ingress-backend-missing.js';
import ingressClassMissing from './ingress-class-missing.js';
import lbPending from './lb-pending.js';
import podNotReady from './pod-not-ready.js';
import svcEndpointsDrift from './svc-endpoints-drift.js';
import svcEndpointsNotReady from './svc-endpoints-not-ready.js';
import svcNoEndpoints from './svc-no-endpoints.js';
import svcTargetportMismatch from './svc-targetport-mismatch.js';

export const allRules: Rule[] = [
  // Pods and Services
  podNotReady,
  svcNoEndpoints,
  svcEndpointsNotReady,
  svcTargetportMismatch,
  svcEndpointsDrift,
  lbPending,
  // Ingress
  ingressBackendMissing,
  ingressClassMissing,
  // The bundle itself (bundle-parse-error last)
  bundleCollectionFailed,
  bundleParseError,
];

const byId = new Map(allRules.map((rule) => [rule.id, rule] as const));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}
