/**
 * How the policy engine names endpoints and ports in reasons and notes: `x/a`,
 * `node node-a (10.0.0.11)`, `8.8.8.8`, `80/TCP`.
 */
import type { FlowEndpoint, PolicyFlow } from './policy-types.js';

export function describeEndpoint(endpoint: FlowEndpoint): string {
  switch (endpoint.kind) {
    case 'pod':
      return `${endpoint.pod.namespace}/${endpoint.pod.name}`;
    case 'node': {
      const via = endpoint.pod ? ` (hostNetwork pod ${endpoint.pod.namespace}/${endpoint.pod.name})` : '';
      return endpoint.node ? `node ${endpoint.node.name} ${endpoint.ip}${via}` : `node ${endpoint.ip}${via}`;
    }
    case 'external':
      return endpoint.ip;
  }
}

/** `80/TCP`, `ICMP`, `TCP (any port)`. */
export function describePort(flow: Pick<PolicyFlow, 'protocol' | 'port'>): string {
  if (flow.protocol === 'ICMP' || flow.protocol === 'ICMPv6') return flow.protocol;
  return flow.port === undefined ? `${flow.protocol} (no port given)` : `${flow.port}/${flow.protocol}`;
}

/** `x/a → y/b:80/TCP`. */
export function describeFlow(flow: PolicyFlow): string {
  return `${describeEndpoint(flow.src)} → ${describeEndpoint(flow.dst)} ${describePort(flow)}`;
}
