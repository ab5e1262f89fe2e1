/**
 * The examples of the Kubernetes "Network Policies" concept page (kubernetes/website
 * content/en/docs/concepts/services-networking/network-policies.md), judged on the test cluster
 * plus the pods the page talks about: `role=db` and `role=frontend` in `default`, a client in a
 * namespace labeled `project=myproject`.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../analyzer/policy/evaluate.js';
import type { FlowProtocol } from '../../analyzer/policy/resolve-flow.js';
import { pod } from '../helpers/kube-objects.js';
import { clusterModel, NODE_IPS } from './policy-cluster.js';

type Json = Record<string, unknown>;

const docsPods: Json[] = [
  pod({ namespace: 'default', name: 'redis-0', labels: { role: 'db' }, ip: '10.244.1.100', node: 'node-a', hostIP: NODE_IPS['node-a'], owner: { kind: 'StatefulSet', name: 'redis' }, containers: [{ name: 'redis', image: 'redis:7.4', ports: [{ containerPort: 6379, name: 'redis' }] }] }),
  pod({ namespace: 'default', name: 'web-5d8f7-abcde', labels: { role: 'frontend' }, ip: '10.244.2.101', node: 'node-b', hostIP: NODE_IPS['node-b'], containers: [{ name: 'web', ports: [{ containerPort: 8080, name: 'http' }] }] }),
  pod({ namespace: 'default', name: 'batch-7c9d-xyz12', labels: { role: 'batch' }, ip: '10.244.1.102', node: 'node-a', hostIP: NODE_IPS['node-a'], containers: [{ name: 'job', ports: [{ containerPort: 9000, name: 'metrics' }] }] }),
  pod({ namespace: 'myproject', name: 'client-6b7c-q2w3e', labels: { app: 'client' }, ip: '10.244.2.110', node: 'node-b', hostIP: NODE_IPS['node-b'], containers: [{ name: 'client', ports: [{ containerPort: 8080, name: 'http' }] }] }),
];

const cluster = (policies: Record<string, Json>) =>
  clusterModel({ policies, extraPods: docsPods, extraNamespaces: { myproject: { project: 'myproject' } } });

interface Flow {
  from: string;
  to: string;
  port: number;
  protocol?: FlowProtocol;
  expect: 'allow' | 'deny';
}

const check = (policies: Record<string, Json>, flows: Flow[]) => {
  const model = cluster(policies);
  expect(model.parseIssues).toEqual([]);
  for (const flow of flows) {
    const verdict = evaluate(model, { from: flow.from, to: flow.to, port: flow.port, ...(flow.protocol ? { protocol: flow.protocol } : {}) });
    expect(verdict.verdict, `${flow.from} → ${flow.to}:${flow.port}\n${verdict.notes.join('\n')}`).toBe(flow.expect);
  }
};

const testNetworkPolicy: Json = {
  podSelector: { matchLabels: { role: 'db' } },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [
    {
      from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { namespaceSelector: { matchLabels: { project: 'myproject' } } }, { podSelector: { matchLabels: { role: 'frontend' } } }],
      ports: [{ protocol: 'TCP', port: 6379 }],
    },
  ],
  egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
};

describe('NetworkPolicy docs: "test-network-policy"', () => {
  it('ingress to role=db on 6379 from the ipBlock (minus except), the project namespace, and frontends', () => {
    check({ 'default/test-network-policy': testNetworkPolicy }, [
      { from: '172.17.0.5', to: 'default/redis-0', port: 6379, expect: 'allow' },
      { from: '172.17.1.5', to: 'default/redis-0', port: 6379, expect: 'deny' },
      { from: 'myproject/client-6b7c-q2w3e', to: 'default/redis-0', port: 6379, expect: 'allow' },
      { from: 'default/web-5d8f7-abcde', to: 'default/redis-0', port: 6379, expect: 'allow' },
      { from: 'default/batch-7c9d-xyz12', to: 'default/redis-0', port: 6379, expect: 'deny' },
      { from: 'default/web-5d8f7-abcde', to: 'default/redis-0', port: 6380, expect: 'deny' },
      // podSelector alone: role=frontend pods of the policy's namespace only.
      { from: 'x/a', to: 'default/redis-0', port: 6379, expect: 'deny' },
    ]);
  });

  it('egress from role=db only to 10.0.0.0/24 on 5978', () => {
    check({ 'default/test-network-policy': testNetworkPolicy }, [
      { from: 'default/redis-0', to: '10.0.0.7', port: 5978, expect: 'allow' },
      { from: 'default/redis-0', to: '10.0.0.7', port: 5979, expect: 'deny' },
      { from: 'default/redis-0', to: '10.0.1.7', port: 5978, expect: 'deny' },
      { from: 'default/redis-0', to: 'default/web-5d8f7-abcde', port: 8080, expect: 'deny' },
      // Pods the policy does not select keep their egress.
      { from: 'default/batch-7c9d-xyz12', to: '10.0.1.7', port: 443, expect: 'allow' },
    ]);
  });
});

describe('NetworkPolicy docs: default policies', () => {
  it('default-deny-ingress isolates every pod of the namespace for ingress only', () => {
    check({ 'default/default-deny-ingress': { podSelector: {}, policyTypes: ['Ingress'] } }, [
      { from: 'x/a', to: 'default/web-5d8f7-abcde', port: 8080, expect: 'deny' },
      { from: 'default/web-5d8f7-abcde', to: 'x/a', port: 80, expect: 'allow' },
    ]);
  });

  it('allow-all-ingress admits everything even beside a deny-all', () => {
    check(
      {
        'default/default-deny-ingress': { podSelector: {}, policyTypes: ['Ingress'] },
        'default/allow-all-ingress': { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] },
      },
      [
        { from: 'x/a', to: 'default/web-5d8f7-abcde', port: 8080, expect: 'allow' },
        { from: '198.51.100.4', to: 'default/batch-7c9d-xyz12', port: 9000, expect: 'allow' },
      ],
    );
  });

  it('default-deny-egress isolates egress, and allow-all-egress lifts it', () => {
    check({ 'default/default-deny-egress': { podSelector: {}, policyTypes: ['Egress'] } }, [
      { from: 'default/web-5d8f7-abcde', to: 'x/a', port: 80, expect: 'deny' },
      { from: 'default/web-5d8f7-abcde', to: 'svc/kube-system/kube-dns', port: 53, protocol: 'UDP', expect: 'deny' },
      { from: 'x/a', to: 'default/web-5d8f7-abcde', port: 8080, expect: 'allow' },
    ]);
    check(
      {
        'default/default-deny-egress': { podSelector: {}, policyTypes: ['Egress'] },
        'default/allow-all-egress': { podSelector: {}, egress: [{}], policyTypes: ['Egress'] },
      },
      [{ from: 'default/web-5d8f7-abcde', to: 'x/a', port: 80, expect: 'allow' }],
    );
  });

  it('default-deny-all isolates both directions', () => {
    check({ 'default/default-deny-all': { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }, [
      { from: 'default/web-5d8f7-abcde', to: 'default/redis-0', port: 6379, expect: 'deny' },
      { from: 'x/a', to: 'default/redis-0', port: 6379, expect: 'deny' },
      { from: 'default/redis-0', to: 'x/a', port: 80, expect: 'deny' },
    ]);
  });
});

describe('NetworkPolicy docs: targeting a range of ports', () => {
  const multiPortEgress: Json = {
    podSelector: { matchLabels: { role: 'db' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
  };

  it('endPort makes the range inclusive at both ends', () => {
    check({ 'default/multi-port-egress': multiPortEgress }, [
      { from: 'default/redis-0', to: '10.0.0.7', port: 32000, expect: 'allow' },
      { from: 'default/redis-0', to: '10.0.0.7', port: 32768, expect: 'allow' },
      { from: 'default/redis-0', to: '10.0.0.7', port: 32769, expect: 'deny' },
      { from: 'default/redis-0', to: '10.0.0.7', port: 32500, protocol: 'UDP', expect: 'deny' },
    ]);
  });
});

describe('NetworkPolicy docs: what you cannot block', () => {
  it('a pod reaches itself, even through its own Service, under a deny-all', () => {
    const model = cluster({ 'default/default-deny-all': { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'deny-x': { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    const direct = evaluate(model, { from: 'x/a', to: 'x/a', port: 80 });
    expect(direct.verdict).toBe('allow');
    expect(direct.ingress.notes).toEqual(['a pod cannot block traffic to itself (x/a)']);
    expect(evaluate(model, { from: 'x/a', to: 'svc/x/s-a', port: 80 }).verdict).toBe('allow');
  });

  it('hostNetwork pods are node traffic: not selected, and matched by ipBlock like their node', () => {
    const hostPod = pod({ namespace: 'x', name: 'node-exporter-4kq9z', labels: { pod: 'a', app: 'node-exporter' }, ip: NODE_IPS['node-b'], node: 'node-b', hostIP: NODE_IPS['node-b'], hostNetwork: true, owner: { kind: 'DaemonSet', name: 'node-exporter' }, containers: [{ name: 'exporter', ports: [{ containerPort: 9100, name: 'metrics' }] }] });
    const model = clusterModel({
      policies: {
        'deny-all': { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
        'y/from-nodes': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/24' } }] }] },
        'y/from-pod-a': { podSelector: { matchLabels: { pod: 'c' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: 'a' } } }] }] },
      },
      extraPods: [hostPod],
    });
    // The deny-all of x selects pod=a labels, but the hostNetwork pod's traffic is its node's.
    const out = evaluate(model, { from: 'x/node-exporter-4kq9z', to: 'y/a', port: 80 });
    expect(out.verdict).toBe('allow');
    expect(out.egress.isolated).toBe(false);
    // A podSelector never matches it, even with labels that fit (y/c runs on the other node).
    expect(evaluate(model, { from: 'x/node-exporter-4kq9z', to: 'y/c', port: 80 }).verdict).toBe('deny');
    // Its own node's pods always admit it.
    expect(evaluate(model, { from: 'x/node-exporter-4kq9z', to: 'x/b', port: 80 }).verdict).toBe('allow');
    // And no policy isolates its ingress.
    expect(evaluate(model, { from: 'z/a', to: 'x/node-exporter-4kq9z', port: 9100 }).verdict).toBe('allow');
  });
});
