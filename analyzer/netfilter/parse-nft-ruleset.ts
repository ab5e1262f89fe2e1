/**
 * Reads an nftables ruleset in either form netdump meets:
 *
 * `nft list ruleset`:
 *   table ip kube-proxy {
 *       map service-ips {
 *           type ipv4_addr . inet_proto . inet_service : verdict
 *           elements = { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
 *       }
 *       chain nat-prerouting {
 *           type nat hook prerouting priority dstnat; policy accept;
 *           jump services
 *       }
 *   }
 *
 * and the `nft -f` transaction kube-proxy writes (its test expectations use it):
 *   add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
 *   add rule ip kube-proxy nat-prerouting jump services
 *   add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-… }
 *
 * Never throws on data. Statements outside the supported subset are kept as `unsupported`
 * (UNSUPPORTED_FEATURE); references to chains and sets the ruleset lacks are reported.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from './issue-sink.js';
import type { NftChain, NftElement, NftFamily, NftRule, NftRuleset, NftSet, NftStatement, NftTable, NftVerdict } from './nft-types.js';
import { parseNftDuration, parseNftElements, parseNftStatements } from './parse-nft-statements.js';
import { NftTokenizer, type NftToken } from './tokenize-nft.js';

const FAMILIES = new Set<NftFamily>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

/** Named chain priorities (nft(8) "PRIORITY"): bridge tables use their own scale. */
const PRIORITIES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BRIDGE_PRIORITIES: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };

const OBJECT_BLOCKS = new Set(['flowtable', 'counter', 'quota', 'ct', 'limit', 'secmark', 'synproxy']);

export function parseNftRuleset(file: SourceFile): ParseResult<NftRuleset> {
  return new NftRulesetParser(file).parse();
}

function isEnd(t: NftToken | undefined): boolean {
  return t === undefined || t.kind === 'newline' || (t.kind === 'punct' && t.text === ';');
}

class NftRulesetParser {
  private readonly sink: IssueSink;
  private readonly ruleset: NftRuleset = { tables: new Map() };
  private readonly tokenizer: NftTokenizer;
  /** A window of tokens: read ahead on demand, dropped once consumed (see `compact`). */
  private tokens: NftToken[] = [];
  private i = 0;
  private exhausted = false;

  constructor(private readonly file: SourceFile) {
    this.sink = new IssueSink(file.path);
    this.tokenizer = new NftTokenizer(file.text, (line, message) => this.bad(line, message));
  }

  parse(): ParseResult<NftRuleset> {
    while (this.ensure(0)) {
      this.compact();
      const t = this.tokens[this.i]!;
      if (isEnd(t) || t.kind === 'handle') {
        this.i++;
        continue;
      }
      if (t.kind === 'word' && t.text === 'table') this.tableBlock();
      else if (t.kind === 'word' && /^(add|create|insert|replace|delete|destroy|flush)$/.test(t.text)) this.command();
      else if (this.isElision(t)) this.skipStatement();
      else {
        this.bad(t.line, `unexpected "${t.text}" at the top level`);
        this.skipStatement();
      }
    }
    this.checkReferences();
    return { value: this.ruleset, issues: this.sink.finish() };
  }

  /** Whether the token at `i + offset` exists, reading ahead as needed. */
  private ensure(offset: number): boolean {
    while (!this.exhausted && this.tokens.length <= this.i + offset) {
      const token = this.tokenizer.next();
      if (token) this.tokens.push(token);
      else this.exhausted = true;
    }
    return this.tokens.length > this.i + offset;
  }

