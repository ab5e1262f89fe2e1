/**
 * Kernel oracle for the netfilter simulator's differential tests: loads a rule set into a fresh
 * network namespace, sends real packets through it and reports what the kernel did.
 *
 * Topology (names carry the owning pid, so stale namespaces of dead test runs can be swept):
 *
 *   external ns                node ns (rules are loaded here)                 pod ns
 *   eth0 10.0.1.1/24  <-veth->  eth0 10.0.1.11/24        <podInterface> 10.244.1.1/24  <-veth->  eth0 10.244.1.5/24
 *        fd00:10::1/64               fd00:10::11/64                      fd00:244:1::1/64            fd00:244:1::5/64
 *   default via node           default via external; ip_forward=1;       default via node
 *                              rp_filter=0; route_localnet=1; no ICMP
 *                              rate limits; extra local
 *                              IPs on lo (this kernel has no dummy driver)
 *
 * Tracing uses `nft -a monitor trace`, not `xtables-monitor --trace`: xtables-monitor 1.8.9 prints
 * `TRACE: 2 <id> nat:KUBE-SEP-X:rule:0x19:ACCEPT  -4 -t nat -A KUBE-SEP-X ...` where the number is
 * the nft rule handle (not a position) and RETURN shows as `0xfffffffb`, and it exits with
 * "Parsing nftables rule failed" as soon as a traced rule is native nft (our trace-marking chain,
 * Calico/kube-proxy-nftables rule sets). nft prints every event of every table with the handle and
 * a packet dump per base chain; handles are mapped back to chain positions and to the lines of the
 * loaded iptables text (see kernel-rule-index.ts). Rules must be loaded with the nf_tables backend
 * (iptables-nft-restore): legacy x_tables rules are invisible to nft tracing.
 *
 * Rule sets stay untouched: tracing is switched on by a separate `inet netdump_oracle` table whose
 * priority -400 chains set `meta nftrace` for TCP/UDP packets with a source port in
 * TRACED_SOURCE_PORTS (every test packet gets a unique one), and whose priority 1000 chains on
 * every hook record how far the packet got and its headers after all NAT.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { PACKET_AGENT_SOURCE } from './kernel-packet-agent.js';
import { parseTraceLine, type TraceEvent, type TracedPacketFields } from './kernel-trace-events.js';
import {
  IptablesLineLookup,
  chainKey,
  indexNftJsonRuleset,
  ruleKey,
  type NftRulesetIndex,
} from './kernel-rule-index.js';
import { parseConntrackList, type ConntrackEntry } from './kernel-conntrack.js';

/** Addresses of the lab topology; generators should build rule sets around these. */
export const LAB_ADDRESSES = {
  nodeIPv4: '10.0.1.11',
  nodeIPv6: 'fd00:10::11',
  externalIPv4: '10.0.1.1',
  externalIPv6: 'fd00:10::1',
  podIPv4: '10.244.1.5',
  podIPv6: 'fd00:244:1::5',
  podGatewayIPv4: '10.244.1.1',
  podGatewayIPv6: 'fd00:244:1::1',
  /** node subnet (eth0) and pod subnet on this node */
  nodeSubnetIPv4: '10.0.1.0/24',
  podSubnetIPv4: '10.244.1.0/24',
  nodeSubnetIPv6: 'fd00:10::/64',
  podSubnetIPv6: 'fd00:244:1::/64',
} as const;

/** Source ports the harness uses and traces; rule sets under test should not use them as service ports. */
export const TRACED_SOURCE_PORTS = { first: 40000, last: 59999 } as const;

const ORACLE_TABLE = 'netdump_oracle';
const ORACLE_CHAIN_HOOK: Record<string, NetfilterHook> = {
  pre: 'prerouting',
  out: 'output',
  pre_end: 'prerouting',
  in_end: 'input',
  fwd_end: 'forward',
  out_end: 'output',
  post_end: 'postrouting',
};
const ORACLE_RULESET = `table inet ${ORACLE_TABLE} {
  chain pre { type filter hook prerouting priority -400; policy accept; meta l4proto { tcp, udp } th sport ${TRACED_SOURCE_PORTS.first}-${TRACED_SOURCE_PORTS.last} meta nftrace set 1; }
  chain out { type filter hook output priority -400; policy accept; meta l4proto { tcp, udp } th sport ${TRACED_SOURCE_PORTS.first}-${TRACED_SOURCE_PORTS.last} meta nftrace set 1; }
  chain pre_end { type filter hook prerouting priority 1000; policy accept; }
  chain in_end { type filter hook input priority 1000; policy accept; }
  chain fwd_end { type filter hook forward priority 1000; policy accept; }
  chain out_end { type filter hook output priority 1000; policy accept; }
  chain post_end { type filter hook postrouting priority 1000; policy accept; }
}
`;

