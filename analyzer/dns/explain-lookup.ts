/**
 * A name's fate for one pod, end to end: the resolv.conf the pod reads, the libc whose
 * resolver runs, every query it sends (with time, nameserver, type), what each query meets on
 * the way and who answers it with what, the final answer or failure, and the worst-case time
 * (every timeout waited out). What `netdump dns` prints and the ndots rule quotes.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Pod } from '../kube/types.js';
import { clusterDns } from './cluster-dns.js';
import { corefileHealth } from './corefile-health.js';
import { libcOfPod } from './pod-libc.js';
import { podResolvConf, type PodResolvConf } from './pod-resolv-conf.js';
import { resolverConfigFor } from './parse-resolv-conf.js';
import type { ResolverConfig } from './resolver-config.js';
import type { AddressFamily, Libc, ResolverSimulation, SimulatedQuery } from './resolver-simulation.js';
import { clusterDnsAnswerer, UNKNOWN_ADDRESS, type AnsweredQuery, type NameserverPath } from './simulate-coredns.js';
import { simulateResolver } from './simulate-resolver.js';

export interface LookupOptions {
  /** Override the libc guessed from the pod's images. */
  libc?: Libc;
  family?: AddressFamily;
}

export interface ExplainedQuery extends SimulatedQuery {
  answeredBy: string;
  /** What happened to the query on the way and at the server. */
  steps: string[];
  /** The reply is an assumption about a server outside the bundle. */
  assumed?: 'answer' | 'NXDOMAIN';
  /** Servers outside the bundle the reply depends on. */
  unknownFrom?: string[];
}

export type LookupResult =
  /** `partlyUnknown`: some records (the AAAA answer, say) came from a resolver outside the bundle. */
  | { kind: 'resolved'; name: string; addresses: string[]; canonicalName?: string; partlyUnknown?: string[] }
  /** The answer comes from a resolver outside the bundle: what it says is not known offline. */
  | { kind: 'unknown'; name: string; from: string[]; knownAddresses: string[]; canonicalName?: string }
  | { kind: 'failed'; error: string; reason: string };

export interface LookupExplanation {
  client: Pod;
  name: string;
  libc: Libc;
  libcReason: string;
  resolvConf: PodResolvConf;
  config: ResolverConfig;
  nameservers: NameserverPath[];
  queries: ExplainedQuery[];
  simulation: ResolverSimulation;
  result: LookupResult;
  worstCaseMs: number;
  notes: string[];
}

export function explainLookup(model: AnalysisModel, client: Pod, name: string, options: LookupOptions = {}): LookupExplanation {
  const dns = clusterDns(model);
  const guess = libcOfPod(client);
  const libc = options.libc ?? guess.libc;
  const libcReason = options.libc ? `--libc ${options.libc}` : guess.reason;
  const resolvConf = podResolvConf(dns, client);
  const config = resolverConfigFor(resolvConf.resolvConf, libc);
  const { answerer, log, paths } = clusterDnsAnswerer(model, client, { lookedUp: name });
  const simulation = simulateResolver(name, config, answerer, { libc, ...(options.family ? { family: options.family } : {}) });

  const queries = simulation.queries.map((query, i) => explainQuery(query, log[i]));
  const nameservers = config.nameservers.map((ns) => paths.get(ns.split('%')[0]!)).filter((p): p is NameserverPath => p !== undefined);
  const notes = [...resolvConf.notes];
  for (const path of nameservers) notes.push(...path.notes);
  const assumed = queries.filter((q) => q.assumed !== undefined).length;
  if (assumed > 0) {
    notes.push(`${assumed} of ${queries.length} replies come from resolvers outside the bundle: they are assumptions (the name looked up exists; search-domain candidates do not)`);
  }
  notes.push(...conntrackRaceNotes(model, client, queries, nameservers, config.options.timeout));
  if (nameservers.some((n) => n.role === 'kube-dns' && !n.udp.ok && n.udp.rcode === 'UNREACHABLE')) notes.push(...corednsDownNotes(model));

  return {
    client,
    name,
    libc,
    libcReason,
    resolvConf,
    config,
    nameservers,
    queries,
    simulation,
    result: resultOf(simulation, queries),
    worstCaseMs: simulation.worstCaseMs,
    notes: [...new Set(notes)],
  };
}