  /** Drops consumed tokens. Only called between statements, when no index into the window is held. */
  private compact(): void {
    if (this.i < 4096) return;
    this.tokens = this.tokens.slice(this.i);
    this.i = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Token helpers

  private peek(offset = 0): NftToken | undefined {
    this.ensure(offset);
    return this.tokens[this.i + offset];
  }

  private word(offset = 0): string | undefined {
    this.ensure(offset);
    const t = this.tokens[this.i + offset];
    return t && (t.kind === 'word' || t.kind === 'string') ? t.text : undefined;
  }

  private isPunct(text: string, offset = 0): boolean {
    this.ensure(offset);
    const t = this.tokens[this.i + offset];
    return t !== undefined && t.kind === 'punct' && t.text === text;
  }

  /** Tokens up to the end of the statement (newline or `;` outside braces, or an enclosing `}`). */
  private statement(): NftToken[] {
    const start = this.i;
    let depth = 0;
    while (this.ensure(0)) {
      const t = this.tokens[this.i]!;
      if (t.kind === 'punct' && t.text === '{') depth++;
      else if (t.kind === 'punct' && t.text === '}') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && isEnd(t)) break;
      this.i++;
    }
    return this.tokens.slice(start, this.i);
  }

  private skipStatement(): void {
    this.statement();
  }

  /** Skips a `{ … }` block at the cursor. */
  private skipBlock(): void {
    if (!this.isPunct('{')) return;
    let depth = 0;
    while (this.ensure(0)) {
      const t = this.tokens[this.i++]!;
      if (t.kind !== 'punct') continue;
      if (t.text === '{') depth++;
      else if (t.text === '}' && --depth === 0) return;
    }
  }

  /** The tokens inside `{ … }` at the cursor, cursor after the closing brace. */
  private bracedTokens(): NftToken[] | undefined {
    if (!this.isPunct('{')) return undefined;
    const start = this.i + 1;
    this.skipBlock();
    const closed = this.tokens[this.i - 1];
    if (!closed || closed.kind !== 'punct' || closed.text !== '}') {
      this.bad(this.tokens[start - 1]!.line, 'unbalanced "{"');
      return this.tokens.slice(start);
    }
    return this.tokens.slice(start, this.i - 1);
  }

  private isElision(t: NftToken | undefined): boolean {
    if (!t || t.kind !== 'word' || (t.text !== '...' && t.text !== '…')) return false;
    this.sink.add('UNEXPECTED_SHAPE', t.line, 'elided content ("...") in the ruleset; what was there is missing', {
      text: this.file.lineText(t.line),
      severity: 'warning',
      kind: 'elision',
      what: 'elisions',
    });
    return true;
  }

  private sourceText(tokens: NftToken[]): string {
    let end = tokens.length - 1;
    while (end >= 0 && tokens[end]!.kind === 'handle') end--;
    const first = tokens[0];
    const last = tokens[end];
    if (!first || !last) return '';
    const text = this.file.text.slice(first.start, last.end);
    // Rules spread over lines (long anonymous sets) read back as one line.
    return text.includes('\n') || text.includes('\t') || text.includes('  ') ? text.replace(/\s+/g, ' ') : text;
  }

  /** `[family] name`: the family is optional and defaults to ip. */
  private familyAndName(): { family: NftFamily; name: string } | undefined {
    const first = this.word();
    if (first === undefined) return undefined;
    if (FAMILIES.has(first as NftFamily) && this.peek(1)?.kind === 'word') {
      this.i += 2;
      return { family: first as NftFamily, name: this.tokens[this.i - 1]!.text };
    }
    this.i++;
    return { family: 'ip', name: first };
  }

  private tableFor(family: NftFamily, name: string, line: number): NftTable {
    const key = `${family} ${name}`;
    let table = this.ruleset.tables.get(key);
    if (!table) {
      table = { family, name, line, flags: [], chains: new Map(), sets: new Map() };
      this.ruleset.tables.set(key, table);
    }
    return table;
  }

  private chainFor(table: NftTable, name: string, line: number): NftChain {
    let chain = table.chains.get(name);
    if (!chain) {
      chain = { name, line, rules: [] };
      table.chains.set(name, chain);
    }
    return chain;
  }

  // -------------------------------------------------------------------------------------------
  // `nft list ruleset` blocks

  private tableBlock(): void {
    const line = this.peek()!.line;
    this.i++;
    const id = this.familyAndName();
    if (!id || !this.isPunct('{')) {
      this.bad(line, 'table without a name and a "{" block');
      this.skipStatement();
      return;
    }
    const table = this.tableFor(id.family, id.name, line);
    this.i++;
    this.tableBody(table);
  }

