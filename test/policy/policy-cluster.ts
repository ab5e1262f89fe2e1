/**
 * The cluster of the upstream NetworkPolicy truth tables (cyclonus / policy-assistant, e2e
 * netpol): namespaces x, y, z labeled `ns=<name>` (and `kubernetes.io/metadata.name`), pods
 * a, b, c labeled `pod=<name>`, each serving 80 and 81 on TCP, UDP and SCTP from one container
 * per port (`cont-80-tcp` declaring `serve-80-tcp`...), a Service `s-<pod>` per pod, CoreDNS
 * behind kube-dns in kube-system, a `db` pod and Service in x, two nodes and a CNI DaemonSet —
 * all as `kubectl get -A -o json` prints them, for `bundleFromFiles` + `buildModel`.
 */
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { endpointSlice, kubectlList, node, pod, service, uidFor } from '../helpers/kube-objects.js';

type Json = Record<string, unknown>;

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const PODS = ['a', 'b', 'c'] as const;
export const NODE_IPS = { 'node-a': '10.0.0.11', 'node-b': '10.0.0.12' } as const;

/** Pod IPs: x/a 10.244.1.10, x/b 10.244.2.11, x/c 10.244.1.12, y/a 10.244.1.20 ... */
export function podIP(namespace: string, name: string): string {
  const n = NAMESPACES.indexOf(namespace as (typeof NAMESPACES)[number]) + 1;
  const p = PODS.indexOf(name as (typeof PODS)[number]);
  return `10.244.${p === 1 ? 2 : 1}.${n * 10 + p}`;
}

export function podNode(name: string): 'node-a' | 'node-b' {
  return name === 'b' ? 'node-b' : 'node-a';
}

export const CLUSTER_IPS: Record<string, string> = {
  'x/s-a': '10.96.10.1',
  'x/s-b': '10.96.10.2',
  'x/s-c': '10.96.10.3',
  'y/s-a': '10.96.20.1',
  'y/s-b': '10.96.20.2',
  'y/s-c': '10.96.20.3',
  'z/s-a': '10.96.30.1',
  'z/s-b': '10.96.30.2',
  'z/s-c': '10.96.30.3',
  'x/db': '10.96.10.50',
  'kube-system/kube-dns': '10.96.0.10',
};

export const DB_IP = '10.244.2.50';
export const DNS_IPS = ['10.244.1.2', '10.244.2.2'];

export type Cni = 'kube-router' | 'antrea' | 'flannel' | 'cilium' | 'calico' | 'none';

export interface ClusterOptions {
  /** NetworkPolicy specs (name → spec), in namespace x unless `namespace/name` is given. */
  policies?: Record<string, Json>;
  /** AdminNetworkPolicy specs by name. */
  adminPolicies?: Record<string, Json>;
  /** The BaselineAdminNetworkPolicy `default` spec. */
  baselinePolicy?: Json;
  /** Extra labels per `ns/pod`. */
  podLabels?: Record<string, Record<string, string>>;
  /** Extra labels per namespace. */
  namespaceLabels?: Record<string, Record<string, string>>;
  /** The CNI whose DaemonSet runs in kube-system; default kube-router (upstream semantics). */
  cni?: Cni;
  /** More namespaces (name → labels besides kubernetes.io/metadata.name). */
  extraNamespaces?: Record<string, Record<string, string>>;
  /** More pods, as `pod()` of kube-objects.ts builds them. */
  extraPods?: Json[];
  /** More bundle files. */
  files?: Record<string, string>;
}

const CREATED = '2026-11-26T09:00:00Z';

