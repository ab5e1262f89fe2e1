/**
 * Who can reach whom among the workloads of some namespaces. Pods are grouped by owner (the
 * Deployment behind a ReplicaSet, a StatefulSet, a DaemonSet...) and, within an owner, by label
 * set, so that a matrix of hundreds of pods stays a matrix of tens of workloads. Policies select
 * by labels and namespace, so the pods of a group are judged alike; each cell is the verdict
 * for one representative pod of the source group to one of the destination group.
 */
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Labels, Pod, Protocol } from '../kube/types.js';
import type { PolicyEngine } from './detect-policy-engine.js';
import { evaluateFlow } from './evaluate.js';
import { resolveNamedPort } from './named-port.js';
import { policySet } from './policy-facet.js';
import type { PolicyFlow, Verdict } from './policy-types.js';
import { podEndpoint } from './resolve-flow.js';

/** Labels that differ pod by pod within one workload and never carry policy meaning. */
const PER_POD_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'pod-template-generation', 'statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'batch.kubernetes.io/controller-uid', 'controller-uid', 'batch.kubernetes.io/job-name', 'job-name']);

export interface MatrixGroup {
  /** `x/Deployment/cart`, `x/pod/debug` for a pod without owner. */
  id: string;
  /** `x/cart (Deployment, 3 pods)`. */
  label: string;
  namespace: string;
  pods: Pod[];
}

export interface MatrixCell {
  verdict: Verdict;
  /** The destination port judged (undefined when none could be chosen). */
  port?: number;
  protocol?: Protocol;
  /** The policies that decided a deny or an allow under isolation. */
  policies: string[];
}

export interface ReachabilityMatrix {
  engine: string;
  groups: MatrixGroup[];
  /** cells[i][j]: from groups[i] to groups[j]. */
  cells: MatrixCell[][];
  notes: string[];
}

export interface MatrixOptions {
  namespaces: readonly string[];
  /** A port number or container port name for every destination; default each destination's first declared port. */
  port?: number | string;
  protocol?: Protocol;
  /** Judge under this engine instead of the detected one. */
  engine?: PolicyEngine;
}

