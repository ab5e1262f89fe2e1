/**
 * What CoreDNS's kubernetes plugin answers for a name in one of its zones, from the Services,
 * EndpointSlices, pods and namespaces of the bundle. Read in coredns plugin/kubernetes
 * (parse.go parseRequest, kubernetes.go Records/findServices/findPods, handler.go):
 *
 * - The name without the zone is split from the right: `svc` or `pod`, the namespace, the
 *   Service (or the dashed pod IP); then one label more is an endpoint name
 *   (`<hostname>.<svc>.<ns>.svc.<zone>`), two more are `_port._proto` (`_http._tcp.web.shop.svc...`).
 *   More labels, or a first label that is neither svc nor pod: NXDOMAIN (errInvalidRequest).
 * - The zone apex, `svc.<zone>` and `pod.<zone>`: NODATA. `<ns>.svc.<zone>`: NODATA when the
 *   namespace exists, NXDOMAIN when not. A namespace that does not exist (or is not in the
 *   plugin's `namespaces` list): NXDOMAIN.
 * - ClusterIP Service: its ClusterIPs, A for IPv4 and AAAA for IPv6 (the other family is
 *   NODATA), whether or not it has endpoints — unless `ignore empty_service`.
 * - Headless Service, or an endpoint name: the ready addresses of its EndpointSlices (an
 *   endpoint's name is its hostname, else its dashed IP, or with `endpoint_pod_names` its pod
 *   name); none: NXDOMAIN.
 * - ExternalName Service: a CNAME to the external name, which CoreDNS then resolves itself.
 * - `_port._proto`: only Service ports (or endpoint ports) of that name and protocol; SRV
 *   answers give `<svc>.<ns>.svc.<zone>` (or the endpoint's name) and the port.
 * - Pods (`a-b-c-d.<ns>.pod.<zone>`): `pods disabled` NXDOMAIN; `insecure` the IP written in
 *   the name; `verified` only if a pod of that namespace has that IP.
 * Not modelled: wildcard queries (removed in CoreDNS 1.9), multicluster, `labels` and
 * `namespace_labels` filters (reported as unsupported).
 */
import { isIP } from 'node:net';
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Service } from '../kube/types.js';
import type { KubernetesPlugin } from './corefile-types.js';
import { inZone } from './dns-zone.js';
import type { DnsRecord } from './resolver-simulation.js';

export type RecordType = 'A' | 'AAAA' | 'SRV';

export type KubernetesAnswer =
  /** Records (possibly none: NODATA). */
  | { kind: 'records'; records: DnsRecord[]; note: string; evidence: Evidence[] }
  /** NXDOMAIN, unless `fallthrough` covers the name. */
  | { kind: 'name-error'; note: string; evidence: Evidence[] }
  /** ExternalName: a CNAME whose target CoreDNS resolves in turn. */
  | { kind: 'cname'; target: string; record: DnsRecord; note: string; evidence: Evidence[] }
  /** The plugin is not responsible (not in its zones). */
  | { kind: 'not-in-zone' };

interface ParsedRequest {
  podOrSvc?: 'svc' | 'pod';
  namespace?: string;
  service?: string;
  endpoint?: string;
  port?: string;
  protocol?: string;
}

/** parseRequest: undefined for errInvalidRequest. */
function parseRequest(relative: string[]): ParsedRequest | undefined {
  const segs = relative;
  let last = segs.length - 1;
  if (last < 0) return {};
  const type = segs[last]!;
  if (type !== 'svc' && type !== 'pod') return undefined;
  const request: ParsedRequest = { podOrSvc: type };
  if (--last < 0) return request;
  request.namespace = segs[last]!;
  if (--last < 0) return request;
  request.service = segs[last]!;
  if (--last < 0) return request;
  if (last === 0) request.endpoint = segs[0]!;
  else if (last === 1) {
    request.protocol = segs[1]!.replace(/^_/, '');
    request.port = segs[0]!.replace(/^_/, '');
  } else return undefined;
  return request;
}

