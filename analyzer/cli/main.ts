#!/usr/bin/env node
/**
 * The `netdump` command: a thin commander shell over the library, and the only module that
 * touches process.argv, process.exitCode and the standard streams. Exit status: 0 fine,
 * 1 findings at --fail-on, 2 usage error or unreadable bundle, 3 internal error.
 */
import { Command, CommanderError } from 'commander';
import { TOOL_VERSION } from '../version.js';
import type { CliIo } from './cli-io.js';
import { registerAnalyzeCommand } from './commands/analyze.js';
import { registerRulesCommand } from './commands/rules.js';
import { registerPolicyCommand } from './commands/policy.js';
import { registerTraceNodeCommand } from './commands/trace-node.js';
import { registerDnsCommand } from './commands/dns.js';
import { registerCollectCommand } from './commands/collect.js';
import { registerRouteCommand } from './commands/route.js';
import { registerPathCommand } from './commands/path.js';
import { registerAnonymizeCommand } from './commands/anonymize.js';
import { registerDeanonymizeCommand } from './commands/deanonymize.js';

const io: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stdoutIsTTY: process.stdout.isTTY === true,
  env: process.env,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

// `netdump analyze b.tgz | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const program = new Command('netdump')
  .description('Offline analyzer for captured Kubernetes and Docker networking state')
  .version(TOOL_VERSION)
  .exitOverride()
  .configureOutput({ writeOut: io.out, writeErr: io.err })
  .showHelpAfterError('(add --help for usage)');

// Subcommands inherit the settings above, so they are registered after them.
registerAnalyzeCommand(program, io);
registerRulesCommand(program, io);
registerPolicyCommand(program, io);
registerTraceNodeCommand(program, io);
registerDnsCommand(program, io);
registerRouteCommand(program, io);
registerPathCommand(program, io);
registerCollectCommand(program, io);
registerAnonymizeCommand(program, io);
registerDeanonymizeCommand(program, io);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed the message (or the help / version) already.
    io.setExitCode(error.exitCode === 0 ? 0 : 2);
  } else {
    const err = error instanceof Error ? error : new Error(String(error));
    io.err(`netdump hit an internal error — please report it with this output\n${err.stack ?? err.message}\n`);
    io.setExitCode(3);
  }
}
