/**
 * What the bundle shows of the CNI(s) the cluster runs, for every reader (the policy engine,
 * the pod network): the agents' DaemonSets and the CNI plugin types named in the nodes' CNI
 * config files (`nodes/<n>/cni/*`), each with its evidence, gathered once per model; and, asked
 * for separately since they parse more of the bundle, the runtime's effective CNI config
 * (node-cni.ts parses the config folders) and the devices a CNI leaves on a node.
 *
 * It only observes; which sighting decides is each reader's own rule (the CNI that enforces
 * policies, the plugin that creates the pod interface).
 */
import { makeEvidence, type Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Workload } from '../kube/types.js';
import { nodeRoutings } from '../routing/node-routing.js';
import { nodeCniConfigs } from './node-cni.js';
import type { CniConfig } from './parse-cni-config.js';

/** The DaemonSet names of each CNI agent (and policy agent). */
export const CNI_AGENT_DAEMONSETS = {
  cilium: ['cilium', 'anetd'],
  canal: ['canal'],
  calico: ['calico-node'],
  weave: ['weave-net'],
  flannel: ['kube-flannel-ds', 'kube-flannel', 'flannel', 'kube-flannel-ds-amd64'],
  'aws-vpc-cni': ['aws-node'],
  azure: ['azure-cni', 'azure-cns'],
  kindnet: ['kindnet'],
  antrea: ['antrea-agent'],
  'ovn-kubernetes': ['ovnkube-node'],
  'kube-network-policies': ['kube-network-policies'],
  'kube-router': ['kube-router'],
  'azure-npm': ['azure-npm'],
} as const satisfies Record<string, readonly string[]>;

export type CniAgent = keyof typeof CNI_AGENT_DAEMONSETS;

/** The CNI plugin `type`s looked for in the nodes' CNI config files. */
export const CNI_PLUGIN_TYPES = ['cilium-cni', 'calico', 'antrea', 'ovn-k8s-cni-overlay', 'weave-net', 'aws-cni', 'flannel'] as const;

export interface AgentDaemonSet {
  agent: CniAgent;
  daemonSet: Workload;
  /** At the DaemonSet's name: `DaemonSet <ns>/<name>`. */
  evidence: Evidence;
}

export interface PluginTypeMention {
  type: string;
  /** At the line of `"type": "<type>"`: `CNI plugin <type>`. */
  evidence: Evidence;
}

export interface ClusterCni {
  /** The known agents' DaemonSets, in the order of the collected DaemonSets. */
  agentDaemonSets: AgentDaemonSet[];
  /** Each node CNI config file's mentions of the plugin types of CNI_PLUGIN_TYPES, file by file. */
  pluginTypeMentions: PluginTypeMention[];
}

export interface CniDevice {
  cni: 'calico' | 'flannel' | 'cilium' | 'weave';
  device: string;
  /** On the node's interface listing, when it can be placed. */
  evidence: Evidence | undefined;
}

export const CLUSTER_CNI_FACET = 'cni/cluster-cni';

export function clusterCni(model: AnalysisModel): ClusterCni {
  return model.facet(CLUSTER_CNI_FACET, readClusterCni);
}

/** The first agent DaemonSet whose name is one of `names`, in the order of the collected DaemonSets. */
export function agentDaemonSet(cni: ClusterCni, names: readonly string[]): AgentDaemonSet | undefined {
  return cni.agentDaemonSets.find((d) => names.includes(d.daemonSet.name));
}

function readClusterCni(model: AnalysisModel): ClusterCni {
  const agentByName = new Map<string, CniAgent>();
  for (const [agent, names] of Object.entries(CNI_AGENT_DAEMONSETS) as [CniAgent, readonly string[]][]) {
    for (const name of names) agentByName.set(name, agent);
  }
  const agentDaemonSets: AgentDaemonSet[] = [];
  for (const daemonSet of model.kube.daemonSets) {
    const agent = agentByName.get(daemonSet.name);
    if (agent) agentDaemonSets.push({ agent, daemonSet, evidence: daemonSet.source.at('metadata.name', `DaemonSet ${daemonSet.namespace}/${daemonSet.name}`) });
  }

  const pluginTypeMentions: PluginTypeMention[] = [];
  for (const file of model.bundle.list('nodes/')) {
    if (!/^nodes\/[^/]+\/cni\/[^/]+$/.test(file.path)) continue;
    for (const type of CNI_PLUGIN_TYPES) {
      const spaced = file.text.indexOf(`"type": "${type}"`);
      const at = spaced >= 0 ? spaced : file.text.indexOf(`"type":"${type}"`);
      if (at < 0) continue;
      const line = file.lineOf(at);
      pluginTypeMentions.push({ type, evidence: makeEvidence(file.path, line, file.lineText(line), `CNI plugin ${type}`) });
    }
  }
  return { agentDaemonSets, pluginTypeMentions };
}

/** The configuration the runtime uses on the first node (by name) whose CNI files give one. */
export function effectiveCniConfig(model: AnalysisModel): CniConfig | undefined {
  for (const dir of nodeCniConfigs(model).values()) if (dir.effective) return dir.effective;
  return undefined;
}

/** The CNI a device tells of: tunl0, vxlan.calico, cali* (Calico), flannel.1 (flannel), cilium_host, weave. */
export function cniOfDevice(name: string): CniDevice['cni'] | undefined {
  if (name === 'tunl0' || name.startsWith('vxlan.calico') || name.startsWith('cali')) return 'calico';
  if (/^flannel[.-]/.test(name)) return 'flannel';
  if (name === 'cilium_host') return 'cilium';
  if (name === 'weave') return 'weave';
  return undefined;
}

/** The first device that tells which CNI runs, node by node; `note` words its evidence. */
export function cniDevice(model: AnalysisModel, note: (cni: CniDevice['cni'], device: string) => string): CniDevice | undefined {
  for (const routing of nodeRoutings(model).nodes) {
    for (const iface of routing.interfaces) {
      const cni = cniOfDevice(iface.name);
      if (cni) return { cni, device: iface.name, evidence: routing.interfaceEvidence(iface.name, note(cni, iface.name)) };
    }
  }
  return undefined;
}
