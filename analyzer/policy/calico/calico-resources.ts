/**
 * Reads Calico's policy resources from `cluster/calico/<resource>.json` (or `.yaml`): what
 * `calicoctl get <resource> -o json` prints, or `kubectl get <resource>.crd.projectcalico.org -o json`.
 * Objects are dispatched by `kind`, so a file holding several kinds is read too.
 *
 * Input sample (calicoctl get globalnetworkpolicies -o json):
 *   {
 *     "kind": "GlobalNetworkPolicyList",
 *     "apiVersion": "projectcalico.org/v3",
 *     "metadata": { "resourceVersion": "1403" },
 *     "items": [
 *       {
 *         "kind": "GlobalNetworkPolicy",
 *         "apiVersion": "projectcalico.org/v3",
 *         "metadata": { "name": "default-app-policy", "uid": "…", "creationTimestamp": "…" },
 *         "spec": {
 *           "tier": "default",
 *           "order": 100,
 *           "selector": "all()",
 *           "namespaceSelector": "has(projectcalico.org/name) && projectcalico.org/name not in {\"kube-system\"}",
 *           "types": ["Ingress", "Egress"],
 *           "egress": [ { "action": "Allow", "protocol": "UDP", "destination": { "selector": "k8s-app == \"kube-dns\"", "ports": [53] } } ]
 *         }
 *       }
 *     ]
 *   }
 *
 * Calico's own view of a Kubernetes NetworkPolicy (`knp.default.<name>`) and networking.k8s.io
 * objects met here are kept apart: the evaluator prefers the model's Kubernetes objects and
 * uses these only for policies the model lacks. Staged policies are never enforced and are
 * only listed. A policy with a field Calico's validation would reject (a selector that does
 * not parse, an unknown action) is left out with an issue: Calico would not have stored it.
 */
import type { Bundle } from '../../bundle/bundle.js';
import type { ParseIssue, ParseResult } from '../../bundle/parse-issue.js';
import type { SourceFile } from '../../bundle/source-file.js';
import { toNetworkPolicy } from '../../kube/convert-network-policy.js';
import { parseJsonList } from '../../kube/json-list.js';
import type { KubeList } from '../../kube/kube-list.js';
import { asArray, asNumber, asObject, asString, asStringArray, asStringMap, objectOrEmpty, type JsonObject } from '../../kube/object-fields.js';
import { readObjectMeta } from '../../kube/object-meta.js';
import type { NetworkPolicy, ObjectSource } from '../../kube/types.js';
import { parseYamlList } from '../../kube/yaml-list.js';
import { parseCidr, type Cidr } from '../../netfilter/ip-cidr.js';
import type {
  CalicoHostEndpoint,
  CalicoNetworkSet,
  CalicoPolicy,
  CalicoPolicyType,
  CalicoProfile,
  CalicoResources,
  CalicoRule,
  CalicoTier,
} from './calico-types.js';
import { calicoSelector } from './parse-calico-selector.js';
import { readCalicoRule, readSelector, type FieldProblem } from './read-calico-rule.js';

/** The files read, by resource name (`cluster/calico/<name>.json|yaml|yml`). */
export const CALICO_POLICY_RESOURCES = [
  'tiers',
  'networkpolicies',
  'globalnetworkpolicies',
  'stagednetworkpolicies',
  'stagedglobalnetworkpolicies',
  'stagedkubernetesnetworkpolicies',
  'profiles',
  'networksets',
  'globalnetworksets',
  'hostendpoints',
] as const;

const EXTENSIONS = ['json', 'yaml', 'yml'];
const ALL = calicoSelector('all()');
/** Calico's name for its view of a Kubernetes NetworkPolicy. */
export const KNP_PREFIX = 'knp.default.';

export function readCalicoResources(bundle: Bundle): ParseResult<CalicoResources> {
  const reader = new CalicoReader();
  const collected = new Set<string>();
  for (const resource of CALICO_POLICY_RESOURCES) {
    for (const extension of EXTENSIONS) {
      const file = bundle.get(`cluster/calico/${resource}.${extension}`);
      if (!file) continue;
      collected.add(resource);
      reader.readFile(file);
      break;
    }
  }
  return { value: { ...reader.resources, collected }, issues: reader.issues };
}

/** Reads the Calico objects of one List file (exported for readers of single files). */
export function readCalicoFile(file: SourceFile): ParseResult<Omit<CalicoResources, 'collected'>> {
  const reader = new CalicoReader();
  reader.readFile(file);
  return { value: reader.resources, issues: reader.issues };
}

class CalicoReader {
  readonly issues: ParseIssue[] = [];
  readonly resources: Omit<CalicoResources, 'collected'> = {
    tiers: [],
    policies: [],
    kubernetesPolicies: [],
    profiles: [],
    networkSets: [],
    hostEndpoints: [],
    staged: [],
  };

