/**
 * `cilium status --verbose` / `cilium-dbg status --verbose` (bundle: `nodes/<node>/cilium/status.txt`):
 * `Key:   value` lines (tabwriter columns), some followed by indented blocks.
 *
 *   KVStore:                 Ok   Disabled
 *   Kubernetes:              Ok   1.28 (v1.28.4) [linux/amd64]
 *   KubeProxyReplacement:    True   [eth0   10.4.1.6 (Direct Routing)]
 *   Cilium:                  Ok   1.15.1 (v1.15.1-a368c8f0)
 *   IPAM:                    IPv4: 3/254 allocated from 10.0.1.0/24,
 *   Allocated addresses:
 *     10.0.1.140 (router)
 *     10.0.1.173 (kube-system/coredns-6df9654f86-vtbkj)
 *   Routing:                 Network: Tunnel [vxlan]   Host: Legacy
 *   Masquerading:            IPTables [IPv4: Enabled, IPv6: Disabled]
 *   Controller Status:       21/22 healthy
 *     Name               Last success   Last error   Count   Message
 *     cilium-health-ep   23m36s ago     49s ago      29      Get "http://10.1.132.248:4240/hello": context deadline exceeded
 *   Proxy Status:            OK, ip 10.0.1.140, 0 redirects active on ports 10000-20000, Envoy: embedded
 *   Encryption:              Wireguard   [NodeEncryption: Disabled, cilium_wg0 (Pubkey: …, Port: 51871, Peers: 2)]
 *   Cluster health:          1/2 reachable   (2024-07-17T12:45:45Z)
 *     Name                   IP             Node          Endpoints
 *     kind-worker (localhost) 172.18.0.3    reachable     reachable
 *     kind-worker2            172.18.0.4    unreachable   unreachable
 *
 * Layouts differ by version: `KVStore: Disabled` alone (1.15+), `Host Routing:` (1.9–1.15) then
 * `Routing: Network: … Host: …` (1.16+), `IPv4 address pool: 9/255 allocated` (≤1.5) then `IPAM:`,
 * the cluster health table as `Reachable / Endpoints reachable` true/false (≤1.12),
 * `Node / Endpoints` reachable/unreachable, or `1/1`-style counts (1.14+), and with `--verbose`
 * per node `Host connectivity to …: ICMP to stack: OK`. Every `Key: value` line is kept in
 * `fields`, whether or not a typed reading exists for it. An agent that did not answer prints
 * `Error: …` / `Is the agent running?`: that is `agentError`.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';

export interface CiliumStatusLine {
  text: string;
  line: number;
}

/** A top-level `Key: value` line and the indented lines under it. */
export interface CiliumStatusField {
  key: string;
  value: string;
  line: number;
  block: CiliumStatusLine[];
}

/** `Ok   Disabled`, `Failure   Err: …`, `Warning   …`: a state word and a message. */
export interface CiliumComponentState {
  state: string;
  message: string;
  /** The state is `Ok` or `Disabled`. */
  healthy: boolean;
  line: number;
}

export interface CiliumIpamPool {
  family: 4 | 6;
  allocated: number;
  /** Addresses in the pool (approximate above 2^53 for IPv6 pools). */
  size: number;
  cidr?: string;
}

export interface CiliumAllocation {
  address: string;
  /** `router`, `health`, `ingress`, or `<namespace>/<pod>`; absent in the oldest layout. */
  owner?: string;
  /** `[restored]`: kept across an agent restart. */
  restored: boolean;
  line: number;
}

export interface CiliumController {
  name: string;
  lastSuccess: string;
  lastError: string;
  /** Consecutive failures: more than 0 means the controller is failing now. */
  failureCount: number;
  message: string;
  failing: boolean;
  line: number;
}

export interface CiliumHealthNode {
  name: string;
  /** Marked `(localhost)`: the node this status comes from. */
  local: boolean;
  ips: string[];
  /** Whether the node's agent (host) answers probes; absent when not shown. */
  nodeReachable?: boolean;
  /** Whether the node's health endpoint answers; absent when not shown. */
  endpointsReachable?: boolean;
  line: number;
}

