import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { diffDataplane } from '../../analyzer/kubeproxy/dataplane-diff.js';
import { ExpectedDataplanes } from '../../analyzer/kubeproxy/expected-dataplane.js';
import { kernelProbability, reconstructIptables, spnFromComment } from '../../analyzer/kubeproxy/reconstruct-iptables.js';
import { buildServicePortIndex } from '../../analyzer/kubeproxy/service-port-index.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import { endpointSlice, kubectlList, service } from '../helpers/kube-objects.js';
import { kubeProxyIptablesSave, lineOf } from '../helpers/node-dumps.js';
import { OVERALL_NODE, overallTestObjects } from './overall-test-objects.js';

type Json = Record<string, any>;

const SAMPLES = fileURLToPath(new URL('../../../shared/samples/', import.meta.url));

function analyze(services: Json[], slices: Json[], dumpText: string, node = 'node-a', family: 4 | 6 = 4) {
  const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList(services), 'cluster/endpointslices.json': kubectlList(slices) }));
  const index = buildServicePortIndex(model.kube);
  const file = new SourceFile(`nodes/${node}/iptables-save.txt`, dumpText);
  const parsed = parseIptablesSave(file);
  const programmed = reconstructIptables(node, family, { file, value: parsed.value }, index);
  const expected = new ExpectedDataplanes(model.kube, index).forNode(node, family);
  return { programmed, diff: diffDataplane(expected, programmed, undefined), issues: parsed.issues };
}

const summary = (programmed: ReturnType<typeof analyze>['programmed']) =>
  Object.fromEntries(
    [...programmed.frontends.values()].map((f) => [
      f.key,
      `${f.kind} ${f.action}${f.reason ? ` (${f.reason})` : ''} → ${f.endpoints.map((e) => `${e.address} ${(e.share * 100).toFixed(0)}%`).join(', ')}`,
    ]),
  );

describe('reconstructIptables on kube-proxy’s golden output (TestOverallIPTablesRules)', () => {
  const path = `${SAMPLES}kubeproxy-iptables-overall.txt`;
  it('reads every frontend, its endpoints and verdict, tied to the API by chain hash', (ctx) => {
    if (!existsSync(path)) return ctx.skip(`shared sample not found at ${path}`);
    const text = readFileSync(path, 'utf8');
    const { services, slices } = overallTestObjects();
    const { programmed, diff, issues } = analyze(services, slices, text, OVERALL_NODE);
    expect(issues.filter((i) => i.severity !== 'warning')).toEqual([]);
    expect(summary(programmed)).toEqual({
      '172.30.0.41|tcp|80': 'cluster-ip forward → 10.180.0.1:80 100%',
      '172.30.0.42|tcp|80': 'cluster-ip forward → 10.180.0.2:80 100%',
      '192.168.99.22|tcp|80': 'external-ip drop (no-local-endpoints) → ',
      '1.2.3.4|tcp|80': 'load-balancer drop (no-local-endpoints) → ',
      '127.0.0.0/8|tcp|3001': 'node-port blackhole → ',
      'node|tcp|3001': 'node-port drop (no-local-endpoints) → ',
      '172.30.0.43|tcp|80': 'cluster-ip forward → 10.180.0.3:80 100%',
      '127.0.0.0/8|tcp|3003': 'node-port forward → 10.180.0.3:80 100%',
      'node|tcp|3003': 'node-port forward → 10.180.0.3:80 100%',
      '172.30.0.44|tcp|80': 'cluster-ip forward → 10.180.0.4:80 50%, 10.180.0.5:80 50%',
      '192.168.99.33|tcp|80': 'external-ip forward → 10.180.0.4:80 50%, 10.180.0.5:80 50%',
      '172.30.0.45|tcp|80': 'cluster-ip forward → 10.180.0.3:80 100%',
      '5.6.7.8|tcp|80': 'load-balancer forward → 10.180.0.3:80 100%',
      '127.0.0.0/8|tcp|3002': 'node-port forward → 10.180.0.3:80 100%',
      'node|tcp|3002': 'node-port forward → 10.180.0.3:80 100%',
      '172.30.0.46|tcp|80': 'cluster-ip reject (no-endpoints) → ',
    });
    const byService = new Map(programmed.servicePorts.map((p) => [p.spn, p]));
    expect([...byService.keys()].sort()).toEqual(['ns1/svc1:p80', 'ns2/svc2:p80', 'ns3/svc3:p80', 'ns4/svc4:p80', 'ns5/svc5:p80', 'ns6/svc6:p80']);
    for (const port of programmed.servicePorts) expect(port.ref?.spn, port.key).toBe(port.spn);
    expect(byService.get('ns2/svc2:p80')!.external?.policy).toBe('Local');
    expect(byService.get('ns2/svc2:p80')!.healthCheckNodePort?.port).toBe(30000);
    expect(byService.get('ns3/svc3:p80')!.external?.policy).toBe('Cluster');
    expect(byService.get('ns5/svc5:p80')!.sourceRanges.map((r) => r.cidr)).toEqual(['203.0.113.0/25']);
    expect(byService.get('ns5/svc5:p80')!.cluster?.affinitySeconds).toBe(10800);
    // Every KUBE-SEP name recomputed from (spn, proto, ip:port) is the one in the dump.
    for (const f of programmed.frontends.values()) for (const e of f.endpoints) expect(e.chainNameMatches, `${e.chain} ${e.address}`).toBe(true);
    expect(programmed.masquerade.mark).toBe(0x4000);
    expect(programmed.masquerade.localTrafficCidr).toBe('10.0.0.0/8');
    // The API and the golden rules agree: no difference at all.
    expect(diff.map((d) => `${d.kind} ${d.detail}`)).toEqual([]);
  });
});

