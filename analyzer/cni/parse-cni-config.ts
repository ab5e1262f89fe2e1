/**
 * CNI network configurations, each file of `/etc/cni/net.d/` (bundle: `nodes/<node>/cni/<file>`):
 * a `.conflist` (a named chain of plugins) or a single-plugin `.conf` / `.json`.
 *
 *   {
 *     "name": "k8s-pod-network",
 *     "cniVersion": "0.3.1",
 *     "plugins": [
 *       { "type": "calico", "mtu": 1440, "ipam": { "type": "calico-ipam" }, "policy": { "type": "k8s" } },
 *       { "type": "portmap", "snat": true, "capabilities": { "portMappings": true } },
 *       { "type": "bandwidth", "capabilities": { "bandwidth": true } }
 *     ]
 *   }
 *
 * Which file is used: libcni lists `.conf`, `.conflist` and `.json` files and sorts their names;
 * the runtime takes the first one. CRI-O and the kubelet's dockershim skip a file libcni cannot
 * load and take the next; containerd (go-cni `loadFromConfDir`) fails on it instead, so a broken
 * file sorting first leaves the node NotReady even when a good one follows. Both are reported.
 *
 * A file libcni rejects (no `type` in a `.conf`, a `.conflist` without `name` or plugins, a plugin
 * without `type`) carries `fatal` problems; a file it loads but whose plugin will fail at pod
 * creation (an MTU that is not a number, an install placeholder like `__CNI_MTU__` left in place)
 * carries non-fatal ones. Invalid JSON is also a parse issue.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { asObject, type JsonObject } from '../kube/object-fields.js';
import { objectPath } from '../kube/object-path.js';
import type { ObjectSource } from '../kube/types.js';
import { parseJsonDocument } from './json-document.js';

export type CniConfigFormat = 'conflist' | 'conf';

export interface CniIpamRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniIpam {
  /** `host-local`, `calico-ipam`, `cilium` (in chaining), `whereabouts`, `dhcp`...; '' when missing. */
  type: string;
  /** Every subnet named: host-local `subnet` and the subnets of its `ranges`, as written. */
  subnets: string[];
  /** host-local `ranges`: range sets (one per family, usually), each a list of ranges. */
  ranges: CniIpamRange[][];
  routes: CniRoute[];
  /** Calico's host-local `"subnet": "usePodCidr"`: the node's spec.podCIDR is used. */
  usesPodCidr: boolean;
  /** Path of the `ipam` object in the file, for `config.source.at(path)`. */
  path: string;
}

export interface CniPlugin {
  /** Position in the chain (0 is the plugin that creates the interface). */
  index: number;
  /** `calico`, `cilium-cni`, `flannel`, `weave-net`, `bridge`, `portmap`, `bandwidth`...; '' when missing. */
  type: string;
  name?: string;
  /** The plugin's `mtu`; for flannel, its delegate's (flannel passes it to the bridge). */
  mtu?: number;
  ipam?: CniIpam;
  /** flannel: the configuration flannel hands to its delegate plugin (bridge unless `type` says otherwise). */
  delegate?: JsonObject;
  /** Capabilities set to true (`portMappings`, `bandwidth`, `ipRanges`, ...). */
  capabilities: string[];
  /** bridge: the bridge device (`cni0` by default in the plugin). */
  bridge?: string;
  /** The plugin object as written, for options this model does not name. */
  options: JsonObject;
  /** Path of the plugin in the file (`plugins[1]`; '' for a `.conf`), for `config.source.at(path)`. */
  path: string;
  line: number;
}

export interface CniConfigProblem {
  /** True when libcni (and so the runtime) refuses the file; false when the file loads but a plugin will fail. */
  fatal: boolean;
  message: string;
  line: number;
  /** Path of the field concerned, when there is one. */
  path?: string;
}

export interface CniConfig {
  file: string;
  /** The file's name alone (`10-calico.conflist`): the runtime's order key. */
  fileName: string;
  format: CniConfigFormat;
  name?: string;
  cniVersion?: string;
  plugins: CniPlugin[];
  disableCheck?: boolean;
  problems: CniConfigProblem[];
  /** Positions of fields; absent when the file is not JSON. */
  source?: ObjectSource;
  line: number;
}

export interface CniConfigDir {
  /** The configuration files, in the order the runtime reads them. */
  configs: CniConfig[];
  /** The configuration CRI-O and the kubelet use: the first file libcni loads. */
  effective?: CniConfig;
  /** containerd reads only the first file and fails when libcni rejects it: that file. */
  blocking?: CniConfig;
  /** Files that are not configurations by their extension (kubeconfigs, `.bak` copies), by path. */
  ignored: string[];
}

