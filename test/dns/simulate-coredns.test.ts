/**
 * CoreDNS and the way to it, as the simulation answers a pod's resolver: tables of lookups
 * with the queries sent, who answered each and with what, and the final outcome.
 */
import { describe, expect, it } from 'vitest';
import { clusterDns } from '../../analyzer/dns/cluster-dns.js';
import { corednsServer } from '../../analyzer/dns/simulate-coredns.js';
import { explainLookup, type LookupExplanation } from '../../analyzer/dns/explain-lookup.js';
import { CART_IP, clientPod, configMap, COREDNS_PODS, dnsModel, FRONTEND, KUBEADM_COREFILE, KUBE_DNS_IP, networkPolicy, SYSTEMD_STUB_RESOLV_CONF, UPLINK_RESOLV_CONF, type DnsClusterOptions } from './dns-cluster.js';

function lookup(name: string, options: DnsClusterOptions = {}, from = FRONTEND, libc?: 'glibc' | 'musl'): LookupExplanation {
  const model = dnsModel(options);
  const pod = model.kube.pod('shop', from)!;
  return explainLookup(model, pod, name, libc ? { libc } : {});
}

const sequence = (e: LookupExplanation) => e.queries.map((q) => `${q.name} ${q.type} ${q.reply.rcode}`);

