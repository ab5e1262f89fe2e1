/**
 * The names addresses answered for, as Hubble flows record them (`destination_names`,
 * `source_names`: Cilium's DNS proxy cache, the same data toFQDNs policies are built from).
 * Gives `evaluateCiliumDirection` its `fqdnsOf`: an address the flows never named stays
 * undefined (undecided), not "no names".
 */
import type { HubbleFlow } from './parse-hubble-flows.js';

export function dnsNamesFromHubble(flows: readonly HubbleFlow[]): (ip: string) => readonly string[] | undefined {
  const names = new Map<string, Set<string>>();
  const add = (ip: string | undefined, seen: readonly string[]) => {
    if (!ip || seen.length === 0) return;
    let set = names.get(ip);
    if (!set) names.set(ip, (set = new Set()));
    for (const name of seen) set.add(name);
  };
  for (const flow of flows) {
    add(flow.dstIp, flow.destinationNames);
    add(flow.srcIp, flow.sourceNames);
  }
  return (ip) => {
    const set = names.get(ip);
    return set ? [...set] : undefined;
  };
}
