/**
 * Maps the kernel's view of a loaded rule set (nft handles) back to rule lines of the
 * iptables-restore text that was loaded.
 *
 * The trace names a rule by its nft handle, which is NOT its position: handles are allocated per
 * table in creation order (chains take handles too). Position comes from `nft -j list ruleset`,
 * which lists each chain's rules in evaluation order. iptables-nft creates exactly one nft rule
 * per `-A` line, so the n-th rule of a chain is the n-th `-A` line for that chain in the loaded
 * text and the n-th `-A` line of `iptables-nft-save` (the normalized form xtables-monitor prints).
 */

export interface IptablesRuleLine {
  table: string;
  chain: string;
  /** 1-based position inside the chain */
  position: number;
  /** 1-based line number in the text */
  line: number;
  text: string;
}

/** Every `-A` line of an iptables-save / iptables-restore text, with its chain position. */
export function scanIptablesRuleLines(text: string): IptablesRuleLine[] {
  const rules: IptablesRuleLine[] = [];
  const positions = new Map<string, number>();
  let table = '';
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      return;
    }
    const append = /^-A\s+(\S+)/.exec(line);
    if (!append || table === '') return;
    const chain = append[1];
    const key = `${table}\u0000${chain}`;
    const position = (positions.get(key) ?? 0) + 1;
    positions.set(key, position);
    rules.push({ table, chain, position, line: index + 1, text: line });
  });
  return rules;
}

export interface NftChainInfo {
  family: string;
  table: string;
  chain: string;
  /** netfilter hook of a base chain (prerouting, input, forward, output, postrouting), else null */
  hook: string | null;
  priority: number | null;
  policy: string | null;
  /** number of rules in the chain */
  ruleCount: number;
}

export interface NftRuleInfo {
  family: string;
  table: string;
  chain: string;
  handle: number;
  /** 1-based position inside the chain */
  position: number;
}

export interface NftRulesetIndex {
  chains: Map<string, NftChainInfo>;
  rules: Map<string, NftRuleInfo>;
}

export const chainKey = (family: string, table: string, chain: string): string =>
  `${family}\u0000${table}\u0000${chain}`;
export const ruleKey = (family: string, table: string, handle: number): string =>
  `${family}\u0000${table}\u0000#${handle}`;

interface NftJsonChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  prio?: number;
  policy?: string;
}
interface NftJsonRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
}

/** Indexes the output of `nft -j list ruleset`. */
export function indexNftJsonRuleset(json: string): NftRulesetIndex {
  const parsed = JSON.parse(json) as { nftables: Array<{ chain?: NftJsonChain; rule?: NftJsonRule }> };
  const chains = new Map<string, NftChainInfo>();
  const rules = new Map<string, NftRuleInfo>();
  const positions = new Map<string, number>();
  for (const item of parsed.nftables) {
    if (item.chain) {
      const c = item.chain;
      chains.set(chainKey(c.family, c.table, c.name), {
        family: c.family,
        table: c.table,
        chain: c.name,
        hook: c.hook ?? null,
        priority: c.prio ?? null,
        policy: c.policy ?? null,
        ruleCount: 0,
      });
    } else if (item.rule) {
      const r = item.rule;
      const key = chainKey(r.family, r.table, r.chain);
      const position = (positions.get(key) ?? 0) + 1;
      positions.set(key, position);
      const chain = chains.get(key);
      if (chain) chain.ruleCount = position;
      rules.set(ruleKey(r.family, r.table, r.handle), {
        family: r.family,
        table: r.table,
        chain: r.chain,
        handle: r.handle,
        position,
      });
    }
  }
  return { chains, rules };
}

/** Rule lines of one iptables text by table/chain/position, for the lookups the trace needs. */
export class IptablesLineLookup {
  private readonly byPosition = new Map<string, IptablesRuleLine>();
  private readonly chainLengths = new Map<string, number>();

  constructor(text: string) {
    for (const rule of scanIptablesRuleLines(text)) {
      this.byPosition.set(`${rule.table}\u0000${rule.chain}\u0000${rule.position}`, rule);
      this.chainLengths.set(`${rule.table}\u0000${rule.chain}`, rule.position);
    }
  }

  at(table: string, chain: string, position: number): IptablesRuleLine | undefined {
    return this.byPosition.get(`${table}\u0000${chain}\u0000${position}`);
  }

  chainLength(table: string, chain: string): number {
    return this.chainLengths.get(`${table}\u0000${chain}`) ?? 0;
  }
}
