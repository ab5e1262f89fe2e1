import { describe, expect, it } from 'vitest';
import { evaluateCalicoDirection } from '../../analyzer/policy/calico/evaluate-calico.js';
import type { DirectionVerdict } from '../../analyzer/policy/policy-types.js';
import { findLine } from '../helpers/kube-objects.js';
import { cluster, cnp, gnp, meta, tier } from './calico-fixtures.js';
import { externalEnd, flow, networkPolicy, nodeEnd } from './cni-policy-cluster.js';

type Json = Record<string, unknown>;

const deciders = (v: DirectionVerdict) => v.decidedBy.map((d) => `${d.policy}#${d.ruleIndex ?? '-'}:${d.action}`);

// The default-deny GlobalNetworkPolicy of samples/calico-policies.yaml.txt (Calico docs).
const DEFAULT_APP_POLICY = gnp('default-app-policy', {
  tier: 'default',
  order: 1500,
  namespaceSelector: 'has(projectcalico.org/name) && projectcalico.org/name not in {"kube-system", "calico-system", "calico-apiserver"}',
  selector: 'all()',
  types: ['Ingress', 'Egress'],
  egress: [{ action: 'Allow', protocol: 'UDP', destination: { selector: 'k8s-app == "kube-dns"', ports: [53] } }],
});

describe('Calico: no policy — profiles decide', () => {
  it('allows through the kns.<namespace> profile Calico generates, and says profiles were not collected', () => {
    const c = cluster();
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v).toMatchObject({ verdict: 'allow', isolated: false });
    expect(deciders(v)).toEqual(['Profile/kns.db#-:allow']);
    expect(v.notes).toContain('profile kns.db profiles were not collected: read as Calico generates it (allow all)');
  });

  it('uses the kns profile of profiles.json when collected, citing its rule', () => {
    const c = cluster({
      profiles: [
        {
          metadata: meta('kns.db'),
          spec: { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }], labelsToApply: { 'pcns.projectcalico.org/name': 'db' } },
        },
      ],
    });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(deciders(v)).toEqual(['Profile/kns.db#0:allow']);
    // The rule's own line: the element of spec.ingress, one line below `"ingress": [`.
    expect(v.decidedBy[0]!.evidence.line).toBe(findLine(c.files['cluster/calico/profiles.json']!, '"ingress": [') + 1);
  });
});

describe('Calico: the default-deny GlobalNetworkPolicy with a DNS exception (docs sample)', () => {
  const c = cluster({ globalnetworkpolicies: [DEFAULT_APP_POLICY] });
  const web = c.pod('shop/web-1');
  const dns = c.pod('kube-system/coredns-1');

  it.each([
    ['egress web → cart:8080/TCP ends in the default tier', 'egress', web, c.pod('shop/cart-1'), 8080, 'TCP', 'deny', ['Tier/default#-:deny']],
    ['egress web → coredns:53/UDP is allowed by rule 0', 'egress', web, dns, 53, 'UDP', 'allow', ['GlobalNetworkPolicy/default-app-policy#0:allow']],
    ['egress web → coredns:53/TCP is denied: the sample allows DNS over UDP only', 'egress', web, dns, 53, 'TCP', 'deny', ['Tier/default#-:deny']],
    ['ingress to coredns: kube-system is excluded by the namespaceSelector', 'ingress', web, dns, 53, 'UDP', 'allow', ['Profile/kns.kube-system#-:allow']],
    ['ingress web → cart: the policy has Ingress type and no ingress rule', 'ingress', web, c.pod('shop/cart-1'), 8080, 'TCP', 'deny', ['Tier/default#-:deny']],
  ] as const)('%s', (_name, direction, src, dst, port, protocol, verdict, expected) => {
    const v = c.judge(direction, flow(src, dst, port, protocol));
    expect(v.verdict).toBe(verdict);
    expect(deciders(v)).toEqual(expected);
  });

  it('explains the end-of-tier drop and why the rule missed', () => {
    const v = c.judge('egress', flow(web, dns, 53, 'TCP'));
    expect(v.decidedBy[0]!.reason).toContain('end of tier default: 1 policy applies to pod shop/web-1 (10.0.1.10) for egress (default-app-policy)');
    expect(v.considered).toEqual([
      {
        policy: 'GlobalNetworkPolicy/default-app-policy',
        selects: true,
        matchedRule: null,
        misses: [{ ruleIndex: 0, reason: 'protocol UDP, not TCP' }],
        evidence: expect.objectContaining({ file: 'cluster/calico/globalnetworkpolicies.json' }),
      },
    ]);
  });
});

