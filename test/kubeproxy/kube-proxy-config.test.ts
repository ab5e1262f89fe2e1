import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { readKubeProxyConfig } from '../../analyzer/kubeproxy/kube-proxy-config.js';
import { findLine, kubectlList } from '../helpers/kube-objects.js';

type Json = Record<string, any>;

/** kube-system/kube-proxy as kubeadm writes it (abridged KubeProxyConfiguration). */
function kubeProxyConfigMap(mode: string, extra = ''): Json {
  return {
    apiVersion: 'v1',
    data: {
      'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nclusterCIDR: 10.244.0.0/16\niptables:\n  masqueradeAll: false\n  masqueradeBit: null\nkind: KubeProxyConfiguration\nmode: ${mode}\n${extra}`,
      'kubeconfig.conf': 'apiVersion: v1\nkind: Config\n',
    },
    kind: 'ConfigMap',
    metadata: { labels: { app: 'kube-proxy' }, name: 'kube-proxy', namespace: 'kube-system', uid: '5d1c0f5e-8f38-4b1e-9f0e-2f6f8a0d2b11' },
  };
}

function kubeProxyDaemonSet(args: string[]): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'kube-proxy', namespace: 'kube-system', uid: 'c3a4bb0e-1d2e-4f3a-8b9c-0d1e2f3a4b5c' },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
      template: { spec: { containers: [{ command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', ...args], image: 'registry.k8s.io/kube-proxy:v1.30.2', name: 'kube-proxy' }] } },
    },
  };
}

const read = (files: Record<string, string>) => readKubeProxyConfig(buildModel(bundleFromFiles(files)).kube);

describe('readKubeProxyConfig', () => {
  it('reads mode and clusterCIDR from config.conf; an empty mode is iptables', () => {
    const configmaps = kubectlList([kubeProxyConfigMap('""')]);
    const config = read({ 'cluster/configmaps.json': configmaps })!;
    expect([config.mode, config.modeText, config.clusterCIDR, config.from]).toEqual(['iptables', '', '10.244.0.0/16', 'configmap']);
    expect(config.evidence).toMatchObject({ file: 'cluster/configmaps.json', line: findLine(configmaps, '"config.conf"') });
    expect(read({ 'cluster/configmaps.json': kubectlList([kubeProxyConfigMap('ipvs')]) })!.mode).toBe('ipvs');
  });

  it('lets a --proxy-mode flag on the DaemonSet win over the file', () => {
    const daemonsets = kubectlList([kubeProxyDaemonSet(['--proxy-mode=nftables'])]);
    const config = read({ 'cluster/configmaps.json': kubectlList([kubeProxyConfigMap('ipvs')]), 'cluster/daemonsets.json': daemonsets })!;
    expect([config.mode, config.from, config.clusterCIDR]).toEqual(['nftables', 'daemonset-flag', '10.244.0.0/16']);
    expect(config.evidence.text).toBe('"--proxy-mode=nftables"');
  });

  it('returns undefined without the ConfigMap, and survives a config.conf that is not YAML', () => {
    expect(read({ 'cluster/configmaps.json': kubectlList([]) })).toBeUndefined();
    const broken = kubeProxyConfigMap('ipvs');
    broken.data['config.conf'] = 'mode: [ipvs';
    expect(read({ 'cluster/configmaps.json': kubectlList([broken]) })).toBeUndefined();
  });
});
