import type { Evidence } from '../analyzer/bundle/source-file.js';
import { CNI_NODE_FILES, nodeCnis } from '../analyzer/cni/node-cni.js';
import { anyOf, inputs, nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule, type CauseRef } from '../analyzer/engine/rule.js';
import type { Pod } from '../analyzer/kube/types.js';
import { setNodeCoverage } from './lib/node-coverage.js';
import { explainNotReady } from './lib/pod-readiness.js';
import { describeEvent, latestWarningEvents } from './lib/warning-events.js';

/**
 * The readiness probe's words when BIRD is fine but its BGP sessions are not:
 * `calico/node is not ready: BIRD is not ready: BGP not established with 10.0.1.13`.
 * The sessions are nearer the root (a firewall dropping TCP 179): calico-bgp-down explains it.
 */
const BGP_NOT_ESTABLISHED = /BGP not established/i;

/**
 * calico-node runs Felix (policy, routes, interfaces) and BIRD (BGP) on every node. Reported
 * per node when its calico-node pod is not Ready (the pod's readiness probe runs
 * `calico-node -felix-ready -bird-ready`), or when `calicoctl node status` there says the Calico
 * process is not running, no BGP backend (BIRD/GoBGP) runs, or BIRD's socket does not answer.
 * A pod whose probe fails only because BGP sessions are down is caused by calico-bgp-down.
 */
export default defineRule({
  id: 'calico-node-unhealthy',
  layer: 'cni',
  severity: 'critical',
  description: 'calico-node pods not Ready, or Felix/BIRD not running',
  area: 'CNI health',
  requires: [anyOf(`nodes/*/${CNI_NODE_FILES.calicoNodeStatus}|pods`, nodeFile(CNI_NODE_FILES.calicoNodeStatus), inputs.pods)],
  optional: [inputs.events],
  check(ctx) {
    const events = latestWarningEvents(ctx.model.kube, 'Pod');
    const podsByNode = new Map<string, Pod[]>();
    for (const pod of ctx.model.kube.pods) {
      if (pod.labels['k8s-app'] !== 'calico-node' || !pod.nodeName || pod.terminating) continue;
      const list = podsByNode.get(pod.nodeName) ?? [];
      list.push(pod);
      podsByNode.set(pod.nodeName, list);
    }
    const statusByNode = new Map(nodeCnis(ctx.model).flatMap((entry) => (entry.calicoNodeStatus ? [[entry.node, entry.calicoNodeStatus] as const] : [])));
    const nodes = [...new Set([...podsByNode.keys(), ...statusByNode.keys()])].sort();

    for (const node of nodes) {
      const sentences: string[] = [];
      const evidence: Evidence[] = [];
      const subjects = [`Node/${node}`];
      const causedBy: CauseRef[] = [];
      for (const pod of podsByNode.get(node) ?? []) {
        if (pod.ready) continue;
        const why = explainNotReady(pod);
        const event = events.get(`${pod.namespace}/${pod.name}`);
        subjects.push(pod.ref);
        sentences.push(
          `pod ${pod.namespace}/${pod.name} is not Ready (${why.headline})${why.details.length > 0 ? `: ${why.details.slice(0, 2).join('; ')}` : ''}${event ? `; last warning event: ${describeEvent(event)}` : ''}`,
        );
        evidence.push(...why.evidence.slice(0, 3));
        if (event) evidence.push(event.source.at('message', `event ${event.reason ?? ''}`.trim()));
        if (event && BGP_NOT_ESTABLISHED.test(event.message ?? '')) causedBy.push({ rule: 'calico-bgp-down', subject: `Node/${node}` });
      }
      const status = statusByNode.get(node);
      if (status) {
        const { file, value } = status;
        if (value.processRunning === false && value.processLine !== undefined) {
          sentences.push('calicoctl node status: Calico process is not running');
          evidence.push(file.evidenceAtLine(value.processLine, 'Calico process not running'));
        }
        if (value.bgpBackendRunning === false && value.bgpBackendLine !== undefined) {
          sentences.push('calicoctl node status: none of the BGP backend processes (BIRD or GoBGP) are running');
          evidence.push(file.evidenceAtLine(value.bgpBackendLine, 'no BGP backend running'));
        }
        for (const section of value.sections) {
          if (section.error === undefined) continue;
          sentences.push(`calicoctl node status, IPv${section.family}: ${section.error}`);
          evidence.push(file.evidenceAtLine(section.line, `IPv${section.family} BGP status: BIRD not answering`));
        }
      }
      if (sentences.length === 0) continue;
      ctx.report({
        subjects,
        title: `calico-node unhealthy on ${node}`,
        message: `${sentences.join('; ')}. Without a working calico-node, ${node} gets no new pod routes or policy updates (Felix) and no BGP routes to other nodes' pods (BIRD); new pods there may not start networking.`,
        evidence,
        remediation: `read the calico-node log on ${node} (Felix and BIRD lines, datastore connection errors); a calico-node that cannot reach the API server or has a wrong IP autodetection stays not Ready`,
        commands: [
          `kubectl get pods -A -l k8s-app=calico-node -o wide --field-selector spec.nodeName=${node}`,
          `kubectl -n <namespace> logs <calico-node pod on ${node}> -c calico-node --tail=200`,
          `calicoctl node status   # on ${node}`,
        ],
        causedBy,
        data: { node, pods: subjects.slice(1), status: status && { processRunning: status.value.processRunning, bgpBackendRunning: status.value.bgpBackendRunning } },
      });
    }
    const notes = podsByNode.size === 0 ? ['no calico-node pods in the bundle'] : [];
    setNodeCoverage(ctx, 'calico-node checked', nodes.length, notes);
  },
});