describe('Calico: tiers, order and Pass', () => {
  const securityTier = tier('security', { order: 100 });
  const denyWebToDb = (extraRules: Json[]) =>
    gnp('security.db-guard', {
      tier: 'security',
      order: 10,
      selector: "role == 'database'",
      types: ['Ingress'],
      ingress: [{ action: 'Deny', source: { selector: "app == 'web'", namespaceSelector: 'all()' } }, ...extraRules],
    });
  const allowFromShop = networkPolicy('db', 'allow-from-shop', {
    podSelector: { matchLabels: { app: 'postgres' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
  });

  it('a Deny in an earlier tier wins over a Kubernetes policy that allows', () => {
    const c = cluster({ tiers: [securityTier], globalnetworkpolicies: [denyWebToDb([{ action: 'Pass' }])], k8s: [allowFromShop] });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('deny');
    expect(deciders(v)).toEqual(['GlobalNetworkPolicy/security.db-guard#0:deny']);
    expect(v.notes).toContain('1 policy in later tiers not reached');
  });

  it('Pass hands the flow to the default tier, where the Kubernetes policy (knp.default.*) allows', () => {
    const c = cluster({ tiers: [securityTier], globalnetworkpolicies: [denyWebToDb([{ action: 'Pass' }])], k8s: [allowFromShop] });
    const v = c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('allow');
    expect(deciders(v)).toEqual(['GlobalNetworkPolicy/security.db-guard#1:pass', 'NetworkPolicy/db/allow-from-shop#0:allow']);
    expect(v.decidedBy[1]!.reason).toContain("Calico's knp.default.allow-from-shop, tier default, order 1000");
  });

  it('without Pass the security tier ends in its implicit Deny', () => {
    const c = cluster({ tiers: [securityTier], globalnetworkpolicies: [denyWebToDb([])], k8s: [allowFromShop] });
    const v = c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('deny');
    expect(deciders(v)).toEqual(['Tier/security#-:deny']);
    // The Tier object is the evidence of its default action.
    expect(v.decidedBy[0]!.evidence.file).toBe('cluster/calico/tiers.json');
  });

  it('a tier with defaultAction Pass lets the flow go on to the next tier', () => {
    const c = cluster({ tiers: [tier('security', { order: 100, defaultAction: 'Pass' })], globalnetworkpolicies: [denyWebToDb([])] });
    const v = c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('allow');
    expect(deciders(v)).toEqual(['Profile/kns.db#-:allow']);
    expect(v.notes).toContain('tier security: no policy acted; its defaultAction Pass hands the flow to the next tier');
  });

  it('tiers are walked by order, not by file order; a tier that does not apply is skipped', () => {
    const c = cluster({
      tiers: [tier('late', { order: 500 }), tier('early', { order: 50 }), tier('unrelated', { order: 10 })],
      globalnetworkpolicies: [
        gnp('late.allow-all', { tier: 'late', selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Allow' }] }),
        gnp('early.deny-web', { tier: 'early', selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny', source: { selector: "app == 'web'" } }, { action: 'Pass' }] }),
        gnp('unrelated.nothing', { tier: 'unrelated', selector: "app == 'none'", types: ['Ingress'], ingress: [{ action: 'Deny' }] }),
      ],
    });
    expect(deciders(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('shop/cart-1'), 8080)))).toEqual(['GlobalNetworkPolicy/early.deny-web#0:deny']);
    expect(deciders(c.judge('ingress', flow(c.pod('db/postgres-0'), c.pod('shop/cart-1'), 8080)))).toEqual([
      'GlobalNetworkPolicy/early.deny-web#1:pass',
      'GlobalNetworkPolicy/late.allow-all#0:allow',
    ]);
  });

  it.each([
    ['lower order first: Deny (order 10) before Allow (order 20)', 10, 20, 'deny'],
    ['lower order first: Allow (order 5) before Deny (order 10)', 10, 5, 'allow'],
    ['an absent order is last', 10, undefined, 'deny'],
  ])('policies in a tier: %s', (_name, denyOrder, allowOrder, verdict) => {
    const c = cluster({
      networkpolicies: [
        cnp('shop', 'allow-web', { ...(allowOrder !== undefined ? { order: allowOrder } : {}), selector: "app == 'cart'", ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }] }),
        cnp('shop', 'deny-all', { order: denyOrder, selector: 'all()', ingress: [{ action: 'Deny' }] }),
      ],
    });
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('shop/cart-1'), 8080)).verdict).toBe(verdict);
  });

  it('equal orders fall back to the policy name', () => {
    const c = cluster({
      networkpolicies: [
        cnp('shop', 'b-allow', { order: 10, selector: 'all()', ingress: [{ action: 'Allow' }] }),
        cnp('shop', 'a-deny', { order: 10, selector: 'all()', ingress: [{ action: 'Deny' }] }),
      ],
    });
    expect(deciders(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('shop/cart-1'), 8080)))).toEqual(['NetworkPolicy.projectcalico.org/shop/a-deny#0:deny']);
  });
});