function explainQuery(query: SimulatedQuery, answered: AnsweredQuery | undefined): ExplainedQuery {
  const explained: ExplainedQuery = { ...query, answeredBy: answered?.answeredBy ?? 'nobody', steps: answered?.steps ?? [] };
  if (answered?.unknown) {
    explained.assumed = answered.unknown.assumed;
    explained.unknownFrom = answered.unknown.from;
  }
  return explained;
}

function resultOf(simulation: ResolverSimulation, queries: ExplainedQuery[]): LookupResult {
  const outcome = simulation.outcome;
  if (outcome.status === 'failed') return { kind: 'failed', error: outcome.error, reason: outcome.reason };
  if (outcome.status === 'crashed') return { kind: 'failed', error: `the process dies of ${outcome.signal}`, reason: outcome.reason };
  const answering = queries.filter(
    (q) => q.name.toLowerCase() === outcome.answeredName.toLowerCase() && q.reply.rcode === 'NOERROR' && (q.reply.answers?.length ?? 0) > 0,
  );
  const knownAddresses = outcome.addresses.filter((a) => a !== UNKNOWN_ADDRESS);
  const unknownFrom = [...new Set(answering.filter((q) => q.assumed === 'answer').flatMap((q) => q.unknownFrom ?? []))];
  const canonical = outcome.canonicalName !== undefined ? { canonicalName: outcome.canonicalName } : {};
  const addresses = [...new Set(knownAddresses)];
  if (addresses.length === 0) return { kind: 'unknown', name: outcome.answeredName, from: unknownFrom, knownAddresses: [], ...canonical };
  const resolved: LookupResult = { kind: 'resolved', name: outcome.answeredName, addresses, ...canonical };
  if (unknownFrom.length > 0) resolved.partlyUnknown = unknownFrom;
  return resolved;
}

/** Why kube-dns has no ready endpoint: the CoreDNS pods' states, and a Corefile that stops CoreDNS. */
function corednsDownNotes(model: AnalysisModel): string[] {
  const dns = clusterDns(model);
  const notes: string[] = [];
  const pods = dns.coredns.pods;
  if (pods.length === 0) notes.push('no CoreDNS pod (k8s-app=kube-dns) in kube-system');
  for (const pod of pods.filter((p) => !p.ready)) {
    const status = pod.containerStatuses.find((s) => !s.ready);
    const state = status ? `${status.state.reason ?? status.state.kind}, ${status.restartCount} restarts` : 'not Ready';
    notes.push(`CoreDNS pod ${pod.name} is not Ready (${state})`);
  }
  for (const problem of corefileHealth(model).problems.filter((p) => p.fatal)) notes.push(`the Corefile is why: ${problem.title} (see corefile-problem)`);
  return notes;
}

/**
 * A and AAAA leaving together from one socket towards a Service with several endpoints race
 * in conntrack (kubernetes#56903): say so when the client's node shows the race's counters.
 */
function conntrackRaceNotes(model: AnalysisModel, client: Pod, queries: ExplainedQuery[], nameservers: NameserverPath[], timeoutSeconds: number): string[] {
  const dns = clusterDns(model);
  const stats = client.nodeName !== undefined ? dns.conntrack.get(client.nodeName) : undefined;
  if (!stats) return [];
  const failed = stats.value.totals.insert_failed ?? 0;
  if (failed === 0) return [];
  const racy = queries.some((q) => q.concurrent && q.transport === 'udp' && nameservers.some((n) => n.address === q.nameserver && n.role === 'kube-dns'));
  if (!racy) return [];
  const endpoints = dns.coredns.endpoints.filter((e) => e.ready).length;
  return [
    `A and AAAA leave together from one socket to kube-dns (${endpoints} ready endpoints); node ${client.nodeName} counts insert_failed=${failed} in ${stats.file}: one of the pair may be dropped, costing a ${timeoutSeconds} s resolver timeout — see dns-conntrack-race`,
  ];
}
