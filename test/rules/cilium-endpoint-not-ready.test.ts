import ciliumEndpointNotReady from '../../rules/cilium-endpoint-not-ready.js';
import { threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();

interface EndpointSpec {
  id: number;
  state: string;
  ipv4: string;
  labels: string[];
  pod?: { namespace: string; name: string };
  health?: string;
}

/** `cilium endpoint list -o json` (Cilium 1.15 model, fields the agent always prints; pretty-printed as the CLI does). */
const endpointsJson = (endpoints: EndpointSpec[]) =>
  JSON.stringify(
    endpoints.map((e) => ({
      id: e.id,
      spec: { options: { Conntrack: 'Enabled', Debug: 'Disabled', DropNotification: 'Enabled', PolicyAuditMode: 'Disabled', TraceNotification: 'Enabled' } },
      status: {
        'controllers': [],
        'external-identifiers': e.pod
          ? { 'container-id': 'f3b1c2d4e5a6978812ab34cd56ef7890aa11bb22cc33dd44ee55ff6677889900', 'k8s-namespace': e.pod.namespace, 'k8s-pod-name': e.pod.name, 'pod-name': `${e.pod.namespace}/${e.pod.name}` }
          : {},
        'health': { bpf: 'OK', connected: true, overallHealth: e.health ?? 'OK', policy: 'OK' },
        'identity': { id: 40112 + e.id, labels: e.labels },
        'networking': { addressing: [{ ipv4: e.ipv4 }], 'host-mac': 'c6:1c:35:4f:25:a1', 'interface-index': 12, 'interface-name': `lxc${e.id.toString(16)}4f2a1c9b`, 'mac': '5a:7e:19:b0:3c:d2' },
        'policy': { realized: { 'policy-enabled': 'none' }, spec: { 'policy-enabled': 'none' } },
        'state': e.state,
      },
    })),
    null,
    2,
  ) + '\n';

/** 1-based line of the `n`th line containing `needle`. */
function lineOf(text: string, needle: string, n = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  const index = lines.findIndex((line) => line.includes(needle) && ++seen === n);
  if (index < 0) throw new Error(`${needle} not in the test input`);
  return index + 1;
}

const web = { id: 1447, state: 'ready', ipv4: '10.244.0.5', labels: ['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop'], pod: { namespace: 'shop', name: 'web-7d9f8b6c5d-4hq8z' } };
const healthy = endpointsJson([web, { id: 2874, state: 'ready', ipv4: '10.244.0.212', labels: ['reserved:health'] }]);
const broken = endpointsJson([
  web,
  { id: 911, state: 'waiting-for-identity', ipv4: '10.244.0.77', labels: ['k8s:app=cart', 'k8s:io.kubernetes.pod.namespace=shop'], pod: { namespace: 'shop', name: 'cart-5c8d7f9b6-t7k2p' } },
  { id: 3301, state: 'not-ready', ipv4: '10.244.1.6', labels: ['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop'], health: 'Failure' },
]);

/** `cilium endpoint list` (table) with one endpoint regenerating (Cilium PR 4942 paste). */
const regeneratingTable = [
  'ENDPOINT   POLICY (ingress)   POLICY (egress)   IDENTITY   LABELS (source:key[=value])                       IPv6                 IPv4          STATUS   ',
  '           ENFORCEMENT        ENFORCEMENT                                                                                                       ',
  '11230      Enabled            Disabled          4304       k8s:app=details                                   f00d::a0a:0:0:2bde   10.10.0.127   regenerating   ',
  '                                                           k8s:io.cilium.k8s.policy.serviceaccount=default                                                     ',
  '                                                           k8s:io.kubernetes.pod.namespace=default                                                             ',
  '                                                           k8s:version=v1                                                                                      ',
  '',
].join('\n');

ruleTester(ciliumEndpointNotReady, {
  valid: [
    { name: 'every endpoint ready', files: { ...cluster, 'nodes/node-a/cilium/endpoints.json': healthy } },
    { name: 'cilium endpoint list not collected', files: cluster, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'one endpoint waiting for identity (pod from external identifiers), one not-ready (pod found by IP)',
      files: { ...cluster, 'nodes/node-b/cilium/endpoints.json': broken },
      findings: [
        {
          subjects: ['Node/node-b', 'Pod/shop/cart-5c8d7f9b6-t7k2p', 'Pod/shop/web-7d9f8b6c5d-q2w3e'],
          evidence: [
            { file: 'nodes/node-b/cilium/endpoints.json', line: lineOf(broken, '"state": "waiting-for-identity"') },
            { file: 'nodes/node-b/cilium/endpoints.json', line: lineOf(broken, '"state": "not-ready"') },
          ],
          severity: 'critical',
          titleMatch: /^2 Cilium endpoints on node-b not ready: pod shop\/cart-5c8d7f9b6-t7k2p, pod shop\/web-7d9f8b6c5d-q2w3e$/,
          messageMatch: /911 pod shop\/cart-5c8d7f9b6-t7k2p 10\.244\.0\.77: waiting-for-identity; 3301 pod shop\/web-7d9f8b6c5d-q2w3e 10\.244\.1\.6: not-ready \(health Failure\)\./,
        },
      ],
    },
    {
      name: 'an endpoint regenerating (table form), pod unknown: named by labels, a warning',
      files: { ...cluster, 'nodes/node-c/cilium/endpoints.json': regeneratingTable },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [{ file: 'nodes/node-c/cilium/endpoints.json', line: 3 }],
          severity: 'warning',
          titleMatch: /^1 Cilium endpoint on node-c not ready: pod with k8s:app=details,k8s:version=v1 in default$/,
          messageMatch: /11230 pod with k8s:app=details,k8s:version=v1 in default 10\.10\.0\.127: regenerating\. These states are passed through/,
        },
      ],
    },
  ],
});
