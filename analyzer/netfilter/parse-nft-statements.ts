/**
 * The statement language of one nftables rule, and the element lists of sets and maps:
 *
 *   ip daddr . meta l4proto . th dport vmap @service-ips
 *   numgen random mod 2 vmap { 0 : goto endpoint-A , 1 : goto endpoint-B }
 *   ip saddr != 10.0.0.0/8 jump mark-for-masquerade
 *   meta l4proto tcp dnat to 10.180.0.1:80
 *   meta mark set meta mark | 0x00004000          (nft list prints this; the -f form: mark set mark or 0x4000)
 *   ct state new jump firewall-check
 *   fib saddr type local goto service-…
 *   update @affinity-… { ip saddr }
 *
 * Statements outside this subset are kept verbatim as `unsupported`; parsing resumes at the next
 * statement keyword so a trailing verdict is still seen.
 */
import { parseCidr, parseIpAddress } from './ip-cidr.js';
import { andMark, composeMarkUpdates, orMark, parseUint32, xmark, xorMark, type MarkUpdate } from './mark-update.js';
import { parseNatRange, parsePortRange } from './nat-range.js';
import type { NftAtom, NftElement, NftRelation, NftRightHand, NftSelector, NftStatement, NftValue, NftVerdict } from './nft-types.js';
import type { NftToken } from './tokenize-nft.js';

export interface ParsedNftRule {
  statements: NftStatement[];
  comment?: string;
  counter?: { packets: number; bytes: number };
  handle?: number;
  /** Syntax problems (the rule was still kept). */
  errors: string[];
}

// Maps and Sets, not object lookups: keying an object with every token would intern them all.
const PAYLOAD_FIELDS = new Map<string, ReadonlySet<string>>(Object.entries({
  ip: new Set(['saddr', 'daddr', 'protocol', 'version', 'hdrlength', 'dscp', 'ecn', 'length', 'id', 'frag-off', 'ttl', 'checksum']),
  ip6: new Set(['saddr', 'daddr', 'nexthdr', 'version', 'dscp', 'ecn', 'flowlabel', 'length', 'hoplimit']),
  tcp: new Set(['sport', 'dport', 'flags', 'sequence', 'ackseq', 'doff', 'window', 'checksum', 'urgptr']),
  udp: new Set(['sport', 'dport', 'length', 'checksum']),
  udplite: new Set(['sport', 'dport', 'checksum']),
  sctp: new Set(['sport', 'dport', 'vtag', 'checksum']),
  dccp: new Set(['sport', 'dport', 'type']),
  th: new Set(['sport', 'dport']),
  icmp: new Set(['type', 'code', 'checksum', 'id', 'sequence', 'gateway', 'mtu']),
  icmpv6: new Set(['type', 'code', 'checksum', 'id', 'sequence', 'mtu', 'max-delay']),
  ether: new Set(['saddr', 'daddr', 'type']),
  vlan: new Set(['id', 'cfi', 'pcp', 'type']),
  arp: new Set(['htype', 'ptype', 'hlen', 'plen', 'operation', 'saddr', 'daddr']),
}));

/** Meta keys nft prints without the `meta` keyword. */
const BARE_META = new Set([
  'mark',
  'iif',
  'iifname',
  'iiftype',
  'oif',
  'oifname',
  'oiftype',
  'skuid',
  'skgid',
  'nftrace',
  'rtclassid',
  'pkttype',
  'cpu',
  'iifgroup',
  'oifgroup',
  'cgroup',
  'priority',
]);

const CT_KEYS = new Set([
  'state',
  'status',
  'direction',
  'mark',
  'expiration',
  'helper',
  'l3proto',
  'protocol',
  'zone',
  'label',
  'id',
  'count',
  'saddr',
  'daddr',
  'proto-src',
  'proto-dst',
  'bytes',
  'packets',
  'avgpkt',
]);

