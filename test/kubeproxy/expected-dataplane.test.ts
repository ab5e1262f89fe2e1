/**
 * Endpoint eligibility and traffic policies, on the cases of kube-proxy's own tests
 * (TestInternalTrafficPolicyE2E, TestTerminatingEndpointsTrafficPolicyLocal; semantics.md a).
 */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { ExpectedDataplanes } from '../../analyzer/kubeproxy/expected-dataplane.js';
import { buildServicePortIndex } from '../../analyzer/kubeproxy/service-port-index.js';
import { endpointSlice, kubectlList, service, type SliceEndpointSpec } from '../helpers/kube-objects.js';

type Json = Record<string, any>;

const LOCAL = 'host0';

function svc1(spec: Json = {}, type: 'ClusterIP' | 'LoadBalancer' = 'ClusterIP') {
  const object = service({ namespace: 'ns1', name: 'svc1', type, clusterIPs: ['172.30.1.1'], selector: { app: 'svc1' }, ports: [{ port: 80, targetPort: 80, ...(type === 'LoadBalancer' ? { nodePort: 30080 } : {}) }], ...(type === 'LoadBalancer' ? { lbIngress: ['1.2.3.4'] } : {}) });
  Object.assign(object.spec as Json, spec);
  return object;
}

function expectedFor(service: Json, endpoints: SliceEndpointSpec[], node = LOCAL) {
  const slice = endpointSlice({ namespace: 'ns1', service: 'svc1', ports: [{ port: 80 }], endpoints });
  const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList([service]), 'cluster/endpointslices.json': kubectlList([slice]) }));
  const expected = new ExpectedDataplanes(model.kube, buildServicePortIndex(model.kube)).forNode(node, 4);
  return Object.fromEntries([...expected.frontends.values()].map((f) => [f.key, `${f.action} ${f.endpoints.map((e) => e.ip).join(',')}`.trim()]));
}

const ep = (ip: string, node: string, state: 'ready' | 'terminating' | 'gone' = 'ready'): SliceEndpointSpec =>
  state === 'ready' ? { ip, node } : state === 'terminating' ? { ip, node, ready: false, serving: true, terminating: true } : { ip, node, ready: false, serving: false, terminating: true };

