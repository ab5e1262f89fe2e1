/**
 * The differential test's comparison on its own (no kernel needed): a kernel run agrees with
 * a simulator outcome only when path, fate, exit, DNAT and SNAT source all match.
 */
import { describe, expect, it } from 'vitest';
import type { KernelTraceStep, KernelVerdict } from '../helpers/kernel-netfilter.js';
import type { TraceOutcome, TraceResult, TraceStep } from '../../analyzer/netfilter/simulate/trace-types.js';
import { compareRun } from './compare-trace.js';

const ADDRESSES = { eth0: '10.0.1.11', cni0: '10.244.1.1', lo: '127.0.0.1' };

function kernelRule(chain: string, position: number, line: number, verdict: string, target: string | null = null): KernelTraceStep {
  return {
    family: 'ip', table: 'nat', chain, hook: 'prerouting', kind: 'rule', handle: 10 + position, position, verdict, target,
    nftText: null, savedText: null, dumpLine: line, dumpText: null,
  };
}

function simRule(chain: string, position: number, line: number, verdict: TraceStep['verdict'], target?: string): TraceStep {
  return { kind: 'rule', family: 'ip', table: 'nat', chain, hook: 'prerouting', position, line, text: '', verdict, ...(target ? { target } : {}) };
}

const kernelPolicy: KernelTraceStep = {
  family: 'ip', table: 'nat', chain: 'PREROUTING', hook: 'prerouting', kind: 'policy', handle: null, position: null, verdict: 'accept',
  target: null, nftText: null, savedText: null, dumpLine: null, dumpText: null,
};
const simPolicy: TraceStep = { kind: 'policy', family: 'ip', table: 'nat', chain: 'PREROUTING', hook: 'prerouting', line: 3, text: ':PREROUTING ACCEPT', verdict: 'accept' };

/** Pod 10.244.1.5 to ClusterIP 10.96.0.50:80, DNATed by KUBE-SEP-B (the second endpoint). */
const verdict: KernelVerdict = {
  packet: { from: 'pod', proto: 'tcp', dst: '10.96.0.50', dport: 80, src: '10.244.1.5' },
  sport: 40001,
  src: '10.244.1.5',
  traceIds: ['abc'],
  steps: [
    kernelRule('PREROUTING', 1, 20, 'jump', 'KUBE-SERVICES'),
    kernelRule('KUBE-SERVICES', 1, 30, 'jump', 'KUBE-SVC-X'),
    kernelRule('KUBE-SVC-X', 2, 41, 'jump', 'KUBE-SEP-B'),
    kernelRule('KUBE-SEP-B', 2, 51, 'accept'),
  ],
  hooks: ['prerouting', 'forward', 'postrouting'],
  fate: 'accepted',
  exit: 'out',
  inInterface: 'cni0',
  outInterface: 'eth0',
  final: { src: '10.244.1.5', sport: 40001, dst: '10.244.2.7', dport: 8080 },
  dnat: { address: '10.244.2.7', port: 8080 },
  conntrack: null,
  client: { result: 'no-answer' },
};

function outcome(steps: TraceStep[], overrides: Partial<TraceOutcome> = {}): TraceOutcome {
  return {
    probability: 0.5, steps, fate: 'accepted', path: 'forward', dnat: { ip: '10.244.2.7', port: 8080 }, mark: 0, exitInterface: 'eth0',
    uncertain: false, ...overrides,
  };
}

const viaA = [simRule('PREROUTING', 1, 20, 'jump', 'KUBE-SERVICES'), simRule('KUBE-SERVICES', 1, 30, 'jump', 'KUBE-SVC-X'), simRule('KUBE-SVC-X', 1, 40, 'jump', 'KUBE-SEP-A'), simRule('KUBE-SEP-A', 2, 49, 'accept')];
const viaB = [simRule('PREROUTING', 1, 20, 'jump', 'KUBE-SERVICES'), simRule('KUBE-SERVICES', 1, 30, 'jump', 'KUBE-SVC-X'), simRule('KUBE-SVC-X', 2, 41, 'jump', 'KUBE-SEP-B'), simRule('KUBE-SEP-B', 2, 51, 'accept')];
const packet = { src: '10.244.1.5', dport: 80 };

