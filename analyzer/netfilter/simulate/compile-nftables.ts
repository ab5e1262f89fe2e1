/**
 * The nftables packet simulator: runs a parsed ruleset's base chains, across all tables of the
 * packet's family (`ip`/`ip6` and `inet`), in hook and priority order — e.g. kube-proxy's
 * `filter-prerouting-pre-dnat` (-110) before `nat-prerouting` (-100).
 *
 * Rules are statement lists: matches, `vmap` dispatch (`ip daddr . meta l4proto . th dport vmap
 * @service-ips`), `numgen random mod N vmap {…}` (fanned out, one branch per value), NAT,
 * mark updates and verdicts. A statement the parser kept as `unsupported` (iptables-nft's `xt`
 * compat expressions among them) is taken both ways, and the outcome marked uncertain.
 */
import { applyMarkUpdate } from '../mark-update.js';
import { parseIpAddress } from '../ip-cidr.js';
import type { NftChain, NftElement, NftRule, NftRuleset, NftSet, NftStatement, NftTable, NftVerdict } from '../nft-types.js';
import { sortHookEntries, tracePacketPaths, type EntryResult, type EntryVerdict, type HookEntry } from './hook-pipeline.js';
import { NodeFacts } from './node-context.js';
import {
  atomMatches,
  columnKind,
  elementMatches,
  evaluateSelector,
  SetIndexes,
  type ColumnKind,
  type NftPacketValue,
  type SelectorEnvironment,
} from './nft-values.js';
import type { SimState } from './sim-state.js';
import { MatchNotes, MAX_CHAIN_DEPTH, TraceContext } from './trace-context.js';
import type { Hook, NodeNetContext, SimPacket, StepVerdict, TraceResult } from './trace-types.js';

export interface NftablesSimulatorOptions {
  /** Bundle path of the ruleset, copied onto every step as its evidence file. */
  file?: string;
}

export interface NftablesSimulator {
  trace(node: NodeNetContext, packet: SimPacket): TraceResult;
  /** The base chains of a hook for packets of one family, for composing with other rule sets. */
  hookEntries(hook: Hook, family: 4 | 6): readonly HookEntry[];
}

const HOOKS = new Set<Hook>(['prerouting', 'input', 'forward', 'output', 'postrouting']);

type ChainVerdict = EntryVerdict | 'return';

interface ChainResult {
  state: SimState;
  verdict: ChainVerdict;
}

interface Run {
  trace: TraceContext;
  env: SelectorEnvironment;
  hook: Hook;
  notes: MatchNotes;
}

/** How a rule's statements ended for one branch. */
type RuleBranch =
  | { state: SimState; end: 'miss' }
  | { state: SimState; end: 'done'; verdict?: NftVerdict; nat?: string; note?: string }
  /** The rule could not be evaluated further (a key it cannot read, the branch limit). */
  | { state: SimState; end: 'unknown'; reason: string };

class CompiledNftables implements NftablesSimulator {
  private readonly entries = new Map<string, HookEntry[]>();
  private readonly setIndexes = { 4: new SetIndexes(4), 6: new SetIndexes(6) };
  /** Sets a rule adds to at run time (`update @affinity-…`) or declared `dynamic`: affinity state. */
  private readonly dynamicSets = new Set<NftSet>();

  constructor(
    private readonly ruleset: NftRuleset,
    private readonly options: NftablesSimulatorOptions,
  ) {
    for (const table of ruleset.tables.values()) {
      for (const set of table.sets.values()) if (set.flags.includes('dynamic')) this.dynamicSets.add(set);
      for (const chain of table.chains.values()) {
        for (const rule of chain.rules) {
          for (const st of rule.statements) {
            const set = st.kind === 'set-update' ? table.sets.get(st.set) : undefined;
            if (set) this.dynamicSets.add(set);
          }
        }
      }
    }
  }

