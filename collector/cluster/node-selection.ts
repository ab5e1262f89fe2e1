/**
 * Which nodes cluster mode captures (`--nodes`), from the objects kubectl already listed:
 *
 * - default: the nodes that host the pods in focus (`-n`; all pods when no namespace is
 *   given), plus one node per CNI agent version (calico-node, cilium, kube-flannel,
 *   weave-net DaemonSet pods, told apart by image), so an agent upgrade half rolled out
 *   shows both sides;
 * - `all`; a list of names; a label selector (`{ selector: 'role=edge,zone in (a,b)' }`,
 *   evaluated here on the nodes' labels the way the API server does).
 *
 * The result is capped at maxNodes; CNI representatives come first (they are few and carry
 * the most diverse state), then nodes by how many pods in focus they host. The message names
 * every node left out.
 */
import type { KubeObject } from './cluster-phase.js';

export type NodeSelection = 'default' | 'all' | string[] | { selector: string };

export type CniAgentKind = 'calico' | 'cilium' | 'flannel' | 'weave';

/** A CNI agent pod on a node, found among the DaemonSet pods. */
export interface CniAgentPod {
  kind: CniAgentKind;
  namespace: string;
  pod: string;
  container: string;
  image: string;
  node: string;
}

export interface NodeSelectionResult {
  /** The nodes to capture, in capture order. */
  nodes: string[];
  /** Why each selected node was chosen. */
  reasons: Map<string, string[]>;
  /** Selected but over the cap. */
  notCaptured: string[];
  /** Names asked for that are not in the node list. */
  unknown: string[];
  /** For the user: what was left out and why (cap, unknown names, nothing matched). */
  messages: string[];
}

const AGENT_CONTAINERS: Record<string, CniAgentKind> = {
  'calico-node': 'calico',
  'cilium-agent': 'cilium',
  'kube-flannel': 'flannel',
  weave: 'weave',
};

/** The CNI agent of a pod, when it is one (a DaemonSet pod with the agent's container). */
export function cniAgentOf(pod: KubeObject): CniAgentPod | undefined {
  const node = pod.spec?.nodeName;
  if (!node || !(pod.metadata?.ownerReferences ?? []).some((o: KubeObject) => o.kind === 'DaemonSet')) return undefined;
  for (const container of pod.spec?.containers ?? []) {
    const kind = AGENT_CONTAINERS[container.name];
    // `weave` is also the name of weave-npc's sibling in other charts: require weave-net's image.
    if (!kind || (kind === 'weave' && !/weave-kube|weave-net/.test(String(container.image)))) continue;
    const status = (pod.status?.containerStatuses ?? []).find((s: KubeObject) => s.name === container.name);
    return { kind, namespace: pod.metadata.namespace, pod: pod.metadata.name, container: container.name, image: String(status?.image ?? container.image ?? ''), node };
  }
  return undefined;
}

export function cniAgents(pods: readonly KubeObject[]): CniAgentPod[] {
  const agents: CniAgentPod[] = [];
  for (const pod of pods) {
    if (pod.status?.phase && pod.status.phase !== 'Running') continue;
    const agent = cniAgentOf(pod);
    if (agent) agents.push(agent);
  }
  return agents;
}

export function inFocus(pod: KubeObject, focusNamespaces: readonly string[]): boolean {
  return focusNamespaces.length === 0 || focusNamespaces.includes(pod.metadata?.namespace);
}

export function selectClusterNodes(
  objects: { nodes: readonly KubeObject[]; pods: readonly KubeObject[] },
  focusNamespaces: readonly string[],
  selection: NodeSelection,
  maxNodes: number,
): NodeSelectionResult {
  const known = objects.nodes.map((n) => String(n.metadata?.name)).filter(Boolean);
  const knownSet = new Set(known);
  const reasons = new Map<string, string[]>();
  const addReason = (node: string, reason: string) => {
    const list = reasons.get(node);
    if (list) list.push(reason);
    else reasons.set(node, [reason]);
  };
  const messages: string[] = [];
  const unknown: string[] = [];
  let ordered: string[];

  if (selection === 'all') {
    ordered = [...known].sort();
    for (const node of ordered) addReason(node, '--nodes all');
  } else if (Array.isArray(selection)) {
    ordered = [];
    for (const name of selection) {
      // With no node list (its read failed), the names are taken as given.
      if (knownSet.size > 0 && !knownSet.has(name)) {
        unknown.push(name);
        continue;
      }
      if (!ordered.includes(name)) ordered.push(name);
      addReason(name, 'named with --nodes');
    }
    if (unknown.length > 0) messages.push(`not in the cluster's node list, not captured: ${unknown.join(', ')}`);
  } else if (typeof selection === 'object') {
    const parsed = parseLabelSelector(selection.selector);
    if ('error' in parsed) {
      messages.push(`--nodes selector "${selection.selector}": ${parsed.error}; no node captured`);
      ordered = [];
    } else {
      ordered = objects.nodes
        .filter((n) => matchesSelector(n.metadata?.labels ?? {}, parsed.requirements))
        .map((n) => String(n.metadata.name))
        .sort();
      for (const node of ordered) addReason(node, `matches ${selection.selector}`);
      if (ordered.length === 0) messages.push(`no node matches the selector "${selection.selector}"`);
    }
  } else {
    ordered = defaultSelection(objects, focusNamespaces, addReason, messages);
  }

  const cap = Math.max(0, maxNodes);
  const nodes = ordered.slice(0, cap);
  const notCaptured = ordered.slice(cap);
  if (notCaptured.length > 0) {
    messages.push(
      `capturing ${nodes.length} of ${ordered.length} selected nodes (--max-nodes ${cap}); not captured: ${listNames(notCaptured)}. ` +
        'Raise --max-nodes or name the nodes with --nodes to capture them.',
    );
  }
  for (const node of notCaptured) reasons.delete(node);
  return { nodes, reasons, notCaptured, unknown, messages };
}

