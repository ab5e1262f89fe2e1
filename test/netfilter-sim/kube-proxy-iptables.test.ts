/**
 * Packets through a kube-proxy (iptables mode) node: the table of situations kube-proxy programs
 * for, each with the outcomes and the rules the kernel would match (see fixtures/README.md).
 */
import { describe, expect, it } from 'vitest';
import { compileIptables } from '../../analyzer/netfilter/simulate/compile-iptables.js';
import { nodeNetContext } from '../../analyzer/netfilter/simulate/node-context.js';
import type { SimPacket } from '../../analyzer/netfilter/simulate/trace-types.js';
import { describeStep, expectProbabilitiesSumToOne, fixtureText, iptables, lineOf, onlyOutcome, ruleSteps } from './sim-fixtures.js';

const FILE = 'nodes/node-a/iptables-save.txt';
const text = fixtureText('kube-proxy-iptables.txt');
const sim = compileIptables(iptables(text, FILE), { file: FILE });
const node = nodeNetContext({
  localAddresses: ['10.0.1.11'],
  podCidrs: ['10.244.1.0/24'],
  routes: [{ cidr: '10.244.0.0/16', interface: 'flannel.1' }],
});

const WEB = 'CDGGSHYLG3RE2FKL';
const trace = (packet: SimPacket) => {
  const result = sim.trace(node, packet);
  expectProbabilitiesSumToOne(result);
  return result;
};

describe('ClusterIP with three endpoints', () => {
  const result = trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.96.0.50', dport: 80 });

  it('fans out to each endpoint with probability 1/3, DNATed to the endpoint', () => {
    const byTarget = result.outcomes.map((o) => [o.dnat, o.probability, o.fate] as const);
    expect(byTarget.map(([dnat]) => dnat).sort((a, b) => a!.ip.localeCompare(b!.ip))).toEqual([
      { ip: '10.244.1.6', port: 8080 },
      { ip: '10.244.2.7', port: 8080 },
      { ip: '10.244.3.8', port: 8080 },
    ]);
    for (const [, probability, fate] of byTarget) {
      expect(probability).toBeCloseTo(1 / 3, 6);
      expect(fate).toBe('accepted');
    }
    expect(result.unsupported).toEqual([]);
  });

  it('lists the matched rules in kernel order, with file and line as evidence', () => {
    const second = result.outcomes.find((o) => o.dnat?.ip === '10.244.2.7')!;
    expect(ruleSteps(second)).toEqual([
      'nat/PREROUTING#1 jump KUBE-SERVICES',
      `nat/KUBE-SERVICES#2 jump KUBE-SVC-${WEB}`,
      'nat/KUBE-SVC-CDGGSHYLG3RE2FKL#3 jump KUBE-SEP-2RIJ5GIYXEFH6G4D',
      'nat/KUBE-SEP-2RIJ5GIYXEFH6G4D#2 accept DNAT',
      'filter/FORWARD#1 jump KUBE-PROXY-FIREWALL',
      'filter/FORWARD#2 jump KUBE-FORWARD',
      'filter/FORWARD#3 jump KUBE-SERVICES',
      'filter/FORWARD#4 jump KUBE-EXTERNAL-SERVICES',
      'nat/POSTROUTING#1 jump KUBE-POSTROUTING',
      'nat/KUBE-POSTROUTING#1 return',
    ]);
    const dnat = second.steps.find((s) => s.target === 'DNAT')!;
    expect(dnat.file).toBe(FILE);
    expect(dnat.line).toBe(lineOf(text, '-A KUBE-SEP-2RIJ5GIYXEFH6G4D -p tcp'));
    expect(dnat.hook).toBe('prerouting');
    const statistic = second.steps.find((s) => s.chain === `KUBE-SVC-${WEB}`)!;
    expect(statistic.note).toBe('matched with probability 0.5');
    expect(second.exitInterface).toBe('flannel.1');
    expect(second.snat).toBeUndefined();
  });

  it('shows the policies that applied, as the kernel trace does', () => {
    const first = result.outcomes.find((o) => o.dnat?.ip === '10.244.1.6')!;
    const lines = text.split('\n');
    // mangle declares its built-ins first; filter's FORWARD and nat's POSTROUTING come later.
    const lastLineOf = (declaration: string) => lines.lastIndexOf(declaration) + 1;
    const policies = first.steps.filter((s) => s.kind === 'policy').map((s) => `${s.hook} ${s.table}/${s.chain} ${s.verdict} L${s.line}`);
    expect(policies).toEqual([
      `prerouting mangle/PREROUTING accept L${lineOf(text, ':PREROUTING ACCEPT')}`,
      `forward mangle/FORWARD accept L${lineOf(text, ':FORWARD ACCEPT')}`,
      `forward filter/FORWARD accept L${lastLineOf(':FORWARD ACCEPT [0:0]')}`,
      `postrouting mangle/POSTROUTING accept L${lineOf(text, ':POSTROUTING ACCEPT')}`,
      `postrouting nat/POSTROUTING accept L${lastLineOf(':POSTROUTING ACCEPT [0:0]')}`,
    ]);
    expect(first.exitInterface).toBe('cni0');
  });
});

