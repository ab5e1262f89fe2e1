import { describe, expect, it } from 'vitest';
import netpolSelectsNothing from '../../rules/netpol-selects-nothing.js';
import { findLine, kubectlList } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';
import { clusterFiles } from '../policy/policy-cluster.js';

// x/a and x/c run `app=checkout`; the policy was meant for them and says `app: check-out`.
const typo = clusterFiles({
  podLabels: { 'x/a': { app: 'checkout' }, 'x/c': { app: 'checkout' } },
  policies: {
    'only-from-b': { podSelector: { matchLabels: { app: 'check-out' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] },
  },
});
const typoPolicies = typo['cluster/networkpolicies.json']!;
const typoPods = typo['cluster/pods.json']!;

// Two requirements, the pods meet one.
const twoRequirements = clusterFiles({ policies: { 'web-tier': { podSelector: { matchLabels: { pod: 'a', tier: 'web' } }, policyTypes: ['Ingress'] } } });

// Applied in namespace w (no pods) instead of x.
const emptyNamespace = clusterFiles({
  extraNamespaces: { w: {} },
  policies: {
    'w/deny-all': { podSelector: {}, policyTypes: ['Ingress'] },
    'w/allow-a': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{}] },
  },
});

const calicoPolicies = (items: unknown[]) =>
  clusterFiles({ cni: 'calico', files: { 'cluster/calico/globalnetworkpolicies.json': kubectlList(items) } });
const gnp = (name: string, selector: string) => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkPolicy',
  metadata: { creationTimestamp: '2026-11-20T10:00:00Z', name, resourceVersion: '9120', uid: `gnp-${name}` },
  spec: { ingress: [{ action: 'Deny', destination: {}, source: {} }], order: 100, selector, types: ['Ingress'] },
});
const calicoMiss = calicoPolicies([gnp('deny-legacy', "app == 'legacy' && tier == 'web'")]);
// A namespaced Calico policy whose selector asks for a label value no pod of x carries.
const calicoNamespaced = clusterFiles({
  cni: 'calico',
  podLabels: { 'x/a': { app: 'payments' } },
  files: {
    'cluster/calico/networkpolicies.json': kubectlList([
      {
        apiVersion: 'projectcalico.org/v3',
        kind: 'NetworkPolicy',
        metadata: { creationTimestamp: '2026-11-20T10:00:00Z', name: 'payments-ingress', namespace: 'x', resourceVersion: '9130', uid: 'np-payments-ingress' },
        spec: { ingress: [{ action: 'Allow', destination: {}, source: { selector: "pod == 'b'" } }], order: 200, selector: "app == 'payment'", types: ['Ingress'] },
      },
    ]),
  },
});

const ciliumPolicies = (endpointSelector: Record<string, unknown>) =>
  clusterFiles({
    cni: 'cilium',
    files: {
      'cluster/cilium/ciliumnetworkpolicies.json': kubectlList([
        {
          apiVersion: 'cilium.io/v2',
          kind: 'CiliumNetworkPolicy',
          metadata: { creationTimestamp: '2026-11-20T10:00:00Z', generation: 1, name: 'web-ingress', namespace: 'x', resourceVersion: '9311', uid: 'cnp-web-ingress' },
          spec: { endpointSelector, ingress: [{ fromEndpoints: [{ matchLabels: { pod: 'b' } }] }] },
        },
      ]),
    },
  });
const ciliumMiss = ciliumPolicies({ matchLabels: { app: 'web' } });

