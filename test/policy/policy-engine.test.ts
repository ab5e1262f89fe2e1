/**
 * Which engine enforces policies (detect-policy-engine.ts), and what that changes in verdicts:
 * nothing enforced on flannel, ipBlock blind to pod IPs on Cilium, Calico's own walk.
 */
import { describe, expect, it } from 'vitest';
import { policyEngine } from '../../analyzer/policy/detect-policy-engine.js';
import { evaluate } from '../../analyzer/policy/evaluate.js';
import { findLine, kubectlList, node } from '../helpers/kube-objects.js';
import { clusterFiles, clusterModel, daemonSet, podIP } from './policy-cluster.js';

type Json = Record<string, unknown>;

const denyAll: Json = { podSelector: {}, policyTypes: ['Ingress'] };
const serverIP = podIP('x', 'b');
const egressToServerByIP: Record<string, Json> = {
  'except-server': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${serverIP}/24`, except: [`${serverIP}/32`] } }] }] },
  'allow-server': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${serverIP}/32` } }] }] },
};

describe('detectPolicyEngine', () => {
  it('names the CNI DaemonSet that enforces policies, with its line', () => {
    const files = clusterFiles({ cni: 'kube-router' });
    const engine = policyEngine(clusterModel({ cni: 'kube-router' }));
    expect(engine).toMatchObject({ kind: 'kubernetes', cni: 'kube-router', detected: true, semantics: { ipBlockMatchesPodIPs: true } });
    expect(engine.evidence[0]).toMatchObject({ file: 'cluster/daemonsets.json', line: findLine(files['cluster/daemonsets.json']!, '"name": "kube-router"') });
  });

  it('prefers the CNI that enforces: canal (calico over flannel) is Calico', () => {
    const daemonSets = kubectlList([
      daemonSet('kube-system', 'kube-flannel-ds', { app: 'flannel' }, [{ name: 'kube-flannel', image: 'ghcr.io/flannel-io/flannel:v0.26.1' }]),
      daemonSet('kube-system', 'canal', { 'k8s-app': 'canal' }, [{ name: 'calico-node', image: 'docker.io/calico/node:v3.28.2' }]),
    ]);
    const engine = policyEngine(clusterModel({ cni: 'none', files: { 'cluster/daemonsets.json': daemonSets } }));
    expect(engine).toMatchObject({ kind: 'calico', cni: 'calico' });
    expect(engine.notes).toEqual(['calico enforces policies; also present: flannel']);
  });

  it('reads the CNI config of a node when no DaemonSet was collected', () => {
    const conflist = '{\n  "name": "k8s-pod-network",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "calico",\n      "datastore_type": "kubernetes"\n    },\n    {\n      "type": "portmap",\n      "snat": true\n    }\n  ]\n}\n';
    const engine = policyEngine(clusterModel({ cni: 'none', files: { 'nodes/node-a/cni/10-calico.conflist': conflist } }));
    expect(engine).toMatchObject({ kind: 'calico', cni: 'calico' });
    expect(engine.evidence).toEqual([{ file: 'nodes/node-a/cni/10-calico.conflist', line: 6, text: '"type": "calico",', note: 'CNI plugin calico' }]);
  });

  it('the AWS VPC CNI enforces only with its node agent', () => {
    const withAgent = (containers: { name: string; image: string }[]) =>
      policyEngine(clusterModel({ cni: 'none', files: { 'cluster/daemonsets.json': kubectlList([daemonSet('kube-system', 'aws-node', { 'k8s-app': 'aws-node' }, containers)]) } }));
    const cni = { name: 'aws-node', image: '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.0' };
    expect(withAgent([cni]).kind).toBe('none');
    expect(withAgent([cni, { name: 'aws-eks-nodeagent', image: '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.5' }])).toMatchObject({ kind: 'kubernetes', cni: 'aws-vpc-cni' });
  });

  it('kindnet enforces from its 2024-07 images (kind v0.24) on', () => {
    const kindnet = (tag: string) =>
      policyEngine(clusterModel({ cni: 'none', files: { 'cluster/daemonsets.json': kubectlList([daemonSet('kube-system', 'kindnet', { app: 'kindnet' }, [{ name: 'kindnet-cni', image: `docker.io/kindest/kindnetd:${tag}` }])]) } }));
    expect(kindnet('v20230511-dc714da8').kind).toBe('none');
    expect(kindnet('v20240813-c6f155d6')).toMatchObject({ kind: 'kubernetes', cni: 'kindnet' });
  });

  it('k3s nodes run kube-router\'s policy controller in the k3s binary', () => {
    const k3sNode = node({ name: 'node-a', ip: '10.0.0.11' }) as { status: { nodeInfo: Record<string, string> } };
    k3sNode.status.nodeInfo.kubeletVersion = 'v1.31.2+k3s1';
    const engine = policyEngine(clusterModel({ cni: 'none', files: { 'cluster/nodes.json': kubectlList([k3sNode]) } }));
    expect(engine).toMatchObject({ kind: 'kubernetes', cni: 'kube-router (k3s)' });
  });

  it('assumes upstream semantics when nothing names the CNI, and says so', () => {
    const model = clusterModel({ cni: 'none', policies: { 'deny-all': denyAll } });
    expect(policyEngine(model)).toMatchObject({ kind: 'kubernetes', cni: 'unknown', detected: false });
    const verdict = evaluate(model, { from: 'y/a', to: 'x/a', port: 80 });
    expect(verdict.verdict).toBe('deny');
    expect(verdict.notes).toContain('the CNI could not be identified (no CNI DaemonSet, agent pod or CNI config in the bundle): verdicts assume NetworkPolicies are enforced with upstream semantics');
  });
});

