/**
 * The policy engine's vocabulary, shared by the Kubernetes, AdminNetworkPolicy, Calico and
 * Cilium evaluators: a flow between two endpoints, and per-direction verdicts that name the
 * policy and rule that decided, with evidence. Engines know nothing of findings.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Namespace, Node, Pod, Protocol } from '../kube/types.js';

/** One end of a flow, resolved against the model. */
export type FlowEndpoint =
  | { kind: 'pod'; pod: Pod; ip: string }
  /**
   * A node's own address (kubelet probes, hostNetwork pods count as their node). `pod` is the
   * hostNetwork pod the user named, kept for messages: policies never select it.
   */
  | { kind: 'node'; node: Node | undefined; ip: string; pod?: Pod }
  /** Anything outside the cluster. */
  | { kind: 'external'; ip: string };

export interface PolicyFlow {
  src: FlowEndpoint;
  /** The destination AFTER Service DNAT: policies see the pod IP and targetPort. */
  dst: FlowEndpoint;
  protocol: Protocol | 'ICMP' | 'ICMPv6';
  /** Destination port (post-DNAT); undefined for ICMP. */
  port?: number;
  /** When the user asked for a Service, which one (for notes). */
  viaService?: string;
}

export type Verdict = 'allow' | 'deny' | 'unknown';

/** Which rule of which policy decided (or contributed to) a verdict. */
export interface DecidingRule {
  /** `NetworkPolicy/ns/name`, `GlobalNetworkPolicy/name`, `CiliumNetworkPolicy/ns/name`, ... */
  policy: string;
  direction: 'ingress' | 'egress';
  /** Index in the policy's rule list for that direction; null for a default (isolation, end of tier). */
  ruleIndex: number | null;
  action: 'allow' | 'deny' | 'pass' | 'log';
  evidence: Evidence;
  /** Why this rule matched, or why it decided ("no rule of the 2 selecting policies allows port 80/TCP"). */
  reason: string;
}

/** One policy the engine looked at for one direction of a flow, and what came of it. */
export interface PolicyConsideration {
  policy: string;
  /** Does the policy select the endpoint of this direction? */
  selects: boolean;
  /** For a selecting policy: the index of the rule that matched, or null if none did. */
  matchedRule: number | null;
  /** For each rule that did not match, why not ("peer: namespace z not in ns=y"; "port 81 not in [80]"). */
  misses: { ruleIndex: number; reason: string }[];
  evidence: Evidence;
  /** Why a policy does not select the endpoint, or what else the walk should show about it. */
  note?: string;
}

export interface DirectionVerdict {
  direction: 'ingress' | 'egress';
  /** The endpoint is isolated for this direction (some policy selects it for it). */
  isolated: boolean;
  verdict: Verdict;
  decidedBy: DecidingRule[];
  considered: PolicyConsideration[];
  notes: string[];
}

export interface FlowVerdict {
  verdict: Verdict;
  /** Which engine(s) judged: kubernetes, calico, cilium, none. */
  engine: string;
  /** The CNI whose enforcement was judged (`weave-net`, `flannel`...; `unknown` when not identified). */
  cni?: string;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
  decidedBy: DecidingRule[];
  notes: string[];
  /** The flow judged; absent on a Service's aggregate verdict (see `backends`). */
  flow?: PolicyFlow;
  /**
   * For a flow to a Service: one verdict per ready endpoint, judged on the endpoint's pod IP
   * and targetPort. The aggregate is allow (or deny) when every backend is, and unknown when
   * they differ; its egress/ingress merge the backends' directions.
   */
  backends?: BackendVerdict[];
}

export interface BackendVerdict {
  /** The endpoint after DNAT. */
  endpoint: FlowEndpoint;
  /** The targetPort the flow reaches on that endpoint. */
  port?: number;
  verdict: FlowVerdict;
}

/**
 * What a per-direction evaluator receives (engine-dispatch.ts adapts the Calico and Cilium
 * evaluators, which take their own resources, to this shape). The result's `isolated` says
 * whether any of the engine's policies selected the endpoint for that direction (false lets a
 * BaselineAdminNetworkPolicy decide).
 *
 * Calico and Cilium evaluators judge their own policies AND the Kubernetes NetworkPolicies as
 * that CNI enforces them (Calico: the default tier; Cilium: merged with CNPs per endpoint,
 * ipBlock never matching pod IPs). Handled by evaluate.ts before dispatch: AdminNetworkPolicies
 * (pod subjects only), traffic of a pod to itself, and ingress from the destination pod's own
 * node. Egress to the source pod's own node is left to the evaluator (Calico and Cilium apply
 * egress policy to it). A subject that is not a pod (egress: flow.src; ingress: flow.dst) is
 * passed on too: Calico and Cilium may police nodes through host endpoint policies.
 */
export interface DirectionRequest {
  model: AnalysisModel;
  flow: PolicyFlow;
  direction: 'ingress' | 'egress';
  /** Fill `considered` with per-rule `misses` (off for matrices, where only verdicts count). */
  explain: boolean;
}

export type DirectionEvaluator = (request: DirectionRequest) => DirectionVerdict;

/** What every engine needs beyond the flow: namespaces by name (for namespaceSelectors). */
export interface PolicyUniverse {
  namespace(name: string): Namespace | undefined;
}
