import { clusterDns } from '../analyzer/dns/cluster-dns.js';
import { corefileHealth } from '../analyzer/dns/corefile-health.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { dnsInputs } from './lib/dns-inputs.js';

/**
 * The CoreDNS Corefile keeps CoreDNS from serving cluster names: a forwarding loop (the
 * classic `forward . /etc/resolv.conf` with the node's 127.0.0.53 stub), the loop plugin's
 * FATAL line in the logs, a Corefile CoreDNS refuses (syntax, unknown plugin, with its line),
 * no kubernetes plugin for the cluster domain, or a cluster domain that is not the one pods
 * search. The analysis lives in corefile-health.ts, which coredns-unavailable shares to name
 * this finding as the cause of CoreDNS being down.
 */
export default defineRule({
  id: 'corefile-problem',
  layer: 'dns',
  severity: 'critical',
  description: 'The CoreDNS Corefile forwards to a loop, is rejected, or does not serve the cluster domain',
  area: 'Cluster DNS',
  requires: [inputs.configMaps],
  optional: [dnsInputs.nodeResolvConf, dnsInputs.podResolvConf, dnsInputs.corednsLogs, inputs.pods],
  check(ctx) {
    const dns = clusterDns(ctx.model);
    const health = corefileHealth(ctx.model);
    const corefile = health.corefile;
    if (!corefile) {
      ctx.setCoverage('partial', 'no Corefile: cluster/configmaps.json holds no kube-system ConfigMap with a Corefile key (kube-system/coredns)');
      return;
    }
    const cm = corefile.configMap;
    for (const problem of health.problems) {
      const unconfirmedLoop = problem.kind === 'forward-loop' && problem.data.confirmedByLogs === false && !problem.fatal;
      ctx.report({
        subjects: [cm.ref, ...problem.pods.map((p) => p.ref)],
        title: problem.title,
        message: `${problem.details.join('; ')}.`,
        evidence: problem.evidence,
        remediation: problem.remediation,
        commands: [
          `kubectl -n ${cm.namespace} get configmap ${cm.name} -o jsonpath='{.data.Corefile}'`,
          'kubectl -n kube-system logs -l k8s-app=kube-dns --previous --tail=20',
          ...(problem.kind === 'forward-loop' ? ['kubectl debug node/<node> -it --image=busybox -- cat /host/etc/resolv.conf /host/run/systemd/resolve/resolv.conf'] : []),
        ],
        ...(unconfirmedLoop ? { severity: 'warning' as const } : {}),
        data: { kind: problem.kind, fatal: problem.fatal, ...problem.data },
      });
    }
    const checked = [`Corefile of ${cm.namespace}/${cm.name}`];
    if (dns.nodeResolvConfs.size === 0 && dns.coredns.pods.every((p) => !dns.podResolvConfs.has(`${p.namespace}/${p.name}`))) {
      checked.push('forward targets in /etc/resolv.conf not checked (no node or CoreDNS pod resolv.conf collected)');
      ctx.setCoverage('checked', `${checked.join('; ')}; ${health.problems.length === 0 ? 'no problem found' : `${health.problems.length} problem(s)`}`);
    }
  },
});
