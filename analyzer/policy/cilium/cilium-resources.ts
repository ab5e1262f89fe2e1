/**
 * Reads CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies from
 * `cluster/cilium/ciliumnetworkpolicies.json` and `cluster/cilium/ciliumclusterwidenetworkpolicies.json`
 * (or `.yaml`): what `kubectl get cnp -A -o json` / `kubectl get ccnp -o json` print. A policy holds
 * one rule in `spec`, several in `specs`, or both.
 *
 * Input sample (kubectl get ciliumnetworkpolicies -A -o json, one item):
 *   {
 *       "apiVersion": "cilium.io/v2",
 *       "kind": "CiliumNetworkPolicy",
 *       "metadata": { "name": "hostnet-deny", "namespace": "hubble-hostnet-test", ... },
 *       "spec": {
 *           "endpointSelector": { "matchLabels": { "app": "hostnet-deny" } },
 *           "egress": [
 *               { "toFQDNs": [ { "matchName": "example.com" } ],
 *                 "toPorts": [ { "ports": [ { "port": "443", "protocol": "TCP" } ] } ] }
 *           ]
 *       }
 *   }
 *
 * Selectors are compiled with Cilium's namespace scoping (cilium-identity.ts). A rule with a
 * field that cannot be read is kept without that field and the problem is reported at its line;
 * fields the evaluator cannot judge offline are listed in `unsupported`.
 */
import type { Bundle } from '../../bundle/bundle.js';
import type { ParseIssue, ParseResult } from '../../bundle/parse-issue.js';
import type { SourceFile } from '../../bundle/source-file.js';
import { parseJsonList } from '../../kube/json-list.js';
import type { KubeList } from '../../kube/kube-list.js';
import { asArray, asBoolean, asLabelSelector, asNumber, asObject, asString, objectOrEmpty, type JsonObject } from '../../kube/object-fields.js';
import { parseYamlList } from '../../kube/yaml-list.js';
import { parseCidr, type Cidr } from '../../netfilter/ip-cidr.js';
import { compileEndpointSelector } from './cilium-identity.js';
import type { CiliumCidr, CiliumIcmp, CiliumPeerRule, CiliumPolicy, CiliumPort, CiliumPortRule, CiliumResources, CiliumRule } from './cilium-types.js';

export const CILIUM_POLICY_RESOURCES = ['ciliumnetworkpolicies', 'ciliumclusterwidenetworkpolicies'] as const;
const EXTENSIONS = ['json', 'yaml', 'yml'];

export function readCiliumResources(bundle: Bundle): ParseResult<CiliumResources> {
  const policies: CiliumPolicy[] = [];
  const issues: ParseIssue[] = [];
  const collected = new Set<string>();
  for (const resource of CILIUM_POLICY_RESOURCES) {
    for (const extension of EXTENSIONS) {
      const file = bundle.get(`cluster/cilium/${resource}.${extension}`);
      if (!file) continue;
      collected.add(resource);
      const read = readCiliumPolicyFile(file);
      policies.push(...read.value);
      issues.push(...read.issues);
      break;
    }
  }
  return { value: { policies, collected }, issues };
}

/** The policies of one List file. */
export function readCiliumPolicyFile(file: SourceFile): ParseResult<CiliumPolicy[]> {
  const parsed: ParseResult<KubeList> = file.path.endsWith('.json') ? parseJsonList(file) : parseYamlList(file);
  const issues: ParseIssue[] = [...parsed.issues];
  const policies: CiliumPolicy[] = [];
  for (const item of parsed.value.items) {
    const object = asObject(item.object);
    const report = (path: string | undefined, message: string, severity?: 'warning') => {
      const evidence = item.source.at(path);
      const issue: ParseIssue = { code: 'UNEXPECTED_SHAPE', file: evidence.file, line: evidence.line, message, text: evidence.text };
      if (severity) issue.severity = severity;
      issues.push(issue);
    };
    if (!object) {
      report(undefined, 'an item is not an object; skipped');
      continue;
    }
    const kind = asString(object.kind);
    if (kind !== 'CiliumNetworkPolicy' && kind !== 'CiliumClusterwideNetworkPolicy') {
      report('kind', `${kind ? `kind ${kind}` : 'an object without kind'} is not a Cilium network policy; skipped`, 'warning');
      continue;
    }
    const metadata = objectOrEmpty(object.metadata);
    const name = asString(metadata.name);
    if (!name) {
      report('metadata', `a ${kind} has no metadata.name; skipped`);
      continue;
    }
    const namespace = kind === 'CiliumNetworkPolicy' ? asString(metadata.namespace) || 'default' : '';
    const ref = namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
    const reader = new RuleReader(namespace, (path, message) => report(path, `${ref}: ${message}`));
    const rules: CiliumRule[] = [];
    const spec = asObject(object.spec);
    if (spec) rules.push(reader.rule(spec, 'spec'));
    asArray(object.specs).forEach((entry, i) => {
      const rule = asObject(entry);
      if (rule) rules.push(reader.rule(rule, `specs[${i}]`));
      else report(`specs[${i}]`, `${ref}: specs[${i}] is not an object; left out`);
    });
    if (rules.length === 0) report('spec', `${ref} has neither spec nor specs: it selects nothing`, 'warning');
    policies.push({ kind, ref, name, namespace, rules, source: item.source });
  }
  return { value: policies, issues };
}

