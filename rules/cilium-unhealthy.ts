import type { Evidence } from '../analyzer/bundle/source-file.js';
import { CNI_NODE_FILES, nodeCnis } from '../analyzer/cni/node-cni.js';
import type { CiliumComponentState, CiliumStatus } from '../analyzer/cni/parse-cilium-status.js';
import { nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import { listSome } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** Listed controllers and health rows named in evidence, at most. */
const EVIDENCE_ROWS = 5;

/**
 * `cilium status --verbose` on a node: an agent that does not answer, components (KVStore,
 * Kubernetes, Cilium, container runtime, health daemon) not `Ok`/`Disabled`, controllers failing
 * now (a non-zero failure count), and other nodes or their health endpoints unreachable in the
 * cluster health probe. Failing controllers alone are a warning: the agent still forwards.
 */
export default defineRule({
  id: 'cilium-unhealthy',
  layer: 'cni',
  severity: 'critical',
  description: 'cilium status reports failing controllers, unreachable nodes, or failed components',
  area: 'CNI health',
  requires: [nodeFile(CNI_NODE_FILES.ciliumStatus)],
  check(ctx) {
    let checked = 0;
    for (const entry of nodeCnis(ctx.model)) {
      const parsed = entry.ciliumStatus;
      if (!parsed) continue;
      checked++;
      const { file, value: status } = parsed;
      const sentences: string[] = [];
      const evidence: Evidence[] = [];
      let severity: Severity | undefined;

      if (status.agentError) {
        severity = 'critical';
        sentences.push(`the agent did not answer: ${status.agentError.message}`);
        evidence.push(file.evidenceAtLine(status.agentError.line, 'agent not answering'));
      }
      for (const [name, state] of components(status)) {
        if (!state || state.healthy) continue;
        severity = 'critical';
        sentences.push(`${name} is ${state.state}${state.message ? ` (${state.message})` : ''}`);
        evidence.push(file.evidenceAtLine(state.line, `${name}: ${state.state}`));
      }
      const health = status.clusterHealth;
      if (health) {
        const unreachable = health.nodes.filter((node) => node.nodeReachable === false || node.endpointsReachable === false);
        if (unreachable.length > 0 || (health.reachable !== undefined && health.total !== undefined && health.reachable < health.total)) {
          severity = 'critical';
          const summary = health.reachable !== undefined && health.total !== undefined ? `${health.reachable}/${health.total} reachable` : health.text;
          const what = unreachable.map((node) => `${node.name} (${node.nodeReachable === false ? 'node unreachable' : 'node reachable'}, ${node.endpointsReachable === false ? 'health endpoint unreachable' : 'health endpoint reachable'})`);
          sentences.push(`cluster health ${summary}${what.length > 0 ? `: ${listSome(what, EVIDENCE_ROWS)}` : ''}`);
          evidence.push(file.evidenceAtLine(health.line, `cluster health ${summary}`));
          for (const node of unreachable.slice(0, EVIDENCE_ROWS)) evidence.push(file.evidenceAtLine(node.line, `${node.name} unreachable`));
        }
      }
      const controllers = status.controllers;
      if (controllers) {
        const failing = controllers.listed.filter((c) => c.failing);
        if (failing.length > 0 || controllers.healthy < controllers.total) {
          severity ??= 'warning';
          const what = failing.map((c) => `${c.name} (${c.failureCount} failures, last error ${c.lastError}: ${c.message})`);
          sentences.push(`controllers ${controllers.healthy}/${controllers.total} healthy${what.length > 0 ? `; failing: ${listSome(what, EVIDENCE_ROWS, '; ')}` : ''}`);
          evidence.push(file.evidenceAtLine(controllers.line, `${controllers.healthy}/${controllers.total} controllers healthy`));
          for (const c of failing.slice(0, EVIDENCE_ROWS)) evidence.push(file.evidenceAtLine(c.line, `${c.name} failing`));
        }
      }
      if (!severity) continue;

      ctx.report({
        subjects: [`Node/${entry.node}`],
        title: status.agentError ? `Cilium agent on ${entry.node} not answering` : `Cilium on ${entry.node} unhealthy`,
        message: `cilium status on ${entry.node}: ${sentences.join('; ')}.`,
        evidence,
        severity,
        remediation:
          'read the cilium agent log on the node for the failing controller or component; unreachable nodes in cluster health usually mean the health port (4240/TCP) or the tunnel/underlay between nodes is blocked; an agent that does not answer is crashing or not scheduled (check the cilium pod)',
        commands: [
          `kubectl -n kube-system get pods -l k8s-app=cilium -o wide --field-selector spec.nodeName=${entry.node}`,
          `kubectl -n kube-system logs <cilium pod on ${entry.node}> -c cilium-agent --tail=200`,
          'cilium status --verbose',
          'cilium-health status --probe',
        ],
        data: {
          node: entry.node,
          agentError: status.agentError?.message,
          controllers: controllers && { healthy: controllers.healthy, total: controllers.total, failing: controllers.listed.filter((c) => c.failing).map((c) => c.name) },
          clusterHealth: health && { reachable: health.reachable, total: health.total },
        },
      });
    }
    setNodeCoverage(ctx, 'cilium status read', checked);
  },
});

function components(status: CiliumStatus): [string, CiliumComponentState | undefined][] {
  return [
    ['KVStore', status.kvstore],
    ['Kubernetes', status.kubernetes],
    ['Cilium', status.cilium],
    ['container runtime', status.containerRuntime],
    ['Cilium health daemon', status.healthDaemon],
  ];
}
