/**
 * The iptables packet simulator: walks a parsed iptables-save dump the way the kernel runs it.
 *
 *   const sim = compileIptables(dump, { ipsets, file: 'nodes/node-b/iptables-save.txt' });
 *   const result = sim.trace(node, { from: 'pod', src: '10.244.1.5', dst: '10.96.14.7', dport: 80 });
 *
 * Tables attach to hooks at their kernel priorities (raw -300, mangle -150, nat, filter 0,
 * security 50). Jumps, gotos (a RETURN from a goto'd chain returns to the chain that called the
 * chain holding the goto), RETURN, falling off user chains and built-in policies follow
 * iptables; ACCEPT ends the table's chain for this hook, DROP/REJECT end the packet. NAT targets
 * end the nat chain with ACCEPT, as the kernel's trace shows them.
 *
 * Compiling indexes every long chain once (see ChainIndex) so one trace on a 10,000-Service
 * kube-proxy dump visits a handful of rules.
 */
import { applyMarkUpdate } from '../mark-update.js';
import { formatIpAddress, parseIpAddress } from '../ip-cidr.js';
import type { IpsetDump } from '../ipset-types.js';
import type { ExtensionTarget, IptablesChain, IptablesDump, IptablesRule, IptablesTable } from '../iptables-types.js';
import { sortHookEntries, tracePacketPaths, type EntryResult, type EntryVerdict, type HookEntry } from './hook-pipeline.js';
import { ChainIndex } from './iptables-chain-index.js';
import { matchIptablesRule, type MatchEnvironment } from './iptables-rule-match.js';
import { NodeFacts } from './node-context.js';
import type { SimState } from './sim-state.js';
import { MatchNotes, MAX_CHAIN_DEPTH, TraceContext } from './trace-context.js';
import type { Hook, NodeNetContext, SimPacket, StepVerdict, TraceResult } from './trace-types.js';

export interface IptablesSimulatorOptions {
  /** `ipset save` of the same node, for `-m set --match-set`. */
  ipsets?: IpsetDump;
  /** Bundle path of the dump, copied onto every step as its evidence file. */
  file?: string;
  /** Index long chains (default true); false scans every rule, which tests use as the reference. */
  indexChains?: boolean;
}

export interface IptablesSimulator {
  readonly family: 4 | 6;
  trace(node: NodeNetContext, packet: SimPacket): TraceResult;
  /** The dump's base chains for a hook, for composing with IPVS (trace-ipvs). */
  hookEntries(hook: Hook): readonly HookEntry[];
}

/** Where each table's built-in chains attach, and at which priority. */
const TABLE_HOOKS: Record<string, { priority: number; nat: boolean; chains: Partial<Record<Hook, string>> }> = {
  raw: { priority: -300, nat: false, chains: { prerouting: 'PREROUTING', output: 'OUTPUT' } },
  mangle: {
    priority: -150,
    nat: false,
    chains: { prerouting: 'PREROUTING', input: 'INPUT', forward: 'FORWARD', output: 'OUTPUT', postrouting: 'POSTROUTING' },
  },
  nat: { priority: 0, nat: true, chains: { prerouting: 'PREROUTING', input: 'INPUT', output: 'OUTPUT', postrouting: 'POSTROUTING' } },
  filter: { priority: 0, nat: false, chains: { input: 'INPUT', forward: 'FORWARD', output: 'OUTPUT' } },
  security: { priority: 50, nat: false, chains: { input: 'INPUT', forward: 'FORWARD', output: 'OUTPUT' } },
};

const HOOKS: Hook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

/** Extensions that only observe or decorate the packet: the rule continues, fate unaffected. */
const PASSIVE_TARGETS = new Set([
  'AUDIT',
  'CHECKSUM',
  'CLASSIFY',
  'CONNSECMARK',
  'DSCP',
  'ECN',
  'HL',
  'IDLETIMER',
  'LED',
  'NFLOG',
  'RATEEST',
  'SECMARK',
  'TCPMSS',
  'TCPOPTSTRIP',
  'TEE',
  'TOS',
  'TTL',
  'ULOG',
]);