describe('Calico: Log, namespaceSelector, nets, ports, ICMP', () => {
  it('Log records and goes on to the next rule', () => {
    const c = cluster({ networkpolicies: [cnp('db', 'audit', { selector: 'all()', ingress: [{ action: 'Log' }, { action: 'Allow', protocol: 'TCP' }] })] });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('allow');
    expect(deciders(v)).toEqual(['NetworkPolicy.projectcalico.org/db/audit#0:log', 'NetworkPolicy.projectcalico.org/db/audit#1:allow']);
  });

  const fromWebTeam = cnp('db', 'from-web-team', {
    selector: "role == 'database'",
    ingress: [{ action: 'Allow', protocol: 'TCP', source: { namespaceSelector: "team == 'web'" }, destination: { ports: [5432] } }],
  });

  it.each([
    ['a pod in a namespace labelled team=web', 'shop/cart-1', 'allow'],
    ['a pod in kube-system (no team label)', 'kube-system/coredns-1', 'deny'],
  ])('namespaceSelector: %s', (_name, src, verdict) => {
    const c = cluster({ networkpolicies: [fromWebTeam] });
    expect(c.judge('ingress', flow(c.pod(src), c.pod('db/postgres-0'), 5432)).verdict).toBe(verdict);
  });

  it('a selector without namespaceSelector in a namespaced policy stays in its namespace', () => {
    const c = cluster({ networkpolicies: [cnp('db', 'from-web', { selector: 'all()', ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }] })] });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('deny');
    expect(v.considered[0]!.misses).toEqual([{ ruleIndex: 0, reason: 'source pod shop/web-1 (10.0.1.10): not in namespace db and the rule has no namespaceSelector' }]);
  });

  it('projectcalico.org/name in a namespaceSelector names a namespace', () => {
    const c = cluster({
      networkpolicies: [cnp('db', 'from-shop', { selector: 'all()', ingress: [{ action: 'Allow', source: { namespaceSelector: "projectcalico.org/name == 'shop'", selector: "app == 'web'" } }] })],
    });
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432)).verdict).toBe('allow');
    expect(c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432)).verdict).toBe('deny');
  });

  const internetOnly = gnp('internet-egress', {
    selector: "app == 'web'",
    types: ['Egress'],
    egress: [{ action: 'Allow', destination: { nets: ['0.0.0.0/0'], notNets: ['10.0.0.0/8', '192.168.0.0/16'] } }],
  });

  it.each([
    ['8.8.8.8:443 is in nets and not in notNets', externalEnd('8.8.8.8'), 'allow'],
    ['a pod IP is excluded by notNets', 'db/postgres-0', 'deny'],
  ] as const)('nets/notNets: %s', (_name, dst, verdict) => {
    const c = cluster({ globalnetworkpolicies: [internetOnly] });
    const to = typeof dst === 'string' ? c.pod(dst) : dst;
    expect(c.judge('egress', flow(c.pod('shop/web-1'), to, 443)).verdict).toBe(verdict);
  });

  it('reports the notNets exclusion', () => {
    const c = cluster({ globalnetworkpolicies: [internetOnly] });
    const v = c.judge('egress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v.considered.find((p) => p.selects)!.misses).toEqual([{ ruleIndex: 0, reason: 'destination pod db/postgres-0 (10.0.2.20) excluded by notNets 10.0.0.0/8' }]);
  });

  const namedPort = cnp('db', 'pg-by-name', {
    selector: 'all()',
    ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['pg', '9100:9199'] } }],
  });

  it.each([
    ['the named port resolves on the destination pod', 5432, 'TCP', 'allow'],
    ['a port in the range', 9187, 'TCP', 'allow'],
    ['another port', 5433, 'TCP', 'deny'],
    ['the right number on the wrong protocol', 5432, 'UDP', 'deny'],
  ] as const)('ports: %s', (_name, port, protocol, verdict) => {
    const c = cluster({ networkpolicies: [namedPort] });
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), port, protocol)).verdict).toBe(verdict);
  });

  it('says what a named port resolved to when it missed', () => {
    const c = cluster({ networkpolicies: [namedPort] });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5433));
    expect(v.considered[0]!.misses[0]!.reason).toBe('destination port 5433/TCP not in [pg, 9100:9199] (pg=5432)');
  });

  it.each([
    ['ping (echo request, type 8) is allowed by an icmp type 8 rule', { type: 8 }, 'ICMP', 'allow'],
    ['an icmp type 0 (echo reply) rule does not allow ping', { type: 0 }, 'ICMP', 'deny'],
    ['an ICMP rule does not allow TCP', { type: 8 }, 'TCP', 'deny'],
  ] as const)('ICMP: %s', (_name, icmp, protocol, verdict) => {
    const c = cluster({ globalnetworkpolicies: [gnp('allow-ping', { selector: 'all()', ingress: [{ action: 'Allow', protocol: 'ICMP', icmp }] })] });
    const port = protocol === 'TCP' ? 80 : undefined;
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), port, protocol)).verdict).toBe(verdict);
  });

  it('protocol numbers work like names (17 = UDP)', () => {
    const c = cluster({ globalnetworkpolicies: [gnp('udp-only', { selector: 'all()', ingress: [{ action: 'Allow', protocol: 17 }] })] });
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('kube-system/coredns-1'), 53, 'UDP')).verdict).toBe('allow');
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('kube-system/coredns-1'), 53, 'TCP')).verdict).toBe('deny');
  });
});