export interface CiliumClusterHealth {
  /** Nodes reachable and in all, from `2/3 reachable`; absent when the probe did not run. */
  reachable?: number;
  total?: number;
  /** When the last probe ran, as printed. */
  probedAt?: string;
  /** The value as printed (`Warning   cilium-health daemon unreachable` when there is no count). */
  text: string;
  nodes: CiliumHealthNode[];
  /** cilium listed only some nodes (`...`). */
  elided: boolean;
  line: number;
}

export interface CiliumStatus {
  file: string;
  fields: CiliumStatusField[];
  /** The agent did not answer: `Error: Cannot get status …`. */
  agentError?: { message: string; line: number };
  /** From `Cilium: Ok   1.15.1 (v1.15.1-a368c8f0)`. */
  version?: string;
  kvstore?: CiliumComponentState;
  containerRuntime?: CiliumComponentState;
  kubernetes?: CiliumComponentState;
  kubernetesApis: string[];
  cilium?: CiliumComponentState;
  healthDaemon?: CiliumComponentState;
  kubeProxyReplacement?: {
    /** `True`/`False` (1.14+), `Strict`/`Partial`/`Probe`/`Disabled` (older). */
    mode: string;
    /** The bracketed list: devices (`eth0 10.4.1.6 (Direct Routing)`) or, before 1.8, features. */
    details: string[];
    directRoutingDevice?: string;
    line: number;
  };
  ipam?: { text: string; pools: CiliumIpamPool[]; line: number };
  allocations: CiliumAllocation[];
  routing?: {
    /** `tunnel` or `native`, from `Routing: Network: …` (1.16+). */
    network?: string;
    /** `vxlan`, `geneve`. */
    tunnelProtocol?: string;
    /** `Legacy` (through the host stack) or `BPF`, from `Host Routing:` or `Routing: … Host: …`. */
    host?: string;
    line: number;
  };
  masquerading?: { mode: string; text: string; line: number };
  encryption?: { mode: string; text: string; line: number };
  controllers?: { healthy: number; total: number; listed: CiliumController[]; line: number };
  proxy?: { ok: boolean; text: string; line: number };
  clusterHealth?: CiliumClusterHealth;
  clusterMesh?: { ready: number; total: number; text: string; line: number };
  modulesHealth?: { stopped?: number; degraded?: number; ok?: number; text: string; line: number };
}

const KEY_LINE = /^([A-Za-z][A-Za-z0-9 ./()_-]*?):(?:[ \t]+(.*?))?[ \t]*$/;
const CONTROLLER_ROW = /^(.+?)\s+(\S+ ago|never)\s+(\S+ ago|never)\s+(\d+)\s+(.*?)\s*$/;
const POOL = /IPv([46]):\s*(\d+)\/(\d+) allocated(?: from ([^,\s]+))?/g;
const OLD_POOL = /^(\d+)\/(\d+) allocated/;
const ALLOCATION = /^(\S+)(?:\s+\(([^()]*)\))?$/;
const HEALTH_COUNT = /^(\d+)\/(\d+) reachable(?:\s+\(([^)]*)\))?/;
const PROBE = /^(ICMP to stack|HTTP to agent|ICMP to endpoint|HTTP to endpoint):\s*(.*)$/;
const HEALTHY_STATES = new Set(['Ok', 'OK', 'Disabled']);
/** What the CLI prints when the agent's API socket does not answer (no `Key:` in newer releases). */
const AGENT_UNREACHABLE = /^Is the agent running\?$|dial unix \S*cilium\.sock|^Error: Unable to reach out daemon/;

