/**
 * Route lookup as the kernel does it for `ip route get <dst> [from <src>] [iif <dev>] [oif <dev>]
 * [mark <m>]`: policy rules in priority order, then each table's longest-prefix match, then the
 * source address. Follows net/ipv4/{fib_rules,fib_trie,route}.c and net/ipv6/{fib6_rules,route}.c:
 *
 * - Rules: `from`/`to`/`fwmark`/`iif`/`oif`/`uidrange`/`ipproto`/`sport`/`dport`/`not`; actions
 *   `lookup`, `goto`, `nop`, `blackhole`, `unreachable`, `prohibit`; `suppress_prefixlength`.
 *   Locally generated traffic has input interface `lo` (so `iif lo` rules match it). A family
 *   without rules gets the kernel's defaults (0 local, 32766 main, IPv4 also 32767 default).
 * - Tables: longest prefix; among routes of one prefix IPv4 takes the lowest metric (then the
 *   first listed) and IPv6 the best-scored lowest metric (the output interface, `pref`). Dead
 *   nexthops are skipped and the search falls back to shorter prefixes, as does a route whose
 *   nexthops all miss the requested `oif`. `throw` (or no match) goes on to the next rule;
 *   `blackhole`/`unreachable`/`prohibit` end the lookup with their error.
 * - Multipath: every live nexthop is returned with its weight (the kernel picks one by flow hash).
 * - Output (no `iif`): an IPv4 `from` must be a local address; with `oif` and no route the kernel
 *   assumes the destination is on that link. Input (`iif`): IPv4 checks martians, forwarding
 *   (`net.ipv4.ip_forward`) and the source (`fib_validate_source`, with `rp_filter`).
 *
 * The result names the rule and route that decided, as evidence, and lists what it assumed or
 * could not evaluate instead of guessing silently.
 *
 * Not modelled (the differential test avoids them): the kernel's rotation between IPv4 default
 * routes of equal metric by neighbour state (fib_select_default), neighbour reachability in
 * general (IPv6 with forwarding off, fib_multipath_use_neigh), multicast and limited-broadcast
 * destinations, VRFs (l3mdev), TOS-specific routes and rules (queries carry TOS 0), nexthop
 * objects without their members, non-default IPv6 address labels and temporary-address
 * preferences. IPv6 source-specific routes (`from` on a route) are matched on the query's source
 * only. Older kernels answered rp_filter drops with EXDEV ("Invalid cross-device link"); this
 * answers EINVAL, as the 6.18 kernel the differential test ran on does.
 */
import { makeEvidence, type Evidence } from '../bundle/source-file.js';
import { formatIpAddress, ipEquals, parseIpAddress, type IpAddress } from '../netfilter/ip-cidr.js';
import type { NetInterface } from './interface-types.js';
import { fibLookup, indexRouting, isLocalByTable4, protocolNumber, type FibResult, type Flow, type RoutingIndex } from './fib-lookup.js';
import type { IpRoute, IpRule, RouteNexthop, RouteType } from './route-types.js';
import { scopeNumber, selectIpv4Source, selectIpv6Source } from './source-address-selection.js';

export interface RoutingState {
  /** `ip -d addr show` of the host, in its order (source selection walks it). */
  interfaces: readonly NetInterface[];
  /** Every route of every table, both families (`ip route show table all` and `ip -6 ...`). */
  routes: readonly IpRoute[];
  /** `ip rule show` (and `ip -6 rule show`); a family with no rules here gets the kernel's defaults. */
  rules?: readonly IpRule[];
  /**
   * The node's sysctl values (`parseSysctl(...).value.values`), read for packets arriving on an
   * interface: `net.ipv4.ip_forward` (or `net.ipv4.conf.<dev>.forwarding`),
   * `net.ipv4.conf.{all,<dev>}.rp_filter` and, when present, `accept_local` / `route_localnet`. A missing `ip_forward` or `rp_filter` takes a default
   * (forwarding on, as on any Kubernetes node; rp_filter 0) that the result lists in `assumptions`.
   */
  sysctl?: ReadonlyMap<string, { value: string }>;
}

