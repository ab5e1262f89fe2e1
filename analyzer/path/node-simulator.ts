/**
 * The netfilter simulator of one node, without compiling every node's dumps: the path needs two
 * nodes' rules, and a bundle of 500 nodes holds 500 dumps (trace-node reads the same way).
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import { createAnalysisModel } from '../engine/analysis-model.js';
import { nodeSimulators, type NodeSimulator } from '../kubeproxy/node-simulators.js';
import { oneNodeBundle } from '../trace/trace-node-packet.js';

export function nodeSimulator(model: AnalysisModel, node: string): NodeSimulator | undefined {
  const nodeModel = createAnalysisModel(oneNodeBundle(model.bundle, node), model.kube, model.parseIssues);
  return nodeSimulators(nodeModel).get(node);
}

/** The files a simulator traces, as the path names them. */
export function simulatorFiles(simulator: NodeSimulator): string {
  return [...simulator.dumps.map((d) => d.file.path), ...(simulator.nft ? [simulator.nft.file.path] : [])].join(' + ');
}
