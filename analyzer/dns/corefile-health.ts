/**
 * What in the CoreDNS Corefile keeps CoreDNS from serving cluster names, with the lines that
 * prove it. Shared by `corefile-problem` (which reports them) and `coredns-unavailable`
 * (which names the fatal ones as the cause of CoreDNS being down).
 *
 * - forward-loop: a `forward` upstream that leads back to CoreDNS (127.0.0.0/8 inside the pod,
 *   the kube-dns Service, a CoreDNS pod). With the `loop` plugin CoreDNS exits at start-up
 *   ("[FATAL] plugin/loop: Loop ... detected"): CrashLoopBackOff. An upstream read from a
 *   node's systemd-resolved stub is only a suspicion (kubeadm gives kubelet the real
 *   /run/systemd/resolve/resolv.conf), so it counts when the logs show the loop or CoreDNS is
 *   crash-looping, or when no `loop` plugin would reveal it.
 * - loop-detected: the loop plugin's FATAL line, when the Corefile alone does not show why.
 * - config-error: CoreDNS refused the Corefile (`Corefile:N - Error during parsing`), or the
 *   parser finds what makes CoreDNS refuse to start (syntax, unknown plugin or property).
 * - no-kubernetes / domain-mismatch: no kubernetes plugin serves the cluster domain that pods
 *   search (captured resolv.conf files, kubelet's clusterDomain, the manifest).
 */
import { makeEvidence, type Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Pod } from '../kube/types.js';
import { clusterDns, corefileClusterDomain, type ClusterDns } from './cluster-dns.js';
import type { CorefileInConfigMap } from './corefile-from-configmap.js';
import type { CorefileServer, ForwardPlugin } from './corefile-types.js';
import { inZone } from './dns-zone.js';
import { isLoopKind, resolveForward, type ForwardUpstream } from './forward-targets.js';
import type { CorednsLogEvent } from './parse-coredns-logs.js';

export const COREFILE_HEALTH_FACET = 'dns.corefile-health';

export type CorefileProblemKind = 'forward-loop' | 'loop-detected' | 'config-error' | 'no-kubernetes' | 'domain-mismatch';

export interface CorefileProblem {
  kind: CorefileProblemKind;
  /** CoreDNS exits or refuses to start because of it. */
  fatal: boolean;
  title: string;
  /** Sentences, most telling first. */
  details: string[];
  evidence: Evidence[];
  /** CoreDNS pods it takes down (their logs show it, or they crash-loop with it in the Corefile). */
  pods: Pod[];
  remediation: string;
  data: Record<string, unknown>;
}

export interface CorefileHealth {
  corefile?: CorefileInConfigMap;
  problems: CorefileProblem[];
  /** The domain pods search, and where it was read, when the bundle tells. */
  expectedDomain?: { domain: string; source: string; evidence?: Evidence };
}

export function corefileHealth(model: AnalysisModel): CorefileHealth {
  return model.facet(COREFILE_HEALTH_FACET, build);
}

interface LogHit {
  pod: string;
  file: string;
  event: CorednsLogEvent;
}

function corednsLogHits(dns: ClusterDns, kind: CorednsLogEvent['kind']): LogHit[] {
  // One hit per pod: its current container's log, else the log of the instance before the last
  // restart (`.previous.log`), where a container that crashes at start-up said why.
  const byPod = new Map<string, LogHit>();
  for (const log of [...dns.logs].sort((a, b) => Number(a.previous) - Number(b.previous))) {
    if (/^(node-local-dns|nodelocaldns)-/.test(log.pod)) continue;
    const key = `${log.namespace}/${log.pod}`;
    if (byPod.has(key)) continue;
    const event = log.value.events.find((e) => e.kind === kind);
    if (event) byPod.set(key, { pod: log.pod, file: log.file, event });
  }
  return [...byPod.values()];
}

function logEvidence(hit: LogHit, note: string): Evidence {
  return makeEvidence(hit.file, hit.event.line, `${hit.event.level ? `[${hit.event.level}] ` : ''}${hit.event.plugin ? `plugin/${hit.event.plugin}: ` : ''}${hit.event.message}`, note);
}

