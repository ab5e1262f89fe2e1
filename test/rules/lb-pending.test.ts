import lbPending from '../../rules/lb-pending.js';
import { event, findLine, kubectlList, node, pod, service } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const ns = 'shop';
const frontend = (extra: Partial<Parameters<typeof service>[0]> = {}) =>
  service({ namespace: ns, name: 'frontend', type: 'LoadBalancer', selector: { app: 'frontend' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }], ...extra });
const pendingServices = kubectlList([frontend()]);
const appPods = kubectlList([pod({ namespace: ns, name: 'frontend-5f6d7c8b9a-q1w2e', labels: { app: 'frontend' }, ip: '10.244.1.20' })]);

const metallbDown = kubectlList([
  pod({ namespace: ns, name: 'frontend-5f6d7c8b9a-q1w2e', labels: { app: 'frontend' }, ip: '10.244.1.20' }),
  pod({
    namespace: 'metallb-system',
    name: 'controller-6dd967fdc7-xk2lp',
    labels: { app: 'metallb', component: 'controller' },
    ip: '10.244.1.3',
    containers: [{ name: 'controller', image: 'quay.io/metallb/controller:v0.14.8', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 9 }],
  }),
]);

const classServices = kubectlList([frontend({ loadBalancerClass: 'service.k8s.aws/nlb' })]);
const requestedIPServices = kubectlList([frontend({ loadBalancerIP: '192.0.2.80' })]);
const cloudNodes = kubectlList([node({ name: 'ip-10-0-1-23.eu-west-1.compute.internal', ip: '10.0.1.23', providerID: 'aws:///eu-west-1a/i-0a1b2c3d4e5f67890' })]);
const lbEvents = kubectlList([
  event({ namespace: ns, kind: 'Service', name: 'frontend', reason: 'SyncLoadBalancerFailed', message: 'Error syncing load balancer: failed to ensure load balancer: TooManyLoadBalancers: Exceeded quota of account 123456789012', count: 7 }),
]);

ruleTester(lbPending, {
  valid: [
    { name: 'the LoadBalancer has an address', files: { 'cluster/services.json': kubectlList([frontend({ lbIngress: ['203.0.113.10'] })]), 'cluster/pods.json': appPods } },
    { name: 'ClusterIP Services have no load balancer', files: { 'cluster/services.json': kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' } })]) } },
    { name: 'a pending LoadBalancer outside the --namespace scope', files: { 'cluster/services.json': pendingServices }, namespaces: ['payments'] },
    { name: 'not collected: no services.json', files: { 'cluster/pods.json': appPods }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'bare metal with no load-balancer implementation',
      files: { 'cluster/services.json': pendingServices, 'cluster/pods.json': appPods },
      findings: [
        {
          subjects: ['Service/shop/frontend'],
          evidence: [{ file: 'cluster/services.json', line: findLine(pendingServices, '"loadBalancer": {}') }],
          severity: 'warning',
          titleMatch: /^LoadBalancer Service shop\/frontend has no external address$/,
          messageMatch: /the ClusterIP and NodePorts still work.*no known load-balancer implementation \(MetalLB, kube-vip/,
        },
      ],
    },
    {
      name: 'MetalLB is installed but its controller is crash-looping',
      files: { 'cluster/services.json': pendingServices, 'cluster/pods.json': metallbDown },
      findings: [
        {
          subjects: ['Service/shop/frontend'],
          evidence: [{ file: 'cluster/services.json', line: findLine(pendingServices, '"loadBalancer": {}') }],
          messageMatch: /MetalLB \(0 of 1 pods running and ready: metallb-system\/controller-6dd967fdc7-xk2lp Running, not ready\); MetalLB has no running and ready pod/,
        },
      ],
    },
    {
      name: 'a loadBalancerClass only its own controller serves',
      files: { 'cluster/services.json': classServices, 'cluster/pods.json': appPods },
      findings: [
        {
          subjects: ['Service/shop/frontend'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(classServices, '"loadBalancer": {}') },
            { file: 'cluster/services.json', line: findLine(classServices, '"loadBalancerClass": "service.k8s.aws/nlb"') },
          ],
          messageMatch: /spec\.loadBalancerClass is service\.k8s\.aws\/nlb: only the controller implementing that class assigns the address/,
        },
      ],
    },
    {
      name: 'a cloud cluster whose controller reports an error event; a requested address',
      files: { 'cluster/services.json': requestedIPServices, 'cluster/nodes.json': cloudNodes, 'cluster/events.json': lbEvents },
      findings: [
        {
          subjects: ['Service/shop/frontend'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(requestedIPServices, '"loadBalancer": {}') },
            { file: 'cluster/services.json', line: findLine(requestedIPServices, '"loadBalancerIP": "192.0.2.80"') },
            { file: 'cluster/events.json', line: findLine(lbEvents, '"message"') },
          ],
          messageMatch: /nodes carry cloud providerIDs \(aws:\/\/\).*requests spec\.loadBalancerIP 192\.0\.2\.80.*SyncLoadBalancerFailed: Error syncing load balancer.*\(x7\)/,
        },
      ],
    },
  ],
});
