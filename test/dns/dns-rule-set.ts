/**
 * The registry with the DNS rules of this change added, for tests that run every rule before
 * rules/index.ts lists them (the ids it does list are not added twice).
 */
import type { Rule } from '../../analyzer/engine/rule.js';
import { allRules } from '../../rules/index.js';
import corednsUnavailable from '../../rules/coredns-unavailable.js';
import corefileProblem from '../../rules/corefile-problem.js';
import dnsConntrackRace from '../../rules/dns-conntrack-race.js';
import dnsNdotsAmplification from '../../rules/dns-ndots-amplification.js';
import dnsSlow from '../../rules/dns-slow.js';
import resolvconfNameserverMismatch from '../../rules/resolvconf-nameserver-mismatch.js';

export const DNS_RULES: Rule[] = [corednsUnavailable, resolvconfNameserverMismatch, dnsNdotsAmplification, corefileProblem, dnsConntrackRace, dnsSlow];

/** Every registered rule plus the DNS rules, bundle-parse-error kept last. */
export function rulesWithDns(): Rule[] {
  const ids = new Set(allRules.map((r) => r.id));
  const missing = DNS_RULES.filter((r) => !ids.has(r.id));
  const last = allRules.at(-1)!;
  return [...allRules.slice(0, -1), ...missing, last];
}
