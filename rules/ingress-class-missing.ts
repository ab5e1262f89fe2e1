import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { objectPath } from '../analyzer/kube/object-path.js';
import type { Ingress, IngressClass, Pod } from '../analyzer/kube/types.js';
import { describeSighting, findControllers, isRunning } from './lib/controller-sightings.js';
import { knownIngressController } from './lib/ingress-controllers.js';
import { listSome, plural } from './lib/list-text.js';

const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

function classEvidence(ingress: Ingress, note: string): Evidence {
  return ingress.classFrom === 'annotation' ? ingress.source.at(objectPath('metadata', 'annotations', CLASS_ANNOTATION), note) : ingress.source.at('spec.ingressClassName', note);
}

/**
 * An Ingress that no controller will pick up: it names no class and there is no default
 * IngressClass, or it names a class that does not exist, or its class's controller is a
 * known one whose pods are absent or not running. Unknown controllers are not judged.
 */
export default defineRule({
  id: 'ingress-class-missing',
  layer: 'ingress',
  severity: 'critical',
  description: 'An Ingress names no class, or a class with no controller running',
  area: 'Ingress',
  requires: [inputs.ingresses, inputs.ingressClasses],
  optional: [inputs.pods, inputs.deployments, inputs.daemonSets],
  check(ctx) {
    const kube = ctx.model.kube;
    const classes = new Map(kube.ingressClasses.map((c) => [c.name, c] as const));
    const defaults = kube.ingressClasses.filter((c) => c.isDefault);
    const users = new Map<IngressClass, Ingress[]>();

    for (const ingress of kube.ingresses) {
      if (!ctx.inScope(ingress.namespace)) continue;
      const ns = ingress.namespace;
      if (ingress.className === undefined) {
        if (defaults.length === 1) {
          const list = users.get(defaults[0]!);
          if (list) list.push(ingress);
          else users.set(defaults[0]!, [ingress]);
          continue;
        }
        if (defaults.length > 1) continue; // the API server refuses to pick: reported at admission, not here
        const available = kube.ingressClasses.map((c) => c.name);
        ctx.report({
          subjects: [ingress.ref],
          title: `Ingress ${ns}/${ingress.name} names no IngressClass, and there is no default class`,
          message: `the Ingress has neither spec.ingressClassName nor the ${CLASS_ANNOTATION} annotation, and no IngressClass is marked default, so controllers that only serve their own class ignore it (ingress-nginx serves it only with --watch-ingress-without-class)${available.length > 0 ? `; existing classes: ${listSome(available, 5)}` : '; the cluster has no IngressClass at all'}.`,
          evidence: [ingress.source.at('spec', 'no ingressClassName')],
          remediation: available.length > 0 ? `set spec.ingressClassName to one of ${listSome(available, 5)}, or mark one IngressClass default (annotation ingressclass.kubernetes.io/is-default-class: "true")` : 'install an ingress controller with its IngressClass and set spec.ingressClassName',
          commands: ['kubectl get ingressclass', `kubectl -n ${ns} get ingress ${ingress.name} -o yaml`],
          severity: 'warning',
        });
        continue;
      }
      const cls = classes.get(ingress.className);
      if (cls) {
        const list = users.get(cls);
        if (list) list.push(ingress);
        else users.set(cls, [ingress]);
        continue;
      }
      const fromAnnotation = ingress.classFrom === 'annotation';
      const available = kube.ingressClasses.map((c) => c.name);
      ctx.report({
        subjects: [ingress.ref],
        title: `Ingress ${ns}/${ingress.name} names IngressClass ${ingress.className}, which does not exist`,
        message: `${fromAnnotation ? `annotation ${CLASS_ANNOTATION}` : 'spec.ingressClassName'} is ${ingress.className}, but no IngressClass has that name${available.length > 0 ? ` (existing: ${listSome(available, 5)})` : ' (the cluster has none)'}${fromAnnotation ? '; a controller started with --ingress-class=' + ingress.className + ' may still honour the deprecated annotation' : ', so no controller serves this Ingress'}.`,
        evidence: [classEvidence(ingress, `class ${ingress.className}`)],
        remediation: `use an existing class (${listSome(available, 5) || 'none yet: install an ingress controller'}) or create IngressClass ${ingress.className} for the controller meant to serve it`,
        commands: ['kubectl get ingressclass', `kubectl -n ${ns} describe ingress ${ingress.name}`],
        severity: fromAnnotation ? 'warning' : 'critical',
      });
    }

    // Classes in use whose known controller shows no running pod.
    const canLook = ['pods', 'deployments', 'daemonsets'].some((r) => kube.collected.has(r));
    if (!canLook) return;
    const judged = [...users.keys()].map((cls) => ({ cls, known: knownIngressController(cls.controller) })).filter((x) => x.known !== undefined);
    if (judged.length === 0) return;
    const sightings = findControllers(kube, [...new Set(judged.map((j) => j.known!))]);
    for (const { cls, known } of judged) {
      const ingresses = users.get(cls)!;
      const sighting = sightings.find((s) => s.signature === known);
      if (sighting && isRunning(sighting)) continue;
      const evidence: Evidence[] = [cls.source.at('spec.controller', `controller ${cls.controller}`)];
      const pod = sighting?.pods[0];
      if (pod) evidence.push(pod.source.at(pod.ready ? 'status.phase' : readyConditionPath(pod), `controller pod ${pod.name} not running and ready`));
      const first = ingresses[0]!;
      if (first.classFrom !== 'none') evidence.push(classEvidence(first, `uses class ${cls.name}`));
      const ingressNames = ingresses.map((i) => `${i.namespace}/${i.name}`);
      ctx.report({
        subjects: [cls.ref, ...ingresses.map((i) => i.ref)],
        title: sighting
          ? `IngressClass ${cls.name}: the ${known!.name} controller is not running`
          : `IngressClass ${cls.name}: no ${known!.name} controller pod was found`,
        message: `${plural(ingresses.length, 'Ingress', 'Ingresses')} (${listSome(ingressNames, 4)}) ${ingresses.length === 1 ? 'uses' : 'use'} class ${cls.name}, handled by ${cls.controller}; ${
          sighting
            ? `${describeSighting(sighting)}, so nothing serves them`
            : `no pod or workload running the ${known!.name} image was collected, so nothing seems to serve them (unless the controller runs outside the collected namespaces)`
        }.`,
        evidence,
        remediation: sighting ? `fix the ${known!.name} controller pods (describe them, read their logs) so the Ingresses are served again` : `install the ${known!.name} controller, or move the Ingresses to a class whose controller runs`,
        commands: sighting?.pods[0]
          ? [`kubectl -n ${sighting.pods[0].namespace} describe pod ${sighting.pods[0].name}`, `kubectl -n ${sighting.pods[0].namespace} logs ${sighting.pods[0].name}`]
          : ['kubectl get pods -A -o wide | grep -i ingress', 'kubectl get ingressclass -o yaml'],
        severity: sighting ? 'critical' : 'warning',
        data: { controller: cls.controller, ingresses: ingresses.map((i) => i.ref) },
      });
    }
  },
});

function readyConditionPath(pod: Pod): string {
  const index = pod.conditions.findIndex((c) => c.type === 'Ready');
  return index >= 0 ? `status.conditions[${index}].status` : 'status.phase';
}
