import { describe, expect, it } from 'vitest';
import podNotReady from '../../rules/pod-not-ready.js';
import { event, findLine, kubectlList, pod, service } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

const ns = 'shop';
const cartService = service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
const services = kubectlList([cartService]);

const readyCart = (name: string, ip: string) => pod({ namespace: ns, name, labels: { app: 'cart', 'pod-template-hash': '7d9f8b6c5d' }, ip });

const crashing = pod({
  namespace: ns,
  name: 'cart-7d9f8b6c5d-x2k4p',
  labels: { app: 'cart', 'pod-template-hash': '7d9f8b6c5d' },
  ip: '10.244.1.17',
  containers: [
    {
      name: 'cart',
      image: 'shop/cart:2.4.1',
      ports: [{ containerPort: 8080, name: 'http' }],
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=cart pod=cart-7d9f8b6c5d-x2k4p_shop' } },
      restartCount: 12,
      lastTerminated: { reason: 'Error', exitCode: 1 },
    },
  ],
});

/** Line of the Ready condition's status in a pod (conditions follow Initialized). */
const readyLine = (text: string, podName: string) => findLine(text, `"name": "${podName}"`, '"type": "Initialized"', '"status"');

const crashPods = kubectlList([readyCart('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'), crashing]);

const probeFailing = pod({
  namespace: ns,
  name: 'cart-7d9f8b6c5d-m9r2c',
  labels: { app: 'cart' },
  ip: '10.244.2.9',
  containers: [{ name: 'cart', ports: [{ containerPort: 8080, name: 'http' }], readinessProbe: true, state: { running: true }, ready: false }],
});
const probePods = kubectlList([probeFailing]);
const probeEvents = kubectlList([
  event({ namespace: ns, kind: 'Pod', name: 'cart-7d9f8b6c5d-m9r2c', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 42 }),
]);

const unschedulable = pod({
  namespace: ns,
  name: 'cart-7d9f8b6c5d-pq7ls',
  labels: { app: 'cart' },
  unschedulable: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
});
const pendingPods = kubectlList([unschedulable]);

const initBlocked = pod({
  namespace: ns,
  name: 'cart-7d9f8b6c5d-w8n3j',
  labels: { app: 'cart' },
  ip: '10.244.1.30',
  initContainers: [{ name: 'migrate', image: 'shop/migrate:2.4.1', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 4, lastTerminated: { reason: 'Error', exitCode: 2 } }],
  containers: [{ name: 'cart', ports: [{ containerPort: 8080, name: 'http' }], state: { waiting: { reason: 'PodInitializing' } } }],
});
const initPods = kubectlList([initBlocked]);

const imagePull = pod({
  namespace: ns,
  name: 'cart-7d9f8b6c5d-b5v6t',
  labels: { app: 'cart' },
  ip: '10.244.1.31',
  containers: [
    {
      name: 'cart',
      image: 'shop/cart:2.4.2',
      state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "shop/cart:2.4.2": ErrImagePull: not found' } },
    },
  ],
});
const imagePods = kubectlList([readyCart('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'), imagePull]);

// A pod selected by two Services is reported once.
const twoServices = kubectlList([cartService, service({ namespace: ns, name: 'cart-admin', selector: { app: 'cart' }, ports: [{ name: 'admin', port: 9090 }] })]);

