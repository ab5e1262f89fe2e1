/**
 * A small cluster for the DNS simulation and rule tests, as `kubectl get -A -o json` prints it:
 * two nodes, CoreDNS (2 pods behind kube-dns 10.96.0.10, kubeadm's Corefile), and namespace
 * `shop` with a ClusterIP Service `cart`, a headless Service `cart-redis` with two ready
 * endpoints (one with a hostname), an ExternalName Service `payments`, and client pods.
 * Options change what a test needs: the Corefile, CoreDNS's state, pod DNS settings, extra
 * files (resolv.conf captures, logs, metrics, conntrack -S).
 */
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import { endpointSlice, kubectlList, node, pod, service, uidFor } from '../helpers/kube-objects.js';

type Json = Record<string, any>;

export const KUBE_DNS_IP = '10.96.0.10';
export const COREDNS_PODS = [
  { name: 'coredns-5d78c9869d-8kq2p', node: 'node-a', ip: '10.244.0.3' },
  { name: 'coredns-5d78c9869d-xq7tm', node: 'node-b', ip: '10.244.1.2' },
] as const;
export const CART_IP = '10.104.122.87';
export const FRONTEND = 'frontend-6c9d8f7b5-k2x9p';

/** kubeadm's Corefile (cmd/kubeadm/app/phases/addons/dns). */
export const KUBEADM_COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

/** Ubuntu 22.04's /etc/resolv.conf: systemd-resolved's stub. */
export const SYSTEMD_STUB_RESOLV_CONF = `# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
# Do not edit.
#
# This file might be symlinked as /etc/resolv.conf. If you're looking at
# /etc/resolv.conf and seeing this text, you have followed the symlink.
#
# This is a dynamic resolv.conf file for connecting local clients to the
# internal DNS stub resolver of systemd-resolved. This file lists all
# configured search domains.
#
# Run "resolvectl status" to see details about the uplink DNS servers
# currently in use.
#
# Third party programs should typically not access this file directly, but only
# through the symlink at /etc/resolv.conf. To manage man:resolv.conf(5) in a
# different way, replace this symlink by a static file or a different symlink.
#
# See man:systemd-resolved.service(8) for details about the supported modes of
# operation for /etc/resolv.conf.

nameserver 127.0.0.53
options edns0 trust-ad
search .
`;

/** /run/systemd/resolve/resolv.conf: the uplink servers, what kubeadm's kubelet gives CoreDNS. */
export const UPLINK_RESOLV_CONF = `# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).
# Do not edit.
#
# This file might be symlinked as /etc/resolv.conf. If you're looking at
# /etc/resolv.conf and seeing this text, you have followed the symlink.
#
# This is a dynamic resolv.conf file for connecting local clients directly to
# all known uplink DNS servers. This file lists all configured search domains.
#
# Third party programs should typically not access this file directly, but only
# through the symlink at /etc/resolv.conf. To manage man:resolv.conf(5) in a
# different way, replace this symlink by a static file or a different symlink.
#
# See man:systemd-resolved.service(8) for details about the supported modes of
# operation for /etc/resolv.conf.

nameserver 10.0.0.2
nameserver 10.0.0.3
search .
`;

export const CLUSTER_FIRST_RESOLV_CONF = (namespace: string) => `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local
nameserver ${KUBE_DNS_IP}
options ndots:5
`;

export type CorednsState = 'running' | 'crashloop' | 'one-crashloop' | 'absent';

export interface DnsClusterOptions {
  corefile?: string;
  corednsState?: CorednsState;
  /** Changes to the frontend pod's JSON (dnsPolicy, dnsConfig, image...). */
  frontend?: (pod: Json) => void;
  extraPods?: Json[];
  extraServices?: Json[];
  /** NetworkPolicy objects. */
  policies?: Json[];
  /** CNI DaemonSet name in kube-system (calico-node enforces policy); default calico-node. */
  cni?: string;
  extraConfigMaps?: Json[];
  extraDaemonSets?: Json[];
  /** More bundle files (resolv.conf captures, logs, metrics...). */
  files?: Record<string, string>;
  /** Leave files out. */
  omit?: string[];
}

