import svcEndpointsDrift from '../../rules/svc-endpoints-drift.js';
import { endpoints, endpointSlice, findLine, kubectlList, pod, service } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const ns = 'shop';
const cartPod = (name: string, ip: string | string[], extra: Partial<Parameters<typeof pod>[0]> = {}) => pod({ namespace: ns, name, labels: { app: 'cart' }, ip, ...extra });
const services = kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' } })]);
const dualServices = kubectlList([
  service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['10.96.14.21', 'fd00:10:96::5a1'] }),
]);

const twoPods = kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'), cartPod('cart-7d9f8b6c5d-x2k4p', '10.244.2.17', { node: 'node-b' })]);
const matchingSlices = kubectlList([
  endpointSlice({
    namespace: ns,
    service: 'cart',
    endpoints: [
      { ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' },
      { ip: '10.244.2.17', pod: 'cart-7d9f8b6c5d-x2k4p', node: 'node-b' },
    ],
  }),
]);

const dualPods = kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', ['10.244.1.16', 'fd00:10:244:1::10'])]);
const dualSlices = kubectlList([
  endpointSlice({ namespace: ns, service: 'cart', addressType: 'IPv4', endpoints: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] }),
  endpointSlice({ namespace: ns, service: 'cart', addressType: 'IPv6', endpoints: [{ ip: 'fd00:10:244:1::10', pod: 'cart-7d9f8b6c5d-4hq8z' }] }),
]);
const ipv4OnlySlices = kubectlList([endpointSlice({ namespace: ns, service: 'cart', addressType: 'IPv4', endpoints: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] })]);

// A pod that is gone, a re-created pod with a new IP, a pod relabelled away from the Service.
const stalePods = kubectlList([
  cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'),
  pod({ namespace: ns, name: 'cart-0', labels: { app: 'cart' }, ip: '10.244.2.44', owner: { kind: 'StatefulSet', name: 'cart' } }),
  pod({ namespace: ns, name: 'cart-7d9f8b6c5d-debug', labels: { app: 'cart-debug' }, ip: '10.244.1.70' }),
]);
const staleSlices = kubectlList([
  endpointSlice({
    namespace: ns,
    service: 'cart',
    endpoints: [
      { ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' },
      { ip: '10.244.1.99', pod: 'cart-7d9f8b6c5d-gone1' },
      { ip: '10.244.2.31', pod: 'cart-0', node: 'node-b' },
      { ip: '10.244.1.70', pod: 'cart-7d9f8b6c5d-debug' },
    ],
  }),
]);

// A new ready replica that the slices do not list yet.
const missingPods = kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'), cartPod('cart-7d9f8b6c5d-n3w99', '10.244.2.50', { node: 'node-b' })]);
const oneEndpointSlices = kubectlList([endpointSlice({ namespace: ns, service: 'cart', endpoints: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] })]);

// Pods split over two slices; the second holds a stale address.
const splitSlices = kubectlList([
  endpointSlice({ namespace: ns, service: 'cart', name: 'cart-abcde', endpoints: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] }),
  endpointSlice({
    namespace: ns,
    service: 'cart',
    name: 'cart-fghij',
    endpoints: [
      { ip: '10.244.2.17', pod: 'cart-7d9f8b6c5d-x2k4p', node: 'node-b' },
      { ip: '10.244.2.18', pod: 'cart-7d9f8b6c5d-zz9yy', node: 'node-b' },
    ],
  }),
]);

// The slice says ready, the pod says not ready.
const unreadyPods = kubectlList([
  cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16', { containers: [{ name: 'cart', readinessProbe: true, state: { running: true }, ready: false }] }),
]);

