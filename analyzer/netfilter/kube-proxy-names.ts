/**
 * The chain names kube-proxy derives from Service ports and endpoints, so a data-plane dump can
 * be joined to the API objects (and a missing or stale chain spotted).
 *
 * iptables mode (pkg/proxy/iptables/proxier.go, portProtoHash):
 *   KUBE-SVC-/SVL-/EXT-/FW-(/XLB-) + base32(sha256(spn + proto))[:16]
 *   KUBE-SEP- + base32(sha256(spn + proto + endpoint))[:16]
 *   spn = "<ns>/<svc>:<portName>" ("<ns>/<svc>" for an unnamed port), proto = tcp|udp|sctp,
 *   endpoint = net.JoinHostPort(ip, port).
 *
 * nftables mode (pkg/proxy/nftables/proxier.go, hashAndTruncate):
 *   service-/local-/external-/firewall- + H8 + "-<ns>/<svc>/<proto>/<portName>"
 *   endpoint-/affinity- + H8 + "-<ns>/<svc>/<proto>/<portName>__<ip>/<port>" (IPv6 ':' → '.')
 *   H8 = base32(sha256(name))[:8]; names longer than 240 are cut to 237 + "...".
 */
import { hash as oneShotHash } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The first `length` characters of base32(sha256(text)) (RFC 4648 alphabet, as Go's
 * base32.StdEncoding writes it), encoding only the bytes they need: a large node's Service ports
 * and endpoints are hashed by the ten thousand.
 */
function hash(text: string, length: number): string {
  const digest = oneShotHash('sha256', text, 'buffer');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; out.length < length; ) {
    if (bits < 5) {
      buffer = ((buffer << 8) | (i < digest.length ? digest[i]! : 0)) & 0xfff;
      bits += 8;
      i++;
    }
    out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
    bits -= 5;
  }
  return out;
}

/** ServicePortName.String(): `ns/svc:port`, or `ns/svc` when the port has no name. */
export function servicePortName(namespace: string, service: string, portName: string): string {
  return portName === '' ? `${namespace}/${service}` : `${namespace}/${service}:${portName}`;
}

/** Go's net.JoinHostPort: brackets around IPv6 hosts. */
export function joinHostPort(ip: string, port: number | string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The 16-character suffix shared by KUBE-SVC-, KUBE-SVL-, KUBE-EXT-, KUBE-FW- and KUBE-XLB-. */
export function servicePortChainHash(spn: string, protocol: string): string {
  return hash(spn + protocol.toLowerCase(), 16);
}

/** The 16-character suffix of KUBE-SEP-; `endpoint` is `ip:port` (`[ip]:port` for IPv6). */
export function endpointChainHash(spn: string, protocol: string, endpoint: string): string {
  return hash(spn + protocol.toLowerCase() + endpoint, 16);
}

export interface IptablesServiceChains {
  /** Cluster-policy endpoints. */
  svc: string;
  /** Local-policy endpoints. */
  svl: string;
  /** External traffic (NodePort, externalIPs, LoadBalancer). */
  ext: string;
  /** loadBalancerSourceRanges filter. */
  fw: string;
  /** Pre-1.24 external-local chain. */
  xlb: string;
}

export function iptablesServiceChains(spn: string, protocol: string): IptablesServiceChains {
  const h = servicePortChainHash(spn, protocol);
  return { svc: `KUBE-SVC-${h}`, svl: `KUBE-SVL-${h}`, ext: `KUBE-EXT-${h}`, fw: `KUBE-FW-${h}`, xlb: `KUBE-XLB-${h}` };
}

export function iptablesEndpointChain(spn: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${endpointChainHash(spn, protocol, endpoint)}`;
}

/** knftables.NameLengthMax (256) minus the longest prefix (16). */
const NFT_CHAIN_BASE_MAX = 240;

/** kube-proxy's hashAndTruncate: `H8-name`, cut to 240 characters with "...". */
export function nftHashAndTruncate(name: string): string {
  const full = `${hash(name, 8)}-${name}`;
  return full.length > NFT_CHAIN_BASE_MAX ? `${full.slice(0, NFT_CHAIN_BASE_MAX - 3)}...` : full;
}

/** `ns/svc/proto/portName` hashed: the part after `service-`, `local-`, `external-`, `firewall-`. */
export function nftServicePortChainBase(namespace: string, service: string, protocol: string, portName: string): string {
  return nftHashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}`);
}

/** `ns/svc/proto/portName__ip/port` hashed: the part after `endpoint-` and `affinity-`. */
export function nftEndpointChainBase(
  namespace: string,
  service: string,
  protocol: string,
  portName: string,
  endpointIp: string,
  endpointPort: number | string,
): string {
  const ip = endpointIp.replaceAll(':', '.');
  return nftHashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}__${ip}/${endpointPort}`);
}

export interface NftServiceChains {
  service: string;
  local: string;
  external: string;
  firewall: string;
}

export function nftServiceChains(namespace: string, service: string, protocol: string, portName: string): NftServiceChains {
  const base = nftServicePortChainBase(namespace, service, protocol, portName);
  return { service: `service-${base}`, local: `local-${base}`, external: `external-${base}`, firewall: `firewall-${base}` };
}

/** The endpoint chain and the session-affinity set of one endpoint. */
export function nftEndpointNames(
  namespace: string,
  service: string,
  protocol: string,
  portName: string,
  endpointIp: string,
  endpointPort: number | string,
): { endpoint: string; affinity: string } {
  const base = nftEndpointChainBase(namespace, service, protocol, portName, endpointIp, endpointPort);
  return { endpoint: `endpoint-${base}`, affinity: `affinity-${base}` };
}
