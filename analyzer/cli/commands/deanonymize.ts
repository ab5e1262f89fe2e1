/**
 * `netdump deanonymize <report> --map <map.json>`: turns a report on an anonymized bundle back
 * into the customer's names and addresses — a JSON report (`netdump analyze --format json`)
 * string by string, any other text (the human or Markdown report) as a whole.
 *
 *   netdump deanonymize report.json --map prod-map.json -o report-real.json
 *
 * stdout: the report (unless -o). Exit status: 0 written, 2 usage error or unreadable files.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { validateAnonymizationMap, type AnonymizationMap } from '../../../collector/anonymize/anonymization-map.js';
import { deanonymizeJson, deanonymizeText } from '../../../collector/anonymize/deanonymize.js';
import type { CliIo } from '../cli-io.js';

interface DeanonymizeFlags {
  map: string;
  output?: string;
}

export function registerDeanonymizeCommand(program: Command, io: CliIo): void {
  program
    .command('deanonymize')
    .description('turn a report on an anonymized bundle back into real names and addresses, with the mapping file')
    .argument('<report>', 'a report: JSON (--format json) or text')
    .requiredOption('--map <file>', 'the mapping file netdump anonymize wrote')
    .option('-o, --output <file>', 'write the report here instead of stdout')
    .action(async (reportPath: string, flags: DeanonymizeFlags) => {
      const fail = (message: string) => {
        io.err(`netdump: ${message}\n`);
        io.setExitCode(2);
      };
      let reportText: string;
      let mapText: string;
      try {
        reportText = await readFile(reportPath, 'utf8');
        mapText = await readFile(flags.map, 'utf8');
      } catch (error) {
        return fail(`cannot read ${(error as NodeJS.ErrnoException).path ?? 'input'}: ${(error as Error).message}`);
      }
      let map: AnonymizationMap;
      try {
        const parsed: unknown = JSON.parse(mapText);
        const problem = validateAnonymizationMap(parsed);
        if (problem) return fail(`${flags.map} is not a netdump mapping file: ${problem}`);
        map = parsed as AnonymizationMap;
      } catch (error) {
        return fail(`${flags.map} is not JSON: ${(error as Error).message}`);
      }

      let report: unknown;
      let isJson = true;
      try {
        report = JSON.parse(reportText);
      } catch {
        isJson = false;
      }
      const output = isJson ? `${JSON.stringify(deanonymizeJson(report, map), null, 2)}\n` : deanonymizeText(reportText, map);
      if (flags.output) {
        try {
          await writeFile(flags.output, output);
        } catch (error) {
          return fail(`cannot write ${flags.output}: ${(error as Error).message}`);
        }
      } else {
        io.out(output);
      }
      io.setExitCode(0);
    });
}