function namespaceObject(name: string, extra: Record<string, string> = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      creationTimestamp: CREATED,
      labels: { 'kubernetes.io/metadata.name': name, ...(NAMESPACES.includes(name as 'x') ? { ns: name } : {}), ...extra },
      name,
      resourceVersion: '4120',
      uid: uidFor('ns', name),
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

const SERVED = [80, 81].flatMap((port) => (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({ port, protocol })));

function testPod(namespace: string, name: string, extraLabels: Record<string, string> = {}): Json {
  return pod({
    namespace,
    name,
    labels: { pod: name, ...extraLabels },
    ip: podIP(namespace, name),
    node: podNode(name),
    hostIP: NODE_IPS[podNode(name)],
    owner: { kind: 'StatefulSet', name: `${namespace}-${name}` },
    containers: SERVED.map(({ port, protocol }) => ({
      name: `cont-${port}-${protocol.toLowerCase()}`,
      image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
      ports: [{ containerPort: port, name: `serve-${port}-${protocol.toLowerCase()}`, protocol }],
    })),
  });
}

export function daemonSet(namespace: string, name: string, labels: Record<string, string>, containers: { name: string; image: string }[]): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { creationTimestamp: CREATED, generation: 1, labels, name, namespace, resourceVersion: '2210', uid: uidFor('ds', namespace, name) },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: containers.map((c) => ({ ...c, imagePullPolicy: 'IfNotPresent', resources: {} })), hostNetwork: true },
      },
    },
    status: { currentNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 2, numberMisscheduled: 0, numberReady: 2, observedGeneration: 1, updatedNumberScheduled: 2 },
  };
}

