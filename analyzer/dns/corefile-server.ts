/**
 * A CoreDNS server as its Corefile configures it, answering one query at a time from the
 * bundle: the server block is chosen by the longest zone holding the name (no block: REFUSED),
 * then the block's plugins run in CoreDNS's compiled order (plugin.cfg), not the Corefile's:
 *
 *   ... cache → rewrite → template → hosts → k8s_external → kubernetes → file ... → forward
 *
 * - rewrite name (exact, prefix, suffix, substring, regex): the rest of the chain sees the
 *   new name; the client sees its own name in the answer ("rewrites are invisible").
 * - template: class, type, zone, then the regexes; a match answers from the template (simple
 *   `{{ .Name }}`, `{{ .Zone }}`, `{{ index .Match N }}`, `{{ .Group.x }}` substitutions); no
 *   regex matching: NXDOMAIN, or the next plugin with `fallthrough`.
 * - hosts: inline entries (a hosts file's content is not in the bundle: said so); no entry
 *   for the name: next plugin with `fallthrough`, else SERVFAIL (hosts has no SOA).
 * - kubernetes: kubernetes-records.ts; NXDOMAIN goes to the next plugin only when
 *   `fallthrough` covers the name; an ExternalName CNAME is resolved again through the server.
 * - forward: the query leaves for the upstreams (handed to `forward` of the options, which
 *   knows what the upstream addresses are); `except` zones and names outside FROM go on.
 * - Plugins that answer from data outside the bundle (file, etcd, route53, ...) give an
 *   unknown answer, named; the end of the chain is SERVFAIL ("no next plugin found").
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { CorefileInConfigMap } from './corefile-from-configmap.js';
import type { CorefilePlugin, CorefileServer, ForwardPlugin, HostsPlugin, RewritePlugin, TemplatePlugin } from './corefile-types.js';
import { inZone } from './dns-zone.js';
import { kubernetesAnswer, type RecordType } from './kubernetes-records.js';
import type { DnsRecord, ReplyCode } from './resolver-simulation.js';

/** What a DNS server answered, and how it came to it. */
export interface ServerAnswer {
  rcode: ReplyCode;
  answers: DnsRecord[];
  /** What the server did, in order. */
  steps: string[];
  evidence: Evidence[];
  /**
   * The answer comes from a server outside the bundle (an upstream resolver, a zone file):
   * what happened there is not known offline. `assumed` is the rcode the simulation goes on with.
   */
  unknown?: { from: string[]; assumed: 'answer' | 'NXDOMAIN' };
}

export interface CorefileServerOptions {
  model: AnalysisModel;
  corefile: CorefileInConfigMap;
  /** `CoreDNS`, `node-local-dns on node-b`. */
  label: string;
  /** The port queries arrive on (53). */
  port: number;
  /** Called when a forward plugin takes the query. */
  forward(plugin: ForwardPlugin, name: string, type: RecordType, depth: number): ServerAnswer;
}

/** CoreDNS's plugin execution order (core/dnsserver/zdirectives.go, from plugin.cfg). */
const PLUGIN_ORDER = [
  'root', 'metadata', 'geoip', 'cancel', 'tls', 'timeouts', 'multisocket', 'reload', 'nsid', 'bufsize', 'bind', 'debug', 'trace', 'ready',
  'health', 'pprof', 'prometheus', 'errors', 'log', 'dnstap', 'local', 'dns64', 'acl', 'any', 'chaos', 'loadbalance', 'tsig', 'cache', 'rewrite',
  'header', 'dnssec', 'autopath', 'minimal', 'template', 'transfer', 'hosts', 'route53', 'azure', 'clouddns', 'k8s_external', 'kubernetes',
  'file', 'auto', 'secondary', 'etcd', 'loop', 'forward', 'grpc', 'erratic', 'whoami', 'on', 'sign', 'view',
];
const ORDER_INDEX = new Map(PLUGIN_ORDER.map((name, i) => [name, i]));

/** Plugins that answer from data the bundle does not hold. */
const OPAQUE_ANSWERERS = new Set(['file', 'auto', 'secondary', 'etcd', 'route53', 'azure', 'clouddns', 'grpc', 'k8s_external', 'erratic', 'whoami']);
/** Plugins that change answers in ways not simulated; named in the steps. */
const NOT_SIMULATED = new Set(['acl', 'autopath', 'dns64', 'view']);

