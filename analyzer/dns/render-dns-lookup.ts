/**
 * `netdump dns` output: a LookupExplanation as text for people, or as JSON for scripts.
 */
import type { LookupExplanation, LookupResult } from './explain-lookup.js';
import { UNKNOWN_ADDRESS, type PathVerdict } from './simulate-coredns.js';

function seconds(ms: number): string {
  if (ms === 0) return '0 s';
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(3)} s`;
}

function verdictText(verdict: PathVerdict): string {
  return verdict.ok ? 'ok' : verdict.rcode === 'TIMEOUT' ? 'dropped (timeout)' : 'port unreachable';
}

function resultText(result: LookupResult): string {
  switch (result.kind) {
    case 'resolved': {
      const via = result.canonicalName ? ` (CNAME ${result.canonicalName})` : '';
      const partly = result.partlyUnknown ? `; other records come from ${result.partlyUnknown.join(', ')}: unknown offline` : '';
      return `${result.name}${via} → ${result.addresses.join(', ')}${partly}`;
    }
    case 'unknown': {
      const via = result.canonicalName ? ` (CNAME ${result.canonicalName})` : '';
      const from = result.from.length > 0 ? result.from.join(', ') : 'a resolver outside the bundle';
      return `${result.name}${via} is answered by ${from}: answer unknown offline`;
    }
    case 'failed':
      return `failed: ${result.error} (${result.reason})`;
  }
}

/** The last step that says what the server did (the first ones only choose a server block). */
function gist(steps: string[]): string {
  const meaningful = steps.filter((s) => !/server block .* takes /.test(s) && !s.startsWith('  '));
  return (meaningful.at(-1) ?? steps.at(-1) ?? '').trim();
}

export function renderLookupText(e: LookupExplanation): string {
  const lines: string[] = [];
  lines.push(`netdump dns: ${e.client.namespace}/${e.client.name} looks up ${e.name}`);
  lines.push('');
  lines.push(`resolver: ${e.libc} (${e.libcReason})`);
  const source =
    e.resolvConf.source === 'captured' ? `from ${e.resolvConf.file}` : `as kubelet writes it for dnsPolicy ${e.client.dnsPolicy ?? 'ClusterFirst'} (not captured from the pod)`;
  lines.push(`resolv.conf ${source}:`);
  for (const entry of e.resolvConf.resolvConf.entries) lines.push(`  ${entry.keyword} ${entry.args.join(' ')}`);
  lines.push('nameservers:');
  for (const ns of e.nameservers) {
    lines.push(`  ${ns.address}: ${ns.description}; UDP ${verdictText(ns.udp)}, TCP ${verdictText(ns.tcp)}`);
    const reasons = [ns.udp, ns.tcp].flatMap((v) => (v.ok ? [] : [v.reason]));
    for (const reason of new Set(reasons)) lines.push(`    ${reason}`);
  }
  lines.push('');
  lines.push(`queries (${e.queries.length}):`);
  const nameWidth = Math.min(60, Math.max(...e.queries.map((q) => q.name.length), 4));
  e.queries.forEach((q, i) => {
    const at = `+${seconds(q.atMs)}`.padEnd(9);
    const known = (q.reply.answers ?? []).filter((r) => r.data !== UNKNOWN_ADDRESS).map((r) => (r.type === 'CNAME' ? `CNAME ${r.data}` : r.data));
    let reply: string;
    if (q.assumed === 'answer') reply = `${known.length ? `${known.join(', ')} + ` : ''}answer unknown offline`;
    else if (q.assumed === 'NXDOMAIN') reply = 'NXDOMAIN (assumed)';
    else if (q.reply.rcode === 'TIMEOUT') reply = 'no reply (timeout)';
    else if (q.reply.rcode === 'UNREACHABLE') reply = 'port unreachable';
    else if (q.reply.rcode === 'NOERROR') reply = known.length > 0 ? known.join(', ') : 'NOERROR, no record (NODATA)';
    else reply = q.reply.rcode;
    lines.push(`  ${String(i + 1).padStart(2)}  ${at} ${q.nameserver.padEnd(15)} ${q.transport} ${q.type.padEnd(4)} ${q.name.padEnd(nameWidth)}  ${reply}`);
    if (q.answeredBy !== 'nobody') {
      const why = gist(q.steps);
      lines.push(`      ${q.answeredBy}${why ? `: ${why}` : ''}`);
    }
  });
  lines.push('');
  lines.push(`answer: ${resultText(e.result)}`);
  lines.push(`worst case: ${seconds(e.worstCaseMs)}${e.worstCaseMs === 0 ? ' (no timeout on the way)' : ' (every timeout waited out)'}`);
  if (e.notes.length > 0) {
    lines.push('notes:');
    for (const note of e.notes) lines.push(`  - ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

export function lookupJson(e: LookupExplanation): Record<string, unknown> {
  return {
    from: `${e.client.namespace}/${e.client.name}`,
    name: e.name,
    libc: e.libc,
    libcReason: e.libcReason,
    resolvConf: {
      source: e.resolvConf.source,
      ...(e.resolvConf.file ? { file: e.resolvConf.file } : {}),
      nameservers: e.config.nameservers,
      search: e.config.search,
      options: e.config.options,
    },
    nameservers: e.nameservers.map((ns) => ({ address: ns.address, role: ns.role, description: ns.description, udp: ns.udp, tcp: ns.tcp, notes: ns.notes, evidence: ns.evidence })),
    queries: e.queries.map((q) => ({
      index: q.index,
      atMs: q.atMs,
      nameserver: q.nameserver,
      transport: q.transport,
      type: q.type,
      name: q.name,
      socket: q.socket,
      reason: q.reason,
      rcode: q.reply.rcode,
      answers: q.reply.answers ?? [],
      ...(q.assumed ? { assumed: q.assumed, unknownFrom: q.unknownFrom } : {}),
      answeredBy: q.answeredBy,
      steps: q.steps,
    })),
    result: e.result,
    worstCaseMs: e.worstCaseMs,
    trace: e.simulation.trace,
    notes: e.notes,
  };
}
