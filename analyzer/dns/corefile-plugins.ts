/**
 * Typed views of the Corefile plugins netdump reasons about (kubernetes, forward/proxy,
 * cache, health, hosts, rewrite, template, prometheus/ready/bind), read from their directive
 * as the plugins' setup functions read them (coredns plugin/<name>/setup.go). Properties a
 * plugin does not know make CoreDNS refuse to start; they are reported.
 */
import { isIP } from 'node:net';
import type {
  CachePlugin,
  CacheTier,
  CorefileDirective,
  CorefilePlugin,
  FallthroughSpec,
  ForwardPlugin,
  ForwardTarget,
  HealthPlugin,
  HostsPlugin,
  KubernetesPlugin,
  RewritePlugin,
  TemplatePlugin,
} from './corefile-types.js';
import { normalizeZone } from './dns-zone.js';

export interface PluginReport {
  error(line: number, message: string): void;
  warn(line: number, message: string): void;
}

const MAX_FORWARD_TARGETS = 15;

export function readPlugin(directive: CorefileDirective, serverZones: string[], report: PluginReport): CorefilePlugin {
  switch (directive.name) {
    case 'kubernetes':
      return readKubernetes(directive, serverZones, report);
    case 'forward':
    case 'proxy':
      return readForward(directive, report);
    case 'cache':
      return readCache(directive, report);
    case 'health':
      return readHealth(directive);
    case 'hosts':
      return readHosts(directive, report);
    case 'rewrite':
      return readRewrite(directive, report);
    case 'template':
      return readTemplate(directive, report);
    case 'prometheus':
    case 'ready':
    case 'bind':
      return { kind: directive.name, addresses: [...directive.args], directive };
    default:
      return { kind: 'other', name: directive.name, directive };
  }
}

