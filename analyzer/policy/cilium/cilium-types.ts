/**
 * Cilium policies as the evaluator reads them: CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy
 * rules (`spec` and `specs[]`) and Kubernetes NetworkPolicies as Cilium translates them, with
 * selectors compiled against security identities and each rule keeping its field path.
 */
import type { LabelSelector, Labels, Namespace, Node, ObjectSource, Pod } from '../../kube/types.js';
import type { IdentityLabels } from './cilium-identity.js';
import type { Cidr } from '../../netfilter/ip-cidr.js';


/** What Cilium sees at one end of a flow. */
export interface CiliumIdentity {
  kind: 'pod' | 'host' | 'remote-node' | 'world' | 'kube-apiserver';
  labels: IdentityLabels;
  /** Address family of the flow's address at this end. */
  family: 4 | 6 | undefined;
  pod?: Pod;
  /** For a pod: its namespace's labels (what `io.cilium.k8s.namespace.labels.*` carry). */
  namespaceLabels?: Labels;
  node?: Node;
  /** For reasons: `pod shop/web-1 (10.0.1.10)`, `world 1.1.1.1`, `remote-node node-b (192.168.0.11)`. */
  label: string;
}

/** An endpoint selector compiled against identity labels. */
export interface IdentitySelector {
  /** As kubectl would print it, after Cilium's namespace scoping (`app=web,k8s:io.kubernetes.pod.namespace=shop`). */
  readonly text: string;
  matches(identity: CiliumIdentity): boolean;
}

export interface CiliumCidr {
  text: string;
  cidr: Cidr;
  except: Cidr[];
}

export interface CiliumPort {
  /** A number, a named port, or undefined/0 for every port. */
  port?: number | string;
  endPort?: number;
  /** ANY covers TCP, UDP and SCTP. */
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'ANY';
  text: string;
}

export interface CiliumPortRule {
  ports: CiliumPort[];
  /** L7 rule kinds present (`http`, `kafka`, `dns`, `l7proto`): enforced by the proxy, not at L3/L4. */
  l7: string[];
}

export interface CiliumIcmp {
  /** A number or a name (`EchoRequest`). */
  type: number | string;
  family: 'IPv4' | 'IPv6';
}

/** One element of ingress / ingressDeny / egress / egressDeny. Absent fields are undefined. */
export interface CiliumPeerRule {
  index: number;
  /** Field path in the object (`spec.ingress[0]`, `specs[1].egressDeny[0]`). */
  path: string;
  endpoints?: IdentitySelector[];
  entities?: string[];
  cidrs?: CiliumCidr[];
  /** fromNodes / toNodes: node label selectors. */
  nodes?: LabelSelector[];
  fqdns?: { matchName?: string; matchPattern?: string }[];
  services?: { name: string; namespace?: string; selector?: boolean }[];
  toPorts?: CiliumPortRule[];
  icmps?: CiliumIcmp[];
  /** `authentication.mode` (mutual authentication): judged at L3/L4, with a note. */
  authentication?: string;
  /** Fields this evaluator cannot judge offline (fromRequires, toGroups, cidrGroupRef...). */
  unsupported: string[];
}

/** One Cilium rule: `spec` or an element of `specs`. */
export interface CiliumRule {
  /** `spec` or `specs[i]`. */
  path: string;
  /** Which pods the rule applies to (already scoped to the policy's namespace for a CNP). */
  endpointSelector?: IdentitySelector;
  /** CCNP host policies: which nodes (host endpoints) the rule applies to. */
  nodeSelector?: LabelSelector;
  ingress: CiliumPeerRule[];
  ingressDeny: CiliumPeerRule[];
  egress: CiliumPeerRule[];
  egressDeny: CiliumPeerRule[];
  /** The rule puts its endpoints in default-deny for that direction. */
  enforces: { ingress: boolean; egress: boolean };
}

export interface CiliumPolicy {
  kind: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy' | 'NetworkPolicy';
  /** `CiliumNetworkPolicy/<ns>/<name>`, `CiliumClusterwideNetworkPolicy/<name>`, `NetworkPolicy/<ns>/<name>`. */
  ref: string;
  name: string;
  /** '' for a clusterwide policy. */
  namespace: string;
  rules: CiliumRule[];
  source: ObjectSource;
}

export interface CiliumResources {
  policies: CiliumPolicy[];
  /** Resource names whose file was present (`ciliumnetworkpolicies`, ...). */
  collected: ReadonlySet<string>;
}

/** What building identities needs from the model. */
export interface IdentityContext {
  namespaceOf(name: string): Namespace | undefined;
  /** Cilium's cluster name (`io.cilium.k8s.policy.cluster`), `default` unless configured. */
  clusterName: string;
  apiServerIPs: ReadonlySet<string>;
}