  /**
   * The next token of a `{ … }` body, past line ends and handles: 'closed' once the body's `}`
   * is consumed, undefined when the input ends first.
   */
  private blockToken(): NftToken | 'closed' | undefined {
    while (this.ensure(0)) {
      this.compact();
      const t = this.peek()!;
      if (isEnd(t) || t.kind === 'handle') {
        this.i++;
        continue;
      }
      if (t.kind === 'punct' && t.text === '}') {
        this.i++;
        return 'closed';
      }
      return t;
    }
    return undefined;
  }

  /** Inside `table … {`, up to and including its `}`. */
  private tableBody(table: NftTable): void {
    for (;;) {
      const t = this.blockToken();
      if (t === 'closed') return;
      if (t === undefined) break;
      const w = t.kind === 'word' ? t.text : undefined;
      if ((w === 'chain' || w === 'set' || w === 'map') && this.word(1) !== undefined && this.isPunct('{', 2)) {
        const name = this.word(1)!;
        this.i += 3;
        if (w === 'chain') this.chainBody(table, this.chainFor(table, name, t.line));
        else this.setBody(this.setFor(table, w, name, t.line));
        continue;
      }
      if (w === 'comment' && this.peek(1)?.kind === 'string') {
        table.comment = this.peek(1)!.text;
        this.i += 2;
        continue;
      }
      if (w === 'flags') {
        this.i++;
        table.flags.push(...this.words(this.statement()));
        continue;
      }
      if (this.isElision(t)) {
        this.skipStatement();
        continue;
      }
      if (w !== undefined && OBJECT_BLOCKS.has(w)) {
        this.unsupported(t.line, `${w} objects are not evaluated`, `nft-object:${w}`);
        while (this.ensure(0) && !this.isPunct('{') && !isEnd(this.peek())) this.i++;
        this.skipBlock();
        continue;
      }
      this.bad(t.line, `unexpected "${t.text}" in table ${table.name}`);
      this.skipStatement();
      if (this.isPunct('{')) this.skipBlock();
    }
    this.bad(table.line, `table ${table.name} is not closed with "}"`);
  }

  /** Inside `chain … {` (or an `add chain … {` body), up to and including its `}`. */
  private chainBody(table: NftTable, chain: NftChain): void {
    for (;;) {
      const t = this.blockToken();
      if (t === 'closed') return;
      if (t === undefined) break;
      const statement = this.statement();
      if (statement.length === 0) {
        this.bad(t.line, `unexpected "${t.text}"`);
        this.i++;
        continue;
      }
      this.chainStatement(table, chain, statement);
    }
    this.bad(chain.line, `chain ${chain.name} is not closed with "}"`);
  }

  private chainStatement(table: NftTable, chain: NftChain, tokens: NftToken[]): void {
    const first = tokens[0]!;
    const w = first.kind === 'word' ? first.text : undefined;
    if (w === 'type') {
      this.hookSpec(table, chain, tokens);
      return;
    }
    if (w === 'policy') {
      const policy = tokens[1]?.text;
      if (policy === 'accept' || policy === 'drop') chain.policy = policy;
      else this.bad(first.line, `chain policy "${policy ?? ''}" is neither accept nor drop`);
      return;
    }
    if (w === 'comment' && tokens[1]?.kind === 'string' && tokens.length === 2) {
      chain.comment = tokens[1].text;
      return;
    }
    if (w === 'devices' || w === 'device') return;
    if (tokens.length === 1 && this.isElisionToken(first)) return;
    this.addRule(table, chain, tokens, tokens, 'append');
  }

  private isElisionToken(t: NftToken): boolean {
    if (t.kind !== 'word' || (t.text !== '...' && t.text !== '…')) return false;
    return this.isElision(t);
  }

