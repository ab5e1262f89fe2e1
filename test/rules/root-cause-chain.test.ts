/**
 * Rules name their possible causes as (rule, subject) refs; run together, the engine links
 * them: a Service without ready endpoints is explained by its unready pods, or by endpoints
 * that lag behind Ready pods.
 */
import { describe, expect, it } from 'vitest';
import { allRules } from '../../rules/index.js';
import { endpointSlice, kubectlList, pod, service } from '../helpers/kube-objects.js';
import { runOnFiles } from '../helpers/rule-tester.js';

const ns = 'shop';
const services = kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' } })]);
const crashing = (name: string, ip: string) =>
  pod({ namespace: ns, name, labels: { app: 'cart' }, ip, containers: [{ name: 'cart', ports: [{ containerPort: 8080, name: 'http' }], state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 7, lastTerminated: { reason: 'Error', exitCode: 1 } }] });

describe('root-cause chain', () => {
  it('links svc-endpoints-not-ready to the pod-not-ready finding of each unready pod', () => {
    const run = runOnFiles(allRules, {
      'cluster/services.json': services,
      'cluster/pods.json': kubectlList([crashing('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'), crashing('cart-7d9f8b6c5d-x2k4p', '10.244.2.17')]),
      'cluster/endpointslices.json': kubectlList([
        endpointSlice({
          namespace: ns,
          service: 'cart',
          endpoints: [
            { ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z', ready: false, serving: false },
            { ip: '10.244.2.17', pod: 'cart-7d9f8b6c5d-x2k4p', ready: false, serving: false, node: 'node-b' },
          ],
        }),
      ]),
    });
    expect(run.findings.map((f) => f.rule).sort()).toEqual(['pod-not-ready', 'pod-not-ready', 'svc-endpoints-not-ready']);
    const symptom = run.findings.find((f) => f.rule === 'svc-endpoints-not-ready')!;
    const causes = run.findings.filter((f) => f.rule === 'pod-not-ready');
    expect(symptom.rootCause).toBe(false);
    expect(symptom.causedBy).toEqual(causes.map((c) => c.id).sort());
    for (const cause of causes) {
      expect(cause.rootCause).toBe(true);
      expect(cause.severity).toBe('critical');
      expect(cause.causes).toEqual([symptom.id]);
    }
  });

  it('links svc-endpoints-not-ready to svc-endpoints-drift when Ready pods are not published', () => {
    const run = runOnFiles(allRules, {
      'cluster/services.json': services,
      'cluster/pods.json': kubectlList([pod({ namespace: ns, name: 'cart-7d9f8b6c5d-4hq8z', labels: { app: 'cart' }, ip: '10.244.1.16' })]),
      'cluster/endpointslices.json': kubectlList([endpointSlice({ namespace: ns, service: 'cart', endpoints: [] })]),
    });
    const symptom = run.findings.find((f) => f.rule === 'svc-endpoints-not-ready')!;
    const drift = run.findings.find((f) => f.rule === 'svc-endpoints-drift')!;
    expect(symptom.causedBy).toEqual([drift.id]);
    expect(drift.rootCause).toBe(true);
  });
});