function cniDaemonSet(cni: Cni): Json[] {
  switch (cni) {
    case 'kube-router':
      return [daemonSet('kube-system', 'kube-router', { 'k8s-app': 'kube-router' }, [{ name: 'kube-router', image: 'docker.io/cloudnativelabs/kube-router:v2.4.1' }])];
    case 'antrea':
      return [daemonSet('kube-system', 'antrea-agent', { app: 'antrea', component: 'antrea-agent' }, [{ name: 'antrea-agent', image: 'antrea/antrea-agent-ubuntu:v2.2.0' }])];
    case 'flannel':
      return [daemonSet('kube-flannel', 'kube-flannel-ds', { app: 'flannel', 'k8s-app': 'flannel' }, [{ name: 'kube-flannel', image: 'ghcr.io/flannel-io/flannel:v0.26.1' }])];
    case 'calico':
      return [daemonSet('calico-system', 'calico-node', { 'k8s-app': 'calico-node' }, [{ name: 'calico-node', image: 'docker.io/calico/node:v3.28.2' }])];
    case 'cilium':
      return [daemonSet('kube-system', 'cilium', { 'k8s-app': 'cilium' }, [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.16.4' }])];
    case 'none':
      return [];
  }
}

export function networkPolicy(qualifiedName: string, spec: Json): Json {
  const [namespace, name] = qualifiedName.includes('/') ? qualifiedName.split('/') : ['x', qualifiedName];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { creationTimestamp: CREATED, generation: 1, name, namespace, resourceVersion: '5310', uid: uidFor('netpol', namespace!, name!) },
    spec,
  };
}

function adminPolicy(kind: 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy', name: string, spec: Json): Json {
  return {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind,
    metadata: { creationTimestamp: CREATED, generation: 1, name, resourceVersion: '6120', uid: uidFor(kind, name) },
    spec,
    status: { conditions: [] },
  };
}

/** The bundle files of the test cluster. */
export function clusterFiles(options: ClusterOptions = {}): Record<string, string> {
  const labelsOf = (ns: string, name: string) => options.podLabels?.[`${ns}/${name}`] ?? {};
  const pods: Json[] = [];
  const services: Json[] = [];
  const slices: Json[] = [];
  for (const ns of NAMESPACES) {
    for (const name of PODS) {
      pods.push(testPod(ns, name, labelsOf(ns, name)));
      const svc = `s-${name}`;
      services.push(
        service({
          namespace: ns,
          name: svc,
          selector: { pod: name },
          clusterIPs: [CLUSTER_IPS[`${ns}/${svc}`]!],
          ports: [
            { name: 'service-port-tcp-80', port: 80, targetPort: 80, protocol: 'TCP' },
            { name: 'service-port-tcp-81', port: 81, targetPort: 81, protocol: 'TCP' },
            { name: 'service-port-udp-80', port: 80, targetPort: 80, protocol: 'UDP' },
          ],
        }),
      );
      slices.push(
        endpointSlice({
          namespace: ns,
          service: svc,
          ports: [
            { name: 'service-port-tcp-80', port: 80, protocol: 'TCP' },
            { name: 'service-port-tcp-81', port: 81, protocol: 'TCP' },
            { name: 'service-port-udp-80', port: 80, protocol: 'UDP' },
          ],
          endpoints: [{ ip: podIP(ns, name), pod: name, node: podNode(name) }],
        }),
      );
    }
  }
  pods.push(
    pod({
      namespace: 'x',
      name: 'db-0',
      labels: { app: 'db', ...labelsOf('x', 'db-0') },
      ip: DB_IP,
      node: 'node-b',
      hostIP: NODE_IPS['node-b'],
      owner: { kind: 'StatefulSet', name: 'db' },
      containers: [{ name: 'postgres', image: 'postgres:16.4', ports: [{ containerPort: 5432, name: 'postgres' }] }],
    }),
  );
  services.push(service({ namespace: 'x', name: 'db', selector: { app: 'db' }, clusterIPs: [CLUSTER_IPS['x/db']!], ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] }));
  slices.push(endpointSlice({ namespace: 'x', service: 'db', ports: [{ name: 'postgres', port: 5432 }], endpoints: [{ ip: DB_IP, pod: 'db-0', node: 'node-b' }] }));

  DNS_IPS.forEach((ip, i) => {
    pods.push(
      pod({
        namespace: 'kube-system',
        name: `coredns-7db6d8ff4d-${['k2x9q', 'p8wzt'][i]}`,
        labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '7db6d8ff4d' },
        ip,
        node: i === 0 ? 'node-a' : 'node-b',
        hostIP: i === 0 ? NODE_IPS['node-a'] : NODE_IPS['node-b'],
        owner: { kind: 'ReplicaSet', name: 'coredns-7db6d8ff4d' },
        containers: [
          {
            name: 'coredns',
            image: 'registry.k8s.io/coredns/coredns:v1.11.3',
            ports: [
              { containerPort: 53, name: 'dns', protocol: 'UDP' },
              { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
              { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
            ],
          },
        ],
      }),
    );
  });
  services.push(
    service({
      namespace: 'kube-system',
      name: 'kube-dns',
      selector: { 'k8s-app': 'kube-dns' },
      clusterIPs: [CLUSTER_IPS['kube-system/kube-dns']!],
      ports: [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, targetPort: 9153, protocol: 'TCP' },
      ],
    }),
  );
  slices.push(
    endpointSlice({
      namespace: 'kube-system',
      service: 'kube-dns',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
      endpoints: DNS_IPS.map((ip, i) => ({ ip, pod: `coredns-7db6d8ff4d-${['k2x9q', 'p8wzt'][i]}`, node: i === 0 ? 'node-a' : 'node-b' })),
    }),
  );

  pods.push(...(options.extraPods ?? []));
  const namespaces = ['default', 'kube-system', ...NAMESPACES].map((n) => namespaceObject(n, options.namespaceLabels?.[n]));
  for (const [name, labels] of Object.entries(options.extraNamespaces ?? {})) namespaces.push(namespaceObject(name, labels));
  const files: Record<string, string> = {
    'cluster/namespaces.json': kubectlList(namespaces),
    'cluster/nodes.json': kubectlList([
      node({ name: 'node-a', ip: NODE_IPS['node-a'], podCIDR: '10.244.1.0/24' }),
      node({ name: 'node-b', ip: NODE_IPS['node-b'], podCIDR: '10.244.2.0/24' }),
    ]),
    'cluster/pods.json': kubectlList(pods),
    'cluster/services.json': kubectlList(services),
    'cluster/endpointslices.json': kubectlList(slices),
    'cluster/daemonsets.json': kubectlList(cniDaemonSet(options.cni ?? 'kube-router')),
    'cluster/networkpolicies.json': kubectlList(Object.entries(options.policies ?? {}).map(([name, spec]) => networkPolicy(name, spec))),
  };
  if (options.adminPolicies) {
    files['cluster/adminnetworkpolicies.json'] = kubectlList(Object.entries(options.adminPolicies).map(([name, spec]) => adminPolicy('AdminNetworkPolicy', name, spec)));
  }
  if (options.baselinePolicy) {
    files['cluster/baselineadminnetworkpolicies.json'] = kubectlList([adminPolicy('BaselineAdminNetworkPolicy', 'default', options.baselinePolicy)]);
  }
  return { ...files, ...options.files };
}

export function clusterModel(options: ClusterOptions = {}): AnalysisModel {
  return buildModel(bundleFromFiles(clusterFiles(options), 'policy-cluster.tgz'));
}