const RELATIONS = new Map<string, NftRelation>(Object.entries({
  '==': 'eq',
  eq: 'eq',
  '!=': 'ne',
  ne: 'ne',
  '<': 'lt',
  lt: 'lt',
  '>': 'gt',
  gt: 'gt',
  '<=': 'le',
  le: 'le',
  '>=': 'ge',
  ge: 'ge',
} as Record<string, NftRelation>));

const BITWISE = new Map<string, 'and' | 'or' | 'xor'>([
  ['&', 'and'],
  ['and', 'and'],
  ['|', 'or'],
  ['or', 'or'],
  ['^', 'xor'],
  ['xor', 'xor'],
]);

/** Words that start a statement: an unknown expression ends where one of these begins. */
const STATEMENT_KEYWORDS = new Set([
  'accept',
  'drop',
  'reject',
  'return',
  'continue',
  'jump',
  'goto',
  'queue',
  'counter',
  'comment',
  'dnat',
  'snat',
  'masquerade',
  'redirect',
  'log',
  'notrack',
  'limit',
  'quota',
  'xt',
]);

const NAT_FLAGS = new Set(['random', 'fully-random', 'persistent']);
const LOG_OPTIONS = new Set(['prefix', 'level', 'flags', 'group', 'snaplen', 'queue-threshold']);

// Shared immutable pieces. A 100k-chain ruleset repeats `meta l4proto tcp`, `ip daddr`,
// `accept` and small numbers endlessly; sharing them keeps the model (and GC time) small.
// Only short strings are cached (V8 copies those; longer ones may be slices of the input).
const SHARED_LIMIT = 4096;
const sharedAtoms = new Map<string, { atom: NftAtom; value: NftValue }>();
const sharedSelectors = new Map<string, { selector: NftSelector; list: NftSelector[] }>();
const SIMPLE_VERDICTS = new Map<string, NftVerdict>(
  (['accept', 'drop', 'return', 'continue'] as const).map((kind) => [kind, Object.freeze({ kind })]),
);

function sharedAtom(token: NftToken): { atom: NftAtom; value: NftValue } | undefined {
  if (token.kind !== 'word' || token.text.length > 12) return undefined;
  let entry = sharedAtoms.get(token.text);
  if (!entry && sharedAtoms.size < SHARED_LIMIT) {
    const atom = Object.freeze(classifyAtom(token));
    if (atom.type !== 'symbol' && atom.type !== 'number') return { atom, value: [atom] };
    entry = { atom, value: Object.freeze([atom]) as NftValue };
    sharedAtoms.set(token.text, entry);
  }
  return entry;
}

/** A selector without extras (`ip daddr`), and the one-element list holding it, both shared. */
function plainSelector(name: string): { selector: NftSelector; list: NftSelector[] } {
  let entry = sharedSelectors.get(name);
  if (!entry) {
    const selector = Object.freeze({ name });
    entry = { selector, list: Object.freeze([selector]) as NftSelector[] };
    if (sharedSelectors.size < SHARED_LIMIT) sharedSelectors.set(name, entry);
  }
  return entry;
}

/** Classifies one value word: addresses, prefixes, ranges, numbers, else a symbol. */
export function nftAtom(token: NftToken): NftAtom {
  return sharedAtom(token)?.atom ?? classifyAtom(token);
}

function classifyAtom(token: NftToken): NftAtom {
  const text = token.text;
  if (token.kind === 'string') return { type: 'string', text };
  const c = text.charCodeAt(0);
  const digitOrHex = (c >= 48 && c <= 57) || (text.includes(':') && /^[0-9a-fA-F:.\/]+$/.test(text));
  if (digitOrHex) {
    if (/^\d+$/.test(text)) return { type: 'number', text, value: Number(text) };
    if (/^0x[0-9a-fA-F]+$/.test(text)) return { type: 'number', text, value: parseInt(text.slice(2), 16) };
    const cidr = parseCidr(text);
    if (cidr) return { type: 'ip', text, cidr };
    const dash = text.indexOf('-');
    if (dash !== -1) {
      const left = text.slice(0, dash);
      const right = text.slice(dash + 1);
      const first = parseIpAddress(left);
      const last = parseIpAddress(right);
      if (first && last && first.family === last.family) return { type: 'ip-range', text, first, last };
      const a = parseUint32(left);
      const b = parseUint32(right);
      if (a !== undefined && b !== undefined) return { type: 'number-range', text, first: a, last: b };
    }
  }
  return { type: 'symbol', text };
}

