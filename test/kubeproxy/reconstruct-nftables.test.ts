import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { diffDataplane } from '../../analyzer/kubeproxy/dataplane-diff.js';
import { ExpectedDataplanes } from '../../analyzer/kubeproxy/expected-dataplane.js';
import { reconstructNftables, spnFromNftBase } from '../../analyzer/kubeproxy/reconstruct-nftables.js';
import { buildServicePortIndex } from '../../analyzer/kubeproxy/service-port-index.js';
import { parseNftRuleset } from '../../analyzer/netfilter/parse-nft-ruleset.js';
import { endpointSlice, kubectlList, service } from '../helpers/kube-objects.js';
import { OVERALL_NODE, overallTestObjects } from './overall-test-objects.js';

type Json = Record<string, any>;

const SAMPLES = fileURLToPath(new URL('../../../shared/samples/', import.meta.url));

function analyze(services: Json[], slices: Json[], text: string, node: string) {
  const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList(services), 'cluster/endpointslices.json': kubectlList(slices) }));
  const index = buildServicePortIndex(model.kube);
  const file = new SourceFile(`nodes/${node}/nft-ruleset.txt`, text);
  const parsed = parseNftRuleset(file);
  const programmed = reconstructNftables(node, 4, { file, value: parsed.value }, index);
  const expected = new ExpectedDataplanes(model.kube, index).forNode(node, 4);
  return { programmed, diff: diffDataplane(expected, programmed, undefined), issues: parsed.issues };
}

describe('reconstructNftables on kube-proxy’s golden transaction (TestOverallNFTablesRules)', () => {
  const path = `${SAMPLES}kubeproxy-nftables-overall.txt`;

  it('reads the service-ips / service-nodeports maps, chains and no-endpoint maps, tied by recomputed names', (ctx) => {
    if (!existsSync(path)) return ctx.skip(`shared sample not found at ${path}`);
    const { services, slices } = overallTestObjects();
    const { programmed, diff, issues } = analyze(services, slices, readFileSync(path, 'utf8'), OVERALL_NODE);
    expect(issues).toEqual([]);
    const frontends = Object.fromEntries(
      [...programmed.frontends.values()].map((f) => [f.key, `${f.kind} ${f.action} → ${f.endpoints.map((e) => `${e.address} ${(e.share * 100).toFixed(0)}%`).join(', ')}`]),
    );
    expect(frontends).toEqual({
      '172.30.0.41|tcp|80': 'cluster-ip forward → 10.180.0.1:80 100%',
      '172.30.0.42|tcp|80': 'cluster-ip forward → 10.180.0.2:80 100%',
      '192.168.99.22|tcp|80': 'external-ip drop → ',
      '1.2.3.4|tcp|80': 'load-balancer drop → ',
      'node|tcp|3001': 'node-port drop → ',
      '172.30.0.43|tcp|80': 'cluster-ip forward → 10.180.0.3:80 100%',
      'node|tcp|3003': 'node-port forward → 10.180.0.3:80 100%',
      '172.30.0.44|tcp|80': 'cluster-ip forward → 10.180.0.4:80 50%, 10.180.0.5:80 50%',
      '192.168.99.33|tcp|80': 'external-ip forward → 10.180.0.4:80 50%, 10.180.0.5:80 50%',
      '172.30.0.45|tcp|80': 'cluster-ip forward → 10.180.0.3:80 100%',
      '5.6.7.8|tcp|80': 'load-balancer forward → 10.180.0.3:80 100%',
      'node|tcp|3002': 'node-port forward → 10.180.0.3:80 100%',
      '172.30.0.46|tcp|80': 'cluster-ip reject → ',
    });
    for (const port of programmed.servicePorts) expect(port.ref?.spn, port.key).toBe(port.spn);
    const svc2 = programmed.servicePorts.find((p) => p.spn === 'ns2/svc2:p80')!;
    expect(svc2.external?.policy).toBe('Local');
    const svc5 = programmed.servicePorts.find((p) => p.spn === 'ns5/svc5:p80')!;
    expect(svc5.cluster?.affinitySeconds).toBe(10800);
    for (const f of programmed.frontends.values()) for (const e of f.endpoints) expect(e.chainNameMatches, e.chain).toBe(true);
    expect(programmed.masquerade.mark).toBe(0x4000);
    expect(programmed.masquerade.randomFully).toBe(true);
    expect(diff.map((d) => `${d.kind} ${d.detail}`)).toEqual([]);
  });
});