const MAX_DEPTH = 8;

function pluginName(plugin: CorefilePlugin): string {
  return plugin.kind === 'other' ? plugin.name : plugin.directive.name;
}

export class CorefileDnsServer {
  constructor(private readonly options: CorefileServerOptions) {}

  get corefile(): CorefileInConfigMap {
    return this.options.corefile;
  }

  /** The server block that takes `name` on our port: the longest zone holding it. */
  serverBlockFor(name: string): { server: CorefileServer; zone: string } | undefined {
    let best: { server: CorefileServer; zone: string } | undefined;
    for (const server of this.options.corefile.corefile.servers) {
      for (const address of server.addresses) {
        if (address.port !== this.options.port || (address.scheme !== 'dns' && address.scheme !== '')) continue;
        if (!inZone(name, address.zone)) continue;
        if (!best || address.zone.length > best.zone.length) best = { server, zone: address.zone };
      }
    }
    return best;
  }

  evidence(line: number, note?: string): Evidence {
    return this.options.corefile.evidence(line, note);
  }

  /** The answer to `name` (absolute) of `type`. */
  answer(queryName: string, type: RecordType, depth = 0): ServerAnswer {
    const name = queryName.toLowerCase();
    const label = this.options.label;
    if (depth > MAX_DEPTH) return { rcode: 'SERVFAIL', answers: [], steps: [`${label}: CNAME chain longer than ${MAX_DEPTH}: SERVFAIL`], evidence: [] };
    const block = this.serverBlockFor(name);
    if (!block) {
      return { rcode: 'REFUSED', answers: [], steps: [`${label}: no server block on port ${this.options.port} serves ${name}: REFUSED`], evidence: [] };
    }
    const steps = [`${label}: server block ${block.server.addresses.map((a) => a.raw).join(' ')} (Corefile line ${block.server.line}) takes ${name}`];
    const evidence = [this.evidence(block.server.line, `server block for ${name}`)];
    const chain = [...block.server.plugins].sort((a, b) => (ORDER_INDEX.get(pluginName(a)) ?? 999) - (ORDER_INDEX.get(pluginName(b)) ?? 999));
    const zones = block.server.addresses.map((a) => a.zone);

    let current = name;
    let rewritten = false;
    for (let i = 0; i < chain.length; i++) {
      const plugin = chain[i]!;
      const pname = pluginName(plugin);
      if (plugin.kind === 'rewrite') {
        // Every rewrite line of the block is one rule list, applied where rewrite sits.
        const rules: RewritePlugin[] = [];
        while (i < chain.length && chain[i]!.kind === 'rewrite') rules.push(chain[i++] as RewritePlugin);
        i--;
        const result = applyRewrites(rules, current);
        if (result) {
          steps.push(`rewrite (Corefile line ${result.line}): ${current} → ${result.name}`);
          evidence.push(this.evidence(result.line, `rewrite ${current} → ${result.name}`));
          current = result.name;
          rewritten = true;
        }
        continue;
      }
      if (NOT_SIMULATED.has(pname)) {
        steps.push(`${pname} (Corefile line ${plugin.directive.line}) is not simulated: its effect on this answer is ignored`);
        continue;
      }
      let outcome: ServerAnswer | 'next' | undefined;
      if (plugin.kind === 'template') outcome = this.template(plugin, current, type, zones, steps, evidence);
      else if (plugin.kind === 'hosts') outcome = this.hosts(plugin, current, type, zones, steps, evidence);
      else if (plugin.kind === 'kubernetes') outcome = this.kubernetes(plugin, current, type, depth, steps, evidence);
      else if (plugin.kind === 'forward' || plugin.kind === 'proxy') outcome = this.forward(plugin, current, type, depth, steps, evidence);
      else if (OPAQUE_ANSWERERS.has(pname)) outcome = this.opaque(plugin, current, zones, steps, evidence);
      if (outcome === undefined || outcome === 'next') continue;
      if (rewritten) outcome.answers = outcome.answers.map((r) => (r.name === current ? { ...r, name } : r));
      return outcome;
    }
    steps.push(`${label}: no plugin of the block answers ${current}: SERVFAIL ("no next plugin found")`);
    return { rcode: 'SERVFAIL', answers: [], steps, evidence };
  }