/** Reads `s`, `10800s`, `3h`, `1d2h3m4s`, `500ms`; undefined if malformed. */
export function parseNftDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+)(ms|d|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index !== consumed) return undefined;
    consumed += m[0].length;
    const n = Number(m[1]);
    total += m[2] === 'd' ? n * 86400 : m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** A cursor over one statement's tokens. */
export class NftReader {
  i = 0;
  readonly errors: string[] = [];

  constructor(readonly tokens: NftToken[]) {}

  peek(offset = 0): NftToken | undefined {
    return this.tokens[this.i + offset];
  }

  word(offset = 0): string | undefined {
    const t = this.tokens[this.i + offset];
    return t && (t.kind === 'word' || t.kind === 'string') ? t.text : undefined;
  }

  isPunct(text: string, offset = 0): boolean {
    const t = this.tokens[this.i + offset];
    return t !== undefined && t.kind === 'punct' && t.text === text;
  }

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  /** The source words from `from` to the cursor, joined by spaces. */
  textFrom(from: number): string {
    return this.tokens
      .slice(from, this.i)
      .map((t) => (t.kind === 'string' ? `"${t.text}"` : t.text))
      .join(' ');
  }

  /** `{ … }` starting at the cursor: the tokens inside, cursor after the closing brace. */
  braced(): NftToken[] | undefined {
    if (!this.isPunct('{')) return undefined;
    let depth = 0;
    const start = this.i + 1;
    for (let j = this.i; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.kind !== 'punct') continue;
      if (t.text === '{') depth++;
      else if (t.text === '}' && --depth === 0) {
        this.i = j + 1;
        return this.tokens.slice(start, j).filter((x) => x.kind !== 'newline');
      }
    }
    this.errors.push('unbalanced "{"');
    this.i = this.tokens.length;
    return undefined;
  }

  /** A verdict at the cursor, or undefined (cursor unchanged). */
  verdict(): NftVerdict | undefined {
    const w = this.word();
    switch (w) {
      case 'accept':
      case 'drop':
      case 'return':
      case 'continue':
        this.i++;
        return SIMPLE_VERDICTS.get(w)!;
      case 'jump':
      case 'goto': {
        const chain = this.word(1);
        if (chain === undefined) return undefined;
        this.i += 2;
        return { kind: w, chain };
      }
      case 'reject': {
        this.i++;
        if (this.word() !== 'with') return { kind: 'reject' };
        const from = ++this.i;
        // `with tcp reset`, `with icmp type port-unreachable`, `with icmpx admin-prohibited`.
        while (!this.done && this.word() !== undefined && !STATEMENT_KEYWORDS.has(this.word()!) && this.i - from < 3) this.i++;
        return { kind: 'reject', with: this.textFrom(from) };
      }
      case 'queue': {
        const from = this.i++;
        while (!this.done && this.word() !== undefined && !STATEMENT_KEYWORDS.has(this.word()!)) this.i++;
        return { kind: 'queue', text: this.textFrom(from) };
      }
    }
    return undefined;
  }

  /** `atom [. atom]*`; undefined when the cursor is not on a value. */
  value(): NftValue | undefined {
    const first = this.peek();
    if (!first || (first.kind !== 'word' && first.kind !== 'string')) return undefined;
    this.i++;
    const shared = sharedAtom(first);
    if (shared && this.word() !== '.') return shared.value;
    const atoms: NftAtom[] = [shared?.atom ?? classifyAtom(first)];
    while (this.word() === '.' && this.peek(1) && (this.peek(1)!.kind === 'word' || this.peek(1)!.kind === 'string')) {
      atoms.push(nftAtom(this.peek(1)!));
      this.i += 2;
    }
    return atoms;
  }

  /** One selector (`ip daddr`, `meta l4proto`, `fib saddr type`, `numgen random mod 2`, …). */
  selector(): NftSelector | undefined {
    const w = this.word();
    const t = this.peek();
    if (w === undefined || t?.kind !== 'word') return undefined;
    let selector: NftSelector | undefined;
    const fields = PAYLOAD_FIELDS.get(w);
    if (fields) {
      const field = this.word(1);
      if (field === undefined || !fields.has(field)) return undefined;
      selector = plainSelector(`${w} ${field}`).selector;
      this.i += 2;
    } else if (w === 'meta') {
      const key = this.word(1);
      if (key === undefined || STATEMENT_KEYWORDS.has(key)) return undefined;
      selector = plainSelector(`meta ${key}`).selector;
      this.i += 2;
    } else if (BARE_META.has(w)) {
      selector = plainSelector(`meta ${w}`).selector;
      this.i += 1;
    } else if (w === 'ct') {
      const from = this.i++;
      const key = this.word();
      if (key === 'original' || key === 'reply') {
        this.i++;
        if (this.word() === 'ip' || this.word() === 'ip6') this.i++;
      }
      if (this.word() === undefined || !CT_KEYS.has(this.word()!)) {
        this.i = from;
        return undefined;
      }
      this.i++;
      selector = plainSelector(this.textFrom(from)).selector;
    } else if (w === 'fib') {
      const from = this.i++;
      const keys: string[] = [];
      while (this.word() !== undefined && this.word() !== 'type' && this.word() !== 'oif' && this.word() !== 'oifname') {
        if (this.word() !== '.') keys.push(this.word()!);
        this.i++;
      }
      const result = this.word();
      if (result === undefined || keys.length === 0) {
        this.i = from;
        return undefined;
      }
      this.i++;
      selector = { name: `fib ${keys.join(' . ')} ${result}`, fib: { keys, result } };
    } else if (w === 'numgen') {
      const mode = this.word(1);
      const modulus = this.word(3) === undefined ? undefined : parseUint32(this.word(3)!);
      if ((mode !== 'random' && mode !== 'inc') || this.word(2) !== 'mod' || modulus === undefined || modulus === 0) return undefined;
      this.i += 4;
      let offset = 0;
      if (this.word() === 'offset' && this.word(1) !== undefined && parseUint32(this.word(1)!) !== undefined) {
        offset = parseUint32(this.word(1)!)!;
        this.i += 2;
      }
      selector = { name: `numgen ${mode}`, numgen: { mode, modulus, offset } };
    } else {
      return undefined;
    }
    const op = this.word() === undefined ? undefined : BITWISE.get(this.word()!);
    if (op) {
      const value = this.word(1) === undefined ? undefined : parseUint32(this.word(1)!);
      if (value === undefined) return undefined;
      this.i += 2;
      return { ...selector, bitwise: { op, value } };
    }
    return selector;
  }

  /** `selector [. selector]*`. */
  selectors(): NftSelector[] | undefined {
    const first = this.selector();
    if (!first) return undefined;
    if (this.word() !== '.') return sharedSelectors.get(first.name)?.selector === first ? sharedSelectors.get(first.name)!.list : [first];
    const list = [first];
    while (this.word() === '.') {
      const save = this.i++;
      const next = this.selector();
      if (!next) {
        this.i = save;
        return undefined;
      }
      list.push(next);
    }
    return list;
  }
}

