/**
 * `npm run difftest`: the netfilter differential test in soak mode. Generates rule sets from a
 * seed, runs them through the kernel (see test/difftest/run-differential.ts) and prints every
 * disagreement with what replays it, then `N cases, M disagreements`.
 *
 *   node dist/bench/difftest.js [--cases 20000] [--seed N] [--per-ruleset 20] [--flavors kube-proxy,calico]
 *                               [--fixtures] [--report file.md]
 *   node dist/bench/difftest.js --replay kube-proxy-nft:2086466836 [--per-ruleset 20]   (one rule set of a report)
 *
 * Needs root and the netfilter tools (the same as the vitest test); exits 2 when they are
 * missing, 1 on any disagreement.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kernelAvailable } from '../test/helpers/kernel-netfilter.js';
import { findFixtureDumps } from '../test/difftest/fixture-dumps.js';
import { DEFAULT_PACKETS_PER_RULESET, runDifferential } from '../test/difftest/run-differential.js';
import { RULESET_FLAVORS, type RulesetFlavor } from '../test/helpers/random-rulesets.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '20000' },
    seed: { type: 'string' },
    'per-ruleset': { type: 'string', default: String(DEFAULT_PACKETS_PER_RULESET) },
    fixtures: { type: 'boolean', default: false },
    report: { type: 'string' },
    flavors: { type: 'string' },
    replay: { type: 'string' },
  },
});

const isFlavor = (text: string): text is RulesetFlavor => (RULESET_FLAVORS as readonly string[]).includes(text);
const usage = (problem: string): never => {
  console.error(`difftest: ${problem}`);
  console.error('usage: difftest [--cases N] [--seed N] [--per-ruleset N] [--flavors a,b] [--fixtures] [--report file.md] [--replay flavor:seed,...]');
  console.error(`flavors: ${RULESET_FLAVORS.join(', ')}`);
  process.exit(2);
};
const flavors = values.flavors?.split(',').map((f) => (isFlavor(f) ? f : usage(`unknown flavor ${f}`)));
const replay = values.replay?.split(',').map((item) => {
  const [flavor, seedText] = item.split(':');
  if (!isFlavor(flavor) || !/^\d+$/.test(seedText ?? '')) return usage(`--replay wants flavor:seed, not ${item}`);
  return { flavor, seed: Number(seedText) };
});

const cases = Number(values.cases);
const seed = values.seed === undefined ? Math.floor(Math.random() * 0x100000000) : Number(values.seed);
const perRuleset = Number(values['per-ruleset']);
if (!Number.isInteger(cases) || cases < 0 || !Number.isInteger(seed) || !Number.isInteger(perRuleset) || perRuleset < 1) {
  usage('--cases, --seed and --per-ruleset take whole numbers');
}

const available = await kernelAvailable();
if (!available.ok) {
  console.error(`difftest cannot run: ${available.reason}`);
  process.exit(2);
}

// the project root: two levels above dist/bench/difftest.js, one above bench/difftest.ts (run by a TS loader)
const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
const fixtures = values.fixtures ? findFixtureDumps(root) : [];
console.log(
  replay
    ? `difftest: replaying ${replay.map((r) => `${r.flavor}:${r.seed}`).join(', ')}, ${perRuleset} packets each`
    : `difftest: seed ${seed}, ${cases} cases, ${perRuleset} packets per rule set${fixtures.length ? `, ${fixtures.length} fixture dumps` : ''}`,
);
const report = await runDifferential({
  seed,
  cases: replay ? replay.length * perRuleset : cases,
  packetsPerRuleset: perRuleset,
  fixtures,
  ...(flavors ? { flavors } : {}),
  ...(replay ? { rulesets: replay } : {}),
  log: (line) => console.log(line),
});
for (const d of report.disagreements) console.log(`\n${d.report}`);
if (values.report) writeFileSync(values.report, report.disagreements.map((d) => d.report).join('\n'));
const s = report.stats;
console.log(`\nkernel coverage: ${JSON.stringify(s.kernel)}`);
if (s.unsupported.size > 0) console.log(`simulator could not evaluate: ${JSON.stringify([...s.unsupported])}`);
console.log(`${s.cases} cases, ${report.disagreements.length} disagreements (seed ${seed}, ${s.rulesets} rule sets, ${(report.durationMs / 1000).toFixed(1)} s)`);
process.exit(report.disagreements.length === 0 ? 0 : 1);
