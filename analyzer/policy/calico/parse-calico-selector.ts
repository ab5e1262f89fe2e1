/**
 * Calico's selector expression language (docs.tigera.io, "Selectors"), parsed once into an AST
 * and compiled into a matcher.
 *
 *   expression := or
 *   or         := and ( '||' and )*
 *   and        := unary ( '&&' unary )*
 *   unary      := '!' unary | primary
 *   primary    := '(' or ')' | 'all()' | 'global()' | 'has(' key ')'
 *               | key ( '==' | '!=' | 'contains' | 'starts with' | 'ends with' ) string
 *               | key ( 'in' | 'not in' ) '{' [ string ( ',' string )* ] '}'
 *
 * Keys are label keys (`app`, `projectcalico.org/namespace`, `k8s-app`); strings are quoted with
 * ' or " and have no escapes. An empty (or blank) selector is `all()`, as Calico reads it.
 *
 * Examples: `role == 'database'`, `has(projectcalico.org/name) && projectcalico.org/name not in
 * {"kube-system", "calico-system"}`, `!has(canary) || env in {'prod', 'stage'}`.
 *
 * Scope: `all()` matches every resource in the selector's scope; `global()` matches
 * non-namespaced resources (host endpoints, global network sets). In a rule's
 * `namespaceSelector`, a non-namespaced resource has no namespace: `all()` does not match it and
 * `global()` does (`matchesNamespace(null)`).
 *
 * Errors are values with a 1-based column; nothing is thrown.
 */
import type { Labels } from '../../kube/types.js';

export type CalicoSelectorNode =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; key: string }
  | { op: 'eq' | 'ne' | 'contains' | 'starts' | 'ends'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'not'; operand: CalicoSelectorNode }
  | { op: 'and' | 'or'; operands: CalicoSelectorNode[] };

/** Anything that selects by labels: a Calico selector, or a Kubernetes LabelSelector seen by Calico. */
export interface LabelMatcher {
  /** As written (Calico syntax) or as kubectl prints a LabelSelector. */
  readonly text: string;
  /** Matches a resource's labels; `global` is true for a non-namespaced resource. */
  matches(labels: Labels, global?: boolean): boolean;
  /**
   * Used as a namespaceSelector: matches a namespace's labels, or (`null`) asks whether it
   * takes in non-namespaced resources.
   */
  matchesNamespace(namespaceLabels: Labels | null): boolean;
}

export interface CalicoSelector extends LabelMatcher {
  readonly ast: CalicoSelectorNode;
  /** True for `all()` (and the empty selector): no restriction within the scope. */
  readonly selectsAll: boolean;
}

export interface SelectorSyntaxError {
  message: string;
  /** 1-based column in the selector text. */
  column: number;
}

export type ParsedSelector = { ok: true; selector: CalicoSelector } | { ok: false; error: SelectorSyntaxError };

type Compiled = (labels: Labels, allValue: boolean, globalValue: boolean) => boolean;

const EMPTY_LABELS: Labels = Object.freeze({});
const KEY_CHAR = /[A-Za-z0-9_.\/-]/;

export function parseCalicoSelector(text: string): ParsedSelector {
  const parser = new Parser(text);
  const result = parser.parse();
  if ('error' in result) return { ok: false, error: result.error };
  return { ok: true, selector: makeSelector(text, result.node) };
}

function makeSelector(text: string, ast: CalicoSelectorNode): CalicoSelector {
  const compiled = compile(ast);
  return {
    text: text.trim() === '' ? 'all()' : text.trim(),
    ast,
    selectsAll: ast.op === 'all',
    matches: (labels, global = false) => compiled(labels, true, global),
    matchesNamespace: (namespaceLabels) =>
      namespaceLabels === null ? compiled(EMPTY_LABELS, false, true) : compiled(namespaceLabels, true, false),
  };
}