const CREATED = '2026-11-26T09:00:00Z';

function namespace(name: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { creationTimestamp: CREATED, labels: { 'kubernetes.io/metadata.name': name }, name, resourceVersion: '120', uid: uidFor('ns', name) },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function configMap(namespaceName: string, name: string, data: Record<string, string>): Json {
  return {
    apiVersion: 'v1',
    data,
    kind: 'ConfigMap',
    metadata: { creationTimestamp: CREATED, name, namespace: namespaceName, resourceVersion: '233', uid: uidFor('cm', namespaceName, name) },
  };
}

function workload(kind: 'Deployment' | 'DaemonSet', ns: string, name: string, labels: Record<string, string>, replicas: number, ready: number, containers: Json[]): Json {
  const status = kind === 'Deployment' ? { availableReplicas: ready, readyReplicas: ready, replicas, updatedReplicas: replicas } : { currentNumberScheduled: replicas, desiredNumberScheduled: replicas, numberReady: ready };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { creationTimestamp: CREATED, generation: 1, labels, name, namespace: ns, resourceVersion: '412', uid: uidFor(kind, ns, name) },
    spec: { ...(kind === 'Deployment' ? { replicas } : {}), selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers, dnsPolicy: 'Default' } } },
    status,
  };
}

const COREDNS_CONTAINER = {
  name: 'coredns',
  image: 'registry.k8s.io/coredns/coredns:v1.11.1',
  ports: [
    { containerPort: 53, name: 'dns', protocol: 'UDP' as const },
    { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' as const },
    { containerPort: 9153, name: 'metrics', protocol: 'TCP' as const },
  ],
  readinessProbe: true,
};

function corednsPods(state: CorednsState): Json[] {
  if (state === 'absent') return [];
  return COREDNS_PODS.map((p, i) => {
    const crashing = state === 'crashloop' || (state === 'one-crashloop' && i === 1);
    const json: Json = pod({
      namespace: 'kube-system',
      name: p.name,
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d' },
      ip: p.ip,
      node: p.node,
      hostIP: p.node === 'node-a' ? '10.0.1.11' : '10.0.1.12',
      containers: [
        crashing
          ? { ...COREDNS_CONTAINER, state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=coredns pod=${p.name}_kube-system` } }, restartCount: 17, lastTerminated: { reason: 'Error', exitCode: 1 } }
          : COREDNS_CONTAINER,
      ],
    });
    json.spec.dnsPolicy = 'Default';
    json.spec.containers[0].resources = { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } };
    return json;
  });
}

export function clientPod(name: string, ip: string, nodeName: string, image = 'ghcr.io/acme-shop/frontend:2.14.3', labels: Record<string, string> = { app: name.split('-')[0]! }): Json {
  return pod({ namespace: 'shop', name, labels, ip, node: nodeName, hostIP: nodeName === 'node-a' ? '10.0.1.11' : '10.0.1.12', containers: [{ name: name.split('-')[0]!, image, ports: [{ containerPort: 8080, name: 'http' }] }] });
}

export function dnsClusterFiles(options: DnsClusterOptions = {}): Record<string, string> {
  const state = options.corednsState ?? 'running';
  const corePods = corednsPods(state);
  const frontend = clientPod(FRONTEND, '10.244.1.14', 'node-b');
  options.frontend?.(frontend);
  const cartPods = [clientPod('cart-7b9c6d5f4-abcde', '10.244.1.17', 'node-b', 'ghcr.io/acme-shop/cart:1.8.0', { app: 'cart' })];
  const redis = [
    clientPod('cart-redis-0', '10.244.1.30', 'node-b', 'redis:7.2-alpine', { app: 'cart-redis' }),
    clientPod('cart-redis-1', '10.244.0.31', 'node-a', 'redis:7.2-alpine', { app: 'cart-redis' }),
  ];
  const pods = [...corePods, frontend, ...cartPods, ...redis, ...(options.extraPods ?? [])];

  const kubeDns = service({
    namespace: 'kube-system',
    name: 'kube-dns',
    selector: { 'k8s-app': 'kube-dns' },
    clusterIPs: [KUBE_DNS_IP],
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
    ],
  });
  const services = [
    service({ namespace: 'default', name: 'kubernetes', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, targetPort: 6443 }] }),
    kubeDns,
    service({ namespace: 'shop', name: 'cart', selector: { app: 'cart' }, clusterIPs: [CART_IP] }),
    service({ namespace: 'shop', name: 'cart-redis', selector: { app: 'cart-redis' }, headless: true, ports: [{ name: 'redis', port: 6379, targetPort: 6379 }] }),
    service({ namespace: 'shop', name: 'payments', type: 'ExternalName', externalName: 'payments.example.com' }),
    ...(options.extraServices ?? []),
  ];

  const dnsSlice = endpointSlice({
    namespace: 'kube-system',
    service: 'kube-dns',
    ports: [
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ],
    endpoints: corePods.map((p) => ({ ip: p.status.podIP, pod: p.metadata.name, node: p.spec.nodeName, ready: p.status.conditions.find((c: Json) => c.type === 'Ready').status === 'True' })),
  });
  const redisSlice: Json = endpointSlice({ namespace: 'shop', service: 'cart-redis', ports: [{ name: 'redis', port: 6379 }], endpoints: redis.map((p) => ({ ip: p.status.podIP, pod: p.metadata.name, node: p.spec.nodeName })) });
  redisSlice.endpoints[0].hostname = 'cart-redis-0';
  const slices = [
    dnsSlice,
    endpointSlice({ namespace: 'shop', service: 'cart', endpoints: cartPods.map((p) => ({ ip: p.status.podIP, pod: p.metadata.name, node: p.spec.nodeName })) }),
    redisSlice,
  ];

  const readyCore = corePods.filter((p) => p.status.conditions.find((c: Json) => c.type === 'Ready').status === 'True').length;
  const deployments = state === 'absent' ? [] : [workload('Deployment', 'kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, 2, readyCore, [{ name: 'coredns', image: COREDNS_CONTAINER.image }])];
  const daemonSets = [workload('DaemonSet', 'kube-system', options.cni ?? 'calico-node', { 'k8s-app': options.cni ?? 'calico-node' }, 2, 2, [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.3' }]), ...(options.extraDaemonSets ?? [])];

  const files: Record<string, string> = {
    'cluster/namespaces.json': kubectlList(['default', 'kube-system', 'shop'].map(namespace)),
    'cluster/nodes.json': kubectlList([node({ name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.0.0/24' }), node({ name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.1.0/24' })]),
    'cluster/pods.json': kubectlList(pods),
    'cluster/services.json': kubectlList(services),
    'cluster/endpointslices.json': kubectlList(slices),
    'cluster/networkpolicies.json': kubectlList(options.policies ?? []),
    'cluster/configmaps.json': kubectlList([configMap('kube-system', 'coredns', { Corefile: options.corefile ?? KUBEADM_COREFILE }), ...(options.extraConfigMaps ?? [])]),
    'cluster/deployments.json': kubectlList(deployments),
    'cluster/daemonsets.json': kubectlList(daemonSets),
    ...options.files,
  };
  for (const path of options.omit ?? []) delete files[path];
  return files;
}

export function dnsModel(options: DnsClusterOptions = {}): AnalysisModel {
  return buildModel(bundleFromFiles(dnsClusterFiles(options), 'dns-test.tgz'));
}

/** A NetworkPolicy as kubectl prints it. */
export function networkPolicy(ns: string, name: string, spec: Json): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { creationTimestamp: CREATED, generation: 1, name, namespace: ns, resourceVersion: '511', uid: uidFor('netpol', ns, name) },
    spec,
  };
}
