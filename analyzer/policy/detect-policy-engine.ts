/**
 * Which implementation enforces policies in the captured cluster, read from its CNI: the
 * agents' DaemonSets, their pods, and the CNI config files of nodes (`nodes/<n>/cni/*`).
 * NetworkPolicy is an API without an enforcer of its own: on flannel alone (or the AWS VPC CNI
 * without its policy agent, or an old kindnet) every policy is ignored.
 *
 * When several CNIs show up, the one that enforces policies wins (canal = Calico policy over
 * flannel; Cilium chained on the AWS VPC CNI is Cilium). When none can be identified, the
 * engine is assumed to enforce upstream semantics, and says so.
 */
import type { Evidence } from '../bundle/source-file.js';
import { clusterCni, CNI_AGENT_DAEMONSETS, type CniAgent } from '../cni/cluster-cni.js';
import type { AnalysisModel } from '../engine/analysis-model.js';
import type { Pod, Workload } from '../kube/types.js';
import { UPSTREAM_SEMANTICS, type KubernetesSemantics } from './k8s-network-policy.js';

export type PolicyEngineKind = 'kubernetes' | 'calico' | 'cilium' | 'none';

export interface PolicyEngine {
  /** Whose semantics judge flows: upstream Kubernetes, Calico, Cilium, or nobody. */
  kind: PolicyEngineKind;
  /** The CNI or policy agent found (`calico`, `cilium`, `weave-net`, `flannel`...), `unknown` if none. */
  cni: string;
  /** False when nothing in the bundle named the CNI and upstream semantics are assumed. */
  detected: boolean;
  /** How NetworkPolicy ipBlocks behave under this CNI. */
  semantics: KubernetesSemantics;
  /** Whether the CNI implements AdminNetworkPolicy/BaselineAdminNetworkPolicy; undefined when not known. */
  adminNetworkPolicies: boolean | undefined;
  evidence: Evidence[];
  notes: string[];
}

interface Signature {
  cni: string;
  kind: PolicyEngineKind;
  /** Its agents' DaemonSets (cluster-cni.ts names them). */
  agents: CniAgent[];
  /** Pod labels that mark the agent's pods. */
  podLabels: [string, string][];
  /** `type` of a plugin in the node's CNI config (one of CNI_PLUGIN_TYPES). */
  cniTypes: string[];
  adminNetworkPolicies: boolean | undefined;
}

/** In order of precedence: the first that is present decides. */
const SIGNATURES: Signature[] = [
  { cni: 'cilium', kind: 'cilium', agents: ['cilium'], podLabels: [['k8s-app', 'cilium']], cniTypes: ['cilium-cni'], adminNetworkPolicies: false },
  { cni: 'calico', kind: 'calico', agents: ['calico', 'canal'], podLabels: [['k8s-app', 'calico-node'], ['k8s-app', 'canal']], cniTypes: ['calico'], adminNetworkPolicies: undefined },
  { cni: 'antrea', kind: 'kubernetes', agents: ['antrea'], podLabels: [['component', 'antrea-agent']], cniTypes: ['antrea'], adminNetworkPolicies: true },
  { cni: 'ovn-kubernetes', kind: 'kubernetes', agents: ['ovn-kubernetes'], podLabels: [['app', 'ovnkube-node']], cniTypes: ['ovn-k8s-cni-overlay'], adminNetworkPolicies: true },
  { cni: 'kube-network-policies', kind: 'kubernetes', agents: ['kube-network-policies'], podLabels: [['app', 'kube-network-policies']], cniTypes: [], adminNetworkPolicies: undefined },
  { cni: 'weave-net', kind: 'kubernetes', agents: ['weave'], podLabels: [['name', 'weave-net']], cniTypes: ['weave-net'], adminNetworkPolicies: false },
  { cni: 'kube-router', kind: 'kubernetes', agents: ['kube-router'], podLabels: [['k8s-app', 'kube-router']], cniTypes: [], adminNetworkPolicies: false },
  { cni: 'azure-npm', kind: 'kubernetes', agents: ['azure-npm'], podLabels: [['k8s-app', 'azure-npm']], cniTypes: [], adminNetworkPolicies: false },
  // kindnet enforces policies from kind v0.24 on (kube-network-policies built in); see below.
  { cni: 'kindnet', kind: 'kubernetes', agents: ['kindnet'], podLabels: [['app', 'kindnet']], cniTypes: [], adminNetworkPolicies: undefined },
  // The AWS VPC CNI enforces policies only with its node agent container (see below).
  { cni: 'aws-vpc-cni', kind: 'none', agents: ['aws-vpc-cni'], podLabels: [['k8s-app', 'aws-node']], cniTypes: ['aws-cni'], adminNetworkPolicies: false },
  { cni: 'flannel', kind: 'none', agents: ['flannel'], podLabels: [['app', 'flannel']], cniTypes: ['flannel'], adminNetworkPolicies: false },
];

