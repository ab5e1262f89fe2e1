/**
 * `netdump route`: one node's answer to `ip route get`, from the bundle. Looks the destination up
 * in the node's FIB (policy rules, tables, longest prefix, multipath) and says what the addresses
 * are in the cluster (a pod, a node, a Service, a podCIDR), then renders it for a terminal (the
 * first line in `ip route get`'s own format, then the evidence) or as JSON.
 *
 *   10.244.2.5 via 10.0.1.13 dev tunl0 src 10.0.1.12
 *     type         unicast: route 10.244.2.0/24 in table main: via 10.0.1.13 dev tunl0
 *     rule         nodes/node-b/ip-rule.txt:3  32766:	from all lookup main
 *     route        nodes/node-b/ip-route.txt:6  10.244.2.0/26 via 10.0.1.13 dev tunl0 proto bird onlink
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { cidrContains, formatIpAddress, parseIpAddress, type IpAddress } from '../netfilter/ip-cidr.js';
import { clusterAddressing } from './node-addressing.js';
import { nodeRoutings } from './node-routing.js';
import { lookupRoute, type RouteHop, type RouteLookupResult, type RouteQuery } from './route-lookup.js';

export interface RouteGetRequest {
  node: string;
  dst: string;
  src?: string;
  iif?: string;
  fwmark?: number;
}

export interface RouteGetAnswer {
  node: string;
  request: RouteGetRequest;
  /** The `ip route get` command this answers. */
  command: string;
  result: RouteLookupResult;
  /** What the destination and source are in the cluster ("pod shop/cart-1 on node-c"). */
  destination?: string;
  source?: string;
  /** Files the lookup read, and those it would have liked. */
  read: string[];
  notes: string[];
}

/** Looks the destination up on the node; an error message when the bundle cannot answer. */
export function routeGet(model: AnalysisModel, request: RouteGetRequest): RouteGetAnswer | { error: string } {
  const routings = nodeRoutings(model);
  const node = routings.node(request.node);
  if (!node) {
    const known = model.bundle.nodeNames();
    return { error: `node ${request.node} has no files in the bundle${known.length > 0 ? ` (nodes: ${known.join(', ')})` : ''}` };
  }
  if (!node.routing || !node.ipRoute) return { error: `no nodes/${request.node}/ip-route.txt in the bundle: the routes of ${request.node} were not collected` };
  const query: RouteQuery = { dst: request.dst };
  if (request.src !== undefined) query.src = request.src;
  if (request.iif !== undefined) query.iif = request.iif;
  if (request.fwmark !== undefined) query.fwmark = request.fwmark;
  const result = lookupRoute(node.routing, query);

  const read = [node.ipRoute.file.path];
  const notes: string[] = [];
  if (node.ipRule) read.push(node.ipRule.file.path);
  else notes.push(`nodes/${request.node}/ip-rule.txt not collected: the kernel's default rules assumed (0 local, 32766 main, 32767 default)`);
  if (node.ipAddr) read.push(node.ipAddr.file.path);
  else notes.push(`nodes/${request.node}/ip-addr.txt not collected: local addresses and source selection only from the routes`);
  if (node.sysctl) read.push(node.sysctl.file.path);

  const answer: RouteGetAnswer = { node: request.node, request, command: commandOf(request), result, read, notes };
  const destination = describeAddress(model, request.dst);
  if (destination) answer.destination = destination;
  const source = request.src === undefined ? undefined : describeAddress(model, request.src);
  if (source) answer.source = source;
  return answer;
}

function commandOf(request: RouteGetRequest): string {
  const words = ['ip', 'route', 'get', request.dst];
  if (request.src !== undefined) words.push('from', request.src);
  if (request.iif !== undefined) words.push('iif', request.iif);
  if (request.fwmark !== undefined) words.push('mark', `0x${request.fwmark.toString(16)}`);
  return words.join(' ');
}

/** What an address is in the cluster: a pod, a node, a Service, or an address in a node's podCIDR. */
export function describeAddress(model: AnalysisModel, text: string): string | undefined {
  const address = parseIpAddress(text);
  if (!address) return undefined;
  const kube = model.kube;
  const pods = kube.podsByIP(formatIpAddress(address)).filter((p) => !p.hostNetwork);
  if (pods[0]) return `pod ${pods[0].namespace}/${pods[0].name}${pods[0].nodeName ? ` on ${pods[0].nodeName}` : ''}`;
  const node = kube.nodes.find((n) => n.addresses.some((a) => sameAddress(a.address, address)));
  if (node) return `node ${node.name} (${node.addresses.find((a) => sameAddress(a.address, address))!.type})`;
  const service = kube.serviceByClusterIP(formatIpAddress(address));
  if (service) return `ClusterIP of Service ${service.namespace}/${service.name}`;
  for (const entry of clusterAddressing(model).nodes) {
    const cidr = entry.podCidrs.find((c) => cidrContains(c.cidr, address));
    if (cidr) return `in ${entry.name}'s podCIDR ${cidr.text} (no pod has it)`;
  }
  return undefined;
}

