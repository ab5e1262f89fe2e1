/**
 * The latest Warning event about each object of one kind (readiness probe failures,
 * FailedScheduling, SyncLoadBalancerFailed...), indexed once per rule run.
 */
import type { KubeEvent, KubeModel } from '../../analyzer/kube/types.js';

/** Map from `namespace/name` to the object's most recent Warning event. */
export function latestWarningEvents(kube: KubeModel, kind: string): Map<string, KubeEvent> {
  const latest = new Map<string, KubeEvent>();
  for (const event of kube.events) {
    const about = event.involvedObject;
    if (event.type !== 'Warning' || !about || about.kind !== kind) continue;
    const key = `${about.namespace ?? event.namespace}/${about.name}`;
    const previous = latest.get(key);
    // ISO-8601 timestamps compare as strings; without one, the later event in the list wins.
    if (!previous || (event.lastTimestamp ?? '') >= (previous.lastTimestamp ?? '')) latest.set(key, event);
  }
  return latest;
}

/** `Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503 (x42)`. */
export function describeEvent(event: KubeEvent): string {
  const message = (event.message ?? '').split(/\r?\n/)[0]!.trim();
  const text = `${event.reason ?? 'event'}${message ? `: ${message.length > 200 ? `${message.slice(0, 199)}…` : message}` : ''}`;
  return event.count && event.count > 1 ? `${text} (x${event.count})` : text;
}
