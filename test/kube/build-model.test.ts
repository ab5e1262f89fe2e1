import { describe, expect, it } from 'vitest';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { buildKubeModel } from '../../analyzer/kube/build-model.js';
import {
  CONFIGMAPS_JSON,
  DAEMONSETS_JSON,
  DEPLOYMENTS_JSON,
  ENDPOINTS_JSON,
  ENDPOINTSLICES_JSON,
  EVENTS_JSON,
  findLine,
  INGRESSCLASSES_JSON,
  INGRESSES_JSON,
  linesEqualTo,
  NAMESPACES_JSON,
  NETWORKPOLICIES_JSON,
  NODES_JSON,
  PODS_JSON,
  SERVICES_JSON,
  SERVICES_YAML,
  VERSION_JSON,
} from './kubectl-fixtures.js';

const FULL_BUNDLE = {
  'cluster/version.json': VERSION_JSON,
  'cluster/namespaces.json': NAMESPACES_JSON,
  'cluster/nodes.json': NODES_JSON,
  'cluster/pods.json': PODS_JSON,
  'cluster/services.json': SERVICES_JSON,
  'cluster/endpointslices.json': ENDPOINTSLICES_JSON,
  'cluster/endpoints.json': ENDPOINTS_JSON,
  'cluster/networkpolicies.json': NETWORKPOLICIES_JSON,
  'cluster/ingresses.json': INGRESSES_JSON,
  'cluster/ingressclasses.json': INGRESSCLASSES_JSON,
  'cluster/configmaps.json': CONFIGMAPS_JSON,
  'cluster/daemonsets.json': DAEMONSETS_JSON,
  'cluster/deployments.json': DEPLOYMENTS_JSON,
  'cluster/events.json': EVENTS_JSON,
};

const build = (files: Record<string, string>) => buildKubeModel(bundleFromFiles(files, 'test-bundle.tgz'));
const EMPTY_LIST = '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n';