  hookEntries(hook: Hook, family: 4 | 6): readonly HookEntry[] {
    const key = `${hook}/${family}`;
    let list = this.entries.get(key);
    if (list) return list;
    list = [];
    for (const table of this.ruleset.tables.values()) {
      const applies = table.family === 'inet' || table.family === (family === 4 ? 'ip' : 'ip6');
      if (!applies) continue;
      for (const chain of table.chains.values()) {
        const spec = chain.hook;
        if (!spec || spec.hook !== hook || !HOOKS.has(spec.hook as Hook)) continue;
        const priority = spec.priority ?? 0;
        list.push({
          priority,
          nat: spec.type === 'nat',
          run: (state, h, trace) => this.runBaseChain(table, chain, state, h, trace),
        });
      }
    }
    list = sortHookEntries(list, hook);
    this.entries.set(key, list);
    return list;
  }

  trace(node: NodeNetContext, packet: SimPacket): TraceResult {
    const trace = new TraceContext(new NodeFacts(node));
    const source = parseIpAddress(packet.src);
    const family: 4 | 6 = source?.family ?? 4;
    for (const table of this.ruleset.tables.values()) {
      for (const chain of table.chains.values()) {
        if (chain.hook && chain.hook.priority === undefined && HOOKS.has(chain.hook.hook as Hook)) {
          trace.unsupported(chain.line, `priority "${chain.hook.priorityText}" could not be read; the chain is placed at 0`, this.options.file);
        }
      }
    }
    const outcomes = tracePacketPaths((hook) => this.hookEntries(hook, family), packet, trace);
    return { outcomes, unsupported: trace.unsupportedList() };
  }

  // -------------------------------------------------------------------------------------------

  private runBaseChain(table: NftTable, chain: NftChain, state: SimState, hook: Hook, trace: TraceContext): EntryResult[] {
    const run: Run = { trace, env: { node: trace.node }, hook, notes: new MatchNotes() };
    const results: EntryResult[] = [];
    for (const r of this.runChain(table, chain, state, 0, run)) {
      if (r.verdict !== 'return') {
        results.push({ state: r.state, verdict: r.verdict });
        continue;
      }
      const policy = chain.policy ?? 'accept';
      r.state.addStep({
        kind: 'policy',
        ...(this.options.file === undefined ? {} : { file: this.options.file }),
        family: table.family,
        table: table.name,
        chain: chain.name,
        hook,
        line: chain.line,
        text: `chain ${chain.name} policy ${policy}`,
        verdict: policy,
      });
      results.push({ state: r.state, verdict: policy });
    }
    return results;
  }

  private runChain(table: NftTable, chain: NftChain, state: SimState, depth: number, run: Run): ChainResult[] {
    const results: ChainResult[] = [];
    const pending: { state: SimState; at: number }[] = [{ state, at: 0 }];
    while (pending.length > 0) {
      const item = pending.pop()!;
      let live: SimState | undefined = item.state;
      for (let at = item.at; at < chain.rules.length && live; at++) {
        const rule = chain.rules[at]!;
        const branches = this.evaluateRule(table, rule, live, run);
        live = undefined;
        for (const branch of branches) {
          if (branch.end === 'unknown') {
            this.ruleStep(table, rule, at, branch.state, run, 'unknown');
            branch.state.reason = branch.reason;
            results.push({ state: branch.state, verdict: 'unknown' });
            continue;
          }
          if (branch.end === 'miss') {
            if (live) pending.push({ state: branch.state, at: at + 1 });
            else live = branch.state;
            continue;
          }
          const continues = this.applyVerdict(table, rule, at, branch, depth, run, results, pending);
          if (!continues) continue;
          if (live) pending.push({ state: branch.state, at: at + 1 });
          else live = branch.state;
        }
      }
      if (live) results.push({ state: live, verdict: 'return' });
    }
    return results;
  }

