import { describe, expect, it } from 'vitest';
import bundleCollectionFailed from '../../rules/bundle-collection-failed.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

interface Item {
  path: string;
  node?: string;
  command: string;
  exitCode: number;
  durationMs: number;
  stderr: string;
  error?: string;
}

const manifest = (items: Item[]) =>
  `${JSON.stringify(
    {
      format: 'netdump/v1',
      createdAt: '2026-11-26T10:00:00Z',
      collector: { name: 'netdump', version: '0.1.0' },
      cluster: { context: 'prod-eu-1', serverVersion: 'v1.31.2', clusterDomain: 'cluster.local' },
      items,
      redaction: { secrets: 'never collected', anonymized: false },
    },
    null,
    2,
  )}\n`;

const ok = (node: string): Item => ({ path: `nodes/${node}/iptables-save.txt`, node, command: 'iptables-save', exitCode: 0, durationMs: 84, stderr: '' });
const noIpvsadm = (node: string): Item => ({
  path: `nodes/${node}/ipvsadm.txt`,
  node,
  command: 'ipvsadm -Ln',
  exitCode: 127,
  durationMs: 3,
  stderr: 'sh: ipvsadm: not found',
  error: 'command not found',
});

const healthy = manifest([ok('node-a'), ok('node-b')]);
const missingTool = manifest([ok('node-a'), noIpvsadm('node-a'), ok('node-b'), noIpvsadm('node-b')]);
const forbidden = manifest([
  {
    path: 'cluster/networkpolicies.json',
    command: 'kubectl get networkpolicies.networking.k8s.io -A -o json',
    exitCode: 1,
    durationMs: 212,
    stderr:
      'Error from server (Forbidden): networkpolicies.networking.k8s.io is forbidden: User "system:serviceaccount:netdump:collector" cannot list resource "networkpolicies" in API group "networking.k8s.io" at the cluster scope\n',
  },
]);
const differentErrors = manifest([
  { path: 'nodes/node-a/conntrack-stats.txt', node: 'node-a', command: 'conntrack -S', exitCode: 1, durationMs: 5, stderr: 'conntrack v1.4.8 (conntrack-tools): Operation failed: Operation not permitted' },
  { path: 'nodes/node-b/conntrack-stats.txt', node: 'node-b', command: 'conntrack -S', exitCode: 124, durationMs: 30000, stderr: '', error: 'timed out after 30s' },
]);

/** The evidence is the item's exitCode line, the member that shows the failure. */
const itemLine = (text: string, path: string) => findLine(text, `"path": "${path}"`, '"exitCode"');

ruleTester(bundleCollectionFailed, {
  valid: [
    { name: 'every command succeeded', files: { 'manifest.json': healthy } },
    { name: 'not collected: no manifest.json', files: { 'cluster/pods.json': '{"apiVersion": "v1", "items": [], "kind": "List"}\n' }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'the same missing tool on two nodes: one finding, info',
      files: { 'manifest.json': missingTool },
      findings: [
        {
          subjects: ['Node/node-a', 'Node/node-b'],
          evidence: [
            { file: 'manifest.json', line: itemLine(missingTool, 'nodes/node-a/ipvsadm.txt') },
            { file: 'manifest.json', line: itemLine(missingTool, 'nodes/node-b/ipvsadm.txt') },
          ],
          severity: 'info',
          titleMatch: /^`ipvsadm -Ln` is not installed on 2 nodes \(node-a, node-b\)$/,
          messageMatch: /failed on 2 nodes \(node-a, node-b\) \(exit code 127; sh: ipvsadm: not found; error: command not found\)/,
        },
      ],
    },
    {
      name: 'RBAC refused a cluster read',
      files: { 'manifest.json': forbidden },
      findings: [
        {
          subjects: ['Bundle/manifest'],
          evidence: [{ file: 'manifest.json', line: itemLine(forbidden, 'cluster/networkpolicies.json') }],
          severity: 'warning',
          titleMatch: /^RBAC forbade `kubectl get networkpolicies\.networking\.k8s\.io -A -o json`$/,
          messageMatch: /cannot list resource "networkpolicies".*not allowed to read this resource/,
        },
      ],
    },
    {
      name: 'different errors on two nodes stay apart',
      files: { 'manifest.json': differentErrors },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [{ file: 'manifest.json', line: itemLine(differentErrors, 'nodes/node-a/conntrack-stats.txt') }],
          messageMatch: /Operation not permitted/,
        },
        {
          subjects: ['Node/node-b'],
          evidence: [{ file: 'manifest.json', line: itemLine(differentErrors, 'nodes/node-b/conntrack-stats.txt') }],
          messageMatch: /exit code 124; error: timed out after 30s/,
        },
      ],
    },
  ],
});

describe('bundle-collection-failed advice', () => {
  it('gives the kubectl auth can-i command for an RBAC refusal', () => {
    const run = runOnFiles([bundleCollectionFailed], { 'manifest.json': forbidden });
    expect(run.findings[0]!.commands).toEqual(['kubectl auth can-i list networkpolicies.networking.k8s.io --all-namespaces']);
  });
});
