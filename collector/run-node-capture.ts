/**
 * Runs node-capture.sh in `--tar` mode and reads its tar from stdout into memory: the same way
 * whether the script runs on this host (`netdump collect --local`), in a network namespace
 * (`launcher: ['ip', 'netns', 'exec', 'ns1']`, the tests) or, later, on a cluster node through
 * `kubectl debug` / `kubectl exec` (a launcher that ends in the remote command). Nothing has to
 * be copied to where it runs: the script travels as `sh -c <text>` (scriptVia 'argument', for
 * this host) or as the standard input of `sh -s` (scriptVia 'stdin', for `kubectl exec -i`:
 * as an argument it would sit in the exec request's URL, ~25 kB once encoded, which API
 * servers accept but proxies in front of them with 8-16 kB header limits refuse).
 *
 * Interrupting (the AbortSignal) sends TERM to the script, which ends the command it is
 * running, records the rest as interrupted and still writes its tar.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extract as createExtract } from 'tar-stream';
import { findPackageRoot } from '../analyzer/cli/package-root.js';
import { parseCaptureRecords, type CaptureRecord } from './capture-records.js';

export const NODE_CAPTURE_SCRIPT = join(findPackageRoot(import.meta.url), 'collector', 'node-capture.sh');

/** A step as the script reports it on stderr (`node-capture: ok ip-addr.txt (12 ms)`). */
export interface CaptureStepEvent {
  status: 'ok' | 'failed' | 'not-found' | 'timed-out' | 'skipped' | 'interrupted';
  /** Relative to nodes/<node>/. */
  path: string;
  /** The rest of the line: command, exit code, duration or reason. */
  detail: string;
}

export interface NodeCaptureRequest {
  /** The name of the node's folder, nodes/<node>/. */
  node: string;
  /** Per command, in seconds. */
  timeoutSeconds: number;
  /** Arguments placed before `sh -c <script> ...`: how to reach the node. Empty: this host. */
  launcher?: readonly string[];
  /** Where the host's file system is mounted when the script runs in a container (`/host`). */
  hostRoot?: string;
  /** Environment of the launched process (PATH decides which tools the script finds). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStep?: (step: CaptureStepEvent) => void;
  /** Another copy of the script (tests). */
  scriptPath?: string;
  /**
   * How the script reaches sh: `sh -c <script>` ('argument', the default) or on sh's standard
   * input, `sh -s -- <args>` ('stdin'; the launcher must pass stdin on, as `kubectl exec -i`).
   */
  scriptVia?: 'argument' | 'stdin';
}

export interface NodeCaptureOutput {
  /** Output files by path relative to nodes/<node>/, bytes as the commands printed them. */
  files: Map<string, Buffer>;
  records: CaptureRecord[];
  /** Each command's stderr by its record's seq, when it printed any. */
  stderr: Map<number, string>;
  /** The script's exit status (130 when interrupted), or the signal that ended it. */
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** True when the signal was aborted while the script ran. */
  interrupted: boolean;
  /** What went wrong with the run itself: a broken stream, unexpected entries, lines not read. */
  problems: string[];
  /** The script's stderr lines that were not step reports (diagnostics, the launcher's errors). */
  log: string[];
}

const STEP_LINE = /^node-capture: (ok|failed|not-found|timed-out|skipped|interrupted) (\S+)(?: \((.*)\))?$/;
/** After TERM, how long the script has to write its tar before its process group is killed. */
const TERM_GRACE_MS = 15_000;

