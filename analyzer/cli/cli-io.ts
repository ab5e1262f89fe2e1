/**
 * What commands may do to the outside world. main.ts implements it over the process; commands
 * never touch process.stdout, process.argv or process.exitCode themselves.
 */
export interface CliIo {
  /** The command's result (the report): stdout. */
  out(text: string): void;
  /** Errors, warnings and progress: stderr. */
  err(text: string): void;
  stdoutIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  setExitCode(code: number): void;
}
