/**
 * Each kind of difference between a node's kube-proxy rules and the API, planted in the rules
 * kube-proxy 1.30 writes for the API objects (test/helpers/node-dumps.ts).
 */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { kubeProxyStates } from '../../analyzer/kubeproxy/kube-proxy-state.js';
import { endpointSlice, kubectlList, service, type SliceEndpointSpec } from '../helpers/kube-objects.js';
import { kubeProxyIptablesSave, lineOf, withoutLines } from '../helpers/node-dumps.js';

type Json = Record<string, any>;

const NODE = 'node-b';

function web(spec: Json = {}, type: 'ClusterIP' | 'NodePort' = 'ClusterIP', nodePort = 31080) {
  const object = service({ namespace: 'shop', name: 'web', type, clusterIPs: ['10.96.14.7'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', ...(type === 'NodePort' ? { nodePort } : {}) }] });
  Object.assign(object.spec as Json, spec);
  return object;
}
const slice = (...endpoints: SliceEndpointSpec[]) => endpointSlice({ namespace: 'shop', service: 'web', ports: [{ name: 'http', port: 8080 }], endpoints });
const a = { ip: '10.244.1.5', node: NODE };
const b = { ip: '10.244.2.7', node: 'node-c' };
const c = { ip: '10.244.2.9', node: 'node-c' };

function diffOf(api: { service: Json; slice: Json }, dump: string) {
  const model = buildModel(
    bundleFromFiles({
      'cluster/services.json': kubectlList([api.service]),
      'cluster/endpointslices.json': kubectlList([api.slice]),
      [`nodes/${NODE}/iptables-save.txt`]: dump,
    }),
  );
  const [state] = kubeProxyStates(model).nodes;
  return state!.views.flatMap((v) => v.diff);
}

const dumpFor = (service: Json, s: Json) => kubeProxyIptablesSave({ services: [service], endpointSlices: [s], node: NODE });
const kinds = (entries: ReturnType<typeof diffOf>) => entries.map((e) => [e.kind, e.frontend.key, e.addresses.join(' ')]);

describe('diffDataplane', () => {
  it('finds nothing when the node has exactly what the API asks for', () => {
    expect(diffOf({ service: web(), slice: slice(a, b) }, dumpFor(web(), slice(a, b)))).toEqual([]);
  });

  it('missing-frontend: no rule captures the ClusterIP; the node lines cite where the rule belongs', () => {
    const dump = withoutLines(dumpFor(web(), slice(a, b)), '"shop/web:http cluster IP"');
    const entries = diffOf({ service: web(), slice: slice(a, b) }, dump);
    expect(kinds(entries)).toEqual([['missing-frontend', '10.96.14.7|tcp|80', '10.244.1.5:8080 10.244.2.7:8080']]);
    const lines = dump.split('\n');
    const natKubeServices = lines.findIndex((l, i) => i > lines.indexOf('*nat') && l === ':KUBE-SERVICES - [0:0]') + 1;
    expect(entries[0]!.evidence[0]).toMatchObject({ file: `nodes/${NODE}/iptables-save.txt`, line: natKubeServices });
    expect(entries[0]!.evidence[1]).toMatchObject({ file: 'cluster/services.json', text: '"clusterIP": "10.96.14.7",' });
  });

  it('missing-endpoint and stale-endpoint: the node still balances over the old endpoint set', () => {
    const entries = diffOf({ service: web(), slice: slice(a, c) }, dumpFor(web(), slice(a, b)));
    expect(kinds(entries)).toEqual([
      ['stale-endpoint', '10.96.14.7|tcp|80', '10.244.2.7:8080'],
      ['missing-endpoint', '10.96.14.7|tcp|80', '10.244.2.9:8080'],
    ]);
    const dump = dumpFor(web(), slice(a, b));
    expect(entries[0]!.evidence[0]).toMatchObject({ line: lineOf(dump, '--to-destination 10.244.2.7:8080'), note: 'DNAT to 10.244.2.7:8080' });
    expect(entries[1]!.evidence[1]).toMatchObject({ file: 'cluster/endpointslices.json', text: '"10.244.2.9"' });
  });

  it('stale-endpoint: the Service lost every endpoint, the node still DNATs', () => {
    const entries = diffOf({ service: web(), slice: slice() }, dumpFor(web(), slice(a)));
    expect(kinds(entries)).toEqual([['stale-endpoint', '10.96.14.7|tcp|80', '10.244.1.5:8080']]);
    expect(entries[0]!.detail).toContain('the Service has no usable endpoint');
  });

  it('unexpected-verdict: the node REJECTs a Service that has endpoints again', () => {
    const dump = dumpFor(web(), slice());
    const entries = diffOf({ service: web(), slice: slice(a) }, dump);
    expect(kinds(entries)).toEqual([['unexpected-verdict', '10.96.14.7|tcp|80', '10.244.1.5:8080']]);
    expect(entries[0]!.evidence[0]!.line).toBe(lineOf(dump, 'has no endpoints', '-j REJECT'));
  });

  it('missing-verdict: eTP=Local without local endpoints, but no DROP rule', () => {
    const local = web({ externalTrafficPolicy: 'Local' }, 'NodePort');
    const dump = withoutLines(dumpFor(local, slice(b)), 'has no local endpoints');
    expect(kinds(diffOf({ service: local, slice: slice(b) }, dump))).toEqual([['missing-verdict', 'node|tcp|31080', '']]);
  });

  it('stale-frontend: a NodePort the Service no longer has; missing-frontend: its new one', () => {
    const entries = diffOf({ service: web({}, 'NodePort', 31081), slice: slice(a) }, dumpFor(web({}, 'NodePort', 31080), slice(a)));
    expect(kinds(entries)).toEqual([
      ['missing-frontend', 'node|tcp|31081', '10.244.1.5:8080'],
      ['stale-frontend', 'node|tcp|31080', '10.244.1.5:8080'],
    ]);
  });

  it('affinity-mismatch: ClientIP affinity asked for, none programmed', () => {
    const sticky = web({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
    const entries = diffOf({ service: sticky, slice: slice(a, b) }, dumpFor(web(), slice(a, b)));
    expect(kinds(entries)).toEqual([['affinity-mismatch', '10.96.14.7|tcp|80', '']]);
    expect(entries[0]!.detail).toContain('no session affinity; the Service asks for ClientIP affinity for 600s');
    // …and the same affinity programmed is no difference.
    expect(diffOf({ service: sticky, slice: slice(a, b) }, dumpFor(sticky, slice(a, b)))).toEqual([]);
  });

  it('uneven-balancing: statistic rules that no longer split 1/n', () => {
    const dump = dumpFor(web(), slice(a, b, c)).replace('--probability 0.33333333349', '--probability 0.50000000000');
    const entries = diffOf({ service: web(), slice: slice(a, b, c) }, dump);
    expect(kinds(entries)).toEqual([['uneven-balancing', '10.96.14.7|tcp|80', '10.244.1.5:8080']]);
    expect(entries[0]!.detail).toContain('10.244.1.5:8080 50.0%, 10.244.2.7:8080 25.0%, 10.244.2.9:8080 25.0%');
  });

  it('chain-name-mismatch: a KUBE-SEP chain whose name is not derived from its Service port and address', () => {
    const dump = dumpFor(web(), slice(a));
    const sep = /KUBE-SEP-[A-Z2-7]{16}/.exec(dump)![0];
    const entries = diffOf({ service: web(), slice: slice(a) }, dump.replaceAll(sep, 'KUBE-SEP-ABCDEFGHIJKLMNOP'));
    expect(kinds(entries)).toEqual([['chain-name-mismatch', '10.96.14.7|tcp|80', '10.244.1.5:8080']]);
  });

  it('stale-service: rules of a Service the API no longer has', () => {
    const other = service({ namespace: 'shop', name: 'api', clusterIPs: ['10.96.20.1'], selector: { app: 'api' } });
    const otherSlice = endpointSlice({ namespace: 'shop', service: 'api', endpoints: [{ ip: '10.244.1.9', node: NODE }] });
    const dump = kubeProxyIptablesSave({ services: [web(), other], endpointSlices: [slice(a), otherSlice], node: NODE });
    const entries = diffOf({ service: web(), slice: slice(a) }, dump);
    expect(entries.map((e) => [e.kind, e.spn, e.frontend.key])).toEqual([['stale-service', 'shop/api:http', '10.96.20.1|tcp|80']]);
  });
});
