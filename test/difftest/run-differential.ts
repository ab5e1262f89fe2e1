/**
 * The netfilter differential run shared by the vitest test (test/difftest/) and the soak mode
 * (bench/difftest.ts): generate rule sets from a seed, load each into the kernel lab, send
 * packets, and compare every packet's kernel trace with netdump's simulator.
 *
 * Per rule set it also checks what a disagreement could otherwise hide:
 *   - load: the kernel accepts the text (else the generator is wrong);
 *   - round-trip: `iptables-nft-save` prints it back byte-identical (the generator writes real
 *     iptables-save output, so the parser's line numbers are the ones a node's dump has);
 *   - parse: netdump's parsers read it without errors;
 *   - kernel-no-trace: the kernel traced every packet (else the packet never reached the node).
 */
import { execFileSync } from 'node:child_process';
import type { ParseIssue } from '../../analyzer/bundle/parse-issue.js';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseIpsetSave } from '../../analyzer/netfilter/parse-ipset-save.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import { parseNftRuleset } from '../../analyzer/netfilter/parse-nft-ruleset.js';
import { compileNftables, type NftablesSimulator } from '../../analyzer/netfilter/simulate/compile-nftables.js';
import type { IpsetDump } from '../../analyzer/netfilter/ipset-types.js';
import { compileIptables, type IptablesSimulator } from '../../analyzer/netfilter/simulate/compile-iptables.js';
import { nodeNetContext } from '../../analyzer/netfilter/simulate/node-context.js';
import type { NodeNetContext, PacketOrigin, SimPacket, TraceResult } from '../../analyzer/netfilter/simulate/trace-types.js';
import { KernelLab, type KernelVerdict, type PacketSource } from '../helpers/kernel-netfilter.js';
import {
  LAB_PLAN,
  RULESET_FLAVORS,
  Rng,
  generatePackets,
  generateRuleset,
  labOptionsFor,
  type GeneratedPacket,
  type GeneratedRuleset,
  type PacketTarget,
  type RulesetFlavor,
} from '../helpers/random-rulesets.js';
import { compareRun, formatStepLists, type Comparison, type InterfaceAddresses } from './compare-trace.js';
import { nftChainKey, nftRuleLines } from './nft-rule-lines.js';

export const DEFAULT_SEED = 20240305;
export const DEFAULT_PACKETS_PER_RULESET = 20;

export type DisagreementKind = 'path' | 'simulator-error' | 'kernel-no-trace' | 'round-trip' | 'parse' | 'load';

export interface Disagreement {
  kind: DisagreementKind;
  /** `kube-proxy rule set seed 123 (...)` or the fixture path */
  ruleset: string;
  /** the whole report: packet, kernel path, simulator outcomes, rule set excerpt, how to replay */
  report: string;
}

/** A real-format dump (fixtures/scenarios/<scenario>/nodes/<node>/iptables-save.txt). */
export interface FixtureDump {
  path: string;
  iptables: string;
  ipset?: string;
}

export interface DifferentialOptions {
  seed: number;
  /** randomized (rule set, packet) cases (with `rulesets`: packetsPerRuleset each) */
  cases: number;
  packetsPerRuleset?: number;
  /** real-format dumps, each probed with packetsPerRuleset packets on top of the random cases */
  fixtures?: FixtureDump[];
  /** rule set flavors to draw, in turn (default: all) */
  flavors?: readonly RulesetFlavor[];
  /** run these rule sets (as a report's replay line names them) instead of drawing from the seed */
  rulesets?: ReadonlyArray<{ seed: number; flavor: RulesetFlavor }>;
  /** progress lines */
  log?: (line: string) => void;
}

export interface DifferentialStats {
  rulesets: number;
  /** packets compared, random and fixture */
  cases: number;
  fixtureCases: number;
  byFlavor: Record<string, number>;
  /** kernel-side coverage: how many packets the kernel accepted/dropped/rejected, DNATed, ... */
  kernel: Record<string, number>;
  /** packets whose matching simulator outcome rests on a guess (a rule it could not evaluate) */
  matchedUncertain: number;
  /** reasons the simulator gave for what it could not evaluate, with counts */
  unsupported: Map<string, number>;
  /** parser warnings on the loaded texts, by message, with counts */
  parserWarnings: Map<string, number>;
}

