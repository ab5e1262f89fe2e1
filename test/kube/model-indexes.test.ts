import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { buildKubeModel } from '../../analyzer/kube/build-model.js';
import { matchesLabelSelector } from '../../analyzer/kube/label-selector.js';
import type { KubeModel, LabelSelector, Pod } from '../../analyzer/kube/types.js';
import {
  CONFIGMAPS_JSON,
  ENDPOINTS_JSON,
  ENDPOINTSLICES_JSON,
  NAMESPACES_JSON,
  NODES_JSON,
  PODS_JSON,
  SERVICES_JSON,
} from './kubectl-fixtures.js';

const build = (files: Record<string, string>) => buildKubeModel(bundleFromFiles(files, 'test-bundle.tgz')).value;

describe('look-ups on a small cluster', () => {
  const kube = build({
    'cluster/namespaces.json': NAMESPACES_JSON,
    'cluster/nodes.json': NODES_JSON,
    'cluster/pods.json': PODS_JSON,
    'cluster/services.json': SERVICES_JSON,
    'cluster/endpointslices.json': ENDPOINTSLICES_JSON,
    'cluster/endpoints.json': ENDPOINTS_JSON,
    'cluster/configmaps.json': CONFIGMAPS_JSON,
  });
  const [cart, crashing, proxy] = kube.pods;
  const [cartService, headless, external, lb] = kube.services;

  it('finds objects by name', () => {
    expect(kube.pod('shop', 'cart-7d9f8b6c4d-k8s9z')).toBe(crashing);
    expect(kube.pod('kube-system', 'cart-7d9f8b6c4d-k8s9z')).toBeUndefined();
    expect(kube.service('shop', 'cart')).toBe(cartService);
    expect(kube.node('node-b')?.unschedulable).toBe(true);
    expect(kube.namespace('shop')?.labels['kubernetes.io/metadata.name']).toBe('shop');
    expect(kube.configMap('kube-system', 'kube-proxy')?.data['config.conf']).toContain('mode: ipvs');
    expect(kube.configMap('shop', 'kube-proxy')).toBeUndefined();
  });

  it('lists pods and Services by namespace', () => {
    expect(kube.podsInNamespace('shop')).toEqual([cart, crashing]);
    expect(kube.podsInNamespace('nowhere')).toEqual([]);
    expect(kube.servicesInNamespace('shop')).toEqual([cartService, headless, external]);
    expect(kube.servicesInNamespace('ingress-nginx')).toEqual([lb]);
  });

  it('finds pods by any of their IPs, hostNetwork pods included', () => {
    expect(kube.podsByIP('fd00:10:244:1::5')).toEqual([cart]);
    expect(kube.podsByIP('10.244.2.7')).toEqual([crashing]);
    expect(kube.podsByIP('172.18.0.3')).toEqual([proxy]);
    expect(kube.podsByIP('10.9.9.9')).toEqual([]);
  });

  it('lists a finished pod after the running pod that reuses its IP', () => {
    const pods = (phase: string, name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'batch', uid: `uid-${name}` },
      spec: { containers: [{ image: 'busybox:1.36', name: 'main' }], nodeName: 'node-a', restartPolicy: 'Never' },
      status: { phase, podIP: '10.244.1.77', podIPs: [{ ip: '10.244.1.77' }] },
    });
    const items = [pods('Succeeded', 'report-28511040-x7k2p'), pods('Running', 'report-28511100-q9w8e')];
    const list = JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4);
    const model = build({ 'cluster/pods.json': list });
    expect(model.podsByIP('10.244.1.77').map((p) => p.name)).toEqual(['report-28511100-q9w8e', 'report-28511040-x7k2p']);
  });

  it('finds a Service by either of its ClusterIPs', () => {
    expect(kube.serviceByClusterIP('10.96.12.34')).toBe(cartService);
    expect(kube.serviceByClusterIP('fd00:10:96::1234')).toBe(cartService);
    expect(kube.serviceByClusterIP('10.96.200.10')).toBe(lb);
    expect(kube.serviceByClusterIP('None')).toBeUndefined();
  });

  it('joins Services to their EndpointSlices (by label) and Endpoints (by name)', () => {
    expect(kube.slicesOf(cartService!).map((s) => s.name)).toEqual(['cart-x7k2p', 'cart-q9w8e']);
    expect(kube.slicesOf(headless!)).toEqual([]);
    expect(kube.endpointsOf(cartService!)?.name).toBe('cart');
    expect(kube.endpointsOf(lb!)).toBeUndefined();
  });

  it('finds the pods of a Service, none for one without a selector', () => {
    expect(kube.podsOfService(cartService!)).toEqual([cart, crashing]);
    expect(kube.podsOfService(headless!)).toEqual([cart, crashing]);
    expect(kube.podsOfService(external!)).toEqual([]);
    expect(kube.podsOfService(lb!)).toEqual([]);
  });

  it('selects by LabelSelector: {} is every pod of the namespace, a missing one none', () => {
    expect(kube.podsSelectedBy('shop', {})).toEqual([cart, crashing]);
    expect(kube.podsSelectedBy('shop', undefined as unknown as LabelSelector)).toEqual([]);
    expect(kube.podsSelectedBy('kube-system', { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-proxy'] }] })).toEqual([proxy]);
    expect(kube.podsSelectedBy('shop', { matchLabels: { app: 'cart' }, matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['cart'] }] })).toEqual([]);
  });

  it('returns arrays the caller may change without harming the indexes', () => {
    const first = kube.podsMatching('shop', { app: 'cart' });
    first.pop();
    kube.podsSelectedBy('shop', {}).pop();
    expect(kube.podsMatching('shop', { app: 'cart' })).toEqual([cart, crashing]);
    expect(kube.podsSelectedBy('shop', {})).toEqual([cart, crashing]);
    expect(kube.podsInNamespace('shop')).toHaveLength(2);
  });

  it('treats an empty Service selector as selecting nothing', () => {
    expect(kube.podsMatching('shop', {})).toEqual([]);
  });
});

