import { describe, expect, it } from 'vitest';
import netpolDenies from '../../rules/netpol-denies.js';
import netpolPeerMatchesNothing from '../../rules/netpol-peer-matches-nothing.js';
import { findLine, ingress, ingressClass, kubectlList, pod } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';
import { clusterFiles, NODE_IPS, podIP, type ClusterOptions } from '../policy/policy-cluster.js';

type Json = Record<string, unknown>;

const CONTROLLER = 'ingress-nginx-controller-6d5f7c9b8-q2w4e';

function controllerPod(hostNetwork = false): Json {
  return pod({
    namespace: 'ingress-nginx',
    name: CONTROLLER,
    labels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx', 'pod-template-hash': '6d5f7c9b8' },
    ip: hostNetwork ? NODE_IPS['node-b'] : '10.244.2.40',
    node: 'node-b',
    hostIP: NODE_IPS['node-b'],
    hostNetwork,
    containers: [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.10.1', ports: [{ containerPort: 80, name: 'http' }] }],
  });
}

/** x serves https://a.example.com through ingress-nginx, to Service s-a port 80 (pod x/a). */
function withIngress(options: ClusterOptions & { hostNetwork?: boolean } = {}): Record<string, string> {
  return clusterFiles({
    ...options,
    extraNamespaces: { 'ingress-nginx': { 'app.kubernetes.io/name': 'ingress-nginx' } },
    extraPods: [controllerPod(options.hostNetwork)],
    files: {
      'cluster/ingresses.json': kubectlList([ingress({ namespace: 'x', name: 'web', className: 'nginx', rules: [{ host: 'a.example.com', paths: [{ path: '/', backend: { service: 's-a', port: 80 } }] }] })]),
      'cluster/ingressclasses.json': kubectlList([ingressClass({ name: 'nginx', controller: 'k8s.io/ingress-nginx' })]),
      ...options.files,
    },
  });
}

const denyAll = { 'deny-all': { podSelector: {}, policyTypes: ['Ingress'] } };
const blocked = withIngress({ policies: denyAll });
/** The policy's own spec.podSelector (not a peer's), 16 spaces deep in a kubectl List. */
const podSelectorLine = (files: Record<string, string>, name: string) => findLine(files['cluster/networkpolicies.json']!, `"name": "${name}"`, '\n                "podSelector"') + 1;

const allowController = {
  ...denyAll,
  'from-ingress-nginx': {
    podSelector: {},
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }], ports: [{ port: 80, protocol: 'TCP' }] }],
  },
};

// A typo'd namespaceSelector: the denial names the peer finding as its cause.
const typoPeer = withIngress({
  policies: { ...denyAll, 'from-ingress-nginx': { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { name: 'ingress-nginx' } } }] }] } },
});

function probes(items: Json[]): string {
  return `${JSON.stringify({ format: 'netdump-probes/v1', items }, null, 2)}\n`;
}
const tcpProbe = (name: string, outcome: string, from: string, address: string, port: number): Json => ({
  name,
  type: 'tcp',
  source: { namespace: from.split('/')[0], pod: from.split('/')[1] },
  target: { address, port, protocol: 'TCP' },
  command: `kubectl -n ${from.split('/')[0]} exec ${from.split('/')[1]} -- nc -z -w 5 ${address} ${port}`,
  durationMs: outcome === 'success' ? 2 : 5003,
  outcome,
});
const probed = clusterFiles({
  policies: denyAll,
  files: {
    'probes/probes.json': probes([
      tcpProbe('y-b-to-x-s-b', 'timeout', 'y/b', '10.96.10.2', 80),
      tcpProbe('x-a-to-y-s-a', 'success', 'x/a', '10.96.20.1', 80),
      tcpProbe('y-a-to-z-s-c', 'timeout', 'y/a', '10.96.30.3', 80),
    ]),
  },
});