ruleTester(podNotReady, {
  valid: [
    { name: 'every pod behind the Service is Ready', files: { 'cluster/services.json': services, 'cluster/pods.json': kubectlList([readyCart('cart-7d9f8b6c5d-4hq8z', '10.244.1.16')]) } },
    {
      name: 'an unready pod no Service selects (a batch job) is not a networking problem',
      files: {
        'cluster/services.json': services,
        'cluster/pods.json': kubectlList([pod({ namespace: ns, name: 'report-28871230-abcde', labels: { job: 'report' }, ip: '10.244.1.40', containers: [{ name: 'report', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 3 }], owner: { kind: 'Job', name: 'report-28871230' } })]),
      },
    },
    {
      name: 'terminating and finished pods are not expected to be Ready',
      files: {
        'cluster/services.json': services,
        'cluster/pods.json': kubectlList([
          pod({ namespace: ns, name: 'cart-6c5b4a3921-old11', labels: { app: 'cart' }, ip: '10.244.1.5', deleting: true, ready: false, containers: [{ name: 'cart', state: { running: true }, ready: false }] }),
          pod({ namespace: ns, name: 'cart-6c5b4a3921-evict', labels: { app: 'cart' }, phase: 'Failed', ready: false, containers: [{ name: 'cart', state: { terminated: { reason: 'Evicted', exitCode: 137 } } }] }),
          readyCart('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'),
        ]),
      },
    },
    { name: 'a crash-looping pod in a namespace out of scope', files: { 'cluster/services.json': services, 'cluster/pods.json': crashPods }, namespaces: ['payments'] },
    { name: 'not collected: no pods.json', files: { 'cluster/services.json': services }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'a crash-looping replica next to a ready one: named container, reason, restarts, last exit',
      files: { 'cluster/services.json': services, 'cluster/pods.json': crashPods },
      findings: [
        {
          subjects: ['Pod/shop/cart-7d9f8b6c5d-x2k4p'],
          evidence: [
            { file: 'cluster/pods.json', line: findLine(crashPods, '"name": "cart-7d9f8b6c5d-x2k4p"', '"containerStatuses"', '"waiting"', '"reason"') },
            { file: 'cluster/pods.json', line: findLine(crashPods, '"name": "cart-7d9f8b6c5d-x2k4p"', '"containerStatuses"', '"lastState"', '"reason"') },
            { file: 'cluster/pods.json', line: readyLine(crashPods, 'cart-7d9f8b6c5d-x2k4p') },
          ],
          severity: 'warning',
          titleMatch: /cart-7d9f8b6c5d-x2k4p is not Ready: container cart CrashLoopBackOff/,
          messageMatch: /container cart: waiting \(CrashLoopBackOff\), 12 restarts, last terminated: Error, exit code 1/,
        },
      ],
    },
    {
      name: 'the only pod fails its readiness probe: critical, with the probe event',
      files: { 'cluster/services.json': services, 'cluster/pods.json': probePods, 'cluster/events.json': probeEvents },
      findings: [
        {
          subjects: ['Pod/shop/cart-7d9f8b6c5d-m9r2c'],
          evidence: [
            { file: 'cluster/pods.json', line: findLine(probePods, '"containerStatuses"', '"ready": false') },
            { file: 'cluster/pods.json', line: readyLine(probePods, 'cart-7d9f8b6c5d-m9r2c') },
            { file: 'cluster/events.json', line: findLine(probeEvents, '"message": "Readiness probe failed') },
          ],
          severity: 'critical',
          messageMatch: /running but not ready \(readiness probe failing\).*Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503 \(x42\)/,
        },
      ],
    },
    {
      name: 'Pending: not scheduled, with the scheduler message',
      files: { 'cluster/services.json': services, 'cluster/pods.json': pendingPods },
      findings: [
        {
          subjects: ['Pod/shop/cart-7d9f8b6c5d-pq7ls'],
          evidence: [{ file: 'cluster/pods.json', line: findLine(pendingPods, '"conditions"', '"message": "0/3 nodes') }],
          titleMatch: /Unschedulable/,
          messageMatch: /Pending: not scheduled \(Unschedulable: 0\/3 nodes are available: 3 Insufficient memory/,
        },
      ],
    },
    {
      name: 'an init container that keeps failing blocks the pod',
      files: { 'cluster/services.json': services, 'cluster/pods.json': initPods },
      findings: [
        {
          subjects: ['Pod/shop/cart-7d9f8b6c5d-w8n3j'],
          evidence: [
            { file: 'cluster/pods.json', line: findLine(initPods, '"initContainerStatuses"', '"waiting"', '"reason"') },
            { file: 'cluster/pods.json', line: findLine(initPods, '"initContainerStatuses"', '"lastState"', '"reason"') },
            { file: 'cluster/pods.json', line: readyLine(initPods, 'cart-7d9f8b6c5d-w8n3j') },
          ],
          titleMatch: /init container migrate CrashLoopBackOff/,
          messageMatch: /init container migrate: waiting \(CrashLoopBackOff\), 4 restarts, last terminated: Error, exit code 2/,
        },
      ],
    },
    {
      name: 'an image that cannot be pulled: the message names the image',
      files: { 'cluster/services.json': services, 'cluster/pods.json': imagePods },
      findings: [
        {
          subjects: ['Pod/shop/cart-7d9f8b6c5d-b5v6t'],
          evidence: [
            { file: 'cluster/pods.json', line: findLine(imagePods, '"name": "cart-7d9f8b6c5d-b5v6t"', '"containerStatuses"', '"waiting"', '"reason"') },
            { file: 'cluster/pods.json', line: readyLine(imagePods, 'cart-7d9f8b6c5d-b5v6t') },
          ],
          severity: 'warning',
          messageMatch: /ImagePullBackOff\): Back-off pulling image "shop\/cart:2\.4\.2"/,
        },
      ],
    },
    {
      name: 'a pod selected by two Services is reported once',
      files: { 'cluster/services.json': twoServices, 'cluster/pods.json': crashPods },
      findings: [
        {
          subjects: ['Pod/shop/cart-7d9f8b6c5d-x2k4p'],
          evidence: [
            { file: 'cluster/pods.json', line: findLine(crashPods, '"name": "cart-7d9f8b6c5d-x2k4p"', '"containerStatuses"', '"waiting"', '"reason"') },
            { file: 'cluster/pods.json', line: findLine(crashPods, '"name": "cart-7d9f8b6c5d-x2k4p"', '"containerStatuses"', '"lastState"', '"reason"') },
            { file: 'cluster/pods.json', line: readyLine(crashPods, 'cart-7d9f8b6c5d-x2k4p') },
          ],
          messageMatch: /selected by Services cart, cart-admin/,
        },
      ],
    },
  ],
});

describe('pod-not-ready advice', () => {
  it('offers the previous logs of a restarting container and the pod events', () => {
    const run = runOnFiles([podNotReady], { 'cluster/services.json': services, 'cluster/pods.json': crashPods });
    expect(run.findings[0]!.commands).toEqual([
      'kubectl -n shop describe pod cart-7d9f8b6c5d-x2k4p',
      'kubectl -n shop logs cart-7d9f8b6c5d-x2k4p -c cart --previous',
      'kubectl -n shop get events --field-selector involvedObject.name=cart-7d9f8b6c5d-x2k4p',
    ]);
    expect(run.findings[0]!.data).toMatchObject({ services: ['Service/shop/cart'], containers: [{ container: 'cart', reason: 'CrashLoopBackOff', restarts: 12, lastTermination: { reason: 'Error', exitCode: 1 } }] });
  });
});
