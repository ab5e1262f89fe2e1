import { describe, expect, it } from 'vitest';
import { findShadowedCalicoAllows } from '../../analyzer/policy/calico/calico-shadowing.js';
import { findLine } from '../helpers/kube-objects.js';
import { cluster, cnp, gnp, tier, type Setup } from './calico-fixtures.js';
import { networkPolicy } from './cni-policy-cluster.js';

function shadowed(setup: Setup) {
  const c = cluster(setup);
  const found = findShadowedCalicoAllows({ resources: c.resources, k8sPolicies: c.model.networkPolicies, pods: c.model.pods, namespaceOf: (n) => c.model.namespace(n) });
  return { c, found };
}

const summary = (found: ReturnType<typeof findShadowedCalicoAllows>) =>
  found.map((f) => `${f.direction} ${f.kind}: ${f.shadowing.policy}#${f.shadowing.ruleIndex ?? '-'} shadows ${f.shadowed.policy}#${f.shadowed.ruleIndex}`);

const securityTier = tier('security', { order: 100 });
// Allows shop/web-1 (app=web in a team=web namespace) to reach postgres on 5432.
const allowWebToDb = networkPolicy('db', 'allow-web', {
  podSelector: { matchLabels: { app: 'postgres' } },
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } }, podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
});

describe('calico-policy-shadowed: a Deny earlier in the order covers a later Allow', () => {
  it('finds a security-tier Deny that takes all the traffic a Kubernetes policy allows', () => {
    const { c, found } = shadowed({
      tiers: [securityTier],
      globalnetworkpolicies: [
        gnp('security.no-web-to-db', {
          tier: 'security',
          order: 10,
          selector: "role == 'database'",
          types: ['Ingress'],
          ingress: [{ action: 'Deny', source: { selector: "app == 'web'", namespaceSelector: 'all()' } }, { action: 'Pass' }],
        }),
      ],
      k8s: [allowWebToDb],
    });
    expect(summary(found)).toEqual(['ingress deny-rule: GlobalNetworkPolicy/security.no-web-to-db#0 shadows NetworkPolicy/db/allow-web#0']);
    const [finding] = found;
    expect(finding!.pods).toBe(1);
    expect(finding!.shadowing.evidence).toMatchObject({ file: 'cluster/calico/globalnetworkpolicies.json', line: findLine(c.files['cluster/calico/globalnetworkpolicies.json']!, '"ingress": [') + 1 });
    expect(finding!.shadowed.evidence.file).toBe('cluster/networkpolicies.json');
    expect(finding!.reason).toBe(
      'GlobalNetworkPolicy/security.no-web-to-db (tier security, order 10) rule 0 denies everything before NetworkPolicy/db/allow-web (tier default, order 1000) rule 0 can allow any of it, on all 1 pod(s) that policy applies to: the Allow never acts',
    );
  });

  it('does not report a Deny that covers only part of the Allow (web, but the Allow takes the whole namespace)', () => {
    const { found } = shadowed({
      tiers: [securityTier],
      globalnetworkpolicies: [
        gnp('security.no-web-to-db', { tier: 'security', order: 10, selector: "role == 'database'", ingress: [{ action: 'Deny', source: { selector: "app == 'web'", namespaceSelector: 'all()' } }, { action: 'Pass' }] }),
      ],
      k8s: [
        networkPolicy('db', 'allow-team-web', {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }] }],
        }),
      ],
    });
    expect(found).toEqual([]);
  });

  it('does not report a Deny limited to a port the Allow does not cover entirely', () => {
    const { found } = shadowed({
      networkpolicies: [
        cnp('db', 'deny-5432', { order: 10, selector: 'all()', ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [5432] } }] }),
        cnp('db', 'allow-range', { order: 20, selector: 'all()', ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['5432:5433'] } }] }),
        cnp('db', 'allow-5432', { order: 30, selector: 'all()', ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [5432] } }] }),
      ],
    });
    expect(summary(found)).toEqual(['ingress deny-rule: NetworkPolicy.projectcalico.org/db/deny-5432#0 shadows NetworkPolicy.projectcalico.org/db/allow-5432#0']);
  });

  it('does not report when an earlier Allow lets the traffic through before the Deny', () => {
    const { found } = shadowed({
      networkpolicies: [
        cnp('db', 'allow-web-first', { order: 1, selector: 'all()', ingress: [{ action: 'Allow', source: { selector: "app == 'web'", namespaceSelector: 'all()' } }] }),
        cnp('db', 'deny-all', { order: 10, selector: 'all()', ingress: [{ action: 'Deny' }] }),
        cnp('db', 'allow-web-later', { order: 20, selector: 'all()', ingress: [{ action: 'Allow', source: { selector: "app == 'web'", namespaceSelector: 'all()' } }] }),
      ],
    });
    // allow-web-later is redundant, not shadowed by a Deny.
    expect(summary(found).filter((s) => s.includes('allow-web-later'))).toEqual([]);
  });

  it('an Allow of another source before the Deny does not save the later Allow', () => {
    const { found } = shadowed({
      networkpolicies: [
        cnp('db', 'guard', {
          order: 10,
          selector: 'all()',
          ingress: [{ action: 'Allow', source: { selector: "k8s-app == 'kube-dns'", namespaceSelector: 'all()' } }, { action: 'Deny' }],
        }),
        cnp('db', 'allow-web', { order: 20, selector: 'all()', ingress: [{ action: 'Allow', source: { selector: "app == 'web'", namespaceSelector: 'all()' } }] }),
      ],
    });
    expect(summary(found)).toEqual(['ingress deny-rule: NetworkPolicy.projectcalico.org/db/guard#1 shadows NetworkPolicy.projectcalico.org/db/allow-web#0']);
  });
});

