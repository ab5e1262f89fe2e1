/**
 * The simulators on real tool outputs from ../shared/samples (skipped when that folder is
 * absent). Upstream golden outputs and pasted excerpts lack the base-chain hooks or the `*table`
 * line; the tests add those after the sample's own lines or in place of its leading comment
 * lines, so every line number the assertions use is the sample's own.
 */
import { describe, expect, it } from 'vitest';
import { compileIptables } from '../../analyzer/netfilter/simulate/compile-iptables.js';
import { compileNftables } from '../../analyzer/netfilter/simulate/compile-nftables.js';
import { nodeNetContext } from '../../analyzer/netfilter/simulate/node-context.js';
import type { SimPacket, TraceResult } from '../../analyzer/netfilter/simulate/trace-types.js';
import { expectProbabilitiesSumToOne, iptables, ipsets, lineOf, nftables, onlyOutcome, ruleSteps, sampleText } from './sim-fixtures.js';

/** Keeps lines from..to (1-based) and blanks the rest, so line numbers stay the sample's. */
function keepLines(text: string, from: number, to: number): string {
  return text
    .split('\n')
    .map((line, i) => (i + 1 >= from && i + 1 <= to ? line : ''))
    .join('\n');
}

/** Inserts lines before the n-th `COMMIT` (0-based), after every line of the sample. */
function beforeCommit(text: string, n: number, lines: string[]): string {
  const all = text.split('\n');
  let seen = -1;
  const at = all.findIndex((l) => l === 'COMMIT' && ++seen === n);
  all.splice(at, 0, ...lines);
  return all.join('\n');
}

/** An excerpt of rules without `*table`: its `# source:` line becomes the table header. */
function asTable(text: string, table: string, extra: string[]): string {
  const lines = text.split('\n');
  lines[0] = `*${table}`;
  return [...lines, ...extra, 'COMMIT', ''].join('\n');
}

function traced(result: TraceResult): TraceResult {
  expectProbabilitiesSumToOne(result);
  return result;
}

const missing = (name: string) => {
  const text = sampleText(name);
  if (!text) console.warn(`${name} skipped: ../shared/samples is not present`);
  return text;
};

const overall = missing('kubeproxy-iptables-overall.txt');
describe.skipIf(!overall)('kubeproxy-iptables-overall.txt (upstream golden output, hooks added)', () => {
  // The filter hooks take the place of the comment lines 1-8 (and the `*filter` of line 9 moves
  // to line 1), the nat hooks go before the last COMMIT: every sample rule keeps its line.
  const lines = (overall ?? '').split('\n');
  lines.splice(0, 9, ...[
    '*filter',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '',
  ]);
  const text = beforeCommit(lines.join('\n'), 1, [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  ]);
  const sim = compileIptables(iptables(text));
  const node = nodeNetContext({ localAddresses: ['192.168.0.2'], podCidrs: ['10.180.0.0/24'] });
  const trace = (packet: SimPacket) => traced(sim.trace(node, packet));

  it('svc4: two endpoints, one half each', () => {
    const result = trace({ from: 'pod', src: '10.0.3.3', sport: 44000, dst: '172.30.0.44', dport: 80 });
    expect(result.outcomes.map((o) => [o.dnat, o.probability])).toEqual([
      [{ ip: '10.180.0.4', port: 80 }, 0.5],
      [{ ip: '10.180.0.5', port: 80 }, 0.5],
    ]);
    expect(result.outcomes[0]!.steps.find((s) => s.target === 'DNAT')!.line).toBe(lineOf(overall!, '-A KUBE-SEP-UKSFD7AGPMPPLUHC', 'DNAT'));
  });

  it('svc5: a LoadBalancer source range admits 203.0.113.0/25 and KUBE-PROXY-FIREWALL drops the rest', () => {
    const allowed = onlyOutcome(trace({ from: 'external', src: '203.0.113.9', sport: 44000, dst: '5.6.7.8', dport: 80 }));
    expect(allowed).toMatchObject({ fate: 'accepted', dnat: { ip: '10.180.0.3', port: 80 }, snat: { masquerade: true } });
    const denied = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 44000, dst: '5.6.7.8', dport: 80 }));
    expect(denied.fate).toBe('dropped');
    expect(denied.steps[denied.steps.length - 1]!.line).toBe(lineOf(overall!, '-A KUBE-PROXY-FIREWALL'));
  });

  it('svc6 (no endpoints) is rejected; svc2 (eTP=Local, no local endpoint) is dropped from outside', () => {
    expect(onlyOutcome(trace({ from: 'pod', src: '10.0.3.3', sport: 44000, dst: '172.30.0.46', dport: 80 })).fate).toBe('rejected');
    const external = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 44000, dst: '192.168.99.22', dport: 80 }));
    expect(external.fate).toBe('dropped');
    expect(external.steps[external.steps.length - 1]!.line).toBe(lineOf(overall!, 'has no local endpoints', '192.168.99.22'));
    const nodePort = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 44000, dst: '192.168.0.2', dport: 3001 }));
    expect(nodePort.fate).toBe('dropped');
    expect(nodePort.steps[nodePort.steps.length - 1]!.line).toBe(lineOf(overall!, 'has no local endpoints', '--dport 3001'));
  });

  it('svc2 from the node: "masquerade LOCAL traffic" then the cluster-wide endpoint', () => {
    const outcome = onlyOutcome(trace({ from: 'host', src: '192.168.0.2', sport: 44000, dst: '192.168.0.2', dport: 3001 }));
    expect(outcome).toMatchObject({ fate: 'accepted', dnat: { ip: '10.180.0.2', port: 80 }, snat: { masquerade: true } });
    expect(ruleSteps(outcome)).toContain('nat/KUBE-EXT-GNZBNJ2PO5MGZ6GT#2 jump KUBE-MARK-MASQ');
  });
});