function sameAddress(text: string, address: IpAddress): boolean {
  const parsed = parseIpAddress(text);
  return parsed !== undefined && parsed.family === address.family && parsed.value === address.value;
}

/** The first line `ip route get` prints for this result (or its RTNETLINK error). */
export function routeGetLine(answer: RouteGetAnswer): string {
  const { result, request } = answer;
  if (result.error && result.nexthops.length === 0) return `RTNETLINK answers: ${result.error.message}`;
  const words: string[] = [];
  if (result.type !== 'unicast') words.push(result.type);
  words.push(request.dst);
  if (request.src !== undefined) words.push('from', request.src);
  const single = result.nexthops.length === 1 ? result.nexthops[0] : undefined;
  const gateway = result.gateway ?? single?.gateway;
  if (gateway) words.push('via', formatIpAddress(gateway));
  const device = result.device ?? single?.device;
  if (device) words.push('dev', device);
  if (result.table && result.table !== 'main') words.push('table', result.table);
  if (request.iif === undefined && result.source) words.push('src', formatIpAddress(result.source));
  if (request.fwmark !== undefined) words.push('mark', `0x${request.fwmark.toString(16)}`);
  if (request.iif !== undefined) words.push('iif', request.iif);
  return words.join(' ');
}

function formatHop(hop: RouteHop): string {
  const words: string[] = [];
  if (hop.gateway) words.push('via', formatIpAddress(hop.gateway));
  if (hop.device) words.push('dev', hop.device);
  words.push('weight', String(hop.weight));
  if (hop.source) words.push('src', formatIpAddress(hop.source));
  if (hop.rejected) words.push(`(dropped: ${hop.rejected.reason})`);
  return words.join(' ');
}

function evidenceLine(e: Evidence): string {
  return `${e.file}:${e.line}  ${e.text}`;
}

export function renderRouteGetText(answer: RouteGetAnswer): string {
  const { result } = answer;
  const lines: string[] = [`${answer.node}: ${answer.command}`, routeGetLine(answer)];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(12)} ${text}`);
  row('type', `${result.type}${result.error ? ` (${result.error.code})` : ''}: ${result.reason}`);
  const rule = result.rule;
  if (rule) row('rule', rule.line > 0 ? evidenceLine({ file: rule.file, line: rule.line, text: rule.text }) : `${rule.text.replace('\t', ' ')}  (kernel default rule)`);
  if (result.route) row('route', evidenceLine({ file: result.route.file, line: result.route.line, text: result.route.text }));
  if (result.nexthops.length > 1) {
    row('nexthops', `${result.nexthops.length} (multipath: each flow takes one, chosen by hash)`);
    result.nexthops.forEach((hop, i) => lines.push(`    ${i + 1}. ${formatHop(hop)}`));
  } else if (result.nexthops[0]?.rejected) {
    row('dropped', result.nexthops[0].rejected.reason);
  }
  if (answer.destination) row('destination', answer.destination);
  if (answer.source) row('source', answer.source);
  const list = (label: string, items: readonly string[]) => {
    if (items.length === 0) return;
    lines.push(`  ${label}:`);
    for (const item of items) lines.push(`    - ${item}`);
  };
  list('assumed', [...result.assumptions, ...answer.notes]);
  list('not modelled', result.unsupported);
  lines.push(`  read         ${answer.read.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function routeGetJson(answer: RouteGetAnswer): Record<string, unknown> {
  const { result } = answer;
  const address = (a: IpAddress | undefined) => (a === undefined ? undefined : formatIpAddress(a));
  return {
    node: answer.node,
    command: answer.command,
    query: answer.request,
    line: routeGetLine(answer),
    type: result.type,
    error: result.error,
    reason: result.reason,
    device: result.device,
    gateway: address(result.gateway),
    source: address(result.source),
    table: result.table,
    nexthops: result.nexthops.map((h) => ({
      device: h.device,
      gateway: address(h.gateway),
      weight: h.weight,
      source: address(h.source),
      ...(h.rejected ? { rejected: h.rejected } : {}),
    })),
    rule: result.rule ? { priority: result.rule.priority, text: result.rule.text, file: result.rule.file || undefined, line: result.rule.line || undefined, kernelDefault: result.rule.line === 0 } : undefined,
    route: result.route ? { text: result.route.text, table: result.route.table, file: result.route.file, line: result.route.line } : undefined,
    evidence: result.evidence,
    destinationIs: answer.destination,
    sourceIs: answer.source,
    assumptions: [...result.assumptions, ...answer.notes],
    unsupported: result.unsupported,
    read: answer.read,
  };
}