export interface RouteQuery {
  /** Destination address. */
  dst: string;
  /** `from`: the packet's source address. */
  src?: string;
  /** `iif`: the packet arrives on this interface (forwarding or local delivery) instead of being sent by the host. */
  iif?: string;
  /** `oif`: the sender bound the socket to this interface. */
  oif?: string;
  /** `mark`: the firewall mark. */
  fwmark?: number;
  /** `ipproto`: protocol name or number, for rules with `ipproto`. */
  proto?: string | number;
  sport?: number;
  dport?: number;
  /** The sending user (`uidrange` rules); locally generated traffic defaults to 0 (root). */
  uid?: number;
}

/** The errno `ip route get` reports, and its message (`RTNETLINK answers: <message>`). */
export type RouteErrorCode = 'EINVAL' | 'EHOSTUNREACH' | 'EACCES' | 'ENETUNREACH' | 'ENODEV';

export const ROUTE_ERROR_MESSAGES: Record<RouteErrorCode, string> = {
  EINVAL: 'Invalid argument',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  ENETUNREACH: 'Network is unreachable',
  ENODEV: 'No such device',
};

export interface RouteHop {
  device?: string;
  gateway?: IpAddress;
  weight: number;
  /** The source address the kernel gives a packet leaving through this nexthop. */
  source?: IpAddress;
  /**
   * Set when a forwarded packet that the flow hash sends through this nexthop is dropped by
   * source validation (rp_filter, martian source) while other nexthops of the route pass.
   */
  rejected?: { code: RouteErrorCode; reason: string };
}

export interface RouteLookupResult {
  family: 4 | 6;
  /**
   * What happens to the packet: `unicast` (sent out), `local` (delivered to this host),
   * `broadcast`/`multicast`/`anycast`, or why it is not routed: `blackhole`/`unreachable`/
   * `prohibit` (a route or rule says so), `no-route` (nothing matched), `rejected` (martian
   * address, source validation, forwarding off, unknown device).
   */
  type: RouteType | 'no-route' | 'rejected';
  /** Set when the packet is not routed: what `ip route get` would answer. */
  error?: { code: RouteErrorCode; message: string };
  /** Why, in words. */
  reason: string;
  /** Egress device; `lo` for local delivery. Absent when nexthops disagree (multipath). */
  device?: string;
  gateway?: IpAddress;
  /** The packet's source address: the query's `src`, else the one the kernel selects. */
  source?: IpAddress;
  /** All candidate nexthops (several for multipath); empty when the packet is not routed. */
  nexthops: RouteHop[];
  /** The table of the deciding route. */
  table?: string;
  route?: IpRoute;
  rule?: IpRule;
  /** The rule line and route line that decided. */
  evidence: Evidence[];
  /** Settings that were not in the bundle and took a default. */
  assumptions: string[];
  /** Features met on the way that this lookup does not model. */
  unsupported: string[];
}

/**
 * Looks a destination up like `ip route get`. Pure; the routing state is indexed on first use
 * and the index is reused for later lookups on the same state object.
 */
