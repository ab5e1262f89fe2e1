/**
 * Security identities and the selectors that match them.
 *
 * A pod's identity carries its labels with the `k8s:` source plus the ones Cilium adds
 * (samples/hubble-observe.txt shows them on a real flow):
 *   k8s:app=web  k8s:io.kubernetes.pod.namespace=shop  k8s:io.cilium.k8s.policy.serviceaccount=web
 *   k8s:io.cilium.k8s.policy.cluster=default  k8s:io.cilium.k8s.namespace.labels.team=web
 * Anything else has a reserved identity: `reserved:host` (the pod's own node),
 * `reserved:remote-node` (other nodes), `reserved:kube-apiserver`, `reserved:world` with
 * `reserved:world-ipv4` / `-ipv6`. Pod IPs are never matched by CIDR: they have identities.
 *
 * Selector keys name a source (`k8s:app`, `reserved:host`) or not (`app`, `any:app`: any source).
 * Cilium scopes `endpointSelector` and `fromEndpoints`/`toEndpoints` of a namespaced policy to
 * the policy's namespace unless the selector names `io.kubernetes.pod.namespace`; in a
 * clusterwide policy it requires a namespace label (so `{}` matches every pod, no reserved
 * identity). A selector on reserved labels is left unscoped.
 */
import { formatSelector } from '../../kube/label-selector.js';
import { asArray, asObject, asString, asStringArray, objectOrEmpty } from '../../kube/object-fields.js';
import type { Node, Pod } from '../../kube/types.js';
import { parseIpAddress } from '../../netfilter/ip-cidr.js';
import type { FlowEndpoint } from '../policy-types.js';
import type { CiliumIdentity, IdentityContext, IdentitySelector } from './cilium-types.js';

export const NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';

/**
 * The labels of a security identity: by `source:key` (`k8s:app`, `reserved:world` with value
 * ''), and by key alone for selectors that name no source (`app`, `any:app`).
 */
export class IdentityLabels {
  private readonly bySourceKey = new Map<string, string>();
  private readonly byKey = new Map<string, string>();

  set(source: string, key: string, value: string): this {
    this.bySourceKey.set(`${source}:${key}`, value);
    if (!this.byKey.has(key)) this.byKey.set(key, value);
    return this;
  }

  /** `reserved:world`, `k8s:app`. */
  has(sourceKey: string): boolean {
    return this.bySourceKey.has(sourceKey);
  }

  /** By `source:key`, or by key alone when `sourceKey` is undefined. */
  get(sourceKey: string | undefined, key: string): string | undefined {
    return sourceKey === undefined ? this.byKey.get(key) : this.bySourceKey.get(sourceKey);
  }
}

const podLabelCache = new WeakMap<Pod, IdentityLabels>();

/** The identity labels of a pod (cached per pod). */
export function podIdentityLabels(pod: Pod, context: IdentityContext): IdentityLabels {
  let labels = podLabelCache.get(pod);
  if (labels) return labels;
  labels = new IdentityLabels();
  for (const [key, value] of Object.entries(pod.labels)) labels.set('k8s', key, value);
  labels.set('k8s', NAMESPACE_LABEL, pod.namespace);
  labels.set('k8s', 'io.cilium.k8s.policy.serviceaccount', pod.serviceAccountName ?? 'default');
  labels.set('k8s', 'io.cilium.k8s.policy.cluster', context.clusterName);
  for (const [key, value] of Object.entries(context.namespaceOf(pod.namespace)?.labels ?? {})) labels.set('k8s', `${NAMESPACE_LABELS_PREFIX}${key}`, value);
  podLabelCache.set(pod, labels);
  return labels;
}

function reserved(...names: string[]): IdentityLabels {
  const labels = new IdentityLabels();
  for (const name of names) labels.set('reserved', name, '');
  return labels;
}

/**
 * The identity of one end of a flow. `localNode` is the node of the endpoint whose policy is
 * judged: a node address is `host` there and `remote-node` elsewhere.
 */
