import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Pod, Service } from '../analyzer/kube/types.js';
import { listSome } from './lib/list-text.js';
import { explainNotReady } from './lib/pod-readiness.js';
import { isServingPod, livePodsOfService, selectsPods, servicesInScope } from './lib/service-pods.js';
import { describeEvent, latestWarningEvents } from './lib/warning-events.js';

interface UnreadyPod {
  pod: Pod;
  services: Service[];
  /** True when some Service selecting it has no serving pod at all. */
  serviceDown: boolean;
}

/**
 * A pod that a Service selects is not Ready, so it gets no Service traffic. Only pods behind
 * a Service are reported: an unready batch pod is not a networking problem. Finished pods
 * (Succeeded, Failed) and pods being deleted are left out: they are not meant to serve.
 */
export default defineRule({
  id: 'pod-not-ready',
  layer: 'service',
  severity: 'warning',
  description: 'A pod behind a Service is not Ready (crash loop, failing readiness probe, Pending)',
  area: 'Pods behind Services',
  requires: [inputs.pods, inputs.services],
  optional: [inputs.events],
  check(ctx) {
    const kube = ctx.model.kube;
    const unready = new Map<string, UnreadyPod>();
    for (const service of servicesInScope(ctx)) {
      if (!selectsPods(service)) continue;
      const pods = livePodsOfService(kube, service).filter((p) => !p.terminating);
      if (pods.length === 0) continue;
      const serviceDown = !pods.some(isServingPod);
      for (const pod of pods) {
        if (pod.ready) continue;
        const entry = unready.get(pod.ref);
        if (entry) {
          entry.services.push(service);
          entry.serviceDown ||= serviceDown;
        } else unready.set(pod.ref, { pod, services: [service], serviceDown });
      }
    }
    if (unready.size === 0) return;

    const events = latestWarningEvents(kube, 'Pod');
    for (const { pod, services, serviceDown } of unready.values()) {
      const why = explainNotReady(pod);
      const serviceNames = services.map((s) => s.name);
      const event = events.get(`${pod.namespace}/${pod.name}`);
      const sentences = [
        `selected by Service${services.length === 1 ? '' : 's'} ${listSome(serviceNames, 3)}`,
        ...why.details,
      ];
      if (serviceDown) {
        sentences.push(`no pod of ${services.length === 1 ? `Service ${services[0]!.name}` : 'one of those Services'} is ready, so that Service has no ready endpoint`);
      }
      if (event) sentences.push(`last warning event: ${describeEvent(event)}`);
      const evidence = [...why.evidence];
      if (event) evidence.push(event.source.at('message', `event ${event.reason ?? ''}`.trim()));

      const ns = pod.namespace;
      const commands = [`kubectl -n ${ns} describe pod ${pod.name}`];
      for (const c of why.containers) {
        if (c.restarts > 0 || c.state === 'terminated') {
          commands.push(`kubectl -n ${ns} logs ${pod.name} -c ${c.container} --previous`);
        } else if (c.state === 'running') {
          commands.push(`kubectl -n ${ns} logs ${pod.name} -c ${c.container}`);
        }
      }
      commands.push(`kubectl -n ${ns} get events --field-selector involvedObject.name=${pod.name}`);

      ctx.report({
        subjects: [pod.ref],
        title: `Pod ${ns}/${pod.name} is not Ready: ${why.headline}`,
        message: `${sentences.join('; ')}.`,
        evidence,
        remediation: remediationFor(
          why.containers.flatMap((c) => [c.reason ?? c.state, c.lastTermination?.reason ?? '']),
          why.headline,
        ),
        commands,
        severity: serviceDown ? 'critical' : 'warning',
        // A configuration that makes the pod crash (a CoreDNS forwarding loop) names the pod
        // as its subject; so does a CNI configuration that keeps its sandbox from being set up
        // (the pod stuck in ContainerCreating). Linked only when such a finding exists.
        causedBy: [
          { rule: 'corefile-problem', subject: pod.ref },
          ...(waitsForSandbox(pod) ? [{ rule: 'cni-config-problem', subject: pod.ref }] : []),
        ],
        data: {
          services: services.map((s) => s.ref),
          phase: pod.phase,
          containers: why.containers,
        },
      });
    }
  },
});

/** A container still waiting in ContainerCreating: the pod's network sandbox has not been set up. */
function waitsForSandbox(pod: Pod): boolean {
  return pod.containerStatuses.some((status) => status.state.kind === 'waiting' && status.state.reason === 'ContainerCreating');
}

function remediationFor(reasons: string[], headline: string): string {
  if (reasons.some((r) => r === 'ImagePullBackOff' || r === 'ErrImagePull' || r === 'InvalidImageName')) return 'fix the image name or tag, or the image pull secret, so the kubelet can pull the image';
  if (reasons.some((r) => r === 'CreateContainerConfigError' || r === 'CreateContainerError')) return 'create the ConfigMap/Secret the container refers to, or fix the reference';
  if (reasons.includes('OOMKilled')) return 'the container is killed for exceeding its memory limit: raise the limit or reduce its memory use';
  if (reasons.includes('CrashLoopBackOff')) return 'read the previous logs of the crashing container to see why it exits, fix the cause, and let the workload roll out again';
  if (headline === 'Unschedulable') return 'free or add capacity, or relax the pod\'s node selector, affinity, tolerations or resource requests, so it can be scheduled';
  if (reasons.includes('running')) return 'check what the readiness probe calls and why it fails (wrong port or path, dependency down, slow start); fix the app or the probe';
  return 'describe the pod and read its events to see what keeps it from becoming Ready';
}
