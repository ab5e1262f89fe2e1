/**
 * `ip route show table all` and `ip -6 route show table all` (bundle: `nodes/<node>/ip-route.txt`,
 * `pods/<ns>/<pod>/ip-route.txt`):
 *
 *   default via 172.31.0.1 dev eth0 proto dhcp src 172.31.12.123 metric 100
 *   10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
 *   blackhole 10.244.1.0/26 proto bird
 *   default proto bird metric 20
 *   	nexthop via 10.0.0.2 dev eth0 weight 1
 *   	nexthop via 10.0.0.3 dev eth1 weight 1
 *   local 10.244.1.1 dev cali12 table local proto kernel scope host src 10.244.1.1
 *   fd00:9::/64 via fd00:1::fe dev eth0 metric 1024 pref medium
 *   10.72.0.0/16 via inet6 fe80::1 dev eth1
 *
 * Newer iproute2 lists IPv6 routes under `table all` too; the family of each route comes from its
 * prefix, and for `default` from its gateway, source or IPv6-only attributes (`pref`), else from
 * the `family` option. Lines indented under a route are its multipath `nexthop`s (or the `cache`
 * lines of `ip route get`, which are skipped). Unknown attributes are reported, never fatal.
 */
import type { SourceFile } from '../bundle/source-file.js';
import type { ParseResult } from '../bundle/parse-issue.js';
import { parseCidr, parseIpAddress, type Cidr } from '../netfilter/ip-cidr.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { routeTableName } from './route-table-name.js';
import { ROUTE_TYPES, type IpRoute, type RouteDump, type RouteNexthop, type RouteType } from './route-types.js';

export interface ParseIpRouteOptions {
  /** Family of `default` routes that nothing else identifies: 6 for `ip -6 route` files. Default 4. */
  family?: 4 | 6;
  /** Table of routes that print none: `ip route show table 100` omits it. Default `main`. */
  table?: string;
}

const FLAG_WORDS = new Set([
  'onlink',
  'pervasive',
  'linkdown',
  'dead',
  'offload',
  'trap',
  'notify',
  'unresolved',
  'rt_offload',
  'rt_trap',
  'rt_offload_failed',
]);

/** Route metrics that take a value, optionally preceded by `lock`. */
const METRIC_WORDS = new Set([
  'mtu',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'initcwnd',
  'initrwnd',
  'ssthresh',
  'rto_min',
  'hoplimit',
  'features',
  'quickack',
  'congctl',
  'fastopen_no_cookie',
]);

/** Single-value attributes read but not modelled. */
const IGNORED_VALUE_WORDS = new Set(['realms', 'error', 'uid', 'iif', 'oif', 'mark', 'ipproto', 'sport', 'dport']);

const IPV6_ONLY_WORDS = new Set(['pref', 'error']);

const VALUE_WORDS = new Set([
  'via', 'dev', 'table', 'proto', 'scope', 'src', 'from', 'metric', 'preference', 'priority',
  'tos', 'dsfield', 'pref', 'expires', 'nhid', 'encap', 'nexthop', 'lock',
]);

function isKnownWord(token: string): boolean {
  return VALUE_WORDS.has(token) || FLAG_WORDS.has(token) || METRIC_WORDS.has(token) || IGNORED_VALUE_WORDS.has(token);
}

interface RouteDraft {
  route: IpRoute;
  /** A gateway or IPv6-only attribute said which family a `default` route is. */
  familyKnown: boolean;
}

export function parseIpRoute(file: SourceFile, options: ParseIpRouteOptions = {}): ParseResult<RouteDump> {
  const sink = new IssueSink(file.path);
  const routes: IpRoute[] = [];
  let draft: RouteDraft | undefined;

  const finish = () => {
    if (!draft) return;
    if (!draft.familyKnown && draft.route.destination.family !== (options.family ?? 4)) {
      // Only `default` can reach here: a printed prefix always fixes the family.
      draft.route.family = options.family ?? 4;
      draft.route.destination = defaultDestination(draft.route.family);
    }
    routes.push(draft.route);
    draft = undefined;
  };

  for (let lineNumber = 1; lineNumber <= file.lineCount; lineNumber++) {
    const raw = file.lineText(lineNumber);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    const tokens = text.split(/\s+/);
    if (/^\s/.test(raw)) {
      if (tokens[0] === 'cache') continue;
      if (tokens[0] === 'nexthop' && draft) {
        readNexthops(draft, tokens, 0, lineNumber, sink, raw);
        draft.route.lastLine = lineNumber;
        draft.route.text += ` ${text}`;
        continue;
      }
      sink.add('BAD_LINE', lineNumber, draft ? 'unexpected continuation line' : 'continuation line without a route', {
        text: raw,
      });
      continue;
    }
    finish();
    draft = readRoute(file.path, tokens, lineNumber, text, options, sink, raw);
  }
  finish();
  return { value: { file: file.path, routes }, issues: sink.finish() };
}