  /** Records the step of a matched rule and acts on its verdict; true when evaluation continues with the next rule. */
  private applyVerdict(
    table: NftTable,
    rule: NftRule,
    at: number,
    branch: Extract<RuleBranch, { end: 'done' }>,
    depth: number,
    run: Run,
    results: ChainResult[],
    pending: { state: SimState; at: number }[],
  ): boolean {
    const s = branch.state;
    const verdict = branch.verdict;
    const step = (v: StepVerdict, target?: string) => this.ruleStep(table, rule, at, s, run, v, target, branch.note);
    if (branch.nat !== undefined) {
      step('accept', branch.nat);
      results.push({ state: s, verdict: 'accept' });
      return false;
    }
    if (!verdict || verdict.kind === 'continue') {
      step('continue');
      return true;
    }
    switch (verdict.kind) {
      case 'accept':
      case 'drop':
        step(verdict.kind);
        results.push({ state: s, verdict: verdict.kind });
        return false;
      case 'reject':
        step('drop', 'reject');
        results.push({ state: s, verdict: 'reject' });
        return false;
      case 'return':
        step('return');
        results.push({ state: s, verdict: 'return' });
        return false;
      case 'queue':
        step('queue');
        s.reason = 'queued to userspace: the verdict is not known';
        results.push({ state: s, verdict: 'unknown' });
        return false;
      case 'jump':
      case 'goto': {
        step(verdict.kind, verdict.chain);
        const next = table.chains.get(verdict.chain);
        if (!next) {
          run.trace.unsupported(rule.line, `${verdict.kind} to chain ${verdict.chain}, which the ruleset does not define (taken as empty)`, this.options.file);
          if (verdict.kind === 'jump') return true;
          results.push({ state: s, verdict: 'return' });
          return false;
        }
        if (depth + 1 > MAX_CHAIN_DEPTH) {
          run.trace.unsupported(rule.line, `chains nest deeper than ${MAX_CHAIN_DEPTH} (a loop?)`, this.options.file);
          s.reason = 'chain nesting too deep';
          results.push({ state: s, verdict: 'unknown' });
          return false;
        }
        for (const r of this.runChain(table, next, s, depth + 1, run)) {
          if (r.verdict === 'return' && verdict.kind === 'jump') pending.push({ state: r.state, at: at + 1 });
          else results.push(r);
        }
        return false;
      }
    }
  }

  private ruleStep(table: NftTable, rule: NftRule, at: number, s: SimState, run: Run, verdict: StepVerdict, target?: string, note?: string): void {
    s.addStep({
      kind: 'rule',
      ...(this.options.file === undefined ? {} : { file: this.options.file }),
      family: table.family,
      table: table.name,
      chain: rule.chain,
      hook: run.hook,
      position: at + 1,
      line: rule.line,
      text: rule.text,
      verdict,
      ...(target === undefined ? {} : { target }),
      ...(note === undefined ? {} : { note }),
    });
  }

