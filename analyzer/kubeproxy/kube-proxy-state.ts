/**
 * Per node: what kube-proxy programmed (in the mode the node runs, per IP family), what the API
 * says it should have programmed, and the difference. Built once per analysis and shared by the
 * kube-proxy rules.
 *
 * A node showing no kube-proxy rules at all is compared in the mode the other nodes run (its
 * kube-proxy is absent or never synced: everything is missing). A node running two modes at
 * once is not compared (kubeproxy-mode-mismatch reports it); neither are nodes when no node
 * shows any kube-proxy rule (kube-proxy replaced, e.g. by Cilium).
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { IpFamily, ProxyMode, ReconstructedDataplane } from './dataplane-types.js';
import { diffDataplane, type DiffEntry } from './dataplane-diff.js';
import { ExpectedDataplanes, type ExpectedDataplane } from './expected-dataplane.js';
import { kubeProxyDumps, nodeDataplanes, nodeLocalAddresses, type NodeDataplane } from './node-dataplane.js';
import { reconstructIptables } from './reconstruct-iptables.js';
import { reconstructIpvs } from './reconstruct-ipvs.js';
import { kubeProxyNftTable, reconstructNftables } from './reconstruct-nftables.js';
import { servicePortIndex, type ServicePortIndex } from './service-port-index.js';

const KUBE_PROXY_STATE_FACET = 'kubeproxy/state';

export interface FamilyView {
  family: IpFamily;
  programmed: ReconstructedDataplane;
  expected: ExpectedDataplane;
  diff: DiffEntry[];
}

export interface NodeKubeProxyState {
  node: string;
  dataplane: NodeDataplane;
  /** The mode compared; for a node with no kube-proxy rules, the mode the other nodes run. */
  mode: ProxyMode;
  /** True when the node shows no kube-proxy rule and is compared in the others' mode. */
  noRules: boolean;
  views: FamilyView[];
}

export interface KubeProxyStates {
  nodes: NodeKubeProxyState[];
  /** Nodes with data-plane files that could not be compared, and why. */
  skipped: { node: string; why: string }[];
  /** Nodes with data-plane files (compared or not). */
  total: number;
}

export function kubeProxyStates(model: AnalysisModel): KubeProxyStates {
  return model.facet(KUBE_PROXY_STATE_FACET, build);
}

function build(model: AnalysisModel): KubeProxyStates {
  const dataplanes = nodeDataplanes(model).nodes;
  const index = servicePortIndex(model);
  const expectations = new ExpectedDataplanes(model.kube, index);
  const seen = new Map<ProxyMode, number>();
  for (const d of dataplanes) if (d.mode.modes.length === 1) seen.set(d.mode.modes[0]!, (seen.get(d.mode.modes[0]!) ?? 0) + 1);
  const commonMode = [...seen].sort((a, b) => b[1] - a[1])[0]?.[0];

  const nodes: NodeKubeProxyState[] = [];
  const skipped: { node: string; why: string }[] = [];
  for (const dataplane of dataplanes) {
    const verdict = dataplane.mode;
    let mode: ProxyMode | undefined;
    let noRules = false;
    if (verdict.mode === 'several') {
      skipped.push({ node: dataplane.node, why: `runs ${verdict.modes.join(' and ')} at once` });
      continue;
    } else if (verdict.mode === 'none') {
      if (!commonMode) {
        skipped.push({ node: dataplane.node, why: 'no node shows kube-proxy rules (kube-proxy replaced or not running)' });
        continue;
      }
      mode = commonMode;
      noRules = true;
    } else if (verdict.mode === 'unknown') {
      skipped.push({ node: dataplane.node, why: 'no iptables-save, nft-ruleset or ipvsadm output with rules' });
      continue;
    } else {
      mode = verdict.mode;
    }
    const views: FamilyView[] = [];
    for (const family of [4, 6] as const) {
      const programmed = reconstructFor(dataplane, mode, family, index, model);
      if (!programmed) continue;
      if (family === 6 && programmed.reconstructed.frontends.size === 0 && !expectations.hasServicePorts(6)) continue;
      const expected = expectations.forNode(dataplane.node, family);
      views.push({ family, programmed: programmed.reconstructed, expected, diff: diffDataplane(expected, programmed.reconstructed, programmed.anchor) });
    }
    if (views.length === 0) {
      skipped.push({ node: dataplane.node, why: `the ${mode} data plane was not collected` });
      continue;
    }
    nodes.push({ node: dataplane.node, dataplane, mode, noRules, views });
  }
  return { nodes, skipped, total: dataplanes.length };
}

function reconstructFor(
  dataplane: NodeDataplane,
  mode: ProxyMode,
  family: IpFamily,
  index: ServicePortIndex,
  model: AnalysisModel,
): { reconstructed: ReconstructedDataplane; anchor: Evidence | undefined } | undefined {
  if (mode === 'iptables') {
    const dump = kubeProxyDumps(dataplane).find((d) => d.family === family)?.dump;
    if (!dump) return undefined;
    const nat = dump.value.tables.get('nat');
    const declaration = nat?.chains.get('KUBE-SERVICES')?.line ?? nat?.line;
    const anchor = declaration !== undefined ? dump.file.evidenceAtLine(declaration, 'kube-proxy writes Service rules here') : dump.file.evidenceAtLine(1, 'no nat table in this dump');
    return { reconstructed: reconstructIptables(dataplane.node, family, dump, index), anchor };
  }
  if (mode === 'ipvs') {
    if (!dataplane.ipvs) return undefined;
    const addresses = nodeLocalAddresses(dataplane) ?? model.kube.node(dataplane.node)?.ips ?? [];
    const inputs = dataplane.ipset ? { ipvs: dataplane.ipvs, ipset: dataplane.ipset, nodeAddresses: addresses } : { ipvs: dataplane.ipvs, nodeAddresses: addresses };
    const anchor = dataplane.ipvs.file.evidenceAtLine(1, 'kube-proxy creates a virtual server per Service address');
    return { reconstructed: reconstructIpvs(dataplane.node, family, inputs, index), anchor };
  }
  if (!dataplane.nft) return undefined;
  const table = kubeProxyNftTable(dataplane.nft.value, family);
  const map = table?.sets.get('service-ips');
  const anchor = dataplane.nft.file.evidenceAtLine(map?.line ?? table?.line ?? 1, 'kube-proxy maps Service addresses here');
  return { reconstructed: reconstructNftables(dataplane.node, family, dataplane.nft, index), anchor };
}
