/**
 * kube-proxy's IPVS mode: virtual servers hand packets to real servers, inside the ipset-driven
 * KUBE-* iptables rules (fixtures/kube-proxy-ipvs-*.txt), and the public ipvsadm samples.
 */
import { describe, expect, it } from 'vitest';
import { nodeNetContext } from '../../analyzer/netfilter/simulate/node-context.js';
import { compileIpvs, traceIpvs } from '../../analyzer/netfilter/simulate/trace-ipvs.js';
import type { SimPacket } from '../../analyzer/netfilter/simulate/trace-types.js';
import { describeStep, expectProbabilitiesSumToOne, fixtureText, iptables, ipsets, ipvsadm, lineOf, onlyOutcome, ruleSteps, sampleText } from './sim-fixtures.js';

const IPVSADM = fixtureText('kube-proxy-ipvsadm.txt');
const IPTABLES = fixtureText('kube-proxy-ipvs-iptables.txt');
const sim = compileIpvs(ipvsadm(IPVSADM), {
  iptables: iptables(IPTABLES),
  ipsets: ipsets(fixtureText('kube-proxy-ipvs-ipset.txt')),
  file: 'ipvsadm-Ln.txt',
  iptablesFile: 'iptables-save.txt',
});
const node = nodeNetContext({
  localAddresses: ['10.0.1.11'],
  podCidrs: ['10.244.1.0/24'],
  routes: [{ cidr: '10.244.0.0/16', interface: 'flannel.1' }],
});
const trace = (packet: SimPacket) => {
  const result = sim.trace(node, packet);
  expectProbabilitiesSumToOne(result);
  return result;
};

describe('ClusterIP virtual server', () => {
  const result = trace({ from: 'pod', src: '10.244.1.5', sport: 43000, dst: '10.96.0.50', dport: 80 });

  it('spreads new connections over the real servers (rr: equally) and NATs to them', () => {
    expect(result.outcomes.map((o) => [o.dnat, o.probability, o.fate, o.exitInterface])).toEqual([
      [{ ip: '10.244.1.6', port: 8080 }, 0.5, 'accepted', 'cni0'],
      [{ ip: '10.244.2.7', port: 8080 }, 0.5, 'accepted', 'flannel.1'],
    ]);
    expect(result.unsupported).toEqual([]);
  });

  it('runs IPVS after filter INPUT, then the packet leaves through OUTPUT and POSTROUTING', () => {
    const outcome = result.outcomes[1]!;
    expect(outcome.path).toBe('input');
    expect(outcome.steps.filter((s) => s.verdict !== 'accept' || s.kind !== 'policy').map((s) => `${s.hook} ${describeStep(s)}`)).toEqual([
      'prerouting nat/PREROUTING#1 jump KUBE-SERVICES',
      // Every virtual IP is local (kube-ipvs0), so the NodePort dispatch is tried first.
      'prerouting nat/KUBE-SERVICES#2 jump KUBE-NODE-PORT',
      'prerouting nat/KUBE-SERVICES#3 accept',
      'input filter/INPUT#1 jump KUBE-IPVS-FILTER',
      'input filter/KUBE-IPVS-FILTER#2 return',
      'input filter/INPUT#2 jump KUBE-PROXY-FIREWALL',
      'input filter/INPUT#3 jump KUBE-NODE-PORT',
      'input filter/INPUT#4 jump KUBE-FIREWALL',
      'input ipvs TCP 10.96.0.50:80 continue',
      'input ipvs TCP 10.96.0.50:80#2 accept 10.244.2.7:8080',
      'output filter/OUTPUT#1 jump KUBE-FIREWALL',
      'postrouting nat/POSTROUTING#1 jump KUBE-POSTROUTING',
      'postrouting nat/KUBE-POSTROUTING#2 return',
    ]);
    const server = outcome.steps.find((s) => s.kind === 'ipvs' && s.position === 2)!;
    expect(server).toMatchObject({ file: 'ipvsadm-Ln.txt', line: lineOf(IPVSADM, 'TCP  10.96.0.50:80') + 2 });
    expect(outcome.steps[0]!.file).toBe('iptables-save.txt');
  });

  it('masquerades the hairpin branch through KUBE-LOOP-BACK', () => {
    const hairpin = trace({ from: 'pod', src: '10.244.1.6', sport: 43000, dst: '10.96.0.50', dport: 80 });
    const self = hairpin.outcomes.find((o) => o.dnat?.ip === '10.244.1.6')!;
    expect(self.snat).toEqual({ masquerade: true });
    expect(ruleSteps(self)).toContain('nat/KUBE-POSTROUTING#1 accept MASQUERADE');
    expect(hairpin.outcomes.find((o) => o.dnat?.ip === '10.244.2.7')!.snat).toBeUndefined();
  });
});