describe('buildKubeModel on a full bundle', () => {
  const { value: kube, issues } = build(FULL_BUNDLE);

  it('reads every resource without issue and records it as collected', () => {
    expect(issues).toEqual([]);
    expect([...kube.collected.keys()].sort()).toEqual([
      'configmaps',
      'daemonsets',
      'deployments',
      'endpoints',
      'endpointslices',
      'events',
      'ingressclasses',
      'ingresses',
      'namespaces',
      'networkpolicies',
      'nodes',
      'pods',
      'services',
    ]);
    expect(kube.collected.get('pods')).toEqual({ resource: 'pods', files: ['cluster/pods.json'] });
    expect(kube.serverVersion).toBe('v1.30.2');
  });

  it('names objects Kind/namespace/name, and cluster-scoped ones Kind/name', () => {
    expect(kube.pods.map((p) => p.ref)).toEqual(['Pod/shop/cart-7d9f8b6c4d-x2x7q', 'Pod/shop/cart-7d9f8b6c4d-k8s9z', 'Pod/kube-system/kube-proxy-7xq2m']);
    expect(kube.nodes.map((n) => n.ref)).toEqual(['Node/node-a', 'Node/node-b']);
    expect(kube.ingressClasses[0]!.ref).toBe('IngressClass/nginx');
    expect(kube.namespaces[0]).toMatchObject({ ref: 'Namespace/shop', namespace: '', phase: 'Active' });
  });

  it('keeps metadata and the source of each entity, and no raw object for pods', () => {
    const [cart] = kube.pods;
    expect(cart).toMatchObject({
      kind: 'Pod',
      namespace: 'shop',
      name: 'cart-7d9f8b6c4d-x2x7q',
      uid: '0b6e2f4a-91c3-4c2d-9e1f-3a5b7c9d1e2f',
      labels: { app: 'cart', 'app.kubernetes.io/name': 'cart', 'pod-template-hash': '7d9f8b6c4d' },
      creationTimestamp: '2026-11-26T09:12:44Z',
      ownerReferences: [{ kind: 'ReplicaSet', name: 'cart-7d9f8b6c4d', uid: '6f2a3c1e-8b9d-4e21-a0c4-1f5b2d7e9a10', controller: true }],
    });
    expect(cart!.annotations.note).toBe('a \\ backslash, a ] bracket and a } brace');
    expect(cart!.containers[0]!.args[1]).toBe('--banner={"ok": [1, 2]}');
    expect(cart!.raw).toBeUndefined();
    expect(kube.services[0]!.raw.metadata.name).toBe(kube.services[0]!.name);
    expect(cart!.source).toMatchObject({ file: 'cluster/pods.json', line: linesEqualTo(PODS_JSON, '        {')[0] });
    expect(kube.pods.map((p) => p.source.line)).toEqual(linesEqualTo(PODS_JSON, '        {'));
    expect(cart!.source.at('metadata.labels["app.kubernetes.io/name"]').line).toBe(findLine(PODS_JSON, '"app.kubernetes.io/name": "cart"'));
  });

  describe('pods', () => {
    const [cart, crashing, proxy] = kube.pods;

    it('reads dual-stack podIPs, and falls back to podIP', () => {
      expect(cart!.podIPs).toEqual(['10.244.1.5', 'fd00:10:244:1::5']);
      expect(cart!.podIPsListed).toBe(true);
      expect(crashing!.podIPs).toEqual(['10.244.2.7']);
      expect(crashing!.podIPsListed).toBe(false);
      expect(cart).toMatchObject({ hostIP: '172.18.0.3', nodeName: 'node-a', phase: 'Running' });
    });

    it('reads readiness from the Ready condition', () => {
      expect([cart!.ready, crashing!.ready, proxy!.ready]).toEqual([true, false, true]);
      expect(crashing!.conditions).toEqual([
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [cart]' },
      ]);
    });

    it('reads containers, their named ports with TCP as the default protocol, and probes', () => {
      expect(cart!.containers).toEqual([
        {
          name: 'cart',
          image: 'registry.example.com/shop/cart:1.4.2',
          command: [],
          args: ['--listen=:8080', '--banner={"ok": [1, 2]}'],
          env: [],
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          init: false,
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          hasReadinessProbe: true,
        },
      ]);
      expect(crashing!.containers[0]!.hasReadinessProbe).toBe(false);
      expect(crashing!.initContainers).toEqual([
        {
          name: 'wait-db',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'until nslookup db.shop.svc.cluster.local; do sleep 2; done'],
          args: [],
          env: [],
          ports: [],
          init: true,
          hasReadinessProbe: false,
        },
      ]);
    });

    it('reads container states, last states and restart counts', () => {
      expect(cart!.containerStatuses[0]).toEqual({
        name: 'cart',
        ready: true,
        started: true,
        restartCount: 0,
        state: { kind: 'running', startedAt: '2026-11-26T09:12:47Z' },
        image: 'registry.example.com/shop/cart:1.4.2',
        index: 0,
        init: false,
      });
      expect(crashing!.containerStatuses[0]).toMatchObject({
        ready: false,
        restartCount: 7,
        state: { kind: 'waiting', reason: 'CrashLoopBackOff' },
        lastState: { kind: 'terminated', reason: 'Error', exitCode: 1, finishedAt: '2026-11-26T09:20:11Z' },
      });
      expect(crashing!.initContainerStatuses).toEqual([
        expect.objectContaining({ name: 'wait-db', init: true, index: 0, state: expect.objectContaining({ kind: 'terminated', reason: 'Completed', exitCode: 0 }) }),
      ]);
    });

    it('reads hostNetwork, deletion and DNS policy', () => {
      expect(proxy).toMatchObject({ hostNetwork: true, terminating: true, deletionTimestamp: '2026-11-26T10:00:30Z', podIPs: ['172.18.0.3'] });
      expect([cart!.hostNetwork, cart!.terminating]).toEqual([false, false]);
      expect(cart).toMatchObject({ dnsPolicy: 'ClusterFirst', serviceAccountName: 'default' });
    });

    it('lifts what rules read instead of keeping the object: env, sidecars, readiness gates', () => {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'api-0', namespace: 'shop', uid: '5d1c7a2e-0f3b-4a69-8e2d-7b1f9c4e3a21' },
        spec: {
          containers: [
            {
              name: 'api',
              image: 'registry.example.com/shop/api:2.0.1',
              command: ['/api', '--port', 8080],
              env: [
                { name: 'DB_HOST', value: 'db.shop.svc.cluster.local' },
                { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
              ],
            },
          ],
          initContainers: [
            { name: 'wait-db', image: 'busybox:1.36' },
            { name: 'mesh-proxy', image: 'registry.example.com/mesh/proxy:1.2', restartPolicy: 'Always' },
          ],
          readinessGates: [{ conditionType: 'target-health.elbv2.k8s.aws/api' }],
        },
        status: { podIPs: [], podIP: '10.244.1.9' },
      };
      const { value } = build({ 'cluster/pods.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod] }, null, 4) });
      const [api] = value.pods;
      expect(api!.raw).toBeUndefined();
      expect(api!.containers[0]).toMatchObject({ command: ['/api', '--port', '8080'], args: [] });
      expect(api!.containers[0]!.env).toEqual([{ name: 'DB_HOST', value: 'db.shop.svc.cluster.local' }, { name: 'POD_IP', value: undefined }]);
      expect(api!.initContainers.map((c) => [c.name, c.restartPolicy])).toEqual([
        ['wait-db', undefined],
        ['mesh-proxy', 'Always'],
      ]);
      expect(api!.readinessGates).toEqual(['target-health.elbv2.k8s.aws/api']);
      expect(api).toMatchObject({ podIPs: ['10.244.1.9'], podIPsListed: true });
    });
  });

  describe('services', () => {
    const [cart, headless, external, lb] = kube.services;

    it('reads dual-stack clusterIPs, headless and ExternalName Services', () => {
      expect(cart).toMatchObject({ type: 'ClusterIP', clusterIPs: ['10.96.12.34', 'fd00:10:96::1234'], headless: false, ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack' });
      expect(headless).toMatchObject({ clusterIPs: [], headless: true, publishNotReadyAddresses: true });
      expect(external).toMatchObject({ type: 'ExternalName', externalName: 'payments.example.net', clusterIPs: [], headless: false });
      expect(external!.selector).toBeUndefined();
    });

    it('defaults targetPort to the port, and keeps named target ports', () => {
      expect(cart!.ports).toEqual([
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', index: 0 },
        { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090, index: 1 },
      ]);
      expect(headless!.ports).toEqual([{ name: '', protocol: 'TCP', port: 8080, targetPort: 8080, index: 0 }]);
    });

    it('reads NodePorts, traffic policies and load-balancer ingress by IP or hostname', () => {
      expect(lb).toMatchObject({
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 31974,
        lbIngress: ['203.0.113.10', 'a1b2c3.elb.eu-west-1.amazonaws.com'],
        selector: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/name': 'ingress-nginx' },
      });
      expect(lb!.ports.map((p) => [p.nodePort, p.targetPort, p.appProtocol])).toEqual([
        [30080, 'http', 'http'],
        [30443, 8443, 'https'],
      ]);
      expect(cart).toMatchObject({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 10800, internalTrafficPolicy: 'Cluster', lbIngress: [] });
    });
  });

  describe('endpoint slices and endpoints', () => {
    const [v4, v6, legacy] = kube.endpointSlices;

    it('applies the API defaults to unset conditions', () => {
      expect(v4!.endpoints.map((e) => [e.addresses[0], e.conditions])).toEqual([
        ['10.244.1.5', { ready: true, serving: true, terminating: false }],
        // ready set, serving and terminating unset
        ['10.244.3.9', { ready: true, serving: true, terminating: false }],
        // nothing set: ready
        ['10.244.3.10', { ready: true, serving: true, terminating: false }],
        // not ready, serving unset: serving follows ready
        ['10.244.2.7', { ready: false, serving: false, terminating: false }],
        ['10.244.1.8', { ready: false, serving: true, terminating: true }],
      ]);
    });

    it('reads the owning Service, the manager, ports, node, zone and target', () => {
      expect(v4).toMatchObject({ serviceName: 'cart', managedBy: 'endpointslice-controller.k8s.io', addressType: 'IPv4' });
      expect(v4!.ports).toEqual([
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ]);
      expect(v4!.endpoints[0]).toMatchObject({
        nodeName: 'node-a',
        zone: 'eu-west-1a',
        index: 0,
        targetRef: { kind: 'Pod', namespace: 'shop', name: 'cart-7d9f8b6c4d-x2x7q', uid: '0b6e2f4a-91c3-4c2d-9e1f-3a5b7c9d1e2f' },
      });
      expect(v6).toMatchObject({ addressType: 'IPv6', serviceName: 'cart' });
    });

    it('reads node and zone from the v1beta1 topology map', () => {
      expect(legacy!.endpoints[0]).toMatchObject({ nodeName: 'worker2', zone: 'eu-west-1b', hostname: 'legacy-0' });
      expect(legacy!.ports).toEqual([{ name: '', port: 8081, protocol: 'TCP' }]);
      expect(legacy!.managedBy).toBeUndefined();
    });

    it('flattens Endpoints subsets: addresses are ready, notReadyAddresses are not', () => {
      expect(kube.endpoints[0]!.subsets).toEqual([
        {
          index: 0,
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
          addresses: [
            expect.objectContaining({ ip: '10.244.1.5', ready: true, nodeName: 'node-a' }),
            expect.objectContaining({ ip: '10.244.2.7', ready: false, nodeName: 'node-b', targetRef: expect.objectContaining({ name: 'cart-7d9f8b6c4d-k8s9z' }) }),
          ],
        },
      ]);
    });
  });

  it('defaults NetworkPolicy types as the API server does', () => {
    expect(kube.networkPolicies.map((p) => [p.name, p.policyTypes, p.effectivePolicyTypes])).toEqual([
      ['default-deny-egress', ['Egress'], ['Egress']],
      ['cart-to-db', undefined, ['Ingress', 'Egress']],
      ['allow-from-ingress', undefined, ['Ingress']],
      ['empty-egress', undefined, ['Ingress']],
    ]);
    const [denyAll, cartToDb] = kube.networkPolicies;
    expect(denyAll!.podSelector).toEqual({});
    expect(cartToDb!.podSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/part-of': 'shop' },
      matchExpressions: [{ key: 'app', operator: 'In', values: ['cart', 'checkout'] }],
    });
    expect(cartToDb!.egress).toHaveLength(1);
    expect(cartToDb!.ingress).toBeUndefined();
  });

  describe('ingresses', () => {
    const [shop, docs, legacy] = kube.ingresses;

    it('takes the class from spec.ingressClassName, else the annotation', () => {
      expect([shop!.className, shop!.classFrom]).toEqual(['nginx', 'spec']);
      expect([docs!.className, docs!.classFrom]).toEqual(['traefik', 'annotation']);
      expect([legacy!.className, legacy!.classFrom]).toEqual([undefined, 'none']);
    });

    it('reads v1 backends with the dotted path of each, for evidence', () => {
      expect(shop!.rules).toEqual([
        {
          host: 'shop.example.com',
          paths: [
            { path: '/cart', pathType: 'Prefix', backend: { path: 'spec.rules[0].http.paths[0].backend', service: { name: 'cart', port: { number: 80 } } } },
            { path: '/metrics', pathType: 'Exact', backend: { path: 'spec.rules[0].http.paths[1].backend', service: { name: 'cart', port: { name: 'metrics' } } } },
            {
              path: '/static',
              pathType: 'ImplementationSpecific',
              backend: { path: 'spec.rules[0].http.paths[2].backend', resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static-assets' } },
            },
          ],
        },
      ]);
      const backend = shop!.rules[0]!.paths[1]!.backend;
      expect(shop!.source.at(`${backend.path}.service.port.name`).line).toBe(findLine(INGRESSES_JSON, '"path": "/cart"', '"name": "metrics"'));
      expect(shop!.tls).toEqual([{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
      expect(shop!.lbIngress).toEqual(['203.0.113.10']);
      expect(docs!.defaultBackend).toEqual({ path: 'spec.defaultBackend', service: { name: 'docs', port: { number: 8080 } } });
    });

    it('reads the v1beta1 serviceName/servicePort shape', () => {
      expect(legacy!.rules[0]!.paths.map((p) => p.backend)).toEqual([
        { path: 'spec.rules[0].http.paths[0].backend', service: { name: 'legacy', port: { number: 8081 } } },
        { path: 'spec.rules[0].http.paths[1].backend', service: { name: 'legacy', port: { name: 'admin' } } },
      ]);
    });

    it('reads IngressClass controllers and the default-class annotation', () => {
      expect(kube.ingressClasses.map((c) => [c.name, c.controller, c.isDefault])).toEqual([
        ['nginx', 'k8s.io/ingress-nginx', true],
        ['traefik', 'traefik.io/ingress-controller', false],
      ]);
    });
  });

  it('reads nodes: pod CIDRs of both families, addresses, readiness, taints', () => {
    const [a, b] = kube.nodes;
    expect(a).toMatchObject({
      podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
      ips: ['172.18.0.3'],
      ready: true,
      unschedulable: false,
      kubeletVersion: 'v1.30.2',
      kernelVersion: '6.8.0-45-generic',
      containerRuntimeVersion: 'containerd://1.7.18',
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    });
    expect(a!.addresses).toEqual([
      { type: 'InternalIP', address: '172.18.0.3' },
      { type: 'Hostname', address: 'node-a' },
    ]);
    expect(b).toMatchObject({ podCIDRs: ['10.244.2.0/24'], ips: ['172.18.0.4', '198.51.100.4'], ready: false, unschedulable: true });
  });

  it('reads workloads with their counts, and events of both API shapes', () => {
    expect(kube.daemonSets[0]).toMatchObject({ ref: 'DaemonSet/kube-system/kube-proxy', desired: 3, ready: 2, available: 2, selector: { matchLabels: { 'k8s-app': 'kube-proxy' } } });
    // The API leaves out zero counts: readyReplicas and availableReplicas are absent here.
    expect(kube.deployments[0]).toMatchObject({ ref: 'Deployment/kube-system/coredns', desired: 2, ready: 0, available: 0 });
    expect(kube.deployments[0]!.containers[0]!.ports.map((p) => `${p.name}/${p.protocol}`)).toEqual(['dns/UDP', 'dns-tcp/TCP']);
    expect(kube.events.map((e) => [e.reason, e.type, e.count, e.lastTimestamp, e.involvedObject?.name])).toEqual([
      ['BackOff', 'Warning', 31, '2026-11-26T09:58:40Z', 'cart-7d9f8b6c4d-k8s9z'],
      ['Scheduled', 'Normal', 2, '2026-11-26T09:12:50.000000Z', 'cart-7d9f8b6c4d-k8s9z'],
    ]);
  });

  it('takes the cluster domain from the CoreDNS Corefile', () => {
    expect(kube.configMap('kube-system', 'coredns')?.data.Corefile).toContain('kubernetes corp.internal.');
    expect(kube.clusterDomain).toBe('corp.internal');
  });
});

describe('cluster domain and server version', () => {
  it('prefers the Corefile over the manifest hint, uses the hint without one, and defaults to cluster.local', () => {
    const manifest = JSON.stringify({ format: 'netdump/v1', cluster: { clusterDomain: 'hinted.example.', serverVersion: 'v1.29.0' }, items: [] });
    // bundle-format.md: manifest values are hints, what the objects say wins.
    expect(build({ 'manifest.json': manifest, 'cluster/configmaps.json': CONFIGMAPS_JSON }).value).toMatchObject({
      clusterDomain: 'corp.internal',
      serverVersion: 'v1.29.0',
    });
    expect(build({ 'manifest.json': manifest, 'cluster/pods.json': EMPTY_LIST }).value.clusterDomain).toBe('hinted.example');
    expect(build({ 'cluster/pods.json': EMPTY_LIST }).value.clusterDomain).toBe('cluster.local');
    // version.json, where present, wins over the manifest's hint.
    expect(build({ 'manifest.json': manifest, 'cluster/version.json': VERSION_JSON }).value.serverVersion).toBe('v1.30.2');
  });

  it('reports an unreadable version.json at its line', () => {
    const { value, issues } = build({ 'cluster/version.json': VERSION_JSON.replace('"minor": "30",\n    "gitVersion": "v1.30.2"', '"minor": "30"\n    "gitVersion": "v1.30.2"') });
    expect(value.serverVersion).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ code: 'INVALID_JSON', file: 'cluster/version.json', line: findLine(VERSION_JSON, '"gitVersion": "v1.30.2"') })]);
  });
});

describe('collected resources', () => {
  it('records a resource present with no objects, and leaves out an absent one', () => {
    const { value } = build({ 'cluster/networkpolicies.json': EMPTY_LIST });
    expect(value.collected.has('networkpolicies')).toBe(true);
    expect(value.networkPolicies).toEqual([]);
    expect(value.collected.has('pods')).toBe(false);
  });

  it('leaves out a resource whose file could not be read whole, keeping what was read', () => {
    const truncated = PODS_JSON.slice(0, PODS_JSON.indexOf('"name": "kube-proxy-7xq2m"'));
    const { value, issues } = build({ 'cluster/pods.json': truncated, 'cluster/services.json': SERVICES_JSON });
    expect(value.pods.map((p) => p.name)).toEqual(['cart-7d9f8b6c4d-x2x7q', 'cart-7d9f8b6c4d-k8s9z']);
    expect(value.collected.has('pods')).toBe(false);
    expect(value.collected.has('services')).toBe(true);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'INVALID_JSON', file: 'cluster/pods.json' });
    expect(issues[0]!.message).toMatch(/the 2 item\(s\) before it were read.*\(pods are treated as not collected\)$/);
  });
});

