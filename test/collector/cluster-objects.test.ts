/**
 * The table of what cluster mode asks the API server for: never Secrets, never "all" kinds,
 * every resource of the bundle format, CRDs only when api-resources shows them, the focus
 * narrowing workloads but not networking objects, logs and metrics of the networking
 * components, and Calico's CRD objects mapped to projectcalico.org/v3.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  calicoCrdListToV3,
  componentCommands,
  discoveryCommands,
  objectCommands,
  parseApiResourceNames,
  plannedForDryRun,
  type PlannedCommand,
} from '../../collector/cluster/cluster-objects.js';

const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'scenarios');
const podsOf = (scenario: string): any[] => JSON.parse(readFileSync(join(SCENARIOS, scenario, 'cluster', 'pods.json'), 'utf8')).items;

/** `kubectl api-resources -o name` of a Calico cluster with metrics-server, as kubectl prints it. */
const CALICO_API_RESOURCES = `bindings
componentstatuses
configmaps
endpoints
events
namespaces
nodes
pods
secrets
services
daemonsets.apps
deployments.apps
endpointslices.discovery.k8s.io
pods.metrics.k8s.io
ingressclasses.networking.k8s.io
ingresses.networking.k8s.io
networkpolicies.networking.k8s.io
ippools.crd.projectcalico.org
globalnetworkpolicies.crd.projectcalico.org
networkpolicies.crd.projectcalico.org
tiers.crd.projectcalico.org
felixconfigurations.crd.projectcalico.org
`;

const everyPlan = (): PlannedCommand[] => [
  ...discoveryCommands(),
  ...objectCommands({ apiResources: parseApiResourceNames(CALICO_API_RESOURCES), namespaces: ['default', 'kube-system', 'calico-system', 'shop', 'ingress-nginx'], focus: [] }),
  ...objectCommands({ apiResources: undefined, namespaces: undefined, focus: ['shop'] }),
  ...componentCommands(podsOf('demo-shop')).commands,
  ...plannedForDryRun([]).map((row) => row.command),
];