function defaultDestination(family: 4 | 6): Cidr & { prefix: number } {
  return parseCidr(family === 4 ? '0.0.0.0/0' : '::/0') as Cidr & { prefix: number };
}

function readRoute(
  path: string,
  tokens: string[],
  line: number,
  text: string,
  options: ParseIpRouteOptions,
  sink: IssueSink,
  raw: string,
): RouteDraft | undefined {
  let i = 0;
  let type: RouteType = 'unicast';
  if (ROUTE_TYPES.has(tokens[0]!) && tokens.length > 1) {
    type = tokens[0] as RouteType;
    i++;
  }
  const prefixText = tokens[i++]!;
  let destination: (Cidr & { prefix: number }) | undefined;
  let familyKnown = true;
  if (prefixText === 'default') {
    destination = defaultDestination(options.family ?? 4);
    familyKnown = false;
  } else {
    const cidr = parseCidr(prefixText);
    if (cidr && cidr.prefix !== undefined) destination = cidr as Cidr & { prefix: number };
  }
  if (!destination) {
    sink.add('BAD_LINE', line, `not a route: "${prefixText}" is not a prefix`, { text: raw });
    return undefined;
  }
  const route: IpRoute = {
    family: destination.family,
    type,
    destination,
    table: routeTableName(options.table ?? 'main'),
    metric: 0,
    nexthops: [],
    multipath: false,
    flags: [],
    file: path,
    line,
    lastLine: line,
    text,
  };
  const draft: RouteDraft = { route, familyKnown };
  const single: RouteNexthop = { weight: 1, flags: [], line };

  const setFamily = (family: 4 | 6) => {
    if (draft.familyKnown) return;
    draft.familyKnown = true;
    route.family = family;
    route.destination = defaultDestination(family);
  };

  while (i < tokens.length) {
    const key = tokens[i]!;
    const value = tokens[i + 1];
    if (key === 'nexthop') {
      route.nexthops.push(single);
      readNexthops(draft, tokens, i, line, sink, raw);
      break;
    }
    if (FLAG_WORDS.has(key)) {
      route.flags.push(key);
      if (key !== 'notify' && key !== 'offload' && key !== 'trap') single.flags.push(key);
      i++;
      continue;
    }
    if (key === 'lock' && value !== undefined && METRIC_WORDS.has(value)) {
      // Old iproute2 prints `lock mtu 1400`; newer prints `mtu lock 1400`.
      i = readMetric(route, tokens, i + 1, true);
      continue;
    }
    if (METRIC_WORDS.has(key)) {
      i = readMetric(route, tokens, i, false);
      continue;
    }
    if (value === undefined) {
      sink.add('UNSUPPORTED_FEATURE', line, `route attribute "${key}" without a value`, { text: raw, severity: 'warning' });
      break;
    }
    switch (key) {
      case 'via': {
        let gatewayText = value;
        let explicit: 4 | 6 | undefined;
        if ((value === 'inet' || value === 'inet6') && tokens[i + 2] !== undefined) {
          explicit = value === 'inet' ? 4 : 6;
          gatewayText = tokens[i + 2]!;
          i++;
        }
        const gateway = parseIpAddress(gatewayText);
        if (!gateway) {
          sink.add('BAD_LINE', line, `unreadable gateway "${gatewayText}"`, { text: raw });
        } else {
          single.gateway = gateway;
          // `via inet6` marks a gateway of the other family than the route's own.
          if (explicit === undefined) setFamily(gateway.family);
          else setFamily(gateway.family === 4 ? 6 : 4);
        }
        break;
      }
      case 'dev':
        single.device = value;
        break;
      case 'table':
        route.table = routeTableName(value);
        break;
      case 'proto':
        route.protocol = value;
        break;
      case 'scope':
        route.scope = value;
        break;
      case 'src': {
        const source = parseIpAddress(value);
        if (source) {
          route.preferredSource = source;
          setFamily(source.family);
        } else sink.add('BAD_LINE', line, `unreadable source address "${value}"`, { text: raw });
        break;
      }
      case 'from': {
        const prefix = parseCidr(value);
        if (prefix) {
          route.sourcePrefix = prefix;
          setFamily(prefix.family);
        } else sink.add('BAD_LINE', line, `unreadable source prefix "${value}"`, { text: raw });
        break;
      }
      case 'metric':
      case 'preference':
      case 'priority':
        if (/^\d+$/.test(value)) route.metric = Number(value);
        else sink.add('BAD_LINE', line, `unreadable metric "${value}"`, { text: raw });
        break;
      case 'tos':
      case 'dsfield':
        route.tos = value;
        break;
      case 'pref':
        route.preference = value;
        break;
      case 'expires': {
        const seconds = /^(-?\d+)sec$/.exec(value);
        if (seconds) route.expiresSeconds = Number(seconds[1]);
        break;
      }
      case 'nhid':
        if (/^\d+$/.test(value)) route.nexthopId = Number(value);
        break;
      case 'encap':
        sink.add('UNSUPPORTED_FEATURE', line, `route encapsulation (encap ${value}) is not modelled`, {
          text: raw,
          severity: 'warning',
          kind: 'encap',
          what: 'routes with encap',
        });
        i = tokens.length;
        continue;
      default:
        if (!IGNORED_VALUE_WORDS.has(key)) {
          sink.add('UNSUPPORTED_FEATURE', line, `unknown route attribute "${key}"`, {
            text: raw,
            severity: 'warning',
            kind: `attr:${key}`,
            what: `routes with "${key}"`,
          });
          // Skip its value too, unless what follows is itself an attribute this parser knows.
          i += isKnownWord(value) ? 1 : 2;
          continue;
        }
    }
    if (IPV6_ONLY_WORDS.has(key)) setFamily(6);
    i += 2;
  }
  if (!route.multipath) route.nexthops.push(single);
  return draft;
}