  readFile(file: SourceFile): void {
    const parsed: ParseResult<KubeList> = file.path.endsWith('.json') ? parseJsonList(file) : parseYamlList(file);
    this.issues.push(...parsed.issues);
    for (const item of parsed.value.items) {
      const object = asObject(item.object);
      if (!object) {
        this.issue(item.source, undefined, 'an item is not an object; skipped');
        continue;
      }
      this.readObject(object, item.source);
    }
  }

  private issue(source: ObjectSource, path: string | undefined, message: string, severity?: 'warning'): void {
    const evidence = source.at(path);
    const issue: ParseIssue = { code: 'UNEXPECTED_SHAPE', file: evidence.file, line: evidence.line, message, text: evidence.text };
    if (severity) issue.severity = severity;
    this.issues.push(issue);
  }

  private readObject(object: JsonObject, source: ObjectSource): void {
    const kind = asString(object.kind) ?? '';
    const metadata = objectOrEmpty(object.metadata);
    const name = asString(metadata.name);
    if (!name) {
      this.issue(source, 'metadata', `a ${kind || 'Calico object'} has no metadata.name; skipped`);
      return;
    }
    const namespace = asString(metadata.namespace) || 'default';
    const apiVersion = asString(object.apiVersion) ?? '';
    switch (kind) {
      case 'NetworkPolicy':
        if (apiVersion.startsWith('networking.k8s.io/')) this.readKubernetesPolicy(object, source);
        else this.readPolicy(object, source, 'NetworkPolicy', name, namespace);
        return;
      case 'GlobalNetworkPolicy':
        this.readPolicy(object, source, 'GlobalNetworkPolicy', name, '');
        return;
      case 'StagedNetworkPolicy':
      case 'StagedKubernetesNetworkPolicy':
        this.resources.staged.push({ ref: `${kind}/${namespace}/${name}`, source });
        return;
      case 'StagedGlobalNetworkPolicy':
        this.resources.staged.push({ ref: `${kind}/${name}`, source });
        return;
      case 'Tier':
        this.readTier(object, source, name);
        return;
      case 'Profile':
        this.readProfile(object, source, name);
        return;
      case 'NetworkSet':
      case 'GlobalNetworkSet':
        this.readNetworkSet(object, source, kind, name, kind === 'NetworkSet' ? namespace : '');
        return;
      case 'HostEndpoint':
        this.readHostEndpoint(object, source, name);
        return;
      default:
        this.issue(source, 'kind', `${kind ? `kind ${kind}` : 'an object without kind'} is not a Calico policy resource; skipped`, 'warning');
    }
  }

  private readPolicy(object: JsonObject, source: ObjectSource, kind: 'NetworkPolicy' | 'GlobalNetworkPolicy', name: string, namespace: string): void {
    const spec = objectOrEmpty(object.spec);
    const problems: FieldProblem[] = [];
    const ingress = readRules(spec.ingress, 'spec.ingress', problems);
    const egress = readRules(spec.egress, 'spec.egress', problems);
    const selector = readSelector(spec.selector, 'spec.selector', problems) ?? ALL;
    const namespaceSelector = kind === 'GlobalNetworkPolicy' ? readSelector(spec.namespaceSelector, 'spec.namespaceSelector', problems) : undefined;
    const serviceAccountSelector = readSelector(spec.serviceAccountSelector, 'spec.serviceAccountSelector', problems);
    const fromKubernetes = kind === 'NetworkPolicy' && name.startsWith(KNP_PREFIX);
    const ref = fromKubernetes
      ? `NetworkPolicy/${namespace}/${name.slice(KNP_PREFIX.length)}`
      : kind === 'NetworkPolicy'
        ? `NetworkPolicy.projectcalico.org/${namespace}/${name}`
        : `GlobalNetworkPolicy/${name}`;
    if (problems.length > 0) {
      for (const problem of problems) this.issue(source, problem.path, `${ref}: ${problem.message}`);
      this.issue(source, undefined, `${ref} is left out: Calico's validation rejects it as written, so it cannot be in force`, 'warning');
      return;
    }
    const policy: CalicoPolicy = {
      kind: fromKubernetes ? 'KubernetesNetworkPolicy' : kind,
      ref,
      name,
      namespace,
      tier: asString(spec.tier) || 'default',
      order: asNumber(spec.order) ?? Infinity,
      selector,
      types: calicoPolicyTypes(spec),
      ingress,
      egress,
      hostEndpointsOnly: spec.preDNAT === true || spec.doNotTrack === true,
      source,
    };
    if (namespaceSelector) policy.namespaceSelector = namespaceSelector;
    if (serviceAccountSelector) policy.serviceAccountSelector = serviceAccountSelector;
    this.resources.policies.push(policy);
  }