function ownerOf(pod: Pod): { kind: string; name: string } | undefined {
  const owner = pod.ownerReferences.find((o) => o.controller) ?? pod.ownerReferences[0];
  if (!owner) return undefined;
  const hash = pod.labels['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  return { kind: owner.kind, name: owner.name };
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .filter((key) => !PER_POD_LABELS.has(key))
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(',');
}

/** Live pods with an IP, grouped by owner and label set, in namespace then name order. */
export function groupPods(model: AnalysisModel, namespaces: readonly string[]): MatrixGroup[] {
  const groups = new Map<string, MatrixGroup>();
  for (const namespace of namespaces) {
    for (const pod of model.kube.podsInNamespace(namespace)) {
      if (pod.podIPs.length === 0 || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
      const owner = ownerOf(pod);
      const base = owner ? `${namespace}/${owner.kind}/${owner.name}` : `${namespace}/pod/${pod.name}`;
      const id = `${base}|${labelKey(pod.labels)}`;
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { id, label: '', namespace, pods: [] }));
      group.pods.push(pod);
    }
  }
  const list = [...groups.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Owners split by label sets (a rollout in progress) get a suffix to tell them apart.
  const perBase = new Map<string, number>();
  for (const group of list) {
    const base = group.id.split('|')[0]!;
    perBase.set(base, (perBase.get(base) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  for (const group of list) {
    const base = group.id.split('|')[0]!;
    const [namespace, kind, name] = base.split('/') as [string, string, string];
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const split = (perBase.get(base) ?? 1) > 1 ? ` #${n}` : '';
    const what = kind === 'pod' ? 'pod' : `${kind}, ${group.pods.length} pod${group.pods.length === 1 ? '' : 's'}`;
    group.label = `${namespace}/${name}${split} (${what})`;
  }
  return list;
}

function destinationPort(pod: Pod, options: MatrixOptions): { port: number; protocol: Protocol } | undefined {
  const protocol = options.protocol ?? 'TCP';
  if (typeof options.port === 'number') return { port: options.port, protocol };
  if (typeof options.port === 'string') {
    const port = resolveNamedPort(pod, options.port, protocol);
    return port === undefined ? undefined : { port, protocol };
  }
  const declared = pod.containers.flatMap((c) => c.ports).filter((p) => options.protocol === undefined || p.protocol === options.protocol);
  const first = declared.find((p) => p.protocol === 'TCP') ?? declared[0];
  return first ? { port: first.containerPort, protocol: first.protocol } : undefined;
}

export function reachabilityMatrix(model: AnalysisModel, options: MatrixOptions): ReachabilityMatrix {
  const groups = groupPods(model, options.namespaces);
  const engine = options.engine ?? policySet(model).engine;
  const notes = [...engine.notes];
  const missing = options.namespaces.filter((ns) => model.kube.podsInNamespace(ns).length === 0);
  if (missing.length > 0) notes.push(`no pods in ${missing.join(', ')}`);
  if (options.port === undefined) notes.push("each destination is judged on its first declared container port (TCP first); give --port to judge one port everywhere");
  const cells: MatrixCell[][] = [];
  for (const from of groups) {
    const row: MatrixCell[] = [];
    for (const to of groups) {
      const src = from.pods[0]!;
      // Within a group, a pod talks to another replica when there is one.
      const dst = to === from && to.pods.length > 1 ? to.pods[1]! : to.pods[0]!;
      const port = destinationPort(dst, options);
      if (!port) {
        row.push({ verdict: 'unknown', policies: [] });
        continue;
      }
      const srcEndpoint = podEndpoint(model, src);
      const flow: PolicyFlow = { src: srcEndpoint, dst: podEndpoint(model, dst, srcEndpoint.ip.includes(':') ? 6 : 4), protocol: port.protocol, port: port.port };
      const verdict = evaluateFlow(model, flow, { explain: false, engine });
      const policies = [...new Set(verdict.decidedBy.map((d) => d.policy))];
      row.push({ verdict: verdict.verdict, port: port.port, protocol: port.protocol, policies });
    }
    cells.push(row);
  }
  return { engine: engine.kind === 'none' ? `none (${engine.cni})` : `${engine.kind} (${engine.cni})`, groups, cells, notes };
}

const SYMBOL: Record<Verdict, string> = { allow: '✓', deny: '✗', unknown: '?' };

/** The matrix as text: numbered rows (sources) and columns (destinations), then the legend. */
export function renderMatrixText(matrix: ReachabilityMatrix): string {
  const n = matrix.groups.length;
  if (n === 0) return `no running pods with an IP in the namespaces asked for\n${matrix.notes.map((note) => `note: ${note}\n`).join('')}`;
  const width = String(n).length;
  const labels = matrix.groups.map((g, i) => `${String(i + 1).padStart(width)} ${g.label}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const cellWidth = Math.max(width, 1) + 1;
  const header = ' '.repeat(labelWidth) + ' ' + matrix.groups.map((_, j) => String(j + 1).padStart(cellWidth)).join('');
  const lines = [`reachability (${matrix.engine}): rows are sources, columns destinations`, header];
  matrix.cells.forEach((row, i) => {
    lines.push(labels[i]!.padEnd(labelWidth) + ' ' + row.map((cell) => SYMBOL[cell.verdict].padStart(cellWidth)).join(''));
  });
  lines.push('');
  lines.push('✓ allowed  ✗ denied  ? unknown');
  const ports = matrix.groups.map((_, j) => {
    const cell = matrix.cells.find((row) => row[j]?.port !== undefined)?.[j];
    return cell?.port !== undefined ? `${j + 1}: ${cell.port}/${cell.protocol}` : `${j + 1}: no port`;
  });
  lines.push(`destination ports: ${ports.join(', ')}`);
  const deciding = new Map<string, number>();
  for (const row of matrix.cells) for (const cell of row) if (cell.verdict === 'deny') for (const p of cell.policies) deciding.set(p, (deciding.get(p) ?? 0) + 1);
  if (deciding.size > 0) {
    lines.push('denying policies (cells):');
    for (const [policy, count] of [...deciding].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) lines.push(`  ${policy} (${count})`);
  }
  for (const note of matrix.notes) lines.push(`note: ${note}`);
  return lines.join('\n') + '\n';
}

/** The matrix as JSON-safe data. */
export function matrixJson(matrix: ReachabilityMatrix): Record<string, unknown> {
  return {
    engine: matrix.engine,
    groups: matrix.groups.map((g) => ({ id: g.id, label: g.label, namespace: g.namespace, pods: g.pods.map((p) => p.name) })),
    cells: matrix.cells,
    notes: matrix.notes,
  };
}