export function parseCiliumStatus(file: SourceFile): ParseResult<CiliumStatus> {
  const sink = new IssueSink(file.path);
  const status: CiliumStatus = { file: file.path, fields: [], kubernetesApis: [], allocations: [] };
  let current: CiliumStatusField | undefined;
  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    // kubectl exec noise, when stderr was captured with the output.
    if (text.startsWith('Defaulted container ')) continue;
    if (!/^\s/.test(raw)) {
      if (AGENT_UNREACHABLE.test(text)) {
        if (status.agentError) status.agentError.message += ` ${text}`;
        else status.agentError = { message: text, line };
        current = undefined;
        continue;
      }
      const match = KEY_LINE.exec(text);
      if (match) {
        current = { key: match[1]!, value: (match[2] ?? '').trim(), line, block: [] };
        status.fields.push(current);
        continue;
      }
      // The cluster health table's header starts at column 0 in 1.14+.
      if (current?.key === 'Cluster health' && /^Name\s/.test(text)) {
        current.block.push({ text, line });
        continue;
      }
      sink.add('BAD_LINE', line, 'not a `Key: value` line of `cilium status`', { text: raw });
      current = undefined;
      continue;
    }
    if (!current) {
      sink.add('BAD_LINE', line, 'indented line without a `Key:` line above it', { text: raw });
      continue;
    }
    current.block.push({ text, line });
  }
  for (const field of status.fields) interpret(field, status, sink);
  return { value: status, issues: sink.finish() };
}

function interpret(field: CiliumStatusField, status: CiliumStatus, sink: IssueSink): void {
  const { key, value, line } = field;
  switch (key) {
    case 'Error':
      status.agentError ??= { message: `${key}: ${value}`, line };
      return;
    case 'KVStore':
      status.kvstore = component(value, line);
      return;
    case 'ContainerRuntime':
      status.containerRuntime = component(value, line);
      return;
    case 'Kubernetes':
      status.kubernetes = component(value, line);
      return;
    case 'Kubernetes APIs':
      status.kubernetesApis = readStringList(value);
      return;
    case 'Cilium': {
      status.cilium = component(value, line);
      const version = /^(\d+\.\d+\.\d+\S*)/.exec(status.cilium.message);
      if (version) status.version = version[1]!;
      return;
    }
    case 'Cilium health daemon':
      status.healthDaemon = component(value, line);
      return;
    case 'KubeProxyReplacement':
      status.kubeProxyReplacement = readKubeProxyReplacement(value, line);
      return;
    case 'IPAM':
    case 'IPv4 address pool':
    case 'IPv6 address pool':
      readIpam(field, status, sink);
      return;
    case 'Allocated addresses':
      readAllocations(field.block, status, sink);
      return;
    case 'Host Routing':
      status.routing ??= { line };
      status.routing.host = value;
      return;
    case 'Routing':
      status.routing = readRouting(value, line);
      return;
    case 'Masquerading':
      status.masquerading = { mode: firstWord(value), text: value, line };
      return;
    case 'Encryption':
      status.encryption = { mode: firstWord(value), text: value, line };
      return;
    case 'Controller Status':
      readControllers(field, status, sink);
      return;
    case 'Proxy Status':
      status.proxy = { ok: value.startsWith('OK'), text: value, line };
      return;
    case 'Cluster health':
      status.clusterHealth = readClusterHealth(field, sink);
      return;
    case 'ClusterMesh': {
      const mesh = /^(\d+)\/(\d+) clusters ready/.exec(value);
      if (mesh) status.clusterMesh = { ready: Number(mesh[1]), total: Number(mesh[2]), text: value, line };
      return;
    }
    case 'Modules Health': {
      const modules: NonNullable<CiliumStatus['modulesHealth']> = { text: value, line };
      for (const [, name, count] of value.matchAll(/(Stopped|Degraded|OK)\((\d+)\)/g)) {
        if (name === 'Stopped') modules.stopped = Number(count);
        else if (name === 'Degraded') modules.degraded = Number(count);
        else modules.ok = Number(count);
      }
      status.modulesHealth = modules;
      return;
    }
    // Other keys are kept in `fields` only.
  }
}

function component(value: string, line: number): CiliumComponentState {
  const state = firstWord(value);
  return { state, message: value.slice(state.length).trim(), healthy: HEALTHY_STATES.has(state), line };
}

function firstWord(value: string): string {
  const space = value.search(/\s/);
  return space === -1 ? value : value.slice(0, space);
}