describe('verdicts by engine', () => {
  it('flannel alone enforces nothing: allowed, naming what would deny', () => {
    const verdict = evaluate(clusterModel({ cni: 'flannel', policies: { 'deny-all': denyAll } }), { from: 'y/a', to: 'x/a', port: 80 });
    expect(verdict).toMatchObject({ verdict: 'allow', engine: 'none', cni: 'flannel', decidedBy: [] });
    expect(verdict.notes).toEqual(['NetworkPolicies are not enforced by flannel', 'were they enforced, NetworkPolicy/x/deny-all would deny this flow']);
  });

  it('Cilium does not match pod IPs by ipBlock (upstream CNIs do)', () => {
    const upstream = evaluate(clusterModel({ cni: 'kube-router', policies: egressToServerByIP }), { from: 'x/a', to: 'x/b', port: 80 });
    expect(upstream.verdict).toBe('allow');
    const cilium = evaluate(clusterModel({ cni: 'cilium', policies: egressToServerByIP }), { from: 'x/a', to: 'x/b', port: 80 });
    expect(cilium).toMatchObject({ verdict: 'deny', engine: 'cilium' });
    expect(cilium.egress.notes.join('\n')).toMatch(new RegExp(`${serverIP.replaceAll('.', '\\.')}/32 contains .*by identity`));
    // External addresses still match by CIDR.
    const external = { 'to-cidr': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '192.0.2.0/24' } }] }] } };
    expect(evaluate(clusterModel({ cni: 'cilium', policies: external }), { from: 'x/a', to: '192.0.2.8', port: 443 }).verdict).toBe('allow');
  });

  it('Calico judges Kubernetes policies in its default tier', () => {
    const model = clusterModel({ cni: 'calico', policies: { 'deny-all': denyAll, 'allow-from-y': { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] } } });
    const denied = evaluate(model, { from: 'z/a', to: 'x/a', port: 80 });
    expect(denied).toMatchObject({ verdict: 'deny', engine: 'calico' });
    const allowed = evaluate(model, { from: 'y/a', to: 'x/a', port: 80 });
    expect(allowed.verdict).toBe('allow');
    expect(allowed.ingress.decidedBy.map((d) => [d.policy, d.ruleIndex, d.action])).toEqual([['NetworkPolicy/x/allow-from-y', 0, 'allow']]);
  });
});
