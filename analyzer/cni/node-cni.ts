/**
 * The per-node CNI agent outputs the CNI health rules read, each parsed once per analysis and
 * shared through a facet, with the parse issues added to the model (bundle-parse-error).
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import { addParseIssuesOnce } from '../routing/node-routing.js';
import { parseCalicoctlNodeStatus, type CalicoNodeStatus } from './parse-calicoctl-node-status.js';
import { parseCiliumBpfLb, type CiliumLbMap } from './parse-cilium-bpf-lb.js';
import { parseCiliumEndpoints, type CiliumEndpointList } from './parse-cilium-endpoints.js';
import { parseCiliumStatus, type CiliumStatus } from './parse-cilium-status.js';
import { readCniConfigDir, type CniConfigDir } from './parse-cni-config.js';
import { parseWeaveReport, type WeaveReport } from './parse-weave-report.js';
import { parseWeaveStatus, type WeaveStatus } from './parse-weave-status.js';

export const CNI_NODE_FILES = {
  calicoNodeStatus: 'calico/node-status.txt',
  ciliumStatus: 'cilium/status.txt',
  ciliumEndpoints: 'cilium/endpoints.json',
  ciliumBpfLb: 'cilium/bpf-lb.txt',
  weaveStatus: 'weave/status.txt',
  weaveReport: 'weave/report.json',
  /** A folder: each file of /etc/cni/net.d. */
  cniConfigDir: 'cni/',
} as const;

export interface ParsedCniFile<T> {
  file: SourceFile;
  value: T;
}

export interface NodeCni {
  node: string;
  calicoNodeStatus?: ParsedCniFile<CalicoNodeStatus>;
  ciliumStatus?: ParsedCniFile<CiliumStatus>;
  ciliumEndpoints?: ParsedCniFile<CiliumEndpointList>;
  ciliumBpfLb?: ParsedCniFile<CiliumLbMap>;
  weaveStatus?: ParsedCniFile<WeaveStatus>;
  weaveReport?: ParsedCniFile<WeaveReport>;
  /** The node's /etc/cni/net.d files, in the runtime's order; absent when none was collected. */
  cniConfigs?: CniConfigDir;
}

const NODE_CNI_FACET = 'cni/node-cni';

/** Every node folder of the bundle, sorted by name, with the CNI files it holds parsed. */
export function nodeCnis(model: AnalysisModel): NodeCni[] {
  return model.facet(NODE_CNI_FACET, buildNodeCnis);
}

function buildNodeCnis(model: AnalysisModel): NodeCni[] {
  return model.bundle.nodeNames().map((node) => {
    const read = <T>(name: string, parse: (file: SourceFile) => ParseResult<T>): ParsedCniFile<T> | undefined => {
      const file = model.bundle.get(`nodes/${node}/${name}`);
      if (!file) return undefined;
      const parsed = parse(file);
      addParseIssuesOnce(model, file.path, parsed.issues);
      return { file, value: parsed.value };
    };
    const entry: NodeCni = { node };
    const calicoNodeStatus = read(CNI_NODE_FILES.calicoNodeStatus, parseCalicoctlNodeStatus);
    if (calicoNodeStatus) entry.calicoNodeStatus = calicoNodeStatus;
    const ciliumStatus = read(CNI_NODE_FILES.ciliumStatus, parseCiliumStatus);
    if (ciliumStatus) entry.ciliumStatus = ciliumStatus;
    const ciliumEndpoints = read(CNI_NODE_FILES.ciliumEndpoints, parseCiliumEndpoints);
    if (ciliumEndpoints) entry.ciliumEndpoints = ciliumEndpoints;
    const ciliumBpfLb = read(CNI_NODE_FILES.ciliumBpfLb, parseCiliumBpfLb);
    if (ciliumBpfLb) entry.ciliumBpfLb = ciliumBpfLb;
    const weaveStatus = read(CNI_NODE_FILES.weaveStatus, parseWeaveStatus);
    if (weaveStatus) entry.weaveStatus = weaveStatus;
    const weaveReport = read(CNI_NODE_FILES.weaveReport, parseWeaveReport);
    if (weaveReport) entry.weaveReport = weaveReport;
    const cniConfigs = nodeCniConfigs(model).get(node);
    if (cniConfigs) entry.cniConfigs = cniConfigs;
    return entry;
  });
}

const NODE_CNI_CONFIGS_FACET = 'cni/node-cni-configs';

/** Each node's /etc/cni/net.d files parsed, by node name (nodes without any are left out). */
export function nodeCniConfigs(model: AnalysisModel): ReadonlyMap<string, CniConfigDir> {
  return model.facet(NODE_CNI_CONFIGS_FACET, (m) => {
    const byNode = new Map<string, CniConfigDir>();
    for (const node of m.bundle.nodeNames()) {
      const cniFiles = m.bundle.list(`nodes/${node}/${CNI_NODE_FILES.cniConfigDir}`);
      if (cniFiles.length === 0) continue;
      const parsed = readCniConfigDir(cniFiles);
      for (const file of cniFiles) addParseIssuesOnce(m, file.path, parsed.issues.filter((issue) => issue.file === file.path));
      byNode.set(node, parsed.value);
    }
    return byNode;
  });
}
