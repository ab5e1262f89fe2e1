/**
 * What a `nodes/<name>/` folder is about: a Kubernetes node, or a host outside any cluster —
 * a plain Docker host, or the machine of a capture without cluster objects (`netdump collect
 * --local`). Findings name the first `Node/<name>` and the second `Host/<name>` (report-format.md),
 * as node-routing and the Docker rules do, so that causes link across rules by subject.
 */
import { hostCaptureOnly, isPlainDockerHost } from '../../analyzer/docker/docker-host.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';

export type MachineKind = 'node' | 'host';

export function machineKind(model: AnalysisModel, name: string): MachineKind {
  if (model.kube.node(name)) return 'node';
  // A capture of hosts alone: no Kubernetes object, and a manifest that names no cluster (one
  // naming a cluster makes its folders nodes, even when every kubectl read failed).
  const manifest = model.bundle.manifest;
  const localCapture = hostCaptureOnly(model) && manifest !== undefined && manifest.cluster === undefined;
  return localCapture || isPlainDockerHost(model, name) ? 'host' : 'node';
}

/** `Node/<name>` or `Host/<name>`. */
export function machineSubject(model: AnalysisModel, name: string): string {
  return `${machineKind(model, name) === 'host' ? 'Host' : 'Node'}/${name}`;
}