export function identityOf(endpoint: FlowEndpoint, localNode: string | undefined, context: IdentityContext): CiliumIdentity {
  const address = parseIpAddress(endpoint.ip);
  const family = address?.family;
  const apiServer = context.apiServerIPs.has(endpoint.ip);
  if (endpoint.kind === 'pod') {
    const pod = endpoint.pod;
    const identity: CiliumIdentity = { kind: 'pod', labels: podIdentityLabels(pod, context), family, pod, label: `pod ${pod.namespace}/${pod.name} (${endpoint.ip})` };
    const namespace = context.namespaceOf(pod.namespace);
    if (namespace) identity.namespaceLabels = namespace.labels;
    return identity;
  }
  if (endpoint.kind === 'node') {
    const name = endpoint.node?.name;
    const local = name !== undefined && name === localNode;
    const kind = local ? 'host' : 'remote-node';
    const labels = apiServer ? reserved(kind, 'kube-apiserver') : reserved(kind);
    const identity: CiliumIdentity = { kind, labels, family, label: `${kind} ${name ?? '?'} (${endpoint.ip})` };
    if (endpoint.node) identity.node = endpoint.node;
    return identity;
  }
  if (apiServer) return { kind: 'kube-apiserver', labels: reserved('kube-apiserver'), family, label: `kube-apiserver ${endpoint.ip}` };
  const labels = family === 6 ? reserved('world', 'world-ipv6') : reserved('world', 'world-ipv4');
  return { kind: 'world', labels, family, label: `world ${endpoint.ip}` };
}

/** The identity of a host endpoint judged by host policies. */
export function hostIdentity(node: Node | undefined, ip: string): CiliumIdentity {
  const identity: CiliumIdentity = { kind: 'host', labels: reserved('host'), family: parseIpAddress(ip)?.family, label: `host ${node?.name ?? '?'} (${ip})` };
  if (node) identity.node = node;
  return identity;
}

interface Requirement {
  /** `k8s`, `reserved`, ... or `any`. */
  source: string;
  key: string;
  /** `source:key`, undefined for `any`. */
  sourceKey?: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

/** `k8s:app` → (k8s, app); `app` and `any:app` → (any, app). */
function splitKey(raw: string): { source: string; key: string; sourceKey?: string } {
  const colon = raw.indexOf(':');
  const source = colon < 0 ? 'any' : raw.slice(0, colon);
  const key = colon < 0 ? raw : raw.slice(colon + 1);
  return source === 'any' ? { source, key } : { source, key, sourceKey: `${source}:${key}` };
}

function satisfied(labels: IdentityLabels, r: Requirement): boolean {
  const value = labels.get(r.sourceKey, r.key);
  switch (r.operator) {
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/**
 * Compiles an EndpointSelector. `scope`: the policy's namespace for a namespaced policy, '' for
 * a clusterwide one, undefined for no scoping at all. Undefined when the selector is not an object.
 */
export function compileEndpointSelector(raw: unknown, scope: string | undefined): { selector: IdentitySelector; problems: string[] } | undefined {
  const object = asObject(raw);
  if (!object) return undefined;
  const problems: string[] = [];
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(objectOrEmpty(object.matchLabels))) {
    if (typeof value !== 'string') {
      problems.push(`matchLabels ${key}: ${JSON.stringify(value)} is not a string`);
      continue;
    }
    requirements.push({ ...splitKey(key), operator: 'In', values: [value] });
  }
  for (const entry of asArray(object.matchExpressions)) {
    const expression = objectOrEmpty(entry);
    const key = asString(expression.key) ?? '';
    const operator = asString(expression.operator) ?? '';
    if (!OPERATORS.has(operator) || key === '') {
      problems.push(`matchExpressions: ${JSON.stringify(entry)} is not a valid requirement`);
      continue;
    }
    requirements.push({ ...splitKey(key), operator: operator as Requirement['operator'], values: asStringArray(expression.values) });
  }
  const names = requirements.map((r) => r.key);
  const onReserved = requirements.some((r) => r.source === 'reserved');
  if (scope !== undefined && !onReserved && !names.includes(NAMESPACE_LABEL)) {
    const sourceKey = `k8s:${NAMESPACE_LABEL}`;
    requirements.push(
      scope === '' ? { source: 'k8s', key: NAMESPACE_LABEL, sourceKey, operator: 'Exists', values: [] } : { source: 'k8s', key: NAMESPACE_LABEL, sourceKey, operator: 'In', values: [scope] },
    );
  }
  const written = formatSelector({
    matchLabels: Object.fromEntries(Object.entries(objectOrEmpty(object.matchLabels)).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
    matchExpressions: asArray(object.matchExpressions).map((e) => {
      const x = objectOrEmpty(e);
      return { key: asString(x.key) ?? '', operator: asString(x.operator) ?? '', values: asStringArray(x.values) };
    }),
  });
  const scoped = scope === undefined || onReserved || names.includes(NAMESPACE_LABEL) ? '' : scope === '' ? ' (pods of any namespace)' : ` (in namespace ${scope})`;
  return {
    selector: {
      text: `${written}${scoped}`,
      matches: (identity) => requirements.every((r) => satisfied(identity.labels, r)),
    },
    problems,
  };
}