  /** Runs one rule's statements in order; a branch per way the rule can end. */
  private evaluateRule(table: NftTable, rule: NftRule, state: SimState, run: Run): RuleBranch[] {
    const out: RuleBranch[] = [];
    const work: { state: SimState; at: number; note?: string }[] = [{ state, at: 0 }];
    const statements = rule.statements;
    while (work.length > 0) {
      const item = work.pop()!;
      let s = item.state;
      let note = item.note;
      let ended = false;
      for (let i = item.at; i < statements.length && !ended; i++) {
        const st = statements[i]!;
        switch (st.kind) {
          case 'match': {
            run.notes.reasons.length = 0;
            const p = this.matchProbability(table, st, s, run);
            this.recordReasons(rule, run);
            if (p === 0) {
              out.push({ state: s, end: 'miss' });
              ended = true;
              break;
            }
            if (p < 1) {
              const forked = this.fork(s, p, rule, run, out);
              if (!forked) {
                ended = true;
                break;
              }
              s = forked;
              note = joinNote(note, run.notes.reasons.length > 0 ? `assumed to match: ${run.notes.reasons.join('; ')}` : `matched with probability ${round(p)}`);
            }
            break;
          }
          case 'vmap': {
            const choices = this.vmapChoices(table, st, s, run, rule);
            ended = true;
            if (choices === 'unknown') {
              s.markUncertain(rule.line);
              out.push({ state: s, end: 'unknown', reason: 'a verdict-map key could not be evaluated' });
              break;
            }
            if (choices.length > 1 && !run.trace.allowFork(choices.length - 1)) {
              out.push({ state: s, end: 'unknown', reason: 'the trace reached its branch limit here' });
              break;
            }
            const total = choices.reduce((sum, c) => sum + c.probability, 0);
            if (total < 1 - 1e-12) out.push({ state: s.fork(s.probability * (1 - total)), end: 'miss' });
            for (const choice of choices) {
              const branch = s.fork(s.probability * choice.probability);
              const branchNote = joinNote(note, choice.note);
              const extra = branchNote === undefined ? {} : { note: branchNote };
              if (choice.verdict.kind === 'continue') work.push({ state: branch, at: i + 1, ...extra });
              else out.push({ state: branch, end: 'done', verdict: choice.verdict, ...extra });
            }
            break;
          }
          case 'verdict':
            if (st.verdict.kind === 'continue') break;
            out.push({ state: s, end: 'done', verdict: st.verdict, ...(note === undefined ? {} : { note }) });
            ended = true;
            break;
          case 'nat':
          case 'masquerade':
          case 'redirect': {
            const kind = this.applyNat(st, s, run, rule);
            out.push({ state: s, end: 'done', nat: kind, ...(note === undefined ? {} : { note }) });
            ended = true;
            break;
          }
          case 'mark':
            if (st.target === 'meta') s.mark = applyMarkUpdate(s.mark, st.update);
            else if (s.visibleCtState !== 'UNTRACKED' && s.visibleCtState !== 'INVALID') s.ctMark = applyMarkUpdate(s.ctMark, st.update);
            break;
          case 'notrack':
            // Only before conntrack attaches an entry (priority below -200) does notrack take effect.
            if (!s.ctAttached) s.ctState = 'UNTRACKED';
            break;
          case 'set-update':
          case 'log':
            break;
          case 'unsupported': {
            run.trace.unsupported(rule.line, `"${st.text}" is not evaluated`, this.options.file);
            if (!run.trace.allowFork()) {
              out.push({ state: s, end: 'unknown', reason: 'the trace reached its branch limit here' });
              ended = true;
              break;
            }
            const miss = s.fork(s.probability / 2);
            miss.markUncertain(rule.line);
            out.push({ state: miss, end: 'miss' });
            s.probability /= 2;
            s.markUncertain(rule.line);
            note = joinNote(note, `assumed "${st.text}" passes`);
            break;
          }
        }
      }
      if (!ended) out.push({ state: s, end: 'done', ...(note === undefined ? {} : { note }) });
    }
    return out;
  }

  private recordReasons(rule: NftRule, run: Run): void {
    for (const reason of run.notes.reasons) run.trace.unsupported(rule.line, reason, this.options.file);
  }

  /** Splits off the non-matching share (1 - p) as a miss; returns the matching branch, or undefined at the branch limit. */
  private fork(s: SimState, p: number, rule: NftRule, run: Run, out: RuleBranch[]): SimState | undefined {
    if (!run.trace.allowFork()) {
      out.push({ state: s, end: 'unknown', reason: 'the trace reached its branch limit here' });
      return undefined;
    }
    const miss = s.fork(s.probability * (1 - p));
    s.probability *= p;
    if (run.notes.reasons.length > 0) {
      miss.markUncertain(rule.line);
      s.markUncertain(rule.line);
    }
    out.push({ state: miss, end: 'miss' });
    return s;
  }

  private matchProbability(table: NftTable, st: Extract<NftStatement, { kind: 'match' }>, s: SimState, run: Run): number {
    const family = s.constants.family;
    const numgen = st.left.length === 1 ? st.left[0]!.numgen : undefined;
    if (numgen) {
      if (numgen.mode !== 'random') return run.notes.unknown('numgen inc depends on the packet counter');
      let hits = 0;
      for (let v = numgen.offset; v < numgen.offset + numgen.modulus; v++) {
        if (this.rightHandMatches(table, st, [{ kind: 'number', value: v }], ['number'], family, s, run) === true) hits++;
      }
      return hits / numgen.modulus;
    }
    const values: NftPacketValue[] = [];
    for (const selector of st.left) {
      const value = evaluateSelector(selector, s, run.env);
      if (value === 'absent') return 0;
      if ('unknown' in value) return run.notes.unknown(value.unknown);
      values.push(value);
    }
    const result = this.rightHandMatches(table, st, values, st.left.map(columnKind), family, s, run);
    if (result === 'unknown') return 0.5;
    return result ? 1 : 0;
  }

