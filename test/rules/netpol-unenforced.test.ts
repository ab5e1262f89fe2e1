import { describe, expect, it } from 'vitest';
import netpolUnenforced from '../../rules/netpol-unenforced.js';
import { findLine, kubectlList } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';
import { clusterFiles, daemonSet } from '../policy/policy-cluster.js';

const policies = {
  'default-deny': { podSelector: {}, policyTypes: ['Ingress'] },
  'allow-from-y': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] },
  'y/deny-egress': { podSelector: {}, policyTypes: ['Egress'] },
};
const flannel = clusterFiles({ cni: 'flannel', policies });
const flannelPolicies = flannel['cluster/networkpolicies.json']!;

// Cilium installed with policy enforcement switched off.
const ciliumNever = clusterFiles({
  cni: 'cilium',
  policies,
  files: {
    'cluster/configmaps.json': kubectlList([
      {
        apiVersion: 'v1',
        data: { 'cluster-name': 'default', 'enable-policy': 'never', ipam: 'kubernetes' },
        kind: 'ConfigMap',
        metadata: { creationTimestamp: '2026-11-26T09:00:00Z', name: 'cilium-config', namespace: 'kube-system', resourceVersion: '1201', uid: 'cm-cilium-config' },
      },
    ]),
  },
});

// The AWS VPC CNI without its network policy agent container.
const awsNode = clusterFiles({
  cni: 'none',
  policies,
  files: { 'cluster/daemonsets.json': kubectlList([daemonSet('kube-system', 'aws-node', { 'k8s-app': 'aws-node' }, [{ name: 'aws-node', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3' }])]) },
});

ruleTester(netpolUnenforced, {
  valid: [
    { name: 'a CNI that enforces policies (kube-router)', files: clusterFiles({ policies }) },
    { name: 'Calico', files: clusterFiles({ cni: 'calico', policies }) },
    { name: 'flannel without any policy', files: clusterFiles({ cni: 'flannel' }) },
    { name: 'an unidentified CNI: enforcement is assumed', files: clusterFiles({ cni: 'none', policies }) },
    { name: 'not collected: no networkpolicies.json', files: Object.fromEntries(Object.entries(flannel).filter(([p]) => p !== 'cluster/networkpolicies.json')), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'flannel alone: the DaemonSet is the evidence, every policy is a subject',
      files: flannel,
      findings: [
        {
          subjects: ['NetworkPolicy/x/allow-from-y', 'NetworkPolicy/x/default-deny', 'NetworkPolicy/y/deny-egress'],
          evidence: [
            { file: 'cluster/daemonsets.json', line: findLine(flannel['cluster/daemonsets.json']!, '"name": "kube-flannel-ds"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "allow-from-y"', '"podSelector"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "default-deny"', '"podSelector"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "deny-egress"', '"podSelector"') },
          ],
          severity: 'warning',
          titleMatch: /^NetworkPolicies are not enforced: flannel implements none$/,
          messageMatch: /the cluster's CNI is flannel \(DaemonSet kube-flannel\/kube-flannel-ds\), which does not enforce NetworkPolicies; 3 NetworkPolicies in 2 namespaces \(x: allow-from-y, default-deny; y: deny-egress\) give no protection/,
        },
      ],
    },
    {
      name: 'Cilium with enable-policy: never',
      files: ciliumNever,
      findings: [
        {
          subjects: ['NetworkPolicy/x/allow-from-y', 'NetworkPolicy/x/default-deny', 'NetworkPolicy/y/deny-egress'],
          evidence: [
            { file: 'cluster/daemonsets.json', line: findLine(ciliumNever['cluster/daemonsets.json']!, '"name": "cilium"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "allow-from-y"', '"podSelector"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "default-deny"', '"podSelector"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "deny-egress"', '"podSelector"') },
          ],
          messageMatch: /cilium-config sets enable-policy: never/,
        },
      ],
    },
    {
      name: 'the AWS VPC CNI without its policy agent',
      files: awsNode,
      findings: [
        {
          subjects: ['NetworkPolicy/x/allow-from-y', 'NetworkPolicy/x/default-deny', 'NetworkPolicy/y/deny-egress'],
          evidence: [
            { file: 'cluster/daemonsets.json', line: findLine(awsNode['cluster/daemonsets.json']!, '"name": "aws-node"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "allow-from-y"', '"podSelector"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "default-deny"', '"podSelector"') },
            { file: 'cluster/networkpolicies.json', line: findLine(flannelPolicies, '"name": "deny-egress"', '"podSelector"') },
          ],
          messageMatch: /the AWS VPC CNI enforces NetworkPolicies only with its network policy agent/,
        },
      ],
    },
  ],
});

describe('netpol-unenforced', () => {
  it('tells how to get enforcement for the CNI found', () => {
    const [finding] = runOnFiles([netpolUnenforced], flannel).findings;
    expect(finding!.remediation).toMatch(/^flannel only routes pod traffic and implements no NetworkPolicy/);
    expect(finding!.data).toEqual({ cni: 'flannel', policies: 3, adminPolicies: 0 });
  });

  it('keeps to the namespaces asked for', () => {
    const [finding] = runOnFiles([netpolUnenforced], flannel, ['y']).findings;
    expect(finding!.subjects).toEqual(['NetworkPolicy/y/deny-egress']);
  });
});