ruleTester(netpolSelectsNothing, {
  valid: [
    { name: 'policies selecting pods (podSelector {} and pod=a)', files: clusterFiles({ policies: { 'deny-all': { podSelector: {}, policyTypes: ['Ingress'] }, 'allow-a': { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{}] } } }) },
    { name: 'matchExpressions that match', files: clusterFiles({ policies: { ab: { podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['a', 'b'] }] }, policyTypes: ['Ingress'] } } }) },
    { name: 'a Calico GlobalNetworkPolicy that selects pods', files: calicoPolicies([gnp('deny-a', "pod == 'a'")]) },
    { name: 'a CiliumNetworkPolicy that selects pods', files: ciliumPolicies({ matchLabels: { pod: 'a' } }) },
    { name: 'a broken policy outside the --namespace scope', files: typo, namespaces: ['y'] },
    { name: 'not collected: no pods.json', files: Object.fromEntries(Object.entries(typo).filter(([path]) => path !== 'cluster/pods.json')), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'app: check-out where the pods carry app=checkout: a likely typo, both lines cited',
      files: typo,
      findings: [
        {
          subjects: ['NetworkPolicy/x/only-from-b'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: findLine(typoPolicies, '"name": "only-from-b"', '"podSelector"', '"app": "check-out"') },
            { file: 'cluster/pods.json', line: findLine(typoPods, '"generateName": "x-a-"', '"app": "checkout"') },
          ],
          severity: 'warning',
          titleMatch: /^NetworkPolicy x\/only-from-b selects no pods$/,
          messageMatch: /podSelector app=check-out matches none of the 4 pods in namespace x, so the policy has no effect \(its 1 ingress rule allow nothing\); likely typo: 2 pods \(a, c\) carry app=checkout where the selector wants app=check-out/,
        },
      ],
    },
    {
      name: 'pods meet one of two requirements: the nearest label set names the miss',
      files: twoRequirements,
      findings: [
        {
          subjects: ['NetworkPolicy/x/web-tier'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: findLine(twoRequirements['cluster/networkpolicies.json']!, '"tier": "web"') },
            { file: 'cluster/pods.json', line: findLine(twoRequirements['cluster/pods.json']!, '"generateName": "x-a-"', '"labels"') },
          ],
          messageMatch: /nearest label sets: pod=a on 1 pod \(a; misses tier=web \(no tier label\)\)/,
        },
      ],
    },
    {
      name: 'a namespace without pods: {} is info, a selector a warning naming the wrong namespace',
      files: emptyNamespace,
      findings: [
        {
          subjects: ['NetworkPolicy/w/deny-all'],
          evidence: [{ file: 'cluster/networkpolicies.json', line: findLine(emptyNamespace['cluster/networkpolicies.json']!, '"name": "deny-all"', '"podSelector"') }],
          severity: 'info',
          titleMatch: /applies to an empty namespace/,
        },
        {
          subjects: ['NetworkPolicy/w/allow-a'],
          evidence: [{ file: 'cluster/networkpolicies.json', line: findLine(emptyNamespace['cluster/networkpolicies.json']!, '"name": "allow-a"', '"podSelector"') }],
          severity: 'warning',
          titleMatch: /namespace w has no pods/,
        },
      ],
    },
    {
      name: 'a Calico GlobalNetworkPolicy whose selector matches no endpoint',
      files: calicoMiss,
      findings: [
        {
          subjects: ['GlobalNetworkPolicy/deny-legacy'],
          evidence: [{ file: 'cluster/calico/globalnetworkpolicies.json', line: findLine(calicoMiss['cluster/calico/globalnetworkpolicies.json']!, '"selector"') }],
          messageMatch: /selector app == 'legacy' && tier == 'web' matches none of the pods of any namespace or host endpoints/,
        },
      ],
    },
    {
      name: 'a Calico NetworkPolicy with a likely typo: subject CalicoNetworkPolicy, evidence on spec.selector and the pod label',
      files: calicoNamespaced,
      findings: [
        {
          subjects: ['CalicoNetworkPolicy/x/payments-ingress'],
          evidence: [
            { file: 'cluster/calico/networkpolicies.json', line: findLine(calicoNamespaced['cluster/calico/networkpolicies.json']!, '"selector": "app') },
            { file: 'cluster/pods.json', line: findLine(calicoNamespaced['cluster/pods.json']!, '"generateName": "x-a-"', '"app": "payments"') },
          ],
          titleMatch: /^Calico NetworkPolicy x\/payments-ingress selects no endpoints$/,
          messageMatch: /likely typo: 1 pod \(a\) carries app=payments where the selector wants app=payment/,
        },
      ],
    },
    {
      name: 'a CiliumNetworkPolicy whose endpointSelector matches no pod of its namespace',
      files: ciliumMiss,
      findings: [
        {
          subjects: ['CiliumNetworkPolicy/x/web-ingress'],
          evidence: [{ file: 'cluster/cilium/ciliumnetworkpolicies.json', line: findLine(ciliumMiss['cluster/cilium/ciliumnetworkpolicies.json']!, '"endpointSelector"') }],
          messageMatch: /endpointSelector app=web \(in namespace x\) matches no endpoint in namespace x \(4 pods\)/,
        },
      ],
    },
  ],
});

describe('netpol-selects-nothing data for scripts', () => {
  it('lists the typo and the pods carrying it', () => {
    const run = runOnFiles([netpolSelectsNothing], typo);
    expect(run.findings[0]!.data).toMatchObject({
      selector: { matchLabels: { app: 'check-out' } },
      podsInNamespace: 4,
      typos: [{ key: 'app', wanted: 'check-out', foundKey: 'app', foundValue: 'checkout', pods: ['Pod/x/a', 'Pod/x/c'] }],
    });
    expect(run.findings[0]!.commands).toContain('kubectl -n x get pods -l app=check-out');
  });
});
