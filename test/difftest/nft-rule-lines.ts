/**
 * Where each rule of an `nft list ruleset` / `nft list table` listing is: the kernel's trace
 * names a rule by chain and position, the simulator by line; this maps one to the other.
 *
 *   table ip kube-proxy {            ← table
 *   	chain services {               ← chain
 *   		type filter hook …;         ← chain properties (type, policy, comment, devices)
 *   		ip daddr . … vmap @x        ← rule 1
 *   	}
 */
export const nftChainKey = (family: string, table: string, chain: string): string => `${family}\u0000${table}\u0000${chain}`;

const CHAIN_PROPERTY = /^(type |policy |comment |devices )/;

/** Rule lines (1-based) of every chain, in chain order. */
export function nftRuleLines(listing: string): Map<string, number[]> {
  const chains = new Map<string, number[]>();
  let family = '';
  let table = '';
  let chain: number[] | undefined;
  listing.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    const tableHead = /^table (\S+) (\S+) \{$/.exec(line);
    if (tableHead) {
      [, family, table] = tableHead;
      return;
    }
    const chainHead = /^chain (\S+) \{$/.exec(line);
    if (chainHead && table !== '') {
      chain = [];
      chains.set(nftChainKey(family, table, chainHead[1].replace(/^"(.*)"$/, '$1')), chain);
      return;
    }
    if (!chain) return;
    if (line === '}') {
      chain = undefined;
      return;
    }
    if (line === '' || CHAIN_PROPERTY.test(line)) return;
    chain.push(index + 1);
  });
  return chains;
}