function has(labels: Labels, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

function compile(node: CalicoSelectorNode): Compiled {
  switch (node.op) {
    case 'all':
      return (_l, allValue) => allValue;
    case 'global':
      return (_l, _a, globalValue) => globalValue;
    case 'has': {
      const key = node.key;
      return (labels) => has(labels, key);
    }
    case 'eq': {
      const { key, value } = node;
      return (labels) => has(labels, key) && labels[key] === value;
    }
    case 'ne': {
      const { key, value } = node;
      return (labels) => !has(labels, key) || labels[key] !== value;
    }
    case 'contains': {
      const { key, value } = node;
      return (labels) => has(labels, key) && labels[key]!.includes(value);
    }
    case 'starts': {
      const { key, value } = node;
      return (labels) => has(labels, key) && labels[key]!.startsWith(value);
    }
    case 'ends': {
      const { key, value } = node;
      return (labels) => has(labels, key) && labels[key]!.endsWith(value);
    }
    case 'in': {
      const key = node.key;
      const values = new Set(node.values);
      return (labels) => has(labels, key) && values.has(labels[key]!);
    }
    case 'notin': {
      const key = node.key;
      const values = new Set(node.values);
      return (labels) => !has(labels, key) || !values.has(labels[key]!);
    }
    case 'not': {
      const operand = compile(node.operand);
      return (labels, a, g) => !operand(labels, a, g);
    }
    case 'and': {
      const operands = node.operands.map(compile);
      return (labels, a, g) => operands.every((f) => f(labels, a, g));
    }
    case 'or': {
      const operands = node.operands.map(compile);
      return (labels, a, g) => operands.some((f) => f(labels, a, g));
    }
  }
}

class SyntaxFailure {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/** Recursive descent over the text; failures unwind as SyntaxFailure values caught in parse(). */
class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): { node: CalicoSelectorNode } | { error: SelectorSyntaxError } {
    try {
      this.skipSpace();
      if (this.pos >= this.text.length) return { node: { op: 'all' } };
      const node = this.parseOr();
      this.skipSpace();
      if (this.pos < this.text.length) this.fail(`unexpected '${this.text[this.pos]}' after a complete expression`);
      return { node };
    } catch (failure) {
      if (failure instanceof SyntaxFailure) {
        return { error: { message: failure.message, column: failure.offset + 1 } };
      }
      throw failure;
    }
  }

  private fail(message: string, offset = this.pos): never {
    throw new SyntaxFailure(message, offset);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private lookingAt(token: string): boolean {
    return this.text.startsWith(token, this.pos);
  }

  /** A keyword followed by something that cannot continue a label key. */
  private lookingAtWord(word: string): boolean {
    if (!this.lookingAt(word)) return false;
    const next = this.text[this.pos + word.length];
    return next === undefined || !KEY_CHAR.test(next);
  }

  private expect(token: string, what: string): void {
    this.skipSpace();
    if (!this.lookingAt(token)) this.fail(`expected ${what}`);
    this.pos += token.length;
  }

  private parseOr(): CalicoSelectorNode {
    const operands = [this.parseAnd()];
    for (;;) {
      this.skipSpace();
      if (!this.lookingAt('||')) break;
      this.pos += 2;
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0]! : { op: 'or', operands };
  }

  private parseAnd(): CalicoSelectorNode {
    const operands = [this.parseUnary()];
    for (;;) {
      this.skipSpace();
      if (!this.lookingAt('&&')) break;
      this.pos += 2;
      operands.push(this.parseUnary());
    }
    return operands.length === 1 ? operands[0]! : { op: 'and', operands };
  }

  private parseUnary(): CalicoSelectorNode {
    this.skipSpace();
    if (this.lookingAt('!') && !this.lookingAt('!=')) {
      this.pos++;
      return { op: 'not', operand: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): CalicoSelectorNode {
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail('expected an expression, found the end of the selector');
    if (this.lookingAt('(')) {
      const open = this.pos;
      this.pos++;
      const inner = this.parseOr();
      this.skipSpace();
      if (!this.lookingAt(')')) this.fail(`expected ')' to close the '(' at column ${open + 1}`);
      this.pos++;
      return inner;
    }
    const call = this.tryCall();
    if (call) return call;
    const keyStart = this.pos;
    const key = this.readKey();
    if (key === '') this.fail(`expected a label key, '(' , '!', has(), all() or global(), found '${this.text[this.pos]}'`);
    this.skipSpace();
    if (this.lookingAt('==')) {
      this.pos += 2;
      return { op: 'eq', key, value: this.readString() };
    }
    if (this.lookingAt('!=')) {
      this.pos += 2;
      return { op: 'ne', key, value: this.readString() };
    }
    if (this.lookingAtWord('in')) {
      this.pos += 2;
      return { op: 'in', key, values: this.readSet() };
    }
    if (this.lookingAtWord('not')) {
      this.pos += 3;
      this.skipSpace();
      if (!this.lookingAtWord('in')) this.fail("expected 'in' after 'not'");
      this.pos += 2;
      return { op: 'notin', key, values: this.readSet() };
    }
    if (this.lookingAtWord('contains')) {
      this.pos += 'contains'.length;
      return { op: 'contains', key, value: this.readString() };
    }
    for (const [first, op] of [
      ['starts', 'starts'],
      ['ends', 'ends'],
    ] as const) {
      if (this.lookingAtWord(first)) {
        this.pos += first.length;
        this.skipSpace();
        if (!this.lookingAtWord('with')) this.fail(`expected 'with' after '${first}'`);
        this.pos += 4;
        return { op, key, value: this.readString() };
      }
    }
    if (this.pos >= this.text.length) this.fail(`expected an operator (==, !=, in, not in, contains, starts with, ends with) after '${key}', found the end of the selector`);
    // `app = 'x'` (a single '=') is the most common mistake: say so.
    if (this.lookingAt('=')) this.fail(`expected '==' after '${key}' ('=' is not a Calico operator)`);
    return this.fail(`expected an operator (==, !=, in, not in, contains, starts with, ends with) after the label key at column ${keyStart + 1}`);
  }

  /** `all()`, `global()`, `has(key)`; undefined when the text is a label key instead. */
  private tryCall(): CalicoSelectorNode | undefined {
    const match = /^(all|global|has)\s*\(/.exec(this.text.slice(this.pos, this.pos + 16));
    if (!match) return undefined;
    const name = match[1]!;
    this.pos += match[0].length;
    if (name === 'has') {
      this.skipSpace();
      const key = this.readKey();
      if (key === '') this.fail('expected a label key inside has()');
      this.expect(')', "')' to close has(");
      return { op: 'has', key };
    }
    this.expect(')', `')' after ${name}(`);
    return name === 'all' ? { op: 'all' } : { op: 'global' };
  }

  private readKey(): string {
    const start = this.pos;
    while (this.pos < this.text.length && KEY_CHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private readString(): string {
    this.skipSpace();
    const quote = this.text[this.pos];
    if (quote !== "'" && quote !== '"') {
      if (this.pos >= this.text.length) this.fail('expected a quoted string, found the end of the selector');
      return this.fail(`expected a quoted string ('value' or "value"), found '${this.text[this.pos]}'`);
    }
    const close = this.text.indexOf(quote, this.pos + 1);
    if (close < 0) this.fail(`unterminated string: no closing ${quote}`);
    const value = this.text.slice(this.pos + 1, close);
    this.pos = close + 1;
    return value;
  }

  private readSet(): string[] {
    this.expect('{', "'{' to open a set of values");
    const values: string[] = [];
    this.skipSpace();
    if (this.lookingAt('}')) {
      this.pos++;
      return values;
    }
    for (;;) {
      values.push(this.readString());
      this.skipSpace();
      if (this.lookingAt(',')) {
        this.pos++;
        continue;
      }
      if (this.lookingAt('}')) {
        this.pos++;
        return values;
      }
      if (this.pos >= this.text.length) this.fail("expected ',' or '}' in the set, found the end of the selector");
      this.fail(`expected ',' or '}' in the set, found '${this.text[this.pos]}'`);
    }
  }
}

/** A Calico selector that cannot fail to parse (for selectors built in code). */
export function calicoSelector(text: string): CalicoSelector {
  const parsed = parseCalicoSelector(text);
  if (!parsed.ok) throw new Error(`invalid built-in Calico selector ${JSON.stringify(text)}: ${parsed.error.message}`);
  return parsed.selector;
}
