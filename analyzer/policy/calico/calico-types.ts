/**
 * Calico policy resources as the evaluator reads them: selectors compiled, ports and nets parsed,
 * each rule keeping its index and field path so a verdict can cite the line.
 */
import type { Labels, NetworkPolicy, ObjectSource } from '../../kube/types.js';
import type { Cidr } from '../../netfilter/ip-cidr.js';
import type { LabelMatcher } from './parse-calico-selector.js';

export type CalicoAction = 'Allow' | 'Deny' | 'Log' | 'Pass';
export type CalicoPolicyType = 'Ingress' | 'Egress';

/** A port as a rule writes it: a number or `first:last` range, or a named port. */
export type CalicoPort =
  | { kind: 'range'; first: number; last: number; text: string }
  | { kind: 'named'; name: string; text: string };

/** An IP protocol by number, with the name it was written as. */
export interface CalicoProtocol {
  number: number;
  text: string;
}

export interface CalicoIcmpMatch {
  type?: number;
  code?: number;
}

/** `source` or `destination` of a rule (EntityRule). Absent fields do not restrict. */
export interface CalicoEntityRule {
  nets: Cidr[];
  notNets: Cidr[];
  selector?: LabelMatcher;
  notSelector?: LabelMatcher;
  namespaceSelector?: LabelMatcher;
  ports: CalicoPort[];
  notPorts: CalicoPort[];
  serviceAccounts?: { names: string[]; selector?: LabelMatcher };
  services?: { name: string; namespace?: string };
}

export interface CalicoRule {
  action: CalicoAction;
  protocol?: CalicoProtocol;
  notProtocol?: CalicoProtocol;
  icmp?: CalicoIcmpMatch;
  notICMP?: CalicoIcmpMatch;
  ipVersion?: 4 | 6;
  source: CalicoEntityRule;
  destination: CalicoEntityRule;
  /** The rule has an `http` match: enforced by the application layer, not by Felix. */
  http: boolean;
  /** Index in the policy's rule list for its direction (for a Kubernetes policy: the k8s rule's index). */
  index: number;
  /** Field path of the rule in its object, for evidence (`spec.ingress[2]`). */
  path: string;
}

export type CalicoPolicyKind = 'NetworkPolicy' | 'GlobalNetworkPolicy' | 'KubernetesNetworkPolicy';

export interface CalicoPolicy {
  kind: CalicoPolicyKind;
  /**
   * `NetworkPolicy.projectcalico.org/<ns>/<name>`, `GlobalNetworkPolicy/<name>`, and for a
   * Kubernetes policy its own ref `NetworkPolicy/<ns>/<name>`.
   */
  ref: string;
  /** The name Calico knows it by (`knp.default.<name>` for a Kubernetes policy). */
  name: string;
  /** '' for a GlobalNetworkPolicy. */
  namespace: string;
  tier: string;
  /** `spec.order`; Infinity when absent (evaluated last in its tier). */
  order: number;
  selector: LabelMatcher;
  /** GlobalNetworkPolicy only: limits the policy to endpoints in matching namespaces. */
  namespaceSelector?: LabelMatcher;
  serviceAccountSelector?: LabelMatcher;
  types: CalicoPolicyType[];
  ingress: CalicoRule[];
  egress: CalicoRule[];
  /** preDNAT / doNotTrack policies apply to host endpoints only. */
  hostEndpointsOnly: boolean;
  source: ObjectSource;
  /** For a Kubernetes policy, the model's object. */
  kubernetes?: NetworkPolicy;
}

export interface CalicoTier {
  name: string;
  /** Infinity when absent ("no value indicates highest order"). */
  order: number;
  defaultAction: 'Deny' | 'Pass';
  source: ObjectSource;
}

export interface CalicoProfile {
  name: string;
  ingress: CalicoRule[];
  egress: CalicoRule[];
  source: ObjectSource;
}

export interface CalicoNetworkSet {
  kind: 'NetworkSet' | 'GlobalNetworkSet';
  ref: string;
  name: string;
  /** '' for a GlobalNetworkSet. */
  namespace: string;
  labels: Labels;
  nets: Cidr[];
  source: ObjectSource;
}

export interface CalicoHostEndpoint {
  ref: string;
  name: string;
  node: string;
  interfaceName?: string;
  expectedIPs: string[];
  labels: Labels;
  profiles: string[];
  /** Named ports of the host endpoint (spec.ports). */
  ports: { name: string; port: number; protocol: string }[];
  source: ObjectSource;
}

/** Everything read from `cluster/calico/`. */
export interface CalicoResources {
  tiers: CalicoTier[];
  /** projectcalico.org NetworkPolicies and GlobalNetworkPolicies, in file order. */
  policies: CalicoPolicy[];
  /** networking.k8s.io NetworkPolicies found among the Calico files (deduplicated later against the model's). */
  kubernetesPolicies: NetworkPolicy[];
  profiles: CalicoProfile[];
  networkSets: CalicoNetworkSet[];
  hostEndpoints: CalicoHostEndpoint[];
  /** Staged policies: never enforced, listed so that notes can say they were ignored. */
  staged: { ref: string; source: ObjectSource }[];
  /** Resource names whose file was present (`tiers`, `profiles`, ...). */
  collected: ReadonlySet<string>;
}
