import ingressClassMissing from '../../rules/ingress-class-missing.js';
import { findLine, ingress, ingressClass, kubectlList, pod } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const nginxClass = ingressClass({ name: 'nginx', controller: 'k8s.io/ingress-nginx' });
const classes = kubectlList([nginxClass]);
const defaultClasses = kubectlList([ingressClass({ name: 'nginx', controller: 'k8s.io/ingress-nginx', isDefault: true })]);

const route = (namespace: string, name: string, extra: { className?: string; classAnnotation?: string } = {}) =>
  ingress({ namespace, name, ...extra, rules: [{ host: `${name}.example.com`, paths: [{ path: '/', backend: { service: 'frontend', port: 80 } }] }] });

const controllerPod = (ready: boolean) =>
  pod({
    namespace: 'ingress-nginx',
    name: 'ingress-nginx-controller-7c6974c4d8-2mz5k',
    labels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' },
    ip: '10.244.1.4',
    containers: [
      {
        name: 'controller',
        image: 'registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7',
        ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443, name: 'https' }],
        readinessProbe: true,
        state: { running: true },
        ready,
      },
    ],
    owner: { kind: 'ReplicaSet', name: 'ingress-nginx-controller-7c6974c4d8' },
  });
const runningController = kubectlList([controllerPod(true)]);
const unreadyController = kubectlList([controllerPod(false)]);

const withClass = kubectlList([route('shop', 'shop', { className: 'nginx' })]);
const twoUsers = kubectlList([route('blog', 'blog', { className: 'nginx' }), route('shop', 'shop', { className: 'nginx' })]);
const classless = kubectlList([route('shop', 'shop')]);
const misspelled = kubectlList([route('shop', 'shop', { className: 'ngnix' })]);
const annotated = kubectlList([route('shop', 'shop', { classAnnotation: 'nginx-internal' })]);

const traefikClasses = kubectlList([ingressClass({ name: 'traefik', controller: 'traefik.io/ingress-controller' })]);
const traefikUser = kubectlList([route('shop', 'shop', { className: 'traefik' })]);
const customClasses = kubectlList([ingressClass({ name: 'edge', controller: 'example.com/edge-router' })]);
const customUser = kubectlList([route('shop', 'shop', { className: 'edge' })]);

ruleTester(ingressClassMissing, {
  valid: [
    { name: 'the class exists and its controller runs', files: { 'cluster/ingresses.json': withClass, 'cluster/ingressclasses.json': classes, 'cluster/pods.json': runningController } },
    { name: 'no class, but a default IngressClass', files: { 'cluster/ingresses.json': classless, 'cluster/ingressclasses.json': defaultClasses, 'cluster/pods.json': runningController } },
    { name: 'an unknown controller is not judged', files: { 'cluster/ingresses.json': customUser, 'cluster/ingressclasses.json': customClasses, 'cluster/pods.json': runningController } },
    { name: 'without pods or workloads the controller is not judged', files: { 'cluster/ingresses.json': withClass, 'cluster/ingressclasses.json': classes } },
    { name: 'not collected: no ingressclasses.json', files: { 'cluster/ingresses.json': misspelled }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'no class and no default class',
      files: { 'cluster/ingresses.json': classless, 'cluster/ingressclasses.json': classes },
      findings: [
        {
          subjects: ['Ingress/shop/shop'],
          evidence: [{ file: 'cluster/ingresses.json', line: findLine(classless, '"spec"') }],
          severity: 'warning',
          messageMatch: /no IngressClass is marked default.*existing classes: nginx/,
        },
      ],
    },
    {
      name: 'spec.ingressClassName names a class that does not exist',
      files: { 'cluster/ingresses.json': misspelled, 'cluster/ingressclasses.json': classes },
      findings: [
        {
          subjects: ['Ingress/shop/shop'],
          evidence: [{ file: 'cluster/ingresses.json', line: findLine(misspelled, '"ingressClassName": "ngnix"') }],
          severity: 'critical',
          titleMatch: /names IngressClass ngnix, which does not exist/,
        },
      ],
    },
    {
      name: 'the deprecated annotation names a missing class: a warning',
      files: { 'cluster/ingresses.json': annotated, 'cluster/ingressclasses.json': classes },
      findings: [
        {
          subjects: ['Ingress/shop/shop'],
          evidence: [{ file: 'cluster/ingresses.json', line: findLine(annotated, '"kubernetes.io/ingress.class": "nginx-internal"') }],
          severity: 'warning',
          messageMatch: /--ingress-class=nginx-internal may still honour the deprecated annotation/,
        },
      ],
    },
    {
      name: 'the ingress-nginx controller pod is not ready: one finding for the class and its Ingresses',
      files: { 'cluster/ingresses.json': twoUsers, 'cluster/ingressclasses.json': classes, 'cluster/pods.json': unreadyController },
      findings: [
        {
          subjects: ['IngressClass/nginx', 'Ingress/blog/blog', 'Ingress/shop/shop'],
          evidence: [
            { file: 'cluster/ingressclasses.json', line: findLine(classes, '"controller": "k8s.io/ingress-nginx"') },
            { file: 'cluster/pods.json', line: findLine(unreadyController, '"type": "Initialized"', '"status": "False"') },
            { file: 'cluster/ingresses.json', line: findLine(twoUsers, '"ingressClassName": "nginx"') },
          ],
          severity: 'critical',
          titleMatch: /^IngressClass nginx: the ingress-nginx controller is not running$/,
          messageMatch: /2 Ingresses \(blog\/blog, shop\/shop\) use class nginx.*0 of 1 pods running and ready/,
        },
      ],
    },
    {
      name: 'a Traefik class with no Traefik pod anywhere',
      files: { 'cluster/ingresses.json': traefikUser, 'cluster/ingressclasses.json': traefikClasses, 'cluster/pods.json': runningController },
      findings: [
        {
          subjects: ['IngressClass/traefik', 'Ingress/shop/shop'],
          evidence: [
            { file: 'cluster/ingressclasses.json', line: findLine(traefikClasses, '"controller": "traefik.io/ingress-controller"') },
            { file: 'cluster/ingresses.json', line: findLine(traefikUser, '"ingressClassName": "traefik"') },
          ],
          severity: 'warning',
          titleMatch: /no Traefik controller pod was found/,
        },
      ],
    },
  ],
});
