/**
 * The IP families the cluster's pods use: IPv6 counts when a node has an IPv6 podCIDR, a pod an
 * IPv6 address or a Service an IPv6 ClusterIP. Node settings for IPv6 (forwarding,
 * bridge-nf-call-ip6tables) matter only then.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';

export function usesIpv6Pods(model: AnalysisModel): boolean {
  const kube = model.kube;
  return (
    kube.nodes.some((n) => n.podCIDRs.some((c) => c.includes(':'))) ||
    kube.services.some((s) => s.clusterIPs.some((ip) => ip.includes(':'))) ||
    kube.pods.some((p) => !p.hostNetwork && p.podIPs.some((ip) => ip.includes(':')))
  );
}
