/**
 * The FIB half of a route lookup: the routing state indexed by table and prefix length, policy
 * rules evaluated against a flow, and each table's selection among the routes of one prefix
 * (IPv4 `fib_table_lookup()`/`check_leaf()`, IPv6 `fib6_table_lookup()`/`rt6_select()`).
 *
 * One IPv4 quirk is modelled because `ip route get` shows it on every plain host: until a custom
 * rule is added, the kernel keeps the `local` and `main` tables merged in one trie
 * (fib_unmerge()), so the longest prefix wins across both, a local route is reported as table
 * `main`, and table `default` is consulted only when that merged lookup fails.
 */
import { cidrContains, formatIpAddress, type IpAddress } from '../netfilter/ip-cidr.js';
import type { IpRoute, IpRule, RouteNexthop, RouteType } from './route-types.js';
import { routeTableName } from './route-table-name.js';
import type { RoutingState } from './route-lookup.js';

interface TableIndex {
  /** Prefix lengths present, longest first. */
  lengths: number[];
  /** By prefix length, then network (number or bigint): routes in lookup order. */
  byLength: Map<number, Map<number | bigint, IpRoute[]>>;
}

export interface RoutingIndex {
  state: RoutingState;
  tables: Map<string, TableIndex>;
  rules: { 4: IpRule[]; 6: IpRule[] };
  customRules4: boolean;
  customLocalRoutes4: boolean;
  localAddresses: Set<string>;
  interfaceNames: Set<string>;
}

const indexes = new WeakMap<RoutingState, RoutingIndex>();

/** The index of a routing state, built on first use and kept for as long as the state object lives. */
export function indexRouting(state: RoutingState): RoutingIndex {
  let index = indexes.get(state);
  if (!index) {
    index = buildIndex(state);
    indexes.set(state, index);
  }
  return index;
}

function defaultRules(family: 4 | 6): IpRule[] {
  const rule = (priority: number, table: string): IpRule => ({
    family,
    priority,
    not: false,
    action: 'lookup',
    table,
    extras: {},
    file: '',
    line: 0,
    text: `${priority}:\tfrom all lookup ${table}`,
  });
  const rules = [rule(0, 'local'), rule(32766, 'main')];
  if (family === 4) rules.push(rule(32767, 'default'));
  return rules;
}

function isDefaultRuleSet(rules: IpRule[], family: 4 | 6): boolean {
  const defaults = defaultRules(family);
  return (
    rules.length === defaults.length &&
    rules.every((r, i) => {
      const d = defaults[i]!;
      return (
        r.priority === d.priority &&
        r.action === 'lookup' &&
        r.table === d.table &&
        !r.not &&
        !r.from &&
        !r.to &&
        !r.fwmark &&
        r.iif === undefined &&
        r.oif === undefined &&
        !r.uidRange &&
        r.ipProto === undefined &&
        !r.sourcePorts &&
        !r.destinationPorts &&
        r.suppressPrefixLength === undefined
      );
    })
  );
}

function buildIndex(state: RoutingState): RoutingIndex {
  const tables = new Map<string, TableIndex>();
  for (const route of state.routes) {
    const key = `${route.family}:${route.table}`;
    let table = tables.get(key);
    if (!table) {
      table = { lengths: [], byLength: new Map() };
      tables.set(key, table);
    }
    let byNetwork = table.byLength.get(route.destination.prefix);
    if (!byNetwork) {
      byNetwork = new Map();
      table.byLength.set(route.destination.prefix, byNetwork);
      table.lengths.push(route.destination.prefix);
    }
    const list = byNetwork.get(route.destination.network);
    if (list) list.push(route);
    else byNetwork.set(route.destination.network, [route]);
  }
  for (const table of tables.values()) {
    table.lengths.sort((a, b) => b - a);
    // Stable: equal metrics keep the listed order, which is the kernel's alias order.
    for (const byNetwork of table.byLength.values()) for (const list of byNetwork.values()) list.sort((a, b) => a.metric - b.metric);
  }
  const byFamily = (family: 4 | 6) => {
    const given = (state.rules ?? []).filter((r) => r.family === family);
    return given.length > 0 ? [...given].sort((a, b) => a.priority - b.priority) : defaultRules(family);
  };
  const rules4 = byFamily(4);
  const localAddresses = new Set<string>();
  for (const device of state.interfaces) {
    for (const address of device.addresses) localAddresses.add(formatIpAddress(address.address));
  }
  return {
    state,
    tables,
    rules: { 4: rules4, 6: byFamily(6) },
    customRules4: !isDefaultRuleSet(rules4, 4),
    customLocalRoutes4: state.routes.some((r) => r.family === 4 && r.type === 'local' && r.protocol !== 'kernel'),
    localAddresses,
    interfaceNames: new Set(state.interfaces.map((i) => i.name)),
  };
}

