/**
 * A CIDR list a control-plane component states: from a `--flag=` in its static pod's command
 * or args (kube-system), or from a key of kubeadm's ClusterConfiguration (the kubeadm-config
 * ConfigMap). Shared by the Service CIDR and the cluster (pod) CIDR look-ups.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { objectPath } from '../kube/object-path.js';
import { parseCidr, type Cidr } from '../netfilter/ip-cidr.js';

export interface ComponentCidr {
  text: string;
  cidr: Cidr & { prefix: number };
  /** Where it was read ("kube-apiserver flag (pod ...)", "kubeadm ClusterConfiguration", ...). */
  source: string;
  evidence: Evidence;
}

/** The CIDRs of a comma-separated list; bare addresses (no `/prefix`) are left out. */
export function parseCidrList(list: string, source: string, evidence: Evidence): ComponentCidr[] {
  return list
    .split(',')
    .map((t) => t.trim())
    .flatMap((text) => {
      const cidr = parseCidr(text);
      return cidr && cidr.prefix !== undefined && text.includes('/') ? [{ text, cidr: cidr as Cidr & { prefix: number }, source, evidence }] : [];
    });
}

/**
 * The CIDRs of the first `flag` (e.g. `--cluster-cidr=`) holding any, in the containers of the
 * kube-system pods whose name starts with `component`.
 */
export function cidrsFromComponentFlag(model: AnalysisModel, component: string, flag: string): ComponentCidr[] {
  for (const pod of model.kube.podsInNamespace('kube-system')) {
    if (!pod.name.startsWith(component)) continue;
    const containers = pod.containers;
    for (let c = 0; c < containers.length; c++) {
      for (const field of ['command', 'args'] as const) {
        const words = containers[c]![field];
        const at = words.findIndex((w) => w.startsWith(flag));
        if (at < 0) continue;
        const value = words[at]!.slice(flag.length);
        const found = parseCidrList(value, `${component} flag (pod ${pod.name})`, pod.source.at(`spec.containers[${c}].${field}[${at}]`, `${flag}${value}`));
        if (found.length > 0) return found;
      }
    }
  }
  return [];
}

/** The CIDRs of `key` (`podSubnet`, `serviceSubnet`) in kubeadm's ClusterConfiguration. */
export function cidrsFromKubeadm(model: AnalysisModel, key: string): ComponentCidr[] {
  const kubeadm = model.kube.configMap('kube-system', 'kubeadm-config');
  const clusterConfiguration = kubeadm?.data.ClusterConfiguration;
  const subnet = clusterConfiguration === undefined ? undefined : new RegExp(`^\\s*${key}:\\s*"?([^"\\s]+)"?\\s*$`, 'm').exec(clusterConfiguration)?.[1];
  if (!kubeadm || !subnet) return [];
  return parseCidrList(subnet, 'kubeadm ClusterConfiguration', kubeadm.source.at(objectPath('data', 'ClusterConfiguration'), `${key}: ${subnet}`));
}