function isCrashLooping(pod: Pod): boolean {
  return pod.containerStatuses.some((s) => s.state.reason === 'CrashLoopBackOff' || (s.restartCount > 0 && !s.ready));
}

function crashEvidence(pod: Pod): Evidence {
  const status = pod.containerStatuses.find((s) => !s.ready) ?? pod.containerStatuses[0];
  if (!status) return pod.source.at('status', `pod ${pod.name}`);
  const reason = status.state.reason ?? status.state.kind;
  return pod.source.at(`status.containerStatuses[${status.index}].state.${status.state.kind}${status.state.reason ? '.reason' : ''}`, `${pod.name}: ${reason}, ${status.restartCount} restarts`);
}

function build(model: AnalysisModel): CorefileHealth {
  const dns = clusterDns(model);
  const corefile = dns.corefile;
  const health: CorefileHealth = { problems: [] };
  const expected = expectedDomain(model, dns);
  if (expected) health.expectedDomain = expected;
  if (!corefile) return health;
  health.corefile = corefile;
  const configMapRef = corefile.configMap.ref;
  const corePods = dns.coredns.pods;
  const crashing = corePods.filter(isCrashLooping);
  const loopHits = corednsLogHits(dns, 'loop-detected');
  const podsNamed = (names: string[]) => corePods.filter((p) => names.includes(p.name));

  // --- forwarding loops ---
  let loopExplained = false;
  for (const server of corefile.corefile.servers) {
    if (!server.addresses.some((a) => a.port === dns.coredns.port)) continue;
    const loopPlugin = server.plugins.find((p) => p.kind === 'other' && p.name === 'loop');
    for (const plugin of server.plugins) {
      if (plugin.kind !== 'forward' && plugin.kind !== 'proxy') continue;
      const resolution = resolveForward(dns, { role: 'coredns', pods: corePods, corefile }, plugin);
      const loops = resolution.upstreams.filter((u) => isLoopKind(u.kind));
      if (loops.length === 0) continue;
      const certain = loops.some((u) => u.certainty === 'certain');
      const zoneHits = loopHits.filter((h) => (h.event.loop?.zone ?? '.') === plugin.from.replace(/(.)\.$/, '$1') || h.event.loop?.zone === plugin.from);
      const confirmedByLogs = zoneHits.length > 0;
      if (!certain && !confirmedByLogs && crashing.length === 0 && loopPlugin) continue;
      loopExplained ||= confirmedByLogs;
      health.problems.push(forwardLoopProblem(corefile, server, plugin, loops, !!loopPlugin, loopPlugin?.directive.line, zoneHits, crashing, podsNamed(zoneHits.map((h) => h.pod)), certain || confirmedByLogs, configMapRef));
    }
  }
  if (loopHits.length > 0 && !loopExplained) {
    const first = loopHits[0]!.event.loop;
    health.problems.push({
      kind: 'loop-detected',
      fatal: true,
      title: `CoreDNS detected a forwarding loop and exits (${loopHits.length} pod${loopHits.length === 1 ? '' : 's'})`,
      details: [
        `the loop plugin saw its own probe come back (${first ? `${first.from} -> ${first.to}, zone "${first.zone}"` : 'see the log line'}) and stopped CoreDNS`,
        'the bundle does not show which upstream loops: read the CoreDNS pods\' /etc/resolv.conf and the forward targets of the Corefile',
      ],
      evidence: loopHits.slice(0, 3).map((h) => logEvidence(h, `loop detected in ${h.pod}`)),
      pods: podsNamed(loopHits.map((h) => h.pod)),
      remediation: 'make `forward` point at resolvers outside the cluster (for example the node\'s real upstreams: `forward . /run/systemd/resolve/resolv.conf` or explicit addresses), or give kubelet resolvConf: /run/systemd/resolve/resolv.conf',
      data: { configMap: configMapRef, loops: loopHits.map((h) => ({ pod: h.pod, ...h.event.loop })) },
    });
  }

  // --- CoreDNS refuses the Corefile ---
  const configErrors = corednsLogHits(dns, 'config-error');
  const fatalIssues = dns.corefileIssues.filter((i) => i.severity !== 'warning' || /refuses to start|Unknown directive/.test(i.message));
  if (configErrors.length > 0 || fatalIssues.length > 0) {
    const evidence: Evidence[] = [
      ...fatalIssues.slice(0, 3).map((i) => makeEvidence(i.file, i.line, i.text ?? '', i.message)),
      ...configErrors.slice(0, 2).map((h) => logEvidence(h, `${h.pod} rejected the Corefile`)),
    ];
    health.problems.push({
      kind: 'config-error',
      fatal: true,
      title: configErrors.length > 0 ? 'CoreDNS refuses its Corefile' : 'CoreDNS would refuse this Corefile',
      details: [...fatalIssues.slice(0, 3).map((i) => i.message), ...configErrors.slice(0, 2).map((h) => `${h.pod} logged: ${h.event.message}`)],
      evidence,
      pods: podsNamed(configErrors.map((h) => h.pod)).concat(configErrors.length === 0 ? crashing : []),
      remediation: `fix the Corefile in ConfigMap ${corefile.configMap.namespace}/${corefile.configMap.name} at the lines named (CoreDNS reloads it, or restart the pods: kubectl -n kube-system rollout restart deployment coredns)`,
      data: { configMap: configMapRef, issues: fatalIssues.map((i) => ({ line: i.line, message: i.message })) },
    });
  }

  // --- the cluster domain ---
  const servedDomain = corefileClusterDomain(corefile);
  const domain = expected?.domain ?? dns.clusterDomain;
  const kubernetes = corefile.corefile.servers
    .filter((s) => s.addresses.some((a) => a.port === dns.coredns.port))
    .flatMap((s) => s.plugins.filter((p) => p.kind === 'kubernetes').map((p) => ({ server: s, plugin: p })));
  const serves = kubernetes.some(({ plugin }) => plugin.kind === 'kubernetes' && plugin.zones.some((z) => inZone(`${domain}.`, z) && z !== '.'));
  if (kubernetes.length === 0) {
    health.problems.push({
      kind: 'no-kubernetes',
      fatal: false,
      title: `The Corefile has no kubernetes plugin: cluster names (${domain}) are not served`,
      details: [`no server block on port ${dns.coredns.port} runs the kubernetes plugin, so <service>.<namespace>.svc.${domain} is forwarded upstream and comes back NXDOMAIN`],
      evidence: [corefile.evidence(corefile.corefile.servers[0]?.line ?? 1, 'server block without kubernetes')],
      pods: [],
      remediation: `add \`kubernetes ${domain} in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa ip6.arpa }\` to the .:53 block`,
      data: { configMap: configMapRef, clusterDomain: domain },
    });
  } else if (!serves && expected) {
    const first = kubernetes[0]!.plugin;
    health.problems.push({
      kind: 'domain-mismatch',
      fatal: false,
      title: `CoreDNS serves ${servedDomain ?? first.zones.join(' ')}, but pods search ${expected.domain}`,
      details: [
        `${expected.source} says the cluster domain is ${expected.domain}`,
        `the kubernetes plugin (Corefile line ${first.directive.line}) serves ${first.zones.join(' ')}: every <service>.<namespace>.svc.${expected.domain} lookup is forwarded upstream and fails`,
      ],
      evidence: [corefile.evidence(first.directive.line, `kubernetes ${first.zones.join(' ')}`), ...(expected.evidence ? [expected.evidence] : [])],
      pods: [],
      remediation: `make the kubernetes plugin's zone equal to kubelet's clusterDomain (${expected.domain}), or kubelet's clusterDomain equal to the Corefile's`,
      data: { configMap: configMapRef, served: first.zones, expected: expected.domain },
    });
  }
  return health;
}