export function lookupRoute(state: RoutingState, query: RouteQuery): RouteLookupResult {
  const index = indexRouting(state);
  const dst = parseIpAddress(query.dst);
  const src = query.src === undefined ? undefined : parseIpAddress(query.src);
  const family: 4 | 6 = dst?.family ?? (query.dst.includes(':') ? 6 : 4);
  const lookup = new Lookup(index, family);
  if (!dst) return lookup.reject('EINVAL', `"${query.dst}" is not an IP address`);
  if (query.src !== undefined && (!src || src.family !== family)) {
    return lookup.reject('EINVAL', `source "${query.src}" is not an IPv${family} address`);
  }
  for (const device of [query.iif, query.oif]) {
    if (device !== undefined && device !== 'lo' && !index.interfaceNames.has(device)) {
      return lookup.reject('ENODEV', `interface ${device} does not exist on this host`);
    }
  }
  const flow: Flow = {
    family,
    dst,
    src,
    iif: query.iif ?? 'lo',
    oif: query.iif === undefined ? query.oif : undefined,
    mark: (query.fwmark ?? 0) >>> 0,
    proto: protocolNumber(query.proto),
    sport: query.sport ?? 0,
    dport: query.dport ?? 0,
    uid: query.iif === undefined ? (query.uid ?? 0) : undefined,
    preferDevice: undefined,
    strictDevice: false,
  };
  if (family === 4) return query.iif === undefined ? lookup.output4(flow) : lookup.input4(flow);
  return lookup.ipv6(flow, query.iif !== undefined);
}

function isMulticast4(value: number): boolean {
  return value >>> 28 === 0xe;
}
function isLimitedBroadcast4(value: number): boolean {
  return value === 0xffffffff;
}
function isZeroNet4(value: number): boolean {
  return value >>> 24 === 0;
}
function isLoopback4(value: number): boolean {
  return value >>> 24 === 127;
}

/** A result before the lookup adds what it collected on the way. */
type ResultBody = Omit<RouteLookupResult, 'family' | 'evidence' | 'assumptions' | 'unsupported'>;

class Lookup {
  private readonly notes = new Set<string>();
  private readonly assumptions: string[] = [];

  constructor(
    private readonly index: RoutingIndex,
    private readonly family: 4 | 6,
  ) {}

  reject(code: RouteErrorCode, reason: string, extra: Partial<RouteLookupResult> = {}): RouteLookupResult {
    return this.result({ type: 'rejected', error: { code, message: ROUTE_ERROR_MESSAGES[code] }, reason, nexthops: [], ...extra });
  }

  private result(partial: ResultBody): RouteLookupResult {
    const evidence: Evidence[] = [];
    if (partial.rule && partial.rule.line > 0) {
      evidence.push(makeEvidence(partial.rule.file, partial.rule.line, partial.rule.text, 'policy rule that chose the table'));
    }
    if (partial.route) evidence.push(makeEvidence(partial.route.file, partial.route.line, partial.route.text, 'matching route'));
    return {
      family: this.family,
      ...partial,
      evidence,
      assumptions: this.assumptions,
      unsupported: [...this.notes],
    };
  }

  /** A sysctl value; a missing one takes `fallback` and, when `why` is given, is listed as assumed. */
  private sysctl(key: string, fallback: number, why: string | undefined): number {
    const entry = this.index.state.sysctl?.get(key);
    const value = entry === undefined ? undefined : Number.parseInt(entry.value, 10);
    if (value === undefined || Number.isNaN(value)) {
      if (why !== undefined) this.assumptions.push(`${key} = ${fallback} assumed (${why})`);
      return fallback;
    }
    return value;
  }

  /**
   * A per-device IPv4 setting combined with `all` as the kernel does (rp_filter: the larger;
   * accept_local, route_localnet: either). Only rp_filter, which bundles collect, is reported as
   * assumed when missing; the others are rarely changed from their default 0.
   */
  private devConf(device: string, name: 'rp_filter' | 'accept_local' | 'route_localnet', combine: 'max' | 'or'): number {
    const all = this.sysctl(`net.ipv4.conf.all.${name}`, 0, name === 'rp_filter' ? 'not collected' : undefined);
    const key = `net.ipv4.conf.${device.replaceAll('.', '/')}.${name}`;
    const entry = this.index.state.sysctl?.get(key);
    const own = entry === undefined ? 0 : Number.parseInt(entry.value, 10) || 0;
    return combine === 'max' ? Math.max(all, own) : all || own ? 1 : 0;
  }

