/**
 * The answerer for simulateResolver(): what each query a pod's resolver sends meets, from the
 * bundle. A query first travels to its nameserver, then a DNS server answers it:
 *
 * 1. The path (nameserverPath): the kube-dns ClusterIP reaches CoreDNS only through a ready
 *    endpoint (none: kube-proxy rejects, the resolver sees ICMP port unreachable); NodeLocal
 *    DNSCache's address answers only on a node where a node-local-dns pod is Ready; the pod's
 *    egress policy (and the DNS pods' ingress) must allow UDP and TCP 53 — a denied query is
 *    dropped: TIMEOUT. 127.0.0.0/8 in a pod's own network namespace has nothing listening:
 *    port unreachable. Any other address is a server the bundle does not describe.
 * 2. The server: CoreDNS as its Corefile says (corefile-server.ts, kubernetes-records.ts),
 *    NodeLocal DNSCache as its own Corefile says (cluster names go on to CoreDNS), or a
 *    resolver outside the bundle.
 *
 * What a resolver outside the cluster answers is not known offline, and no address is made
 * up: such a reply carries the placeholder UNKNOWN_ADDRESS and says so. To follow the
 * resolver's search sequence the simulation assumes the usual: the name the user asked for
 * (and CNAME targets) exist; names formed with a search domain, and cluster names asked of an
 * outside resolver, do not (NXDOMAIN). Every such reply is marked `assumed`.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Pod, Protocol } from '../kube/types.js';
import { evaluateFlow } from '../policy/evaluate.js';
import type { FlowEndpoint } from '../policy/policy-types.js';
import { endpointForIp, podEndpoint } from '../policy/resolve-flow.js';
import { clusterDns, type ClusterDns } from './cluster-dns.js';
import { CorefileDnsServer, type ServerAnswer } from './corefile-server.js';
import type { ForwardPlugin } from './corefile-types.js';
import { inZone } from './dns-zone.js';
import { isLoopKind, resolveForward, type ForwardUpstream } from './forward-targets.js';
import type { RecordType } from './kubernetes-records.js';
import { absoluteName, type Answerer, type DnsQuery, type DnsReply, type ReplyCode } from './resolver-simulation.js';

/** The data of an address record whose value is not known offline. */
export const UNKNOWN_ADDRESS = '(unknown offline)';

/** A DNS server the simulation can ask. */
export interface DnsServerModel {
  label: string;
  answer(name: string, type: RecordType, depth?: number): ServerAnswer;
}

export type PathVerdict = { ok: true } | { ok: false; rcode: 'TIMEOUT' | 'UNREACHABLE'; reason: string };

export interface NameserverPath {
  address: string;
  role: 'kube-dns' | 'node-local-dns' | 'coredns-pod' | 'loopback' | 'pod' | 'node' | 'outside';
  /** In words: `kube-dns Service 10.96.0.10 → 2 ready CoreDNS endpoints`. */
  description: string;
  udp: PathVerdict;
  tcp: PathVerdict;
  /** Who answers a query that gets through. */
  server: DnsServerModel;
  notes: string[];
  evidence: Evidence[];
}

/** One query as it was answered. */
export interface AnsweredQuery {
  query: DnsQuery;
  reply: DnsReply;
  /** `CoreDNS via kube-dns 10.96.0.10`, `nobody (port unreachable)`. */
  answeredBy: string;
  steps: string[];
  evidence: Evidence[];
  /** The reply is an assumption about a server outside the bundle. */
  unknown?: ServerAnswer['unknown'];
}

export interface ClusterDnsAnswerer {
  answerer: Answerer;
  /** Every answered query, in sending order (index = the simulation's query index). */
  log: AnsweredQuery[];
  /** The path to each nameserver asked so far. */
  paths: Map<string, NameserverPath>;
}

export interface ClusterDnsAnswererOptions {
  /** The name the user looks up (assumed to exist when it leaves the cluster). */
  lookedUp: string;
}

