import { makeEvidence, type Evidence } from '../analyzer/bundle/source-file.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { hostCaptureOnly } from '../analyzer/docker/docker-host.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { nodeSimulators, podAddressOn } from '../analyzer/kubeproxy/node-simulators.js';
import { cidrContains, parseIpAddress } from '../analyzer/netfilter/ip-cidr.js';
import type { IptablesRule } from '../analyzer/netfilter/iptables-types.js';
import { podNetwork } from '../analyzer/routing/pod-network.js';
import type { SimPacket, TraceOutcome } from '../analyzer/netfilter/simulate/trace-types.js';
import { listSome, plural } from './lib/list-text.js';
import { uniqueEvidence } from './lib/kube-proxy-sync.js';

/** A public address outside every cluster range: where "leaving the cluster" goes. */
const OUTSIDE = '8.8.8.8';

/**
 * Pod traffic leaving the cluster keeps its pod address: a packet from a pod to an outside
 * address, simulated through the node's netfilter rules (every iptables backend that holds
 * rules, and nftables' own tables), leaves the node without SNAT or MASQUERADE. kube-proxy's
 * KUBE-POSTROUTING masquerades only Service traffic it marked (0x4000); pod egress needs the
 * CNI's rule (flannel FLANNEL-POSTRTG or its nftables table, Calico cali-nat-outgoing with its
 * cali40masq-ipam-pools set, ip-masq-agent / kind's KIND-MASQ-AGENT, a plain `-s <podCIDR> ! -o
 * <bridge> -j MASQUERADE`). Cilium masquerades in eBPF, out of iptables' sight: its clusters
 * are not checked.
 */
export default defineRule({
  id: 'no-masquerade',
  layer: 'node',
  severity: 'warning',
  description: 'Pod traffic leaving the cluster is not masqueraded (no SNAT/MASQUERADE rule matches it)',
  area: 'Pod egress NAT',
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
    if (model.kube.daemonSets.some((d) => d.name === 'cilium' || d.name === 'cilium-agent')) {
      ctx.setCoverage('checked', 'Cilium masquerades in eBPF, which iptables dumps do not show: not checked');
      return;
    }
    let checked = 0;
    const unsure: string[] = [];
    for (const sim of simulators.values()) {
      const source = podAddressOn(model, sim.node);
      if (!source) {
        unsure.push(`${sim.node}: no pod address known`);
        continue;
      }
      const packet: SimPacket = { from: 'pod', src: source.ip, dst: OUTSIDE, proto: 'tcp', sport: 43120, dport: 443, inInterface: sim.net.podInterface };
      const result = sim.trace(packet);
      const leaving = result.outcomes.filter((o) => o.fate === 'accepted' && o.path === 'forward' && o.exitInterface !== sim.net.podInterface);
      if (leaving.length === 0) {
        // Dropped on the way (forward-policy-drop's business) or nowhere to go: nothing to say about NAT.
        unsure.push(`${sim.node}: the packet does not leave the node`);
        continue;
      }
      if (leaving.some((o) => o.uncertain)) {
        unsure.push(`${sim.node}: rules the simulator cannot evaluate decide it`);
        continue;
      }
      checked++;
      const bare = leaving.filter((o) => !o.snat);
      if (bare.length === 0) continue;
      const share = bare.reduce((p, o) => p + o.probability, 0) / leaving.reduce((p, o) => p + o.probability, 0);
      const who = source.pod ? `pod ${source.pod} (${source.ip})` : `an address of its podCIDR (${source.ip})`;
      const natRules = masqueradeRules(sim.dumps.map((d) => ({ file: d.file.path, rules: d.value.tables.get('nat')?.rules ?? [] })));
      const pool = calicoPoolWithoutNat(model, source.ip);
      ctx.report({
        subjects: [`Node/${sim.node}`],
        title: `Pod traffic leaving the cluster from ${sim.node} is not masqueraded`,
        message: `A new connection from ${who} to ${OUTSIDE}:443 leaves ${bare[0]!.exitInterface ?? 'the node'} with its pod address${share < 1 ? ` in ${(share * 100).toFixed(0)}% of the simulated paths` : ''}: no SNAT or MASQUERADE rule in nat POSTROUTING matches it. kube-proxy's KUBE-POSTROUTING masquerades only Service traffic it marked (0x4000). ${natRules.length > 0 ? `The node's ${plural(natRules.length, 'masquerade rule')} ${natRules.length === 1 ? 'does' : 'do'} not match this packet (${listSome(natRules.map((r) => r.text.replace(/^-A /, '')), 2, '; ')}).` : 'The node has no pod masquerade rule at all.'}${pool ? ` The address is in Calico IP pool ${pool.name} (${pool.cidrText}), whose natOutgoing is false: Felix masquerades only addresses of pools with natOutgoing on.` : ''} Unless the network routes the pod CIDR back to this node, replies from outside never arrive.`,
        evidence: uniqueEvidence([...(pool ? [pool.evidence] : []), ...postroutingSteps(bare[0]!), ...natRules.map((r) => makeEvidence(r.file, r.line, r.text, 'does not match the packet'))], 6),
        remediation: `${pool ? `set natOutgoing: true on IP pool ${pool.name} (\`calicoctl patch ippool ${pool.name} -p '{"spec":{"natOutgoing":true}}'\`), or ` : ''}let the CNI masquerade pod egress (Calico IPPool natOutgoing: true, flannel's --ip-masq, ip-masq-agent), or add \`-s <pod CIDR> ! -d <cluster ranges> -j MASQUERADE\` in nat POSTROUTING on ${sim.node} — or make sure the network routes the pod CIDR if pods are meant to keep their addresses`,
        commands: ['iptables -t nat -S POSTROUTING', 'iptables -t nat -L POSTROUTING -v -n'],
        data: { node: sim.node, source: source.ip, destination: OUTSIDE, unmasqueradedShare: share },
      });
    }
    const total = simulators.size;
    const detail = `${checked} of ${total} nodes simulated (pod → ${OUTSIDE})${unsure.length > 0 ? `; ${unsure.join('; ')}` : ''}`;
    ctx.setCoverage(unsure.length > 0 ? 'partial' : 'checked', detail);
  },
});

