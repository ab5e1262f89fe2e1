/**
 * Keyed pseudonyms for the names that identify a customer's cluster: namespaces, nodes and
 * pods. `ns-…`, `node-…`, `pod-…` followed by hex digits of HMAC-SHA256(key, kind + name), so
 * the same key gives the same pseudonym in every bundle.
 *
 * Service names (and so workload names and the label values that repeat them) are kept: rules
 * compare label values and selectors by spelling (`app=carts` is a likely typo of `app=cart`),
 * which a pseudonym of one side and not of the other would hide.
 *
 * Kept as they are, because rules and engineers key on them and they say nothing about the
 * customer: the system namespaces and those of well-known networking components (kube-system,
 * kube-flannel, ingress-nginx, ...), and words
 * that also occur as fixed vocabulary in the files (a namespace called `dns` would otherwise
 * rename every port called `dns`). A pod whose name starts with a well-known component name
 * keeps that prefix (`coredns-5c8c7f7bf4-9sdhr` → `coredns-1f0c93aa`): rules find CoreDNS,
 * kube-proxy or the API server pods by it.
 */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';

export type NameKind = 'namespace' | 'node' | 'pod';

const PREFIX: Record<NameKind, string> = { namespace: 'ns', node: 'node', pod: 'pod' };
/** Where two kinds share a name, the first kind's pseudonym serves both. */
const KIND_ORDER: NameKind[] = ['namespace', 'node', 'pod'];

export const KEPT_NAMESPACES: ReadonlySet<string> = new Set([
  'default', 'kube-system', 'kube-public', 'kube-node-lease', 'kube-flannel', 'calico-system', 'calico-apiserver',
  'tigera-operator', 'cilium', 'cilium-system', 'ingress-nginx', 'metallb-system', 'cert-manager', 'local-path-storage',
  'weave', 'kube-router', 'antrea-system', 'gatekeeper-system', 'istio-system',
]);

/** Component names pods are named after, longest first so the most specific one wins. */
const COMPONENT_PREFIXES: readonly string[] = [
  'coredns', 'kube-dns', 'kube-proxy', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd',
  'calico-node', 'calico-kube-controllers', 'calico-typha', 'calico-apiserver', 'cilium', 'cilium-operator', 'cilium-envoy',
  'hubble-relay', 'hubble-ui', 'kube-flannel-ds', 'kube-flannel', 'flannel', 'weave-net', 'kube-router', 'kindnet',
  'antrea-agent', 'antrea-controller', 'aws-node', 'ingress-nginx-controller', 'ingress-nginx', 'traefik', 'haproxy-ingress',
  'contour', 'envoy', 'metallb-controller', 'metallb-speaker', 'nodelocaldns', 'node-local-dns', 'metrics-server',
  'konnectivity-agent', 'local-path-provisioner', 'dns-autoscaler', 'kube-state-metrics', 'istiod', 'istio-ingressgateway',
].slice().sort((a, b) => b.length - a.length);

/** Fixed vocabulary of the files: never taken for a name of ours. */
const VOCABULARY: ReadonlySet<string> = new Set([
  'kubernetes', 'kube-dns', 'tcp', 'udp', 'sctp', 'icmp', 'dns', 'dns-tcp', 'metrics', 'http', 'https', 'http2', 'grpc', 'tls',
  'local', 'cluster', 'svc', 'pod', 'pods', 'node', 'nodes', 'service', 'services', 'namespace', 'namespaces', 'endpoints',
  'name', 'spec', 'status', 'metadata', 'items', 'labels', 'data', 'kind', 'app', 'api', 'v1', 'true', 'false', 'null', 'none',
  'all', 'any', 'host', 'localhost', 'ingress', 'egress', 'in-addr', 'arpa', 'ip6', 'ip', 'inet', 'inet6', 'lo', 'eth0', 'cni0',
  'docker0', 'bridge', 'host-local', 'loopback', 'portmap', 'bandwidth', 'calico', 'flannel', 'weave', 'txt', 'json', 'log',
  'conf', 'prom', 'yaml', 'nat', 'filter', 'mangle', 'raw', 'security', 'input', 'output', 'forward', 'prerouting',
  'postrouting', 'accept', 'drop', 'reject', 'return', 'main', 'table', 'proto', 'kernel', 'scope', 'link', 'global',
  'search', 'nameserver', 'options', 'ndots', 'health', 'ready', 'cache', 'reload', 'errors', 'loop', 'hosts', 'prometheus',
  'web', 'www', 'info', 'warning', 'error', 'debug', 'critical', 'root', 'system', 'cluster-local',
  ...KEPT_NAMESPACES, ...COMPONENT_PREFIXES,
]);

export class NamePseudonyms {
  private readonly candidates: Record<NameKind, Set<string>> = { namespace: new Set(), node: new Set(), pod: new Set() };
  /** Original name → pseudonym, once `assign` has run. */
  readonly forward = new Map<string, string>();

  constructor(private readonly key: Buffer) {}

  /** Names a name found in the bundle; kept names are ignored. */
  add(kind: NameKind, name: string | undefined): void {
    // A node named by its address (10.0.1.5) is pseudonymized as an address, like every other.
    if (!name || isIP(name)) return;
    // Kubernetes names are lower case; a host captured with --local is named after its host
    // name, which may not be (WEB-01). Host names are case-insensitive: both spellings go.
    if (kind === 'node' && /[A-Z]/.test(name) && /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name)) {
      this.candidates.node.add(name);
      this.add('node', name.toLowerCase());
      return;
    }
    if (!/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(name) || VOCABULARY.has(name)) return;
    if (kind === 'namespace' && KEPT_NAMESPACES.has(name)) return;
    this.candidates[kind].add(name);
  }

  /** Gives every collected name its pseudonym: sorted, so the result depends on the names only. */
  assign(): void {
    const taken = new Set<string>();
    for (const kind of KIND_ORDER) {
      for (const name of [...this.candidates[kind]].sort()) {
        if (this.forward.has(name)) continue;
        // WEB-01 gets web-01's pseudonym, so that both spellings of a host name agree.
        const lower = name.toLowerCase();
        if (lower !== name && this.candidates[kind].has(lower)) {
          this.forward.set(name, this.pseudonymOf(kind, lower, taken));
          continue;
        }
        this.forward.set(name, this.pseudonymOf(kind, name, taken));
      }
    }
  }

  private pseudonymOf(kind: NameKind, name: string, taken: Set<string>): string {
    const known = this.forward.get(name);
    if (known !== undefined) return known;
    const digest = createHmac('sha256', this.key).update(`${kind}\0${name}`).digest('hex');
    const prefix = kind === 'pod' ? (COMPONENT_PREFIXES.find((c) => name.startsWith(`${c}-`)) ?? PREFIX.pod) : PREFIX[kind];
    let length = 8;
    let pseudonym = `${prefix}-${digest.slice(0, length)}`;
    // Another name's pseudonym or an original name: lengthen until unique (64 hex at most).
    while ((taken.has(pseudonym) || this.isCandidate(pseudonym)) && length < digest.length) pseudonym = `${prefix}-${digest.slice(0, (length += 4))}`;
    taken.add(pseudonym);
    this.forward.set(name, pseudonym);
    return pseudonym;
  }

  lookup(name: string): string | undefined {
    return this.forward.get(name);
  }

  private isCandidate(name: string): boolean {
    return KIND_ORDER.some((kind) => this.candidates[kind].has(name));
  }
}
