import svcEndpointsNotReady from '../../rules/svc-endpoints-not-ready.js';
import { endpoints, endpointSlice, findLine, kubectlList, pod, service } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const ns = 'shop';
const cart = service({ namespace: ns, name: 'cart', selector: { app: 'cart' } });
const services = kubectlList([cart]);

const unreadyPod = (name: string, ip: string | string[]) =>
  pod({
    namespace: ns,
    name,
    labels: { app: 'cart' },
    ip,
    containers: [{ name: 'cart', ports: [{ containerPort: 8080, name: 'http' }], readinessProbe: true, state: { running: true }, ready: false }],
  });
const readyPod = (name: string, ip: string) => pod({ namespace: ns, name, labels: { app: 'cart' }, ip });

const unreadyPods = kubectlList([unreadyPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16')]);
const unreadySlices = kubectlList([
  endpointSlice({ namespace: ns, service: 'cart', endpoints: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z', ready: false, serving: false }] }),
]);

// Dual-stack: one slice per address family, both listing the pod as not ready.
const dualService = kubectlList([
  service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['10.96.14.21', 'fd00:10:96::5a1'] }),
]);
const dualPods = kubectlList([unreadyPod('cart-7d9f8b6c5d-4hq8z', ['10.244.1.16', 'fd00:10:244:1::10'])]);
const dualSlices = kubectlList([
  endpointSlice({ namespace: ns, service: 'cart', addressType: 'IPv4', endpoints: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z', ready: false, serving: false }] }),
  endpointSlice({ namespace: ns, service: 'cart', addressType: 'IPv6', endpoints: [{ ip: 'fd00:10:244:1::10', pod: 'cart-7d9f8b6c5d-4hq8z', ready: false, serving: false }] }),
]);

// An old cluster (or bundle) with core/v1 Endpoints only.
const legacyEndpoints = kubectlList([endpoints({ namespace: ns, name: 'cart', notReadyAddresses: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] })]);

// Pods without an IP yet: the controller writes a slice with "endpoints": null.
const pendingPods = kubectlList([
  pod({ namespace: ns, name: 'cart-7d9f8b6c5d-pq7ls', labels: { app: 'cart' }, containers: [{ name: 'cart', state: { waiting: { reason: 'ContainerCreating' } } }] }),
]);
const emptySlices = kubectlList([endpointSlice({ namespace: ns, service: 'cart', endpoints: [] })]);

// During a rollout the old pod is terminating but still serving: kube-proxy falls back to it.
const rolloutPods = kubectlList([
  unreadyPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'),
  pod({ namespace: ns, name: 'cart-6c5b4a3921-old11', labels: { app: 'cart' }, ip: '10.244.2.5', deleting: true, ready: true }),
]);
const rolloutSlices = kubectlList([
  endpointSlice({
    namespace: ns,
    service: 'cart',
    endpoints: [
      { ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z', ready: false, serving: false },
      { ip: '10.244.2.5', pod: 'cart-6c5b4a3921-old11', ready: false, serving: true, terminating: true },
    ],
  }),
]);

const otherSlices = kubectlList([endpointSlice({ namespace: ns, service: 'web', endpoints: [{ ip: '10.244.2.10', pod: 'web-5f6d7c8b9a-q1w2e' }] })]);

ruleTester(svcEndpointsNotReady, {
  valid: [
    {
      name: 'a ready endpoint exists',
      files: {
        'cluster/services.json': services,
        'cluster/pods.json': kubectlList([readyPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16')]),
        'cluster/endpointslices.json': kubectlList([endpointSlice({ namespace: ns, service: 'cart', endpoints: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] })]),
      },
    },
    {
      name: 'a hand-written slice without conditions: ready unset counts as ready',
      files: {
        'cluster/services.json': services,
        'cluster/pods.json': unreadyPods,
        'cluster/endpointslices.json': kubectlList([endpointSlice({ namespace: ns, service: 'cart', endpoints: [{ ip: '10.244.1.16', ready: null }] })]),
      },
    },
    {
      name: 'publishNotReadyAddresses publishes unready pods on purpose',
      files: {
        'cluster/services.json': kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, publishNotReadyAddresses: true })]),
        'cluster/pods.json': unreadyPods,
        'cluster/endpointslices.json': unreadySlices,
      },
    },
    {
      name: 'no pod matches: that is svc-no-endpoints',
      files: { 'cluster/services.json': services, 'cluster/pods.json': kubectlList([pod({ namespace: ns, name: 'web-5f6d7c8b9a-q1w2e', labels: { app: 'web' }, ip: '10.244.2.10' })]), 'cluster/endpointslices.json': emptySlices },
    },
    {
      name: 'Endpoints-only cluster with a ready address',
      files: {
        'cluster/services.json': services,
        'cluster/pods.json': kubectlList([readyPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16')]),
        'cluster/endpoints.json': kubectlList([endpoints({ namespace: ns, name: 'cart', addresses: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] })]),
      },
    },
    { name: 'not collected: neither endpointslices nor endpoints', files: { 'cluster/services.json': services, 'cluster/pods.json': unreadyPods }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'the only endpoint is not ready',
      files: { 'cluster/services.json': services, 'cluster/pods.json': unreadyPods, 'cluster/endpointslices.json': unreadySlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/endpointslices.json', line: findLine(unreadySlices, '"conditions"', '"ready": false') }],
          severity: 'critical',
          titleMatch: /^Service shop\/cart has no ready endpoint$/,
          messageMatch: /1 pod matches selector app=cart, but EndpointSlice shop\/cart-\w+ lists 1 address, none ready; not ready: cart-7d9f8b6c5d-4hq8z/,
        },
      ],
    },
    {
      name: 'dual-stack: both slices list the pod as not ready',
      files: { 'cluster/services.json': dualService, 'cluster/pods.json': dualPods, 'cluster/endpointslices.json': dualSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/endpointslices.json', line: findLine(dualSlices, '"addressType": "IPv4"', '"ready": false') },
            { file: 'cluster/endpointslices.json', line: findLine(dualSlices, '"addressType": "IPv6"', '"ready": false') },
          ],
          messageMatch: /list 2 addresses, none ready/,
        },
      ],
    },
    {
      name: 'Endpoints-only cluster: the pod sits in notReadyAddresses',
      files: { 'cluster/services.json': services, 'cluster/pods.json': unreadyPods, 'cluster/endpoints.json': legacyEndpoints },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/endpoints.json', line: findLine(legacyEndpoints, '"notReadyAddresses"', '"ip": "10.244.1.16"') }],
          messageMatch: /Endpoints shop\/cart lists 1 address, none ready/,
        },
      ],
    },
    {
      name: 'pods without an IP yet: the slice lists no address',
      files: { 'cluster/services.json': services, 'cluster/pods.json': pendingPods, 'cluster/endpointslices.json': emptySlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/endpointslices.json', line: findLine(emptySlices, '"endpoints": null') }],
          messageMatch: /lists no address; not ready: cart-7d9f8b6c5d-pq7ls/,
        },
      ],
    },
    {
      name: 'no slice at all names the Service',
      files: { 'cluster/services.json': services, 'cluster/pods.json': unreadyPods, 'cluster/endpointslices.json': otherSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/services.json', line: findLine(services, '"selector"') }],
          messageMatch: /no EndpointSlice or Endpoints object exists for it/,
        },
      ],
    },
    {
      name: 'a rollout: only a terminating endpoint still serves, so this is a warning',
      files: { 'cluster/services.json': services, 'cluster/pods.json': rolloutPods, 'cluster/endpointslices.json': rolloutSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/endpointslices.json', line: findLine(rolloutSlices, '"10.244.1.16"', '"ready": false') },
            { file: 'cluster/endpointslices.json', line: findLine(rolloutSlices, '"10.244.2.5"', '"ready": false') },
          ],
          severity: 'warning',
          messageMatch: /kube-proxy falls back to 1 terminating endpoint that still serves, until it exits/,
        },
      ],
    },
  ],
});
