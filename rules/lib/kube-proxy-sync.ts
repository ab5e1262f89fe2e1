/**
 * Shared reading of the kube-proxy state facet for the rules: which Service a difference is
 * about, how far each node is out of date, whether a node looks stuck (its kube-proxy stopped
 * syncing while the others kept up), the node's kube-proxy pod, and the coverage sentence.
 */
import type { Evidence } from '../../analyzer/bundle/source-file.js';
import type { RuleContext } from '../../analyzer/engine/rule.js';
import type { DiffEntry } from '../../analyzer/kubeproxy/dataplane-diff.js';
import type { KubeProxyStates } from '../../analyzer/kubeproxy/kube-proxy-state.js';
import type { KubeModel } from '../../analyzer/kube/types.js';

/** Kinds that say the node's rules are behind the API (not merely written oddly). */
const OUT_OF_DATE = new Set<DiffEntry['kind']>([
  'missing-frontend',
  'missing-endpoint',
  'missing-verdict',
  'stale-endpoint',
  'stale-frontend',
  'stale-service',
  'unexpected-verdict',
  'affinity-mismatch',
]);
const STALE = new Set<DiffEntry['kind']>(['stale-endpoint', 'stale-frontend', 'stale-service', 'unexpected-verdict', 'affinity-mismatch']);

/** A node is called stuck from this many out-of-date Services on, when at least one is stale. */
export const STUCK_MIN_SERVICES = 2;

/** `Service/ns/name` of the Service a difference is about (from the API, or from the rules' own names). */
export function serviceSubject(entry: DiffEntry): string | undefined {
  if (entry.ref) return entry.ref.service.ref;
  const spn = entry.spn;
  if (!spn) return undefined;
  const [namespace, rest] = spn.split('/');
  return namespace && rest ? `Service/${namespace}/${rest.split(':')[0]}` : undefined;
}

export function serviceNamespace(entry: DiffEntry): string {
  return entry.ref?.service.namespace ?? entry.spn?.split('/')[0] ?? '';
}

export interface NodeSync {
  node: string;
  /** Service subject → its out-of-date differences on this node. */
  outOfDate: Map<string, DiffEntry[]>;
  /** Services with at least one stale difference. */
  staleServices: Set<string>;
  /** Kube-proxy on this node looks stuck: several Services behind, some stale, while other nodes are in sync. */
  stuck: boolean;
  /** Other compared nodes with none of this node's out-of-date Services out of date. */
  inSyncPeers: string[];
}

export function nodeSyncs(states: KubeProxyStates): Map<string, NodeSync> {
  const syncs = new Map<string, NodeSync>();
  for (const state of states.nodes) {
    const outOfDate = new Map<string, DiffEntry[]>();
    const staleServices = new Set<string>();
    for (const view of state.views) {
      for (const entry of view.diff) {
        if (!OUT_OF_DATE.has(entry.kind)) continue;
        const subject = serviceSubject(entry);
        if (!subject) continue;
        let list = outOfDate.get(subject);
        if (!list) outOfDate.set(subject, (list = []));
        list.push(entry);
        if (STALE.has(entry.kind)) staleServices.add(subject);
      }
    }
    syncs.set(state.node, { node: state.node, outOfDate, staleServices, stuck: false, inSyncPeers: [] });
  }
  for (const sync of syncs.values()) {
    const peers = [...syncs.values()].filter((other) => other !== sync);
    sync.inSyncPeers = peers.filter((p) => ![...sync.outOfDate.keys()].some((s) => p.outOfDate.has(s))).map((p) => p.node);
    const mostPeersAgree = peers.length === 0 || sync.inSyncPeers.length * 2 >= peers.length;
    sync.stuck = sync.outOfDate.size >= STUCK_MIN_SERVICES && sync.staleServices.size > 0 && mostPeersAgree;
  }
  return syncs;
}

/** The kube-proxy pod running on a node, if the bundle lists it. */
export function kubeProxyPodOn(kube: KubeModel, node: string): string | undefined {
  return kube.podsInNamespace('kube-system').find((p) => p.nodeName === node && (p.labels['k8s-app'] === 'kube-proxy' || p.name.startsWith('kube-proxy-')))?.name;
}

/** Commands to look at (and restart) kube-proxy on a node. */
export function kubeProxyCommands(kube: KubeModel, node: string): string[] {
  const pod = kubeProxyPodOn(kube, node);
  if (pod) return [`kubectl -n kube-system logs ${pod} --tail=200`, `kubectl -n kube-system delete pod ${pod}`];
  return [`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${node}`];
}

/** "3 of 3 nodes compared (iptables)"; partial when some nodes could not be compared. */
export function setNodeCoverage(ctx: RuleContext, states: KubeProxyStates): void {
  const modes = [...new Set(states.nodes.map((n) => n.mode))].join(', ');
  const compared = `${states.nodes.length} of ${states.total} nodes compared${modes ? ` (${modes})` : ''}`;
  if (states.skipped.length === 0) ctx.setCoverage('checked', compared);
  else ctx.setCoverage('partial', `${compared}; ${states.skipped.map((s) => `${s.node}: ${s.why}`).join('; ')}`);
}

/** Evidence lines, without repeats, at most `max`. */
export function uniqueEvidence(lines: Evidence[], max = 8): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const e of lines) {
    const key = `${e.file}:${e.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}
