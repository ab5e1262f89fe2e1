/**
 * Compares what the kernel did with one packet (KernelVerdict, from the lab's trace) with what
 * netdump's simulator predicts (TraceResult): the kernel's run must be one of the simulator's
 * outcomes, in every respect the trace shows:
 *
 *   - the rule path: every rule that fully matched, in order, as table / chain / position /
 *     dump line / verdict, and the base-chain policies that applied;
 *   - the fate (accepted / dropped / rejected) and where an accepted packet went (delivered
 *     locally or out of which interface);
 *   - the DNAT destination (address and port), and the source address after SNAT/MASQUERADE.
 *
 * For `statistic` rules the simulator fans out one outcome per choice; matching by the whole
 * step sequence means the kernel's choice has to be one of them.
 */
import type { KernelTraceStep, KernelVerdict } from '../helpers/kernel-netfilter.js';
import type { TraceOutcome, TraceResult, TraceStep } from '../../analyzer/netfilter/simulate/trace-types.js';

/** The primary IPv4 address of each lab interface, for the source MASQUERADE picks. */
export type InterfaceAddresses = Record<string, string>;

export interface ObservedRun {
  steps: string[];
  fate: string;
  exit: string;
  dnat: string;
  source: string;
}

export interface Comparison {
  agree: boolean;
  kernel: ObservedRun;
  /** each simulator outcome in the same terms, with what differs from the kernel's run */
  outcomes: Array<{ outcome: TraceOutcome; run: ObservedRun; differences: string[] }>;
}

export function kernelStepKey(step: KernelTraceStep): string {
  if (step.kind === 'policy') return `${step.table} ${step.chain} policy ${step.verdict}`;
  return `${step.table} ${step.chain} #${step.position ?? '?'} L${step.dumpLine ?? '?'} ${step.verdict}${step.target ? ` ${step.target}` : ''}`;
}

export function simulatorStepKey(step: TraceStep): string {
  if (step.kind === 'policy') return `${step.table} ${step.chain} policy ${step.verdict}`;
  const target = step.verdict === 'jump' || step.verdict === 'goto' ? ` ${step.target ?? '?'}` : '';
  return `${step.table} ${step.chain} #${step.position ?? '?'} L${step.line} ${step.verdict}${target}`;
}

const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

export function observeKernel(verdict: KernelVerdict): ObservedRun {
  const exit = verdict.fate !== 'accepted' ? '-' : verdict.exit === 'local' ? 'local' : `out ${verdict.outInterface ?? '?'}`;
  return {
    steps: verdict.steps.map(kernelStepKey),
    fate: verdict.fate,
    exit,
    dnat: verdict.dnat ? endpoint(verdict.dnat.address, verdict.dnat.port) : 'none',
    source: verdict.fate === 'accepted' && verdict.exit === 'out' && verdict.final ? verdict.final.src : '-',
  };
}

export function observeSimulator(outcome: TraceOutcome, packet: { src: string; dport: number }, addresses: InterfaceAddresses): ObservedRun {
  const local = outcome.path === 'input' || outcome.exitInterface === 'lo';
  const exit = outcome.fate !== 'accepted' ? '-' : local ? 'local' : `out ${outcome.exitInterface ?? '?'}`;
  let source = '-';
  if (outcome.fate === 'accepted' && !local) {
    if (!outcome.snat) source = packet.src;
    else source = outcome.snat.ip ?? addresses[outcome.exitInterface ?? ''] ?? `masquerade via ${outcome.exitInterface}`;
  }
  return {
    steps: outcome.steps.map(simulatorStepKey),
    fate: outcome.fate,
    exit,
    dnat: outcome.dnat ? endpoint(outcome.dnat.ip, outcome.dnat.port ?? packet.dport) : 'none',
    source,
  };
}

function differencesOf(kernel: ObservedRun, simulated: ObservedRun): string[] {
  const differences: string[] = [];
  const firstStep = firstDifference(kernel.steps, simulated.steps);
  if (firstStep !== -1) differences.push(`path differs at step ${firstStep + 1}`);
  for (const key of ['fate', 'exit', 'dnat', 'source'] as const) {
    if (kernel[key] !== simulated[key]) differences.push(`${key}: kernel ${kernel[key]}, simulator ${simulated[key]}`);
  }
  return differences;
}

function firstDifference(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

export function compareRun(
  verdict: KernelVerdict,
  result: TraceResult,
  packet: { src: string; dport: number },
  addresses: InterfaceAddresses,
): Comparison {
  const kernel = observeKernel(verdict);
  const outcomes = result.outcomes.map((outcome) => {
    const run = observeSimulator(outcome, packet, addresses);
    return { outcome, run, differences: differencesOf(kernel, run) };
  });
  return { agree: outcomes.some((o) => o.differences.length === 0), kernel, outcomes };
}

/** Where two step lists first part, for a report: the common prefix is folded. */
export function formatStepLists(kernel: string[], simulated: string[], indent: string): string[] {
  const at = firstDifference(kernel, simulated);
  const lines: string[] = [];
  const shared = at === -1 ? kernel.length : at;
  if (shared > 0) lines.push(`${indent}(same first ${shared} step${shared === 1 ? '' : 's'})`);
  return lines.concat(simulated.slice(shared).map((s) => `${indent}${s}`));
}