// y/c may send DNS to one CoreDNS replica only (an ipBlock /32); its probe of the kube-dns ClusterIP timed out.
const oneReplica = clusterFiles({
  policies: { 'y/dns-one-replica': { podSelector: { matchLabels: { pod: 'c' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.244.1.2/32' } }], ports: [{ port: 53, protocol: 'UDP' }] }] } },
  files: {
    'probes/probes.json': probes([
      { name: 'y-c-dns', type: 'udp', source: { namespace: 'y', pod: 'c' }, target: { host: 'kube-dns.kube-system.svc.cluster.local', port: 53, protocol: 'UDP' }, durationMs: 5002, outcome: 'timeout' },
    ]),
  },
});

function hubbleLine(verdict: 'FORWARDED' | 'DROPPED', src: string, dst: string, dstPort: number): string {
  const flow: Json = {
    time: '2026-11-26T09:58:12.201337120Z',
    verdict,
    ...(verdict === 'DROPPED' ? { drop_reason: 133 } : {}),
    IP: { source: src, destination: dst, ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 40112, destination_port: dstPort, flags: { SYN: true } } },
    source: { identity: 24009, labels: [] },
    destination: { identity: 31337, labels: [] },
    Type: 'L3_L4',
    node_name: 'node-a',
    traffic_direction: verdict === 'DROPPED' ? 'INGRESS' : 'EGRESS',
    ...(verdict === 'DROPPED' ? { drop_reason_desc: 'POLICY_DENIED' } : { is_reply: false }),
    Summary: 'TCP Flags: SYN',
  };
  return JSON.stringify({ flow, node_name: 'node-a', time: flow.time });
}
const hubble = clusterFiles({
  policies: denyAll,
  files: {
    'hubble/flows.json': `${[
      hubbleLine('FORWARDED', podIP('y', 'c'), podIP('x', 'c'), 80),
      hubbleLine('DROPPED', podIP('z', 'c'), podIP('x', 'a'), 80),
      hubbleLine('FORWARDED', podIP('z', 'c'), podIP('x', 'a'), 80),
    ].join('\n')}\n`,
  },
});

ruleTester(netpolDenies, {
  valid: [
    { name: 'no policies: the controller reaches its backend', files: withIngress() },
    { name: 'default deny plus an allow for the controller', files: withIngress({ policies: allowController }) },
    { name: 'flannel: nothing is enforced', files: withIngress({ cni: 'flannel', policies: denyAll }) },
    { name: 'an Ingress to a Service that does not exist is ingress-backend-missing’s', files: withIngress({ policies: denyAll, files: { 'cluster/ingresses.json': kubectlList([ingress({ namespace: 'x', name: 'web', className: 'nginx', rules: [{ paths: [{ path: '/', backend: { service: 'nope', port: 80 } }] }] })]) } }) },
    { name: 'a denied flow outside the --namespace scope', files: blocked, namespaces: ['y'] },
    { name: 'not collected: no ingresses, probes or Hubble flows', files: Object.fromEntries(Object.entries(clusterFiles({ policies: denyAll }))), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'default deny in x forgets the ingress controller: critical, policy and route cited',
      files: blocked,
      findings: [
        {
          subjects: ['Service/x/s-a', 'Deployment/ingress-nginx/ingress-nginx-controller', 'Ingress/x/web', 'NetworkPolicy/x/deny-all'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: podSelectorLine(blocked, 'deny-all') },
            { file: 'cluster/ingresses.json', line: findLine(blocked['cluster/ingresses.json']!, '"service"') },
          ],
          severity: 'critical',
          titleMatch: /^Deployment ingress-nginx\/ingress-nginx-controller → Service x\/s-a 80\/TCP is denied by network policy$/,
          messageMatch: /Ingress x\/web routes a\.example\.com\/ to Service s-a port 80, through the nginx controller ingress-nginx\/ingress-nginx-controller-6d5f7c9b8-q2w4e; the policy engine \(kubernetes, CNI kube-router\) denies it .*ingress of x\/a is denied: selected by NetworkPolicy\/x\/deny-all \(no ingress rules\); nothing allows from ingress-nginx\/ingress-nginx-controller-6d5f7c9b8-q2w4e on 80\/TCP/,
        },
      ],
    },
    {
      name: 'a hostNetwork controller arrives as node traffic: a namespaceSelector does not admit it',
      files: withIngress({ policies: allowController, hostNetwork: true }),
      findings: [
        {
          subjects: ['Service/x/s-a', 'Deployment/ingress-nginx/ingress-nginx-controller', 'Ingress/x/web', 'NetworkPolicy/x/deny-all', 'NetworkPolicy/x/from-ingress-nginx'],
          titleMatch: /^Deployment ingress-nginx\/ingress-nginx-controller \(hostNetwork, as node node-b\) → Service x\/s-a 80\/TCP/,
          evidence: [
            { file: 'cluster/networkpolicies.json', line: podSelectorLine(withIngress({ policies: allowController }), 'deny-all') },
            { file: 'cluster/networkpolicies.json', line: podSelectorLine(withIngress({ policies: allowController }), 'from-ingress-nginx') },
            { file: 'cluster/ingresses.json', line: findLine(blocked['cluster/ingresses.json']!, '"service"') },
          ],
          messageMatch: /node node-b 10\.0\.0\.12 \(hostNetwork pod ingress-nginx\/ingress-nginx-controller-6d5f7c9b8-q2w4e\) is node traffic \(hostNetwork pods included\), and selectors match pods only/,
        },
      ],
    },
    {
      name: 'failed probes the policies deny; a success and an allowed failure are not reported',
      files: probed,
      findings: [
        {
          subjects: ['Service/x/s-b', 'StatefulSet/y/y-b', 'NetworkPolicy/x/deny-all'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: podSelectorLine(probed, 'deny-all') },
            { file: 'probes/probes.json', line: findLine(probed['probes/probes.json']!, '"y-b-to-x-s-b"', '"outcome"') },
          ],
          severity: 'critical',
          messageMatch: /probe y-b-to-x-s-b \(tcp y\/b → 10\.96\.10\.2:80\) failed: timeout/,
        },
      ],
    },
    {
      name: 'a Service whose endpoints are denied in part: a warning naming how many',
      files: oneReplica,
      findings: [
        {
          subjects: ['Service/kube-system/kube-dns', 'StatefulSet/y/y-c', 'NetworkPolicy/y/dns-one-replica'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: podSelectorLine(oneReplica, 'dns-one-replica') },
            { file: 'probes/probes.json', line: findLine(oneReplica['probes/probes.json']!, '"outcome"') },
          ],
          severity: 'warning',
          messageMatch: /denies it, denied to 1 of the 2 endpoints \(the others are allowed\).*egress of y\/c is denied: selected by NetworkPolicy\/y\/dns-one-replica \(rule 0: to: kube-system\/coredns-7db6d8ff4d-p8wzt matches no peer \(ipBlock 10\.244\.1\.2\/32: 10\.244\.2\.2 is not in 10\.244\.1\.2\/32\)\)/,
        },
      ],
    },
    {
      name: 'a SYN Hubble saw forwarded, whose drop it did not record: a warning',
      files: hubble,
      findings: [
        {
          subjects: ['StatefulSet/x/x-c', 'StatefulSet/y/y-c', 'NetworkPolicy/x/deny-all'],
          evidence: [
            { file: 'cluster/networkpolicies.json', line: podSelectorLine(hubble, 'deny-all') },
            { file: 'hubble/flows.json', line: 1 },
          ],
          severity: 'warning',
          messageMatch: /^Hubble saw 10\.244\.1\.22 → 10\.244\.1\.12:80\/TCP forwarded on node-a at 2026-11-26T09:58:12\.201337120Z/,
        },
      ],
    },
  ],
});

describe('netpol-denies', () => {
  it('links the denial to the peer that matches nothing', () => {
    const run = runOnFiles([netpolPeerMatchesNothing, netpolDenies], typoPeer);
    const peer = run.findings.find((f) => f.rule === 'netpol-peer-matches-nothing')!;
    const denial = run.findings.find((f) => f.rule === 'netpol-denies')!;
    expect(denial.causedBy).toEqual([peer.id]);
    expect(peer.rootCause).toBe(true);
  });

  it('merges a probe and an Ingress route of the same flow into one finding', () => {
    const files = withIngress({
      policies: denyAll,
      files: { 'probes/probes.json': probes([tcpProbe('controller-to-s-a', 'timeout', `ingress-nginx/${CONTROLLER}`, '10.96.10.1', 80)]) },
    });
    const run = runOnFiles([netpolDenies], files);
    expect(run.findings).toHaveLength(1);
    expect((run.findings[0]!.data as { sources: { kind: string }[] }).sources.map((s) => s.kind)).toEqual(['ingress', 'probe']);
    expect(run.findings[0]!.commands![0]).toBe(`netdump policy <bundle> --from pod/ingress-nginx/${CONTROLLER} --to svc/x/s-a --port 80`);
  });
});