/** Namespaces where CNI agents run. */
const AGENT_NAMESPACES = ['kube-system', 'calico-system', 'kube-flannel', 'cilium', 'cilium-system', 'kube-router', 'weave', 'antrea-system', 'openshift-ovn-kubernetes', 'ovn-kubernetes'];

/** kindnetd images are tagged `vYYYYMMDD-<hash>`; policy enforcement was merged into kind on 2024-07-23. */
const KINDNET_POLICY_SINCE = 20240723;

interface Sighting {
  signature: Signature;
  evidence: Evidence;
  daemonSet?: Workload;
  pod?: Pod;
}

export const POLICY_ENGINE_FACET = 'policy.engine';

export function policyEngine(model: AnalysisModel): PolicyEngine {
  return model.facet(POLICY_ENGINE_FACET, (m) => detectPolicyEngine(m));
}

export function detectPolicyEngine(model: AnalysisModel): PolicyEngine {
  const sightings = findSightings(model);
  const kube = model.kube;
  const bySignature = new Map<Signature, Sighting[]>();
  for (const sighting of sightings) {
    const list = bySignature.get(sighting.signature);
    if (list) list.push(sighting);
    else bySignature.set(sighting.signature, [sighting]);
  }
  const present = SIGNATURES.filter((s) => bySignature.has(s));
  const enforcing = present.filter((s) => enforces(s, bySignature.get(s)!) !== false);

  if (enforcing.length > 0) {
    const signature = enforcing[0]!;
    const seen = bySignature.get(signature)!;
    const notes: string[] = [];
    const others = present.filter((s) => s !== signature).map((s) => s.cni);
    if (others.length > 0) notes.push(`${signature.cni} enforces policies; also present: ${others.join(', ')}`);
    let semantics: KubernetesSemantics = { ...UPSTREAM_SEMANTICS, cni: signature.cni };
    // A CNI that enforces only with an add-on (the AWS node agent) judges with upstream semantics.
    let kind: PolicyEngineKind = signature.kind === 'none' ? 'kubernetes' : signature.kind;
    if (signature.kind === 'cilium') {
      const config = kube.configMap('kube-system', 'cilium-config') ?? kube.configMaps.find((c) => c.name === 'cilium-config');
      const matchMode = config?.data['policy-cidr-match-mode'] ?? '';
      semantics = { ipBlockMatchesPodIPs: false, ipBlockMatchesNodeIPs: matchMode.split(/[\s,]+/).includes('nodes'), cni: 'cilium' };
      const mode = config?.data['enable-policy'];
      if (mode === 'never') {
        kind = 'none';
        notes.push('cilium-config sets enable-policy: never');
      } else if (mode === 'always') {
        notes.push('cilium-config sets enable-policy: always (every endpoint is default-deny, selected or not)');
      }
    }
    if (signature.cni === 'kindnet' && enforces(signature, seen) === undefined) {
      notes.push('kindnet enforces NetworkPolicies from kind v0.24 on; its image date could not be read, so enforcement is assumed');
    }
    return {
      kind,
      cni: signature.cni,
      detected: true,
      semantics,
      adminNetworkPolicies: signature.adminNetworkPolicies,
      evidence: seen.map((s) => s.evidence),
      notes,
    };
  }

  // k3s runs flannel and kube-router's policy controller inside its own binary: no DaemonSet.
  const k3s = kube.nodes.find((n) => n.kubeletVersion?.includes('+k3s'));
  if (k3s) {
    return {
      kind: 'kubernetes',
      cni: 'kube-router (k3s)',
      detected: true,
      semantics: { ...UPSTREAM_SEMANTICS, cni: 'kube-router' },
      adminNetworkPolicies: false,
      evidence: [k3s.source.at('status.nodeInfo.kubeletVersion', 'k3s node: embedded kube-router policy controller')],
      notes: ['k3s embeds kube-router\'s policy controller unless started with --disable-network-policy'],
    };
  }

  if (present.length > 0) {
    const signature = present[0]!;
    const seen = bySignature.get(signature)!;
    return {
      kind: 'none',
      cni: signature.cni,
      detected: true,
      semantics: { ...UPSTREAM_SEMANTICS, cni: signature.cni },
      adminNetworkPolicies: false,
      evidence: seen.map((s) => s.evidence),
      notes: [
        ...(present.length > 1 ? [`CNIs present: ${present.map((s) => s.cni).join(', ')}; none enforces NetworkPolicies`] : []),
        ...(signature.cni === 'kindnet' ? ['kindnet enforces NetworkPolicies only from kind v0.24 on (kindnetd images from 2024-07)'] : []),
        ...(signature.cni === 'aws-vpc-cni' ? ['the AWS VPC CNI enforces NetworkPolicies only with its network policy agent (the aws-eks-nodeagent container)'] : []),
      ],
    };
  }

  return {
    kind: 'kubernetes',
    cni: 'unknown',
    detected: false,
    semantics: UPSTREAM_SEMANTICS,
    adminNetworkPolicies: undefined,
    evidence: [],
    notes: ['the CNI could not be identified (no CNI DaemonSet, agent pod or CNI config in the bundle): verdicts assume NetworkPolicies are enforced with upstream semantics'],
  };
}