export interface DifferentialReport {
  seed: number;
  stats: DifferentialStats;
  disagreements: Disagreement[];
  durationMs: number;
}

const ORIGIN: Record<PacketSource, PacketOrigin> = { pod: 'pod', node: 'host', external: 'external' };

/**
 * The lab's node as the simulator needs it (the same addresses and routes the lab builds), and
 * the address MASQUERADE picks on each interface, per family.
 */
export function labNodeContext(podInterface: string): { node: NodeNetContext; addresses: { 4: InterfaceAddresses; 6: InterfaceAddresses } } {
  const P = LAB_PLAN;
  const node = nodeNetContext({
    localAddresses: [P.nodeIPv4, P.podGatewayIPv4, P.nodeLocalDnsIPv4, P.nodeIPv6, P.podGatewayIPv6],
    podCidrs: [P.podSubnetIPv4, P.podSubnetIPv6],
    routes: [
      { cidr: P.nodeSubnetIPv4, interface: 'eth0' },
      { cidr: P.nodeSubnetIPv6, interface: 'eth0' },
    ],
    podInterface,
    externalInterface: 'eth0',
    interfaceAddresses: {
      eth0: [P.nodeIPv4, P.nodeIPv6],
      [podInterface]: [P.podGatewayIPv4, P.podGatewayIPv6],
      lo: ['127.0.0.1', '::1', P.nodeLocalDnsIPv4],
    },
  });
  return {
    node,
    addresses: {
      4: { eth0: P.nodeIPv4, [podInterface]: P.podGatewayIPv4, lo: '127.0.0.1' },
      6: { eth0: P.nodeIPv6, [podInterface]: P.podGatewayIPv6, lo: '::1' },
    },
  };
}

/** Rule sets to run: seeds drawn from the master seed, flavors in turn. */
export function plannedRulesets(seed: number, count: number, flavors: readonly RulesetFlavor[] = RULESET_FLAVORS): Array<{ seed: number; flavor: RulesetFlavor }> {
  const master = new Rng(seed);
  return Array.from({ length: count }, (_, i) => ({ seed: Math.floor(master.next() * 0x100000000), flavor: flavors[i % flavors.length] }));
}

/** The packets of a rule set come from their own generator, so one rule set can be replayed alone. */
export const packetRng = (rulesetSeed: number): Rng => new Rng((rulesetSeed ^ 0x5bd1e995) >>> 0);

interface PreparedRuleset {
  label: string;
  replay: string;
  flavor: RulesetFlavor;
  podInterface: string;
  iptables: string;
  ip6tables?: string;
  ipset?: string;
  nft?: string;
  nftTables?: string[];
  nftAffinitySets?: string[];
  packets: GeneratedPacket[];
  affinity: boolean;
}

