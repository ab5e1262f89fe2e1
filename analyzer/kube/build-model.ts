/**
 * Builds the Kubernetes model from a bundle's `cluster/` folder (bundle-format.md): every
 * `cluster/<resource>.json` (or its `.yaml` twin) and every per-namespace split
 * `cluster/<resource>/<namespace>.json|yaml`, read into the typed entities of types.ts.
 *
 * Never throws on data. An object that cannot be read (no metadata.name, not an object, of
 * another kind) is skipped with an issue at its line. A file that cannot be read whole
 * (invalid JSON or YAML, not a List) keeps what could be read, and its resource is left out
 * of `collected`: rules that need it are skipped rather than misled by a partial list (a
 * truncated pods.json would make every Service look empty).
 */
import type { Bundle } from '../bundle/bundle.js';
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { clusterDomainFromCorefile, DEFAULT_CLUSTER_DOMAIN, normalizeDomain } from './cluster-domain.js';
import { toConfigMap, toEvent, toNamespace, toNode } from './convert-cluster.js';
import { toIngress, toIngressClass } from './convert-ingress.js';
import { toNetworkPolicy } from './convert-network-policy.js';
import { toPod, toWorkload } from './convert-pod.js';
import { toEndpoints, toEndpointSlice, toService } from './convert-service.js';
import { parseJsonList, syntaxErrorOffset } from './json-list.js';
import type { KubeList, ListItem } from './kube-list.js';
import { createKubeModel } from './kube-model.js';
import { asObject, asString, objectOrEmpty, type JsonObject } from './object-fields.js';
import { readObjectMeta, type MetaContext } from './object-meta.js';
import type { KubeModel, ObjectMeta, ResourceFiles } from './types.js';
import { parseYamlList } from './yaml-list.js';

interface ResourceSpec<T extends ObjectMeta> {
  /** The name kubectl knows it by, and the bundle file's name. */
  resource: string;
  kind: string;
  namespaced: boolean;
  convert(meta: ObjectMeta, object: JsonObject): T;
}

function spec<T extends ObjectMeta>(resource: string, kind: string, namespaced: boolean, convert: (meta: ObjectMeta, object: JsonObject) => T): ResourceSpec<T> {
  return { resource, kind, namespaced, convert };
}

const RESOURCES = {
  namespaces: spec('namespaces', 'Namespace', false, toNamespace),
  nodes: spec('nodes', 'Node', false, toNode),
  pods: spec('pods', 'Pod', true, toPod),
  services: spec('services', 'Service', true, toService),
  endpoints: spec('endpoints', 'Endpoints', true, toEndpoints),
  endpointSlices: spec('endpointslices', 'EndpointSlice', true, toEndpointSlice),
  networkPolicies: spec('networkpolicies', 'NetworkPolicy', true, toNetworkPolicy),
  ingresses: spec('ingresses', 'Ingress', true, toIngress),
  ingressClasses: spec('ingressclasses', 'IngressClass', false, toIngressClass),
  configMaps: spec('configmaps', 'ConfigMap', true, toConfigMap),
  daemonSets: spec('daemonsets', 'DaemonSet', true, toWorkload),
  deployments: spec('deployments', 'Deployment', true, toWorkload),
  events: spec('events', 'Event', true, toEvent),
};

/** Extensions read, in order of preference when a file has twins. */
const EXTENSIONS = ['json', 'yaml', 'yml'];

export function buildKubeModel(bundle: Bundle): ParseResult<KubeModel> {
  const issues: ParseIssue[] = [];
  const collected = new Map<string, ResourceFiles>();
  const read = <T extends ObjectMeta>(resource: ResourceSpec<T>): T[] => readResource(bundle, resource, issues, collected);

  const entities = {
    namespaces: read(RESOURCES.namespaces),
    nodes: read(RESOURCES.nodes),
    pods: read(RESOURCES.pods),
    services: read(RESOURCES.services),
    endpoints: read(RESOURCES.endpoints),
    endpointSlices: read(RESOURCES.endpointSlices),
    networkPolicies: read(RESOURCES.networkPolicies),
    ingresses: read(RESOURCES.ingresses),
    ingressClasses: read(RESOURCES.ingressClasses),
    configMaps: read(RESOURCES.configMaps),
    daemonSets: read(RESOURCES.daemonSets),
    deployments: read(RESOURCES.deployments),
    events: read(RESOURCES.events),
  };

  const corefile = entities.configMaps.find((c) => c.namespace === 'kube-system' && c.name === 'coredns')?.data.Corefile;
  const hint = bundle.manifest?.cluster?.clusterDomain;
  const hintedDomain = typeof hint === 'string' ? normalizeDomain(hint) : '';
  // bundle-format.md: manifest values are hints; what the cluster's own objects say wins.
  const derivedDomain = corefile !== undefined ? clusterDomainFromCorefile(corefile) : undefined;
  const clusterDomain = derivedDomain || hintedDomain || DEFAULT_CLUSTER_DOMAIN;
  const hintedVersion = bundle.manifest?.cluster?.serverVersion;
  const serverVersion = readServerVersion(bundle, issues) ?? (typeof hintedVersion === 'string' ? hintedVersion : undefined);

  const facts = serverVersion !== undefined ? { collected, clusterDomain, serverVersion } : { collected, clusterDomain };
  return { value: createKubeModel(entities, facts), issues };
}