describe('Calico: GlobalNetworkPolicy vs NetworkPolicy, Kubernetes policies, types', () => {
  it('a NetworkPolicy applies in its namespace only; a GlobalNetworkPolicy everywhere its selector matches', () => {
    const c = cluster({
      networkpolicies: [cnp('shop', 'shop-deny', { selector: 'all()', ingress: [{ action: 'Deny' }] })],
      globalnetworkpolicies: [gnp('db-deny', { selector: "role == 'database'", ingress: [{ action: 'Deny' }] })],
    });
    const toDb = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(deciders(toDb)).toEqual(['GlobalNetworkPolicy/db-deny#0:deny']);
    // shop-deny is in shop: not even a candidate for a db pod.
    expect(toDb.considered.map((p) => p.policy)).toEqual(['GlobalNetworkPolicy/db-deny']);
    const toCart = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('shop/cart-1'), 8080));
    expect(deciders(toCart)).toEqual(['NetworkPolicy.projectcalico.org/shop/shop-deny#0:deny']);
    expect(toCart.considered.map((p) => [p.policy, p.selects])).toEqual([
      ['GlobalNetworkPolicy/db-deny', false],
      ['NetworkPolicy.projectcalico.org/shop/shop-deny', true],
    ]);
  });

  it('a GlobalNetworkPolicy selects by namespace through projectcalico.org/namespace, and by service account', () => {
    const c = cluster({
      globalnetworkpolicies: [
        gnp('db-namespace', { order: 1, selector: "projectcalico.org/namespace == 'db'", ingress: [{ action: 'Deny' }] }),
        gnp('web-sa', { order: 2, selector: 'all()', serviceAccountSelector: "projectcalico.org/name == 'shop-web'", ingress: [{ action: 'Deny' }] }),
      ],
    });
    expect(deciders(c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432)))).toEqual(['GlobalNetworkPolicy/db-namespace#0:deny']);
    expect(deciders(c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('shop/web-1'), 80)))).toEqual(['GlobalNetworkPolicy/web-sa#0:deny']);
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('shop/cart-1'), 8080))).toMatchObject({ verdict: 'allow', isolated: false });
  });

  const knp = networkPolicy('db', 'allow-cart', {
    podSelector: { matchLabels: { app: 'postgres' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } }, podSelector: { matchLabels: { app: 'cart' } } }], ports: [{ protocol: 'TCP', port: 'pg' }] }],
  });

  it.each([
    ['a Calico Deny at order 500 comes before knp.default.* (order 1000)', 500, 'deny', ['NetworkPolicy.projectcalico.org/db/deny-shop#0:deny']],
    ['a Calico Deny at order 2000 comes after it', 2000, 'allow', ['NetworkPolicy/db/allow-cart#0:allow']],
  ])('%s', (_name, order, verdict, expected) => {
    const c = cluster({
      k8s: [knp],
      networkpolicies: [cnp('db', 'deny-shop', { order, selector: 'all()', ingress: [{ action: 'Deny', source: { namespaceSelector: "projectcalico.org/name == 'shop'" } }] })],
    });
    const v = c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe(verdict);
    expect(deciders(v)).toEqual(expected);
  });

  it('a Kubernetes policy alone: its pods are isolated and the default tier drops what it does not allow', () => {
    const c = cluster({ k8s: [knp] });
    expect(c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432)).verdict).toBe('allow');
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v).toMatchObject({ verdict: 'deny', isolated: true });
    expect(deciders(v)).toEqual(['Tier/default#-:deny']);
    expect(v.decidedBy[0]!.evidence.file).toBe('cluster/networkpolicies.json');
  });

  it("reads Calico's knp.default.* copy only when the model lacks the Kubernetes object", () => {
    const knpView = cnp('db', 'knp.default.allow-cart', {
      tier: 'default',
      order: 1000,
      selector: "projectcalico.org/orchestrator == 'k8s' && app == 'postgres'",
      types: ['Ingress'],
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "projectcalico.org/orchestrator == 'k8s' && app == 'cart'", namespaceSelector: "team == 'web'" }, destination: { ports: ['pg'] } }],
    });
    const withBoth = cluster({ k8s: [knp], networkpolicies: [knpView] });
    const both = withBoth.judge('ingress', flow(withBoth.pod('shop/cart-1'), withBoth.pod('db/postgres-0'), 5432));
    expect(both.considered.map((p) => p.policy)).toEqual(['NetworkPolicy/db/allow-cart']);
    expect(both.decidedBy[0]!.evidence.file).toBe('cluster/networkpolicies.json');

    const calicoOnly = cluster({ networkpolicies: [knpView] });
    const only = calicoOnly.judge('ingress', flow(calicoOnly.pod('shop/cart-1'), calicoOnly.pod('db/postgres-0'), 5432));
    expect(deciders(only)).toEqual(['NetworkPolicy/db/allow-cart#0:allow']);
    expect(only.decidedBy[0]!.evidence.file).toBe('cluster/calico/networkpolicies.json');
  });

  it('an ipBlock of a Kubernetes policy matches pod IPs under Calico', () => {
    const c = cluster({
      k8s: [
        networkPolicy('db', 'from-node-a-pods', {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.1.0/24', except: ['10.0.1.10/32'] } }] }],
        }),
      ],
    });
    expect(c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432)).verdict).toBe('allow');
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432)).verdict).toBe('deny');
  });

  it('types default from the rules: a policy with egress rules only does not isolate ingress', () => {
    const c = cluster({ networkpolicies: [cnp('shop', 'egress-only', { selector: 'all()', egress: [{ action: 'Deny' }] })] });
    expect(c.resources.policies[0]!.types).toEqual(['Egress']);
    expect(c.judge('ingress', flow(c.pod('db/postgres-0'), c.pod('shop/cart-1'), 8080))).toMatchObject({ verdict: 'allow', isolated: false });
    expect(c.judge('egress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432))).toMatchObject({ verdict: 'deny', isolated: true });
  });

  it('serviceAccountSelector and serviceAccounts match the pod service account', () => {
    const c = cluster({
      networkpolicies: [
        cnp('db', 'from-shop-web-sa', {
          selector: 'all()',
          ingress: [{ action: 'Allow', source: { namespaceSelector: 'all()', serviceAccounts: { names: ['shop-web'] } } }],
        }),
      ],
    });
    expect(c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432)).verdict).toBe('allow');
    expect(c.judge('ingress', flow(c.pod('shop/cart-1'), c.pod('db/postgres-0'), 5432)).verdict).toBe('deny');
  });
});