export async function runDifferential(options: DifferentialOptions): Promise<DifferentialReport> {
  const started = Date.now();
  const perRuleset = options.packetsPerRuleset ?? DEFAULT_PACKETS_PER_RULESET;
  const log = options.log ?? (() => undefined);
  const stats: DifferentialStats = {
    rulesets: 0,
    cases: 0,
    fixtureCases: 0,
    byFlavor: {},
    kernel: {},
    matchedUncertain: 0,
    unsupported: new Map(),
    parserWarnings: new Map(),
  };
  const disagreements: Disagreement[] = [];
  const labs = new Map<string, KernelLab>();
  const labFor = async (flavor: RulesetFlavor): Promise<KernelLab> => {
    const key = labOptionsFor(flavor).podInterface!;
    let lab = labs.get(key);
    if (!lab) {
      lab = await KernelLab.create(labOptionsFor(flavor));
      labs.set(key, lab);
    }
    return lab;
  };

  const prepared: PreparedRuleset[] = [];
  const planned = options.rulesets ?? plannedRulesets(options.seed, Math.ceil(options.cases / perRuleset), options.flavors);
  planned.forEach(({ seed, flavor }, i) => {
    const ruleset = generateRuleset(seed, flavor);
    const count = options.rulesets ? perRuleset : Math.min(perRuleset, options.cases - i * perRuleset);
    prepared.push({
      label: `${flavor} rule set seed ${seed} (${ruleset.components.join(' + ')})`,
      replay: `difftest --replay ${flavor}:${seed} --per-ruleset ${count}`,
      flavor,
      podInterface: ruleset.podInterface,
      iptables: ruleset.iptables,
      ...(ruleset.ip6tables === undefined ? {} : { ip6tables: ruleset.ip6tables }),
      ...(ruleset.ipset === undefined ? {} : { ipset: ruleset.ipset }),
      ...(ruleset.nft === undefined ? {} : { nft: ruleset.nft, nftTables: ruleset.nftTables, nftAffinitySets: ruleset.nftAffinitySets }),
      packets: generatePackets(packetRng(seed), ruleset, count),
      affinity: ruleset.affinity,
    });
  });
  for (const fixture of options.fixtures ?? []) {
    const flavor: RulesetFlavor = /^-A cali-/m.test(fixture.iptables) ? 'calico' : 'kube-proxy';
    const ruleset: GeneratedRuleset = {
      seed: 0,
      flavor,
      components: [fixture.path],
      podInterface: labOptionsFor(flavor).podInterface!,
      iptables: fixture.iptables,
      targets: fixtureTargets(fixture.iptables),
      affinity: /-m recent /.test(fixture.iptables),
    };
    const seed = hashText(fixture.path) ^ options.seed;
    prepared.push({
      label: fixture.path,
      replay: `difftest --fixtures --seed ${options.seed} --cases 0 (fixture ${fixture.path})`,
      flavor,
      podInterface: ruleset.podInterface,
      iptables: fixture.iptables,
      ...(fixture.ipset === undefined ? {} : { ipset: fixture.ipset }),
      packets: generatePackets(new Rng(seed >>> 0), ruleset, perRuleset),
      affinity: ruleset.affinity,
    });
  }

  try {
    for (const [i, rs] of prepared.entries()) {
      const lab = await labFor(rs.flavor);
      const before = disagreements.length;
      await runRuleset(rs, lab, stats, disagreements);
      const isFixture = i >= planned.length;
      if (isFixture) stats.fixtureCases += rs.packets.length;
      stats.rulesets++;
      stats.byFlavor[rs.flavor] = (stats.byFlavor[rs.flavor] ?? 0) + rs.packets.length;
      log(
        `[${i + 1}/${prepared.length}] ${rs.label}: ${rs.packets.length} packets, ${disagreements.length - before} disagreements` +
          ` (${stats.cases} cases, ${disagreements.length} disagreements so far)`,
      );
    }
  } finally {
    for (const lab of labs.values()) await lab.close();
  }
  return { seed: options.seed, stats, disagreements, durationMs: Date.now() - started };
}