describe('hairpin: a pod reaching itself through its Service', () => {
  const result = trace({ from: 'pod', src: '10.244.1.6', sport: 41000, dst: '10.96.0.50', dport: 80 });

  it('masquerades only the branch that lands back on the same pod', () => {
    const self = result.outcomes.find((o) => o.dnat?.ip === '10.244.1.6')!;
    expect(self.snat).toEqual({ masquerade: true });
    expect(ruleSteps(self)).toContain('nat/KUBE-SEP-F7BHZ7WL3PFYMSRY#1 jump KUBE-MARK-MASQ');
    expect(ruleSteps(self)).toContain('nat/KUBE-MARK-MASQ#1 continue MARK');
    expect(ruleSteps(self).slice(-3)).toEqual([
      'nat/POSTROUTING#1 jump KUBE-POSTROUTING',
      'nat/KUBE-POSTROUTING#2 continue MARK',
      'nat/KUBE-POSTROUTING#3 accept MASQUERADE',
    ]);
    // KUBE-POSTROUTING clears the masquerade bit again (--set-xmark 0x4000/0x0).
    expect(self.mark).toBe(0);
    for (const other of result.outcomes.filter((o) => o !== self)) expect(other.snat).toBeUndefined();
  });
});

describe('NodePort from outside the cluster', () => {
  const result = trace({ from: 'external', src: '198.51.100.7', sport: 41000, dst: '10.0.1.11', dport: 30080 });

  it('goes KUBE-NODEPORTS → KUBE-EXT → KUBE-MARK-MASQ → KUBE-SVC, then is masqueraded', () => {
    expect(result.outcomes).toHaveLength(3);
    for (const outcome of result.outcomes) {
      expect(outcome.fate).toBe('accepted');
      expect(outcome.path).toBe('forward');
      expect(outcome.snat).toEqual({ masquerade: true });
    }
    const local = result.outcomes.find((o) => o.dnat?.ip === '10.244.1.6')!;
    expect(ruleSteps(local)).toEqual([
      'nat/PREROUTING#1 jump KUBE-SERVICES',
      'nat/KUBE-SERVICES#9 jump KUBE-NODEPORTS',
      `nat/KUBE-NODEPORTS#1 jump KUBE-EXT-${WEB}`,
      `nat/KUBE-EXT-${WEB}#1 jump KUBE-MARK-MASQ`,
      'nat/KUBE-MARK-MASQ#1 continue MARK',
      `nat/KUBE-EXT-${WEB}#2 jump KUBE-SVC-${WEB}`,
      `nat/KUBE-SVC-${WEB}#2 jump KUBE-SEP-F7BHZ7WL3PFYMSRY`,
      'nat/KUBE-SEP-F7BHZ7WL3PFYMSRY#2 accept DNAT',
      'filter/FORWARD#1 jump KUBE-PROXY-FIREWALL',
      'filter/FORWARD#2 jump KUBE-FORWARD',
      'filter/KUBE-FORWARD#2 accept',
      'nat/POSTROUTING#1 jump KUBE-POSTROUTING',
      'nat/KUBE-POSTROUTING#2 continue MARK',
      'nat/KUBE-POSTROUTING#3 accept MASQUERADE',
    ]);
  });

  it('uses the out interface address for MASQUERADE when the node lists it', () => {
    const withAddresses = nodeNetContext({
      localAddresses: ['10.0.1.11'],
      podCidrs: ['10.244.1.0/24'],
      interfaceAddresses: { eth0: ['10.0.1.11'], cni0: ['10.244.1.1'] },
    });
    const local = sim
      .trace(withAddresses, { from: 'external', src: '198.51.100.7', sport: 41000, dst: '10.0.1.11', dport: 30080 })
      .outcomes.find((o) => o.dnat?.ip === '10.244.1.6')!;
    expect(local.snat).toEqual({ ip: '10.244.1.1', masquerade: true });
  });
});

