/**
 * Differential test of lookupRoute against the kernel's FIB: random network namespaces (veth,
 * bridge, vxlan and dummy devices, primary/secondary/deprecated addresses, extra tables, policy
 * rules, blackhole/unreachable/prohibit/throw routes, multipath routes, metrics, rp_filter and
 * forwarding settings) are built, captured as a bundle would capture them, parsed with netdump's
 * parsers, and every query is answered both by `lookupRoute` and by `ip route get`.
 *
 * Seeds are fixed (so CI runs are reproducible) and printed; NETDUMP_FIB_SEED=<n> or <n>-<m> runs others.
 * Needs root and `ip netns`; skipped with the reason otherwise.
 */
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { formatIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { parseSysctl } from '../../analyzer/node/parse-sysctl.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import { parseIpRule } from '../../analyzer/routing/parse-ip-rule.js';
import { lookupRoute, ROUTE_ERROR_MESSAGES, type RouteLookupResult, type RouteQuery, type RoutingState } from '../../analyzer/routing/route-lookup.js';
import { generateLabConfig, QUERIES_PER_LAB, type LabQuery } from './fib-lab-config.js';
import { FibLab, fibLabAvailability, type KernelAnswer, type LabCapture } from './fib-lab.js';

const availability = fibLabAvailability();
const skipReason = availability.ok ? '' : ` (skipped: ${availability.reason})`;
if (!availability.ok) console.warn(`FIB differential test skipped: ${availability.reason}`);

/** Fixed seeds, or NETDUMP_FIB_SEED=<n> or <first>-<last> to explore others. */
function seedsToRun(setting: string | undefined): number[] {
  const range = setting === undefined ? null : /^(\d+)(?:-(\d+))?$/.exec(setting);
  if (!range) return [20261126, 7, 1337];
  const first = Number(range[1]);
  const last = range[2] === undefined ? first : Number(range[2]);
  return Array.from({ length: Math.max(1, last - first + 1) }, (_, i) => first + i);
}

const SEEDS = seedsToRun(process.env['NETDUMP_FIB_SEED']);

function routingStateOf(capture: LabCapture): RoutingState {
  const addr = parseIpAddr(new SourceFile('nodes/lab/ip-addr.txt', capture.addr));
  const routes = parseIpRoute(new SourceFile('nodes/lab/ip-route.txt', capture.route));
  const rules = parseIpRule(new SourceFile('nodes/lab/ip-rule.txt', capture.rule));
  const rules6 = parseIpRule(new SourceFile('nodes/lab/ip6-rule.txt', capture.rule6), { family: 6 });
  const sysctl = parseSysctl(new SourceFile('nodes/lab/sysctl.txt', capture.sysctl));
  const issues = [...addr.issues, ...routes.issues, ...rules.issues, ...rules6.issues, ...sysctl.issues];
  expect(issues, 'the parsers read the real tool output without issues').toEqual([]);
  return {
    interfaces: addr.value.interfaces,
    routes: routes.value.routes,
    rules: [...rules.value.rules, ...rules6.value.rules],
    sysctl: sysctl.value.values,
  };
}

function routeQueryOf(query: LabQuery): RouteQuery {
  const routeQuery: RouteQuery = { dst: query.dst };
  if (query.src !== undefined) routeQuery.src = query.src;
  if (query.iif !== undefined) routeQuery.iif = query.iif;
  if (query.oif !== undefined) routeQuery.oif = query.oif;
  if (query.mark !== undefined) routeQuery.fwmark = query.mark;
  if (query.uid !== undefined) routeQuery.uid = query.uid;
  if (query.proto !== undefined) routeQuery.proto = query.proto;
  if (query.dport !== undefined) routeQuery.dport = query.dport;
  return routeQuery;
}

/** Why netdump's answer differs from the kernel's, or undefined when they agree. */
function disagreement(query: LabQuery, kernel: KernelAnswer, ours: RouteLookupResult): string | undefined {
  if (!kernel.ok) {
    if (ours.error?.message === kernel.message) return undefined;
    // A multipath route whose flow hash may pick a nexthop that fails source validation.
    if (ours.nexthops.some((h) => h.rejected && ROUTE_ERROR_MESSAGES[h.rejected.code] === kernel.message)) return undefined;
    return ours.error ? `error "${ours.error.message}" instead of "${kernel.message}"` : `routed (${ours.type}) instead of "${kernel.message}"`;
  }
  if (ours.error) return `"${ours.error.message}" (${ours.reason}) instead of a route`;
  if (ours.type !== kernel.type) return `type ${ours.type} instead of ${kernel.type}`;
  if ((ours.table ?? '') !== (kernel.table ?? '')) return `table ${ours.table ?? '(none)'} instead of ${kernel.table ?? '(none)'}`;
  const hop = ours.nexthops.find(
    (h) => !h.rejected && h.device === kernel.device && (h.gateway ? formatIpAddress(h.gateway) : undefined) === kernel.gateway,
  );
  if (!hop) {
    const listed = ours.nexthops.map((h) => `${h.gateway ? formatIpAddress(h.gateway) : 'direct'} dev ${h.device}`).join(' | ');
    return `nexthop ${kernel.gateway ?? 'direct'} dev ${kernel.device} is not among ours: ${listed}`;
  }
  // The kernel prints the source it selected for output lookups; with `from` (IPv6 prints one
  // even then) or `iif` the packet keeps its own, which the nexthop match above already covers.
  if (query.src === undefined && query.iif === undefined && kernel.src !== undefined) {
    const source = hop.source ? formatIpAddress(hop.source) : undefined;
    if (source !== kernel.src) return `source ${source ?? '(none)'} instead of ${kernel.src}`;
  }
  return undefined;
}

function describeOurs(ours: RouteLookupResult): string {
  const hops = ours.nexthops.map((h) => `${h.gateway ? `via ${formatIpAddress(h.gateway)} ` : ''}dev ${h.device} src ${h.source ? formatIpAddress(h.source) : '-'}`);
  return `${ours.type}${ours.error ? ` (${ours.error.message})` : ''} table ${ours.table ?? '-'} [${hops.join(' | ')}] rule: ${ours.rule?.text ?? '-'} route: ${ours.route?.text ?? '-'}; ${ours.reason}`;
}

describe('FIB differential: lookupRoute against `ip route get`', () => {
  it.skipIf(!availability.ok)(`agrees with the kernel on ${SEEDS.length * QUERIES_PER_LAB} random queries${skipReason}`, async () => {
    if (!availability.ok) return;
    const problems: string[] = [];
    const outcomes = new Map<string, number>();
    let asked = 0;
    let ipv6 = 0;
    for (const seed of SEEDS) {
      console.log(`FIB differential seed ${seed} (reproduce: NETDUMP_FIB_SEED=${seed})`);
      const config = generateLabConfig(seed);
      const lab = new FibLab(config);
      try {
        lab.build({ dummyDriver: availability.dummyDriver });
        const capture = lab.capture();
        const state = routingStateOf(capture);
        const answers = lab.routeGet(config.queries);
        config.queries.forEach((query, i) => {
          const kernel = answers[i]!;
          const ours = lookupRoute(state, routeQueryOf(query));
          asked++;
          if (query.family === 6) ipv6++;
          const outcome = kernel.ok ? `${kernel.type}` : kernel.message;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          const why = disagreement(query, kernel, ours);
          if (why) problems.push(`seed ${seed}: ip route get ${query.command.replace(/^route get /, '')}\n  kernel: ${kernel.raw.split('\n')[0]}\n  netdump: ${describeOurs(ours)}\n  => ${why}`);
        });
      } finally {
        lab.destroy();
      }
      // Let the test runner's own messages through between labs (the lab work is synchronous).
      await new Promise((resolve) => setImmediate(resolve));
    }
    console.log(`FIB differential: ${asked} queries (${ipv6} IPv6), kernel outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(asked).toBeGreaterThanOrEqual(500);
    expect(ipv6).toBeGreaterThan(100);
    // The mix must exercise the interesting outcomes, or the test proves little.
    for (const outcome of ['unicast', 'local', 'Invalid argument', 'No route to host', 'Permission denied', 'Network is unreachable']) {
      expect(outcomes.get(outcome) ?? 0, `kernel outcome "${outcome}" among the queries`).toBeGreaterThan(0);
    }
    expect(problems.slice(0, 30).join('\n\n'), `${problems.length} disagreements`).toBe('');
  }, Math.max(60_000, SEEDS.length * 5_000));
});
