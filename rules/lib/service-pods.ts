/**
 * Which Services select pods, and which of the pods they match the endpoint controllers
 * actually consider (kubernetes pkg/api/v1/endpoints ShouldPodBeInEndpoints: finished pods
 * never become endpoints).
 */
import type { RuleContext } from '../../analyzer/engine/rule.js';
import type { KubeModel, Pod, Service } from '../../analyzer/kube/types.js';

/** Services of the namespaces in scope, using the per-namespace index when narrowed. */
export function servicesInScope(ctx: RuleContext): readonly Service[] {
  const kube = ctx.model.kube;
  if (!ctx.namespaces) return kube.services;
  return [...ctx.namespaces].flatMap((ns) => kube.servicesInNamespace(ns));
}

/**
 * True for a Service whose endpoints the control plane derives from a selector. A missing or
 * empty selector means endpoints are managed by hand; ExternalName Services have none.
 */
export function selectsPods(service: Service): service is Service & { selector: Record<string, string> } {
  return service.type !== 'ExternalName' && service.selector !== undefined && Object.keys(service.selector).length > 0;
}

/** Succeeded and Failed pods (completed Jobs, evicted pods) never become endpoints again. */
export function isFinished(pod: Pod): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

/** Pods the Service's selector matches that are not finished. */
export function livePodsOfService(kube: KubeModel, service: Service): Pod[] {
  return kube.podsOfService(service).filter((pod) => !isFinished(pod));
}

/** Ready and not being deleted: what the endpoint controllers publish as a ready endpoint. */
export function isServingPod(pod: Pod): boolean {
  return pod.ready && !pod.terminating;
}