describe('per-namespace splits and YAML twins', () => {
  const shopPods = PODS_JSON.replace(/,\n {8}\{\n {12}"apiVersion": "v1",\n {12}"kind": "Pod",\n {12}"metadata": \{\n {16}"creationTimestamp": "2026-11-20T07:00:00Z"[\s\S]*\n {8}\}\n {4}\],/, '\n    ],');

  it('reads cluster/<resource>/<namespace>.json|yaml beside the whole file', () => {
    expect(JSON.parse(shopPods).items).toHaveLength(2);
    const kubeSystemYaml = [
      'apiVersion: v1',
      'items:',
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata:',
      '    labels:',
      '      k8s-app: kube-dns',
      '    name: coredns-5d78c9869d-abcde',
      '    namespace: kube-system',
      '    uid: 11111111-2222-4333-8444-555555555555',
      '  spec:',
      '    containers:',
      '    - image: registry.k8s.io/coredns/coredns:v1.11.1',
      '      name: coredns',
      '  status:',
      '    podIP: 10.244.1.3',
      'kind: List',
      'metadata:',
      '  resourceVersion: ""',
      '',
    ].join('\n');
    const { value, issues } = build({ 'cluster/pods/shop.json': shopPods, 'cluster/pods/kube-system.yaml': kubeSystemYaml });
    expect(issues).toEqual([]);
    expect(value.pods.map((p) => p.ref)).toEqual(['Pod/kube-system/coredns-5d78c9869d-abcde', 'Pod/shop/cart-7d9f8b6c4d-x2x7q', 'Pod/shop/cart-7d9f8b6c4d-k8s9z']);
    expect(value.collected.get('pods')?.files).toEqual(['cluster/pods/kube-system.yaml', 'cluster/pods/shop.json']);
    const coredns = value.pods[0]!;
    expect(coredns.source).toMatchObject({ file: 'cluster/pods/kube-system.yaml', line: 3 });
    expect(coredns.source.at('status.podIP')).toMatchObject({ line: 16, text: 'podIP: 10.244.1.3' });
    expect(value.podsByIP('10.244.1.3')).toEqual([coredns]);
  });

  it('reads the .yaml twin only when the .json is absent', () => {
    const yamlOnly = build({ 'cluster/services.yaml': SERVICES_YAML });
    expect(yamlOnly.issues).toEqual([]);
    expect(yamlOnly.value.services.map((s) => s.name)).toEqual(['cart', 'cart-headless']);
    expect(yamlOnly.value.services[0]!.source.at('spec.ports[0].targetPort')).toMatchObject({ file: 'cluster/services.yaml', text: 'targetPort: http' });
    expect(yamlOnly.value.collected.get('services')?.files).toEqual(['cluster/services.yaml']);

    const both = build({ 'cluster/services.json': SERVICES_JSON, 'cluster/services.yaml': SERVICES_YAML });
    expect(both.value.services).toHaveLength(4);
    expect(both.value.services.every((s) => s.source.file === 'cluster/services.json')).toBe(true);
  });

  it('drops a second copy of an object, with a warning naming the first', () => {
    const { value, issues } = build({ 'cluster/pods.json': PODS_JSON, 'cluster/pods/shop.json': shopPods });
    expect(value.pods).toHaveLength(3);
    expect(value.pods.every((p) => p.source.file === 'cluster/pods.json')).toBe(true);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ code: 'UNEXPECTED_SHAPE', severity: 'warning', file: 'cluster/pods/shop.json', text: '"name": "cart-7d9f8b6c4d-x2x7q",' });
    expect(issues[0]!.message).toContain(`first read at cluster/pods.json:${linesEqualTo(PODS_JSON, '        {')[0]}`);
  });

  it('gives an object without a namespace that of its split file', () => {
    const list = '{\n    "apiVersion": "v1",\n    "items": [\n        {\n            "kind": "ConfigMap",\n            "metadata": {\n                "name": "coredns"\n            }\n        }\n    ],\n    "kind": "List"\n}\n';
    const { value } = build({ 'cluster/configmaps/kube-system.json': list });
    expect(value.configMaps[0]!.ref).toBe('ConfigMap/kube-system/coredns');
  });
});

