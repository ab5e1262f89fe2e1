/**
 * Rules name their possible causes as (rule, subject) refs; run together, the engine links
 * them: a Service without ready endpoints is explained by its unready pods, or by endpoints
 * that lag behind Ready pods.
 */
import { describe, expect, it } from 'vitest';
import { allRules } from '../../rules/index.js';
import { endpointSlice, event, kubectlList, pod, service } from '../helpers/kube-objects.js';
import { kubeProxyIptablesSave } from '../helpers/node-dumps.js';
import { daemonSet, FLANNEL_CONFLIST, NODES, threeNodeCluster, WEAVE_CONFLIST } from '../helpers/node-network.js';
import { runOnFiles } from '../helpers/rule-tester.js';

const ns = 'shop';
const services = kubectlList([service({ namespace: ns, name: 'cart', selector: { app: 'cart' } })]);
const crashing = (name: string, ip: string) =>
  pod({ namespace: ns, name, labels: { app: 'cart' }, ip, containers: [{ name: 'cart', ports: [{ containerPort: 8080, name: 'http' }], state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 7, lastTerminated: { reason: 'Error', exitCode: 1 } }] });

describe('root-cause chain', () => {
  it('links svc-endpoints-not-ready to the pod-not-ready finding of each unready pod', () => {
    const run = runOnFiles(allRules, {
      'cluster/services.json': services,
      'cluster/pods.json': kubectlList([crashing('cart-7d9f8b6c5d-4hq8z', '10.244.1.16'), crashing('cart-7d9f8b6c5d-x2k4p', '10.244.2.17')]),
      'cluster/endpointslices.json': kubectlList([
        endpointSlice({
          namespace: ns,
          service: 'cart',
          endpoints: [
            { ip: '10.244.1.16', pod: 'cart-7d9f8b6c5d-4hq8z', ready: false, serving: false },
            { ip: '10.244.2.17', pod: 'cart-7d9f8b6c5d-x2k4p', ready: false, serving: false, node: 'node-b' },
          ],
        }),
      ]),
    });
    expect(run.findings.map((f) => f.rule).sort()).toEqual(['pod-not-ready', 'pod-not-ready', 'svc-endpoints-not-ready']);
    const symptom = run.findings.find((f) => f.rule === 'svc-endpoints-not-ready')!;
    const causes = run.findings.filter((f) => f.rule === 'pod-not-ready');
    expect(symptom.rootCause).toBe(false);
    expect(symptom.causedBy).toEqual(causes.map((c) => c.id).sort());
    for (const cause of causes) {
      expect(cause.rootCause).toBe(true);
      expect(cause.severity).toBe('critical');
      expect(cause.causes).toEqual([symptom.id]);
    }
  });

  it('links svc-endpoints-not-ready to svc-endpoints-drift when Ready pods are not published', () => {
    const run = runOnFiles(allRules, {
      'cluster/services.json': services,
      'cluster/pods.json': kubectlList([pod({ namespace: ns, name: 'cart-7d9f8b6c5d-4hq8z', labels: { app: 'cart' }, ip: '10.244.1.16' })]),
      'cluster/endpointslices.json': kubectlList([endpointSlice({ namespace: ns, service: 'cart', endpoints: [] })]),
    });
    const symptom = run.findings.find((f) => f.rule === 'svc-endpoints-not-ready')!;
    const drift = run.findings.find((f) => f.rule === 'svc-endpoints-drift')!;
    expect(symptom.causedBy).toEqual([drift.id]);
    expect(drift.rootCause).toBe(true);
  });

  // ---- calico-node not Ready because its BGP sessions are down ----

  /** `calicoctl node status` on node-b: the session to node-c (10.0.1.13) times out, node-a's is up. */
  const nodeStatusB = [
    'Calico process is running.',
    '',
    'IPv4 BGP status',
    '+--------------+-------------------+-------+------------+--------------------------------+',
    '| PEER ADDRESS |     PEER TYPE     | STATE |   SINCE    |              INFO              |',
    '+--------------+-------------------+-------+------------+--------------------------------+',
    '| 10.0.1.11    | node-to-node mesh | up    | 2025-06-10 | Established                    |',
    '| 10.0.1.13    | node-to-node mesh | start | 13:41:09   | Active Socket: Connection      |',
    '|              |                   |       |            | timed out                      |',
    '+--------------+-------------------+-------+------------+--------------------------------+',
    '',
    'IPv6 BGP status',
    'No IPv6 peers found.',
    '',
  ].join('\n');
  const calicoNodeB = pod({
    namespace: 'kube-system',
    name: 'calico-node-w9w2b',
    labels: { 'k8s-app': 'calico-node' },
    ip: '10.0.1.12',
    hostIP: '10.0.1.12',
    hostNetwork: true,
    node: 'node-b',
    owner: { kind: 'DaemonSet', name: 'calico-node' },
    containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.3', readinessProbe: true, ready: false }],
  });
  const calicoBundle = (probeMessage: string) => ({
    ...threeNodeCluster({ pods: [calicoNodeB] }),
    'cluster/events.json': kubectlList([event({ namespace: 'kube-system', kind: 'Pod', name: 'calico-node-w9w2b', reason: 'Unhealthy', message: probeMessage, count: 212 })]),
    'nodes/node-b/calico/node-status.txt': nodeStatusB,
  });

  it('links calico-node-unhealthy to calico-bgp-down when the readiness probe fails on BGP sessions', () => {
    const run = runOnFiles(allRules, calicoBundle('Readiness probe failed: calico/node is not ready: BIRD is not ready: BGP not established with 10.0.1.13'));
    const bgp = run.findings.find((f) => f.rule === 'calico-bgp-down')!;
    const calicoNode = run.findings.find((f) => f.rule === 'calico-node-unhealthy')!;
    expect(bgp.subjects).toEqual(['Node/node-b', 'Node/node-c']);
    expect(bgp.rootCause).toBe(true);
    expect(calicoNode.subjects).toEqual(['Node/node-b', 'Pod/kube-system/calico-node-w9w2b']);
    expect(calicoNode.causedBy).toEqual([bgp.id]);
    expect(calicoNode.message).toContain('BIRD is not ready: BGP not established with 10.0.1.13');
    expect(calicoNode.evidence.at(-1)).toMatchObject({ file: 'cluster/events.json', text: '"message": "Readiness probe failed: calico/node is not ready: BIRD is not ready: BGP not established with 10.0.1.13",' });
  });

  it('keeps calico-node-unhealthy a root cause when Felix, not BGP, fails the probe', () => {
    const run = runOnFiles(allRules, calicoBundle('Readiness probe failed: calico/node is not ready: felix is not ready: readiness probe reporting 503'));
    const calicoNode = run.findings.find((f) => f.rule === 'calico-node-unhealthy')!;
    expect(run.findings.some((f) => f.rule === 'calico-bgp-down')).toBe(true);
    expect(calicoNode.rootCause).toBe(true);
  });

  // ---- pods stuck in ContainerCreating behind a CNI configuration the runtime cannot use ----

    
  it('links pod-not-ready of every pod stuck in ContainerCreating to the CNI configuration problem of its node', () => {
    // Seven pods behind Service web wait for their sandbox on node-c, more than a title lists.
    const stuckNames = Array.from({ length: 7 }, (_, i) => `web-7d9f8b6c5d-s${i}`);
    const stuck = stuckNames.map((name) =>
      pod({ namespace: ns, name, labels: { app: 'web' }, node: 'node-c', hostIP: '10.0.1.13', phase: 'Pending', containers: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }] }),
    );
    const serving = pod({ namespace: ns, name: 'web-7d9f8b6c5d-4hq8z', labels: { app: 'web' }, ip: '10.244.0.5', node: 'node-a', hostIP: '10.0.1.11' });
    const crashing = pod({ namespace: ns, name: 'web-7d9f8b6c5d-q2w3e', labels: { app: 'web' }, ip: '10.244.1.6', node: 'node-b', hostIP: '10.0.1.12', containers: [{ name: 'web', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 5 }] });
    const run = runOnFiles(allRules, {
      ...threeNodeCluster({ pods: [serving, crashing, ...stuck] }),
      'cluster/services.json': kubectlList([service({ namespace: ns, name: 'web', selector: { app: 'web' } })]),
      'cluster/daemonsets.json': kubectlList([daemonSet({ namespace: 'kube-system', name: 'weave-net', containers: [{ name: 'weave', image: 'docker.io/weaveworks/weave-kube:2.8.1' }] })]),
      ...Object.fromEntries(NODES.flatMap((n) => [[`nodes/${n.name}/cni/10-flannel.conflist`, FLANNEL_CONFLIST], [`nodes/${n.name}/cni/10-weave.conflist`, WEAVE_CONFLIST]])),
    });
    const cni = run.findings.find((f) => f.rule === 'cni-config-problem' && f.subjects[0] === 'Node/node-c')!;
    expect(cni.title).toBe('node-c uses the leftover 10-flannel.conflist instead of 10-weave.conflist');
    expect(cni.subjects).toEqual(['Node/node-c', ...stuckNames.map((name) => `Pod/${ns}/${name}`)]);
    const unready = run.findings.filter((f) => f.rule === 'pod-not-ready');
    const waiting = unready.filter((f) => stuckNames.some((name) => f.subjects[0] === `Pod/${ns}/${name}`));
    expect(waiting).toHaveLength(7);
    for (const finding of waiting) expect(finding.causedBy, finding.title).toEqual([cni.id]);
    expect(unready).toHaveLength(8);
    // The crash loop on node-b is not the CNI's doing.
    expect(unready.find((f) => f.subjects[0] === `Pod/${ns}/web-7d9f8b6c5d-q2w3e`)!.rootCause).toBe(true);
  });

  // ---- kube-proxy on a node that missed one update: stale and missing rules of one Service ----

  const web = service({ namespace: ns, name: 'web', clusterIPs: ['10.96.14.7'], selector: { app: 'web' } });
  const api = service({ namespace: ns, name: 'api', clusterIPs: ['10.96.20.1'], selector: { app: 'api' } });
  const slice = (name: string, ...ips: string[]) => endpointSlice({ namespace: ns, service: name, endpoints: ips.map((ip) => ({ ip, node: 'node-a' })) });

  it('links kubeproxy-rules-missing to kubeproxy-rules-stale of the same node and Service', () => {
    // web moved from .4 to .6; node-b still DNATs to .4 and lacks .6 — one sync it did not do.
    const now = { services: [api, web], endpointSlices: [slice('api', '10.244.1.9'), slice('web', '10.244.1.5', '10.244.1.6')] };
    const run = runOnFiles(allRules, {
      'cluster/services.json': kubectlList(now.services),
      'cluster/endpointslices.json': kubectlList(now.endpointSlices),
      'nodes/node-a/iptables-save.txt': kubeProxyIptablesSave({ ...now, node: 'node-a' }),
      'nodes/node-b/iptables-save.txt': kubeProxyIptablesSave({ services: now.services, endpointSlices: [now.endpointSlices[0]!, slice('web', '10.244.1.5', '10.244.1.4')], node: 'node-b' }),
    });
    const stale = run.findings.find((f) => f.rule === 'kubeproxy-rules-stale')!;
    const missing = run.findings.find((f) => f.rule === 'kubeproxy-rules-missing')!;
    expect(stale.subjects).toEqual(['Node/node-b', `Service/${ns}/web`]);
    expect(missing.subjects).toEqual(['Node/node-b', `Service/${ns}/web`]);
    expect(missing.causedBy).toEqual([stale.id]);
    expect(stale.rootCause).toBe(true);
  });

  it('does not link missing rules of one Service to stale rules of another on the same node', () => {
    // API: web on .5 and .6, api on .9. node-b keeps web's old .4 and lacks .6, and keeps api's
    // old .8; node-a keeps api's .8 too, so node-b is not the one stuck node: each Service apart.
    const now = { services: [api, web], endpointSlices: [slice('api', '10.244.1.9'), slice('web', '10.244.1.5', '10.244.1.6')] };
    const apiWithOld = slice('api', '10.244.1.8', '10.244.1.9');
    const run = runOnFiles(allRules, {
      'cluster/services.json': kubectlList(now.services),
      'cluster/endpointslices.json': kubectlList(now.endpointSlices),
      'nodes/node-a/iptables-save.txt': kubeProxyIptablesSave({ services: now.services, endpointSlices: [apiWithOld, now.endpointSlices[1]!], node: 'node-a' }),
      'nodes/node-b/iptables-save.txt': kubeProxyIptablesSave({ services: now.services, endpointSlices: [apiWithOld, slice('web', '10.244.1.4', '10.244.1.5')], node: 'node-b' }),
    });
    const stale = run.findings.filter((f) => f.rule === 'kubeproxy-rules-stale');
    expect(stale.map((f) => f.subjects.join(' ')).sort()).toEqual(['Node/node-a Service/shop/api', 'Node/node-b Service/shop/api', 'Node/node-b Service/shop/web']);
    const missing = run.findings.filter((f) => f.rule === 'kubeproxy-rules-missing');
    expect(missing.map((f) => f.subjects)).toEqual([['Node/node-b', `Service/${ns}/web`]]);
    const webStale = stale.find((f) => f.subjects.join(' ') === 'Node/node-b Service/shop/web')!;
    expect(missing[0]!.causedBy).toEqual([webStale.id]);
  });
});