/** An answer from a resolver outside the bundle, under the assumptions above. */
export function assumedOutsideAnswer(dns: ClusterDns, name: string, type: RecordType, lookedUp: string, from: string[], cnameTarget: boolean): ServerAnswer {
  const where = from.join(', ');
  const clusterName = inZone(name, `${dns.clusterDomain.toLowerCase()}.`);
  const asked = name === absoluteName(lookedUp).toLowerCase();
  // A single-label name (`cart.`) is no public name: only names with a domain are assumed to exist.
  const multiLabel = name.replace(/\.$/, '').includes('.');
  if (!clusterName && (cnameTarget || (asked && multiLabel))) {
    return {
      rcode: 'NOERROR',
      answers: type === 'SRV' ? [] : [{ name, type, data: UNKNOWN_ADDRESS }],
      steps: [`${where}, outside the bundle, answers ${name}: answer unknown offline (assumed to exist: it is the name ${cnameTarget ? 'a CNAME points at' : 'looked up'})`],
      evidence: [],
      unknown: { from, assumed: 'answer' },
    };
  }
  const why = clusterName ? `an outside resolver does not serve ${dns.clusterDomain}` : asked ? 'a single-label name is not a public name' : 'a search-domain candidate, assumed not to exist';
  return { rcode: 'NXDOMAIN', answers: [], steps: [`${where}, outside the bundle, answers ${name}: unknown offline, assumed NXDOMAIN (${why})`], evidence: [], unknown: { from, assumed: 'NXDOMAIN' } };
}

/** A resolver the bundle says nothing about. */
function outsideServer(dns: ClusterDns, label: string, lookedUp: string): DnsServerModel {
  return { label, answer: (name, type, depth = 0) => assumedOutsideAnswer(dns, name.toLowerCase(), type, lookedUp, [label], depth > 0) };
}

function upstreamLabel(upstreams: ForwardUpstream[]): string[] {
  return upstreams.map((u) => `${u.address}${u.port === 53 ? '' : `:${u.port}`}`);
}

/** CoreDNS answering through its Corefile; undefined when the Corefile was not collected. */
export function corednsServer(model: AnalysisModel, dns: ClusterDns, lookedUp: string): DnsServerModel | undefined {
  const corefile = dns.corefile;
  if (!corefile) return undefined;
  const ready = dns.coredns.endpoints.filter((e) => e.ready && e.pod).map((e) => e.pod!);
  const pods = ready.length > 0 ? ready : dns.coredns.pods;
  const server: CorefileDnsServer = new CorefileDnsServer({
    model,
    corefile,
    label: 'CoreDNS',
    port: dns.coredns.port,
    forward: (plugin: ForwardPlugin, name, type, depth) => {
      const resolution = resolveForward(dns, { role: 'coredns', pods, corefile }, plugin);
      const loops = resolution.upstreams.filter((u) => isLoopKind(u.kind));
      if (loops.length > 0) {
        const block = corefile.corefile.servers.find((s) => s.plugins.includes(plugin));
        const loopPlugin = block?.plugins.find((p) => p.kind === 'other' && p.name === 'loop');
        return {
          rcode: 'TIMEOUT',
          answers: [],
          steps: [
            `forward sends ${name} to ${upstreamLabel(loops).join(', ')}: ${loops[0]!.explanation}: a forwarding loop, the query circles back into CoreDNS until it times out`,
            loopPlugin
              ? `the loop plugin (Corefile line ${loopPlugin.directive.line}) detects this loop at start-up and makes CoreDNS exit`
              : 'without the loop plugin the loop goes unnoticed and eats CoreDNS CPU',
          ],
          evidence: loops.flatMap((u) => u.evidence),
        };
      }
      const from = resolution.upstreams.length > 0 ? upstreamLabel(resolution.upstreams) : resolution.missing.length > 0 ? [`the upstreams of ${plugin.targets.map((t) => t.raw).join(' ')} (${resolution.missing[0]})`] : ['no upstream'];
      const answer = assumedOutsideAnswer(dns, name, type, lookedUp, from, depth > 0);
      answer.steps.unshift(`forward (${plugin.policy}) sends ${name} upstream`);
      answer.evidence.push(...resolution.upstreams.flatMap((u) => u.evidence).slice(0, 3));
      return answer;
    },
  });
  return { label: 'CoreDNS', answer: (name, type, depth) => server.answer(name, type, depth) };
}

