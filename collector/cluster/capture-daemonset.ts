/**
 * The short-lived DaemonSet of `--via daemonset`: one privileged pod in each selected node's
 * host network and PID namespaces, with the host's file system at /host, doing nothing but
 * sleep until netdump has run the node capture in it through `kubectl exec`, then deleted.
 *
 * It tolerates every taint (control-plane and NoExecute nodes included), is pinned to the
 * selected nodes by `matchFields metadata.name` (what the DaemonSet controller itself uses),
 * mounts no service account token and references no Secret or ConfigMap.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from './cluster-phase.js';

export const CAPTURE_LABEL = 'netdump.io/capture';

export interface CaptureDaemonSetRequest {
  name: string;
  namespace: string;
  image: string;
  nodes: readonly string[];
  /** How long the pods sleep: past netdump's own deadline, so a forgotten pod ends by itself. */
  sleepSeconds: number;
}

/** `netdump-capture-<8 hex>`: unique per run, so two runs never share (or delete) a DaemonSet. */
export function captureDaemonSetName(): string {
  return `netdump-capture-${randomBytes(4).toString('hex')}`;
}

export function captureDaemonSet(request: CaptureDaemonSetRequest): KubeObject {
  const labels = { 'app.kubernetes.io/name': 'netdump-capture', 'app.kubernetes.io/managed-by': 'netdump', [CAPTURE_LABEL]: request.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: request.name,
      namespace: request.namespace,
      labels,
      annotations: { 'netdump.io/purpose': 'short-lived: runs the netdump node capture, deleted when the collection ends' },
    },
    spec: {
      selector: { matchLabels: { [CAPTURE_LABEL]: request.name } },
      template: {
        metadata: { labels },
        spec: {
          hostNetwork: true,
          hostPID: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 1,
          restartPolicy: 'Always',
          tolerations: [{ operator: 'Exists' }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [...request.nodes] }] }],
              },
            },
          },
          containers: [
            {
              name: 'capture',
              image: request.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sleep', String(request.sleepSeconds)],
              securityContext: { privileged: true },
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
              volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
            },
          ],
          volumes: [{ name: 'host-root', hostPath: { path: '/', type: 'Directory' } }],
        },
      },
    },
  };
}