function matchPortAndProtocol(wantPort: string | undefined, portName: string, wantProtocol: string | undefined, protocol: string): boolean {
  if (wantPort !== undefined && wantPort !== portName.toLowerCase()) return false;
  if (wantProtocol !== undefined && wantProtocol !== protocol.toLowerCase()) return false;
  return true;
}

/** The longest of the plugin's zones holding the name. */
export function kubernetesZone(plugin: KubernetesPlugin, name: string): string | undefined {
  let best: string | undefined;
  for (const zone of plugin.zones) if (inZone(name, zone) && (best === undefined || zone.length > best.length)) best = zone;
  return best;
}

interface EndpointAddress {
  ip: string;
  hostname?: string;
  podName?: string;
  ports: { name: string; port: number; protocol: string }[];
  evidence: Evidence;
}

/** The ready addresses CoreDNS publishes for a Service (EndpointSlices, else Endpoints). */
function readyAddresses(model: AnalysisModel, service: Service): EndpointAddress[] {
  const out: EndpointAddress[] = [];
  const slices = model.kube.slicesOf(service);
  if (slices.length > 0) {
    for (const slice of slices) {
      if (slice.addressType === 'FQDN') continue;
      // A slice without ports gets a sentinel port in CoreDNS, so its addresses still answer A queries.
      const ports = slice.ports.length > 0 ? slice.ports.map((p) => ({ name: p.name, port: p.port ?? -1, protocol: p.protocol })) : [{ name: '', port: -1, protocol: '' }];
      for (const endpoint of slice.endpoints) {
        if (!endpoint.conditions.ready) continue;
        for (const ip of endpoint.addresses) {
          const address: EndpointAddress = { ip, ports, evidence: slice.source.at(`endpoints[${endpoint.index}].addresses`, `ready endpoint ${ip}`) };
          if (endpoint.hostname) address.hostname = endpoint.hostname;
          if (endpoint.targetRef?.kind === 'Pod') address.podName = endpoint.targetRef.name;
          out.push(address);
        }
      }
    }
    return out;
  }
  const endpoints = model.kube.endpointsOf(service);
  for (const subset of endpoints?.subsets ?? []) {
    const ports = subset.ports.length > 0 ? subset.ports.map((p) => ({ name: p.name, port: p.port ?? -1, protocol: p.protocol })) : [{ name: '', port: -1, protocol: '' }];
    for (const address of subset.addresses) {
      if (!address.ready) continue;
      const entry: EndpointAddress = { ip: address.ip, ports, evidence: endpoints!.source.at(`subsets[${subset.index}].addresses`, `ready endpoint ${address.ip}`) };
      if (address.hostname) entry.hostname = address.hostname;
      if (address.targetRef?.kind === 'Pod') entry.podName = address.targetRef.name;
      out.push(entry);
    }
  }
  return out;
}

/** endpointHostname: the hostname, the pod name with endpoint_pod_names, else the IP with dashes. */
function endpointHostname(address: EndpointAddress, podNames: boolean): string {
  if (address.hostname) return address.hostname.toLowerCase();
  if (podNames && address.podName) return address.podName.toLowerCase();
  return address.ip.includes('.') ? address.ip.replaceAll('.', '-') : address.ip.replaceAll(':', '-');
}

function namespaceExposed(model: AnalysisModel, plugin: KubernetesPlugin, namespace: string): boolean {
  if (plugin.namespaces.length > 0 && !plugin.namespaces.includes(namespace)) return false;
  const kube = model.kube;
  if (kube.collected.has('namespaces')) return kube.namespace(namespace) !== undefined;
  return kube.podsInNamespace(namespace).length > 0 || kube.servicesInNamespace(namespace).length > 0;
}

const familyMatches = (type: RecordType, ip: string) => (type === 'A' ? isIP(ip) === 4 : type === 'AAAA' ? isIP(ip) === 6 : true);

