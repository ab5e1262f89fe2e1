import type { Evidence } from '../analyzer/bundle/source-file.js';
import { clusterDns, type CorednsScrape } from '../analyzer/dns/cluster-dns.js';
import { corednsTraffic, metricEvidence, RESPONSE_FAMILIES } from '../analyzer/dns/coredns-traffic.js';
import { parseQuantity } from '../analyzer/dns/parse-kubectl-top.js';
import { anyOf } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { dnsInputs } from './lib/dns-inputs.js';

/** Thresholds, each with the least traffic that makes it meaningful. */
const LOW_HIT_RATIO = 0.5;
const MIN_CACHE_LOOKUPS = 1000;
const FAILURE_SHARE = 0.01;
const MIN_RESPONSES = 1000;
const SLOW_P99_SECONDS = 0.1;
const MIN_LATENCY_COUNT = 1000;
const NEAR_LIMIT = 0.9;

interface Signal {
  text: string;
  evidence: Evidence[];
  key: string;
}

/**
 * CoreDNS is slow or failing by its own numbers: a low cache hit ratio, SERVFAIL or REFUSED
 * answers, a high 99th percentile of request latency (histogram, as histogram_quantile
 * computes it), a slow upstream (forward latency, failed health checks, max_concurrent
 * rejects), panics — or CoreDNS pods near their CPU or memory limit (`kubectl top` against
 * resources.limits: throttling, OOM kills). Counters are totals since each pod started, so
 * only ratios are judged, and only over enough traffic.
 */
