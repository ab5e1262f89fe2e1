import { describe, expect, it } from 'vitest';
import { parseCalicoSelector, type CalicoSelector } from '../../analyzer/policy/calico/parse-calico-selector.js';

function selector(text: string): CalicoSelector {
  const parsed = parseCalicoSelector(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error.message} at column ${parsed.error.column}`);
  return parsed.selector;
}

const db = { role: 'database', tier: 'backend', 'projectcalico.org/namespace': 'production' };
const web = { role: 'frontend', 'app.kubernetes.io/name': 'shop-web', env: 'prod-eu' };
const bare = {};

describe('Calico selectors: match operators', () => {
  it.each([
    // [selector, labels, expected]
    ["role == 'database'", db, true],
    ['role == "database"', web, false],
    ['role=="database"', db, true],
    ["role != 'database'", db, false],
    ["role != 'database'", web, true],
    ["role != 'database'", bare, true], // absent label is "not equal"
    ['has(role)', db, true],
    ['has(role)', bare, false],
    ['!has(role)', bare, true],
    ['! has(role)', db, false],
    ["role in { 'frontend', 'database' }", db, true],
    ["role in {'frontend'}", db, false],
    ['role in {}', db, false],
    ["role not in { 'frontend' }", db, true],
    ["role not in { 'frontend' }", bare, true], // absent label is "not in" any set
    ['role not in {}', db, true],
    ["env contains 'eu'", web, true],
    ["env starts with 'prod'", web, true],
    ["env ends with 'prod'", web, false],
    ["env starts with 'prod'", bare, false],
    ["app.kubernetes.io/name == 'shop-web'", web, true],
    ["projectcalico.org/namespace == 'production'", db, true],
    ['all()', bare, true],
    ['', db, true],
    ['   ', bare, true],
    ['!all()', db, false],
  ] as const)('%s on %j → %s', (text, labels, expected) => {
    expect(selector(text).matches(labels)).toBe(expected);
  });
});

describe('Calico selectors: boolean structure and precedence', () => {
  it('binds && tighter than || and ! tighter than && (the documented example)', () => {
    const s = selector("! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}");
    expect(s.ast).toEqual({
      op: 'or',
      operands: [
        { op: 'not', operand: { op: 'has', key: 'my-label' } },
        {
          op: 'and',
          operands: [
            { op: 'starts', key: 'my-label', value: 'prod' },
            { op: 'in', key: 'role', values: ['frontend', 'business'] },
          ],
        },
      ],
    });
    expect(s.matches({})).toBe(true);
    expect(s.matches({ 'my-label': 'prod-1', role: 'frontend' })).toBe(true);
    expect(s.matches({ 'my-label': 'prod-1', role: 'db' })).toBe(false);
    expect(s.matches({ 'my-label': 'dev', role: 'frontend' })).toBe(false);
  });

  it('honours parentheses', () => {
    const s = selector("(role == 'a' || role == 'b') && env == 'prod'");
    expect(s.matches({ role: 'b', env: 'prod' })).toBe(true);
    expect(s.matches({ role: 'b', env: 'dev' })).toBe(false);
    expect(selector("!(role == 'a' || role == 'b')").matches({ role: 'c' })).toBe(true);
  });

  it('reads the namespaceSelector of the default-deny GlobalNetworkPolicy sample', () => {
    const s = selector('has(projectcalico.org/name) && projectcalico.org/name not in {"kube-system", "calico-system", "calico-apiserver"}');
    expect(s.matchesNamespace({ 'projectcalico.org/name': 'shop', 'kubernetes.io/metadata.name': 'shop' })).toBe(true);
    expect(s.matchesNamespace({ 'projectcalico.org/name': 'kube-system' })).toBe(false);
    expect(s.matchesNamespace(null)).toBe(false);
  });
});

describe('Calico selectors: scope of all() and global()', () => {
  it('global() matches non-namespaced resources only', () => {
    expect(selector('global()').matches({}, true)).toBe(true);
    expect(selector('global()').matches({}, false)).toBe(false);
  });

  it('as a namespaceSelector, all() covers namespaces but not global resources; global() covers those', () => {
    expect(selector('all()').matchesNamespace({ 'projectcalico.org/name': 'x' })).toBe(true);
    expect(selector('all()').matchesNamespace(null)).toBe(false);
    expect(selector('global()').matchesNamespace(null)).toBe(true);
    expect(selector('global()').matchesNamespace({ 'projectcalico.org/name': 'x' })).toBe(false);
    expect(selector("global() || projectcalico.org/name == 'x'").matchesNamespace(null)).toBe(true);
  });

  it('reports all() (and the empty selector) as selecting all', () => {
    expect(selector('all()').selectsAll).toBe(true);
    expect(selector('').selectsAll).toBe(true);
    expect(selector('').text).toBe('all()');
    expect(selector('has(a)').selectsAll).toBe(false);
  });
});

describe('Calico selectors: syntax errors are values with a column', () => {
  it.each([
    ["role = 'database'", 6, "expected '==' after 'role'"],
    ["role == database", 9, 'expected a quoted string'],
    ["role == 'database", 9, 'unterminated string'],
    ["role in 'a'", 9, "expected '{'"],
    ["role in {'a' 'b'}", 14, "expected ',' or '}'"],
    ["role in {'a',", 14, 'expected a quoted string, found the end'],
    ["role not 'a'", 10, "expected 'in' after 'not'"],
    ["(role == 'a'", 13, "expected ')' to close the '(' at column 1"],
    ["role == 'a')", 12, "unexpected ')' after a complete expression"],
    ["role == 'a' &&", 15, 'expected an expression, found the end'],
    ['has(role', 9, "expected ')' to close has("],
    ['has()', 5, 'expected a label key inside has()'],
    ['all(', 5, "expected ')' after all("],
    ["role", 5, 'expected an operator'],
    ["role starts 'x'", 13, "expected 'with' after 'starts'"],
    ['&& a', 1, 'expected a label key'],
    ["role == 'a' and env == 'b'", 13, "unexpected 'a' after a complete expression"],
  ])('%s → column %i', (text, column, message) => {
    const parsed = parseCalicoSelector(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.column).toBe(column);
    expect(parsed.error.message).toContain(message);
  });
});