  /** `type filter hook input [device eth0] priority 0` */
  private hookSpec(table: NftTable, chain: NftChain, tokens: NftToken[]): void {
    const words = this.words(tokens);
    const type = words[1];
    const hookAt = words.indexOf('hook');
    const priorityAt = words.indexOf('priority');
    if (type === undefined || hookAt === -1 || words[hookAt + 1] === undefined || priorityAt === -1) {
      this.bad(tokens[0]!.line, 'chain type line needs `type <type> hook <hook> priority <priority>`');
      return;
    }
    const priorityText = words.slice(priorityAt + 1).join(' ');
    chain.hook = { type, hook: words[hookAt + 1]!, priority: resolvePriority(priorityText, table.family), priorityText };
    const deviceAt = words.indexOf('device');
    if (deviceAt !== -1 && words[deviceAt + 1] !== undefined) chain.hook.device = words[deviceAt + 1]!;
  }

  private words(tokens: NftToken[]): string[] {
    return tokens.filter((t) => t.kind === 'word' || t.kind === 'string').map((t) => t.text);
  }

  private setFor(table: NftTable, kind: 'set' | 'map', name: string, line: number): NftSet {
    let set = table.sets.get(name);
    if (!set) {
      set = { kind, name, line, keyType: [], flags: [], elements: [] };
      table.sets.set(name, set);
    }
    return set;
  }

  /** Inside `set … {` / `map … {`, up to and including its `}`. */
  private setBody(set: NftSet): void {
    for (;;) {
      const t = this.blockToken();
      if (t === 'closed') return;
      if (t === undefined) break;
      const w = t.kind === 'word' ? t.text : undefined;
      if (w === 'elements' && this.word(1) === '=' && this.isPunct('{', 2)) {
        this.i += 2;
        this.addElements(set, this.bracedTokens() ?? []);
        continue;
      }
      const tokens = this.statement();
      if (tokens.length === 0) {
        this.bad(t.line, `unexpected "${t.text}"`);
        this.i++;
        continue;
      }
      this.setStatement(set, tokens);
    }
    this.bad(set.line, `${set.kind} ${set.name} is not closed with "}"`);
  }

  private setStatement(set: NftSet, tokens: NftToken[]): void {
    const words = this.words(tokens);
    switch (words[0]) {
      case 'type':
      case 'typeof': {
        const colon = words.indexOf(':');
        const key = colon === -1 ? words.slice(1) : words.slice(1, colon);
        set.keyType = key.join(' ').split(' . ');
        if (colon !== -1) set.dataType = words.slice(colon + 1).join(' ');
        return;
      }
      case 'flags':
        set.flags.push(...words.slice(1));
        return;
      case 'timeout': {
        const seconds = words[1] === undefined ? undefined : parseNftDuration(words[1]);
        if (seconds === undefined) this.bad(tokens[0]!.line, `set timeout "${words[1] ?? ''}" is not a duration`);
        else set.timeoutSeconds = seconds;
        return;
      }
      case 'comment':
        set.comment = words[1] ?? '';
        return;
      case 'size':
      case 'policy':
      case 'gc-interval':
      case 'auto-merge':
      case 'counter':
        return;
    }
    if (tokens.length === 1 && this.isElisionToken(tokens[0]!)) return;
    this.bad(tokens[0]!.line, `unexpected "${words.join(' ')}" in ${set.kind} ${set.name}`);
  }

  private addElements(set: NftSet, tokens: NftToken[]): void {
    const { elements, errors } = parseNftElements(tokens, (line) => this.isElision({ kind: 'word', text: '...', line, start: 0, end: 0 }));
    for (const e of errors) this.bad(tokens[0]?.line ?? set.line, e);
    // One by one: spreading 100k elements into push() would overflow the call stack.
    for (const element of elements) set.elements.push(element);
  }

  // -------------------------------------------------------------------------------------------
  // `nft -f` commands

