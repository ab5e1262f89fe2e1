/**
 * DNS lab for the resolver differential test (test/dns-difftest/): the real glibc and musl
 * resolvers of this machine, run against real DNS servers in a throwaway network namespace,
 * with every query the servers receive logged.
 *
 *   namespace ndd-<pid>-<n>, lo only (this kernel may lack the dummy driver):
 *     10.96.0.10, .11, .12   dnsmasq, one per address, all answering from one ZoneTable,
 *                            `--log-queries=extra` (client port included) to a file each
 *     10.96.0.13             nothing listens: the kernel answers ICMP port unreachable
 *     10.96.0.20, .21        scripted servers (dns-lab-scripted-server.ts): drop, or answer
 *                            one type only, for the timeout cases
 *
 * A lookup runs `getaddrinfo-client lookup <name>` (test/dns-difftest/getaddrinfo-client.c,
 * built here with gcc for glibc and `musl-gcc -static` for musl, cached by hash in the
 * temporary directory) inside `unshare --mount` in the namespace, with the case's resolv.conf
 * bind-mounted over /etc/resolv.conf, an empty /etc/hosts and `hosts: dns` in
 * /etc/nsswitch.conf. Every lookup of a batch runs in one shell, one after the other; before
 * each, `getaddrinfo-client mark` sends a marker query (`<tag>.netdump-mark.test`) to every
 * logging server, so each server's log splits into one slice per lookup. The marker of a
 * lookup leaves after the previous client has exited: its queries (musl's to the slower
 * servers included) are in the servers' sockets before the marker. A final marker tells when
 * the logs are complete.
 *
 * Needs root, iproute2 (ip), util-linux (unshare, mount), dnsmasq (Debian dnsmasq-base), gcc
 * and, for musl, musl-gcc (Debian musl-tools); dnsLabAvailable() says what is missing.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Libc } from '../../analyzer/dns/resolver-simulation.js';
import { SCRIPTED_SERVER_SOURCE } from './dns-lab-scripted-server.js';
import { dnsmasqRecordLines, type ZoneTable } from './dns-lab-zone.js';

export const DNS_LAB_ADDRESSES = {
  /** dnsmasq instances. */
  servers: ['10.96.0.10', '10.96.0.11', '10.96.0.12'],
  /** No listener: ICMP port unreachable. */
  refusing: '10.96.0.13',
  /** Scripted servers, configured per lab. */
  scripted: ['10.96.0.20', '10.96.0.21'],
} as const;

export type ScriptedAction = 'drop' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | string;

export interface ScriptedServer {
  /** One of DNS_LAB_ADDRESSES.scripted. */
  address: string;
  /** Per query type; a missing type is dropped. An address answers NOERROR with that record. */
  actions: { A?: ScriptedAction; AAAA?: ScriptedAction };
}

export interface DnsLabOptions {
  zone: ZoneTable;
  scripted?: ScriptedServer[];
}

export interface LabLookup {
  resolvConf: string;
  name: string;
}

/** A query as a server logged it: name absolute and lower-case, the client's source port. */
export interface LoggedQuery {
  name: string;
  type: string;
  port: number;
}

/** What getaddrinfo returned: addresses sorted, or the EAI_* code's name (or that the client crashed). */
export type ClientOutcome = { status: 'resolved'; addresses: string[] } | { status: 'failed'; error: string };

export interface LabLookupResult {
  lookup: LabLookup;
  outcome: ClientOutcome;
  /** Queries per server address (every logging server of the lab, empty lists included). */
  queries: Map<string, LoggedQuery[]>;
}

export type DnsLabAvailability = { ok: true; musl: true } | { ok: true; musl: false; muslReason: string } | { ok: false; reason: string };

const TOOL_PATH = [process.env.PATH ?? '', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].join(delimiter);
const TOOLS = ['ip', 'unshare', 'mount', 'umount', 'dnsmasq', 'gcc'] as const;
const NETNS_PREFIX = 'ndd-';
const CLIENT_SOURCE = fileURLToPath(new URL('../dns-difftest/getaddrinfo-client.c', import.meta.url));
const MARK_DOMAIN = 'netdump-mark.test';
const LOG_LINE = /^(?:.*?dnsmasq\[\d+\]: )?\d+ [\d.:a-f]+\/(\d+) query\[([^\]]+)\] (.+) from [\d.:a-f]+$/;

let availability: Promise<DnsLabAvailability> | undefined;

export function dnsLabAvailable(): Promise<DnsLabAvailability> {
  availability ??= probe();
  return availability;
}