/** false when the sighted CNI is known not to enforce; undefined when it is assumed to. */
function enforces(signature: Signature, seen: Sighting[]): boolean | undefined {
  if (signature.kind === 'none') {
    // The AWS VPC CNI enforces policies through the node agent container of aws-node.
    if (signature.cni === 'aws-vpc-cni') return seen.some((s) => s.daemonSet?.containers.some((c) => c.name === 'aws-eks-nodeagent') || s.pod?.containers.some((c) => c.name === 'aws-eks-nodeagent')) ? true : false;
    return false;
  }
  if (signature.cni === 'kindnet') {
    let date: number | undefined;
    for (const s of seen) {
      for (const container of s.daemonSet?.containers ?? s.pod?.containers ?? []) {
        const tag = /kindnetd:v(\d{8})/.exec(container.image);
        if (tag) date = Number(tag[1]);
      }
    }
    if (date === undefined) return undefined;
    return date >= KINDNET_POLICY_SINCE;
  }
  return true;
}

function findSightings(model: AnalysisModel): Sighting[] {
  const kube = model.kube;
  const cni = clusterCni(model);
  const sightings: Sighting[] = [];
  const byAgent = new Map<CniAgent, Signature>();
  for (const signature of SIGNATURES) for (const agent of signature.agents) byAgent.set(agent, signature);
  const dsNames = new Map<string, Signature>();
  for (const [agent, signature] of byAgent) for (const name of CNI_AGENT_DAEMONSETS[agent]) dsNames.set(name, signature);

  for (const { agent, daemonSet, evidence } of cni.agentDaemonSets) {
    const signature = byAgent.get(agent);
    if (signature) sightings.push({ signature, evidence, daemonSet });
  }
  for (const namespace of AGENT_NAMESPACES) {
    const seen = new Set<Signature>();
    for (const pod of kube.podsInNamespace(namespace)) {
      const signature = podSignature(pod, dsNames);
      if (!signature || seen.has(signature)) continue;
      seen.add(signature);
      sightings.push({ signature, evidence: pod.source.at('metadata.labels', `pod ${pod.namespace}/${pod.name}`), pod });
    }
  }
  for (const { type, evidence } of cni.pluginTypeMentions) {
    const signature = SIGNATURES.find((s) => s.cniTypes.includes(type));
    if (signature) sightings.push({ signature, evidence });
  }
  return sightings;
}

function podSignature(pod: Pod, dsNames: Map<string, Signature>): Signature | undefined {
  for (const owner of pod.ownerReferences) {
    if (owner.kind === 'DaemonSet') {
      const signature = dsNames.get(owner.name);
      if (signature) return signature;
    }
  }
  for (const signature of SIGNATURES) {
    for (const [key, value] of signature.podLabels) if (pod.labels[key] === value) return signature;
  }
  return undefined;
}