const MONITOR_SCRIPT = 'nft -a monitor trace & cat >/dev/null; kill $!';

const TOOLS = [
  'ip',
  'nft',
  'iptables-nft-restore',
  'iptables-nft-save',
  'ip6tables-nft-restore',
  'ip6tables-nft-save',
  'ipset',
  'conntrack',
] as const;
const TOOL_PATH = [process.env.PATH ?? '', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].join(delimiter);
const NETNS_PREFIX = 'ndk-';

export type NetfilterHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
export type PacketSource = 'pod' | 'node' | 'external';

export interface KernelPacket {
  from: PacketSource;
  proto: 'tcp' | 'udp';
  dst: string;
  dport: number;
  /** source address; must be assigned in the source namespace (default: chosen by routing) */
  src?: string;
}

export interface KernelRuleset {
  /** iptables-save / iptables-restore text, loaded with iptables-nft-restore */
  iptables?: string;
  ip6tables?: string;
  /** `ipset save` text, loaded with `ipset restore` before the iptables rules */
  ipset?: string;
  /** nft script, loaded with `nft -f -` after the iptables rules */
  nft?: string;
}

export interface KernelTraceStep {
  family: string;
  table: string;
  chain: string;
  /** hook of the base chain the packet was in when this step happened */
  hook: NetfilterHook | null;
  kind: 'rule' | 'policy';
  handle: number | null;
  /** 1-based position of the rule in its chain */
  position: number | null;
  /** continue | accept | drop | jump | goto | return | queue ... (a policy step: accept | drop) */
  verdict: string;
  /** chain of a jump / goto */
  target: string | null;
  /** the rule as nft printed it in the trace (counters removed) */
  nftText: string | null;
  /** the rule as iptables-nft-save prints it (the form xtables-monitor shows); iptables rules only */
  savedText: string | null;
  /** 1-based line of the rule in the loaded iptables / ip6tables text, and that line */
  dumpLine: number | null;
  dumpText: string | null;
}