  private finish(rcode: ReplyCode, answers: DnsRecord[], steps: string[], evidence: Evidence[], unknown?: ServerAnswer['unknown']): ServerAnswer {
    const answer: ServerAnswer = { rcode, answers, steps, evidence };
    if (unknown) answer.unknown = unknown;
    return answer;
  }

  private kubernetes(plugin: Extract<CorefilePlugin, { kind: 'kubernetes' }>, name: string, type: RecordType, depth: number, steps: string[], evidence: Evidence[]): ServerAnswer | 'next' {
    const line = plugin.directive.line;
    const answer = kubernetesAnswer(this.options.model, plugin, name, type);
    if (answer.kind === 'not-in-zone') return 'next';
    evidence.push(this.evidence(line, `kubernetes ${plugin.zones.join(' ')}`), ...answer.evidence);
    if (answer.kind === 'name-error') {
      const fall = plugin.fallthrough;
      if (fall && (fall.zones.length === 0 || fall.zones.some((z) => inZone(name, z)))) {
        steps.push(`kubernetes (Corefile line ${line}): ${answer.note}; fallthrough (line ${fall.line}) passes ${name} on`);
        return 'next';
      }
      steps.push(`kubernetes (Corefile line ${line}): ${answer.note}: NXDOMAIN`);
      return this.finish('NXDOMAIN', [], steps, evidence);
    }
    if (answer.kind === 'records') {
      steps.push(`kubernetes (Corefile line ${line}): ${answer.note}`);
      return this.finish('NOERROR', answer.records, steps, evidence);
    }
    steps.push(`kubernetes (Corefile line ${line}): ${answer.note}; CoreDNS resolves ${answer.target} in turn`);
    const target = this.answer(answer.target, type, depth + 1);
    steps.push(...target.steps.map((s) => `  ${s}`));
    evidence.push(...target.evidence);
    const records = [answer.record, ...(target.rcode === 'NOERROR' ? target.answers : [])];
    return this.finish('NOERROR', records, steps, evidence, target.unknown);
  }

  private forward(plugin: ForwardPlugin, name: string, type: RecordType, depth: number, steps: string[], evidence: Evidence[]): ServerAnswer | 'next' {
    const line = plugin.directive.line;
    if (!inZone(name, plugin.from)) return 'next';
    const excepted = plugin.except.find((z) => inZone(name, z));
    if (excepted) {
      steps.push(`forward (Corefile line ${line}): ${name} is in except ${excepted}: passed on`);
      return 'next';
    }
    evidence.push(this.evidence(line, `forward ${plugin.from} ${plugin.targets.map((t) => t.raw).join(' ')}`));
    const result = this.options.forward(plugin, name, type, depth);
    return this.finish(result.rcode, result.answers, [...steps, ...result.steps], [...evidence, ...result.evidence], result.unknown);
  }

  private hosts(plugin: HostsPlugin, name: string, type: RecordType, zones: string[], steps: string[], evidence: Evidence[]): ServerAnswer | 'next' {
    const line = plugin.directive.line;
    const origins = plugin.zones.length > 0 ? plugin.zones : zones;
    if (!origins.some((z) => inZone(name, z))) return 'next';
    const bare = name.replace(/\.$/, '');
    const matching = plugin.entries.filter((e) => e.names.some((n) => n.replace(/\.$/, '') === bare));
    const family = (a: string) => (a.includes(':') ? 'AAAA' : 'A');
    const records: DnsRecord[] = matching
      .filter((e) => family(e.address) === type)
      .map((e) => ({ name, type, data: e.address.split('%')[0]!, ttl: plugin.ttl ?? 3600 }));
    const fileNote = plugin.file ? `; entries of ${plugin.file} are not in the bundle` : '';
    if (records.length > 0) {
      evidence.push(...matching.map((e) => this.evidence(e.line, `hosts entry ${e.address}`)));
      steps.push(`hosts (Corefile line ${line}): ${bare} → ${records.map((r) => r.data).join(', ')}`);
      return this.finish('NOERROR', records, steps, evidence);
    }
    const fall = plugin.fallthrough;
    if (fall && (fall.zones.length === 0 || fall.zones.some((z) => inZone(name, z)))) {
      if (matching.length > 0 || plugin.file) steps.push(`hosts (Corefile line ${line}): no ${type} entry for ${bare}${fileNote}; fallthrough`);
      return 'next';
    }
    evidence.push(this.evidence(line, 'hosts without fallthrough'));
    if (matching.length > 0) {
      steps.push(`hosts (Corefile line ${line}): ${bare} has only ${type === 'A' ? 'AAAA' : 'A'} entries: NODATA`);
      return this.finish('NOERROR', [], steps, evidence);
    }
    steps.push(`hosts (Corefile line ${line}): no entry for ${bare}${fileNote} and no fallthrough: SERVFAIL (hosts has no SOA to say NXDOMAIN)`);
    return this.finish('SERVFAIL', [], steps, evidence);
  }

