/**
 * A network namespace built from a LabConfig, and the kernel's own answers about it: the outputs
 * netdump's collector would capture (`ip -d addr`, `ip route show table all`, `ip rule`, sysctl,
 * `netstat -s`, `nstat`) and `ip route get` for every query, asked in one `ip -batch` process.
 *
 * Namespaces are named `ndfib-<pid>-<n>` (and `ndfibp-...` for the veth peers), so leftovers of
 * a killed run are recognised by their dead pid and removed by the next run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabConfig, LabQuery } from './fib-lab-config.js';

export type LabAvailability = { ok: true; dummyDriver: boolean } | { ok: false; reason: string };

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[], input?: string): RunResult {
  const result = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { status: null, stdout: '', stderr: String(result.error.message) };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function mustRun(argv: string[], input?: string): string {
  const result = run(argv, input);
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}

let counter = 0;
const PREFIX = 'ndfib';

/** Removes namespaces of earlier runs whose process is gone. */
function sweepStaleNamespaces(): void {
  const listed = run(['ip', 'netns', 'list']).stdout;
  for (const line of listed.split('\n')) {
    const name = line.split(/\s+/)[0] ?? '';
    const match = /^ndfibp?-(\d+)-\d+$/.exec(name);
    if (match && !existsSync(`/proc/${match[1]}`)) run(['ip', 'netns', 'del', name]);
  }
}

export function fibLabAvailability(): LabAvailability {
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `needs root to create network namespaces (uid is ${uid})` };
  const version = run(['ip', '-V']);
  if (version.status !== 0) return { ok: false, reason: 'iproute2 (`ip`) is not installed' };
  sweepStaleNamespaces();
  const probe = `${PREFIX}-${process.pid}-probe`;
  const added = run(['ip', 'netns', 'add', probe]);
  if (added.status !== 0) return { ok: false, reason: `cannot create a network namespace: ${added.stderr.trim()}` };
  try {
    const veth = run(['ip', '-n', probe, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0']);
    if (veth.status !== 0) return { ok: false, reason: `cannot create veth pairs: ${veth.stderr.trim()}` };
    const dummy = run(['ip', '-n', probe, 'link', 'add', 'd0', 'type', 'dummy']);
    return { ok: true, dummyDriver: dummy.status === 0 };
  } finally {
    run(['ip', 'netns', 'del', probe]);
  }
}

export interface LabCapture {
  addr: string;
  link: string;
  route: string;
  route6: string;
  rule: string;
  rule6: string;
  sysctl: string;
  /** Absent when net-tools is not installed. */
  netstat?: string;
  nstat?: string;
}

export type KernelAnswer =
  | {
      ok: true;
      type: string;
      device?: string;
      gateway?: string;
      table?: string;
      src?: string;
      raw: string;
    }
  | { ok: false; message: string; raw: string };

export class FibLab {
  readonly ns: string;
  readonly peerNs: string;
  /** Batch lines the kernel refused (the capture shows what was really built). */
  readonly refused: string[] = [];

  constructor(readonly config: LabConfig) {
    counter++;
    this.ns = `${PREFIX}-${process.pid}-${counter}`;
    this.peerNs = `${PREFIX}p-${process.pid}-${counter}`;
  }

  build(options: { dummyDriver: boolean }): void {
    mustRun(['ip', 'netns', 'add', this.ns]);
    mustRun(['ip', 'netns', 'add', this.peerNs]);
    this.sysctl(this.config.sysctls);
    const links: string[] = ['link set lo up'];
    const peersUp: string[] = [];
    for (const device of this.config.devices) {
      if (device.kind === 'loopback') continue;
      const peer = `p-${device.name}`.slice(0, 15);
      const veth = `link add ${device.name} type veth peer name ${peer} netns ${this.peerNs}`;
      switch (device.kind) {
        case 'veth':
          links.push(veth);
          if (!device.noCarrier) peersUp.push(`link set ${peer} up`);
          break;
        case 'dummy':
          links.push(options.dummyDriver ? `link add ${device.name} type dummy` : veth);
          if (!options.dummyDriver) peersUp.push(`link set ${peer} up`);
          break;
        case 'bridge':
          links.push(`link add ${device.name} type bridge`);
          break;
        case 'vxlan': {
          const underlay = this.config.devices.find((d) => d.name === 'eth0')!;
          links.push(`link add ${device.name} type vxlan id 1 local ${underlay.v4[0]!.address} dev eth0 dstport 8472 nolearning`);
          break;
        }
      }
      links.push(`link set ${device.name} up`);
    }
    this.batch(this.ns, links, []);
    this.batch(this.peerNs, peersUp, []);
    this.sysctl(this.config.deviceSysctls);
    this.batch(this.ns, this.config.commands, [], true);
    this.batch(this.ns, this.config.commands6, ['-6'], true);
    if (this.config.downDevice) this.batch(this.ns, [`link set ${this.config.downDevice} down`], []);
    this.waitForIpv6Settled();
  }

  /**
   * IPv6 local routes are inserted by the kernel's addrconf work queue, after `ip addr add`
   * returns; on a busy machine a capture taken at once can miss them while a later
   * `ip route get` sees them. Waits until every configured address has its local route and the
   * IPv6 state stops changing.
   */
  private waitForIpv6Settled(): void {
    const expected = this.config.devices.filter((d) => d.name !== this.config.downDevice).flatMap((d) => d.v6.map((a) => a.address));
    let previous = '';
    for (let attempt = 0; attempt < 100; attempt++) {
      const state = mustRun(['ip', '-n', this.ns, '-6', 'route', 'show', 'table', 'all']) + mustRun(['ip', '-n', this.ns, '-6', 'addr', 'show']);
      const complete = expected.every((address) => state.includes(`local ${address} `));
      if (complete && state === previous) return;
      previous = state;
      spawnSync('sleep', ['0.05']);
    }
    throw new Error(`IPv6 addresses of ${this.ns} did not settle:\n${previous}`);
  }

  destroy(): void {
    run(['ip', 'netns', 'del', this.ns]);
    run(['ip', 'netns', 'del', this.peerNs]);
  }

  capture(): LabCapture {
    const ip = (...args: string[]) => mustRun(['ip', '-n', this.ns, ...args]);
    const exec = (...args: string[]) => run(['ip', 'netns', 'exec', this.ns, ...args]);
    const netstat = exec('netstat', '-s');
    const nstat = exec('nstat', '-asz');
    const capture: LabCapture = {
      addr: ip('-d', 'addr', 'show'),
      link: ip('-d', '-s', 'link', 'show'),
      route: ip('route', 'show', 'table', 'all'),
      route6: ip('-6', 'route', 'show', 'table', 'all'),
      rule: ip('rule', 'show'),
      rule6: ip('-6', 'rule', 'show'),
      sysctl: exec(
        'sysctl',
        '-a',
        '-r',
        '^net\\.(ipv4\\.(ip_forward|conf\\.[^.]+\\.(rp_filter|accept_local|route_localnet)|ip_local_port_range|tcp_retries2)|bridge\\.bridge-nf-call-ip6?tables|netfilter\\.nf_conntrack_(count|max)|core\\.somaxconn)$',
      ).stdout,
    };
    if (netstat.status === 0) capture.netstat = netstat.stdout;
    if (nstat.status === 0) capture.nstat = nstat.stdout;
    return capture;
  }

  /** `ip -d route get` for every query, in one process; answers in query order. */
  routeGet(queries: readonly LabQuery[]): KernelAnswer[] {
    const directory = mkdtempSync(join(tmpdir(), 'ndfib-'));
    const file = join(directory, 'queries.batch');
    try {
      writeFileSync(file, queries.map((q) => q.command).join('\n') + '\n');
      const result = run(['ip', '-n', this.ns, '-d', '-force', '-batch', file]);
      return pairAnswers(queries.length, file, result.stdout, result.stderr);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }

  private sysctl(settings: string[]): void {
    if (settings.length === 0) return;
    mustRun(['ip', 'netns', 'exec', this.ns, 'sysctl', '-q', '-w', ...settings]);
  }

  private batch(ns: string, lines: string[], options: string[], tolerateFailures = false): void {
    if (lines.length === 0) return;
    const result = run(['ip', '-n', ns, ...options, '-force', '-batch', '-'], lines.join('\n') + '\n');
    const failed = [...result.stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1]));
    for (const line of failed) this.refused.push(`${options.join(' ')} ${lines[line - 1]}`.trim());
    if (failed.length > 0 && !tolerateFailures) throw new Error(`ip -batch failed in ${ns}:\n${result.stderr}`);
  }
}