const CONFIG_EXTENSIONS = new Map<string, CniConfigFormat>([
  ['.conflist', 'conflist'],
  ['.conf', 'conf'],
  ['.json', 'conf'],
]);
/**
 * Calico's (and others') install templates carry `__CNI_MTU__`, `__KUBECONFIG_FILEPATH__`...,
 * substituted by the installer; left in place they break the plugin (an unquoted one, the file).
 */
const PLACEHOLDER = /__[A-Z][A-Z0-9_]*__/g;

/** The format libcni gives a file by its extension; undefined for files it does not read. */
export function cniConfigFormat(path: string): CniConfigFormat | undefined {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot === -1 ? undefined : CONFIG_EXTENSIONS.get(name.slice(dot));
}

/** Reads the files of one node's CNI directory and tells which configuration is in force. */
export function readCniConfigDir(files: readonly SourceFile[]): ParseResult<CniConfigDir> {
  const issues: ParseIssue[] = [];
  const configs: CniConfig[] = [];
  const ignored: string[] = [];
  for (const file of files) {
    if (cniConfigFormat(file.path) === undefined) {
      ignored.push(file.path);
      continue;
    }
    const parsed = parseCniConfig(file);
    configs.push(parsed.value);
    issues.push(...parsed.issues);
  }
  // Go's sort.Strings compares bytes; names are ASCII in practice, where UTF-16 order agrees.
  configs.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  const loads = (config: CniConfig) => !config.problems.some((p) => p.fatal);
  const dir: CniConfigDir = { configs, ignored };
  const effective = configs.find(loads);
  if (effective) dir.effective = effective;
  if (configs.length > 0 && !loads(configs[0]!)) dir.blocking = configs[0]!;
  return { value: dir, issues };
}

/** One configuration file; its format comes from the extension (`.conflist`, else a single plugin). */
export function parseCniConfig(file: SourceFile): ParseResult<CniConfig> {
  const format = cniConfigFormat(file.path) ?? 'conf';
  const config: CniConfig = { file: file.path, fileName: baseName(file.path), format, plugins: [], problems: [], line: 1 };
  const parsed = parseJsonDocument(file);
  if (!parsed.value) {
    const issue = parsed.issues[0]!;
    config.problems.push({ fatal: true, message: `not valid JSON: ${issue.message}`, line: issue.line });
    findPlaceholders(file, config);
    return { value: config, issues: parsed.issues };
  }
  const { root, source } = parsed.value;
  config.source = source;
  config.line = source.line;
  const problem = (fatal: boolean, message: string, path?: string) => {
    const entry: CniConfigProblem = { fatal, message, line: path === undefined ? config.line : source.at(path).line };
    if (path !== undefined) entry.path = path;
    config.problems.push(entry);
  };
  const object = asObject(root);
  if (!object) {
    problem(true, 'the file is not a JSON object');
    return { value: config, issues: [] };
  }
  readVersionAndName(object, config, problem);
  if (format === 'conflist') readPluginList(object, config, source, problem);
  else readSinglePlugin(object, config, source, problem);
  findPlaceholders(file, config);
  return { value: config, issues: [] };
}

type ProblemSink = (fatal: boolean, message: string, path?: string) => void;

function readVersionAndName(object: JsonObject, config: CniConfig, problem: ProblemSink): void {
  const name = object.name;
  if (typeof name === 'string') config.name = name;
  else if (name !== undefined) problem(true, `"name" must be a string, found ${describe(name)}`, 'name');
  const version = object.cniVersion;
  if (typeof version === 'string') config.cniVersion = version;
  else if (version !== undefined) problem(true, `"cniVersion" must be a string, found ${describe(version)}`, 'cniVersion');
  if (typeof object.disableCheck === 'boolean') config.disableCheck = object.disableCheck;
}

function readPluginList(object: JsonObject, config: CniConfig, source: ObjectSource, problem: ProblemSink): void {
  if (object.name === undefined) problem(true, 'a .conflist needs a "name"; libcni refuses it ("no name")');
  const plugins = object.plugins;
  if (plugins === undefined) {
    problem(
      true,
      typeof object.type === 'string'
        ? 'a single-plugin configuration in a .conflist file: libcni reads no "plugins" list from it (rename it .conf or wrap it in "plugins")'
        : 'a .conflist without "plugins": no plugin to run',
    );
    return;
  }
  if (!Array.isArray(plugins)) {
    problem(true, `"plugins" must be a list, found ${describe(plugins)}`, 'plugins');
    return;
  }
  if (plugins.length === 0) {
    problem(true, '"plugins" is empty: no plugin to run', 'plugins');
    return;
  }
  plugins.forEach((entry, index) => {
    const path = objectPath('plugins', index);
    const plugin = asObject(entry);
    if (!plugin) {
      problem(true, `plugin ${index} is ${describe(entry)}, not an object`, path);
      return;
    }
    config.plugins.push(readPlugin(plugin, index, path, source, problem));
  });
}

