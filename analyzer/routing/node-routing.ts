/**
 * Every node's routing and interface state, parsed once for the routing rules and `netdump route`:
 * `ip -d addr show`, `ip -d -s link show`, `ip route show table all`, `ip rule show`, sysctl,
 * `netstat -s`, `conntrack -S` and `conntrack -C` of `nodes/<node>/`.
 *
 * The two interface listings are joined by name: ip-addr.txt has the addresses (which source
 * address selection needs), ip-link.txt the counters; both have flags, MTU and `-d` details. The
 * routing state that `lookupRoute` reads exists when ip-route.txt was collected.
 *
 * Parse problems go into the model's parse issues, once per file: ip-addr.txt and
 * conntrack-stats.txt are also read by the kube-proxy and DNS facets, which may have reported them.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { Evidence, SourceFile } from '../bundle/source-file.js';
import { parseConntrackCount, parseConntrackStats, type ConntrackCount, type ConntrackStats } from '../dns/parse-conntrack-stats.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { parseSysctl, type SysctlEntry, type SysctlSettings } from '../node/parse-sysctl.js';
import type { InterfaceListing, NetInterface } from './interface-types.js';
import { parseIpAddr } from './parse-ip-addr.js';
import { parseIpLink } from './parse-ip-link.js';
import { parseIpRoute } from './parse-ip-route.js';
import { parseIpRule } from './parse-ip-rule.js';
import { parseNetstatS, type NetworkCounters } from './parse-netstat-s.js';
import type { RoutingState } from './route-lookup.js';
import type { RouteDump, RuleDump } from './route-types.js';

export const NODE_ROUTING_FACET = 'routing/node-routing';

/** The node files this facet reads, by role. */
export const ROUTING_FILES = {
  ipAddr: 'ip-addr.txt',
  ipLink: 'ip-link.txt',
  ipRoute: 'ip-route.txt',
  ipRule: 'ip-rule.txt',
  sysctl: 'sysctl.txt',
  netstat: 'netstat-s.txt',
  conntrackStats: 'conntrack-stats.txt',
  conntrackCount: 'conntrack-count.txt',
} as const;

export interface ParsedNodeFile<T> {
  file: SourceFile;
  value: T;
}

/** One interface as both listings show it. */
export interface NodeInterface {
  name: string;
  /** From ip-addr.txt when it lists the interface, else from ip-link.txt. */
  view: NetInterface;
  /** The entry of ip-addr.txt (addresses). */
  addr?: NetInterface;
  /** The entry of ip-link.txt (counters). */
  link?: NetInterface;
}

export interface NodeRouting {
  node: string;
  /** The finding subject: `Node/<name>` when the cluster lists the node, else `Host/<name>` (a plain Docker host). */
  subject: string;
  ipAddr?: ParsedNodeFile<InterfaceListing>;
  ipLink?: ParsedNodeFile<InterfaceListing>;
  ipRoute?: ParsedNodeFile<RouteDump>;
  ipRule?: ParsedNodeFile<RuleDump>;
  sysctl?: ParsedNodeFile<SysctlSettings>;
  netstat?: ParsedNodeFile<NetworkCounters>;
  conntrackStats?: ParsedNodeFile<ConntrackStats>;
  conntrackCount?: ParsedNodeFile<ConntrackCount | undefined>;
  /** Interfaces in the kernel's order (ip-addr.txt's, then any only ip-link.txt lists). */
  interfaces: NodeInterface[];
  interface(name: string): NodeInterface | undefined;
  /** The FIB as `lookupRoute` reads it; absent without ip-route.txt. */
  routing?: RoutingState;
  /** A sysctl value as printed, undefined when not collected. */
  sysctlValue(key: string): SysctlEntry | undefined;
  /** Evidence for an interface's header line: ip-link.txt's when it lists it, else ip-addr.txt's. */
  interfaceEvidence(name: string, note?: string): Evidence | undefined;
  /** Evidence for a sysctl key's line. */
  sysctlEvidence(key: string, note?: string): Evidence | undefined;
}

export interface NodeRoutings {
  /** Nodes with at least one of the files, sorted by name. */
  nodes: NodeRouting[];
  node(name: string): NodeRouting | undefined;
}

export function nodeRoutings(model: AnalysisModel): NodeRoutings {
  return model.facet(NODE_ROUTING_FACET, buildNodeRoutings);
}