async function runRuleset(rs: PreparedRuleset, lab: KernelLab, stats: DifferentialStats, disagreements: Disagreement[]): Promise<void> {
  const report = (kind: DisagreementKind, text: string) => disagreements.push({ kind, ruleset: rs.label, report: `### ${kind}: ${rs.label}\n${text}\nreplay: ${rs.replay}\n` });

  const parseReport = (what: string, issues: ParseIssue[]) => {
    for (const issue of issues) {
      if (issue.severity === 'warning') count(stats.parserWarnings, issue.message);
      else report('parse', `${what}: line ${issue.line}: ${issue.code} ${issue.message}\n  ${issue.text ?? ''}`);
    }
  };
  let ipsets: IpsetDump | undefined;
  if (rs.ipset) {
    const parsedSets = parseIpsetSave(new SourceFile('ipset-save.txt', rs.ipset));
    ipsets = parsedSets.value;
    parseReport('parseIpsetSave', parsedSets.issues);
  }
  const dumps = { 4: rs.iptables, 6: rs.ip6tables };
  const simulators: { 4?: IptablesSimulator; 6?: IptablesSimulator } = {};
  for (const family of [4, 6] as const) {
    const text = dumps[family];
    if (text === undefined || text === '') continue;
    const file = family === 4 ? 'iptables-save.txt' : 'ip6tables-save.txt';
    const parsed = parseIptablesSave(new SourceFile(file, text));
    parseReport(`parseIptablesSave ${file}`, parsed.issues);
    if (parsed.value.family !== family) report('parse', `parseIptablesSave read ${file} as an IPv${parsed.value.family} dump`);
    try {
      simulators[family] = compileIptables(parsed.value, ipsets ? { ipsets, file } : { file });
    } catch (error) {
      report('simulator-error', `compileIptables threw on ${file}: ${(error as Error).stack ?? error}`);
    }
  }

  try {
    await lab.load({
      ...(rs.iptables === '' ? {} : { iptables: rs.iptables }),
      ...(rs.ip6tables === undefined ? {} : { ip6tables: rs.ip6tables }),
      ...(rs.ipset === undefined ? {} : { ipset: rs.ipset }),
      ...(rs.nft === undefined ? {} : { nft: rs.nft }),
    });
  } catch (error) {
    report('load', `the kernel refused the rule set: ${(error as Error).message}`);
    return;
  }
  for (const [family, tool] of [[4, 'iptables-nft-save'], [6, 'ip6tables-nft-save']] as const) {
    const text = dumps[family];
    if (text === undefined || text === '') continue;
    const saved = execFileSync('ip', ['netns', 'exec', lab.namespaces.node, tool], { encoding: 'utf8' });
    const roundTrip = firstTextDifference(normalizeSave(text), normalizeSave(saved));
    if (roundTrip) report('round-trip', `${tool}: ${roundTrip}`);
  }

  // an nftables rule set is simulated from its listing, as a node's nft-ruleset.txt shows it
  let nft: { simulator?: NftablesSimulator; lines: string[]; ruleLines: Map<string, number[]> } | undefined;
  if (rs.nft !== undefined) {
    const listing = (rs.nftTables ?? [])
      .map((table) => execFileSync('ip', ['netns', 'exec', lab.namespaces.node, 'nft', 'list', 'table', ...table.split(' ')], { encoding: 'utf8' }))
      .join('');
    const parsed = parseNftRuleset(new SourceFile('nft-ruleset.txt', listing));
    parseReport('parseNftRuleset nft-ruleset.txt', parsed.issues);
    nft = { lines: listing.split('\n'), ruleLines: nftRuleLines(listing) };
    try {
      nft.simulator = compileNftables(parsed.value, { file: 'nft-ruleset.txt' });
    } catch (error) {
      report('simulator-error', `compileNftables threw: ${(error as Error).stack ?? error}`);
    }
  }

  const { node, addresses } = labNodeContext(rs.podInterface);
  const dumpLines = { 4: rs.iptables.split('\n'), 6: (rs.ip6tables ?? '').split('\n') };
  for (const round of sendingRounds(rs.packets, rs.affinity)) {
    const verdicts = await lab.sendBatch(round);
    if (rs.nftAffinitySets && rs.nftAffinitySets.length > 0) {
      // the lab empties conntrack and -m recent lists; dynamic nft sets are emptied here
      const flush = rs.nftAffinitySets.map((set) => `flush set ${set}`).join('\n');
      execFileSync('ip', ['netns', 'exec', lab.namespaces.node, 'nft', '-f', '-'], { input: `${flush}\n` });
    }
    verdicts.forEach((kernelVerdict, i) => {
      const verdict = nft ? withNftLines(kernelVerdict, nft.ruleLines) : kernelVerdict;
      const packet = round[i];
      stats.cases++;
      countKernelCoverage(stats, verdict);
      const src = packet.src ?? verdict.src;
      if (verdict.traceIds.length === 0 || src === null) {
        report('kernel-no-trace', `the kernel never traced ${describePacket(packet, verdict)}; the packet did not reach the node`);
        return;
      }
      const family = packet.dst.includes(':') ? 6 : 4;
      const simulator = nft ? nft.simulator : simulators[family];
      if (!simulator) return;
      const simPacket: SimPacket = {
        from: ORIGIN[packet.from],
        src,
        dst: packet.dst,
        proto: packet.proto,
        sport: verdict.sport,
        dport: packet.dport,
        affinity: 'none',
        // the lab's packets are sent by root
        ...(packet.from === 'node' ? { uid: 0, gid: 0 } : {}),
      };
      let result: TraceResult;
      try {
        result = simulator.trace(node, simPacket);
      } catch (error) {
        report('simulator-error', `trace threw for ${describePacket(packet, verdict)}: ${(error as Error).stack ?? error}`);
        return;
      }
      for (const item of result.unsupported) count(stats.unsupported, item.reason);
      const comparison = compareRun(verdict, result, { src, dport: packet.dport }, addresses[family]);
      if (!comparison.agree) {
        report('path', formatPathDisagreement(packet, verdict, comparison, nft ? nft.lines : dumpLines[family]));
        return;
      }
      if (comparison.outcomes.find((o) => o.differences.length === 0)?.outcome.uncertain) stats.matchedUncertain++;
    });
  }
}

