import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { describeSighting, findControllers, isRunning, type ControllerSignature } from './lib/controller-sightings.js';
import { servicesInScope } from './lib/service-pods.js';
import { describeEvent, latestWarningEvents } from './lib/warning-events.js';

/** Implementations that assign LoadBalancer addresses from inside the cluster. */
const LB_CONTROLLERS: readonly ControllerSignature[] = [
  { name: 'MetalLB', image: /metallb/ },
  { name: 'kube-vip', image: /kube-vip/ },
  { name: 'k3s ServiceLB (klipper-lb)', image: /klipper-lb/ },
  { name: 'OpenELB', image: /openelb/ },
  { name: 'PureLB', image: /purelb/ },
  { name: 'LoxiLB', image: /loxilb/ },
  { name: 'cloud-controller-manager', image: /cloud-controller-manager/ },
  { name: 'AWS Load Balancer Controller', image: /aws-load-balancer-controller/ },
  { name: 'Cilium LB IPAM (needs a CiliumLoadBalancerIPPool)', image: /(^|\/)cilium\/cilium(:|@|$)/ },
];

/**
 * A LoadBalancer Service without an address in status.loadBalancer.ingress: nothing outside
 * the cluster can reach it through a load balancer. Which controller should have assigned one
 * is only hinted at (controller pods seen, cloud providerIDs on nodes, the Service's events).
 */
export default defineRule({
  id: 'lb-pending',
  layer: 'service',
  severity: 'warning',
  description: 'A LoadBalancer Service has no ingress IP',
  area: 'Load balancers',
  requires: [inputs.services],
  optional: [inputs.pods, inputs.nodes, inputs.events],
  check(ctx) {
    const pending = servicesInScope(ctx).filter((s) => s.type === 'LoadBalancer' && s.lbIngress.length === 0);
    if (pending.length === 0) return;
    const controllerHint = describeControllers(ctx.model);
    const events = latestWarningEvents(ctx.model.kube, 'Service');

    for (const service of pending) {
      const ns = service.namespace;
      const sentences = [`type LoadBalancer, but status.loadBalancer has no ingress address, so no external load balancer forwards to it (the ClusterIP${service.ports.some((p) => p.nodePort) ? ' and NodePorts' : ''} still work)`];
      const evidence: Evidence[] = [service.source.at('status.loadBalancer', 'no ingress address')];
      if (service.loadBalancerClass) {
        sentences.push(`spec.loadBalancerClass is ${service.loadBalancerClass}: only the controller implementing that class assigns the address, the default cloud or MetalLB controllers ignore it`);
        evidence.push(service.source.at('spec.loadBalancerClass', `class ${service.loadBalancerClass}`));
      } else {
        sentences.push(controllerHint);
      }
      if (service.loadBalancerIP) {
        sentences.push(`it requests spec.loadBalancerIP ${service.loadBalancerIP}, which the controller may refuse if the address is taken or outside its pools`);
        evidence.push(service.source.at('spec.loadBalancerIP', `requested ${service.loadBalancerIP}`));
      }
      const event = events.get(`${ns}/${service.name}`);
      if (event) {
        sentences.push(`last warning event: ${describeEvent(event)}`);
        evidence.push(event.source.at('message', `event ${event.reason ?? ''}`.trim()));
      }
      ctx.report({
        subjects: [service.ref],
        title: `LoadBalancer Service ${ns}/${service.name} has no external address`,
        message: `${sentences.join('; ')}.`,
        evidence,
        remediation: service.loadBalancerClass
          ? `install or fix the controller for loadBalancerClass ${service.loadBalancerClass}, or remove the class to use the default implementation`
          : 'make sure a load-balancer implementation runs (the cloud provider integration, or MetalLB/kube-vip with an address pool on bare metal) and read the Service events for its error; use NodePort or an Ingress if none is wanted',
        commands: [`kubectl -n ${ns} describe service ${service.name}`, `kubectl -n ${ns} get events --field-selector involvedObject.name=${service.name}`],
        data: { loadBalancerClass: service.loadBalancerClass, loadBalancerIP: service.loadBalancerIP },
      });
    }
  },
});

/** One sentence on which load-balancer implementation seems present, as a hint. */
function describeControllers(model: AnalysisModel): string {
  const kube = model.kube;
  const providers = [...new Set(kube.nodes.map((n) => String(n.raw?.spec?.providerID ?? '').split('://')[0]!).filter((p) => p !== ''))];
  const cloud = providers.length > 0 ? `nodes carry cloud providerIDs (${providers.join(', ')}://), so the cloud provider's controller, often outside the cluster, should assign the address` : '';
  if (!kube.collected.has('pods')) {
    return cloud || 'pods were not collected, so whether a load-balancer controller runs cannot be told';
  }
  const sightings = findControllers(kube, LB_CONTROLLERS);
  if (sightings.length === 0) {
    if (cloud) return `${cloud}; no in-cluster load-balancer controller was seen`;
    const nodes = kube.collected.has('nodes') ? 'and nodes carry no cloud providerID' : '(nodes were not collected, so cloud providerIDs are unknown)';
    return `hint: no known load-balancer implementation (MetalLB, kube-vip, k3s ServiceLB, OpenELB, PureLB, LoxiLB, cloud-controller-manager) was seen among the collected pods ${nodes}; on bare metal nothing assigns LoadBalancer addresses without one`;
  }
  const down = sightings.filter((s) => !isRunning(s));
  const parts = [`hint: load-balancer implementation${sightings.length === 1 ? '' : 's'} seen: ${sightings.map(describeSighting).join('; ')}`];
  if (down.length > 0) parts.push(`${down.map((s) => s.signature.name).join(', ')} ${down.length === 1 ? 'has' : 'have'} no running and ready pod`);
  if (cloud) parts.push(cloud);
  return parts.join('; ');
}
