import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { MISSING_KINDS, type DiffEntry } from '../analyzer/kubeproxy/dataplane-diff.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { kubeProxyStates } from '../analyzer/kubeproxy/kube-proxy-state.js';
import { listSome, plural } from './lib/list-text.js';
import { kubeProxyCommands, nodeSyncs, serviceNamespace, serviceSubject, setNodeCoverage, uniqueEvidence } from './lib/kube-proxy-sync.js';
import { coveredByReplacement, kubeProxyRulesOrReplacement } from './lib/kube-proxy-replacement.js';

/**
 * A node's data plane keeps what the API no longer has: DNAT to addresses that are no longer
 * usable endpoints, rules for a Service (or a Service address, port or NodePort) that is gone, a
 * REJECT for a Service that has endpoints again, stale session affinity, statistic rules that
 * no longer split evenly, endpoint chains under names kube-proxy would not give them.
 *
 * When several Services are out of date on one node, some of them stale, while the other nodes
 * agree with the API, kube-proxy on that node has stopped syncing: one finding names the node.
 */
export default defineRule({
  id: 'kubeproxy-rules-stale',
  layer: 'service',
  severity: 'critical',
  description: "A node's kube-proxy rules DNAT to old endpoints or keep Services that no longer exist",
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
      const sync = syncs.get(node)!;
      const stale = state.views.flatMap((v) => v.diff).filter((e) => !MISSING_KINDS.has(e.kind) && ctx.inScope(serviceNamespace(e)));
      if (stale.length === 0) continue;
      const commands = kubeProxyCommands(model.kube, node);
      const peers = sync.inSyncPeers;
      const peerNote = peers.length > 0 ? ` ${listSome(peers, 3)} ${peers.length === 1 ? 'agrees' : 'agree'} with the API.` : '';

      if (sync.stuck) {
        const outOfDate = [...sync.outOfDate.entries()].filter(([subject, entries]) => entries.some((e) => ctx.inScope(serviceNamespace(e))) && subject !== '');
        const lines = outOfDate.map(([subject, entries]) => `${subject.slice('Service/'.length)}: ${entries.map((e) => e.detail).join('; ')}`);
        const staleFirst = [...stale, ...outOfDate.flatMap(([, entries]) => entries)];
        ctx.report({
          subjects: [`Node/${node}`, ...outOfDate.map(([subject]) => subject)],
          title: `kube-proxy on ${node} looks stuck: ${plural(outOfDate.length, 'Service')} out of date`,
          message: `${node}'s ${state.mode} rules are from an older state of the cluster — ${lines.join(' — ')}.${peerNote} Its kube-proxy has stopped applying changes (a lost API watch, a failing iptables-restore, or a wedged process).`,
          evidence: uniqueEvidence(staleFirst.flatMap((e) => e.evidence), 10),
          remediation: `restart kube-proxy on ${node} and read its log for the error that stopped it (iptables-restore failures, API watch errors, xtables lock timeouts)`,
          commands,
          data: {
            node,
            mode: state.mode,
            services: outOfDate.map(([subject, entries]) => ({ service: subject, differences: entries.map(describeEntry) })),
          },
        });
        continue;
      }

      const byService = new Map<string, DiffEntry[]>();
      for (const entry of stale) {
        const subject = serviceSubject(entry) ?? `Node/${node}`;
        let list = byService.get(subject);
        if (!list) byService.set(subject, (list = []));
        list.push(entry);
      }
      for (const [subject, entries] of byService) {
        const name = subject.slice('Service/'.length);
        const gone = entries.every((e) => e.kind === 'stale-service');
        const cosmetic = entries.every((e) => e.kind === 'uneven-balancing' || e.kind === 'chain-name-mismatch');
        ctx.report({
          subjects: [`Node/${node}`, subject],
          title: gone ? `${node} still has kube-proxy rules for deleted Service ${name}` : `${node}'s kube-proxy rules for Service ${name} are stale`,
          message: `On ${node} (${state.mode} mode): ${entries.map((e) => e.detail).join('; ')}.${peerNote}`,
          evidence: uniqueEvidence(entries.flatMap((e) => e.evidence)),
          remediation: cosmetic
            ? `these rules were not written by the running kube-proxy (edited by hand, or by another version): restart kube-proxy on ${node} to rewrite them`
            : `kube-proxy on ${node} has not applied the current state of ${name}: restart it and read its log`,
          commands,
          severity: cosmetic ? 'warning' : 'critical',
          data: { node, mode: state.mode, differences: entries.map(describeEntry) },
        });
      }
    }
    setNodeCoverage(ctx, states);
  },
});

function describeEntry(entry: DiffEntry): Record<string, unknown> {
  return { kind: entry.kind, frontend: entry.frontend.key, addresses: entry.addresses, detail: entry.detail };
}
