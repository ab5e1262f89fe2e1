/**
 * The resolv.conf a pod's resolver reads: the one captured from the pod
 * (`pods/<ns>/<pod>/resolv.conf`) when the bundle has it, else the one kubelet would have
 * written from the pod's dnsPolicy and dnsConfig, the cluster domain, kubelet's clusterDNS and
 * the node's resolv.conf (kubelet-resolv-conf.ts).
 *
 * A caveat for the generated file: the bundle holds the node's /etc/resolv.conf, while
 * kubelet reads its `resolvConf` setting, which kubeadm points at
 * /run/systemd/resolve/resolv.conf on systemd-resolved hosts. Search domains are the same in
 * both; for dnsPolicy Default the nameservers may differ, and the result says so.
 */
import type { ParseIssue } from '../bundle/parse-issue.js';
import type { Pod } from '../kube/types.js';
import type { ClusterDns } from './cluster-dns.js';
import { kubeletResolvConf, type EffectiveDnsPolicy } from './kubelet-resolv-conf.js';
import type { ResolvConf } from './parse-resolv-conf.js';

export interface PodResolvConf {
  pod: Pod;
  /** `captured`: read from the pod; `kubelet`: what kubelet would write. */
  source: 'captured' | 'kubelet';
  /** The bundle file, when captured. */
  file?: string;
  resolvConf: ResolvConf;
  /** The policy kubelet applies to the pod (ClusterFirst on hostNetwork is Default...). */
  policy: EffectiveDnsPolicy;
  /** For a generated file: kubelet's warnings, and caveats about what it was generated from. */
  notes: string[];
  issues: ParseIssue[];
}

/** A node's resolv.conf that is systemd-resolved's stub (nameserver 127.0.0.53). */
export function isSystemdStub(conf: ResolvConf): boolean {
  return conf.nameservers.length > 0 && conf.nameservers.every((n) => n.address === '127.0.0.53' || n.address === '127.0.0.54');
}

export function podResolvConf(dns: ClusterDns, pod: Pod): PodResolvConf {
  const generated = kubeletResolvConf({
    namespace: pod.namespace,
    dnsPolicy: pod.dnsPolicy,
    hostNetwork: pod.hostNetwork,
    dnsConfig: pod.dnsConfig,
    clusterDomain: dns.clusterDomain,
    clusterDNS: dns.kubeletClusterDns,
    hostResolvConf: pod.nodeName !== undefined ? dns.nodeResolvConfs.get(pod.nodeName)?.value : undefined,
  });
  const captured = dns.podResolvConfs.get(`${pod.namespace}/${pod.name}`);
  if (captured) {
    return { pod, source: 'captured', file: captured.file, resolvConf: captured.value, policy: generated.policy, notes: [], issues: [] };
  }
  const notes = [...generated.events];
  const node = pod.nodeName !== undefined ? dns.nodeResolvConfs.get(pod.nodeName) : undefined;
  if (generated.policy !== 'None') {
    if (!node && (generated.policy === 'Default' || generated.resolvConf.search.length > 3)) {
      notes.push(`the node's resolv.conf was not collected: its search domains and nameservers are not included`);
    } else if (!node) {
      notes.push(`the node's resolv.conf was not collected: search domains it adds are not included`);
    } else if (generated.policy === 'Default' && isSystemdStub(node.value)) {
      notes.push(
        `${node.file} is systemd-resolved's stub (127.0.0.53); kubelet gives dnsPolicy Default pods the file of its resolvConf setting, which kubeadm points at /run/systemd/resolve/resolv.conf (the real upstreams)`,
      );
    }
  }
  return { pod, source: 'kubelet', resolvConf: generated.resolvConf, policy: generated.policy, notes, issues: generated.issues };
}
