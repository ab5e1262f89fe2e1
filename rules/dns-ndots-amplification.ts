import { isIP } from 'node:net';
import type { Evidence } from '../analyzer/bundle/source-file.js';
import { makeEvidence } from '../analyzer/bundle/source-file.js';
import { clusterDns, type ClusterDns } from '../analyzer/dns/cluster-dns.js';
import { corednsTraffic, metricEvidence, RESPONSE_FAMILIES, type CorednsTraffic } from '../analyzer/dns/coredns-traffic.js';
import { usesClusterDns } from '../analyzer/dns/dns-clients.js';
import { explainLookup, type LookupExplanation } from '../analyzer/dns/explain-lookup.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Pod } from '../analyzer/kube/types.js';
import { dnsInputs } from './lib/dns-inputs.js';
import { plural } from './lib/list-text.js';

/** At least this many NXDOMAIN answers to search-domain candidates of outside names in the logs. */
const LOG_THRESHOLD = 10;
/** Metrics: NXDOMAIN at least as frequent as NOERROR, over at least this many responses. */
const METRIC_MIN_RESPONSES = 1000;

interface ExampleName {
  name: string;
  source: string;
  client?: Pod;
  evidence: Evidence[];
}

/**
 * ndots:5 and the search list make each name with fewer dots try every search domain first: a
 * name outside the cluster costs (search domains + 1) × 2 queries with A and AAAA, all but the
 * last two answered NXDOMAIN. Reported when the traffic shows it — CoreDNS answers NXDOMAIN at
 * least as often as NOERROR (metrics), or its query log shows search-domain candidates of
 * outside names — with the query sequence of one outside name the cluster uses (from the
 * logs, the pods' environment, ExternalName targets or Ingress hosts, else a typical one) and
 * its cost, simulated for a pod that looks it up.
 */
export default defineRule({
  id: 'dns-ndots-amplification',
  layer: 'dns',
  severity: 'warning',
  description: 'ndots and the search list make external names cost many queries (with the query sequence for an example)',
  area: 'Cluster DNS',
  requires: [inputs.pods],
  optional: [dnsInputs.corednsMetrics, dnsInputs.corednsLogs, dnsInputs.podResolvConf, inputs.services],
  check(ctx) {
    const model = ctx.model;
    const dns = clusterDns(model);
    const traffic = corednsTraffic(model);
    if (traffic.scrapes.length === 0 && traffic.queries.length === 0) {
      ctx.setCoverage('checked', 'no CoreDNS metrics or query log: how often outside names are looked up is not known');
      return;
    }
    const fromLogs = externalCandidatesInLogs(model, dns, traffic);
    const nxdomain = traffic.byRcode.NXDOMAIN ?? 0;
    const noerror = traffic.byRcode.NOERROR ?? 0;
    const metricsShow = traffic.responses >= METRIC_MIN_RESPONSES && nxdomain >= noerror && nxdomain > 0;
    const logsShow = fromLogs.count >= LOG_THRESHOLD;
    if (!metricsShow && !logsShow) return;

    const example = fromLogs.example ?? exampleFromCluster(model, dns) ?? { name: 'api.example.com', source: 'a typical outside name (none found in the bundle)', evidence: [] };
    const client = example.client ?? representativeClient(ctx.model, dns);
    if (!client) return;
    const lookup = explainLookup(model, client, example.name);
    const ndots = lookup.config.options.ndots;
    const dots = example.name.split('.').length - 1;
    if (dots >= ndots || lookup.config.search.length === 0) return;
    const fqdn = explainLookup(model, client, `${example.name}.`);
    const wasted = lookup.queries.filter((q) => q.name.toLowerCase() !== `${example.name.toLowerCase()}.`);

    const sentences = [
      `${example.name} (${example.source}) has ${plural(dots, 'dot')}, fewer than ndots:${ndots}, so ${client.namespace}/${client.name}'s resolver (${lookup.libc}) tries the ${plural(lookup.config.search.length, 'search domain')} first: ${lookup.queries.length} queries, ${wasted.length} of them for names that do not exist (${describeSequence(lookup)})`,
      `written as ${example.name}. it costs ${fqdn.queries.length}`,
    ];
    if (traffic.responses > 0) {
      sentences.push(`CoreDNS answered NXDOMAIN ${nxdomain} times and NOERROR ${noerror} times (${percent(nxdomain / traffic.responses)} NXDOMAIN of ${traffic.responses} responses)`);
    }
    if (fromLogs.count > 0) sentences.push(`its query log shows ${plural(fromLogs.count, 'NXDOMAIN answer')} to search-domain candidates of outside names`);
    const hostSearch = lookup.config.search.filter((s) => !s.toLowerCase().replace(/\.$/, '').endsWith(dns.clusterDomain.toLowerCase()));
    if (hostSearch.length > 0) sentences.push(`the node adds ${hostSearch.join(', ')} to the search list, whose candidates CoreDNS forwards upstream`);

    const evidence: Evidence[] = [...example.evidence.slice(0, 2)];
    const scrape = traffic.scrapes[0];
    if (scrape) {
      const nx = metricEvidence(model, scrape, RESPONSE_FAMILIES, { rcode: 'NXDOMAIN' }, 'NXDOMAIN responses');
      if (nx) evidence.push(nx);
    }
    evidence.push(...searchEvidence(dns, client));
    if (evidence.length === 0) evidence.push(client.source.at('spec.dnsPolicy', `dnsPolicy ${client.dnsPolicy ?? 'ClusterFirst'}: ndots:${ndots}`));

    ctx.report({
      subjects: [client.ref],
      title: `Each lookup of ${example.name} costs ${lookup.queries.length} DNS queries (ndots:${ndots}, ${plural(lookup.config.search.length, 'search domain')})`,
      message: `${sentences.join('; ')}.`,
      evidence,
      remediation: `write outside names fully qualified with a trailing dot (${example.name}.), or lower ndots for pods that call outside names (spec.dnsConfig.options: [{name: ndots, value: "2"}]); NodeLocal DNSCache or CoreDNS's autopath plugin cut the cost of the remaining lookups`,
      commands: [`kubectl -n ${client.namespace} exec ${client.name} -- cat /etc/resolv.conf`, 'kubectl -n kube-system get configmap coredns -o yaml'],
      data: {
        example: example.name,
        exampleSource: example.source,
        client: client.ref,
        queries: lookup.queries.map((q) => `${q.name} ${q.type} ${q.reply.rcode}`),
        cost: lookup.queries.length,
        fqdnCost: fqdn.queries.length,
        nxdomain,
        responses: traffic.responses,
      },
    });
  },
});

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function describeSequence(lookup: LookupExplanation): string {
  const names = [...new Set(lookup.queries.map((q) => q.name))];
  return names.join(' → ');
}

