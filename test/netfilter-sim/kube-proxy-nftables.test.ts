/**
 * kube-proxy's nftables mode as `nft list ruleset` prints it (fixtures/kube-proxy-nft-list.txt:
 * the same node-a Services as the iptables fixture, plus a host firewall table), and the
 * nftables semantics the simulator follows: base chains of every table ordered by priority,
 * verdict maps, numgen fan-out, dynamic affinity sets, and statements it cannot evaluate.
 */
import { describe, expect, it } from 'vitest';
import { compileNftables, traceNftables } from '../../analyzer/netfilter/simulate/compile-nftables.js';
import { nodeNetContext } from '../../analyzer/netfilter/simulate/node-context.js';
import type { SimPacket } from '../../analyzer/netfilter/simulate/trace-types.js';
import { describeStep, expectProbabilitiesSumToOne, fixtureText, lineOf, nftables, onlyOutcome, ruleSteps } from './sim-fixtures.js';

const FILE = 'nodes/node-a/nft-list-ruleset.txt';
const text = fixtureText('kube-proxy-nft-list.txt');
const sim = compileNftables(nftables(text, FILE), { file: FILE });
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

const WEB = 'service-SUSTUHLJ-default/web/tcp/http';
const EP1 = 'endpoint-EKRJ2VCA-default/web/tcp/http__10.244.1.6/8080';
const EP2 = 'endpoint-BZGFZVVG-default/web/tcp/http__10.244.2.7/8080';

describe('ClusterIP through the service-ips verdict map', () => {
  const result = trace({ from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.96.0.50', dport: 80 });

  it('fans out numgen random mod 2 into two endpoints of 1/2 each', () => {
    expect(result.outcomes.map((o) => [o.dnat, o.probability, o.fate])).toEqual([
      [{ ip: '10.244.1.6', port: 8080 }, 0.5, 'accepted'],
      [{ ip: '10.244.2.7', port: 8080 }, 0.5, 'accepted'],
    ]);
    expect(result.unsupported).toEqual([]);
  });

  it('runs base chains across tables in priority order: -110 filter, -100 nat, then forward 0 before +10', () => {
    const steps = result.outcomes[1]!.steps.map((s) => `${s.hook} ${s.table} ${describeStep(s)}`);
    expect(steps).toEqual([
      'prerouting kube-proxy kube-proxy/filter-prerouting-pre-dnat#1 jump firewall-check',
      'prerouting kube-proxy kube-proxy/filter-prerouting-pre-dnat policy accept',
      'prerouting kube-proxy kube-proxy/nat-prerouting#1 jump services',
      `prerouting kube-proxy kube-proxy/services#1 goto ${WEB}`,
      `prerouting kube-proxy kube-proxy/${WEB}#2 goto ${EP2}`,
      `prerouting kube-proxy kube-proxy/${EP2}#2 accept dnat`,
      'forward kube-proxy kube-proxy/filter-forward#1 jump service-endpoints-check',
      'forward kube-proxy kube-proxy/filter-forward#2 jump cluster-ips-check',
      'forward kube-proxy kube-proxy/filter-forward policy accept',
      'forward host-firewall host-firewall/forward#3 accept',
      'postrouting kube-proxy kube-proxy/nat-postrouting#1 jump masquerading',
      'postrouting kube-proxy kube-proxy/masquerading#1 return',
      'postrouting kube-proxy kube-proxy/nat-postrouting policy accept',
    ]);
    const numgen = result.outcomes[1]!.steps[4]!;
    expect(numgen).toMatchObject({ family: 'ip', file: FILE, line: lineOf(text, 'numgen random mod 2 vmap { 0 : goto endpoint-EKRJ2VCA') });
    expect(numgen.note).toBe('numgen picked 1 (probability 0.5)');
  });
});

describe('NodePort and LoadBalancer', () => {
  it('dispatches a node port through nodeport-ips and masquerades it', () => {
    const result = trace({ from: 'external', src: '198.51.100.7', sport: 42000, dst: '10.0.1.11', dport: 30080 });
    expect(result.outcomes).toHaveLength(2);
    for (const outcome of result.outcomes) expect(outcome).toMatchObject({ fate: 'accepted', path: 'forward', snat: { masquerade: true }, mark: 0 });
    expect(ruleSteps(result.outcomes[0]!).slice(2, 6)).toEqual([
      'kube-proxy/services#2 goto external-SUSTUHLJ-default/web/tcp/http',
      'kube-proxy/external-SUSTUHLJ-default/web/tcp/http#1 jump mark-for-masquerade',
      'kube-proxy/mark-for-masquerade#1 continue',
      `kube-proxy/external-SUSTUHLJ-default/web/tcp/http#2 goto ${WEB}`,
    ]);
  });

  it('drops LoadBalancer traffic from outside loadBalancerSourceRanges before DNAT (priority -110)', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 42000, dst: '192.0.2.20', dport: 80 }));
    expect(outcome.fate).toBe('dropped');
    expect(ruleSteps(outcome)).toEqual([
      'kube-proxy/filter-prerouting-pre-dnat#1 jump firewall-check',
      'kube-proxy/firewall-check#1 goto firewall-BIELDWFM-default/lb-ranges/tcp/http',
      'kube-proxy/firewall-BIELDWFM-default/lb-ranges/tcp/http#1 drop',
    ]);
  });

  it('lets an allowed source through to the endpoint', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '203.0.113.9', sport: 42000, dst: '192.0.2.20', dport: 80 }));
    expect(outcome).toMatchObject({ fate: 'accepted', dnat: { ip: '10.244.2.12', port: 8080 }, snat: { masquerade: true } });
  });
});

