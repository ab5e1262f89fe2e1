/**
 * The Kubernetes NetworkPolicy truth table of semantics.md c): the 34 cases from the upstream
 * e2e tests (E2E), policy-assistant (PA) and the NetworkPolicy docs, each on the cyclonus
 * cluster (policy-cluster.ts) under an iptables CNI (kube-router: upstream semantics).
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { evaluate } from '../../analyzer/policy/evaluate.js';
import type { FlowVerdict } from '../../analyzer/policy/policy-types.js';
import type { FlowProtocol } from '../../analyzer/policy/resolve-flow.js';
import { findLine, kubectlList, uidFor } from '../helpers/kube-objects.js';
import { CLUSTER_IPS, clusterFiles, clusterModel, NODE_IPS, podIP, type ClusterOptions } from './policy-cluster.js';

type Json = Record<string, unknown>;

interface Flow {
  from: string;
  to: string;
  port?: number | string;
  protocol?: FlowProtocol;
  expect: 'allow' | 'deny';
}

interface Case {
  n: number;
  title: string;
  source: string;
  cluster: ClusterOptions;
  flows: Flow[];
}

const podA = { matchLabels: { pod: 'a' } };
const denyAllIngress: Json = { podSelector: {}, policyTypes: ['Ingress'] };
const denyAllAllowDns: Json = {
  podSelector: {},
  policyTypes: ['Egress', 'Ingress'],
  ingress: [],
  egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
};
const multipleSelectors: Json = {
  podSelector: podA,
  policyTypes: ['Ingress'],
  ingress: [
    {
      from: [
        {
          namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] },
          podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b', 'c'] }] },
        },
      ],
    },
  ],
};
const orPeers: Json = {
  podSelector: podA,
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }],
};
const fromYOnPort = (port: number): Json => ({
  podSelector: podA,
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port, protocol: 'TCP' }] }],
});
const namedPort81: Json = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] };
const port80NoProtocol: Json = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 80 }] }] };
const anySctp: Json = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'SCTP' }] }] };
const hostBitsEgress: Json = {
  podSelector: podA,
  policyTypes: ['Egress'],
  egress: [
    { ports: [{ port: 80, protocol: 'TCP' }], to: [{ podSelector: {} }, { ipBlock: { cidr: '192.168.242.213/24' } }] },
    { ports: [{ port: 53, protocol: 'UDP' }] },
  ],
};
const serverIP = podIP('x', 'b');
const exceptServer: Json = {
  podSelector: podA,
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: `${serverIP}/24`, except: [`${serverIP}/32`] } }] }],
};
const allowServer: Json = { podSelector: podA, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${serverIP}/32` } }] }] };

const CASES: Case[] = [
  { n: 1, title: 'default-deny-ingress denies another namespace', source: 'E2E default-deny-ingress', cluster: { policies: { 'deny-all': denyAllIngress } }, flows: [{ from: 'y/a', to: 'x/a', port: 80, expect: 'deny' }] },
  { n: 2, title: 'default-deny-ingress leaves egress alone', source: 'E2E', cluster: { policies: { 'deny-all': denyAllIngress } }, flows: [{ from: 'x/a', to: 'y/a', port: 80, expect: 'allow' }] },
  { n: 3, title: 'default-deny-ingress denies the same namespace too', source: 'E2E', cluster: { policies: { 'deny-all': denyAllIngress } }, flows: [{ from: 'x/b', to: 'x/a', port: 80, expect: 'deny' }] },
  { n: 4, title: 'deny-all-allow-dns denies other egress', source: 'PA upstreame2ecases', cluster: { policies: { 'deny-all-allow-dns': denyAllAllowDns } }, flows: [{ from: 'x/a', to: 'y/a', port: 80, expect: 'deny' }] },
  {
    n: 5,
    title: 'deny-all-allow-dns allows DNS to kube-dns',
    source: 'PA',
    cluster: { policies: { 'deny-all-allow-dns': denyAllAllowDns } },
    flows: [
      { from: 'x/a', to: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP', expect: 'allow' },
      { from: 'x/a', to: 'kube-system/coredns-7db6d8ff4d-k2x9q', port: 'dns-tcp', protocol: 'TCP', expect: 'allow' },
    ],
  },
  { n: 6, title: 'deny-all-allow-dns denies ingress', source: 'PA', cluster: { policies: { 'deny-all-allow-dns': denyAllAllowDns } }, flows: [{ from: 'y/a', to: 'x/a', port: 80, expect: 'deny' }] },
  { n: 7, title: 'namespaceSelector AND podSelector in one peer: match', source: 'PA "Multiple PodSelectors and NamespaceSelectors"', cluster: { policies: { 'multi-selectors': multipleSelectors } }, flows: [{ from: 'y/b', to: 'x/a', port: 80, expect: 'allow' }] },
  { n: 8, title: 'namespaceSelector AND podSelector: pod label fails', source: 'PA', cluster: { policies: { 'multi-selectors': multipleSelectors } }, flows: [{ from: 'y/a', to: 'x/a', port: 80, expect: 'deny' }] },
  { n: 9, title: 'namespaceSelector AND podSelector: namespace excluded', source: 'PA', cluster: { policies: { 'multi-selectors': multipleSelectors } }, flows: [{ from: 'x/b', to: 'x/a', port: 80, expect: 'deny' }] },
  { n: 10, title: 'two peers OR: podSelector alone is the policy namespace', source: 'docs', cluster: { policies: { 'or-peers': orPeers } }, flows: [{ from: 'z/b', to: 'x/a', port: 80, expect: 'deny' }] },
  {
    n: 11,
    title: 'two peers OR: either peer allows',
    source: 'docs',
    cluster: { policies: { 'or-peers': orPeers } },
    flows: [
      { from: 'x/b', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'y/c', to: 'x/a', port: 80, expect: 'allow' },
    ],
  },
  { n: 12, title: 'stacked policies: union of their ports', source: 'E2E stacked policies', cluster: { policies: { 'allow-y-80': fromYOnPort(80), 'allow-y-81': fromYOnPort(81) } }, flows: [{ from: 'y/b', to: 'x/a', port: 81, expect: 'allow' }] },
  { n: 13, title: 'stacked policies: other namespace still denied', source: 'E2E', cluster: { policies: { 'allow-y-80': fromYOnPort(80), 'allow-y-81': fromYOnPort(81) } }, flows: [{ from: 'z/b', to: 'x/a', port: 80, expect: 'deny' }] },
  { n: 14, title: 'named port allows its TCP port', source: 'E2E named port', cluster: { policies: { 'named-81': namedPort81 } }, flows: [{ from: 'y/a', to: 'x/a', port: 81, protocol: 'TCP', expect: 'allow' }] },
  {
    n: 15,
    title: 'named port: other port, and the same number on UDP',
    source: 'E2E',
    cluster: { policies: { 'named-81': namedPort81 } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, protocol: 'TCP', expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 81, protocol: 'UDP', expect: 'deny' },
    ],
  },
  {
    n: 16,
    title: 'a port without protocol is TCP',
    source: 'docs',
    cluster: { policies: { 'port-80': port80NoProtocol } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, protocol: 'UDP', expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 80, protocol: 'TCP', expect: 'allow' },
    ],
  },
  {
    n: 17,
    title: 'a port-less SCTP entry allows every SCTP port',
    source: 'PA policy_tests "allow SCTP on any port"',
    cluster: { policies: { 'any-sctp': anySctp } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 103, protocol: 'TCP', expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 103, protocol: 'SCTP', expect: 'allow' },
      { from: '1.2.3.4', to: 'x/a', port: 103, protocol: 'SCTP', expect: 'allow' },
    ],
  },
  { n: 18, title: 'ipBlock with host bits set is masked', source: 'PA policy_tests', cluster: { policies: { 'host-bits': hostBitsEgress } }, flows: [{ from: 'x/a', to: '192.168.242.249', port: 80, protocol: 'TCP', expect: 'allow' }] },
  {
    n: 19,
    title: 'ports-only rule allows every destination on that port',
    source: 'derived',
    cluster: { policies: { 'host-bits': hostBitsEgress } },
    flows: [
      { from: 'x/a', to: '8.8.8.8', port: 53, protocol: 'UDP', expect: 'allow' },
      { from: 'x/a', to: '8.8.8.8', port: 80, protocol: 'TCP', expect: 'deny' },
    ],
  },
  { n: 20, title: 'except excludes the server from the CIDR', source: 'E2E except clause', cluster: { policies: { 'except-server': exceptServer } }, flows: [{ from: 'x/a', to: 'svc/x/s-b', port: 80, expect: 'deny' }] },
  {
    n: 21,
    title: 'a second policy allowing the server wins over the except (union)',
    source: 'E2E IP overlapping IPBlock.CIDR and IPBlock.Except',
    cluster: { policies: { 'except-server': exceptServer, 'allow-server': allowServer } },
    flows: [{ from: 'x/a', to: 'svc/x/s-b', port: 80, expect: 'allow' }],
  },
  {
    n: 22,
    title: 'ingress and egress are independent',
    source: 'E2E ingress/egress independent',
    cluster: {
      policies: {
        'a-egress-b-no-ingress': { podSelector: podA, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [{ to: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] },
      },
    },
    flows: [
      { from: 'x/a', to: 'x/b', port: 80, expect: 'allow' },
      { from: 'x/b', to: 'x/a', port: 80, expect: 'deny' },
    ],
  },
  {
    n: 23,
    title: 'client-side egress deny wins over server ingress allow',
    source: 'E2E denying of egress traffic on the client side',
    cluster: {
      policies: {
        'x/a-egress-y-a': {
          podSelector: podA,
          policyTypes: ['Egress'],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }],
        },
        'y/b-from-x-a': {
          podSelector: { matchLabels: { pod: 'b' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: podA }] }],
        },
      },
    },
    flows: [{ from: 'x/a', to: 'y/b', port: 80, expect: 'deny' }],
  },
  {
    n: 24,
    title: 'one empty ingress rule allows all, whatever else selects the pod',
    source: 'E2E allow-all precedence',
    cluster: { policies: { 'allow-all': { podSelector: podA, policyTypes: ['Ingress'], ingress: [{}] }, 'deny-a': { podSelector: podA, policyTypes: ['Ingress'] } } },
    flows: [{ from: 'y/c', to: 'x/a', port: 80, expect: 'allow' }],
  },
  ...[false, true].map(
    (labeled): Case => ({
      n: 25,
      title: `peer pod matched after its labels change (${labeled ? 'after' : 'before'} labeling x/b pod2=updated)`,
      source: 'E2E updated pod',
      cluster: {
        policies: { 'from-updated-b': { podSelector: podA, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b', pod2: 'updated' } } }] }] } },
        ...(labeled ? { podLabels: { 'x/b': { pod2: 'updated' } } } : {}),
      },
      flows: [{ from: 'x/b', to: 'x/a', port: 80, expect: labeled ? 'allow' : 'deny' }],
    }),
  ),
  ...[false, true].map(
    (labeled): Case => ({
      n: 26,
      title: `target pod isolated once labeled (${labeled ? 'after' : 'before'} labeling x/a target=isolated)`,
      source: 'E2E deny updated pod',
      cluster: {
        policies: { 'isolate-target': { podSelector: { matchLabels: { target: 'isolated' } }, policyTypes: ['Ingress'], ingress: [] } },
        ...(labeled ? { podLabels: { 'x/a': { target: 'isolated' } } } : {}),
      },
      flows: [{ from: 'y/a', to: 'x/a', port: 80, expect: labeled ? 'deny' : 'allow' }],
    }),
  ),
  {
    n: 27,
    title: 'endPort range is inclusive',
    source: 'docs endPort',
    cluster: { policies: { 'port-range': { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }] } } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 32768, expect: 'allow' },
      { from: 'y/a', to: 'x/a', port: 32769, expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 31999, expect: 'deny' },
    ],
  },
  {
    n: 28,
    title: 'policyTypes omitted with egress rules: Ingress implied and isolated',
    source: 'docs defaulting',
    cluster: { policies: { 'egress-only-rules': { podSelector: podA, egress: [{ to: [{ namespaceSelector: {} }] }] } } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'deny' },
      { from: 'x/a', to: 'y/a', port: 80, expect: 'allow' },
      { from: 'x/a', to: '8.8.8.8', port: 443, expect: 'deny' },
    ],
  },
  {
    n: 29,
    title: 'policyTypes omitted with only ingress rules: egress not isolated',
    source: 'docs',
    cluster: { policies: { 'ingress-only-rules': { podSelector: podA, ingress: [{ from: [{ podSelector: {} }] }] } } },
    flows: [{ from: 'x/a', to: 'y/a', port: 80, expect: 'allow' }],
  },
  {
    n: 30,
    title: 'replies are stateful: a connection to x/a is allowed despite its egress deny',
    source: 'docs',
    cluster: {
      policies: {
        'a-no-egress': { podSelector: podA, policyTypes: ['Egress'], egress: [] },
        'y/b-from-x-a': { podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: podA }] }] },
      },
    },
    flows: [
      { from: 'y/b', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'x/a', to: 'y/b', port: 80, expect: 'deny' },
    ],
  },
  {
    n: 31,
    title: 'a ClusterIP is judged after DNAT, against its endpoint and targetPort',
    source: 'E2E pattern',
    cluster: { policies: { 'egress-db-only': { podSelector: podA, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }] } } },
    flows: [
      { from: 'x/a', to: CLUSTER_IPS['x/db']!, port: 5432, expect: 'allow' },
      { from: 'x/a', to: 'svc/x/s-b', port: 80, expect: 'deny' },
    ],
  },
  {
    n: 32,
    title: 'traffic from the pod\'s own node is allowed (kubelet probes)',
    source: 'docs',
    cluster: { policies: { 'deny-all': denyAllIngress } },
    flows: [
      { from: NODE_IPS['node-a'], to: 'x/a', port: 80, expect: 'allow' },
      { from: NODE_IPS['node-b'], to: 'x/a', port: 80, expect: 'deny' },
    ],
  },
  {
    n: 33,
    title: 'namespace by name via kubernetes.io/metadata.name',
    source: 'docs',
    cluster: { policies: { 'from-y-by-name': { podSelector: podA, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }] } } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'y/c', to: 'x/a', port: 81, expect: 'allow' },
      { from: 'z/a', to: 'x/a', port: 80, expect: 'deny' },
    ],
  },
  {
    n: 34,
    title: 'Kubernetes NetworkPolicy ingress [{}] allows all (a CNP ingress [{}] would deny)',
    source: 'Cilium docs',
    cluster: { policies: { 'allow-all-ingress': { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] } } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: '203.0.113.9', to: 'x/b', port: 81, protocol: 'UDP', expect: 'allow' },
    ],
  },
  {
    n: 34,
    title: 'under Cilium: the same Kubernetes policy allows all, a CiliumNetworkPolicy ingress [{}] denies all',
    source: 'Cilium docs',
    cluster: {
      cni: 'cilium',
      policies: { 'allow-all-ingress': { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] } },
      files: { 'cluster/cilium/ciliumnetworkpolicies.json': kubectlList([ciliumNetworkPolicy('y', 'ingress-empty', { endpointSelector: {}, ingress: [{}] })]) },
    },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'x/a', to: 'y/a', port: 80, expect: 'deny' },
      { from: 'x/a', to: 'y/b', port: 81, protocol: 'UDP', expect: 'deny' },
    ],
  },
];

function ciliumNetworkPolicy(namespace: string, name: string, spec: Json): Json {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { creationTimestamp: '2026-11-26T09:00:00Z', generation: 1, name, namespace, resourceVersion: '7310', uid: uidFor('cnp', namespace, name) },
    spec,
  };
}

const judge = (model: AnalysisModel, flow: Flow): FlowVerdict =>
  evaluate(model, { from: flow.from, to: flow.to, ...(flow.port !== undefined ? { port: flow.port } : {}), ...(flow.protocol ? { protocol: flow.protocol } : {}) });

const describeVerdict = (v: FlowVerdict) => [v.verdict, ...v.notes, ...v.decidedBy.map((d) => `${d.policy}#${d.ruleIndex}: ${d.reason}`)].join('\n');

describe('Kubernetes NetworkPolicy truth table (semantics.md c)', () => {
  for (const c of CASES) {
    it(`#${c.n} ${c.title} [${c.source}]`, () => {
      const model = clusterModel(c.cluster);
      expect(model.parseIssues).toEqual([]);
      for (const flow of c.flows) {
        const verdict = judge(model, flow);
        expect(verdict.verdict, `${flow.from} → ${flow.to} ${flow.port ?? ''}/${flow.protocol ?? ''}\n${describeVerdict(verdict)}`).toBe(flow.expect);
        expect(verdict.engine).toBe(c.cluster.cni ?? 'kubernetes');
      }
    });
  }
});

describe('verdict evidence', () => {
  it('an allow cites the policy file and the line of the rule that matched', () => {
    const files = clusterFiles({ policies: { 'allow-y-80': fromYOnPort(80), 'allow-y-81': fromYOnPort(81) } });
    const model = clusterModel({ policies: { 'allow-y-80': fromYOnPort(80), 'allow-y-81': fromYOnPort(81) } });
    const verdict = evaluate(model, { from: 'y/b', to: 'x/a', port: 81 });
    expect(verdict.verdict).toBe('allow');
    const ingress = verdict.ingress.decidedBy;
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({ policy: 'NetworkPolicy/x/allow-y-81', direction: 'ingress', ruleIndex: 0, action: 'allow' });
    const text = files['cluster/networkpolicies.json']!;
    expect(ingress[0]!.evidence).toMatchObject({ file: 'cluster/networkpolicies.json', line: findLine(text, '"name": "allow-y-81"', '"ingress": [', '{') });
    expect(ingress[0]!.reason).toBe('from peer 0 (namespaceSelector ns=y) matches y/b; port 81/TCP matches 81/TCP');
  });

  it('a second rule is cited at its own line', () => {
    const policies = { 'host-bits': hostBitsEgress };
    const text = clusterFiles({ policies })['cluster/networkpolicies.json']!;
    const verdict = evaluate(clusterModel({ policies }), { from: 'x/a', to: '8.8.8.8', port: 53, protocol: 'UDP' });
    const rule = verdict.egress.decidedBy[0]!;
    expect(rule.ruleIndex).toBe(1);
    // kubectl sorts keys: rule 1 is `{ "ports": [{ "port": 53, ... }] }`, after rule 0's `"to"` list.
    expect(rule.evidence.line).toBe(findLine(text, '"name": "host-bits"', '"egress": [', '"port": 80', '"ipBlock"', '\n                    {') + 1);
    expect(rule.evidence.text).toBe('{');
  });

  it('a deny names each isolating policy at its podSelector, with why no rule matched', () => {
    const policies = { 'multi-selectors': multipleSelectors };
    const text = clusterFiles({ policies })['cluster/networkpolicies.json']!;
    const verdict = evaluate(clusterModel({ policies }), { from: 'x/b', to: 'x/a', port: 80 });
    expect(verdict.verdict).toBe('deny');
    expect(verdict.decidedBy).toHaveLength(1);
    expect(verdict.decidedBy[0]).toMatchObject({ policy: 'NetworkPolicy/x/multi-selectors', direction: 'ingress', ruleIndex: null, action: 'deny' });
    // The policy's own podSelector follows its ingress rules (kubectl sorts keys), one level up.
    expect(verdict.decidedBy[0]!.evidence.line).toBe(findLine(text, '"name": "multi-selectors"', '"ingress": [', '\n                "podSelector": {') + 1);
    expect(verdict.decidedBy[0]!.reason).toBe('selects x/a for ingress and none of its 1 ingress rule allows x/b on 80/TCP');
    const walk = verdict.ingress.considered.find((c) => c.policy === 'NetworkPolicy/x/multi-selectors')!;
    expect(walk.selects).toBe(true);
    expect(walk.misses).toEqual([{ ruleIndex: 0, reason: expect.stringMatching(/namespace x does not match namespaceSelector ns notin \(x\)/) }]);
  });

  it('the walk lists policies of the namespace that do not select the pod, and why', () => {
    const policies = { 'allow-y-80': fromYOnPort(80), 'isolate-target': { podSelector: { matchLabels: { target: 'isolated' } }, policyTypes: ['Ingress'] } };
    const verdict = evaluate(clusterModel({ policies }), { from: 'y/b', to: 'x/a', port: 80 });
    const other = verdict.ingress.considered.find((c) => c.policy === 'NetworkPolicy/x/isolate-target')!;
    expect(other).toMatchObject({ selects: false, matchedRule: null });
    expect(other.note).toMatch(/podSelector target=isolated does not match/);
  });
});