const baseChains = missing('kubeproxy-iptables-real-kind-base-chains.txt');
describe.skipIf(!baseChains)('kubeproxy-iptables-real-kind-base-chains.txt (real kind node)', () => {
  it('walks the real hooks: mangle policies, then filter INPUT into the KUBE-* chains', () => {
    const sim = compileIptables(iptables(baseChains!));
    const node = nodeNetContext({ localAddresses: ['172.18.0.2'], podCidrs: ['10.244.0.0/24'] });
    const outcome = onlyOutcome(traced(sim.trace(node, { from: 'external', src: '172.18.0.1', sport: 44000, dst: '172.18.0.2', dport: 6443 })));
    expect(outcome.fate).toBe('accepted');
    expect(outcome.steps.map((s) => `${s.hook} ${s.kind === 'policy' ? `${s.table}/${s.chain} policy` : `L${s.line}`}`)).toEqual([
      'prerouting mangle/PREROUTING policy',
      'input mangle/INPUT policy',
      `input L${lineOf(baseChains!, '-A INPUT', 'health check service ports')}`,
      `input L${lineOf(baseChains!, '-A INPUT', 'externally-visible')}`,
      `input L${lineOf(baseChains!, '-A INPUT -j KUBE-FIREWALL')}`,
      'input filter/INPUT policy',
    ]);
  });
});

const kep3178 = missing('kubeproxy-iptables-real-kind-kep3178.txt');
describe.skipIf(!kep3178)('kubeproxy-iptables-real-kind-kep3178.txt (real excerpt, eTP=Local NodePort)', () => {
  const text = asTable(kep3178 ?? '', 'nat', [
    '-A PREROUTING -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    '-A OUTPUT -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    '-A POSTROUTING -j KUBE-POSTROUTING',
  ]);
  const sim = compileIptables(iptables(text));
  const node = nodeNetContext({ localAddresses: ['172.18.0.3'], podCidrs: ['10.244.0.0/24'] });

  it('leaves outside traffic to an eTP=Local NodePort without local endpoints un-NATed', () => {
    const outcome = onlyOutcome(traced(sim.trace(node, { from: 'external', src: '172.18.0.1', sport: 44000, dst: '172.18.0.3', dport: 31964 })));
    expect(outcome.dnat).toBeUndefined();
    expect(ruleSteps(outcome)).toEqual(['nat/PREROUTING#1 jump KUBE-NODEPORTS', 'nat/KUBE-NODEPORTS#1 jump KUBE-EXT-QATUYZLPU4I4HE4S']);
  });

  it('marks node-originated traffic for masquerade and reports the KUBE-SVC chain the excerpt lacks', () => {
    const result = traced(sim.trace(node, { from: 'host', src: '172.18.0.3', sport: 44000, dst: '172.18.0.3', dport: 31964 }));
    const outcome = onlyOutcome(result);
    expect(ruleSteps(outcome)).toContain('nat/KUBE-MARK-MASQ#1 continue MARK');
    expect(result.unsupported).toEqual([
      { line: lineOf(kep3178!, 'route LOCAL traffic'), reason: 'jump to chain KUBE-SVC-QATUYZLPU4I4HE4S, which the dump does not define (taken as empty)' },
    ]);
  });
});

