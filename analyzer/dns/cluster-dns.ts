/**
 * The cluster's DNS as the bundle shows it, read once and shared by the DNS rules and the
 * `netdump dns` command (an AnalysisModel facet):
 *
 * - CoreDNS: the kube-system pods labelled `k8s-app=kube-dns`, the `kube-dns` Service and its
 *   endpoints, the Deployment, and the Corefile of the `coredns` ConfigMap;
 * - NodeLocal DNSCache: the `node-local-dns` DaemonSet and pods, the addresses it binds
 *   (`-localip`, 169.254.20.10 by default) and its own Corefile, with the `__PILLAR__`
 *   placeholders replaced the way node-cache replaces them at start-up;
 * - what the DNS pods said: `logs/kube-system/<pod>/<container>.log`, the
 *   `metrics/kube-system/<pod>.prom` scrapes, `cluster/top-pods.txt`;
 * - resolver files: `nodes/<node>/resolv.conf` and `pods/<ns>/<pod>/resolv.conf`;
 * - conntrack statistics: `nodes/<node>/conntrack-stats.txt` (`conntrack -S`);
 * - kubelet's DNS settings when the `kubelet-config` ConfigMap was collected (clusterDNS,
 *   clusterDomain, resolvConf).
 *
 * Parse problems go to the model's parse issues, once.
 */
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { ParseIssue } from '../bundle/parse-issue.js';
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { ConfigMap, EndpointSlice, Pod, Service, Workload } from '../kube/types.js';
import { corednsMetrics, type CorednsMetrics } from './coredns-metrics.js';
import { corefileFromConfigMap, findCorednsConfigMap, type CorefileInConfigMap } from './corefile-from-configmap.js';
import { parseConntrackStats, type ConntrackStats } from './parse-conntrack-stats.js';
import { parseCorednsLogs, type CorednsLogs } from './parse-coredns-logs.js';
import { parseKubectlTop, type KubectlTop } from './parse-kubectl-top.js';
import { parsePrometheusText, type PrometheusText } from './parse-prometheus-text.js';
import { parseResolvConf, type ResolvConf } from './parse-resolv-conf.js';

export const CLUSTER_DNS_FACET = 'dns.cluster-dns';

/** NodeLocal DNSCache's default link-local address (the `-localip` of its manifest). */
export const NODE_LOCAL_DNS_DEFAULT_IP = '169.254.20.10';

/** One endpoint of the kube-dns Service. */
export interface DnsEndpoint {
  ip: string;
  ready: boolean;
  pod?: Pod;
  nodeName?: string;
  /** The line that says whether it is ready. */
  evidence: Evidence;
}

export interface CorednsDeployment {
  /** kube-system pods labelled k8s-app=kube-dns (CoreDNS; kube-dns on very old clusters). */
  pods: Pod[];
  deployment?: Workload;
  /** The kube-dns Service. */
  service?: Service;
  /** Its ClusterIPs. */
  serviceIPs: string[];
  /** Every endpoint of the Service, ready or not, from EndpointSlices (else Endpoints). */
  endpoints: DnsEndpoint[];
  /** The port CoreDNS serves DNS on (the Service's dns targetPort): 53 unless changed. */
  port: number;
}

export interface NodeLocalDns {
  daemonSet?: Workload;
  pods: Pod[];
  /** Addresses node-cache listens on in every node's network namespace. */
  addresses: string[];
  /** Its Corefile, placeholders replaced. */
  corefile?: CorefileInConfigMap;
  /** Nodes where a node-local-dns pod is Ready. */
  readyNodes: Set<string>;
  /** The ClusterIP of `kube-dns-upstream`, the Service node-cache forwards cluster names to. */
  upstreamServiceIPs: string[];
}

/** A parsed bundle file. */
export interface LoadedFile<T> {
  file: string;
  value: T;
}

export interface CorednsLogFile extends LoadedFile<CorednsLogs> {
  namespace: string;
  pod: string;
  container: string;
  /** `<container>.previous.log`: the container's instance before its last restart (`kubectl logs --previous`). */
  previous: boolean;
}

export interface CorednsScrape extends LoadedFile<CorednsMetrics> {
  namespace: string;
  pod: string;
  text: PrometheusText;
}