describe('CoreDNS kubernetes plugin answers', () => {
  it('resolves a Service of the own namespace at the first search domain', () => {
    const e = lookup('cart');
    expect(sequence(e)).toEqual(['cart.shop.svc.cluster.local. A NOERROR', 'cart.shop.svc.cluster.local. AAAA NOERROR']);
    expect(e.result).toEqual({ kind: 'resolved', name: 'cart.shop.svc.cluster.local.', addresses: [CART_IP] });
    expect(e.queries[0]!.answeredBy).toBe('CoreDNS');
    expect(e.nameservers[0]!.description).toBe(`kube-dns Service ${KUBE_DNS_IP} → 2 ready CoreDNS endpoints (10.244.0.3, 10.244.1.2)`);
    expect(e.queries[0]!.steps.join('\n')).toContain(`Service shop/cart: ClusterIP ${CART_IP}`);
    expect(e.queries[1]!.steps.join('\n')).toContain('has no IPv6 ClusterIP');
    expect(e.worstCaseMs).toBe(0);
  });

  it('answers kubernetes.default at the second search domain, after NXDOMAIN for a Service "default" in shop', () => {
    const e = lookup('kubernetes.default');
    expect(sequence(e)).toEqual([
      'kubernetes.default.shop.svc.cluster.local. A NXDOMAIN',
      'kubernetes.default.shop.svc.cluster.local. AAAA NXDOMAIN',
      'kubernetes.default.svc.cluster.local. A NOERROR',
      'kubernetes.default.svc.cluster.local. AAAA NOERROR',
    ]);
    expect(e.queries[0]!.steps.join('\n')).toContain('no Service default in namespace shop');
    expect(e.result).toMatchObject({ kind: 'resolved', addresses: ['10.96.0.1'] });
  });

  it('gives a headless Service its ready endpoint addresses, and an endpoint its hostname record', () => {
    expect(lookup('cart-redis').result).toMatchObject({ kind: 'resolved', addresses: ['10.244.1.30', '10.244.0.31'] });
    expect(lookup('cart-redis-0.cart-redis').result).toMatchObject({ kind: 'resolved', name: 'cart-redis-0.cart-redis.shop.svc.cluster.local.', addresses: ['10.244.1.30'] });
    // An endpoint without a hostname is named by its dashed IP.
    expect(lookup('10-244-0-31.cart-redis').result).toMatchObject({ kind: 'resolved', addresses: ['10.244.0.31'] });
  });

  it('answers an ExternalName Service with a CNAME whose target is forwarded: unknown offline', () => {
    const e = lookup('payments');
    expect(e.result).toMatchObject({ kind: 'unknown', name: 'payments.shop.svc.cluster.local.', canonicalName: 'payments.example.com.', knownAddresses: [] });
    expect(e.queries[0]!.reply.answers![0]).toEqual({ name: 'payments.shop.svc.cluster.local.', type: 'CNAME', data: 'payments.example.com.', ttl: 30 });
    expect(e.queries[0]!.assumed).toBe('answer');
  });

  it('answers pod records per `pods insecure`, and NXDOMAIN with `pods disabled`', () => {
    expect(lookup('10-244-1-17.shop.pod.cluster.local').result).toMatchObject({ kind: 'resolved', addresses: ['10.244.1.17'] });
    const disabled = KUBEADM_COREFILE.replace('       pods insecure\n', '');
    const e = lookup('10-244-1-17.shop.pod.cluster.local', { corefile: disabled });
    expect(e.result).toMatchObject({ kind: 'failed', error: 'EAI_NONAME' });
    expect(e.queries.at(-1)!.steps.join('\n')).toContain('pod records are disabled');
  });

  it('says NXDOMAIN for a namespace that does not exist, NODATA for one that does', () => {
    const model = dnsModel();
    const coredns = corednsServer(model, clusterDns(model), 'x')!;
    expect(coredns.answer('cart.nowhere.svc.cluster.local.', 'A')).toMatchObject({ rcode: 'NXDOMAIN' });
    expect(coredns.answer('shop.svc.cluster.local.', 'A')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(coredns.answer('svc.cluster.local.', 'A')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(coredns.answer('a.b.c.cart.shop.svc.cluster.local.', 'A')).toMatchObject({ rcode: 'NXDOMAIN' });
  });

  it('answers named-port SRV queries for ClusterIP and headless Services', () => {
    const model = dnsModel();
    const coredns = corednsServer(model, clusterDns(model), 'x')!;
    expect(coredns.answer('_http._tcp.cart.shop.svc.cluster.local.', 'SRV').answers).toEqual([
      { name: '_http._tcp.cart.shop.svc.cluster.local.', type: 'SRV', data: '0 100 80 cart.shop.svc.cluster.local.', ttl: 30 },
    ]);
    expect(coredns.answer('_redis._tcp.cart-redis.shop.svc.cluster.local.', 'SRV').answers.map((r) => r.data)).toEqual([
      '0 50 6379 cart-redis-0.cart-redis.shop.svc.cluster.local.',
      '0 50 6379 10-244-0-31.cart-redis.shop.svc.cluster.local.',
    ]);
    expect(coredns.answer('_grpc._tcp.cart.shop.svc.cluster.local.', 'SRV')).toMatchObject({ rcode: 'NXDOMAIN' });
  });

  it('takes the cluster domain from the Corefile', () => {
    const corefile = KUBEADM_COREFILE.replace('kubernetes cluster.local', 'kubernetes k8s.acme.internal');
    const model = dnsModel({ corefile });
    expect(clusterDns(model).clusterDomain).toBe('k8s.acme.internal');
    const e = explainLookup(model, model.kube.pod('shop', FRONTEND)!, 'cart');
    expect(e.config.search).toEqual(['shop.svc.k8s.acme.internal', 'svc.k8s.acme.internal', 'k8s.acme.internal']);
    expect(e.result).toMatchObject({ kind: 'resolved', addresses: [CART_IP] });
  });
});

describe('names that leave the cluster', () => {
  it('walks the three search domains before an external name: 8 queries, the last answer unknown offline', () => {
    const e = lookup('api.stripe.com', { files: { 'pods/kube-system/coredns-5d78c9869d-8kq2p/resolv.conf': UPLINK_RESOLV_CONF, 'pods/kube-system/coredns-5d78c9869d-xq7tm/resolv.conf': UPLINK_RESOLV_CONF } });
    expect(sequence(e)).toEqual([
      'api.stripe.com.shop.svc.cluster.local. A NXDOMAIN',
      'api.stripe.com.shop.svc.cluster.local. AAAA NXDOMAIN',
      'api.stripe.com.svc.cluster.local. A NXDOMAIN',
      'api.stripe.com.svc.cluster.local. AAAA NXDOMAIN',
      'api.stripe.com.cluster.local. A NXDOMAIN',
      'api.stripe.com.cluster.local. AAAA NXDOMAIN',
      'api.stripe.com. A NOERROR',
      'api.stripe.com. AAAA NOERROR',
    ]);
    expect(e.result).toEqual({
      kind: 'unknown',
      name: 'api.stripe.com.',
      from: ['10.0.0.2', '10.0.0.3'],
      knownAddresses: [],
    });
    expect(e.queries.slice(0, 6).every((q) => q.assumed === undefined)).toBe(true);
  });

  it('asks an FQDN with a trailing dot once', () => {
    expect(sequence(lookup('api.stripe.com.'))).toEqual(['api.stripe.com. A NOERROR', 'api.stripe.com. AAAA NOERROR']);
  });

  it('sends stub domains to their own server block, and applies hosts and rewrite rules before the kubernetes plugin', () => {
    const corefile = KUBEADM_COREFILE.replace(
      '    cache 30\n',
      '    cache 30\n    hosts {\n       10.0.9.50 legacy-db.acme.internal\n       fallthrough\n    }\n    rewrite name exact db.shop.internal cart.shop.svc.cluster.local\n',
    ) + 'acme.corp:53 {\n    errors\n    cache 30\n    forward . 10.0.9.53\n}\n';
    expect(lookup('db.shop.internal.', { corefile }).result).toEqual({ kind: 'resolved', name: 'db.shop.internal.', addresses: [CART_IP] });
    // hosts answers A; with `fallthrough` the AAAA query goes on to forward (answer unknown offline).
    expect(lookup('legacy-db.acme.internal.', { corefile }).result).toMatchObject({ kind: 'resolved', name: 'legacy-db.acme.internal.', addresses: ['10.0.9.50'], partlyUnknown: [expect.any(String)] });
    const stub = lookup('ldap.acme.corp.', { corefile });
    expect(stub.result).toMatchObject({ kind: 'unknown', from: ['10.0.9.53'] });
    expect(stub.queries[0]!.steps[0]).toContain('server block acme.corp:53 (Corefile line 26)');
  });

  it('answers from a template', () => {
    const corefile = KUBEADM_COREFILE.replace(
      '    cache 30\n',
      '    cache 30\n    template IN A example.org {\n       match "^ip-(?P<a>[0-9]+)-(?P<b>[0-9]+)[.]example[.]org[.]$"\n       answer "{{ .Name }} 60 IN A 10.0.{{ .Group.a }}.{{ .Group.b }}"\n       fallthrough\n    }\n',
    );
    // The template answers A; the AAAA query goes on to forward, whose answer is not known offline.
    expect(lookup('ip-7-9.example.org.', { corefile }).result).toMatchObject({ kind: 'resolved', name: 'ip-7-9.example.org.', addresses: ['10.0.7.9'], partlyUnknown: [expect.stringContaining('/etc/resolv.conf')] });
  });
});

describe('the way to the nameserver', () => {
  it('fails at once when no CoreDNS endpoint is ready: kube-proxy rejects (port unreachable)', () => {
    const e = lookup('cart', { corednsState: 'crashloop' });
    expect(e.nameservers[0]!.udp).toEqual({ ok: false, rcode: 'UNREACHABLE', reason: 'no kube-dns endpoint is ready: kube-proxy rejects the query (ICMP port unreachable)' });
    expect(e.result).toMatchObject({ kind: 'failed', error: 'EAI_AGAIN' });
    expect(e.queries[0]!.answeredBy).toBe('nobody');
    expect(e.worstCaseMs).toBe(0);
  });

  it('times out when the pod\'s egress policy does not allow DNS', () => {
    const denyEgress = networkPolicy('shop', 'default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    const e = lookup('cart', { policies: [denyEgress] });
    expect(e.nameservers[0]!.udp).toMatchObject({ ok: false, rcode: 'TIMEOUT' });
    expect((e.nameservers[0]!.udp as { reason: string }).reason).toContain('egress NetworkPolicy/shop/default-deny-egress');
    expect(e.result).toMatchObject({ kind: 'failed', error: 'EAI_AGAIN' });
    // glibc: 2 attempts of 5 s at the first search domain, which stops the walk; then the name as-is, 2 × 5 s again.
    expect(e.worstCaseMs).toBe(20_000);
  });

  it('lets DNS through when the egress policy allows UDP and TCP 53 to kube-system', () => {
    const allowDns = networkPolicy('shop', 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
    });
    expect(lookup('cart', { policies: [allowDns] }).result).toMatchObject({ kind: 'resolved', addresses: [CART_IP] });
  });

  it('finds nothing on 127.0.0.53 inside a pod that copied the node\'s stub resolver', () => {
    const e = lookup('cart', {
      frontend: (p) => void (p.spec.dnsPolicy = 'Default'),
      files: { 'nodes/node-b/resolv.conf': SYSTEMD_STUB_RESOLV_CONF },
    });
    expect(e.config.nameservers).toEqual(['127.0.0.53']);
    expect(e.nameservers[0]!.udp).toMatchObject({ ok: false, rcode: 'UNREACHABLE' });
    expect(e.resolvConf.notes.join(' ')).toContain('systemd-resolved');
    expect(e.result).toMatchObject({ kind: 'failed' });
  });

  it('asks an outside resolver for cluster names when dnsPolicy None names one: assumed NXDOMAIN', () => {
    const e = lookup('cart', {
      frontend: (p) => {
        p.spec.dnsPolicy = 'None';
        p.spec.dnsConfig = { nameservers: ['8.8.8.8'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: [{ name: 'ndots', value: '5' }] };
      },
    });
    expect(e.nameservers[0]!.role).toBe('outside');
    expect(e.queries.every((q) => q.assumed === 'NXDOMAIN')).toBe(true);
    expect(e.result).toMatchObject({ kind: 'failed', error: 'EAI_NONAME' });
  });

  it('shows a forwarding loop: CoreDNS forwards to 127.0.0.53 from the node file, the query times out', () => {
    const e = lookup('api.stripe.com.', { files: { 'nodes/node-a/resolv.conf': SYSTEMD_STUB_RESOLV_CONF, 'nodes/node-b/resolv.conf': SYSTEMD_STUB_RESOLV_CONF } });
    expect(e.queries[0]!.reply.rcode).toBe('TIMEOUT');
    expect(e.queries[0]!.steps.join('\n')).toContain('127.0.0.53 inside the CoreDNS pod\'s network namespace is CoreDNS itself');
    expect(e.queries[0]!.steps.join('\n')).toContain('the loop plugin (Corefile line 17)');
  });

  it('serves pods through NodeLocal DNSCache on nodes where it runs, and cluster names through CoreDNS behind it', () => {
    const nodeLocalCorefile = `cluster.local:53 {
    errors
    cache {
            success 9984 30
            denial 9984 5
    }
    reload
    loop
    bind __PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__
    forward . __PILLAR__CLUSTER__DNS__ {
            force_tcp
    }
    prometheus :9253
    health __PILLAR__LOCAL__DNS__:8080
    }
.:53 {
    errors
    cache 30
    reload
    loop
    bind __PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__
    forward . __PILLAR__UPSTREAM__SERVERS__
    prometheus :9253
    }
`;
    const nodeLocalPod = clientPod('node-local-dns-7xk2p', '10.0.1.12', 'node-b', 'registry.k8s.io/dns/k8s-dns-node-cache:1.23.1', { 'k8s-app': 'node-local-dns' });
    nodeLocalPod.metadata.namespace = 'kube-system';
    nodeLocalPod.spec.hostNetwork = true;
    nodeLocalPod.spec.containers[0].args = ['-localip', `169.254.20.10,${KUBE_DNS_IP}`, '-conf', '/etc/Corefile', '-upstreamsvc', 'kube-dns-upstream'];
    const options: DnsClusterOptions = { extraPods: [nodeLocalPod], extraConfigMaps: [configMap('kube-system', 'node-local-dns', { Corefile: nodeLocalCorefile })] };
    const e = lookup('cart', options);
    expect(e.nameservers[0]).toMatchObject({ role: 'node-local-dns', description: `NodeLocal DNSCache on node-b (${KUBE_DNS_IP})` });
    expect(e.result).toMatchObject({ kind: 'resolved', addresses: [CART_IP] });
    expect(e.queries[0]!.steps[0]).toContain('node-local-dns on node-b: server block cluster.local:53');
    expect(e.queries[0]!.steps.join('\n')).toContain('node-local-dns on node-b forwards cart.shop.svc.cluster.local. to 10.96.0.10');
    // On node-a, where no node-local-dns pod runs, the ClusterIP goes to CoreDNS as usual.
    const onNodeA = clientPod('cart-7b9c6d5f4-zzzzz', '10.244.0.40', 'node-a', 'ghcr.io/acme-shop/cart:1.8.0', { app: 'cart' });
    const a = lookup('cart', { ...options, extraPods: [nodeLocalPod, onNodeA] }, 'cart-7b9c6d5f4-zzzzz');
    expect(a.nameservers[0]!.role).toBe('kube-dns');
  });
});

describe('the resolver library', () => {
  it('runs musl for Alpine images and glibc otherwise, unless told', () => {
    expect(lookup('cart').libc).toBe('glibc');
    const alpine = lookup('cart', { frontend: (p) => void (p.spec.containers[0].image = 'nginx:1.27-alpine') });
    expect(alpine).toMatchObject({ libc: 'musl', libcReason: 'image nginx:1.27-alpine is Alpine/musl or BusyBox based' });
    expect(lookup('cart', {}, FRONTEND, 'musl').libcReason).toBe('--libc musl');
  });

  it('reads the pod\'s captured resolv.conf over the one kubelet would write', () => {
    const e = lookup('cart', { files: { [`pods/shop/${FRONTEND}/resolv.conf`]: 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:2 single-request-reopen\n' } });
    expect(e.resolvConf.source).toBe('captured');
    expect(e.config.options).toMatchObject({ ndots: 2, singleRequestReopen: true });
  });

  it('keeps CoreDNS pod names in the test cluster aligned with the kube-dns endpoints', () => {
    const dns = clusterDns(dnsModel());
    expect(dns.coredns.endpoints.map((e) => [e.ip, e.ready, e.pod?.name])).toEqual(COREDNS_PODS.map((p) => [p.ip, true, p.name]));
  });
});