  private command(): void {
    const start = this.i;
    const line = this.peek()!.line;
    const verb = this.word()!;
    const object = this.word(1);
    this.i += 2;
    if (verb === 'flush' && object === 'ruleset') {
      for (const table of this.ruleset.tables.values()) this.flushTable(table);
      this.skipStatement();
      return;
    }
    const id = this.familyAndName();
    if (!id || object === undefined) {
      this.bad(line, `${verb} ${object ?? ''} without a target`);
      this.skipStatement();
      return;
    }
    const tableKey = `${id.family} ${id.name}`;
    if (object === 'table') {
      if (verb === 'delete' || verb === 'destroy') this.ruleset.tables.delete(tableKey);
      else if (verb === 'flush') {
        const table = this.ruleset.tables.get(tableKey);
        if (table) this.flushTable(table);
      } else {
        const table = this.tableFor(id.family, id.name, line);
        if (this.isPunct('{')) {
          this.i++;
          this.tableBody(table);
        }
      }
      this.skipStatement();
      return;
    }
    const table = this.ruleset.tables.get(tableKey) ?? this.tableFor(id.family, id.name, line);
    const name = this.word();
    if (name === undefined) {
      this.bad(line, `${verb} ${object} without a name`);
      this.skipStatement();
      return;
    }
    this.i++;
    switch (`${verb} ${object}`) {
      case 'add chain':
      case 'create chain': {
        const chain = this.chainFor(table, name, line);
        if (this.isPunct('{')) {
          this.i++;
          this.chainBody(table, chain);
        }
        break;
      }
      case 'add set':
      case 'create set':
      case 'add map':
      case 'create map': {
        const set = this.setFor(table, object as 'set' | 'map', name, line);
        if (this.isPunct('{')) {
          this.i++;
          this.setBody(set);
        }
        break;
      }
      case 'add rule':
      case 'insert rule': {
        const rest = this.statement();
        const chain = table.chains.get(name) ?? this.chainFor(table, name, line);
        let body = rest;
        const position = body[0]?.text;
        if ((position === 'position' || position === 'handle' || position === 'index') && body[1]) {
          this.unsupported(line, `${verb} rule ${position} N: the rule is placed at the ${verb === 'insert' ? 'start' : 'end'} of the chain`, 'nft-rule-position');
          body = body.slice(2);
        }
        this.addRule(table, chain, body, this.tokens.slice(start, this.i), verb === 'insert' ? 'prepend' : 'append');
        break;
      }
      case 'add element':
      case 'create element':
      case 'delete element':
      case 'destroy element': {
        const set = table.sets.get(name);
        const inner = this.bracedTokens();
        if (!set) {
          this.bad(line, `${verb} element: no set or map ${name} in table ${table.name}`);
          break;
        }
        if (verb === 'add' || verb === 'create') this.addElements(set, inner ?? []);
        else {
          const { elements } = parseNftElements(inner ?? []);
          const keys = new Set(elements.map((e) => elementKey(e)));
          set.elements = set.elements.filter((e) => !keys.has(elementKey(e)));
        }
        break;
      }
      case 'flush chain': {
        const chain = table.chains.get(name);
        if (chain) chain.rules = [];
        break;
      }
      case 'flush set':
      case 'flush map': {
        const set = table.sets.get(name);
        if (set) set.elements = [];
        break;
      }
      case 'delete chain':
      case 'destroy chain':
        table.chains.delete(name);
        break;
      case 'delete set':
      case 'destroy set':
      case 'delete map':
      case 'destroy map':
        table.sets.delete(name);
        break;
      default:
        this.unsupported(line, `"${verb} ${object}" is not applied`, `nft-command:${verb} ${object}`);
    }
    this.skipStatement();
  }

  private flushTable(table: NftTable): void {
    for (const chain of table.chains.values()) chain.rules = [];
    for (const set of table.sets.values()) set.elements = [];
  }

  // -------------------------------------------------------------------------------------------
  // Rules and references

