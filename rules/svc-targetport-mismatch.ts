import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type FindingDraft } from '../analyzer/engine/rule.js';
import type { ContainerPort, Pod, Service, ServicePort } from '../analyzer/kube/types.js';
import { listSome, plural } from './lib/list-text.js';
import { livePodsOfService, selectsPods, servicesInScope } from './lib/service-pods.js';

interface DeclaredPort {
  container: string;
  port: ContainerPort;
  /** Path of the container's `ports` list, for evidence. */
  portsPath: string;
  /** Index in that list. */
  index: number;
}

/**
 * The ports a pod declares, in the order kubernetes' FindPort searches them: app containers,
 * then sidecars (init containers with restartPolicy Always).
 */
function declaredPorts(pod: Pod): DeclaredPort[] {
  const declared: DeclaredPort[] = [];
  pod.containers.forEach((c, i) => c.ports.forEach((port, k) => declared.push({ container: c.name, port, portsPath: `spec.containers[${i}].ports`, index: k })));
  pod.initContainers.forEach((c, i) => {
    if (c.restartPolicy === 'Always') c.ports.forEach((port, k) => declared.push({ container: c.name, port, portsPath: `spec.initContainers[${i}].ports`, index: k }));
  });
  return declared;
}

function describeDeclared(declared: DeclaredPort[]): string {
  if (declared.length === 0) return 'no ports';
  const unique = [...new Set(declared.map((d) => `${d.port.containerPort}/${d.port.protocol}${d.port.name ? ` (${d.port.name})` : ''}`))];
  return listSome(unique, 6);
}

function portLabel(port: ServicePort): string {
  return `${port.name ? `${port.name} ` : ''}(${port.port}/${port.protocol})`;
}

/**
 * A Service port whose targetPort the selected pods do not offer. A named targetPort is
 * resolved per pod (kubernetes FindPort: same name and protocol); a pod that lacks it gets
 * no endpoint for that port. A numeric targetPort is only judged against pods whose
 * containers declare ports at all: declaring a port is informational, and a process may
 * listen on a port it never declared.
 */
export default defineRule({
  id: 'svc-targetport-mismatch',
  layer: 'service',
  severity: 'critical',
  description: 'A Service targetPort is not a port the selected containers declare',
  area: 'Services and endpoints',
  requires: [inputs.services, inputs.pods],
  check(ctx) {
    const kube = ctx.model.kube;
    let checked = 0;
    let uncheckable = 0;
    let found = 0;
    for (const service of servicesInScope(ctx)) {
      if (!selectsPods(service)) continue;
      const live = livePodsOfService(kube, service);
      const pods = live.some((p) => !p.terminating) ? live.filter((p) => !p.terminating) : live;
      if (pods.length === 0) continue; // svc-no-endpoints
      const declared = new Map(pods.map((p) => [p, declaredPorts(p)] as const));

      for (const port of service.ports) {
        checked++;
        const problem = typeof port.targetPort === 'string' ? checkNamed(service, port, port.targetPort, declared) : checkNumeric(service, port, port.targetPort, declared);
        if (problem === 'uncheckable') uncheckable++;
        else if (problem) {
          found++;
          ctx.report(problem);
        }
      }
    }
    if (uncheckable > 0) {
      ctx.setCoverage(
        'checked',
        `${plural(checked, 'Service port')} checked, ${plural(found, 'finding')}; ${uncheckable} numeric targetPort${uncheckable === 1 ? '' : 's'} not checkable: the selected containers declare no ports (a process may listen without declaring)`,
      );
    }
  },
});

