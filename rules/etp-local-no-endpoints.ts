import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { describeFrontend } from '../analyzer/kubeproxy/dataplane-types.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { kubeProxyStates } from '../analyzer/kubeproxy/kube-proxy-state.js';
import { isProxiedService, loadBalancerVips, lowerProtocol } from '../analyzer/kubeproxy/service-port-index.js';
import { serviceEndpoints, type ApiEndpoint } from '../analyzer/kubeproxy/service-endpoints.js';
import { servicePortName } from '../analyzer/netfilter/kube-proxy-names.js';
import { listSome, plural } from './lib/list-text.js';
import { servicesInScope } from './lib/service-pods.js';
import { uniqueEvidence } from './lib/kube-proxy-sync.js';

/** Nodes named as subjects at most; the message says how many more. */
const MAX_NODE_SUBJECTS = 20;

/**
 * externalTrafficPolicy=Local sends external traffic (NodePort, externalIPs, LoadBalancer IPs)
 * only to endpoints on the node it arrives at, to keep the client's address. A node without a
 * usable local endpoint DROPs it ("has no local endpoints": clients time out); in IPVS mode its
 * virtual server has no real server and the kernel answers ICMP port unreachable (clients get
 * connection refused). A cloud load balancer's health check on healthCheckNodePort steers around such
 * nodes; NodePort clients, DNS round-robin to node addresses and L2 announcements do not.
 * Read from the API; the nodes' DROP lines are cited when their data plane was collected.
 */
