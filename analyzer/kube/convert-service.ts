/**
 * Services and what the endpoint controllers derive from them: EndpointSlices
 * (discovery.k8s.io/v1, and the v1beta1 `topology` map) and core/v1 Endpoints.
 */
import {
  asArray,
  asBoolean,
  asIntOrString,
  asNumber,
  asObject,
  asProtocol,
  asString,
  asStringArray,
  asStringMap,
  objectOrEmpty,
  type JsonObject,
} from './object-fields.js';
import { withMeta } from './object-meta.js';
import type {
  EndpointAddress,
  EndpointConditions,
  EndpointSlice,
  Endpoints,
  ObjectMeta,
  Service,
  ServicePort,
  SliceEndpoint,
  SlicePort,
} from './types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

export function toService(meta: ObjectMeta, object: JsonObject): Service {
  const spec = objectOrEmpty(object.spec);
  // spec.clusterIPs holds one address per family; objects from before dual-stack only clusterIP.
  let ips = asStringArray(spec.clusterIPs);
  const clusterIP = asString(spec.clusterIP);
  if (ips.length === 0 && clusterIP) ips = [clusterIP];
  const selector = asStringMap(spec.selector);
  return withMeta(meta, {
    type: asString(spec.type) || 'ClusterIP',
    clusterIPs: ips.filter((ip) => ip !== 'None' && ip !== ''),
    headless: ips[0] === 'None',
    ports: asArray(spec.ports).map(toServicePort),
    // An empty selector is stored as none: the endpoint controllers leave such Services alone.
    selector: Object.keys(selector).length > 0 ? selector : undefined,
    externalTrafficPolicy: asString(spec.externalTrafficPolicy),
    internalTrafficPolicy: asString(spec.internalTrafficPolicy),
    healthCheckNodePort: asNumber(spec.healthCheckNodePort),
    externalIPs: asStringArray(spec.externalIPs),
    loadBalancerIP: asString(spec.loadBalancerIP),
    loadBalancerSourceRanges: asStringArray(spec.loadBalancerSourceRanges),
    loadBalancerClass: asString(spec.loadBalancerClass),
    lbIngress: loadBalancerIngress(objectOrEmpty(object.status)),
    sessionAffinity: asString(spec.sessionAffinity),
    sessionAffinityTimeoutSeconds: asNumber(objectOrEmpty(objectOrEmpty(spec.sessionAffinityConfig).clientIP).timeoutSeconds),
    externalName: asString(spec.externalName),
    ipFamilies: asStringArray(spec.ipFamilies),
    ipFamilyPolicy: asString(spec.ipFamilyPolicy),
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  });
}

function toServicePort(value: unknown, index: number): ServicePort {
  const port = objectOrEmpty(value);
  const number = asNumber(port.port) ?? 0;
  // The API server defaults targetPort (absent, 0 or "") to the port itself.
  const target = asIntOrString(port.targetPort);
  const nodePort = asNumber(port.nodePort);
  return {
    name: asString(port.name) ?? '',
    protocol: asProtocol(port.protocol),
    port: number,
    targetPort: target === undefined || target === 0 || target === '' ? number : target,
    nodePort: nodePort === 0 ? undefined : nodePort,
    appProtocol: asString(port.appProtocol),
    index,
  };
}

/** status.loadBalancer.ingress: each entry's ip, else its hostname (AWS ELBs). */
export function loadBalancerIngress(status: JsonObject): string[] {
  const out: string[] = [];
  for (const entry of asArray(objectOrEmpty(status.loadBalancer).ingress)) {
    const ingress = objectOrEmpty(entry);
    const address = asString(ingress.ip) || asString(ingress.hostname);
    if (address) out.push(address);
  }
  return out;
}

export function toEndpointSlice(meta: ObjectMeta, object: JsonObject): EndpointSlice {
  return withMeta(meta, {
    serviceName: meta.labels[SERVICE_NAME_LABEL],
    addressType: asString(object.addressType) ?? '',
    ports: asArray(object.ports).map(toSlicePort),
    endpoints: asArray(object.endpoints).map(toSliceEndpoint),
    managedBy: meta.labels[MANAGED_BY_LABEL],
  });
}

function toSlicePort(value: unknown): SlicePort {
  const port = objectOrEmpty(value);
  return {
    name: asString(port.name) ?? '',
    port: asNumber(port.port),
    protocol: asProtocol(port.protocol),
    appProtocol: asString(port.appProtocol),
  };
}

function toSliceEndpoint(value: unknown, index: number): SliceEndpoint {
  const endpoint = objectOrEmpty(value);
  // discovery.k8s.io/v1beta1 kept the node and zone in a topology map.
  const topology = asStringMap(endpoint.topology);
  return {
    addresses: asStringArray(endpoint.addresses),
    conditions: toConditions(endpoint.conditions),
    nodeName: asString(endpoint.nodeName) ?? topology['kubernetes.io/hostname'],
    zone: asString(endpoint.zone) ?? topology['topology.kubernetes.io/zone'],
    hostname: asString(endpoint.hostname),
    targetRef: toTargetRef(endpoint.targetRef),
    index,
  };
}

/**
 * EndpointConditions with the API's reading of unset fields: ready unset means ready (an
 * endpoint written by hand, or by an old controller); serving unset means the same as ready;
 * terminating unset means not terminating.
 */
function toConditions(value: unknown): EndpointConditions {
  const conditions = objectOrEmpty(value);
  const ready = asBoolean(conditions.ready) ?? true;
  return {
    ready,
    serving: asBoolean(conditions.serving) ?? ready,
    terminating: asBoolean(conditions.terminating) ?? false,
  };
}

function toTargetRef(value: unknown): SliceEndpoint['targetRef'] {
  const ref = asObject(value);
  const kind = asString(ref?.kind);
  const name = asString(ref?.name);
  if (!ref || kind === undefined || name === undefined) return undefined;
  return { kind, namespace: asString(ref.namespace), name, uid: asString(ref.uid) };
}

/** core/v1 Endpoints: `addresses` are ready, `notReadyAddresses` are not. */
export function toEndpoints(meta: ObjectMeta, object: JsonObject): Endpoints {
  return withMeta(meta, {
    subsets: asArray(object.subsets).map((value, index) => {
      const subset = objectOrEmpty(value);
      const addresses: EndpointAddress[] = [];
      for (const address of asArray(subset.addresses)) pushAddress(addresses, address, true);
      for (const address of asArray(subset.notReadyAddresses)) pushAddress(addresses, address, false);
      return { addresses, ports: asArray(subset.ports).map(toSlicePort), index };
    }),
  });
}

function pushAddress(out: EndpointAddress[], value: unknown, ready: boolean): void {
  const address = objectOrEmpty(value);
  const ip = asString(address.ip);
  if (!ip) return;
  out.push({
    ip,
    nodeName: asString(address.nodeName),
    hostname: asString(address.hostname),
    targetRef: toTargetRef(address.targetRef),
    ready,
  });
}
