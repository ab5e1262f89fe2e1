/**
 * What kube-proxy SHOULD program on a node, from the API alone (pkg/proxy/topology.go
 * CategorizeEndpoints and the iptables/nftables/IPVS proxiers, semantics.md a):
 *
 * - cluster endpoints: the ready ones (within the node's zone when topology hints apply), or, if
 *   none is ready anywhere, the serving-and-terminating ones;
 * - local endpoints (externalTrafficPolicy / internalTrafficPolicy Local): the ready ones whose
 *   nodeName is this node, else its serving-and-terminating ones;
 * - no usable endpoint at all: every frontend REJECTs ("has no endpoints");
 * - ITP Local without local endpoints: the ClusterIP DROPs; ETP Local without local endpoints:
 *   external frontends (externalIPs, LoadBalancer IPs, NodePorts) DROP ("has no local endpoints").
 *
 * One ExpectedDataplane per node and IP family (IPv4 rules in iptables-save, IPv6 in ip6tables-save).
 * The node-independent part (each Service port's endpoints and cluster set) is computed once per
 * model and shared by all nodes; only Local policies look at the node.
 */
import type { KubeModel } from '../kube/types.js';
import { frontendKey, type FrontendKind, type IpFamily, type L4Protocol, type ServicePortRef } from './dataplane-types.js';
import { serviceEndpoints, type ApiEndpoint } from './service-endpoints.js';
import { familyOfIp, loadBalancerVips, normalizeIp, type ServicePortIndex } from './service-port-index.js';

/** kube-proxy's default ClientIP affinity timeout (v1.DefaultClientIPServiceAffinitySeconds). */
const DEFAULT_AFFINITY_SECONDS = 10800;

export interface ExpectedFrontend {
  key: string;
  kind: FrontendKind;
  ip?: string;
  protocol: L4Protocol;
  port: number;
  action: 'forward' | 'reject' | 'drop';
  reason?: 'no-endpoints' | 'no-local-endpoints';
  /** The endpoints traffic from outside the node reaches (after ETP/ITP). */
  endpoints: ApiEndpoint[];
  /** The traffic policy that chose `endpoints`. */
  policy: 'Cluster' | 'Local';
  servicePort: ExpectedServicePort;
}

export interface ExpectedServicePort {
  ref: ServicePortRef;
  family: IpFamily;
  /** Every endpoint the API lists for this port and family. */
  endpoints: ApiEndpoint[];
  clusterEndpoints: ApiEndpoint[];
  localEndpoints: ApiEndpoint[];
  /** A usable endpoint exists somewhere (ready, or serving and terminating). */
  hasEndpoints: boolean;
  /** Topology hints narrowed the cluster endpoints to the node's zone. */
  topologyFiltered: boolean;
  externalPolicy: 'Cluster' | 'Local';
  internalPolicy: 'Cluster' | 'Local';
  /** ClientIP affinity timeout, when sessionAffinity is ClientIP. */
  affinitySeconds?: number;
  frontends: ExpectedFrontend[];
}

export interface ExpectedDataplane {
  node: string;
  family: IpFamily;
  servicePorts: ExpectedServicePort[];
  frontends: Map<string, ExpectedFrontend>;
}

interface PortFacts {
  ref: ServicePortRef;
  family: IpFamily;
  endpoints: ApiEndpoint[];
  clusterIPs: string[];
  externalIPs: string[];
  lbIPs: string[];
  externallyAccessible: boolean;
  externalLocal: boolean;
  internalLocal: boolean;
  topologyMode: boolean;
  /** Ready endpoints anywhere, else serving-and-terminating ones (no topology applied). */
  clusterEndpoints: ApiEndpoint[];
  hasEndpoints: boolean;
}

/** Computes expectations per node, sharing the per-Service-port work across nodes. */
export class ExpectedDataplanes {
  private readonly facts = new Map<IpFamily, PortFacts[]>();

  constructor(
    private readonly kube: KubeModel,
    private readonly index: ServicePortIndex,
  ) {}

