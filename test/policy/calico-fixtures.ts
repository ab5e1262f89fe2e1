/**
 * Calico resources as `calicoctl get <resource> -o json` prints them, and a test cluster
 * (cni-policy-cluster.ts) with them read through readCalicoResources.
 */
import { expect } from 'vitest';
import type { KubeModel } from '../../analyzer/kube/types.js';
import { readCalicoResources } from '../../analyzer/policy/calico/calico-resources.js';
import type { CalicoResources } from '../../analyzer/policy/calico/calico-types.js';
import { evaluateCalicoDirection } from '../../analyzer/policy/calico/evaluate-calico.js';
import type { DirectionVerdict, FlowEndpoint, PolicyFlow } from '../../analyzer/policy/policy-types.js';
import { uidFor } from '../helpers/kube-objects.js';
import { clusterBundle, kubeModel, podEnd } from './cni-policy-cluster.js';

type Json = Record<string, unknown>;

/** What `calicoctl get <resource> -o json` prints: a <Kind>List of projectcalico.org/v3 objects, 2-space indent. */
export function calicoctlList(kind: string, items: Json[]): string {
  const objects = items.map((item) => ({ kind, apiVersion: 'projectcalico.org/v3', ...item }));
  return `${JSON.stringify({ kind: `${kind}List`, apiVersion: 'projectcalico.org/v3', metadata: { resourceVersion: '84113' }, items: objects }, null, 2)}\n`;
}

export function meta(name: string, namespace?: string): Json {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    uid: uidFor('calico', namespace ?? '', name),
    resourceVersion: '84090',
    creationTimestamp: '2026-11-20T10:00:00Z',
  };
}

export const gnp = (name: string, spec: Json): Json => ({ metadata: meta(name), spec });
export const cnp = (namespace: string, name: string, spec: Json): Json => ({ metadata: meta(name, namespace), spec });
export const tier = (name: string, spec: Json): Json => ({ metadata: meta(name), spec });

export interface Setup {
  tiers?: Json[];
  globalnetworkpolicies?: Json[];
  networkpolicies?: Json[];
  profiles?: Json[];
  globalnetworksets?: Json[];
  hostendpoints?: Json[];
  stagednetworkpolicies?: Json[];
  k8s?: Json[];
}

const KINDS: Record<Exclude<keyof Setup, 'k8s'>, string> = {
  tiers: 'Tier',
  globalnetworkpolicies: 'GlobalNetworkPolicy',
  networkpolicies: 'NetworkPolicy',
  profiles: 'Profile',
  globalnetworksets: 'GlobalNetworkSet',
  hostendpoints: 'HostEndpoint',
  stagednetworkpolicies: 'StagedNetworkPolicy',
};

export interface Cluster {
  model: KubeModel;
  resources: CalicoResources;
  files: Record<string, string>;
  judge(direction: 'ingress' | 'egress', flow: PolicyFlow): DirectionVerdict;
  pod(ref: string): FlowEndpoint;
}

export function cluster(setup: Setup = {}): Cluster {
  const files: Record<string, string> = {};
  for (const [resource, kind] of Object.entries(KINDS)) {
    const items = setup[resource as keyof typeof KINDS];
    if (items) files[`cluster/calico/${resource}.json`] = calicoctlList(kind, items);
  }
  const bundle = clusterBundle(files, setup.k8s ?? []);
  const model = kubeModel(bundle);
  const read = readCalicoResources(bundle);
  expect(read.issues).toEqual([]);
  return {
    model,
    resources: read.value,
    files,
    judge: (direction, f) =>
      evaluateCalicoDirection({ direction, flow: f, resources: read.value, k8sPolicies: model.networkPolicies, namespaceOf: (n) => model.namespace(n) }),
    pod: (ref) => podEnd(model, ref),
  };
}

