/**
 * Ingresses (networking.k8s.io/v1, and the v1beta1 shape still found in old bundles) and
 * IngressClasses.
 */
import { loadBalancerIngress } from './convert-service.js';
import { asArray, asIntOrString, asNumber, asObject, asString, asStringArray, objectOrEmpty, type JsonObject } from './object-fields.js';
import { withMeta } from './object-meta.js';
import type { Ingress, IngressBackendRef, IngressClass, IngressPath, IngressRule, ObjectMeta } from './types.js';

export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export function toIngress(meta: ObjectMeta, object: JsonObject): Ingress {
  const spec = objectOrEmpty(object.spec);
  // spec.ingressClassName replaced the annotation; controllers still honour the annotation.
  const fromSpec = asString(spec.ingressClassName) || undefined;
  const fromAnnotation = meta.annotations[INGRESS_CLASS_ANNOTATION] || undefined;
  return withMeta(meta, {
    className: fromSpec ?? fromAnnotation,
    classFrom: fromSpec ? 'spec' : fromAnnotation ? 'annotation' : 'none',
    // v1 calls it defaultBackend; v1beta1 called it backend.
    defaultBackend: asObject(spec.defaultBackend)
      ? toBackend(spec.defaultBackend, 'spec.defaultBackend')
      : asObject(spec.backend)
        ? toBackend(spec.backend, 'spec.backend')
        : undefined,
    rules: asArray(spec.rules).map(toRule),
    tls: asArray(spec.tls).map((entry) => {
      const tls = objectOrEmpty(entry);
      return { hosts: asStringArray(tls.hosts), secretName: asString(tls.secretName) };
    }),
    lbIngress: loadBalancerIngress(objectOrEmpty(object.status)),
  });
}

function toRule(value: unknown, r: number): IngressRule {
  const rule = objectOrEmpty(value);
  return {
    host: asString(rule.host),
    paths: asArray(objectOrEmpty(rule.http).paths).map((entry, p): IngressPath => {
      const path = objectOrEmpty(entry);
      return {
        path: asString(path.path),
        pathType: asString(path.pathType),
        backend: toBackend(path.backend, `spec.rules[${r}].http.paths[${p}].backend`),
      };
    }),
  };
}

/**
 * v1: `service: { name, port: { number | name } }` or `resource: { apiGroup, kind, name }`.
 * v1beta1: `serviceName` and `servicePort` (a number or a port name).
 */
function toBackend(value: unknown, path: string): IngressBackendRef {
  const backend = objectOrEmpty(value);
  const out: IngressBackendRef = { path };
  const service = asObject(backend.service);
  if (service) {
    const port = asObject(service.port);
    out.service = {
      name: asString(service.name) ?? '',
      port: port ? { number: asNumber(port.number), name: asString(port.name) } : undefined,
    };
  } else if (typeof backend.serviceName === 'string') {
    const port = asIntOrString(backend.servicePort);
    out.service = {
      name: backend.serviceName,
      port: typeof port === 'number' ? { number: port } : port !== undefined ? { name: port } : undefined,
    };
  }
  const resource = asObject(backend.resource);
  if (resource) {
    out.resource = { apiGroup: asString(resource.apiGroup), kind: asString(resource.kind) ?? '', name: asString(resource.name) ?? '' };
  }
  return out;
}

export function toIngressClass(meta: ObjectMeta, object: JsonObject): IngressClass {
  return withMeta(meta, {
    controller: asString(objectOrEmpty(object.spec).controller) ?? '',
    isDefault: meta.annotations[DEFAULT_CLASS_ANNOTATION] === 'true',
  });
}