/** Extensions that continue but change state the simulator does not follow. */
const OPAQUE_CONTINUE_TARGETS = new Set(['SET', 'HMARK']);

type ChainVerdict = EntryVerdict | 'return';

interface ChainResult {
  state: SimState;
  verdict: ChainVerdict;
}

/** Per base-chain run: what every rule evaluation needs. */
interface Run {
  trace: TraceContext;
  env: MatchEnvironment;
  hook: Hook;
  notes: MatchNotes;
  /** Why the rule being applied matched only on some branches (shown on its step). */
  matchNote: string | undefined;
}

class CompiledIptables implements IptablesSimulator {
  readonly family: 4 | 6;
  private readonly familyName: string;
  private readonly indexes = new Map<IptablesChain, ChainIndex | undefined>();
  private readonly entries = new Map<Hook, HookEntry[]>();

  constructor(
    private readonly dump: IptablesDump,
    private readonly options: IptablesSimulatorOptions,
  ) {
    this.family = dump.family;
    this.familyName = dump.family === 6 ? 'ip6' : 'ip';
    for (const table of options.indexChains === false ? [] : dump.tables.values()) {
      for (const chain of table.chains.values()) {
        const index = ChainIndex.build(chain);
        if (index) this.indexes.set(chain, index);
      }
    }
    for (const hook of HOOKS) {
      const list: HookEntry[] = [];
      for (const table of dump.tables.values()) {
        const spec = TABLE_HOOKS[table.name];
        const chainName = spec?.chains[hook];
        const chain = chainName === undefined ? undefined : table.chains.get(chainName);
        if (!spec || !chain) continue;
        list.push({
          priority: spec.priority,
          nat: spec.nat,
          run: (state, h, trace) => this.runBaseChain(table, chain, state, h, trace),
        });
      }
      this.entries.set(hook, sortHookEntries(list, hook));
    }
  }

  hookEntries(hook: Hook): readonly HookEntry[] {
    return this.entries.get(hook) ?? [];
  }

  trace(node: NodeNetContext, packet: SimPacket): TraceResult {
    const facts = new NodeFacts(node);
    const trace = new TraceContext(facts);
    const source = parseIpAddress(packet.src);
    if (source && source.family !== this.family) {
      throw new RangeError(`packet ${packet.src} → ${packet.dst} is not IPv${this.family}, the family of this dump`);
    }
    if (this.dump.tables.has('')) {
      const excerpt = this.dump.tables.get('')!;
      trace.unsupported(excerpt.line, 'rules outside any *table section are not attached to a hook and were not simulated', this.options.file);
    }
    const outcomes = tracePacketPaths((hook) => this.hookEntries(hook), packet, trace);
    return { outcomes, unsupported: trace.unsupportedList() };
  }

  // -------------------------------------------------------------------------------------------

  private runBaseChain(table: IptablesTable, chain: IptablesChain, state: SimState, hook: Hook, trace: TraceContext): EntryResult[] {
    const run: Run = {
      trace,
      env: { node: trace.node, ipsets: this.options.ipsets, hook, fromHost: state.constants.origin === 'host' && !state.ipvs },
      hook,
      notes: new MatchNotes(),
      matchNote: undefined,
    };
    const results: EntryResult[] = [];
    for (const r of this.runChain(table, chain, state, 0, run)) {
      if (r.verdict !== 'return') {
        results.push({ state: r.state, verdict: r.verdict });
        continue;
      }
      const policy = chain.policy ?? 'ACCEPT';
      const drop = policy === 'DROP';
      r.state.addStep({
        kind: 'policy',
        ...(this.options.file === undefined ? {} : { file: this.options.file }),
        family: this.familyName,
        table: table.name,
        chain: chain.name,
        hook,
        line: chain.line ?? table.line,
        text: `:${chain.name} ${policy}`,
        verdict: drop ? 'drop' : 'accept',
      });
      results.push({ state: r.state, verdict: drop ? 'drop' : 'accept' });
    }
    return results;
  }

