/**
 * One Service's endpoints as the data plane sees them: from its EndpointSlices, or from its
 * core/v1 Endpoints object on clusters (or bundles) without slices. Each address keeps a way
 * to cite the line that lists it.
 */
import type { Evidence } from '../../analyzer/bundle/source-file.js';
import type { EndpointSlice, Endpoints, KubeModel, Service } from '../../analyzer/kube/types.js';

export type AddressFamily = 'IPv4' | 'IPv6';

export interface EndpointEntry {
  address: string;
  family: AddressFamily;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
  /** The object that lists this address. */
  holder: EndpointSlice | Endpoints;
  /** The line holding the address. */
  addressEvidence(note?: string): Evidence;
  /** The line saying whether it is ready (the address line for core/v1 Endpoints). */
  readyEvidence(note?: string): Evidence;
}

export interface EndpointView {
  /** Where the addresses come from; 'none' when no object names the Service. */
  kind: 'EndpointSlice' | 'Endpoints' | 'none';
  objects: (EndpointSlice | Endpoints)[];
  entries: EndpointEntry[];
}

export const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller.k8s.io';

export function familyOf(address: string): AddressFamily {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}

/**
 * The Service's EndpointSlices when it has any, else its Endpoints object. With
 * `controllerManagedOnly`, slices written by other controllers (mirrored or third-party)
 * are left out, since they are not derived from the selector.
 */
export function endpointViewOf(kube: KubeModel, service: Service, options: { controllerManagedOnly?: boolean } = {}): EndpointView {
  let slices = kube.slicesOf(service).filter((s) => s.addressType !== 'FQDN');
  if (options.controllerManagedOnly) slices = slices.filter((s) => s.managedBy === undefined || s.managedBy === ENDPOINTSLICE_CONTROLLER);
  if (slices.length > 0) return { kind: 'EndpointSlice', objects: slices, entries: slices.flatMap(sliceEntries) };
  const endpoints = kube.endpointsOf(service);
  if (endpoints) return { kind: 'Endpoints', objects: [endpoints], entries: endpointsEntries(endpoints) };
  return { kind: 'none', objects: [], entries: [] };
}

function sliceEntries(slice: EndpointSlice): EndpointEntry[] {
  const entries: EndpointEntry[] = [];
  for (const endpoint of slice.endpoints) {
    endpoint.addresses.forEach((address, a) => {
      const base = `endpoints[${endpoint.index}]`;
      const entry: EndpointEntry = {
        address,
        family: familyOf(address),
        ready: endpoint.conditions.ready,
        serving: endpoint.conditions.serving,
        terminating: endpoint.conditions.terminating,
        holder: slice,
        addressEvidence: (note) => slice.source.at(`${base}.addresses[${a}]`, note),
        readyEvidence: (note) => slice.source.at(`${base}.conditions.ready`, note),
      };
      if (endpoint.nodeName !== undefined) entry.nodeName = endpoint.nodeName;
      if (endpoint.targetRef !== undefined) entry.targetRef = endpoint.targetRef;
      entries.push(entry);
    });
  }
  return entries;
}

function endpointsEntries(endpoints: Endpoints): EndpointEntry[] {
  const entries: EndpointEntry[] = [];
  for (const subset of endpoints.subsets) {
    const rawSubset = endpoints.raw?.subsets?.[subset.index];
    for (const address of subset.addresses) {
      const list = address.ready ? 'addresses' : 'notReadyAddresses';
      const rawIndex = Array.isArray(rawSubset?.[list]) ? rawSubset[list].findIndex((a: { ip?: string }) => a?.ip === address.ip) : -1;
      const path = rawIndex >= 0 ? `subsets[${subset.index}].${list}[${rawIndex}].ip` : `subsets[${subset.index}].${list}`;
      const entry: EndpointEntry = {
        address: address.ip,
        family: familyOf(address.ip),
        ready: address.ready,
        // core/v1 Endpoints have no serving/terminating conditions: terminating pods are left out.
        serving: address.ready,
        terminating: false,
        holder: endpoints,
        addressEvidence: (note) => endpoints.source.at(path, note),
        readyEvidence: (note) => endpoints.source.at(path, note),
      };
      if (address.nodeName !== undefined) entry.nodeName = address.nodeName;
      if (address.targetRef !== undefined) entry.targetRef = address.targetRef;
      entries.push(entry);
    }
  }
  return entries;
}

/** `EndpointSlice shop/cart-x7k2p` / `Endpoints shop/cart`, for messages. */
export function describeHolder(holder: EndpointSlice | Endpoints): string {
  return `${holder.kind} ${holder.namespace}/${holder.name}`;
}

/**
 * Address families the Service's endpoints are published for: its ipFamilies (or the
 * families of its ClusterIPs). core/v1 Endpoints carry the primary family only.
 */
export function expectedFamilies(service: Service, kind: EndpointView['kind']): Set<AddressFamily> | undefined {
  let families = service.ipFamilies.filter((f): f is AddressFamily => f === 'IPv4' || f === 'IPv6');
  if (families.length === 0) families = service.clusterIPs.map(familyOf);
  if (families.length === 0) return undefined;
  return new Set(kind === 'Endpoints' ? [families[0]!] : families);
}
