import { makeEvidence, type Evidence } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type CauseRef } from '../analyzer/engine/rule.js';
import { dataplaneInputs } from '../analyzer/kubeproxy/dataplane-inputs.js';
import { kubeProxyStates } from '../analyzer/kubeproxy/kube-proxy-state.js';
import { nodeSimulators, type NodeSimulator } from '../analyzer/kubeproxy/node-simulators.js';
import type { Pod } from '../analyzer/kube/types.js';
import type { TraceOutcome, TraceStep } from '../analyzer/netfilter/simulate/trace-types.js';
import { joinHostPort } from '../analyzer/netfilter/kube-proxy-names.js';
import { listSome } from './lib/list-text.js';
import { uniqueEvidence } from './lib/kube-proxy-sync.js';

/** NodePorts simulated per node at most; coverage says when more were left out. */
const MAX_NODEPORTS_PER_NODE = 1000;
/** A client outside the cluster (TEST-NET-3). */
const CLIENT = '203.0.113.10';

/**
 * A NodePort that should reach the Service's endpoints does not, decided by simulating a new
 * connection from an outside client to the node's address and NodePort through the node's
 * rules (iptables; nftables mode's table ip kube-proxy; IPVS mode's virtual servers inside
 * kube-proxy's iptables rules): no rule captures it (it reaches the host, where nothing
 * listens), another rule captures it first (a port conflict: a hostPort, Docker's -p, a
 * hand-made DNAT), or it is dropped or rejected on the way. NodePorts the API itself says to refuse (no endpoints,
 * externalTrafficPolicy=Local without a local endpoint) are other rules' findings.
 */
