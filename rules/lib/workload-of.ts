/**
 * The workload a pod belongs to, for grouping flows and naming their ends: a Deployment (its
 * ReplicaSet's name minus the pod-template-hash), a StatefulSet, DaemonSet or Job, or the pod
 * itself when nothing owns it.
 */
import type { Pod } from '../../analyzer/kube/types.js';

export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
  /** `Deployment/shop/cart`. */
  ref: string;
}

export function workloadOf(pod: Pod): WorkloadRef {
  const owner = pod.ownerReferences.find((o) => o.controller) ?? pod.ownerReferences[0];
  let kind = owner?.kind ?? 'Pod';
  let name = owner?.name ?? pod.name;
  if (kind === 'ReplicaSet') {
    const hash = pod.labels['pod-template-hash'];
    if (hash && name.endsWith(`-${hash}`)) {
      kind = 'Deployment';
      name = name.slice(0, -hash.length - 1);
    }
  } else if (kind === 'Node') {
    // A static pod is mirrored from its node: the pod is the workload.
    kind = 'Pod';
    name = pod.name;
  }
  return { kind, namespace: pod.namespace, name, ref: `${kind}/${pod.namespace}/${name}` };
}
