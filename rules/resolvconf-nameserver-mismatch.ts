import type { Evidence } from '../analyzer/bundle/source-file.js';
import { makeEvidence } from '../analyzer/bundle/source-file.js';
import { clusterDns, type ClusterDns } from '../analyzer/dns/cluster-dns.js';
import { effectiveDnsPolicy, isDnsServerPod, isLivePod } from '../analyzer/dns/dns-clients.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Pod } from '../analyzer/kube/types.js';
import type { Severity } from '../analyzer/report/report.js';
import { dnsInputs } from './lib/dns-inputs.js';
import { listSome, plural } from './lib/list-text.js';

interface Mismatch {
  key: string;
  pods: Pod[];
  policy: 'ClusterFirst' | 'Default' | 'None';
  nameservers: string[];
  foreign: string[];
  severity: Severity;
  reason: string;
  evidence: Evidence[];
}

/**
 * A pod's resolv.conf names a nameserver that is neither the kube-dns ClusterIP nor a NodeLocal
 * DNSCache address. Read from the captured `pods/<ns>/<pod>/resolv.conf`, else from the pod
 * spec (dnsConfig.nameservers). What it means depends on the pod's dnsPolicy:
 *
 * - ClusterFirst: kubelet writes its clusterDNS; another address means kubelet's clusterDNS is
 *   wrong on that node, the file was changed, or dnsConfig appended a server that answers
 *   cluster names NXDOMAIN whenever the resolver falls back to it.
 * - None: the pod chose its servers. If it needs cluster names (its search list or its
 *   environment names `<svc>.<ns>.svc...`) they will not resolve: warning; otherwise info.
 * - Default: the node's resolvers, by design — except a loopback address (127.0.0.53, the
 *   node's systemd-resolved stub) in a pod's own network namespace, where nothing listens.
 * DNS server pods (CoreDNS, node-local-dns) are not reported: they use the node's resolvers.
 * Pods are grouped by owner and nameservers, one finding per group.
 */
export default defineRule({
  id: 'resolvconf-nameserver-mismatch',
  layer: 'dns',
  severity: 'warning',
  description: "A pod's resolv.conf nameserver is neither the kube-dns ClusterIP nor a node-local DNS cache address",
  area: 'Cluster DNS',
  requires: [inputs.pods],
  optional: [dnsInputs.podResolvConf, inputs.services],
  check(ctx) {
    const dns = clusterDns(ctx.model);
    const expected = dns.clusterNameservers;
    if (expected.size === 0) {
      ctx.setCoverage('partial', 'no kube-dns Service in the bundle: the cluster DNS address is not known');
      return;
    }
    const expectedText = [...expected].join(', ');
    const groups = new Map<string, Mismatch>();
    const pods = ctx.namespaces ? [...ctx.namespaces].flatMap((ns) => ctx.model.kube.podsInNamespace(ns)) : ctx.model.kube.pods;
    for (const pod of pods) {
      if (!isLivePod(pod) || isDnsServerPod(dns, pod)) continue;
      const mismatch = mismatchOf(dns, pod, expected);
      if (!mismatch) continue;
      const group = groups.get(mismatch.key);
      if (group) group.pods.push(pod);
      else groups.set(mismatch.key, mismatch);
    }
    for (const m of groups.values()) {
      const first = m.pods[0]!;
      const who = m.pods.length === 1 ? `pod ${first.namespace}/${first.name}` : `${plural(m.pods.length, 'pod')} of ${ownerName(first)} (${listSome(m.pods.map((p) => p.name), 3)})`;
      ctx.report({
        subjects: m.pods.map((p) => p.ref),
        title: `${who[0]!.toUpperCase()}${who.slice(1)} ${m.pods.length === 1 ? 'asks' : 'ask'} ${m.foreign.join(', ')} instead of the cluster DNS`,
        message: `dnsPolicy ${m.policy}; nameservers ${m.nameservers.join(', ')}; the cluster DNS is ${expectedText}; ${m.reason}.`,
        evidence: m.evidence,
        remediation:
          m.policy === 'None'
            ? `if the pod needs cluster names, put ${dns.kubeletClusterDns[0] ?? expectedText} first in spec.dnsConfig.nameservers (or use dnsPolicy ClusterFirst with dnsConfig for extra options)`
            : m.policy === 'Default'
              ? 'use dnsPolicy ClusterFirst (or give kubelet the real upstream file as resolvConf: /run/systemd/resolve/resolv.conf)'
              : `make kubelet's clusterDNS ${dns.kubeletClusterDns[0] ?? expectedText} on the pod's node and recreate the pod; drop extra dnsConfig.nameservers`,
        commands: [`kubectl -n ${first.namespace} get pod ${first.name} -o jsonpath='{.spec.dnsPolicy} {.spec.dnsConfig}'`, `kubectl -n ${first.namespace} exec ${first.name} -- cat /etc/resolv.conf`],
        severity: m.severity,
        data: { dnsPolicy: m.policy, nameservers: m.nameservers, foreign: m.foreign, clusterDns: [...expected] },
      });
    }
  },
});

