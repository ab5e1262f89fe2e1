/**
 * Runs the user's kubectl: spawned directly (no shell, so no word splitting or globbing of
 * names), stdin closed unless given, a time limit per call, Ctrl-C through an AbortSignal,
 * stdout kept as bytes up to a bound. A failing kubectl is a result, never an exception.
 *
 * classifyKubectlFailure names why a call failed from kubectl's own stderr, as kubectl v1.2x
 * prints it:
 *   Error from server (Forbidden): pods is forbidden: User "dev" cannot list resource "pods" in API group "" at the cluster scope
 *   Error from server (NotFound): pods "coredns-x" not found
 *   Error from server (InternalError): an error on the server ("...") has prevented the request from succeeding
 *   Error from server (ServiceUnavailable): the server is currently unable to handle the request
 *   error: the server doesn't have a resource type "ippools"
 *   Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout
 *   The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?
 *   error: You must be logged in to the server (Unauthorized)
 */
import { spawn } from 'node:child_process';
import type { KubectlCallOptions, KubectlResult, KubectlRun, KubectlTarget } from './cluster-phase.js';

/**
 * kubectl output beyond this is dropped and the call fails as 'output-too-large': the
 * analyzer skips files over 256 MiB by default, and a List much larger would not fit in one
 * JavaScript string to parse and redact. Cluster mode then lists the resource per namespace.
 */
export const DEFAULT_MAX_STDOUT_BYTES = 256 * 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;
/** After SIGTERM, kubectl gets this long to exit before SIGKILL. */
const KILL_GRACE_MS = 2000;

export interface KubectlRunOptions {
  maxStdoutBytes?: number;
  /** Extra environment for kubectl (tests point KUBECACHEDIR at a temporary folder). */
  env?: Readonly<Record<string, string>>;
}

/** How a call failed, for the manifest's `error` and the summary. */
export type KubectlFailure =
  | 'forbidden'
  | 'unauthorized'
  | 'not-found'
  | 'unknown-resource'
  | 'server-error'
  | 'unreachable'
  | 'timed-out'
  | 'interrupted'
  | 'kubectl-not-found'
  | 'output-too-large'
  | 'bad-config'
  | 'failed';

/** The command line as the manifest records it: kubectl and its arguments, without the global flags. */
export function kubectlCommandLine(args: readonly string[]): string {
  return ['kubectl', ...args].map((word) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)).join(' ');
}

/**
 * What kubectl (client-go's WebSocket executor, v1.29+) logs when a frame of an exec arrives
 * before it has set up that stream: its demultiplexer runs alongside the stream setup and drops
 * such frames (`E1126 ... websocket.go:296] Unknown stream id 1, discarding message`). A command
 * that answers at once (`cat /etc/resolv.conf`) can lose its whole output this way and still
 * exit 0: the output is not what the command printed.
 */
const EXEC_FRAME_DISCARDED = /Unknown stream id \d+, discarding message/;

export function createKubectlRun(target: KubectlTarget, options: KubectlRunOptions = {}): KubectlRun {
  const maxStdout = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  return async (args, call: KubectlCallOptions = {}) => {
    const result = await runKubectl(target, args, call, maxStdout, options.env);
    if (args[0] !== 'exec' || !EXEC_FRAME_DISCARDED.test(result.stderr)) return result;
    // The exec commands netdump runs only read, so running one again is harmless; with stdin
    // (already consumed) it cannot be repeated.
    const again = call.stdin === undefined && !call.signal?.aborted ? await runKubectl(target, args, call, maxStdout, options.env) : result;
    if (again !== result && !EXEC_FRAME_DISCARDED.test(again.stderr)) return { ...again, durationMs: result.durationMs + again.durationMs };
    return {
      ...again,
      exitCode: again.exitCode === 0 ? null : again.exitCode,
      stderr: `${again.stderr}netdump: kubectl discarded part of the exec's output (frames that arrived before its streams were ready)${again !== result ? ', twice' : ''}; the output is incomplete\n`,
    };
  };
}

