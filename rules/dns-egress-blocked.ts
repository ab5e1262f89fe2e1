import type { Evidence } from '../analyzer/bundle/source-file.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { anyOf, inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Pod, Service } from '../analyzer/kube/types.js';
import { evaluate } from '../analyzer/policy/evaluate.js';
import { networkPolicyIndex } from '../analyzer/policy/k8s-network-policy.js';
import { policySet } from '../analyzer/policy/policy-facet.js';
import type { FlowVerdict } from '../analyzer/policy/policy-types.js';
import { listSome, plural } from './lib/list-text.js';
import { explainDenial, type DenyingPolicy } from './lib/policy-denial.js';
import { policySubject } from './lib/policy-subject.js';
import { isFinished } from './lib/service-pods.js';
import { workloadOf } from './lib/workload-of.js';

/** Labels that differ per pod or revision; pods differing only in them are judged once. */
const VOLATILE = new Set(['pod-template-hash', 'controller-revision-hash', 'statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'pod-template-generation']);

/** Pods that policies cannot tell apart: same namespace, labels (volatile ones aside) and service account. */
function groupKey(pod: Pod): string {
  const labels = Object.entries(pod.labels)
    .filter(([k]) => !VOLATILE.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${pod.namespace}\u0000${pod.serviceAccountName ?? 'default'}\u0000${JSON.stringify(labels)}`;
}

/** Pods that send their DNS queries to the cluster DNS Service. */
function usesClusterDns(pod: Pod): boolean {
  if (pod.hostNetwork || isFinished(pod) || pod.podIPs.length === 0) return false;
  return pod.dnsPolicy === undefined || pod.dnsPolicy === 'ClusterFirst' || pod.dnsPolicy === 'ClusterFirstWithHostNet';
}

function clusterDnsService(model: AnalysisModel): Service | undefined {
  const kube = model.kube;
  return kube.service('kube-system', 'kube-dns') ?? kube.servicesInNamespace('kube-system').find((s) => s.selector?.['k8s-app'] === 'kube-dns');
}

interface Blocked {
  pods: Pod[];
  udp: FlowVerdict;
  tcp: FlowVerdict;
  udpBlocked: boolean;
  tcpBlocked: boolean;
}

const isBlocked = (verdict: FlowVerdict) => verdict.verdict === 'deny' || (verdict.backends ?? []).some((b) => b.verdict.verdict === 'deny');

/**
 * Pods that cannot reach the cluster DNS: their namespace's policies isolate their egress (or
 * the DNS pods' ingress) and no rule allows UDP 53 (and TCP 53, which resolvers use for large
 * answers) to the kube-dns endpoints. Judged by evaluating those flows with the policy engine,
 * once per group of pods the policies cannot tell apart, not by looking for a DNS rule.
 */
export default defineRule({
  id: 'dns-egress-blocked',
  layer: 'dns',
  severity: 'critical',
  description: 'NetworkPolicy egress does not allow UDP and TCP 53 to the cluster DNS pods',
  area: 'Network policies',
  requires: [inputs.pods, inputs.services, anyOf('network policies', inputs.networkPolicies, inputs.calicoResources, inputs.ciliumResources)],
  optional: [inputs.serviceEndpoints, inputs.namespaces],
  check(ctx) {
    const model = ctx.model;
    const kube = model.kube;
    const set = policySet(model);
    if (set.engine.kind === 'none') {
      ctx.setCoverage('checked', `policies are not enforced by ${set.engine.cni}: nothing blocks DNS`);
      return;
    }
    const dns = clusterDnsService(model);
    if (!dns) {
      ctx.setCoverage('partial', 'no kube-dns Service in kube-system: the cluster DNS could not be found');
      return;
    }
    const dnsRef = `svc/${dns.namespace}/${dns.name}`;
    const dnsPods = new Set(kube.podsOfService(dns));
    // Without AdminNetworkPolicies or CNI-specific policies, and while no policy isolates the
    // DNS pods' ingress, a pod's DNS verdict depends only on its namespace and the
    // NetworkPolicies that isolate its egress: pods no policy isolates are skipped, and the
    // others judged once per (namespace, set of selecting policies).
    const index = networkPolicyIndex(model);
    const adminCount = set.admin.admin.length + set.admin.baseline.length;
    const dnsIngressIsolated = [...dnsPods].some((p) => index.selecting(p, 'ingress').length > 0);
    const onlyKubernetesPolicies =
      set.engine.kind === 'kubernetes' || (set.engine.kind === 'calico' && model.bundle.list('cluster/calico/').length === 0);
    const cheap = onlyKubernetesPolicies && adminCount === 0 && !dnsIngressIsolated;

    const groups = new Map<string, Pod[]>();
    for (const pod of kube.pods) {
      if (!ctx.inScope(pod.namespace) || dnsPods.has(pod) || !usesClusterDns(pod)) continue;
      let key: string;
      if (cheap) {
        const selecting = index.selecting(pod, 'egress');
        if (selecting.length === 0) continue;
        key = `${pod.namespace}\u0000${selecting.map((p) => p.id).join('\u0000')}`;
      } else {
        key = groupKey(pod);
      }
      const list = groups.get(key);
      if (list) list.push(pod);
      else groups.set(key, [pod]);
    }

    const query = (pod: Pod, protocol: 'UDP' | 'TCP', explain: boolean) =>
      evaluate(model, { from: `pod/${pod.namespace}/${pod.name}`, to: dnsRef, port: 53, protocol }, { explain });
    const blockedByNamespace = new Map<string, Blocked[]>();
    let judged = 0;
    for (const pods of groups.values()) {
      const pod = pods[0]!;
      judged++;
      const udp = query(pod, 'UDP', false);
      const tcp = query(pod, 'TCP', false);
      if (udp.verdict === 'unknown' && udp.backends === undefined) {
        // No ready DNS endpoint (or no DNS port): the DNS rules say so; nothing to judge here.
        ctx.setCoverage('partial', `${dns.namespace}/${dns.name}: ${udp.notes[0] ?? 'no ready endpoint'}`);
        return;
      }
      const udpBlocked = isBlocked(udp);
      const tcpBlocked = isBlocked(tcp);
      if (!udpBlocked && !tcpBlocked) continue;
      const entry: Blocked = { pods, udp: udpBlocked ? query(pod, 'UDP', true) : udp, tcp: tcpBlocked ? query(pod, 'TCP', true) : tcp, udpBlocked, tcpBlocked };
      const list = blockedByNamespace.get(pod.namespace);
      if (list) list.push(entry);
      else blockedByNamespace.set(pod.namespace, [entry]);
    }

    for (const [ns, blocked] of blockedByNamespace) {
      const udpCount = blocked.filter((b) => b.udpBlocked).length;
      const podCount = blocked.reduce((n, b) => n + b.pods.length, 0);
      const workloads = [...new Set(blocked.flatMap((b) => b.pods.map((p) => workloadOf(p))).map((w) => `${w.kind} ${w.name}`))];
      const policies = new Map<string, DenyingPolicy>();
      const sentences: string[] = [];
      blocked.forEach((b, i) => {
        const pod = b.pods[0]!;
        const verdict = b.udpBlocked ? b.udp : b.tcp;
        const denial = explainDenial(model, verdict, { src: `${pod.namespace}/${pod.name}`, dst: `the ${dns.name} endpoints`, port: b.udpBlocked ? '53/UDP' : '53/TCP' });
        for (const p of denial.policies) if (!policies.has(p.policy)) policies.set(p.policy, p);
        // One example says why; the other groups are usually blocked by the same policies.
        if (i > 0) return;
        sentences.push(...denial.sentences);
        if (verdict.verdict !== 'deny') sentences.push(`(denied to ${verdict.backends!.filter((x) => x.verdict.verdict === 'deny').length} of the ${verdict.backends!.length} DNS endpoints)`);
      });
      if (blocked.length > 1) sentences.push(`the other ${plural(blocked.length - 1, 'group')} of pods are denied the same way`);
      const what =
        udpCount > 0
          ? blocked.every((b) => b.udpBlocked && b.tcpBlocked)
            ? 'UDP 53 and TCP 53'
            : 'UDP 53'
          : 'TCP 53 (UDP 53 is allowed)';
      const effect =
        udpCount > 0
          ? 'every name lookup in these pods times out (5 s per attempt), so calls by Service name fail'
          : 'lookups whose answers do not fit in UDP (truncated, retried over TCP) fail, as do clients that use TCP for DNS';
      const refs = [...new Set([...policies.values()].map((p) => p.policy).filter((ref) => !/^(Tier|Profile|Pod)\//.test(ref)).map(policySubject))];
      const evidence: Evidence[] = [...policies.values()].slice(0, 6).map((p) => ({ ...p.evidence, note: `${p.policy}: ${p.why}` }));
      const example = blocked[0]!.pods[0]!;
      ctx.report({
        severity: udpCount > 0 ? 'critical' : 'warning',
        subjects: [`Namespace/${ns}`, ...refs],
        title: `Pods in ${ns} cannot reach the cluster DNS: ${what} to ${dns.namespace}/${dns.name} denied`,
        message: `${plural(podCount, 'pod')} of ${listSome(workloads, 4)} in namespace ${ns} have ${what} to the ${dns.namespace}/${dns.name} endpoints denied by network policy: ${effect}; ${sentences.join('; ')}.`,
        evidence: evidence.length > 0 ? evidence : [example.source.at('metadata.namespace', `pod ${example.name}`)],
        remediation: `allow DNS in ${ns}'s egress policies: an egress rule to {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}} with ports UDP 53 and TCP 53 (CoreDNS listens on 53 after the Service's DNAT)`,
        commands: [
          `kubectl -n ${ns} get networkpolicies`,
          `netdump policy <bundle> --from ${example.namespace}/${example.name} --to ${dnsRef} --port 53/udp`,
          `kubectl -n ${ns} exec ${example.name} -- nslookup kubernetes.default`,
        ],
        data: {
          namespace: ns,
          udpBlocked: udpCount > 0,
          tcpBlocked: blocked.some((b) => b.tcpBlocked),
          pods: blocked.flatMap((b) => b.pods.map((p) => p.ref)),
          policies: refs,
        },
      });
    }
    ctx.setCoverage('checked', `${plural(judged, 'group')} of pods judged against ${dns.namespace}/${dns.name}`);
  },
});
