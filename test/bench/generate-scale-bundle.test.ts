import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateScaleBundle,
  planCluster,
  SCALE_BUNDLE_ROOT,
  writeScaleBundleTgz,
  type ScaleBundleCounts,
} from '../../bench/generate-scale-bundle.js';
import { MAX_PODS_PER_NODE } from '../../bench/scale/cluster-plan.js';

type Json = any;

/** Scale 0.01: 100 Services, 1,000 pods — small enough to parse whole in a test. */
const SCALE = 0.01;

let files: Record<string, string>;
let counts: ScaleBundleCounts;
let parsed: Map<string, Json>;

const itemsUnder = (prefix: string): Json[] =>
  [...parsed.entries()].filter(([path]) => path.startsWith(prefix)).flatMap(([, list]) => list.items as Json[]);

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(base) / size);
}

/** Every object whose keys are not in the order Go's encoding/json prints map keys. */
function unsortedObjects(value: Json, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => unsortedObjects(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    for (let i = 1; i < keys.length; i++) {
      if (keys[i - 1]! > keys[i]!) {
        out.push(`${path}: ${keys[i - 1]} before ${keys[i]}`);
        break;
      }
    }
    for (const k of keys) unsortedObjects(value[k], `${path}.${k}`, out);
  }
}

beforeAll(() => {
  ({ files, counts } = generateScaleBundle({ scale: SCALE }));
  parsed = new Map(Object.entries(files).map(([path, text]) => [path, JSON.parse(text)]));
});

