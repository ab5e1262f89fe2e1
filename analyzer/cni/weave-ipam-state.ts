/**
 * Weave Net's IPAM state, as `weave status` words it (prog/weaver/http.go) and as it follows from
 * `weave report`'s IPAM object: ready once the ring has entries owned by a reachable peer;
 * `awaiting consensus` while peers vote on the first split of the range (the node cannot give
 * pods addresses until a quorum of peers is up); idle when no allocation was asked for yet.
 */
export type WeaveIpamState =
  | 'ready'
  | 'idle'
  | 'awaiting-consensus'
  | 'priming'
  | 'waiting-for-addresses'
  | 'owners-unreachable'
  | 'unknown';

/** The state from `Status:` (2.x) or `Consensus:` (1.x) of `weave status`. */
export function weaveIpamStateFromText(text: string): WeaveIpamState {
  if (text === 'ready' || text === 'achieved') return 'ready';
  if (text === 'idle' || text === 'deferred') return 'idle';
  if (text.startsWith('awaiting consensus') || text.startsWith('waiting (quorum')) return 'awaiting-consensus';
  if (text === 'priming') return 'priming';
  if (text.startsWith('waiting for IP')) return 'waiting-for-addresses';
  if (text.startsWith('all IP ranges owned by unreachable peers')) return 'owners-unreachable';
  return 'unknown';
}
