import { makeEvidence, type Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { nodeSimulators, podAddressOn } from '../analyzer/kubeproxy/node-simulators.js';
import type { SimPacket, TraceOutcome } from '../analyzer/netfilter/simulate/trace-types.js';
import { listSome } from './lib/list-text.js';
import { uniqueEvidence } from './lib/kube-proxy-sync.js';

/**
 * The filter FORWARD chain's policy is DROP (Docker ≥ 1.13 sets it) and nothing accepts pod
 * traffic between nodes, so it dies. Decided by simulation, not by pattern: a new connection
 * from a pod on the node to a pod on another node, and one from that pod back, are run through
 * the node's rules (every backend that holds rules); the finding is made when one ends at the
 * FORWARD policy. KUBE-FORWARD accepts only Service traffic kube-proxy marked and established
 * connections, so plain pod-to-pod traffic needs the CNI's own accept.
 */
export default defineRule({
  id: 'forward-policy-drop',
  layer: 'node',
  severity: 'critical',
  description: 'Forwarded pod traffic dies at a filter FORWARD policy of DROP',
  area: 'Pod forwarding',
  requires: [dataplaneInputs.iptablesSave],
  optional: [dataplaneInputs.ipsetSave, dataplaneInputs.ipAddr, inputs.pods, inputs.nodes],
  check(ctx) {
    const model = ctx.model;
    const simulators = nodeSimulators(model);
    let checked = 0;
    const notes: string[] = [];
    for (const sim of simulators.values()) {
      const dropPolicies = sim.dumps.flatMap((d) => {
        const chain = d.value.tables.get('filter')?.chains.get('FORWARD');
        return chain?.policy === 'DROP' ? [{ file: d.file.path, line: chain.line ?? 1, text: `:FORWARD DROP` }] : [];
      });
      // A FORWARD policy of ACCEPT cannot drop what nothing else drops.
      if (dropPolicies.length === 0) {
        checked++;
        continue;
      }
      const local = podAddressOn(model, sim.node);
      const remoteNode = model.kube.nodes.find((n) => n.name !== sim.node && n.podCIDRs.length > 0);
      const remote = remoteNode ? podAddressOn(model, remoteNode.name) : undefined;
      if (!local || !remote || !remoteNode) {
        notes.push(`${sim.node}: no pod addresses on two nodes to simulate`);
        continue;
      }
      checked++;
      const packets: { label: string; packet: SimPacket }[] = [
        {
          label: `${local.pod ?? local.ip} → ${remote.pod ?? remote.ip} (on ${remoteNode.name})`,
          packet: { from: 'pod', src: local.ip, dst: remote.ip, proto: 'tcp', sport: 43120, dport: 8080, inInterface: sim.net.podInterface },
        },
        {
          label: `${remote.pod ?? remote.ip} (on ${remoteNode.name}) → ${local.pod ?? local.ip}`,
          packet: { from: 'external', src: remote.ip, dst: local.ip, proto: 'tcp', sport: 43120, dport: 8080, inInterface: sim.net.externalInterface },
        },
      ];
      const dropped: { label: string; outcome: TraceOutcome; share: number }[] = [];
      for (const { label, packet } of packets) {
        const result = sim.trace(packet);
        const atPolicy = result.outcomes.filter((o) => o.fate === 'dropped' && !o.uncertain && endsAtForwardPolicy(o));
        const share = atPolicy.reduce((p, o) => p + o.probability, 0);
        if (atPolicy.length > 0) dropped.push({ label, outcome: atPolicy[0]!, share });
      }
      if (dropped.length === 0) continue;
      // The policy, then the FORWARD rules the first dropped packet passed without being accepted.
      const passed = dropped[0]!.outcome.steps.filter((s) => s.kind === 'rule' && s.table === 'filter' && s.chain === 'FORWARD');
      const evidence: Evidence[] = uniqueEvidence([
        ...dropPolicies.map((p) => makeEvidence(p.file, p.line, p.text, `${dropped.map((d) => d.label).join('; ')}: dropped by the policy`)),
        ...passed.map((s) => makeEvidence(s.file ?? '', s.line, s.text, 'passed without an accept')),
      ]);
      const docker = sim.dumps.some((d) => d.value.tables.get('filter')?.chains.has('DOCKER-USER'));
      ctx.report({
        subjects: [`Node/${sim.node}`],
        title: `Forwarded pod traffic dies on ${sim.node}: filter FORWARD policy is DROP`,
        message: `${listSome(dropped.map((d) => `${d.label}${d.share < 1 ? ` (${(d.share * 100).toFixed(0)}% of paths)` : ''}`), 2, '; ')} ${dropped.length === 1 ? 'runs' : 'run'} through FORWARD without any rule accepting it and ${dropped.length === 1 ? 'ends' : 'end'} at the policy DROP${docker ? ' (Docker sets this policy when it starts, and its DOCKER-USER / DOCKER-ISOLATION chains accept only its own bridge)' : ''}. KUBE-FORWARD accepts only Service traffic kube-proxy marked and established connections, so pod-to-pod traffic across nodes is dropped.`,
        evidence,
        remediation: `accept pod traffic in FORWARD on ${sim.node}: \`iptables -A FORWARD -s <pod CIDR> -j ACCEPT\` and \`-d <pod CIDR> -j ACCEPT\` (or in DOCKER-USER, which Docker keeps first), let the CNI add its accept rules, or keep Docker from managing iptables on Kubernetes nodes`,
        commands: ['iptables -S FORWARD', 'iptables -L FORWARD -v -n --line-numbers'],
        data: { node: sim.node, dropped: dropped.map((d) => ({ flow: d.label, share: d.share })) },
      });
    }
    ctx.setCoverage(notes.length > 0 ? 'partial' : 'checked', `${checked} of ${simulators.size} nodes simulated${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`);
  },
});

function endsAtForwardPolicy(outcome: TraceOutcome): boolean {
  const last = outcome.steps.at(-1);
  return last !== undefined && last.kind === 'policy' && last.table === 'filter' && last.chain === 'FORWARD' && last.verdict === 'drop';
}