function buildNodeRoutings(model: AnalysisModel): NodeRoutings {
  const nodes: NodeRouting[] = [];
  for (const node of model.bundle.nodeNames()) {
    const read = <T>(name: string, parse: (file: SourceFile) => ParseResult<T>): ParsedNodeFile<T> | undefined => {
      const file = model.bundle.get(`nodes/${node}/${name}`);
      if (!file) return undefined;
      const parsed = parse(file);
      addParseIssuesOnce(model, file.path, parsed.issues);
      return { file, value: parsed.value };
    };
    const subject = `${model.kube.node(node) ? 'Node' : 'Host'}/${node}`;
    const routing = buildNodeRouting(node, subject, {
      ipAddr: read(ROUTING_FILES.ipAddr, parseIpAddr),
      ipLink: read(ROUTING_FILES.ipLink, parseIpLink),
      ipRoute: read(ROUTING_FILES.ipRoute, (f) => parseIpRoute(f)),
      ipRule: read(ROUTING_FILES.ipRule, (f) => parseIpRule(f)),
      sysctl: read(ROUTING_FILES.sysctl, parseSysctl),
      netstat: read(ROUTING_FILES.netstat, parseNetstatS),
      conntrackStats: read(ROUTING_FILES.conntrackStats, parseConntrackStats),
      conntrackCount: read(ROUTING_FILES.conntrackCount, parseConntrackCount),
    });
    if (routing) nodes.push(routing);
  }
  const byName = new Map(nodes.map((n) => [n.node, n]));
  return { nodes, node: (name) => byName.get(name) };
}

type NodeFiles = Pick<NodeRouting, 'ipAddr' | 'ipLink' | 'ipRoute' | 'ipRule' | 'sysctl' | 'netstat' | 'conntrackStats' | 'conntrackCount'>;

/** Joins one node's parsed files; undefined when none of them was collected. */
export function buildNodeRouting(node: string, subject: string, files: NodeFiles): NodeRouting | undefined {
  const present = Object.fromEntries(Object.entries(files).filter(([, value]) => value !== undefined)) as NodeFiles;
  if (Object.keys(present).length === 0) return undefined;

  const interfaces: NodeInterface[] = [];
  const byName = new Map<string, NodeInterface>();
  for (const iface of present.ipAddr?.value.interfaces ?? []) {
    if (byName.has(iface.name)) continue;
    const entry: NodeInterface = { name: iface.name, view: iface, addr: iface };
    byName.set(iface.name, entry);
    interfaces.push(entry);
  }
  for (const iface of present.ipLink?.value.interfaces ?? []) {
    const known = byName.get(iface.name);
    if (known) {
      known.link ??= iface;
      continue;
    }
    const entry: NodeInterface = { name: iface.name, view: iface, link: iface };
    byName.set(iface.name, entry);
    interfaces.push(entry);
  }

  const routing: NodeRouting = {
    node,
    subject,
    ...present,
    interfaces,
    interface: (name) => byName.get(name),
    sysctlValue: (key) => present.sysctl?.value.values.get(key),
    interfaceEvidence(name, note) {
      const entry = byName.get(name);
      if (!entry) return undefined;
      if (entry.link && present.ipLink) return present.ipLink.file.evidenceAtLine(entry.link.line, note);
      if (entry.addr && present.ipAddr) return present.ipAddr.file.evidenceAtLine(entry.addr.line, note);
      return undefined;
    },
    sysctlEvidence(key, note) {
      const settings = present.sysctl;
      if (!settings) return undefined;
      const line = settings.value.values.get(key)?.line ?? settings.value.missing.get(key);
      return line === undefined ? undefined : settings.file.evidenceAtLine(line, note);
    },
  };
  if (present.ipRoute) {
    const state: RoutingState = {
      interfaces: interfaces.map((i) => i.view),
      routes: present.ipRoute.value.routes,
    };
    if (present.ipRule) state.rules = present.ipRule.value.rules;
    if (present.sysctl) state.sysctl = present.sysctl.value.values;
    routing.routing = state;
  }
  return routing;
}

/** Adds a file's parse issues unless another facet already reported that file. */
export function addParseIssuesOnce(model: AnalysisModel, path: string, issues: readonly ParseIssue[]): void {
  if (issues.length === 0 || model.parseIssues.some((issue) => issue.file === path)) return;
  model.parseIssues.push(...issues);
}
