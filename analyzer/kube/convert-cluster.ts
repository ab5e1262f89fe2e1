/**
 * Namespaces, Nodes, ConfigMaps and Events.
 */
import { asArray, asNumber, asString, asStringArray, asStringMap, objectOrEmpty, type JsonObject } from './object-fields.js';
import { withMeta } from './object-meta.js';
import type { ConfigMap, KubeEvent, Namespace, Node, NodeAddress, NodeCondition, ObjectMeta } from './types.js';

export function toNamespace(meta: ObjectMeta, object: JsonObject): Namespace {
  return withMeta(meta, { phase: asString(objectOrEmpty(object.status).phase) });
}

export function toNode(meta: ObjectMeta, object: JsonObject): Node {
  const spec = objectOrEmpty(object.spec);
  const status = objectOrEmpty(object.status);
  const nodeInfo = objectOrEmpty(status.nodeInfo);
  // spec.podCIDRs holds one CIDR per family; older nodes only spec.podCIDR.
  let podCIDRs = asStringArray(spec.podCIDRs);
  const podCIDR = asString(spec.podCIDR);
  if (podCIDRs.length === 0 && podCIDR) podCIDRs = [podCIDR];
  const addresses: NodeAddress[] = [];
  for (const entry of asArray(status.addresses)) {
    const address = objectOrEmpty(entry);
    const type = asString(address.type);
    const value = asString(address.address);
    if (type !== undefined && value) addresses.push({ type, address: value });
  }
  const conditions = asArray(status.conditions).map((entry): NodeCondition => {
    const condition = objectOrEmpty(entry);
    return {
      type: asString(condition.type) ?? '',
      status: asString(condition.status) ?? '',
      reason: asString(condition.reason),
      message: asString(condition.message),
    };
  });
  return withMeta(meta, {
    podCIDRs,
    addresses,
    ips: addresses.filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address),
    conditions,
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: spec.unschedulable === true,
    taints: asArray(spec.taints).map((entry) => {
      const taint = objectOrEmpty(entry);
      return { key: asString(taint.key) ?? '', value: asString(taint.value), effect: asString(taint.effect) ?? '' };
    }),
    kubeletVersion: asString(nodeInfo.kubeletVersion),
    kubeProxyVersion: asString(nodeInfo.kubeProxyVersion),
    osImage: asString(nodeInfo.osImage),
    kernelVersion: asString(nodeInfo.kernelVersion),
    containerRuntimeVersion: asString(nodeInfo.containerRuntimeVersion),
  });
}

export function toConfigMap(meta: ObjectMeta, object: JsonObject): ConfigMap {
  return withMeta(meta, { data: asStringMap(object.data) });
}

/**
 * core/v1 Events (`involvedObject`, `message`, `count`), and the events.k8s.io/v1 names of the
 * same fields (`regarding`, `note`, `deprecatedCount`, `series`).
 */
export function toEvent(meta: ObjectMeta, object: JsonObject): KubeEvent {
  const involved = objectOrEmpty(object.involvedObject ?? object.regarding);
  const kind = asString(involved.kind);
  const name = asString(involved.name);
  const series = objectOrEmpty(object.series);
  return withMeta(meta, {
    type: asString(object.type),
    reason: asString(object.reason),
    message: asString(object.message) ?? asString(object.note),
    involvedObject: kind !== undefined && name !== undefined ? { kind, namespace: asString(involved.namespace), name } : undefined,
    count: asNumber(object.count) ?? asNumber(series.count) ?? asNumber(object.deprecatedCount),
    lastTimestamp:
      asString(object.lastTimestamp) ??
      asString(series.lastObservedTime) ??
      asString(object.eventTime) ??
      asString(object.deprecatedLastTimestamp),
  });
}
