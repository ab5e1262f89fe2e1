/**
 * `birdcl show route` in calico-node (bundle: `nodes/<node>/calico/bird-routes.txt`). Calico runs
 * BIRD 1.6 (`%-18s %s [%s %s%s]%s%s`: prefix, next hop, [protocol time from], primary mark, info):
 *
 *   BIRD v0.3.3+birdv1.6.8 ready.
 *   0.0.0.0/0          via 10.0.0.1 on eth0 [kernel1 2023-01-02] * (10)
 *   10.244.1.0/26      via 10.0.0.11 on tunl0 [Mesh_10_0_0_11 10:15:34] * (100/0) [i]
 *                      via 10.0.0.12 on tunl0 [Mesh_10_0_0_12 10:15:35 from 10.0.0.12] (100/0) [i]
 *   10.244.0.0/26      blackhole [static1 10:15:30] * (200)
 *   10.244.0.5/32      dev cali12345abcd [kernel1 10:15:32] * (10)
 *   10.96.0.0/12       multipath [static2 10:15:30] * (200)
 *   	via 10.0.0.1 on eth0 weight 1
 *   	via 10.0.0.2 on eth1 weight 1
 *
 * BIRD 2 prints the route type on the route line and each next hop on a tab-indented line after
 * it, under `Table master4:` headings:
 *
 *   Table master4:
 *   10.244.1.0/26        unicast [Mesh_10_0_0_11 10:15:34.123] * (100/0) [i]
 *   	via 10.0.0.11 on tunl0
 *
 * A line without a prefix is another route to the prefix above (not selected unless marked `*`).
 * For BGP routes the info is `(preference/IGP metric) [AS<origin AS><origin>]`; a metric of `-`
 * means BIRD cannot resolve the next hop, so the route is not installed.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseCidr, parseIpAddress, type Cidr, type IpAddress } from '../netfilter/ip-cidr.js';
import { IssueSink } from '../netfilter/issue-sink.js';

/** BIRD's destination word: `via`/`dev` routes are `router`/`device`; BIRD 2 says `unicast`. */
export type BirdRouteKind = 'router' | 'device' | 'unicast' | 'multipath' | 'blackhole' | 'unreachable' | 'prohibited';

export interface BirdNexthop {
  gateway?: IpAddress;
  gatewayText?: string;
  device?: string;
  weight?: number;
  line: number;
}

export interface BirdRoute {
  prefixText: string;
  prefix?: Cidr;
  /** BIRD 2's `Table master4:` heading; BIRD 1 prints none. */
  table?: string;
  kind: BirdRouteKind;
  nexthops: BirdNexthop[];
  /** The protocol that supplied the route: `kernel1`, `static1`, `direct1`, `Mesh_10_0_0_11`, `Node_...`, `Global_...`. */
  protocol: string;
  /** When the route last changed, as printed (a time of day, or a date). */
  since: string;
  /** BGP: the neighbour that sent the route, when it is not the next hop. */
  from?: string;
  /** Marked `*` (or `!`): the route BIRD selected for the prefix. */
  primary: boolean;
  /** Marked `!`: selected, but BIRD failed to write it to the kernel. */
  syncError: boolean;
  preference?: number;
  /** BGP: the IGP metric to the next hop; `?` unknown, `-` the next hop cannot be resolved. */
  igpMetric?: number | '?' | '-';
  originAs?: number;
  /** BGP origin: `i` (IGP), `e` (EGP), `?` (incomplete). */
  origin?: 'i' | 'e' | '?';
  /** `show route all` attribute lines (`BGP.next_hop: 10.0.0.11`), by name. */
  attributes: Record<string, string>;
  line: number;
}

export interface BirdRouteDump {
  file: string;
  /** From the banner (`BIRD v0.3.3+birdv1.6.8 ready.`). */
  version?: string;
  routes: BirdRoute[];
}

const BANNER = /^BIRD (\S+) ready\.?$/;
const TABLE = /^Table (\S+):$/;
const ROUTE = /^(via (\S+) on (\S+)|dev (\S+)|unicast|multipath|blackhole|unreachable|prohibited)\s+\[([^\]]*)\]([ \t]+[*!])?(.*)$/;
const NEXTHOP = /^(?:via (\S+) on (\S+)|dev (\S+))(?: weight (\d+))?/;
/** `(pref[-][s][/metric]) [AS<n><origin>]`: `-` marks a suppressed route, `s` a stale one. */
const INFO = /^\((\d+)-?s?(?:\/(\d+|\?|-))?\)(?:\s*\[(?:AS(\d+))?([ie?])?\])?/;
const ATTRIBUTE = /^([A-Za-z][\w.]*):\s*(.*)$/;