describe('rejects and drops', () => {
  it('rejects a Service without endpoints through no-endpoint-services → reject-chain', () => {
    const outcome = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.96.0.20', dport: 80 }));
    expect(outcome.fate).toBe('rejected');
    const last = outcome.steps[outcome.steps.length - 1]!;
    expect(last).toMatchObject({ chain: 'reject-chain', verdict: 'drop', target: 'reject', line: lineOf(text, '\t\treject') });
  });

  it('rejects other ports of a ClusterIP and drops unallocated ClusterIPs (cluster-ips-check)', () => {
    const wrongPort = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.96.0.50', dport: 8443 }));
    expect(wrongPort.fate).toBe('rejected');
    expect(wrongPort.steps[wrongPort.steps.length - 1]!.line).toBe(lineOf(text, 'Reject traffic to invalid ports of ClusterIPs'));
    const unallocated = onlyOutcome(trace({ from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.96.7.7', dport: 80 }));
    expect(unallocated.fate).toBe('dropped');
    expect(unallocated.steps[unallocated.steps.length - 1]!.line).toBe(lineOf(text, 'Drop traffic to unallocated ClusterIPs'));
  });

  it('drops forwarded traffic the host firewall does not allow, by its policy', () => {
    const outcome = onlyOutcome(trace({ from: 'external', src: '198.51.100.7', sport: 42000, dst: '198.51.100.99', dport: 443 }));
    expect(outcome.fate).toBe('dropped');
    expect(outcome.steps[outcome.steps.length - 1]).toMatchObject({ kind: 'policy', table: 'host-firewall', chain: 'forward', verdict: 'drop' });
  });
});

describe('session affinity sets', () => {
  const sticky: SimPacket = { from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.96.0.90', dport: 80 };

  it('by default no client has affinity: the numgen map decides', () => {
    const result = trace(sticky);
    expect(result.outcomes.map((o) => [o.dnat?.ip, o.probability])).toEqual([
      ['10.244.1.13', 0.5],
      ['10.244.2.14', 0.5],
    ]);
  });

  it('with the captured set elements, the client returns to its endpoint', () => {
    const outcome = onlyOutcome(trace({ ...sticky, affinity: 'captured' }));
    expect(outcome.dnat).toEqual({ ip: '10.244.1.13', port: 8080 });
    expect(ruleSteps(outcome)).toContain(
      'kube-proxy/service-H6U4RGLG-default/sticky/tcp/http#2 goto endpoint-X52N4W3B-default/sticky/tcp/http__10.244.1.13/8080',
    );
  });

  it('with explicit entries, follows them', () => {
    const outcome = onlyOutcome(trace({ ...sticky, affinity: { 'affinity-ZQ77I6IT-default/sticky/tcp/http__10.244.2.14/8080': ['10.244.1.5'] } }));
    expect(outcome.dnat).toEqual({ ip: '10.244.2.14', port: 8080 });
  });
});

describe('from the node itself', () => {
  it('DNATs in nat-output (-100) after filter-output-pre-dnat (-110), and masquerades', () => {
    const result = trace({ from: 'host', src: '10.0.1.11', sport: 42000, dst: '10.96.0.50', dport: 80 });
    const outcome = result.outcomes[0]!;
    expect(outcome).toMatchObject({ path: 'output', fate: 'accepted', snat: { masquerade: true } });
    expect(outcome.steps.slice(0, 4).map((s) => `${s.hook} ${s.chain}`)).toEqual([
      'output filter-output-pre-dnat',
      'output filter-output-pre-dnat',
      'output nat-output',
      'output services',
    ]);
  });
});

describe('statements the simulator cannot evaluate', () => {
  // iptables-nft rules nft cannot translate print as `xt match "…"`.
  const ruleset = `table ip filter {
	chain FORWARD {
		type filter hook forward priority filter; policy accept;
		meta l4proto tcp xt match "string" counter packets 0 bytes 0 drop
		counter packets 12 bytes 720 accept
	}
}
`;

  it('takes both ways and marks the outcomes uncertain', () => {
    const result = traceNftables({ ruleset: nftables(ruleset), node }, { from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.244.2.7', dport: 80 });
    expectProbabilitiesSumToOne(result);
    const line = lineOf(ruleset, 'xt match');
    expect(result.outcomes.map((o) => [o.fate, o.probability, o.uncertainLines])).toEqual([
      ['accepted', 0.5, [line]],
      ['dropped', 0.5, [line]],
    ]);
    expect(result.unsupported).toEqual([{ line, reason: '"xt match "string"" is not evaluated' }]);
  });

  it('does not reach the unknown statement when an earlier match fails', () => {
    const result = traceNftables({ ruleset: nftables(ruleset), node }, { from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.244.2.7', dport: 53, proto: 'udp' });
    expect(onlyOutcome(result)).toMatchObject({ fate: 'accepted', uncertain: false });
  });
});

describe('address families', () => {
  const ruleset = `table ip kube-proxy {
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		meta l4proto tcp dnat to 10.244.1.6:8080
	}
}
table ip6 kube-proxy {
	map service-ips {
		type ipv6_addr . inet_proto . inet_service : verdict
		elements = { fd00:96::50 . tcp . 80 : goto service-SUSTUHLJ-default/web/tcp/http }
	}

	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip6 daddr . meta l4proto . th dport vmap @service-ips
	}

	chain service-SUSTUHLJ-default/web/tcp/http {
		meta l4proto tcp dnat to [fd00:244:1::6]:8080
	}
}
table inet host-firewall {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip6 saddr fd00:244:1::/64 counter packets 0 bytes 0
	}
}
`;
  const node6 = nodeNetContext({ localAddresses: ['fd00:10::11'], podCidrs: ['fd00:244:1::/64'] });

  it('runs only the ip6 and inet tables for an IPv6 packet', () => {
    const result = traceNftables({ ruleset: nftables(ruleset), node: node6 }, { from: 'pod', src: 'fd00:244:1::5', sport: 42000, dst: 'fd00:96::50', dport: 80 });
    const outcome = onlyOutcome(result);
    expect(outcome).toMatchObject({ fate: 'accepted', dnat: { ip: 'fd00:244:1::6', port: 8080 } });
    expect(ruleSteps(outcome)).toEqual([
      'kube-proxy/nat-prerouting#1 goto service-SUSTUHLJ-default/web/tcp/http',
      'kube-proxy/service-SUSTUHLJ-default/web/tcp/http#1 accept dnat',
      'host-firewall/forward#1 continue',
    ]);
    expect(outcome.steps.map((s) => s.family)).toEqual(['ip6', 'ip6', 'inet', 'inet']);
  });
});

describe('ct status dnat (iptables-nft --ctstate DNAT, kube-proxy nftables accepts)', () => {
  // `dnat` and `snat` are also statement keywords: `ct status dnat accept` is a match and a verdict.
  const ruleset = `table ip filter {
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.96.0.50 tcp dport 80 dnat to 10.244.2.7:8080
	}
	chain FORWARD {
		type filter hook forward priority filter; policy drop;
		ct status dnat counter packets 3 bytes 180 accept
		ct status != dnat,snat ip daddr 10.244.2.8 accept
	}
}
`;

  it('is true for a new packet DNATed earlier in the same traversal', () => {
    const result = traceNftables({ ruleset: nftables(ruleset), node }, { from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.96.0.50', dport: 80 });
    expect(result.unsupported).toEqual([]);
    const outcome = onlyOutcome(result);
    expect(outcome).toMatchObject({ fate: 'accepted', uncertain: false, dnat: { ip: '10.244.2.7', port: 8080 } });
    expect(outcome.steps.some((s) => s.line === lineOf(ruleset, 'ct status dnat counter') && s.verdict === 'accept')).toBe(true);
  });

  it('is false for a new packet no rule DNATed: the policy drops it, the negation accepts', () => {
    const dropped = onlyOutcome(traceNftables({ ruleset: nftables(ruleset), node }, { from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.244.2.9', dport: 80 }));
    expect(dropped).toMatchObject({ fate: 'dropped', uncertain: false });
    const accepted = onlyOutcome(traceNftables({ ruleset: nftables(ruleset), node }, { from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.244.2.8', dport: 80 }));
    expect(accepted).toMatchObject({ fate: 'accepted', uncertain: false });
  });
});

describe('nat chains of several tables on one hook', () => {
  it('runs them all at the NAT priority in their own order, and stops after the first that NATs', () => {
    const ruleset = `table ip first {
	chain pre {
		type nat hook prerouting priority dstnat - 5; policy accept;
		tcp dport 80 dnat to 10.244.1.6:8080
	}
}
table ip second {
	chain pre {
		type nat hook prerouting priority dstnat + 5; policy accept;
		tcp dport 80 dnat to 10.244.9.9:9999
	}
	chain mangle {
		type filter hook prerouting priority mangle; policy accept;
		meta mark set 0x00000001
	}
}
`;
    const result = traceNftables({ ruleset: nftables(ruleset), node }, { from: 'pod', src: '10.244.1.5', sport: 42000, dst: '10.96.0.1', dport: 80 });
    const outcome = onlyOutcome(result);
    expect(outcome).toMatchObject({ dnat: { ip: '10.244.1.6', port: 8080 }, mark: 1 });
    expect(outcome.steps.filter((s) => s.hook === 'prerouting').map((s) => `${s.table}/${s.chain} ${s.verdict}`)).toEqual([
      'second/mangle continue',
      'second/mangle accept',
      'first/pre accept',
    ]);
  });
});
