/**
 * Reading the bundle a command names, the same way for every command: an unreadable bundle is
 * a message on stderr and exit status 2, never a stack trace; any other error propagates
 * (main.ts reports it as an internal error).
 */
import { buildModel } from '../analyze.js';
import type { Bundle, BundleLimits } from '../bundle/bundle.js';
import { BundleReadError, readBundle } from '../bundle/read-bundle.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { CliIo } from './cli-io.js';

/** Prints `netdump: <message>` on stderr and sets exit status 2 (a request the bundle cannot answer). */
export function failCommand(io: CliIo, message: string): void {
  io.err(`netdump: ${message}\n`);
  io.setExitCode(2);
}

/** The bundle at `bundlePath`, or undefined once the reason it cannot be read is reported. */
export async function readCommandBundle(io: CliIo, bundlePath: string, limits: Partial<BundleLimits> = {}): Promise<Bundle | undefined> {
  try {
    return await readBundle(bundlePath, limits);
  } catch (error) {
    if (!(error instanceof BundleReadError)) throw error;
    failCommand(io, error.message);
    return undefined;
  }
}

/** The analysis model of the bundle at `bundlePath`, or undefined once its read failure is reported. */
export async function loadCommandModel(io: CliIo, bundlePath: string): Promise<AnalysisModel | undefined> {
  const bundle = await readCommandBundle(io, bundlePath);
  return bundle && buildModel(bundle);
}