/** kubelet's DNS settings from the kube-system/kubelet-config ConfigMap. */
export interface KubeletDnsSettings {
  configMap: ConfigMap;
  clusterDNS: string[];
  clusterDomain?: string;
  resolvConf?: string;
}

export interface ClusterDns {
  /** Without a trailing dot: `cluster.local`. */
  clusterDomain: string;
  /** Where the cluster domain was read. */
  clusterDomainSource: 'corefile' | 'kubelet-config' | 'model';
  coredns: CorednsDeployment;
  corefile?: CorefileInConfigMap;
  /** Problems parsing the CoreDNS Corefile (bundle file and line of the ConfigMap). */
  corefileIssues: ParseIssue[];
  nodeLocal?: NodeLocalDns;
  kubelet?: KubeletDnsSettings;
  /** What kubelet writes as `nameserver` for ClusterFirst pods (its clusterDNS). */
  kubeletClusterDns: string[];
  /** How kubeletClusterDns was found. */
  kubeletClusterDnsSource: string;
  /** Addresses a ClusterFirst pod may legitimately use: kube-dns ClusterIPs and NodeLocal DNSCache's. */
  clusterNameservers: Set<string>;
  logs: CorednsLogFile[];
  metrics: CorednsScrape[];
  top?: LoadedFile<KubectlTop>;
  /** By node name. */
  nodeResolvConfs: Map<string, LoadedFile<ResolvConf>>;
  /** By `namespace/pod`. */
  podResolvConfs: Map<string, LoadedFile<ResolvConf>>;
  /** By node name. */
  conntrack: Map<string, LoadedFile<ConntrackStats>>;
}

export function clusterDns(model: AnalysisModel): ClusterDns {
  return model.facet(CLUSTER_DNS_FACET, buildClusterDns);
}

const KUBE_DNS_LABEL = 'k8s-app';

