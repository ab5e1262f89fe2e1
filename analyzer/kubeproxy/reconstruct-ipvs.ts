/**
 * kube-proxy's IPVS mode, read back from `ipvsadm -Ln` and `ipset save` (semantics.md b):
 * one virtual server per ClusterIP, externalIP and LoadBalancer IP (and per node address for a
 * NodePort), real servers with Masq forwarding, `persistent <s>` for ClientIP affinity, and the
 * KUBE-* ipsets that say what each address is (KUBE-CLUSTER-IP, KUBE-EXTERNAL-IP,
 * KUBE-LOAD-BALANCER, KUBE-NODE-PORT-<PROTO>, and the -LOCAL sets of externalTrafficPolicy=Local).
 *
 * Virtual servers are tied to the API by their address and port (IPVS keeps no names). One that
 * matches no Service is kept only when kube-proxy's ipsets list it, so virtual servers of other
 * software are not taken for stale Services. Real servers of weight 0 are being drained (kube-proxy's
 * graceful termination) and receive no new connections.
 */
import type { Evidence, SourceFile } from '../bundle/source-file.js';
import { formatIpAddress } from '../netfilter/ip-cidr.js';
import { ipsetContains } from '../netfilter/ipset-contains.js';
import type { IpsetDump } from '../netfilter/ipset-types.js';
import { joinHostPort } from '../netfilter/kube-proxy-names.js';
import type { IpvsDump, IpvsVirtualServer } from '../netfilter/parse-ipvsadm.js';
import {
  frontendKey,
  type FrontendKind,
  type IpFamily,
  type L4Protocol,
  type ProgrammedEndpoint,
  type ProgrammedFrontend,
  type ProgrammedServicePort,
  type ReconstructedDataplane,
  type ServicePortRef,
} from './dataplane-types.js';
import type { ParsedNodeFile } from './node-dataplane.js';
import type { ServicePortIndex } from './service-port-index.js';

export interface IpvsInputs {
  ipvs: ParsedNodeFile<IpvsDump>;
  ipset?: ParsedNodeFile<IpsetDump>;
  /** The node's own addresses (ip-addr.txt, else its API addresses): NodePort virtual servers sit on them. */
  nodeAddresses: readonly string[];
}

