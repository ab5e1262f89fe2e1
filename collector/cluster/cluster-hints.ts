/**
 * The manifest's `cluster` hints, derived from the objects just read where they state them:
 *   serverVersion  `kubectl version -o json` serverVersion.gitVersion
 *   clusterDomain  the `kubernetes` zone of the CoreDNS Corefile (kube-system/coredns), else
 *                  kubeadm's ClusterConfiguration `networking.dnsDomain`
 *   serviceCIDR    kube-apiserver's `--service-cluster-ip-range` (its static pod), else kubeadm's
 *                  `serviceSubnet`
 *   clusterCIDR    kube-controller-manager's `--cluster-cidr`, else kubeadm's `podSubnet`, else
 *                  kube-proxy's configuration `clusterCIDR`
 * A hint that cannot be derived is left out: the analyzer derives what it can itself.
 */
import { clusterDomainFromCorefile } from '../../analyzer/kube/cluster-domain.js';
import type { KubeObject } from './cluster-phase.js';

export interface ClusterHints {
  context?: string;
  serverVersion?: string;
  clusterDomain?: string;
  serviceCIDR?: string;
  clusterCIDR?: string;
}

export interface HintSources {
  version?: KubeObject;
  pods: readonly KubeObject[];
  configMaps: readonly KubeObject[];
}

export function deriveClusterHints(sources: HintSources): ClusterHints {
  const hints: ClusterHints = {};
  const gitVersion = sources.version?.serverVersion?.gitVersion;
  if (typeof gitVersion === 'string' && gitVersion !== '') hints.serverVersion = gitVersion;

  const configMap = (name: string) => sources.configMaps.find((cm) => cm?.metadata?.namespace === 'kube-system' && cm?.metadata?.name === name);
  const kubeadm = String(configMap('kubeadm-config')?.data?.ClusterConfiguration ?? '');
  const kubeadmValue = (key: string) => new RegExp(`^\\s*${key}:\\s*"?([^"\\s]+)"?\\s*$`, 'm').exec(kubeadm)?.[1];
  const corefile = configMap('coredns')?.data?.Corefile;

  const clusterDomain = (typeof corefile === 'string' ? clusterDomainFromCorefile(corefile) : undefined) ?? kubeadmValue('dnsDomain');
  if (clusterDomain) hints.clusterDomain = clusterDomain;

  const serviceCIDR = controlPlaneFlag(sources.pods, 'kube-apiserver', '--service-cluster-ip-range=') ?? kubeadmValue('serviceSubnet');
  if (serviceCIDR) hints.serviceCIDR = serviceCIDR;

  const proxyConfig = String(configMap('kube-proxy')?.data?.['config.conf'] ?? '');
  const clusterCIDR =
    controlPlaneFlag(sources.pods, 'kube-controller-manager', '--cluster-cidr=') ??
    kubeadmValue('podSubnet') ??
    /^clusterCIDR:\s*"?([^"\s]+)"?\s*$/m.exec(proxyConfig)?.[1];
  if (clusterCIDR) hints.clusterCIDR = clusterCIDR;
  return hints;
}

function controlPlaneFlag(pods: readonly KubeObject[], component: string, flag: string): string | undefined {
  for (const pod of pods) {
    if (pod?.metadata?.namespace !== 'kube-system' || !String(pod?.metadata?.name ?? '').startsWith(component)) continue;
    for (const container of pod?.spec?.containers ?? []) {
      for (const word of [...(container?.command ?? []), ...(container?.args ?? [])]) {
        if (typeof word === 'string' && word.startsWith(flag) && word.length > flag.length) return word.slice(flag.length);
      }
    }
  }
  return undefined;
}
