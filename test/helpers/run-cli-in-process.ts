/**
 * Runs one netdump subcommand in process, as main.ts registers it, capturing stdout, stderr and
 * the exit status: commander usage errors become exit 2, as main.ts turns them.
 *
 *   const out = await runCliInProcess(registerRouteCommand, 'route', [bundle, '--node', 'node-b', '10.244.2.5']);
 */
import { Command, CommanderError } from 'commander';
import type { CliIo } from '../../analyzer/cli/cli-io.js';

export interface InProcessRun {
  stdout: string;
  stderr: string;
  status: number;
}

export type RegisterCommand = (program: Command, io: CliIo) => void;

export async function runCliInProcess(register: RegisterCommand, command: string, args: readonly string[]): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  let status = 0;
  const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), stdoutIsTTY: false, env: {}, setExitCode: (c) => void (status = c) };
  const program = new Command('netdump').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  register(program, io);
  try {
    await program.parseAsync(['node', 'netdump', command, ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // main.ts turns every commander usage error into exit 2.
    status = error.exitCode === 0 ? 0 : 2;
  }
  return { stdout, stderr, status };
}
