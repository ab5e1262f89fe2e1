/**
 * Where a `forward` plugin sends queries, and whether that is a loop. A target is an address
 * (`forward . 10.0.0.2 10.0.0.3`) or a file (`forward . /etc/resolv.conf`): the file is the
 * resolv.conf inside the DNS pod, which kubelet writes from the pod's dnsPolicy. CoreDNS runs
 * with dnsPolicy Default, so it gets the file of kubelet's `resolvConf` setting — the node's
 * /etc/resolv.conf unless kubelet was pointed elsewhere (kubeadm points it at
 * /run/systemd/resolve/resolv.conf on systemd-resolved hosts).
 *
 * For a CoreDNS pod (its own network namespace) an upstream is a loop when it is:
 * - on 127.0.0.0/8 or ::1: inside the pod that is CoreDNS itself, listening on :53 on every
 *   address (the classic case: a node's systemd-resolved stub, 127.0.0.53, copied into
 *   CoreDNS's resolv.conf);
 * - the kube-dns Service, kube-dns-upstream, or a CoreDNS pod: back into CoreDNS.
 * The loop plugin detects such a loop at start-up and makes CoreDNS exit: CrashLoopBackOff.
 * For NodeLocal DNSCache (host network) 127.0.0.53 is the node's systemd-resolved: no loop.
 */
import { isIP } from 'node:net';
import type { Evidence } from '../bundle/source-file.js';
import { makeEvidence } from '../bundle/source-file.js';
import type { Pod } from '../kube/types.js';
import type { ClusterDns } from './cluster-dns.js';
import type { CorefileInConfigMap } from './corefile-from-configmap.js';
import type { ForwardPlugin } from './corefile-types.js';
import { kubeletResolvConf } from './kubelet-resolv-conf.js';
import type { ResolvConf } from './parse-resolv-conf.js';
import { isSystemdStub } from './pod-resolv-conf.js';

export type UpstreamKind =
  /** 127.0.0.0/8 or ::1 in CoreDNS's own network namespace: CoreDNS itself. */
  | 'loop-self'
  /** The kube-dns Service, kube-dns-upstream or a CoreDNS pod: back into CoreDNS. */
  | 'loop-cluster-dns'
  /** CoreDNS, from NodeLocal DNSCache: the normal path for cluster names. */
  | 'cluster-dns'
  /** NodeLocal DNSCache's address. */
  | 'node-local-dns'
  /** A resolver outside the cluster (or the node's own stub, for a host-network server). */
  | 'upstream';

export interface ForwardUpstream {
  address: string;
  port: number;
  kind: UpstreamKind;
  /** Where the address was read, in words. */
  via: string;
  /**
   * `certain`: the Corefile or the DNS pod's own resolv.conf; `node-file`: the node's
   * /etc/resolv.conf, which kubelet gives the pod unless its resolvConf setting points elsewhere.
   */
  certainty: 'certain' | 'node-file';
  /** The DNS pods that forward there (`kube-system/coredns-...`). */
  pods: string[];
  evidence: Evidence[];
  explanation: string;
}

export interface ForwardResolution {
  plugin: ForwardPlugin;
  upstreams: ForwardUpstream[];
  /** Targets whose addresses the bundle does not hold, and why. */
  missing: string[];
}

export interface ForwardingServer {
  role: 'coredns' | 'node-local-dns';
  pods: Pod[];
  corefile: CorefileInConfigMap;
}

function isLoopback(address: string): boolean {
  const bare = address.split('%')[0]!;
  return isIP(bare) === 4 ? bare.startsWith('127.') : bare === '::1';
}

/** What an upstream address is, seen from a server of this role. */
export function classifyUpstream(dns: ClusterDns, role: ForwardingServer['role'], address: string): { kind: UpstreamKind; explanation: string } {
  const coredns = dns.coredns;
  const corednsPod = coredns.pods.find((p) => p.podIPs.includes(address));
  const clusterDns = coredns.serviceIPs.includes(address) || (dns.nodeLocal?.upstreamServiceIPs.includes(address) ?? false);
  if (role === 'coredns') {
    if (isLoopback(address)) {
      return {
        kind: 'loop-self',
        explanation: `${address} inside the CoreDNS pod's network namespace is CoreDNS itself (it listens on :53 on every address)${address === '127.0.0.53' ? '; 127.0.0.53 is the systemd-resolved stub of the node, which is not in the pod' : ''}`,
      };
    }
    if (clusterDns) return { kind: 'loop-cluster-dns', explanation: `${address} is the ClusterIP of ${coredns.serviceIPs.includes(address) ? 'kube-dns' : 'kube-dns-upstream'}: queries come back to CoreDNS` };
    if (corednsPod) return { kind: 'loop-cluster-dns', explanation: `${address} is CoreDNS pod ${corednsPod.name}: queries come back to CoreDNS` };
    if (dns.nodeLocal?.addresses.includes(address)) return { kind: 'node-local-dns', explanation: `${address} is NodeLocal DNSCache's address` };
    return { kind: 'upstream', explanation: `${address} is outside the cluster` };
  }
  if (clusterDns || corednsPod) return { kind: 'cluster-dns', explanation: `${address} is ${corednsPod ? `CoreDNS pod ${corednsPod.name}` : 'the kube-dns Service'}` };
  if (isLoopback(address)) return { kind: 'upstream', explanation: `${address} on the node: ${address === '127.0.0.53' ? 'systemd-resolved' : 'a local resolver'} of the host` };
  return { kind: 'upstream', explanation: `${address} is outside the cluster` };
}