/** NodeLocal DNSCache on one node: its Corefile, cluster names forwarded on to CoreDNS. */
function nodeLocalServer(model: AnalysisModel, dns: ClusterDns, node: string, coredns: DnsServerModel | undefined, lookedUp: string): DnsServerModel {
  const label = `node-local-dns on ${node}`;
  const nodeLocal = dns.nodeLocal!;
  const readyEndpoints = dns.coredns.endpoints.filter((e) => e.ready).length;
  const toCoredns = (name: string, type: RecordType, depth: number, via: string): ServerAnswer => {
    if (readyEndpoints === 0) {
      return { rcode: 'SERVFAIL', answers: [], steps: [`${label} forwards ${name} to ${via}, which has no ready CoreDNS endpoint: SERVFAIL after its timeout`], evidence: dns.coredns.endpoints.map((e) => e.evidence).slice(0, 3) };
    }
    if (!coredns) return assumedOutsideAnswer(dns, name, type, lookedUp, [`CoreDNS via ${via} (Corefile not collected)`], depth > 0);
    const answer = coredns.answer(name, type, depth);
    return { ...answer, steps: [`${label} forwards ${name} to ${via}`, ...answer.steps] };
  };
  const corefile = nodeLocal.corefile;
  if (!corefile) {
    return {
      label,
      answer: (name, type, depth = 0) =>
        inZone(name, `${dns.clusterDomain}.`)
          ? toCoredns(name, type, depth, 'CoreDNS (node-local-dns ConfigMap not collected: its usual configuration assumed)')
          : assumedOutsideAnswer(dns, name, type, lookedUp, [`${label}'s upstreams (its ConfigMap was not collected)`], depth > 0),
    };
  }
  const pods = nodeLocal.pods.filter((p) => p.nodeName === node);
  const server = new CorefileDnsServer({
    model,
    corefile,
    label,
    port: 53,
    forward: (plugin, name, type, depth) => {
      const resolution = resolveForward(dns, { role: 'node-local-dns', pods, corefile }, plugin);
      const cluster = resolution.upstreams.find((u) => u.kind === 'cluster-dns');
      if (cluster) return toCoredns(name, type, depth, `${cluster.address} (${cluster.explanation})`);
      const from = resolution.upstreams.length > 0 ? upstreamLabel(resolution.upstreams) : [`the upstreams of ${plugin.targets.map((t) => t.raw).join(' ')} (${resolution.missing[0] ?? 'unknown'})`];
      return assumedOutsideAnswer(dns, name, type, lookedUp, from, depth > 0);
    },
  });
  return { label, answer: (name, type, depth) => server.answer(name, type, depth) };
}

const OK: PathVerdict = { ok: true };

/** The client's side of a flow: the pod, or its node for a hostNetwork pod. */
function clientEndpoint(model: AnalysisModel, client: Pod): FlowEndpoint {
  return podEndpoint(model, client);
}

/** Egress of the client and ingress of the destination, for UDP and TCP 53. */
function policyVerdicts(model: AnalysisModel, client: Pod, destinations: FlowEndpoint[], port: number): { udp: PathVerdict; tcp: PathVerdict; notes: string[]; evidence: Evidence[] } {
  const src = clientEndpoint(model, client);
  const notes: string[] = [];
  const evidence: Evidence[] = [];
  const judge = (protocol: Protocol): PathVerdict => {
    let denied = 0;
    const reasons: string[] = [];
    for (const dst of destinations) {
      const verdict = evaluateFlow(model, { src, dst, protocol, port }, { explain: true });
      if (verdict.verdict !== 'deny') continue;
      denied++;
      for (const direction of [verdict.egress, verdict.ingress]) {
        if (direction.verdict !== 'deny') continue;
        // Name the policies that isolate the pod, not an engine's end-of-tier default.
        const selecting = direction.considered.filter((c) => c.selects).map((c) => c.policy);
        const names = selecting.length > 0 ? selecting : direction.decidedBy.map((d) => d.policy);
        for (const name of names) if (!reasons.includes(`${direction.direction} ${name}`)) reasons.push(`${direction.direction} ${name}`);
        for (const rule of direction.decidedBy) if (evidence.length < 4) evidence.push(rule.evidence);
      }
    }
    if (destinations.length > 0 && denied === destinations.length) {
      return { ok: false, rcode: 'TIMEOUT', reason: `network policy drops ${protocol} 53 from ${client.namespace}/${client.name}${reasons.length ? ` (${reasons.join(', ')})` : ''}: the query is lost, the resolver waits out its timeout` };
    }
    if (denied > 0) notes.push(`network policy drops ${protocol} 53 to ${denied} of ${destinations.length} DNS endpoints: queries time out when kube-proxy picks one of them`);
    return OK;
  };
  return { udp: judge('UDP'), tcp: judge('TCP'), notes, evidence };
}