const DIRECTIONS = ['ingress', 'ingressDeny', 'egress', 'egressDeny'] as const;

class RuleReader {
  constructor(
    /** The policy's namespace; '' for a clusterwide policy. */
    private readonly namespace: string,
    private readonly report: (path: string, message: string) => void,
  ) {}

  rule(spec: JsonObject, path: string): CiliumRule {
    const rule: CiliumRule = { path, ingress: [], ingressDeny: [], egress: [], egressDeny: [], enforces: { ingress: false, egress: false } };
    const nodeSelector = asLabelSelector(spec.nodeSelector);
    if (nodeSelector) rule.nodeSelector = nodeSelector;
    else {
      const compiled = compileEndpointSelector(spec.endpointSelector, this.namespace);
      if (compiled) {
        rule.endpointSelector = compiled.selector;
        for (const problem of compiled.problems) this.report(`${path}.endpointSelector`, problem);
      } else {
        this.report(path, `${path} has neither endpointSelector nor nodeSelector: it selects nothing`);
      }
    }
    for (const direction of DIRECTIONS) {
      asArray(spec[direction]).forEach((entry, i) => {
        rule[direction].push(this.peerRule(entry, direction.startsWith('ingress') ? 'from' : 'to', i, `${path}.${direction}[${i}]`));
      });
    }
    // enableDefaultDeny: unset means true for each direction that has (allow or deny) rules.
    const defaultDeny = objectOrEmpty(spec.enableDefaultDeny);
    rule.enforces = {
      ingress: rule.ingress.length + rule.ingressDeny.length > 0 && asBoolean(defaultDeny.ingress) !== false,
      egress: rule.egress.length + rule.egressDeny.length > 0 && asBoolean(defaultDeny.egress) !== false,
    };
    return rule;
  }

  private peerRule(raw: unknown, side: 'from' | 'to', index: number, path: string): CiliumPeerRule {
    const object = objectOrEmpty(raw);
    const rule: CiliumPeerRule = { index, path, unsupported: [] };
    const endpointsField = `${side}Endpoints`;
    // An empty list is the same as an absent field in Cilium (`len(...) == 0`).
    if (asArray(object[endpointsField]).length > 0) {
      rule.endpoints = [];
      asArray(object[endpointsField]).forEach((entry, i) => {
        const compiled = compileEndpointSelector(entry, this.namespace);
        if (!compiled) {
          this.report(`${path}.${endpointsField}[${i}]`, `${endpointsField}[${i}] is not a selector; left out`);
          return;
        }
        for (const problem of compiled.problems) this.report(`${path}.${endpointsField}[${i}]`, problem);
        rule.endpoints!.push(compiled.selector);
      });
    }
    if (asArray(object[`${side}Entities`]).length > 0) rule.entities = asArray(object[`${side}Entities`]).filter((e): e is string => typeof e === 'string');
    const cidrs = this.cidrs(object, side, path);
    if (cidrs) rule.cidrs = cidrs;
    if (asArray(object[`${side}Nodes`]).length > 0) rule.nodes = asArray(object[`${side}Nodes`]).flatMap((e) => asLabelSelector(e) ?? []);
    if (side === 'to' && asArray(object.toFQDNs).length > 0) {
      rule.fqdns = asArray(object.toFQDNs).map((e) => {
        const fqdn = objectOrEmpty(e);
        const out: { matchName?: string; matchPattern?: string } = {};
        const matchName = asString(fqdn.matchName);
        const matchPattern = asString(fqdn.matchPattern);
        if (matchName) out.matchName = matchName;
        if (matchPattern) out.matchPattern = matchPattern;
        return out;
      });
    }
    if (side === 'to' && asArray(object.toServices).length > 0) {
      rule.services = asArray(object.toServices).map((e) => {
        const service = objectOrEmpty(e);
        const byName = objectOrEmpty(service.k8sService);
        const bySelector = asObject(service.k8sServiceSelector);
        const namespace = asString(byName.namespace) ?? asString(bySelector?.namespace);
        const out: { name: string; namespace?: string; selector?: boolean } = { name: asString(byName.serviceName) ?? '' };
        if (namespace) out.namespace = namespace;
        if (bySelector) out.selector = true;
        return out;
      });
    }
    if (asArray(object.toPorts).length > 0) rule.toPorts = asArray(object.toPorts).map((e, i) => this.portRule(e, `${path}.toPorts[${i}]`));
    if (asArray(object.icmps).length > 0) rule.icmps = this.icmps(asArray(object.icmps));
    for (const field of [`${side}Requires`, `${side}Groups`]) if (object[field] !== undefined) rule.unsupported.push(field);
    if (asArray(object[`${side}CIDRSet`]).some((e) => objectOrEmpty(e).cidrGroupRef !== undefined || objectOrEmpty(e).cidrGroupSelector !== undefined)) {
      rule.unsupported.push(`${side}CIDRSet cidrGroupRef`);
    }
    const authentication = asString(objectOrEmpty(object.authentication).mode);
    if (authentication) rule.authentication = authentication;
    return rule;
  }

