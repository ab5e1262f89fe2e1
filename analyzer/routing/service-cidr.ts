/**
 * The Service CIDR(s) of the cluster, from what states it, best source first: kube-apiserver's
 * `--service-cluster-ip-range` (its static pod in kube-system), kubeadm's ClusterConfiguration
 * (`serviceSubnet` in the kubeadm-config ConfigMap), then the manifest's hint (`cluster.serviceCIDR`).
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { objectPath } from '../kube/object-path.js';
import { parseCidr, type Cidr } from '../netfilter/ip-cidr.js';

export interface ServiceCidr {
  text: string;
  cidr: Cidr & { prefix: number };
  /** Where it was read ("kube-apiserver flag", "kubeadm-config", "manifest hint"). */
  source: string;
  evidence: Evidence;
}

const FLAG = '--service-cluster-ip-range=';

export function serviceCidrs(model: AnalysisModel): ServiceCidr[] {
  const parse = (list: string, source: string, evidence: Evidence): ServiceCidr[] =>
    list
      .split(',')
      .map((t) => t.trim())
      .flatMap((text) => {
        const cidr = parseCidr(text);
        return cidr && cidr.prefix !== undefined && text.includes('/') ? [{ text, cidr: cidr as Cidr & { prefix: number }, source, evidence }] : [];
      });

  for (const pod of model.kube.podsInNamespace('kube-system')) {
    if (!pod.name.startsWith('kube-apiserver')) continue;
    const containers: any[] = Array.isArray(pod.raw?.spec?.containers) ? pod.raw.spec.containers : [];
    for (let c = 0; c < containers.length; c++) {
      for (const field of ['command', 'args'] as const) {
        const words: unknown[] = Array.isArray(containers[c]?.[field]) ? containers[c][field] : [];
        const at = words.findIndex((w) => typeof w === 'string' && w.startsWith(FLAG));
        if (at < 0) continue;
        const value = (words[at] as string).slice(FLAG.length);
        const found = parse(value, `kube-apiserver flag (pod ${pod.name})`, pod.source.at(`spec.containers[${c}].${field}[${at}]`, `${FLAG}${value}`));
        if (found.length > 0) return found;
      }
    }
  }
  const kubeadm = model.kube.configMap('kube-system', 'kubeadm-config');
  const clusterConfiguration = kubeadm?.data.ClusterConfiguration;
  const subnet = clusterConfiguration === undefined ? undefined : /^\s*serviceSubnet:\s*"?([^"\s]+)"?\s*$/m.exec(clusterConfiguration)?.[1];
  if (kubeadm && subnet) {
    const found = parse(subnet, 'kubeadm ClusterConfiguration', kubeadm.source.at(objectPath('data', 'ClusterConfiguration'), `serviceSubnet: ${subnet}`));
    if (found.length > 0) return found;
  }
  const hint = model.bundle.manifest?.cluster?.serviceCIDR;
  const manifest = model.bundle.get('manifest.json');
  if (hint && manifest) {
    const offset = manifest.text.indexOf('"serviceCIDR"');
    const evidence = manifest.evidenceAtOffset(Math.max(offset, 0), `serviceCIDR ${hint} (manifest hint)`);
    return parse(hint, 'the manifest hint', evidence);
  }
  return [];
}
