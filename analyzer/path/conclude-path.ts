/**
 * The verdict of a traced path from its hops, MTU and policy: blocked at the first hop that drops
 * the packet (or by NetworkPolicy), an MTU black hole when large packets vanish, unknown when
 * the hops that decide were not collected, else it works.
 */
import type { PathResult } from './path-types.js';

export function concludePath(result: PathResult): PathResult {
  const blockedAt = result.hops.findIndex((h) => h.status === 'blocked');
  if (blockedAt >= 0) {
    const blocked = result.hops[blockedAt]!;
    // What lies beyond the drop is shown for its facts, but the packet never gets there.
    const hops = result.hops.map((h, i) => (i <= blockedAt ? h : { ...h, status: 'unknown' as const, summary: `not reached: dropped at ${blocked.name} before` }));
    return { ...result, hops, verdict: 'blocked', reason: `blocked at ${blocked.name}: ${blocked.summary}` };
  }
  if (result.policy?.verdict === 'deny') return { ...result, verdict: 'blocked', reason: `NetworkPolicy ${result.policy.text}` };
  if (result.mtu?.blackHole) return { ...result, verdict: 'mtu-black-hole', reason: result.mtu.text };
  const unknown = result.hops.filter((h) => h.kind === 'node' || h.kind === 'host').find((h) => h.status === 'unknown');
  if (unknown) return { ...result, verdict: 'unknown', reason: `undetermined at ${unknown.name}: ${unknown.summary}` };
  const caveats = result.hops.filter((h) => h.status === 'warning').map((h) => `${h.name}: ${h.summary}`);
  const unchecked = result.hops.reduce((n, h) => n + h.unknowns.length, 0);
  return {
    ...result,
    verdict: 'works',
    reason: `nothing on the path drops it${caveats.length > 0 ? `, with caveats (${caveats.join('; ')})` : ''}${unchecked > 0 ? `; ${unchecked} thing${unchecked === 1 ? '' : 's'} not collected or not modelled, listed per hop` : ''}`,
  };
}
