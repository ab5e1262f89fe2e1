/**
 * A hand-built report shaped like a real one: a Service whose selector matches nothing (root
 * cause) explaining two symptoms, one of which is also explained by a second root cause;
 * coverage gaps; and a rule that threw.
 */
import type { Report } from '../../analyzer/report/report.js';

export function sampleReport(): Report {
  return {
    format: 'netdump-report/v1',
    bundle: { path: 'bundles/prod.tgz', createdAt: '2026-11-26T10:00:00Z', context: 'prod-eu-1', nodes: 3 },
    summary: { critical: 2, warning: 2, info: 0, rootCauses: 2 },
    findings: [
      {
        id: 'F1',
        rule: 'svc-no-endpoints',
        severity: 'critical',
        layer: 'service',
        title: 'Service shop/cart selects no pods',
        message: 'selector app=cart matches 0 pods in namespace shop; 3 pods carry app=carts',
        subjects: ['Service/shop/cart'],
        evidence: [
          { file: 'cluster/services.json', line: 812, text: '"app": "cart"', note: 'the selector' },
          { file: 'cluster/pods.json', line: 40, text: '"app": "carts"' },
        ],
        remediation: 'fix the selector or the pod labels',
        commands: ['kubectl -n shop get pods --show-labels'],
        rootCause: true,
        causedBy: [],
        causes: ['F3', 'F4'],
      },
      {
        id: 'F2',
        rule: 'ip-forward-disabled',
        severity: 'critical',
        layer: 'node',
        title: 'IP forwarding is off on node-b',
        message: 'net.ipv4.ip_forward = 0',
        subjects: ['Node/node-b'],
        evidence: [{ file: 'nodes/node-b/sysctl.txt', line: 1, text: 'net.ipv4.ip_forward = 0' }],
        remediation: 'sysctl -w net.ipv4.ip_forward=1 and persist it',
        rootCause: true,
        causedBy: [],
        causes: ['F4'],
      },
      {
        id: 'F3',
        rule: 'kubeproxy-reject-no-endpoints',
        severity: 'warning',
        layer: 'service',
        title: 'node-a rejects traffic to shop/cart',
        message: 'KUBE-SERVICES REJECTs 10.96.14.2:80 because the Service has no endpoints',
        subjects: ['Service/shop/cart', 'Node/node-a'],
        evidence: [
          {
            file: 'nodes/node-a/iptables-save.txt',
            line: 120,
            text: '-A KUBE-SERVICES -d 10.96.14.2/32 -p tcp -m comment --comment "shop/cart:http has no endpoints" -j REJECT',
          },
        ],
        remediation: 'fix the cause: the Service selects no pods',
        rootCause: false,
        causedBy: ['F1'],
      },
      {
        id: 'F4',
        rule: 'pod-unreachable',
        severity: 'warning',
        layer: 'l3',
        title: 'Pods of shop/web cannot reach shop/cart',
        message: 'the path web → cart crosses node-b, which does not forward, and ends in REJECT',
        subjects: ['Pod/shop/web-7d9f'],
        evidence: [{ file: 'cluster/pods.json', line: 77, text: '"name": "web-7d9f"' }],
        remediation: 'fix the causes',
        rootCause: false,
        causedBy: ['F1', 'F2'],
      },
    ],
    coverage: [
      { area: 'Services and endpoints', rule: 'svc-no-endpoints', status: 'checked', detail: '1 finding' },
      { area: 'Node settings', rule: 'ip-forward-disabled', status: 'checked', detail: '1 finding' },
      { area: 'Calico BGP', rule: 'calico-bgp-peer-down', status: 'not-collected', detail: 'not collected: nodes/*/calico/node-status.txt' },
      { area: 'Calico BGP', rule: 'calico-bird-routes', status: 'not-collected', detail: 'not collected: nodes/*/calico/node-status.txt' },
      { area: 'DNS', rule: 'coredns-unavailable', status: 'error', detail: 'internal error: boom' },
      { area: 'Ingress', rule: 'ingress-backend-missing', status: 'skipped', detail: 'not selected with --rule' },
    ],
    problems: [{ where: 'coredns-unavailable', message: 'boom', stack: 'Error: boom\n    at check (rules/coredns-unavailable.ts:10:5)' }],
    tool: { name: 'netdump', version: '0.1.0' },
  };
}
