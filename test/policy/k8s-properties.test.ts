/**
 * Properties of Kubernetes NetworkPolicy that hold for any policy set (fast-check), checked on
 * every pod-to-pod flow of the test cluster (and to and from an outside address) on 80/TCP,
 * 81/UDP and 80/SCTP:
 *
 * - adding an allow rule to a policy never removes connectivity;
 * - a policy that selects no pod changes nothing;
 * - the order of policies changes nothing;
 * - pods of a namespace without policies reach each other.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { evaluate } from '../../analyzer/policy/evaluate.js';
import { clusterModel, NAMESPACES, PODS } from './policy-cluster.js';

type Json = Record<string, unknown>;

const podSelector = fc.oneof(
  fc.constant({}),
  fc.constantFrom(...PODS).map((pod) => ({ matchLabels: { pod } })),
  fc.record({ operator: fc.constantFrom('In', 'NotIn'), values: fc.subarray([...PODS], { minLength: 1 }) }).map(({ operator, values }) => ({ matchExpressions: [{ key: 'pod', operator, values }] })),
);
const namespaceSelector = fc.oneof(
  fc.constant({}),
  fc.constantFrom(...NAMESPACES).map((ns) => ({ matchLabels: { ns } })),
  fc.subarray([...NAMESPACES], { minLength: 1 }).map((values) => ({ matchExpressions: [{ key: 'ns', operator: 'NotIn', values }] })),
);
const ipBlock = fc.record(
  { cidr: fc.constantFrom('10.244.0.0/16', '10.244.1.0/24', '10.244.2.13/24', '0.0.0.0/0', '192.0.2.0/24'), except: fc.constantFrom(['10.244.1.10/32'], ['10.244.2.0/25']) },
  { requiredKeys: ['cidr'] },
);
const peer: fc.Arbitrary<Json> = fc.oneof(
  podSelector.map((s) => ({ podSelector: s })),
  namespaceSelector.map((s) => ({ namespaceSelector: s })),
  fc.tuple(namespaceSelector, podSelector).map(([n, p]) => ({ namespaceSelector: n, podSelector: p })),
  ipBlock.map((block) => ({ ipBlock: block })),
);
const port: fc.Arbitrary<Json> = fc.constantFrom<Json>({ port: 80 }, { port: 81, protocol: 'UDP' }, { port: 'serve-80-tcp' }, { port: 'serve-81-udp', protocol: 'UDP' }, { protocol: 'SCTP' }, { port: 80, endPort: 81, protocol: 'TCP' });
const rule = (peerField: 'from' | 'to'): fc.Arbitrary<Json> =>
  fc.record({ [peerField]: fc.array(peer, { maxLength: 2 }), ports: fc.array(port, { maxLength: 2 }) }, { requiredKeys: [] }) as fc.Arbitrary<Json>;

interface GeneratedPolicy {
  namespace: string;
  spec: Json;
}

const policyIn = (namespaces: readonly string[]): fc.Arbitrary<GeneratedPolicy> =>
  fc
    .record({
      namespace: fc.constantFrom(...namespaces),
      podSelector,
      policyTypes: fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
      ingress: fc.array(rule('from'), { maxLength: 2 }),
      egress: fc.array(rule('to'), { maxLength: 2 }),
    })
    .map(({ namespace, ...spec }) => ({ namespace, spec }));

const policySets = (namespaces: readonly string[] = NAMESPACES) => fc.array(policyIn(namespaces), { minLength: 1, maxLength: 5 });

function modelOf(policies: GeneratedPolicy[]): AnalysisModel {
  return clusterModel({ policies: Object.fromEntries(policies.map((p, i) => [`${p.namespace}/p${i}`, p.spec])) });
}

const ENDPOINTS = [...NAMESPACES.flatMap((ns) => PODS.map((pod) => `${ns}/${pod}`)), '192.0.2.9'];
const PORTS = [
  { port: 80, protocol: 'TCP' },
  { port: 81, protocol: 'UDP' },
  { port: 80, protocol: 'SCTP' },
] as const;
const FLOWS = ENDPOINTS.flatMap((from) => ENDPOINTS.filter((to) => to !== from && !(from.includes('.') && to.includes('.'))).flatMap((to) => PORTS.map((p) => ({ from, to, ...p }))));

/** `from → to port/proto: verdict` for every flow, to compare two models. */
function verdicts(model: AnalysisModel, flows = FLOWS): string[] {
  return flows.map((f) => `${f.from} → ${f.to} ${f.port}/${f.protocol}: ${evaluate(model, f, { explain: false }).verdict}`);
}

const RUNS = { numRuns: 40 };

describe('NetworkPolicy properties', () => {
  it('adding an allow rule never removes connectivity', () => {
    fc.assert(
      fc.property(policySets(), fc.nat(), fc.boolean(), rule('from'), rule('to'), (policies, which, ingress, ingressRule, egressRule) => {
        const target = policies[which % policies.length]!;
        const direction = ingress ? 'ingress' : 'egress';
        const widened = policies.map((p) => (p !== target ? p : { ...p, spec: { ...p.spec, [direction]: [...(p.spec[direction] as Json[]), ingress ? ingressRule : egressRule] } }));
        const before = verdicts(modelOf(policies));
        const after = verdicts(modelOf(widened));
        const lost = before.filter((v, i) => v.endsWith('allow') && !after[i]!.endsWith('allow'));
        expect(lost).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a policy that selects no pod changes nothing', () => {
    fc.assert(
      fc.property(policySets(), policyIn(NAMESPACES), (policies, extra) => {
        const selectsNothing = { ...extra, spec: { ...extra.spec, podSelector: { matchLabels: { pod: 'no-such-pod' } } } };
        expect(verdicts(modelOf([...policies, selectsNothing]))).toEqual(verdicts(modelOf(policies)));
      }),
      RUNS,
    );
  });

  it('reordering policies changes nothing', () => {
    fc.assert(
      fc.property(
        policySets().chain((policies) => fc.tuple(fc.constant(policies), fc.shuffledSubarray(policies, { minLength: policies.length, maxLength: policies.length }))),
        ([policies, shuffled]) => {
          // Names follow positions, so the shuffled file also renames: order and names both vary.
          expect(verdicts(modelOf(shuffled))).toEqual(verdicts(modelOf(policies)));
        },
      ),
      RUNS,
    );
  });

  it('pods of a namespace without policies reach each other', () => {
    const withinZ = FLOWS.filter((f) => f.from.startsWith('z/') && f.to.startsWith('z/'));
    fc.assert(
      fc.property(policySets(['x', 'y']), (policies) => {
        const model = modelOf(policies);
        expect(verdicts(model, withinZ).filter((v) => !v.endsWith('allow'))).toEqual([]);
      }),
      RUNS,
    );
  });
});