/** Reads `nexthop via X dev Y weight N [flags]` groups starting at tokens[start] (which is `nexthop`). */
function readNexthops(
  draft: RouteDraft,
  tokens: string[],
  start: number,
  line: number,
  sink: IssueSink,
  raw: string,
): void {
  const route = draft.route;
  if (!route.multipath) {
    route.multipath = true;
    // A gateway or device printed on the route's own line is its first path.
    route.nexthops = route.nexthops.filter((hop) => hop.gateway !== undefined || hop.device !== undefined);
  }
  let hop: RouteNexthop | undefined;
  for (let i = start; i < tokens.length; i++) {
    const key = tokens[i]!;
    if (key === 'nexthop') {
      hop = { weight: 1, flags: [], line };
      route.nexthops.push(hop);
      continue;
    }
    if (!hop) break;
    if (FLAG_WORDS.has(key)) {
      hop.flags.push(key);
      continue;
    }
    let value = tokens[i + 1];
    if (value === undefined) {
      sink.add('BAD_LINE', line, `nexthop attribute "${key}" without a value`, { text: raw });
      break;
    }
    i++;
    if (key === 'via') {
      let explicit = false;
      if ((value === 'inet' || value === 'inet6') && tokens[i + 1] !== undefined) {
        value = tokens[++i]!;
        explicit = true;
      }
      const gateway = parseIpAddress(value);
      if (gateway) {
        hop.gateway = gateway;
        if (!draft.familyKnown) {
          // `via inet6` marks a gateway of the other family than the route's own.
          const family = explicit ? (gateway.family === 4 ? 6 : 4) : gateway.family;
          draft.familyKnown = true;
          route.family = family;
          route.destination = defaultDestination(family);
        }
      } else sink.add('BAD_LINE', line, `unreadable nexthop gateway "${value}"`, { text: raw });
    } else if (key === 'dev') {
      hop.device = value;
    } else if (key === 'weight') {
      if (/^\d+$/.test(value)) hop.weight = Number(value);
      else sink.add('BAD_LINE', line, `unreadable nexthop weight "${value}"`, { text: raw });
    } else if (key !== 'realms' && key !== 'encap') {
      sink.add('UNSUPPORTED_FEATURE', line, `unknown nexthop attribute "${key}"`, { text: raw, severity: 'warning' });
    }
  }
}

function readMetric(route: IpRoute, tokens: string[], at: number, lockedBefore: boolean): number {
  const key = tokens[at]!;
  let i = at + 1;
  let locked = lockedBefore;
  if (tokens[i] === 'lock') {
    locked = true;
    i++;
  }
  const value = tokens[i];
  if (value === undefined) return i;
  if (key === 'mtu' && /^\d+$/.test(value)) route.mtu = { value: Number(value), locked };
  return i + 1;
}
