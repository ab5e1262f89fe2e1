import { describe, expect, it } from 'vitest';
import svcTargetportMismatch from '../../rules/svc-targetport-mismatch.js';
import { findLine, kubectlList, pod, service, type ContainerSpec } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

const ns = 'shop';
const cartPod = (name: string, ip: string, containers: ContainerSpec[]) => pod({ namespace: ns, name, labels: { app: 'cart' }, ip, containers });
const httpContainer: ContainerSpec = { name: 'cart', ports: [{ containerPort: 8080, name: 'http' }] };
const cartPods = kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16', [httpContainer]), cartPod('cart-7d9f8b6c5d-x2k4p', '10.244.1.17', [httpContainer])]);
const cartService = (ports: Parameters<typeof service>[0]['ports']) => kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, ports })]);

// Named targetPort that no container declares.
const wrongNameServices = cartService([{ name: 'http', port: 80, targetPort: 'http-web' }]);

// A rollout: the new template declares "metrics", the old one does not.
const rolloutPods = kubectlList([
  cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16', [{ name: 'cart', ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9102, name: 'metrics' }] }]),
  cartPod('cart-6c5b4a3921-k3l4m', '10.244.2.21', [httpContainer]),
]);
const metricsServices = cartService([
  { name: 'http', port: 80, targetPort: 'http' },
  { name: 'metrics', port: 9102, targetPort: 'metrics' },
]);