function readSinglePlugin(object: JsonObject, config: CniConfig, source: ObjectSource, problem: ProblemSink): void {
  if (object.type === undefined && Array.isArray(object.plugins)) {
    problem(true, 'a plugin list in a .conf file: libcni reads it as one plugin and finds no "type" (rename it .conflist)');
    return;
  }
  config.plugins.push(readPlugin(object, 0, '', source, problem));
}

function readPlugin(object: JsonObject, index: number, path: string, source: ObjectSource, problem: ProblemSink): CniPlugin {
  const at = (key: string) => (path === '' ? key : `${path}.${key}`);
  const type = typeof object.type === 'string' ? object.type : '';
  if (type === '') {
    problem(true, object.type === undefined ? `plugin ${index} has no "type"` : `plugin ${index} "type" is ${describe(object.type)}, not a name`, path === '' ? undefined : path);
  }
  const plugin: CniPlugin = { index, type, capabilities: [], options: object, path, line: path === '' ? source.line : source.at(path).line };
  if (typeof object.name === 'string') plugin.name = object.name;
  const delegate = asObject(object.delegate);
  if (delegate) plugin.delegate = delegate;
  const mtu = readMtu(object.mtu, at('mtu'), problem) ?? (delegate ? readMtu(delegate.mtu, at('delegate.mtu'), problem) : undefined);
  if (mtu !== undefined) plugin.mtu = mtu;
  const capabilities = asObject(object.capabilities);
  if (capabilities) plugin.capabilities = Object.keys(capabilities).filter((key) => capabilities[key] === true);
  if (typeof object.bridge === 'string') plugin.bridge = object.bridge;
  const ipam = asObject(object.ipam);
  if (ipam) plugin.ipam = readIpam(ipam, at('ipam'));
  return plugin;
}

/**
 * An MTU the plugin can use; the plugins unmarshal it as an integer and fail on anything else.
 * 0 is the integer's zero value, "not set": Calico's manifests write `"mtu": 0` to mean
 * auto-detect, and bridge/ptp then take the host interface's MTU.
 */
function readMtu(value: unknown, path: string, problem: ProblemSink): number | undefined {
  if (value === undefined || value === 0) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  problem(false, `"mtu" is ${describe(value)}, not a positive integer: the plugin fails to read its configuration`, path);
  return undefined;
}

function readIpam(ipam: JsonObject, path: string): CniIpam {
  const result: CniIpam = { type: typeof ipam.type === 'string' ? ipam.type : '', subnets: [], ranges: [], routes: [], usesPodCidr: false, path };
  if (typeof ipam.subnet === 'string') {
    result.subnets.push(ipam.subnet);
    if (ipam.subnet === 'usePodCidr') result.usesPodCidr = true;
  }
  if (Array.isArray(ipam.ranges)) {
    for (const set of ipam.ranges) {
      if (!Array.isArray(set)) continue;
      const ranges: CniIpamRange[] = [];
      for (const entry of set) {
        const range = asObject(entry);
        if (!range || typeof range.subnet !== 'string') continue;
        const read: CniIpamRange = { subnet: range.subnet };
        if (typeof range.rangeStart === 'string') read.rangeStart = range.rangeStart;
        if (typeof range.rangeEnd === 'string') read.rangeEnd = range.rangeEnd;
        if (typeof range.gateway === 'string') read.gateway = range.gateway;
        ranges.push(read);
        result.subnets.push(range.subnet);
        if (range.subnet === 'usePodCidr') result.usesPodCidr = true;
      }
      result.ranges.push(ranges);
    }
  }
  if (Array.isArray(ipam.routes)) {
    for (const entry of ipam.routes) {
      const route = asObject(entry);
      if (!route || typeof route.dst !== 'string') continue;
      result.routes.push(typeof route.gw === 'string' ? { dst: route.dst, gw: route.gw } : { dst: route.dst });
    }
  }
  return result;
}

function findPlaceholders(file: SourceFile, config: CniConfig): void {
  PLACEHOLDER.lastIndex = 0;
  for (let match = PLACEHOLDER.exec(file.text); match; match = PLACEHOLDER.exec(file.text)) {
    config.problems.push({
      fatal: false,
      message: `install placeholder ${match[0]} was never substituted: the installer did not finish writing this file`,
      line: file.lineOf(match.index),
    });
  }
}

function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