/** The files holding a resource: the whole-cluster file, then the per-namespace splits. */
function resourceFiles(bundle: Bundle, resource: string): { file: SourceFile; namespace?: string }[] {
  const found: { file: SourceFile; namespace?: string }[] = [];
  for (const extension of EXTENSIONS) {
    const file = bundle.get(`cluster/${resource}.${extension}`);
    if (file) {
      found.push({ file });
      break;
    }
  }
  const prefix = `cluster/${resource}/`;
  const splits = new Map<string, { file: SourceFile; rank: number }>();
  for (const file of bundle.list(prefix)) {
    const name = file.path.slice(prefix.length);
    const dot = name.lastIndexOf('.');
    const rank = EXTENSIONS.indexOf(name.slice(dot + 1));
    if (name.includes('/') || dot <= 0 || rank < 0) continue;
    const namespace = name.slice(0, dot);
    const current = splits.get(namespace);
    if (!current || rank < current.rank) splits.set(namespace, { file, rank });
  }
  for (const [namespace, { file }] of [...splits].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) found.push({ file, namespace });
  return found;
}

function parseList(file: SourceFile): ParseResult<KubeList> {
  return file.path.endsWith('.json') ? parseJsonList(file) : parseYamlList(file);
}

function readResource<T extends ObjectMeta>(
  bundle: Bundle,
  resource: ResourceSpec<T>,
  issues: ParseIssue[],
  collected: Map<string, ResourceFiles>,
): T[] {
  const files = resourceFiles(bundle, resource.resource);
  const out: T[] = [];
  // namespace/name → the entity first read, to drop a second copy (a split file that repeats
  // the whole-cluster one).
  const seen = new Map<string, ObjectMeta>();
  let damaged = false;

  for (const { file, namespace } of files) {
    const parsed = parseList(file);
    for (const issue of parsed.issues) {
      damaged = true;
      issues.push({ ...issue, message: `${issue.message} (${resource.resource} are treated as not collected)` });
    }
    const context: MetaContext = {
      kind: resource.kind,
      namespaced: resource.namespaced,
      defaultNamespace: namespace ?? 'default',
    };
    const items = parsed.value.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const object = asObject(item.object);
      if (!object) {
        issues.push(itemIssue(item, `item ${i + 1} is not an object; skipped`));
        continue;
      }
      const kind = asString(object.kind);
      if (kind !== undefined && kind !== resource.kind) {
        issues.push(itemIssue(item, `item ${i + 1} is a ${kind}, not a ${resource.kind}; skipped`, 'kind', 'warning'));
        continue;
      }
      const meta = readObjectMeta(object, context, item.source);
      if (!meta) {
        issues.push(itemIssue(item, `item ${i + 1} (a ${resource.kind}) has no metadata.name; skipped`, 'metadata'));
        continue;
      }
      const key = `${meta.namespace}/${meta.name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        const where = `${first.source.file}:${first.source.line}`;
        issues.push(itemIssue(item, `${meta.ref} appears again (first read at ${where}); this copy is ignored`, 'metadata.name', 'warning'));
        continue;
      }
      try {
        const entity = resource.convert(meta, object);
        seen.set(key, entity);
        out.push(entity);
      } catch (error) {
        // The converters read defensively; this only guards the run against a missed case.
        const reason = error instanceof Error ? error.message : String(error);
        issues.push(itemIssue(item, `${meta.ref} could not be read (${reason}); skipped`));
      }
    }
  }

  if (files.length > 0 && !damaged) {
    collected.set(resource.resource, { resource: resource.resource, files: files.map((f) => f.file.path) });
  }
  return out;
}

/** An object of a List that was not read, placed at its line (or the field at `path`). */
function itemIssue(item: ListItem, message: string, path?: string, severity?: 'warning'): ParseIssue {
  const evidence = item.source.at(path);
  const issue: ParseIssue = { code: 'UNEXPECTED_SHAPE', file: evidence.file, line: evidence.line, message, text: evidence.text };
  if (severity) issue.severity = severity;
  return issue;
}

/** serverVersion.gitVersion of `kubectl version -o json` (cluster/version.json). */
function readServerVersion(bundle: Bundle, issues: ParseIssue[]): string | undefined {
  const file = bundle.get('cluster/version.json');
  if (!file) return undefined;
  const text = file.text;
  const base = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  try {
    const version = JSON.parse(base === 0 ? text : text.slice(base)) as unknown;
    return asString(objectOrEmpty(objectOrEmpty(version).serverVersion).gitVersion);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = file.lineOf(syntaxErrorOffset(text, base, message));
    issues.push({ code: 'INVALID_JSON', file: file.path, line, message: `invalid JSON at line ${line}: ${message}`, text: file.lineText(line).trim() });
    return undefined;
  }
}