async function probe(): Promise<DnsLabAvailability> {
  if (process.platform !== 'linux') return { ok: false, reason: `the DNS lab needs Linux, not ${process.platform}` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `the DNS lab needs root for network and mount namespaces (uid is ${uid})` };
  const missing = TOOLS.filter((tool) => !findTool(tool));
  if (missing.length > 0) {
    return { ok: false, reason: `the DNS lab needs ${missing.join(', ')} (apt-get install dnsmasq-base gcc iproute2)` };
  }
  if (!existsSync('/etc/resolv.conf')) {
    return { ok: false, reason: '/etc/resolv.conf does not exist (a dangling symlink?): the DNS lab bind-mounts each case over it' };
  }
  const netns = `${NETNS_PREFIX}${process.pid}-probe`;
  try {
    await run(['ip', 'netns', 'add', netns]);
    await run(['ip', 'netns', 'exec', netns, 'unshare', '--mount', '--propagation', 'private', 'true']);
    clientBinary('glibc');
  } catch (error) {
    return { ok: false, reason: `network/mount namespaces or the glibc client build failed: ${(error as Error).message}` };
  } finally {
    await run(['ip', 'netns', 'del', netns]).catch(() => undefined);
  }
  if (!findTool('musl-gcc')) return { ok: true, musl: false, muslReason: 'musl-gcc is missing (apt-get install musl-tools)' };
  if (!labMuslVersion()) return { ok: true, musl: false, muslReason: 'the musl release is unknown (no ld-musl loader, no dpkg entry)' };
  try {
    clientBinary('musl');
  } catch (error) {
    return { ok: true, musl: false, muslReason: `the musl client build failed: ${(error as Error).message}` };
  }
  return { ok: true, musl: true };
}

/**
 * The musl release the lab's client links, for the simulator: the dynamic loader of the same
 * package prints it (`Version 1.2.3`); dpkg is asked otherwise. Undefined when neither tells.
 */
export function labMuslVersion(): string | undefined {
  const env = { ...process.env, PATH: TOOL_PATH };
  for (const loader of ['/lib/ld-musl-x86_64.so.1', '/lib/ld-musl-aarch64.so.1']) {
    if (!existsSync(loader)) continue;
    // The loader prints its banner to stderr and exits 1 when run without a program.
    const banner = spawnSync(loader, [], { encoding: 'utf8', env });
    const version = /Version (\d+\.\d+\.\d+)/.exec(`${banner.stdout}${banner.stderr}`)?.[1];
    if (version) return version;
  }
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'musl'], { encoding: 'utf8', env });
  return /^(\d+\.\d+\.\d+)/.exec(dpkg.stdout ?? '')?.[1];
}

