/**
 * Which rules of a long chain can possibly match a packet, without scanning the chain.
 *
 * kube-proxy's KUBE-SERVICES holds one rule per Service port (`-d <clusterIP>/32 -p tcp --dport
 * 80 -j KUBE-SVC-…`) and KUBE-NODEPORTS one per node port, so a 10,000-Service node has chains of
 * 10k+ rules. Each rule goes to one bucket: its exact destination address, else its protocol and
 * single destination port, else "any packet". A packet's candidates are the union of its two
 * buckets and the catch-all list, merged back into chain order, so first-match semantics hold.
 */
import type { IptablesChain, IptablesRule } from '../iptables-types.js';
import type { SimState } from './sim-state.js';

/** Chains shorter than this are scanned; indexing them would cost more than it saves. */
const INDEX_MIN_RULES = 32;

const PORT_PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, dccp: 33 };

function portKey(protocol: number, port: number): number {
  return protocol * 65536 + port;
}

function exactDestination(rule: IptablesRule): number | bigint | undefined {
  const d = rule.destination;
  if (!d || d.negated) return undefined;
  const full = d.cidr.family === 4 ? 32 : 128;
  return d.cidr.prefix === full ? d.cidr.network : undefined;
}

function exactDestinationPort(rule: IptablesRule): number | undefined {
  for (const match of rule.matches) {
    if (match.kind !== 'ports' || !match.destinationPort || match.destinationPort.negated) continue;
    if (match.destinationPort.first !== match.destinationPort.last) continue;
    return portKey(PORT_PROTOCOLS[match.protocol]!, match.destinationPort.first);
  }
  return undefined;
}

function mergeSorted(lists: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l]!;
      if (at[l]! < list.length && (best === -1 || list[at[l]!]! < lists[best]![at[best]!]!)) best = l;
    }
    if (best === -1) return out;
    out.push(lists[best]![at[best]!++]!);
  }
}

export class ChainIndex {
  private readonly byDestination = new Map<number | bigint, number[]>();
  private readonly byPort = new Map<number, number[]>();
  private readonly anyPacket: number[] = [];

  private constructor(chain: IptablesChain) {
    chain.rules.forEach((rule, i) => {
      const destination = exactDestination(rule);
      if (destination !== undefined) {
        let list = this.byDestination.get(destination);
        if (!list) this.byDestination.set(destination, (list = []));
        list.push(i);
        return;
      }
      const port = exactDestinationPort(rule);
      if (port !== undefined) {
        let list = this.byPort.get(port);
        if (!list) this.byPort.set(port, (list = []));
        list.push(i);
        return;
      }
      this.anyPacket.push(i);
    });
  }

  /** An index for a long chain; undefined when the chain is short enough to scan. */
  static build(chain: IptablesChain): ChainIndex | undefined {
    return chain.rules.length >= INDEX_MIN_RULES ? new ChainIndex(chain) : undefined;
  }

  /** Positions (0-based) of the rules that may match, in chain order. */
  candidates(state: SimState): readonly number[] {
    const lists: (readonly number[])[] = [];
    const byDestination = this.byDestination.get(state.dst.value);
    if (byDestination) lists.push(byDestination);
    if (state.dport !== undefined) {
      const byPort = this.byPort.get(portKey(state.proto, state.dport));
      if (byPort) lists.push(byPort);
    }
    if (lists.length === 0) return this.anyPacket;
    if (this.anyPacket.length > 0) lists.push(this.anyPacket);
    return lists.length === 1 ? lists[0]! : mergeSorted(lists);
  }
}
