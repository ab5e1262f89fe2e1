/**
 * A policy reference of the engine as a report subject (`Kind/namespace/name`, report-format.md).
 * The engine names Calico's namespaced policy `NetworkPolicy.projectcalico.org/<ns>/<name>` to
 * keep it apart from a Kubernetes NetworkPolicy of the same name; a subject's kind has no dots,
 * so it becomes `CalicoNetworkPolicy/<ns>/<name>`. Other references are subjects as they are.
 */
const CALICO_NAMESPACED = 'NetworkPolicy.projectcalico.org/';

export function policySubject(ref: string): string {
  return ref.startsWith(CALICO_NAMESPACED) ? `CalicoNetworkPolicy/${ref.slice(CALICO_NAMESPACED.length)}` : ref;
}
