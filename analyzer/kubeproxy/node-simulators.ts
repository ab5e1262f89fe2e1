/**
 * The iptables packet simulator of each node, compiled once per analysis: kube-proxy's dump,
 * and, when the other backend holds rules too, both composed into one hook pipeline (the kernel
 * runs the legacy and the nf_tables tables alike). Rules ask `traceNode` what happens to a
 * packet; every step names the dump file and line it came from.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { compileIptables, type IptablesSimulator } from '../netfilter/simulate/compile-iptables.js';
import { sortHookEntries, tracePacketPaths } from '../netfilter/simulate/hook-pipeline.js';
import { NodeFacts } from '../netfilter/simulate/node-context.js';
import { TraceContext } from '../netfilter/simulate/trace-context.js';
import type { Hook, SimPacket, TraceResult } from '../netfilter/simulate/trace-types.js';
import { nodeDataplanes, type IptablesDumpView, type NodeDataplane } from './node-dataplane.js';
import { nodeNet, type NodeNet } from './node-net.js';

const NODE_SIMULATORS_FACET = 'kubeproxy/node-simulators';

export interface NodeSimulator {
  node: string;
  dataplane: NodeDataplane;
  net: NodeNet;
  /** The IPv4 dumps simulated: kube-proxy's first, then the other backend's when it holds rules. */
  dumps: IptablesDumpView[];
  trace(packet: SimPacket): TraceResult;
}

/** Simulators for the nodes with an IPv4 iptables dump, by node name. */
export function nodeSimulators(model: AnalysisModel): Map<string, NodeSimulator> {
  return model.facet(NODE_SIMULATORS_FACET, build);
}

function build(model: AnalysisModel): Map<string, NodeSimulator> {
  const out = new Map<string, NodeSimulator>();
  for (const dataplane of nodeDataplanes(model).nodes) {
    const primary = dataplane.kubeProxyIptables;
    if (!primary) continue;
    const others = [dataplane.iptables, dataplane.iptablesLegacy, dataplane.iptablesNft].filter(
      (d): d is IptablesDumpView => d !== undefined && d !== primary && d.backend !== undefined && d.backend !== primary.backend && d.value.ruleCount > 0,
    );
    const dumps = [primary, ...others.filter((d, i) => others.findIndex((o) => o.backend === d.backend) === i)];
    const ipsets = dataplane.ipset?.value;
    const sims: IptablesSimulator[] = dumps.map((d) => compileIptables(d.value, ipsets ? { ipsets, file: d.file.path } : { file: d.file.path }));
    const net = nodeNet(model, dataplane);
    const trace = (packet: SimPacket): TraceResult => {
      if (sims.length === 1) return sims[0]!.trace(net.context, packet);
      // Both backends hook into the same netfilter hooks: one pipeline with every base chain.
      const context = new TraceContext(new NodeFacts(net.context));
      const table = (hook: Hook) => sortHookEntries(sims.flatMap((s) => [...s.hookEntries(hook)]), hook);
      const outcomes = tracePacketPaths(table, packet, context);
      return { outcomes, unsupported: context.unsupportedList() };
    };
    out.set(dataplane.node, { node: dataplane.node, dataplane, net, dumps, trace });
  }
  return out;
}

/** An IPv4 address a pod on this node has (a running, non-host-network pod), else one inside its podCIDR. */
export function podAddressOn(model: AnalysisModel, node: string): { ip: string; pod?: string } | undefined {
  const pods = model.kube.pods.filter((p) => p.nodeName === node && !p.hostNetwork && p.phase === 'Running');
  const withIp = pods.find((p) => p.ready && p.podIPs.some((ip) => !ip.includes(':'))) ?? pods.find((p) => p.podIPs.some((ip) => !ip.includes(':')));
  if (withIp) return { ip: withIp.podIPs.find((ip) => !ip.includes(':'))!, pod: `${withIp.namespace}/${withIp.name}` };
  const cidr = model.kube.node(node)?.podCIDRs.find((c) => !c.includes(':'));
  if (!cidr) return undefined;
  const [base] = cidr.split('/');
  const octets = base!.split('.').map(Number);
  octets[3] = (octets[3] ?? 0) + 10;
  return { ip: octets.join('.') };
}
