import type { Evidence } from '../analyzer/bundle/source-file.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import { nodeRoutings, type NodeRouting } from '../analyzer/routing/node-routing.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

const COUNT_KEYS = ['net.netfilter.nf_conntrack_count', 'net.nf_conntrack_count'];
const MAX_KEYS = ['net.netfilter.nf_conntrack_max', 'net.nf_conntrack_max'];
/** From this share of nf_conntrack_max on, new connections are one burst away from being dropped. */
const NEAR_FULL = 0.9;

/**
 * When the conntrack table holds nf_conntrack_max entries, the kernel first evicts an unassured
 * entry (`early_drop`), and when it finds none drops the packet that would create a new one
 * ("nf_conntrack: table full, dropping packet", counted in `drop`). Every NATed or filtered
 * connection of the node needs an entry: Services, NodePorts, pod egress.
 *
 * Reported when nf_conntrack_count (sysctl, or `conntrack -C`) reaches 90% of nf_conntrack_max
 * (warning) or the maximum (critical), or when `conntrack -S` shows early_drop, or drops beyond
 * insert_failed (drops equal to insert_failed are the insert race of dns-conntrack-race, not a
 * full table). The counters run since boot: drops with a low count now mean the table was full
 * at some point.
 */
export default defineRule({
  id: 'conntrack-table-full',
  layer: 'node',
  severity: 'critical',
  description: 'nf_conntrack_count near nf_conntrack_max, or conntrack drops and early_drops climbing',
  area: 'Node settings',
  requires: [routingInputs.conntrack],
  check(ctx) {
    let checked = 0;
    const unread: string[] = [];
    for (const node of nodeRoutings(ctx.model).nodes) {
      const count = readCount(node);
      const max = readSysctl(node, MAX_KEYS);
      const stats = node.conntrackStats;
      if (!count && !max && !stats) continue;
      checked++;
      if ((!count || !max) && !stats) unread.push(node.node);

      const sentences: string[] = [];
      const evidence: Evidence[] = [];
      let severity: Severity | undefined;
      const ratio = count && max && max.value > 0 ? count.value / max.value : undefined;
      if (ratio !== undefined && ratio >= NEAR_FULL) {
        severity = ratio >= 1 ? 'critical' : 'warning';
        sentences.push(`${count!.value} connections tracked of nf_conntrack_max ${max!.value} (${percent(ratio)})${ratio >= 1 ? ': the table is full, new connections are dropped' : ''}`);
        evidence.push(count!.evidence, max!.evidence);
      }
      if (stats) {
        const totals = stats.value.totals;
        const earlyDrop = totals.early_drop ?? 0;
        const tableDrops = Math.max(0, (totals.drop ?? 0) - (totals.insert_failed ?? 0));
        if (earlyDrop > 0 || tableDrops > 0) {
          const parts = [earlyDrop > 0 ? `early_drop=${earlyDrop} (entries evicted to make room)` : '', tableDrops > 0 ? `${tableDrops} packets dropped for want of an entry (drop=${totals.drop ?? 0}${totals.insert_failed ? `, of which insert_failed=${totals.insert_failed} belong to the insert race` : ''})` : ''].filter(Boolean);
          sentences.push(`conntrack -S since boot: ${parts.join(', ')}`);
          const cpus = stats.value.cpus.filter((c) => (c.counters.early_drop ?? 0) > 0 || (c.counters.drop ?? 0) > (c.counters.insert_failed ?? 0));
          for (const cpu of cpus.slice(0, 3)) evidence.push(stats.file.evidenceAtLine(cpu.line, `cpu=${cpu.cpu}: early_drop=${cpu.counters.early_drop ?? 0} drop=${cpu.counters.drop ?? 0}`));
          const currentlyNear = ratio !== undefined && ratio >= NEAR_FULL;
          severity = currentlyNear ? 'critical' : (severity ?? 'warning');
          if (!currentlyNear && ratio !== undefined) {
            sentences.push(`now ${count!.value} of ${max!.value} (${percent(ratio)}): the table filled up at some point since boot`);
            evidence.push(count!.evidence, max!.evidence);
          }
        }
      }
      if (!severity) continue;
      ctx.report({
        subjects: [node.subject],
        title: severity === 'critical' && ratio !== undefined && ratio >= 1 ? `conntrack table full on ${node.node}` : `conntrack table ${ratio !== undefined && ratio >= NEAR_FULL ? 'nearly full' : 'overflowed'} on ${node.node}`,
        message: `${sentences.join('; ')}. While the table is full the node drops packets that would open a connection: new connections through Services, NodePorts and pod egress on ${node.node} fail at random, and retransmitted SYNs make it worse.`,
        evidence,
        remediation:
          `raise net.netfilter.nf_conntrack_max (kube-proxy sets it at start from conntrack.maxPerCore and conntrack.min of its configuration, so change those, or set the sysctl after it), and find what fills the table: ` +
          'a connection flood or scan, many short-lived connections in TIME_WAIT, or UDP traffic such as DNS (NodeLocal DNSCache avoids conntrack for it); shorter timeouts (nf_conntrack_tcp_timeout_established, kube-proxy conntrack.tcpEstablishedTimeout) free entries sooner',
        commands: [
          `conntrack -C; sysctl net.netfilter.nf_conntrack_max   # on ${node.node}`,
          'conntrack -S',
          "conntrack -L -o extended 2>/dev/null | awk '{print $1, $3}' | sort | uniq -c | sort -rn | head",
          'dmesg | grep -i "table full"',
        ],
        severity,
        data: { node: node.node, count: count?.value, max: max?.value, ratio, earlyDrop: stats?.value.totals.early_drop, drop: stats?.value.totals.drop, insertFailed: stats?.value.totals.insert_failed },
      });
    }
    const notes = unread.length > 0 ? [`nf_conntrack_count or nf_conntrack_max missing on ${listSome(unread, 3)}`] : [];
    setNodeCoverage(ctx, 'conntrack usage read', checked, notes);
  },
});

interface Reading {
  value: number;
  evidence: Evidence;
}

function readSysctl(node: NodeRouting, keys: string[]): Reading | undefined {
  for (const key of keys) {
    const entry = node.sysctlValue(key);
    const value = entry === undefined ? NaN : Number(entry.value);
    if (Number.isFinite(value)) return { value, evidence: node.sysctlEvidence(key, `${key.split('.').pop()} ${value}`)! };
  }
  return undefined;
}

/** nf_conntrack_count from sysctl, else `conntrack -C`, else the /proc table's `entries`. */
function readCount(node: NodeRouting): Reading | undefined {
  const fromSysctl = readSysctl(node, COUNT_KEYS);
  if (fromSysctl) return fromSysctl;
  const counted = node.conntrackCount?.value;
  if (counted && node.conntrackCount) return { value: counted.count, evidence: node.conntrackCount.file.evidenceAtLine(counted.line, `conntrack -C: ${counted.count}`) };
  const stats = node.conntrackStats;
  if (stats?.value.entries !== undefined && stats.value.cpus[0]) return { value: stats.value.entries, evidence: stats.file.evidenceAtLine(stats.value.cpus[0].line, `entries ${stats.value.entries}`) };
  return undefined;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio >= 0.995 && ratio < 1 ? 1 : 0)}%`;
}