  private cidrs(object: JsonObject, side: 'from' | 'to', path: string): CiliumCidr[] | undefined {
    const plain = object[`${side}CIDR`];
    const sets = object[`${side}CIDRSet`];
    if (asArray(plain).length === 0 && asArray(sets).length === 0) return undefined;
    const out: CiliumCidr[] = [];
    asArray(plain).forEach((entry, i) => {
      const cidr = typeof entry === 'string' ? parseCidr(entry) : undefined;
      if (cidr) out.push({ text: entry as string, cidr, except: [] });
      else this.report(`${path}.${side}CIDR[${i}]`, `${JSON.stringify(entry)} is not a CIDR; left out`);
    });
    asArray(sets).forEach((entry, i) => {
      const set = objectOrEmpty(entry);
      const text = asString(set.cidr);
      if (text === undefined) {
        if (set.cidrGroupRef !== undefined || set.cidrGroupSelector !== undefined) return;
        this.report(`${path}.${side}CIDRSet[${i}]`, `${side}CIDRSet[${i}] has no cidr; left out`);
        return;
      }
      const cidr = parseCidr(text);
      if (!cidr) {
        this.report(`${path}.${side}CIDRSet[${i}].cidr`, `${JSON.stringify(text)} is not a CIDR; left out`);
        return;
      }
      const except = asArray(set.except).flatMap((e): Cidr[] => {
        const parsed = typeof e === 'string' ? parseCidr(e) : undefined;
        return parsed ? [parsed] : [];
      });
      out.push({ text: except.length > 0 ? `${text} except ${asArray(set.except).join(', ')}` : text, cidr, except });
    });
    return out;
  }

  private portRule(raw: unknown, path: string): CiliumPortRule {
    const object = objectOrEmpty(raw);
    const ports: CiliumPort[] = [];
    asArray(object.ports).forEach((entry, i) => {
      const port = readPort(entry);
      if (port) ports.push(port);
      else this.report(`${path}.ports[${i}]`, `${JSON.stringify(entry)} is not a port; left out`);
    });
    const rules = objectOrEmpty(object.rules);
    const l7 = Object.keys(rules).filter((k) => asArray(rules[k]).length > 0 || (k === 'l7proto' && typeof rules[k] === 'string'));
    return { ports, l7 };
  }

  private icmps(raw: unknown[]): CiliumIcmp[] {
    return raw.flatMap((entry) =>
      asArray(objectOrEmpty(entry).fields).flatMap((f): CiliumIcmp[] => {
        const field = objectOrEmpty(f);
        const type = typeof field.type === 'number' || typeof field.type === 'string' ? field.type : undefined;
        if (type === undefined) return [];
        return [{ type, family: asString(field.family) === 'IPv6' ? 'IPv6' : 'IPv4' }];
      }),
    );
  }
}

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP', 'ANY']);

function readPort(raw: unknown): CiliumPort | undefined {
  const object = asObject(raw);
  if (!object) return undefined;
  const protocol = (asString(object.protocol) ?? 'ANY').toUpperCase();
  if (!PROTOCOLS.has(protocol)) return undefined;
  const port: CiliumPort = { protocol: protocol as CiliumPort['protocol'], text: '' };
  const value = object.port;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const number = Number(value);
    if (number < 0 || number > 65535) return undefined;
    if (number > 0) port.port = number;
  } else if (typeof value === 'string' && value !== '') {
    port.port = value;
  }
  const endPort = asNumber(object.endPort);
  if (endPort !== undefined && typeof port.port === 'number' && endPort >= port.port) port.endPort = endPort;
  const where = port.port === undefined ? 'all ports' : port.endPort !== undefined ? `${port.port}-${port.endPort}` : String(port.port);
  port.text = `${where}/${port.protocol}`;
  return port;
}