/** Elements of a set, map or anonymous set: the tokens between the braces. */
export function parseNftElements(tokens: NftToken[], onElision?: (line: number) => void): { elements: NftElement[]; errors: string[] } {
  const elements: NftElement[] = [];
  const errors: string[] = [];
  let start = 0;
  let depth = 0;
  for (let j = 0; j <= tokens.length; j++) {
    const t = tokens[j];
    if (t && t.kind === 'punct' && t.text === '{') depth++;
    if (t && t.kind === 'punct' && t.text === '}') depth--;
    if (t !== undefined && !(t.kind === 'punct' && t.text === ',' && depth === 0)) continue;
    const part = tokens.slice(start, j).filter((x) => x.kind !== 'newline');
    start = j + 1;
    if (part.length === 0) continue;
    if (part.length === 1 && (part[0]!.text === '...' || part[0]!.text === '…')) {
      onElision?.(part[0]!.line);
      continue;
    }
    const element = parseElement(new NftReader(part));
    if (typeof element === 'string') errors.push(element);
    else elements.push(element);
  }
  return { elements, errors };
}

function parseElement(reader: NftReader): NftElement | string {
  const line = reader.peek()!.line;
  const key = reader.value();
  if (!key) return `element "${reader.tokens.map((t) => t.text).join(' ')}" has no key`;
  const element: NftElement = { line, key };
  const options = () => {
    for (;;) {
      const w = reader.word();
      if (w === 'comment' && reader.peek(1)?.kind === 'string') {
        element.comment = reader.peek(1)!.text;
        reader.i += 2;
      } else if ((w === 'timeout' || w === 'expires') && reader.word(1) !== undefined) {
        const seconds = parseNftDuration(reader.word(1)!);
        if (w === 'timeout' && seconds !== undefined) element.timeoutSeconds = seconds;
        reader.i += 2;
      } else if (w === 'counter') {
        reader.i += reader.word(1) === 'packets' && reader.word(3) === 'bytes' ? 5 : 1;
      } else return;
    }
  };
  options();
  if (reader.word() === ':') {
    reader.i++;
    const verdict = reader.verdict();
    if (verdict) element.data = verdict;
    else {
      const value = reader.value();
      if (!value) return `element ${key.map((a) => a.text).join(' . ')} has ":" but no value`;
      element.data = value;
    }
    options();
  }
  if (!reader.done) return `unexpected "${reader.peek()!.text}" in element ${key.map((a) => a.text).join(' . ')}`;
  return element;
}

