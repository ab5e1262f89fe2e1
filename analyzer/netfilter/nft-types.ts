/**
 * The typed model of an nftables ruleset, from `nft list ruleset` or from the `nft -f` command
 * form kube-proxy writes (`add rule ip kube-proxy …`). Rules are lists of typed statements;
 * anything outside the subset kube-proxy and iptables-nft use is kept verbatim as
 * `unsupported`, so a simulator can say "unknown" rather than guess.
 */
import type { Cidr, IpAddress } from './ip-cidr.js';
import type { MarkUpdate } from './mark-update.js';
import type { NatRange } from './nat-range.js';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface NftRuleset {
  /** Keyed `<family> <name>` (`ip kube-proxy`), in file order. */
  tables: Map<string, NftTable>;
}

export interface NftTable {
  family: NftFamily;
  name: string;
  line: number;
  comment?: string;
  flags: string[];
  chains: Map<string, NftChain>;
  /** Sets and maps by name. */
  sets: Map<string, NftSet>;
}

export interface NftChainHook {
  /** `filter`, `nat`, `route`. */
  type: string;
  /** `prerouting`, `input`, `forward`, `output`, `postrouting`, `ingress`. */
  hook: string;
  /** Numeric priority; named priorities (`dstnat`, `filter - 10`) resolved for the table family. */
  priority: number | undefined;
  /** As printed (`-110`, `dstnat`). */
  priorityText: string;
  device?: string;
}

export interface NftChain {
  name: string;
  line: number;
  /** Base chains only. */
  hook?: NftChainHook;
  /** Base chains: `accept` (the default) or `drop`. */
  policy?: 'accept' | 'drop';
  comment?: string;
  rules: NftRule[];
}

export interface NftSet {
  kind: 'set' | 'map';
  name: string;
  line: number;
  /** `type ipv4_addr . inet_proto . inet_service` → ['ipv4_addr', 'inet_proto', 'inet_service']; from `typeof`, the expressions. */
  keyType: string[];
  /** Maps: the data type after `:` (`verdict`, `ipv4_addr`, …). */
  dataType?: string;
  flags: string[];
  timeoutSeconds?: number;
  comment?: string;
  elements: NftElement[];
}

/** One value of an element or a rule's right-hand side. */
export type NftAtom =
  /** An address (host prefix) or a prefix such as `10.0.0.0/8`. */
  | { type: 'ip'; text: string; cidr: Cidr }
  | { type: 'ip-range'; text: string; first: IpAddress; last: IpAddress }
  /** Decimal or hex numbers: ports, marks, protocol numbers, numgen results. */
  | { type: 'number'; text: string; value: number }
  | { type: 'number-range'; text: string; first: number; last: number }
  /** A quoted string, unquoted (`"eth0"` → `eth0`); interface names may end with `*`. */
  | { type: 'string'; text: string }
  /** A keyword value, meaning depends on the selector: `tcp`, `new`, `established`, `local`. */
  | { type: 'symbol'; text: string };

/** Concatenations (`10.96.0.10 . tcp . 53`) have one atom per part. */
export type NftValue = NftAtom[];

export type NftVerdict =
  | { kind: 'accept' | 'drop' | 'return' | 'continue' }
  | { kind: 'jump' | 'goto'; chain: string }
  | { kind: 'reject'; with?: string }
  | { kind: 'queue'; text: string };

export interface NftElement {
  line: number;
  key: NftValue;
  /** Maps: the verdict (verdict maps) or the value. */
  data?: NftVerdict | NftValue;
  comment?: string;
  timeoutSeconds?: number;
}

/**
 * What a rule looks at. `name` is normalised (`mark` → `meta mark`, `iifname` → `meta iifname`),
 * so a matcher can switch on it: `ip daddr`, `ip6 saddr`, `meta l4proto`, `th dport`,
 * `tcp dport`, `ct state`, `fib daddr type`, `numgen random`, …
 */
export interface NftSelector {
  name: string;
  /** `numgen random mod 2 [offset 1]`. */
  numgen?: { mode: 'random' | 'inc'; modulus: number; offset: number };
  /** `fib saddr . iif type`: lookup keys and result. */
  fib?: { keys: string[]; result: string };
  /** `meta mark & 0x4000` / `mark and 0x4000`: a bit operation applied before comparing. */
  bitwise?: { op: 'and' | 'or' | 'xor'; value: number };
}

export type NftRelation = 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge';

export type NftRightHand =
  | { kind: 'value'; value: NftValue }
  /** `ct state established,related`: any of the flags. */
  | { kind: 'flags'; values: NftAtom[] }
  /** Anonymous set `{ 10.0.0.0/8, 192.168.0.0/16 }`. */
  | { kind: 'set'; elements: NftElement[] }
  /** Named set `@cluster-ips`. */
  | { kind: 'set-ref'; name: string };

export type NftStatement =
  | { kind: 'match'; left: NftSelector[]; op: NftRelation; right: NftRightHand }
  /** `<key> vmap @name` or `<key> vmap { 0 : goto a, 1 : goto b }`. */
  | { kind: 'vmap'; key: NftSelector[]; map: { kind: 'set-ref'; name: string } | { kind: 'set'; elements: NftElement[] } }
  | { kind: 'verdict'; verdict: NftVerdict }
  | { kind: 'nat'; type: 'dnat' | 'snat'; to?: NatRange; flags: string[] }
  | { kind: 'masquerade' | 'redirect'; toPorts?: { first: number; last: number }; flags: string[] }
  /** `meta mark set mark or 0x4000`, `ct mark set 0x1`: normalised like iptables' MARK. */
  | { kind: 'mark'; target: 'meta' | 'ct'; update: MarkUpdate }
  /** `update @affinity-… { ip saddr }` (also `add @set { … }`). */
  | { kind: 'set-update'; op: 'add' | 'update'; set: string; key: NftSelector[] }
  | { kind: 'log'; prefix?: string }
  | { kind: 'notrack' }
  /** Anything else, including iptables-nft's `xt match "…"` compat expressions. */
  | { kind: 'unsupported'; text: string };

export interface NftRule {
  table: string;
  chain: string;
  line: number;
  /** The rule as written (the whole `add rule …` command in the -f form). */
  text: string;
  statements: NftStatement[];
  comment?: string;
  counter?: { packets: number; bytes: number };
  handle?: number;
}
