import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { readCalicoFile, readCalicoResources } from '../../analyzer/policy/calico/calico-resources.js';
import { findLine } from '../helpers/kube-objects.js';

const SAMPLE = join(process.cwd(), '..', 'shared', 'samples', 'calico-policies.yaml.txt');
if (!existsSync(SAMPLE)) console.warn(`calico-resources.test: ${SAMPLE} not found; the sample test is skipped`);

describe('readCalicoFile: the Calico docs samples (samples/calico-policies.yaml.txt)', () => {
  it.skipIf(!existsSync(SAMPLE))('reads the GlobalNetworkPolicies, the tiered NetworkPolicy and the Kubernetes policy', () => {
    const text = readFileSync(SAMPLE, 'utf8');
    const { value, issues } = readCalicoFile(new SourceFile('cluster/calico/networkpolicies.yaml', text));
    expect(issues).toEqual([]);
    expect(
      value.policies.map((p) => ({ ref: p.ref, tier: p.tier, order: p.order, selector: p.selector.text, types: p.types, ingress: p.ingress.length, egress: p.egress.length })),
    ).toEqual([
      { ref: 'GlobalNetworkPolicy/default-app-policy', tier: 'default', order: Infinity, selector: 'all()', types: ['Ingress', 'Egress'], ingress: 0, egress: 1 },
      { ref: 'NetworkPolicy.projectcalico.org/production/internal-access.allow-tcp-6379', tier: 'internal-access', order: Infinity, selector: "role == 'database'", types: ['Ingress', 'Egress'], ingress: 1, egress: 1 },
      // types absent: both directions have rules.
      { ref: 'GlobalNetworkPolicy/webserver', tier: 'default', order: 100, selector: 'role=="webserver"', types: ['Ingress', 'Egress'], ingress: 1, egress: 1 },
    ]);
    expect(value.policies[0]!.namespaceSelector?.text).toBe('has(projectcalico.org/name) && projectcalico.org/name not in {"kube-system", "calico-system", "calico-apiserver"}');
    expect(value.policies[0]!.egress[0]).toMatchObject({ action: 'Allow', protocol: { number: 17, text: 'UDP' }, destination: { ports: [{ kind: 'range', first: 53, last: 53 }] } });
    expect(value.policies[0]!.source.line).toBe(findLine(text, 'kind: GlobalNetworkPolicy') - 1);
    expect(value.kubernetesPolicies.map((p) => [p.ref, p.effectivePolicyTypes])).toEqual([['NetworkPolicy/yaobank/database-policy', ['Ingress', 'Egress']]]);
  });
});

describe('readCalicoResources: calicoctl JSON with positions and problems', () => {
  const globalPolicies = `${JSON.stringify(
    {
      kind: 'GlobalNetworkPolicyList',
      apiVersion: 'projectcalico.org/v3',
      metadata: { resourceVersion: '5120' },
      items: [
        {
          kind: 'GlobalNetworkPolicy',
          apiVersion: 'projectcalico.org/v3',
          metadata: { name: 'typo', uid: 'a4f4c0f2-6c1e-4f8b-9d2f-0c1b2a3d4e5f', creationTimestamp: '2026-11-20T10:00:00Z' },
          spec: { selector: "app = 'web'", ingress: [{ action: 'Allow' }] },
        },
        {
          kind: 'GlobalNetworkPolicy',
          apiVersion: 'projectcalico.org/v3',
          metadata: { name: 'ok', uid: 'b4f4c0f2-6c1e-4f8b-9d2f-0c1b2a3d4e5f', creationTimestamp: '2026-11-20T10:00:00Z' },
          spec: { order: 10, selector: "app == 'web'", ingress: [{ action: 'Allow', destination: { ports: ['8000:8080', 'http'] } }] },
        },
      ],
    },
    null,
    2,
  )}\n`;
  const tiers = `${JSON.stringify(
    {
      kind: 'TierList',
      apiVersion: 'projectcalico.org/v3',
      metadata: {},
      items: [
        { kind: 'Tier', apiVersion: 'projectcalico.org/v3', metadata: { name: 'default' }, spec: { order: 1000000 } },
        { kind: 'Tier', apiVersion: 'projectcalico.org/v3', metadata: { name: 'security' }, spec: { order: 100, defaultAction: 'Pass' } },
      ],
    },
    null,
    2,
  )}\n`;

  it('leaves out a policy Calico would reject, with an issue at the faulty field', () => {
    const bundle = bundleFromFiles({ 'cluster/calico/globalnetworkpolicies.json': globalPolicies, 'cluster/calico/tiers.json': tiers });
    const { value, issues } = readCalicoResources(bundle);
    expect(value.policies.map((p) => p.ref)).toEqual(['GlobalNetworkPolicy/ok']);
    expect(issues.map((i) => [i.line, i.severity ?? 'error', i.message])).toEqual([
      [findLine(globalPolicies, '"selector": "app = \'web\'"'), 'error', `GlobalNetworkPolicy/typo: selector "app = 'web'": expected '==' after 'app' ('=' is not a Calico operator) (column 5)`],
      [findLine(globalPolicies, '"kind": "GlobalNetworkPolicy",') - 1, 'warning', "GlobalNetworkPolicy/typo is left out: Calico's validation rejects it as written, so it cannot be in force"],
    ]);
    expect(value.policies[0]!.ingress[0]!.destination.ports).toEqual([
      { kind: 'range', first: 8000, last: 8080, text: '8000:8080' },
      { kind: 'named', name: 'http', text: 'http' },
    ]);
    expect(value.tiers.map((t) => [t.name, t.order, t.defaultAction])).toEqual([
      ['default', 1000000, 'Deny'],
      ['security', 100, 'Pass'],
    ]);
    expect([...value.collected].sort()).toEqual(['globalnetworkpolicies', 'tiers']);
  });

  it('keeps positions of rules for evidence', () => {
    const bundle = bundleFromFiles({ 'cluster/calico/globalnetworkpolicies.json': globalPolicies });
    const policy = readCalicoResources(bundle).value.policies[0]!;
    const evidence = policy.source.at(policy.ingress[0]!.path);
    expect(evidence).toMatchObject({ file: 'cluster/calico/globalnetworkpolicies.json', line: findLine(globalPolicies, '"order": 10', '"ingress": [') + 1 });
  });
});
