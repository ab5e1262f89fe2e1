import { describe, expect, it } from 'vitest';
import ciliumPolicyDrop from '../../rules/cilium-policy-drop.js';
import { findLine, kubectlList } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';
import { NAMESPACES, NODES, PODS } from '../policy/cni-policy-cluster.js';
import { daemonSet } from '../policy/policy-cluster.js';

type Json = Record<string, unknown>;

// shop/web-1 10.0.1.10 (app=web), shop/cart-1 10.0.1.11 (app=cart), db/postgres-0 10.0.2.20 (app=postgres) on node-b.
const CNP = kubectlList([
  {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { creationTimestamp: '2026-11-20T10:00:00Z', generation: 1, name: 'postgres-from-cart', namespace: 'db', resourceVersion: '20417', uid: 'cnp-postgres-from-cart' },
    spec: {
      endpointSelector: { matchLabels: { app: 'postgres' } },
      ingress: [{ fromEndpoints: [{ matchLabels: { app: 'cart', 'k8s:io.kubernetes.pod.namespace': 'shop' } }], toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] }],
    },
  },
]);

function files(extra: Record<string, string>, cni: 'cilium' | 'calico' = 'cilium'): Record<string, string> {
  const agent =
    cni === 'cilium'
      ? daemonSet('kube-system', 'cilium', { 'k8s-app': 'cilium' }, [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.15.6' }])
      : daemonSet('kube-system', 'calico-node', { 'k8s-app': 'calico-node' }, [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.3' }]);
  return {
    'cluster/namespaces.json': kubectlList(NAMESPACES),
    'cluster/nodes.json': kubectlList(NODES),
    'cluster/pods.json': kubectlList(PODS),
    'cluster/daemonsets.json': kubectlList([agent]),
    'cluster/networkpolicies.json': kubectlList([]),
    'cluster/cilium/ciliumnetworkpolicies.json': CNP,
    ...extra,
  };
}

function flow(verdict: 'DROPPED' | 'FORWARDED', src: { ip: string; ns: string; pod: string; identity: number }, dst: { ip: string; ns: string; pod: string }, time: string): string {
  const body: Json = {
    time,
    verdict,
    ...(verdict === 'DROPPED' ? { drop_reason: 133 } : {}),
    IP: { source: src.ip, destination: dst.ip, ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 51012, destination_port: 5432, flags: { SYN: true } } },
    source: { ID: 1201, identity: src.identity, namespace: src.ns, labels: [], pod_name: src.pod },
    destination: { ID: 933, identity: 41877, namespace: dst.ns, labels: [], pod_name: dst.pod },
    Type: 'L3_L4',
    node_name: 'node-b',
    traffic_direction: 'INGRESS',
    ...(verdict === 'DROPPED' ? { drop_reason_desc: 'POLICY_DENIED' } : { is_reply: false }),
    Summary: 'TCP Flags: SYN',
  };
  return JSON.stringify({ flow: body, node_name: 'node-b', time });
}
const web = { ip: '10.0.1.10', ns: 'shop', pod: 'web-1', identity: 12885 };
const cart = { ip: '10.0.1.11', ns: 'shop', pod: 'cart-1', identity: 30214 };
const postgres = { ip: '10.0.2.20', ns: 'db', pod: 'postgres-0' };

const MONITOR = `Listening for events on 4 CPUs with 64x4096 of shared memory
Press Ctrl-C to quit
xx drop (Policy denied) flow 0x5e3c9a1f to endpoint 933, ifindex 14, file bpf_lxc.c:2102, identity 12885->41877: 10.0.1.10:51880 -> 10.0.2.20:5432 tcp SYN
`;

// web reaches for postgres directly: Hubble and cilium monitor record the drops.
const webDrops = files({
  'hubble/flows.json': `${[flow('FORWARDED', cart, postgres, '2026-11-26T09:40:00.100000000Z'), flow('DROPPED', web, postgres, '2026-11-26T09:40:01.200000000Z'), flow('DROPPED', web, postgres, '2026-11-26T09:40:02.210000000Z')].join('\n')}\n`,
  'nodes/node-b/cilium/monitor-drop.txt': MONITOR,
});

// cart is allowed, yet dropped: its address was seen with a CIDR identity (cilium/cilium#11517).
const cidrIdentity = files({ 'hubble/flows.json': `${flow('DROPPED', { ...cart, identity: 16777388 }, postgres, '2026-11-26T09:41:00Z')}\n` });

ruleTester(ciliumPolicyDrop, {
  valid: [
    { name: 'forwarded flows only', files: files({ 'hubble/flows.json': `${flow('FORWARDED', cart, postgres, '2026-11-26T09:40:00Z')}\n` }) },
    { name: 'a Calico cluster: no Hubble to read', files: files({}, 'calico') },
    { name: 'drops outside the --namespace scope', files: webDrops, namespaces: ['kube-system'] },
    { name: 'not collected on a Cilium cluster without Hubble flows or monitor drops', files: files({}), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'Hubble and monitor drops of web → postgres, tied to the CiliumNetworkPolicy that denies them',
      files: webDrops,
      findings: [
        {
          subjects: ['CiliumNetworkPolicy/db/postgres-from-cart', 'ReplicaSet/shop/web', 'StatefulSet/db/postgres'],
          evidence: [
            { file: 'cluster/cilium/ciliumnetworkpolicies.json', line: findLine(CNP, '"ingress"') },
            { file: 'hubble/flows.json', line: 2 },
            { file: 'hubble/flows.json', line: 3 },
            { file: 'nodes/node-b/cilium/monitor-drop.txt', line: 3 },
          ],
          severity: 'warning',
          titleMatch: /^Cilium drops ReplicaSet shop\/web → StatefulSet db\/postgres 5432\/TCP: denied by CiliumNetworkPolicy\/db\/postgres-from-cart$/,
          messageMatch: /^3 policy drops of ReplicaSet shop\/web → StatefulSet db\/postgres on 5432\/TCP \(POLICY_DENIED, Policy denied; on node-b; 2026-11-26T09:40:01\.200000000Z to 2026-11-26T09:40:02\.210000000Z\); judged with Cilium's semantics, the bundle's policies deny it: ingress of db\/postgres-0 is denied: selected by CiliumNetworkPolicy\/db\/postgres-from-cart/,
        },
      ],
    },
    {
      name: 'a drop the policies would allow: the CIDR identity of a pod address explains it',
      files: cidrIdentity,
      findings: [
        {
          subjects: ['ReplicaSet/shop/cart', 'StatefulSet/db/postgres'],
          evidence: [{ file: 'hubble/flows.json', line: 1 }],
          titleMatch: /which the bundle's policies allow$/,
          messageMatch: /the source shop\/cart-1 \(10\.0\.1\.11\) was seen with identity 16777388, a CIDR identity, instead of its pod identity \(cilium\/cilium#11517\)/,
        },
      ],
    },
  ],
});

describe('cilium-policy-drop', () => {
  it('lists every record of the group for scripts', () => {
    const [finding] = runOnFiles([ciliumPolicyDrop], webDrops).findings;
    expect(finding!.data).toEqual({
      drops: 3,
      verdict: 'deny',
      policies: ['CiliumNetworkPolicy/db/postgres-from-cart'],
      records: [
        { source: 'hubble', file: 'hubble/flows.json', line: 2 },
        { source: 'hubble', file: 'hubble/flows.json', line: 3 },
        { source: 'monitor', file: 'nodes/node-b/cilium/monitor-drop.txt', line: 3 },
      ],
    });
  });
});