export default defineRule({
  id: 'nodeport-unreachable',
  layer: 'ingress',
  severity: 'critical',
  description: 'A NodePort has no working rule on a node, or another rule captures its port',
  area: 'NodePorts',
  requires: [inputs.services, inputs.serviceEndpoints, dataplaneInputs.iptablesSave],
  optional: [dataplaneInputs.ipsetSave, dataplaneInputs.ipAddr],
  check(ctx) {
    const model = ctx.model;
    const simulators = nodeSimulators(model);
    const states = kubeProxyStates(model);
    let traced = 0;
    let simulatedNodes = 0;
    const notes: string[] = [];
    for (const state of states.nodes) {
      const sim = simulators.get(state.node);
      const view = state.views.find((v) => v.family === 4);
      // nftables mode is simulated when nft-ruleset.txt joins the node's pipeline, IPVS mode when ipvsadm.txt does.
      const simulated = state.mode === 'iptables' || (state.mode === 'nftables' && sim?.nft !== undefined) || (state.mode === 'ipvs' && sim?.ipvs === true);
      if (!simulated || !sim || !view) {
        notes.push(`${state.node}: ${state.mode} mode is not simulated`);
        continue;
      }
      const nodeIP = sim.net.addresses[0];
      if (!nodeIP) {
        notes.push(`${state.node}: no node address known`);
        continue;
      }
      simulatedNodes++;
      const nodePorts = [...view.expected.frontends.values()].filter((f) => f.kind === 'node-port' && f.action === 'forward' && ctx.inScope(f.servicePort.ref.service.namespace));
      if (nodePorts.length > MAX_NODEPORTS_PER_NODE) notes.push(`${state.node}: ${nodePorts.length - MAX_NODEPORTS_PER_NODE} NodePorts past the first ${MAX_NODEPORTS_PER_NODE} not simulated`);
      for (const frontend of nodePorts.slice(0, MAX_NODEPORTS_PER_NODE)) {
        traced++;
        const result = sim.trace({ from: 'external', src: CLIENT, dst: nodeIP, proto: frontend.protocol, sport: 43120, dport: frontend.port, inInterface: sim.net.externalInterface });
        const endpoints = new Set(frontend.endpoints.map((e) => e.address));
        const certain = result.outcomes.filter((o) => !o.uncertain);
        if (certain.length === 0) continue;
        const reaches = (o: TraceOutcome) => o.fate === 'accepted' && o.dnat !== undefined && endpoints.has(joinHostPort(o.dnat.ip, o.dnat.port ?? frontend.port));
        const failing = certain.filter((o) => !reaches(o));
        if (failing.length === 0) continue;
        const worst = failing[0]!;
        const share = failing.reduce((p, o) => p + o.probability, 0);
        const ref = frontend.servicePort.ref;
        const service = ref.service;
        const what = describeFailure(worst, state.mode === 'nftables' ? nftNodePortMap(sim) : undefined);
        const causedBy: CauseRef[] = [];
        if (what.kind === 'forward-policy') causedBy.push({ rule: 'forward-policy-drop', subject: `Node/${state.node}` });
        if (what.kind === 'uncaptured') causedBy.push({ rule: 'kubeproxy-rules-missing', subject: service.ref });
        // A conflict's usual culprit: a pod publishing the same port as a hostPort on this node.
        const holder = what.kind === 'conflict' && worst.dnat ? hostPortHolder(model.kube.pods, state.node, worst.dnat.ip, frontend.protocol, frontend.port) : undefined;
        const evidence: Evidence[] = uniqueEvidence([
          ...what.steps.map((s) => makeEvidence(s.file ?? '', s.line, s.text, s.note)),
          ...(holder ? [holder.evidence] : []),
          service.source.at(`spec.ports[${ref.port.index}].nodePort`, `nodePort ${frontend.port} (${ref.spn})`),
        ]);
        const holderText = holder ? ` That address is pod ${holder.pod.namespace}/${holder.pod.name}, whose container ${holder.container} asks for hostPort ${frontend.port}: the CNI's portmap rules for it run before kube-proxy's.` : '';
        ctx.report({
          subjects: [`Node/${state.node}`, service.ref, ...(holder ? [holder.pod.ref] : [])],
          title: `NodePort ${frontend.port}/${frontend.protocol} of ${service.namespace}/${service.name} is unreachable on ${state.node}${what.kind === 'conflict' ? `: ${holder ? `hostPort of pod ${holder.pod.namespace}/${holder.pod.name}` : 'another rule'} takes the port` : ''}`,
          message: `A new connection from outside to ${nodeIP}:${frontend.port}/${frontend.protocol}${share < 1 ? ` (${(share * 100).toFixed(0)}% of the simulated paths)` : ''} ${what.sentence}; it should reach ${listSome([...endpoints], 4)}.${holderText}`,
          evidence,
          remediation: holder ? `remove hostPort ${frontend.port} from ${holder.pod.namespace}/${holder.pod.name} (or give it a port outside the NodePort range), or give the Service another nodePort` : what.remedy,
          commands:
            state.mode === 'nftables'
              ? [`nft list ruleset | grep -w ${frontend.port}`, 'nft list map ip kube-proxy service-nodeports']
              : [`iptables -t nat -S | grep -- '--dport ${frontend.port}'`, `iptables -t nat -L KUBE-NODEPORTS -n -v`],
          causedBy,
          data: { node: state.node, nodePort: frontend.port, protocol: frontend.protocol, failure: what.kind, share },
        });
      }
    }
    ctx.setCoverage(notes.length > 0 ? 'partial' : 'checked', `${traced} NodePorts simulated on ${simulatedNodes} of ${states.total} nodes${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`);
  },
});

interface Failure {
  kind: 'conflict' | 'uncaptured' | 'forward-policy' | 'dropped' | 'other';
  sentence: string;
  remedy: string;
  steps: TraceStep[];
}

/** kube-proxy's service-nodeports map (nftables mode): where a NodePort's element belongs. */
function nftNodePortMap(sim: NodeSimulator): TraceStep | undefined {
  const map = sim.nft?.value.tables.get('ip kube-proxy')?.sets.get('service-nodeports');
  if (!sim.nft || !map) return undefined;
  const text = sim.nft.file.lineText(map.line);
  return { kind: 'rule', family: 'ip', hook: 'prerouting', table: 'kube-proxy', chain: 'services', file: sim.nft.file.path, line: map.line, text, verdict: 'continue', note: 'no element for this port' };
}

/** A running pod on `node` at `ip` with a container port published as hostPort `port`. */
function hostPortHolder(pods: readonly Pod[], node: string, ip: string, protocol: string, port: number): { pod: Pod; container: string; evidence: Evidence } | undefined {
  for (const pod of pods) {
    if (pod.nodeName !== node || !pod.podIPs.includes(ip)) continue;
    for (const [c, container] of pod.containers.entries()) {
      const index = container.ports.findIndex((p) => p.hostPort === port && p.protocol.toLowerCase() === protocol.toLowerCase());
      if (index < 0) continue;
      const evidence = pod.source.at(`spec.containers[${c}].ports[${index}].hostPort`, `hostPort ${port} of ${pod.namespace}/${pod.name} (container ${container.name})`);
      return { pod, container: container.name, evidence };
    }
  }
  return undefined;
}