/** Parses a rule's statements (tokens of one rule, without its chain header). */
export function parseNftStatements(tokens: NftToken[]): ParsedNftRule {
  const reader = new NftReader(tokens.filter((t) => t.kind !== 'newline'));
  const rule: ParsedNftRule = { statements: [], errors: reader.errors };
  const statements = rule.statements;
  while (!reader.done) {
    const t = reader.peek()!;
    if (t.kind === 'handle') {
      rule.handle = Number(t.text);
      reader.i++;
      continue;
    }
    if (t.kind === 'punct') {
      reader.errors.push(`unexpected "${t.text}"`);
      reader.i++;
      continue;
    }
    const w = t.text;
    const from = reader.i;
    if (t.kind === 'word' && readKeywordStatement(reader, rule, w)) continue;
    reader.i = from;
    const statement = t.kind === 'word' ? readExpressionStatement(reader) : undefined;
    if (statement) {
      statements.push(statement);
      continue;
    }
    // Unknown: keep everything up to the next statement keyword.
    reader.i = from + 1;
    while (!reader.done && !(reader.peek()!.kind === 'word' && STATEMENT_KEYWORDS.has(reader.peek()!.text))) {
      if (reader.isPunct('{')) reader.braced();
      else reader.i++;
    }
    statements.push({ kind: 'unsupported', text: reader.textFrom(from) });
  }
  return rule;
}