/** Builds (once per source and compiler) and returns the client binary for a libc. */
export function clientBinary(libc: Libc): string {
  const source = readFileSync(CLIENT_SOURCE);
  const compiler = libc === 'glibc' ? ['gcc', '-O1'] : ['musl-gcc', '-O1', '-static'];
  const version = execFileSync(compiler[0]!, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: TOOL_PATH } });
  const hash = createHash('sha256').update(source).update(compiler.join(' ')).update(version).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'netdump-dns-lab-clients');
  const binary = join(dir, `getaddrinfo-client-${libc}-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  execFileSync(compiler[0]!, [...compiler.slice(1), '-Wall', '-Wextra', '-Werror', '-o', partial, CLIENT_SOURCE], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: TOOL_PATH },
  });
  renameSync(partial, binary);
  return binary;
}

export class DnsLab {
  private static counter = 0;
  private readonly netns = `${NETNS_PREFIX}${process.pid}-${DnsLab.counter++}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'netdump-dns-lab-'));
  private readonly children: ChildProcess[] = [];
  private readonly logs = new Map<string, string>();
  private batches = 0;
  private closed = false;

  private constructor(
    private readonly glibcClient: string,
    private readonly muslClient: string | undefined,
  ) {}

  static async start(options: DnsLabOptions): Promise<DnsLab> {
    const available = await dnsLabAvailable();
    if (!available.ok) throw new Error(available.reason);
    await sweepStaleNamespaces();
    const lab = new DnsLab(clientBinary('glibc'), available.musl ? clientBinary('musl') : undefined);
    liveLabs.add(lab);
    installExitCleanup();
    try {
      await lab.build(options);
      return lab;
    } catch (error) {
      await lab.close();
      throw error;
    }
  }

  /** Every address whose queries are logged: the dnsmasq servers and the scripted ones. */
  get loggingServers(): string[] {
    return [...this.logs.keys()];
  }

  private async build(options: DnsLabOptions): Promise<void> {
    const ns = this.netns;
    await run(['ip', 'netns', 'add', ns]);
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    const addresses = [...DNS_LAB_ADDRESSES.servers, DNS_LAB_ADDRESSES.refusing, ...DNS_LAB_ADDRESSES.scripted];
    for (const address of addresses) await run(['ip', '-n', ns, 'addr', 'add', `${address}/32`, 'dev', 'lo']);
    // Port unreachable must come back for every query: no ICMP rate limit in the lab.
    await run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0']).catch(() => undefined);
    await run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.icmp_msgs_per_sec=100000']).catch(() => undefined);

    writeFileSync(join(this.dir, 'hosts'), '');
    writeFileSync(join(this.dir, 'nsswitch.conf'), 'hosts: dns\n');
    mkdirSync(join(this.dir, 'resolv'));
    const config = [
      'no-resolv',
      'no-hosts',
      'no-poll',
      // Answer everything here: NXDOMAIN for names the table does not have.
      'local=/#/',
      ...dnsmasqRecordLines(options.zone),
      '',
    ].join('\n');
    writeFileSync(join(this.dir, 'dnsmasq.conf'), config);

    for (const address of DNS_LAB_ADDRESSES.servers) {
      const log = join(this.dir, `${address}.log`);
      writeFileSync(log, '');
      this.logs.set(address, log);
      this.spawnInLab([
        'dnsmasq',
        `--conf-file=${join(this.dir, 'dnsmasq.conf')}`,
        '--keep-in-foreground',
        '--user=root',
        '--pid-file=',
        `--listen-address=${address}`,
        '--bind-interfaces',
        '--port=53',
        '--log-queries=extra',
        `--log-facility=${log}`,
      ]);
    }
    for (const scripted of options.scripted ?? []) {
      const log = join(this.dir, `${scripted.address}.log`);
      writeFileSync(log, '');
      this.logs.set(scripted.address, log);
      this.spawnInLab([process.execPath, '-e', SCRIPTED_SERVER_SOURCE, scripted.address, log, JSON.stringify(scripted.actions)]);
    }
    await this.waitUntilServing();
  }

  private spawnInLab(argv: string[]): void {
    const child = spawn('ip', ['netns', 'exec', this.netns, ...argv], {
      env: { ...process.env, PATH: TOOL_PATH },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code, signal) => {
      if (!this.closed) console.error(`DNS lab: ${argv[0]} exited (${code ?? signal}): ${stderr.trim()}`);
    });
    this.children.push(child);
  }

  /** Sends markers until every server has logged one: they are bound and logging. */
  private async waitUntilServing(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const tag = `ready-${attempt}`;
      await run(['ip', 'netns', 'exec', this.netns, this.glibcClient, 'mark', `${tag}.${MARK_DOMAIN}`, ...this.loggingServers]);
      await sleep(100);
      const logged = this.loggingServers.every((server) => readFileSync(this.logs.get(server)!, 'utf8').includes(`] ${tag}.${MARK_DOMAIN} from`));
      if (logged) return;
    }
    throw new Error(`DNS lab: servers did not start (logs in ${this.dir})`);
  }

  /** Runs the lookups one after the other with the libc's client; results in the same order. */
  async lookups(libc: Libc, lookups: readonly LabLookup[]): Promise<LabLookupResult[]> {
    const client = libc === 'glibc' ? this.glibcClient : this.muslClient;
    if (!client) throw new Error('DNS lab: no musl client (musl-gcc missing)');
    const tag = `b${this.batches++}`;
    const servers = this.loggingServers;
    const script = [
      'set -e',
      // Absent files need no cover: no /etc/hosts is an empty one, and glibc's built-in
      // default without nsswitch.conf asks DNS first.
      `if [ -e /etc/hosts ]; then mount --bind ${quote(join(this.dir, 'hosts'))} /etc/hosts; fi`,
      `if [ -e /etc/nsswitch.conf ]; then mount --bind ${quote(join(this.dir, 'nsswitch.conf'))} /etc/nsswitch.conf; fi`,
    ];
    lookups.forEach((lookup, i) => {
      const conf = join(this.dir, 'resolv', `${tag}-${i}.conf`);
      writeFileSync(conf, lookup.resolvConf);
      script.push(
        `mount --bind ${quote(conf)} /etc/resolv.conf`,
        `${quote(this.glibcClient)} mark ${tag}-${i}.${MARK_DOMAIN} ${servers.join(' ')}`,
        `printf '@@%s ' ${i}; ${quote(client)} lookup ${quote(lookup.name)} || echo "crashed $?"`,
        'umount /etc/resolv.conf',
      );
    });
    script.push(`${quote(this.glibcClient)} mark ${tag}-end.${MARK_DOMAIN} ${servers.join(' ')}`, '');
    const scriptFile = join(this.dir, `${tag}.sh`);
    writeFileSync(scriptFile, script.join('\n'));
    const { stdout } = await run(['ip', 'netns', 'exec', this.netns, 'unshare', '--mount', '--propagation', 'private', 'sh', scriptFile]);

    const outcomes = new Map<number, ClientOutcome>();
    for (const line of stdout.split('\n')) {
      const match = /^@@(\d+) (ok|error|crashed)(.*)$/.exec(line);
      if (!match) continue;
      const words = match[3]!.trim().split(/\s+/).filter((w) => w !== '');
      outcomes.set(
        Number(match[1]),
        match[2] === 'ok'
          ? { status: 'resolved', addresses: [...new Set(words)].sort() }
          : { status: 'failed', error: match[2] === 'crashed' ? `client crashed (exit ${words[0]})` : (words[0] ?? '?') },
      );
    }
    const slices = await this.logSlices(tag, lookups.length);
    return lookups.map((lookup, i) => {
      const outcome = outcomes.get(i);
      if (!outcome) throw new Error(`DNS lab: no client output for lookup ${i} (${lookup.name}); output:\n${stdout}`);
      return { lookup, outcome, queries: new Map(servers.map((server) => [server, slices.get(server)![i]!])) };
    });
  }

  /** Each server's log split at the batch's markers: one list of queries per lookup. */
  private async logSlices(tag: string, count: number): Promise<Map<string, LoggedQuery[][]>> {
    const endMarker = `${tag}-end.${MARK_DOMAIN}.`;
    const texts = new Map<string, string>();
    for (let waited = 0; ; waited += 20) {
      for (const server of this.loggingServers) texts.set(server, readFileSync(this.logs.get(server)!, 'utf8'));
      const complete = [...texts.values()].every((text) => parseLog(text).some((q) => q.name === endMarker));
      if (complete) break;
      if (waited > 10_000) throw new Error(`DNS lab: the end marker of batch ${tag} never reached every server (logs in ${this.dir})`);
      await sleep(20);
    }
    const slices = new Map<string, LoggedQuery[][]>();
    const markerOf = new RegExp(`^${tag}-(\\d+|end)\\.${MARK_DOMAIN.replace(/\./g, '\\.')}\\.$`);
    for (const [server, text] of texts) {
      const perLookup: LoggedQuery[][] = Array.from({ length: count }, () => []);
      let current: LoggedQuery[] | undefined;
      for (const query of parseLog(text)) {
        const marker = markerOf.exec(query.name);
        if (marker) {
          current = marker[1] === 'end' ? undefined : perLookup[Number(marker[1])];
          continue;
        }
        if (query.name.endsWith(`.${MARK_DOMAIN}.`)) {
          current = undefined; // another batch's marker
          continue;
        }
        current?.push(query);
      }
      slices.set(server, perLookup);
    }
    return slices;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    liveLabs.delete(this);
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await run(['ip', 'netns', 'del', this.netns]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** For the exit hook: synchronous and best effort. */
  destroySync(): void {
    this.closed = true;
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    try {
      execFileSync('ip', ['netns', 'del', this.netns], { stdio: 'ignore', env: { ...process.env, PATH: TOOL_PATH } });
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Queries in a dnsmasq `--log-queries=extra` log (or the scripted server's), in order. */
export function parseLog(text: string): LoggedQuery[] {
  const queries: LoggedQuery[] = [];
  for (const line of text.split('\n')) {
    const match = LOG_LINE.exec(line);
    if (!match) continue;
    const name = match[3]!.toLowerCase();
    queries.push({ name: name.endsWith('.') ? name : `${name}.`, type: match[2]!, port: Number(match[1]) });
  }
  return queries;
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function findTool(tool: string): boolean {
  return TOOL_PATH.split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function run(argv: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, PATH: TOOL_PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

const liveLabs = new Set<DnsLab>();
let exitHookInstalled = false;

function installExitCleanup(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
}

/**
 * Deletes lab namespaces of test processes that no longer exist, after stopping the servers
 * such a run left in them (only processes inside our own `ndd-<dead pid>-` namespaces).
 */
async function sweepStaleNamespaces(): Promise<void> {
  const { stdout } = await run(['ip', 'netns', 'list']);
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = new RegExp(`^${NETNS_PREFIX}(\\d+)-`).exec(name);
    if (!owner || Number(owner[1]) === process.pid || processExists(Number(owner[1]))) continue;
    const pids = await run(['ip', 'netns', 'pids', name]).catch(() => ({ stdout: '' }));
    for (const pid of pids.stdout.split('\n').filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await run(['ip', 'netns', 'del', name]).catch(() => undefined);
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