// ---- flows and FIB results -----------------------------------------------------------------

export interface Flow {
  family: 4 | 6;
  dst: IpAddress;
  /** Undefined: no source yet (the kernel's 0.0.0.0 / ::). */
  src: IpAddress | undefined;
  iif: string;
  oif: string | undefined;
  mark: number;
  proto: number;
  sport: number;
  dport: number;
  /** Undefined for forwarded packets (INVALID_UID: no `uidrange` rule matches). */
  uid: number | undefined;
  /** IPv6: which interface the route score prefers (the oif, or the iif for input lookups). */
  preferDevice: string | undefined;
  /** IPv6: routes through other devices than `preferDevice` are not candidates. */
  strictDevice: boolean;
}

export type FibResult =
  /** `table` is the table the kernel reports, which differs from `route.table` for merged local routes. */
  | { kind: 'route'; route: IpRoute; nexthops: RouteNexthop[]; rule: IpRule; table: string }
  | { kind: 'reject'; type: 'blackhole' | 'unreachable' | 'prohibit'; route?: IpRoute; rule: IpRule }
  | { kind: 'none' };

type TableResult =
  | { kind: 'route'; route: IpRoute; nexthops: RouteNexthop[] }
  | { kind: 'reject'; route: IpRoute; type: 'blackhole' | 'unreachable' | 'prohibit' }
  | { kind: 'continue' };

const PROTOCOL_NUMBERS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
};

export function protocolNumber(proto: string | number | undefined): number {
  if (proto === undefined) return 0;
  if (typeof proto === 'number') return proto;
  return PROTOCOL_NUMBERS[proto.toLowerCase()] ?? (/^\d+$/.test(proto) ? Number(proto) : -1);
}

function zeroAddress(family: 4 | 6): IpAddress {
  return family === 4 ? { family: 4, value: 0 } : { family: 6, value: 0n };
}

function ruleMatches(rule: IpRule, flow: Flow, notes: Set<string>): boolean {
  let matches = true;
  if (rule.l3mdev) {
    notes.add(`rule ${rule.priority} (l3mdev / VRF) is not modelled and was treated as not matching`);
    return false;
  }
  if (rule.iif !== undefined && (rule.iifDetached || rule.iif !== flow.iif)) matches = false;
  else if (rule.oif !== undefined && (rule.oifDetached || rule.oif !== flow.oif)) matches = false;
  else if (rule.fwmark && ((rule.fwmark.value ^ flow.mark) & rule.fwmark.mask) >>> 0 !== 0) matches = false;
  else if (rule.uidRange && (flow.uid === undefined || flow.uid < rule.uidRange.start || flow.uid > rule.uidRange.end)) matches = false;
  else if (rule.from && !fromMatches(rule, flow)) matches = false;
  else if (rule.to && !cidrContains(rule.to, flow.dst)) matches = false;
  else if (rule.tos !== undefined && Number(rule.tos) !== 0) matches = false; // queries carry TOS 0
  else if (rule.ipProto !== undefined && protocolNumber(rule.ipProto) !== flow.proto) matches = false;
  else if (rule.sourcePorts && (flow.sport < rule.sourcePorts.start || flow.sport > rule.sourcePorts.end)) matches = false;
  else if (rule.destinationPorts && (flow.dport < rule.destinationPorts.start || flow.dport > rule.destinationPorts.end)) matches = false;
  return rule.not ? !matches : matches;
}

function fromMatches(rule: IpRule, flow: Flow): boolean {
  const from = rule.from!;
  if (flow.src) return cidrContains(from, flow.src);
  // IPv4 matches 0.0.0.0 against the prefix; IPv6 rules with a source prefix skip flows without one.
  return flow.family === 4 ? cidrContains(from, zeroAddress(4)) : from.prefix === 0;
}