function describeFailure(outcome: TraceOutcome, nftMap: TraceStep | undefined): Failure {
  const last = outcome.steps.at(-1);
  const dnatStep = [...outcome.steps].reverse().find((s) => s.target === 'DNAT' || (s.table === 'nat' && s.verdict === 'accept' && s.kind === 'rule'));
  if (outcome.fate === 'accepted' && outcome.dnat) {
    // The base-chain rule that led there, to show it runs ahead of kube-proxy's hook.
    const at = dnatStep ? outcome.steps.indexOf(dnatStep) : -1;
    const entry = dnatStep
      ? outcome.steps.slice(0, at).reverse().find((s) => s.kind === 'rule' && s.hook === dnatStep.hook && s.table === dnatStep.table && s.chain === dnatStep.hook.toUpperCase())
      : undefined;
    return {
      kind: 'conflict',
      sentence: `is DNATed to ${joinHostPort(outcome.dnat.ip, outcome.dnat.port ?? 0)} by a rule that runs before kube-proxy's${dnatStep ? ` (${dnatStep.chain})` : ''}: the NodePort collides with a hostPort, a container port published by Docker, or a hand-made DNAT`,
      remedy: 'move the other user of the port (hostPort, docker run -p, the DNAT rule) elsewhere, or give the Service another nodePort',
      steps: [...(entry ? [{ ...entry, note: 'runs before kube-proxy\'s rules' }] : []), ...(dnatStep ? [dnatStep] : outcome.steps.slice(-1))],
    };
  }
  if (outcome.fate === 'accepted' && nftMap) {
    return {
      kind: 'uncaptured',
      sentence: `is not DNATed by any rule and is delivered to the node itself (${outcome.path}), where nothing listens on the port: kube-proxy's service-nodeports map has no element for it`,
      remedy: "kube-proxy on this node has not programmed the NodePort: read its log and restart it (see kubeproxy-rules-missing)",
      steps: [...outcome.steps.filter((s) => s.kind === 'rule' && s.hook === 'prerouting' && s.table === 'kube-proxy' && s.target === 'services').slice(0, 1), nftMap],
    };
  }
  if (outcome.fate === 'accepted') {
    return {
      kind: 'uncaptured',
      sentence: `is not DNATed by any rule and is delivered to the node itself (${outcome.path}), where nothing listens on the port: KUBE-NODEPORTS has no rule for it`,
      remedy: "kube-proxy on this node has not programmed the NodePort: read its log and restart it (see kubeproxy-rules-missing)",
      steps: outcome.steps
        .filter((s) => s.table === 'nat' && s.hook === 'prerouting')
        .slice(-2)
        .map((s) => ({ ...s, note: s.kind === 'policy' ? 'nat PREROUTING ends without DNAT' : s.target === 'KUBE-NODEPORTS' ? 'KUBE-NODEPORTS has no rule for this port' : s.note })),
    };
  }
  if (last?.kind === 'policy' && last.chain === 'FORWARD') {
    return {
      kind: 'forward-policy',
      sentence: `is DNATed, then dropped by the filter FORWARD policy (${last.text})`,
      remedy: 'accept forwarded pod traffic in FORWARD (see forward-policy-drop)',
      steps: [last],
    };
  }
  if (last?.kind === 'ipvs' && outcome.fate !== 'unknown') {
    return {
      kind: 'dropped',
      // ip_vs_leave answers ICMP port unreachable for a virtual server without a usable real server (trace-ipvs.ts).
      sentence: `is ${outcome.fate} by IPVS at virtual server ${last.chain}${last.note ? ` (${last.note})` : ''}${outcome.fate === 'rejected' ? ': the kernel answers ICMP port unreachable, so clients get connection refused at once' : ''}`,
      remedy: 'kube-proxy has not given the virtual server the Service\'s endpoints as real servers: read its log and restart it (see kubeproxy-rules-missing)',
      steps: [last],
    };
  }
  return {
    kind: last && outcome.fate !== 'unknown' ? 'dropped' : 'other',
    sentence: last ? `is ${outcome.fate} by ${last.table} ${last.chain} (line ${last.line})` : `ends ${outcome.fate}${outcome.reason ? `: ${outcome.reason}` : ''}`,
    remedy: 'find why the rule cited drops NodePort traffic and change it, or let the traffic through before it',
    steps: last ? [last] : [],
  };
}
