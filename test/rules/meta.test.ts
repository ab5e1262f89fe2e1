/**
 * Every registered rule has its file, its doc (with the sections users rely on) and its test;
 * every rule file is registered; ids are unique and come from the shared catalog or the
 * project's own list of added rules.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYERS, SEVERITIES } from '../../analyzer/report/report.js';
import { allRules, ruleById } from '../../rules/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rulesDir = `${root}rules/`;
const catalogPath = `${root}../shared/rule-catalog.md`;
const DOC_SECTIONS = ['What it means', 'Why it matters', 'Evidence used', 'How to fix', 'Not collected when'];

/** Ids listed as `` - `rule-id` `` at the start of a line. */
function listedIds(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^- `([a-z0-9-]+)`/gm)].map((m) => m[1]!));
}

describe('rule registry', () => {
  it('has unique kebab-case ids, a known layer and severity', () => {
    const ids = allRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of allRules) {
      expect(rule.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(LAYERS).toContain(rule.layer);
      expect(SEVERITIES).toContain(rule.severity);
      expect(rule.description, rule.id).not.toBe('');
      expect(rule.requires.length, `${rule.id} declares its inputs`).toBeGreaterThan(0);
      expect(ruleById(rule.id)).toBe(rule);
    }
    expect(ruleById('no-such-rule')).toBeUndefined();
  });

  it('registers every rule file, each under its own id', async () => {
    const files = readdirSync(rulesDir).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual(allRules.map((r) => r.id).sort());
    for (const id of files.map((f) => f.replace(/\.ts$/, ''))) {
      const module = (await import(/* @vite-ignore */ `${rulesDir}${id}.ts`)) as { default: unknown };
      expect(module.default, `rules/${id}.ts`).toBe(ruleById(id));
    }
  });

  it.each(allRules.map((r) => [r.id]))('%s has a doc with every section', (id) => {
    const doc = `${rulesDir}${id}.md`;
    expect(existsSync(doc), `rules/${id}.md`).toBe(true);
    const text = readFileSync(doc, 'utf8');
    expect(text.startsWith(`# ${id}\n`), `rules/${id}.md starts with its id`).toBe(true);
    for (const section of DOC_SECTIONS) expect(text, `rules/${id}.md: ## ${section}`).toMatch(new RegExp(`^## ${section}`, 'm'));
  });

  it.each(allRules.map((r) => [r.id]))('%s has a test file', (id) => {
    expect(existsSync(`${root}test/rules/${id}.test.ts`), `test/rules/${id}.test.ts`).toBe(true);
  });

  it('uses ids from the shared catalog or the project list of added rules', (ctx) => {
    if (!existsSync(catalogPath)) {
      ctx.skip(`shared catalog not found at ${catalogPath}; cannot check rule ids against it`);
      return;
    }
    const known = new Set([...listedIds(readFileSync(catalogPath, 'utf8')), ...listedIds(readFileSync(`${rulesDir}catalog-additions.md`, 'utf8'))]);
    expect(known.size).toBeGreaterThan(40);
    expect(allRules.map((r) => r.id).filter((id) => !known.has(id))).toEqual([]);
  });

  it('keeps bundle-parse-error last', () => {
    expect(allRules.at(-1)?.id).toBe('bundle-parse-error');
  });
});
