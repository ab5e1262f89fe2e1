/**
 * The resolv.conf kubelet would give a pod (pkg/kubelet/network/dns/dns.go, GetPodDNS), for
 * when the bundle has no captured `pods/<ns>/<pod>/resolv.conf`:
 *
 * - dnsPolicy ClusterFirst (the API default) on a pod network: nameservers = kubelet's
 *   `--cluster-dns` (the kube-dns Service ClusterIP, or NodeLocal DNSCache's address);
 *   search = `<ns>.svc.<domain> svc.<domain> <domain>` + the host's search domains;
 *   options = `ndots:5` only (the host's options are not inherited).
 * - ClusterFirst on a hostNetwork pod behaves as Default; ClusterFirstWithHostNet behaves as
 *   ClusterFirst.
 * - Default: the host's (kubelet `--resolv-conf`) nameservers, search and options.
 * - None: nothing but `dnsConfig`.
 * - ClusterFirst without any cluster DNS configured falls back to Default (event
 *   MissingClusterDNS).
 * - `dnsConfig` is appended: nameservers and searches de-duplicated in order, options merged
 *   by name (the pod's value wins). kubelet builds options from a Go map, so their order in
 *   the real file is unspecified; here they keep first-seen order.
 * - Limits (event DNSConfigForming): 3 nameservers; 32 search domains and 2048 characters
 *   (6 and 256 before the ExpandedDNSConfig feature, GA in 1.28); search domains longer than
 *   253 characters are dropped.
 * - kubelet reads the host file its own way (parseResolvConf in dns.go): all `nameserver`
 *   lines, the last `search` line with trailing dots trimmed, the last `options` line only;
 *   `domain` is ignored. Lines are trimmed first, so indented lines count.
 * - Not modelled: kubelet started with `--resolv-conf=""` (127.0.0.1 and search `.`).
 *
 * The result is the file text the container runtime writes (`search`, `nameserver`,
 * `options` lines) and that text read back with parseResolvConf, so the simulator sees
 * exactly what glibc would.
 */
import type { ParseIssue } from '../bundle/parse-issue.js';
import { SourceFile } from '../bundle/source-file.js';
import type { Pod } from '../kube/types.js';
import { parseResolvConf, resolverConfigFor, type ResolvConf } from './parse-resolv-conf.js';
import type { ResolverConfig } from './resolver-config.js';

export interface KubeletDnsInput {
  namespace: string;
  /** spec.dnsPolicy; undefined or '' means ClusterFirst (the API server's default). */
  dnsPolicy?: string;
  hostNetwork: boolean;
  dnsConfig?: Pod['dnsConfig'];
  clusterDomain: string;
  /** kubelet `--cluster-dns` (clusterDNS in KubeletConfiguration): usually the kube-dns ClusterIP. */
  clusterDNS: string[];
  /** The file kubelet's `--resolv-conf` points at on the pod's node, when captured. */
  hostResolvConf?: ResolvConf;
  /** Search limits: `expanded` (32 / 2048, Kubernetes ≥ 1.28 and most ≥ 1.26) or `legacy` (6 / 256). */
  searchLimits?: 'expanded' | 'legacy';
}

export type EffectiveDnsPolicy = 'ClusterFirst' | 'Default' | 'None';

export interface KubeletResolvConf {
  /** The policy kubelet applied after its fallbacks. */
  policy: EffectiveDnsPolicy;
  /** resolv.conf as the runtime writes it. */
  text: string;
  /** The text read back as glibc reads it. */
  resolvConf: ResolvConf;
  config: ResolverConfig;
  /** Warnings kubelet emits as events, in its words. */
  events: string[];
  /** Problems in reading the generated file (an invalid dnsConfig value, say). */
  issues: ParseIssue[];
}

const MAX_NAMESERVERS = 3;
const SEARCH_LIMITS = { expanded: { paths: 32, chars: 2048 }, legacy: { paths: 6, chars: 256 } } as const;
const MAX_DOMAIN_LENGTH = 253;

interface DnsParts {
  servers: string[];
  searches: string[];
  options: string[];
}