export function parseBirdRoutes(file: SourceFile): ParseResult<BirdRouteDump> {
  const sink = new IssueSink(file.path);
  const dump: BirdRouteDump = { file: file.path, routes: [] };
  let table: string | undefined;
  let prefixText: string | undefined;
  let last: BirdRoute | undefined;

  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    const banner = BANNER.exec(text);
    if (banner) {
      dump.version = banner[1]!;
      continue;
    }
    const heading = TABLE.exec(text);
    if (heading && !/^\s/.test(raw)) {
      table = heading[1]!;
      prefixText = undefined;
      last = undefined;
      continue;
    }
    if (raw.startsWith('\t')) {
      // A next hop of the route above (multipath, BIRD 2), or an attribute of `show route all`.
      if (!last) {
        sink.add('BAD_LINE', line, 'next-hop line without a route above it', { text: raw });
        continue;
      }
      const hop = NEXTHOP.exec(text);
      if (hop) {
        last.nexthops.push(nexthop(hop[1], hop[2] ?? hop[3], hop[4], line));
        continue;
      }
      const attribute = ATTRIBUTE.exec(text);
      if (attribute) {
        last.attributes[attribute[1]!] = attribute[2]!;
        continue;
      }
      sink.add('BAD_LINE', line, 'not a next hop (`via <address> on <device>`, `dev <device>`) or a route attribute', { text: raw });
      continue;
    }
    let rest = text;
    if (!/^\s/.test(raw)) {
      const space = text.search(/\s/);
      const first = space === -1 ? text : text.slice(0, space);
      if (!first.includes('/') && !parseIpAddress(first)) {
        sink.add('BAD_LINE', line, 'not a line of `birdcl show route`', { text: raw });
        last = undefined;
        continue;
      }
      prefixText = first;
      rest = space === -1 ? '' : text.slice(space).trim();
    } else if (prefixText === undefined) {
      sink.add('BAD_LINE', line, 'an alternative route without a prefix above it', { text: raw });
      continue;
    }
    const route = readRoute(prefixText, rest, line, table);
    if (!route) {
      sink.add('BAD_LINE', line, `route to ${prefixText}: expected "<next hop> [<protocol> <time>] [*] (<preference>)"`, { text: raw });
      last = undefined;
      continue;
    }
    if (!route.prefix) sink.add('BAD_LINE', line, `"${prefixText}" is not a prefix`, { text: raw, severity: 'warning' });
    dump.routes.push(route);
    last = route;
  }
  return { value: dump, issues: sink.finish() };
}

function readRoute(prefixText: string, rest: string, line: number, table: string | undefined): BirdRoute | undefined {
  const match = ROUTE.exec(rest);
  if (!match) return undefined;
  const [, destination = '', viaGateway, viaDevice, device, bracket = '', mark, info = ''] = match;
  const kind: BirdRouteKind = viaGateway !== undefined ? 'router' : device !== undefined ? 'device' : (destination as BirdRouteKind);
  const words = bracket.trim().split(/\s+/);
  const fromAt = words.indexOf('from');
  const route: BirdRoute = {
    prefixText,
    kind,
    nexthops: [],
    protocol: words[0] ?? '',
    since: (fromAt === -1 ? words.slice(1) : words.slice(1, fromAt)).join(' '),
    primary: mark !== undefined,
    syncError: mark?.trim() === '!',
    // No prototype: attribute names come from the file.
    attributes: Object.create(null) as Record<string, string>,
    line,
  };
  const prefix = parseCidr(prefixText);
  if (prefix) route.prefix = prefix;
  if (table !== undefined) route.table = table;
  if (fromAt !== -1 && words[fromAt + 1] !== undefined) route.from = words[fromAt + 1]!;
  if (viaGateway !== undefined || device !== undefined) route.nexthops.push(nexthop(viaGateway, viaDevice ?? device, undefined, line));
  const details = INFO.exec(info.trim());
  if (details) {
    route.preference = Number(details[1]);
    if (details[2] !== undefined) route.igpMetric = /^\d+$/.test(details[2]) ? Number(details[2]) : (details[2] as '?' | '-');
    if (details[3] !== undefined) route.originAs = Number(details[3]);
    if (details[4] !== undefined) route.origin = details[4] as 'i' | 'e' | '?';
  }
  return route;
}

function nexthop(gatewayText: string | undefined, device: string | undefined, weight: string | undefined, line: number): BirdNexthop {
  const hop: BirdNexthop = { line };
  if (gatewayText !== undefined) {
    hop.gatewayText = gatewayText;
    const gateway = parseIpAddress(gatewayText);
    if (gateway) hop.gateway = gateway;
  }
  if (device !== undefined) hop.device = device;
  if (weight !== undefined) hop.weight = Number(weight);
  return hop;
}