export function reconstructIpvs(node: string, family: IpFamily, inputs: IpvsInputs, index: ServicePortIndex): ReconstructedDataplane {
  const { ipvs, ipset } = inputs;
  const file = ipvs.file;
  const setPrefix = family === 6 ? 'KUBE-6-' : 'KUBE-';
  const sets = ipset?.value.sets;
  const inSet = (name: string, probe: { ip?: string; protocol?: string; port?: number }): boolean => {
    const set = sets?.get(`${setPrefix}${name}`);
    return set !== undefined && ipsetContains(set, probe, sets) === 'match';
  };
  const localAddresses = new Set(inputs.nodeAddresses);

  const servicePorts = new Map<string, ProgrammedServicePort>();
  const frontends = new Map<string, ProgrammedFrontend>();
  const servicePortOfFrontend = new Map<string, ProgrammedServicePort>();

  const servicePortFor = (ref: ServicePortRef | undefined, fallbackKey: string, protocol: L4Protocol): ProgrammedServicePort => {
    const key = ref ? `${ref.spn}|${ref.protocol}` : fallbackKey;
    let servicePort = servicePorts.get(key);
    if (!servicePort) {
      servicePort = { key, protocol, frontends: [], sourceRanges: [] };
      if (ref) {
        servicePort.ref = ref;
        servicePort.spn = ref.spn;
      }
      servicePorts.set(key, servicePort);
    }
    return servicePort;
  };

  for (const server of ipvs.value.virtualServers) {
    if (server.family !== family || !server.address || server.port === undefined || server.protocol === 'FWM') continue;
    const protocol = server.protocol.toLowerCase() as L4Protocol;
    const ip = formatIpAddress(server.address);
    const port = server.port;
    const api = index.frontend(ip, protocol, port);
    let kind: FrontendKind | undefined = api?.kind;
    let ref = api?.ref;
    if (!api) {
      const nodePortRef = index.byNodePort(protocol, port);
      const onNode = localAddresses.has(ip) || inSet(`NODE-PORT-${protocol.toUpperCase()}`, { port }) || inSet('NODE-PORT-SCTP-HASH', { ip, protocol, port });
      if (nodePortRef && onNode) {
        kind = 'node-port';
        ref = nodePortRef;
      } else if (inSet('CLUSTER-IP', { ip, protocol, port })) kind = 'cluster-ip';
      else if (inSet('EXTERNAL-IP', { ip, protocol, port })) kind = 'external-ip';
      else if (inSet('LOAD-BALANCER', { ip, protocol, port })) kind = 'load-balancer';
      else if (onNode && sets?.get(`${setPrefix}NODE-PORT-${protocol.toUpperCase()}`)) kind = 'node-port';
    }
    // Not an API frontend and not in kube-proxy's ipsets: another program's virtual server.
    if (!kind) continue;

    const servicePort = servicePortFor(ref, `?${kind === 'node-port' ? 'node' : ip}|${protocol}|${port}`, protocol);
    const endpoints = realServers(file, server);
    const evidence = file.evidenceAtLine(server.line);
    const key = kind === 'node-port' ? frontendKey(undefined, protocol, port) : frontendKey(ip, protocol, port);
    const existing = frontends.get(key);
    if (existing) {
      // A NodePort has one virtual server per node address; they carry the same real servers.
      existing.evidence.push(evidence);
      continue;
    }
    const frontend: ProgrammedFrontend = {
      key,
      kind,
      protocol,
      port,
      action: endpoints.length > 0 ? 'forward' : 'blackhole',
      endpoints,
      via: [`IPVS ${server.key}`],
      evidence: [evidence],
    };
    if (kind !== 'node-port') frontend.ip = ip;
    frontends.set(key, frontend);
    servicePortOfFrontend.set(key, servicePort);
    servicePort.frontends.push(frontend);

    if (kind === 'cluster-ip') {
      servicePort.cluster = { name: `IPVS ${server.key}`, endpoints, evidence };
      if (server.persistent) servicePort.cluster.affinitySeconds = server.persistent.timeoutSeconds;
    } else {
      const localSet = kind === 'node-port' ? `NODE-PORT-LOCAL-${protocol.toUpperCase()}` : kind === 'load-balancer' ? 'LOAD-BALANCER-LOCAL' : 'EXTERNAL-IP-LOCAL';
      const local = kind === 'node-port' ? inSet(localSet, { port }) : inSet(localSet, { ip, protocol, port });
      servicePort.external ??= { chain: `IPVS ${server.key}`, policy: local ? 'Local' : 'Cluster', evidence: [evidence] };
    }
  }

  return {
    node,
    mode: 'ipvs',
    family,
    files: ipset ? [file.path, ipset.file.path] : [file.path],
    servicePorts: [...servicePorts.values()],
    frontends,
    servicePortOfFrontend,
    masquerade: { postrouting: [], randomFully: false },
  };
}

function realServers(file: SourceFile, server: IpvsVirtualServer): ProgrammedEndpoint[] {
  const live = server.realServers.filter((r) => r.weight === undefined || r.weight > 0);
  const total = live.reduce((sum, r) => sum + (r.weight ?? 1), 0);
  return live.map((real) => {
    const ip = formatIpAddress(real.address);
    const evidence: Evidence = file.evidenceAtLine(real.line);
    const endpoint: ProgrammedEndpoint = { ip, port: real.port, address: joinHostPort(ip, real.port), share: total > 0 ? (real.weight ?? 1) / total : 0, evidence };
    if (real.weight !== undefined) endpoint.weight = real.weight;
    return endpoint;
  });
}