  private isLocal(address: IpAddress): boolean {
    return this.index.localAddresses.has(formatIpAddress(address));
  }

  /** Turns a FIB error into the result `ip route get` gives. */
  private fibFailure(fib: Exclude<FibResult, { kind: 'route' }>, forcedCode?: RouteErrorCode): RouteLookupResult {
    if (fib.kind === 'none') {
      return this.result({
        type: 'no-route',
        error: { code: forcedCode ?? 'ENETUNREACH', message: ROUTE_ERROR_MESSAGES[forcedCode ?? 'ENETUNREACH'] },
        reason: 'no rule led to a table with a matching route',
        nexthops: [],
      });
    }
    // An `unreachable` route answers EHOSTUNREACH, an `unreachable` rule ENETUNREACH (fib4_rule_action, fib6_rule_action).
    const code: RouteErrorCode =
      forcedCode ??
      (fib.type === 'blackhole' ? 'EINVAL' : fib.type === 'prohibit' ? 'EACCES' : fib.route === undefined ? 'ENETUNREACH' : 'EHOSTUNREACH');
    const by = fib.route ? `route "${fib.route.text}" in table ${fib.route.table}` : `rule ${fib.rule.priority}`;
    const result: ResultBody = {
      type: fib.type,
      error: { code, message: ROUTE_ERROR_MESSAGES[code] },
      reason: `${fib.type} by ${by}`,
      nexthops: [],
      rule: fib.rule,
    };
    if (fib.route) {
      result.route = fib.route;
      result.table = fib.route.table;
    }
    return this.result(result);
  }

  private routed(
    fib: Extract<FibResult, { kind: 'route' }>,
    hops: RouteHop[],
    type: RouteType,
    source: IpAddress | undefined,
    reason: string,
  ): RouteLookupResult {
    const same = <T>(values: T[], equal: (a: T, b: T) => boolean): T | undefined =>
      values.length > 0 && values.every((v) => equal(v, values[0]!)) ? values[0] : undefined;
    const sameAddress = (a: IpAddress | undefined, b: IpAddress | undefined) =>
      a === undefined ? b === undefined : b !== undefined && ipEquals(a, b);
    const device = same(hops.map((h) => h.device), (a, b) => a === b);
    const gateway = same(hops.map((h) => h.gateway), sameAddress);
    const result: ResultBody = {
      type,
      reason,
      nexthops: hops,
      table: fib.table,
      route: fib.route,
      rule: fib.rule,
    };
    if (device !== undefined) result.device = device;
    if (gateway !== undefined) result.gateway = gateway;
    const chosenSource = source ?? same(hops.map((h) => h.source), sameAddress);
    if (chosenSource !== undefined) result.source = chosenSource;
    if (hops.length > 1) this.notes.add('multipath route: the kernel sends each flow through one nexthop chosen by hash');
    return this.result(result);
  }

  // ---- IPv4 output (`ip route get X [from S] [oif D]`) ----------------------------------------