describe('externalTrafficPolicy=Local without local endpoints', () => {
  it('drops NodePort traffic in filter KUBE-EXTERNAL-SERVICES', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 41000, dst: '10.0.1.11', dport: 30081 }));
    expect(outcome.fate).toBe('dropped');
    expect(outcome.path).toBe('input');
    expect(outcome.dnat).toBeUndefined();
    const last = outcome.steps[outcome.steps.length - 1]!;
    expect(last.line).toBe(lineOf(text, 'has no local endpoints', '--dport 30081'));
    expect(ruleSteps(outcome)).toEqual([
      'nat/PREROUTING#1 jump KUBE-SERVICES',
      'nat/KUBE-SERVICES#9 jump KUBE-NODEPORTS',
      'nat/KUBE-NODEPORTS#2 jump KUBE-EXT-35WPSUB37BQ4DMJ5',
      'filter/INPUT#1 jump KUBE-PROXY-FIREWALL',
      'filter/INPUT#2 jump KUBE-NODEPORTS',
      'filter/INPUT#3 jump KUBE-EXTERNAL-SERVICES',
      'filter/KUBE-EXTERNAL-SERVICES#2 drop',
    ]);
  });

  it('drops LoadBalancer-IP traffic forwarded to the node', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 41000, dst: '192.0.2.10', dport: 80 }));
    expect(outcome.fate).toBe('dropped');
    expect(outcome.path).toBe('forward');
    expect(outcome.steps[outcome.steps.length - 1]!.line).toBe(lineOf(text, '-A KUBE-EXTERNAL-SERVICES -d 192.0.2.10/32'));
  });

  it('lets pods short-circuit to the cluster-wide endpoints', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '192.0.2.10', dport: 80 }));
    expect(outcome.fate).toBe('accepted');
    expect(outcome.dnat).toEqual({ ip: '10.244.2.9', port: 8080 });
    expect(ruleSteps(outcome)).toContain('nat/KUBE-EXT-35WPSUB37BQ4DMJ5#1 jump KUBE-SVC-35WPSUB37BQ4DMJ5');
  });

  it('accepts the health check node port', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 41000, dst: '10.0.1.11', dport: 32000 }));
    expect(outcome.fate).toBe('accepted');
    expect(ruleSteps(outcome)).toContain('filter/KUBE-NODEPORTS#1 accept');
  });
});

describe('Service without endpoints', () => {
  it('rejects pod traffic in filter FORWARD', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.96.0.20', dport: 80 }));
    expect(outcome.fate).toBe('rejected');
    const reject = outcome.steps[outcome.steps.length - 1]!;
    expect(reject).toMatchObject({ table: 'filter', chain: 'KUBE-SERVICES', position: 1, verdict: 'drop', target: 'REJECT', hook: 'forward' });
    expect(reject.line).toBe(lineOf(text, 'default/empty:http has no endpoints'));
  });

  it('rejects host traffic in filter OUTPUT', () => {
    const outcome = onlyOutcome(trace({ from: 'host', src: '10.0.1.11', sport: 41000, dst: '10.96.0.20', dport: 80 }));
    expect(outcome.fate).toBe('rejected');
    expect(outcome.path).toBe('output');
    expect(ruleSteps(outcome)).toEqual([
      'nat/OUTPUT#1 jump KUBE-SERVICES',
      'filter/OUTPUT#1 jump KUBE-PROXY-FIREWALL',
      'filter/OUTPUT#2 jump KUBE-SERVICES',
      'filter/KUBE-SERVICES#1 drop REJECT',
    ]);
  });

  it('leaves other ports of the same address alone', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.96.0.20', dport: 443 }));
    expect(outcome.fate).toBe('accepted');
    expect(outcome.dnat).toBeUndefined();
  });
});