  private rightHandMatches(
    table: NftTable,
    st: Extract<NftStatement, { kind: 'match' }>,
    values: NftPacketValue[],
    kinds: ColumnKind[],
    family: 4 | 6,
    s: SimState,
    run: Run,
  ): boolean | 'unknown' {
    const right = st.right;
    const negate = st.op === 'ne';
    switch (right.kind) {
      case 'value': {
        if (st.op === 'eq' || st.op === 'ne') return elementMatches(right.value, values, kinds, family) !== negate;
        const value = values[0];
        const atom = right.value[0];
        if (values.length !== 1 || value?.kind !== 'number' || atom?.type !== 'number') {
          run.notes.unknown(`comparison ${st.op} on ${st.left.map((l) => l.name).join(' . ')}`);
          return 'unknown';
        }
        const a = value.value;
        const b = atom.value;
        return st.op === 'lt' ? a < b : st.op === 'gt' ? a > b : st.op === 'le' ? a <= b : a >= b;
      }
      case 'flags': {
        const value = values[0]!;
        const hit = right.values.some((atom) => atomMatches(atom, value, kinds[0]!, family));
        return hit !== negate;
      }
      case 'set': {
        const hit = right.elements.some((e) => elementMatches(e.key, values, kinds, family));
        return hit !== negate;
      }
      case 'set-ref': {
        const set = table.sets.get(right.name);
        if (!set) {
          run.notes.unknown(`@${right.name} is not defined in table ${table.name}`);
          return 'unknown';
        }
        const hit = this.setHolds(set, values, kinds, family, s, run);
        if (hit === 'unknown') return 'unknown';
        return hit !== negate;
      }
    }
  }

  /** Set membership; dynamic (affinity) sets follow the packet's affinity state. */
  private setHolds(set: NftSet, values: NftPacketValue[], kinds: ColumnKind[], family: 4 | 6, s: SimState, run: Run): boolean | 'unknown' {
    if (this.dynamicSets.has(set)) {
      const affinity = s.constants.affinity;
      if (affinity === 'none') return false;
      if (affinity === 'unknown') {
        run.notes.unknown(`@${set.name}: affinity state is unknown`);
        return 'unknown';
      }
      if (typeof affinity === 'object') {
        const listed = affinity[set.name] ?? [];
        return listed.some((text) => {
          const address = parseIpAddress(text);
          return address !== undefined && values.length === 1 && values[0]!.kind === 'ip' && values[0]!.value.family === address.family && values[0]!.value.value === address.value;
        });
      }
    }
    return this.setIndexes[family].get(set, kinds).lookup(values) !== undefined;
  }

  /** The verdicts a vmap can hand out, each with its probability (several only for numgen). */
  private vmapChoices(
    table: NftTable,
    st: Extract<NftStatement, { kind: 'vmap' }>,
    s: SimState,
    run: Run,
    rule: NftRule,
  ): { verdict: NftVerdict; probability: number; note?: string }[] | 'unknown' {
    const family = s.constants.family;
    const map = st.map.kind === 'set-ref' ? table.sets.get(st.map.name) : undefined;
    if (st.map.kind === 'set-ref' && !map) {
      run.trace.unsupported(rule.line, `@${st.map.name} is not defined in table ${table.name}`, this.options.file);
      return 'unknown';
    }
    const elements: readonly NftElement[] = st.map.kind === 'set' ? st.map.elements : map!.elements;
    const verdictOf = (e: NftElement | undefined) => (e && e.data && !Array.isArray(e.data) ? (e.data as NftVerdict) : undefined);
    const numgen = st.key.length === 1 ? st.key[0]!.numgen : undefined;
    if (numgen) {
      if (numgen.mode !== 'random') {
        run.trace.unsupported(rule.line, 'numgen inc depends on the packet counter', this.options.file);
        return 'unknown';
      }
      const byElement = new Map<NftElement, number>();
      for (let v = numgen.offset; v < numgen.offset + numgen.modulus; v++) {
        const value: NftPacketValue = { kind: 'number', value: v };
        const element = elements.find((e) => elementMatches(e.key, [value], ['number'], family));
        if (element && verdictOf(element)) byElement.set(element, (byElement.get(element) ?? 0) + 1);
      }
      return [...byElement.entries()].map(([element, count]) => ({
        verdict: verdictOf(element)!,
        probability: count / numgen.modulus,
        ...(count < numgen.modulus ? { note: `numgen picked ${element.key.map((a) => a.text).join(' . ')} (probability ${round(count / numgen.modulus)})` } : {}),
      }));
    }
    const values: NftPacketValue[] = [];
    for (const selector of st.key) {
      const value = evaluateSelector(selector, s, run.env);
      if (value === 'absent') return [];
      if ('unknown' in value) {
        run.trace.unsupported(rule.line, value.unknown, this.options.file);
        return 'unknown';
      }
      values.push(value);
    }
    const kinds = st.key.map(columnKind);
    const element =
      map !== undefined ? this.setIndexes[family].get(map, kinds).lookup(values) : elements.find((e) => elementMatches(e.key, values, kinds, family));
    const verdict = verdictOf(element);
    return verdict ? [{ verdict, probability: 1 }] : [];
  }