describe('calico-policy-shadowed: the end of an earlier tier', () => {
  const securityAllowsDnsOnly = (extra: Record<string, unknown>[] = []) =>
    gnp('security.db-from-kube-system', {
      tier: 'security',
      order: 10,
      selector: "role == 'database'",
      types: ['Ingress'],
      ingress: [{ action: 'Allow', source: { namespaceSelector: "projectcalico.org/name == 'kube-system'" } }, ...extra],
    });

  it('an earlier tier that applies and never passes drops what the default tier allows', () => {
    const { c, found } = shadowed({ tiers: [securityTier], globalnetworkpolicies: [securityAllowsDnsOnly()], k8s: [allowWebToDb] });
    expect(summary(found)).toEqual(['ingress end-of-tier: Tier/security#- shadows NetworkPolicy/db/allow-web#0']);
    expect(found[0]!.shadowing.evidence).toMatchObject({ file: 'cluster/calico/tiers.json', line: findLine(c.files['cluster/calico/tiers.json']!, '"spec"') });
    expect(found[0]!.reason).toContain('tier security (order 100) applies to these pods through GlobalNetworkPolicy/security.db-from-kube-system');
  });

  it('is silent when the tier passes, or when its default action is Pass', () => {
    expect(shadowed({ tiers: [securityTier], globalnetworkpolicies: [securityAllowsDnsOnly([{ action: 'Pass' }])], k8s: [allowWebToDb] }).found).toEqual([]);
    expect(shadowed({ tiers: [tier('security', { order: 100, defaultAction: 'Pass' })], globalnetworkpolicies: [securityAllowsDnsOnly()], k8s: [allowWebToDb] }).found).toEqual([]);
  });

  it('is silent when the earlier tier does not apply to every pod of the later policy', () => {
    const { found } = shadowed({
      tiers: [securityTier],
      globalnetworkpolicies: [
        gnp('security.web-only', { tier: 'security', order: 10, selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Deny' }] }),
      ],
      networkpolicies: [cnp('shop', 'allow-all-shop', { selector: 'all()', ingress: [{ action: 'Allow' }] })],
    });
    // security.web-only applies to web-1 but not cart-1; allow-all-shop still acts on cart-1.
    expect(found).toEqual([]);
  });
});
