/**
 * tracePath between pods, on three-node Calico clusters built here (path-cluster.ts): the hops,
 * encapsulation and MTU, the verdicts of forwarding, rp_filter, netfilter and NetworkPolicy,
 * Services followed through kube-proxy's DNAT, same-node and IPv6 paths, and what the bundle
 * cannot say.
 */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import type { PathError, PathRequest, PathResult } from '../../analyzer/path/path-types.js';
import { tracePath } from '../../analyzer/path/trace-path.js';
import { kubectlList } from '../helpers/kube-objects.js';
import { lineOf } from '../helpers/node-dumps.js';
import { clusterFiles, nodeDump } from '../helpers/two-node-cluster.js';
import { pathCluster, vethName, type PathClusterOptions } from './path-cluster.js';

const A = 'shop/web-7d9f8b6c5d-4hq8z'; // node-a, 10.244.0.5
const B = 'shop/web-7d9f8b6c5d-q2w3e'; // node-b, 10.244.1.6
const C = 'shop/web-7d9f8b6c5d-x8k2m'; // node-c, 10.244.2.7

function trace(files: Record<string, string>, request: PathRequest): PathResult {
  const result = tracePath(buildModel(bundleFromFiles(files)), request);
  if ('error' in result) throw new Error(`unexpected error: ${result.error}`);
  return result;
}

function traceError(files: Record<string, string>, request: PathRequest): PathError {
  const result = tracePath(buildModel(bundleFromFiles(files)), request);
  if (!('error' in result)) throw new Error(`expected an error, got verdict ${result.verdict}`);
  return result;
}

const cluster = (options: PathClusterOptions = {}) => pathCluster(options);
const hop = (result: PathResult, name: string) => result.hops.find((h) => h.name === name)!;
const evidenceOf = (result: PathResult) => result.hops.flatMap((h) => h.evidence.map((e) => `${e.file}:${e.line}`));

