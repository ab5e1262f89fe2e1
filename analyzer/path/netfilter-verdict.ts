/**
 * One node's netfilter verdict on a packet of the path, from the simulator's trace: accepted,
 * dropped (and by which line), or split between the two (probabilistic rules, rules the
 * simulator could not evaluate), with the DNAT and SNAT it underwent. Each decisive rule is
 * evidence.
 */
import { makeEvidence, type Evidence } from '../bundle/source-file.js';
import type { TraceOutcome, TraceResult, TraceStep } from '../netfilter/simulate/trace-types.js';
import type { HopStatus } from './path-types.js';

export interface NetfilterVerdict {
  status: HopStatus;
  /** "FORWARD accepts it", "dropped by DOCKER-ISOLATION-STAGE-2 (line 31)". */
  text: string;
  evidence: Evidence[];
  /** The outcome the path follows: the most likely accepted one, else the most likely. */
  outcome?: TraceOutcome;
  /** Other DNAT destinations the trace fans out to (a Service's other endpoints). */
  alternatives: string[];
  unknowns: string[];
}

/** Targets that decide where or whether a packet goes. */
const DECISIVE = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'DROP', 'REJECT', 'ACCEPT']);

export function judgeNetfilterTrace(result: TraceResult, fallbackFile: string): NetfilterVerdict {
  const outcomes = [...result.outcomes].sort((a, b) => b.probability - a.probability);
  const unknowns = result.unsupported.slice(0, 3).map((u) => `not modelled: ${u.file ?? fallbackFile}:${u.line} ${u.reason}`);
  if (outcomes.length === 0) return { status: 'unknown', text: 'the simulator found no path for the packet', evidence: [], alternatives: [], unknowns };
  const accepted = outcomes.filter((o) => o.fate === 'accepted');
  const certainDrops = outcomes.filter((o) => (o.fate === 'dropped' || o.fate === 'rejected') && !o.uncertain);
  const outcome = accepted[0] ?? outcomes[0]!;
  const evidence = decisiveSteps(outcome).map((s) => makeEvidence(s.file ?? fallbackFile, s.line, s.text, `${s.table} ${s.chain}: ${s.kind === 'policy' ? `policy ${s.verdict.toUpperCase()}` : (s.target ?? s.verdict.toUpperCase())}`));
  const alternatives = [...new Set(accepted.slice(1).flatMap((o) => (o.dnat ? [`${o.dnat.ip}${o.dnat.port !== undefined ? `:${o.dnat.port}` : ''}`] : [])))];
  const nat = [outcome.dnat ? `DNAT to ${outcome.dnat.ip}${outcome.dnat.port !== undefined ? `:${outcome.dnat.port}` : ''}` : '', outcome.snat ? (outcome.snat.masquerade ? `masqueraded${outcome.snat.ip ? ` to ${outcome.snat.ip}` : ''}` : `SNAT to ${outcome.snat.ip}`) : ''].filter(Boolean);
  const natText = nat.length > 0 ? ` (${nat.join(', ')})` : '';

  if (accepted.length === 0) {
    const drop = dropStep(outcome);
    const where = drop ? `${drop.kind === 'policy' ? `the ${drop.chain} policy ${drop.verdict.toUpperCase()}` : `${drop.chain}`} (${drop.file ?? fallbackFile}:${drop.line})` : (outcome.reason ?? 'no rule accepts it');
    if (certainDrops.length === outcomes.length) return { status: 'blocked', text: `dropped by ${where}`, evidence, outcome, alternatives, unknowns };
    return { status: 'unknown', text: `dropped by ${where}, on paths that rest on rules the simulator could not evaluate`, evidence, outcome, alternatives, unknowns };
  }
  const dropShare = certainDrops.reduce((sum, o) => sum + o.probability, 0);
  if (dropShare > 0) {
    const drop = dropStep(certainDrops[0]!);
    const where = drop ? `${drop.chain} (${drop.file ?? fallbackFile}:${drop.line})` : 'a drop';
    return { status: 'warning', text: `accepted${natText} on ${percent(1 - dropShare)} of its paths; ${percent(dropShare)} end at ${where}`, evidence, outcome, alternatives, unknowns };
  }
  const last = [...outcome.steps].reverse().find((s) => s.table === 'filter' && (s.verdict === 'accept' || s.kind === 'policy'));
  const how = last ? (last.kind === 'policy' ? `the ${last.chain} policy ACCEPT` : `${last.chain} (${last.file ?? fallbackFile}:${last.line})`) : 'no filter rule stops it';
  const uncertain = outcome.uncertain ? ' (on a path through rules the simulator could not evaluate)' : '';
  return { status: outcome.uncertain ? 'unknown' : 'ok', text: `accepted by ${how}${natText}${uncertain}`, evidence, outcome, alternatives, unknowns };
}

function decisiveSteps(outcome: TraceOutcome): TraceStep[] {
  const steps = outcome.steps.filter((s) => (s.kind === 'rule' && (DECISIVE.has(s.target ?? '') || s.verdict === 'drop' || s.verdict === 'accept')) || (s.kind === 'policy' && (s.verdict === 'drop' || s.table === 'filter')) || s.kind === 'ipvs');
  return steps.slice(-6);
}

function dropStep(outcome: TraceOutcome): TraceStep | undefined {
  return [...outcome.steps].reverse().find((s) => s.verdict === 'drop');
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
