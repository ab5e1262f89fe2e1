import { describe, expect, it } from 'vitest';
import netpolPeerMatchesNothing from '../../rules/netpol-peer-matches-nothing.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';
import { clusterFiles } from '../policy/policy-cluster.js';

// Namespaces carry ns=<name> and kubernetes.io/metadata.name=<name>; nothing carries `name`.
const nameLabel = clusterFiles({
  policies: { 'from-y': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }, { namespaceSelector: { matchLabels: { name: 'y' } } }] }] } },
});
const nameLabelPolicies = nameLabel['cluster/networkpolicies.json']!;

// y carries team=frontend; the policy wants team=front-end.
const valueTypo = clusterFiles({
  namespaceLabels: { y: { team: 'frontend' } },
  policies: { 'from-frontend': { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'front-end' } } }] }] } },
});

// An egress rule of namespace y to `app: db`: the db pod runs in x, and a podSelector alone means y.
const otherNamespace = clusterFiles({
  policies: { 'y/to-db': { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }] } },
});

// namespaceSelector and podSelector in one peer: ns=y matches, but no pod of y is `role=api`.
const anded = clusterFiles({
  podLabels: { 'x/b': { role: 'api' } },
  policies: { 'from-y-api': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { role: 'api' } } }] }] } },
});

ruleTester(netpolPeerMatchesNothing, {
  valid: [
    {
      name: 'peers that match (by ns label, by kubernetes.io/metadata.name, AND-ed selectors, {} and ipBlock)',
      files: clusterFiles({
        policies: {
          ok: {
            podSelector: {},
            policyTypes: ['Ingress', 'Egress'],
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'z' } }, podSelector: { matchLabels: { pod: 'c' } } }, { namespaceSelector: {} }] }],
            egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { podSelector: { matchLabels: { app: 'db' } } }] }],
          },
        },
      }),
    },
    {
      name: 'rules of a direction policyTypes leaves out are not judged',
      files: clusterFiles({ policies: { 'ingress-only': { podSelector: {}, policyTypes: ['Ingress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { name: 'nowhere' } } }] }] } } }),
    },
    { name: 'a broken peer outside the --namespace scope', files: nameLabel, namespaces: ['y'] },
    { name: 'not collected: no networkpolicies.json', files: Object.fromEntries(Object.entries(nameLabel).filter(([p]) => p !== 'cluster/networkpolicies.json')), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'namespaceSelector name=y: no namespace carries `name`, suggest kubernetes.io/metadata.name',
      files: nameLabel,
      findings: [
        {
          subjects: ['NetworkPolicy/x/from-y'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: findLine(nameLabelPolicies, '"namespaceSelector"', '"name": "y"') },
            { file: 'cluster/namespaces.json', line: findLine(nameLabel['cluster/namespaces.json']!, '"kubernetes.io/metadata.name": "y"') },
          ],
          severity: 'warning',
          titleMatch: /^NetworkPolicy x\/from-y: namespaceSelector name=y matches no namespace$/,
          messageMatch: /from peer 1 of spec\.ingress\[0\] matches none of the 5 namespaces in the cluster; no namespace carries a label name; namespace y exists and carries kubernetes\.io\/metadata\.name=y/,
        },
      ],
    },
    {
      name: 'a likely typo of a namespace label value',
      files: valueTypo,
      findings: [
        {
          subjects: ['NetworkPolicy/x/from-frontend'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: findLine(valueTypo['cluster/networkpolicies.json']!, '"team": "front-end"') },
            { file: 'cluster/namespaces.json', line: findLine(valueTypo['cluster/namespaces.json']!, '"team": "frontend"') },
          ],
          messageMatch: /likely typo: namespace y carries team=frontend/,
        },
      ],
    },
    {
      name: 'a podSelector alone whose pods run in another namespace',
      files: otherNamespace,
      findings: [
        {
          subjects: ['NetworkPolicy/y/to-db'],
          evidence: [{ file: 'cluster/networkpolicies.json', line: findLine(otherNamespace['cluster/networkpolicies.json']!, '"to"', '"podSelector"') }],
          messageMatch: /podSelector app=db in to peer 0 of spec\.egress\[0\] matches none of the 3 pods in namespace y .*pods matching it run in x: reaching them needs a namespaceSelector in the same peer/,
        },
      ],
    },
    {
      name: 'namespaceSelector AND podSelector: the namespaces match, their pods do not',
      files: anded,
      findings: [
        {
          subjects: ['NetworkPolicy/x/from-y-api'],
          evidence: [{ file: 'cluster/networkpolicies.json', line: findLine(anded['cluster/networkpolicies.json']!, '"from"', '"podSelector"') }],
          messageMatch: /podSelector role=api in from peer 0 of spec\.ingress\[0\] matches none of the 3 pods in the namespaces its namespaceSelector ns=y selects \(y\)/,
        },
      ],
    },
  ],
});

describe('netpol-peer-matches-nothing', () => {
  it('says what to write instead', () => {
    const [finding] = runOnFiles([netpolPeerMatchesNothing], nameLabel).findings;
    expect(finding!.remediation).toBe('in from peer 1 of spec.ingress[0], replace `name: y` by `kubernetes.io/metadata.name: y` (or label the namespace: kubectl label namespace y name=y)');
    expect(finding!.data).toMatchObject({ direction: 'ingress', rule: 0, peer: 1, unmet: { key: 'name', value: 'y' } });
  });

  it('leaves namespaceSelectors alone when namespaces were not collected, and says so', () => {
    const files = Object.fromEntries(Object.entries(nameLabel).filter(([p]) => p !== 'cluster/namespaces.json'));
    const run = runOnFiles([netpolPeerMatchesNothing], files);
    expect(run.findings).toEqual([]);
    expect(run.coverage[0]!.detail).toContain('not collected: cluster/namespaces.json');
  });
});
