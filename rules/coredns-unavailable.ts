import type { Evidence } from '../analyzer/bundle/source-file.js';
import { clusterDns, type ClusterDns } from '../analyzer/dns/cluster-dns.js';
import { corefileHealth } from '../analyzer/dns/corefile-health.js';
import { usesClusterDns } from '../analyzer/dns/dns-clients.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type CauseRef, type RuleContext } from '../analyzer/engine/rule.js';
import type { Pod } from '../analyzer/kube/types.js';
import { dnsInputs } from './lib/dns-inputs.js';
import { listSome, plural } from './lib/list-text.js';
import { explainNotReady } from './lib/pod-readiness.js';

/**
 * The cluster DNS is down or degraded: the kube-dns Service has no ready endpoint (CoreDNS pods
 * missing, crash-looping, not Ready), some CoreDNS pods are not Ready, or there is no kube-dns
 * Service at all while pods resolve through it. NodeLocal DNSCache pods that are not Ready
 * take DNS down on their node. Causes are named: a fatal Corefile problem (corefile-problem),
 * each unready CoreDNS pod (pod-not-ready), a selector matching no pod (svc-no-endpoints).
 */
export default defineRule({
  id: 'coredns-unavailable',
  layer: 'dns',
  severity: 'critical',
  description: 'CoreDNS pods are missing or not Ready, or the kube-dns Service has no ready endpoints',
  area: 'Cluster DNS',
  requires: [inputs.pods, inputs.services],
  optional: [inputs.serviceEndpoints, inputs.configMaps, dnsInputs.corednsLogs],
  check(ctx) {
    const model = ctx.model;
    const dns = clusterDns(model);
    const service = dns.coredns.service;
    const pods = dns.coredns.pods;
    const clients = clientSummary(ctx, dns);
    const fatal = corefileHealth(model).problems.filter((p) => p.fatal);
    const corefileCause: CauseRef[] = fatal.length > 0 && dns.corefile ? [{ rule: 'corefile-problem', subject: dns.corefile.configMap.ref }] : [];
    const subjects = [service?.ref, dns.coredns.deployment?.ref].filter((s): s is string => s !== undefined);
    const commands = ['kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide', 'kubectl -n kube-system logs -l k8s-app=kube-dns --previous --tail=20', 'kubectl -n kube-system get endpointslices -l kubernetes.io/service-name=kube-dns'];

    if (!service) {
      if (clients.count === 0) return;
      // Every cluster runs something in kube-system; a bundle with no Service and no pod there
      // was cut down (a namespace-focused or hand-made capture), so absence proves nothing.
      const kube = model.kube;
      if (kube.podsInNamespace('kube-system').length === 0 && kube.servicesInNamespace('kube-system').length === 0) {
        ctx.setCoverage('partial', 'the bundle holds no pod or Service of kube-system: the cluster DNS cannot be judged');
        return;
      }
      const first = clients.first!;
      ctx.report({
        subjects: [...subjects, first.ref],
        title: pods.length === 0 ? 'No cluster DNS: no kube-dns Service and no CoreDNS pods' : 'No kube-dns Service in kube-system',
        message: `${clients.text} resolve names through the cluster DNS (dnsPolicy ClusterFirst), but kube-system has no kube-dns Service${pods.length === 0 ? ' and no pod labelled k8s-app=kube-dns' : ` (CoreDNS pods ${listSome(pods.map((p) => p.name), 3)} exist)`}: their lookups go to an address nothing answers.`,
        evidence: [first.source.at('spec.dnsPolicy', `pod ${first.name} resolves through the cluster DNS`)],
        remediation: 'deploy CoreDNS with its kube-dns Service (kubeadm: `kubeadm init phase addon coredns`), with the ClusterIP kubelet uses as clusterDNS',
        commands: ['kubectl -n kube-system get deploy,svc -l k8s-app=kube-dns', ...commands.slice(0, 1)],
        data: { clients: clients.count },
      });
      return;
    }

    const ready = dns.coredns.endpoints.filter((e) => e.ready);
    const unreadyPods = pods.filter((p) => !p.ready && !p.terminating);
    const podCauses: CauseRef[] = unreadyPods.map((p) => ({ rule: 'pod-not-ready', subject: p.ref }));
    if (ready.length === 0) {
      const sentences: string[] = [];
      if (pods.length === 0) sentences.push(`no pod in kube-system carries k8s-app=kube-dns: the kube-dns Service selects nothing`);
      else sentences.push(`${plural(pods.length, 'CoreDNS pod')}, none ready: ${pods.map((p) => `${p.name} (${podState(p)})`).join('; ')}`);
      const deployment = dns.coredns.deployment;
      if (deployment?.desired !== undefined) sentences.push(`Deployment ${deployment.name}: ${deployment.ready ?? 0} of ${deployment.desired} replicas ready`);
      for (const problem of fatal) sentences.push(`the Corefile is the cause: ${problem.title}`);
      if (clients.count > 0) {
        sentences.push(`${clients.text} resolve through kube-dns ${dns.coredns.serviceIPs.join(', ')}: kube-proxy rejects their queries (no endpoint), so every lookup fails at once (getaddrinfo EAI_AGAIN); names outside the cluster fail too`);
      }
      const evidence: Evidence[] = [service.source.at('spec.clusterIP', `kube-dns ${dns.coredns.serviceIPs.join(', ')}`)];
      evidence.push(...dns.coredns.endpoints.slice(0, 3).map((e) => e.evidence));
      for (const pod of unreadyPods.slice(0, 3)) evidence.push(...explainNotReady(pod).evidence.slice(0, 1));
      for (const problem of fatal) evidence.push(...problem.evidence.filter((e) => e.file.startsWith('logs/')).slice(0, 1));
      const causedBy = [...corefileCause, ...podCauses];
      if (pods.length === 0) causedBy.push({ rule: 'svc-no-endpoints', subject: service.ref });
      ctx.report({
        subjects,
        title: `Cluster DNS is down: kube-dns has no ready endpoint${pods.length > 0 ? ` (${unreadyPods.length} of ${pods.length} CoreDNS pods not Ready)` : ''}`,
        message: `${sentences.join('; ')}.`,
        evidence,
        remediation: fatal.length > 0 ? `fix the Corefile (see corefile-problem): ${fatal[0]!.remediation}` : 'get the CoreDNS pods Ready: read their logs and events (kubectl -n kube-system describe pod -l k8s-app=kube-dns)',
        commands,
        causedBy,
        data: { readyEndpoints: 0, endpoints: dns.coredns.endpoints.length, pods: pods.map((p) => p.ref), clients: clients.count, corefileProblems: fatal.map((p) => p.kind) },
      });
    } else if (unreadyPods.length > 0 || ready.length < dns.coredns.endpoints.length) {
      const unreadyEndpoints = dns.coredns.endpoints.filter((e) => !e.ready);
      const names = unreadyPods.length > 0 ? unreadyPods.map((p) => `${p.name} (${podState(p)})`) : unreadyEndpoints.map((e) => e.ip);
      const sentences = [
        `${ready.length} of ${dns.coredns.endpoints.length || pods.length} CoreDNS endpoints ready; not ready: ${names.join('; ')}`,
        'DNS still answers, with less capacity and no redundancy; queries are spread over the ready endpoints only',
      ];
      for (const problem of fatal) sentences.push(`the Corefile is the cause: ${problem.title}`);
      ctx.report({
        subjects,
        title: `CoreDNS degraded: ${plural(Math.max(unreadyPods.length, unreadyEndpoints.length), 'pod')} not Ready`,
        message: `${sentences.join('; ')}.`,
        evidence: [...unreadyEndpoints.slice(0, 3).map((e) => e.evidence), ...unreadyPods.slice(0, 3).flatMap((p) => explainNotReady(p).evidence.slice(0, 1))],
        remediation: 'get the unready CoreDNS pods Ready (logs, events, node); keep at least two replicas on different nodes',
        commands,
        severity: 'warning',
        causedBy: [...corefileCause, ...podCauses],
        data: { readyEndpoints: ready.length, endpoints: dns.coredns.endpoints.length, unreadyPods: unreadyPods.map((p) => p.ref) },
      });
    }

    reportNodeLocalDns(ctx, dns);
  },
});