describe('objects that cannot be read', () => {
  it('skips an item without metadata.name at its line, and reads the rest', () => {
    const text = SERVICES_JSON.replace('"name": "cart-headless",', '"generateName": "cart-headless-",');
    const { value, issues } = build({ 'cluster/services.json': text });
    expect(value.services.map((s) => s.name)).toEqual(['cart', 'payments', 'ingress-nginx-controller']);
    expect(issues).toEqual([
      {
        code: 'UNEXPECTED_SHAPE',
        file: 'cluster/services.json',
        line: findLine(text, '"generateName": "cart-headless-"') - 2,
        text: '"metadata": {',
        message: 'item 2 (a Service) has no metadata.name; skipped',
      },
    ]);
    expect(value.collected.has('services')).toBe(true);
  });

  it('skips items that are not objects, or of another kind', () => {
    const text = '{\n    "items": [\n        null,\n        {\n            "kind": "Service",\n            "metadata": {\n                "name": "cart",\n                "namespace": "shop"\n            }\n        },\n        {\n            "kind": "Pod",\n            "metadata": {\n                "name": "ok",\n                "namespace": "shop"\n            }\n        }\n    ],\n    "kind": "List"\n}\n';
    const { value, issues } = build({ 'cluster/pods.json': text });
    expect(value.pods.map((p) => p.name)).toEqual(['ok']);
    expect(issues.map((i) => [i.line, i.severity, i.message])).toEqual([
      [3, undefined, 'item 1 is not an object; skipped'],
      [5, 'warning', 'item 2 is a Service, not a Pod; skipped'],
    ]);
  });

  it('reads fields of the wrong type as absent instead of throwing', () => {
    const text = JSON.stringify(
      {
        kind: 'List',
        items: [
          {
            kind: 'Pod',
            metadata: { name: 'odd', namespace: 'shop', labels: { app: 'x', replicas: 3, owner: { team: 'a' } }, ownerReferences: 'none' },
            spec: { containers: [{ name: 'c', ports: 'http' }, 'junk'], hostNetwork: 'yes' },
            status: { podIPs: [{ ip: 7 }, null], podIP: '10.0.0.1', conditions: {}, containerStatuses: [{ state: [] }] },
          },
        ],
      },
      null,
      4,
    );
    const { value, issues } = build({ 'cluster/pods.json': text });
    expect(issues).toEqual([]);
    expect(value.pods[0]).toMatchObject({
      ownerReferences: [],
      hostNetwork: false,
      podIPs: ['10.0.0.1'],
      conditions: [],
      ready: false,
    });
    // Unquoted scalars keep their text (a selector must not widen); objects are left out.
    expect(value.pods[0]!.labels).toEqual({ app: 'x', replicas: '3' });
    expect(value.pods[0]!.containers.map((c) => c.name)).toEqual(['c', '']);
    expect(value.pods[0]!.containerStatuses[0]!.state).toEqual({ kind: 'unknown' });
  });
});

describe('line endings', () => {
  it('builds the same model from CRLF files, with the same lines', () => {
    const crlf = Object.fromEntries(Object.entries(FULL_BUNDLE).map(([path, text]) => [path, text.replace(/\n/g, '\r\n')]));
    const { value, issues } = build(crlf);
    expect(issues).toEqual([]);
    expect(value.pods.map((p) => p.podIPs)).toEqual([['10.244.1.5', 'fd00:10:244:1::5'], ['10.244.2.7'], ['172.18.0.3']]);
    expect(value.pods.map((p) => p.source.line)).toEqual(linesEqualTo(PODS_JSON, '        {'));
    expect(value.services[0]!.source.at('spec.selector["app.kubernetes.io/name"]')).toMatchObject({
      line: findLine(SERVICES_JSON, '"selector": {', '"app.kubernetes.io/name": "cart"'),
      text: '"app.kubernetes.io/name": "cart"',
    });
    expect(value.clusterDomain).toBe('corp.internal');
  });
});
