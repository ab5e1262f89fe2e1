/**
 * `netdump trace-node` output: the packet, then every outcome with its probability and the
 * rules the kernel runs for it (`table/chain #pos  file:line  rule  → verdict`), its fate, DNAT
 * and SNAT, then what the simulator could not evaluate and how the trace was set up.
 *
 *   node-b, kube-proxy iptables mode: tcp 10.244.1.14 → 10.104.122.87:80, NEW, from pod
 *     source: 10.244.1.14 is pod shop/frontend-5997b69cc8-d2pms on node-b (hence --from pod)
 *     destination: Service shop/cart port http (ClusterIP)
 *   2 outcomes:
 *     1  50%  accepted  DNAT 10.244.1.17:8080 (pod shop/cart-845d9ff6b-mj9pc on node-b)
 *   …
 */
import type { FrontendKind } from '../kubeproxy/dataplane-types.js';
import type { TraceOutcome, TraceStep } from '../netfilter/simulate/trace-types.js';
import type { AddressOwner, NodePacketTrace, UnsupportedLine } from './trace-node-packet.js';

const KIND_TEXT: Record<FrontendKind, string> = {
  'cluster-ip': 'ClusterIP',
  'external-ip': 'external IP',
  'load-balancer': 'LoadBalancer IP',
  'node-port': 'NodePort',
  external: 'external',
};

/** 1 → "100%", 1/3 → "33.33%", 0.00041 → "0.041%". */
export function formatProbability(p: number): string {
  const percent = p * 100;
  if (percent >= 1) return `${Number(percent.toFixed(2))}%`;
  return `${Number(percent.toPrecision(2))}%`;
}