// Pending pods (no IP yet) and a terminating pod the slice still lists as terminating.
const churnPods = kubectlList([
  cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'),
  pod({ namespace: ns, name: 'cart-7d9f8b6c5d-pq7ls', labels: { app: 'cart' }, containers: [{ name: 'cart', state: { waiting: { reason: 'ContainerCreating' } } }] }),
  cartPod('cart-6c5b4a3921-old11', '10.244.2.5', { deleting: true }),
]);
const churnSlices = kubectlList([
  endpointSlice({
    namespace: ns,
    service: 'cart',
    endpoints: [
      { ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' },
      { ip: '10.244.2.5', pod: 'cart-6c5b4a3921-old11', ready: false, serving: true, terminating: true },
    ],
  }),
]);

const headlessServices = kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, headless: true })]);
const legacyEndpoints = kubectlList([
  endpoints({
    namespace: ns,
    name: 'cart',
    addresses: [
      { ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' },
      { ip: '10.244.1.99', pod: 'cart-7d9f8b6c5d-gone1' },
    ],
  }),
]);

ruleTester(svcEndpointsDrift, {
  valid: [
    { name: 'the slice lists exactly the ready pods', files: { 'cluster/services.json': services, 'cluster/pods.json': twoPods, 'cluster/endpointslices.json': matchingSlices } },
    { name: 'dual-stack: one slice per family', files: { 'cluster/services.json': dualServices, 'cluster/pods.json': dualPods, 'cluster/endpointslices.json': dualSlices } },
    { name: 'a single-stack IPv4 Service of dual-stack pods needs no IPv6 slice', files: { 'cluster/services.json': services, 'cluster/pods.json': dualPods, 'cluster/endpointslices.json': ipv4OnlySlices } },
    { name: 'pods without an IP and terminating pods are not expected', files: { 'cluster/services.json': services, 'cluster/pods.json': churnPods, 'cluster/endpointslices.json': churnSlices } },
    {
      name: 'Endpoints-only: a dual-stack Service lists its primary family only',
      files: {
        'cluster/services.json': dualServices,
        'cluster/pods.json': dualPods,
        'cluster/endpoints.json': kubectlList([endpoints({ namespace: ns, name: 'cart', addresses: [{ ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z' }] })]),
      },
    },
    {
      name: 'a selector-less Service with hand-made slices is not compared',
      files: {
        'cluster/services.json': kubectlList([service({ namespace: ns, name: 'legacy-db', ports: [{ name: 'pg', port: 5432 }] })]),
        'cluster/pods.json': twoPods,
        'cluster/endpointslices.json': kubectlList([endpointSlice({ namespace: ns, service: 'legacy-db', managedBy: 'endpointslicemirroring-controller.k8s.io', ports: [{ name: 'pg', port: 5432 }], endpoints: [{ ip: '192.168.10.5' }] })]),
      },
    },
    {
      name: 'publishNotReadyAddresses lists unready pods as ready on purpose',
      files: {
        'cluster/services.json': kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, publishNotReadyAddresses: true })]),
        'cluster/pods.json': unreadyPods,
        'cluster/endpointslices.json': oneEndpointSlices,
      },
    },
    { name: 'not collected: neither endpointslices nor endpoints', files: { 'cluster/services.json': services, 'cluster/pods.json': twoPods }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'stale addresses: a deleted pod, a re-created pod with a new IP, a relabelled pod',
      files: { 'cluster/services.json': services, 'cluster/pods.json': stalePods, 'cluster/endpointslices.json': staleSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/endpointslices.json', line: findLine(staleSlices, '"10.244.1.99"') },
            { file: 'cluster/endpointslices.json', line: findLine(staleSlices, '"10.244.2.31"') },
            { file: 'cluster/endpointslices.json', line: findLine(staleSlices, '"10.244.1.70"') },
            { file: 'cluster/pods.json', line: findLine(stalePods, '"name": "cart-0"', '"podIPs"', '"ip"') },
          ],
          severity: 'warning',
          titleMatch: /endpoints disagree with its pods \(3 stale addresses, 1 missing pod address\)/,
          messageMatch:
            /10\.244\.1\.99 belongs to pod cart-7d9f8b6c5d-gone1, which no longer exists; 10\.244\.2\.31 belongs to pod cart-0, whose IP is now 10\.244\.2\.44; 10\.244\.1\.70 belongs to pod cart-7d9f8b6c5d-debug, which no longer matches the selector; cart-0 \(10\.244\.2\.44\) is Ready but not listed/,
        },
      ],
    },
    {
      name: 'a ready pod missing from the slices',
      files: { 'cluster/services.json': services, 'cluster/pods.json': missingPods, 'cluster/endpointslices.json': oneEndpointSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/pods.json', line: findLine(missingPods, '"name": "cart-7d9f8b6c5d-n3w99"', '"podIPs"', '"ip"') }],
          messageMatch: /cart-7d9f8b6c5d-n3w99 \(10\.244\.2\.50\) is Ready but not listed/,
        },
      ],
    },
    {
      name: 'dual-stack Service without its IPv6 slice',
      files: { 'cluster/services.json': dualServices, 'cluster/pods.json': dualPods, 'cluster/endpointslices.json': ipv4OnlySlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/pods.json', line: findLine(dualPods, '"podIPs"', '"ip": "fd00:10:244:1::10"') }],
          messageMatch: /cart-7d9f8b6c5d-4hq8z \(fd00:10:244:1::10\) is Ready but not listed/,
        },
      ],
    },
    {
      name: 'several slices: the stale address sits in the second one',
      files: { 'cluster/services.json': services, 'cluster/pods.json': twoPods, 'cluster/endpointslices.json': splitSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/endpointslices.json', line: findLine(splitSlices, '"10.244.2.18"') }],
          messageMatch: /10\.244\.2\.18 belongs to pod cart-7d9f8b6c5d-zz9yy, which no longer exists/,
        },
      ],
    },
    {
      name: 'the slice lists a pod as ready that is not Ready',
      files: { 'cluster/services.json': services, 'cluster/pods.json': unreadyPods, 'cluster/endpointslices.json': oneEndpointSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/endpointslices.json', line: findLine(oneEndpointSlices, '"conditions"', '"ready": true') }],
          messageMatch: /10\.244\.1\.16 \(cart-7d9f8b6c5d-4hq8z\) listed as ready, but the pod is not Ready/,
        },
      ],
    },
    {
      name: 'headless Service: clients resolve the stale address by DNS',
      files: { 'cluster/services.json': headlessServices, 'cluster/pods.json': twoPods, 'cluster/endpointslices.json': splitSlices },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/endpointslices.json', line: findLine(splitSlices, '"10.244.2.18"') }],
          messageMatch: /headless Service resolve its DNS name to these addresses directly/,
        },
      ],
    },
    {
      name: 'Endpoints-only cluster: a stale address in subsets',
      files: { 'cluster/services.json': services, 'cluster/pods.json': kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16')]), 'cluster/endpoints.json': legacyEndpoints },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [{ file: 'cluster/endpoints.json', line: findLine(legacyEndpoints, '"ip": "10.244.1.99"') }],
          messageMatch: /Endpoints shop\/cart and the pods matching the selector now disagree: 10\.244\.1\.99 belongs to pod cart-7d9f8b6c5d-gone1, which no longer exists/,
        },
      ],
    },
  ],
});