  output4(flow: Flow): RouteLookupResult {
    const dst = flow.dst.value as number;
    if (flow.src) {
      const src = flow.src.value as number;
      if (isMulticast4(src) || isLimitedBroadcast4(src) || isZeroNet4(src)) {
        return this.reject('EINVAL', `source ${formatIpAddress(flow.src)} is a multicast, broadcast or zero-network address`);
      }
      if (!this.isLocal(flow.src) && !isLocalByTable4(this.index, flow.src, this.notes)) {
        return this.reject('ENETUNREACH', `source ${formatIpAddress(flow.src)} is not an address of this host`);
      }
    }
    if (isMulticast4(dst) || isLimitedBroadcast4(dst)) {
      this.notes.add('multicast and limited-broadcast destinations are not modelled');
    }
    if (isZeroNet4(dst)) return this.reject('EINVAL', `destination ${formatIpAddress(flow.dst)} is in 0.0.0.0/8`);
    if (flow.oif !== undefined) {
      const device = this.index.state.interfaces.find((i) => i.name === flow.oif);
      if (device && !device.up) return this.reject('ENETUNREACH', `output interface ${flow.oif} is down`);
    }
    const fib = fibLookup(this.index, flow, this.notes);
    if (fib.kind !== 'route') {
      if (flow.oif !== undefined) {
        // net/ipv4/route.c: "Apparently, routing tables are wrong. Assume, that the destination is on link."
        const source = flow.src ?? selectIpv4Source(this.index.state.interfaces, flow.oif, undefined, scopeNumber('link'));
        const hop: RouteHop = { device: flow.oif, weight: 1 };
        if (source) hop.source = source;
        const result: ResultBody = {
          type: 'unicast',
          reason: `no route; with an output interface the kernel assumes ${formatIpAddress(flow.dst)} is on link ${flow.oif}`,
          nexthops: [hop],
          device: flow.oif,
        };
        if (source) result.source = source;
        return this.result(result);
      }
      return this.fibFailure(fib);
    }
    const route = fib.route;
    if (route.type === 'local') {
      const source = flow.src ?? route.preferredSource ?? flow.dst;
      const reason = `${formatIpAddress(flow.dst)} is an address of this host (delivered through lo)`;
      return this.routed(fib, [{ device: 'lo', weight: 1, source }], 'local', source, reason);
    }
    const scope = scopeNumber(route.scope);
    const hops = fib.nexthops.map((hop) => this.hop4(route, hop, scope, flow.src));
    return this.routed(fib, hops, route.type, flow.src, describeRoute(route, hops));
  }

  private hop4(route: IpRoute, hop: RouteNexthop, scope: number, querySource: IpAddress | undefined): RouteHop {
    const result: RouteHop = { weight: hop.weight };
    if (hop.device !== undefined) result.device = hop.device;
    if (hop.gateway) result.gateway = hop.gateway;
    const gateway = hop.gateway?.family === 4 ? hop.gateway : undefined;
    const source = querySource ?? route.preferredSource ?? selectIpv4Source(this.index.state.interfaces, hop.device, gateway, scope);
    if (source) result.source = source;
    return result;
  }

  // ---- IPv4 input (`ip route get X from S iif D`) ---------------------------------------------