describe('NodePort', () => {
  it('marks node-port traffic for masquerade through the KUBE-NODE-PORT-TCP bitmap and balances it', () => {
    const result = trace({ from: 'external', src: '198.51.100.7', sport: 43000, dst: '10.0.1.11', dport: 30080 });
    expect(result.outcomes).toHaveLength(2);
    for (const outcome of result.outcomes) {
      expect(outcome).toMatchObject({ fate: 'accepted', snat: { masquerade: true } });
      expect(ruleSteps(outcome).slice(0, 5)).toEqual([
        'nat/PREROUTING#1 jump KUBE-SERVICES',
        'nat/KUBE-SERVICES#2 jump KUBE-NODE-PORT',
        'nat/KUBE-NODE-PORT#1 jump KUBE-MARK-MASQ',
        'nat/KUBE-MARK-MASQ#1 continue MARK',
        'filter/INPUT#1 jump KUBE-IPVS-FILTER',
      ]);
    }
  });
});

describe('virtual server without real servers', () => {
  it('is answered with ICMP port unreachable by the kernel (ip_vs_leave): rejected', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 43000, dst: '10.96.0.20', dport: 80 }));
    expect(outcome.fate).toBe('rejected');
    expect(outcome.reason).toMatch(/no usable real server/);
    // What a user compares with the ticket: refused at once, not a timeout.
    expect(outcome.reason).toMatch(/connection refused at once rather than a timeout/);
    const step = outcome.steps[outcome.steps.length - 1]!;
    expect(step).toMatchObject({ kind: 'ipvs', chain: 'TCP 10.96.0.20:80', line: lineOf(IPVSADM, 'TCP  10.96.0.20:80'), note: 'no real servers' });
  });
});

describe('a service port IPVS does not serve', () => {
  it('is rejected by KUBE-IPVS-FILTER before IPVS sees it', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 43000, dst: '10.96.0.50', dport: 8443 }));
    expect(outcome.fate).toBe('rejected');
    expect(outcome.steps[outcome.steps.length - 1]!.line).toBe(lineOf(IPTABLES, 'KUBE-IPVS-IPS dst -j REJECT'));
  });
});

describe('from the node itself', () => {
  it('is scheduled at LOCAL_OUT, notes persistence, and is masqueraded', () => {
    const outcome = onlyOutcome(trace({ from: 'host', src: '10.0.1.11', sport: 43000, dst: '10.96.0.1', dport: 443 }));
    expect(outcome).toMatchObject({ fate: 'accepted', path: 'output', dnat: { ip: '10.0.1.10', port: 6443 }, snat: { masquerade: true }, exitInterface: 'eth0' });
    const vs = outcome.steps.find((s) => s.kind === 'ipvs')!;
    expect(vs.hook).toBe('output');
    expect(vs.note).toBe('persistent 10800s: a client keeps the real server it got first');
    // nat OUTPUT (-100) ran once, before IPVS (-98) took the packet; filter OUTPUT (0) is met
    // once, by the packet IPVS re-injected towards the real server.
    expect(ruleSteps(outcome).filter((s) => s === 'nat/OUTPUT#1 jump KUBE-SERVICES')).toHaveLength(1);
    expect(outcome.steps.filter((s) => s.table === 'filter' && s.hook === 'output').map(describeStep)).toEqual([
      'filter/OUTPUT#1 jump KUBE-FIREWALL',
      'filter/OUTPUT policy accept',
    ]);
  });
});

describe('firewall-mark virtual server', () => {
  it('matches on the packet mark and weighs the real servers (wrr 3:1)', () => {
    const result = trace({ from: 'external', src: '198.51.100.7', sport: 43000, dst: '10.0.1.11', dport: 5000, mark: 100 });
    expect(result.outcomes.map((o) => [o.dnat, o.probability])).toEqual([
      [{ ip: '10.244.3.8', port: 8080 }, 0.75],
      [{ ip: '10.244.3.9', port: 8080 }, 0.25],
    ]);
  });
});

describe('public ipvsadm samples', () => {
  const sample1 = sampleText('ipvsadm-Ln-1.txt');
  const sample2 = sampleText('ipvsadm-Ln-2.txt');
  if (!sample1 || !sample2) console.warn('ipvsadm samples skipped: ../shared/samples is not present');
  const sampleNode = nodeNetContext({ localAddresses: ['10.253.102.0'], podCidrs: ['10.253.102.0/24'] });

  it.skipIf(!sample1)('balances kube-dns over its two real servers (ipvsadm-Ln-1)', () => {
    const result = traceIpvs({ ipvs: ipvsadm(sample1!), node: sampleNode }, { from: 'pod', src: '10.253.102.9', sport: 43000, dst: '10.254.0.2', dport: 53 });
    expectProbabilitiesSumToOne(result);
    expect(result.outcomes.map((o) => [o.dnat?.ip, o.probability])).toEqual([
      ['10.253.35.5', 0.5],
      ['10.253.7.5', 0.5],
    ]);
  });

  it.skipIf(!sample2)('rejects traffic to the virtual server left without real servers (kubernetes#75262, ipvsadm-Ln-2)', () => {
    const result = traceIpvs({ ipvs: ipvsadm(sample2!), node: sampleNode }, { from: 'external', src: '198.51.100.7', sport: 43000, dst: '10.1.109.187', dport: 443 });
    expect(onlyOutcome(result)).toMatchObject({ fate: 'rejected', path: 'input' });
  });
});