function runKubectl(
  target: KubectlTarget,
  args: readonly string[],
  call: KubectlCallOptions,
  maxStdout: number,
  extraEnv: Readonly<Record<string, string>> | undefined,
): Promise<KubectlResult> {
  const command = kubectlCommandLine(args);
  const started = Date.now();
  const result = (fields: Partial<KubectlResult>): KubectlResult => ({
    command,
    exitCode: null,
    stdout: Buffer.alloc(0),
    stderr: '',
    durationMs: Date.now() - started,
    timedOut: false,
    interrupted: false,
    notFound: false,
    ...fields,
  });
  if (call.signal?.aborted) return Promise.resolve(result({ interrupted: true, durationMs: 0 }));

  return new Promise((resolve) => {
    const child = spawn(target.binary, [...target.globalArgs, ...args], {
      stdio: [call.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: extraEnv ? { ...process.env, ...extraEnv } : process.env,
      shell: false,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let tooLarge = false;
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    let timedOut = false;
    let interrupted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = call.timeoutSeconds
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, call.timeoutSeconds * 1000)
      : undefined;
    const onAbort = () => {
      interrupted = true;
      stop();
    };
    call.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (fields: Partial<KubectlResult>) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      call.signal?.removeEventListener('abort', onAbort);
      resolve(result({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8'), timedOut, interrupted, ...fields }));
    };

    child.stdout!.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        tooLarge = true;
        stdout.length = 0;
        stop();
        return;
      }
      stdout.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderrBytes >= MAX_STDERR_BYTES) return;
      stderrBytes += chunk.length;
      stderr.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT' || error.code === 'EACCES';
      finish({ notFound: missing, stderr: missing ? `${target.binary}: ${error.code === 'ENOENT' ? 'not found' : 'permission denied'}` : error.message });
    });
    child.on('close', (code) => {
      const killed = timedOut || interrupted || tooLarge;
      const fields: Partial<KubectlResult> = { exitCode: killed ? null : code };
      if (tooLarge) {
        fields.stderr = `${Buffer.concat(stderr).toString('utf8')}netdump: kubectl printed more than ${maxStdout} bytes; output dropped`;
      }
      finish(fields);
    });
    if (call.stdin !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(call.stdin);
    }
  });
}

/** Why a finished call failed; undefined when it succeeded. */
export function classifyKubectlFailure(result: KubectlResult): KubectlFailure | undefined {
  if (result.notFound) return 'kubectl-not-found';
  if (result.interrupted) return 'interrupted';
  if (result.timedOut) return 'timed-out';
  if (result.exitCode === null && /printed more than \d+ bytes/.test(result.stderr)) return 'output-too-large';
  if (result.exitCode === 0) return undefined;
  const text = result.stderr;
  if (/context deadline exceeded|Client\.Timeout exceeded/.test(text)) return 'timed-out';
  if (/Error in configuration|context was not found|error loading config file|no configuration has been provided/.test(text)) return 'bad-config';
  if (/\(Forbidden\)|\bis forbidden:/.test(text)) return 'forbidden';
  if (/\(Unauthorized\)|must be logged in to the server/.test(text)) return 'unauthorized';
  if (/the server doesn't have a resource type|no matches for kind|the server could not find the requested resource/.test(text)) return 'unknown-resource';
  if (/\(NotFound\)/.test(text)) return 'not-found';
  // "Error from server" means the API server answered: what it says about a pod behind it
  // (a proxy's "dial tcp ... connection refused") is a server-side error, not an unreachable server.
  if (/\((InternalError|ServiceUnavailable|Timeout|ServerTimeout|TooManyRequests|BadGateway)\)|an error on the server|currently unable to handle the request/.test(text)) {
    return 'server-error';
  }
  if (/Unable to connect to the server|The connection to the server .* was refused|dial tcp|no such host|connection refused|i\/o timeout|TLS handshake timeout/.test(text)) {
    return 'unreachable';
  }
  return 'failed';
}

/**
 * The manifest's `error` text for a failure. 'timed out', 'interrupted' and 'command not
 * found' are the words node captures use too; the rest name the cause ("forbidden" lets the
 * analyzer say RBAC refused the call).
 */
export function failureText(failure: KubectlFailure): string {
  switch (failure) {
    case 'timed-out':
      return 'timed out';
    case 'interrupted':
      return 'interrupted';
    case 'kubectl-not-found':
      return 'command not found';
    case 'forbidden':
      return 'forbidden (RBAC: the identity kubectl uses may not read this)';
    case 'unauthorized':
      return 'unauthorized (the API server did not accept kubectl\'s credentials)';
    case 'not-found':
      return 'not found';
    case 'unknown-resource':
      return 'unknown resource type';
    case 'server-error':
      return 'server error';
    case 'unreachable':
      return 'API server unreachable';
    case 'output-too-large':
      return 'output too large';
    case 'bad-config':
      return 'kubeconfig problem';
    case 'failed':
      return 'failed';
  }
}