function forwardLoopProblem(
  corefile: CorefileInConfigMap,
  server: CorefileServer,
  plugin: ForwardPlugin,
  loops: ForwardUpstream[],
  hasLoopPlugin: boolean,
  loopLine: number | undefined,
  hits: LogHit[],
  crashing: Pod[],
  loggedPods: Pod[],
  confirmed: boolean,
  configMapRef: string,
): CorefileProblem {
  const upstreamText = loops.map((u) => `${u.address} (${u.via})`).join(', ');
  const details = [
    `\`${plugin.kind} ${plugin.directive.args.join(' ')}\` (Corefile line ${plugin.directive.line}) sends queries to ${upstreamText}`,
    loops[0]!.explanation,
  ];
  if (hasLoopPlugin) {
    details.push(
      hits.length > 0
        ? `the loop plugin detected it: ${hits.length} CoreDNS pod${hits.length === 1 ? '' : 's'} logged "[FATAL] plugin/loop: Loop (...) detected" and exited${crashing.length > 0 ? `; ${crashing.map((p) => p.name).join(', ')} ${crashing.length === 1 ? 'is' : 'are'} in CrashLoopBackOff` : ''}`
        : `the loop plugin (Corefile line ${loopLine}) makes CoreDNS exit when it sees this loop${crashing.length > 0 ? `: ${crashing.map((p) => p.name).join(', ')} crash-loop` : ''}`,
    );
  } else {
    details.push('there is no loop plugin: CoreDNS keeps running and every forwarded query circles until it times out');
  }
  if (!confirmed) details.push('the upstream comes from the node\'s /etc/resolv.conf; kubelet may give CoreDNS another file (its resolvConf setting), so check the pods\' /etc/resolv.conf');
  const nodeStub = loops.some((u) => u.address.startsWith('127.0.0.5'));
  const evidence: Evidence[] = [
    corefile.evidence(plugin.directive.line, `${plugin.kind} ${plugin.directive.args.join(' ')}`),
    ...loops.flatMap((u) => u.evidence).slice(0, 3),
    ...hits.slice(0, 2).map((h) => logEvidence(h, `${h.pod}: loop detected`)),
  ];
  if (hasLoopPlugin && loopLine !== undefined && hits.length === 0) evidence.push(corefile.evidence(loopLine, 'loop plugin'));
  for (const pod of crashing.slice(0, 2)) evidence.push(crashEvidence(pod));
  const pods = [...new Set([...loggedPods, ...crashing])];
  return {
    kind: 'forward-loop',
    fatal: hasLoopPlugin,
    title: `CoreDNS forwards to itself: ${loops.map((u) => u.address).join(', ')} loops back (${server.addresses.map((a) => a.raw).join(' ')} block)`,
    details,
    evidence,
    pods,
    remediation: nodeStub
      ? 'point CoreDNS at the real upstream resolvers: set kubelet\'s resolvConf to /run/systemd/resolve/resolv.conf (kubeadm does this on systemd-resolved hosts) and restart kubelet and the CoreDNS pods, or write the upstreams in the Corefile (`forward . 10.0.0.2 10.0.0.3`)'
      : 'make `forward` point at resolvers outside the cluster, never at kube-dns, a CoreDNS pod or 127.0.0.0/8',
    data: {
      configMap: configMapRef,
      corefileLine: plugin.directive.line,
      upstreams: loops.map((u) => ({ address: u.address, kind: u.kind, via: u.via, certainty: u.certainty })),
      loopPlugin: hasLoopPlugin,
      confirmedByLogs: hits.length > 0,
    },
  };
}

