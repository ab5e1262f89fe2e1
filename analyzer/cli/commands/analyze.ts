/** `netdump analyze <bundle>`: read a bundle, run the rules, print the report. */
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { analyzeBundle } from '../../analyze.js';
import { DEFAULT_LIMITS, type BundleLimits } from '../../bundle/bundle.js';
import { FORMAT_NAMES, renderers, type FormatName } from '../../report/renderers.js';
import { SEVERITIES, type Severity } from '../../report/report.js';
import { allRules } from '../../../rules/index.js';
import type { CliIo } from '../cli-io.js';
import { shouldUseColor } from '../color-support.js';
import { exitCodeFor } from '../exit-code.js';
import { readCommandBundle } from '../load-bundle.js';
import { collectList, formatSize, parseCount, parseSize } from '../parse-options.js';
import { describeUnknownRules } from '../unknown-rules.js';

interface AnalyzeFlags {
  format: FormatName;
  failOn: Severity;
  rule?: string[];
  namespace?: string[];
  maxFileSize?: number;
  maxTotalSize?: number;
  maxEntries?: number;
  output?: string;
}

export function registerAnalyzeCommand(program: Command, io: CliIo): void {
  program
    .command('analyze')
    .description('analyze a bundle and report what breaks traffic, root causes first')
    .argument('<bundle>', 'a bundle: .tgz, .tar or directory')
    .addOption(new Option('--format <format>', 'output format').choices(FORMAT_NAMES).default('human'))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(SEVERITIES).default('critical'),
    )
    .option('--rule <id>', 'run only this rule (repeatable, or comma-separated ids)', collectList)
    .option('--namespace <ns>', 'report only on these namespaces, plus cluster-scoped objects (repeatable, or comma-separated)', collectList)
    .option('--max-file-size <size>', `skip bundle files larger than this (default ${formatSize(DEFAULT_LIMITS.maxFileBytes)})`, parseSize)
    .option('--max-total-size <size>', `stop reading after this much uncompressed data (default ${formatSize(DEFAULT_LIMITS.maxTotalBytes)})`, parseSize)
    .option('--max-entries <count>', `stop reading after this many archive entries (default ${DEFAULT_LIMITS.maxEntries})`, parseCount)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .action(async (bundlePath: string, flags: AnalyzeFlags, command: Command) => {
      const knownIds = allRules.map((r) => r.id);
      const ruleIds = flags.rule ?? [];
      const unknown = ruleIds.filter((id) => !knownIds.includes(id));
      if (unknown.length > 0) command.error(describeUnknownRules(unknown, knownIds), { exitCode: 2, code: 'netdump.unknownRule' });

      const limits: Partial<BundleLimits> = {};
      if (flags.maxFileSize !== undefined) limits.maxFileBytes = flags.maxFileSize;
      if (flags.maxTotalSize !== undefined) limits.maxTotalBytes = flags.maxTotalSize;
      if (flags.maxEntries !== undefined) limits.maxEntries = flags.maxEntries;

      const bundle = await readCommandBundle(io, bundlePath, limits);
      if (!bundle) return;

      const report = analyzeBundle(bundle, { ruleIds, namespaces: flags.namespace ?? [] });
      const color = flags.output === undefined && shouldUseColor(io.stdoutIsTTY, io.env);
      const text = renderers[flags.format](report, { color });
      if (flags.output === undefined) {
        io.out(text);
      } else {
        try {
          await writeFile(flags.output, text);
        } catch (error) {
          io.err(`netdump: cannot write the report to ${flags.output}: ${(error as Error).message}\n`);
          io.setExitCode(2);
          return;
        }
        io.err(`netdump: report written to ${flags.output}\n`);
      }
      if (report.problems.length > 0) {
        io.err(`netdump: ${report.problems.length} internal problem(s) during analysis (a rule failed; the others ran). Please report them with the "problems" of --format json.\n`);
      }
      io.setExitCode(exitCodeFor(report, flags.failOn));
    });
}
