/**
 * The cluster CIDR(s) pod addresses are meant to come from, best source first:
 * kube-controller-manager's `--cluster-cidr` (its static pod in kube-system), then kubeadm's
 * ClusterConfiguration (`podSubnet` in the kubeadm-config ConfigMap).
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { cidrsFromComponentFlag, cidrsFromKubeadm, type ComponentCidr } from './component-cidr.js';

export type ClusterCidr = ComponentCidr;

export function clusterCidrs(model: AnalysisModel): ClusterCidr[] {
  const fromFlag = cidrsFromComponentFlag(model, 'kube-controller-manager', '--cluster-cidr=');
  return fromFlag.length > 0 ? fromFlag : cidrsFromKubeadm(model, 'podSubnet');
}
