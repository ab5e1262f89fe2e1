import { describe, expect, it } from 'vitest';
import calicoPolicyShadowed from '../../rules/calico-policy-shadowed.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';
import { clusterFiles } from '../policy/policy-cluster.js';

type Json = Record<string, unknown>;

/** calicoctl's List output (`calicoctl get <resource> -o json`): two-space indent, Go field order. */
function calicoctlList(kind: string, items: Json[]): string {
  return `${JSON.stringify({ kind: `${kind}List`, apiVersion: 'projectcalico.org/v3', metadata: { resourceVersion: '48211' }, items }, null, 2)}\n`;
}

function calicoPolicy(kind: 'GlobalNetworkPolicy' | 'NetworkPolicy', name: string, spec: Json, namespace?: string): Json {
  return {
    kind,
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, resourceVersion: '48100', creationTimestamp: '2026-11-20T10:00:00Z' },
    spec,
  };
}

// Security denies SMTP egress from namespace x at order 100; x allows its mail relay at order 500.
const denySmtp = calicoPolicy('GlobalNetworkPolicy', 'deny-smtp-egress', {
  tier: 'default',
  order: 100,
  egress: [{ action: 'Deny', protocol: 'TCP', source: {}, destination: { ports: [25, 465, 587] } }],
  selector: "projectcalico.org/namespace == 'x'",
  types: ['Egress'],
});
const allowSmtp = (order: number, ports: number[]) =>
  calicoPolicy('NetworkPolicy', 'allow-relay', { tier: 'default', order, egress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { nets: ['198.51.100.25/32'], ports } }], selector: "pod == 'a'", types: ['Egress'] }, 'x');

const files = (namespaced: Json[], global: Json[] = [denySmtp], policies: Record<string, Json> = {}) =>
  clusterFiles({
    cni: 'calico',
    policies,
    files: {
      'cluster/calico/globalnetworkpolicies.json': calicoctlList('GlobalNetworkPolicy', global),
      'cluster/calico/networkpolicies.json': calicoctlList('NetworkPolicy', namespaced),
    },
  });

const shadowed = files([allowSmtp(500, [587])]);

// A Kubernetes NetworkPolicy (default tier, order 1000) allowing port 80 from y; a GNP denies TCP 80 to x first.
const denyHttp = calicoPolicy('GlobalNetworkPolicy', 'deny-http-to-x', {
  tier: 'default',
  order: 200,
  ingress: [{ action: 'Deny', protocol: 'TCP', source: {}, destination: { ports: [80] } }],
  selector: "projectcalico.org/namespace == 'x'",
  types: ['Ingress'],
});
const k8sShadowed = files([], [denyHttp], {
  'allow-y-80': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 80, protocol: 'TCP' }] }] },
});

ruleTester(calicoPolicyShadowed, {
  valid: [
    { name: 'the Allow comes first (lower order)', files: files([allowSmtp(50, [587])]) },
    { name: 'the Deny does not cover the Allow (port 2525)', files: files([allowSmtp(500, [2525])]) },
    { name: 'Kubernetes policies alone (only Allow rules) on Calico', files: clusterFiles({ cni: 'calico', policies: { 'allow-y': { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] } } }) },
    { name: 'not Calico and no Calico resources: nothing to compare', files: clusterFiles({ policies: { deny: { podSelector: {} } } }) },
    { name: 'not collected: no pods.json', files: Object.fromEntries(Object.entries(shadowed).filter(([p]) => p !== 'cluster/pods.json')), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'a NetworkPolicy Allow (order 500) behind a GlobalNetworkPolicy Deny (order 100)',
      files: shadowed,
      findings: [
        {
          subjects: ['CalicoNetworkPolicy/x/allow-relay', 'GlobalNetworkPolicy/deny-smtp-egress'],
          evidence: [
            { file: 'cluster/calico/networkpolicies.json', line: findLine(shadowed['cluster/calico/networkpolicies.json']!, '"egress"', '{') },
            { file: 'cluster/calico/globalnetworkpolicies.json', line: findLine(shadowed['cluster/calico/globalnetworkpolicies.json']!, '"egress"', '{') },
          ],
          severity: 'warning',
          titleMatch: /^NetworkPolicy\.projectcalico\.org\/x\/allow-relay egress rule 0 is shadowed by GlobalNetworkPolicy\/deny-smtp-egress rule 0$/,
          messageMatch: /GlobalNetworkPolicy\/deny-smtp-egress \(tier default, order 100\) rule 0 denies everything before NetworkPolicy\.projectcalico\.org\/x\/allow-relay \(tier default, order 500\) rule 0 can allow any of it, on all 1 pod\(s\).*dropped by GlobalNetworkPolicy\/deny-smtp-egress rule 0 instead/,
        },
      ],
    },
    {
      name: 'a Kubernetes NetworkPolicy rule, as Calico orders it (default tier, 1000), behind a GlobalNetworkPolicy Deny',
      files: k8sShadowed,
      findings: [
        {
          subjects: ['NetworkPolicy/x/allow-y-80', 'GlobalNetworkPolicy/deny-http-to-x'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: findLine(k8sShadowed['cluster/networkpolicies.json']!, '"ingress"', '{') },
            { file: 'cluster/calico/globalnetworkpolicies.json', line: findLine(k8sShadowed['cluster/calico/globalnetworkpolicies.json']!, '"ingress"', '{') },
          ],
        },
      ],
    },
  ],
});

describe('calico-policy-shadowed', () => {
  it('says how to let the Allow act', () => {
    const [finding] = runOnFiles([calicoPolicyShadowed], shadowed).findings;
    expect(finding!.remediation).toMatch(/give its policy a lower order than GlobalNetworkPolicy\/deny-smtp-egress/);
    expect(finding!.data).toEqual({
      direction: 'egress',
      kind: 'deny-rule',
      shadowed: { policy: 'NetworkPolicy.projectcalico.org/x/allow-relay', rule: 0 },
      shadowing: { policy: 'GlobalNetworkPolicy/deny-smtp-egress', rule: 0 },
      pods: 1,
    });
  });
});