/** The kubernetes plugin's answer for `name` (absolute, lower-case) of `type`. */
export function kubernetesAnswer(model: AnalysisModel, plugin: KubernetesPlugin, name: string, type: RecordType): KubernetesAnswer {
  const zone = kubernetesZone(plugin, name);
  if (zone === undefined) return { kind: 'not-in-zone' };
  const ttl = plugin.ttl;
  const base = zone === '.' ? name.slice(0, -1) : name.slice(0, name.length - zone.length).replace(/\.$/, '');
  const segs = base === '' ? [] : base.split('.');
  const nodata = (note: string, evidence: Evidence[] = []): KubernetesAnswer => ({ kind: 'records', records: [], note, evidence });
  const nameError = (note: string, evidence: Evidence[] = []): KubernetesAnswer => ({ kind: 'name-error', note, evidence });

  if (segs.length > 0 && (zone.endsWith('in-addr.arpa.') || zone.endsWith('ip6.arpa.'))) {
    return nameError(`${name} is a reverse name: the kubernetes plugin answers PTR queries there, not ${type}`);
  }
  const request = parseRequest(segs);
  if (!request) return nameError(`${name} is not a Service or pod name of zone ${zone} (expected <service>.<namespace>.svc.${zone} or <a-b-c-d>.<namespace>.pod.${zone})`);
  if (request.podOrSvc === undefined || request.namespace === undefined) return nodata(`${name} is a node of the cluster zone without records of its own`);

  const namespace = request.namespace;
  if (!namespaceExposed(model, plugin, namespace)) {
    const why = plugin.namespaces.length > 0 && !plugin.namespaces.includes(namespace) ? `is not in the kubernetes plugin's namespaces list` : 'does not exist in the bundle';
    return nameError(`namespace ${namespace} ${why}`);
  }
  if (request.service === undefined) return nodata(`${name} names namespace ${namespace}, which has no records of its own`);

  if (request.podOrSvc === 'pod') return podAnswer(model, plugin, name, type, namespace, request.service, ttl);

  const service = model.kube.service(namespace, request.service);
  if (!service) return nameError(`no Service ${request.service} in namespace ${namespace}`);
  const serviceName = `${service.name}.${namespace}.svc.${zone}`;

  if (service.type === 'ExternalName') {
    if (request.endpoint !== undefined) return nameError(`Service ${namespace}/${service.name} is an ExternalName: it has no endpoints`);
    const target = (service.externalName ?? '').toLowerCase();
    if (target === '' || isIP(target) !== 0) return nameError(`ExternalName Service ${namespace}/${service.name} has no usable externalName`);
    const absolute = target.endsWith('.') ? target : `${target}.`;
    return {
      kind: 'cname',
      target: absolute,
      record: { name, type: 'CNAME', data: absolute, ttl },
      note: `ExternalName Service ${namespace}/${service.name}: CNAME ${absolute}`,
      evidence: [service.source.at('spec.externalName', `externalName ${target}`)],
    };
  }

  if (service.headless || request.endpoint !== undefined) {
    if (plugin.noEndpoints) return nameError(`the kubernetes plugin has \`noendpoints\`: endpoint records are not served`);
    const addresses = readyAddresses(model, service);
    const records: DnsRecord[] = [];
    const evidence: Evidence[] = [];
    const seen = new Set<string>();
    for (const address of addresses) {
      const hostname = endpointHostname(address, plugin.endpointPodNames);
      if (request.endpoint !== undefined && request.endpoint !== hostname) continue;
      for (const port of address.ports) {
        if (!matchPortAndProtocol(request.port, port.name, request.protocol, port.protocol)) continue;
        if (type === 'SRV') {
          if (port.port < 0) continue;
          records.push({ name, type: 'SRV', data: `0 {w} ${port.port} ${hostname}.${serviceName}`, ttl });
        } else if (familyMatches(type, address.ip) && !seen.has(address.ip)) {
          seen.add(address.ip);
          records.push({ name, type, data: address.ip, ttl });
        }
        if (evidence.length < 5 && !evidence.includes(address.evidence)) evidence.push(address.evidence);
      }
    }
    const matched = addresses.some((a) => (request.endpoint === undefined || request.endpoint === endpointHostname(a, plugin.endpointPodNames)) && a.ports.some((p) => matchPortAndProtocol(request.port, p.name, request.protocol, p.protocol)));
    if (!matched) {
      const what = request.endpoint !== undefined ? `no ready endpoint named ${request.endpoint}` : 'no ready endpoint';
      return nameError(`${service.headless ? 'headless ' : ''}Service ${namespace}/${service.name} has ${what}${request.port !== undefined ? ` with port ${request.port}/${request.protocol}` : ''}`, [service.source.at('spec.clusterIP', 'clusterIP None')]);
    }
    return { kind: 'records', records: weighted(records), note: `${service.headless ? 'headless ' : 'endpoint of '}Service ${namespace}/${service.name}: ${records.length === 0 ? `no ${type} record (NODATA)` : records.map((r) => r.data).join(', ')}`, evidence };
  }

  // ClusterIP Service.
  const ports = service.ports.filter((p) => matchPortAndProtocol(request.port, p.name, request.protocol, p.protocol));
  if (ports.length === 0) return nameError(`Service ${namespace}/${service.name} has no port ${request.port}/${request.protocol}`, [service.source.at('spec.ports')]);
  if (plugin.ignoreEmptyService && !readyAddresses(model, service).length) {
    return nameError(`Service ${namespace}/${service.name} has no ready endpoint and the kubernetes plugin has \`ignore empty_service\``);
  }
  const evidence = [service.source.at('spec.clusterIP', `ClusterIP ${service.clusterIPs.join(', ')}`)];
  if (type === 'SRV') {
    const records = ports.map((p) => ({ name, type: 'SRV', data: `0 {w} ${p.port} ${serviceName}`, ttl }));
    return { kind: 'records', records: weighted(records), note: `Service ${namespace}/${service.name}: SRV ${ports.map((p) => `${p.name || '(unnamed)'} ${p.port}/${p.protocol}`).join(', ')}`, evidence };
  }
  const records = service.clusterIPs.filter((ip) => familyMatches(type, ip)).map((ip) => ({ name, type, data: ip, ttl }));
  const note =
    records.length > 0
      ? `Service ${namespace}/${service.name}: ClusterIP ${records.map((r) => r.data).join(', ')}`
      : `Service ${namespace}/${service.name} has no ${type === 'A' ? 'IPv4' : 'IPv6'} ClusterIP (${service.clusterIPs.join(', ') || 'none'}): NODATA`;
  return { kind: 'records', records, note, evidence };
}

