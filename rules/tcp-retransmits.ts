import type { Evidence } from '../analyzer/bundle/source-file.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { nodeRoutings } from '../analyzer/routing/node-routing.js';
import { tcpRetransmissionRate } from '../analyzer/routing/parse-netstat-s.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/**
 * Thresholds on RetransSegs / OutSegs since boot. Inside a data center a healthy node retransmits
 * well under 0.5% of its segments (internet-facing ones about 1%); since the counters average
 * over the node's whole uptime, a burst of loss has to be large or frequent to lift them, so 2%
 * is already sustained loss (warning), and at 5% TCP throughput collapses (it falls with the
 * square root of the loss rate) and connections stall on retransmission timeouts (critical).
 * Below 10,000 segments sent the ratio says little and is not judged.
 */
const WARNING = 0.02;
const CRITICAL = 0.05;
const MIN_SEGMENTS = 10_000;

/** Counters that say what kind of loss it is, reported with the rate when present. */
const CONTEXT: [string, string][] = [
  ['TcpExtTCPTimeouts', 'retransmission timeouts'],
  ['TcpExtTCPSynRetrans', 'SYN retransmits'],
  ['TcpExtTCPLostRetransmit', 'retransmits lost again'],
  ['TcpExtTCPFastRetrans', 'fast retransmits'],
];

/**
 * A high TCP retransmission rate in `netstat -s` (or `nstat`) on a node: packets between the
 * node's pods and their peers are being lost somewhere. Links to the usual node-level causes
 * found on the same node: an MTU black hole, interface errors, a full conntrack table.
 */
export default defineRule({
  id: 'tcp-retransmits',
  layer: 'node',
  severity: 'warning',
  description: 'A high TCP retransmission rate in netstat -s',
  area: 'Node interfaces',
  requires: [routingInputs.netstat],
  check(ctx) {
    let checked = 0;
    const tooFew: string[] = [];
    for (const node of nodeRoutings(ctx.model).nodes) {
      if (!node.netstat) continue;
      const rate = tcpRetransmissionRate(node.netstat.value);
      if (!rate) continue;
      checked++;
      if (rate.sent.value < MIN_SEGMENTS) {
        tooFew.push(node.node);
        continue;
      }
      if (rate.rate < WARNING) continue;
      const file = node.netstat.file;
      const evidence: Evidence[] = [
        file.evidenceAtLine(rate.retransmitted.line, `${rate.retransmitted.value} segments retransmitted`),
        file.evidenceAtLine(rate.sent.line, `${rate.sent.value} segments sent`),
      ];
      const context = CONTEXT.flatMap(([key, label]) => {
        const counter = node.netstat!.value.counters.get(key);
        return counter && counter.value > 0 ? [`${counter.value} ${label}`] : [];
      });
      const percent = `${(rate.rate * 100).toFixed(1)}%`;
      const severity = rate.rate >= CRITICAL ? 'critical' : 'warning';
      ctx.report({
        subjects: [node.subject],
        title: `${percent} of TCP segments retransmitted on ${node.node}`,
        message:
          `netstat -s on ${node.node}: ${rate.retransmitted.value} of ${rate.sent.value} segments sent were retransmissions (${percent}${context.length > 0 ? `; ${context.join(', ')}` : ''}), ` +
          `against well under 0.5% on a healthy node in a data center: packets are lost on the way. These counters cover the node's own connections (kubelet, kube-proxy, the control plane, hostNetwork pods); pods' connections, counted in their own namespaces, cross the same links and suffer the same loss, slowing down or stalling on retransmission timeouts. ` +
          'Since the counters run from boot, compare two captures to see whether it still climbs.',
        evidence,
        remediation: 'find where packets are lost: an MTU too large for the overlay (large packets only), errors or drops on an interface, a full conntrack table, or congestion on the underlay; `nstat -az` twice a minute apart shows what grows now',
        commands: [`nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPTimeouts   # on ${node.node}, twice a minute apart`, 'ss -ti state established | grep -c retrans'],
        severity,
        causedBy: [
          { rule: 'mtu-mismatch', subject: node.subject },
          { rule: 'interface-errors', subject: node.subject },
          { rule: 'conntrack-table-full', subject: node.subject },
        ],
        data: { node: node.node, retransmitted: rate.retransmitted.value, sent: rate.sent.value, rate: rate.rate },
      });
    }
    setNodeCoverage(ctx, 'TCP counters read', checked, tooFew.length > 0 ? [`fewer than ${MIN_SEGMENTS} segments sent on ${tooFew.join(', ')}: not judged`] : []);
  },
});