const legacyXlb = missing('kubeproxy-iptables-real-legacy-xlb.txt');
describe.skipIf(!legacyXlb)('kubeproxy-iptables-real-legacy-xlb.txt (pre-1.22 KUBE-XLB)', () => {
  it('marks traffic with no local endpoint 0x8000 (KUBE-MARK-DROP) and KUBE-FIREWALL drops it', () => {
    const text = [
      asTable(legacyXlb!, 'nat', [
        '-A PREROUTING -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
        '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000',
        '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      ]),
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':KUBE-FIREWALL - [0:0]',
      '-A INPUT -j KUBE-FIREWALL',
      '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
      'COMMIT',
      '',
    ].join('\n');
    const node = nodeNetContext({ localAddresses: ['192.168.1.20'] });
    const outcome = onlyOutcome(traced(compileIptables(iptables(text)).trace(node, { from: 'external', src: '192.168.1.7', sport: 44000, dst: '192.168.1.20', dport: 32204 })));
    expect(outcome).toMatchObject({ fate: 'dropped', mark: 0x8000 });
    expect(ruleSteps(outcome).slice(1, 3)).toEqual(['nat/KUBE-NODEPORTS#2 jump KUBE-XLB-ICKQE4PTG2WGVXBF', 'nat/KUBE-XLB-ICKQE4PTG2WGVXBF#1 jump KUBE-MARK-DROP']);
  });
});

const oldProbabilities = missing('kubeproxy-iptables-real-old-probabilities.txt');
describe.skipIf(!oldProbabilities)('kubeproxy-iptables-real-old-probabilities.txt (k8s 1.2 %0.5f probabilities)', () => {
  it('spreads consul:server evenly over five endpoints from the old rounded probabilities', () => {
    const endpoints = ['PES3RDOZWFBBLSDU', 'VBDE5YQFTFIUFE64', 'ZDAXYFTWTZWWTZJQ', '3SHLK4N34HNOKFTO', 'NHOET3OEZGPXAKZV'];
    const text = asTable(oldProbabilities!, 'nat', [
      '-A PREROUTING -d 10.96.0.99/32 -p tcp -m tcp --dport 8300 -j KUBE-SVC-O4A6SDCC2OYMU5YR',
      ...endpoints.map((e) => `-A KUBE-SEP-${e} -j ACCEPT`),
    ]);
    const node = nodeNetContext({ localAddresses: ['10.0.0.5'] });
    const result = traced(compileIptables(iptables(text)).trace(node, { from: 'pod', src: '10.244.0.9', sport: 44000, dst: '10.96.0.99', dport: 8300 }));
    expect(result.outcomes).toHaveLength(5);
    for (const outcome of result.outcomes) expect(outcome.probability).toBeCloseTo(0.2, 4);
    expect(new Set(result.outcomes.map((o) => ruleSteps(o).at(-1)))).toEqual(new Set(endpoints.map((e) => `nat/KUBE-SEP-${e}#1 accept`)));
  });
});

const docker = missing('docker-iptables-forward-drop.txt');
describe.skipIf(!docker)('docker-iptables-forward-drop.txt (kubernetes#72370)', () => {
  it('drops pod traffic across nodes by the FORWARD DROP policy Docker set', () => {
    const text = `${keepLines(docker!, 1, 27)}\nCOMMIT\n`;
    const node = nodeNetContext({ localAddresses: ['10.0.1.11'], podCidrs: ['10.244.1.0/24'], routes: [{ cidr: '10.244.0.0/16', interface: 'flannel.1' }] });
    const outcome = onlyOutcome(traced(compileIptables(iptables(text)).trace(node, { from: 'pod', src: '10.244.1.5', sport: 44000, dst: '10.244.2.7', dport: 8080 })));
    expect(outcome.fate).toBe('dropped');
    expect(outcome.steps[outcome.steps.length - 1]).toMatchObject({ kind: 'policy', chain: 'FORWARD', verdict: 'drop', line: lineOf(docker!, ':FORWARD DROP') });
  });
});

const calico = missing('calico-iptables-workload-chains.txt');
describe.skipIf(!calico)('calico-iptables-workload-chains.txt (GKE + Calico excerpt with its ipset)', () => {
  const rules = asTable(keepLines(calico ?? '', 1, 21), 'filter', [
    ':FORWARD DROP [0:0]',
    '-A FORWARD -o cali+ -j cali-to-wl-dispatch',
    '-A FORWARD -m mark --mark 0x10000/0x10000 -j ACCEPT',
  ]);
  const sets = ipsets(keepLines(calico ?? '', 23, 31));
  const sim = compileIptables(iptables(rules), { ipsets: sets });
  const node = nodeNetContext({ localAddresses: ['10.128.0.9'], routes: [{ cidr: '10.64.1.0/24', interface: 'cali92d634f8f03' }] });
  const toNginx = (src: string): SimPacket => ({ from: 'pod', inInterface: 'cali5a7c1e2d9f0', src, sport: 44000, dst: '10.64.1.20', dport: 80 });

  it('admits the source in the policy ipset (access-nginx)', () => {
    const outcome = onlyOutcome(traced(sim.trace(node, toNginx('10.64.1.5'))));
    expect(outcome).toMatchObject({ fate: 'accepted', mark: 0x10000 });
    expect(ruleSteps(outcome)).toContain('filter/cali-pi-_e8MLrhOHDfNlfSa51Ak#1 continue MARK');
  });

  it('drops other sources at "Drop if no policies passed packet"', () => {
    const result = traced(sim.trace(node, toNginx('10.64.1.6')));
    const outcome = onlyOutcome(result);
    expect(outcome.fate).toBe('dropped');
    expect(outcome.steps[outcome.steps.length - 1]!.line).toBe(lineOf(calico!, 'Drop if no policies passed packet'));
    // The default-deny policy chain is not part of the excerpt.
    expect(result.unsupported.map((u) => u.reason)).toEqual(['jump to chain cali-pi-_kxgQy6VBWOo3Mj1GNsy, which the dump does not define (taken as empty)']);
  });
});

const nftOverall = missing('kubeproxy-nftables-overall.txt');
describe.skipIf(!nftOverall)('kubeproxy-nftables-overall.txt (upstream nftables-mode transaction)', () => {
  const sim = compileNftables(nftables(nftOverall ?? ''));
  const node = nodeNetContext({ localAddresses: ['192.168.0.2'], podCidrs: ['10.180.0.0/24'] });
  const trace = (packet: SimPacket) => traced(sim.trace(node, packet));

  it('svc4: numgen mod 2 → two endpoints', () => {
    expect(trace({ from: 'pod', src: '10.0.3.3', sport: 44000, dst: '172.30.0.44', dport: 80 }).outcomes.map((o) => [o.dnat?.ip, o.probability])).toEqual([
      ['10.180.0.4', 0.5],
      ['10.180.0.5', 0.5],
    ]);
  });

  it('svc2 NodePort without local endpoints is dropped by no-endpoint-nodeports; svc6 is rejected', () => {
    const nodePort = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 44000, dst: '192.168.0.2', dport: 3001 }));
    expect(nodePort.fate).toBe('dropped');
    expect(nodePort.steps[nodePort.steps.length - 1]!.line).toBe(lineOf(nftOverall!, 'add rule ip kube-proxy nodeport-endpoints-check'));
    expect(onlyOutcome(trace({ from: 'pod', src: '10.0.3.3', sport: 44000, dst: '172.30.0.46', dport: 80 })).fate).toBe('rejected');
  });

  it('svc5: the firewall chain drops sources outside the range before DNAT', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 44000, dst: '5.6.7.8', dport: 80 }));
    expect(outcome.fate).toBe('dropped');
    expect(outcome.steps[outcome.steps.length - 1]!.line).toBe(lineOf(nftOverall!, 'ip saddr != { 203.0.113.0/25 } drop'));
  });
});