describe('internalTrafficPolicy=Local', () => {
  it('sends ClusterIP traffic to the local endpoint only, through KUBE-SVL', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.96.0.70', dport: 80 }));
    expect(outcome.dnat).toEqual({ ip: '10.244.1.10', port: 8080 });
    expect(ruleSteps(outcome)).toContain('nat/KUBE-SERVICES#5 jump KUBE-SVL-Q6PIQ6MST54P2YU5');
  });

  it('drops ClusterIP traffic when no endpoint is local', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.96.0.71', dport: 80 }));
    expect(outcome.fate).toBe('dropped');
    expect(outcome.steps[outcome.steps.length - 1]!.line).toBe(lineOf(text, 'default/itp-none:http has no local endpoints'));
  });
});

describe('loadBalancerSourceRanges', () => {
  it('DNATs sources inside the ranges, masqueraded', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '203.0.113.9', sport: 41000, dst: '192.0.2.20', dport: 80 }));
    expect(outcome.fate).toBe('accepted');
    expect(outcome.dnat).toEqual({ ip: '10.244.2.12', port: 8080 });
    expect(outcome.snat).toEqual({ masquerade: true });
    expect(ruleSteps(outcome).slice(0, 3)).toEqual([
      'nat/PREROUTING#1 jump KUBE-SERVICES',
      'nat/KUBE-SERVICES#7 jump KUBE-FW-QQNROL5V7PXTXB4C',
      'nat/KUBE-FW-QQNROL5V7PXTXB4C#1 jump KUBE-EXT-QQNROL5V7PXTXB4C',
    ]);
  });

  it('leaves other sources un-NATed, for KUBE-PROXY-FIREWALL to drop', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 41000, dst: '192.0.2.20', dport: 80 }));
    expect(outcome.fate).toBe('dropped');
    expect(outcome.dnat).toBeUndefined();
    expect(ruleSteps(outcome)).toEqual([
      'nat/PREROUTING#1 jump KUBE-SERVICES',
      'nat/KUBE-SERVICES#7 jump KUBE-FW-QQNROL5V7PXTXB4C',
      // The comment-only rule matches and continues, as the kernel traces it.
      'nat/KUBE-FW-QQNROL5V7PXTXB4C#2 continue',
      'filter/FORWARD#1 jump KUBE-PROXY-FIREWALL',
      'filter/KUBE-PROXY-FIREWALL#1 drop',
    ]);
  });
});

describe('session affinity (ClientIP)', () => {
  const sticky = { from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.96.0.90', dport: 80 } as const;

  it('without affinity state, balances like any Service (the recent lists are empty)', () => {
    const result = trace(sticky);
    expect(result.outcomes.map((o) => [o.dnat?.ip, o.probability, o.uncertain])).toEqual([
      ['10.244.1.13', 0.5, false],
      ['10.244.2.14', 0.5, false],
    ]);
    expect(ruleSteps(result.outcomes[0]!)).toContain('nat/KUBE-SEP-ZYWOUOFDHSTWT4FB#2 accept DNAT');
  });

  it('sends a client listed in an endpoint\'s recent list to that endpoint', () => {
    const outcome = onlyOutcome(trace({ ...sticky, affinity: { 'KUBE-SEP-AHM4RZIRCAY6EPNH': ['10.244.1.5'] } }));
    expect(outcome.dnat).toEqual({ ip: '10.244.2.14', port: 8080 });
    expect(ruleSteps(outcome)).toContain('nat/KUBE-SVC-T2ECBIYT2WDZZK45#3 jump KUBE-SEP-AHM4RZIRCAY6EPNH');
  });

  it('with unknown affinity state, takes every branch and says so', () => {
    const result = trace({ ...sticky, affinity: 'unknown' });
    expect(result.outcomes.every((o) => o.uncertain)).toBe(true);
    expect(new Set(result.outcomes.map((o) => o.dnat?.ip))).toEqual(new Set(['10.244.1.13', '10.244.2.14']));
    expect(result.unsupported.map((u) => u.line)).toEqual([
      lineOf(text, '--rcheck', 'KUBE-SEP-ZYWOUOFDHSTWT4FB'),
      lineOf(text, '--rcheck', 'KUBE-SEP-AHM4RZIRCAY6EPNH'),
    ]);
  });
});

describe('conntrack state', () => {
  it('skips the nat table for an established connection and accepts it in KUBE-FORWARD', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.96.0.50', dport: 80, ctState: 'ESTABLISHED' }));
    expect(outcome.dnat).toBeUndefined();
    expect(outcome.steps.some((s) => s.table === 'nat')).toBe(false);
    expect(ruleSteps(outcome)).toEqual(['filter/FORWARD#2 jump KUBE-FORWARD', 'filter/KUBE-FORWARD#3 accept']);
  });

  it('drops an INVALID packet in KUBE-FORWARD', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 41000, dst: '10.244.2.7', dport: 8080, ctState: 'INVALID' }));
    expect(outcome.fate).toBe('dropped');
    expect(ruleSteps(outcome)).toEqual(['filter/FORWARD#2 jump KUBE-FORWARD', 'filter/KUBE-FORWARD#1 drop']);
  });
});

