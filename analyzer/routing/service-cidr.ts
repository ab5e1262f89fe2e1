/**
 * The Service CIDR(s) of the cluster, from what states it, best source first: kube-apiserver's
 * `--service-cluster-ip-range` (its static pod in kube-system), kubeadm's ClusterConfiguration
 * (`serviceSubnet` in the kubeadm-config ConfigMap), then the manifest's hint (`cluster.serviceCIDR`).
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { cidrsFromComponentFlag, cidrsFromKubeadm, parseCidrList, type ComponentCidr } from './component-cidr.js';

export type ServiceCidr = ComponentCidr;

export function serviceCidrs(model: AnalysisModel): ServiceCidr[] {
  const fromFlag = cidrsFromComponentFlag(model, 'kube-apiserver', '--service-cluster-ip-range=');
  if (fromFlag.length > 0) return fromFlag;
  const fromKubeadm = cidrsFromKubeadm(model, 'serviceSubnet');
  if (fromKubeadm.length > 0) return fromKubeadm;
  const hint = model.bundle.manifest?.cluster?.serviceCIDR;
  const manifest = model.bundle.get('manifest.json');
  if (hint && manifest) {
    const offset = manifest.text.indexOf('"serviceCIDR"');
    const evidence = manifest.evidenceAtOffset(Math.max(offset, 0), `serviceCIDR ${hint} (manifest hint)`);
    return parseCidrList(hint, 'the manifest hint', evidence);
  }
  return [];
}