  private readKubernetesPolicy(object: JsonObject, source: ObjectSource): void {
    const meta = readObjectMeta(object, { kind: 'NetworkPolicy', namespaced: true, defaultNamespace: 'default' }, source);
    if (meta) this.resources.kubernetesPolicies.push(toNetworkPolicy(meta, object) as NetworkPolicy);
  }

  private readTier(object: JsonObject, source: ObjectSource, name: string): void {
    const spec = objectOrEmpty(object.spec);
    const defaultAction = asString(spec.defaultAction);
    if (defaultAction !== undefined && defaultAction !== 'Deny' && defaultAction !== 'Pass') {
      this.issue(source, 'spec.defaultAction', `Tier/${name}: defaultAction ${JSON.stringify(defaultAction)} is not Deny or Pass; read as Deny`, 'warning');
    }
    const tier: CalicoTier = {
      name,
      order: asNumber(spec.order) ?? Infinity,
      defaultAction: defaultAction === 'Pass' ? 'Pass' : 'Deny',
      source,
    };
    this.resources.tiers.push(tier);
  }

  private readProfile(object: JsonObject, source: ObjectSource, name: string): void {
    const spec = objectOrEmpty(object.spec);
    const problems: FieldProblem[] = [];
    const profile: CalicoProfile = {
      name,
      ingress: readRules(spec.ingress, 'spec.ingress', problems),
      egress: readRules(spec.egress, 'spec.egress', problems),
      source,
    };
    for (const problem of problems) this.issue(source, problem.path, `Profile/${name}: ${problem.message}; the rule is left out`);
    this.resources.profiles.push(profile);
  }

  private readNetworkSet(object: JsonObject, source: ObjectSource, kind: 'NetworkSet' | 'GlobalNetworkSet', name: string, namespace: string): void {
    const spec = objectOrEmpty(object.spec);
    const ref = namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
    const nets: Cidr[] = [];
    asArray(spec.nets).forEach((entry, i) => {
      const cidr = typeof entry === 'string' ? parseCidr(entry) : undefined;
      if (cidr) nets.push(cidr);
      else this.issue(source, `spec.nets[${i}]`, `${ref}: ${JSON.stringify(entry)} is not a CIDR; left out`);
    });
    const labels = asStringMap(objectOrEmpty(object.metadata).labels);
    this.resources.networkSets.push({ kind, ref, name, namespace, labels, nets, source } satisfies CalicoNetworkSet);
  }

  private readHostEndpoint(object: JsonObject, source: ObjectSource, name: string): void {
    const spec = objectOrEmpty(object.spec);
    const hostEndpoint: CalicoHostEndpoint = {
      ref: `HostEndpoint/${name}`,
      name,
      node: asString(spec.node) ?? '',
      expectedIPs: asStringArray(spec.expectedIPs),
      labels: asStringMap(objectOrEmpty(object.metadata).labels),
      profiles: asStringArray(spec.profiles),
      ports: asArray(spec.ports).flatMap((entry) => {
        const port = objectOrEmpty(entry);
        const portName = asString(port.name);
        const number = asNumber(port.port);
        return portName && number !== undefined ? [{ name: portName, port: number, protocol: (asString(port.protocol) ?? 'TCP').toUpperCase() }] : [];
      }),
      source,
    };
    const interfaceName = asString(spec.interfaceName);
    if (interfaceName) hostEndpoint.interfaceName = interfaceName;
    this.resources.hostEndpoints.push(hostEndpoint);
  }
}

function readRules(raw: unknown, path: string, problems: FieldProblem[]): CalicoRule[] {
  const rules: CalicoRule[] = [];
  asArray(raw).forEach((entry, i) => {
    const rule = readCalicoRule(entry, i, `${path}[${i}]`, problems);
    if (rule) rules.push(rule);
  });
  return rules;
}

/**
 * `spec.types`, or Calico's defaulting when absent (networkpolicy reference): Ingress when the
 * policy has ingress rules or no rules at all, Egress when it has egress rules.
 */
export function calicoPolicyTypes(spec: JsonObject): CalicoPolicyType[] {
  const written = asStringArray(spec.types);
  if (written.length > 0) {
    const types: CalicoPolicyType[] = [];
    if (written.includes('Ingress')) types.push('Ingress');
    if (written.includes('Egress')) types.push('Egress');
    return types;
  }
  const hasIngress = asArray(spec.ingress).length > 0;
  const hasEgress = asArray(spec.egress).length > 0;
  if (hasEgress && !hasIngress) return ['Egress'];
  return hasEgress ? ['Ingress', 'Egress'] : ['Ingress'];
}