  private template(plugin: TemplatePlugin, name: string, type: RecordType, zones: string[], steps: string[], evidence: Evidence[]): ServerAnswer | 'next' {
    const line = plugin.directive.line;
    const templateZones = plugin.zones.length > 0 ? plugin.zones : zones;
    const zone = templateZones.filter((z) => inZone(name, z)).sort((a, b) => b.length - a.length)[0];
    if (zone === undefined) return 'next';
    const klass = plugin.class.toUpperCase();
    const qtype = plugin.type.toUpperCase();
    if ((klass !== 'ANY' && klass !== 'IN') || (qtype !== 'ANY' && qtype !== type)) return 'next';
    const patterns = plugin.match.length > 0 ? plugin.match : ['.*'];
    for (const pattern of patterns) {
      let regex: RegExp;
      try {
        regex = new RegExp(goRegexToJs(pattern));
      } catch {
        steps.push(`template (Corefile line ${line}): regex ${pattern} cannot be evaluated here: answer unknown`);
        return this.finish('NOERROR', [], steps, evidence, { from: [`template of Corefile line ${line}`], assumed: 'answer' });
      }
      const match = regex.exec(name);
      if (!match) continue;
      evidence.push(this.evidence(line, `template ${plugin.class} ${plugin.type}`));
      const records: DnsRecord[] = [];
      for (const text of plugin.answer) {
        const rendered = renderTemplate(text, { name, zone, klass: 'IN', type, match });
        const record = rendered === undefined ? undefined : parseRecord(rendered);
        if (!record) {
          steps.push(`template (Corefile line ${line}): answer \`${text}\` uses template features not simulated: answer unknown`);
          return this.finish('NOERROR', [], steps, evidence, { from: [`template of Corefile line ${line}`], assumed: 'answer' });
        }
        records.push(record);
      }
      const rcode = (plugin.rcode?.toUpperCase() ?? 'NOERROR') as ReplyCode;
      steps.push(`template (Corefile line ${line}): ${name} matches ${pattern}: ${rcode}${records.length ? ` ${records.map((r) => `${r.type} ${r.data}`).join(', ')}` : ''}`);
      return this.finish(rcode === 'NXDOMAIN' || rcode === 'SERVFAIL' || rcode === 'REFUSED' ? rcode : 'NOERROR', records, steps, evidence);
    }
    const fall = plugin.fallthrough;
    if (fall && (fall.zones.length === 0 || fall.zones.some((z) => inZone(name, z)))) return 'next';
    evidence.push(this.evidence(line, 'template without fallthrough'));
    steps.push(`template (Corefile line ${line}): ${name} matches none of its regexes and there is no fallthrough: NXDOMAIN`);
    return this.finish('NXDOMAIN', [], steps, evidence);
  }

  private opaque(plugin: CorefilePlugin, name: string, zones: string[], steps: string[], evidence: Evidence[]): ServerAnswer | 'next' {
    const pname = pluginName(plugin);
    const line = plugin.directive.line;
    const pluginZones = plugin.directive.args.filter((a) => /^[a-z0-9.-]+\.?$/i.test(a) && a.includes('.'));
    const own = pluginZones.length > 0 ? pluginZones.map((z) => (z.endsWith('.') ? z.toLowerCase() : `${z.toLowerCase()}.`)) : zones;
    if (!own.some((z) => inZone(name, z))) return 'next';
    evidence.push(this.evidence(line, `${pname}: answers from data outside the bundle`));
    steps.push(`${pname} (Corefile line ${line}) answers ${name} from data outside the bundle: answer unknown offline`);
    return this.finish('NOERROR', [], steps, evidence, { from: [`${pname} plugin (Corefile line ${line})`], assumed: 'answer' });
  }
}