// ---- property tests: the indexed look-ups agree with a scan of every pod ----

const NAMESPACES = ['shop', 'payments'];
const KEYS = ['app', 'tier', 'track', 'app.kubernetes.io/name'];
const VALUES = ['cart', 'web', 'api', 'stable', 'canary'];

const labelsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 4 });
const podArb = fc.record({ namespace: fc.constantFrom(...NAMESPACES), labels: labelsArb });
const equalityArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });
const requirementArb = fc.record({
  key: fc.constantFrom(...KEYS),
  operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt'),
  values: fc.uniqueArray(fc.constantFrom(...VALUES), { maxLength: 3 }),
});
const selectorArb: fc.Arbitrary<LabelSelector> = fc.record(
  { matchLabels: equalityArb, matchExpressions: fc.array(requirementArb, { maxLength: 3 }) },
  { requiredKeys: [] },
);

/** A pods.json the way kubectl writes it, for generated pods. */
function podsBundle(pods: { namespace: string; labels: Record<string, string> }[]): KubeModel {
  const items = pods.map((p, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: p.labels, name: `pod-${i}`, namespace: p.namespace, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
    spec: { containers: [{ image: 'registry.example.com/app:1', name: 'app' }], nodeName: 'node-a' },
    status: { phase: 'Running', podIP: `10.244.${i >> 8}.${i & 255}` },
  }));
  return build({ 'cluster/pods.json': `${JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4)}\n` });
}

/** A Service selector read the simplest way: non-empty, and every pair present. */
function equalityScan(pods: readonly Pod[], namespace: string, selector: Record<string, string>): Pod[] {
  const pairs = Object.entries(selector);
  return pods.filter((p) => p.namespace === namespace && pairs.length > 0 && pairs.every(([k, v]) => p.labels[k] === v));
}

describe('indexed selection equals a scan of all pods', () => {
  it('podsMatching (Service selectors)', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 60 }), fc.array(equalityArb, { minLength: 1, maxLength: 8 }), (pods, selectors) => {
        const kube = podsBundle(pods);
        for (const namespace of NAMESPACES) {
          for (const selector of selectors) {
            expect(kube.podsMatching(namespace, selector)).toEqual(equalityScan(kube.pods, namespace, selector));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('podsSelectedBy (metav1.LabelSelector)', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 60 }), fc.array(selectorArb, { minLength: 1, maxLength: 8 }), (pods, selectors) => {
        const kube = podsBundle(pods);
        for (const namespace of NAMESPACES) {
          for (const selector of selectors) {
            const scan = kube.pods.filter((p) => p.namespace === namespace && matchesLabelSelector(p.labels, selector));
            expect(kube.podsSelectedBy(namespace, selector)).toEqual(scan);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