  input4(flow: Flow): RouteLookupResult {
    const dst = flow.dst.value as number;
    const src = (flow.src?.value as number | undefined) ?? 0;
    const srcText = flow.src ? formatIpAddress(flow.src) : '0.0.0.0';
    if (isMulticast4(src) || isLimitedBroadcast4(src)) return this.reject('EINVAL', `martian source ${srcText} (multicast or broadcast)`);
    if (isLimitedBroadcast4(dst) || isMulticast4(dst)) {
      this.notes.add('multicast and limited-broadcast destinations are not modelled');
    }
    if (isZeroNet4(src)) return this.reject('EINVAL', `martian source ${srcText} (0.0.0.0/8; give the packet a source with "from")`);
    if (isZeroNet4(dst)) return this.reject('EINVAL', `martian destination ${formatIpAddress(flow.dst)} (0.0.0.0/8)`);
    if (isLoopback4(src) || isLoopback4(dst)) {
      const localnet = this.devConf(flow.iif, 'route_localnet', 'or');
      if (!localnet) return this.reject('EINVAL', `martian ${isLoopback4(src) ? 'source' : 'destination'}: 127.0.0.0/8 arriving on ${flow.iif}`);
    }
    const fib = fibLookup(this.index, flow, this.notes);
    // The kernel checks the input interface's own `forwarding`, which writing ip_forward sets on all.
    const deviceForwarding = this.index.state.sysctl?.get(`net.ipv4.conf.${flow.iif.replaceAll('.', '/')}.forwarding`);
    const forwarding =
      deviceForwarding !== undefined
        ? deviceForwarding.value.trim() !== '0'
        : this.sysctl('net.ipv4.ip_forward', 1, 'Kubernetes nodes forward') !== 0;
    if (fib.kind !== 'route') return this.fibFailure(fib, forwarding ? undefined : 'EHOSTUNREACH');
    const route = fib.route;
    if (route.type === 'local' || route.type === 'broadcast') {
      // Broadcasts are validated as if sent to 0.0.0.0 (ip_route_input_slow(), brd_input).
      const verdict = this.validateSource(flow, undefined, route.type === 'broadcast');
      if (verdict) return this.reject(verdict.code, verdict.reason, { route, rule: fib.rule, table: route.table });
      const reason =
        route.type === 'local'
          ? `${formatIpAddress(flow.dst)} is an address of this host: delivered locally`
          : `${formatIpAddress(flow.dst)} is a broadcast address of this host: delivered locally`;
      return this.routed(fib, [{ device: 'lo', weight: 1, source: flow.src! }], route.type, flow.src, reason);
    }
    if (!forwarding) {
      return this.reject('EHOSTUNREACH', `net.ipv4.ip_forward is 0: the host does not forward packets arriving on ${flow.iif}`, {
        route,
        rule: fib.rule,
        table: route.table,
      });
    }
    if (route.type !== 'unicast') {
      return this.reject('EINVAL', `martian destination: a ${route.type} route cannot forward`, { route, rule: fib.rule, table: route.table });
    }
    const verdicts = fib.nexthops.map((hop) => this.validateSource(flow, hop.device, false));
    const failed = verdicts.filter((v) => v !== undefined);
    if (failed.length === verdicts.length && failed[0]) {
      return this.reject(failed[0].code, failed[0].reason, { route, rule: fib.rule, table: route.table });
    }
    if (failed.length > 0) this.notes.add('source validation passes for some nexthops of this multipath route and fails for others');
    const hops = fib.nexthops.map((hop, i) => {
      const result: RouteHop = { weight: hop.weight, source: flow.src! };
      if (hop.device !== undefined) result.device = hop.device;
      if (hop.gateway) result.gateway = hop.gateway;
      const verdict = verdicts[i];
      if (verdict) result.rejected = verdict;
      return result;
    });
    return this.routed(fib, hops, 'unicast', flow.src, `forwarded: ${describeRoute(route, hops)}`);
  }

  /**
   * `fib_validate_source()`: may a packet from `flow.src` arriving on `flow.iif` be accepted,
   * given it leaves through `oif` (undefined for local delivery)? Undefined when it may.
   */
  private validateSource(flow: Flow, oif: string | undefined, broadcast: boolean): { code: RouteErrorCode; reason: string } | undefined {
    const iif = flow.iif;
    const src = flow.src!;
    const rpFilter = this.devConf(iif, 'rp_filter', 'max');
    const acceptLocal = this.devConf(iif, 'accept_local', 'or') !== 0;
    // send_redirects defaults to 1, so a packet going back out its input interface gets the full check.
    if (rpFilter === 0 && iif !== oif) {
      if (acceptLocal) return undefined;
      if (!this.index.customRules4 && !this.index.customLocalRoutes4) {
        return this.isLocal(src) ? { code: 'EINVAL', reason: `martian source ${formatIpAddress(src)}: it is an address of this host` } : undefined;
      }
    }
    const reverse: Flow = {
      ...flow,
      dst: src,
      src: broadcast ? undefined : flow.dst,
      iif: oif ?? 'lo',
      oif: undefined,
      mark: 0,
      sport: flow.dport,
      dport: flow.sport,
      uid: 0,
    };
    const fib = fibLookup(this.index, reverse, this.notes);
    const strictness = rpFilter === 1 ? 'strict' : 'loose';
    // Older kernels answered EXDEV ("Invalid cross-device link") here; 6.18 answers EINVAL.
    if (fib.kind !== 'route') {
      return rpFilter
        ? { code: 'EINVAL', reason: `rp_filter (${strictness}) on ${iif}: no route back to ${formatIpAddress(src)}` }
        : undefined;
    }
    if (fib.route.type !== 'unicast' && !(fib.route.type === 'local' && acceptLocal)) {
      return { code: 'EINVAL', reason: `martian source ${formatIpAddress(src)}: the route back to it is of type ${fib.route.type}` };
    }
    const usesInterface = fib.route.nexthops.some((hop) => hop.device === iif) || (fib.route.type === 'local' && iif === 'lo');
    if (usesInterface) return undefined;
    const device = this.index.state.interfaces.find((i) => i.name === iif);
    const hasIpv4 = device?.addresses.some((a) => a.family === 4) ?? false;
    if (!hasIpv4) {
      return rpFilter
        ? { code: 'EINVAL', reason: `rp_filter (${strictness}) on ${iif}, which has no IPv4 address` }
        : undefined;
    }
    if (rpFilter === 1) {
      return {
        code: 'EINVAL',
        reason:
          `rp_filter strict on ${iif}: the route back to ${formatIpAddress(src)} ` +
          `leaves through ${fib.route.nexthops.map((h) => h.device).join(', ')}`,
      };
    }
    return undefined;
  }