/** Walks the policy rules in priority order and the tables they name (`fib_rules_lookup()`). */
export function fibLookup(index: RoutingIndex, flow: Flow, notes: Set<string>): FibResult {
  if (flow.family === 4 && !index.customRules4) return mergedLookup4(index, flow, notes);
  const rules = index.rules[flow.family];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!ruleMatches(rule, flow, notes)) continue;
    switch (rule.action) {
      case 'nop':
        continue;
      case 'goto': {
        // The target is the first rule with exactly that priority; evaluation resumes there.
        const target = rules.findIndex((r) => r.priority === rule.gotoPriority);
        if (target > i) i = target - 1;
        continue;
      }
      case 'blackhole':
      case 'unreachable':
      case 'prohibit':
        return { kind: 'reject', type: rule.action, rule };
      case 'lookup': {
        if (rule.suppressIfGroup !== undefined) notes.add(`rule ${rule.priority}: suppress_ifgroup is not modelled`);
        const table = routeTableName(rule.table ?? 'main');
        const result = tableLookup(index, [table], flow, notes);
        if (result.kind === 'continue') continue;
        if (result.kind === 'reject') return { kind: 'reject', type: result.type, route: result.route, rule };
        if (rule.suppressPrefixLength !== undefined && result.route.destination.prefix <= rule.suppressPrefixLength) continue;
        return { ...result, rule, table };
      }
    }
  }
  return { kind: 'none' };
}

/** The kernel's lookup while only the default rules exist (fib_lookup() in ip_fib.h). */
function mergedLookup4(index: RoutingIndex, flow: Flow, notes: Set<string>): FibResult {
  const rules = index.rules[4];
  const ruleOf = (table: string) => rules.find((r) => r.table === table) ?? rules[0]!;
  // Within a prefix, local-table aliases sort before main-table ones (higher table id first).
  const merged = tableLookup(index, ['local', 'main'], flow, notes);
  let result = merged;
  if (merged.kind !== 'route' && index.tables.has('4:default')) result = tableLookup(index, ['default'], flow, notes);
  if (result.kind === 'continue') return { kind: 'none' };
  const table = result.route.table === 'default' ? 'default' : 'main';
  if (result.kind === 'reject') return { kind: 'reject', type: result.type, route: result.route, rule: ruleOf(result.route.table) };
  return { ...result, rule: ruleOf(result.route.table), table };
}

/**
 * `__ip_dev_find()`'s fallback: whether the local table (merged with main while only the default
 * rules exist) resolves an IPv4 address to a `local` route, as AnyIP prefixes (`local
 * 10.96.0.0/12 dev lo`) do for addresses no interface holds.
 */
export function isLocalByTable4(index: RoutingIndex, address: IpAddress, notes: Set<string>): boolean {
  const flow: Flow = {
    family: 4,
    dst: address,
    src: undefined,
    iif: 'lo',
    oif: undefined,
    mark: 0,
    proto: 0,
    sport: 0,
    dport: 0,
    uid: 0,
    preferDevice: undefined,
    strictDevice: false,
  };
  const result = tableLookup(index, index.customRules4 ? ['local'] : ['local', 'main'], flow, notes);
  return result.kind === 'route' && result.route.type === 'local';
}

/** Longest-prefix match over the routes of `tables` taken together (one table, or IPv4's merged local+main). */
function tableLookup(index: RoutingIndex, tables: string[], flow: Flow, notes: Set<string>): TableResult {
  const entries = tables.map((t) => index.tables.get(`${flow.family}:${t}`)).filter((e): e is TableIndex => e !== undefined);
  if (entries.length === 0) return { kind: 'continue' };
  const lengths = entries.length === 1 ? entries[0]!.lengths : [...new Set(entries.flatMap((e) => e.lengths))].sort((a, b) => b - a);
  for (const length of lengths) {
    const network = networkOf(flow.dst, length);
    const routes = entries.flatMap((e) => e.byLength.get(length)?.get(network) ?? []);
    if (routes.length === 0) continue;
    const result = flow.family === 4 ? selectAlias4(routes, flow, notes) : selectRoute6(routes, flow, notes);
    if (result) return result;
  }
  return { kind: 'continue' };
}