function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** What a query from `client` to `address` meets, and who answers it. */
export function nameserverPath(model: AnalysisModel, client: Pod, address: string, lookedUp: string, coredns?: DnsServerModel): NameserverPath {
  const dns = clusterDns(model);
  const core = coredns ?? corednsServer(model, dns, lookedUp);
  const corednsModel = core ?? outsideServer(dns, 'CoreDNS (its Corefile was not collected)', lookedUp);
  const nodeLocal = dns.nodeLocal;
  const node = client.nodeName;

  // NodeLocal DNSCache answers its addresses (the kube-dns ClusterIP too, in iptables mode) on nodes where it runs.
  if (nodeLocal?.addresses.includes(address)) {
    if (node !== undefined && nodeLocal.readyNodes.has(node)) {
      const policy = client.hostNetwork ? { udp: OK, tcp: OK, notes: [], evidence: [] } : policyVerdicts(model, client, [{ kind: 'external', ip: address }], 53);
      const notes = [...policy.notes];
      if (dns.coredns.serviceIPs.includes(address)) notes.push(`node-local-dns intercepts the kube-dns ClusterIP ${address} on ${node} (NOTRACK rules): policies see ${address} as the destination, not a CoreDNS pod`);
      return {
        address,
        role: 'node-local-dns',
        description: `NodeLocal DNSCache on ${node} (${address})`,
        udp: policy.udp,
        tcp: policy.tcp,
        server: nodeLocalServer(model, dns, node, core, lookedUp),
        notes,
        evidence: [...nodeLocal.pods.filter((p) => p.nodeName === node).map((p) => p.source.at('status.conditions', `node-local-dns pod ${p.name} on ${node}`)).slice(0, 1), ...policy.evidence],
      };
    }
    if (!dns.coredns.serviceIPs.includes(address)) {
      const down: PathVerdict = { ok: false, rcode: 'TIMEOUT', reason: `no Ready node-local-dns pod on node ${node ?? '(unscheduled)'}: nothing listens on ${address} there` };
      return { address, role: 'node-local-dns', description: `NodeLocal DNSCache address ${address}`, udp: down, tcp: down, server: corednsModel, notes: [], evidence: nodeLocal.pods.filter((p) => p.nodeName === node).map((p) => p.source.at('status.conditions', `node-local-dns pod ${p.name} not Ready`)) };
    }
  }

  const service = dns.coredns.service;
  if (service && dns.coredns.serviceIPs.includes(address)) {
    const ready = dns.coredns.endpoints.filter((e) => e.ready);
    const udpPort = service.ports.find((p) => p.protocol === 'UDP' && p.port === 53);
    const tcpPort = service.ports.find((p) => p.protocol === 'TCP' && p.port === 53);
    const description = `kube-dns Service ${address} → ${ready.length} ready CoreDNS endpoint${ready.length === 1 ? '' : 's'}${ready.length ? ` (${ready.map((e) => e.ip).join(', ')})` : ''}`;
    const evidence = [service.source.at('spec.clusterIP', `kube-dns ClusterIP ${address}`)];
    if (ready.length === 0) {
      evidence.push(...dns.coredns.endpoints.map((e) => e.evidence).slice(0, 3));
      const down: PathVerdict = {
        ok: false,
        rcode: 'UNREACHABLE',
        reason: dns.coredns.endpoints.length === 0 ? 'kube-dns has no endpoints: kube-proxy rejects the query (ICMP port unreachable)' : 'no kube-dns endpoint is ready: kube-proxy rejects the query (ICMP port unreachable)',
      };
      return { address, role: 'kube-dns', description, udp: down, tcp: down, server: corednsModel, notes: [], evidence };
    }
    const destinations = ready.map((e) => (e.pod ? podEndpoint(model, e.pod) : endpointForIp(model, e.ip)));
    const policy = policyVerdicts(model, client, destinations, dns.coredns.port);
    const noPort = (protocol: string): PathVerdict => ({ ok: false, rcode: 'TIMEOUT', reason: `kube-dns has no ${protocol} port 53: nothing forwards the query to CoreDNS` });
    return {
      address,
      role: 'kube-dns',
      description,
      udp: udpPort ? policy.udp : noPort('UDP'),
      tcp: tcpPort ? policy.tcp : noPort('TCP'),
      server: corednsModel,
      notes: policy.notes,
      evidence: [...evidence, ...policy.evidence],
    };
  }

  const corednsPod = dns.coredns.pods.find((p) => p.podIPs.includes(address));
  if (corednsPod) {
    const description = `CoreDNS pod ${corednsPod.name} (${address}), bypassing the kube-dns Service`;
    if (!corednsPod.ready) {
      const down: PathVerdict = { ok: false, rcode: 'UNREACHABLE', reason: `CoreDNS pod ${corednsPod.name} is not Ready (nothing answers on port 53)` };
      return { address, role: 'coredns-pod', description, udp: down, tcp: down, server: corednsModel, notes: [], evidence: [corednsPod.source.at('status.conditions', `pod ${corednsPod.name} not Ready`)] };
    }
    const policy = policyVerdicts(model, client, [podEndpoint(model, corednsPod)], dns.coredns.port);
    return { address, role: 'coredns-pod', description, udp: policy.udp, tcp: policy.tcp, server: corednsModel, notes: policy.notes, evidence: policy.evidence };
  }

  if (isLoopbackAddress(address)) {
    if (client.hostNetwork) {
      return { address, role: 'loopback', description: `${address} on node ${node ?? '?'}: the host's own resolver${address === '127.0.0.53' ? ' (systemd-resolved)' : ''}`, udp: OK, tcp: OK, server: outsideServer(dns, `the host resolver at ${address}`, lookedUp), notes: [], evidence: [] };
    }
    const down: PathVerdict = {
      ok: false,
      rcode: 'UNREACHABLE',
      reason: `${address} inside pod ${client.name}'s network namespace: nothing listens there${address === '127.0.0.53' ? ' (127.0.0.53 is the node\'s systemd-resolved stub, which is not in the pod)' : ''}: port unreachable`,
    };
    return { address, role: 'loopback', description: `${address} (loopback of the pod)`, udp: down, tcp: down, server: outsideServer(dns, address, lookedUp), notes: [], evidence: [] };
  }

  const endpoint = endpointForIp(model, address);
  const role: NameserverPath['role'] = endpoint.kind === 'pod' ? 'pod' : endpoint.kind === 'node' ? 'node' : 'outside';
  const description =
    endpoint.kind === 'pod' ? `pod ${endpoint.pod.namespace}/${endpoint.pod.name} (${address}), a DNS server the bundle does not describe` : endpoint.kind === 'node' ? `node ${endpoint.node?.name ?? address}` : `${address}, a resolver outside the cluster`;
  const policy = client.hostNetwork ? { udp: OK, tcp: OK, notes: [], evidence: [] } : policyVerdicts(model, client, [endpoint], 53);
  return { address, role, description, udp: policy.udp, tcp: policy.tcp, server: outsideServer(dns, address, lookedUp), notes: policy.notes, evidence: policy.evidence };
}