export interface PacketHeaders {
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

export type PacketFate = 'accepted' | 'dropped' | 'rejected' | 'unknown';

export interface ClientResult {
  /** connected | refused | unreachable | no-answer (TCP); sent (UDP); error */
  result: string;
  code?: string;
}

export interface KernelVerdict {
  /** the packet as sent (an IPv6 dst in compressed form) */
  packet: KernelPacket;
  /** source port the harness used (unique within a batch) */
  sport: number;
  /** source address the kernel saw, null if the packet was never traced */
  src: string | null;
  /** kernel trace ids; a packet looped back through `lo` gets a second one */
  traceIds: string[];
  /** rules that matched (and base-chain policies that applied), in kernel order; harness chains excluded */
  steps: KernelTraceStep[];
  /** hooks the packet passed, in order */
  hooks: NetfilterHook[];
  fate: PacketFate;
  /** where the node finally put the packet: local delivery (input) or out of a device (postrouting) */
  exit: 'local' | 'out' | null;
  /** interface the packet arrived on (null for node-originated packets) */
  inInterface: string | null;
  /** interface the packet left by (exit 'out' only) */
  outInterface: string | null;
  /** headers after every hook ran (after DNAT and SNAT), from the last packet dump */
  final: PacketHeaders | null;
  /** the DNAT destination chosen by the kernel, from conntrack's reply tuple, else from the trace; null if not DNATed */
  dnat: { address: string; port: number } | null;
  conntrack: ConntrackEntry | null;
  client: ClientResult;
}

export interface KernelLabOptions {
  /** node-side name of the veth to the pod namespace, as the rules name it (cni0, docker0, cali..., default cni0) */
  podInterface?: string;
  /** more pod-namespace addresses inside the pod subnet (IPv4 /24 or IPv6 /64 of LAB_ADDRESSES) */
  extraPodAddresses?: string[];
  /** addresses made local to the node (service VIPs, LB IPs), put on lo as /32 or /128 */
  nodeLocalAddresses?: string[];
  /** how long a sender waits for an answer (default 50 ms; must stay below the 1 s SYN retransmission) */
  holdMs?: number;
}

export type KernelAvailability = { ok: true } | { ok: false; reason: string };

let availability: Promise<KernelAvailability> | undefined;

/** Whether this process may build network namespaces and has the netfilter tools; probed once. */
export function kernelAvailable(): Promise<KernelAvailability> {
  availability ??= probeKernel();
  return availability;
}

async function probeKernel(): Promise<KernelAvailability> {
  if (process.platform !== 'linux') return { ok: false, reason: `kernel oracle needs Linux, not ${process.platform}` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `kernel oracle needs root to create network namespaces (uid is ${uid})` };
  const missing = TOOLS.filter((tool) => !findTool(tool));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `kernel oracle needs ${missing.join(', ')} (apt-get install iptables nftables ipset conntrack iproute2)`,
    };
  }
  const probe = `${NETNS_PREFIX}${process.pid}-probe`;
  try {
    await run(['ip', 'netns', 'add', probe]);
    await run(inNetns(probe, ['nft', 'add', 'table', 'inet', ORACLE_TABLE]));
    await run(inNetns(probe, ['iptables-nft-save']));
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `network namespaces or nf_tables unavailable: ${(error as Error).message}` };
  } finally {
    await run(['ip', 'netns', 'del', probe]).catch(() => undefined);
  }
}

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

interface CommandResult {
  stdout: string;
  stderr: string;
}

