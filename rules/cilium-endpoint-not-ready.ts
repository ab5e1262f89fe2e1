import type { Evidence } from '../analyzer/bundle/source-file.js';
import { CNI_NODE_FILES, nodeCnis } from '../analyzer/cni/node-cni.js';
import type { CiliumEndpoint } from '../analyzer/cni/parse-cilium-endpoints.js';
import { nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { KubeModel } from '../analyzer/kube/types.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** States an endpoint passes through on every policy change: seen alone, they are a warning. */
const TRANSIENT = new Set(['regenerating', 'waiting-to-regenerate', 'restoring']);
/** Endpoint rows named in evidence per node, at most. */
const EVIDENCE_ROWS = 5;

/**
 * A Cilium endpoint not in state `ready` has no (or stale) BPF programs and policy: its pod's
 * traffic is dropped or follows old policy. The pod is named from the endpoint's external
 * identifiers, else from the pod owning its IP, else from its namespace and labels.
 */
export default defineRule({
  id: 'cilium-endpoint-not-ready',
  layer: 'cni',
  severity: 'critical',
  description: 'A Cilium endpoint is not in state ready',
  area: 'CNI health',
  requires: [nodeFile(CNI_NODE_FILES.ciliumEndpoints)],
  check(ctx) {
    let checked = 0;
    for (const entry of nodeCnis(ctx.model)) {
      const parsed = entry.ciliumEndpoints;
      if (!parsed) continue;
      checked++;
      const notReady = parsed.value.endpoints.filter((endpoint) => !endpoint.ready && endpoint.state !== '');
      if (notReady.length === 0) continue;

      const named = notReady.map((endpoint) => ({ endpoint, who: endpointOwner(endpoint, ctx.model.kube) }));
      const stuck = notReady.some((endpoint) => !TRANSIENT.has(endpoint.state));
      const evidence: Evidence[] = named.slice(0, EVIDENCE_ROWS).map(({ endpoint, who }) => {
        const note = `endpoint ${endpoint.id} (${who.text}) ${endpoint.state}`;
        return endpoint.source ? endpoint.source.at('status.state', note) : parsed.file.evidenceAtLine(endpoint.line, note);
      });
      const described = named.map(({ endpoint, who }) => `${endpoint.id} ${who.text}${endpoint.ipv4 ? ` ${endpoint.ipv4}` : ''}: ${endpoint.state}${endpoint.health && endpoint.health !== 'OK' ? ` (health ${endpoint.health})` : ''}`);
      ctx.report({
        subjects: [`Node/${entry.node}`, ...named.flatMap(({ who }) => (who.ref ? [who.ref] : []))],
        title: `${plural(notReady.length, 'Cilium endpoint')} on ${entry.node} not ready: ${listSome(named.map(({ who }) => who.text), 3)}`,
        message:
          `cilium endpoint list on ${entry.node}: ${listSome(described, 10, '; ')}. ` +
          (stuck
            ? 'An endpoint that is not ready has no complete datapath or policy: its pod cannot send or receive traffic (or runs with stale policy) until the agent regenerates it.'
            : 'These states are passed through on every regeneration; if they persist across a second capture, the agent is failing to regenerate (see cilium-unhealthy).'),
        evidence,
        severity: stuck ? 'critical' : 'warning',
        remediation:
          'read the cilium-agent log on the node for the endpoint id (regeneration or identity allocation errors); waiting-for-identity points at the KVStore or the CiliumIdentity API; deleting the pod recreates its endpoint',
        commands: [`cilium endpoint get ${notReady[0]!.id}   # on ${entry.node}`, `cilium endpoint log ${notReady[0]!.id}`, `kubectl -n kube-system logs <cilium pod on ${entry.node}> -c cilium-agent | grep 'endpointID=${notReady[0]!.id}'`],
        // An agent failing on the node (controllers, API access) is why its endpoints do not regenerate.
        causedBy: [{ rule: 'cilium-unhealthy', subject: `Node/${entry.node}` }],
        data: { node: entry.node, endpoints: named.map(({ endpoint, who }) => ({ id: endpoint.id, state: endpoint.state, pod: who.ref, ipv4: endpoint.ipv4, health: endpoint.health })) },
      });
    }
    setNodeCoverage(ctx, 'cilium endpoint list read', checked);
  },
});

function endpointOwner(endpoint: CiliumEndpoint, kube: KubeModel): { text: string; ref?: string } {
  if (endpoint.namespace && endpoint.podName) {
    const pod = kube.pod(endpoint.namespace, endpoint.podName);
    return { text: `pod ${endpoint.namespace}/${endpoint.podName}`, ref: pod?.ref ?? `Pod/${endpoint.namespace}/${endpoint.podName}` };
  }
  for (const ip of [endpoint.ipv4, endpoint.ipv6]) {
    const pod = ip ? kube.podsByIP(ip).find((p) => !p.hostNetwork) : undefined;
    if (pod) return { text: `pod ${pod.namespace}/${pod.name}`, ref: pod.ref };
  }
  const reserved = endpoint.labels.find((label) => label.startsWith('reserved:'));
  if (reserved) return { text: `${reserved.slice('reserved:'.length)} endpoint` };
  const shown = endpoint.labels.filter((label) => !label.startsWith('k8s:io.kubernetes.pod.namespace=') && !label.startsWith('k8s:io.cilium.k8s.')).slice(0, 3);
  return { text: `pod with ${shown.join(',') || 'no labels'}${endpoint.namespace ? ` in ${endpoint.namespace}` : ''}` };
}