/** The first rewrite rule that applies (all of them with `continue`). */
function applyRewrites(rules: RewritePlugin[], name: string): { name: string; line: number } | undefined {
  let current = name;
  let line: number | undefined;
  for (const rule of rules) {
    if (rule.field !== 'name' || rule.from === undefined || rule.to === undefined) continue;
    const next = rewriteName(rule, current);
    if (next === undefined) continue;
    current = next;
    line = rule.directive.line;
    if (rule.mode === 'stop') break;
  }
  return line === undefined ? undefined : { name: current, line };
}

const absolute = (n: string) => (n.endsWith('.') ? n.toLowerCase() : `${n.toLowerCase()}.`);

function rewriteName(rule: RewritePlugin, name: string): string | undefined {
  const from = rule.from!;
  const to = rule.to!;
  switch (rule.match ?? 'exact') {
    case 'exact':
      return name === absolute(from) ? absolute(to) : undefined;
    case 'prefix':
      return name.startsWith(from.toLowerCase()) ? absolute(to.toLowerCase() + name.slice(from.length)) : undefined;
    case 'suffix': {
      const suffix = absolute(from);
      return name.endsWith(suffix) ? absolute(name.slice(0, name.length - suffix.length) + absolute(to)) : undefined;
    }
    case 'substring':
      return name.includes(from.toLowerCase()) ? absolute(name.split(from.toLowerCase()).join(to.toLowerCase())) : undefined;
    case 'regex': {
      let regex: RegExp;
      try {
        regex = new RegExp(goRegexToJs(from));
      } catch {
        return undefined;
      }
      const match = regex.exec(name);
      if (!match) return undefined;
      return absolute(to.replace(/\{(\d+)\}/g, (_, n: string) => match[Number(n)] ?? ''));
    }
    default:
      return undefined;
  }
}

/** Go RE2 syntax is JavaScript's for what Corefiles use; named groups differ: (?P<x>) → (?<x>). */
function goRegexToJs(pattern: string): string {
  return pattern.replace(/\(\?P</g, '(?<');
}

function renderTemplate(text: string, data: { name: string; zone: string; klass: string; type: string; match: RegExpExecArray }): string | undefined {
  let failed = false;
  const out = text.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, action: string) => {
    if (action === '.Name') return data.name;
    if (action === '.Zone') return data.zone;
    if (action === '.Class') return data.klass;
    if (action === '.Type') return data.type;
    const index = /^index \.Match (\d+)$/.exec(action);
    if (index) return data.match[Number(index[1])] ?? '';
    const group = /^\.Group\.(\w+)$/.exec(action);
    if (group) return (/^\d+$/.test(group[1]!) ? data.match[Number(group[1])] : data.match.groups?.[group[1]!]) ?? '';
    failed = true;
    return '';
  });
  return failed ? undefined : out;
}

/** `name ttl IN A 10.0.0.1` (class and ttl optional) as a record; undefined if not A/AAAA/CNAME. */
function parseRecord(text: string): DnsRecord | undefined {
  const fields = text.trim().split(/\s+/);
  const name = fields.shift();
  if (!name) return undefined;
  let ttl: number | undefined;
  if (fields[0] !== undefined && /^\d+$/.test(fields[0])) ttl = Number(fields.shift());
  if (fields[0]?.toUpperCase() === 'IN') fields.shift();
  const type = fields.shift()?.toUpperCase();
  const data = fields.join(' ');
  if (!type || data === '' || !['A', 'AAAA', 'CNAME', 'SRV', 'TXT', 'PTR', 'MX'].includes(type)) return undefined;
  const record: DnsRecord = { name: absolute(name), type, data: type === 'CNAME' ? absolute(data) : data };
  if (ttl !== undefined) record.ttl = ttl;
  return record;
}