describe('ExpectedDataplanes', () => {
  it('internalTrafficPolicy Cluster: every ready endpoint, wherever it runs', () => {
    expect(expectedFor(svc1(), [ep('10.0.1.1', LOCAL), ep('10.0.1.2', 'host1'), ep('10.0.1.3', 'host2')])).toEqual({
      '172.30.1.1|tcp|80': 'forward 10.0.1.1,10.0.1.2,10.0.1.3',
    });
  });

  it('internalTrafficPolicy Local: the local endpoint only; none local → DROP "has no local endpoints"', () => {
    const local = svc1({ internalTrafficPolicy: 'Local' });
    expect(expectedFor(local, [ep('10.0.1.1', LOCAL), ep('10.0.1.2', 'host1'), ep('10.0.1.3', 'host2')])).toEqual({ '172.30.1.1|tcp|80': 'forward 10.0.1.1' });
    expect(expectedFor(local, [ep('10.0.1.1', 'host0x'), ep('10.0.1.2', 'host1')])).toEqual({ '172.30.1.1|tcp|80': 'drop' });
  });

  it('no endpoints at all → REJECT "has no endpoints"', () => {
    expect(expectedFor(svc1(), [])).toEqual({ '172.30.1.1|tcp|80': 'reject' });
    expect(expectedFor(svc1({ internalTrafficPolicy: 'Local' }), [])).toEqual({ '172.30.1.1|tcp|80': 'reject' });
  });

  it('case D: eTP=Local LoadBalancer — pods reach every ready endpoint, external clients the local ready ones', () => {
    const lb = svc1({ externalTrafficPolicy: 'Local' }, 'LoadBalancer');
    const endpoints = [ep('10.0.1.1', LOCAL), ep('10.0.1.2', LOCAL), ep('10.0.1.3', LOCAL, 'terminating'), ep('10.0.1.4', LOCAL, 'gone'), ep('10.0.1.5', 'host-1')];
    expect(expectedFor(lb, endpoints)).toEqual({
      '172.30.1.1|tcp|80': 'forward 10.0.1.1,10.0.1.2,10.0.1.5',
      '1.2.3.4|tcp|80': 'forward 10.0.1.1,10.0.1.2',
      'node|tcp|30080': 'forward 10.0.1.1,10.0.1.2',
    });
  });

  it('case E: only terminating endpoints locally — ClusterIP uses the ready remote one, external traffic falls back to local serving-terminating ones', () => {
    const lb = svc1({ externalTrafficPolicy: 'Local' }, 'LoadBalancer');
    const endpoints = [ep('10.0.1.2', LOCAL, 'terminating'), ep('10.0.1.3', LOCAL, 'terminating'), ep('10.0.1.4', LOCAL, 'gone'), ep('10.0.1.5', 'host-1')];
    expect(expectedFor(lb, endpoints)).toEqual({
      '172.30.1.1|tcp|80': 'forward 10.0.1.5',
      '1.2.3.4|tcp|80': 'forward 10.0.1.2,10.0.1.3',
      'node|tcp|30080': 'forward 10.0.1.2,10.0.1.3',
    });
  });

  it('case F: only a remote serving-terminating endpoint — ClusterIP uses it, external traffic is DROPped, not REJECTed', () => {
    const lb = svc1({ externalTrafficPolicy: 'Local' }, 'LoadBalancer');
    expect(expectedFor(lb, [ep('10.0.1.5', 'host-1', 'terminating')])).toEqual({
      '172.30.1.1|tcp|80': 'forward 10.0.1.5',
      '1.2.3.4|tcp|80': 'drop',
      'node|tcp|30080': 'drop',
    });
  });

  it('an endpoint without nodeName is never local', () => {
    const lb = svc1({ externalTrafficPolicy: 'Local' }, 'LoadBalancer');
    const slice = endpointSlice({ namespace: 'ns1', service: 'svc1', ports: [{ port: 80 }], endpoints: [{ ip: '10.0.1.9' }] });
    delete (slice.endpoints as Json[])[0].nodeName;
    const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList([lb]), 'cluster/endpointslices.json': kubectlList([slice]) }));
    const expected = new ExpectedDataplanes(model.kube, buildServicePortIndex(model.kube)).forNode('node-a', 4);
    expect(expected.frontends.get('1.2.3.4|tcp|80')!.action).toBe('drop');
  });

  it('matches EndpointSlice ports by name: the slice port number is the resolved targetPort', () => {
    const named = service({ namespace: 'ns1', name: 'svc1', clusterIPs: ['172.30.1.1'], selector: { app: 'svc1' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 'metrics' }] });
    const slice = endpointSlice({ namespace: 'ns1', service: 'svc1', ports: [{ name: 'metrics', port: 9102 }, { name: 'http', port: 8080 }], endpoints: [{ ip: '10.0.1.1', node: LOCAL }] });
    const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList([named]), 'cluster/endpointslices.json': kubectlList([slice]) }));
    const expected = new ExpectedDataplanes(model.kube, buildServicePortIndex(model.kube)).forNode(LOCAL, 4);
    expect(expected.frontends.get('172.30.1.1|tcp|80')!.endpoints.map((e) => e.address)).toEqual(['10.0.1.1:8080']);
    expect(expected.frontends.get('172.30.1.1|tcp|9090')!.endpoints.map((e) => e.address)).toEqual(['10.0.1.1:9102']);
  });

  it('dual-stack: IPv4 frontends and endpoints in the IPv4 view, IPv6 ones in the IPv6 view', () => {
    const dual = service({ namespace: 'ns1', name: 'svc1', clusterIPs: ['172.30.1.1', 'fd00:30::1'], ipFamilies: ['IPv4', 'IPv6'], selector: { app: 'svc1' }, ports: [{ port: 80, targetPort: 80 }] });
    const v4 = endpointSlice({ namespace: 'ns1', service: 'svc1', ports: [{ port: 80 }], endpoints: [{ ip: '10.0.1.1', node: LOCAL }] });
    const v6 = endpointSlice({ namespace: 'ns1', service: 'svc1', addressType: 'IPv6', ports: [{ port: 80 }], endpoints: [{ ip: 'fd00:10::1', node: LOCAL }] });
    const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList([dual]), 'cluster/endpointslices.json': kubectlList([v4, v6]) }));
    const expectations = new ExpectedDataplanes(model.kube, buildServicePortIndex(model.kube));
    const view = (family: 4 | 6) => [...expectations.forNode(LOCAL, family).frontends.values()].map((f) => `${f.key} ${f.endpoints.map((e) => e.address).join(',')}`);
    expect(view(4)).toEqual(['172.30.1.1|tcp|80 10.0.1.1:80']);
    expect(view(6)).toEqual(['fd00:30::1|tcp|80 [fd00:10::1]:80']);
  });

  it('ignores ExternalName, headless and service-proxy-name Services', () => {
    const other = service({ namespace: 'ns1', name: 'svc1', clusterIPs: ['172.30.1.1'], selector: { app: 'svc1' }, ports: [{ port: 80, targetPort: 80 }] });
    (other.metadata as Json).labels['service.kubernetes.io/service-proxy-name'] = 'cilium';
    const headless = service({ namespace: 'ns1', name: 'db', headless: true, selector: { app: 'db' }, ports: [{ port: 5432, targetPort: 5432 }] });
    const external = service({ namespace: 'ns1', name: 'ext', type: 'ExternalName', externalName: 'db.example.com' });
    const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList([other, headless, external]) }));
    expect(new ExpectedDataplanes(model.kube, buildServicePortIndex(model.kube)).forNode(LOCAL, 4).frontends.size).toBe(0);
  });
});
