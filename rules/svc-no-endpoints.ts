import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { formatLabels } from '../analyzer/kube/label-selector.js';
import { objectPath } from '../analyzer/kube/object-path.js';
import { listSome, plural } from './lib/list-text.js';
import { displayLabels, groupByLabels, nearestLabels, type LabelSetGroup, type Mismatch } from './lib/nearest-labels.js';
import { selectsPods, servicesInScope } from './lib/service-pods.js';
import { isLikelyTypo } from './lib/string-distance.js';

/**
 * A Service whose selector matches no pod in its namespace: clients get "connection refused"
 * (kube-proxy REJECTs) or DNS names that resolve to nothing (headless). The nearest label
 * search runs only for these few Services, over the namespace's distinct label sets.
 */
export default defineRule({
  id: 'svc-no-endpoints',
  layer: 'service',
  severity: 'critical',
  description: 'A Service with a selector selects no pods',
  area: 'Services and endpoints',
  requires: [inputs.services, inputs.pods],
  check(ctx) {
    const kube = ctx.model.kube;
    const groupsByNamespace = new Map<string, LabelSetGroup[]>();
    const groupsOf = (ns: string) => {
      let groups = groupsByNamespace.get(ns);
      if (!groups) groupsByNamespace.set(ns, (groups = groupByLabels(kube.podsInNamespace(ns))));
      return groups;
    };

    for (const service of servicesInScope(ctx)) {
      if (!selectsPods(service)) continue;
      if (kube.podsOfService(service).length > 0) continue;
      const ns = service.namespace;
      const selector = service.selector;
      const wanted = formatLabels(selector);
      const podCount = kube.podsInNamespace(ns).length;
      const commands = [
        `kubectl -n ${ns} get pods --show-labels`,
        `kubectl -n ${ns} get pods -l ${wanted}`,
        `kubectl -n ${ns} describe service ${service.name}`,
      ];

      if (podCount === 0) {
        ctx.report({
          subjects: [service.ref],
          title: `Service ${ns}/${service.name} selects no pods: namespace ${ns} has no pods`,
          message: `selector ${wanted} matches nothing because namespace ${ns} has no pods at all; the workload meant to serve this Service is not deployed (or runs in another namespace, which a selector cannot reach).`,
          evidence: [service.source.at('spec.selector', `selector ${wanted}`)],
          remediation: `deploy the workload whose pod template carries ${wanted} in namespace ${ns}, or delete the Service`,
          commands: [`kubectl -n ${ns} get deployments,statefulsets,daemonsets`, `kubectl get pods -A -l ${wanted}`],
          data: { selector, podsInNamespace: 0 },
        });
        continue;
      }

      const near = nearestLabels(groupsOf(ns), selector);
      const sentences = [`selector ${wanted} matches none of the ${plural(podCount, 'pod')} in namespace ${ns}`];
      const evidence: Evidence[] = [];
      let remediation: string;

      const typo = near.typos[0];
      if (typo) {
        for (const t of near.typos.slice(0, 3)) {
          sentences.push(
            `likely typo: ${plural(t.pods.length, 'pod')} (${listSome(t.pods.map((p) => p.name), 3)}) ${t.pods.length === 1 ? 'carries' : 'carry'} ${t.foundKey}=${t.foundValue} where the selector wants ${t.key}=${t.wanted}`,
          );
        }
        evidence.push(service.source.at(objectPath('spec', 'selector', typo.key), `selector wants ${typo.key}=${typo.wanted}`));
        const pod = typo.pods[0]!;
        evidence.push(pod.source.at(objectPath('metadata', 'labels', typo.foundKey), `pod ${pod.name} carries ${typo.foundKey}=${typo.foundValue}`));
        remediation = `fix the selector (or the pod labels) so they agree: the selector wants ${typo.key}=${typo.wanted}, the pods carry ${typo.foundKey}=${typo.foundValue}`;
      } else {
        const firstMissing = Object.entries(selector).find(([k, v]) => !groupsOf(ns).some((g) => g.labels[k] === v));
        evidence.push(
          firstMissing
            ? service.source.at(objectPath('spec', 'selector', firstMissing[0]), `no pod in ${ns} carries ${firstMissing[0]}=${firstMissing[1]}`)
            : service.source.at('spec.selector', `selector ${wanted}`),
        );
        remediation = `make the selector equal to the pod template labels of the workload that should serve ${service.name}, or deploy that workload`;
      }

      const nearest = near.nearest;
      if (nearest.length > 0) {
        const described = nearest.map(
          (n) =>
            `${formatLabels(displayLabels(n.labels, selector))} on ${plural(n.pods.length, 'pod')} (${listSome(n.pods.map((p) => p.name), 3)}; ${describeMismatches(n.mismatches)})`,
        );
        sentences.push(`nearest label sets: ${described.join('; ')}`);
        const best = nearest[0]!;
        const miss = best.mismatches[0];
        if (!typo && miss) {
          const pod = best.pods[0]!;
          evidence.push(
            pod.source.at(
              miss.found !== undefined ? objectPath('metadata', 'labels', miss.key) : 'metadata.labels',
              miss.found !== undefined ? `pod ${pod.name} carries ${miss.key}=${miss.found}` : `pod ${pod.name} has no label ${miss.key}`,
            ),
          );
        }
      } else {
        const largest = [...groupsOf(ns)].sort((a, b) => b.pods.length - a.pods.length).slice(0, 3);
        sentences.push(
          `no pod carries any of the wanted labels; pods there carry ${largest.map((g) => `${formatLabels(displayLabels(g.labels, selector)) || '(no labels)'} (${plural(g.pods.length, 'pod')})`).join(', ')}`,
        );
      }

      ctx.report({
        subjects: [service.ref],
        title: `Service ${ns}/${service.name} selects no pods`,
        message: `${sentences.join('; ')}.`,
        evidence,
        remediation,
        commands,
        data: {
          selector,
          podsInNamespace: podCount,
          typos: near.typos.map((t) => ({ key: t.key, wanted: t.wanted, foundKey: t.foundKey, foundValue: t.foundValue, pods: t.pods.map((p) => p.ref) })),
          nearest: nearest.map((n) => ({ labels: displayLabels(n.labels, selector), pods: n.pods.map((p) => p.ref), mismatches: n.mismatches })),
        },
      });
    }
  },
});

function describeMismatches(mismatches: Mismatch[]): string {
  const one = (m: Mismatch) =>
    m.found === undefined ? `${m.key}=${m.wanted} (no ${m.key} label)` : `${m.key}=${m.wanted} (has ${m.found}${isLikelyTypo(m.wanted, m.found) ? ', likely typo' : ''})`;
  return `misses ${mismatches.map(one).join(', ')}`;
}