  private runChain(table: IptablesTable, chain: IptablesChain, state: SimState, depth: number, run: Run): ChainResult[] {
    const results: ChainResult[] = [];
    const rules = chain.rules;
    const index = this.indexes.get(chain);
    const order = index ? index.candidates(state) : undefined;
    const count = order ? order.length : rules.length;
    const pending: { state: SimState; at: number }[] = [{ state, at: 0 }];
    while (pending.length > 0) {
      const item = pending.pop()!;
      let s = item.state;
      let ended = false;
      for (let at = item.at; at < count && !ended; at++) {
        const rule = rules[order ? order[at]! : at]!;
        run.notes.reasons.length = 0;
        const p = matchIptablesRule(rule, s, run.env, run.notes);
        if (p === 0) continue;
        if (run.notes.reasons.length > 0) {
          for (const reason of run.notes.reasons) run.trace.unsupported(rule.line, reason, this.options.file);
        }
        if (p < 1) {
          if (!run.trace.allowFork()) {
            s.reason = 'the trace reached its branch limit here';
            results.push({ state: s, verdict: 'unknown' });
            ended = true;
            break;
          }
          const miss = s.fork(s.probability * (1 - p));
          s.probability *= p;
          if (run.notes.reasons.length > 0) {
            miss.markUncertain(rule.line);
            s.markUncertain(rule.line);
          }
          pending.push({ state: miss, at: at + 1 });
        }
        run.matchNote =
          run.notes.reasons.length > 0
            ? `assumed to match: ${run.notes.reasons.join('; ')}`
            : p < 1
              ? `matched with probability ${Math.round(p * 1e6) / 1e6}`
              : undefined;
        ended = this.applyTarget(table, rule, s, depth, run, results, pending, at);
      }
      if (!ended) results.push({ state: s, verdict: 'return' });
    }
    return results;
  }

  private step(rule: IptablesRule, s: SimState, run: Run, verdict: StepVerdict, target?: string, extraNote?: string): void {
    const note = run.matchNote === undefined ? extraNote : extraNote === undefined ? run.matchNote : `${run.matchNote}; ${extraNote}`;
    s.addStep({
      kind: 'rule',
      ...(this.options.file === undefined ? {} : { file: this.options.file }),
      family: this.familyName,
      table: rule.table,
      chain: rule.chain,
      hook: run.hook,
      position: rule.position,
      line: rule.line,
      text: rule.text,
      verdict,
      ...(target === undefined ? {} : { target }),
      ...(note === undefined ? {} : { note }),
    });
  }