const result = (...outcomes: TraceOutcome[]): TraceResult => ({ outcomes, unsupported: [] });

describe('compareRun', () => {
  it("agrees when the kernel's statistic choice is one of the fanned-out outcomes", () => {
    const comparison = compareRun(verdict, result(outcome(viaA, { dnat: { ip: '10.244.1.6', port: 8080 } }), outcome(viaB)), packet, ADDRESSES);

    expect(comparison.agree).toBe(true);
    expect(comparison.outcomes.map((o) => o.differences)).toEqual([
      ['path differs at step 3', 'dnat: kernel 10.244.2.7:8080, simulator 10.244.1.6:8080'],
      [],
    ]);
  });

  it('disagrees when only the dump line of a rule differs (the parser mapped it to another line)', () => {
    const shifted = viaB.map((s, i) => (i === 3 ? { ...s, line: 52 } : s));
    const comparison = compareRun(verdict, result(outcome(shifted)), packet, ADDRESSES);

    expect(comparison.agree).toBe(false);
    expect(comparison.outcomes[0].differences).toEqual(['path differs at step 4']);
  });

  it('disagrees on a missing policy step, a wrong fate, a wrong DNAT port and a wrong source after SNAT', () => {
    const withPolicy = { ...verdict, steps: [...verdict.steps, kernelPolicy] };
    expect(compareRun(withPolicy, result(outcome(viaB)), packet, ADDRESSES).outcomes[0].differences).toEqual(['path differs at step 5']);
    expect(compareRun(withPolicy, result(outcome([...viaB, simPolicy])), packet, ADDRESSES).agree).toBe(true);

    const dropped = compareRun(verdict, result(outcome(viaB, { fate: 'dropped' })), packet, ADDRESSES);
    expect(dropped.outcomes[0].differences).toEqual(['fate: kernel accepted, simulator dropped', 'exit: kernel out eth0, simulator -', 'source: kernel 10.244.1.5, simulator -']);

    const wrongPort = compareRun(verdict, result(outcome(viaB, { dnat: { ip: '10.244.2.7' } })), packet, ADDRESSES);
    expect(wrongPort.outcomes[0].differences).toEqual(['dnat: kernel 10.244.2.7:8080, simulator 10.244.2.7:80']);

    const masqueraded = compareRun(verdict, result(outcome(viaB, { snat: { masquerade: true } })), packet, ADDRESSES);
    expect(masqueraded.outcomes[0].differences).toEqual(['source: kernel 10.244.1.5, simulator 10.0.1.11']);
  });

  it('reads a masquerade as the primary address of the interface the packet leaves by', () => {
    const masqueradedKernel: KernelVerdict = { ...verdict, final: { ...verdict.final!, src: '10.0.1.11' } };
    expect(compareRun(masqueradedKernel, result(outcome(viaB, { snat: { masquerade: true } })), packet, ADDRESSES).agree).toBe(true);
    expect(compareRun(masqueradedKernel, result(outcome(viaB, { snat: { masquerade: true }, exitInterface: 'cni0' })), packet, ADDRESSES).agree).toBe(false);
  });

  it('tells local delivery from forwarding', () => {
    const local: KernelVerdict = { ...verdict, exit: 'local', outInterface: null, hooks: ['prerouting', 'input'] };
    expect(compareRun(local, result(outcome(viaB, { path: 'input', exitInterface: undefined })), packet, ADDRESSES).agree).toBe(true);
    expect(compareRun(local, result(outcome(viaB)), packet, ADDRESSES).outcomes[0].differences).toEqual([
      'exit: kernel local, simulator out eth0',
      'source: kernel -, simulator 10.244.1.5',
    ]);
  });
});