/** The answerer for a pod's lookups of `lookedUp`, and the log of what each query met. */
export function clusterDnsAnswerer(model: AnalysisModel, client: Pod, options: ClusterDnsAnswererOptions): ClusterDnsAnswerer {
  const dns = clusterDns(model);
  const coredns = corednsServer(model, dns, options.lookedUp);
  const paths = new Map<string, NameserverPath>();
  const log: AnsweredQuery[] = [];
  const pathTo = (address: string) => {
    let path = paths.get(address);
    if (!path) paths.set(address, (path = nameserverPath(model, client, address, options.lookedUp, coredns)));
    return path;
  };
  const answerer: Answerer = (query) => {
    const path = pathTo(query.nameserver.split('%')[0]!);
    const verdict = query.transport === 'tcp' ? path.tcp : path.udp;
    if (!verdict.ok) {
      const reply: DnsReply = { rcode: verdict.rcode, explanation: verdict.reason };
      log.push({ query, reply, answeredBy: 'nobody', steps: [verdict.reason], evidence: path.evidence });
      return reply;
    }
    const answer = path.server.answer(query.name.toLowerCase(), query.type);
    const reply: DnsReply = { rcode: answer.rcode as ReplyCode, answers: answer.answers.map((r) => ({ ...r, name: r.name === query.name.toLowerCase() ? query.name : r.name })), explanation: answer.steps.join('; ') };
    const entry: AnsweredQuery = { query, reply, answeredBy: path.server.label, steps: answer.steps, evidence: answer.evidence };
    if (answer.unknown) entry.unknown = answer.unknown;
    log.push(entry);
    return reply;
  };
  return { answerer, log, paths };
}