function networkOf(address: IpAddress, length: number): number | bigint {
  if (address.family === 4) {
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    return (address.value & mask) >>> 0;
  }
  const all = (1n << 128n) - 1n;
  const mask = length === 0 ? 0n : (all << BigInt(128 - length)) & all;
  return address.value & mask;
}

const REJECT_TYPES = new Set<RouteType>(['blackhole', 'unreachable', 'prohibit']);

function isRejectType(type: RouteType): type is 'blackhole' | 'unreachable' | 'prohibit' {
  return REJECT_TYPES.has(type);
}

function usableNexthop(hop: RouteNexthop): boolean {
  // `linkdown` nexthops are still used unless ignore_routes_with_linkdown is set (default 0).
  return !hop.flags.includes('dead');
}

function tosMatches(route: IpRoute): boolean {
  return route.tos === undefined || Number(route.tos) === 0 || route.tos === 'default';
}

/** IPv4 `check_leaf()`: the routes of one prefix in alias order (lowest metric first). */
function selectAlias4(routes: IpRoute[], flow: Flow, notes: Set<string>): TableResult | undefined {
  for (const route of routes) {
    if (!tosMatches(route)) continue;
    if (route.type === 'throw') return { kind: 'continue' };
    if (isRejectType(route.type)) return { kind: 'reject', route, type: route.type };
    if (route.type === 'nat' || route.type === 'xresolve') {
      return { kind: 'reject', route, type: 'blackhole' };
    }
    if (route.nexthopId !== undefined && route.nexthops.every((h) => !h.device)) {
      notes.add(`route "${route.text}" uses a nexthop object whose members are not in the dump`);
      continue;
    }
    const live = route.nexthops.filter((hop) => usableNexthop(hop) && (flow.oif === undefined || hop.device === flow.oif));
    if (live.length === 0) continue;
    // With an output interface the kernel keeps the first matching nexthop and skips the hash.
    return { kind: 'route', route, nexthops: flow.oif === undefined ? live : [live[0]!] };
  }
  return undefined;
}

const PREFERENCE_SCORE: Record<string, number> = { low: 1, medium: 2, high: 3 };

/** IPv6 `rt6_select()`: the best-scored route of the lowest metric, else of the higher ones. */
function selectRoute6(routes: IpRoute[], flow: Flow, notes: Set<string>): TableResult | undefined {
  const candidates = routes.filter((route) => {
    if (!tosMatches(route)) return false;
    if (route.expiresSeconds !== undefined && route.expiresSeconds <= 0) return false;
    if (route.sourcePrefix && route.sourcePrefix.prefix !== 0) {
      notes.add(`source-specific IPv6 route "${route.text}" is matched on the query's source only`);
      return flow.src !== undefined && cidrContains(route.sourcePrefix, flow.src);
    }
    return true;
  });
  if (candidates.length === 0) return undefined;
  const lowest = candidates[0]!.metric;
  const groups = [candidates.filter((r) => r.metric === lowest), candidates.filter((r) => r.metric !== lowest)];
  for (const group of groups) {
    let best: { route: IpRoute; hops: RouteNexthop[]; score: number } | undefined;
    for (const route of group) {
      const scored = route.nexthops
        .filter(usableNexthop)
        .map((hop) => ({ hop, score: scoreNexthop6(route, hop, flow) }))
        .filter((s) => s.score >= 0);
      if (scored.length === 0) continue;
      const top = Math.max(...scored.map((s) => s.score));
      if (best && top <= best.score) continue;
      // fib6_select_path() hashes over every sibling whose score is not negative.
      best = { route, hops: scored.map((s) => s.hop), score: top };
    }
    if (!best) continue;
    if (best.route.type === 'throw') return { kind: 'continue' };
    if (isRejectType(best.route.type)) return { kind: 'reject', route: best.route, type: best.route.type };
    if (best.route.type === 'nat' || best.route.type === 'xresolve') return { kind: 'reject', route: best.route, type: 'blackhole' };
    return { kind: 'route', route: best.route, nexthops: best.hops };
  }
  return undefined;
}

function scoreNexthop6(route: IpRoute, hop: RouteNexthop, flow: Flow): number {
  const deviceMatches = flow.preferDevice === undefined || hop.device === flow.preferDevice;
  if (!deviceMatches && flow.strictDevice) return -1;
  return (deviceMatches ? 2 : 0) | ((PREFERENCE_SCORE[route.preference ?? 'medium'] ?? 2) << 2);
}

