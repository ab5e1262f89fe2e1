/**
 * A namespace's labels for namespaceSelectors. Since Kubernetes 1.22 every namespace carries
 * `kubernetes.io/metadata.name=<name>`; when the bundle lacks the Namespace object that label
 * is all that can be known, and the caller says so in its notes.
 */
import type { KubeModel, Labels } from '../kube/types.js';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface NamespaceLabels {
  labels: Labels;
  /** False when the Namespace object is not in the bundle (labels are the name label only). */
  inBundle: boolean;
}

const synthesized = new Map<string, NamespaceLabels>();

export function namespaceLabelsOf(kube: KubeModel, name: string): NamespaceLabels {
  const namespace = kube.namespace(name);
  if (namespace) {
    // Objects written before 1.22 (or by hand) may lack the automatic label; the API server
    // sets it on every namespace, so it is always there in a live cluster.
    if (namespace.labels[NAMESPACE_NAME_LABEL] === name) return { labels: namespace.labels, inBundle: true };
    return { labels: { ...namespace.labels, [NAMESPACE_NAME_LABEL]: name }, inBundle: true };
  }
  let known = synthesized.get(name);
  if (!known) synthesized.set(name, (known = { labels: { [NAMESPACE_NAME_LABEL]: name }, inBundle: false }));
  return known;
}