/** The captured search line of the client, or its node's, as evidence of the search list. */
function searchEvidence(dns: ClusterDns, client: Pod): Evidence[] {
  const captured = dns.podResolvConfs.get(`${client.namespace}/${client.name}`);
  if (captured?.value.searchLine !== undefined) {
    return [makeEvidence(captured.file, captured.value.searchLine, `search ${captured.value.search.join(' ')}`, 'the pod\'s search list')];
  }
  const out: Evidence[] = [client.source.at('spec.dnsPolicy', `dnsPolicy ${client.dnsPolicy ?? 'ClusterFirst'}: kubelet writes ndots:5 and the cluster search domains`)];
  const node = client.nodeName !== undefined ? dns.nodeResolvConfs.get(client.nodeName) : undefined;
  if (node?.value.searchLine !== undefined && node.value.search.some((s) => s !== '.')) {
    out.push(makeEvidence(node.file, node.value.searchLine, `search ${node.value.search.join(' ')}`, 'search domains kubelet appends'));
  }
  return out;
}

function namespaceExists(model: AnalysisModel, name: string): boolean {
  return model.kube.namespace(name) !== undefined || model.kube.podsInNamespace(name).length > 0 || model.kube.servicesInNamespace(name).length > 0;
}

/** A multi-label name that is not a cluster name (`cart.shop`, `x.svc.cluster.local`) nor an IP. */
function isOutsideName(model: AnalysisModel, dns: ClusterDns, name: string): boolean {
  const bare = name.toLowerCase().replace(/\.$/, '');
  if (isIP(bare) !== 0 || !bare.includes('.')) return false;
  const labels = bare.split('.');
  const domain = dns.clusterDomain.toLowerCase();
  if (bare === domain || bare.endsWith(`.${domain}`)) return false;
  const last = labels.at(-1)!;
  if (last === 'svc' || last === 'pod' || namespaceExists(model, last)) return false;
  if (labels.length >= 2 && (labels.at(-2) === 'svc' || labels.at(-2) === 'pod')) return false;
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(bare);
}