/** Statements that begin with a keyword. Returns false (cursor undefined) when `w` is not one. */
function readKeywordStatement(reader: NftReader, rule: ParsedNftRule, w: string): boolean {
  const statements = rule.statements;
  const verdict = reader.verdict();
  if (verdict) {
    statements.push({ kind: 'verdict', verdict });
    return true;
  }
  switch (w) {
    case 'counter': {
      reader.i++;
      if (reader.word() === 'packets' && reader.word(2) === 'bytes') {
        rule.counter = { packets: Number(reader.word(1)), bytes: Number(reader.word(3)) };
        reader.i += 4;
      }
      return true;
    }
    case 'comment': {
      if (reader.peek(1)?.kind !== 'string' && reader.word(1) === undefined) return false;
      rule.comment = reader.word(1)!;
      reader.i += 2;
      return true;
    }
    case 'dnat':
    case 'snat': {
      const from = reader.i++;
      if (reader.word() === 'ip' || reader.word() === 'ip6') reader.i++;
      if (reader.word() !== 'to') {
        // `dnat ip addr . port to ip daddr map { … }` and friends.
        return unsupportedUntilKeyword(reader, statements, from);
      }
      const target = reader.word(1);
      const to = target === undefined ? undefined : parseNatRange(target);
      if (!to || (reader.peek(2)?.kind === 'word' && reader.word(2) === 'map')) return unsupportedUntilKeyword(reader, statements, from);
      reader.i += 2;
      statements.push({ kind: 'nat', type: w, to, flags: natFlags(reader) });
      return true;
    }
    case 'masquerade':
    case 'redirect': {
      const from = reader.i++;
      let toPorts: { first: number; last: number } | undefined;
      if (reader.word() === 'to') {
        const ports = reader.word(1)?.replace(/^:/, '');
        toPorts = ports === undefined ? undefined : parsePortRange(ports);
        if (!toPorts) return unsupportedUntilKeyword(reader, statements, from);
        reader.i += 2;
      }
      const statement: NftStatement = { kind: w, flags: natFlags(reader) };
      if (toPorts) statement.toPorts = toPorts;
      statements.push(statement);
      return true;
    }
    case 'log': {
      reader.i++;
      const statement: NftStatement = { kind: 'log' };
      while (reader.word() !== undefined && LOG_OPTIONS.has(reader.word()!) && reader.peek(1)) {
        if (reader.word() === 'prefix') statement.prefix = reader.word(1)!;
        reader.i += 2;
      }
      statements.push(statement);
      return true;
    }
    case 'notrack':
      reader.i++;
      statements.push({ kind: 'notrack' });
      return true;
    case 'update':
    case 'add': {
      const set = reader.word(1);
      if (set === undefined || !set.startsWith('@')) return false;
      const from = reader.i;
      reader.i += 2;
      const inner = reader.braced();
      const key = inner ? new NftReader(inner).selectors() : undefined;
      if (!key) return unsupportedUntilKeyword(reader, statements, from);
      statements.push({ kind: 'set-update', op: w, set: set.slice(1), key });
      return true;
    }
    case 'xt': {
      // iptables-nft rules that nft cannot translate: `xt match "statistic"`, `xt target "MARK"`.
      const from = reader.i;
      reader.i += reader.word(1) === 'match' || reader.word(1) === 'target' ? 3 : 2;
      statements.push({ kind: 'unsupported', text: reader.textFrom(from) });
      return true;
    }
  }
  return false;
}

function natFlags(reader: NftReader): string[] {
  const flags: string[] = [];
  while (reader.word() !== undefined && NAT_FLAGS.has(reader.word()!)) {
    flags.push(reader.word()!);
    reader.i++;
    if (reader.isPunct(',')) reader.i++;
  }
  return flags;
}

function unsupportedUntilKeyword(reader: NftReader, statements: NftStatement[], from: number): true {
  reader.i = from + 1;
  while (!reader.done && !(reader.peek()!.kind === 'word' && STATEMENT_KEYWORDS.has(reader.peek()!.text))) {
    if (reader.isPunct('{')) reader.braced();
    else reader.i++;
  }
  statements.push({ kind: 'unsupported', text: reader.textFrom(from) });
  return true;
}