function zonesOf(raw: string[], line: number, report: PluginReport): string[] {
  const zones: string[] = [];
  for (const text of raw) {
    if (/\{\$|\{%/.test(text)) {
      zones.push(text); // an environment reference CoreDNS expands at start-up
      continue;
    }
    const zone = normalizeZone(text);
    if (zone.ok) zones.push(zone.zone);
    else report.error(line, zone.reason);
  }
  return zones;
}

function fallthroughOf(sub: CorefileDirective, report: PluginReport): FallthroughSpec {
  return { zones: zonesOf(sub.args, sub.line, report), line: sub.line };
}

function integerArg(sub: CorefileDirective, index: number, report: PluginReport, min: number, max: number): number | undefined {
  const text = sub.args[index];
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    report.error(sub.line, `${sub.name}: \`${text ?? ''}\` is not a number from ${min} to ${max}`);
    return undefined;
  }
  return Number(text);
}

const KUBERNETES_PROPERTIES = new Set([
  'endpoint', 'tls', 'kubeconfig', 'namespaces', 'namespace_labels', 'labels', 'pods', 'endpoint_pod_names', 'ttl',
  'noendpoints', 'fallthrough', 'ignore', 'multicluster', 'startup_timeout', 'apiserver_qps', 'apiserver_burst',
  'apiserver_max_inflight', 'upstream', 'resyncperiod',
]);

function readKubernetes(directive: CorefileDirective, serverZones: string[], report: PluginReport): KubernetesPlugin {
  const zones = directive.args.length > 0 ? zonesOf(directive.args, directive.line, report) : [...serverZones];
  const plugin: KubernetesPlugin = {
    kind: 'kubernetes',
    directive,
    zones,
    pods: 'disabled',
    ttl: 5,
    namespaces: [],
    noEndpoints: false,
    endpointPodNames: false,
    ignoreEmptyService: false,
  };
  for (const sub of directive.block ?? []) {
    switch (sub.name) {
      case 'pods': {
        const mode = sub.args[0];
        if (mode === 'disabled' || mode === 'insecure' || mode === 'verified') {
          plugin.pods = mode;
          plugin.podsLine = sub.line;
        } else {
          report.error(sub.line, `kubernetes: pods must be disabled, insecure or verified, not \`${mode ?? ''}\``);
        }
        break;
      }
      case 'fallthrough':
        plugin.fallthrough = fallthroughOf(sub, report);
        break;
      case 'ttl': {
        const ttl = integerArg(sub, 0, report, 0, 3600);
        if (ttl !== undefined) plugin.ttl = ttl;
        break;
      }
      case 'namespaces':
        plugin.namespaces = [...sub.args];
        break;
      case 'endpoint':
        if (sub.args[0] !== undefined) plugin.endpoint = sub.args[0];
        break;
      case 'kubeconfig':
        if (sub.args[0] !== undefined) plugin.kubeconfig = sub.args[0];
        break;
      case 'labels':
        plugin.labels = sub.args.join(' ');
        break;
      case 'noendpoints':
        plugin.noEndpoints = true;
        break;
      case 'endpoint_pod_names':
        plugin.endpointPodNames = true;
        break;
      case 'ignore':
        if (sub.args[0] === 'empty_service') plugin.ignoreEmptyService = true;
        else report.error(sub.line, `kubernetes: ignore takes empty_service, not \`${sub.args.join(' ')}\``);
        break;
      case 'upstream':
        report.warn(sub.line, 'kubernetes: `upstream` is obsolete and ignored by current CoreDNS');
        break;
      case 'resyncperiod':
        report.warn(sub.line, 'kubernetes: `resyncperiod` was removed from CoreDNS 1.7');
        break;
      default:
        if (!KUBERNETES_PROPERTIES.has(sub.name)) report.warn(sub.line, `kubernetes: unknown property \`${sub.name}\` (CoreDNS refuses to start)`);
    }
  }
  return plugin;
}

function forwardTarget(raw: string): ForwardTarget | string {
  if (raw.startsWith('/') || raw.startsWith('.')) return { kind: 'file', path: raw, raw };
  const schemeMatch = /^(dns|tls):\/\/(.*)$/.exec(raw);
  const scheme = (schemeMatch?.[1] ?? 'dns') as 'dns' | 'tls';
  const rest = schemeMatch ? schemeMatch[2]! : raw;
  if (!schemeMatch && /^[a-z0-9]+:\/\//i.test(raw)) return `\`${raw}\`: unsupported transport`;
  let host = rest;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (isIP(rest) === 0) {
    const colon = rest.lastIndexOf(':');
    if (colon > 0 && rest.indexOf(':') === colon) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  if (isIP(host) === 0) return `\`${raw}\` is not an IP address or a file`;
  const port = portText === undefined ? (scheme === 'tls' ? 853 : 53) : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `\`${raw}\`: bad port`;
  return { kind: 'address', scheme, host, port, raw };
}

const FORWARD_PROPERTIES = new Set([
  'except', 'force_tcp', 'prefer_udp', 'expire', 'max_fails', 'tls', 'tls_servername', 'policy', 'health_check',
  'max_concurrent', 'next', 'failfast_all_unhealthy_upstreams', 'failover', 'max_age',
]);
const PROXY_PROPERTIES = new Set(['policy', 'fail_timeout', 'max_fails', 'health_check', 'except', 'spray', 'protocol']);

function readForward(directive: CorefileDirective, report: PluginReport): ForwardPlugin {
  const kind = directive.name === 'proxy' ? 'proxy' : 'forward';
  const [fromText, ...targetTexts] = directive.args;
  let from = '.';
  if (fromText !== undefined) {
    const zone = normalizeZone(fromText);
    if (zone.ok) from = zone.zone;
    else report.error(directive.line, `${kind}: ${zone.reason}`);
  }
  const plugin: ForwardPlugin = { kind, directive, from, targets: [], except: [], policy: 'random', forceTcp: false, preferUdp: false };
  if (targetTexts.length === 0) report.error(directive.line, `${kind}: no upstream to forward to`);
  if (targetTexts.length > MAX_FORWARD_TARGETS) report.error(directive.line, `${kind}: more than ${MAX_FORWARD_TARGETS} upstreams`);
  for (const text of targetTexts) {
    const target = forwardTarget(text);
    if (typeof target === 'string') report.error(directive.line, `${kind}: ${target}`);
    else plugin.targets.push(target);
  }
  const known = kind === 'forward' ? FORWARD_PROPERTIES : PROXY_PROPERTIES;
  for (const sub of directive.block ?? []) {
    switch (sub.name) {
      case 'except':
        plugin.except = zonesOf(sub.args, sub.line, report);
        break;
      case 'force_tcp':
        plugin.forceTcp = true;
        break;
      case 'prefer_udp':
        plugin.preferUdp = true;
        break;
      case 'policy': {
        const policy = sub.args[0] ?? '';
        const allowed = kind === 'forward' ? ['random', 'round_robin', 'sequential'] : ['random', 'least_conn', 'round_robin', 'first', 'sequential'];
        if (!allowed.includes(policy)) report.error(sub.line, `${kind}: unknown policy \`${policy}\``);
        plugin.policy = policy;
        break;
      }
      case 'max_concurrent': {
        const value = integerArg(sub, 0, report, 1, Number.MAX_SAFE_INTEGER);
        if (value !== undefined) plugin.maxConcurrent = value;
        break;
      }
      case 'max_fails': {
        const value = integerArg(sub, 0, report, 0, Number.MAX_SAFE_INTEGER);
        if (value !== undefined) plugin.maxFails = value;
        break;
      }
      case 'health_check':
        if (sub.args[0] !== undefined) plugin.healthCheck = sub.args[0];
        break;
      case 'expire':
        if (sub.args[0] !== undefined) plugin.expire = sub.args[0];
        break;
      case 'tls_servername':
        if (sub.args[0] !== undefined) plugin.tlsServerName = sub.args[0];
        break;
      default:
        if (!known.has(sub.name)) report.warn(sub.line, `${kind}: unknown property \`${sub.name}\` (CoreDNS refuses to start)`);
    }
  }
  return plugin;
}

function cacheTier(sub: CorefileDirective, report: PluginReport): CacheTier | undefined {
  const capacity = integerArg(sub, 0, report, 0, Number.MAX_SAFE_INTEGER);
  if (capacity === undefined) return undefined;
  const tier: CacheTier = { capacity, line: sub.line };
  if (sub.args[1] !== undefined) {
    const ttl = integerArg(sub, 1, report, 0, Number.MAX_SAFE_INTEGER);
    if (ttl !== undefined) tier.ttl = ttl;
  }
  if (sub.args[2] !== undefined) {
    const minTtl = integerArg(sub, 2, report, 0, Number.MAX_SAFE_INTEGER);
    if (minTtl !== undefined) tier.minTtl = minTtl;
  }
  return tier;
}

function readCache(directive: CorefileDirective, report: PluginReport): CachePlugin {
  const args = [...directive.args];
  const plugin: CachePlugin = { kind: 'cache', directive, zones: [], disable: [], keepTtl: false };
  if (args[0] !== undefined && /^\d+$/.test(args[0])) plugin.ttl = Number(args.shift());
  plugin.zones = zonesOf(args, directive.line, report);
  for (const sub of directive.block ?? []) {
    switch (sub.name) {
      case 'success':
      case 'denial': {
        const tier = cacheTier(sub, report);
        if (tier) plugin[sub.name] = tier;
        break;
      }
      case 'prefetch':
        plugin.prefetch = [...sub.args];
        break;
      case 'serve_stale':
        plugin.serveStale = [...sub.args];
        break;
      case 'servfail':
        if (sub.args[0] !== undefined) plugin.servfail = sub.args[0];
        break;
      case 'disable':
        plugin.disable.push({ type: sub.args[0] ?? '', zones: zonesOf(sub.args.slice(1), sub.line, report) });
        break;
      case 'keepttl':
        plugin.keepTtl = true;
        break;
      default:
        report.warn(sub.line, `cache: unknown property \`${sub.name}\` (CoreDNS refuses to start)`);
    }
  }
  return plugin;
}

function readHealth(directive: CorefileDirective): HealthPlugin {
  const plugin: HealthPlugin = { kind: 'health', directive };
  if (directive.args[0] !== undefined) plugin.address = directive.args[0];
  const lameduck = directive.block?.find((d) => d.name === 'lameduck');
  if (lameduck?.args[0] !== undefined) plugin.lameduck = lameduck.args[0];
  return plugin;
}

function readHosts(directive: CorefileDirective, report: PluginReport): HostsPlugin {
  const [file, ...zoneTexts] = directive.args;
  const plugin: HostsPlugin = { kind: 'hosts', directive, zones: zonesOf(zoneTexts, directive.line, report), entries: [], noReverse: false };
  if (file !== undefined) plugin.file = file;
  for (const sub of directive.block ?? []) {
    if (isIP(sub.name.split('%')[0]!) !== 0) {
      if (sub.args.length === 0) report.error(sub.line, `hosts: ${sub.name} without a name`);
      else plugin.entries.push({ address: sub.name, names: sub.args.map((n) => n.toLowerCase()), line: sub.line });
      continue;
    }
    switch (sub.name) {
      case 'fallthrough':
        plugin.fallthrough = fallthroughOf(sub, report);
        break;
      case 'ttl': {
        const ttl = integerArg(sub, 0, report, 0, 65535);
        if (ttl !== undefined) plugin.ttl = ttl;
        break;
      }
      case 'no_reverse':
        plugin.noReverse = true;
        break;
      case 'reload':
        break;
      default:
        report.warn(sub.line, `hosts: \`${sub.name}\` is neither an address nor a property`);
    }
  }
  return plugin;
}

const NAME_MATCHES = new Set(['exact', 'prefix', 'suffix', 'substring', 'regex']);

function readRewrite(directive: CorefileDirective, report: PluginReport): RewritePlugin {
  const args = [...directive.args];
  let mode: 'stop' | 'continue' = 'stop';
  if (args[0] === 'stop' || args[0] === 'continue') mode = args.shift() as 'stop' | 'continue';
  const plugin: RewritePlugin = { kind: 'rewrite', directive, mode, field: args.shift() ?? '', answer: [] };
  const readName = (parts: string[], line: number) => {
    if (parts[0] !== undefined && NAME_MATCHES.has(parts[0])) plugin.match = parts.shift()!;
    else plugin.match = 'exact';
    const answerAt = parts.indexOf('answer');
    const rule = answerAt >= 0 ? parts.slice(0, answerAt) : parts;
    if (rule.length < 2) report.error(line, 'rewrite name: needs a FROM and a TO');
    if (rule[0] !== undefined) plugin.from = rule[0];
    if (rule[1] !== undefined) plugin.to = rule[1];
    if (answerAt >= 0) plugin.answer.push(parts.slice(answerAt + 1));
  };
  if (plugin.field === '' && directive.block) {
    for (const sub of directive.block) {
      if (sub.name === 'name') {
        plugin.field = 'name';
        readName([...sub.args], sub.line);
      } else if (sub.name === 'answer') {
        plugin.answer.push([...sub.args]);
      }
    }
  } else if (plugin.field === 'name') {
    readName(args, directive.line);
  } else {
    if (plugin.field === '') report.error(directive.line, 'rewrite: no field to rewrite');
    if (args[0] !== undefined) plugin.from = args[0];
    if (args[1] !== undefined) plugin.to = args[1];
  }
  return plugin;
}

function readTemplate(directive: CorefileDirective, report: PluginReport): TemplatePlugin {
  const [klass, type, ...zoneTexts] = directive.args;
  if (klass === undefined || type === undefined) report.error(directive.line, 'template: needs a class and a type');
  const plugin: TemplatePlugin = {
    kind: 'template',
    directive,
    class: klass ?? '',
    type: type ?? '',
    zones: zonesOf(zoneTexts, directive.line, report),
    match: [],
    answer: [],
    additional: [],
    authority: [],
  };
  for (const sub of directive.block ?? []) {
    const value = sub.args.join(' ');
    switch (sub.name) {
      case 'match':
        plugin.match.push(...sub.args);
        break;
      case 'answer':
      case 'additional':
      case 'authority':
        plugin[sub.name].push(value);
        break;
      case 'rcode':
        plugin.rcode = value;
        break;
      case 'fallthrough':
        plugin.fallthrough = fallthroughOf(sub, report);
        break;
      case 'upstream':
        break;
      default:
        report.warn(sub.line, `template: unknown property \`${sub.name}\` (CoreDNS refuses to start)`);
    }
  }
  return plugin;
}