/** The cluster domain pods search, from the most direct source the bundle has. */
function expectedDomain(model: AnalysisModel, dns: ClusterDns): CorefileHealth['expectedDomain'] | undefined {
  if (dns.kubelet?.clusterDomain) {
    return { domain: dns.kubelet.clusterDomain, source: `kubelet's clusterDomain (ConfigMap kube-system/kubelet-config)`, evidence: dns.kubelet.configMap.source.at('data.kubelet', `clusterDomain ${dns.kubelet.clusterDomain}`) };
  }
  for (const [key, file] of dns.podResolvConfs) {
    const [namespace] = key.split('/') as [string];
    const first = file.value.search[0];
    const prefix = `${namespace}.svc.`;
    if (first?.toLowerCase().startsWith(prefix) && file.value.searchLine !== undefined) {
      const domain = first.slice(prefix.length).replace(/\.$/, '').toLowerCase();
      return { domain, source: `the search list of ${file.file}`, evidence: makeEvidence(file.file, file.value.searchLine, `search ${file.value.search.join(' ')}`, `pods search ${domain}`) };
    }
  }
  const hint = model.bundle.manifest?.cluster?.clusterDomain;
  if (hint) return { domain: hint.replace(/\.$/, '').toLowerCase(), source: 'the manifest\'s cluster.clusterDomain' };
  return undefined;
}
