/** `netdump rules [id]`: the rule catalog as a table or JSON, or one rule's documentation. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Rule } from '../../engine/rule.js';
import { allRules } from '../../../rules/index.js';
import type { CliIo } from '../cli-io.js';
import { findPackageRoot } from '../package-root.js';
import { describeUnknownRules } from '../unknown-rules.js';

const RULES_FORMATS = ['text', 'json'] as const;

interface RulesFlags {
  format: (typeof RULES_FORMATS)[number];
}

export function registerRulesCommand(program: Command, io: CliIo): void {
  program
    .command('rules')
    .description("list every rule, or show one rule's documentation")
    .argument('[id]', 'a rule id')
    .addOption(new Option('--format <format>', 'output format').choices(RULES_FORMATS).default('text'))
    .action(async (id: string | undefined, flags: RulesFlags, command: Command) => {
      if (id === undefined) {
        io.out(flags.format === 'json' ? JSON.stringify(allRules.map(describeRule), null, 2) + '\n' : renderRuleTable(allRules));
        return;
      }
      const rule = allRules.find((r) => r.id === id);
      if (!rule) {
        command.error(describeUnknownRules([id], allRules.map((r) => r.id)), { exitCode: 2, code: 'netdump.unknownRule' });
      }
      const docPath = join(findPackageRoot(import.meta.url), 'rules', `${rule.id}.md`);
      const doc = await readFile(docPath, 'utf8').catch(() => undefined);
      if (flags.format === 'json') {
        io.out(JSON.stringify({ ...describeRule(rule), doc: doc ?? null }, null, 2) + '\n');
      } else if (doc !== undefined) {
        io.out(doc.endsWith('\n') ? doc : doc + '\n');
      } else {
        io.out(renderRuleTable([rule]));
      }
      if (doc === undefined) io.err(`netdump: no documentation found for ${rule.id} (looked for ${docPath})\n`);
    });
}

function describeRule(rule: Rule) {
  return { id: rule.id, layer: rule.layer, severity: rule.severity, area: rule.area, description: rule.description };
}

/** An aligned table: ID, LAYER, SEVERITY, DESCRIPTION. */
export function renderRuleTable(rules: readonly Rule[]): string {
  const rows = [['ID', 'LAYER', 'SEVERITY', 'DESCRIPTION'], ...rules.map((r) => [r.id, r.layer, r.severity, r.description])];
  const widths = [0, 1, 2].map((col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col < 3 ? cell.padEnd(widths[col]!) : cell)).join('  ')).join('\n') + '\n';
}
