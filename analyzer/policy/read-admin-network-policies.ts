/**
 * Reads AdminNetworkPolicies and the BaselineAdminNetworkPolicy (policy.networking.k8s.io,
 * cluster-scoped) from `cluster/adminnetworkpolicies.json` and
 * `cluster/baselineadminnetworkpolicies.json` (or their `.yaml` twins): what
 * `kubectl get adminnetworkpolicies -o json` prints. Never throws on data: unreadable items are
 * skipped with an issue at their line.
 *
 * Input sample:
 *   {
 *       "apiVersion": "v1",
 *       "items": [
 *           {
 *               "apiVersion": "policy.networking.k8s.io/v1alpha1",
 *               "kind": "AdminNetworkPolicy",
 *               "metadata": { "name": "cluster-control", ... },
 *               "spec": { "priority": 34, "subject": { "namespaces": {} }, "ingress": [ ... ] }
 *           }
 *       ],
 *       "kind": "List",
 *       "metadata": { "resourceVersion": "" }
 *   }
 */
import type { Bundle } from '../bundle/bundle.js';
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseJsonList } from '../kube/json-list.js';
import { asObject, asString } from '../kube/object-fields.js';
import { readObjectMeta } from '../kube/object-meta.js';
import type { ObjectMeta } from '../kube/types.js';
import { parseYamlList } from '../kube/yaml-list.js';

export const ADMIN_POLICY_FILES = {
  admin: { resource: 'adminnetworkpolicies', kind: 'AdminNetworkPolicy' },
  baseline: { resource: 'baselineadminnetworkpolicies', kind: 'BaselineAdminNetworkPolicy' },
} as const;

export interface AdminPolicyObjects {
  admin: ObjectMeta[];
  baseline: ObjectMeta[];
  /** Files read, per tier (empty when the bundle has none: the CRDs may not be installed). */
  files: { admin: string[]; baseline: string[] };
}

export function readAdminNetworkPolicies(bundle: Bundle): ParseResult<AdminPolicyObjects> {
  const issues: ParseIssue[] = [];
  const admin = readTier(bundle, ADMIN_POLICY_FILES.admin, issues);
  const baseline = readTier(bundle, ADMIN_POLICY_FILES.baseline, issues);
  return {
    value: { admin: admin.objects, baseline: baseline.objects, files: { admin: admin.files, baseline: baseline.files } },
    issues,
  };
}

function findFile(bundle: Bundle, resource: string): SourceFile | undefined {
  for (const extension of ['json', 'yaml', 'yml']) {
    const file = bundle.get(`cluster/${resource}.${extension}`);
    if (file) return file;
  }
  return undefined;
}

function readTier(bundle: Bundle, spec: { resource: string; kind: string }, issues: ParseIssue[]): { objects: ObjectMeta[]; files: string[] } {
  const file = findFile(bundle, spec.resource);
  if (!file) return { objects: [], files: [] };
  const parsed = file.path.endsWith('.json') ? parseJsonList(file) : parseYamlList(file);
  issues.push(...parsed.issues);
  const objects: ObjectMeta[] = [];
  const seen = new Set<string>();
  parsed.value.items.forEach((item, i) => {
    const skip = (message: string, path?: string) => {
      const evidence = item.source.at(path);
      issues.push({ code: 'UNEXPECTED_SHAPE', file: file.path, line: evidence.line, message, text: evidence.text, severity: 'warning' });
    };
    const object = asObject(item.object);
    if (!object) return skip(`item ${i + 1} is not an object; skipped`);
    const kind = asString(object.kind);
    if (kind !== undefined && kind !== spec.kind) return skip(`item ${i + 1} is a ${kind}, not a ${spec.kind}; skipped`, 'kind');
    const meta = readObjectMeta(object, { kind: spec.kind, namespaced: false, defaultNamespace: '' }, item.source);
    if (!meta) return skip(`item ${i + 1} (a ${spec.kind}) has no metadata.name; skipped`, 'metadata');
    if (seen.has(meta.name)) return skip(`${meta.ref} appears again; this copy is ignored`, 'metadata.name');
    seen.add(meta.name);
    objects.push(meta);
  });
  return { objects, files: [file.path] };
}