  // ---- IPv6 -------------------------------------------------------------------------------------

  ipv6(flow: Flow, input: boolean): RouteLookupResult {
    const dst = flow.dst.value as bigint;
    const linkScoped = dst >> 120n === 0xffn || dst >> 118n === 0x3fan;
    if (input) {
      flow.preferDevice = flow.iif;
      flow.strictDevice = linkScoped;
    } else if (flow.oif !== undefined) {
      flow.preferDevice = flow.oif;
      flow.strictDevice = flow.src === undefined || linkScoped;
    }
    if (dst >> 120n === 0xffn) this.notes.add('multicast destinations are not modelled');
    const fib = fibLookup(this.index, flow, this.notes);
    if (fib.kind !== 'route') return this.fibFailure(fib);
    const route = fib.route;
    const selectSource = (device: string | undefined) =>
      input ? flow.src : (flow.src ?? route.preferredSource ?? selectIpv6Source(this.index.state.interfaces, device, dst));
    if (route.type === 'local') {
      const source = selectSource(route.nexthops[0]?.device);
      const hop: RouteHop = { device: 'lo', weight: 1 };
      if (source) hop.source = source;
      return this.routed(fib, [hop], 'local', source, `${formatIpAddress(flow.dst)} is an address of this host (delivered through lo)`);
    }
    const hops = fib.nexthops.map((nexthop) => {
      const hop: RouteHop = { weight: nexthop.weight };
      if (nexthop.device !== undefined) hop.device = nexthop.device;
      if (nexthop.gateway) hop.gateway = nexthop.gateway;
      const source = selectSource(nexthop.device);
      if (source) hop.source = source;
      return hop;
    });
    return this.routed(fib, hops, route.type, flow.src, (input ? 'forwarded: ' : '') + describeRoute(route, hops));
  }
}

function describeRoute(route: IpRoute, hops: RouteHop[]): string {
  const where = hops
    .map((h) => [h.gateway ? `via ${formatIpAddress(h.gateway)}` : 'directly', h.device ? `dev ${h.device}` : ''].filter(Boolean).join(' '))
    .join(' or ');
  const what = route.destination.prefix === 0 ? 'default route' : `route ${formatPrefix(route)}`;
  return `${route.type === 'unicast' ? '' : `${route.type} `}${what} in table ${route.table}: ${where}`;
}

function formatPrefix(route: IpRoute): string {
  const network: IpAddress =
    route.family === 4
      ? { family: 4, value: route.destination.network as number }
      : { family: 6, value: route.destination.network as bigint };
  return `${formatIpAddress(network)}/${route.destination.prefix}`;
}