describe('generateScaleBundle', () => {
  it('has the requested size, scaled from 10,000 Services / 100,000 pods / 500 nodes / 300 namespaces', () => {
    expect(counts.services).toBe(100);
    expect(counts.pods).toBe(1000);
    expect(itemsUnder('cluster/services/')).toHaveLength(100);
    expect(itemsUnder('cluster/pods/')).toHaveLength(1000);
    expect(parsed.get('cluster/namespaces.json').items).toHaveLength(counts.namespaces);
    expect(parsed.get('cluster/nodes.json').items).toHaveLength(counts.nodes);
    const endpoints = itemsUnder('cluster/endpointslices/').reduce((n, s) => n + (s.endpoints?.length ?? 0), 0);
    expect(endpoints).toBe(counts.endpoints);
    expect(itemsUnder('cluster/endpointslices/')).toHaveLength(counts.endpointSlices);
    expect(counts.endpoints).toBeGreaterThan(counts.pods * 0.9);
  });

  it('doubles everything that scales when the scale doubles', () => {
    const double = generateScaleBundle({ scale: SCALE * 2 }).counts;
    expect(double.services).toBe(200);
    expect(double.pods).toBe(2000);
  });

  it('is deterministic for a seed, and another seed gives another cluster', () => {
    const again = generateScaleBundle({ scale: SCALE }).files;
    expect(Object.keys(again)).toEqual(Object.keys(files));
    for (const path of Object.keys(files)) expect(again[path], path).toBe(files[path]);
    const other = generateScaleBundle({ scale: SCALE, seed: 7 }).files;
    expect(other['cluster/nodes.json']).not.toBe(files['cluster/nodes.json']);
  });

  it('writes what `kubectl get -o json` prints: a List, 4-space indent, sorted keys, a final newline', () => {
    const offenders: string[] = [];
    for (const [path, text] of Object.entries(files)) {
      if (!path.startsWith('cluster/') || path === 'cluster/version.json') continue;
      const list = parsed.get(path);
      expect(list.kind, path).toBe('List');
      expect(list.metadata, path).toEqual({ resourceVersion: '' });
      expect(text.startsWith('{\n    "apiVersion": "v1",\n    "items": ['), path).toBe(true);
      expect(text.endsWith('\n}\n'), path).toBe(true);
      unsortedObjects(list, path, offenders);
    }
    expect(offenders.slice(0, 5)).toEqual([]);
  });

  it('splits pods, Services, Endpoints and EndpointSlices per namespace, one file per namespace each', () => {
    const namespaces = parsed.get('cluster/namespaces.json').items.map((ns: Json) => ns.metadata.name);
    for (const folder of ['pods', 'services', 'endpoints', 'endpointslices']) {
      const names = Object.keys(files)
        .filter((p) => p.startsWith(`cluster/${folder}/`))
        .map((p) => p.slice(`cluster/${folder}/`.length, -'.json'.length));
      expect(names.sort(), folder).toEqual([...namespaces].sort());
      for (const name of names) {
        for (const item of parsed.get(`cluster/${folder}/${name}.json`).items) expect(item.metadata.namespace).toBe(name);
      }
    }
  });

  it('lists every collected file in manifest.json, with the command that produced it', () => {
    const manifest = parsed.get('manifest.json');
    expect(manifest.format).toBe('netdump/v1');
    const listed = manifest.items.map((item: Json) => item.path).sort();
    expect(listed).toEqual(Object.keys(files).filter((p) => p !== 'manifest.json').sort());
    expect(manifest.items.find((i: Json) => i.path === 'cluster/pods/kube-system.json').command).toBe('kubectl get pods -n kube-system -o json');
  });

  it('gives objects full metadata and unique uids', () => {
    const objects = [...parsed.entries()].filter(([p]) => p.startsWith('cluster/') && p !== 'cluster/version.json').flatMap(([, l]) => l.items);
    const uids = new Set<string>();
    for (const o of objects) {
      expect(o.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(o.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(o.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      uids.add(o.metadata.uid);
    }
    expect(uids.size).toBe(objects.length);
  });

  it('places running pods on nodes: pod IP in the node podCIDR, hostIP the node InternalIP, hostNetwork pods on the node IP', () => {
    const nodes = new Map<string, Json>(parsed.get('cluster/nodes.json').items.map((n: Json) => [n.metadata.name, n]));
    const podIPs = new Set<string>();
    const podCIDRs = new Set<string>();
    for (const n of nodes.values()) podCIDRs.add(n.spec.podCIDR);
    expect(podCIDRs.size).toBe(nodes.size);
    for (const pod of itemsUnder('cluster/pods/')) {
      if (pod.status.phase === 'Pending') {
        expect(pod.spec.nodeName).toBeUndefined();
        expect(pod.status.podIP).toBeUndefined();
        continue;
      }
      const node = nodes.get(pod.spec.nodeName);
      const internalIP = node.status.addresses.find((a: Json) => a.type === 'InternalIP').address;
      expect(pod.status.hostIP).toBe(internalIP);
      expect(pod.status.podIPs).toEqual([{ ip: pod.status.podIP }]);
      if (pod.spec.hostNetwork) {
        expect(pod.status.podIP).toBe(internalIP);
      } else {
        expect(inCidr(pod.status.podIP, node.spec.podCIDR), `${pod.metadata.name} ${pod.status.podIP}`).toBe(true);
        expect(podIPs.has(pod.status.podIP)).toBe(false);
        podIPs.add(pod.status.podIP);
      }
    }
  });

  it('gives Services unique ClusterIPs in the Service CIDR, and app pods an owner ReplicaSet or StatefulSet', () => {
    const ips = itemsUnder('cluster/services/').map((s) => s.spec.clusterIP).filter((ip) => ip !== 'None');
    expect(new Set(ips).size).toBe(ips.length);
    for (const ip of ips) expect(inCidr(ip, '10.96.0.0/12'), ip).toBe(true);
    const owners = new Set(itemsUnder('cluster/pods/').map((p) => p.metadata.ownerReferences[0].kind));
    expect([...owners].sort()).toEqual(['DaemonSet', 'Node', 'ReplicaSet', 'StatefulSet']);
  });

  it('fills EndpointSlices as the controller does: at most 100 endpoints, one per pod with an IP, conditions from the pod', () => {
    const pods = new Map<string, Json>(itemsUnder('cluster/pods/').map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    const stale = new Set(counts.planted.staleEndpoints);
    for (const slice of itemsUnder('cluster/endpointslices/')) {
      expect(slice.endpoints?.length ?? 0).toBeLessThanOrEqual(100);
      const service = slice.metadata.labels['kubernetes.io/service-name'];
      for (const e of slice.endpoints ?? []) {
        if (!e.targetRef) continue; // the apiserver's own endpoints
        const pod = pods.get(`${e.targetRef.namespace}/${e.targetRef.name}`);
        if (!pod) {
          expect(stale.has(`Service/${slice.metadata.namespace}/${service}`)).toBe(true);
          continue;
        }
        expect(e.addresses).toEqual([pod.status.podIP]);
        expect(e.nodeName).toBe(pod.spec.nodeName);
        const podReady = pod.status.conditions.find((c: Json) => c.type === 'Ready').status === 'True';
        expect(e.conditions.ready).toBe(podReady && !pod.metadata.deletionTimestamp);
        expect(e.conditions.terminating).toBe(Boolean(pod.metadata.deletionTimestamp));
      }
    }
    // A Service of more than 100 pods gets several slices.
    const plain = generateScaleBundle({ scale: 0.05 });
    const slicesPerService = new Map<string, number>();
    for (const [path, text] of Object.entries(plain.files)) {
      if (!path.startsWith('cluster/endpointslices/')) continue;
      for (const s of JSON.parse(text).items) {
        const key = `${s.metadata.namespace}/${s.metadata.labels['kubernetes.io/service-name']}`;
        slicesPerService.set(key, (slicesPerService.get(key) ?? 0) + 1);
      }
    }
    expect(Math.max(...slicesPerService.values())).toBeGreaterThan(1);
  });

  it('plants the promised problems, and they are real in the objects', () => {
    const p = counts.planted;
    expect(p.selectorTypos).toHaveLength(3);
    expect(p.crashLoopingPods.length).toBeGreaterThan(0);
    expect(p.allEndpointsNotReady.length).toBeGreaterThan(0);
    const pods = itemsUnder('cluster/pods/');
    const services = new Map<string, Json>(itemsUnder('cluster/services/').map((s) => [`Service/${s.metadata.namespace}/${s.metadata.name}`, s]));
    for (const ref of p.selectorTypos) {
      const svc = services.get(ref);
      const matches = pods.filter(
        (pod) => pod.metadata.namespace === svc.metadata.namespace && Object.entries(svc.spec.selector).every(([k, v]) => pod.metadata.labels[k] === v),
      );
      expect(matches, ref).toEqual([]);
    }
    for (const ref of p.crashLoopingPods) {
      const [, ns, name] = ref.split('/');
      const pod = pods.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
      expect(pod.status.containerStatuses.some((c: Json) => c.state.waiting?.reason === 'CrashLoopBackOff'), ref).toBe(true);
    }
    for (const ref of p.lbPending) expect(services.get(ref).status.loadBalancer).toEqual({});
    for (const ref of p.targetPortMismatch) expect(services.get(ref).spec.ports[0].targetPort).toBe(8081);
    const policies = parsed.get('cluster/networkpolicies.json').items.map((np: Json) => `NetworkPolicy/${np.metadata.namespace}/${np.metadata.name}`);
    for (const ref of [...p.policySelectsNothing, ...p.policyPeerMatchesNothing]) expect(policies).toContain(ref);
    const ingress = parsed.get('cluster/ingresses.json').items.find((i: Json) => `Ingress/${i.metadata.namespace}/${i.metadata.name}` === p.ingressBackendMissing[0]);
    const backend = ingress.spec.rules[0].http.paths[0].backend.service.name;
    expect(services.has(`Service/${ingress.metadata.namespace}/${backend}`)).toBe(false);
  });

  it('carries the kube-system pieces DNS and kube-proxy checks read', () => {
    const configMaps = parsed.get('cluster/configmaps.json').items;
    expect(configMaps.find((c: Json) => c.metadata.name === 'coredns').data.Corefile).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa');
    expect(configMaps.find((c: Json) => c.metadata.name === 'kube-proxy').data['config.conf']).toContain('mode: iptables');
    const kubeDns = itemsUnder('cluster/services/kube-system.json').find((s) => s.metadata.name === 'kube-dns');
    expect(kubeDns.spec.clusterIP).toBe('10.96.0.10');
    expect(itemsUnder('cluster/pods/kube-system.json').filter((p) => p.metadata.labels['k8s-app'] === 'kube-dns').length).toBeGreaterThanOrEqual(2);
  });

  it('creates as many NetworkPolicies as asked, with unique names per namespace', () => {
    const many = generateScaleBundle({ scale: SCALE, networkPolicies: 2000 });
    const items = JSON.parse(many.files['cluster/networkpolicies.json']!).items;
    expect(items).toHaveLength(2000);
    expect(many.counts.networkPolicies).toBe(2000);
    expect(new Set(items.map((np: Json) => `${np.metadata.namespace}/${np.metadata.name}`)).size).toBe(2000);
  });
});

describe('writeScaleBundleTgz', () => {
  it('streams the same files into a .tgz under one top folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netdump-scale-test-'));
    try {
      const path = join(dir, 'bundle.tgz');
      const written = await writeScaleBundleTgz(path, { scale: SCALE });
      expect(written.files).toBe(Object.keys(files).length);
      expect(written.bytes).toBe(Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0));
      const read: Record<string, string> = {};
      const extract = tar.extract();
      const consume = (async () => {
        for await (const entry of extract) {
          const parts: Buffer[] = [];
          for await (const part of entry) parts.push(part as Buffer);
          read[entry.header.name] = Buffer.concat(parts).toString('utf8');
        }
      })();
      await Promise.all([pipeline(createReadStream(path), createGunzip(), extract), consume]);
      expect(Object.keys(read).sort()).toEqual(Object.keys(files).map((p) => `${SCALE_BUNDLE_ROOT}/${p}`).sort());
      for (const [p, text] of Object.entries(files)) expect(read[`${SCALE_BUNDLE_ROOT}/${p}`], p).toBe(text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('planCluster at full size', () => {
  it('has the issue’s numbers, within what real clusters allow', () => {
    const plan = planCluster({ scale: 1 });
    expect(plan.services).toHaveLength(10_000);
    expect(plan.pods).toHaveLength(100_000);
    expect(plan.nodes).toHaveLength(500);
    expect(plan.namespaces).toHaveLength(300);
    // kubelet max-pods, and the Endpoints object's 1,000-address cap, are never exceeded.
    expect(Math.max(...plan.nodes.map((n) => n.podsPlaced))).toBeLessThanOrEqual(MAX_PODS_PER_NODE);
    expect(Math.max(...plan.services.map((s) => s.backends.length))).toBeLessThanOrEqual(1000);
    // Some Services need several EndpointSlices; most have a handful of pods.
    expect(plan.services.filter((s) => s.backends.length > 100).length).toBeGreaterThan(0);
    const sizes = plan.services.map((s) => s.backends.length).sort((a, b) => a - b);
    expect(sizes[Math.floor(sizes.length / 2)]).toBeLessThan(10);
  });
});
