/**
 * Cilium's endpoints on one node (bundle: `nodes/<node>/cilium/endpoints.json`).
 *
 * `cilium endpoint list -o json`, an array of the agent's Endpoint model:
 *
 *   [ { "id": 1447,
 *       "status": {
 *         "state": "ready",
 *         "identity": { "id": 6848, "labels": ["k8s:app=client", "k8s:io.kubernetes.pod.namespace=default"] },
 *         "external-identifiers": { "k8s-namespace": "default", "k8s-pod-name": "client-7d9f", "container-id": "…" },
 *         "networking": { "addressing": [ { "ipv4": "10.244.1.211", "ipv6": "fd00::a1" } ], "interface-name": "lxca66c1279a1ef" },
 *         "policy": { "realized": { "policy-enabled": "ingress" }, "spec": { "policy-enabled": "ingress" } },
 *         "health": { "overallHealth": "OK" } } } ]
 *
 * and the text table `cilium endpoint list` prints (two header lines; labels continue on rows
 * whose other cells are empty; the IPv6 cell is empty without IPv6):
 *
 *   ENDPOINT   POLICY (ingress)   POLICY (egress)   IDENTITY   LABELS (source:key[=value])                   IPv6                 IPv4          STATUS
 *              ENFORCEMENT        ENFORCEMENT
 *   173        Disabled           Disabled          49823      k8s:io.kubernetes.pod.namespace=kube-system   f00d::a0a:100:0:ad   10.10.1.66    ready
 *                                                              k8s:k8s-app=kube-dns
 *
 * States: waiting-for-identity, not-ready, waiting-to-regenerate, regenerating, restoring,
 * ready, disconnecting, disconnected, invalid. The JSON layout before Cilium 1.0 (state,
 * addressing and identity at the top of each endpoint) is read too.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseJsonList } from '../kube/json-list.js';
import { asObject, asStringArray, objectOrEmpty, type JsonObject } from '../kube/object-fields.js';
import type { ObjectSource } from '../kube/types.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { cutRow, headerColumns, type TableColumn } from './column-table.js';

export type CiliumPolicyEnforcement = 'enabled' | 'disabled' | 'audit';

export interface CiliumEndpoint {
  id: number;
  identity?: number;
  /** `source:key=value` labels of the identity. */
  labels: string[];
  /** `ready`, `regenerating`, `waiting-for-identity`, `not-ready`, ... ('' when not shown). */
  state: string;
  ready: boolean;
  ipv4?: string;
  ipv6?: string;
  policyIngress?: CiliumPolicyEnforcement;
  policyEgress?: CiliumPolicyEnforcement;
  namespace?: string;
  podName?: string;
  containerId?: string;
  interfaceName?: string;
  /** The agent's overall health of the endpoint (`OK`, `Warning`, `Failure`, `Bootstrap`). */
  health?: string;
  line: number;
  /** Positions of fields (JSON only). */
  source?: ObjectSource;
}

export interface CiliumEndpointList {
  file: string;
  endpoints: CiliumEndpoint[];
}

const NAMESPACE_LABEL = 'k8s:io.kubernetes.pod.namespace=';