function ownerName(pod: Pod): string {
  const owner = pod.ownerReferences[0];
  if (!owner) return `${pod.namespace}/${pod.name}`;
  const name = owner.kind === 'ReplicaSet' ? owner.name.replace(/-[a-z0-9]{6,10}$/, '') : owner.name;
  return `${owner.kind === 'ReplicaSet' ? 'Deployment' : owner.kind} ${pod.namespace}/${name}`;
}

/** Evidence of the pod asking for cluster names: a cluster search domain, or an env value naming a Service. */
function needsClusterNames(dns: ClusterDns, pod: Pod, search: string[]): string | undefined {
  const domain = dns.clusterDomain.toLowerCase();
  const clusterSearch = search.find((s) => s.toLowerCase().replace(/\.$/, '').endsWith(domain));
  if (clusterSearch) return `its search list has ${clusterSearch}`;
  for (const container of pod.containers) {
    for (const env of container.env) {
      const value = env.value ?? '';
      if (new RegExp(`\\.svc(\\.${domain.replaceAll('.', '\\.')})?\\b`, 'i').test(value)) return `its environment names a cluster Service (${env.name}=${value})`;
    }
  }
  return undefined;
}

function mismatchOf(dns: ClusterDns, pod: Pod, expected: Set<string>): Mismatch | undefined {
  const policy = effectiveDnsPolicy(pod);
  const captured = dns.podResolvConfs.get(`${pod.namespace}/${pod.name}`);
  const positioned = captured
    ? captured.value.nameservers.map((n) => ({ address: n.address.split('%')[0]!, evidence: makeEvidence(captured.file, n.line, `nameserver ${n.address}`) }))
    : (pod.dnsConfig?.nameservers ?? []).map((address, i) => ({ address, evidence: pod.source.at(`spec.dnsConfig.nameservers[${i}]`, `dnsConfig nameserver ${address}`) }));
  if (positioned.length === 0) return undefined;
  // kubelet puts its clusterDNS before the dnsConfig nameservers of a ClusterFirst pod.
  const nameservers = [...(!captured && policy === 'ClusterFirst' ? dns.kubeletClusterDns : []), ...positioned.map((n) => n.address)];
  const foreign = positioned.filter((n) => !expected.has(n.address));
  if (foreign.length === 0) return undefined;
  const search = captured ? captured.value.search : (pod.dnsConfig?.searches ?? []);
  const policyEvidence = pod.source.at('spec.dnsPolicy', `dnsPolicy ${pod.dnsPolicy ?? 'ClusterFirst'}`);
  const evidence = [...foreign.slice(0, 2).map((n) => n.evidence), policyEvidence];
  const owner = pod.ownerReferences[0]?.name ?? pod.name;
  const key = `${pod.namespace}/${owner}/${policy}/${nameservers.join(',')}`;
  const loopback = foreign.filter((n) => n.address.startsWith('127.') || n.address === '::1');

  if (policy === 'Default') {
    if (pod.hostNetwork || loopback.length === 0 || !captured) return undefined;
    return {
      key,
      pods: [pod],
      policy,
      nameservers,
      foreign: loopback.map((n) => n.address),
      severity: 'warning',
      reason: `${loopback.map((n) => n.address).join(', ')} is the node's local resolver${loopback.some((n) => n.address === '127.0.0.53') ? ' (systemd-resolved\'s stub)' : ''}, copied into a pod with its own network namespace, where nothing listens: every lookup fails`,
      evidence,
    };
  }
  if (policy === 'None') {
    const need = needsClusterNames(dns, pod, search);
    const anyCluster = nameservers.some((n) => expected.has(n));
    if (anyCluster) {
      return { key, pods: [pod], policy, nameservers, foreign: foreign.map((n) => n.address), severity: 'info', reason: 'the cluster DNS comes first; the other servers are asked when it does not answer, and they answer cluster names NXDOMAIN', evidence };
    }
    return {
      key,
      pods: [pod],
      policy,
      nameservers,
      foreign: foreign.map((n) => n.address),
      severity: need ? 'warning' : 'info',
      reason: need
        ? `${need}, but no nameserver of the pod serves ${dns.clusterDomain}: Service names do not resolve in this pod`
        : `the pod chose its own resolvers (dnsPolicy None) and shows no use of cluster names; Service names would not resolve in it`,
      evidence,
    };
  }
  const first = foreign[0]!;
  const extra = nameservers[0] !== undefined && expected.has(nameservers[0]);
  return {
    key,
    pods: [pod],
    policy,
    nameservers,
    foreign: foreign.map((n) => n.address),
    severity: 'warning',
    reason: extra
      ? `${foreign.map((n) => n.address).join(', ')} follow the cluster DNS: whenever it is slow to answer, the resolver falls back to ${first.address}, which answers cluster names NXDOMAIN`
      : `kubelet writes its clusterDNS for ClusterFirst pods: ${first.address} means kubelet on ${pod.nodeName ?? 'its node'} has another clusterDNS${captured ? ', or the file was changed inside the pod' : ''}; cluster names resolve only if ${first.address} serves them`,
    evidence,
  };
}
