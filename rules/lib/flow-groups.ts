/**
 * How policy rules name and group the ends of concrete flows: a pod by its workload (the
 * replicas of a Deployment are one end; a hostNetwork pod too), a node by name, anything else
 * by address.
 */
import type { FlowEndpoint } from '../../analyzer/policy/policy-types.js';
import { workloadOf } from './workload-of.js';

export interface EndGroup {
  /** Grouping key: `Deployment/shop/cart`, `Node/node-b`, `203.0.113.10`. */
  key: string;
  /** For messages: `Deployment shop/cart`, `node node-b (10.0.1.12)`, `203.0.113.10`. */
  label: string;
  /** A report subject, when the end is a cluster object. */
  subject?: string;
}

export function endGroup(endpoint: FlowEndpoint): EndGroup {
  switch (endpoint.kind) {
    case 'pod': {
      const workload = workloadOf(endpoint.pod);
      return { key: workload.ref, label: `${workload.kind} ${workload.namespace}/${workload.name}`, subject: workload.ref };
    }
    case 'node': {
      // A hostNetwork pod sends as its node, but the user knows it by its workload.
      if (endpoint.pod) {
        const workload = workloadOf(endpoint.pod);
        return { key: workload.ref, label: `${workload.kind} ${workload.namespace}/${workload.name} (hostNetwork, as node ${endpoint.node?.name ?? endpoint.ip})`, subject: workload.ref };
      }
      if (endpoint.node) return { key: endpoint.node.ref, label: `node ${endpoint.node.name} (${endpoint.ip})`, subject: endpoint.node.ref };
      return { key: `node:${endpoint.ip}`, label: `node ${endpoint.ip}` };
    }
    case 'external':
      return { key: endpoint.ip, label: endpoint.ip };
  }
}