/** SRV weights: 100 split evenly among the records of one priority (plugin.SRV). */
function weighted(records: DnsRecord[]): DnsRecord[] {
  const srv = records.filter((r) => r.type === 'SRV');
  const weight = srv.length > 0 ? Math.floor(100 / srv.length) : 0;
  return records.map((r) => (r.type === 'SRV' ? { ...r, data: r.data.replace('{w}', String(weight)) } : r));
}

function podAnswer(model: AnalysisModel, plugin: KubernetesPlugin, name: string, type: RecordType, namespace: string, podName: string, ttl: number): KubernetesAnswer {
  if (plugin.pods === 'disabled') {
    return { kind: 'name-error', note: `pod records are disabled (the kubernetes plugin has no \`pods insecure|verified\`)`, evidence: [] };
  }
  const ip = podName.split('-').length - 1 === 3 && !podName.includes('--') ? podName.replaceAll('-', '.') : podName.replaceAll('-', ':');
  if (isIP(ip) === 0) return { kind: 'name-error', note: `${podName} is not an IP address written with dashes`, evidence: [] };
  if (plugin.pods === 'verified') {
    const pod = model.kube.podsByIP(ip).find((p) => p.namespace === namespace && p.phase !== 'Succeeded' && p.phase !== 'Failed');
    if (!pod) return { kind: 'name-error', note: `pods verified: no pod of namespace ${namespace} has IP ${ip}`, evidence: [] };
    const records = familyMatches(type, ip) && type !== 'SRV' ? [{ name, type, data: ip, ttl }] : [];
    return { kind: 'records', records, note: `pods verified: pod ${namespace}/${pod.name} has IP ${ip}`, evidence: [pod.source.at('status.podIP', `pod IP ${ip}`)] };
  }
  const records = familyMatches(type, ip) && type !== 'SRV' ? [{ name, type, data: ip, ttl }] : [];
  return { kind: 'records', records, note: `pods insecure: the IP written in the name, ${ip}, whether or not a pod has it`, evidence: [] };
}
