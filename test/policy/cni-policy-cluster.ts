/**
 * A small cluster for the Calico and Cilium engine tests, built through the real bundle reader
 * and model builder from kubectl-shaped JSON:
 *
 *   node-a 192.168.0.10: shop/web-1 10.0.1.10 (app=web, sa shop-web), shop/cart-1 10.0.1.11
 *                        (app=cart, port http 8080/TCP)
 *   node-b 192.168.0.11: db/postgres-0 10.0.2.20 (app=postgres, role=database, port pg 5432/TCP),
 *                        kube-system/coredns-1 10.0.3.53 (k8s-app=kube-dns, dns 53/UDP, dns-tcp 53/TCP)
 *   namespaces shop (team=web), db (team=data), kube-system
 */
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import type { Bundle } from '../../analyzer/bundle/bundle.js';
import type { KubeModel } from '../../analyzer/kube/types.js';
import type { FlowEndpoint, PolicyFlow } from '../../analyzer/policy/policy-types.js';
import { kubectlList, node, pod, uidFor } from '../helpers/kube-objects.js';

type Json = Record<string, unknown>;

function namespace(name: string, labels: Record<string, string> = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      creationTimestamp: '2026-11-01T08:00:00Z',
      labels: { 'kubernetes.io/metadata.name': name, ...labels },
      name,
      resourceVersion: '1042',
      uid: uidFor('namespace', name),
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function withServiceAccount(json: Json, serviceAccount: string): Json {
  const spec = json.spec as Json;
  spec.serviceAccount = serviceAccount;
  spec.serviceAccountName = serviceAccount;
  return json;
}

export const NAMESPACES = [namespace('shop', { team: 'web' }), namespace('db', { team: 'data' }), namespace('kube-system')];

export const NODES = [node({ name: 'node-a', ip: '192.168.0.10', podCIDR: '10.0.1.0/24' }), node({ name: 'node-b', ip: '192.168.0.11', podCIDR: '10.0.2.0/24' })];

export const PODS = [
  withServiceAccount(
    pod({ namespace: 'shop', name: 'web-1', labels: { app: 'web' }, ip: '10.0.1.10', node: 'node-a', hostIP: '192.168.0.10', containers: [{ name: 'web', ports: [{ containerPort: 80, name: 'http' }] }] }),
    'shop-web',
  ),
  pod({ namespace: 'shop', name: 'cart-1', labels: { app: 'cart' }, ip: '10.0.1.11', node: 'node-a', hostIP: '192.168.0.10', containers: [{ name: 'cart', ports: [{ containerPort: 8080, name: 'http' }] }] }),
  pod({
    namespace: 'db',
    name: 'postgres-0',
    labels: { app: 'postgres', role: 'database' },
    ip: '10.0.2.20',
    node: 'node-b',
    hostIP: '192.168.0.11',
    owner: { kind: 'StatefulSet', name: 'postgres' },
    containers: [{ name: 'postgres', image: 'postgres:16', ports: [{ containerPort: 5432, name: 'pg' }] }],
  }),
  pod({
    namespace: 'kube-system',
    name: 'coredns-1',
    labels: { 'k8s-app': 'kube-dns' },
    ip: '10.0.3.53',
    node: 'node-b',
    hostIP: '192.168.0.11',
    containers: [
      {
        name: 'coredns',
        image: 'registry.k8s.io/coredns/coredns:v1.11.3',
        ports: [
          { containerPort: 53, name: 'dns', protocol: 'UDP' },
          { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
          { containerPort: 9153, name: 'metrics' },
        ],
      },
    ],
  }),
];

/** A networking.k8s.io/v1 NetworkPolicy as kubectl prints it (policyTypes as the API server defaults them). */
export function networkPolicy(namespaceName: string, name: string, spec: Json): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      creationTimestamp: '2026-11-20T10:00:00Z',
      generation: 1,
      name,
      namespace: namespaceName,
      resourceVersion: '20117',
      uid: uidFor('networkpolicy', namespaceName, name),
    },
    spec,
  };
}

/** The cluster files plus extra bundle files (Calico or Cilium resources, network policies). */
export function clusterBundle(extra: Record<string, string> = {}, networkPolicies: Json[] = []): Bundle {
  return bundleFromFiles({
    'cluster/namespaces.json': kubectlList(NAMESPACES),
    'cluster/nodes.json': kubectlList(NODES),
    'cluster/pods.json': kubectlList(PODS),
    'cluster/networkpolicies.json': kubectlList(networkPolicies),
    ...extra,
  });
}

export function kubeModel(bundle: Bundle): KubeModel {
  return buildModel(bundle).kube;
}

export function podEnd(model: KubeModel, ref: string): FlowEndpoint {
  const [ns, name] = ref.split('/') as [string, string];
  const found = model.pod(ns, name);
  if (!found) throw new Error(`no pod ${ref}`);
  return { kind: 'pod', pod: found, ip: found.podIPs[0]! };
}

export function nodeEnd(model: KubeModel, name: string): FlowEndpoint {
  const found = model.node(name);
  if (!found) throw new Error(`no node ${name}`);
  return { kind: 'node', node: found, ip: found.ips[0]! };
}

export function externalEnd(ip: string): FlowEndpoint {
  return { kind: 'external', ip };
}

export function flow(src: FlowEndpoint, dst: FlowEndpoint, port: number | undefined, protocol: PolicyFlow['protocol'] = 'TCP'): PolicyFlow {
  return port === undefined ? { src, dst, protocol } : { src, dst, protocol, port };
}