/** `<selectors> [op] <value>`, `<selectors> vmap …`, `<mark> set <expr>`. */
function readExpressionStatement(reader: NftReader): NftStatement | undefined {
  const left = reader.selectors();
  if (!left) return undefined;
  const w = reader.word();
  if (w === 'vmap') {
    reader.i++;
    const ref = reader.word();
    if (ref !== undefined && ref.startsWith('@')) {
      reader.i++;
      return { kind: 'vmap', key: left, map: { kind: 'set-ref', name: ref.slice(1) } };
    }
    const inner = reader.braced();
    if (!inner) return undefined;
    const { elements, errors } = parseNftElements(inner);
    reader.errors.push(...errors);
    return { kind: 'vmap', key: left, map: { kind: 'set', elements } };
  }
  if (w === 'set') {
    reader.i++;
    return markSetStatement(reader, left);
  }
  let op: NftRelation = 'eq';
  const relation = w === undefined ? undefined : RELATIONS.get(w);
  if (relation && reader.peek()?.kind === 'word') {
    op = relation;
    reader.i++;
  }
  const right = rightHand(reader, left.length === 1 && left[0]!.name === 'ct status');
  if (!right) return undefined;
  return { kind: 'match', left, op, right };
}

/** `ct status` flags that are also statement keywords: `ct status dnat accept` is a match. */
const CT_STATUS_KEYWORD_FLAGS = new Set(['snat', 'dnat']);

function rightHand(reader: NftReader, ctStatus = false): NftRightHand | undefined {
  const w = reader.word();
  if (w !== undefined && reader.peek()!.kind === 'word' && w.startsWith('@')) {
    reader.i++;
    return { kind: 'set-ref', name: w.slice(1) };
  }
  if (reader.isPunct('{')) {
    const inner = reader.braced();
    if (!inner) return undefined;
    const { elements, errors } = parseNftElements(inner);
    reader.errors.push(...errors);
    return { kind: 'set', elements };
  }
  const flagKeyword = ctStatus && w !== undefined && CT_STATUS_KEYWORD_FLAGS.has(w);
  if (w === undefined || (reader.peek()!.kind === 'word' && STATEMENT_KEYWORDS.has(w) && !flagKeyword)) return undefined;
  const value = reader.value();
  if (!value) return undefined;
  if (value.length === 1 && reader.isPunct(',')) {
    const values = [value[0]!];
    while (reader.isPunct(',') && reader.peek(1) && reader.peek(1)!.kind === 'word') {
      values.push(nftAtom(reader.peek(1)!));
      reader.i += 2;
    }
    return { kind: 'flags', values };
  }
  return { kind: 'value', value };
}

/**
 * `meta mark set <expr>` / `ct mark set <expr>` where expr is a number or the same mark combined
 * with and/or/xor constants. Anything else (copying between marks, other keys) is unsupported.
 */
function markSetStatement(reader: NftReader, left: NftSelector[]): NftStatement | undefined {
  const name = left.length === 1 && !left[0]!.bitwise ? left[0]!.name : undefined;
  const target = name === 'meta mark' ? 'meta' : name === 'ct mark' ? 'ct' : undefined;
  if (!target) return undefined;
  const literal = reader.word() === undefined ? undefined : parseUint32(reader.word()!);
  if (literal !== undefined) {
    reader.i++;
    return { kind: 'mark', target, update: xmark(literal) };
  }
  const source = reader.selector();
  // The selector reader folds one bitwise op into the selector; more follow as pairs.
  if (!source || source.name !== name) return undefined;
  let update: MarkUpdate = { value: 0, mask: 0 };
  const apply = (op: 'and' | 'or' | 'xor', value: number) => {
    update = composeMarkUpdates(update, op === 'and' ? andMark(value) : op === 'or' ? orMark(value) : xorMark(value));
  };
  if (source.bitwise) apply(source.bitwise.op, source.bitwise.value);
  for (;;) {
    const op = reader.word() === undefined ? undefined : BITWISE.get(reader.word()!);
    const value = reader.word(1) === undefined ? undefined : parseUint32(reader.word(1)!);
    if (!op || value === undefined) break;
    apply(op, value);
    reader.i += 2;
  }
  return { kind: 'mark', target, update };
}