describe('Calico: what it does not police, and what it cannot decide', () => {
  const denyAll = gnp('deny-all', { selector: 'all()', types: ['Ingress', 'Egress'] });

  it('an external address is not a Calico endpoint', () => {
    const c = cluster({ globalnetworkpolicies: [denyAll] });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), externalEnd('93.184.216.34'), 443));
    expect(v).toMatchObject({ verdict: 'allow', isolated: false, decidedBy: [] });
  });

  it('a node reaches its own pods before any policy (kubelet probes)', () => {
    const c = cluster({ globalnetworkpolicies: [denyAll] });
    const own = c.judge('ingress', flow(nodeEnd(c.model, 'node-a'), c.pod('shop/web-1'), 80));
    expect(own.verdict).toBe('allow');
    expect(own.notes.at(-1)).toContain('Calico accepts host-originated traffic to local workloads before any policy');
    expect(c.judge('ingress', flow(nodeEnd(c.model, 'node-b'), c.pod('shop/web-1'), 80)).verdict).toBe('deny');
  });

  it('a rule on source ports cannot be decided: the flow has none', () => {
    const c = cluster({ globalnetworkpolicies: [gnp('from-high-ports', { selector: 'all()', ingress: [{ action: 'Allow', protocol: 'TCP', source: { ports: ['1024:65535'] } }] })] });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('unknown');
    expect(v.notes).toContain('cannot decide offline: GlobalNetworkPolicy/from-high-ports spec.ingress[0]: the rule matches source ports and the flow does not name one');
  });

  it('staged policies are ignored, with a note', () => {
    const c = cluster({ stagednetworkpolicies: [cnp('db', 'staged-deny', { selector: 'all()', ingress: [{ action: 'Deny' }] })] });
    const v = c.judge('ingress', flow(c.pod('shop/web-1'), c.pod('db/postgres-0'), 5432));
    expect(v.verdict).toBe('allow');
    expect(v.notes).toContain('1 staged policy is ignored: staged policies are not enforced');
  });

  it('a global network set lets a selector match external addresses', () => {
    const c = cluster({
      globalnetworksets: [{ metadata: { ...meta('partners'), labels: { role: 'partner' } }, spec: { nets: ['203.0.113.0/24'] } }],
      globalnetworkpolicies: [gnp('partners-in', { selector: "app == 'web'", ingress: [{ action: 'Allow', source: { selector: "role == 'partner'" } }] })],
    });
    expect(c.judge('ingress', flow(externalEnd('203.0.113.7'), c.pod('shop/web-1'), 80)).verdict).toBe('allow');
    const other = c.judge('ingress', flow(externalEnd('198.51.100.7'), c.pod('shop/web-1'), 80));
    expect(other.verdict).toBe('deny');
    expect(other.considered.find((p) => p.selects)!.misses[0]!.reason).toBe('source 198.51.100.7: an address outside the cluster and in no network set cannot match a selector');
  });

  it('host endpoints: global policies select them by label, failsafe ports stay open, no policy means no profile allow', () => {
    const c = cluster({
      hostendpoints: [{ metadata: { ...meta('node-b-eth0'), labels: { 'host-endpoint': 'ingress' } }, spec: { node: 'node-b', interfaceName: 'eth0', expectedIPs: ['192.168.0.11'] } }],
      globalnetworkpolicies: [gnp('hosts-https', { selector: 'has(host-endpoint)', ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [443] } }] })],
    });
    const host = nodeEnd(c.model, 'node-b');
    expect(c.judge('ingress', flow(externalEnd('198.51.100.7'), host, 443)).verdict).toBe('allow');
    expect(deciders(c.judge('ingress', flow(externalEnd('198.51.100.7'), host, 8443)))).toEqual(['Tier/default#-:deny']);
    expect(c.judge('ingress', flow(externalEnd('198.51.100.7'), host, 22)).notes.at(-1)).toContain('failsafe port');
    // node-a has no HostEndpoint: Calico does not police it.
    expect(c.judge('ingress', flow(externalEnd('198.51.100.7'), nodeEnd(c.model, 'node-a'), 8443)).verdict).toBe('allow');
  });
});

