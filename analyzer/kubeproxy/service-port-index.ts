/**
 * The API's Service ports as kube-proxy names and addresses them, indexed so a dump can be
 * joined to them: by the iptables chain hash (base32(sha256(spn + proto))[:16]), by the nftables
 * chain base (`H8-ns/svc/proto/port`), by ServicePortName, by frontend address and by NodePort.
 * Chain-name indexes hash every Service port once, on first use, per model.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { KubeModel, Service } from '../kube/types.js';
import { formatIpAddress, parseIpAddress } from '../netfilter/ip-cidr.js';
import { nftServicePortChainBase, servicePortChainHash, servicePortName } from '../netfilter/kube-proxy-names.js';
import { frontendKey, type FrontendKind, type IpFamily, type L4Protocol, type ServicePortRef } from './dataplane-types.js';

export interface ApiFrontend {
  ref: ServicePortRef;
  kind: FrontendKind;
  ip?: string;
  protocol: L4Protocol;
  port: number;
}

export interface ServicePortIndex {
  /** Every Service port kube-proxy programs, in API order. */
  refs: readonly ServicePortRef[];
  byIptablesHash(hash: string): ServicePortRef | undefined;
  byNftBase(base: string): ServicePortRef | undefined;
  bySpn(spn: string, protocol: L4Protocol): ServicePortRef | undefined;
  /** The ClusterIP, externalIP or LoadBalancer IP frontend at this address. */
  frontend(ip: string, protocol: L4Protocol, port: number): ApiFrontend | undefined;
  byNodePort(protocol: L4Protocol, nodePort: number): ServicePortRef | undefined;
}

const SERVICE_PORT_INDEX_FACET = 'kubeproxy/service-port-index';

/** kube-proxy ignores Services carrying this label (they belong to another proxy). */
const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';

/** Services kube-proxy programs: not ExternalName, not headless, with a ClusterIP, not handed to another proxy. */
export function isProxiedService(service: Service): boolean {
  return service.type !== 'ExternalName' && !service.headless && service.clusterIPs.length > 0 && service.labels[SERVICE_PROXY_NAME_LABEL] === undefined;
}

/** An address in canonical form (`fd00::a`), or undefined when it is not an IP address. */
export function normalizeIp(text: string): string | undefined {
  const address = parseIpAddress(text.trim());
  return address ? formatIpAddress(address) : undefined;
}

export function familyOfIp(ip: string): IpFamily {
  return ip.includes(':') ? 6 : 4;
}

export function lowerProtocol(protocol: string): L4Protocol {
  const p = protocol.toLowerCase();
  return p === 'udp' || p === 'sctp' ? p : 'tcp';
}

/** LoadBalancer VIPs kube-proxy captures: ingress IPs, except those with ipMode Proxy (1.30+). */
export function loadBalancerVips(service: Service): string[] {
  const ingress: unknown = service.raw?.status?.loadBalancer?.ingress;
  const out: string[] = [];
  if (!Array.isArray(ingress)) return out;
  for (const entry of ingress) {
    if (!entry || typeof entry !== 'object') continue;
    const ip = typeof entry.ip === 'string' ? normalizeIp(entry.ip) : undefined;
    if (ip && entry.ipMode !== 'Proxy') out.push(ip);
  }
  return out;
}

export function buildServicePortIndex(kube: KubeModel): ServicePortIndex {
  const refs: ServicePortRef[] = [];
  const bySpn = new Map<string, ServicePortRef>();
  const frontends = new Map<string, ApiFrontend>();
  const nodePorts = new Map<string, ServicePortRef>();
  for (const service of kube.services) {
    if (!isProxiedService(service)) continue;
    const clusterIPs = service.clusterIPs.map(normalizeIp).filter((ip): ip is string => ip !== undefined);
    const externalIPs = service.externalIPs.map(normalizeIp).filter((ip): ip is string => ip !== undefined);
    const lbIPs = loadBalancerVips(service);
    for (const port of service.ports) {
      const protocol = lowerProtocol(port.protocol);
      const ref: ServicePortRef = { service, port, spn: servicePortName(service.namespace, service.name, port.name), protocol };
      refs.push(ref);
      const spnKey = `${ref.spn}|${protocol}`;
      if (!bySpn.has(spnKey)) bySpn.set(spnKey, ref);
      const add = (kind: FrontendKind, ip: string) => {
        const key = frontendKey(ip, protocol, port.port);
        if (!frontends.has(key)) frontends.set(key, { ref, kind, ip, protocol, port: port.port });
      };
      for (const ip of clusterIPs) add('cluster-ip', ip);
      for (const ip of externalIPs) add('external-ip', ip);
      for (const ip of lbIPs) add('load-balancer', ip);
      if (port.nodePort !== undefined && !nodePorts.has(`${protocol}|${port.nodePort}`)) nodePorts.set(`${protocol}|${port.nodePort}`, ref);
    }
  }

  let byHash: Map<string, ServicePortRef> | undefined;
  let byNft: Map<string, ServicePortRef> | undefined;
  return {
    refs,
    byIptablesHash(hash) {
      if (!byHash) {
        byHash = new Map();
        for (const ref of refs) byHash.set(servicePortChainHash(ref.spn, ref.protocol), ref);
      }
      return byHash.get(hash);
    },
    byNftBase(base) {
      if (!byNft) {
        byNft = new Map();
        for (const ref of refs) byNft.set(nftServicePortChainBase(ref.service.namespace, ref.service.name, ref.protocol, ref.port.name), ref);
      }
      return byNft.get(base);
    },
    bySpn: (spn, protocol) => bySpn.get(`${spn}|${protocol}`),
    frontend: (ip, protocol, port) => frontends.get(frontendKey(ip, protocol, port)),
    byNodePort: (protocol, nodePort) => nodePorts.get(`${protocol}|${nodePort}`),
  };
}

/** The model's index, built once per analysis. */
export function servicePortIndex(model: AnalysisModel): ServicePortIndex {
  return model.facet(SERVICE_PORT_INDEX_FACET, (m) => buildServicePortIndex(m.kube));
}