  /** Applies dnat/snat/masquerade/redirect; returns the name shown as the step's target. */
  private applyNat(st: Extract<NftStatement, { kind: 'nat' | 'masquerade' | 'redirect' }>, s: SimState, run: Run, rule: NftRule): string {
    const family = s.constants.family;
    if (st.kind === 'masquerade') {
      const address = run.trace.node.primaryAddress(s.outIface, family);
      if (address) s.src = address;
      s.snat = address ? { ip: address, masquerade: true } : { masquerade: true };
      s.snatDone = true;
      return 'masquerade';
    }
    if (st.kind !== 'nat') {
      const local =
        run.hook === 'output'
          ? parseIpAddress(family === 4 ? '127.0.0.1' : '::1')!
          : (run.trace.node.primaryAddress(s.inIface, family) ?? run.trace.node.firstLocalAddress(family));
      if (local) {
        s.dst = local;
        if (st.toPorts) s.dport = st.toPorts.first;
        s.dnat = st.toPorts ? { ip: local, port: st.toPorts.first } : { ip: local };
        s.dnatDone = true;
      } else {
        run.trace.unsupported(rule.line, 'redirect: the node has no local address of this family', this.options.file);
        s.markUncertain(rule.line);
      }
      return 'redirect';
    }
    const to = st.to;
    if (!to) {
      run.trace.unsupported(rule.line, `${st.type} without a target address is not evaluated`, this.options.file);
      s.markUncertain(rule.line);
      return st.type;
    }
    if (st.type === 'dnat') {
      const address = to.addressFirst ?? s.dst;
      s.dst = address;
      if (to.portFirst !== undefined) s.dport = to.portFirst;
      s.dnat = to.portFirst === undefined ? { ip: address } : { ip: address, port: to.portFirst };
      s.dnatDone = true;
    } else {
      if (to.addressFirst) s.src = to.addressFirst;
      if (to.portFirst !== undefined) s.sport = to.portFirst;
      s.snat = to.addressFirst ? { ip: to.addressFirst, masquerade: false } : { masquerade: false };
      s.snatDone = true;
    }
    if ((to.addressLast && to.addressFirst && to.addressLast.value !== to.addressFirst.value) || (to.portLast !== undefined && to.portLast !== to.portFirst)) {
      run.trace.unsupported(rule.line, `${st.type} to ${to.text}: the kernel picks one; the first is shown`, this.options.file);
    }
    return st.type;
  }
}

function round(p: number): string {
  return String(Math.round(p * 1e6) / 1e6);
}

function joinNote(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return `${a}; ${b}`;
}

export function compileNftables(ruleset: NftRuleset, options: NftablesSimulatorOptions = {}): NftablesSimulator {
  return new CompiledNftables(ruleset, options);
}

/** One-off trace (keep a compileNftables() simulator to trace many packets). */
export function traceNftables(input: { ruleset: NftRuleset; node: NodeNetContext; file?: string }, packet: SimPacket): TraceResult {
  return compileNftables(input.ruleset, input.file === undefined ? {} : { file: input.file }).trace(input.node, packet);
}
