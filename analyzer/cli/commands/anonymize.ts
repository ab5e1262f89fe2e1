/**
 * `netdump anonymize <bundle> -o <out.tgz>`: a copy of a bundle that can leave the customer's
 * network — addresses, namespaces, nodes and pods replaced by keyed pseudonyms, consistently in
 * every file, so that `netdump analyze` finds the same problems in it.
 *
 *   netdump anonymize netdump-prod.tgz -o prod-anon.tgz
 *   netdump anonymize netdump-prod.tgz -o prod-anon.tgz --key-file ~/.netdump-key --map-out prod-map.json
 *
 * The mapping file (default: beside the output, `<out>.map.json`) turns pseudonyms back
 * (`netdump deanonymize`); it and the key file stay with the customer. Without --key-file a
 * fresh random key is used, so two bundles anonymized separately share no pseudonyms.
 * stdout: nothing; the summary goes to stderr. Exit status: 0 written, 2 usage error,
 * unreadable bundle or key file, or the output could not be written.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BundleReadError } from '../../bundle/read-bundle.js';
import { anonymizeBundleFile } from '../../../collector/anonymize/anonymize-bundle.js';
import { KeyFileError, loadOrCreateKeyFile, newAnonymizationKey } from '../../../collector/anonymize/anonymization-key.js';
import { defaultMapPath, pseudonymCounts, writeAnonymizationMap } from '../../../collector/anonymize/anonymization-map.js';
import type { CliIo } from '../cli-io.js';

interface AnonymizeFlags {
  output: string;
  keyFile?: string;
  mapOut?: string;
}

export function registerAnonymizeCommand(program: Command, io: CliIo): void {
  program
    .command('anonymize')
    .description('write a copy of a bundle with addresses, namespaces, nodes and pods replaced by consistent keyed pseudonyms')
    .argument('<bundle>', 'a bundle: .tgz, .tar or directory')
    .requiredOption('-o, --output <file>', 'the anonymized bundle to write (.tgz)')
    .option('--key-file <file>', 'the 32-byte key (64 hex digits); created when missing; the same key gives the same pseudonyms')
    .option('--map-out <file>', 'where to write the mapping file (default: <output>.map.json)')
    .action(async (bundlePath: string, flags: AnonymizeFlags, command: Command) => {
      const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: 2, code: 'netdump.anonymizeUsage' });
      const mapPath = flags.mapOut ?? defaultMapPath(flags.output);
      if (resolve(flags.output) === resolve(bundlePath)) usage('the output would overwrite the bundle: choose another -o');
      if (resolve(mapPath) === resolve(flags.output)) usage('--map-out and -o name the same file');
      const fail = (message: string) => {
        io.err(`netdump: ${message}\n`);
        io.setExitCode(2);
      };

      let key: Buffer;
      if (flags.keyFile) {
        try {
          const loaded = await loadOrCreateKeyFile(flags.keyFile);
          key = loaded.key;
          if (loaded.created) io.err(`netdump: created key file ${flags.keyFile}; use it again to get the same pseudonyms, and keep it private\n`);
        } catch (error) {
          if (!(error instanceof KeyFileError)) throw error;
          return fail(error.message);
        }
      } else {
        key = newAnonymizationKey();
      }

      let result;
      try {
        result = await anonymizeBundleFile(bundlePath, flags.output, key);
      } catch (error) {
        if (error instanceof BundleReadError) return fail(error.message);
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === 'string') return fail(`cannot write ${flags.output}: ${(error as Error).message}`);
        throw error;
      }
      try {
        await writeAnonymizationMap(mapPath, result.map);
      } catch (error) {
        return fail(`wrote ${flags.output} but not its mapping file ${mapPath}: ${(error as Error).message}`);
      }

      const { map } = result;
      const counts = pseudonymCounts(map);
      io.err(
        `anonymized ${result.files} files: ${counts.names} names, ${counts.addresses} addresses, ` +
          `${counts.macs} MAC addresses, ${counts.chains} kube-proxy chain names → ${result.written.path} (${result.written.bytes} bytes)\n` +
          `mapping (keep it with you; it reverses the pseudonyms): ${mapPath}\n`,
      );
      if (result.skipped.length > 0) io.err(`not in the output (unreadable in the bundle): ${result.skipped.join(', ')}\n`);
      io.setExitCode(0);
    });
}
