/**
 * A Service port's endpoints as kube-proxy reads them (pkg/proxy/endpointslicecache.go): from the
 * Service's EndpointSlices of the family's address type, the slice port matched to the Service
 * port by name and protocol (its number is the resolved targetPort, which may differ per slice),
 * the first address of each endpoint, conditions with `ready: nil` read as ready. Bundles from
 * clusters without EndpointSlices fall back to core/v1 Endpoints.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { EndpointSlice, Endpoints, KubeModel } from '../kube/types.js';
import { joinHostPort } from '../netfilter/kube-proxy-names.js';
import type { IpFamily, ServicePortRef } from './dataplane-types.js';
import { normalizeIp } from './service-port-index.js';

export interface ApiEndpoint {
  ip: string;
  port: number;
  /** net.JoinHostPort(ip, port). */
  address: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  /** Zones of the EndpointSlice's topology hints, when it has any. */
  hintZones?: string[];
  targetRef?: { kind: string; name: string };
  holder: EndpointSlice | Endpoints;
  /** The line listing the address. */
  evidence(note?: string): Evidence;
}

export function serviceEndpoints(kube: KubeModel, ref: ServicePortRef, family: IpFamily): ApiEndpoint[] {
  const slices = kube.slicesOf(ref.service);
  if (slices.length > 0 || kube.collected.has('endpointslices')) return fromSlices(slices, ref, family);
  const endpoints = kube.endpointsOf(ref.service);
  return endpoints ? fromEndpoints(endpoints, ref, family) : [];
}

function fromSlices(slices: readonly EndpointSlice[], ref: ServicePortRef, family: IpFamily): ApiEndpoint[] {
  const addressType = family === 6 ? 'IPv6' : 'IPv4';
  const out: ApiEndpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== addressType) continue;
    const slicePort = slice.ports.find((p) => p.name === ref.port.name && p.protocol === ref.port.protocol && p.port !== undefined);
    if (!slicePort) continue;
    const port = slicePort.port!;
    const rawEndpoints: unknown = slice.raw?.endpoints;
    for (const endpoint of slice.endpoints) {
      const first = endpoint.addresses[0];
      const ip = first !== undefined ? normalizeIp(first) : undefined;
      if (ip === undefined) continue;
      const address = joinHostPort(ip, port);
      if (seen.has(address)) continue;
      seen.add(address);
      const path = `endpoints[${endpoint.index}].addresses[0]`;
      const entry: ApiEndpoint = {
        ip,
        port,
        address,
        ready: endpoint.conditions.ready,
        serving: endpoint.conditions.serving,
        terminating: endpoint.conditions.terminating,
        holder: slice,
        evidence: (note) => slice.source.at(path, note),
      };
      if (endpoint.nodeName !== undefined) entry.nodeName = endpoint.nodeName;
      if (endpoint.targetRef) entry.targetRef = { kind: endpoint.targetRef.kind, name: endpoint.targetRef.name };
      const hints = Array.isArray(rawEndpoints) ? rawEndpoints[endpoint.index]?.hints?.forZones : undefined;
      if (Array.isArray(hints)) entry.hintZones = hints.map((z: { name?: unknown }) => String(z?.name ?? ''));
      out.push(entry);
    }
  }
  return out;
}

function fromEndpoints(endpoints: Endpoints, ref: ServicePortRef, family: IpFamily): ApiEndpoint[] {
  const out: ApiEndpoint[] = [];
  const seen = new Set<string>();
  for (const subset of endpoints.subsets) {
    // core/v1 Endpoints may leave a single port unnamed even when the Service names it.
    const subsetPort = subset.ports.find((p) => p.name === ref.port.name && p.protocol === ref.port.protocol) ?? (subset.ports.length === 1 ? subset.ports[0] : undefined);
    if (subsetPort?.port === undefined) continue;
    for (const address of subset.addresses) {
      const ip = normalizeIp(address.ip);
      if (ip === undefined || (family === 6) !== ip.includes(':')) continue;
      const joined = joinHostPort(ip, subsetPort.port);
      if (seen.has(joined)) continue;
      seen.add(joined);
      const list = address.ready ? 'addresses' : 'notReadyAddresses';
      const entry: ApiEndpoint = {
        ip,
        port: subsetPort.port,
        address: joined,
        ready: address.ready,
        serving: address.ready,
        terminating: false,
        holder: endpoints,
        evidence: (note) => endpoints.source.at(`subsets[${subset.index}].${list}`, note),
      };
      if (address.nodeName !== undefined) entry.nodeName = address.nodeName;
      if (address.targetRef) entry.targetRef = { kind: address.targetRef.kind, name: address.targetRef.name };
      out.push(entry);
    }
  }
  return out;
}
