/**
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy tiers (network-policy-api v1alpha1, and
 * policy-assistant's order ANP → NetworkPolicy → BANP), on the test cluster under Antrea
 * (which implements both).
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { evaluate } from '../../analyzer/policy/evaluate.js';
import type { FlowProtocol } from '../../analyzer/policy/resolve-flow.js';
import { findLine } from '../helpers/kube-objects.js';
import { clusterFiles, clusterModel, NODE_IPS, type ClusterOptions } from './policy-cluster.js';

type Json = Record<string, unknown>;

interface Flow {
  from: string;
  to: string;
  port: number;
  protocol?: FlowProtocol;
  expect: 'allow' | 'deny';
}

interface Case {
  title: string;
  cluster: ClusterOptions;
  flows: Flow[];
}

const nsX = { namespaces: { matchLabels: { ns: 'x' } } };
const fromNs = (ns: string) => [{ namespaces: { matchLabels: { ns } } }];
const allowFromYOnly: Json = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] };
const denyAll: Json = { podSelector: {}, policyTypes: ['Ingress'] };

const anp = (priority: number, subject: Json, rules: { ingress?: Json[]; egress?: Json[] }): Json => ({ priority, subject, ...rules });

const CASES: Case[] = [
  {
    title: 'an ANP Deny wins over a NetworkPolicy that allows',
    cluster: { cni: 'antrea', policies: { 'allow-from-y': allowFromYOnly }, adminPolicies: { 'deny-y-to-x': anp(10, nsX, { ingress: [{ name: 'deny-y', action: 'Deny', from: fromNs('y') }] }) } },
    flows: [{ from: 'y/a', to: 'x/a', port: 80, expect: 'deny' }],
  },
  {
    title: 'an ANP Allow wins over a NetworkPolicy deny-all; other traffic still meets the NetworkPolicy',
    cluster: { cni: 'antrea', policies: { 'deny-all': denyAll }, adminPolicies: { 'allow-y-to-x': anp(10, nsX, { ingress: [{ action: 'Allow', from: fromNs('y') }] }) } },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'z/a', to: 'x/a', port: 80, expect: 'deny' },
    ],
  },
  {
    title: 'the lower priority number goes first',
    cluster: {
      cni: 'antrea',
      adminPolicies: {
        'allow-y': anp(20, nsX, { ingress: [{ action: 'Allow', from: fromNs('y') }] }),
        'deny-y': anp(10, nsX, { ingress: [{ action: 'Deny', from: fromNs('y') }] }),
      },
    },
    flows: [{ from: 'y/a', to: 'x/a', port: 80, expect: 'deny' }],
  },
  {
    title: 'the lower priority number goes first (swapped)',
    cluster: {
      cni: 'antrea',
      policies: { 'deny-all': denyAll },
      adminPolicies: {
        'allow-y': anp(5, nsX, { ingress: [{ action: 'Allow', from: fromNs('y') }] }),
        'deny-y': anp(10, nsX, { ingress: [{ action: 'Deny', from: fromNs('y') }] }),
      },
    },
    flows: [{ from: 'y/a', to: 'x/a', port: 80, expect: 'allow' }],
  },
  {
    title: 'rules of one ANP apply in written order',
    cluster: {
      cni: 'antrea',
      adminPolicies: { ordered: anp(10, nsX, { ingress: [{ action: 'Allow', from: fromNs('y'), ports: [{ portNumber: { protocol: 'TCP', port: 80 } }] }, { action: 'Deny', from: [{ namespaces: {} }] }] }) },
    },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'y/a', to: 'x/a', port: 81, expect: 'deny' },
      { from: 'z/a', to: 'x/a', port: 80, expect: 'deny' },
    ],
  },
  {
    title: 'Pass hands over to NetworkPolicies, skipping lower ANPs; the BANP decides when none isolates',
    cluster: {
      cni: 'antrea',
      adminPolicies: {
        'pass-80': anp(5, nsX, { ingress: [{ action: 'Pass', from: [{ namespaces: {} }], ports: [{ portNumber: { protocol: 'TCP', port: 80 } }] }] }),
        'deny-all': anp(10, nsX, { ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] }),
      },
      baselinePolicy: { subject: nsX, ingress: [{ action: 'Deny', from: fromNs('y') }] },
    },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'deny' },
      { from: 'z/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'z/a', to: 'x/a', port: 81, expect: 'deny' },
    ],
  },
  {
    title: 'after a Pass, a NetworkPolicy that isolates the pod decides (the BANP is not reached)',
    cluster: {
      cni: 'antrea',
      policies: { 'allow-from-y': allowFromYOnly },
      adminPolicies: { 'pass-all': anp(5, nsX, { ingress: [{ action: 'Pass', from: [{ namespaces: {} }] }] }) },
      baselinePolicy: { subject: nsX, ingress: [{ action: 'Deny', from: fromNs('y') }] },
    },
    flows: [
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'z/a', to: 'x/a', port: 80, expect: 'deny' },
    ],
  },
  {
    title: 'the BANP: Deny applies to pods no NetworkPolicy isolates, Allow lets the rest through',
    cluster: {
      cni: 'antrea',
      policies: { 'y/allow-from-z': { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }] } },
      baselinePolicy: { subject: { namespaces: {} }, ingress: [{ action: 'Allow', from: fromNs('x') }, { action: 'Deny', from: [{ namespaces: {} }] }] },
    },
    flows: [
      { from: 'x/a', to: 'z/a', port: 80, expect: 'allow' },
      { from: 'y/a', to: 'z/a', port: 80, expect: 'deny' },
      // y is isolated by its NetworkPolicy: the BANP's Allow for x does not reach it.
      { from: 'x/a', to: 'y/a', port: 80, expect: 'deny' },
      { from: 'z/b', to: 'y/a', port: 80, expect: 'allow' },
    ],
  },
  {
    title: 'subject pods: namespace AND pod selectors',
    cluster: { cni: 'antrea', adminPolicies: { 'protect-b': anp(10, { pods: { namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: { matchLabels: { pod: 'b' } } } }, { ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] }) } },
    flows: [
      { from: 'y/a', to: 'x/b', port: 80, expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'x/a', to: 'y/b', port: 80, expect: 'allow' },
    ],
  },
  {
    title: 'peer pods: namespace AND pod selectors',
    cluster: { cni: 'antrea', adminPolicies: { 'deny-yb': anp(10, nsX, { ingress: [{ action: 'Deny', from: [{ pods: { namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } } }] }] }) } },
    flows: [
      { from: 'y/b', to: 'x/a', port: 80, expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 80, expect: 'allow' },
      { from: 'z/b', to: 'x/a', port: 80, expect: 'allow' },
    ],
  },
  {
    title: 'egress peers: networks (cluster-internal addresses included) and nodes',
    cluster: {
      cni: 'antrea',
      adminPolicies: {
        'egress-controls': anp(10, nsX, {
          egress: [
            { name: 'deny-public-dns', action: 'Deny', to: [{ networks: ['8.8.8.8/32', '8.8.4.4/32'] }], ports: [{ portNumber: { protocol: 'UDP', port: 53 } }] },
            { name: 'deny-kubelet', action: 'Deny', to: [{ nodes: { matchLabels: { 'kubernetes.io/os': 'linux' } } }], ports: [{ portNumber: { protocol: 'TCP', port: 10250 } }] },
            { name: 'deny-z-pods', action: 'Deny', to: [{ networks: ['10.244.1.30/31'] }] },
          ],
        }),
      },
    },
    flows: [
      { from: 'x/a', to: '8.8.8.8', port: 53, protocol: 'UDP', expect: 'deny' },
      { from: 'x/a', to: '1.1.1.1', port: 53, protocol: 'UDP', expect: 'allow' },
      { from: 'x/b', to: NODE_IPS['node-a'], port: 10250, expect: 'deny' },
      { from: 'x/b', to: NODE_IPS['node-a'], port: 22, expect: 'allow' },
      { from: 'x/a', to: 'z/a', port: 80, expect: 'deny' },
      { from: 'x/a', to: 'z/b', port: 80, expect: 'allow' },
    ],
  },
  {
    title: 'ports: portRange is inclusive, namedPort resolves on the destination pod by protocol',
    cluster: {
      cni: 'antrea',
      adminPolicies: {
        ports: anp(10, nsX, {
          ingress: [
            { action: 'Deny', from: [{ namespaces: {} }], ports: [{ portRange: { protocol: 'TCP', start: 8000, end: 8080 } }] },
            { action: 'Deny', from: [{ namespaces: {} }], ports: [{ namedPort: 'serve-81-udp' }] },
          ],
        }),
      },
    },
    flows: [
      { from: 'y/a', to: 'x/a', port: 8080, expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 8081, expect: 'allow' },
      { from: 'y/a', to: 'x/a', port: 81, protocol: 'UDP', expect: 'deny' },
      { from: 'y/a', to: 'x/a', port: 81, protocol: 'TCP', expect: 'allow' },
    ],
  },
  {
    title: 'a peer with no known field fails closed: nothing for Allow, everything for Deny',
    cluster: {
      cni: 'antrea',
      policies: { 'deny-all': denyAll },
      adminPolicies: {
        'allow-unknown': anp(5, nsX, { ingress: [{ action: 'Allow', from: [{ serviceAccounts: { name: 'web' } }] }] }),
        'deny-unknown': anp(10, { namespaces: { matchLabels: { ns: 'y' } } }, { ingress: [{ action: 'Deny', from: [{ serviceAccounts: { name: 'web' } }] }] }),
      },
    },
    flows: [
      { from: 'z/a', to: 'x/a', port: 80, expect: 'deny' },
      { from: 'z/a', to: 'y/a', port: 80, expect: 'deny' },
      { from: 'z/a', to: 'z/b', port: 80, expect: 'allow' },
    ],
  },
];

const judge = (model: AnalysisModel, flow: Flow) => evaluate(model, { from: flow.from, to: flow.to, port: flow.port, ...(flow.protocol ? { protocol: flow.protocol } : {}) });

describe('AdminNetworkPolicy / BaselineAdminNetworkPolicy table', () => {
  for (const c of CASES) {
    it(c.title, () => {
      const model = clusterModel(c.cluster);
      expect(model.parseIssues).toEqual([]);
      for (const flow of c.flows) {
        const verdict = judge(model, flow);
        const detail = [...verdict.notes, ...verdict.decidedBy.map((d) => `${d.policy}#${d.ruleIndex} ${d.action}: ${d.reason}`)].join('\n');
        expect(verdict.verdict, `${flow.from} → ${flow.to}:${flow.port}/${flow.protocol ?? 'TCP'}\n${detail}`).toBe(flow.expect);
      }
    });
  }
});

describe('AdminNetworkPolicy evidence and engines', () => {
  const cluster: ClusterOptions = {
    cni: 'antrea',
    policies: { 'allow-from-y': allowFromYOnly },
    adminPolicies: { 'deny-y-to-x': anp(10, nsX, { ingress: [{ name: 'log-only', action: 'Allow', from: fromNs('z') }, { name: 'deny-y', action: 'Deny', from: fromNs('y') }] }) },
  };

  it('cites the ANP file and the line of the deciding rule', () => {
    const text = clusterFiles(cluster)['cluster/adminnetworkpolicies.json']!;
    const verdict = evaluate(clusterModel(cluster), { from: 'y/a', to: 'x/a', port: 80 });
    expect(verdict.verdict).toBe('deny');
    expect(verdict.decidedBy).toHaveLength(1);
    expect(verdict.decidedBy[0]).toMatchObject({ policy: 'AdminNetworkPolicy/deny-y-to-x', direction: 'ingress', ruleIndex: 1, action: 'deny' });
    expect(verdict.decidedBy[0]!.evidence).toMatchObject({ file: 'cluster/adminnetworkpolicies.json', line: findLine(text, '"name": "deny-y-to-x"', '"name": "log-only"', '}', '{') });
    expect(verdict.decidedBy[0]!.reason).toBe('rule 1 "deny-y" (priority 10) matches y/a on 80/TCP: Deny');
  });

  it('is ignored, with a note, under a CNI that does not implement it', () => {
    const verdict = evaluate(clusterModel({ ...cluster, cni: 'kube-router' }), { from: 'y/a', to: 'x/a', port: 80 });
    expect(verdict.verdict).toBe('allow');
    expect(verdict.ingress.notes).toContain('kube-router does not implement AdminNetworkPolicy: the 1 (Baseline)AdminNetworkPolicies in the bundle are not enforced');
  });

  it('names ANPs that share a priority', () => {
    const model = clusterModel({ cni: 'antrea', adminPolicies: { b: anp(10, nsX, { ingress: [{ action: 'Deny', from: fromNs('y') }] }), a: anp(10, nsX, { ingress: [{ action: 'Allow', from: fromNs('y') }] }) } });
    const verdict = evaluate(model, { from: 'y/a', to: 'x/a', port: 80 });
    expect(verdict.ingress.notes).toContain('AdminNetworkPolicy/a and AdminNetworkPolicy/b share priority 10: their order is undefined (taken by name here)');
    expect(verdict.decidedBy[0]!.policy).toBe('AdminNetworkPolicy/a');
  });

  it('reports an unreadable ANP file as a parse issue and judges without it', () => {
    const model = clusterModel({ cni: 'antrea', policies: { 'deny-all': denyAll }, files: { 'cluster/adminnetworkpolicies.json': '{"apiVersion": "v1", "items": [' } });
    expect(evaluate(model, { from: 'y/a', to: 'x/a', port: 80 }).verdict).toBe('deny');
    expect(model.parseIssues.map((i) => [i.code, i.file])).toEqual([['INVALID_JSON', 'cluster/adminnetworkpolicies.json']]);
  });
});