function buildClusterDns(model: AnalysisModel): ClusterDns {
  const kube = model.kube;
  const issues = model.parseIssues;

  const corednsConfigMap = findCorednsConfigMap(kube.configMaps);
  const parsedCorefile = corednsConfigMap ? corefileFromConfigMap(corednsConfigMap) : undefined;
  if (parsedCorefile) issues.push(...parsedCorefile.issues);
  const corefile = parsedCorefile?.value;

  const coredns = corednsDeployment(model);
  const kubelet = kubeletSettings(kube.configMap('kube-system', 'kubelet-config'));
  const nodeLocal = nodeLocalDns(model, coredns, kubelet?.clusterDomain ?? kube.clusterDomain);
  if (nodeLocal?.corefileIssues) issues.push(...nodeLocal.corefileIssues);

  let clusterDomain = kube.clusterDomain;
  let clusterDomainSource: ClusterDns['clusterDomainSource'] = 'model';
  const fromCorefile = corefile && corefileClusterDomain(corefile);
  if (fromCorefile) {
    clusterDomain = fromCorefile;
    clusterDomainSource = 'corefile';
  } else if (kubelet?.clusterDomain) {
    clusterDomain = kubelet.clusterDomain;
    clusterDomainSource = 'kubelet-config';
  }

  let kubeletClusterDns: string[];
  let kubeletClusterDnsSource: string;
  if (kubelet && kubelet.clusterDNS.length > 0) {
    kubeletClusterDns = kubelet.clusterDNS;
    kubeletClusterDnsSource = `clusterDNS of ConfigMap kube-system/kubelet-config`;
  } else if (nodeLocal?.value && !nodeLocal.value.addresses.some((a) => coredns.serviceIPs.includes(a))) {
    kubeletClusterDns = [nodeLocal.value.addresses[0]!];
    kubeletClusterDnsSource = 'NodeLocal DNSCache listens only on its own address, so kubelet must point pods at it';
  } else if (coredns.serviceIPs.length > 0) {
    kubeletClusterDns = [coredns.serviceIPs[0]!];
    kubeletClusterDnsSource = 'the kube-dns Service ClusterIP (kubelet clusterDNS was not collected)';
  } else {
    kubeletClusterDns = [];
    kubeletClusterDnsSource = 'no kube-dns Service in the bundle';
  }

  const clusterNameservers = new Set<string>([...coredns.serviceIPs, ...(nodeLocal?.value?.addresses ?? []), ...kubeletClusterDns]);

  const dnsPodNames = new Set([...coredns.pods, ...(nodeLocal?.value?.pods ?? [])].map((p) => `${p.namespace}/${p.name}`));
  const isDnsPod = (namespace: string, pod: string) =>
    dnsPodNames.has(`${namespace}/${pod}`) || (namespace === 'kube-system' && /^(coredns|kube-dns|node-local-dns|nodelocaldns)-/.test(pod));

  const logs: CorednsLogFile[] = [];
  for (const file of model.bundle.list('logs/')) {
    const match = /^logs\/([^/]+)\/([^/]+)\/(.+?)(\.previous)?\.log$/.exec(file.path);
    if (!match || !isDnsPod(match[1]!, match[2]!)) continue;
    const parsed = parseCorednsLogs(file);
    issues.push(...parsed.issues);
    logs.push({ file: file.path, value: parsed.value, namespace: match[1]!, pod: match[2]!, container: match[3]!, previous: match[4] !== undefined });
  }

  const metrics: CorednsScrape[] = [];
  for (const file of model.bundle.list('metrics/')) {
    const match = /^metrics\/([^/]+)\/([^/]+)\.prom$/.exec(file.path);
    if (!match || !isDnsPod(match[1]!, match[2]!)) continue;
    const parsed = parsePrometheusText(file);
    issues.push(...parsed.issues);
    metrics.push({ file: file.path, value: corednsMetrics(parsed.value), text: parsed.value, namespace: match[1]!, pod: match[2]! });
  }

  let top: LoadedFile<KubectlTop> | undefined;
  const topFile = model.bundle.get('cluster/top-pods.txt');
  if (topFile) {
    const parsed = parseKubectlTop(topFile);
    issues.push(...parsed.issues);
    top = { file: topFile.path, value: parsed.value };
  }

  const nodeResolvConfs = new Map<string, LoadedFile<ResolvConf>>();
  const conntrack = new Map<string, LoadedFile<ConntrackStats>>();
  for (const node of model.bundle.nodeNames()) {
    const resolv = model.bundle.get(`nodes/${node}/resolv.conf`);
    if (resolv) {
      const parsed = parseResolvConf(resolv);
      issues.push(...parsed.issues);
      nodeResolvConfs.set(node, { file: resolv.path, value: parsed.value });
    }
    const stats = model.bundle.get(`nodes/${node}/conntrack-stats.txt`);
    if (stats) {
      const parsed = parseConntrackStats(stats);
      issues.push(...parsed.issues);
      conntrack.set(node, { file: stats.path, value: parsed.value });
    }
  }

  const podResolvConfs = new Map<string, LoadedFile<ResolvConf>>();
  for (const file of model.bundle.list('pods/')) {
    const match = /^pods\/([^/]+)\/([^/]+)\/resolv\.conf$/.exec(file.path);
    if (!match) continue;
    const parsed = parseResolvConf(file);
    issues.push(...parsed.issues);
    podResolvConfs.set(`${match[1]}/${match[2]}`, { file: file.path, value: parsed.value });
  }

  const result: ClusterDns = {
    clusterDomain,
    clusterDomainSource,
    coredns,
    corefileIssues: parsedCorefile?.issues ?? [],
    kubeletClusterDns,
    kubeletClusterDnsSource,
    clusterNameservers,
    logs,
    metrics,
    nodeResolvConfs,
    podResolvConfs,
    conntrack,
  };
  if (corefile) result.corefile = corefile;
  if (nodeLocal?.value) result.nodeLocal = nodeLocal.value;
  if (kubelet) result.kubelet = kubelet;
  if (top) result.top = top;
  return result;
}

/** The first zone of a `kubernetes` plugin that is not a reverse zone, without its dot. */
export function corefileClusterDomain(corefile: CorefileInConfigMap): string | undefined {
  for (const server of corefile.corefile.servers) {
    for (const plugin of server.plugins) {
      if (plugin.kind !== 'kubernetes') continue;
      const zone = plugin.zones.find((z) => z !== '.' && !z.endsWith('in-addr.arpa.') && !z.endsWith('ip6.arpa.'));
      if (zone) return zone.replace(/\.$/, '');
    }
  }
  return undefined;
}