/** The enabled Calico IP pool holding `ip` when its natOutgoing is off (cluster/calico/ippools.json). */
function calicoPoolWithoutNat(model: AnalysisModel, ip: string): { name: string; cidrText: string; evidence: Evidence } | undefined {
  const address = parseIpAddress(ip);
  if (!address) return undefined;
  const pool = podNetwork(model).calicoPools?.find((p) => !p.disabled && p.natOutgoing === false && p.cidr !== undefined && cidrContains(p.cidr, address));
  if (!pool) return undefined;
  const note = 'natOutgoing is off: Felix does not masquerade this pool';
  return { name: pool.name, cidrText: pool.cidrText, evidence: pool.source?.at('spec.natOutgoing', note) ?? makeEvidence('cluster/calico/ippools.json', pool.line, pool.name, note) };
}

/** The nat POSTROUTING steps the packet took: where a masquerade rule would have matched. */
function postroutingSteps(outcome: TraceOutcome): Evidence[] {
  return outcome.steps
    .filter((s) => s.table === 'nat' && s.hook === 'postrouting' && s.file !== undefined)
    .map((s) => makeEvidence(s.file!, s.line, s.text, s.kind === 'policy' ? 'nat POSTROUTING ends without SNAT' : undefined));
}

/** MASQUERADE/SNAT rules of the nat tables that are not kube-proxy's (which only handle marked traffic). */
function masqueradeRules(dumps: { file: string; rules: readonly IptablesRule[] }[]): { file: string; line: number; text: string }[] {
  const out: { file: string; line: number; text: string }[] = [];
  for (const dump of dumps) {
    for (const rule of dump.rules) {
      if (rule.chain === 'KUBE-POSTROUTING' || rule.target.kind !== 'extension') continue;
      if (rule.target.name === 'MASQUERADE' || rule.target.name === 'SNAT') out.push({ file: dump.file, line: rule.line, text: rule.text });
    }
  }
  return out;
}