// DNS on UDP: the Service port is UDP, the container names its port "dns" but as TCP only.
const dnsPods = kubectlList([
  pod({ namespace: ns, name: 'resolver-5f6d7c8b9a-q1w2e', labels: { app: 'resolver' }, ip: '10.244.1.60', containers: [{ name: 'unbound', image: 'mvance/unbound:1.21.1', ports: [{ containerPort: 53, name: 'dns', protocol: 'TCP' }] }] }),
]);
const dnsServices = kubectlList([service({ namespace: ns, name: 'resolver', selector: { app: 'resolver' }, ports: [{ name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' }] })]);
const dnsOkPods = kubectlList([
  pod({
    namespace: ns,
    name: 'resolver-5f6d7c8b9a-q1w2e',
    labels: { app: 'resolver' },
    ip: '10.244.1.60',
    containers: [{ name: 'unbound', ports: [{ containerPort: 53, name: 'dns', protocol: 'UDP' }, { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' }] }],
  }),
]);

// Numeric targetPort the containers do not declare (they declare 8080).
const numericServices = cartService([{ name: 'http', port: 80, targetPort: 3000 }]);
// Numeric targetPort declared only with another protocol.
const udpOnlyPods = kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16', [{ name: 'cart', ports: [{ containerPort: 8080, name: 'quic', protocol: 'UDP' }] }])]);
const tcp8080Services = cartService([{ name: 'http', port: 80, targetPort: 8080 }]);

// Containers that declare no ports at all: the numeric targetPort cannot be judged.
const silentPods = kubectlList([cartPod('cart-7d9f8b6c5d-4hq8z', '10.244.1.16', [{ name: 'cart' }])]);

// The named port lives on a sidecar (init container with restartPolicy Always).
const sidecarPods = kubectlList([
  pod({
    namespace: ns,
    name: 'cart-7d9f8b6c5d-4hq8z',
    labels: { app: 'cart' },
    ip: '10.244.1.16',
    initContainers: [{ name: 'envoy', image: 'envoyproxy/envoy:v1.32.1', restartPolicy: 'Always', ports: [{ containerPort: 15001, name: 'proxy' }] }],
    containers: [httpContainer],
  }),
]);

ruleTester(svcTargetportMismatch, {
  valid: [
    { name: 'named targetPort resolves in every pod', files: { 'cluster/services.json': cartService([{ name: 'http', port: 80, targetPort: 'http' }]), 'cluster/pods.json': cartPods } },
    { name: 'numeric targetPort is declared', files: { 'cluster/services.json': tcp8080Services, 'cluster/pods.json': cartPods } },
    { name: 'named UDP port with a UDP container port of that name', files: { 'cluster/services.json': dnsServices, 'cluster/pods.json': dnsOkPods } },
    { name: 'containers that declare no ports may still listen: not judged', files: { 'cluster/services.json': numericServices, 'cluster/pods.json': silentPods } },
    { name: 'a named port on a sidecar resolves', files: { 'cluster/services.json': cartService([{ name: 'proxy', port: 80, targetPort: 'proxy' }]), 'cluster/pods.json': sidecarPods } },
    { name: 'no selected pod: that is svc-no-endpoints', files: { 'cluster/services.json': wrongNameServices, 'cluster/pods.json': dnsPods } },
    { name: 'not collected: no pods.json', files: { 'cluster/services.json': wrongNameServices }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'named targetPort resolves in no selected pod',
      files: { 'cluster/services.json': wrongNameServices, 'cluster/pods.json': cartPods },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(wrongNameServices, '"targetPort": "http-web"') },
            { file: 'cluster/pods.json', line: findLine(cartPods, '"name": "cart-7d9f8b6c5d-4hq8z"', '"ports"') },
          ],
          severity: 'critical',
          titleMatch: /port http \(80\/TCP\): targetPort "http-web" resolves in no selected pod/,
          messageMatch: /none of the 2 selected pods has one: cart-7d9f8b6c5d-4hq8z \(declares 8080\/TCP \(http\)\)/,
        },
      ],
    },
    {
      name: 'named targetPort missing in the pods of the old template only',
      files: { 'cluster/services.json': metricsServices, 'cluster/pods.json': rolloutPods },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(metricsServices, '"targetPort": "metrics"') },
            { file: 'cluster/pods.json', line: findLine(rolloutPods, '"name": "cart-6c5b4a3921-k3l4m"', '"ports"') },
          ],
          severity: 'warning',
          titleMatch: /targetPort "metrics" is missing in 1 of 2 pods/,
          messageMatch: /resolves in cart-7d9f8b6c5d-4hq8z but not in cart-6c5b4a3921-k3l4m/,
        },
      ],
    },
    {
      name: 'named port with the wrong protocol (dns declared TCP, Service port UDP)',
      files: { 'cluster/services.json': dnsServices, 'cluster/pods.json': dnsPods },
      findings: [
        {
          subjects: ['Service/shop/resolver'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(dnsServices, '"targetPort": "dns"') },
            { file: 'cluster/pods.json', line: findLine(dnsPods, '"ports"', '"protocol": "TCP"') },
          ],
          severity: 'critical',
          messageMatch: /declares dns as TCP, not UDP/,
        },
      ],
    },
    {
      name: 'numeric targetPort not among the declared ports',
      files: { 'cluster/services.json': numericServices, 'cluster/pods.json': cartPods },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(numericServices, '"targetPort": 3000') },
            { file: 'cluster/pods.json', line: findLine(cartPods, '"name": "cart-7d9f8b6c5d-4hq8z"', '"ports"') },
          ],
          severity: 'warning',
          messageMatch: /targetPort 3000\/TCP is declared by no container of cart-7d9f8b6c5d-4hq8z \(declares 8080\/TCP \(http\)\).*informational/,
        },
      ],
    },
    {
      name: 'numeric targetPort declared as UDP only',
      files: { 'cluster/services.json': tcp8080Services, 'cluster/pods.json': udpOnlyPods },
      findings: [
        {
          subjects: ['Service/shop/cart'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(tcp8080Services, '"targetPort": 8080') },
            { file: 'cluster/pods.json', line: findLine(udpOnlyPods, '"ports"', '"protocol": "UDP"') },
          ],
          messageMatch: /declares 8080 as UDP only/,
        },
      ],
    },
  ],
});

describe('svc-targetport-mismatch coverage', () => {
  it('says which numeric targetPorts could not be checked, and why', () => {
    const run = runOnFiles([svcTargetportMismatch], { 'cluster/services.json': numericServices, 'cluster/pods.json': silentPods });
    const coverage = run.coverage.find((c) => c.rule === 'svc-targetport-mismatch')!;
    expect(coverage.detail).toBe('1 Service port checked, 0 findings; 1 numeric targetPort not checkable: the selected containers declare no ports (a process may listen without declaring)');
  });
});
