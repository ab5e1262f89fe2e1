/**
 * kube-proxy's configuration as the cluster stores it: the `config.conf` key of ConfigMap
 * kube-system/kube-proxy (a KubeProxyConfiguration, as kubeadm writes it), and a `--proxy-mode`
 * flag on the kube-proxy DaemonSet's container, which kube-proxy applies over the file.
 *
 *   apiVersion: kubeproxy.config.k8s.io/v1alpha1
 *   kind: KubeProxyConfiguration
 *   clusterCIDR: 10.244.0.0/16
 *   mode: ipvs            # "" means the platform default: iptables on Linux
 */
import { parse } from 'yaml';
import type { Evidence } from '../bundle/source-file.js';
import type { ConfigMap, KubeModel } from '../kube/types.js';
import type { ProxyMode } from './dataplane-types.js';

export interface KubeProxyConfig {
  /** The mode kube-proxy will run: iptables when the file leaves it empty. */
  mode: ProxyMode | 'kernelspace' | string;
  /** As written (`''` when unset). */
  modeText: string;
  /** Where the mode comes from. */
  from: 'configmap' | 'daemonset-flag';
  clusterCIDR?: string;
  masqueradeAll: boolean;
  evidence: Evidence;
}

export function readKubeProxyConfig(kube: KubeModel): KubeProxyConfig | undefined {
  const configMap = kube.configMap('kube-system', 'kube-proxy');
  const daemonSet = kube.daemonSets.find((d) => d.namespace === 'kube-system' && d.name === 'kube-proxy');
  const flag = daemonSet ? proxyModeFlag(daemonSet.raw) : undefined;

  let fromFile: Omit<KubeProxyConfig, 'from'> | undefined;
  if (configMap) {
    const key = Object.keys(configMap.data).find((k) => k === 'config.conf') ?? Object.keys(configMap.data).find((k) => /\.(conf|ya?ml)$/.test(k));
    const text = key !== undefined ? configMap.data[key] : undefined;
    if (key !== undefined && text !== undefined) {
      let config: Record<string, unknown> | undefined;
      try {
        const value: unknown = parse(text);
        if (value && typeof value === 'object') config = value as Record<string, unknown>;
      } catch {
        // kube-proxy cannot start from a file it cannot read either: no configured mode to compare.
        config = undefined;
      }
      if (config) fromFile = fileConfig(config, configMap, key);
    }
  }
  if (flag && daemonSet) {
    const config: KubeProxyConfig = {
      mode: flag.mode === '' ? 'iptables' : flag.mode,
      modeText: flag.mode,
      from: 'daemonset-flag',
      masqueradeAll: fromFile?.masqueradeAll ?? false,
      evidence: daemonSet.source.at(flag.path, `--proxy-mode=${flag.mode}`),
    };
    if (fromFile?.clusterCIDR !== undefined) config.clusterCIDR = fromFile.clusterCIDR;
    return config;
  }
  return fromFile ? { ...fromFile, from: 'configmap' } : undefined;
}

function fileConfig(config: Record<string, unknown>, configMap: ConfigMap, key: string): Omit<KubeProxyConfig, 'from'> {
  const modeText = typeof config.mode === 'string' ? config.mode : '';
  const cidr = typeof config.clusterCIDR === 'string' && config.clusterCIDR !== '' ? config.clusterCIDR : undefined;
  const iptables = config.iptables && typeof config.iptables === 'object' ? (config.iptables as Record<string, unknown>) : {};
  const out: Omit<KubeProxyConfig, 'from'> = {
    mode: modeText === '' ? 'iptables' : modeText,
    modeText,
    masqueradeAll: iptables.masqueradeAll === true,
    evidence: configMap.source.at(`data["${key}"]`, `mode: ${modeText === '' ? '"" (iptables)' : modeText}`),
  };
  if (cidr !== undefined) out.clusterCIDR = cidr;
  return out;
}

function proxyModeFlag(raw: any): { mode: string; path: string } | undefined {
  const containers: unknown = raw?.spec?.template?.spec?.containers;
  if (!Array.isArray(containers)) return undefined;
  for (let c = 0; c < containers.length; c++) {
    for (const field of ['command', 'args'] as const) {
      const list: unknown = containers[c]?.[field];
      if (!Array.isArray(list)) continue;
      for (let i = 0; i < list.length; i++) {
        const arg = list[i];
        if (typeof arg !== 'string') continue;
        const inline = /^--proxy-mode=(.*)$/.exec(arg);
        if (inline) return { mode: inline[1]!, path: `spec.template.spec.containers[${c}].${field}[${i}]` };
        if (arg === '--proxy-mode' && typeof list[i + 1] === 'string') return { mode: list[i + 1] as string, path: `spec.template.spec.containers[${c}].${field}[${i + 1}]` };
      }
    }
  }
  return undefined;
}
