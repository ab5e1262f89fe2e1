/**
 * The kubectl runner and the naming of kubectl's failures. The stderr texts are kubectl's own
 * (v1.30/v1.32), as printed against the replay API server and as kubectl words them for a
 * missing server; the runner is exercised with `sh` standing in for kubectl, so a timeout, an
 * interrupt, a missing binary and an oversized output are real process events.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubectlResult } from '../../collector/cluster/cluster-phase.js';
import { classifyKubectlFailure, createKubectlRun, failureText, kubectlCommandLine } from '../../collector/cluster/kubectl-run.js';

const failed = (stderr: string, fields: Partial<KubectlResult> = {}): KubectlResult => ({
  command: 'kubectl get pods -A -o json',
  exitCode: 1,
  stdout: Buffer.from('{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}'),
  stderr,
  durationMs: 120,
  timedOut: false,
  interrupted: false,
  notFound: false,
  ...fields,
});

describe('classifyKubectlFailure', () => {
  it('names each failure from kubectl\'s stderr', () => {
    const cases: [string, string][] = [
      [
        'Error from server (Forbidden): networkpolicies.networking.k8s.io is forbidden: User "system:serviceaccount:support:netdump" cannot list resource "networkpolicies" in API group "networking.k8s.io" at the cluster scope',
        'forbidden',
      ],
      ['Error from server (InternalError): Internal error occurred: etcdserver: request timed out', 'server-error'],
      ['Error from server (ServiceUnavailable): error trying to reach service: dial tcp 10.244.1.2:9153: connect: connection refused', 'server-error'],
      ['Error from server (ServiceUnavailable): the server is currently unable to handle the request (get pods.metrics.k8s.io)', 'server-error'],
      ['error: the server doesn\'t have a resource type "ippools"', 'unknown-resource'],
      ['error: error from server (NotFound): pods "coredns-5c8c7f7bf4-9sdhr" not found in namespace "kube-system"', 'not-found'],
      ['Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout', 'unreachable'],
      ['The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?', 'unreachable'],
      ['Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)', 'timed-out'],
      ['error: You must be logged in to the server (Unauthorized)', 'unauthorized'],
      ['Error in configuration: context was not found for specified context: prod', 'bad-config'],
      ['error: something else entirely', 'failed'],
    ];
    for (const [stderr, expected] of cases) expect(classifyKubectlFailure(failed(stderr)), stderr).toBe(expected);
  });

  it('a success is no failure, whatever kubectl warned about', () => {
    expect(classifyKubectlFailure(failed('Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice', { exitCode: 0 }))).toBeUndefined();
  });

  it('the runner\'s own outcomes come first', () => {
    expect(classifyKubectlFailure(failed('', { exitCode: null, timedOut: true }))).toBe('timed-out');
    expect(classifyKubectlFailure(failed('', { exitCode: null, interrupted: true }))).toBe('interrupted');
    expect(classifyKubectlFailure(failed('kubectl: not found', { exitCode: null, notFound: true }))).toBe('kubectl-not-found');
  });

  it('names RBAC refusals as forbidden in the manifest text, and uses the node capture\'s words for the rest', () => {
    expect(failureText('forbidden')).toMatch(/^forbidden \(RBAC/);
    expect(failureText('timed-out')).toBe('timed out');
    expect(failureText('interrupted')).toBe('interrupted');
    expect(failureText('kubectl-not-found')).toBe('command not found');
  });
});

describe('createKubectlRun', () => {
  it('runs without a shell: arguments reach the program as they are', async () => {
    const run = createKubectlRun({ binary: 'printf', globalArgs: ['%s|'] });
    const result = await run(['get', 'pods; rm -rf /', '$(id)']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString()).toBe('get|pods; rm -rf /|$(id)|');
    expect(result.command).toBe("kubectl get 'pods; rm -rf /' '$(id)'");
  });

  it('feeds stdin and closes it', async () => {
    const run = createKubectlRun({ binary: 'cat', globalArgs: [] });
    const result = await run([], { stdin: 'apiVersion: apps/v1\nkind: DaemonSet\n' });
    expect(result.stdout.toString()).toBe('apiVersion: apps/v1\nkind: DaemonSet\n');
  });

  it('a missing kubectl is notFound, not an exception', async () => {
    const run = createKubectlRun({ binary: '/nonexistent/kubectl', globalArgs: ['--context', 'prod'] });
    const result = await run(['version', '-o', 'json']);
    expect(result).toMatchObject({ notFound: true, exitCode: null, timedOut: false });
    expect(result.stderr).toContain('/nonexistent/kubectl: not found');
  });

  it('kills a call that outlives its timeout and says so', async () => {
    const run = createKubectlRun({ binary: 'sh', globalArgs: ['-c', 'echo started; exec sleep 30', 'sh'] });
    const result = await run([], { timeoutSeconds: 1 });
    expect(result).toMatchObject({ timedOut: true, interrupted: false, exitCode: null });
    expect(classifyKubectlFailure(result)).toBe('timed-out');
  });

  it('an abort stops the running call, and a call asked after the abort never starts', async () => {
    const run = createKubectlRun({ binary: 'sh', globalArgs: ['-c', 'exec sleep 30', 'sh'] });
    const controller = new AbortController();
    const pending = run([], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toMatchObject({ interrupted: true, exitCode: null });
    expect(await run([], { signal: controller.signal })).toMatchObject({ interrupted: true, durationMs: 0 });
  });

  it('drops an output beyond the bound instead of holding it all', async () => {
    const run = createKubectlRun({ binary: 'sh', globalArgs: ['-c', 'head -c 200000 /dev/zero', 'sh'] }, { maxStdoutBytes: 65536 });
    const result = await run([]);
    expect(result.stdout.length).toBe(0);
    expect(classifyKubectlFailure(result)).toBe('output-too-large');
  });

  it('keeps kubectl\'s exit code and stderr', async () => {
    const run = createKubectlRun({ binary: 'sh', globalArgs: ['-c', 'echo "error: the server doesn\'t have a resource type \\"ippools\\"" >&2; exit 1', 'sh'] });
    const result = await run([]);
    expect(result.exitCode).toBe(1);
    expect(classifyKubectlFailure(result)).toBe('unknown-resource');
  });

  // kubectl's exec drops frames that arrive before it has set up its streams, logs this line and
  // still exits 0 (client-go's WebSocket executor): the empty output is not the command's.
  const DISCARDED = 'E1126 17:06:55.104217    6776 websocket.go:296] Unknown stream id 1, discarding message';
  const fakeDirs: string[] = [];
  afterAll(() => {
    for (const dir of fakeDirs) rmSync(dir, { recursive: true, force: true });
  });
  function fakeExec(failures: number): { run: ReturnType<typeof createKubectlRun>; calls: () => number } {
    const dir = mkdtempSync(join(tmpdir(), 'netdump-kubectl-exec-'));
    fakeDirs.push(dir);
    const count = join(dir, 'calls');
    writeFileSync(count, '');
    const script = `echo x >>"$1"; n=$(wc -l <"$1"); if [ "$n" -le ${failures} ]; then echo '${DISCARDED}' >&2; exit 0; fi; printf 'nameserver 10.96.0.10\\n'`;
    return { run: createKubectlRun({ binary: 'sh', globalArgs: ['-c', script, 'sh', count] }), calls: () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length };
  }

  it('runs an exec again when kubectl discarded its output, and keeps the second answer', async () => {
    const { run, calls } = fakeExec(1);
    const result = await run(['exec', '-n', 'shop', 'web-0', '-c', 'app', '--', 'cat', '/etc/resolv.conf']);
    expect(calls()).toBe(2);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString()).toBe('nameserver 10.96.0.10\n');
    expect(result.stderr).toBe('');
  });

  it('an exec whose output is lost twice is a failure, not an empty file', async () => {
    const { run, calls } = fakeExec(2);
    const result = await run(['exec', '-n', 'shop', 'web-0', '-c', 'app', '--', 'cat', '/etc/resolv.conf']);
    expect(calls()).toBe(2);
    expect(result.exitCode).toBeNull();
    expect(result.stderr).toContain('discarding message');
    expect(result.stderr).toContain("netdump: kubectl discarded part of the exec's output");
    expect(classifyKubectlFailure(result)).toBe('failed');
  });

  it('does not repeat an exec that was fed stdin, nor anything but exec', async () => {
    const withStdin = fakeExec(1);
    const fed = await withStdin.run(['exec', '-i', '-n', 'kube-system', 'capture', '--', 'sh', '-s'], { stdin: 'echo hi\n' });
    expect(withStdin.calls()).toBe(1);
    expect(fed.exitCode).toBeNull();
    const get = fakeExec(1);
    expect((await get.run(['get', 'pods'])).exitCode).toBe(0);
    expect(get.calls()).toBe(1);
  });

  it('quotes only what a shell would need quoted in the recorded command line', () => {
    expect(kubectlCommandLine(['get', '--raw', '/api/v1/namespaces/kube-system/pods/coredns-x:9153/proxy/metrics'])).toBe(
      'kubectl get --raw /api/v1/namespaces/kube-system/pods/coredns-x:9153/proxy/metrics',
    );
    expect(kubectlCommandLine(['logs', '-n', 'kube-system', 'coredns-x', '-c', 'coredns', '--tail=2000'])).toBe('kubectl logs -n kube-system coredns-x -c coredns --tail=2000');
  });
});
