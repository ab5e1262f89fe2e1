/**
 * kube-proxy names its iptables chains after hashes of what they serve (kube-proxy-names.ts):
 * KUBE-SVC-/SVL-/EXT-/FW-/XLB- hash the Service port name ("ns/svc:port") and protocol,
 * KUBE-SEP- also the endpoint ("ip:port"). Once namespaces, Services and addresses are
 * pseudonymized, the old hashes would name no Service the analyzer knows and every chain would
 * look stale; so each chain whose hash can be explained is renamed to the hash of the
 * pseudonymized inputs, exactly as kube-proxy would have named it in the anonymized cluster.
 * Chains whose hash matches nothing (stale chains, which the analyzer reports) keep their name.
 *
 * Explaining a hash:
 * - KUBE-SEP-: its own rules carry the Service port name (the comment), the protocol (-p) and
 *   the endpoint (--to-destination);
 * - the others: every Service port name seen in the dump's comments or in the cluster's
 *   Services is hashed with each protocol, and the chain's hash is looked up among them.
 */
import { endpointChainHash, servicePortChainHash, servicePortName } from '../../analyzer/netfilter/kube-proxy-names.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'];
const SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|XLB)-([A-Z2-7]{16})$/;
const RULE = /^-A (KUBE-SEP-[A-Z2-7]{16}) (.*)$/;
const COMMENT = /--comment (?:"([^"]*)"|(\S+))/g;
const CHAIN_TOKEN = /KUBE-(?:SVC|SVL|EXT|FW|XLB|SEP)-[A-Z2-7]{16}/g;
const SPN = /^[a-z0-9][a-z0-9.-]*\/[a-z0-9][a-z0-9.-]*(?::[^\s/]+)?$/;

export interface ServicePortSource {
  namespace: string;
  name: string;
  portName: string;
}

/** True for the iptables-save dumps of bundle-format.md. */
export function isIptablesDump(path: string): boolean {
  return /(?:^|\/)ip6?tables(?:-legacy|-nft)?-save\.txt$/.test(path);
}

/**
 * Old chain name → new chain name for every explainable kube-proxy chain in `dumps`.
 * `rewrite` is the text rewrite applied to the bundle (names and addresses).
 */
export function kubeProxyChainRenames(
  dumps: readonly string[],
  servicePorts: readonly ServicePortSource[],
  rewrite: (text: string) => string,
): Map<string, string> {
  const renames = new Map<string, string>();
  const spns = new Set(servicePorts.map((p) => servicePortName(p.namespace, p.name, p.portName)));
  const serviceChains = new Set<string>();

  for (const dump of dumps) {
    const endpoints = new Map<string, { spn?: string; protocol?: string; endpoint?: string }>();
    for (const line of dump.split('\n')) {
      for (const m of line.matchAll(COMMENT)) {
        const spn = (m[1] ?? m[2] ?? '').split(' ')[0]!;
        if (SPN.test(spn)) spns.add(spn);
      }
      for (const m of line.matchAll(CHAIN_TOKEN)) if (!m[0].startsWith('KUBE-SEP-')) serviceChains.add(m[0]);
      const rule = RULE.exec(line);
      if (!rule) continue;
      let facts = endpoints.get(rule[1]!);
      if (!facts) endpoints.set(rule[1]!, (facts = {}));
      const body = rule[2]!;
      const comment = /--comment (?:"([^"]*)"|(\S+))/.exec(body);
      if (comment) facts.spn ??= (comment[1] ?? comment[2] ?? '').split(' ')[0];
      const protocol = /(?:^| )-p (\w+)/.exec(body);
      if (protocol) facts.protocol ??= protocol[1]!.toLowerCase();
      const destination = /--to-destination (\S+)/.exec(body);
      if (destination) facts.endpoint ??= destination[1];
    }
    for (const [chain, { spn, protocol, endpoint }] of endpoints) {
      if (spn === undefined || protocol === undefined || endpoint === undefined) continue;
      if (`KUBE-SEP-${endpointChainHash(spn, protocol, endpoint)}` !== chain) continue;
      renames.set(chain, `KUBE-SEP-${endpointChainHash(rewrite(spn), protocol, rewrite(endpoint))}`);
    }
  }

  if (serviceChains.size === 0) return renames;
  const explained = new Map<string, { spn: string; protocol: string }>();
  for (const spn of spns) for (const protocol of PROTOCOLS) explained.set(servicePortChainHash(spn, protocol), { spn, protocol });
  for (const chain of serviceChains) {
    const [, kind, hash] = SERVICE_CHAIN.exec(chain)!;
    const source = explained.get(hash!);
    if (source) renames.set(chain, `KUBE-${kind}-${servicePortChainHash(rewrite(source.spn), source.protocol)}`);
  }
  return renames;
}
