/**
 * One lookup, real against simulated: what the resolver differential test compares.
 *
 *   - queries: for every logging server of the lab, the list of `name type` it received, in
 *     order, must equal queriesByNameserver(simulation) for that server (an empty list for a
 *     server the simulator never asks). Per server and not merged: the servers log to separate
 *     files and musl's parallel sends reach them in no defined order between servers. Within
 *     one server the order is defined: glibc's A and AAAA leave in one sendmmsg on one socket,
 *     musl sends A then AAAA, TCP queries share one connection;
 *   - sockets: queries the simulator sends from one socket left from one source port (dnsmasq
 *     logs the client's port). Only this direction: the kernel picks ephemeral ports at
 *     random, so two sockets may by chance get the same port;
 *   - outcome: getaddrinfo's addresses (as a set) or its EAI_* error must be the simulator's.
 */
import type { ClientOutcome, LabLookupResult } from '../helpers/dns-lab.js';
import { queriesByNameserver, type ResolverSimulation } from '../../analyzer/dns/resolver-simulation.js';

export interface LookupComparison {
  agrees: boolean;
  problems: string[];
}

export function simulatedOutcome(simulation: ResolverSimulation): ClientOutcome {
  const outcome = simulation.outcome;
  if (outcome.status === 'resolved') return { status: 'resolved', addresses: [...new Set(outcome.addresses)].sort() };
  // The lab's shell reports a client killed by a signal as exit 128 + signal (SIGFPE is 8).
  if (outcome.status === 'crashed') return { status: 'failed', error: `client crashed (exit ${128 + 8})` };
  return { status: 'failed', error: outcome.error };
}

export function formatOutcome(outcome: ClientOutcome): string {
  return outcome.status === 'resolved' ? `ok ${outcome.addresses.join(' ')}` : `error ${outcome.error}`;
}

export function compareLookup(real: LabLookupResult, simulation: ResolverSimulation): LookupComparison {
  const problems: string[] = [];
  const simulated = queriesByNameserver(simulation);
  for (const server of simulated.keys()) {
    if (!real.queries.has(server)) problems.push(`the simulator sent queries to ${server}, which is not a logging lab server`);
  }
  for (const [server, logged] of real.queries) {
    const realList = logged.map((q) => `${q.name} ${q.type}`);
    const simList = simulated.get(server) ?? [];
    if (realList.join('\n') !== simList.join('\n')) {
      problems.push(`queries to ${server} differ:\n  real:      ${realList.join(', ') || '(none)'}\n  simulated: ${simList.join(', ') || '(none)'}`);
      continue;
    }
    const sent = simulation.queries.filter((q) => q.nameserver === server && q.reply.rcode !== 'UNREACHABLE');
    const portsBySocket = new Map<number, Set<number>>();
    sent.forEach((query, i) => {
      const ports = portsBySocket.get(query.socket) ?? new Set<number>();
      ports.add(logged[i]!.port);
      portsBySocket.set(query.socket, ports);
    });
    for (const [socket, ports] of portsBySocket) {
      if (ports.size > 1) {
        problems.push(`${server}: the simulator sends from one socket (#${socket}) what left from ports ${[...ports].join(', ')}`);
      }
    }
  }
  const realOutcome = formatOutcome(real.outcome);
  const simOutcome = formatOutcome(simulatedOutcome(simulation));
  if (realOutcome !== simOutcome) problems.push(`outcome differs:\n  real:      ${realOutcome}\n  simulated: ${simOutcome}`);
  return { agrees: problems.length === 0, problems };
}