describe('reconstructIptables on real-format dumps', () => {
  const web = service({ namespace: 'shop', name: 'web', clusterIPs: ['10.96.14.7'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
  const webSlice = endpointSlice({
    namespace: 'shop',
    service: 'web',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [
      { ip: '10.244.1.5', node: 'node-b' },
      { ip: '10.244.2.7', node: 'node-c' },
      { ip: '10.244.2.9', node: 'node-c' },
    ],
  });
  const dump = kubeProxyIptablesSave({ services: [web], endpointSlices: [webSlice], node: 'node-b' });

  it('reads the statistic cascade: kernel-rounded probabilities, equal shares', () => {
    expect(dump).toContain('--probability 0.33333333349');
    const { programmed, diff } = analyze([web], [webSlice], dump, 'node-b');
    const [frontend] = [...programmed.frontends.values()];
    expect(frontend!.endpoints.map((e) => [e.address, e.probability, e.expectedProbability])).toEqual([
      ['10.244.1.5:8080', 0.33333333349, kernelProbability(3)],
      ['10.244.2.7:8080', 0.5, kernelProbability(2)],
      ['10.244.2.9:8080', undefined, undefined],
    ]);
    for (const e of frontend!.endpoints) expect(e.share).toBeCloseTo(1 / 3, 9);
    expect(frontend!.endpoints[0]!.evidence.line).toBe(lineOf(dump, '-A KUBE-SVC-', '-> 10.244.1.5:8080'));
    expect(frontend!.endpoints[0]!.dnatEvidence!.line).toBe(lineOf(dump, '--to-destination 10.244.1.5:8080'));
    expect(diff).toEqual([]);
  });

  it('ties rules to the Service by hash when comments are absent', () => {
    const bare = dump.replace(/ -m comment --comment ("(?:[^"\\]|\\.)*"|\S+)/g, '');
    expect(bare).not.toContain('--comment');
    const { programmed, diff } = analyze([web], [webSlice], bare, 'node-b');
    expect(programmed.servicePorts.map((p) => p.ref?.spn)).toEqual(['shop/web:http']);
    expect([...programmed.frontends.values()].map((f) => f.kind)).toEqual(['cluster-ip']);
    expect(diff).toEqual([]);
  });

  it('ties rules to the Service by hash when comments name another Service', () => {
    const misleading = dump.replaceAll('shop/web:http', 'shop/api:http');
    const { programmed, diff } = analyze([web], [webSlice], misleading, 'node-b');
    expect(programmed.servicePorts.map((p) => p.ref?.spn)).toEqual(['shop/web:http']);
    expect(diff).toEqual([]);
  });

  it('reads the old %0.5f probabilities without calling them uneven', () => {
    const old = dump.replace('--probability 0.33333333349', '--probability 0.33332999982');
    const { diff } = analyze([web], [webSlice], old, 'node-b');
    expect(diff).toEqual([]);
  });

  it('reads ip6tables-save: /128 addresses and bracketed DNAT targets', () => {
    const v6 = service({ namespace: 'shop', name: 'web', clusterIPs: ['fd00:10:96::7'], ipFamilies: ['IPv6'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    const v6Slice = endpointSlice({ namespace: 'shop', service: 'web', addressType: 'IPv6', ports: [{ name: 'http', port: 8080 }], endpoints: [{ ip: 'fd00:10:244:1::5', node: 'node-b' }] });
    const text = [
      '# Generated by ip6tables-nft-save v1.8.9 on Thu Nov 26 10:00:04 2026',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-67NZLRHBNDSAWJRO - [0:0]',
      ':KUBE-SEP-SDQJBP3G53U5CYU2 - [0:0]',
      '-A KUBE-SERVICES -d fd00:10:96::7/128 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-67NZLRHBNDSAWJRO',
      '-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> [fd00:10:244:1::5]:8080" -j KUBE-SEP-SDQJBP3G53U5CYU2',
      '-A KUBE-SEP-SDQJBP3G53U5CYU2 -p tcp -m comment --comment shop/web:http -m tcp -j DNAT --to-destination [fd00:10:244:1::5]:8080',
      'COMMIT',
      '',
    ].join('\n');
    const { programmed } = analyze([v6], [v6Slice], text, 'node-b', 6);
    const [frontend] = [...programmed.frontends.values()];
    expect(frontend!.key).toBe('fd00:10:96::7|tcp|80');
    expect(frontend!.endpoints.map((e) => e.address)).toEqual(['[fd00:10:244:1::5]:8080']);
    expect(programmed.servicePorts[0]!.ref?.spn).toBe('shop/web:http');
  });

  it('reads a Service the API no longer has under the name its comments give', () => {
    const { programmed, diff } = analyze([], [], dump, 'node-b');
    expect(programmed.servicePorts.map((p) => [p.ref, p.spn])).toEqual([[undefined, 'shop/web:http']]);
    expect(diff.map((d) => [d.kind, d.spn])).toEqual([['stale-service', 'shop/web:http']]);
  });
});

describe('spnFromComment', () => {
  it('takes the ServicePortName from kube-proxy comments, old and new', () => {
    expect(spnFromComment('kube-system/kube-dns:dns cluster IP')).toBe('kube-system/kube-dns:dns');
    expect(spnFromComment('shop/cart:http has no endpoints')).toBe('shop/cart:http');
    expect(spnFromComment('default/nginx-ext: cluster IP')).toBe('default/nginx-ext');
    expect(spnFromComment('ns1/svc1')).toBe('ns1/svc1');
    expect(spnFromComment('kubernetes service portals')).toBeUndefined();
  });
});

describe('endpointChainName', () => {
  it('gives the KUBE-SEP names of kube-proxy’s golden output and of kube-proxy-names.ts', async () => {
    const { endpointChainName } = await import('../../analyzer/kubeproxy/endpoint-chain-name.js');
    const { iptablesEndpointChain } = await import('../../analyzer/netfilter/kube-proxy-names.js');
    expect(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(endpointChainName('kube-system/kube-dns:dns', 'udp', '10.244.0.3:53')).toBe('KUBE-SEP-6E7XQMQ4RAYOWTTM');
    for (const [spn, proto, endpoint] of [
      ['ns4/svc4:p80', 'tcp', '10.180.0.5:80'],
      ['shop/web', 'sctp', '[fd00:10:244:1::5]:8080'],
      ['a/b:c', 'udp', '192.168.255.255:65535'],
    ] as const) {
      expect(endpointChainName(spn, proto, endpoint)).toBe(iptablesEndpointChain(spn, proto, endpoint));
    }
  });
});
