import { describe, expect, it } from 'vitest';
import dnsEgressBlocked from '../../rules/dns-egress-blocked.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';
import { clusterFiles } from '../policy/policy-cluster.js';

const podSelectorLine = (files: Record<string, string>, name: string) => findLine(files['cluster/networkpolicies.json']!, `"name": "${name}"`, '"podSelector"');

// Egress default-deny in y, written without a DNS rule.
const denyEgress = clusterFiles({ policies: { 'y/deny-egress': { podSelector: {}, policyTypes: ['Egress'] } } });

// DNS allowed over UDP only.
const udpOnly = clusterFiles({
  policies: { 'y/allow-dns-udp': { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] } },
});

// CoreDNS's ingress isolated, allowing namespace x only: y and z are cut off.
const corednsIngress = clusterFiles({
  policies: {
    'kube-system/coredns-from-x': {
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
    },
  },
});

// The upstream "deny-all-allow-dns" policy (PA upstreame2ecases).
const denyAllAllowDns = clusterFiles({
  policies: { 'deny-all-allow-dns': { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] } },
});

ruleTester(dnsEgressBlocked, {
  valid: [
    { name: 'no policies', files: clusterFiles() },
    { name: 'deny-all-allow-dns: egress isolated, DNS allowed on UDP and TCP 53', files: denyAllAllowDns },
    {
      name: 'DNS allowed by namespace and pod selectors on the pod port',
      files: clusterFiles({
        policies: {
          'y/deny-egress': { podSelector: {}, policyTypes: ['Egress'] },
          'y/allow-dns': {
            podSelector: {},
            policyTypes: ['Egress'],
            egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
          },
        },
      }),
    },
    { name: 'an ingress-only default deny does not touch DNS', files: clusterFiles({ policies: { 'y/deny-ingress': { podSelector: {}, policyTypes: ['Ingress'] } } }) },
    { name: 'flannel: the egress deny is not enforced', files: clusterFiles({ cni: 'flannel', policies: { 'y/deny-egress': { podSelector: {}, policyTypes: ['Egress'] } } }) },
    { name: 'a blocked namespace outside the --namespace scope', files: denyEgress, namespaces: ['x'] },
    {
      name: 'no kube-dns Service: partial coverage, no guess',
      files: { ...denyEgress, 'cluster/services.json': '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n' },
      coverage: 'partial',
    },
    { name: 'not collected: no services.json', files: Object.fromEntries(Object.entries(denyEgress).filter(([p]) => p !== 'cluster/services.json')), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'egress default-deny without DNS: critical, naming the namespace and the policy',
      files: denyEgress,
      findings: [
        {
          subjects: ['Namespace/y', 'NetworkPolicy/y/deny-egress'],
          evidence: [{ file: 'cluster/networkpolicies.json', line: podSelectorLine(denyEgress, 'deny-egress') }],
          severity: 'critical',
          titleMatch: /^Pods in y cannot reach the cluster DNS: UDP 53 and TCP 53 to kube-system\/kube-dns denied$/,
          messageMatch: /3 pods of StatefulSet y-a, StatefulSet y-b, StatefulSet y-c in namespace y .*egress of y\/a is denied: selected by NetworkPolicy\/y\/deny-egress \(no egress rules\); nothing allows to the kube-dns endpoints on 53\/UDP/,
        },
      ],
    },
    {
      name: 'UDP allowed, TCP denied: a warning',
      files: udpOnly,
      findings: [
        {
          subjects: ['Namespace/y', 'NetworkPolicy/y/allow-dns-udp'],
          evidence: [{ file: 'cluster/networkpolicies.json', line: podSelectorLine(udpOnly, 'allow-dns-udp') }],
          severity: 'warning',
          titleMatch: /TCP 53 \(UDP 53 is allowed\)/,
          messageMatch: /rule 0: ports: 53\/TCP is not in \[53\/UDP\]/,
        },
      ],
    },
    {
      name: "CoreDNS's ingress admits one namespace: the others are blocked",
      files: corednsIngress,
      findings: ['y', 'z'].map((ns) => ({
        subjects: [`Namespace/${ns}`, 'NetworkPolicy/kube-system/coredns-from-x'],
        evidence: [{ file: 'cluster/networkpolicies.json', line: podSelectorLine(corednsIngress, 'coredns-from-x') }],
        severity: 'critical' as const,
        messageMatch: new RegExp(`ingress of the kube-dns endpoints is denied: selected by NetworkPolicy/kube-system/coredns-from-x \\(rule 0: from: ${ns}/a matches no peer \\(namespaceSelector kubernetes.io/metadata.name=x: namespace ${ns} does not match`),
      })),
    },
  ],
});

describe('dns-egress-blocked', () => {
  it('judges the pods that the same policies isolate once, and reports them in data', () => {
    const run = runOnFiles([dnsEgressBlocked], denyEgress);
    expect(run.findings[0]!.data).toEqual({ namespace: 'y', udpBlocked: true, tcpBlocked: true, pods: ['Pod/y/a', 'Pod/y/b', 'Pod/y/c'], policies: ['NetworkPolicy/y/deny-egress'] });
    expect(run.findings[0]!.commands).toContain('netdump policy <bundle> --from y/a --to svc/kube-system/kube-dns --port 53/udp');
    expect(run.coverage[0]).toMatchObject({ status: 'checked', detail: '1 group of pods judged against kube-system/kube-dns' });
  });

  it('agrees with the engine under Calico semantics too (knp in the default tier)', () => {
    const run = runOnFiles([dnsEgressBlocked], clusterFiles({ cni: 'calico', policies: { 'y/deny-egress': { podSelector: {}, policyTypes: ['Egress'] } } }));
    expect(run.findings.map((f) => f.subjects)).toEqual([['Namespace/y', 'NetworkPolicy/y/deny-egress']]);
    expect(run.findings[0]!.message).toContain("so Calico's default tier ends in its default Deny");
  });

  it('judges each group of pods when AdminNetworkPolicies take part', () => {
    // antrea implements AdminNetworkPolicy (kube-router does not).
    const files = clusterFiles({
      cni: 'antrea',
      adminPolicies: { 'deny-dns-from-z': { priority: 10, subject: { namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'z' } } }, egress: [{ name: 'no-dns', action: 'Deny', to: [{ namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }], ports: [{ portNumber: { port: 53, protocol: 'UDP' } }] }] } },
    });
    const run = runOnFiles([dnsEgressBlocked], files);
    expect(run.findings.map((f) => [f.subjects, f.severity])).toEqual([[['Namespace/z', 'AdminNetworkPolicy/deny-dns-from-z'], 'critical']]);
    expect(run.findings[0]!.title).toBe('Pods in z cannot reach the cluster DNS: UDP 53 to kube-system/kube-dns denied');
  });
});
