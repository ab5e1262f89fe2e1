/**
 * The bundle inputs DNS rules declare beyond the cluster resources (bundle-format.md):
 * CoreDNS logs and metrics, `kubectl top`, resolv.conf captures, `conntrack -S`.
 */
import { bundleFolder, nodeFile, type InputSpec } from '../../analyzer/engine/inputs.js';

export const dnsInputs = {
  corednsLogs: bundleFolder('logs/kube-system/'),
  corednsMetrics: bundleFolder('metrics/kube-system/'),
  topPods: { id: 'cluster/top-pods.txt', paths: 'cluster/top-pods.txt', isCollected: (model) => model.bundle.has('cluster/top-pods.txt') } satisfies InputSpec,
  podResolvConf: {
    id: 'pods/*/*/resolv.conf',
    paths: 'pods/*/*/resolv.conf',
    isCollected: (model) => model.bundle.list('pods/').some((f) => f.path.endsWith('/resolv.conf')),
  } satisfies InputSpec,
  nodeResolvConf: nodeFile('resolv.conf'),
  conntrackStats: nodeFile('conntrack-stats.txt'),
} as const;