  /**
   * Applies the target of a matched rule. Returns true when the current branch ended here (a
   * verdict, or a jump whose continuations were queued in `pending`).
   */
  private applyTarget(
    table: IptablesTable,
    rule: IptablesRule,
    s: SimState,
    depth: number,
    run: Run,
    results: ChainResult[],
    pending: { state: SimState; at: number }[],
    at: number,
  ): boolean {
    const target = rule.target;
    switch (target.kind) {
      case 'none':
        this.step(rule, s, run, 'continue');
        return false;
      case 'verdict': {
        if (target.name === 'QUEUE') {
          this.step(rule, s, run, 'queue', 'QUEUE');
          s.reason = 'queued to userspace (QUEUE): the verdict is not known';
          results.push({ state: s, verdict: 'unknown' });
          return true;
        }
        const verdict = target.name === 'ACCEPT' ? 'accept' : target.name === 'DROP' ? 'drop' : 'return';
        this.step(rule, s, run, verdict);
        results.push({ state: s, verdict });
        return true;
      }
      case 'jump':
      case 'goto': {
        this.step(rule, s, run, target.kind, target.name);
        const next = table.chains.get(target.name);
        if (!next) {
          run.trace.unsupported(rule.line, `${target.kind} to chain ${target.name}, which the dump does not define (taken as empty)`, this.options.file);
          if (target.kind === 'jump') return false;
          results.push({ state: s, verdict: 'return' });
          return true;
        }
        if (depth + 1 > MAX_CHAIN_DEPTH) {
          run.trace.unsupported(rule.line, `chains nest deeper than ${MAX_CHAIN_DEPTH} (a loop?)`, this.options.file);
          s.reason = 'chain nesting too deep';
          results.push({ state: s, verdict: 'unknown' });
          return true;
        }
        for (const r of this.runChain(table, next, s, depth + 1, run)) {
          // RETURN (or the end) of a jumped-to chain resumes here; of a goto'd chain, returns from this chain.
          if (r.verdict === 'return' && target.kind === 'jump') pending.push({ state: r.state, at: at + 1 });
          else results.push(r);
        }
        return true;
      }
      case 'extension':
        return this.applyExtension(rule, target, s, run, results);
    }
  }