describe('what cluster mode asks for', () => {
  it('never names Secrets and never asks for "all" kinds', () => {
    for (const planned of everyPlan()) {
      const line = planned.args.join(' ');
      expect(line, line).not.toMatch(/secret/i);
      expect(planned.args, line).not.toContain('all');
      expect(planned.args[0], line).toMatch(/^(version|api-resources|get|logs|top)$/);
    }
  });

  it('lists every Kubernetes resource of the bundle format, cluster-wide, as JSON', () => {
    const plan = objectCommands({ apiResources: parseApiResourceNames(CALICO_API_RESOURCES), namespaces: ['default', 'kube-system', 'shop'], focus: [] });
    const byPath = new Map(plan.map((p) => [p.path, p.args.join(' ')]));
    expect(byPath.get('cluster/pods.json')).toBe('get pods -A -o json');
    expect(byPath.get('cluster/nodes.json')).toBe('get nodes -o json');
    expect(byPath.get('cluster/endpointslices.json')).toBe('get endpointslices.discovery.k8s.io -A -o json');
    for (const file of ['services', 'endpoints', 'networkpolicies', 'ingresses', 'ingressclasses', 'events', 'daemonsets', 'deployments']) {
      expect(byPath.has(`cluster/${file}.json`), file).toBe(true);
    }
    expect(byPath.get('cluster/configmaps/kube-system.json')).toBe('get configmaps -n kube-system -o json');
    expect([...byPath.keys()].filter((p) => p.startsWith('cluster/configmaps'))).toEqual(['cluster/configmaps/kube-system.json']);
    expect(byPath.get('cluster/top-pods.txt')).toBe('top pods -A');
    expect(discoveryCommands().map((p) => `${p.args.join(' ')} -> ${p.path}`)).toEqual([
      'version -o json -> cluster/version.json',
      'api-resources -o name -> cluster/api-resources.txt',
      'get namespaces -o json -> cluster/namespaces.json',
    ]);
  });

  it('asks for the CNI CRDs api-resources shows, and for nothing it does not show', () => {
    const plan = objectCommands({ apiResources: parseApiResourceNames(CALICO_API_RESOURCES), namespaces: ['kube-system', 'calico-system'], focus: [] });
    const calico = plan.filter((p) => p.path.startsWith('cluster/calico/'));
    expect(calico.map((p) => `${p.args.join(' ')} -> ${p.path}`)).toEqual([
      'get ippools.crd.projectcalico.org -o json -> cluster/calico/ippools.json',
      'get networkpolicies.crd.projectcalico.org -A -o json -> cluster/calico/networkpolicies.json',
      'get globalnetworkpolicies.crd.projectcalico.org -o json -> cluster/calico/globalnetworkpolicies.json',
      'get tiers.crd.projectcalico.org -o json -> cluster/calico/tiers.json',
      'get felixconfigurations.crd.projectcalico.org -o json -> cluster/calico/felixconfigurations.json',
    ]);
    expect(calico.every((p) => p.calicoV3 !== undefined)).toBe(true);
    expect(plan.some((p) => p.path.startsWith('cluster/cilium/'))).toBe(false);
    // ConfigMaps of the CNI namespace that exists, not of the application ones.
    expect(plan.filter((p) => p.path.startsWith('cluster/configmaps/')).map((p) => p.path)).toEqual(['cluster/configmaps/kube-system.json', 'cluster/configmaps/calico-system.json']);

    const withApiServer = objectCommands({ apiResources: parseApiResourceNames(`${CALICO_API_RESOURCES}ippools.projectcalico.org\n`), namespaces: undefined, focus: [] });
    const ippools = withApiServer.find((p) => p.path === 'cluster/calico/ippools.json')!;
    expect(ippools.args).toEqual(['get', 'ippools.projectcalico.org', '-o', 'json']);
    expect(ippools.calicoV3).toBeUndefined();

    const cilium = objectCommands({ apiResources: parseApiResourceNames('pods\nciliumnetworkpolicies.cilium.io\nciliumendpoints.cilium.io\n'), namespaces: undefined, focus: [] });
    expect(cilium.filter((p) => p.path.startsWith('cluster/cilium/')).map((p) => p.args.join(' '))).toEqual([
      'get ciliumnetworkpolicies.cilium.io -A -o json',
      'get ciliumendpoints.cilium.io -A -o json',
    ]);
    // Without metrics-server, kubectl top is recorded as not run rather than failed.
    expect(cilium.find((p) => p.path === 'cluster/top-pods.txt')!.skip).toBe('the Metrics API (metrics-server) is not installed');
  });

  it('-n focuses pods and events on the namespaces asked plus the infrastructure ones; networking objects stay cluster-wide', () => {
    const plan = objectCommands({ apiResources: undefined, namespaces: ['default', 'kube-system', 'shop', 'payments', 'ingress-nginx', 'kube-flannel'], focus: ['shop'] });
    const paths = plan.map((p) => p.path);
    expect(paths.filter((p) => p.startsWith('cluster/pods'))).toEqual(['cluster/pods/shop.json', 'cluster/pods/kube-system.json', 'cluster/pods/kube-flannel.json', 'cluster/pods/ingress-nginx.json']);
    expect(paths.filter((p) => p.startsWith('cluster/events'))).toEqual(['cluster/events/shop.json', 'cluster/events/kube-system.json', 'cluster/events/kube-flannel.json', 'cluster/events/ingress-nginx.json']);
    expect(plan.find((p) => p.path === 'cluster/pods/shop.json')!.args).toEqual(['get', 'pods', '-n', 'shop', '-o', 'json']);
    for (const file of ['services', 'endpoints', 'endpointslices', 'networkpolicies', 'ingresses', 'daemonsets', 'deployments']) {
      expect(plan.find((p) => p.path === `cluster/${file}.json`)!.args, file).toContain('-A');
    }
  });

  it('takes logs of CoreDNS, kube-proxy, the CNI agents and the ingress controller, and CoreDNS metrics through the pod proxy', () => {
    const { commands, notes } = componentCommands(podsOf('demo-shop'), 500);
    const lines = commands.map((p) => `${p.args.join(' ')} -> ${p.path}`);
    expect(lines).toContain('logs -n kube-system coredns-5c8c7f7bf4-9sdhr -c coredns --tail=500 -> logs/kube-system/coredns-5c8c7f7bf4-9sdhr/coredns.log');
    expect(lines).toContain(
      'get --raw /api/v1/namespaces/kube-system/pods/coredns-5c8c7f7bf4-9sdhr:9153/proxy/metrics -> metrics/kube-system/coredns-5c8c7f7bf4-9sdhr.prom',
    );
    const pods = new Set(commands.map((p) => p.path.split('/')[2]));
    expect([...pods].filter((p) => p!.startsWith('kube-proxy-'))).toHaveLength(3);
    expect([...pods].filter((p) => p!.startsWith('calico-node-'))).toHaveLength(3);
    expect([...pods].some((p) => p!.startsWith('ingress-nginx-controller-'))).toBe(true);
    // Application pods, control-plane pods and finished admission jobs are not asked.
    expect([...pods].some((p) => /^(cart|frontend|etcd|kube-apiserver|ingress-nginx-admission)/.test(p!))).toBe(false);
    expect(notes).toEqual([]);
  });

  it('caps DaemonSet components at 10 pods, those in trouble first, and says so', () => {
    const proxy = (i: number, restarts: number) => ({
      metadata: { namespace: 'kube-system', name: `kube-proxy-${String(i).padStart(3, '0')}`, labels: { 'k8s-app': 'kube-proxy' } },
      spec: { containers: [{ name: 'kube-proxy' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'kube-proxy', ready: true, restartCount: restarts }] },
    });
    const pods = Array.from({ length: 40 }, (_, i) => proxy(i, i === 37 ? 4 : 0));
    const { commands, notes } = componentCommands(pods);
    // Ten pods' logs, and the previous log of the one that restarted.
    expect(commands).toHaveLength(11);
    expect(commands[0]!.path).toBe('logs/kube-system/kube-proxy-037/kube-proxy.log');
    expect(commands[1]!.args).toEqual(['logs', '-n', 'kube-system', 'kube-proxy-037', '-c', 'kube-proxy', '--previous', '--tail=2000']);
    expect(commands[1]!.path).toBe('logs/kube-system/kube-proxy-037/kube-proxy.previous.log');
    expect(commands.filter((c) => c.args.includes('--previous'))).toHaveLength(1);
    expect(notes).toEqual(['logs of 10 of 40 kube-proxy pods taken (those with restarts or not ready first)']);
  });
});

