import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { describeFrontend, type ProgrammedFrontend } from '../analyzer/kubeproxy/dataplane-types.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import type { ExpectedFrontend } from '../analyzer/kubeproxy/expected-dataplane.js';
import { kubeProxyStates } from '../analyzer/kubeproxy/kube-proxy-state.js';
import type { Service } from '../analyzer/kube/types.js';
import { listSome } from './lib/list-text.js';
import { setNodeCoverage, uniqueEvidence } from './lib/kube-proxy-sync.js';
import { coveredByReplacement, kubeProxyRulesOrReplacement } from './lib/kube-proxy-replacement.js';

interface Refusal {
  node: string;
  frontend: ProgrammedFrontend;
  expected: ExpectedFrontend;
}

/**
 * Nodes refuse a Service's traffic because it has no endpoints, as the API says: the
 * "has no endpoints" REJECT (connection refused at once), the "has no local endpoints" DROP of
 * internalTrafficPolicy=Local, an nftables reject-chain element, or an IPVS virtual server with
 * no real server (the kernel answers ICMP port unreachable). The rules are right; the cause is the Service's missing
 * endpoints, so the finding hangs under svc-no-endpoints / svc-endpoints-not-ready when they hold.
 * externalTrafficPolicy=Local drops are etp-local-no-endpoints'.
 */
export default defineRule({
  id: 'kubeproxy-reject-no-endpoints',
  layer: 'service',
  severity: 'critical',
  description: "Nodes REJECT or DROP a Service's traffic because it has no endpoints",
  area: 'kube-proxy rules',
  requires: [inputs.services, inputs.serviceEndpoints, kubeProxyRulesOrReplacement],
  optional: [dataplaneInputs.ipvsadm, dataplaneInputs.ipsetSave],
  check(ctx) {
    if (coveredByReplacement(ctx)) return;
    const states = kubeProxyStates(ctx.model);
    const byService = new Map<Service, Refusal[]>();
    for (const state of states.nodes) {
      for (const view of state.views) {
        for (const expected of view.expected.frontends.values()) {
          const service = expected.servicePort.ref.service;
          if (!ctx.inScope(service.namespace)) continue;
          const internalDrop = expected.action === 'drop' && expected.kind === 'cluster-ip';
          if (expected.action !== 'reject' && !internalDrop) continue;
          const frontend = view.programmed.frontends.get(expected.key);
          if (!frontend) continue;
          const refused = frontend.action === expected.action || (frontend.action === 'blackhole' && state.mode === 'ipvs');
          if (!refused) continue;
          let list = byService.get(service);
          if (!list) byService.set(service, (list = []));
          list.push({ node: state.node, frontend, expected });
        }
      }
    }

    for (const [service, refusals] of byService) {
      const name = `${service.namespace}/${service.name}`;
      const nodes = [...new Set(refusals.map((r) => r.node))].sort();
      const frontends = [...new Set(refusals.map((r) => describeFrontend(r.frontend)))];
      const rejects = refusals.some((r) => r.frontend.action === 'reject');
      const blackholes = refusals.some((r) => r.frontend.action === 'blackhole');
      const drops = refusals.some((r) => r.frontend.action === 'drop');
      const effects = [
        rejects ? 'REJECTed ("has no endpoints": clients get connection refused at once)' : '',
        drops ? 'DROPped ("has no local endpoints": internalTrafficPolicy=Local and no endpoint on the node; clients time out)' : '',
        blackholes ? 'sent to IPVS virtual servers without real servers (the kernel answers ICMP port unreachable: connection refused)' : '',
      ].filter(Boolean);
      const evidence: Evidence[] = uniqueEvidence([
        ...refusals.map((r) => r.frontend.evidence.at(-1)!),
        service.source.at('spec.selector', service.selector ? 'the selector that finds no usable endpoint' : 'no selector: endpoints are managed by hand'),
      ]);
      ctx.report({
        subjects: [service.ref, ...nodes.map((n) => `Node/${n}`)],
        title: `${listSome(nodes, 3)} ${nodes.length === 1 ? 'refuses' : 'refuse'} traffic to Service ${name}: it has no endpoints`,
        message: `${listSome(frontends, 4)} ${frontends.length === 1 ? 'is' : 'are'} ${effects.join(', and ')} on ${listSome(nodes, 5)}, matching the API: the Service has no ${drops && !rejects ? 'local ' : ''}usable endpoint.`,
        evidence,
        remediation: `give ${name} ready endpoints (fix its selector or its pods); kube-proxy replaces the refusal with DNAT rules on its next sync`,
        commands: [`kubectl -n ${service.namespace} get endpointslices -l kubernetes.io/service-name=${service.name} -o wide`, `kubectl -n ${service.namespace} describe service ${service.name}`],
        causedBy: [
          { rule: 'svc-no-endpoints', subject: service.ref },
          { rule: 'svc-endpoints-not-ready', subject: service.ref },
        ],
        data: { nodes, frontends: refusals.map((r) => ({ node: r.node, frontend: r.frontend.key, action: r.frontend.action })) },
      });
    }
    setNodeCoverage(ctx, states);
  },
});
