/**
 * The cluster domain (`cluster.local` unless the cluster was set up otherwise), from the
 * CoreDNS Corefile when the manifest does not say.
 *
 * Corefile sample (kube-system/coredns ConfigMap, key Corefile):
 *   .:53 {
 *       errors
 *       kubernetes cluster.local in-addr.arpa ip6.arpa {
 *          pods insecure
 *          fallthrough in-addr.arpa ip6.arpa
 *       }
 *       forward . /etc/resolv.conf
 *   }
 */

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * The first zone of the first `kubernetes` plugin line that is not a reverse zone
 * (`in-addr.arpa`, `ip6.arpa`), without its trailing dot; undefined when there is none.
 */
export function clusterDomainFromCorefile(corefile: string): string | undefined {
  for (const rawLine of corefile.split('\n')) {
    const hash = rawLine.indexOf('#');
    const line = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).trim();
    const words = line.split(/\s+/);
    if (words[0] !== 'kubernetes') continue;
    for (const word of words.slice(1)) {
      const opensBlock = word.endsWith('{');
      const zone = normalizeDomain(opensBlock ? word.slice(0, -1) : word);
      if (zone !== '' && !zone.endsWith('in-addr.arpa') && !zone.endsWith('ip6.arpa')) return zone;
      if (opensBlock) break;
    }
  }
  return undefined;
}

/** `cluster.local.` and `Cluster.Local` both name `cluster.local`. */
export function normalizeDomain(domain: string): string {
  return domain.trim().replace(/\.+$/, '').toLowerCase();
}
