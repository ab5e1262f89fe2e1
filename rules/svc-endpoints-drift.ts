import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { formatLabels } from '../analyzer/kube/label-selector.js';
import type { Pod } from '../analyzer/kube/types.js';
import { endpointViewOf, expectedFamilies, familyOf, type AddressFamily, type EndpointEntry } from './lib/endpoint-view.js';
import { listSome, plural } from './lib/list-text.js';
import { isFinished, livePodsOfService, selectsPods, servicesInScope } from './lib/service-pods.js';

const MAX_LISTED = 8;

interface Discrepancy {
  text: string;
  evidence: Evidence;
  kind: 'stale' | 'missing' | 'readiness';
}

/**
 * The endpoints the control plane published disagree with the pods the selector matches now:
 * addresses of pods that are gone, no longer match or changed IP, ready pods that are not
 * listed (or listed as not ready), and unready pods listed as ready. Only slices written by
 * the EndpointSlice controller are compared (mirrored or third-party slices are not derived
 * from the selector). Pods without an IP yet and terminating pods are not expected.
 */
export default defineRule({
  id: 'svc-endpoints-drift',
  layer: 'service',
  severity: 'warning',
  description: 'EndpointSlices/Endpoints disagree with the pods the selector matches now',
  area: 'Services and endpoints',
  requires: [inputs.services, inputs.pods, inputs.serviceEndpoints],
  check(ctx) {
    const kube = ctx.model.kube;
    for (const service of servicesInScope(ctx)) {
      if (!selectsPods(service)) continue;
      const view = endpointViewOf(kube, service, { controllerManagedOnly: true });
      const live = livePodsOfService(kube, service);
      if (view.kind === 'none' && live.length === 0) continue;
      const publishAll = service.publishNotReadyAddresses;
      const matched = new Set(live);
      const byAddress = new Map<string, EndpointEntry[]>();
      for (const entry of view.entries) {
        const list = byAddress.get(entry.address);
        if (list) list.push(entry);
        else byAddress.set(entry.address, [entry]);
      }
      const problems: Discrepancy[] = [];

      // Stale: listed addresses whose pod is gone, no longer matches, or has another IP now.
      for (const entry of view.entries) {
        const { pod, stale } = podOfEntry(entry, service.namespace, matched);
        if (stale) {
          problems.push({ kind: 'stale', text: `${entry.address} ${stale}`, evidence: entry.addressEvidence(stale) });
          continue;
        }
        if (!pod || publishAll || pod.terminating || entry.terminating) continue;
        if (entry.ready && !pod.ready) {
          const why = 'listed as ready, but the pod is not Ready';
          problems.push({ kind: 'readiness', text: `${entry.address} (${pod.name}) ${why}`, evidence: entry.readyEvidence(why) });
        } else if (!entry.ready && pod.ready) {
          const why = 'listed as not ready, but the pod is Ready';
          problems.push({ kind: 'readiness', text: `${entry.address} (${pod.name}) ${why}`, evidence: entry.readyEvidence(why) });
        }
      }

      // Missing: pods that should be published (ready ones, or all with publishNotReadyAddresses).
      const families = expectedFamilies(service, view.kind) ?? familiesIn(view.entries);
      for (const pod of live) {
        if (pod.terminating || pod.podIPs.length === 0 || (!pod.ready && !publishAll)) continue;
        for (const ip of pod.podIPs) {
          const family = familyOf(ip);
          if ((families && !families.has(family)) || byAddress.has(ip)) continue;
          if (!families && pod.podIPs.some((other) => byAddress.has(other))) continue;
          const note = `${pod.ready ? 'ready ' : ''}pod ${pod.name} (${ip}) is not listed`;
          problems.push({ kind: 'missing', text: `${pod.name} (${ip}) is ${pod.ready ? 'Ready' : 'running'} but not listed`, evidence: podIPEvidence(pod, ip, note) });
        }
      }
      if (problems.length === 0) continue;

      const ns = service.namespace;
      const source = view.kind === 'none' ? 'no EndpointSlice or Endpoints object' : view.kind === 'EndpointSlice' ? `the EndpointSlices of ${service.name}` : `Endpoints ${ns}/${service.name}`;
      const counts = (['stale', 'missing', 'readiness'] as const)
        .map((k) => [k, problems.filter((p) => p.kind === k).length] as const)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => (k === 'stale' ? plural(n, 'stale address', 'stale addresses') : k === 'missing' ? plural(n, 'missing pod address', 'missing pod addresses') : plural(n, 'readiness disagreement')));
      const headless = service.headless ? ' Clients of this headless Service resolve its DNS name to these addresses directly.' : '';
      ctx.report({
        subjects: [service.ref],
        title: `Service ${ns}/${service.name}: endpoints disagree with its pods (${counts.join(', ')})`,
        message: `${source} and the pods matching the selector now disagree: ${listSome(problems.map((p) => p.text), MAX_LISTED, '; ')}.${headless} A small drift can come from pods changing while the bundle was collected; a lasting one means the endpoint controller is not keeping up (kube-controller-manager down or lagging) or the endpoints are written by hand.`,
        evidence: problems.slice(0, MAX_LISTED).map((p) => p.evidence),
        remediation: `collect again to see whether the drift persists; if it does, check kube-controller-manager (endpointslice controller) health and logs, and that nothing else writes these endpoints`,
        commands: [
          `kubectl -n ${ns} get endpointslices -l kubernetes.io/service-name=${service.name} -o wide`,
          `kubectl -n ${ns} get pods -o wide -l ${formatLabels(service.selector)}`,
          `kubectl -n kube-system logs -l component=kube-controller-manager --tail=200`,
        ],
        data: {
          source: view.kind,
          stale: problems.filter((p) => p.kind === 'stale').map((p) => p.text),
          missing: problems.filter((p) => p.kind === 'missing').map((p) => p.text),
          readiness: problems.filter((p) => p.kind === 'readiness').map((p) => p.text),
        },
      });
    }

    function podOfEntry(entry: EndpointEntry, namespace: string, matched: Set<Pod>): { pod?: Pod; stale?: string } {
      const ref = entry.targetRef;
      if (ref && ref.kind === 'Pod') {
        const pod = kube.pod(ref.namespace ?? namespace, ref.name);
        if (!pod) return { stale: `belongs to pod ${ref.name}, which no longer exists` };
        if (isFinished(pod)) return { stale: `belongs to pod ${ref.name}, which has finished (${pod.phase})` };
        if (!matched.has(pod)) return { stale: `belongs to pod ${ref.name}, which no longer matches the selector` };
        if (!pod.podIPs.includes(entry.address)) {
          return { stale: `belongs to pod ${ref.name}, whose IP is now ${pod.podIPs.length > 0 ? pod.podIPs.join(', ') : 'unset'}` };
        }
        return { pod };
      }
      const owners = kube.podsByIP(entry.address).filter((p) => p.namespace === namespace);
      if (owners.length === 0) return { stale: 'belongs to no pod' };
      const pod = owners.find((p) => matched.has(p));
      if (!pod) return { stale: `belongs to pod ${owners[0]!.name}, which does not match the selector` };
      return { pod };
    }
  },
});

function familiesIn(entries: EndpointEntry[]): Set<AddressFamily> | undefined {
  return entries.length > 0 ? new Set(entries.map((e) => e.family)) : undefined;
}

function podIPEvidence(pod: Pod, ip: string, note: string): Evidence {
  const index = pod.podIPsListed ? pod.podIPs.indexOf(ip) : -1;
  return pod.source.at(index >= 0 ? `status.podIPs[${index}].ip` : 'status.podIP', note);
}
