/**
 * Which pods resolve names through the cluster DNS, and with which resolver options — cheap
 * per-pod tests for rules that look at every pod (100,000 of them in a large cluster).
 */
import type { Pod } from '../kube/types.js';
import type { ClusterDns } from './cluster-dns.js';

/** kubelet's effective policy (kubelet-resolv-conf.ts podDnsType), without building the file. */
export function effectiveDnsPolicy(pod: Pod): 'ClusterFirst' | 'Default' | 'None' {
  switch (pod.dnsPolicy) {
    case 'None':
      return 'None';
    case 'Default':
      return 'Default';
    case 'ClusterFirstWithHostNet':
      return 'ClusterFirst';
    default:
      return pod.hostNetwork ? 'Default' : 'ClusterFirst';
  }
}

/** A pod that is not finished: it may still look names up. */
export function isLivePod(pod: Pod): boolean {
  return pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

/** CoreDNS or NodeLocal DNSCache itself. */
export function isDnsServerPod(dns: ClusterDns, pod: Pod): boolean {
  if (pod.namespace !== 'kube-system') return false;
  const app = pod.labels['k8s-app'];
  return app === 'kube-dns' || app === 'node-local-dns' || dns.coredns.pods.includes(pod) || (dns.nodeLocal?.pods.includes(pod) ?? false);
}

/** A live pod whose resolver asks the cluster DNS (dnsPolicy ClusterFirst in effect). */
export function usesClusterDns(dns: ClusterDns, pod: Pod): boolean {
  return isLivePod(pod) && !isDnsServerPod(dns, pod) && effectiveDnsPolicy(pod) === 'ClusterFirst';
}

/**
 * The resolver options of a pod that decide the conntrack race: from its captured resolv.conf,
 * else from kubelet's (ndots:5 merged with dnsConfig.options).
 */
export function resolverFlags(dns: ClusterDns, pod: Pod): { singleRequest: boolean; singleRequestReopen: boolean; useVc: boolean; source: 'captured' | 'spec' } {
  const captured = dns.podResolvConfs.get(`${pod.namespace}/${pod.name}`);
  if (captured) {
    const o = captured.value.options;
    return { singleRequest: o.singleRequest, singleRequestReopen: o.singleRequestReopen, useVc: o.useVc, source: 'captured' };
  }
  const names = new Set((pod.dnsConfig?.options ?? []).map((o) => o.name));
  return { singleRequest: names.has('single-request'), singleRequestReopen: names.has('single-request-reopen'), useVc: names.has('use-vc'), source: 'spec' };
}
