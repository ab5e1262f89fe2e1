/**
 * Runs the BUILT netdump bin (dist/, or $NETDUMP_BIN) as a user would, capturing stdout,
 * stderr and the exit status.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const scenarioDir = (name: string) => join(projectRoot, 'fixtures/scenarios', name);
export const netdumpBin = process.env.NETDUMP_BIN ?? join(projectRoot, 'dist/analyzer/cli/main.js');

export function assertBinBuilt(): void {
  if (!existsSync(netdumpBin)) {
    throw new Error(`${netdumpBin} does not exist: run \`npm run build\` first (or point NETDUMP_BIN at a built main.js)`);
  }
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const baseEnv = { ...process.env };
  // The colour decision must come from the test, not from the CI runner's environment.
  delete baseEnv.FORCE_COLOR;
  delete baseEnv.NO_COLOR;
  const result = spawnSync(process.execPath, [netdumpBin, ...args], {
    cwd: projectRoot,
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A directory packed as a .tgz the way `tar czf x.tgz -C dir .` would, under a top folder. */
export async function packDirectory(dir: string, topFolder: string): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const entryName = `${topFolder}/${relative(dir, path).split('\\').join('/')}`;
      if (statSync(path).isDirectory()) {
        archive.entry({ name: `${entryName}/`, type: 'directory' });
        walk(path);
      } else {
        archive.entry({ name: entryName }, readFileSync(path));
      }
    }
  };
  walk(dir);
  archive.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}