/** `["cilium/v2::CiliumEndpoint", "core/v1::Pods"]` (a JSON list as cilium prints it). */
function readStringList(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed.filter((entry): entry is string => typeof entry === 'string');
  } catch {
    // Cut by a terminal or a paste: read the quoted names that are there.
  }
  return [...value.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
}

function readKubeProxyReplacement(value: string, line: number): NonNullable<CiliumStatus['kubeProxyReplacement']> {
  const mode = firstWord(value);
  const result: NonNullable<CiliumStatus['kubeProxyReplacement']> = { mode, details: [], line };
  const open = value.indexOf('[');
  const close = value.lastIndexOf(']');
  if (open !== -1 && close > open) {
    result.details = splitTopLevel(value.slice(open + 1, close)).map((entry) => entry.replace(/\s+/g, ' '));
    const direct = result.details.find((entry) => entry.endsWith('(Direct Routing)'));
    if (direct) result.directRoutingDevice = firstWord(direct);
  }
  return result;
}

/** Splits on commas outside parentheses: `NodePort (SNAT, 30000-32767), ExternalIPs`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function readIpam(field: CiliumStatusField, status: CiliumStatus, sink: IssueSink): void {
  status.ipam ??= { text: field.value, pools: [], line: field.line };
  if (field.key === 'IPAM') {
    status.ipam.text = field.value;
    status.ipam.line = field.line;
    for (const [, family, allocated, size, cidr] of field.value.matchAll(POOL)) {
      const pool: CiliumIpamPool = { family: family === '6' ? 6 : 4, allocated: Number(allocated), size: Number(size) };
      if (cidr !== undefined) pool.cidr = cidr;
      status.ipam.pools.push(pool);
    }
  } else {
    const old = OLD_POOL.exec(field.value);
    if (old) status.ipam.pools.push({ family: field.key.startsWith('IPv6') ? 6 : 4, allocated: Number(old[1]), size: Number(old[2]) });
  }
  // Before 1.6 the addresses were listed under the pool line.
  if (field.block.length > 0) readAllocations(field.block, status, sink);
}

function readAllocations(block: readonly CiliumStatusLine[], status: CiliumStatus, sink: IssueSink): void {
  for (const { text, line } of block) {
    const match = ALLOCATION.exec(text);
    if (!match) {
      sink.add('BAD_LINE', line, 'not an allocated address (`<address> (<owner>)`)', { text });
      continue;
    }
    const allocation: CiliumAllocation = { address: match[1]!, restored: false, line };
    if (match[2] !== undefined) {
      const owner = match[2].replace(/\s*\[restored\]$/, '');
      allocation.restored = owner !== match[2];
      allocation.owner = owner;
    }
    status.allocations.push(allocation);
  }
}

function readRouting(value: string, line: number): NonNullable<CiliumStatus['routing']> {
  const routing: NonNullable<CiliumStatus['routing']> = { line };
  const network = /Network:\s*(\S+)(?:\s*\[([^\]]*)\])?/.exec(value);
  if (network) {
    routing.network = network[1]!.toLowerCase();
    if (network[2] !== undefined && network[2] !== '') routing.tunnelProtocol = network[2];
  }
  const host = /Host:\s*(\S+)/.exec(value);
  if (host) routing.host = host[1]!;
  return routing;
}

function readControllers(field: CiliumStatusField, status: CiliumStatus, sink: IssueSink): void {
  const counts = /^(\d+)\/(\d+) healthy/.exec(field.value);
  if (!counts) {
    sink.add('BAD_LINE', field.line, 'expected `Controller Status: <healthy>/<total> healthy`', { text: `${field.key}: ${field.value}` });
    return;
  }
  const listed: CiliumController[] = [];
  for (const { text, line } of field.block) {
    if (/^Name\s+Last success/.test(text)) continue;
    const row = CONTROLLER_ROW.exec(text);
    if (!row) {
      sink.add('BAD_LINE', line, 'not a controller row (`<name>  <last success>  <last error>  <count>  <message>`)', { text });
      continue;
    }
    const failureCount = Number(row[4]);
    listed.push({ name: row[1]!, lastSuccess: row[2]!, lastError: row[3]!, failureCount, message: row[5]!, failing: failureCount > 0, line });
  }
  status.controllers = { healthy: Number(counts[1]), total: Number(counts[2]), listed, line: field.line };
}

function readClusterHealth(field: CiliumStatusField, sink: IssueSink): CiliumClusterHealth {
  const health: CiliumClusterHealth = { text: field.value, nodes: [], elided: false, line: field.line };
  const counts = HEALTH_COUNT.exec(field.value);
  if (counts) {
    health.reachable = Number(counts[1]);
    health.total = Number(counts[2]);
    if (counts[3] !== undefined) health.probedAt = counts[3];
  }
  let booleanColumns = false;
  /** The node whose verbose probe lines follow, and which probe group they belong to. */
  let verboseNode: CiliumHealthNode | undefined;
  let group: 'host' | 'endpoint' | undefined;
  const probeResults = new Map<CiliumHealthNode, { host: boolean[]; endpoint: boolean[] }>();
  for (const { text, line } of field.block) {
    if (/^Name\s+IP\s/.test(text)) {
      booleanColumns = /\bReachable\b/.test(text);
      continue;
    }
    if (text === '...' || text === '…') {
      health.elided = true;
      continue;
    }
    const connectivity = /^(Host|Endpoint) connectivity to (\S+?):?$/.exec(text);
    if (connectivity && verboseNode) {
      group = connectivity[1] === 'Host' ? 'host' : 'endpoint';
      if (!verboseNode.ips.includes(connectivity[2]!)) verboseNode.ips.push(connectivity[2]!);
      continue;
    }
    const probe = PROBE.exec(text);
    if (probe && verboseNode && group) {
      probeResults.get(verboseNode)![group].push(probe[2]!.startsWith('OK'));
      continue;
    }
    if (text.endsWith(':') && !text.includes('  ')) {
      verboseNode = healthNode(text.slice(0, -1), [], line);
      group = undefined;
      probeResults.set(verboseNode, { host: [], endpoint: [] });
      health.nodes.push(verboseNode);
      continue;
    }
    const cells = text.split(/\s{2,}|\t/);
    if (cells.length !== 4) {
      sink.add('BAD_LINE', line, 'not a node row of the cluster health table (`<name>  <IP>  <node>  <endpoints>`)', { text });
      continue;
    }
    verboseNode = undefined;
    const node = healthNode(cells[0]!, cells[1]!.split(','), line);
    const nodeReachable = reachability(cells[2]!, booleanColumns);
    const endpointsReachable = reachability(cells[3]!, booleanColumns);
    if (nodeReachable !== undefined) node.nodeReachable = nodeReachable;
    if (endpointsReachable !== undefined) node.endpointsReachable = endpointsReachable;
    health.nodes.push(node);
  }
  for (const [node, results] of probeResults) {
    if (results.host.length > 0) node.nodeReachable = results.host.every(Boolean);
    if (results.endpoint.length > 0) node.endpointsReachable = results.endpoint.every(Boolean);
  }
  return health;
}

function healthNode(label: string, ips: string[], line: number): CiliumHealthNode {
  const local = /\s*\(localhost\)$/.test(label);
  return { name: label.replace(/\s*\(localhost\)$/, ''), local, ips: ips.filter((ip) => ip !== ''), line };
}

/** `true`/`false` (old), `reachable`/`unreachable`, or `<ok>/<probed>` counts (1.14+). */
function reachability(cell: string, booleanColumns: boolean): boolean | undefined {
  if (booleanColumns || cell === 'true' || cell === 'false') return cell === 'true' ? true : cell === 'false' ? false : undefined;
  if (cell === 'reachable') return true;
  if (cell === 'unreachable') return false;
  const counts = /^(\d+)\/(\d+)$/.exec(cell);
  if (counts) return Number(counts[2]) > 0 && counts[1] === counts[2];
  return undefined;
}
