import type { Evidence } from '../analyzer/bundle/source-file.js';
import { makeEvidence } from '../analyzer/bundle/source-file.js';
import { clusterDns } from '../analyzer/dns/cluster-dns.js';
import { resolverFlags, usesClusterDns } from '../analyzer/dns/dns-clients.js';
import { libcOfPod } from '../analyzer/dns/pod-libc.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Pod } from '../analyzer/kube/types.js';
import { dnsInputs } from './lib/dns-inputs.js';
import { listSome, plural } from './lib/list-text.js';

/**
 * The conntrack insert race behind 5-second DNS timeouts (kubernetes#56903): glibc sends A and
 * AAAA at once from one UDP socket; both packets are DNATed to kube-dns and race to confirm
 * their conntrack entry. The loser is dropped and counted in `insert_failed` (and `drop`);
 * the application waits out the resolver's timeout (5 s). Kernels from 5.0 resolve the clash
 * when both packets went to the same endpoint (`clash_resolve` counts those), so with several
 * CoreDNS endpoints the race still drops packets.
 *
 * Reported per node whose `conntrack -S` shows insert_failed > 0 and which runs pods that can
 * lose the race: glibc pods resolving through kube-dns without single-request-reopen,
 * single-request or use-vc (musl has no such options but sends the pair the same way; it is
 * named too). A node with clash_resolve > 0 and no failures yet gets an info finding.
 */
export default defineRule({
  id: 'dns-conntrack-race',
  layer: 'dns',
  severity: 'warning',
  description: 'conntrack insert_failed (or clash_resolve) climbs on nodes that run DNS clients: the known source of 5-second DNS timeouts',
  area: 'Cluster DNS',
  requires: [dnsInputs.conntrackStats],
  optional: [inputs.pods, inputs.serviceEndpoints, dnsInputs.podResolvConf],
  check(ctx) {
    const dns = clusterDns(ctx.model);
    const kube = ctx.model.kube;
    const readyEndpoints = dns.coredns.endpoints.filter((e) => e.ready).length;
    const podsByNode = new Map<string, Pod[]>();
    for (const pod of kube.pods) {
      if (pod.nodeName === undefined || !usesClusterDns(dns, pod)) continue;
      const list = podsByNode.get(pod.nodeName);
      if (list) list.push(pod);
      else podsByNode.set(pod.nodeName, [pod]);
    }

    for (const [node, stats] of dns.conntrack) {
      const totals = stats.value.totals;
      const failed = totals.insert_failed ?? 0;
      const clashes = (totals.clash_resolve ?? 0) + (totals.clash ?? 0);
      if (failed === 0 && clashes === 0) continue;
      const clients = podsByNode.get(node) ?? [];
      const racy = clients.filter((pod) => {
        const flags = resolverFlags(dns, pod);
        return !flags.singleRequestReopen && !flags.singleRequest && !flags.useVc;
      });
      if (racy.length === 0) continue;
      const glibc = racy.filter((p) => libcOfPod(p).libc === 'glibc');
      const musl = racy.length - glibc.length;
      const drop = totals.drop ?? 0;
      const cpuLines = stats.value.cpus.filter((c) => (c.counters.insert_failed ?? 0) > 0 || (c.counters.clash_resolve ?? 0) > 0).sort((a, b) => (b.counters.insert_failed ?? 0) - (a.counters.insert_failed ?? 0));
      const file = ctx.model.bundle.get(stats.file);
      const evidence: Evidence[] = cpuLines.slice(0, 3).map((c) => (file ? file.evidenceAtLine(c.line, `cpu=${c.cpu}: insert_failed=${c.counters.insert_failed ?? 0}`) : makeEvidence(stats.file, c.line, '', `cpu=${c.cpu}`)));
      const example = glibc[0] ?? racy[0]!;
      const captured = dns.podResolvConfs.get(`${example.namespace}/${example.name}`);
      const optionsLine = captured?.value.optionLines.ndots;
      evidence.push(
        captured && optionsLine !== undefined
          ? makeEvidence(captured.file, optionsLine, `options ${captured.value.optionEntries.filter((o) => o.line === optionsLine).map((o) => o.text).join(' ')}`, `${example.name}: no single-request-reopen`)
          : example.source.at('spec.dnsPolicy', `${example.name}: dnsPolicy ${example.dnsPolicy ?? 'ClusterFirst'}, no single-request-reopen in dnsConfig`),
      );

      const sentences: string[] = [];
      if (failed > 0) {
        sentences.push(`conntrack -S on ${node}: insert_failed=${failed}${drop === failed ? ` (drop=${drop}: every failed insert dropped a packet)` : `, drop=${drop}`} over ${plural(stats.value.cpus.length, 'CPU')}${clashes > 0 ? `, clash_resolve=${clashes} races the kernel did resolve` : ''}`);
      } else {
        sentences.push(`conntrack -S on ${node}: clash_resolve=${clashes}: the race happens, and the kernel resolved every clash so far (insert_failed=0)`);
      }
      sentences.push(
        `${plural(racy.length, 'pod')} there resolve through the cluster DNS sending A and AAAA together from one socket (${glibc.length} glibc${musl > 0 ? `, ${musl} musl, which has no option to avoid it` : ''}), without single-request-reopen: ${listSome(racy.map((p) => `${p.namespace}/${p.name}`), 4)}`,
      );
      if (readyEndpoints >= 2) sentences.push(`kube-dns has ${readyEndpoints} ready endpoints: when the two packets are DNATed to different CoreDNS pods the kernel cannot resolve the clash and drops one`);
      if (failed > 0) sentences.push('each dropped query costs the resolver timeout: lookups stall 5 s (10 s when both the A and the retry are lost)');

      ctx.report({
        subjects: [`Node/${node}`],
        title: failed > 0 ? `DNS queries lost to the conntrack race on ${node} (insert_failed=${failed}): 5-second lookups` : `The conntrack race of parallel DNS queries happens on ${node} (clash_resolve=${clashes})`,
        message: `${sentences.join('; ')}.`,
        evidence,
        remediation:
          'deploy NodeLocal DNSCache (pods talk to a cache on their node, no DNAT, and it reaches CoreDNS over TCP); for glibc pods add spec.dnsConfig.options [{name: single-request-reopen}] (musl ignores it); or force TCP with use-vc; fewer lookups (ndots:2, trailing dots) also shrink the odds',
        commands: [`conntrack -S   # on ${node}: watch insert_failed`, 'kubectl -n kube-system get ds node-local-dns'],
        ...(failed > 0 ? {} : { severity: 'info' as const }),
        data: { node, insertFailed: failed, drop, clashResolve: clashes, racyPods: racy.length, glibcPods: glibc.length, corednsEndpoints: readyEndpoints },
      });
    }
  },
});
