/**
 * Cilium's kube-proxy replacement: Services are load-balanced in BPF and no kube-proxy runs, so
 * the kube-proxy rules have nothing to compare — by design, not because a capture is missing.
 * Read from the `kube-proxy-replacement` key of the cilium-config ConfigMap, else from the
 * `KubeProxyReplacement:` line of `cilium status` on the nodes. `true` (1.14+) and `strict`
 * (older) replace kube-proxy entirely; `partial`, `probe` and `false` leave it in charge.
 */
import type { Evidence } from '../../analyzer/bundle/source-file.js';
import { nodeCnis } from '../../analyzer/cni/node-cni.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import type { InputSpec } from '../../analyzer/engine/inputs.js';
import type { RuleContext } from '../../analyzer/engine/rule.js';
import { dataplaneInputs } from '../../analyzer/kubeproxy/dataplane-inputs.js';
import { nodeDataplanes } from '../../analyzer/kubeproxy/node-dataplane.js';

const REPLACING = /^(true|strict)$/i;

export interface KubeProxyReplacement {
  /** How it reads where it was found: `kubeProxyReplacement=true`. */
  setting: string;
  /** Where it was found: `ConfigMap kube-system/cilium-config`, `cilium status on 3 nodes`. */
  where: string;
  evidence: Evidence;
}

const KUBE_PROXY_REPLACEMENT_FACET = 'rules/kube-proxy-replacement';

/**
 * The replacement, when Cilium replaces kube-proxy and no kube-proxy pod runs; else undefined.
 * Read once per model: four rules ask, each twice (its input check and its coverage).
 */
export function kubeProxyReplacement(model: AnalysisModel): KubeProxyReplacement | undefined {
  return model.facet(KUBE_PROXY_REPLACEMENT_FACET, readKubeProxyReplacement);
}

function readKubeProxyReplacement(model: AnalysisModel): KubeProxyReplacement | undefined {
  const kube = model.kube;
  if (kube.podsInNamespace('kube-system').some((p) => p.labels['k8s-app'] === 'kube-proxy' && !p.terminating)) return undefined;
  const config = kube.configMaps.find((c) => c.name === 'cilium-config' && c.data['kube-proxy-replacement'] !== undefined);
  if (config) {
    const value = config.data['kube-proxy-replacement']!.trim();
    if (!REPLACING.test(value)) return undefined;
    return {
      setting: `kubeProxyReplacement=${value}`,
      where: `ConfigMap ${config.namespace}/cilium-config`,
      evidence: config.source.at('data.kube-proxy-replacement', `kube-proxy-replacement: ${value}`),
    };
  }
  const statuses = nodeCnis(model).flatMap((entry) => {
    const kpr = entry.ciliumStatus?.value.kubeProxyReplacement;
    return kpr && entry.ciliumStatus ? [{ file: entry.ciliumStatus.file, kpr }] : [];
  });
  if (statuses.length === 0 || !statuses.every((s) => REPLACING.test(s.kpr.mode))) return undefined;
  const first = statuses[0]!;
  return {
    setting: `KubeProxyReplacement: ${first.kpr.mode}`,
    where: `cilium status on ${statuses.length === 1 ? '1 node' : `${statuses.length} nodes`}`,
    evidence: first.file.evidenceAtLine(first.kpr.line, `KubeProxyReplacement: ${first.kpr.mode}`),
  };
}

/**
 * kube-proxy's rule dumps, or the knowledge that kube-proxy is replaced: with either the
 * kube-proxy rules can decide something (the paths named stay the dumps').
 */
export const kubeProxyRulesOrReplacement: InputSpec = {
  ...dataplaneInputs.kubeProxyRules,
  isCollected: (model) => dataplaneInputs.kubeProxyRules.isCollected(model) || kubeProxyReplacement(model) !== undefined,
};

/**
 * When kube-proxy is replaced and no node shows a kube-proxy rule, says so as the rule's
 * coverage and returns true: there is nothing for the rule to check. Leftover kube-proxy rules
 * on a replaced cluster are still checked.
 */
export function coveredByReplacement(ctx: RuleContext): boolean {
  const replacement = kubeProxyReplacement(ctx.model);
  if (!replacement) return false;
  const showsRules = nodeDataplanes(ctx.model).nodes.some((d) => d.mode.mode !== 'none' && d.mode.mode !== 'unknown');
  if (showsRules) return false;
  ctx.setCoverage('checked', `kube-proxy replaced by Cilium (${replacement.setting}, ${replacement.where}): nothing to check`, { optionalUnused: true });
  return true;
}