function isKubeDnsService(service: Service): boolean {
  return service.namespace === 'kube-system' && (service.name === 'kube-dns' || service.selector?.[KUBE_DNS_LABEL] === 'kube-dns');
}

function corednsDeployment(model: AnalysisModel): CorednsDeployment {
  const kube = model.kube;
  const service = kube.service('kube-system', 'kube-dns') ?? kube.servicesInNamespace('kube-system').find(isKubeDnsService);
  const pods = kube.podsMatching('kube-system', { [KUBE_DNS_LABEL]: 'kube-dns' }).filter((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed');
  const deployment =
    kube.deployments.find((d) => d.namespace === 'kube-system' && d.name === 'coredns') ??
    kube.deployments.find((d) => d.namespace === 'kube-system' && d.selector?.matchLabels?.[KUBE_DNS_LABEL] === 'kube-dns');
  const endpoints = service ? serviceEndpoints(model, service) : [];
  let port = 53;
  const dnsPort = service?.ports.find((p) => p.protocol === 'UDP' && (p.port === 53 || p.name === 'dns'));
  if (dnsPort && typeof dnsPort.targetPort === 'number') port = dnsPort.targetPort;
  const result: CorednsDeployment = { pods, serviceIPs: service?.clusterIPs ?? [], endpoints, port };
  if (service) result.service = service;
  if (deployment) result.deployment = deployment;
  return result;
}

/** Endpoints of a Service, ready or not: from its EndpointSlices, else its Endpoints. */
export function serviceEndpoints(model: AnalysisModel, service: Service): DnsEndpoint[] {
  const kube = model.kube;
  const slices: readonly EndpointSlice[] = kube.slicesOf(service);
  const out: DnsEndpoint[] = [];
  const seen = new Set<string>();
  if (slices.length > 0) {
    for (const slice of slices) {
      if (slice.addressType === 'FQDN') continue;
      for (const endpoint of slice.endpoints) {
        const pod = endpoint.targetRef?.kind === 'Pod' ? kube.pod(endpoint.targetRef.namespace ?? slice.namespace, endpoint.targetRef.name) : undefined;
        for (const ip of endpoint.addresses) {
          if (seen.has(ip)) continue;
          seen.add(ip);
          const e: DnsEndpoint = {
            ip,
            ready: endpoint.conditions.ready,
            evidence: slice.source.at(`endpoints[${endpoint.index}].conditions.ready`, `endpoint ${ip} ${endpoint.conditions.ready ? 'ready' : 'not ready'}`),
          };
          if (pod) e.pod = pod;
          if (endpoint.nodeName !== undefined) e.nodeName = endpoint.nodeName;
          out.push(e);
        }
      }
    }
    return out;
  }
  const legacy = kube.endpointsOf(service);
  for (const subset of legacy?.subsets ?? []) {
    for (const address of subset.addresses) {
      if (seen.has(address.ip)) continue;
      seen.add(address.ip);
      const pod = address.targetRef?.kind === 'Pod' ? kube.pod(address.targetRef.namespace ?? service.namespace, address.targetRef.name) : undefined;
      const e: DnsEndpoint = { ip: address.ip, ready: address.ready, evidence: legacy!.source.at(`subsets[${subset.index}]`, `endpoint ${address.ip} ${address.ready ? 'ready' : 'not ready'}`) };
      if (pod) e.pod = pod;
      if (address.nodeName !== undefined) e.nodeName = address.nodeName;
      out.push(e);
    }
  }
  return out;
}

function kubeletSettings(configMap: ConfigMap | undefined): KubeletDnsSettings | undefined {
  const text = configMap?.data.kubelet;
  if (!configMap || text === undefined) return undefined;
  let config: any;
  try {
    config = parseYaml(text);
  } catch {
    return undefined;
  }
  if (!config || typeof config !== 'object') return undefined;
  const settings: KubeletDnsSettings = {
    configMap,
    clusterDNS: Array.isArray(config.clusterDNS) ? config.clusterDNS.filter((ip: unknown): ip is string => typeof ip === 'string' && isIP(ip) !== 0) : [],
  };
  if (typeof config.clusterDomain === 'string' && config.clusterDomain !== '') settings.clusterDomain = config.clusterDomain.replace(/\.$/, '');
  if (typeof config.resolvConf === 'string') settings.resolvConf = config.resolvConf;
  return settings;
}

/**
 * NodeLocal DNSCache (k8s.io/dns node-cache): a hostNetwork DaemonSet that listens on
 * `-localip` (169.254.20.10, and the kube-dns ClusterIP in kube-proxy iptables mode) in every
 * node's network namespace. Its ConfigMap holds a Corefile with placeholders that node-cache
 * fills in at start-up: __PILLAR__LOCAL__DNS__ (its address), __PILLAR__DNS__SERVER__ (the
 * kube-dns ClusterIP), __PILLAR__DNS__DOMAIN__ (the cluster domain), __PILLAR__CLUSTER__DNS__
 * (the kube-dns-upstream ClusterIP) and __PILLAR__UPSTREAM__SERVERS__ (the node's
 * /etc/resolv.conf).
 */
function nodeLocalDns(model: AnalysisModel, coredns: CorednsDeployment, clusterDomain: string): { value?: NodeLocalDns; corefileIssues?: ParseIssue[] } | undefined {
  const kube = model.kube;
  const daemonSet = kube.daemonSets.find((d) => d.namespace === 'kube-system' && (d.name === 'node-local-dns' || d.selector?.matchLabels?.[KUBE_DNS_LABEL] === 'node-local-dns'));
  const pods = kube.podsMatching('kube-system', { [KUBE_DNS_LABEL]: 'node-local-dns' }).filter((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed');
  const configMap = kube.configMap('kube-system', 'node-local-dns');
  if (!daemonSet && pods.length === 0) return undefined;

  const addresses: string[] = [];
  const containers: any[] = daemonSet?.raw?.spec?.template?.spec?.containers ?? pods[0]?.containers ?? [];
  for (const container of Array.isArray(containers) ? containers : []) {
    const args: unknown[] = [...(Array.isArray(container?.args) ? container.args : []), ...(Array.isArray(container?.command) ? container.command : [])];
    for (let i = 0; i < args.length; i++) {
      const arg = String(args[i]);
      const inline = /^--?localip=(.*)$/.exec(arg);
      const value = inline ? inline[1] : /^--?localip$/.test(arg) ? String(args[i + 1] ?? '') : undefined;
      if (value !== undefined) for (const ip of value.split(',')) if (isIP(ip.trim()) !== 0) addresses.push(ip.trim());
    }
  }
  if (addresses.length === 0) addresses.push(NODE_LOCAL_DNS_DEFAULT_IP);

  const upstreamService = kube.service('kube-system', 'kube-dns-upstream');
  const upstreamServiceIPs = upstreamService?.clusterIPs ?? [];
  const readyNodes = new Set(pods.filter((p) => p.ready && p.nodeName !== undefined).map((p) => p.nodeName!));
  const value: NodeLocalDns = { pods, addresses: [...new Set(addresses)], readyNodes, upstreamServiceIPs };
  if (daemonSet) value.daemonSet = daemonSet;

  let corefileIssues: ParseIssue[] | undefined;
  const text = configMap?.data.Corefile;
  if (configMap && text !== undefined) {
    const kubeDnsIP = coredns.serviceIPs[0] ?? '';
    const substituted = text
      .replaceAll('__PILLAR__LOCAL__DNS__', value.addresses[0]!)
      .replaceAll('__PILLAR__DNS__SERVER__', kubeDnsIP)
      .replaceAll('__PILLAR__DNS__DOMAIN__', clusterDomain)
      .replaceAll('__PILLAR__CLUSTER__DNS__', upstreamServiceIPs[0] ?? kubeDnsIP)
      .replaceAll('__PILLAR__UPSTREAM__SERVERS__', '/etc/resolv.conf');
    const parsed = corefileFromConfigMap({ ...configMap, data: { ...configMap.data, Corefile: substituted } });
    if (parsed) {
      value.corefile = parsed.value;
      corefileIssues = parsed.issues;
      for (const server of parsed.value.corefile.servers) {
        for (const plugin of server.plugins) {
          if (plugin.kind === 'bind') for (const a of plugin.addresses) if (isIP(a) !== 0 && !value.addresses.includes(a)) value.addresses.push(a);
        }
      }
    }
  }
  return corefileIssues ? { value, corefileIssues } : { value };
}