function run(argv: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, PATH: TOOL_PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`));
    });
    // a loader that rejects its input may exit before reading it all; its exit code tells
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

const inNetns = (netns: string, argv: string[]): string[] => ['ip', 'netns', 'exec', netns, ...argv];

const liveLabs = new Set<KernelLab>();
let exitHookInstalled = false;

function installExitCleanup(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
}

/** Deletes lab namespaces left behind by test processes that no longer exist. */
async function sweepStaleNamespaces(): Promise<void> {
  const { stdout } = await run(['ip', 'netns', 'list']);
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0];
    const owner = new RegExp(`^${NETNS_PREFIX}(\\d+)-`).exec(name);
    if (!owner || Number(owner[1]) === process.pid || processExists(Number(owner[1]))) continue;
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

interface AgentAnswer {
  id: number;
  result: string;
  code?: string;
}

/** A packet-sending agent living in one namespace (see kernel-packet-agent.ts). */
class PacketAgent {
  private readonly waiting = new Map<number, (answer: AgentAnswer) => void>();
  private nextId = 1;
  private stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as AgentAnswer;
      this.waiting.get(answer.id)?.(answer);
      this.waiting.delete(answer.id);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    // a dead agent shows as a missing answer (with its stderr), not as an unhandled EPIPE
    child.stdin!.on('error', () => undefined);
  }

  send(command: { proto: string; src?: string; sport: number; dst: string; dport: number; holdMs: number }, timeoutMs: number): Promise<AgentAnswer> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`packet agent gave no answer within ${timeoutMs} ms ${this.stderr.trim()}`));
      }, timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  /** The agent exits once its stdin closes. */
  stop(): void {
    this.child.stdin!.end();
  }
}

interface TraceRecord {
  traceId: string;
  events: TraceEvent[];
}

const tupleKey = (proto: string, sport: number, dst: string, dport: number): string => `${proto} ${sport} ${dst} ${dport}`;

/**
 * A node / pod / external-host namespace set with a running trace monitor. Load a rule set, then
 * send batches of packets; conntrack and `-m recent` lists are flushed after every batch.
 *
 *   const lab = await KernelLab.create();
 *   try {
 *     await lab.load({ iptables: iptablesSaveText });
 *     const [v] = await lab.sendBatch([{ from: 'pod', proto: 'tcp', dst: '10.96.0.10', dport: 80 }]);
 *     v.steps;   // [{ table: 'nat', chain: 'KUBE-SERVICES', position: 3, verdict: 'jump', dumpLine: 41, ... }, ...]
 *     v.dnat;    // { address: '10.244.2.7', port: 8080 }
 *   } finally {
 *     await lab.close();
 *   }
 */
export class KernelLab {
  private static counter = 0;
  private readonly agents = new Map<PacketSource, PacketAgent>();
  private monitor: ChildProcess | undefined;
  private monitorStderr = '';
  private records = new Map<string, TraceRecord>();
  private sentinelWaiter: ((sport: number) => void) | undefined;
  private index: NftRulesetIndex = { chains: new Map(), rules: new Map() };
  private loadedText = new Map<string, IptablesLineLookup>();
  private savedText = new Map<string, IptablesLineLookup>();
  private nextSport: number = TRACED_SOURCE_PORTS.first;
  private closed = false;

  readonly namespaces: Record<PacketSource, string>;
  readonly podInterface: string;
  private readonly holdMs: number;

  private constructor(options: KernelLabOptions) {
    const id = `${NETNS_PREFIX}${process.pid}-${KernelLab.counter++}`;
    this.namespaces = { node: `${id}-node`, pod: `${id}-pod`, external: `${id}-ext` };
    this.podInterface = options.podInterface ?? 'cni0';
    this.holdMs = options.holdMs ?? 50;
  }

  /** Builds the topology; on any failure everything created so far is removed again. */
  static async create(options: KernelLabOptions = {}): Promise<KernelLab> {
    const available = await kernelAvailable();
    if (!available.ok) throw new Error(available.reason);
    await sweepStaleNamespaces();
    const lab = new KernelLab(options);
    liveLabs.add(lab);
    installExitCleanup();
    try {
      await lab.buildTopology(options);
      for (const source of ['pod', 'node', 'external'] as const) lab.startAgent(source);
      await lab.load({});
      return lab;
    } catch (error) {
      await lab.close();
      throw error;
    }
  }

  private async buildTopology(options: KernelLabOptions): Promise<void> {
    const { node, pod, external } = this.namespaces;
    const A = LAB_ADDRESSES;
    for (const netns of [node, pod, external]) await run(['ip', 'netns', 'add', netns]);
    const commands: string[][] = [
      ['-n', node, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', external],
      ['-n', node, 'link', 'add', this.podInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod],
      ['-n', node, 'addr', 'add', `${A.nodeIPv4}/24`, 'dev', 'eth0'],
      ['-n', node, 'addr', 'add', `${A.nodeIPv6}/64`, 'dev', 'eth0', 'nodad'],
      ['-n', node, 'addr', 'add', `${A.podGatewayIPv4}/24`, 'dev', this.podInterface],
      ['-n', node, 'addr', 'add', `${A.podGatewayIPv6}/64`, 'dev', this.podInterface, 'nodad'],
      ['-n', external, 'addr', 'add', `${A.externalIPv4}/24`, 'dev', 'eth0'],
      ['-n', external, 'addr', 'add', `${A.externalIPv6}/64`, 'dev', 'eth0', 'nodad'],
      ['-n', pod, 'addr', 'add', `${A.podIPv4}/24`, 'dev', 'eth0'],
      ['-n', pod, 'addr', 'add', `${A.podIPv6}/64`, 'dev', 'eth0', 'nodad'],
      ...(options.extraPodAddresses ?? []).map((address) => [
        '-n', pod, 'addr', 'add', address.includes(':') ? `${address}/64` : `${address}/24`, 'dev', 'eth0',
        ...(address.includes(':') ? ['nodad'] : []),
      ]),
      ...(options.nodeLocalAddresses ?? []).map((address) => [
        '-n', node, 'addr', 'add', address.includes(':') ? `${address}/128` : `${address}/32`, 'dev', 'lo',
        ...(address.includes(':') ? ['nodad'] : []),
      ]),
      ...[node, pod, external].map((netns) => ['-n', netns, 'link', 'set', 'lo', 'up']),
      ['-n', node, 'link', 'set', 'eth0', 'up'],
      ['-n', node, 'link', 'set', this.podInterface, 'up'],
      ['-n', external, 'link', 'set', 'eth0', 'up'],
      ['-n', pod, 'link', 'set', 'eth0', 'up'],
      ['-n', node, 'route', 'add', 'default', 'via', A.externalIPv4],
      ['-n', node, '-6', 'route', 'add', 'default', 'via', A.externalIPv6],
      ['-n', external, 'route', 'add', 'default', 'via', A.nodeIPv4],
      ['-n', external, '-6', 'route', 'add', 'default', 'via', A.nodeIPv6],
      ['-n', pod, 'route', 'add', 'default', 'via', A.podGatewayIPv4],
      ['-n', pod, '-6', 'route', 'add', 'default', 'via', A.podGatewayIPv6],
    ];
    for (const command of commands) await run(['ip', ...command]);
    await run(inNetns(node, [
      'sysctl', '-q', '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      'net.ipv4.conf.all.route_localnet=1',
      // external -> node -> external (DNAT to an off-node endpoint) would otherwise send redirects
      'net.ipv4.conf.all.send_redirects=0',
      // REJECT answers are ICMP errors; without this, host-unreachable errors for earlier packets
      // (DNAT to endpoints that do not exist) use up the per-destination budget and hide them
      'net.ipv4.icmp_ratelimit=0',
      'net.ipv4.icmp_msgs_per_sec=100000',
      'net.ipv6.icmp.ratelimit=0',
    ]));
  }

  /**
   * (Re)starts `nft monitor trace`. It resolves rule text from the ruleset it cached at start-up,
   * so it is restarted after every load, and its first trace is awaited before packets are sent.
   */
  private async restartMonitor(): Promise<void> {
    this.stopMonitor();
    this.monitorStderr = '';
    // the shell ends the monitor when its stdin closes, so it also goes away if this process dies
    const monitor = spawn('ip', inNetns(this.namespaces.node, ['sh', '-c', MONITOR_SCRIPT]).slice(1), {
      env: { ...process.env, PATH: TOOL_PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.monitor = monitor;
    monitor.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.monitorStderr += chunk));
    createInterface({ input: monitor.stdout }).on('line', (line) => {
      if (this.monitor === monitor) this.onTraceLine(line);
    });
    await this.waitForMonitor();
  }

  private onTraceLine(line: string): void {
    const event = parseTraceLine(line);
    if (!event) return;
    let record = this.records.get(event.traceId);
    if (!record) {
      record = { traceId: event.traceId, events: [] };
      this.records.set(event.traceId, record);
    }
    record.events.push(event);
    if (event.kind === 'packet' && event.table === ORACLE_TABLE && event.chain === 'out') {
      const p = event.packet;
      if (p.l4proto === 'udp' && p.daddr === '127.0.0.1' && p.dport === 9 && p.sport !== undefined) this.sentinelWaiter?.(p.sport);
    }
  }

  private startAgent(source: PacketSource): void {
    const child = spawn('ip', inNetns(this.namespaces[source], [process.execPath, '-e', PACKET_AGENT_SOURCE]).slice(1), {
      env: { ...process.env, PATH: TOOL_PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.agents.set(source, new PacketAgent(child));
  }

  private allocateSport(): number {
    const sport = this.nextSport;
    this.nextSport = sport === TRACED_SOURCE_PORTS.last ? TRACED_SOURCE_PORTS.first : sport + 1;
    return sport;
  }

  /**
   * Sends a UDP datagram from the node to 127.0.0.1:9 (again every resendEveryMs, if given) and
   * resolves true once the trace of one of them arrives, false after timeoutMs. Netlink delivers
   * trace events in order, so by then every event of packets sent before has been read.
   */
  private sentinel(timeoutMs: number, resendEveryMs?: number): Promise<boolean> {
    const ports = new Set<number>();
    let resend: NodeJS.Timeout | undefined;
    const seen = new Promise<boolean>((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        clearInterval(resend);
        this.sentinelWaiter = undefined;
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.sentinelWaiter = (sport) => {
        if (ports.has(sport)) finish(true);
      };
    });
    const send = (): void => {
      const sport = this.allocateSport();
      ports.add(sport);
      this.agent('node').send({ proto: 'udp', sport, dst: '127.0.0.1', dport: 9, holdMs: 0 }, 5000).catch(() => undefined);
    };
    send();
    if (resendEveryMs !== undefined) resend = setInterval(send, resendEveryMs);
    return seen;
  }

  /** A fresh `nft monitor` subscribes a moment after it starts; sentinels are repeated until one shows. */
  private async waitForMonitor(): Promise<void> {
    if (!(await this.sentinel(5000, 20))) {
      throw new Error(`nft monitor trace reported nothing in the node namespace ${this.monitorStderr.trim()}`);
    }
    this.records.clear();
  }

  private agent(source: PacketSource): PacketAgent {
    const agent = this.agents.get(source);
    if (!agent) throw new Error(`no packet agent in the ${source} namespace`);
    return agent;
  }

  /**
   * Replaces the node's whole rule set (nft flush ruleset, ipset destroy) with the given one,
   * re-adds the trace table and indexes rule handles. Throws with the tool's message if a
   * loader rejects the text; the lab is then left with an empty rule set.
   */
  async load(ruleset: KernelRuleset): Promise<void> {
    try {
      await this.replaceRuleset(ruleset);
    } catch (error) {
      // leave a usable lab behind (empty rule set, tracing on) for the next load
      await this.replaceRuleset({});
      throw error;
    }
  }

  private async replaceRuleset(ruleset: KernelRuleset): Promise<void> {
    const node = this.namespaces.node;
    await run(inNetns(node, ['nft', 'flush', 'ruleset']));
    await this.destroyIpsets();
    if (ruleset.ipset) await run(inNetns(node, ['ipset', 'restore']), ruleset.ipset);
    if (ruleset.iptables) await run(inNetns(node, ['iptables-nft-restore']), ruleset.iptables);
    if (ruleset.ip6tables) await run(inNetns(node, ['ip6tables-nft-restore']), ruleset.ip6tables);
    if (ruleset.nft) await run(inNetns(node, ['nft', '-f', '-']), ruleset.nft);
    await run(inNetns(node, ['nft', '-f', '-']), ORACLE_RULESET);
    this.index = indexNftJsonRuleset((await run(inNetns(node, ['nft', '-j', 'list', 'ruleset']))).stdout);
    this.loadedText = new Map();
    this.savedText = new Map();
    if (ruleset.iptables) {
      this.loadedText.set('ip', new IptablesLineLookup(ruleset.iptables));
      this.savedText.set('ip', new IptablesLineLookup((await run(inNetns(node, ['iptables-nft-save']))).stdout));
    }
    if (ruleset.ip6tables) {
      this.loadedText.set('ip6', new IptablesLineLookup(ruleset.ip6tables));
      this.savedText.set('ip6', new IptablesLineLookup((await run(inNetns(node, ['ip6tables-nft-save']))).stdout));
    }
    await this.restartMonitor();
    await this.resetState();
  }

  /** `ipset destroy` fails while a just-flushed rule still holds a reference; that clears quickly. */
  private async destroyIpsets(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await run(inNetns(this.namespaces.node, ['ipset', 'destroy']));
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Lists conntrack, then empties it and every `-m recent` list, in one process. */
  private async resetState(): Promise<ConntrackEntry[]> {
    const script =
      'conntrack -L -f ipv4 2>/dev/null; conntrack -L -f ipv6 2>/dev/null; conntrack -F >/dev/null 2>&1; ' +
      'for f in /proc/net/xt_recent/* /proc/net/ip6t_recent/*; do [ -e "$f" ] && echo / > "$f"; done; true';
    const { stdout } = await run(inNetns(this.namespaces.node, ['sh', '-c', script]));
    return parseConntrackList(stdout);
  }

  async send(packet: KernelPacket): Promise<KernelVerdict> {
    const [verdict] = await this.sendBatch([packet]);
    return verdict;
  }

  /**
   * Sends the packets concurrently (each with its own source port), waits until the kernel's
   * trace of every one has been read, then reads and flushes conntrack. Packets of one batch
   * share conntrack and `-m recent` state, as concurrent connections on a real node would.
   */
  async sendBatch(packets: KernelPacket[]): Promise<KernelVerdict[]> {
    if (this.closed) throw new Error('kernel lab is closed');
    const span = TRACED_SOURCE_PORTS.last - TRACED_SOURCE_PORTS.first;
    if (packets.length >= span) throw new Error(`at most ${span - 1} packets per batch`);
    this.records = new Map();
    // nft and conntrack print IPv6 addresses compressed; compare in that form
    const sent = packets.map((packet) => ({ packet: { ...packet, dst: canonicalAddress(packet.dst) }, sport: this.allocateSport() }));
    const answers = await Promise.all(
      sent.map(({ packet, sport }) =>
        this.agent(packet.from).send(
          { proto: packet.proto, src: packet.src, sport, dst: packet.dst, dport: packet.dport, holdMs: this.holdMs },
          this.holdMs + 10_000,
        ),
      ),
    );
    if (!(await this.sentinel(5000))) {
      throw new Error(`trace monitor stopped reporting ${this.monitorStderr.trim()}`);
    }
    const conntrack = await this.resetState();
    const recordsByTuple = this.groupRecords();
    return sent.map(({ packet, sport }, i) =>
      this.verdictFor(packet, sport, answers[i], recordsByTuple.get(tupleKey(packet.proto, sport, packet.dst, packet.dport)) ?? [], conntrack),
    );
  }

  /**
   * Groups trace records by the packet they belong to: a record starting in the oracle's first
   * chain is a new packet; a record starting on `lo` continues the packet that left through lo
   * with the same headers (locally delivered output gets a fresh trace id there).
   */
  private groupRecords(): Map<string, TraceRecord[]> {
    const byTuple = new Map<string, TraceRecord[]>();
    const byFinalHeaders = new Map<string, TraceRecord[]>();
    for (const record of this.records.values()) {
      const first = record.events.find((e) => e.kind === 'packet');
      if (!first || first.kind !== 'packet') continue;
      const p = first.packet;
      if (!p.l4proto || p.sport === undefined || !p.daddr || p.dport === undefined) continue;
      const startKey = tupleKey(p.l4proto, p.sport, p.daddr, p.dport);
      const continued = p.iif === 'lo' ? byFinalHeaders.get(startKey) : undefined;
      const group = continued ?? byTuple.get(startKey) ?? [];
      if (!continued && !byTuple.has(startKey)) byTuple.set(startKey, group);
      group.push(record);
      const last = lastPacket(record.events);
      if (last?.l4proto && last.sport !== undefined && last.daddr && last.dport !== undefined) {
        byFinalHeaders.set(tupleKey(last.l4proto, last.sport, last.daddr, last.dport), group);
      }
    }
    return byTuple;
  }

  private verdictFor(
    packet: KernelPacket,
    sport: number,
    answer: AgentAnswer,
    records: TraceRecord[],
    conntrack: ConntrackEntry[],
  ): KernelVerdict {
    const steps: KernelTraceStep[] = [];
    const hooks: NetfilterHook[] = [];
    let hook: NetfilterHook | null = null;
    let exit: 'local' | 'out' | null = null;
    let src: string | null = null;
    let inInterface: string | null | undefined;
    let lastSeen: TracedPacketFields | undefined;
    let final: PacketHeaders | null = null;
    let fate: PacketFate = 'unknown';
    for (const record of records) {
      for (const event of record.events) {
        if (event.kind === 'packet') {
          hook = event.table === ORACLE_TABLE
            ? ORACLE_CHAIN_HOOK[event.chain] ?? null
            : (this.index.chains.get(chainKey(event.family, event.table, event.chain))?.hook as NetfilterHook | undefined) ?? null;
          if (hook && hooks[hooks.length - 1] !== hook) hooks.push(hook);
          src ??= event.packet.saddr ?? null;
          inInterface ??= event.packet.iif ?? null;
          lastSeen = event.packet;
          const headers = toHeaders(event.packet);
          if (headers) final = headers;
          continue;
        }
        if (event.table === ORACLE_TABLE) {
          if (event.kind === 'policy' && event.chain === 'in_end') exit = 'local';
          if (event.kind === 'policy' && event.chain === 'post_end') exit = 'out';
          continue;
        }
        const step = this.toStep(event, hook);
        steps.push(step);
        if (step.verdict === 'drop' && fate === 'unknown') fate = isReject(step) ? 'rejected' : 'dropped';
      }
    }
    if (fate === 'unknown' && exit !== null) fate = 'accepted';
    const entry = conntrack.find(
      (c) => c.proto === packet.proto && c.original.sport === sport && c.original.dst === packet.dst && c.original.dport === packet.dport,
    ) ?? null;
    const dnatSource = entry ? { address: entry.reply.src, port: entry.reply.sport } : final ? { address: final.dst, port: final.dport } : null;
    const dnat = dnatSource && (dnatSource.address !== packet.dst || dnatSource.port !== packet.dport) ? dnatSource : null;
    return {
      packet,
      sport,
      src,
      traceIds: records.map((r) => r.traceId),
      steps,
      hooks,
      fate,
      exit,
      inInterface: inInterface ?? null,
      outInterface: exit === 'out' ? lastSeen?.oif ?? null : null,
      final,
      dnat,
      conntrack: entry,
      client: answer.code === undefined ? { result: answer.result } : { result: answer.result, code: answer.code },
    };
  }

  private toStep(event: Exclude<TraceEvent, { kind: 'packet' }>, hook: NetfilterHook | null): KernelTraceStep {
    const base = { family: event.family, table: event.table, chain: event.chain, hook };
    if (event.kind === 'policy') {
      return {
        ...base, kind: 'policy', handle: null, position: null, verdict: event.policy, target: null,
        nftText: null, savedText: null, dumpLine: null, dumpText: null,
      };
    }
    const rule = event.handle === null ? undefined : this.index.rules.get(ruleKey(event.family, event.table, event.handle));
    const position = rule?.position ?? null;
    // positions map to `-A` lines only if the text has exactly as many rules for the chain as the
    // kernel (an nft script adding to an iptables table, or -I lines, would shift them)
    const ruleCount = this.index.chains.get(chainKey(event.family, event.table, event.chain))?.ruleCount;
    const lineOf = (lookup: IptablesLineLookup | undefined) =>
      lookup && position !== null && lookup.chainLength(event.table, event.chain) === ruleCount
        ? lookup.at(event.table, event.chain, position)
        : undefined;
    const loadedLine = lineOf(this.loadedText.get(event.family));
    const savedLine = lineOf(this.savedText.get(event.family));
    return {
      ...base,
      kind: 'rule',
      handle: event.handle,
      position,
      verdict: event.verdict,
      target: event.target,
      nftText: event.text,
      savedText: savedLine?.text ?? null,
      dumpLine: loadedLine?.line ?? null,
      dumpText: loadedLine?.text ?? null,
    };
  }

  /** Stops the monitor and agents and deletes the namespaces. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopProcesses();
    for (const netns of Object.values(this.namespaces)) {
      await run(['ip', 'netns', 'del', netns]).catch(() => undefined);
    }
    liveLabs.delete(this);
  }

  /** Synchronous cleanup for process exit, when promises no longer run. */
  destroySync(): void {
    this.closed = true;
    this.stopProcesses();
    for (const netns of Object.values(this.namespaces)) {
      try {
        execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore', env: { ...process.env, PATH: TOOL_PATH } });
      } catch {
        // the namespace was never created or is already gone
      }
    }
    liveLabs.delete(this);
  }

  /** Closing their stdin ends the monitor wrapper and the agents (see MONITOR_SCRIPT, PACKET_AGENT_SOURCE). */
  private stopProcesses(): void {
    this.stopMonitor();
    for (const agent of this.agents.values()) agent.stop();
    this.agents.clear();
  }

  private stopMonitor(): void {
    this.monitor?.stdin?.end();
    this.monitor = undefined;
  }
}

function canonicalAddress(address: string): string {
  return address.includes(':') ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

function lastPacket(events: TraceEvent[]): TracedPacketFields | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (event.kind === 'packet') return event.packet;
  }
  return undefined;
}

function toHeaders(p: TracedPacketFields): PacketHeaders | null {
  if (!p.saddr || !p.daddr || p.sport === undefined || p.dport === undefined) return null;
  return { src: p.saddr, sport: p.sport, dst: p.daddr, dport: p.dport };
}

function isReject(step: KernelTraceStep): boolean {
  return /(^|\s)reject(\s|$)/.test(step.nftText ?? '') || /-j REJECT\b/.test(step.savedText ?? '');
}
