/**
 * The cluster CIDR(s) pod addresses are meant to come from, best source first:
 * kube-controller-manager's `--cluster-cidr` (its static pod in kube-system), then kubeadm's
 * ClusterConfiguration (`podSubnet` in the kubeadm-config ConfigMap).
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { objectPath } from '../kube/object-path.js';
import { parseCidr, type Cidr } from '../netfilter/ip-cidr.js';

export interface ClusterCidr {
  text: string;
  cidr: Cidr & { prefix: number };
  /** Where it was read ("kube-controller-manager flag (pod ...)", "kubeadm ClusterConfiguration"). */
  source: string;
  evidence: Evidence;
}

const FLAG = '--cluster-cidr=';

export function clusterCidrs(model: AnalysisModel): ClusterCidr[] {
  const parse = (list: string, source: string, evidence: Evidence): ClusterCidr[] =>
    list
      .split(',')
      .map((t) => t.trim())
      .flatMap((text) => {
        const cidr = parseCidr(text);
        return cidr && cidr.prefix !== undefined && text.includes('/') ? [{ text, cidr: cidr as Cidr & { prefix: number }, source, evidence }] : [];
      });

  for (const pod of model.kube.podsInNamespace('kube-system')) {
    if (!pod.name.startsWith('kube-controller-manager')) continue;
    const containers: any[] = Array.isArray(pod.raw?.spec?.containers) ? pod.raw.spec.containers : [];
    for (let c = 0; c < containers.length; c++) {
      for (const field of ['command', 'args'] as const) {
        const words: unknown[] = Array.isArray(containers[c]?.[field]) ? containers[c][field] : [];
        const at = words.findIndex((w) => typeof w === 'string' && w.startsWith(FLAG));
        if (at < 0) continue;
        const value = (words[at] as string).slice(FLAG.length);
        const found = parse(value, `kube-controller-manager flag (pod ${pod.name})`, pod.source.at(`spec.containers[${c}].${field}[${at}]`, `${FLAG}${value}`));
        if (found.length > 0) return found;
      }
    }
  }
  const kubeadm = model.kube.configMap('kube-system', 'kubeadm-config');
  const clusterConfiguration = kubeadm?.data.ClusterConfiguration;
  const subnet = clusterConfiguration === undefined ? undefined : /^\s*podSubnet:\s*"?([^"\s]+)"?\s*$/m.exec(clusterConfiguration)?.[1];
  if (kubeadm && subnet) return parse(subnet, 'kubeadm ClusterConfiguration', kubeadm.source.at(objectPath('data', 'ClusterConfiguration'), `podSubnet: ${subnet}`));
  return [];
}