/**
 * Pairs the batch's outputs with its lines: failures are named by line in stderr ("Command failed
 * <file>:<n>", after the error message); every other line produced one answer on stdout, a line
 * at column 0 followed by indented `cache` lines.
 */
function pairAnswers(count: number, file: string, stdout: string, stderr: string): KernelAnswer[] {
  const failures = new Map<number, string>();
  const errorLines = stderr.split('\n');
  errorLines.forEach((line, i) => {
    const failed = /^Command failed (.+):(\d+)$/.exec(line);
    if (failed && failed[1] === file) {
      failures.set(Number(failed[2]), (errorLines[i - 1] ?? '').replace(/^RTNETLINK answers: /, '').trim());
    }
  });
  const records: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line) && records.length > 0) records[records.length - 1] += `\n${line}`;
    else records.push(line);
  }
  const answers: KernelAnswer[] = [];
  let next = 0;
  for (let lineNumber = 1; lineNumber <= count; lineNumber++) {
    const failure = failures.get(lineNumber);
    if (failure !== undefined) {
      answers.push({ ok: false, message: failure, raw: failure });
      continue;
    }
    const record = records[next++];
    if (record === undefined) throw new Error(`ip -batch stopped before line ${lineNumber}:\n${stderr}`);
    answers.push(readAnswer(record));
  }
  if (next !== records.length) throw new Error(`ip -batch printed ${records.length} answers for ${count - failures.size} successful lines`);
  return answers;
}

/** `unicast 10.9.1.1 from 10.2.0.1 via 10.2.0.254 dev v1 table main src 10.2.0.1 uid 0` (from `ip -d route get`). */
function readAnswer(record: string): KernelAnswer {
  const tokens = record.split('\n')[0]!.trim().split(/\s+/);
  const answer: Extract<KernelAnswer, { ok: true }> = { ok: true, type: tokens[0]!, raw: record };
  for (let i = 2; i < tokens.length; i++) {
    const key = tokens[i]!;
    let value = tokens[i + 1];
    if (value === undefined) break;
    if (key === 'via') {
      if (value === 'inet' || value === 'inet6') value = tokens[++i + 1]!;
      answer.gateway = value;
      i++;
    } else if (key === 'dev') {
      answer.device = value;
      i++;
    } else if (key === 'table') {
      answer.table = value;
      i++;
    } else if (key === 'src') {
      answer.src = value;
      i++;
    } else if (['from', 'proto', 'scope', 'metric', 'uid', 'iif', 'pref', 'mark', 'oif', 'ipproto', 'sport', 'dport'].includes(key)) {
      i++;
    }
  }
  return answer;
}
