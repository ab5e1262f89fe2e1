import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type FindingDraft } from '../analyzer/engine/rule.js';
import type { Ingress, IngressBackendRef, Service } from '../analyzer/kube/types.js';
import { listSome } from './lib/list-text.js';
import { isLikelyTypo } from './lib/string-distance.js';

interface BackendProblem {
  service: string;
  /** `port 8080` / `port "http"`, empty when the Service itself is missing. */
  port: string;
  existing?: Service;
  backends: IngressBackendRef[];
}

/**
 * An Ingress backend names a Service that does not exist in the Ingress's namespace, or a
 * port (number or name) that Service does not have: the controller answers 503 (or 404) for
 * those paths. Resource backends are not checked. Whether an existing Service has endpoints
 * is svc-no-endpoints' business.
 */
export default defineRule({
  id: 'ingress-backend-missing',
  layer: 'ingress',
  severity: 'critical',
  description: 'An Ingress points at a Service or port that does not exist',
  area: 'Ingress',
  requires: [inputs.ingresses, inputs.services],
  check(ctx) {
    const kube = ctx.model.kube;
    for (const ingress of kube.ingresses) {
      if (!ctx.inScope(ingress.namespace)) continue;
      const problems = new Map<string, BackendProblem>();
      const backends = [...(ingress.defaultBackend ? [ingress.defaultBackend] : []), ...ingress.rules.flatMap((r) => r.paths.map((p) => p.backend))];
      for (const backend of backends) {
        const ref = backend.service;
        if (!ref) continue; // resource backend
        const service = kube.service(ingress.namespace, ref.name);
        let port = '';
        if (service) {
          if (service.type === 'ExternalName' && service.ports.length === 0) continue;
          const number = ref.port?.number;
          const name = ref.port?.name;
          if (number !== undefined && !service.ports.some((p) => p.port === number)) port = `port ${number}`;
          else if (name !== undefined && !service.ports.some((p) => p.name === name)) port = `port "${name}"`;
          else continue;
        }
        const key = `${ref.name}\u0000${port}`;
        const problem = problems.get(key);
        if (problem) problem.backends.push(backend);
        else problems.set(key, { service: ref.name, port, ...(service ? { existing: service } : {}), backends: [backend] });
      }
      for (const problem of problems.values()) ctx.report(describe(ingress, problem, kube.servicesInNamespace(ingress.namespace)));
    }
  },
});

function where(ingress: Ingress, backend: IngressBackendRef): string {
  if (ingress.defaultBackend === backend) return 'defaultBackend';
  for (const rule of ingress.rules) {
    const path = rule.paths.find((p) => p.backend === backend);
    if (path) return `${rule.host ?? '*'}${path.path ?? '/'}`;
  }
  return backend.path;
}

function describe(ingress: Ingress, problem: BackendProblem, servicesInNamespace: readonly Service[]): FindingDraft {
  const ns = ingress.namespace;
  const routes = listSome(problem.backends.map((b) => where(ingress, b)), 4);
  const service = problem.existing;
  const evidence: Evidence[] = problem.backends
    .slice(0, 5)
    .map((b) =>
      ingress.source.at(
        service ? `${b.path}.service.port.${b.service?.port?.number !== undefined ? 'number' : 'name'}` : `${b.path}.service.name`,
        service ? `${problem.port} not on Service ${problem.service}` : `Service ${problem.service} not found`,
      ),
    );
  const commands = [`kubectl -n ${ns} describe ingress ${ingress.name}`, `kubectl -n ${ns} get services`];

  if (!service) {
    const similar = servicesInNamespace.filter((s) => isLikelyTypo(problem.service, s.name)).map((s) => s.name);
    return {
      subjects: [ingress.ref],
      title: `Ingress ${ns}/${ingress.name} routes to Service ${problem.service}, which does not exist`,
      message: `backend Service ${problem.service} (for ${routes}) does not exist in namespace ${ns}; an Ingress can only reach Services in its own namespace, and the controller answers 503 for these routes${similar.length > 0 ? `. Similar Service names: ${similar.join(', ')} (likely typo)` : ''}.`,
      evidence,
      remediation: similar.length > 0 ? `point the backend at Service ${similar[0]} (or create Service ${problem.service})` : `create Service ${problem.service} in namespace ${ns}, or point the backend at an existing Service`,
      commands,
      data: { service: problem.service, similar },
    };
  }
  const ports = service.ports.map((p) => `${p.port}${p.name ? ` (${p.name})` : ''}`);
  evidence.push(service.source.at('spec.ports', `Service ${service.name} ports: ${ports.join(', ') || 'none'}`));
  return {
    subjects: [ingress.ref, service.ref],
    title: `Ingress ${ns}/${ingress.name} routes to ${problem.port} of Service ${service.name}, which has no such port`,
    message: `backend ${service.name} ${problem.port} (for ${routes}) is not a port of Service ${ns}/${service.name}, which offers ${ports.length > 0 ? ports.join(', ') : 'no ports'}; the backend port must be the Service port (not the container's targetPort), by number or by name.`,
    evidence,
    remediation: `set the backend port to one of the Service's ports (${ports.join(', ') || 'add a port to the Service'})`,
    commands: [...commands.slice(0, 1), `kubectl -n ${ns} get service ${service.name} -o jsonpath='{.spec.ports}'`],
    data: { service: service.ref, port: problem.port, servicePorts: service.ports.map((p) => ({ port: p.port, name: p.name })) },
  };
}
