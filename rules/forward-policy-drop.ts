import { makeEvidence, type Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { hostCaptureOnly } from '../analyzer/docker/docker-host.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Workload } from '../analyzer/kube/types.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { nodeSimulators, podAddressOn, type NodeSimulator } from '../analyzer/kubeproxy/node-simulators.js';
import type { SimPacket, TraceOutcome } from '../analyzer/netfilter/simulate/trace-types.js';
import { listSome } from './lib/list-text.js';
import { uniqueEvidence } from './lib/kube-proxy-sync.js';

/**
 * The filter FORWARD chain's policy is DROP (Docker ≥ 1.13 sets it), or an nftables forward
 * chain's is (a host firewall), and nothing accepts pod traffic between nodes, so it dies. Decided by simulation, not by pattern: a new connection
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
    if (hostCaptureOnly(model)) {
      // A Docker host's (or a node's) local capture has no pods: there is no pod traffic to simulate.
      ctx.setCoverage('not-collected', 'no Kubernetes objects in the bundle (a host capture): pod traffic not simulated');
      return;
    }
    const simulators = nodeSimulators(model);
    let checked = 0;
    const notes: string[] = [];
    for (const sim of simulators.values()) {
      const dropPolicies: DropPolicy[] = sim.dumps.flatMap((d) => {
        const chain = d.value.tables.get('filter')?.chains.get('FORWARD');
        return chain?.policy === 'DROP' ? [{ file: d.file.path, line: chain.line ?? 1, text: chain.line !== undefined ? d.file.lineText(chain.line) : ':FORWARD DROP', what: 'filter FORWARD policy is DROP' }] : [];
      });
      dropPolicies.push(...nftForwardDropPolicies(sim));
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
      // The policy, then the rules of its chain the first dropped packet passed without being accepted.
      const policy = policyOf(dropped[0]!.outcome, dropPolicies);
      const end = dropped[0]!.outcome.steps.at(-1)!;
      const passed = dropped[0]!.outcome.steps.filter((s) => s.kind === 'rule' && s.hook === 'forward' && s.file === end.file && s.table === end.table && s.chain === end.chain);
      const reached = [...new Set(dropped.map((d) => policyOf(d.outcome, dropPolicies)))];
      const evidence: Evidence[] = uniqueEvidence([
        ...reached.map((p) => makeEvidence(p.file, p.line, p.text, `${dropped.filter((d) => policyOf(d.outcome, dropPolicies) === p).map((d) => d.label).join('; ')}: dropped by the policy`)),
        ...passed.map((s) => makeEvidence(s.file ?? '', s.line, s.text, 'passed without an accept')),
      ]);
      const docker = policy.what.startsWith('filter') && sim.dumps.some((d) => d.value.tables.get('filter')?.chains.has('DOCKER-USER'));
      const flannelOff = flannelForwardRulesOff(model.kube.daemonSets);
      if (flannelOff) evidence.push(flannelOff);
      ctx.report({
        subjects: [`Node/${sim.node}`],
        title: `Forwarded pod traffic dies on ${sim.node}: ${policy.what}`,
        message: `${listSome(dropped.map((d) => `${d.label}${d.share < 1 ? ` (${(d.share * 100).toFixed(0)}% of paths)` : ''}`), 2, '; ')} ${dropped.length === 1 ? 'runs' : 'run'} through FORWARD without any rule accepting it and ${dropped.length === 1 ? 'ends' : 'end'} at the policy DROP${docker ? ' (Docker sets this policy when it starts, and its DOCKER-USER / DOCKER-ISOLATION chains accept only its own bridge)' : ''}. KUBE-FORWARD accepts only Service traffic kube-proxy marked and established connections, so pod-to-pod traffic across nodes is dropped.${flannelOff ? ' flannel runs with --iptables-forward-rules=false, so its FLANNEL-FWD accepts for the pod network are not there.' : ''}`,
        evidence,
        remediation: `accept pod traffic in FORWARD on ${sim.node}: ${flannelOff ? 'remove --iptables-forward-rules=false from the flannel DaemonSet (flannel then adds its FLANNEL-FWD accepts), or ' : ''}\`iptables -A FORWARD -s <pod CIDR> -j ACCEPT\` and \`-d <pod CIDR> -j ACCEPT\` (or in DOCKER-USER, which Docker keeps first), let the CNI add its accept rules, or keep Docker from managing iptables on Kubernetes nodes`,
        commands: policy.what.startsWith('filter') ? ['iptables -S FORWARD', 'iptables -L FORWARD -v -n --line-numbers'] : ['nft list ruleset', `nft list chain ${policy.what.split(' ').slice(2, 5).join(' ')}`],
        data: { node: sim.node, dropped: dropped.map((d) => ({ flow: d.label, share: d.share })) },
      });
    }
    ctx.setCoverage(notes.length > 0 ? 'partial' : 'checked', `${checked} of ${simulators.size} nodes simulated${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`);
  },
});

/** The flannel DaemonSet argument that keeps flanneld from adding its FORWARD accepts, if given. */
function flannelForwardRulesOff(daemonSets: readonly Workload[]): Evidence | undefined {
  const flannel = daemonSets.find((d) => d.containers.some((c) => /(^|\/)flannel(:|@)/.test(c.image)));
  if (!flannel) return undefined;
  for (const [c, container] of flannel.containers.entries()) {
    if (!/(^|\/)flannel(:|@)/.test(container.image)) continue;
    // Container args are not in the model; the flag is found by reading the argument lines.
    for (let i = 0; i < 32; i++) {
      const evidence = flannel.source.at(`spec.template.spec.containers[${c}].args[${i}]`, 'flanneld adds no FORWARD accept rules');
      if (!evidence.text.includes('"--')) break;
      if (evidence.text.includes('"--iptables-forward-rules=false"')) return evidence;
    }
  }
  return undefined;
}

interface DropPolicy {
  file: string;
  line: number;
  text: string;
  /** For the title: `filter FORWARD policy is DROP`, `nftables chain inet filter forward has policy drop`. */
  what: string;
}

/** Native nftables base chains on the forward hook with policy drop (a host firewall's). */
function nftForwardDropPolicies(sim: NodeSimulator): DropPolicy[] {
  const nft = sim.nft;
  if (!nft) return [];
  const out: DropPolicy[] = [];
  for (const table of nft.value.tables.values()) {
    if (table.family !== 'ip' && table.family !== 'inet') continue;
    for (const chain of table.chains.values()) {
      if (chain.hook?.hook !== 'forward' || chain.policy !== 'drop') continue;
      // The policy is printed on the `type … hook forward …; policy drop;` line after the chain's.
      const line = nft.file.lineText(chain.line + 1).includes('policy drop') ? chain.line + 1 : chain.line;
      out.push({ file: nft.file.path, line, text: nft.file.lineText(line), what: `nftables chain ${table.family} ${table.name} ${chain.name} has policy drop` });
    }
  }
  return out;
}

/** The drop policy an outcome ended at (its last step is that chain's policy). */
function policyOf(outcome: TraceOutcome, policies: DropPolicy[]): DropPolicy {
  const last = outcome.steps.at(-1);
  return policies.find((p) => p.file === last?.file && (p.line === last.line || p.line === last.line + 1)) ?? policies[0]!;
}

/** Dropped by the policy of a base chain on the forward hook: iptables' filter FORWARD or an nftables chain. */
function endsAtForwardPolicy(outcome: TraceOutcome): boolean {
  const last = outcome.steps.at(-1);
  return last !== undefined && last.kind === 'policy' && last.hook === 'forward' && last.verdict === 'drop' && (last.family !== 'ip' || last.table !== 'filter' || last.chain === 'FORWARD');
}
