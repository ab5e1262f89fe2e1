/**
 * Runs (resolv.conf, name) cases through the lab's real resolver and through netdump's
 * simulation (parseResolvConf → resolverConfigFor → simulateResolver), and reports every
 * case where they disagree, with what replays it.
 */
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseResolvConf, resolverConfigFor } from '../../analyzer/dns/parse-resolv-conf.js';
import type { Answerer, DnsReply, Libc } from '../../analyzer/dns/resolver-simulation.js';
import { simulateResolver } from '../../analyzer/dns/simulate-resolver.js';
import { DNS_LAB_ADDRESSES, type DnsLab, type LabLookup, type LabLookupResult, type ScriptedServer } from '../helpers/dns-lab.js';
import { zoneAnswerer, type ZoneTable } from '../helpers/dns-lab-zone.js';
import { compareLookup, formatOutcome, simulatedOutcome } from './compare-lookup.js';

export interface Disagreement {
  libc: Libc;
  lookup: LabLookup;
  /** Markdown: resolv.conf, name, real and simulated queries and outcomes. */
  report: string;
}

/**
 * What each lab address answers, as the simulator must see it: dnsmasq from the zone, the
 * scripted servers their script, and every other address (10.96.0.13, the 127.0.0.1 glibc and
 * musl use without a nameserver line) an ICMP port unreachable.
 */
export function labAnswerer(zone: ZoneTable, scripted: readonly ScriptedServer[] = []): Answerer {
  const fromZone = zoneAnswerer(zone);
  const dnsmasq = new Set<string>(DNS_LAB_ADDRESSES.servers);
  return (query) => {
    const script = scripted.find((s) => s.address === query.nameserver);
    if (script) return scriptedReply(script, query.type, query.name);
    if (dnsmasq.has(query.nameserver)) return fromZone(query);
    return { rcode: 'UNREACHABLE' };
  };
}

function scriptedReply(script: ScriptedServer, type: 'A' | 'AAAA', name: string): DnsReply {
  const action = script.actions[type] ?? 'drop';
  if (action === 'drop') return { rcode: 'TIMEOUT' };
  if (action === 'NXDOMAIN' || action === 'SERVFAIL' || action === 'REFUSED') return { rcode: action };
  return { rcode: 'NOERROR', answers: [{ name, type, data: action }] };
}

export function simulate(lookup: LabLookup, libc: Libc, answerer: Answerer, muslVersion: string) {
  const { value: conf } = parseResolvConf(new SourceFile('/etc/resolv.conf', lookup.resolvConf));
  const config = resolverConfigFor(conf, libc);
  return simulateResolver(lookup.name, config, answerer, { libc, muslVersion });
}

export function describeDisagreement(libc: Libc, result: LabLookupResult, problems: string[], simulationTrace: string[], label: string): string {
  const indented = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n');
  return [
    `### ${libc}: ${label}`,
    '',
    'resolv.conf:',
    '',
    indented(result.lookup.resolvConf),
    '',
    `name: \`${result.lookup.name}\``,
    '',
    ...problems.map((p) => indented(p)),
    '',
    'simulator trace:',
    '',
    indented(simulationTrace.join('\n')),
    '',
  ].join('\n');
}

/** The lab's answers for every lookup, compared with the simulation; the disagreements. */
export async function runDifferential(
  lab: DnsLab,
  libc: Libc,
  lookups: readonly (LabLookup & { label: string })[],
  answerer: Answerer,
  muslVersion: string,
): Promise<{ results: LabLookupResult[]; disagreements: Disagreement[] }> {
  const results = await lab.lookups(libc, lookups);
  const disagreements: Disagreement[] = [];
  results.forEach((result, i) => {
    const simulation = simulate(result.lookup, libc, answerer, muslVersion);
    const comparison = compareLookup(result, simulation);
    if (comparison.agrees) return;
    disagreements.push({
      libc,
      lookup: result.lookup,
      report: describeDisagreement(libc, result, comparison.problems, simulation.trace, lookups[i]!.label),
    });
  });
  return { results, disagreements };
}

export { formatOutcome, simulatedOutcome };