describe('Calico: explain off (matrices) gives the same verdicts without the walk', () => {
  it('same verdicts and deciding rules, no miss reasons, no non-selecting policies', () => {
    const c = cluster({
      tiers: [tier('security', { order: 100 })],
      globalnetworkpolicies: [
        DEFAULT_APP_POLICY,
        gnp('security.db', { tier: 'security', order: 1, selector: "role == 'database'", ingress: [{ action: 'Deny', source: { selector: "app == 'web'", namespaceSelector: 'all()' } }, { action: 'Pass' }] }),
      ],
      k8s: [networkPolicy('db', 'allow-cart', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'cart' } } }] }] })],
    });
    const refs = ['shop/web-1', 'shop/cart-1', 'db/postgres-0', 'kube-system/coredns-1'];
    for (const from of refs) {
      for (const to of refs) {
        for (const direction of ['ingress', 'egress'] as const) {
          const f = flow(c.pod(from), c.pod(to), 5432);
          const explained = evaluateCalicoDirection({ direction, flow: f, resources: c.resources, k8sPolicies: c.model.networkPolicies, namespaceOf: (n) => c.model.namespace(n) });
          const quiet = evaluateCalicoDirection({ direction, flow: f, resources: c.resources, k8sPolicies: c.model.networkPolicies, namespaceOf: (n) => c.model.namespace(n), explain: false });
          expect([from, to, direction, quiet.verdict, deciders(quiet)]).toEqual([from, to, direction, explained.verdict, deciders(explained)]);
          expect(quiet.considered.every((p) => p.selects && p.misses.length === 0)).toBe(true);
        }
      }
    }
  });
});
