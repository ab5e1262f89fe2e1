/**
 * What kube-proxy programmed on one node, in one mode and one IP family, rebuilt from the node's
 * dumps (iptables-save, ipvsadm + ipset, nft list ruleset) into one shape for all three modes:
 * the Service ports it serves, each with its frontends (ClusterIP, externalIPs, LoadBalancer IPs,
 * NodePorts) and, for each frontend, what a new connection from outside the node meets there —
 * the endpoints it is DNATed to with their chances, or a REJECT/DROP, or nothing.
 *
 * Every entity keeps the dump lines that prove it (`Evidence`), and is tied to the API's Service
 * port by recomputing kube-proxy's chain names (ServicePortRef), not by trusting comments.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { Service, ServicePort } from '../kube/types.js';

export type ProxyMode = 'iptables' | 'ipvs' | 'nftables';
export type IpFamily = 4 | 6;
/** Lower-case, as kube-proxy hashes and prints it. */
export type L4Protocol = 'tcp' | 'udp' | 'sctp';

/** An API Service port, and the ServicePortName string kube-proxy derives from it. */
export interface ServicePortRef {
  service: Service;
  port: ServicePort;
  /** `ns/svc:port`, or `ns/svc` for an unnamed port. */
  spn: string;
  protocol: L4Protocol;
}

export type FrontendKind = 'cluster-ip' | 'external-ip' | 'load-balancer' | 'node-port' | 'external';

/**
 * What a new connection meets at a frontend:
 * - `forward`: DNAT (or IPVS) to `endpoints`;
 * - `reject` / `drop`: a filter verdict ("has no endpoints" / "has no local endpoints");
 * - `blackhole`: captured but sent nowhere (an IPVS virtual server with no real server, or a
 *   KUBE-EXT chain with no endpoint jump and no filter verdict).
 */
export type FrontendAction = 'forward' | 'reject' | 'drop' | 'blackhole';

export interface ProgrammedEndpoint {
  ip: string;
  port: number;
  /** `10.244.1.5:8080`, `[fd00::5]:8080` (net.JoinHostPort). */
  address: string;
  /** The chance a new connection reaching the chain picks this endpoint (statistic cascade, numgen, rr). */
  share: number;
  /** iptables: the probability its statistic rule prints; absent on the last (unconditional) rule. */
  probability?: number;
  /** iptables: what kube-proxy writes for this position, as the kernel stores it: round(2³¹/k)/2³¹. */
  expectedProbability?: number;
  /** KUBE-SEP-… or endpoint-… chain; absent in IPVS mode. */
  chain?: string;
  /**
   * The chain name recomputed from the Service port and this address equals the chain's name:
   * false means the chain was written for another Service port or address (a stale comment is
   * not enough to tell). Undefined when the Service port is unknown or the mode has no chains.
   */
  chainNameMatches?: boolean;
  /** IPVS weight. */
  weight?: number;
  /** The line that selects it (a statistic rule, a numgen element, a real server). */
  evidence: Evidence;
  /** The DNAT line, when separate. */
  dnatEvidence?: Evidence;
}

export interface ProgrammedFrontend {
  /** `<ip>|<proto>|<port>`, or `node|<proto>|<nodePort>` for NodePorts on every local address. */
  key: string;
  kind: FrontendKind;
  /** Absent for a NodePort that applies to every local address. */
  ip?: string;
  protocol: L4Protocol;
  port: number;
  /** iptables NodePort rule limited to 127.0.0.0/8 (localhost NodePorts). */
  localhost?: boolean;
  action: FrontendAction;
  /** For `reject`/`drop`: what the rule's comment (or, without one, its verdict) says. */
  reason?: 'no-endpoints' | 'no-local-endpoints' | 'firewall';
  /** Endpoints reached by traffic from outside the node (after ETP/ITP); empty unless `forward`. */
  endpoints: ProgrammedEndpoint[];
  /** Chains (or the virtual server) the packet passes, for messages. */
  via: string[];
  /** The capturing line first (KUBE-SERVICES rule, map element, virtual server), then verdict lines. */
  evidence: Evidence[];
  /** Both a DNAT and a filter REJECT/DROP were found for this frontend (a contradiction). */
  conflictingVerdict?: Evidence;
}