export function kubeletResolvConf(input: KubeletDnsInput): KubeletResolvConf {
  const events: string[] = [];
  const host = hostDnsParts(input.hostResolvConf);
  let policy = podDnsType(input);
  let parts: DnsParts;

  if (policy === 'None') {
    parts = { servers: [], searches: [], options: [] };
  } else if (policy === 'ClusterFirst' && input.clusterDNS.length > 0) {
    parts = { servers: [...input.clusterDNS], searches: clusterFirstSearches(host.searches, input), options: ['ndots:5'] };
  } else {
    if (policy === 'ClusterFirst') {
      events.push(
        'MissingClusterDNS: kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
      );
      policy = 'Default';
    }
    parts = host;
  }

  if (input.dnsConfig) parts = appendDnsConfig(parts, input.dnsConfig);
  parts = fitLimits(parts, input.searchLimits ?? 'expanded', events);

  const lines: string[] = [];
  if (parts.searches.length > 0) lines.push(`search ${parts.searches.join(' ')}`);
  for (const server of parts.servers) lines.push(`nameserver ${server}`);
  if (parts.options.length > 0) lines.push(`options ${parts.options.join(' ')}`);
  const text = lines.map((l) => `${l}\n`).join('');
  const parsed = parseResolvConf(new SourceFile('(resolv.conf written by kubelet)', text));
  return { policy, text, resolvConf: parsed.value, config: resolverConfigFor(parsed.value), events, issues: parsed.issues };
}

function podDnsType(input: KubeletDnsInput): EffectiveDnsPolicy {
  switch (input.dnsPolicy) {
    case 'None':
      return 'None';
    case 'ClusterFirstWithHostNet':
      return 'ClusterFirst';
    case 'Default':
      return 'Default';
    default:
      // ClusterFirst, and anything the API server would have rejected.
      return input.hostNetwork ? 'Default' : 'ClusterFirst';
  }
}

/** The host resolv.conf as kubelet's own reader sees it. */
function hostDnsParts(conf: ResolvConf | undefined): DnsParts {
  const parts: DnsParts = { servers: [], searches: [], options: [] };
  if (!conf) return parts;
  for (const entry of conf.entries) {
    if (entry.keyword === 'nameserver' && entry.args.length > 0) parts.servers.push(entry.args[0]!);
    else if (entry.keyword === 'search') parts.searches = entry.args.map((s) => s.replace(/\.$/, '')).filter((s) => s !== '');
    else if (entry.keyword === 'options') parts.options = [...entry.args];
  }
  return parts;
}

function clusterFirstSearches(hostSearches: string[], input: KubeletDnsInput): string[] {
  const domain = input.clusterDomain;
  if (domain === '') return hostSearches;
  return omitDuplicates([`${input.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...hostSearches]);
}

function appendDnsConfig(parts: DnsParts, dnsConfig: NonNullable<Pod['dnsConfig']>): DnsParts {
  const podOptions = (dnsConfig.options ?? []).map((o) => (o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name));
  return {
    servers: omitDuplicates([...parts.servers, ...(dnsConfig.nameservers ?? [])]),
    searches: omitDuplicates([...parts.searches, ...(dnsConfig.searches ?? [])]),
    options: mergeOptions(parts.options, podOptions),
  };
}

/** Options merged by name; a later value replaces an earlier one in place. */
function mergeOptions(existing: string[], added: string[]): string[] {
  const byName = new Map<string, string>();
  for (const option of [...existing, ...added]) {
    const colon = option.indexOf(':');
    byName.set(colon >= 0 ? option.slice(0, colon) : option, option);
  }
  return [...byName.values()];
}

function omitDuplicates(values: string[]): string[] {
  return [...new Set(values)];
}

function fitLimits(parts: DnsParts, limits: 'expanded' | 'legacy', events: string[]): DnsParts {
  let servers = parts.servers;
  if (servers.length > MAX_NAMESERVERS) {
    servers = servers.slice(0, MAX_NAMESERVERS);
    events.push(
      `DNSConfigForming: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${servers.join(' ')}`,
    );
  }

  const { paths, chars } = SEARCH_LIMITS[limits];
  let searches = parts.searches;
  let exceeded = false;
  if (searches.length > paths) {
    searches = searches.slice(0, paths);
    exceeded = true;
  }
  const kept = searches.filter((s) => s.length <= MAX_DOMAIN_LENGTH);
  if (kept.length !== searches.length) exceeded = true;
  searches = kept;
  const lineLength = searches.join(' ').length;
  if (lineLength > chars) {
    let cut = 0;
    let cutLength = 0;
    for (let i = searches.length - 1; i >= 0; i--) {
      cutLength += searches[i]!.length + 1;
      cut++;
      if (lineLength - cutLength <= chars) break;
    }
    searches = searches.slice(0, searches.length - cut);
    exceeded = true;
  }
  if (exceeded) {
    events.push(
      `DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`,
    );
  }
  return { servers, searches, options: parts.options };
}
