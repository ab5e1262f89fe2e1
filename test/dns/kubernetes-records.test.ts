/**
 * The kubernetes plugin's answers, one table per option: pods verified, namespaces,
 * ignore empty_service, noendpoints, endpoint_pod_names, an ExternalName that points into the
 * cluster, reverse zones.
 */
import { describe, expect, it } from 'vitest';
import { clusterDns } from '../../analyzer/dns/cluster-dns.js';
import { kubernetesAnswer } from '../../analyzer/dns/kubernetes-records.js';
import { corednsServer } from '../../analyzer/dns/simulate-coredns.js';
import { service } from '../helpers/kube-objects.js';
import { CART_IP, dnsModel, KUBEADM_COREFILE } from './dns-cluster.js';

function withKubernetesBlock(block: string): string {
  return KUBEADM_COREFILE.replace('       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n', block);
}

function plugin(corefile: string, extraServices: Record<string, unknown>[] = []) {
  const model = dnsModel({ corefile, extraServices });
  const kubernetes = clusterDns(model).corefile!.corefile.servers[0]!.plugins.find((p) => p.kind === 'kubernetes')!;
  if (kubernetes.kind !== 'kubernetes') throw new Error('no kubernetes plugin');
  return { model, kubernetes };
}

describe('kubernetes plugin options', () => {
  it('pods verified: only an IP that a pod of that namespace has', () => {
    const { model, kubernetes } = plugin(withKubernetesBlock('       pods verified\n'));
    expect(kubernetesAnswer(model, kubernetes, '10-244-1-17.shop.pod.cluster.local.', 'A')).toMatchObject({ kind: 'records', records: [{ data: '10.244.1.17' }] });
    expect(kubernetesAnswer(model, kubernetes, '10-244-1-99.shop.pod.cluster.local.', 'A')).toMatchObject({ kind: 'name-error', note: 'pods verified: no pod of namespace shop has IP 10.244.1.99' });
    // The pod exists, but in shop, not in default.
    expect(kubernetesAnswer(model, kubernetes, '10-244-1-17.default.pod.cluster.local.', 'A').kind).toBe('name-error');
  });

  it('namespaces: names in other namespaces are NXDOMAIN', () => {
    const { model, kubernetes } = plugin(withKubernetesBlock('       namespaces kube-system\n'));
    expect(kubernetesAnswer(model, kubernetes, 'cart.shop.svc.cluster.local.', 'A')).toMatchObject({ kind: 'name-error', note: "namespace shop is not in the kubernetes plugin's namespaces list" });
    expect(kubernetesAnswer(model, kubernetes, 'kube-dns.kube-system.svc.cluster.local.', 'A')).toMatchObject({ kind: 'records', records: [{ data: '10.96.0.10' }] });
  });

  it('ignore empty_service: a ClusterIP Service without ready endpoints is NXDOMAIN', () => {
    const lonely = service({ namespace: 'shop', name: 'orphan', selector: { app: 'orphan' }, clusterIPs: ['10.96.44.4'] });
    const plain = plugin(withKubernetesBlock('       pods insecure\n'), [lonely]);
    expect(kubernetesAnswer(plain.model, plain.kubernetes, 'orphan.shop.svc.cluster.local.', 'A')).toMatchObject({ kind: 'records', records: [{ data: '10.96.44.4' }] });
    const ignoring = plugin(withKubernetesBlock('       ignore empty_service\n'), [lonely]);
    expect(kubernetesAnswer(ignoring.model, ignoring.kubernetes, 'orphan.shop.svc.cluster.local.', 'A').kind).toBe('name-error');
    expect(kubernetesAnswer(ignoring.model, ignoring.kubernetes, 'cart.shop.svc.cluster.local.', 'A')).toMatchObject({ kind: 'records', records: [{ data: CART_IP }] });
  });

  it('noendpoints: headless Services have no records', () => {
    const { model, kubernetes } = plugin(withKubernetesBlock('       noendpoints\n'));
    expect(kubernetesAnswer(model, kubernetes, 'cart-redis.shop.svc.cluster.local.', 'A').kind).toBe('name-error');
    expect(kubernetesAnswer(model, kubernetes, 'cart.shop.svc.cluster.local.', 'A').kind).toBe('records');
  });

  it('endpoint_pod_names: an endpoint without a hostname is named by its pod', () => {
    const { model, kubernetes } = plugin(withKubernetesBlock('       endpoint_pod_names\n'));
    expect(kubernetesAnswer(model, kubernetes, 'cart-redis-1.cart-redis.shop.svc.cluster.local.', 'A')).toMatchObject({ kind: 'records', records: [{ data: '10.244.0.31' }] });
    expect(kubernetesAnswer(model, kubernetes, '10-244-0-31.cart-redis.shop.svc.cluster.local.', 'A').kind).toBe('name-error');
  });

  it('answers A/AAAA in reverse zones with NXDOMAIN (PTR lives there)', () => {
    const { model, kubernetes } = plugin(KUBEADM_COREFILE);
    expect(kubernetesAnswer(model, kubernetes, '10.0.96.10.in-addr.arpa.', 'A').kind).toBe('name-error');
    expect(kubernetesAnswer(model, kubernetes, 'example.org.', 'A').kind).toBe('not-in-zone');
  });
});

describe('ExternalName', () => {
  it('follows a CNAME into the cluster zone through CoreDNS itself', () => {
    const alias = service({ namespace: 'shop', name: 'basket', type: 'ExternalName', externalName: 'cart.shop.svc.cluster.local' });
    const model = dnsModel({ extraServices: [alias] });
    const answer = corednsServer(model, clusterDns(model), 'basket')!.answer('basket.shop.svc.cluster.local.', 'A');
    expect(answer.rcode).toBe('NOERROR');
    expect(answer.answers).toEqual([
      { name: 'basket.shop.svc.cluster.local.', type: 'CNAME', data: 'cart.shop.svc.cluster.local.', ttl: 30 },
      { name: 'cart.shop.svc.cluster.local.', type: 'A', data: CART_IP, ttl: 30 },
    ]);
    expect(answer.unknown).toBeUndefined();
  });
});
