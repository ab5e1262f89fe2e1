/**
 * The API objects behind kube-proxy's golden outputs TestOverallIPTablesRules and
 * TestOverallNFTablesRules (../shared/samples/kubeproxy-iptables-overall.txt and
 * kubeproxy-nftables-overall.txt): six Services in ns1…ns6 with their EndpointSlices, node
 * `testNodeName`, cluster CIDR 10.0.0.0/8.
 */
import { endpointSlice, service } from '../helpers/kube-objects.js';

type Json = Record<string, any>;

export const OVERALL_NODE = 'testNodeName';

export function overallTestObjects(): { services: Json[]; slices: Json[] } {
  const svc = (ns: string, name: string, ip: string, extra: Json = {}, type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' = 'ClusterIP', nodePort?: number, lbIngress?: string[]) => {
    const object = service({ namespace: ns, name, clusterIPs: [ip], type, ports: [{ name: 'p80', port: 80, targetPort: 80, ...(nodePort ? { nodePort } : {}) }], selector: { app: name }, ...(lbIngress ? { lbIngress } : {}) });
    Object.assign(object.spec as Json, extra);
    return object;
  };
  const services = [
    // ns1/svc1 ClusterIP → 10.180.0.1
    svc('ns1', 'svc1', '172.30.0.41'),
    // ns2/svc2 LoadBalancer, eTP=Local, externalIP, health check node port; its endpoint is not local
    svc('ns2', 'svc2', '172.30.0.42', { externalTrafficPolicy: 'Local', externalIPs: ['192.168.99.22'], healthCheckNodePort: 30000 }, 'LoadBalancer', 3001, ['1.2.3.4']),
    // ns3/svc3 NodePort
    svc('ns3', 'svc3', '172.30.0.43', {}, 'NodePort', 3003),
    // ns4/svc4 ClusterIP with an externalIP, two endpoints
    svc('ns4', 'svc4', '172.30.0.44', { externalIPs: ['192.168.99.33'] }),
    // ns5/svc5 LoadBalancer with source ranges and ClientIP affinity
    svc('ns5', 'svc5', '172.30.0.45', { loadBalancerSourceRanges: [' 203.0.113.0/25'], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } }, 'LoadBalancer', 3002, ['5.6.7.8']),
    // ns6/svc6 ClusterIP without endpoints
    svc('ns6', 'svc6', '172.30.0.46'),
  ];
  const slice = (ns: string, name: string, endpoints: { ip: string; node?: string }[]) => {
    const object = endpointSlice({ namespace: ns, service: name, ports: [{ name: 'p80', port: 80 }], endpoints: endpoints.map((e) => ({ ip: e.ip, node: e.node ?? '' })) });
    // The upstream endpoints have no nodeName unless they are local: such endpoints are never local.
    for (const e of (object.endpoints as Json[]) ?? []) if (e.nodeName === '') delete e.nodeName;
    return object;
  };
  const slices = [
    slice('ns1', 'svc1', [{ ip: '10.180.0.1' }]),
    slice('ns2', 'svc2', [{ ip: '10.180.0.2' }]),
    slice('ns3', 'svc3', [{ ip: '10.180.0.3' }]),
    slice('ns4', 'svc4', [{ ip: '10.180.0.4' }, { ip: '10.180.0.5', node: OVERALL_NODE }]),
    slice('ns5', 'svc5', [{ ip: '10.180.0.3' }]),
  ];
  return { services, slices };
}
