/**
 * The rule registry: every rule netdump runs, listed by hand (no globbing) so that adding a
 * rule is a visible change and the meta test can check each one has its doc and test.
 * Order matters only for `bundle-parse-error`, which must stay last: facets built while
 * earlier rules run add their parse issues to the model.
 */
import type { Rule } from '../analyzer/engine/rule.js';
import brNetfilterDisabled from './br-netfilter-disabled.js';
import bundleCollectionFailed from './bundle-collection-failed.js';
import bundleParseError from './bundle-parse-error.js';
import calicoBgpDown from './calico-bgp-down.js';
import calicoIppoolProblem from './calico-ippool-problem.js';
import calicoNodeUnhealthy from './calico-node-unhealthy.js';
import calicoPolicyShadowed from './calico-policy-shadowed.js';
import ciliumEndpointNotReady from './cilium-endpoint-not-ready.js';
import ciliumLbMissingBackends from './cilium-lb-missing-backends.js';
import ciliumPolicyDrop from './cilium-policy-drop.js';
import ciliumUnhealthy from './cilium-unhealthy.js';
import cniConfigProblem from './cni-config-problem.js';
import conntrackTableFull from './conntrack-table-full.js';
import corednsUnavailable from './coredns-unavailable.js';
import corefileProblem from './corefile-problem.js';
import dnsConntrackRace from './dns-conntrack-race.js';
import dnsEgressBlocked from './dns-egress-blocked.js';
import dnsNdotsAmplification from './dns-ndots-amplification.js';
import dnsSlow from './dns-slow.js';
import etpLocalNoEndpoints from './etp-local-no-endpoints.js';
import forwardPolicyDrop from './forward-policy-drop.js';
import ingressBackendMissing from './ingress-backend-missing.js';
import ingressClassMissing from './ingress-class-missing.js';
import interfaceErrors from './interface-errors.js';
import ipForwardDisabled from './ip-forward-disabled.js';
import iptablesBackendSplit from './iptables-backend-split.js';
import kubeproxyModeMismatch from './kubeproxy-mode-mismatch.js';
import kubeproxyRejectNoEndpoints from './kubeproxy-reject-no-endpoints.js';
import kubeproxyRulesMissing from './kubeproxy-rules-missing.js';
import kubeproxyRulesStale from './kubeproxy-rules-stale.js';
import lbPending from './lb-pending.js';
import mtuMismatch from './mtu-mismatch.js';
import netpolDenies from './netpol-denies.js';
import netpolPeerMatchesNothing from './netpol-peer-matches-nothing.js';
import netpolSelectsNothing from './netpol-selects-nothing.js';
import netpolUnenforced from './netpol-unenforced.js';
import noMasquerade from './no-masquerade.js';
import nodeportUnreachable from './nodeport-unreachable.js';
import podIpOutsideCidr from './pod-ip-outside-cidr.js';
import podNotReady from './pod-not-ready.js';
import podcidrOverlap from './podcidr-overlap.js';
import resolvconfNameserverMismatch from './resolvconf-nameserver-mismatch.js';
import routeMissing from './route-missing.js';
import rpFilterStrict from './rp-filter-strict.js';
import svcEndpointsDrift from './svc-endpoints-drift.js';
import svcEndpointsNotReady from './svc-endpoints-not-ready.js';
import svcNoEndpoints from './svc-no-endpoints.js';
import svcTargetportMismatch from './svc-targetport-mismatch.js';
import tcpRetransmits from './tcp-retransmits.js';
import dockerPortConflict from './docker-port-conflict.js';
import dockerNetworkIsolation from './docker-network-isolation.js';
import dockerOverlayBlocked from './docker-overlay-blocked.js';
import tunnelDown from './tunnel-down.js';
import weaveUnhealthy from './weave-unhealthy.js';

export const allRules: Rule[] = [
  // Pods and Services
  podNotReady,
  svcNoEndpoints,
  svcEndpointsNotReady,
  svcTargetportMismatch,
  svcEndpointsDrift,
  lbPending,
  etpLocalNoEndpoints,
  // kube-proxy and netfilter
  kubeproxyRulesMissing,
  kubeproxyRulesStale,
  kubeproxyRejectNoEndpoints,
  kubeproxyModeMismatch,
  iptablesBackendSplit,
  forwardPolicyDrop,
  noMasquerade,
  // Ingress
  ingressBackendMissing,
  ingressClassMissing,
  nodeportUnreachable,
  // Network policies
  netpolUnenforced,
  netpolSelectsNothing,
  netpolPeerMatchesNothing,
  netpolDenies,
  dnsEgressBlocked,
  calicoPolicyShadowed,
  ciliumPolicyDrop,
  // DNS
  corefileProblem,
  corednsUnavailable,
  resolvconfNameserverMismatch,
  dnsNdotsAmplification,
  dnsConntrackRace,
  dnsSlow,
  // Routing, interfaces and node settings
  ipForwardDisabled,
  brNetfilterDisabled,
  rpFilterStrict,
  podcidrOverlap,
  podIpOutsideCidr,
  routeMissing,
  tunnelDown,
  mtuMismatch,
  conntrackTableFull,
  interfaceErrors,
  tcpRetransmits,
  dockerNetworkIsolation,
  dockerPortConflict,
  dockerOverlayBlocked,
  // CNI health
  calicoBgpDown,
  ciliumUnhealthy,
  ciliumEndpointNotReady,
  ciliumLbMissingBackends,
  calicoNodeUnhealthy,
  calicoIppoolProblem,
  cniConfigProblem,
  weaveUnhealthy,
  // The bundle itself (bundle-parse-error last)
  bundleCollectionFailed,
  bundleParseError,
];

const byId = new Map(allRules.map((rule) => [rule.id, rule] as const));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}
