import type { Evidence } from '../analyzer/bundle/source-file.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import type { LinkCounters } from '../analyzer/routing/interface-types.js';
import { nodeRoutings, type NodeInterface, type NodeRouting } from '../analyzer/routing/node-routing.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/**
 * Thresholds, as shares of the packets counted in the same direction since the interface came up:
 * - errors (CRC, frame, FIFO, carrier...): a healthy link has essentially none, so 0.01% (1 in
 *   10,000) with at least 10 errors is worth a look (warning), 1% means a bad cable, port, driver
 *   or duplex mismatch (critical);
 * - drops and misses: the stack drops a little on purpose (frames of unknown protocols or VLANs,
 *   IPv6 on a port without it), so only from 0.1% with at least 100 (warning), 5% (critical).
 */
const LIMITS = {
  error: { min: 10, warning: 1e-4, critical: 1e-2 },
  drop: { min: 100, warning: 1e-3, critical: 5e-2 },
} as const;

interface Counter {
  direction: 'rx' | 'tx';
  name: string;
  kind: keyof typeof LIMITS;
}

const COUNTERS: Counter[] = [
  { direction: 'rx', name: 'errors', kind: 'error' },
  { direction: 'tx', name: 'errors', kind: 'error' },
  { direction: 'rx', name: 'dropped', kind: 'drop' },
  { direction: 'tx', name: 'dropped', kind: 'drop' },
  { direction: 'rx', name: 'missed', kind: 'drop' },
  { direction: 'rx', name: 'overrun', kind: 'drop' },
];

interface Hit {
  iface: NodeInterface;
  severity: Severity;
  text: string;
  evidence: Evidence;
  data: Record<string, unknown>;
}

/**
 * Receive and transmit errors or drops on a node's interfaces (`ip -s link`), relative to the
 * packets of the same direction; tiny ratios are ignored. Names the interface, the counters and
 * their share; pod veths (their drops are usually a pod that does not read fast enough) are
 * named as such.
 */
export default defineRule({
  id: 'interface-errors',
  layer: 'l2',
  severity: 'warning',
  description: 'rx/tx errors or drops on node interfaces',
  area: 'Node interfaces',
  requires: [routingInputs.ipLink],
  check(ctx) {
    let checked = 0;
    for (const node of nodeRoutings(ctx.model).nodes) {
      if (!node.ipLink) continue;
      checked++;
      const hits: Hit[] = [];
      for (const iface of node.interfaces) {
        const stats = iface.link?.statistics;
        if (!stats || iface.name === 'lo') continue;
        for (const counter of COUNTERS) {
          const counters: LinkCounters = stats[counter.direction];
          const value = counters[counter.name];
          const packets = counters.packets;
          if (value === undefined || value === 0 || !packets) continue;
          // `overrun` is the older name of `missed`; count it once.
          if (counter.name === 'overrun' && counters.missed !== undefined) continue;
          const limits = LIMITS[counter.kind];
          const ratio = value / packets;
          if (value < limits.min || ratio < limits.warning) continue;
          const severity: Severity = ratio >= limits.critical ? 'critical' : 'warning';
          const label = `${counter.direction.toUpperCase()} ${counter.name}`;
          hits.push({
            iface,
            severity,
            text: `${iface.name}: ${label} ${value} of ${packets} packets (${percent(ratio)})`,
            evidence: countersEvidence(node, iface, counter.direction, `${iface.name} ${label} ${value}`)!,
            data: { interface: iface.name, counter: `${counter.direction}_${counter.name}`, value, packets, ratio },
          });
        }
      }
      if (hits.length === 0) continue;
      const severity: Severity = hits.some((h) => h.severity === 'critical') ? 'critical' : 'warning';
      const interfaces = [...new Set(hits.map((h) => h.iface.name))];
      const podVeths = interfaces.filter((name) => isPodVeth(node.interface(name)!));
      const physical = interfaces.filter((name) => !podVeths.includes(name));
      const explanations: string[] = [];
      if (hits.some((h) => (h.data.counter as string).endsWith('errors'))) explanations.push('errors are frames the hardware or driver could not take or send (CRC and framing errors, FIFO overruns, carrier losses): a bad cable or port, a duplex or speed mismatch, or a NIC driver problem');
      if (hits.some((h) => (h.data.counter as string).startsWith('rx_missed') || (h.data.counter as string).startsWith('rx_overrun'))) explanations.push('missed frames mean the NIC ring buffer was full: the node cannot keep up with the packet rate (ethtool -G rings, RSS/IRQ spread)');
      if (hits.some((h) => (h.data.counter as string).endsWith('dropped'))) explanations.push('drops are packets the kernel discarded: full backlogs or qdiscs under load, and on physical ports also frames of protocols or VLANs the node does not use');
      if (podVeths.length > 0) explanations.push(`${listSome(podVeths, 3)} ${podVeths.length === 1 ? 'is a pod veth' : 'are pod veths'}: drops there usually mean the pod does not read its traffic fast enough`);
      ctx.report({
        subjects: [node.subject],
        title: `${physical.length > 0 ? 'Errors or drops' : 'Drops'} on ${listSome(interfaces, 3)} of ${node.node}`,
        message: `${hits.map((h) => h.text).join('; ')}. Lost frames become TCP retransmissions and timeouts for everything using ${listSome(interfaces, 3)}: ${explanations.join('; ')}.`,
        evidence: hits.map((h) => h.evidence),
        remediation: 'look at the detailed counters (ip -s -s link, ethtool -S) to see which error grows, check the link (cable, switch port, speed and duplex) and the NIC driver and firmware; for drops under load enlarge the rings (ethtool -G) or backlog (net.core.netdev_max_backlog); compare two captures to confirm the counters still climb, since they run from when the interface came up',
        commands: [`ip -s -s link show ${interfaces[0]}   # on ${node.node}, twice a minute apart`, `ethtool -S ${interfaces[0]} | grep -iE 'err|drop|miss|fifo|crc'`],
        severity,
        data: { node: node.node, counters: hits.map((h) => h.data) },
      });
    }
    setNodeCoverage(ctx, 'interface counters read', checked);
  },
});

/** The line of the RX or TX numbers (the line after the `RX:` / `TX:` header). */
function countersEvidence(node: NodeRouting, iface: NodeInterface, direction: 'rx' | 'tx', note: string): Evidence | undefined {
  const file = node.ipLink?.file;
  const stats = iface.link?.statistics;
  if (!file || !stats) return node.interfaceEvidence(iface.name, note);
  const header = direction === 'rx' ? 'RX:' : 'TX:';
  for (let line = stats.line; line <= Math.min(file.lineCount, stats.line + 8); line++) {
    if (line > stats.line && /^\s*\d+:\s/.test(file.lineText(line))) break;
    if (file.lineText(line).trim().startsWith(header)) return file.evidenceAtLine(line + 1, note);
  }
  return file.evidenceAtLine(stats.line, note);
}

function isPodVeth(iface: NodeInterface): boolean {
  const kind = iface.view.details?.kind;
  return (kind === undefined || kind === 'veth') && (iface.view.linkNetns !== undefined || /^if\d+$/.test(iface.view.link ?? ''));
}

function percent(ratio: number): string {
  return ratio >= 0.01 ? `${(ratio * 100).toFixed(1)}%` : `${(ratio * 100).toFixed(3)}%`;
}