function podState(pod: Pod): string {
  const why = explainNotReady(pod);
  const restarts = Math.max(0, ...pod.containerStatuses.map((s) => s.restartCount));
  return `${why.headline}${restarts > 0 ? `, ${plural(restarts, 'restart')}` : ''}`;
}

/** Pods that resolve through the cluster DNS, counted once (100,000 pods: one pass). */
function clientSummary(ctx: RuleContext, dns: ClusterDns): { count: number; text: string; first?: Pod } {
  let count = 0;
  let first: Pod | undefined;
  const namespaces = new Set<string>();
  for (const pod of ctx.model.kube.pods) {
    if (!usesClusterDns(dns, pod)) continue;
    count++;
    first ??= pod;
    namespaces.add(pod.namespace);
  }
  const text = `${plural(count, 'pod')} in ${plural(namespaces.size, 'namespace')}`;
  return first ? { count, text, first } : { count, text };
}

/** node-local-dns pods that are not Ready, on nodes whose pods are pointed at them. */
function reportNodeLocalDns(ctx: RuleContext, dns: ClusterDns): void {
  const nodeLocal = dns.nodeLocal;
  if (!nodeLocal) return;
  const onlyLocal = nodeLocal.addresses.filter((a) => !dns.coredns.serviceIPs.includes(a));
  const pointedAtCache = dns.kubeletClusterDns.some((a) => onlyLocal.includes(a));
  for (const pod of nodeLocal.pods) {
    if (pod.ready || pod.terminating || pod.nodeName === undefined) continue;
    const why = explainNotReady(pod);
    const consequence = pointedAtCache
      ? `pods on ${pod.nodeName} use ${onlyLocal.join(', ')} as nameserver, where nothing answers now: their lookups time out`
      : `on ${pod.nodeName} the kube-dns ClusterIP is still bound to node-local-dns's interface, so pods there may lose DNS until it recovers`;
    ctx.report({
      subjects: [nodeLocal.daemonSet?.ref ?? pod.ref, `Node/${pod.nodeName}`],
      title: `NodeLocal DNSCache is not Ready on ${pod.nodeName}: ${why.headline}`,
      message: `${pod.name}: ${why.details.join('; ')}; ${consequence}.`,
      evidence: why.evidence.slice(0, 2),
      remediation: 'read the node-local-dns pod\'s logs (it needs its dummy interface and iptables NOTRACK rules on the node) and get it Ready',
      commands: [`kubectl -n kube-system logs ${pod.name} --previous --tail=20`, `kubectl -n kube-system describe pod ${pod.name}`],
      severity: pointedAtCache ? 'critical' : 'warning',
      causedBy: [{ rule: 'pod-not-ready', subject: pod.ref }],
    });
  }
}