describe('from the node itself', () => {
  it('DNATs in nat OUTPUT and masquerades (the node is not in the cluster CIDR)', () => {
    const result = trace({ from: 'host', src: '10.0.1.11', sport: 41000, dst: '10.96.0.10', dport: 53, proto: 'udp' });
    const outcome = onlyOutcome(result);
    expect(outcome).toMatchObject({ fate: 'accepted', path: 'output', dnat: { ip: '10.244.1.9', port: 53 }, snat: { masquerade: true }, exitInterface: 'cni0' });
    expect(ruleSteps(outcome).slice(0, 4)).toEqual([
      'nat/OUTPUT#1 jump KUBE-SERVICES',
      'nat/KUBE-SERVICES#1 jump KUBE-SVC-TCOU7JCQXEZGVUNU',
      'nat/KUBE-SVC-TCOU7JCQXEZGVUNU#1 jump KUBE-MARK-MASQ',
      'nat/KUBE-MARK-MASQ#1 continue MARK',
    ]);
  });

  it('comes back in over lo to its own address: PREROUTING and INPUT, nat not run again', () => {
    const outcome = onlyOutcome(trace({ from: 'host', src: '10.0.1.11', sport: 41000, dst: '10.0.1.11', dport: 10250 }));
    expect(outcome).toMatchObject({ fate: 'accepted', path: 'output', exitInterface: 'lo' });
    expect(outcome.steps.map((s) => `${s.hook} ${describeStep(s)}`)).toEqual([
      'output mangle/OUTPUT policy accept',
      'output nat/OUTPUT#1 jump KUBE-SERVICES',
      // Its own address is LOCAL: the NodePort dispatch is tried, and finds no node port 10250.
      'output nat/KUBE-SERVICES#9 jump KUBE-NODEPORTS',
      'output nat/OUTPUT policy accept',
      'output filter/OUTPUT#1 jump KUBE-PROXY-FIREWALL',
      'output filter/OUTPUT#2 jump KUBE-SERVICES',
      'output filter/OUTPUT#3 jump KUBE-FIREWALL',
      'output filter/OUTPUT policy accept',
      'postrouting mangle/POSTROUTING policy accept',
      'postrouting nat/POSTROUTING#1 jump KUBE-POSTROUTING',
      'postrouting nat/KUBE-POSTROUTING#1 return',
      'postrouting nat/POSTROUTING policy accept',
      'prerouting mangle/PREROUTING policy accept',
      'input mangle/INPUT policy accept',
      'input filter/INPUT#1 jump KUBE-PROXY-FIREWALL',
      'input filter/INPUT#2 jump KUBE-NODEPORTS',
      'input filter/INPUT#3 jump KUBE-EXTERNAL-SERVICES',
      'input filter/INPUT#4 jump KUBE-FIREWALL',
      'input filter/INPUT policy accept',
    ]);
  });
});