export async function runNodeCapture(request: NodeCaptureRequest): Promise<NodeCaptureOutput> {
  const script = readFileSync(request.scriptPath ?? NODE_CAPTURE_SCRIPT, 'utf8');
  const args = ['--tar', '--node', request.node, '--timeout', String(request.timeoutSeconds)];
  if (request.hostRoot) args.push('--host-root', request.hostRoot);
  const viaStdin = request.scriptVia === 'stdin';
  const argv = [...(request.launcher ?? []), ...(viaStdin ? ['sh', '-s', '--'] : ['sh', '-c', script, 'node-capture.sh']), ...args];

  const output: NodeCaptureOutput = {
    files: new Map(),
    records: [],
    stderr: new Map(),
    exitCode: null,
    exitSignal: null,
    interrupted: false,
    problems: [],
    log: [],
  };

  // Its own process group: the terminal's Ctrl-C reaches netdump only, which then stops the
  // script with TERM (so it can still write its tar) instead of killing it mid-stream.
  const child = spawn(argv[0]!, argv.slice(1), {
    env: request.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // sh reads the script as it runs it (the script's commands get /dev/null); otherwise stdin
  // is empty. A launcher that exits early closes the pipe (EPIPE): its exit status says why.
  child.stdin.on('error', () => {});
  child.stdin.end(viaStdin ? script : undefined);

  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    output.interrupted = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, TERM_GRACE_MS);
  };
  if (request.signal?.aborted) onAbort();
  else request.signal?.addEventListener('abort', onAbort, { once: true });

  const exited = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      output.problems.push(`cannot run ${argv[0]}: ${error.message}`);
      resolve();
    });
    child.on('close', (code, signal) => {
      output.exitCode = code;
      output.exitSignal = signal;
      resolve();
    });
  });

  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      handleLogLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  child.stderr.on('end', () => {
    if (pending !== '') handleLogLine(pending);
  });
  function handleLogLine(line: string): void {
    const step = STEP_LINE.exec(line);
    if (step) request.onStep?.({ status: step[1] as CaptureStepEvent['status'], path: step[2]!, detail: step[3] ?? '' });
    else if (line.trim() !== '') output.log.push(line);
  }

  const raw = await readTar(child.stdout, output.problems);
  await exited;
  clearTimeout(killTimer);
  request.signal?.removeEventListener('abort', onAbort);

  const nodePrefix = `nodes/${request.node}/`;
  let recordsText: string | undefined;
  for (const [name, data] of raw) {
    if (name.startsWith(nodePrefix) && name.length > nodePrefix.length) {
      output.files.set(name.slice(nodePrefix.length), data);
    } else if (name === 'capture-log/records.tsv') {
      recordsText = data.toString('utf8');
    } else if (name === 'capture-log/capture.txt') {
      // The run's summary for people who run the script by hand; the records say it all.
    } else {
      const stderrFile = /^capture-log\/stderr\/(\d+)\.txt$/.exec(name);
      if (stderrFile) output.stderr.set(Number(stderrFile[1]), data.toString('utf8'));
      else output.problems.push(`unexpected entry in the capture: ${name}`);
    }
  }
  if (recordsText === undefined) {
    if (raw.size > 0 || output.exitCode === 0) output.problems.push('the capture holds no capture-log/records.tsv');
  } else {
    const parsed = parseCaptureRecords(recordsText);
    output.records = parsed.records;
    output.problems.push(...parsed.problems);
  }
  return output;
}

/** Regular files of a tar stream, by normalised path; anything odd is named in `problems`. */
async function readTar(stream: NodeJS.ReadableStream, problems: string[]): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = createExtract();
  stream.pipe(extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === 'directory' || name === '') continue;
      if (entry.header.type !== 'file') {
        problems.push(`ignored ${entry.header.type} entry in the capture: ${name}`);
      } else if (name.startsWith('/') || name.split('/').includes('..')) {
        problems.push(`refused an entry with an unsafe path in the capture: ${name}`);
      } else {
        files.set(name, Buffer.concat(chunks));
      }
    }
  } catch (error) {
    // A script that died (or a launcher that failed) leaves no tar or a cut one: keep what came.
    problems.push(`the capture's tar stream ended early: ${(error as Error).message}`);
    stream.resume();
  }
  return files;
}