export default defineRule({
  id: 'dns-slow',
  layer: 'dns',
  severity: 'warning',
  description: 'CoreDNS metrics show a low cache hit ratio, SERVFAIL/REFUSED, high latency, or CoreDNS near its CPU/memory limits',
  area: 'Cluster DNS',
  requires: [anyOf('coredns metrics|top', dnsInputs.corednsMetrics, dnsInputs.topPods)],
  optional: [dnsInputs.corednsMetrics, dnsInputs.topPods],
  check(ctx) {
    const model = ctx.model;
    const dns = clusterDns(model);
    const traffic = corednsTraffic(model);
    const signals: Signal[] = [];
    const first = traffic.scrapes[0];
    const scrapeEvidence = (scrape: CorednsScrape | undefined, families: string[], labels: Record<string, string>, note: string) =>
      scrape ? [metricEvidence(model, scrape, families, labels, note)].filter((e): e is Evidence => e !== undefined) : [];

    // Cache.
    const cache = traffic.cache;
    if (cache.hitRatio !== undefined && cache.lookups >= MIN_CACHE_LOOKUPS && cache.hitRatio < LOW_HIT_RATIO) {
      signals.push({
        key: 'cache',
        text: `cache hit ratio ${percent(cache.hitRatio)} (${cache.hits} hits of ${cache.lookups} lookups): most queries go to the kubernetes plugin or upstream`,
        evidence: [...scrapeEvidence(first, ['coredns_cache_hits_total'], { type: 'success' }, 'cache hits'), ...scrapeEvidence(first, ['coredns_cache_requests_total', 'coredns_cache_misses_total'], {}, 'cache lookups')],
      });
    }
    // Failing answers.
    if (traffic.responses >= MIN_RESPONSES) {
      for (const rcode of ['SERVFAIL', 'REFUSED']) {
        const count = traffic.byRcode[rcode] ?? 0;
        if (count / traffic.responses < FAILURE_SHARE) continue;
        signals.push({
          key: rcode,
          text: `${percent(count / traffic.responses)} of ${traffic.responses} answers are ${rcode} (${count})${rcode === 'SERVFAIL' ? ': upstreams failing or timing out' : ': queries for zones no server block serves'}`,
          evidence: scrapeEvidence(first, RESPONSE_FAMILIES, { rcode }, `${rcode} responses`),
        });
      }
    }
    // Latency and upstreams, per pod.
    for (const scrape of traffic.scrapes) {
      const m = scrape.value;
      const latency = m.latency;
      if (latency?.p99 !== undefined && latency.count >= MIN_LATENCY_COUNT && latency.p99 >= SLOW_P99_SECONDS) {
        signals.push({
          key: `latency/${scrape.pod}`,
          text: `${scrape.pod}: request latency p99 ${ms(latency.p99)}${latency.p50 !== undefined ? `, p50 ${ms(latency.p50)}` : ''} over ${latency.count} requests`,
          evidence: scrapeEvidence(scrape, [latency.metric], {}, 'request duration histogram'),
        });
      }
      const forward = m.forward;
      const fl = forward?.latency;
      if (fl?.p99 !== undefined && fl.count >= MIN_LATENCY_COUNT && fl.p99 >= SLOW_P99_SECONDS * 5) {
        signals.push({
          key: `forward/${scrape.pod}`,
          text: `${scrape.pod}: upstream${forward!.upstreams.length ? ` (${forward!.upstreams.join(', ')})` : ''} latency p99 ${ms(fl.p99)} over ${fl.count} forwarded queries`,
          evidence: scrapeEvidence(scrape, [fl.metric], {}, 'forward duration histogram'),
        });
      }
      for (const [fact, what] of [
        [forward?.healthcheckFailures, 'upstream health checks failed'],
        [forward?.maxConcurrentRejects, 'queries rejected by forward max_concurrent'],
        [m.panics, 'panics'],
      ] as const) {
        if (!fact || fact.value === 0) continue;
        const file = model.bundle.get(scrape.file);
        signals.push({ key: `${what}/${scrape.pod}`, text: `${scrape.pod}: ${fact.value} ${what}`, evidence: file ? [file.evidenceAtLine(fact.line, what)] : [] });
      }
    }
    // Near limits.
    const top = dns.top;
    if (top) {
      for (const pod of dns.coredns.pods) {
        const container = pod.containers.find((c) => c.name === 'coredns') ?? pod.containers[0];
        const limits = container?.resources?.limits ?? {};
        const usage = top.value.pods.filter((u) => u.pod === pod.name && (u.namespace === undefined || u.namespace === pod.namespace) && (u.container === undefined || u.container === container?.name));
        if (usage.length === 0) continue;
        const cpu = usage.reduce((sum, u) => sum + (u.cpuMillicores ?? 0), 0);
        const memory = usage.reduce((sum, u) => sum + (u.memoryBytes ?? 0), 0);
        const file = model.bundle.get(top.file);
        const cpuLimit = limits.cpu !== undefined ? parseQuantity(limits.cpu) : undefined;
        const memoryLimit = limits.memory !== undefined ? parseQuantity(limits.memory) : undefined;
        const index = pod.containers.indexOf(container!);
        if (memoryLimit && memory / memoryLimit >= NEAR_LIMIT) {
          signals.push({
            key: `memory/${pod.name}`,
            text: `${pod.name} uses ${mib(memory)} of its ${limits.memory} memory limit (${percent(memory / memoryLimit)}): close to being OOM-killed`,
            evidence: [...(file ? [file.evidenceAtLine(usage[0]!.line, `${pod.name}: ${mib(memory)}`)] : []), pod.source.at(`spec.containers[${index}].resources.limits.memory`, `limit ${limits.memory}`)],
          });
        }
        if (cpuLimit && cpu / (cpuLimit * 1000) >= NEAR_LIMIT) {
          signals.push({
            key: `cpu/${pod.name}`,
            text: `${pod.name} uses ${cpu}m CPU of its ${limits.cpu} limit (${percent(cpu / (cpuLimit * 1000))}): throttled, answers slow down`,
            evidence: [...(file ? [file.evidenceAtLine(usage[0]!.line, `${pod.name}: ${cpu}m`)] : []), pod.source.at(`spec.containers[${index}].resources.limits.cpu`, `limit ${limits.cpu}`)],
          });
        }
      }
    }

    const checked = [`${traffic.scrapes.length} CoreDNS scrape${traffic.scrapes.length === 1 ? '' : 's'}`, top ? 'kubectl top' : 'no kubectl top'];
    if (signals.length === 0) {
      ctx.setCoverage('checked', `${checked.join(', ')}: no problem found`);
      return;
    }
    const nx = traffic.responses > 0 ? (traffic.byRcode.NXDOMAIN ?? 0) / traffic.responses : 0;
    const context = nx >= 0.5 ? [`${percent(nx)} of the answers are NXDOMAIN (see dns-ndots-amplification)`] : [];
    const subject = dns.coredns.deployment?.ref ?? dns.coredns.service?.ref ?? 'Deployment/kube-system/coredns';
    ctx.report({
      subjects: [subject],
      title: `CoreDNS is slow or failing: ${signals.map((s) => s.key.split('/')[0]).filter((k, i, all) => all.indexOf(k) === i).join(', ')}`,
      message: `${[...signals.map((s) => s.text), ...context].join('; ')}.`,
      evidence: signals.flatMap((s) => s.evidence).slice(0, 8),
      remediation:
        'give CoreDNS room (more replicas, or the cluster-proportional autoscaler; raise the memory limit when near it), raise `cache` capacity/TTL and add `prefetch` for hot names, check the upstream resolvers behind `forward` for SERVFAIL and latency, and cut pointless lookups (ndots, NodeLocal DNSCache)',
      commands: ['kubectl -n kube-system top pods -l k8s-app=kube-dns', 'kubectl -n kube-system get --raw /api/v1/namespaces/kube-system/pods/<coredns-pod>:9153/proxy/metrics'],
      data: { signals: signals.map((s) => s.key), cacheHitRatio: cache.hitRatio, responses: traffic.responses, byRcode: traffic.byRcode },
    });
  },
});

function percent(share: number): string {
  return `${share < 0.1 ? (share * 100).toFixed(1) : Math.round(share * 100)}%`;
}

function ms(seconds: number): string {
  return seconds >= 1 ? `${seconds.toFixed(2)} s` : `${Math.round(seconds * 1000)} ms`;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}
