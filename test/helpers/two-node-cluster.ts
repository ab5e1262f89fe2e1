/**
 * A two-node cluster for the node data-plane rule tests: node-a (10.0.1.11, podCIDR
 * 10.244.0.0/24) and node-b (10.0.1.12, 10.244.1.0/24), a web Deployment's pod on each, a
 * NodePort Service in front of them, and the iptables-save kube-proxy 1.30 writes on each node.
 * Tests add the host's own rules (Docker's, the CNI's) to these dumps.
 */
import { endpointSlice, kubectlList, node, pod, service } from './kube-objects.js';
import { kubeProxyIptablesSave, nodeIpAddr } from './node-dumps.js';

export const web = service({ namespace: 'shop', name: 'web', type: 'NodePort', clusterIPs: ['10.96.14.7'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 31080 }] });
export const webSlice = endpointSlice({
  namespace: 'shop',
  service: 'web',
  endpoints: [
    { ip: '10.244.0.5', node: 'node-a', pod: 'web-7d9f8b6c5d-4hq8z' },
    { ip: '10.244.1.6', node: 'node-b', pod: 'web-7d9f8b6c5d-q2w3e' },
  ],
});

export const clusterFiles = {
  'cluster/nodes.json': kubectlList([node({ name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.0.0/24' }), node({ name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.1.0/24' })]),
  'cluster/pods.json': kubectlList([
    pod({ namespace: 'shop', name: 'web-7d9f8b6c5d-4hq8z', labels: { app: 'web' }, ip: '10.244.0.5', node: 'node-a', hostIP: '10.0.1.11' }),
    pod({ namespace: 'shop', name: 'web-7d9f8b6c5d-q2w3e', labels: { app: 'web' }, ip: '10.244.1.6', node: 'node-b', hostIP: '10.0.1.12' }),
  ]),
  'cluster/services.json': kubectlList([web]),
  'cluster/endpointslices.json': kubectlList([webSlice]),
};

/** kube-proxy's rules on a node, with `extra` lines inserted right after a table's chain declarations. */
export function nodeDump(nodeName: string, extra: { table: 'filter' | 'nat'; declare?: string[]; rules: string[]; policy?: { chain: string; policy: string } } | undefined = undefined): string {
  const text = kubeProxyIptablesSave({ services: [web], endpointSlices: [webSlice], node: nodeName });
  if (!extra) return text;
  const lines = text.split('\n');
  const start = lines.indexOf(`*${extra.table}`);
  const commit = lines.indexOf('COMMIT', start);
  const firstRule = lines.findIndex((l, i) => i > start && l.startsWith('-A '));
  const declarations = (extra.declare ?? []).map((c) => `:${c} - [0:0]`);
  lines.splice(Math.min(firstRule, commit), 0, ...declarations, ...extra.rules);
  if (extra.policy) {
    const declaration = lines.findIndex((l, i) => i > start && l === `:${extra.policy!.chain} ACCEPT [0:0]`);
    lines[declaration] = `:${extra.policy.chain} ${extra.policy.policy} [0:0]`;
  }
  return lines.join('\n');
}

export const ipAddr = { 'node-a': nodeIpAddr('10.0.1.11'), 'node-b': nodeIpAddr('10.0.1.12') };
