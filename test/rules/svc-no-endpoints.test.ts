import { describe, expect, it } from 'vitest';
import svcNoEndpoints from '../../rules/svc-no-endpoints.js';
import { findLine, kubectlList, pod, service } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

const ns = 'shop';
const cartPod = (name: string, ip: string, labels: Record<string, string>) => pod({ namespace: ns, name, ip, labels: { ...labels, 'pod-template-hash': '7d9f8b6c5d' } });

// The Service wants app=cart, the Deployment's pods carry app=carts.
const typoServices = kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' } })]);
const typoPods = kubectlList([
  cartPod('carts-7d9f8b6c5d-4hq8z', '10.244.1.16', { app: 'carts' }),
  cartPod('carts-7d9f8b6c5d-x2k4p', '10.244.1.17', { app: 'carts' }),
  cartPod('carts-7d9f8b6c5d-m9r2c', '10.244.2.9', { app: 'carts' }),
  pod({ namespace: ns, name: 'web-5f6d7c8b9a-q1w2e', ip: '10.244.2.10', labels: { app: 'web' } }),
]);

// Two requirements; the pods meet one of them.
const tierServices = kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart', tier: 'backend' } })]);
const tierPods = kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16', { app: 'cart', tier: 'web' }), cartPod('cart-7d9f8b6c5d-x2k4p', '10.244.1.17', { app: 'cart', tier: 'web' })]);

// A recommended-label key, which needs the bracket path form.
const dottedServices = kubectlList([service({ namespace: ns, name: 'checkout', selector: { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/part-of': 'shop' } })]);
const dottedPods = kubectlList([
  pod({ namespace: ns, name: 'checkout-6b7c8d9e0f-h7j8k', ip: '10.244.1.50', labels: { 'app.kubernetes.io/name': 'check-out', 'app.kubernetes.io/part-of': 'shop' } }),
]);

const unrelatedServices = kubectlList([service({ namespace: ns, name: 'payments', selector: { app: 'payments' } })]);
const unrelatedPods = kubectlList([
  pod({ namespace: ns, name: 'web-5f6d7c8b9a-q1w2e', ip: '10.244.2.10', labels: { app: 'web' } }),
  pod({ namespace: ns, name: 'web-5f6d7c8b9a-r3t4y', ip: '10.244.2.11', labels: { app: 'web' } }),
  pod({ namespace: ns, name: 'db-0', ip: '10.244.2.12', labels: { app: 'db' }, owner: { kind: 'StatefulSet', name: 'db' } }),
]);

const emptyNsServices = kubectlList([service({ namespace: 'shop-v2', name: 'cart', selector: { app: 'cart' } })]);

ruleTester(svcNoEndpoints, {
  valid: [
    { name: 'the selector matches pods', files: { 'cluster/services.json': typoServices, 'cluster/pods.json': kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16', { app: 'cart' })]) } },
    {
      name: 'selector-less and ExternalName Services are left alone',
      files: {
        'cluster/services.json': kubectlList([
          service({ namespace: ns, name: 'legacy-db', ports: [{ name: 'pg', port: 5432 }] }),
          service({ namespace: ns, name: 'partner-api', type: 'ExternalName', externalName: 'api.partner.example.com', selector: { app: 'ignored' } }),
        ]),
        'cluster/pods.json': typoPods,
      },
    },
    { name: 'a broken Service outside the --namespace scope', files: { 'cluster/services.json': typoServices, 'cluster/pods.json': typoPods }, namespaces: ['payments'] },
    { name: 'not collected: no pods.json', files: { 'cluster/services.json': typoServices }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'app=cart vs app=carts: a likely typo, pointing at both labels',
      files: { 'cluster/services.json': typoServices, 'cluster/pods.json': typoPods },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(typoServices, '"selector"', '"app": "cart"') },
            { file: 'cluster/pods.json', line: findLine(typoPods, '"labels"', '"app": "carts"') },
          ],
          severity: 'critical',
          titleMatch: /^Service shop\/cart selects no pods$/,
          messageMatch: /selector app=cart matches none of the 4 pods in namespace shop; likely typo: 3 pods \(carts-7d9f8b6c5d-4hq8z, carts-7d9f8b6c5d-x2k4p, carts-7d9f8b6c5d-m9r2c\) carry app=carts where the selector wants app=cart/,
        },
      ],
    },
    {
      name: 'pods meet all but one requirement: the nearest label set says which',
      files: { 'cluster/services.json': tierServices, 'cluster/pods.json': tierPods },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(tierServices, '"selector"', '"tier": "backend"') },
            { file: 'cluster/pods.json', line: findLine(tierPods, '"labels"', '"tier": "web"') },
          ],
          messageMatch: /nearest label sets: app=cart,tier=web on 2 pods \(cart-7d9f8b6c5d-4hq8z, cart-7d9f8b6c5d-x2k4p; misses tier=backend \(has web\)\)/,
        },
      ],
    },
    {
      name: 'a typo under a dotted key (app.kubernetes.io/name)',
      files: { 'cluster/services.json': dottedServices, 'cluster/pods.json': dottedPods },
      findings: [
        {
          subjects: ['Service/shop/checkout'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(dottedServices, '"selector"', '"app.kubernetes.io/name": "checkout"') },
            { file: 'cluster/pods.json', line: findLine(dottedPods, '"labels"', '"app.kubernetes.io/name": "check-out"') },
          ],
          messageMatch: /likely typo: 1 pod \(checkout-6b7c8d9e0f-h7j8k\) carries app\.kubernetes\.io\/name=check-out/,
        },
      ],
    },
    {
      name: 'nothing close: the label sets that exist are listed',
      files: { 'cluster/services.json': unrelatedServices, 'cluster/pods.json': unrelatedPods },
      findings: [
        {
          subjects: ['Service/shop/payments'],
          evidence: [{ file: 'cluster/services.json', line: findLine(unrelatedServices, '"selector"', '"app": "payments"') }],
          messageMatch: /no pod carries any of the wanted labels; pods there carry app=web \(2 pods\), app=db \(1 pod\)/,
        },
      ],
    },
    {
      name: 'a namespace without pods says so',
      files: { 'cluster/services.json': emptyNsServices, 'cluster/pods.json': typoPods },
      findings: [
        {
          subjects: ['Service/shop-v2/cart'],
          evidence: [{ file: 'cluster/services.json', line: findLine(emptyNsServices, '"selector"') }],
          titleMatch: /namespace shop-v2 has no pods/,
        },
      ],
    },
  ],
});

describe('svc-no-endpoints data for scripts', () => {
  it('lists the typo and the pods carrying it', () => {
    const run = runOnFiles([svcNoEndpoints], { 'cluster/services.json': typoServices, 'cluster/pods.json': typoPods });
    expect(run.findings[0]!.data).toMatchObject({
      selector: { app: 'cart' },
      podsInNamespace: 4,
      typos: [{ key: 'app', wanted: 'cart', foundKey: 'app', foundValue: 'carts', pods: ['Pod/shop/carts-7d9f8b6c5d-4hq8z', 'Pod/shop/carts-7d9f8b6c5d-x2k4p', 'Pod/shop/carts-7d9f8b6c5d-m9r2c'] }],
    });
    expect(run.findings[0]!.commands).toContain('kubectl -n shop get pods -l app=cart');
  });
});
