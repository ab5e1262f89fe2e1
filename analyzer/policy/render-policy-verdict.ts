/**
 * A flow verdict for people (the walk: each direction, each policy considered, whether it
 * selects the endpoint, which rule matched or why none did, with file:line) and for machines
 * (plain JSON: endpoints by name and IP instead of model objects).
 */
import type { Evidence } from '../bundle/source-file.js';
import { describeEndpoint, describePort } from './flow-text.js';
import type { DecidingRule, DirectionVerdict, FlowEndpoint, FlowVerdict, PolicyConsideration, Verdict } from './policy-types.js';

export interface EndpointJson {
  kind: FlowEndpoint['kind'];
  ip: string;
  pod?: string;
  node?: string;
}

export function endpointJson(endpoint: FlowEndpoint): EndpointJson {
  const out: EndpointJson = { kind: endpoint.kind, ip: endpoint.ip };
  if (endpoint.kind === 'pod') out.pod = `${endpoint.pod.namespace}/${endpoint.pod.name}`;
  if (endpoint.kind === 'node') {
    if (endpoint.node) out.node = endpoint.node.name;
    if (endpoint.pod) out.pod = `${endpoint.pod.namespace}/${endpoint.pod.name}`;
  }
  return out;
}

/** The verdict as JSON-safe data (what `--format json` prints). */
export function verdictJson(verdict: FlowVerdict): Record<string, unknown> {
  const out: Record<string, unknown> = { verdict: verdict.verdict, engine: verdict.engine };
  if (verdict.cni !== undefined) out.cni = verdict.cni;
  if (verdict.flow) {
    const flow = verdict.flow;
    out.flow = { src: endpointJson(flow.src), dst: endpointJson(flow.dst), protocol: flow.protocol, ...(flow.port !== undefined ? { port: flow.port } : {}), ...(flow.viaService ? { viaService: flow.viaService } : {}) };
  }
  out.decidedBy = verdict.decidedBy;
  out.egress = verdict.egress;
  out.ingress = verdict.ingress;
  out.notes = verdict.notes;
  if (verdict.backends) {
    out.backends = verdict.backends.map((b) => ({ endpoint: endpointJson(b.endpoint), ...(b.port !== undefined ? { port: b.port } : {}), verdict: verdictJson(b.verdict) }));
  }
  return out;
}

const WORD: Record<Verdict, string> = { allow: 'ALLOW', deny: 'DENY', unknown: 'UNKNOWN' };

const where = (evidence: Evidence) => `${evidence.file}:${evidence.line}`;

function ruleLine(rule: DecidingRule): string {
  const mark = rule.action === 'deny' ? '✗' : rule.action === 'allow' ? '✓' : '→';
  const index = rule.ruleIndex === null ? '' : ` rule ${rule.ruleIndex}`;
  return `${mark} ${rule.policy}${index} (${rule.action}): ${rule.reason}  [${where(rule.evidence)}]`;
}

function considerationLines(c: PolicyConsideration, decided: ReadonlySet<string>): string[] {
  if (!c.selects) return [`· ${c.policy}: does not apply${c.note ? ` — ${c.note}` : ''}  [${where(c.evidence)}]`];
  const lines: string[] = [];
  if (!decided.has(c.policy)) {
    const matched = c.matchedRule === null ? 'no rule matched' : `rule ${c.matchedRule} matched`;
    lines.push(`· ${c.policy}: selects the endpoint, ${matched}${c.note ? ` — ${c.note}` : ''}  [${where(c.evidence)}]`);
  } else if (c.note) {
    lines.push(`  ${c.policy}: ${c.note}`);
  }
  for (const miss of c.misses) lines.push(`    rule ${miss.ruleIndex} did not match: ${miss.reason}`);
  return lines;
}

function directionText(label: string, direction: DirectionVerdict): string[] {
  const lines = [`${label}: ${WORD[direction.verdict]}${direction.isolated ? '' : ' (not isolated)'}`];
  const decided = new Set(direction.decidedBy.map((d) => d.policy));
  for (const rule of direction.decidedBy) lines.push(`  ${ruleLine(rule)}`);
  for (const c of direction.considered) for (const line of considerationLines(c, decided)) lines.push(`  ${line}`);
  for (const note of direction.notes) lines.push(`  note: ${note}`);
  return lines;
}

function flowHeader(verdict: FlowVerdict): string {
  const engine = verdict.engine === 'none' ? `no enforcement (${verdict.cni ?? 'unknown CNI'})` : `${verdict.engine}${verdict.cni && verdict.cni !== verdict.engine ? `, CNI ${verdict.cni}` : ''}`;
  if (!verdict.flow) return `${WORD[verdict.verdict]}  (${engine})`;
  const flow = verdict.flow;
  const via = flow.viaService ? ` via Service ${flow.viaService}` : '';
  return `${describeEndpoint(flow.src)} → ${describeEndpoint(flow.dst)} ${describePort(flow)}${via}: ${WORD[verdict.verdict]}  (${engine})`;
}

function singleFlowText(verdict: FlowVerdict): string[] {
  const lines = [flowHeader(verdict)];
  if (verdict.flow) {
    lines.push(...directionText(`  egress of ${describeEndpoint(verdict.flow.src)}`, verdict.egress).map((l, i) => (i === 0 ? l : `  ${l}`)));
    lines.push(...directionText(`  ingress of ${describeEndpoint(verdict.flow.dst)}`, verdict.ingress).map((l, i) => (i === 0 ? l : `  ${l}`)));
  }
  for (const note of verdict.notes) lines.push(`  note: ${note}`);
  return lines;
}

/** The verdict and its walk, as `netdump policy` prints it. */
export function renderVerdictText(verdict: FlowVerdict): string {
  if (!verdict.backends) return singleFlowText(verdict).join('\n') + '\n';
  const lines = [`${WORD[verdict.verdict]} over ${verdict.backends.length} endpoint${verdict.backends.length === 1 ? '' : 's'}  (${verdict.engine}${verdict.cni ? `, CNI ${verdict.cni}` : ''})`];
  for (const note of verdict.notes) lines.push(`  note: ${note}`);
  for (const backend of verdict.backends) {
    lines.push('');
    lines.push(...singleFlowText(backend.verdict).filter((line) => !verdict.notes.includes(line.replace(/^ {2}note: /, ''))));
  }
  return lines.join('\n') + '\n';
}