  private applyExtension(rule: IptablesRule, target: ExtensionTarget, s: SimState, run: Run, results: ChainResult[]): boolean {
    const file = this.options.file;
    const opaque = target.unsupportedOptions && target.unsupportedOptions.length > 0;
    if (opaque) {
      run.trace.unsupported(rule.line, `${target.unsupportedOptions!.join(' ')} of -j ${target.name} is not evaluated`, file);
      s.markUncertain(rule.line);
    }
    const end = (verdict: EntryVerdict, stepVerdict: StepVerdict, note?: string) => {
      this.step(rule, s, run, stepVerdict, target.name, note);
      results.push({ state: s, verdict });
      return true;
    };
    switch (target.extension) {
      case 'DNAT': {
        const range = target.toDestination[0];
        if (!range) return this.unknownTarget(rule, target.name, s, run, results, '-j DNAT without a destination');
        const address = range.addressFirst ?? s.dst;
        const port = range.portFirst ?? s.dport;
        const ranged =
          target.toDestination.length > 1 ||
          (range.addressLast !== undefined && range.addressLast.value !== address.value) ||
          (range.portLast !== undefined && range.portLast !== range.portFirst);
        s.dst = address;
        s.dport = port;
        s.dnat = range.portFirst === undefined ? { ip: address } : { ip: address, port: range.portFirst };
        s.dnatDone = true;
        return end('accept', 'accept', ranged ? `--to-destination ${target.toDestination.map((r) => r.text).join(' ')}: the kernel picks one; the first is shown` : undefined);
      }
      case 'SNAT': {
        const range = target.toSource[0];
        if (!range) return this.unknownTarget(rule, target.name, s, run, results, '-j SNAT without a source');
        if (range.addressFirst) s.src = range.addressFirst;
        if (range.portFirst !== undefined) s.sport = range.portFirst;
        s.snat = range.addressFirst ? { ip: range.addressFirst, masquerade: false } : { masquerade: false };
        s.snatDone = true;
        const ranged = target.toSource.length > 1 || (range.addressLast !== undefined && range.addressLast.value !== range.addressFirst?.value);
        return end('accept', 'accept', ranged ? `--to-source ${range.text}: the kernel picks one; the first is shown` : undefined);
      }
      case 'MASQUERADE': {
        const address = run.trace.node.primaryAddress(s.outIface, this.family);
        if (address) s.src = address;
        s.snat = address ? { ip: address, masquerade: true } : { masquerade: true };
        s.snatDone = true;
        return end('accept', 'accept');
      }
      case 'REDIRECT': {
        const local =
          run.hook === 'output'
            ? parseIpAddress(this.family === 4 ? '127.0.0.1' : '::1')!
            : (run.trace.node.primaryAddress(s.inIface, this.family) ?? run.trace.node.firstLocalAddress(this.family));
        if (!local) return this.unknownTarget(rule, target.name, s, run, results, '-j REDIRECT: the node has no local address of this family');
        s.dst = local;
        if (target.toPorts) s.dport = target.toPorts.first;
        s.dnat = target.toPorts ? { ip: local, port: target.toPorts.first } : { ip: local };
        s.dnatDone = true;
        return end('accept', 'accept', `redirected to the node (${formatIpAddress(local)})`);
      }
      case 'MARK':
        s.mark = applyMarkUpdate(s.mark, target.update);
        this.step(rule, s, run, 'continue', target.name);
        return false;
      case 'CONNMARK':
        if (s.visibleCtState !== 'UNTRACKED' && s.visibleCtState !== 'INVALID') {
          const nfmask = target.nfmask ?? 0xffffffff;
          const ctmask = target.ctmask ?? 0xffffffff;
          if (target.mode === 'set' && target.update) s.ctMark = applyMarkUpdate(s.ctMark, target.update);
          else if (target.mode === 'save') s.ctMark = ((s.ctMark & ~ctmask) ^ (s.mark & nfmask)) >>> 0;
          else if (target.mode === 'restore') s.mark = ((s.mark & ~nfmask) ^ (s.ctMark & ctmask)) >>> 0;
        }
        this.step(rule, s, run, 'continue', target.name);
        return false;
      case 'REJECT':
        return end('reject', 'drop');
      case 'LOG':
      case 'TRACE':
        this.step(rule, s, run, 'continue', target.name);
        return false;
      case 'NOTRACK':
      case 'CT':
        // Only before conntrack attaches an entry (the raw table) does notrack take effect.
        if ((target.extension === 'NOTRACK' || (target.extension === 'CT' && target.notrack)) && !s.ctAttached) s.ctState = 'UNTRACKED';
        this.step(rule, s, run, 'continue', target.name);
        return false;
      case 'TPROXY':
        return this.unknownTarget(rule, target.name, s, run, results, '-j TPROXY (transparent proxying to a local socket) is not simulated');
      case 'unsupported':
        if (PASSIVE_TARGETS.has(target.name)) {
          this.step(rule, s, run, 'continue', target.name);
          return false;
        }
        if (OPAQUE_CONTINUE_TARGETS.has(target.name)) {
          run.trace.unsupported(rule.line, `-j ${target.name} changes state the simulator does not follow`, file);
          s.markUncertain(rule.line);
          this.step(rule, s, run, 'continue', target.name);
          return false;
        }
        return this.unknownTarget(rule, target.name, s, run, results, `-j ${target.name} is not simulated`);
    }
  }

  private unknownTarget(rule: IptablesRule, name: string, s: SimState, run: Run, results: ChainResult[], reason: string): true {
    run.trace.unsupported(rule.line, reason, this.options.file);
    s.markUncertain(rule.line);
    s.reason = reason;
    this.step(rule, s, run, 'unknown', name);
    results.push({ state: s, verdict: 'unknown' });
    return true;
  }
}

/** Indexes the dump once; the simulator traces any number of packets. */
export function compileIptables(dump: IptablesDump, options: IptablesSimulatorOptions = {}): IptablesSimulator {
  return new CompiledIptables(dump, options);
}

/** One-off trace (compiles the dump; keep a compileIptables() simulator to trace many packets). */
export function traceIptables(
  input: { dump: IptablesDump; ipsets?: IpsetDump; node: NodeNetContext; file?: string },
  packet: SimPacket,
): TraceResult {
  const options: IptablesSimulatorOptions = {};
  if (input.ipsets) options.ipsets = input.ipsets;
  if (input.file !== undefined) options.file = input.file;
  return compileIptables(input.dump, options).trace(input.node, packet);
}