  private addRule(table: NftTable, chain: NftChain, body: NftToken[], whole: NftToken[], where: 'append' | 'prepend'): void {
    const line = (body[0] ?? whole[0])!.line;
    const parsed = parseNftStatements(body);
    const text = this.sourceText(whole);
    for (const e of parsed.errors) this.bad(line, e, text);
    const rule: NftRule = { table: table.name, chain: chain.name, line, text, statements: parsed.statements };
    if (parsed.comment !== undefined) rule.comment = parsed.comment;
    if (parsed.counter) rule.counter = parsed.counter;
    if (parsed.handle !== undefined) rule.handle = parsed.handle;
    for (const s of parsed.statements) {
      if (s.kind === 'unsupported') {
        this.unsupported(line, `"${s.text}" is not evaluated; a simulator treats this rule as unknown`, `nft-statement:${s.text.split(' ')[0]}`, text);
      }
    }
    if (where === 'prepend') chain.rules.unshift(rule);
    else chain.rules.push(rule);
  }

  /** Jumps/gotos to chains and `@set` references the ruleset does not define. */
  private checkReferences(): void {
    for (const table of this.ruleset.tables.values()) {
      const reported = new Set<string>();
      const report = (line: number, message: string, key: string) => {
        if (reported.has(key)) return;
        reported.add(key);
        this.sink.add('UNEXPECTED_SHAPE', line, message, {
          text: this.file.lineText(line),
          severity: 'warning',
          kind: 'undefined-reference',
          what: 'references to undefined chains or sets',
        });
      };
      const verdict = (v: NftVerdict | unknown, line: number) => {
        const target = v as NftVerdict;
        if ((target.kind === 'jump' || target.kind === 'goto') && !table.chains.has(target.chain)) {
          report(line, `${target.kind} ${target.chain}: no such chain in table ${table.family} ${table.name}`, `chain:${target.chain}`);
        }
      };
      const elements = (list: NftElement[]) => {
        for (const e of list) if (e.data && !Array.isArray(e.data)) verdict(e.data, e.line);
      };
      const setRef = (name: string, line: number) => {
        if (!table.sets.has(name)) report(line, `@${name}: no such set or map in table ${table.family} ${table.name}`, `set:${name}`);
      };
      for (const set of table.sets.values()) elements(set.elements);
      for (const chain of table.chains.values()) {
        for (const rule of chain.rules) {
          for (const s of rule.statements) this.checkStatement(s, rule.line, verdict, elements, setRef);
        }
      }
    }
  }

  private checkStatement(
    s: NftStatement,
    line: number,
    verdict: (v: NftVerdict, line: number) => void,
    elements: (list: NftElement[]) => void,
    setRef: (name: string, line: number) => void,
  ): void {
    if (s.kind === 'verdict') verdict(s.verdict, line);
    else if (s.kind === 'vmap') {
      if (s.map.kind === 'set') elements(s.map.elements);
      else setRef(s.map.name, line);
    } else if (s.kind === 'match' && s.right.kind === 'set-ref') setRef(s.right.name, line);
    else if (s.kind === 'set-update') setRef(s.set, line);
  }

  private bad(line: number, message: string, text?: string): void {
    this.sink.add('BAD_LINE', line, message, { text: text ?? this.file.lineText(line), what: 'unreadable statements' });
  }

  private unsupported(line: number, message: string, kind: string, text?: string): void {
    this.sink.add('UNSUPPORTED_FEATURE', line, message, {
      text: text ?? this.file.lineText(line),
      severity: 'warning',
      kind,
      what: `uses of ${kind.replace(/^nft-[a-z]+:/, '')}`,
    });
  }
}

function elementKey(e: NftElement): string {
  return e.key.map((a) => a.text).join(' . ');
}

/** `-110`, `dstnat`, `filter - 10`, `srcnat+5` → a number (undefined when unreadable). */
function resolvePriority(text: string, family: NftFamily): number | undefined {
  const m = /^(-?\d+|[a-z]+)\s*(?:([+-])\s*(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const names = family === 'bridge' ? BRIDGE_PRIORITIES : PRIORITIES;
  const base = /^-?\d+$/.test(m[1]!) ? Number(m[1]) : names[m[1]!];
  if (base === undefined) return undefined;
  if (m[2] === undefined) return base;
  return m[2] === '+' ? base + Number(m[3]) : base - Number(m[3]);
}
