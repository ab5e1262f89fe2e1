import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type CauseRef } from '../analyzer/engine/rule.js';
import { formatLabels } from '../analyzer/kube/label-selector.js';
import { describeHolder, endpointViewOf } from './lib/endpoint-view.js';
import { listSome, plural } from './lib/list-text.js';
import { isFinished, isServingPod, selectsPods, servicesInScope } from './lib/service-pods.js';

const MAX_EVIDENCE = 6;

/**
 * Pods match the Service's selector, but none of its endpoints is ready, so kube-proxy has
 * nothing to send traffic to. Explained by `pod-not-ready` for each matched pod that is not
 * ready, or by `svc-endpoints-drift` when ready pods are missing from the endpoints.
 * Services with publishNotReadyAddresses publish every pod as ready and are skipped.
 */
export default defineRule({
  id: 'svc-endpoints-not-ready',
  layer: 'service',
  severity: 'critical',
  description: 'Pods match the Service, but none of its endpoints is ready',
  area: 'Services and endpoints',
  requires: [inputs.services, inputs.pods, inputs.serviceEndpoints],
  check(ctx) {
    const kube = ctx.model.kube;
    for (const service of servicesInScope(ctx)) {
      if (!selectsPods(service) || service.publishNotReadyAddresses) continue;
      const matched = kube.podsOfService(service);
      if (matched.length === 0) continue; // svc-no-endpoints
      const view = endpointViewOf(kube, service);
      if (view.entries.some((e) => e.ready)) continue;

      const ns = service.namespace;
      const live = matched.filter((p) => !isFinished(p));
      const unready = live.filter((p) => !p.ready && !p.terminating);
      const serving = live.filter(isServingPod);
      const terminatingServing = view.entries.filter((e) => e.serving && e.terminating);

      const where =
        view.kind === 'none'
          ? 'no EndpointSlice or Endpoints object exists for it'
          : `${listSome(view.objects.map(describeHolder), 3)} ${view.objects.length === 1 ? 'lists' : 'list'} ${view.entries.length === 0 ? 'no address' : `${plural(view.entries.length, 'address', 'addresses')}, none ready`}`;
      const sentences = [`${plural(matched.length, 'pod')} ${matched.length === 1 ? 'matches' : 'match'} selector ${formatLabels(service.selector)}, but ${where}`];
      if (live.length === 0) {
        sentences.push(`every matching pod has finished (${listSome(matched.map((p) => `${p.name}: ${p.phase}`), 3)}), so none can serve`);
      } else if (unready.length > 0) {
        sentences.push(`not ready: ${listSome(unready.map((p) => p.name), 5)}`);
      }
      if (serving.length > 0) sentences.push(`${listSome(serving.map((p) => p.name), 3)} ${serving.length === 1 ? 'is' : 'are'} Ready but not published as ready endpoints (see svc-endpoints-drift)`);
      if (terminatingServing.length > 0) {
        const one = terminatingServing.length === 1;
        sentences.push(`kube-proxy falls back to ${plural(terminatingServing.length, 'terminating endpoint')} that still ${one ? 'serves' : 'serve'}, until ${one ? 'it exits' : 'they exit'}`);
      }

      const evidence: Evidence[] = [];
      if (view.kind === 'none') {
        evidence.push(service.source.at('spec.selector', `no EndpointSlice or Endpoints object names ${service.name}`));
      } else if (view.entries.length === 0) {
        for (const holder of view.objects.slice(0, MAX_EVIDENCE)) {
          evidence.push(holder.source.at(holder.kind === 'EndpointSlice' ? 'endpoints' : 'subsets', `${describeHolder(holder)} lists no address`));
        }
      } else {
        for (const entry of view.entries.slice(0, MAX_EVIDENCE)) {
          const who = entry.targetRef ? `${entry.targetRef.kind.toLowerCase()} ${entry.targetRef.name}` : entry.address;
          evidence.push(entry.readyEvidence(`${who} (${entry.address}) not ready`));
        }
      }

      const causedBy: CauseRef[] = unready.map((p) => ({ rule: 'pod-not-ready', subject: p.ref }));
      if (serving.length > 0) causedBy.push({ rule: 'svc-endpoints-drift', subject: service.ref });

      ctx.report({
        subjects: [service.ref],
        title: `Service ${ns}/${service.name} has no ready endpoint`,
        message: `${sentences.join('; ')}.`,
        evidence,
        remediation:
          live.length === 0
            ? `start pods for ${service.name} again (scale up or fix the workload whose pods finished)`
            : `make at least one of the matching pods Ready (see its pod-not-ready finding); until then clients of ${service.name} get connection refused`,
        commands: [
          `kubectl -n ${ns} get pods -l ${formatLabels(service.selector)} -o wide`,
          `kubectl -n ${ns} get endpointslices -l kubernetes.io/service-name=${service.name} -o yaml`,
        ],
        causedBy,
        severity: terminatingServing.length > 0 ? 'warning' : 'critical',
        data: {
          source: view.kind,
          matchedPods: matched.map((p) => p.ref),
          notReadyPods: unready.map((p) => p.ref),
        },
      });
    }
  },
});
