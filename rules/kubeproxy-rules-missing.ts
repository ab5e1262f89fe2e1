import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type CauseRef } from '../analyzer/engine/rule.js';
import { MISSING_KINDS, type DiffEntry } from '../analyzer/kubeproxy/dataplane-diff.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { kubeProxyStates } from '../analyzer/kubeproxy/kube-proxy-state.js';
import { listSome, plural } from './lib/list-text.js';
import { kubeProxyCommands, nodeSyncs, serviceNamespace, serviceSubject, setNodeCoverage, uniqueEvidence } from './lib/kube-proxy-sync.js';
import { coveredByReplacement, kubeProxyRulesOrReplacement } from './lib/kube-proxy-replacement.js';

/** Above this many Services missing on one node, one finding sums the node up. */
const MAX_SERVICES_PER_NODE = 10;

/**
 * A Service port or endpoint the API has is absent from a node's data plane: no rule captures
 * its ClusterIP, externalIP, LoadBalancer IP or NodePort, a usable endpoint is never DNATed to,
 * or a Service without endpoints is not refused. Per node and Service; a node with many missing
 * Services (kube-proxy not running, or never synced) gets one finding.
 */
export default defineRule({
  id: 'kubeproxy-rules-missing',
  layer: 'service',
  severity: 'critical',
  description: "A Service port or endpoint the API has is absent from a node's kube-proxy rules",
  area: 'kube-proxy rules',
  requires: [inputs.services, inputs.serviceEndpoints, kubeProxyRulesOrReplacement],
  optional: [dataplaneInputs.ipvsadm, dataplaneInputs.ipsetSave],
  check(ctx) {
    if (coveredByReplacement(ctx)) return;
    const model = ctx.model;
    const states = kubeProxyStates(model);
    const syncs = nodeSyncs(states);
    for (const state of states.nodes) {
      const node = state.node;
      const byService = new Map<string, DiffEntry[]>();
      for (const view of state.views) {
        for (const entry of view.diff) {
          if (!MISSING_KINDS.has(entry.kind) || !ctx.inScope(serviceNamespace(entry))) continue;
          const subject = serviceSubject(entry);
          if (!subject) continue;
          let list = byService.get(subject);
          if (!list) byService.set(subject, (list = []));
          list.push(entry);
        }
      }
      if (byService.size === 0) continue;
      const sync = syncs.get(node);
      // A node whose kube-proxy stopped syncing: its stuck finding explains everything missing
      // there. Otherwise a Service both missing new and keeping old rules on this node is one
      // sync that did not happen: the stale finding of the same node and Service explains it.
      const causesOf = (services: readonly string[]): CauseRef[] =>
        sync?.stuck
          ? [{ rule: 'kubeproxy-rules-stale', subject: `Node/${node}` }]
          : services.filter((service) => sync?.staleServices.has(service)).map((service) => ({ rule: 'kubeproxy-rules-stale', subject: `Node/${node}`, alsoAbout: [service] }));
      const commands = kubeProxyCommands(model.kube, node);
      const peers = sync?.inSyncPeers ?? [];
      const peerNote = peers.length > 0 ? `; ${listSome(peers, 3)} ${peers.length === 1 ? 'has' : 'have'} these rules` : '';

      if (state.noRules || byService.size > MAX_SERVICES_PER_NODE) {
        const entries = [...byService.values()].flat();
        const why = state.noRules ? `node ${node} shows no kube-proxy Service rules at all` : `${plural(byService.size, 'Service')} lack rules on ${node}`;
        ctx.report({
          subjects: [`Node/${node}`, ...byService.keys()],
          title: state.noRules ? `kube-proxy has programmed nothing on ${node}: ${plural(byService.size, 'Service')} missing` : `${node} lacks kube-proxy rules for ${plural(byService.size, 'Service')}`,
          message: `${why} (${state.mode} mode, compared with the other nodes): ${listSome([...byService.keys()].map((s) => s.slice('Service/'.length)), 8)}${peerNote}. Pods on ${node} and clients arriving there cannot reach these Services.`,
          evidence: uniqueEvidence(entries.flatMap((e) => e.evidence)),
          remediation: `check that kube-proxy runs on ${node} and look at its log for sync errors; restarting it rewrites every rule`,
          commands,
          causedBy: causesOf([...byService.keys()]),
          data: { node, mode: state.mode, services: [...byService.keys()] },
        });
        continue;
      }

      for (const [subject, entries] of byService) {
        const frontendMissing = entries.some((e) => e.kind === 'missing-frontend' && (e.expected?.action ?? 'forward') === 'forward');
        const name = subject.slice('Service/'.length);
        const what = entries.map((e) => e.detail);
        const evidence: Evidence[] = uniqueEvidence(entries.flatMap((e) => e.evidence));
        ctx.report({
          subjects: [`Node/${node}`, subject],
          title: frontendMissing ? `${node} has no kube-proxy rules for Service ${name}` : `${node}'s kube-proxy rules for Service ${name} are incomplete`,
          message: `On ${node} (${state.mode} mode): ${what.join('; ')}${peerNote}.`,
          evidence,
          remediation: sync?.stuck
            ? `kube-proxy on ${node} stopped syncing (see the kubeproxy-rules-stale finding): restart it`
            : `kube-proxy on ${node} has not applied the current state of ${name}: look at its log for iptables-restore or sync errors, and restart it`,
          commands,
          severity: frontendMissing ? 'critical' : 'warning',
          causedBy: causesOf([subject]),
          data: {
            node,
            mode: state.mode,
            missing: entries.map((e) => ({ kind: e.kind, frontend: e.frontend.key, addresses: e.addresses })),
          },
        });
      }
    }
    setNodeCoverage(ctx, states);
  },
});
