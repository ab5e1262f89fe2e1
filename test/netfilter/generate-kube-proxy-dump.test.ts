/** The benchmark's kube-proxy dump generator prints what a real node's iptables-save prints. */
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { iptablesEndpointChain, iptablesServiceChains } from '../../analyzer/netfilter/kube-proxy-names.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import { generateKubeProxyIptablesDump, saveString, savedProbability } from '../../bench/generate-kube-proxy-dump.js';

describe('savedProbability', () => {
  it('prints what the kernel stores for kube-proxy %0.10f probabilities (semantics.md, verified)', () => {
    expect(savedProbability(1 / 2)).toBe('0.50000000000');
    expect(savedProbability(1 / 3)).toBe('0.33333333349');
    expect(savedProbability(1 / 4)).toBe('0.25000000000');
    expect(savedProbability(1 / 5)).toBe('0.20000000019');
  });

  it('round-trips to round(p·2³¹)/2³¹, the comparison a checker should use', () => {
    for (let k = 2; k <= 50; k++) {
      expect(Math.round(Number(savedProbability(1 / k)) * 2 ** 31)).toBe(Math.round(Number((1 / k).toFixed(10)) * 2 ** 31));
    }
  });
});

describe('saveString', () => {
  it('quotes like xtables_save_string: bare only for [A-Za-z0-9_-]', () => {
    expect(saveString('flanneld-masq_1')).toBe('flanneld-masq_1');
    expect(saveString('kube-system/kube-dns:dns')).toBe('"kube-system/kube-dns:dns"');
    expect(saveString('say "hi"')).toBe('"say \\"hi\\""');
  });
});

describe('generateKubeProxyIptablesDump', () => {
  const text = generateKubeProxyIptablesDump({ services: 12, endpointsPerService: 3 });
  const { value, issues } = parseIptablesSave(new SourceFile('generated.txt', text));

  it('is deterministic and parses without a single issue', () => {
    expect(generateKubeProxyIptablesDump({ services: 12, endpointsPerService: 3 })).toBe(text);
    expect(issues).toEqual([]);
    expect([...value.tables.keys()]).toEqual(['mangle', 'filter', 'nat']);
  });

  it('names chains with kube-proxy hashes and load-balances with the stored probabilities', () => {
    const nat = value.tables.get('nat')!;
    const spn = 'ns-0/svc-3:http';
    const chains = iptablesServiceChains(spn, 'tcp');
    const svc = nat.chains.get(chains.svc)!;
    expect(svc.rules).toHaveLength(4);
    expect(svc.rules[0]!.text).toBe(`-A ${chains.svc} ! -s 10.244.0.0/16 -d 10.96.0.4/32 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`);
    const probabilities = svc.rules.map((r) => r.matches.find((m) => m.kind === 'statistic'));
    expect(probabilities.map((m) => (m?.kind === 'statistic' ? m.probability : undefined))).toEqual([undefined, 0.33333333349, 0.5, undefined]);
    const endpoint = iptablesEndpointChain(spn, 'tcp', '10.244.0.10:8080');
    expect(svc.rules[1]!.target).toEqual({ kind: 'jump', name: endpoint });
    expect(nat.chains.get(endpoint)!.rules.map((r) => r.text)).toEqual([
      `-A ${endpoint} -s 10.244.0.10/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`,
      `-A ${endpoint} -p tcp -m comment --comment "${spn}" -m tcp -j DNAT --to-destination 10.244.0.10:8080`,
    ]);
  });

  it('sorts user chains and ends KUBE-SERVICES with the NodePort rule', () => {
    const nat = value.tables.get('nat')!;
    const userChains = [...nat.chains.values()].filter((c) => !c.builtin).map((c) => c.name);
    expect(userChains).toEqual([...userChains].sort());
    expect(nat.chains.get('KUBE-SERVICES')!.rules.at(-1)!.matches.find((m) => m.kind === 'addrtype')).toMatchObject({ dstType: { types: ['LOCAL'] } });
    expect(nat.chains.get('KUBE-NODEPORTS')!.rules).toHaveLength(3);
  });

  it('writes REJECT rules for services without endpoints', () => {
    const empty = parseIptablesSave(new SourceFile('g.txt', generateKubeProxyIptablesDump({ services: 2, endpointsPerService: 0 })));
    expect(empty.issues).toEqual([]);
    const rejects = empty.value.tables.get('filter')!.rules.filter((r) => r.target.kind === 'extension' && r.target.extension === 'REJECT');
    expect(rejects.map((r) => r.chain)).toEqual(['KUBE-EXTERNAL-SERVICES', 'KUBE-SERVICES', 'KUBE-SERVICES']);
    expect(empty.value.tables.get('nat')!.chains.has(iptablesServiceChains('ns-0/svc-0:http', 'tcp').svc)).toBe(false);
  });
});