function checkNamed(service: Service, port: ServicePort, name: string, declared: Map<Pod, DeclaredPort[]>): FindingDraft | undefined {
  const lacking: { pod: Pod; why: string; evidence: Evidence }[] = [];
  const resolved: Pod[] = [];
  for (const [pod, ports] of declared) {
    if (ports.some((d) => d.port.name === name && d.port.protocol === port.protocol)) {
      resolved.push(pod);
      continue;
    }
    const otherProtocol = ports.find((d) => d.port.name === name);
    if (otherProtocol) {
      lacking.push({
        pod,
        why: `declares ${name} as ${otherProtocol.port.protocol}, not ${port.protocol}`,
        evidence: pod.source.at(`${otherProtocol.portsPath}[${otherProtocol.index}].protocol`, `pod ${pod.name}: ${name} is ${otherProtocol.port.protocol}`),
      });
    } else {
      lacking.push({ pod, why: `declares ${describeDeclared(ports)}`, evidence: portsEvidence(pod, ports, `pod ${pod.name} has no port named ${name}`) });
    }
  }
  if (lacking.length === 0) return undefined;

  const ns = service.namespace;
  const none = resolved.length === 0;
  const sample = lacking[0]!;
  const lackingText = listSome(lacking.map((l) => `${l.pod.name} (${l.why})`), 4);
  return {
    subjects: [service.ref],
    title: none
      ? `Service ${ns}/${service.name} port ${portLabel(port)}: targetPort "${name}" resolves in no selected pod`
      : `Service ${ns}/${service.name} port ${portLabel(port)}: targetPort "${name}" is missing in ${lacking.length} of ${plural(declared.size, 'pod')}`,
    message: none
      ? `targetPort "${name}" must name a ${port.protocol} container port, but ${declared.size === 1 ? 'the only selected pod has none' : `none of the ${declared.size} selected pods has one`}: ${lackingText}. The endpoints get no address for this port, so traffic to port ${port.port} is refused.`
      : `targetPort "${name}" resolves in ${listSome(resolved.map((p) => p.name), 3)} but not in ${lackingText}; those pods get no endpoint for port ${port.port} (typically an old and a new pod template side by side).`,
    evidence: [service.source.at(`spec.ports[${port.index}].targetPort`, `targetPort ${name}`), sample.evidence],
    remediation: none
      ? `name the container port "${name}" (protocol ${port.protocol}) in the pod template, or set targetPort to the port name or number the container really uses`
      : `roll out one pod template that declares port "${name}" (${port.protocol}) everywhere, or point targetPort at a port every pod declares`,
    commands: [
      `kubectl -n ${ns} get service ${service.name} -o jsonpath='{.spec.ports}'`,
      `kubectl -n ${ns} get pod ${sample.pod.name} -o jsonpath='{.spec.containers[*].ports}'`,
    ],
    severity: none ? 'critical' : 'warning',
    data: { port: port.port, protocol: port.protocol, targetPort: name, lackingPods: lacking.map((l) => l.pod.ref), resolvedPods: resolved.map((p) => p.ref) },
  };
}

function checkNumeric(service: Service, port: ServicePort, target: number, declared: Map<Pod, DeclaredPort[]>): FindingDraft | 'uncheckable' | undefined {
  const withPorts = [...declared].filter(([, ports]) => ports.length > 0);
  if (withPorts.length === 0) return 'uncheckable';
  const lacking = withPorts.filter(([, ports]) => !ports.some((d) => d.port.containerPort === target && d.port.protocol === port.protocol));
  if (lacking.length === 0) return undefined;

  const ns = service.namespace;
  const [samplePod, samplePorts] = lacking[0]!;
  const otherProtocol = samplePorts.find((d) => d.port.containerPort === target);
  const describe = ([pod, ports]: [Pod, DeclaredPort[]]) => {
    const same = ports.find((d) => d.port.containerPort === target);
    return `${pod.name} (${same ? `declares ${target} as ${same.port.protocol} only` : `declares ${describeDeclared(ports)}`})`;
  };
  const silent = declared.size - withPorts.length;
  const caveat = `Declared ports are informational: if the process listens on ${target}/${port.protocol} anyway, traffic still works, but a mismatch with the declared ports usually means the targetPort is wrong.`;
  return {
    subjects: [service.ref],
    title: `Service ${ns}/${service.name} port ${portLabel(port)}: targetPort ${target}/${port.protocol} is not declared by ${lacking.length === withPorts.length ? 'the selected containers' : `${lacking.length} of ${plural(withPorts.length, 'pod')}`}`,
    message: `targetPort ${target}/${port.protocol} is declared by no container of ${listSome(lacking.map(describe), 4)}${silent > 0 ? `; ${plural(silent, 'other pod')} declare no ports at all` : ''}. ${caveat}`,
    evidence: [
      service.source.at(`spec.ports[${port.index}].targetPort`, `targetPort ${target}`),
      otherProtocol
        ? samplePod.source.at(`${otherProtocol.portsPath}[${otherProtocol.index}].protocol`, `pod ${samplePod.name}: ${target} is ${otherProtocol.port.protocol}`)
        : portsEvidence(samplePod, samplePorts, `pod ${samplePod.name} declares ${describeDeclared(samplePorts)}`),
    ],
    remediation: `set targetPort to the port the container listens on (it declares ${describeDeclared(samplePorts)}), or declare ${target}/${port.protocol} if the process really listens there`,
    commands: [
      `kubectl -n ${ns} get pod ${samplePod.name} -o jsonpath='{.spec.containers[*].ports}'`,
      `kubectl -n ${ns} exec ${samplePod.name} -- ss -ltnup`,
    ],
    severity: 'warning',
    data: { port: port.port, protocol: port.protocol, targetPort: target, lackingPods: lacking.map(([p]) => p.ref) },
  };
}

/** The `ports` list of the pod's first container that declares ports, else its containers. */
function portsEvidence(pod: Pod, ports: DeclaredPort[], note: string): Evidence {
  return pod.source.at(ports[0]?.portsPath ?? 'spec.containers', note);
}
