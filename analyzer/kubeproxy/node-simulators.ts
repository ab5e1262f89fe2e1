/**
 * The iptables packet simulator of each node, compiled once per analysis: kube-proxy's dump,
 * and, when the other backend holds rules too, both composed into one hook pipeline (the kernel
 * runs the legacy and the nf_tables tables alike). The native nftables tables of `nft list
 * ruleset` (kube-proxy's nftables mode, flannel's or a host firewall's) join the same pipeline;
 * the ip/ip6 filter, nat, mangle, raw and security tables there are iptables-nft's, already
 * simulated from the iptables dump, and are left out when that dump is of the nf_tables backend.
 * On an IPVS-mode node holding only kube-proxy's dump, the virtual servers of ipvsadm.txt run
 * inside those rules. Rules ask `traceNode` what happens to a packet; every step names the file
 * and line it came from.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { NftRuleset } from '../netfilter/nft-types.js';
import { compileIptables, type IptablesSimulator } from '../netfilter/simulate/compile-iptables.js';
import { compileNftables } from '../netfilter/simulate/compile-nftables.js';
import { compileIpvs } from '../netfilter/simulate/trace-ipvs.js';
import { sortHookEntries, tracePacketPaths, type HookEntry } from '../netfilter/simulate/hook-pipeline.js';
import { NodeFacts } from '../netfilter/simulate/node-context.js';
import { TraceContext } from '../netfilter/simulate/trace-context.js';
import type { Hook, SimPacket, TraceResult } from '../netfilter/simulate/trace-types.js';
import { nodeDataplanes, type IptablesDumpView, type NodeDataplane, type ParsedNodeFile } from './node-dataplane.js';
import { nodeNet, type NodeNet } from './node-net.js';

const NODE_SIMULATORS_FACET = 'kubeproxy/node-simulators';

export interface NodeSimulator {
  node: string;
  dataplane: NodeDataplane;
  net: NodeNet;
  /** The IPv4 dumps simulated: kube-proxy's first, then the other backend's when it holds rules. */
  dumps: IptablesDumpView[];
  /** nft-ruleset.txt, when it has native nftables base chains simulated alongside the dumps. */
  nft?: ParsedNodeFile<NftRuleset>;
  /** True when IPVS's virtual servers (ipvsadm.txt) are simulated with kube-proxy's rules. */
  ipvs?: boolean;
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
    const nativeNft = nativeNftTables(dataplane.nft?.value, dumps.some((d) => d.backend !== 'legacy'));
    const nft = nativeNft ? compileNftables(nativeNft, { file: dataplane.nft!.file.path }) : undefined;
    const net = nodeNet(model, dataplane);
    // IPVS mode: the virtual servers run inside kube-proxy's iptables rules (alone on the node; a
    // node that also holds other backends or nftables tables is traced without IPVS).
    const ipvs = dataplane.mode.mode === 'ipvs' && dataplane.ipvs && sims.length === 1 && !nft
      ? compileIpvs(dataplane.ipvs.value, { iptables: sims[0]!, file: dataplane.ipvs.file.path })
      : undefined;
    const trace = (packet: SimPacket): TraceResult => {
      if (ipvs) return ipvs.trace(net.context, packet);
      if (sims.length === 1 && !nft) return sims[0]!.trace(net.context, packet);
      // Every backend hooks into the same netfilter hooks: one pipeline with every base chain.
      const context = new TraceContext(new NodeFacts(net.context));
      const table = (hook: Hook): HookEntry[] => sortHookEntries([...sims.flatMap((s) => [...s.hookEntries(hook)]), ...(nft?.hookEntries(hook, 4) ?? [])], hook);
      const outcomes = tracePacketPaths(table, packet, context);
      return { outcomes, unsupported: context.unsupportedList() };
    };
    const simulator: NodeSimulator = { node: dataplane.node, dataplane, net, dumps, trace };
    if (nativeNft) simulator.nft = dataplane.nft!;
    if (ipvs) simulator.ipvs = true;
    out.set(dataplane.node, simulator);
  }
  return out;
}

/** The tables iptables-nft keeps in nf_tables for its own (`table ip filter` and the like). */
const XTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

/**
 * The tables of a ruleset that are nftables' own, with at least one base chain; undefined when
 * there are none. With `iptablesNft`, the xtables-named ip/ip6 tables are iptables-nft's.
 */
function nativeNftTables(ruleset: NftRuleset | undefined, iptablesNft: boolean): NftRuleset | undefined {
  if (!ruleset) return undefined;
  const tables = [...ruleset.tables].filter(([, table]) => {
    if (iptablesNft && (table.family === 'ip' || table.family === 'ip6') && XTABLES_TABLES.has(table.name)) return false;
    return [...table.chains.values()].some((c) => c.hook !== undefined);
  });
  return tables.length > 0 ? { tables: new Map(tables) } : undefined;
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
