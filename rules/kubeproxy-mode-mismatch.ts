import type { Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { readKubeProxyConfig } from '../analyzer/kubeproxy/kube-proxy-config.js';
import { nodeDataplanes } from '../analyzer/kubeproxy/node-dataplane.js';
import { listSome, plural } from './lib/list-text.js';
import { kubeProxyCommands, uniqueEvidence } from './lib/kube-proxy-sync.js';
import { coveredByReplacement, kubeProxyRulesOrReplacement } from './lib/kube-proxy-replacement.js';

/**
 * The proxy mode a node runs (read from its dumps: KUBE-SVC/SEP chains → iptables, IPVS virtual
 * servers and KUBE-* ipsets → ipvs, `table ip kube-proxy` → nftables) differs from the mode the
 * kube-proxy ConfigMap (or a --proxy-mode flag on the DaemonSet) asks for — the pods were not
 * restarted after the change, so the next restart switches modes — or a node runs two modes at
 * once, when leftovers of the old mode still capture Service traffic.
 */
export default defineRule({
  id: 'kubeproxy-mode-mismatch',
  layer: 'service',
  severity: 'warning',
  description: 'The kube-proxy ConfigMap mode disagrees with what the node runs, or a node runs two modes',
  area: 'kube-proxy mode',
  requires: [inputs.configMaps, kubeProxyRulesOrReplacement],
  optional: [dataplaneInputs.ipvsadm, dataplaneInputs.ipsetSave, inputs.daemonSets],
  check(ctx) {
    if (coveredByReplacement(ctx)) return;
    const model = ctx.model;
    const config = readKubeProxyConfig(model.kube);
    const dataplanes = nodeDataplanes(model).nodes;
    let decided = 0;
    const mismatched = new Map<string, { node: string; sightingEvidence: Evidence[]; what: string }[]>();
    for (const dataplane of dataplanes) {
      const verdict = dataplane.mode;
      if (verdict.mode === 'unknown' || verdict.mode === 'none') continue;
      decided++;
      const node = dataplane.node;
      const sightingEvidence = verdict.sightings.map((s) => ({ ...s.evidence, note: `${s.mode}: ${s.what}` }));
      const configured = config ? `${config.from === 'daemonset-flag' ? 'the kube-proxy DaemonSet flag' : 'ConfigMap kube-system/kube-proxy'} says mode ${config.modeText === '' ? '"" (iptables)' : config.mode}` : undefined;

      if (verdict.mode === 'several') {
        const leftovers = config ? verdict.modes.filter((m) => m !== config.mode) : [];
        ctx.report({
          subjects: [`Node/${node}`],
          title: `${node} runs kube-proxy in ${verdict.modes.length} modes at once: ${verdict.modes.join(' and ')}`,
          message: `${verdict.sightings.map((s) => `${s.mode}: ${s.what}`).join('; ')}.${configured ? ` ${configured}${leftovers.length > 0 ? `, so the ${leftovers.join(' and ')} rules are leftovers that still capture Service traffic (iptables nat rules run before IPVS sees the packet)` : ''}.` : ''} kube-proxy cleans up the other modes' rules only when it starts in the new mode; a switch done by hand or an aborted cleanup leaves both.`,
          evidence: uniqueEvidence([...sightingEvidence, ...(config ? [config.evidence] : [])]),
          remediation: `restart kube-proxy on ${node} in the intended mode (it removes the other modes' rules at start), or run \`kube-proxy --cleanup\` there and restart it`,
          commands: kubeProxyCommands(model.kube, node),
          severity: 'critical',
          data: { node, modes: verdict.modes, configured: config?.mode },
        });
        continue;
      }
      if (!config || config.mode === verdict.mode || !['iptables', 'ipvs', 'nftables'].includes(config.mode)) continue;
      let group = mismatched.get(verdict.mode);
      if (!group) mismatched.set(verdict.mode, (group = []));
      group.push({ node, sightingEvidence, what: verdict.sightings.map((s) => s.what).join(' and ') });
    }
    for (const [running, group] of mismatched) {
      if (!config) break;
      const nodes = group.map((g) => g.node);
      const configured = `${config.from === 'daemonset-flag' ? 'the kube-proxy DaemonSet flag' : 'ConfigMap kube-system/kube-proxy'} says mode ${config.mode}`;
      const seen = group.length === 1 ? `${nodes[0]} shows ${group[0]!.what}` : `${listSome(nodes, 5)} show ${running}-mode rules (${group[0]!.node}: ${group[0]!.what})`;
      ctx.report({
        subjects: nodes.map((n) => `Node/${n}`),
        title: `kube-proxy on ${group.length === 1 ? nodes[0] : plural(group.length, 'node')} runs in ${running} mode, but its configuration says ${config.mode}`,
        message: `${configured}, while ${seen}. The running kube-proxy was started before the configuration changed: it keeps working in ${running} mode until it restarts, then switches to ${config.mode}${config.mode === 'ipvs' ? ' (which needs the ip_vs kernel modules and ipset on the node)' : config.mode === 'nftables' ? ' (which needs kernel ≥ 5.13 and nft ≥ 1.0)' : ''}; nodes that restart at different times then run different modes.`,
        evidence: uniqueEvidence([config.evidence, ...group.flatMap((g) => g.sightingEvidence.slice(0, 1))]),
        remediation: `decide which mode the cluster should run; then either restore the configuration or roll the kube-proxy DaemonSet so every node runs ${config.mode}`,
        commands: ['kubectl -n kube-system get configmap kube-proxy -o yaml', 'kubectl -n kube-system rollout restart daemonset kube-proxy'],
        data: { nodes, running, configured: config.mode, from: config.from },
      });
    }
    const detail = `mode read on ${decided} of ${dataplanes.length} nodes${config ? `; configured mode ${config.mode}` : '; no kube-proxy ConfigMap (only two-modes-at-once is checked)'}`;
    ctx.setCoverage(decided === dataplanes.length ? 'checked' : 'partial', dataplanes.length === 0 ? 'no node data plane' : decided === dataplanes.length ? detail : `${detail}; ${plural(dataplanes.length - decided, 'node')} show no kube-proxy rules: ${listSome(dataplanes.filter((d) => d.mode.mode === 'unknown' || d.mode.mode === 'none').map((d) => d.node), 5)}`);
  },
});
