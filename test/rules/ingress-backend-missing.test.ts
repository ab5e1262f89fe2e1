import ingressBackendMissing from '../../rules/ingress-backend-missing.js';
import { findLine, ingress, kubectlList, service } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const ns = 'shop';
const services = kubectlList([
  service({ namespace: ns, name: 'cart', selector: { app: 'cart' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
  service({ namespace: ns, name: 'frontend', selector: { app: 'frontend' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] }),
  service({ namespace: 'payments', name: 'checkout', selector: { app: 'checkout' }, ports: [{ name: 'http', port: 80 }] }),
]);

const good = kubectlList([
  ingress({
    namespace: ns,
    name: 'shop',
    className: 'nginx',
    defaultBackend: { service: 'frontend', port: 'web' },
    rules: [{ host: 'shop.example.com', paths: [{ path: '/cart', backend: { service: 'cart', port: 80 } }] }],
  }),
]);

// Two paths point at "carts"; the Service is "cart".
const typo = kubectlList([
  ingress({
    namespace: ns,
    name: 'shop',
    className: 'nginx',
    rules: [
      {
        host: 'shop.example.com',
        paths: [
          { path: '/cart', backend: { service: 'carts', port: 80 } },
          { path: '/api/cart', backend: { service: 'carts', port: 80 } },
          { path: '/', backend: { service: 'frontend', port: 80 } },
        ],
      },
    ],
  }),
]);

// The container port (targetPort 8080) used where the Service port (80) belongs.
const targetPortUsed = kubectlList([
  ingress({ namespace: ns, name: 'shop', className: 'nginx', rules: [{ host: 'shop.example.com', paths: [{ path: '/cart', backend: { service: 'cart', port: 8080 } }] }] }),
]);

// defaultBackend names a port that does not exist.
const badDefault = kubectlList([ingress({ namespace: ns, name: 'shop', className: 'nginx', defaultBackend: { service: 'frontend', port: 'http' } })]);

// The Service lives in another namespace: an Ingress cannot reach it.
const crossNamespace = kubectlList([
  ingress({ namespace: ns, name: 'checkout', className: 'nginx', rules: [{ host: 'pay.example.com', paths: [{ path: '/', backend: { service: 'checkout', port: 80 } }] }] }),
]);

// A resource backend (a storage bucket CRD) is not a Service.
const resourceBackend = JSON.parse(good);
resourceBackend.items[0].spec.defaultBackend = { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static-assets' } };

ruleTester(ingressBackendMissing, {
  valid: [
    { name: 'every backend Service and port exists (by number and by name)', files: { 'cluster/ingresses.json': good, 'cluster/services.json': services } },
    { name: 'resource backends are not checked', files: { 'cluster/ingresses.json': JSON.stringify(resourceBackend, null, 4), 'cluster/services.json': services } },
    { name: 'a broken Ingress outside the --namespace scope', files: { 'cluster/ingresses.json': typo, 'cluster/services.json': services }, namespaces: ['payments'] },
    { name: 'not collected: no ingresses.json', files: { 'cluster/services.json': services }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'a missing Service used by two paths: one finding, both lines, a likely typo',
      files: { 'cluster/ingresses.json': typo, 'cluster/services.json': services },
      findings: [
        {
          subjects: ['Ingress/shop/shop'],
          evidence: [
            { file: 'cluster/ingresses.json', line: findLine(typo, '"name": "carts"') },
            { file: 'cluster/ingresses.json', line: findLine(typo, '"name": "carts"', '"name": "carts"') },
          ],
          severity: 'critical',
          titleMatch: /^Ingress shop\/shop routes to Service carts, which does not exist$/,
          messageMatch: /for shop\.example\.com\/cart, shop\.example\.com\/api\/cart.*Similar Service names: cart \(likely typo\)/,
        },
      ],
    },
    {
      name: 'the targetPort used instead of the Service port',
      files: { 'cluster/ingresses.json': targetPortUsed, 'cluster/services.json': services },
      findings: [
        {
          subjects: ['Ingress/shop/shop', 'Service/shop/cart'],
          evidence: [
            { file: 'cluster/ingresses.json', line: findLine(targetPortUsed, '"number": 8080') },
            { file: 'cluster/services.json', line: findLine(services, '"name": "cart"', '"ports"') },
          ],
          messageMatch: /backend cart port 8080 \(for shop\.example\.com\/cart\) is not a port of Service shop\/cart, which offers 80 \(http\)/,
        },
      ],
    },
    {
      name: 'defaultBackend names a port the Service does not have',
      files: { 'cluster/ingresses.json': badDefault, 'cluster/services.json': services },
      findings: [
        {
          subjects: ['Ingress/shop/shop', 'Service/shop/frontend'],
          evidence: [
            { file: 'cluster/ingresses.json', line: findLine(badDefault, '"defaultBackend"', '"name": "http"') },
            { file: 'cluster/services.json', line: findLine(services, '"name": "frontend"', '"ports"') },
          ],
          titleMatch: /routes to port "http" of Service frontend/,
          messageMatch: /\(for defaultBackend\)/,
        },
      ],
    },
    {
      name: 'a Service of another namespace cannot be a backend',
      files: { 'cluster/ingresses.json': crossNamespace, 'cluster/services.json': services },
      findings: [
        {
          subjects: ['Ingress/shop/checkout'],
          evidence: [{ file: 'cluster/ingresses.json', line: findLine(crossNamespace, '"service"', '"name": "checkout"') }],
          messageMatch: /does not exist in namespace shop; an Ingress can only reach Services in its own namespace/,
        },
      ],
    },
  ],
});