/** The kernel's nft rule steps with the line of the rule in the listing the simulator read. */
function withNftLines(verdict: KernelVerdict, ruleLines: Map<string, number[]>): KernelVerdict {
  return {
    ...verdict,
    steps: verdict.steps.map((step) => {
      if (step.kind !== 'rule' || step.position === null || step.dumpLine !== null) return step;
      const line = ruleLines.get(nftChainKey(step.family, step.table, step.chain))?.[step.position - 1];
      return line === undefined ? step : { ...step, dumpLine: line };
    }),
  };
}

/**
 * Packets of one batch share `-m recent` lists: with ClientIP affinity, a packet from a source
 * that already sent one in the batch may hit the first one's entry. Such rule sets are sent in
 * rounds with one packet per source address each, so every packet meets empty lists
 * (the simulator's `affinity: 'none'`); the lab empties the lists after every batch.
 */
export function sendingRounds(packets: GeneratedPacket[], affinity: boolean): GeneratedPacket[][] {
  if (!affinity) return [packets];
  const sourceOf = (p: GeneratedPacket) => (p.from === 'pod' ? `pod ${p.src}` : p.from);
  const rounds: GeneratedPacket[][] = [];
  for (const packet of packets) {
    let round = rounds.find((r) => !r.some((q) => sourceOf(q) === sourceOf(packet)));
    if (!round) {
      round = [];
      rounds.push(round);
    }
    round.push(packet);
  }
  return rounds;
}