describe('calicoCrdListToV3', () => {
  it('maps crd.projectcalico.org/v1 objects to the projectcalico.org/v3 List calicoctl prints', () => {
    const crdOutput = JSON.stringify({
      apiVersion: 'v1',
      items: [
        {
          apiVersion: 'crd.projectcalico.org/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'default.allow-checkout-smtp', namespace: 'shop', resourceVersion: '6654' },
          spec: { tier: 'default', order: 500, selector: "app == 'checkout'", types: ['Egress'] },
        },
        {
          apiVersion: 'crd.projectcalico.org/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'security.deny-egress', namespace: 'shop' },
          spec: { tier: 'security', order: 10, selector: 'all()' },
        },
      ],
      kind: 'List',
      metadata: { resourceVersion: '' },
    });
    const v3 = JSON.parse(calicoCrdListToV3(crdOutput, 'networkpolicies')!);
    expect(v3.kind).toBe('NetworkPolicyList');
    expect(v3.apiVersion).toBe('projectcalico.org/v3');
    expect(v3.items.map((i: any) => `${i.apiVersion} ${i.kind} ${i.metadata.namespace}/${i.metadata.name}`)).toEqual([
      'projectcalico.org/v3 NetworkPolicy shop/allow-checkout-smtp',
      'projectcalico.org/v3 NetworkPolicy shop/security.deny-egress',
    ]);
    expect(v3.items[0].spec).toEqual({ tier: 'default', order: 500, selector: "app == 'checkout'", types: ['Egress'] });
    expect(JSON.parse(calicoCrdListToV3('{"apiVersion":"v1","items":[],"kind":"List"}', 'ippools')!).kind).toBe('IPPoolList');
    expect(calicoCrdListToV3('not json', 'ippools')).toBeUndefined();
  });
});