  private portFacts(family: IpFamily): PortFacts[] {
    let list = this.facts.get(family);
    if (list) return list;
    list = [];
    for (const ref of this.index.refs) {
      const service = ref.service;
      const clusterIPs = service.clusterIPs.map(normalizeIp).filter((ip): ip is string => ip !== undefined && familyOfIp(ip) === family);
      if (clusterIPs.length === 0) continue;
      const externalIPs = service.externalIPs.map(normalizeIp).filter((ip): ip is string => ip !== undefined && familyOfIp(ip) === family);
      const lbIPs = loadBalancerVips(service).filter((ip) => familyOfIp(ip) === family);
      const externallyAccessible = service.type === 'NodePort' || service.type === 'LoadBalancer' || service.externalIPs.length > 0;
      const endpoints = serviceEndpoints(this.kube, ref, family);
      const ready = endpoints.filter((e) => e.ready);
      const clusterEndpoints = ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.terminating);
      const topologyMode = usesTopology(service.annotations, service.raw?.spec?.trafficDistribution, ready);
      list.push({
        ref,
        family,
        endpoints,
        clusterIPs,
        externalIPs,
        lbIPs,
        externallyAccessible,
        externalLocal: externallyAccessible && service.externalTrafficPolicy === 'Local',
        internalLocal: service.internalTrafficPolicy === 'Local',
        topologyMode,
        clusterEndpoints,
        hasEndpoints: clusterEndpoints.length > 0,
      });
    }
    this.facts.set(family, list);
    return list;
  }

  /** The Service ports with frontends in this family (for "does the API have any IPv6 Service?"). */
  hasServicePorts(family: IpFamily): boolean {
    return this.portFacts(family).length > 0;
  }

  forNode(node: string, family: IpFamily): ExpectedDataplane {
    const zone = this.kube.node(node)?.labels['topology.kubernetes.io/zone'];
    const servicePorts: ExpectedServicePort[] = [];
    const frontends = new Map<string, ExpectedFrontend>();
    for (const facts of this.portFacts(family)) {
      const expected = this.expectServicePort(facts, node, zone);
      servicePorts.push(expected);
      for (const frontend of expected.frontends) if (!frontends.has(frontend.key)) frontends.set(frontend.key, frontend);
    }
    return { node, family, servicePorts, frontends };
  }

  private expectServicePort(facts: PortFacts, node: string, zone: string | undefined): ExpectedServicePort {
    const { ref, externalLocal, internalLocal, externallyAccessible } = facts;
    const usesCluster = !internalLocal || externallyAccessible;
    const usesLocal = internalLocal || externalLocal;

    let clusterEndpoints: ApiEndpoint[] = [];
    let topologyFiltered = false;
    if (usesCluster) {
      clusterEndpoints = facts.clusterEndpoints;
      if (facts.topologyMode && zone !== undefined) {
        const inZone = clusterEndpoints.filter((e) => e.hintZones?.includes(zone));
        if (inZone.length > 0) {
          clusterEndpoints = inZone;
          topologyFiltered = true;
        }
      }
    }
    let localEndpoints: ApiEndpoint[] = [];
    if (usesLocal) {
      const local = facts.endpoints.filter((e) => e.nodeName === node);
      const ready = local.filter((e) => e.ready);
      localEndpoints = ready.length > 0 ? ready : local.filter((e) => e.serving && e.terminating);
    }
    const hasEndpoints = facts.hasEndpoints;
    const hasInternal = hasEndpoints && (!internalLocal || localEndpoints.length > 0);
    const hasExternal = hasEndpoints && (!externalLocal || localEndpoints.length > 0);

    const expected: ExpectedServicePort = {
      ref,
      family: facts.family,
      endpoints: facts.endpoints,
      clusterEndpoints,
      localEndpoints,
      hasEndpoints,
      topologyFiltered,
      externalPolicy: externalLocal ? 'Local' : 'Cluster',
      internalPolicy: internalLocal ? 'Local' : 'Cluster',
      frontends: [],
    };
    if (ref.service.sessionAffinity === 'ClientIP') expected.affinitySeconds = ref.service.sessionAffinityTimeoutSeconds ?? DEFAULT_AFFINITY_SECONDS;

    const add = (kind: FrontendKind, ip: string | undefined, port: number, internal: boolean) => {
      const local = internal ? internalLocal : externalLocal;
      const has = internal ? hasInternal : hasExternal;
      const frontend: ExpectedFrontend = {
        key: frontendKey(ip, ref.protocol, port),
        kind,
        protocol: ref.protocol,
        port,
        action: !hasEndpoints ? 'reject' : has ? 'forward' : 'drop',
        endpoints: has ? (local ? localEndpoints : clusterEndpoints) : [],
        policy: local ? 'Local' : 'Cluster',
        servicePort: expected,
      };
      if (ip !== undefined) frontend.ip = ip;
      if (frontend.action !== 'forward') frontend.reason = frontend.action === 'reject' ? 'no-endpoints' : 'no-local-endpoints';
      expected.frontends.push(frontend);
    };
    for (const ip of facts.clusterIPs) add('cluster-ip', ip, ref.port.port, true);
    for (const ip of facts.externalIPs) add('external-ip', ip, ref.port.port, false);
    for (const ip of facts.lbIPs) add('load-balancer', ip, ref.port.port, false);
    if (ref.port.nodePort !== undefined && (ref.service.type === 'NodePort' || ref.service.type === 'LoadBalancer')) add('node-port', undefined, ref.port.nodePort, false);
    return expected;
  }
}

/**
 * Topology-aware routing (`service.kubernetes.io/topology-mode: Auto`, the older
 * topology-aware-hints annotation, or trafficDistribution PreferClose) narrows cluster endpoints
 * to the node's zone when every ready endpoint carries zone hints.
 */
function usesTopology(annotations: Readonly<Record<string, string>>, trafficDistribution: unknown, ready: ApiEndpoint[]): boolean {
  const mode = annotations['service.kubernetes.io/topology-mode'] ?? annotations['service.kubernetes.io/topology-aware-hints'];
  const enabled = (mode !== undefined && mode !== '' && mode.toLowerCase() !== 'disabled') || trafficDistribution === 'PreferClose';
  return enabled && ready.length > 0 && ready.every((e) => e.hintZones !== undefined && e.hintZones.length > 0);
}