function countKernelCoverage(stats: DifferentialStats, verdict: KernelVerdict): void {
  const bump = (key: string) => (stats.kernel[key] = (stats.kernel[key] ?? 0) + 1);
  bump(`fate ${verdict.fate}`);
  if (verdict.fate === 'accepted') bump(`exit ${verdict.exit}`);
  if (verdict.dnat) bump('dnat');
  if (verdict.exit === 'out' && verdict.final && verdict.src && verdict.final.src !== verdict.src) bump('snat');
  const texts = verdict.steps.map((s) => s.dumpText ?? '');
  if (texts.some((t) => t.includes('-m statistic'))) bump('statistic rule matched');
  if (texts.some((t) => t.includes('--match-set'))) bump('ipset rule matched');
  if (texts.some((t) => t.includes('-m recent'))) bump('recent rule matched');
  if (verdict.steps.some((s) => s.verdict === 'goto')) bump('goto');
  if (verdict.steps.some((s) => s.verdict === 'return')) bump('return');
  if (verdict.steps.some((s) => s.kind === 'policy' && s.verdict === 'drop')) bump('policy drop');
  if (verdict.traceIds.length > 1) bump('looped back over lo');
  if (verdict.packet.dst.includes(':')) bump('IPv6');
  if (texts.some((t) => t.includes('--notrack'))) bump('untracked');
  if (texts.some((t) => t.includes('-m owner'))) bump('owner rule matched');
  const nftTexts = verdict.steps.filter((s) => s.kind === 'rule' && s.savedText === null).map((s) => s.nftText ?? '');
  if (nftTexts.length > 0) bump('nftables rule matched');
  if (nftTexts.some((t) => t.includes('numgen'))) bump('numgen rule matched');
  if (nftTexts.some((t) => t.includes('@affinity-'))) bump('nftables affinity rule matched');
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function describePacket(packet: GeneratedPacket, verdict: KernelVerdict): string {
  const src = packet.src ?? verdict.src ?? '(routing)';
  return `${packet.from} ${src}:${verdict.sport} -> ${packet.dst}:${packet.dport}/${packet.proto} (${packet.what})`;
}

function formatPathDisagreement(packet: GeneratedPacket, verdict: KernelVerdict, comparison: Comparison, dumpLines: string[]): string {
  const k = comparison.kernel;
  const lines = [
    `packet: ${describePacket(packet, verdict)}`,
    `kernel: fate ${k.fate}, exit ${k.exit}, dnat ${k.dnat}, source ${k.source}`,
    ...k.steps.map((s) => `    ${s}`),
    `simulator: ${comparison.outcomes.length} outcome${comparison.outcomes.length === 1 ? '' : 's'}`,
  ];
  const shown = [...comparison.outcomes].sort((a, b) => a.differences.length - b.differences.length).slice(0, 4);
  for (const o of shown) {
    const r = o.run;
    lines.push(
      `  p=${o.outcome.probability.toFixed(4)}${o.outcome.uncertain ? ' (uncertain)' : ''}: fate ${r.fate}, exit ${r.exit}, dnat ${r.dnat}, source ${r.source}` +
        `${o.outcome.reason ? `, reason: ${o.outcome.reason}` : ''} -- ${o.differences.join('; ')}`,
      ...formatStepLists(k.steps, r.steps, '    '),
    );
  }
  if (comparison.outcomes.length > shown.length) lines.push(`  (${comparison.outcomes.length - shown.length} more outcomes)`);
  const referenced = new Set<number>();
  for (const step of verdict.steps) if (step.dumpLine !== null) referenced.add(step.dumpLine);
  for (const o of shown) for (const step of o.outcome.steps) referenced.add(step.line);
  lines.push('rule set lines on these paths:');
  for (const line of [...referenced].sort((a, b) => a - b).slice(0, 60)) lines.push(`  L${line}: ${dumpLines[line - 1] ?? '(no such line)'}`);
  return lines.join('\n');
}

/** `iptables-nft-save` text without comment lines and with zeroed chain counters. */
export function normalizeSave(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1 [0:0]'))
    .join('\n');
}

function firstTextDifference(expected: string, actual: string): string | undefined {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1} (comments skipped) differs:\n  generated: ${a[i] ?? '(end)'}\n  iptables-nft-save: ${b[i] ?? '(end)'}`;
  }
  return undefined;
}

/** Service addresses and ports a real kube-proxy dump handles, for aiming packets at it. */
export function fixtureTargets(text: string): PacketTarget[] {
  const targets: PacketTarget[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const rule = /^-A (KUBE-SERVICES|KUBE-NODEPORTS|KUBE-EXTERNAL-SERVICES) (.*)$/.exec(line);
    if (!rule) continue;
    const proto = /-p (tcp|udp)\b/.exec(rule[2])?.[1] as 'tcp' | 'udp' | undefined;
    const dport = /--dport (\d+)\b/.exec(rule[2])?.[1];
    if (!proto || !dport) continue;
    const dst = /(?:^|\s)-d (\d+\.\d+\.\d+\.\d+)\/32\b/.exec(rule[2])?.[1] ?? 'node';
    const key = `${proto} ${dst} ${dport}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const what = /--comment (?:"([^"]*)"|(\S+))/.exec(rule[2]);
    targets.push({ proto, dst, dport: Number(dport), what: `${rule[1]} ${what?.[1] ?? what?.[2] ?? ''}`.trim() });
  }
  return targets;
}

function hashText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