export interface ProgrammedPolicyChain {
  /** KUBE-SVC-…, KUBE-SVL-…, service-…, local-…; the virtual server key in IPVS mode. */
  name: string;
  endpoints: ProgrammedEndpoint[];
  /** ClientIP affinity timeout, from `-m recent --rcheck --seconds N`, nft affinity sets or `persistent N`. */
  affinitySeconds?: number;
  /** The masquerade rule for off-cluster clients (`! -s <clusterCIDR> -j KUBE-MARK-MASQ`). */
  masqueradeEvidence?: Evidence;
  evidence?: Evidence;
}

export interface ProgrammedServicePort {
  /** `<spn>|<proto>` when known, else the chain hash. */
  key: string;
  protocol: L4Protocol;
  /** The API Service port whose recomputed chain names match; undefined for a Service that no longer exists. */
  ref?: ServicePortRef;
  /** ServicePortName as the rules give it (from `ref`, else from their comments or nft chain names). */
  spn?: string;
  /** The 16-character iptables hash or the nftables `H8-ns/svc/proto/port` base. */
  hash?: string;
  frontends: ProgrammedFrontend[];
  cluster?: ProgrammedPolicyChain;
  local?: ProgrammedPolicyChain;
  /** KUBE-EXT / external- chain: Local when it short-circuits pod and node traffic to the cluster chain. */
  external?: { chain: string; policy: 'Cluster' | 'Local'; evidence: Evidence[] };
  /** loadBalancerSourceRanges allowed by KUBE-FW / firewall- chains. */
  sourceRanges: { cidr: string; evidence: Evidence }[];
  healthCheckNodePort?: { port: number; evidence: Evidence };
}

export interface MasqueradeSetup {
  /** The bit KUBE-MARK-MASQ sets (0x4000 by default). */
  mark?: number;
  markEvidence?: Evidence;
  /** KUBE-POSTROUTING / masquerading lines. */
  postrouting: Evidence[];
  randomFully: boolean;
  /** `! -s <cidr>` of the masquerade rules: the pod CIDR the local-traffic detector uses. */
  localTrafficCidr?: string;
}

export interface ReconstructedDataplane {
  node: string;
  mode: ProxyMode;
  family: IpFamily;
  /** Bundle paths read. */
  files: string[];
  servicePorts: ProgrammedServicePort[];
  /** Every frontend of every Service port, by key. */
  frontends: Map<string, ProgrammedFrontend>;
  /** Service ports by the frontend key (one frontend belongs to one Service port). */
  servicePortOfFrontend: Map<string, ProgrammedServicePort>;
  masquerade: MasqueradeSetup;
}

/** `<ip>|<proto>|<port>` / `node|<proto>|<port>`: the identity of a frontend across modes and the API. */
export function frontendKey(ip: string | undefined, protocol: L4Protocol, port: number): string {
  return `${ip ?? 'node'}|${protocol}|${port}`;
}

/** `10.96.0.10:53/udp`, `NodePort 31437/tcp`, for messages. */
export function describeFrontend(frontend: { kind: FrontendKind; ip?: string; protocol: L4Protocol; port: number; localhost?: boolean }): string {
  if (frontend.kind === 'node-port') {
    const where = frontend.localhost ? ' on 127.0.0.0/8' : frontend.ip ? ` on ${frontend.ip}` : '';
    return `NodePort ${frontend.port}/${frontend.protocol}${where}`;
  }
  const host = frontend.ip?.includes(':') ? `[${frontend.ip}]` : frontend.ip;
  const label = frontend.kind === 'cluster-ip' ? 'ClusterIP' : frontend.kind === 'external-ip' ? 'externalIP' : frontend.kind === 'load-balancer' ? 'LoadBalancer IP' : 'external IP';
  return `${label} ${host}:${frontend.port}/${frontend.protocol}`;
}
