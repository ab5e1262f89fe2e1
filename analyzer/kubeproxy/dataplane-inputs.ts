/**
 * The node files the kube-proxy and netfilter rules declare, so a bundle without them shows
 * "not collected" for those rules (bundle-format.md, nodes/<node>/).
 */
import { anyOf, nodeFile } from '../engine/inputs.js';
import { DATAPLANE_FILES } from './node-dataplane.js';

export const dataplaneInputs = {
  iptablesSave: nodeFile(DATAPLANE_FILES.iptables),
  ip6tablesSave: nodeFile(DATAPLANE_FILES.ip6tables),
  iptablesLegacySave: nodeFile(DATAPLANE_FILES.iptablesLegacy),
  iptablesNftSave: nodeFile(DATAPLANE_FILES.iptablesNft),
  nftRuleset: nodeFile(DATAPLANE_FILES.nft),
  ipsetSave: nodeFile(DATAPLANE_FILES.ipset),
  ipvsadm: nodeFile(DATAPLANE_FILES.ipvs),
  ipAddr: nodeFile(DATAPLANE_FILES.ipAddr),
  /**
   * What kube-proxy's rules can be read from in every mode: iptables-save (iptables mode, and
   * the ipset-driven rules of IPVS mode) or nft list ruleset (nftables mode).
   */
  kubeProxyRules: anyOf(`nodes/*/${DATAPLANE_FILES.iptables}|${DATAPLANE_FILES.nft}`, nodeFile(DATAPLANE_FILES.iptables), nodeFile(DATAPLANE_FILES.nft)),
  /** Any iptables dump of any backend, or nft's view of them. */
  iptablesAnyBackend: anyOf(
    'nodes/*/iptables dumps',
    nodeFile(DATAPLANE_FILES.iptables),
    nodeFile(DATAPLANE_FILES.iptablesLegacy),
    nodeFile(DATAPLANE_FILES.iptablesNft),
    nodeFile(DATAPLANE_FILES.nft),
  ),
} as const;
