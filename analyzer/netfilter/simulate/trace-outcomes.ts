/**
 * Turns the branches a trace ended with into outcomes: one per distinct path and result, with
 * the probabilities of identical branches added up.
 */
import { formatIpAddress } from '../ip-cidr.js';
import type { SimState } from './sim-state.js';
import type { PacketFate, TraceOutcome, TraceStep } from './trace-types.js';

export interface FinalState {
  state: SimState;
  fate: PacketFate;
  path: TraceOutcome['path'];
  exitInterface: string | undefined;
}

function stepKey(s: TraceStep): string {
  return `${s.kind}|${s.file ?? ''}|${s.family}|${s.table}|${s.chain}|${s.hook}|${s.position ?? ''}|${s.line}|${s.verdict}|${s.target ?? ''}|${s.note ?? ''}`;
}

function toOutcome(final: FinalState): TraceOutcome {
  const { state } = final;
  const outcome: TraceOutcome = {
    probability: state.probability,
    steps: state.steps(),
    fate: final.fate,
    path: final.path,
    mark: state.mark,
    uncertain: state.uncertain,
  };
  if (state.dnat) {
    outcome.dnat = { ip: formatIpAddress(state.dnat.ip) };
    if (state.dnat.port !== undefined) outcome.dnat.port = state.dnat.port;
  }
  if (state.snat) {
    outcome.snat = { masquerade: state.snat.masquerade };
    if (state.snat.ip) outcome.snat.ip = formatIpAddress(state.snat.ip);
  }
  if (final.exitInterface !== undefined && final.fate === 'accepted') outcome.exitInterface = final.exitInterface;
  if (state.uncertain) outcome.uncertainLines = [...state.uncertainLines].sort((a, b) => a - b);
  if (state.reason !== undefined) outcome.reason = state.reason;
  return outcome;
}

function outcomeKey(o: TraceOutcome): string {
  return JSON.stringify([
    o.fate,
    o.path,
    o.dnat ?? null,
    o.snat ?? null,
    o.mark,
    o.exitInterface ?? null,
    o.uncertainLines ?? null,
    o.reason ?? null,
    o.steps.map(stepKey),
  ]);
}

/** Distinct outcomes, most likely first; identical branches merged. */
export function outcomesOf(finals: FinalState[]): TraceOutcome[] {
  const byKey = new Map<string, TraceOutcome>();
  for (const final of finals) {
    if (final.state.probability <= 0) continue;
    const outcome = toOutcome(final);
    const key = outcomeKey(outcome);
    const existing = byKey.get(key);
    if (existing) existing.probability += outcome.probability;
    else byKey.set(key, outcome);
  }
  const keyed = [...byKey.entries()];
  keyed.sort((a, b) => b[1].probability - a[1].probability || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return keyed.map(([, outcome]) => outcome);
}
