/**
 * `netdump path` output: for a terminal, a headline with the verdict, then each hop with its
 * facts, evidence (file:line) and what was not collected, then encapsulation, path MTU and
 * policy; or the PathResult as JSON.
 *
 *   shop/frontend-5997b69cc8-d2pms (10.244.1.14, node-b) → shop/cart-845d9ff6b-nsk8z (10.244.2.21, node-c)  tcp/8080
 *   BLOCKED: blocked at node-b: only the default route matches 10.244.2.21, not tunl0 ...
 *
 *    1. ok       pod   shop/frontend-5997b69cc8-d2pms: sends from 10.244.1.14 (mtu 1480)
 *                      10.244.1.14 on node-b, behind cali3b5e2a1f7c9
 *                      cluster/pods.json:412  "podIPs": [  (shop/frontend-... has 10.244.1.14)
 */
import type { Evidence } from '../bundle/source-file.js';
import type { PathEndpoint, PathHop, PathResult, PathVerdict } from './path-types.js';

const VERDICT_WORDS: Record<PathVerdict, string> = {
  works: 'WORKS',
  blocked: 'BLOCKED',
  'mtu-black-hole': 'MTU BLACK HOLE',
  unknown: 'UNDETERMINED',
};

export function renderPathText(result: PathResult): string {
  const lines: string[] = [];
  const service = result.translatedFrom ? `  (asked: ${result.translatedFrom.ip}${result.translatedFrom.port !== undefined ? `:${result.translatedFrom.port}` : ''}, ${result.translatedFrom.what}, via ${result.translatedFrom.how})` : '';
  lines.push(`${endpointText(result.from)} → ${endpointText(result.to)}  ${result.protocol}${result.port !== undefined ? `/${result.port}` : ''}${service}`);
  lines.push(`${VERDICT_WORDS[result.verdict]}: ${result.reason}`);
  lines.push('');
  result.hops.forEach((hop, i) => lines.push(...hopLines(hop, i + 1)));
  lines.push('');
  const row = (label: string, text: string) => lines.push(`${label.padEnd(15)}${text}`);
  if (result.encapsulation) {
    const e = result.encapsulation;
    row('encapsulation', e.kind === 'none' ? `${e.name}${e.device ? ` out of ${e.device}${e.deviceMtu !== undefined ? ` (mtu ${e.deviceMtu})` : ''}` : ''}` : `${e.name}, ${e.overhead} bytes: ${e.device}${e.deviceMtu !== undefined ? ` (mtu ${e.deviceMtu})` : ''}${e.underlay ? ` over ${e.underlay} (mtu ${e.underlayMtu})` : ''}`);
  }
  if (result.mtu) row('path MTU', result.mtu.text);
  if (result.policy) row('policy', result.policy.text);
  for (const e of result.policy?.evidence ?? []) lines.push(`${''.padEnd(15)}${evidenceText(e)}`);
  if (result.notes.length > 0) {
    lines.push('notes:');
    for (const note of result.notes) lines.push(`  - ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

function endpointText(endpoint: PathEndpoint): string {
  const where = [endpoint.ip !== endpoint.name ? endpoint.ip : '', endpoint.node ?? ''].filter(Boolean).join(', ');
  return where ? `${endpoint.name} (${where})` : endpoint.name;
}

function hopLines(hop: PathHop, n: number): string[] {
  const indent = ' '.repeat(22);
  const lines = [`${String(n).padStart(2)}. ${hop.status.padEnd(8)} ${hop.kind.padEnd(9)} ${hop.name}: ${hop.summary}`];
  for (const detail of hop.details) lines.push(`${indent}${detail}`);
  for (const e of hop.evidence) lines.push(`${indent}${evidenceText(e)}`);
  for (const unknown of hop.unknowns) lines.push(`${indent}? ${unknown}`);
  return lines;
}

function evidenceText(e: Evidence): string {
  return `${e.file}:${e.line}  ${e.text}${e.note ? `  (${e.note})` : ''}`;
}

/** The result as `--format json` prints it: the PathResult itself, with the exit code's meaning. */
export function pathJson(result: PathResult): Record<string, unknown> {
  return { works: result.verdict === 'works', ...result };
}