/** "pod shop/cart-1 on node-b, Service shop/cart port http (ClusterIP)"; undefined when nothing owns it. */
export function describeOwner(owner: AddressOwner | undefined): string | undefined {
  if (!owner) return undefined;
  const parts: string[] = [];
  if (owner.service) parts.push(`Service ${owner.service.name}${owner.service.port ? ` port ${owner.service.port}` : ''} (${KIND_TEXT[owner.service.kind]})`);
  if (owner.pod) parts.push(`pod ${owner.pod.name}${owner.pod.node ? ` on ${owner.pod.node}` : ''}`);
  if (owner.node) parts.push(`node ${owner.node}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function hostPort(ip: string, port: number | undefined): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === undefined ? ip : `${host}:${port}`;
}

function location(step: { file?: string; line: number }): string {
  return step.file !== undefined ? `${step.file}:${step.line}` : `line ${step.line}`;
}

function stepLine(step: TraceStep): string {
  const where = step.kind === 'policy' ? ' policy' : step.position !== undefined ? ` #${step.position}` : '';
  let verdict: string = step.verdict;
  if ((step.verdict === 'jump' || step.verdict === 'goto') && step.target) verdict = `${step.verdict} ${step.target}`;
  else if (step.kind === 'rule' && step.target) verdict = `${step.verdict} (${step.target})`;
  const note = step.note ? `  [${step.note}]` : '';
  return `${step.table}/${step.chain}${where}  ${location(step)}  ${step.text}  → ${verdict}${note}`;
}

function fateText(outcome: TraceOutcome, node: string): string {
  if (outcome.fate !== 'accepted') return outcome.fate;
  if (outcome.path === 'input') {
    // Only IPVS sends a packet that reached INPUT on out of an interface (ip_vs_nat_xmit).
    return outcome.exitInterface ? `accepted: taken in by IPVS on ${node} and sent out of ${outcome.exitInterface}` : `accepted: delivered to a process on ${node}`;
  }
  if (outcome.path === 'output') return outcome.exitInterface === 'lo' ? `accepted: sent by ${node} to itself (lo)` : `accepted: sent by ${node}${outcome.exitInterface ? ` out of ${outcome.exitInterface}` : ''}`;
  return `accepted: forwarded${outcome.exitInterface ? ` out of ${outcome.exitInterface}` : ''}`;
}

function dnatText(outcome: TraceOutcome, trace: NodePacketTrace): string | undefined {
  if (!outcome.dnat) return undefined;
  const owner = describeOwner(trace.dnatOwners[outcome.dnat.ip]);
  return `DNAT to ${hostPort(outcome.dnat.ip, outcome.dnat.port)}: ${owner ?? 'no pod, Service or node of the bundle has this address'}`;
}

function snatText(outcome: TraceOutcome): string {
  if (!outcome.snat) return 'SNAT: none';
  if (outcome.snat.masquerade) return `SNAT: masquerade${outcome.snat.ip ? ` to ${outcome.snat.ip}` : ''}`;
  return `SNAT to ${outcome.snat.ip ?? '(address unknown)'}`;
}

function summaryLine(index: number, outcome: TraceOutcome, trace: NodePacketTrace, widths: [number, number]): string {
  const cells = [String(index + 1).padStart(widths[0]), formatProbability(outcome.probability).padStart(widths[1]), outcome.fate];
  if (outcome.dnat) {
    const owner = describeOwner(trace.dnatOwners[outcome.dnat.ip]);
    cells.push(`DNAT ${hostPort(outcome.dnat.ip, outcome.dnat.port)}${owner ? ` (${owner})` : ' (no pod has this address)'}`);
  }
  if (outcome.snat) cells.push(outcome.snat.masquerade ? 'masquerade' : `SNAT ${outcome.snat.ip ?? ''}`.trimEnd());
  if (outcome.uncertain) cells.push('uncertain');
  return `  ${cells.join('  ')}`;
}

function unsupportedLine(u: UnsupportedLine): string {
  return `  ${location(u)}  ${u.text !== undefined ? `${u.text.trim()}  — ` : ''}${u.reason}`;
}

export function renderNodeTraceText(trace: NodePacketTrace): string {
  const { packet, result } = trace;
  const out: string[] = [];
  const from = packet.sport !== undefined ? hostPort(packet.src, packet.sport) : packet.src;
  out.push(`${trace.node}, kube-proxy ${trace.mode} mode: ${packet.proto} ${from} → ${hostPort(packet.dst, packet.dport)}, ${packet.ctState}, from ${packet.from}`);
  const source = describeOwner(trace.source);
  if (trace.fromInferred !== undefined) out.push(`  source: ${trace.fromInferred} (hence --from ${packet.from})`);
  else if (source) out.push(`  source: ${source}`);
  const destination = describeOwner(trace.destination);
  if (destination) out.push(`  destination: ${destination}`);
  out.push(`  rules: ${trace.files.join(', ')}`);

  const outcomes = result.outcomes;
  if (outcomes.length > 1) {
    out.push('');
    out.push(`${outcomes.length} outcomes:`);
  }
  const widths: [number, number] = [String(outcomes.length).length, Math.max(0, ...outcomes.map((o) => formatProbability(o.probability).length))];
  if (outcomes.length > 1) outcomes.forEach((o, i) => out.push(summaryLine(i, o, trace, widths)));

  outcomes.forEach((outcome, i) => {
    out.push('');
    out.push(`outcome ${i + 1} of ${outcomes.length} (${formatProbability(outcome.probability)}): ${fateText(outcome, trace.node)}`);
    for (const step of outcome.steps) out.push(`  ${stepLine(step)}`);
    const dnat = dnatText(outcome, trace);
    if (dnat) out.push(`  ${dnat}`);
    out.push(`  ${snatText(outcome)}`);
    if (outcome.mark !== 0) out.push(`  packet mark 0x${outcome.mark.toString(16)}`);
    if (outcome.reason) out.push(`  why: ${outcome.reason}`);
    if (outcome.uncertain) {
      const lines = outcome.uncertainLines ?? [];
      out.push(`  uncertain: rests on ${lines.length > 0 ? `line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}` : 'rules'} the simulator could not evaluate (both ways taken)`);
    }
  });

  if (trace.unsupported.length > 0) {
    out.push('');
    out.push('not evaluated (taken both ways; the outcomes that rest on them are marked uncertain):');
    for (const u of trace.unsupported) out.push(unsupportedLine(u));
  }
  if (trace.notes.length > 0) {
    out.push('');
    out.push('notes:');
    for (const note of trace.notes) out.push(`  - ${note}`);
  }
  return `${out.join('\n')}\n`;
}

/** The JSON form: `{ node, packet, mode, outcomes, unsupported, notes }`, DNAT targets with their owners. */
export function nodeTraceJson(trace: NodePacketTrace): Record<string, unknown> {
  return {
    node: trace.node,
    mode: trace.mode,
    files: trace.files,
    packet: {
      ...trace.packet,
      ...(trace.fromInferred !== undefined ? { fromInferred: trace.fromInferred } : {}),
      source: trace.source,
      destination: trace.destination,
    },
    outcomes: trace.result.outcomes.map((o) => ({
      probability: o.probability,
      fate: o.fate,
      path: o.path,
      ...(o.exitInterface !== undefined ? { exitInterface: o.exitInterface } : {}),
      ...(o.dnat ? { dnat: { ...o.dnat, ...trace.dnatOwners[o.dnat.ip] } } : {}),
      ...(o.snat ? { snat: o.snat } : {}),
      mark: o.mark,
      uncertain: o.uncertain,
      ...(o.uncertainLines ? { uncertainLines: o.uncertainLines } : {}),
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      steps: o.steps,
    })),
    unsupported: trace.unsupported,
    notes: trace.notes,
  };
}