function defaultSelection(
  objects: { nodes: readonly KubeObject[]; pods: readonly KubeObject[] },
  focusNamespaces: readonly string[],
  addReason: (node: string, reason: string) => void,
  messages: string[],
): string[] {
  const focusPods = new Map<string, number>();
  for (const pod of objects.pods) {
    const node = pod.spec?.nodeName;
    if (!node || !inFocus(pod, focusNamespaces) || isFinished(pod)) continue;
    focusPods.set(node, (focusPods.get(node) ?? 0) + 1);
  }
  const byFocus = [...focusPods].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

  // One node per agent version: a node already chosen for its pods counts if it runs that version.
  const versions = new Map<string, CniAgentPod[]>();
  for (const agent of cniAgents(objects.pods)) {
    const key = `${agent.kind}\u0000${agent.image}`;
    versions.set(key, [...(versions.get(key) ?? []), agent]);
  }
  const representatives: string[] = [];
  for (const agents of [...versions.values()].sort((a, b) => a[0]!.kind.localeCompare(b[0]!.kind) || a[0]!.image.localeCompare(b[0]!.image))) {
    const sorted = [...agents].sort((a, b) => (focusPods.get(b.node) ?? 0) - (focusPods.get(a.node) ?? 0) || a.node.localeCompare(b.node));
    const chosen = sorted.find((a) => representatives.includes(a.node)) ?? sorted[0]!;
    if (!representatives.includes(chosen.node)) representatives.push(chosen.node);
    addReason(chosen.node, `runs ${agent(chosen)}`);
  }
  for (const [node, count] of byFocus) {
    addReason(node, `hosts ${count} pod${count === 1 ? '' : 's'}${focusNamespaces.length > 0 ? ` of ${focusNamespaces.join(', ')}` : ''}`);
  }
  const ordered = [...representatives, ...byFocus.map(([node]) => node).filter((node) => !representatives.includes(node))];
  if (ordered.length === 0) {
    messages.push(
      focusNamespaces.length > 0
        ? `no running pod of ${focusNamespaces.join(', ')} is on a node and no CNI agent pod was found: no node captured (use --nodes)`
        : 'no pod is scheduled on a node and no CNI agent pod was found: no node captured (use --nodes)',
    );
  }
  return ordered;
}

function agent(a: CniAgentPod): string {
  return `${a.kind} agent ${a.image}`;
}

function isFinished(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 50).join(', ');
  return names.length > 50 ? `${shown} and ${names.length - 50} more` : shown;
}

export interface LabelRequirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | 'doesnotexist' | '=' | '!=';
  values: string[];
}

/**
 * A label selector as kubectl takes it: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
 * `a`, `!a`, joined with commas.
 */
export function parseLabelSelector(text: string): { requirements: LabelRequirement[] } | { error: string } {
  const requirements: LabelRequirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  const KEY = '([A-Za-z0-9][-A-Za-z0-9_./]*)';
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') return { error: 'an empty requirement' };
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^${KEY}\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(part))) {
      requirements.push({ key: m[1]!, operator: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()).filter(Boolean) });
    } else if ((m = new RegExp(`^${KEY}\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`).exec(part))) {
      requirements.push({ key: m[1]!, operator: m[2] === '!=' ? '!=' : '=', values: [m[3]!] });
    } else if ((m = new RegExp(`^!\\s*${KEY}$`).exec(part))) {
      requirements.push({ key: m[1]!, operator: 'doesnotexist', values: [] });
    } else if ((m = new RegExp(`^${KEY}$`).exec(part))) {
      requirements.push({ key: m[1]!, operator: 'exists', values: [] });
    } else {
      return { error: `cannot read "${part}" as a label requirement` };
    }
  }
  return { requirements };
}

export function matchesSelector(labels: Record<string, string>, requirements: readonly LabelRequirement[]): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'exists':
        return has;
      case 'doesnotexist':
        return !has;
      case '=':
      case 'in':
        return has && r.values.includes(value!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(value!);
    }
  });
}