/** Reads either form: JSON when the file starts with `[` or `{`, else the table. */
export function parseCiliumEndpoints(file: SourceFile): ParseResult<CiliumEndpointList> {
  return /^\uFEFF?\s*[[{]/.test(file.text) ? parseCiliumEndpointsJson(file) : parseCiliumEndpointTable(file);
}

export function parseCiliumEndpointsJson(file: SourceFile): ParseResult<CiliumEndpointList> {
  const parsed = parseJsonList(file);
  const issues: ParseIssue[] = [...parsed.issues];
  const endpoints: CiliumEndpoint[] = [];
  parsed.value.items.forEach((item, index) => {
    const object = asObject(item.object);
    const id = object?.id;
    if (!object || typeof id !== 'number') {
      const evidence = item.source.at(object ? 'id' : undefined);
      issues.push({
        code: 'UNEXPECTED_SHAPE',
        file: evidence.file,
        line: evidence.line,
        message: `endpoint ${index} has no numeric id; skipped`,
        text: evidence.text,
      });
      return;
    }
    endpoints.push(readJsonEndpoint(object, id, item.source));
  });
  return { value: { file: file.path, endpoints }, issues };
}

function readJsonEndpoint(object: JsonObject, id: number, source: ObjectSource): CiliumEndpoint {
  // Before 1.0 the fields sat at the top of the endpoint.
  const status = asObject(object.status) ?? object;
  const identity = objectOrEmpty(status.identity);
  const labels = asStringArray(identity.labels);
  const state = typeof status.state === 'string' ? status.state : '';
  const endpoint: CiliumEndpoint = { id, labels, state, ready: state === 'ready', line: source.line, source };
  if (typeof identity.id === 'number') endpoint.identity = identity.id;
  const networking = asObject(status.networking) ?? status;
  const addressing = networking.addressing;
  for (const entry of Array.isArray(addressing) ? addressing : [addressing]) {
    const pair = objectOrEmpty(entry);
    if (endpoint.ipv4 === undefined && typeof pair.ipv4 === 'string' && pair.ipv4 !== '') endpoint.ipv4 = pair.ipv4;
    if (endpoint.ipv6 === undefined && typeof pair.ipv6 === 'string' && pair.ipv6 !== '') endpoint.ipv6 = pair.ipv6;
  }
  if (typeof networking['interface-name'] === 'string') endpoint.interfaceName = networking['interface-name'];
  const policy = objectOrEmpty(status.policy);
  const enabled = objectOrEmpty(policy.realized)['policy-enabled'] ?? objectOrEmpty(policy.spec)['policy-enabled'];
  if (typeof enabled === 'string') {
    endpoint.policyIngress = enforcementFromMode(enabled, 'ingress');
    endpoint.policyEgress = enforcementFromMode(enabled, 'egress');
  }
  const external = objectOrEmpty(status['external-identifiers']);
  const podName = typeof external['k8s-pod-name'] === 'string' ? external['k8s-pod-name'] : undefined;
  const qualified = typeof external['pod-name'] === 'string' && external['pod-name'].includes('/') ? external['pod-name'].split('/') : undefined;
  const namespace = typeof external['k8s-namespace'] === 'string' ? external['k8s-namespace'] : (qualified?.[0] ?? namespaceFromLabels(labels));
  if (namespace) endpoint.namespace = namespace;
  const pod = podName ?? qualified?.[1];
  if (pod) endpoint.podName = pod;
  if (typeof external['container-id'] === 'string' && external['container-id'] !== '') endpoint.containerId = external['container-id'];
  const health = objectOrEmpty(status.health).overallHealth;
  if (typeof health === 'string') endpoint.health = health;
  return endpoint;
}

/** `policy-enabled`: none, ingress, egress, both, audit-ingress, audit-egress, audit-both. */
function enforcementFromMode(mode: string, direction: 'ingress' | 'egress'): CiliumPolicyEnforcement {
  const audit = mode.startsWith('audit-');
  const scope = audit ? mode.slice('audit-'.length) : mode;
  if (scope !== direction && scope !== 'both') return 'disabled';
  return audit ? 'audit' : 'enabled';
}

export function parseCiliumEndpointTable(file: SourceFile): ParseResult<CiliumEndpointList> {
  const sink = new IssueSink(file.path);
  const endpoints: CiliumEndpoint[] = [];
  let columns: TableColumn[] | undefined;
  let last: CiliumEndpoint | undefined;
  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (/^ENDPOINT\s/.test(text)) {
      columns = headerColumns(raw);
      last = undefined;
      continue;
    }
    if (/^(ENFORCEMENT\s*)+$/.test(text)) continue;
    if (!columns) {
      sink.add('BAD_LINE', line, 'not a line of `cilium endpoint list` (no ENDPOINT header above it)', { text: raw });
      continue;
    }
    const cells = cutRow(raw, columns);
    if (!cells) {
      sink.add('BAD_LINE', line, 'row does not line up with the ENDPOINT header', { text: raw });
      last = undefined;
      continue;
    }
    const cell = (match: (name: string) => boolean) => {
      const index = columns!.findIndex((c) => match(c.name));
      return index < 0 ? '' : cells[index]!;
    };
    const idText = cell((n) => n === 'ENDPOINT');
    const labels = cell((n) => n.startsWith('LABELS'));
    if (idText === '') {
      // A label continuing the endpoint above.
      if (!last || labels === '') {
        sink.add('BAD_LINE', line, 'continuation row without an endpoint above it', { text: raw });
        continue;
      }
      last.labels.push(labels);
      if (last.namespace === undefined) {
        const namespace = namespaceFromLabels([labels]);
        if (namespace) last.namespace = namespace;
      }
      continue;
    }
    if (!/^\d+$/.test(idText)) {
      sink.add('BAD_LINE', line, `endpoint id "${idText}" is not a number`, { text: raw });
      last = undefined;
      continue;
    }
    const state = cell((n) => n === 'STATUS');
    const endpoint: CiliumEndpoint = { id: Number(idText), labels: labels === '' ? [] : [labels], state, ready: state === 'ready', line };
    if (state === '') sink.add('BAD_LINE', line, `endpoint ${idText} has no STATUS (truncated row?)`, { text: raw, severity: 'warning' });
    const identity = cell((n) => n === 'IDENTITY');
    if (/^\d+$/.test(identity)) endpoint.identity = Number(identity);
    const ipv4 = cell((n) => n === 'IPv4');
    if (ipv4 !== '') endpoint.ipv4 = ipv4;
    const ipv6 = cell((n) => n === 'IPv6');
    if (ipv6 !== '') endpoint.ipv6 = ipv6;
    const ingress = enforcementFromText(cell((n) => n === 'POLICY (ingress)'));
    if (ingress) endpoint.policyIngress = ingress;
    const egress = enforcementFromText(cell((n) => n === 'POLICY (egress)'));
    if (egress) endpoint.policyEgress = egress;
    const namespace = namespaceFromLabels(endpoint.labels);
    if (namespace) endpoint.namespace = namespace;
    endpoints.push(endpoint);
    last = endpoint;
  }
  return { value: { file: file.path, endpoints }, issues: sink.finish() };
}

/** `Enabled`, `Disabled`, `Disabled (Audit)`. */
function enforcementFromText(text: string): CiliumPolicyEnforcement | undefined {
  if (text === '') return undefined;
  if (/\(Audit\)/i.test(text)) return 'audit';
  if (text === 'Enabled') return 'enabled';
  if (text === 'Disabled') return 'disabled';
  return undefined;
}

function namespaceFromLabels(labels: readonly string[]): string | undefined {
  const label = labels.find((l) => l.startsWith(NAMESPACE_LABEL));
  return label?.slice(NAMESPACE_LABEL.length);
}
