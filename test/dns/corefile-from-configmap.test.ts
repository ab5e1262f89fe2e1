import { describe, expect, it } from 'vitest';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { corefileFromConfigMap, findCorednsConfigMap } from '../../analyzer/dns/corefile-from-configmap.js';
import { buildKubeModel } from '../../analyzer/kube/build-model.js';
import { findLine, kubectlList } from '../helpers/kube-objects.js';

const COREFILE = [
  '.:53 {',
  '    errors',
  '    health {',
  '       lameduck 5s',
  '    }',
  '    ready',
  '    kubernetes cluster.local in-addr.arpa ip6.arpa {',
  '       pods insecure',
  '       fallthrough in-addr.arpa ip6.arpa',
  '       ttl 30',
  '    }',
  '    prometheus :9153',
  '    forward . /etc/resolv.conf {',
  '       max_concurrent 1000',
  '    }',
  '    cache 30',
  '    loop',
  '    reload',
  '    loadbalance',
  '    proxy . 8.8.8.8',
  '}',
  '',
].join('\n');

function configMap(name: string, data: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      creationTimestamp: '2026-11-26T09:10:02Z',
      name,
      namespace: 'kube-system',
      resourceVersion: '231',
      uid: `5d0c4f7e-1b2a-4c3d-9e8f-${name.length.toString().padStart(12, '0')}`,
    },
    data,
  };
}

const KUBE_PROXY_CONFIG = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\n';

describe('corefileFromConfigMap', () => {
  it('maps every Corefile line to the Corefile key line of configmaps.json', () => {
    const json = kubectlList([configMap('kube-proxy', { 'config.conf': KUBE_PROXY_CONFIG }), configMap('coredns', { Corefile: COREFILE })]);
    const model = buildKubeModel(bundleFromFiles({ 'cluster/configmaps.json': json })).value;
    const configMapFound = findCorednsConfigMap(model.configMaps);
    expect(configMapFound?.name).toBe('coredns');

    const parsed = corefileFromConfigMap(configMapFound!)!;
    const keyLine = findLine(json, '"Corefile": ".:53 {\\n    errors');
    expect(parsed.value.bundleLine(13)).toBe(keyLine);
    expect(parsed.value.file).toBe('cluster/configmaps.json');
    expect(parsed.value.corefile.servers[0]!.plugins.map((p) => p.kind)).toContain('kubernetes');
    expect(parsed.value.evidence(13, 'forwards to the node resolv.conf')).toEqual({
      file: 'cluster/configmaps.json',
      line: keyLine,
      text: 'forward . /etc/resolv.conf {',
      note: 'Corefile line 13: forwards to the node resolv.conf',
    });
    expect(parsed.issues).toEqual([
      expect.objectContaining({
        file: 'cluster/configmaps.json',
        line: keyLine,
        severity: 'warning',
        message: expect.stringMatching(/^kube-system\/coredns Corefile line 20: the proxy plugin left CoreDNS/),
      }),
    ]);
  });

  it('maps Corefile lines one to one in a YAML literal block', () => {
    const indented = COREFILE.split('\n').map((l) => (l === '' ? '' : `      ${l}`)).join('\n');
    const yaml = [
      'apiVersion: v1',
      'items:',
      '- apiVersion: v1',
      '  data:',
      '    Corefile: |',
      indented.trimEnd(),
      '  kind: ConfigMap',
      '  metadata:',
      '    name: coredns',
      '    namespace: kube-system',
      'kind: List',
      'metadata:',
      '  resourceVersion: ""',
      '',
    ].join('\n');
    const model = buildKubeModel(bundleFromFiles({ 'cluster/configmaps.yaml': yaml })).value;
    const parsed = corefileFromConfigMap(findCorednsConfigMap(model.configMaps)!)!;
    const forwardLine = findLine(yaml, 'forward . /etc/resolv.conf');
    expect(parsed.value.bundleLine(13)).toBe(forwardLine);
    expect(parsed.value.evidence(13)).toMatchObject({ file: 'cluster/configmaps.yaml', line: forwardLine, note: 'Corefile line 13' });
    expect(parsed.issues.map((i) => i.line)).toEqual([findLine(yaml, 'proxy . 8.8.8.8')]);
  });

  it('finds a distribution-named CoreDNS ConfigMap and ignores NodeLocal DNSCache', () => {
    const json = kubectlList([
      configMap('node-local-dns', { Corefile: 'cluster.local:53 {\n    forward . 10.96.0.10\n}\n' }),
      configMap('rke2-coredns-rke2-coredns', { Corefile: COREFILE }),
    ]);
    const model = buildKubeModel(bundleFromFiles({ 'cluster/configmaps.json': json })).value;
    expect(findCorednsConfigMap(model.configMaps)?.name).toBe('rke2-coredns-rke2-coredns');
    const nodeLocal = model.configMaps.find((c) => c.name === 'node-local-dns')!;
    expect(corefileFromConfigMap(nodeLocal)!.value.corefile.servers[0]!.addresses[0]!.zone).toBe('cluster.local.');
    expect(corefileFromConfigMap(nodeLocal, 'Corefile.base')).toBeUndefined();
  });
});