describe('pod to pod across nodes', () => {
  it('IP-in-IP: pod eth0, source node, tunl0 over eth0, destination node, pod; 1480-byte packets fit', () => {
    const files = cluster();
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('works');
    expect(result.hops.map((h) => [h.kind, h.name, h.status])).toEqual([
      ['pod', A, 'ok'],
      ['node', 'node-a', 'ok'],
      ['link', 'IP-in-IP tunl0 over eth0', 'ok'],
      ['node', 'node-c', 'ok'],
      ['pod', C, 'ok'],
    ]);
    expect(result.encapsulation).toEqual({ kind: 'ipip', name: 'IP-in-IP', overhead: 20, device: 'tunl0', deviceMtu: 1480, underlay: 'eth0', underlayMtu: 1500 });
    expect(result.mtu).toMatchObject({ sent: 1480, largest: 1480, blackHole: false });
    // The route that chose tunl0 on node-a, and the pod's /32 route on node-c.
    const routes = files['nodes/node-a/ip-route.txt']!;
    expect(evidenceOf(result)).toContain(`nodes/node-a/ip-route.txt:${lineOf(routes, '10.244.2.0/24 via 10.0.1.13 dev tunl0')}`);
    expect(evidenceOf(result)).toContain(`nodes/node-c/ip-route.txt:${lineOf(files['nodes/node-c/ip-route.txt']!, `10.244.2.7 dev ${vethName('10.244.2.7')}`)}`);
    expect(hop(result, 'node-c').details).toContain('arrives on tunl0 from 10.244.0.5');
    // No iptables dumps in this bundle: said, not assumed.
    expect(hop(result, 'node-a').unknowns).toContain("not collected: nodes/node-a/iptables-save.txt (node-a's netfilter rules: FORWARD and NAT not checked)");
    expect(result.policy?.verdict).toBe('allow');
  });

  it('tunl0 as large as the underlay: packets over 1480 bytes vanish once wrapped (MTU black hole)', () => {
    const result = trace(cluster({ tunnelMtu: 1500, podMtu: 1500 }), { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('mtu-black-hole');
    expect(result.mtu).toMatchObject({ sent: 1500, largest: 1480, blackHole: true });
    expect(result.mtu?.limitedBy).toContain('eth0 on node-a');
    expect(hop(result, 'IP-in-IP tunl0 over eth0').status).toBe('warning');
    expect(result.reason).toContain('only 1480 get through');
  });

  it('pods larger than a right-sized tunnel: they depend on path MTU discovery, not a black hole', () => {
    const result = trace(cluster({ podMtu: 1500 }), { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('works');
    expect(result.mtu).toMatchObject({ sent: 1500, largest: 1480, blackHole: false });
    expect(result.mtu?.text).toContain('path MTU discovery');
  });

  it('a node without the route to the destination podCIDR: the default route sends it unencapsulated', () => {
    const files = cluster();
    files['nodes/node-a/ip-route.txt'] = files['nodes/node-a/ip-route.txt']!.replace('10.244.2.0/24 via 10.0.1.13 dev tunl0 proto bird onlink\n', '');
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('blocked');
    expect(hop(result, 'node-a').status).toBe('blocked');
    expect(result.reason).toContain('only the default route matches 10.244.2.7, not tunl0');
    expect(evidenceOf(result)).toContain('nodes/node-a/ip-route.txt:1');
    expect(hop(result, C).status).toBe('unknown');
    // The other direction: the request has its route and arrives, but node-a's replies take the same default route.
    const back = trace(files, { from: C, to: `${A}:8080` });
    expect(back.verdict).toBe('blocked');
    expect(back.hops.map((h) => h.status)).toEqual([...back.hops.slice(0, -1).map(() => 'ok'), 'blocked']);
    expect(back.hops.at(-1)).toMatchObject({ name: 'node-a (replies)', summary: expect.stringContaining('the replies to 10.244.2.7 cannot get back: only the default route matches 10.244.2.7, not tunl0') });
  });

  it('ip_forward 0 on the destination node: it does not forward to its pod', () => {
    const files = cluster({ sysctl: { 'node-c': { 'net.ipv4.ip_forward': '0' } } });
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('blocked');
    expect(result.reason).toBe('blocked at node-c: node-c does not forward it: net.ipv4.ip_forward is 0: the host does not forward packets arriving on tunl0');
    expect(hop(result, 'node-c').evidence).toContainEqual(expect.objectContaining({ file: 'nodes/node-c/sysctl.txt', line: 1, text: 'net.ipv4.ip_forward = 0' }));
  });

  it('strict rp_filter on the destination node, whose route back to the source leaves by eth0, not tunl0', () => {
    const files = cluster({ sysctl: { 'node-c': { 'net.ipv4.conf.all.rp_filter': '1' } }, routes: { 'node-c': ['10.244.0.0/25 via 10.0.1.11 dev eth0 proto static'] } });
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('blocked');
    expect(result.reason).toContain('rp_filter strict on tunl0: the route back to 10.244.0.5 leaves through eth0');
    // Loose rp_filter lets the same packet through.
    const loose = cluster({ routes: { 'node-c': ['10.244.0.0/25 via 10.0.1.11 dev eth0 proto static'] } });
    expect(trace(loose, { from: A, to: `${C}:8080` }).verdict).toBe('works');
  });

  it('tunl0 down on the destination node: the IP-in-IP packets are not unwrapped there', () => {
    const files = cluster();
    for (const listing of ['ip-addr', 'ip-link']) {
      const path = `nodes/node-c/${listing}.txt`;
      files[path] = files[path]!.replace(/^(\d+: tunl0@NONE: )<NOARP,UP,LOWER_UP>(.*) state UNKNOWN /m, '$1<NOARP>$2 state DOWN ');
    }
    const link = files['nodes/node-c/ip-link.txt']!;
    const down = link.split('\n').find((l) => l.includes('tunl0@NONE: <NOARP> '))!;
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('blocked');
    expect(hop(result, 'node-c')).toMatchObject({ status: 'blocked', summary: 'tunl0 is down on node-c: the IP-in-IP packets from node-a are not unwrapped' });
    expect(hop(result, 'node-c').evidence[0]).toMatchObject({ file: 'nodes/node-c/ip-link.txt', line: lineOf(link, down) });
  });

  it("a policy rule on the destination node that sends the pods' traffic elsewhere than the pod's veth", () => {
    const files = cluster({ routes: { 'node-c': ['default via 10.0.1.1 dev eth0 table 200'] } });
    files['nodes/node-c/ip-rule.txt'] = '0:\tfrom all lookup local\n100:\tfrom 10.244.0.0/24 lookup 200\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n';
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('blocked');
    expect(result.reason).toBe(`blocked at node-c: node-c routes 10.244.2.7 to eth0, not to ${vethName('10.244.2.7')}, the interface of ${C}`);
    expect(hop(result, 'node-c').evidence).toContainEqual(expect.objectContaining({ file: 'nodes/node-c/ip-rule.txt', line: 2 }));
  });

  it('natively routed pods (BGP, no tunnel): no encapsulation, the path MTU is eth0', () => {
    const result = trace(cluster({ encapsulation: 'none' }), { from: A, to: `${B}:8080` });
    expect(result.verdict).toBe('works');
    expect(result.encapsulation).toMatchObject({ kind: 'none', overhead: 0, device: 'eth0' });
    expect(result.encapsulation?.name).toContain('BGP');
    expect(result.hops.map((h) => h.name)).toEqual([A, 'node-a', 'eth0 (no encapsulation)', 'node-b', B]);
    expect(hop(result, 'node-b').details).toContain('arrives on eth0 from 10.244.0.5');
    expect(result.mtu).toMatchObject({ sent: 1500, largest: 1500 });
  });
});

describe('pods of one node', () => {
  it('takes the short path: pod, node, pod', () => {
    const files = cluster({ extraPods: [{ node: 'node-a', name: 'cart-845d9ff6b-nsk8z', ip: '10.244.0.9', labels: { app: 'cart' } }] });
    const result = trace(files, { from: A, to: 'shop/cart-845d9ff6b-nsk8z:8080' });
    expect(result.verdict).toBe('works');
    expect(result.hops.map((h) => h.kind)).toEqual(['pod', 'node', 'pod']);
    expect(result.encapsulation).toBeUndefined();
    expect(hop(result, 'node-a').summary).toBe(`node-a delivers it to ${vethName('10.244.0.9')} (same node)`);
    expect(result.notes).toContain('both pods run on node-a: the packet does not leave the node');
  });
});

describe('the destination address family', () => {
  it('an IPv6 destination of dual-stack pods is routed over IPv6 from the source IPv6 address', () => {
    const files = cluster({ encapsulation: 'none', dualStack: true });
    const result = trace(files, { from: A, to: '[fd00:10:244:2::7]:8080' });
    expect(result.family).toBe(6);
    expect(result.from.ip).toBe('fd00:10:244::5');
    expect(result.to).toMatchObject({ name: C, ip: 'fd00:10:244:2::7', node: 'node-c' });
    expect(hop(result, 'node-a').details[0]).toContain('via fd00:10:0:1::13 dev eth0');
    expect(result.verdict).toBe('works');
    expect(hop(result, 'node-a').unknowns).toContain('not collected: nodes/node-a/ip6tables-save.txt (nor nft-ruleset.txt, ipvsadm.txt); nothing to trace on node-a');
    // The same pods by name: the destination's first family, IPv4.
    expect(trace(files, { from: A, to: `${C}:8080` }).family).toBe(4);
  });

  it("an IPv6 path crosses the nodes' ip6tables rules: a FORWARD policy of DROP there blocks it, not the IPv4 one", () => {
    const files = cluster({ encapsulation: 'none', dualStack: true });
    files['nodes/node-a/ip6tables-save.txt'] = [
      '# Generated by ip6tables-save v1.8.9 (nf_tables) on Thu Nov 26 10:00:00 2026',
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD DROP [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A FORWARD -i cali+ -p ipv6-icmp -j ACCEPT',
      'COMMIT',
      '# Completed on Thu Nov 26 10:00:00 2026',
      '',
    ].join('\n');
    const v6 = trace(files, { from: A, to: '[fd00:10:244:2::7]:8080' });
    expect(v6.verdict).toBe('blocked');
    expect(v6.reason).toBe("blocked at node-a: node-a's netfilter rules drop it: dropped by the FORWARD policy DROP (nodes/node-a/ip6tables-save.txt:4)");
    expect(evidenceOf(v6)).toContain('nodes/node-a/ip6tables-save.txt:4');
    // IPv4 between the same pods does not read the IPv6 rules.
    expect(trace(files, { from: A, to: `${C}:8080` }).verdict).toBe('works');
  });
});

describe('Services', () => {
  const withService = (dumps: boolean) => {
    const files: Record<string, string> = { ...cluster(), 'cluster/services.json': clusterFiles['cluster/services.json'], 'cluster/endpointslices.json': clusterFiles['cluster/endpointslices.json'] };
    if (dumps) for (const n of ['node-a', 'node-b', 'node-c']) files[`nodes/${n}/iptables-save.txt`] = nodeDump(n);
    return files;
  };

  it("follows a ClusterIP through kube-proxy's DNAT on the source node to an endpoint pod", () => {
    const files = withService(true);
    const result = trace(files, { from: C, to: '10.96.14.7:80' });
    expect(result.translatedFrom).toMatchObject({ ip: '10.96.14.7', port: 80, what: 'Service shop/web', how: 'DNAT on node-c (nodes/node-c/iptables-save.txt)' });
    expect(['10.244.0.5', '10.244.1.6']).toContain(result.to.ip);
    expect(result.port).toBe(8080);
    expect(result.verdict).toBe('works');
    const dnat = hop(result, 'node-c').evidence.find((e) => e.note?.endsWith(': DNAT'))!;
    expect(dnat.file).toBe('nodes/node-c/iptables-save.txt');
    expect(files['nodes/node-c/iptables-save.txt']!.split('\n')[dnat.line - 1]).toContain(`--to-destination ${result.to.ip}:8080`);
    expect(result.notes.some((n) => n.startsWith("the Service's rules also send connections to"))).toBe(true);
  });

  it('without the data plane, takes an endpoint from the EndpointSlices and says kube-proxy was not checked', () => {
    const result = trace(withService(false), { from: C, to: '10.96.14.7:80' });
    expect(result.translatedFrom?.how).toBe("its EndpointSlices (node-c's data plane was not collected: kube-proxy's DNAT not checked)");
    expect(result.to.ip).toBe('10.244.0.5');
    expect(result.port).toBe(8080);
  });

  it("a FORWARD policy of DROP on the source node blocks pod traffic, named by the dump's line", () => {
    const files = cluster();
    files['nodes/node-a/iptables-save.txt'] = nodeDump('node-a', { table: 'filter', rules: [], policy: { chain: 'FORWARD', policy: 'DROP' } });
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('blocked');
    expect(result.reason).toBe(`blocked at node-a: node-a's netfilter rules drop it: dropped by the FORWARD policy DROP (nodes/node-a/iptables-save.txt:${lineOf(files['nodes/node-a/iptables-save.txt']!, ':FORWARD DROP')})`);
  });
});

describe('NetworkPolicy', () => {
  it('a default-deny ingress policy in the destination namespace blocks the path', () => {
    const files = cluster();
    files['cluster/networkpolicies.json'] = kubectlList([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny-ingress', namespace: 'shop', uid: '6b1f1f1e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', resourceVersion: '48213', creationTimestamp: '2026-11-20T10:00:00Z' },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      },
    ]);
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('blocked');
    expect(result.policy?.verdict).toBe('deny');
    expect(result.reason).toMatch(/^NetworkPolicy denied/);
    expect(result.policy?.evidence[0]?.file).toBe('cluster/networkpolicies.json');
    expect(result.hops.every((h) => h.status === 'ok')).toBe(true);
  });

  it('without a port the policy is not judged, and says why', () => {
    const files = cluster();
    const result = trace(files, { from: A, to: '10.244.2.7' });
    expect(result.policy).toEqual({ verdict: 'not-judged', text: 'no port given: NetworkPolicy not judged (add :<port> to --to)', evidence: [] });
  });
});

describe('what the bundle cannot answer', () => {
  it('an unknown pod: an error with the near names', () => {
    const error = traceError(cluster(), { from: 'shop/web-7d9f8b6c5d', to: `${C}:8080` });
    expect(error.error).toBe('no pod shop/web-7d9f8b6c5d in the bundle');
    expect(error.suggestions).toEqual([A, B, C]);
  });

  it("the destination node's routes not collected: the verdict is undetermined, not guessed", () => {
    const files = cluster();
    delete files['nodes/node-c/ip-route.txt'];
    const result = trace(files, { from: A, to: `${C}:8080` });
    expect(result.verdict).toBe('unknown');
    expect(hop(result, 'node-c').unknowns[0]).toBe("not collected: nodes/node-c/ip-route.txt (node-c's routes: forwarding, rp_filter and the route to the pod not checked)");
  });

  it('a malformed port in --to', () => {
    expect(traceError(cluster(), { from: A, to: `${C}:99999` }).error).toBe(`${C}:99999: "99999" is not a port number (1-65535)`);
  });
});
