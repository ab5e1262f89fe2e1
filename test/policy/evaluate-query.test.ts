/**
 * Flows as users name them (resolve-flow.ts + evaluate): pods, IPs, Services by name or
 * ClusterIP, ports by number or name; a Service judged per ready endpoint after DNAT.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../analyzer/policy/evaluate.js';
import { parsePortSpec, resolveFlowQuery } from '../../analyzer/policy/resolve-flow.js';
import { CLUSTER_IPS, clusterModel, DB_IP, DNS_IPS, NODE_IPS, podIP } from './policy-cluster.js';

type Json = Record<string, unknown>;

describe('parsePortSpec', () => {
  it.each([
    ['80', { port: 80 }],
    ['53/udp', { port: 53, protocol: 'UDP' }],
    ['dns-tcp', { port: 'dns-tcp' }],
    ['serve-81-sctp/SCTP', { port: 'serve-81-sctp', protocol: 'SCTP' }],
    ['icmp', { protocol: 'ICMP' }],
  ])('%s', (text, expected) => {
    expect(parsePortSpec(text)).toEqual(expected);
  });

  it.each([
    ['80/tcp/x', '--port 80/tcp/x: expected <port>[/tcp|udp|sctp]'],
    ['80/gre', '--port 80/gre: unknown protocol gre (tcp, udp, sctp)'],
    ['70000', '--port 70000: 70000 is not a port number'],
  ])('rejects %s', (text, error) => {
    expect(parsePortSpec(text)).toEqual({ error });
  });
});

describe('resolveFlowQuery', () => {
  const model = clusterModel();

  it('resolves pods, node IPs and outside addresses', () => {
    const resolved = resolveFlowQuery(model, { from: NODE_IPS['node-b'], to: 'x/a', port: 'serve-80-udp', protocol: 'UDP' });
    expect(resolved.problems).toEqual([]);
    const flow = resolved.flows[0]!;
    expect(flow.src).toMatchObject({ kind: 'node', ip: NODE_IPS['node-b'], node: { name: 'node-b' } });
    expect(flow.dst).toMatchObject({ kind: 'pod', ip: podIP('x', 'a'), pod: { name: 'a', namespace: 'x' } });
    expect([flow.port, flow.protocol]).toEqual([80, 'UDP']);
    expect(resolveFlowQuery(model, { from: podIP('y', 'c'), to: '203.0.113.7', port: 443 }).flows[0]).toMatchObject({ src: { kind: 'pod', pod: { name: 'c' } }, dst: { kind: 'external' } });
  });

  it('turns a Service (by name or ClusterIP) into its ready endpoints and targetPorts', () => {
    const byIP = resolveFlowQuery(model, { from: 'x/a', to: CLUSTER_IPS['x/db']!, port: 5432 });
    expect(byIP.service?.name).toBe('db');
    expect(byIP.flows).toHaveLength(1);
    expect(byIP.flows[0]).toMatchObject({ dst: { kind: 'pod', ip: DB_IP }, port: 5432, protocol: 'TCP', viaService: 'x/db' });
    const dns = resolveFlowQuery(model, { from: 'x/a', to: 'svc/kube-system/kube-dns', port: 'dns-tcp' });
    expect(dns.flows.map((f) => [f.dst.ip, f.port, f.protocol])).toEqual(DNS_IPS.map((ip) => [ip, 53, 'TCP']));
    // `ns/name` means the Service when no pod has that name.
    expect(resolveFlowQuery(model, { from: 'x/a', to: 'y/s-b', port: 81 }).flows[0]).toMatchObject({ dst: { ip: podIP('y', 'b') }, port: 81 });
  });

  it('takes the only container port when none is given', () => {
    const resolved = resolveFlowQuery(model, { from: 'x/a', to: 'x/db-0' });
    expect(resolved.flows[0]?.port).toBe(5432);
    expect(resolved.notes).toEqual(['no port given: using the only container port of x/db-0, 5432/TCP']);
  });

  it('says why a question cannot be answered', () => {
    expect(resolveFlowQuery(model, { from: 'x/nope', to: 'x/a', port: 80 }).problems).toEqual(['no pod x/nope in the bundle']);
    expect(resolveFlowQuery(model, { from: 'x/s-a', to: 'x/a', port: 80 }).problems).toEqual(['x/s-a is a Service, which sends no traffic: name one of its pods']);
    expect(resolveFlowQuery(model, { from: 'x/a', to: 'svc/x/db', port: 80 }).problems).toEqual(['Service x/db: no port 80 (ports: postgres 5432/TCP)']);
    expect(resolveFlowQuery(model, { from: 'x/a', to: 'x/b' }).problems).toEqual(['give a port: x/b declares 80/TCP, 80/UDP, 80/SCTP, 81/TCP, 81/UDP, 81/SCTP']);
    expect(resolveFlowQuery(model, { from: 'x/a', to: 'x/b', port: 'http' }).problems).toEqual(['x/b declares no TCP container port named http']);
    const verdict = evaluate(model, { from: 'x/a', to: 'nowhere', port: 80 });
    expect(verdict.verdict).toBe('unknown');
    expect(verdict.notes).toEqual(['nowhere: expected <namespace>/<pod>, svc/<namespace>/<service>, node/<name> or an IP address']);
  });
});

describe('evaluate through a Service', () => {
  const onlyFirstDns: Record<string, Json> = {
    'dns-one-replica': {
      podSelector: { matchLabels: { pod: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: `${DNS_IPS[0]}/32` } }], ports: [{ port: 53, protocol: 'UDP' }] }],
    },
  };

  it('aggregates per endpoint: allowed to one replica and denied to the other is unknown', () => {
    const verdict = evaluate(clusterModel({ policies: onlyFirstDns }), { from: 'x/a', to: CLUSTER_IPS['kube-system/kube-dns']!, port: 53, protocol: 'UDP' });
    expect(verdict.verdict).toBe('unknown');
    expect(verdict.backends?.map((b) => [b.endpoint.ip, b.port, b.verdict.verdict])).toEqual([
      [DNS_IPS[0], 53, 'allow'],
      [DNS_IPS[1], 53, 'deny'],
    ]);
    expect(verdict.notes).toContain('allowed to 1 and denied to 1 of the 2 endpoints: the outcome depends on the endpoint the Service picks');
    expect(verdict.egress.verdict).toBe('unknown');
    expect(verdict.decidedBy.map((d) => [d.policy, d.ruleIndex, d.action])).toEqual([
      ['NetworkPolicy/x/dns-one-replica', 0, 'allow'],
      ['NetworkPolicy/x/dns-one-replica', null, 'deny'],
    ]);
  });

  it('is allow or deny when every endpoint agrees', () => {
    const model = clusterModel({ policies: onlyFirstDns });
    expect(evaluate(model, { from: 'x/b', to: 'svc/kube-system/kube-dns', port: 'dns' }).verdict).toBe('allow');
    expect(evaluate(model, { from: 'x/a', to: 'svc/kube-system/kube-dns', port: 'dns-tcp' }).verdict).toBe('deny');
  });
});