interface ResolvSource {
  conf: ResolvConf;
  file: string;
  via: string;
  certainty: ForwardUpstream['certainty'];
}

/** The resolv.conf a DNS pod reads, and how sure that is; or why it is not known. */
function podResolvSource(dns: ClusterDns, pod: Pod): ResolvSource | string {
  const captured = dns.podResolvConfs.get(`${pod.namespace}/${pod.name}`);
  if (captured) return { conf: captured.value, file: captured.file, via: `/etc/resolv.conf of pod ${pod.name}`, certainty: 'certain' };
  const node = pod.nodeName !== undefined ? dns.nodeResolvConfs.get(pod.nodeName) : undefined;
  const generated = kubeletResolvConf({
    namespace: pod.namespace,
    dnsPolicy: pod.dnsPolicy,
    hostNetwork: pod.hostNetwork,
    dnsConfig: pod.dnsConfig,
    clusterDomain: dns.clusterDomain,
    clusterDNS: dns.kubeletClusterDns,
    hostResolvConf: node?.value,
  });
  if (generated.policy !== 'Default') {
    return { conf: generated.resolvConf, file: pod.source.file, via: `the resolv.conf kubelet writes for pod ${pod.name} (dnsPolicy ${pod.dnsPolicy ?? 'ClusterFirst'})`, certainty: 'certain' };
  }
  const kubeletFile = dns.kubelet?.resolvConf;
  if (kubeletFile !== undefined && kubeletFile !== '/etc/resolv.conf') {
    return `kubelet gives pod ${pod.name} the file ${kubeletFile} (kubelet-config resolvConf), which the bundle does not hold`;
  }
  if (!node) return `neither pod ${pod.name}'s resolv.conf nor node ${pod.nodeName ?? '(unscheduled)'}'s was collected`;
  return {
    conf: node.value,
    file: node.file,
    via: `/etc/resolv.conf of node ${pod.nodeName} (dnsPolicy Default)`,
    certainty: kubeletFile === '/etc/resolv.conf' || !isSystemdStub(node.value) ? 'certain' : 'node-file',
  };
}

/** The upstreams of a forward plugin, for the pods of a DNS server. */
export function resolveForward(dns: ClusterDns, server: ForwardingServer, plugin: ForwardPlugin): ForwardResolution {
  const byAddress = new Map<string, ForwardUpstream>();
  const missing: string[] = [];
  const add = (address: string, port: number, via: string, certainty: ForwardUpstream['certainty'], pod: string | undefined, evidence: Evidence) => {
    const key = `${address}#${port}`;
    let upstream = byAddress.get(key);
    if (!upstream) {
      const { kind, explanation } = classifyUpstream(dns, server.role, address);
      upstream = { address, port, kind, via, certainty, pods: [], evidence: [], explanation };
      byAddress.set(key, upstream);
    } else {
      if (certainty === 'certain') upstream.certainty = 'certain';
      upstream.via = combineVia(upstream.via, via);
    }
    if (pod !== undefined && !upstream.pods.includes(pod)) upstream.pods.push(pod);
    if (!upstream.evidence.some((e) => e.file === evidence.file && e.line === evidence.line)) upstream.evidence.push(evidence);
  };

  for (const target of plugin.targets) {
    if (target.kind === 'address') {
      add(target.host, target.port, `Corefile line ${plugin.directive.line}`, 'certain', undefined, server.corefile.evidence(plugin.directive.line, `forward to ${target.raw}`));
      continue;
    }
    if (target.path !== '/etc/resolv.conf') {
      missing.push(`${target.path} inside the ${server.role} pods is not in the bundle`);
      continue;
    }
    if (server.pods.length === 0) {
      missing.push(`no ${server.role} pod in the bundle to read /etc/resolv.conf for`);
      continue;
    }
    for (const pod of server.pods) {
      const source = podResolvSource(dns, pod);
      if (typeof source === 'string') {
        if (!missing.includes(source)) missing.push(source);
        continue;
      }
      for (const ns of source.conf.nameservers) {
        const evidence =
          source.file === pod.source.file
            ? pod.source.at('spec.dnsPolicy', `dnsPolicy ${pod.dnsPolicy ?? 'ClusterFirst'}: nameserver ${ns.address}`)
            : makeEvidence(source.file, ns.line, `nameserver ${ns.address}`, `${source.via}`);
        add(ns.address.split('%')[0]!, 53, source.via, source.certainty, `${pod.namespace}/${pod.name}`, evidence);
      }
    }
  }
  return { plugin, upstreams: [...byAddress.values()], missing };
}

/** `/etc/resolv.conf of node node-a (...)` + `... node node-b (...)` → `/etc/resolv.conf of nodes node-a, node-b (...)`. */
function combineVia(a: string, b: string): string {
  if (a === b) return a;
  const pattern = /^\/etc\/resolv\.conf of (node|nodes|pod|pods) (.+?)( \(.*\))?$/;
  const ma = pattern.exec(a);
  const mb = pattern.exec(b);
  if (ma && mb && ma[1]!.startsWith(mb[1]!.replace(/s$/, '')) && (ma[3] ?? '') === (mb[3] ?? '')) {
    const kind = ma[1]!.replace(/s$/, '');
    const names = [...new Set([...ma[2]!.split(', '), ...mb[2]!.split(', ')])];
    return `/etc/resolv.conf of ${kind}s ${names.join(', ')}${ma[3] ?? ''}`;
  }
  return a.includes(b) ? a : `${a}; ${b}`;
}

export const isLoopKind = (kind: UpstreamKind) => kind === 'loop-self' || kind === 'loop-cluster-dns';
