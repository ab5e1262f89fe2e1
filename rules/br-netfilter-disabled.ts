import type { Evidence } from '../analyzer/bundle/source-file.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { usesIpv6Pods } from '../analyzer/routing/cluster-families.js';
import type { NodeInterface, NodeRouting } from '../analyzer/routing/node-routing.js';
import { nodeRoutings } from '../analyzer/routing/node-routing.js';
import { routingInputs } from '../analyzer/routing/routing-inputs.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** Bridges CNIs and runtimes attach pods or containers to, when `ip -d` did not say `bridge`. */
const KNOWN_BRIDGES = new Set(['cni0', 'cbr0', 'docker0', 'weave', 'kube-bridge']);
/** Ports of the weave bridge that belong to Weave itself, not to pods. */
const WEAVE_OWN_PORTS = /^vethwe-(bridge|datapath)$/;

interface PodBridge {
  bridge: NodeInterface;
  ports: NodeInterface[];
}

/**
 * Without br_netfilter (or with bridge-nf-call-iptables = 0) frames switched between two ports of
 * a Linux bridge never reach iptables. Where the CNI puts pods on a bridge (flannel's and the
 * bridge plugin's cni0, kubenet's cbr0, Weave's weave, Docker's docker0), that breaks kube-proxy
 * for pods calling a Service whose chosen endpoint is on the same bridge (the reply is switched
 * back without the reverse DNAT) and leaves NetworkPolicy unenforced between them. Routed CNIs
 * (Calico, Cilium) attach pods with unbridged veths and do not need it.
 */
export default defineRule({
  id: 'br-netfilter-disabled',
  layer: 'l2',
  severity: 'critical',
  description: 'bridge-nf-call-iptables = 0 (or br_netfilter not loaded) on a node whose CNI bridges pods',
  area: 'Node settings',
  requires: [routingInputs.sysctl, routingInputs.interfaces],
  check(ctx) {
    const dualStack = usesIpv6Pods(ctx.model);
    let checked = 0;
    const unknown: string[] = [];
    for (const node of nodeRoutings(ctx.model).nodes) {
      if (!node.sysctl || node.interfaces.length === 0) continue;
      checked++;
      const bridges = podBridges(node);
      if (bridges.length === 0) continue;
      const keys = ['net.bridge.bridge-nf-call-iptables', ...(dualStack ? ['net.bridge.bridge-nf-call-ip6tables'] : [])];
      const problems: { key: string; text: string; evidence: Evidence }[] = [];
      for (const key of keys) {
        const entry = node.sysctlValue(key);
        if (entry?.value === '0') problems.push({ key, text: `${key} = 0`, evidence: node.sysctlEvidence(key, `${key.split('.').pop()} is off`)! });
        else if (!entry && node.sysctl.value.missing.has(key)) {
          problems.push({ key, text: `${key} does not exist (the br_netfilter module is not loaded)`, evidence: node.sysctlEvidence(key, 'br_netfilter is not loaded')! });
        } else if (!entry) unknown.push(node.node);
      }
      if (problems.length === 0) continue;

      const unloaded = problems.some((p) => p.text.includes('not loaded'));
      const described = bridges.map((b) => `${b.bridge.name} (${plural(b.ports.length, 'port')}: ${listSome(b.ports.map((p) => p.name), 3)})`);
      const evidence = [...problems.map((p) => p.evidence)];
      for (const b of bridges.slice(0, 2)) {
        const bridgeLine = node.interfaceEvidence(b.bridge.name, `bridge ${b.bridge.name} switches pod traffic`);
        if (bridgeLine) evidence.push(bridgeLine);
        const port = node.interfaceEvidence(b.ports[0]!.name, `${b.ports[0]!.name} is a port of ${b.bridge.name}`);
        if (port) evidence.push(port);
      }
      ctx.report({
        subjects: [node.subject],
        title: `Bridged pod traffic bypasses iptables on ${node.node}: ${unloaded ? 'br_netfilter not loaded' : problems.map((p) => p.text).join(', ')}`,
        message:
          `${problems.map((p) => p.text).join('; ')} on ${node.node}, where ${listSome(described, 3, '; ')} ${bridges.length === 1 ? 'bridges' : 'bridge'} pods: ` +
          'frames between two pods on the bridge are switched without passing iptables, so a pod calling a Service whose endpoint is on the same bridge gets the reply straight from the pod IP, without the reverse DNAT, and the connection hangs or is reset; ' +
          'NetworkPolicies enforced in iptables are not applied between those pods either.',
        evidence,
        remediation: unloaded
          ? `load the module (modprobe br_netfilter) and keep it loaded at boot (echo br_netfilter > /etc/modules-load.d/k8s.conf), then set net.bridge.bridge-nf-call-iptables = 1${dualStack ? ' and net.bridge.bridge-nf-call-ip6tables = 1' : ''} in /etc/sysctl.d/k8s.conf`
          : `sysctl -w ${problems.map((p) => `${p.key}=1`).join(' ')} and make it permanent in /etc/sysctl.d/k8s.conf; kubeadm's preflight checks this`,
        commands: [`lsmod | grep br_netfilter   # on ${node.node}`, `sysctl ${keys.join(' ')}`, `bridge link show`],
        data: { node: node.node, settings: problems.map((p) => p.text), bridges: bridges.map((b) => ({ bridge: b.bridge.name, ports: b.ports.map((p) => p.name) })) },
      });
    }
    const notes = unknown.length > 0 ? [`bridge-nf-call keys not in sysctl.txt of ${listSome([...new Set(unknown)], 3)}`] : [];
    setNodeCoverage(ctx, 'bridges and bridge-nf-call settings read', checked, notes);
  },
});

/** Bridges with at least one port that is a pod's (or container's) veth. */
function podBridges(node: NodeRouting): PodBridge[] {
  const result: PodBridge[] = [];
  for (const candidate of node.interfaces) {
    const kind = candidate.view.details?.kind;
    if (kind !== 'bridge' && !(kind === undefined && KNOWN_BRIDGES.has(candidate.name))) continue;
    const ports = node.interfaces.filter((i) => i.view.master === candidate.name && !WEAVE_OWN_PORTS.test(i.name) && isVeth(i));
    if (ports.length > 0) result.push({ bridge: candidate, ports });
  }
  return result;
}

function isVeth(iface: NodeInterface): boolean {
  const kind = iface.view.details?.kind;
  if (kind !== undefined) return kind === 'veth';
  // Without -d: a peer in another namespace (`@if3`, link-netns) is a veth.
  return iface.view.linkNetns !== undefined || /^if\d+$/.test(iface.view.link ?? '') || iface.name.startsWith('veth');
}
