/**
 * On a cluster where Cilium replaces kube-proxy, no kube-proxy rules exist by design: the
 * kube-proxy rules say so as their coverage ("checked", nothing to check) instead of "not
 * collected". Where kube-proxy still runs, or Cilium replaces it only in part, they do not.
 */
import { describe, expect, it } from 'vitest';
import { allRules } from '../../rules/index.js';
import { kubectlList, pod, service } from '../helpers/kube-objects.js';
import { runOnFiles } from '../helpers/rule-tester.js';

const KUBE_PROXY_RULES = ['kubeproxy-rules-missing', 'kubeproxy-rules-stale', 'kubeproxy-reject-no-endpoints', 'kubeproxy-mode-mismatch'];

/** The cilium-config ConfigMap as the Cilium 1.16 Helm chart writes it (an excerpt of its keys). */
const ciliumConfig = (replacement: string) =>
  kubectlList([
    {
      apiVersion: 'v1',
      data: {
        'cluster-name': 'default',
        'enable-ipv4': 'true',
        'kube-proxy-replacement': replacement,
        'kube-proxy-replacement-healthz-bind-address': '',
        routingMode: 'tunnel',
        'tunnel-protocol': 'vxlan',
      },
      kind: 'ConfigMap',
      metadata: { creationTimestamp: '2026-11-20T08:00:00Z', name: 'cilium-config', namespace: 'kube-system', resourceVersion: '1187', uid: '4c0b8e8a-8d6f-4a57-9a43-1f0b5d8c2e11' },
    },
  ]);

/** The first lines of `cilium status` on a node (Cilium 1.16). */
const ciliumStatus = (replacement: string) => `KVStore:                 Disabled   
Kubernetes:              Ok         1.30 (v1.30.2) [linux/amd64]
KubeProxyReplacement:    ${replacement}   [eth0   10.0.1.11 fe80::5054:ff:fe15:c01c (Direct Routing)]
Host firewall:           Disabled
Cilium:                  Ok   1.16.1 (v1.16.1-68579055)
Cilium health daemon:    Ok   
`;

const cluster = {
  'cluster/services.json': kubectlList([service({ namespace: 'shop', name: 'web', clusterIPs: ['10.96.14.7'], selector: { app: 'web' } })]),
  'cluster/endpointslices.json': kubectlList([]),
};
const kubeProxyPod = pod({ namespace: 'kube-system', name: 'kube-proxy-7xk2p', labels: { 'k8s-app': 'kube-proxy' }, ip: '10.0.1.11', hostIP: '10.0.1.11', hostNetwork: true, node: 'node-a', owner: { kind: 'DaemonSet', name: 'kube-proxy' } });

const coverageOf = (files: Record<string, string>) => {
  const run = runOnFiles(allRules, files);
  return KUBE_PROXY_RULES.map((rule) => {
    const entry = run.coverage.find((c) => c.rule === rule)!;
    return `${rule}: ${entry.status} (${entry.detail})`;
  });
};

describe('kube-proxy rules on a cluster where Cilium replaces kube-proxy', () => {
  it('are checked, with nothing to check, when cilium-config says kube-proxy-replacement=true', () => {
    expect(coverageOf({ ...cluster, 'cluster/configmaps.json': ciliumConfig('true'), 'cluster/pods.json': kubectlList([]) })).toEqual(
      KUBE_PROXY_RULES.map((rule) => `${rule}: checked (kube-proxy replaced by Cilium (kubeProxyReplacement=true, ConfigMap kube-system/cilium-config): nothing to check)`),
    );
  });

  it('read the replacement from cilium status when the ConfigMaps were not collected (older "Strict")', () => {
    const lines = coverageOf({ ...cluster, 'nodes/node-a/cilium/status.txt': ciliumStatus('Strict') });
    // kubeproxy-mode-mismatch also needs the kube-proxy ConfigMap: still not collected.
    expect(lines).toEqual([
      ...KUBE_PROXY_RULES.slice(0, 3).map((rule) => `${rule}: checked (kube-proxy replaced by Cilium (KubeProxyReplacement: Strict, cilium status on 1 node): nothing to check)`),
      'kubeproxy-mode-mismatch: not-collected (not collected: cluster/configmaps.json)',
    ]);
  });

  it('stay not collected when kube-proxy still runs beside Cilium', () => {
    const lines = coverageOf({ ...cluster, 'cluster/configmaps.json': ciliumConfig('true'), 'cluster/pods.json': kubectlList([kubeProxyPod]) });
    for (const line of lines) expect(line).toMatch(/: not-collected \(not collected: nodes\/\*\/iptables-save\.txt or nodes\/\*\/nft-ruleset\.txt\)$/);
  });

  it('stay not collected when Cilium replaces kube-proxy only in part', () => {
    const lines = coverageOf({ ...cluster, 'cluster/configmaps.json': ciliumConfig('partial'), 'cluster/pods.json': kubectlList([]) });
    for (const line of lines) expect(line).toMatch(/: not-collected \(not collected: nodes\/\*\/iptables-save\.txt or nodes\/\*\/nft-ruleset\.txt\)$/);
  });
});