/** NXDOMAIN query-log lines whose name is an outside name with a cluster search domain appended. */
function externalCandidatesInLogs(model: AnalysisModel, dns: ClusterDns, traffic: CorednsTraffic): { count: number; example?: ExampleName } {
  const domain = `${dns.clusterDomain.toLowerCase()}.`;
  const counts = new Map<string, { count: number; first: CorednsTraffic['queries'][number] }>();
  for (const entry of traffic.queries) {
    const q = entry.event.query!;
    if (q.rcode !== 'NXDOMAIN') continue;
    const name = q.name.toLowerCase();
    if (!name.endsWith(`.${domain}`)) continue;
    const rest = name.slice(0, -domain.length - 1);
    const labels = rest.split('.');
    // Strip `<ns>.svc`, `svc` or nothing: what remains is the name the application asked for.
    let base: string | undefined;
    if (labels.length >= 3 && labels.at(-1) === 'svc' && namespaceExists(model, labels.at(-2)!)) base = labels.slice(0, -2).join('.');
    else if (labels.at(-1) === 'svc') base = labels.slice(0, -1).join('.');
    else base = rest;
    if (!base || !isOutsideName(model, dns, base)) continue;
    const seen = counts.get(base);
    if (seen) seen.count++;
    else counts.set(base, { count: 1, first: entry });
  }
  let total = 0;
  let best: [string, { count: number; first: CorednsTraffic['queries'][number] }] | undefined;
  for (const entry of counts) {
    total += entry[1].count;
    if (!best || entry[1].count > best[1].count) best = entry;
  }
  if (!best) return { count: 0 };
  const [name, { count, first }] = best;
  const clientIP = first.event.query!.client?.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const client = clientIP ? model.kube.podsByIP(clientIP).find((p) => !p.hostNetwork) : undefined;
  const example: ExampleName = {
    name,
    source: `${plural(count, 'NXDOMAIN answer')} to its search-domain candidates in the CoreDNS query log`,
    evidence: [makeEvidence(first.file, first.event.line, first.event.message, `${first.pod}: ${first.event.query!.name} NXDOMAIN`)],
  };
  if (client) example.client = client;
  return { count: total, example };
}

const HOST_IN_VALUE = /(?:^|[/@=\s])([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)(?::\d+)?(?=[/?#\s]|$)/gi;

/** An outside name the cluster's pods use: their environment, ExternalName targets, Ingress hosts. */
function exampleFromCluster(model: AnalysisModel, dns: ClusterDns): ExampleName | undefined {
  const counts = new Map<string, { count: number; pod: Pod; evidence: Evidence }>();
  for (const pod of model.kube.pods) {
    if (!usesClusterDns(dns, pod)) continue;
    pod.containers.forEach((container, c) => {
      container.env.forEach((variable, e) => {
        if (variable.value === undefined) return;
        for (const match of variable.value.matchAll(HOST_IN_VALUE)) {
          const host = match[1]!.toLowerCase();
          if (!isOutsideName(model, dns, host)) continue;
          const seen = counts.get(host);
          if (seen) seen.count++;
          else counts.set(host, { count: 1, pod, evidence: pod.source.at(`spec.containers[${c}].env[${e}].value`, `${variable.name}=${variable.value}`) });
        }
      });
    });
  }
  let best: [string, { count: number; pod: Pod; evidence: Evidence }] | undefined;
  for (const entry of counts) if (!best || entry[1].count > best[1].count) best = entry;
  if (best) {
    const [name, { count, pod, evidence }] = best;
    return { name, source: `named in the environment of ${plural(count, 'pod container')}`, client: pod, evidence: [evidence] };
  }
  const external = model.kube.services.find((s) => s.type === 'ExternalName' && s.externalName && isOutsideName(model, dns, s.externalName));
  if (external) return { name: external.externalName!.replace(/\.$/, ''), source: `target of ExternalName Service ${external.namespace}/${external.name}`, evidence: [external.source.at('spec.externalName')] };
  for (const ingress of model.kube.ingresses) {
    const rule = ingress.rules.find((r) => r.host && !r.host.includes('*') && isOutsideName(model, dns, r.host));
    if (rule) return { name: rule.host!, source: `host of Ingress ${ingress.namespace}/${ingress.name}`, evidence: [ingress.source.at('spec.rules')] };
  }
  return undefined;
}

/** A pod that resolves through the cluster DNS, outside kube-system when there is one. */
function representativeClient(model: AnalysisModel, dns: ClusterDns): Pod | undefined {
  let fallback: Pod | undefined;
  for (const pod of model.kube.pods) {
    if (!usesClusterDns(dns, pod)) continue;
    if (pod.namespace !== 'kube-system') return pod;
    fallback ??= pod;
  }
  return fallback;
}