export default defineRule({
  id: 'etp-local-no-endpoints',
  layer: 'service',
  severity: 'warning',
  description: 'externalTrafficPolicy=Local and a node that receives the traffic has no local endpoint',
  area: 'Services and endpoints',
  requires: [inputs.services, inputs.serviceEndpoints, inputs.nodes],
  optional: [dataplaneInputs.kubeProxyRules],
  check(ctx) {
    const model = ctx.model;
    const kube = model.kube;
    const nodeNames = kube.nodes.map((n) => n.name).sort();
    let checked = 0;
    for (const service of servicesInScope(ctx)) {
      const externallyAccessible = service.type === 'NodePort' || service.type === 'LoadBalancer' || service.externalIPs.length > 0;
      if (!isProxiedService(service) || !externallyAccessible || service.externalTrafficPolicy !== 'Local') continue;
      checked++;
      const family = service.clusterIPs[0]?.includes(':') ? 6 : 4;
      const withoutLocal = new Map<string, string[]>();
      let anyUsable = false;
      const usableEndpoints: ApiEndpoint[] = [];
      for (const port of service.ports) {
        const ref = { service, port, spn: servicePortName(service.namespace, service.name, port.name), protocol: lowerProtocol(port.protocol) };
        const endpoints = serviceEndpoints(kube, ref, family);
        const usable = endpoints.filter((e) => e.ready || (e.serving && e.terminating));
        if (usable.length === 0) continue;
        anyUsable = true;
        usableEndpoints.push(...usable);
        const served = new Set(usable.map((e) => e.nodeName).filter((n): n is string => n !== undefined));
        for (const node of nodeNames) {
          if (served.has(node)) continue;
          let ports = withoutLocal.get(node);
          if (!ports) withoutLocal.set(node, (ports = []));
          ports.push(port.name || String(port.port));
        }
      }
      // No usable endpoint anywhere: svc-no-endpoints / svc-endpoints-not-ready, and every node REJECTs.
      if (!anyUsable || withoutLocal.size === 0) continue;

      const name = `${service.namespace}/${service.name}`;
      const lacking = [...withoutLocal.keys()];
      const serving = nodeNames.filter((n) => !withoutLocal.has(n));
      const entries = externalEntries(service);
      const dropLines: Evidence[] = [];
      // IPVS nodes refuse rather than drop: a virtual server without real servers makes the
      // kernel answer ICMP port unreachable (ip_vs_leave; see trace-ipvs.ts).
      const refusingNodes = new Set<string>();
      for (const state of kubeProxyStates(model).nodes) {
        if (!withoutLocal.has(state.node)) continue;
        for (const view of state.views) {
          for (const frontend of view.programmed.frontends.values()) {
            if (view.programmed.servicePortOfFrontend.get(frontend.key)?.ref?.service !== service) continue;
            if (frontend.kind === 'cluster-ip' || (frontend.action !== 'drop' && frontend.action !== 'blackhole')) continue;
            const ipvs = frontend.action === 'blackhole' && state.mode === 'ipvs';
            if (ipvs) refusingNodes.add(state.node);
            const what = frontend.action === 'drop' ? 'DROPped' : ipvs ? 'has no real server: ICMP port unreachable' : 'has no real server';
            dropLines.push({ ...frontend.evidence.at(-1)!, note: `${state.node}: ${describeFrontend(frontend)} ${what}` });
          }
        }
      }
      const everyNode = serving.length === 0;
      // A load balancer that health-checks healthCheckNodePort sends nothing to nodes without a
      // local endpoint: that is how ETP=Local is meant to work, so only direct NodePort use of
      // those nodes drops traffic. Worth knowing, not a warning (500-node clusters have
      // hundreds of such Services, all healthy).
      const steeredByHealthCheck =
        !everyNode && service.type === 'LoadBalancer' && service.healthCheckNodePort !== undefined && service.lbIngress.length > 0 && service.externalIPs.length === 0;
      const healthCheck = service.healthCheckNodePort !== undefined ? ` A load balancer that health-checks port ${service.healthCheckNodePort} skips those nodes (they answer 503); NodePort clients and anything else sending to their addresses are not served.` : '';
      const refusing = lacking.filter((n) => refusingNodes.has(n));
      const fate =
        refusing.length === 0
          ? 'dropped (clients time out)'
          : refusing.length === lacking.length
            ? 'refused (IPVS: the virtual server has no real server and the kernel answers ICMP port unreachable; clients get connection refused)'
            : `dropped (clients time out), or refused on ${listSome(refusing, 4)} (IPVS answers ICMP port unreachable)`;
      const hosts = [...new Set(usableEndpoints.map((e) => e.nodeName ?? '(no node)'))];
      ctx.report({
        subjects: [service.ref, ...lacking.slice(0, MAX_NODE_SUBJECTS).map((n) => `Node/${n}`)],
        title: everyNode
          ? `Service ${name} has externalTrafficPolicy=Local but no node has a local endpoint`
          : `Service ${name} has externalTrafficPolicy=Local and ${plural(lacking.length, 'node')} without a local endpoint`,
        message: `${entries.join(', ')} ${entries.length === 1 ? 'goes' : 'go'} only to endpoints on the receiving node; ${listSome(lacking, 6)} ${lacking.length === 1 ? 'has' : 'have'} none (endpoints run on ${listSome(hosts, 4)}), so external traffic arriving there is ${fate}${everyNode ? ' — on every node, so the Service is unreachable from outside' : `; only ${listSome(serving, 4)} ${serving.length === 1 ? 'serves' : 'serve'} it`}.${healthCheck}`,
        evidence: uniqueEvidence([
          service.source.at('spec.externalTrafficPolicy', 'externalTrafficPolicy: Local'),
          ...dropLines.slice(0, 4),
          ...usableEndpoints.slice(0, 2).map((e) => e.evidence(`endpoint ${e.address} on ${e.nodeName ?? 'no node'}`)),
        ]),
        remediation: everyNode
          ? `set externalTrafficPolicy: Cluster on ${name} (loses the client address), or give its endpoints a nodeName on a node that receives the traffic`
          : `run an endpoint on every node that receives the traffic (a DaemonSet, or more replicas spread with topologySpreadConstraints), send the traffic only to ${listSome(serving, 3)}, or set externalTrafficPolicy: Cluster (loses the client address)`,
        commands: [`kubectl -n ${service.namespace} get endpointslices -l kubernetes.io/service-name=${service.name} -o wide`, `kubectl -n ${service.namespace} get pods -o wide`],
        severity: everyNode ? 'critical' : steeredByHealthCheck ? 'info' : 'warning',
        data: { nodesWithoutLocalEndpoint: lacking, nodesServing: serving, ports: Object.fromEntries(withoutLocal) },
      });
    }
    ctx.setCoverage('checked', `${plural(checked, 'Service')} with externalTrafficPolicy=Local across ${plural(nodeNames.length, 'node')}`);
  },
});

/** `NodePort 31437/tcp`, `LoadBalancer IP 203.0.113.7:443/tcp`, … for the message. */
function externalEntries(service: Parameters<typeof loadBalancerVips>[0]): string[] {
  const out: string[] = [];
  for (const port of service.ports) {
    const protocol = lowerProtocol(port.protocol);
    if (port.nodePort !== undefined) out.push(describeFrontend({ kind: 'node-port', protocol, port: port.nodePort }));
    for (const ip of loadBalancerVips(service)) out.push(describeFrontend({ kind: 'load-balancer', ip, protocol, port: port.port }));
    for (const ip of service.externalIPs) out.push(describeFrontend({ kind: 'external-ip', ip, protocol, port: port.port }));
  }
  return out.length > 0 ? out : ['external traffic'];
}