describe('reconstructNftables on `nft list ruleset` output', () => {
  const web = service({ namespace: 'shop', name: 'web', clusterIPs: ['10.96.14.7'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
  const slice = endpointSlice({ namespace: 'shop', service: 'web', ports: [{ name: 'http', port: 8080 }], endpoints: [{ ip: '10.244.1.5', node: 'node-b' }, { ip: '10.244.2.7', node: 'node-c' }] });
  // As `nft list ruleset` prints a node's table (names: H8 of "shop/web/tcp/http" and of each endpoint).
  const listing = (endpointChainB: string) => `table ip kube-proxy {
	comment "rules for kube-proxy"
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
		elements = { 10.96.14.7 . tcp . 80 : goto service-SVCHASH1-shop/web/tcp/http }
	}

	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
	}

	chain service-SVCHASH1-shop/web/tcp/http {
		ip daddr 10.96.14.7 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
		numgen random mod 2 vmap { 0 : goto endpoint-EPHASHA1-shop/web/tcp/http__10.244.1.5/8080, 1 : goto ${endpointChainB} }
	}

	chain endpoint-EPHASHA1-shop/web/tcp/http__10.244.1.5/8080 {
		ip saddr 10.244.1.5 jump mark-for-masquerade
		meta l4proto tcp dnat to 10.244.1.5:8080
	}

	chain ${endpointChainB} {
		ip saddr 10.244.2.7 jump mark-for-masquerade
		meta l4proto tcp dnat to 10.244.2.7:8080
	}

	chain mark-for-masquerade {
		meta mark set meta mark | 0x00004000
	}
}
`;

  it('follows the numgen vmap to each endpoint chain and checks the names', async () => {
    const { nftServiceChains, nftEndpointNames } = await import('../../analyzer/netfilter/kube-proxy-names.js');
    const serviceChain = nftServiceChains('shop', 'web', 'tcp', 'http').service;
    const a = nftEndpointNames('shop', 'web', 'tcp', 'http', '10.244.1.5', 8080).endpoint;
    const b = nftEndpointNames('shop', 'web', 'tcp', 'http', '10.244.2.7', 8080).endpoint;
    const text = listing(b).replaceAll('service-SVCHASH1-shop/web/tcp/http', serviceChain).replaceAll('endpoint-EPHASHA1-shop/web/tcp/http__10.244.1.5/8080', a);
    const { programmed, diff } = analyze([web], [slice], text, 'node-b');
    const [frontend] = [...programmed.frontends.values()];
    expect(frontend!.endpoints.map((e) => [e.address, e.share, e.chainNameMatches])).toEqual([
      ['10.244.1.5:8080', 0.5, true],
      ['10.244.2.7:8080', 0.5, true],
    ]);
    expect(diff).toEqual([]);

    // An endpoint chain under a name kube-proxy would not give that address.
    const renamed = listing('endpoint-AAAAAAAA-shop/web/tcp/http__10.244.2.7/8080').replaceAll('service-SVCHASH1-shop/web/tcp/http', serviceChain).replaceAll('endpoint-EPHASHA1-shop/web/tcp/http__10.244.1.5/8080', a);
    const misnamed = analyze([web], [slice], renamed, 'node-b');
    expect(misnamed.diff.map((d) => [d.kind, d.addresses])).toEqual([['chain-name-mismatch', ['10.244.2.7:8080']]]);
  });
});

describe('spnFromNftBase', () => {
  it('reads ns/svc:port from a chain base, and gives up on truncated names', () => {
    expect(spnFromNftBase('ULMVA6XW-ns1/svc1/tcp/p80')).toBe('ns1/svc1:p80');
    expect(spnFromNftBase('ULMVA6XW-ns1/svc1/tcp/')).toBe('ns1/svc1');
    expect(spnFromNftBase(`ULMVA6XW-${'a'.repeat(228)}...`)).toBeUndefined();
  });
});
