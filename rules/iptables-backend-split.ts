import type { Evidence } from '../analyzer/bundle/source-file.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { diffDataplane } from '../analyzer/kubeproxy/dataplane-diff.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { ExpectedDataplanes } from '../analyzer/kubeproxy/expected-dataplane.js';
import { nodeDataplanes, type IptablesDumpView, type NodeDataplane } from '../analyzer/kubeproxy/node-dataplane.js';
import { reconstructIptables } from '../analyzer/kubeproxy/reconstruct-iptables.js';
import { servicePortIndex } from '../analyzer/kubeproxy/service-port-index.js';
import { listSome, plural } from './lib/list-text.js';
import { kubeProxyCommands, uniqueEvidence } from './lib/kube-proxy-sync.js';
import { machineSubject } from './lib/node-subject.js';

/**
 * Rules live in both iptables backends on one node: the legacy (xt) tables and the nf_tables
 * ones. The kernel runs both, but each tool sees only its own: kube-proxy (whose image picks a
 * backend at start), kubelet, the CNI and the host firewall can end up writing to different
 * ones, so a DROP or a stale DNAT in one backend is invisible to whoever reads the other
 * (kubernetes#72370, #112477). Only the "iptables-legacy tables present" warning, without the
 * legacy dump to look into, is reported as info.
 */
export default defineRule({
  id: 'iptables-backend-split',
  layer: 'node',
  severity: 'warning',
  description: 'Rules live in both the legacy and the nf_tables iptables backends on one node',
  area: 'iptables backend',
  requires: [dataplaneInputs.iptablesAnyBackend],
  check(ctx) {
    const model = ctx.model;
    const dataplanes = nodeDataplanes(model).nodes;
    let decided = 0;
    for (const dataplane of dataplanes) {
      const backend = dataplane.backend;
      if (dataplane.iptables || dataplane.iptablesLegacy || dataplane.iptablesNft || dataplane.nft) decided++;
      const node = dataplane.node;
      const kubeProxyFile = dataplane.kubeProxyIptables?.file.path;
      if (backend.backend === 'both') {
        const holders = backend.holders;
        const describe = holders.map((h) => `${h.backend} (${plural(h.kubeRules, 'rule')} in KUBE-* chains, ${h.file.split('/').pop()}${h.how ? `: ${h.how}` : ''})`);
        const proxy = dataplane.kubeProxyIptables;
        const serviceChainsBoth = [dataplane.iptablesLegacy, dataplane.iptablesNft].every((d) => d !== undefined && d.serviceChains > 0);
        const copy = serviceChainsBoth ? staleCopy(model, dataplane) : undefined;
        ctx.report({
          subjects: [machineSubject(model, node)],
          title: `${node} has iptables rules in both the legacy and the nf_tables backend`,
          message: `KUBE-* rules sit in ${describe.join(' and ')}. The kernel evaluates both backends, but iptables-save of one never shows the other's rules${proxy?.backend ? `; kube-proxy's Service rules are in ${proxy.backend} (${proxy.file.path.split('/').pop()})` : ''}${serviceChainsBoth ? `; both hold kube-proxy Service chains, so one of them is a copy the running kube-proxy no longer maintains${copy && copy.addresses.length > 0 ? ` — ${copy.file} still DNATs to ${listSome(copy.addresses, 5)}, which ${copy.addresses.length === 1 ? 'is no longer an endpoint' : 'are no longer endpoints'}` : ''}` : ''}. Components that picked different backends (kube-proxy's image, kubelet, the CNI, a host firewall) cannot see each other's rules, and a DROP policy or stale rule in one backend breaks traffic the other one allows.`,
          evidence: uniqueEvidence([...holders.map((h) => ({ ...h.evidence, note: `${h.backend}: ${h.how}` })), ...(copy?.evidence ?? []), ...(backend.legacyWarning ? [backend.legacyWarning] : [])]),
          remediation: `make every component on ${node} use one backend (on current distributions nf_tables: update-alternatives --set iptables /usr/sbin/iptables-nft), then flush the other backend's tables (iptables-legacy -F / -X per table) and restart kube-proxy and the CNI agent so they rewrite their rules`,
          commands: [`iptables-legacy-save | grep -c -- '-A'`, `iptables-nft-save | grep -c -- '-A'`, ...kubeProxyCommands(model.kube, node).slice(0, 1)],
          severity: serviceChainsBoth ? 'critical' : 'warning',
          data: { node, holders: holders.map((h) => ({ backend: h.backend, file: h.file, kubeRules: h.kubeRules })), kubeProxyDump: kubeProxyFile },
        });
      } else if (backend.legacyWarning && !dataplane.iptablesLegacy) {
        ctx.report({
          subjects: [machineSubject(model, node)],
          title: `${node}: iptables-nft-save reports legacy tables too`,
          message: `iptables-nft-save on ${node} warns that iptables-legacy tables are present; iptables-legacy-save was not collected, so whether they hold rules (and which) cannot be told from this bundle.`,
          evidence: [backend.legacyWarning],
          remediation: `collect iptables-legacy-save on ${node}; if its tables hold rules, move every component to one backend`,
          commands: ['iptables-legacy-save'],
          severity: 'info',
          data: { node },
        });
      }
    }
    ctx.setCoverage(decided === dataplanes.length ? 'checked' : 'partial', `iptables backends read on ${decided} of ${dataplanes.length} nodes`);
  },
});

/**
 * The backend dump kube-proxy no longer writes (not the one it reads, see kubeProxyIptables),
 * compared with the API: the endpoints it still DNATs to that are gone.
 */
function staleCopy(model: AnalysisModel, dataplane: NodeDataplane): { file: string; addresses: string[]; evidence: Evidence[] } | undefined {
  const current = dataplane.kubeProxyIptables;
  const other = [dataplane.iptablesLegacy, dataplane.iptablesNft].find((d): d is IptablesDumpView => d !== undefined && d.serviceChains > 0 && d.backend !== current?.backend);
  if (!other) return undefined;
  const index = servicePortIndex(model);
  const reconstructed = reconstructIptables(dataplane.node, 4, other, index);
  const expected = new ExpectedDataplanes(model.kube, index).forNode(dataplane.node, 4);
  const stale = diffDataplane(expected, reconstructed, undefined).filter((e) => e.kind === 'stale-endpoint');
  const addresses = [...new Set(stale.flatMap((e) => e.addresses))];
  return { file: other.file.path.split('/').pop()!, addresses, evidence: stale.flatMap((e) => e.evidence).slice(0, 3) };
}
