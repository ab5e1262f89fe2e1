/**
 * Generates the benchmark's synthetic scale bundle: at scale 1, 10,000 Services, 100,000 pods
 * and about as many endpoints across 300 namespaces and 500 nodes, in the kubectl JSON a real
 * collection holds (see bench/scale/). Deterministic: the same options give the same bytes.
 *
 * Pods, Services, Endpoints and EndpointSlices are split per namespace
 * (`cluster/pods/<ns>.json`...), as bundle-format.md allows for large clusters: a single
 * pods.json of this cluster would be larger than the longest string V8 can hold.
 *
 * Files are produced one at a time (`scaleBundleFiles`), so that writing the .tgz never holds
 * more than one namespace's JSON in memory.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  CLUSTER_CIDR,
  COLLECTED_AT,
  KUBERNETES_VERSION,
  planCluster,
  SERVICE_CIDR,
  type ClusterPlan,
  type PlannedPod,
  type PlantedProblems,
  type ScaleOptions,
} from './scale/cluster-plan.js';
import {
  configMapObjects,
  daemonSetObject,
  deploymentObject,
  eventObjects,
  ingressClassObject,
  ingressObject,
  namespaceObject,
  networkPolicyObjects,
  nodeImages,
  nodeObject,
  versionText,
} from './scale/cluster-objects.js';
import { createObjectContext, kubectlList, kubeTime } from './scale/object-context.js';
import { PodWriter } from './scale/pod-objects.js';
import { endpointCount, endpointSliceObjects, endpointsObject, MAX_ENDPOINTS_PER_SLICE, serviceObject } from './scale/service-objects.js';

export { FULL_SIZE, planCluster, type ClusterPlan, type PlantedProblems, type ScaleOptions } from './scale/cluster-plan.js';

/** The folder a collector's tarball wraps everything in. */
export const SCALE_BUNDLE_ROOT = `netdump-${kubeTime(COLLECTED_AT).replaceAll(':', '-')}`;

export interface BundleFile {
  /** Path relative to the bundle root. */
  path: string;
  text: string;
}

export interface ScaleBundleCounts {
  scale: number;
  namespaces: number;
  nodes: number;
  services: number;
  pods: number;
  /** Endpoints across all EndpointSlices. */
  endpoints: number;
  endpointSlices: number;
  networkPolicies: number;
  ingresses: number;
  events: number;
  planted: PlantedProblems;
}

export interface ScaleBundle {
  plan: ClusterPlan;
  counts: ScaleBundleCounts;
  /** The bundle's files, generated lazily in archive order (manifest.json first). */
  files: Iterable<BundleFile>;
}

/** Plans the cluster and returns its files as a lazy sequence. */
export function createScaleBundle(options: ScaleOptions = {}): ScaleBundle {
  const plan = planCluster(options);
  return { plan, counts: countsOf(plan), files: { [Symbol.iterator]: () => bundleFiles(plan) } };
}

/** The whole bundle in memory, path → text (for tests and small scales). */
export function generateScaleBundle(options: ScaleOptions = {}): { files: Record<string, string>; counts: ScaleBundleCounts } {
  const bundle = createScaleBundle(options);
  const files: Record<string, string> = {};
  for (const f of bundle.files) files[f.path] = f.text;
  return { files, counts: bundle.counts };
}

export interface WrittenScaleBundle {
  counts: ScaleBundleCounts;
  files: number;
  /** Uncompressed bytes of all files. */
  bytes: number;
  largestFile: { path: string; bytes: number };
  /** Size of the .tgz. */
  tgzBytes: number;
}

/**
 * Streams the bundle into a .tgz at `path` (tar-stream + gzip), files under
 * SCALE_BUNDLE_ROOT/. Memory stays at about one namespace's JSON: each entry waits until the
 * archive has taken the previous one.
 */
export async function writeScaleBundleTgz(path: string, options: ScaleOptions & { gzipLevel?: number } = {}): Promise<WrittenScaleBundle> {
  const bundle = createScaleBundle(options);
  const pack = tar.pack();
  const gzip = createGzip({ level: options.gzipLevel ?? 6 });
  const out = createWriteStream(path);
  const done = pipeline(pack, gzip, out);
  const mtime = new Date(COLLECTED_AT);
  let files = 0;
  let bytes = 0;
  let largestFile = { path: '', bytes: 0 };
  try {
    for (const file of bundle.files) {
      const data = Buffer.from(file.text, 'utf8');
      files++;
      bytes += data.length;
      if (data.length > largestFile.bytes) largestFile = { path: file.path, bytes: data.length };
      await new Promise<void>((resolve, reject) => {
        pack.entry({ name: `${SCALE_BUNDLE_ROOT}/${file.path}`, size: data.length, mtime, mode: 0o644 }, data, (err) => (err ? reject(err) : resolve()));
      });
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    throw error;
  } finally {
    await done;
  }
  return { counts: bundle.counts, files, bytes, largestFile, tgzBytes: out.bytesWritten };
}

function countsOf(plan: ClusterPlan): ScaleBundleCounts {
  let endpoints = 0;
  let endpointSlices = 0;
  for (const s of plan.services) {
    const n = endpointCount(s);
    endpoints += n;
    if (s.selector || s.managedBy === 'apiserver') endpointSlices += Math.max(1, Math.ceil(n / MAX_ENDPOINTS_PER_SLICE));
  }
  return {
    scale: plan.scale,
    namespaces: plan.namespaces.length,
    nodes: plan.nodes.length,
    services: plan.services.length,
    pods: plan.pods.length,
    endpoints,
    endpointSlices,
    networkPolicies: plan.networkPolicyCount,
    ingresses: plan.ingresses.length,
    events: plan.pods.filter((p) => p.state !== 'running').length,
    planted: plan.planted,
  };
}

/** Resources split per namespace, with the kubectl resource name each file holds. */
const PER_NAMESPACE = [
  ['pods', 'pods'],
  ['services', 'services'],
  ['endpoints', 'endpoints'],
  ['endpointslices', 'endpointslices.discovery.k8s.io'],
] as const;

/** Resources collected in one file each (`kubectl get <resource> [-A|-n kube-system] -o json`). */
const SINGLE_FILES = [
  ['cluster/version.json', 'kubectl version -o json'],
  ['cluster/namespaces.json', 'kubectl get namespaces -o json'],
  ['cluster/nodes.json', 'kubectl get nodes -o json'],
  ['cluster/networkpolicies.json', 'kubectl get networkpolicies.networking.k8s.io -A -o json'],
  ['cluster/ingresses.json', 'kubectl get ingresses.networking.k8s.io -A -o json'],
  ['cluster/ingressclasses.json', 'kubectl get ingressclasses.networking.k8s.io -o json'],
  ['cluster/configmaps.json', 'kubectl get configmaps -n kube-system -o json'],
  ['cluster/daemonsets.json', 'kubectl get daemonsets -n kube-system -o json'],
  ['cluster/deployments.json', 'kubectl get deployments -n kube-system -o json'],
  ['cluster/events.json', 'kubectl get events -A -o json'],
] as const;

function* bundleFiles(plan: ClusterPlan): Generator<BundleFile> {
  const ctx = createObjectContext(plan);
  const pods = new PodWriter(ctx);
  yield { path: 'manifest.json', text: manifestText(plan, ctx.rng.int.bind(ctx.rng)) };
  yield { path: 'cluster/version.json', text: versionText() };
  yield { path: 'cluster/namespaces.json', text: kubectlList(plan.namespaces.map((ns) => namespaceObject(ctx, ns))) };

  const podsByNode = new Map<string, PlannedPod[]>();
  for (const p of plan.pods) {
    if (!p.node) continue;
    const list = podsByNode.get(p.node.name);
    if (list) list.push(p);
    else podsByNode.set(p.node.name, [p]);
  }
  yield { path: 'cluster/nodes.json', text: kubectlList(plan.nodes.map((n) => nodeObject(ctx, n, nodeImages(podsByNode.get(n.name) ?? [])))) };

  for (const ns of plan.namespaces) {
    const nsPods = ns.workloads.flatMap((w) => w.pods);
    yield { path: `cluster/pods/${ns.name}.json`, text: kubectlList(nsPods.map((p) => pods.pod(p))) };
    yield { path: `cluster/services/${ns.name}.json`, text: kubectlList(ns.services.map((s) => serviceObject(ctx, s))) };
    yield { path: `cluster/endpoints/${ns.name}.json`, text: kubectlList(ns.services.flatMap((s) => endpointsObject(ctx, s) ?? [])) };
    yield { path: `cluster/endpointslices/${ns.name}.json`, text: kubectlList(ns.services.flatMap((s) => endpointSliceObjects(ctx, s))) };
  }

  const kubeSystem = plan.namespaces.find((ns) => ns.name === 'kube-system')!;
  yield { path: 'cluster/networkpolicies.json', text: kubectlList(networkPolicyObjects(ctx, plan.networkPolicyCount)) };
  yield { path: 'cluster/ingresses.json', text: kubectlList(plan.ingresses.map((i) => ingressObject(ctx, i))) };
  yield { path: 'cluster/ingressclasses.json', text: kubectlList([ingressClassObject(ctx)]) };
  yield { path: 'cluster/configmaps.json', text: kubectlList(configMapObjects(ctx)) };
  yield { path: 'cluster/daemonsets.json', text: kubectlList(kubeSystem.workloads.filter((w) => w.kind === 'DaemonSet').map((w) => daemonSetObject(ctx, pods, w))) };
  yield { path: 'cluster/deployments.json', text: kubectlList(kubeSystem.workloads.filter((w) => w.kind === 'Deployment').map((w) => deploymentObject(ctx, pods, w))) };
  yield { path: 'cluster/events.json', text: kubectlList(eventObjects(ctx)) };
}

/** manifest.json as the collector writes it: every command it ran, with how long it took. */
function manifestText(plan: ClusterPlan, randomInt: (n: number) => number): string {
  const items: Record<string, unknown>[] = [];
  const item = (path: string, command: string, objects: number) => {
    items.push({ path, command, exitCode: 0, durationMs: 60 + Math.round(objects * 0.4) + randomInt(40), stderr: '' });
  };
  const objectsIn: Record<string, number> = {
    'cluster/namespaces.json': plan.namespaces.length,
    'cluster/nodes.json': plan.nodes.length * 10,
    'cluster/networkpolicies.json': plan.networkPolicyCount,
    'cluster/ingresses.json': plan.ingresses.length,
  };
  for (const [path, command] of SINGLE_FILES) item(path, command, objectsIn[path] ?? 10);
  for (const ns of plan.namespaces) {
    const podCount = ns.workloads.reduce((n, w) => n + w.pods.length, 0);
    for (const [folder, resource] of PER_NAMESPACE) {
      item(`cluster/${folder}/${ns.name}.json`, `kubectl get ${resource} -n ${ns.name} -o json`, folder === 'services' ? ns.services.length : podCount);
    }
  }
  const manifest = {
    format: 'netdump/v1',
    createdAt: kubeTime(COLLECTED_AT),
    collector: { name: 'netdump', version: '0.1.0' },
    cluster: {
      context: 'prod-eu-1',
      serverVersion: KUBERNETES_VERSION,
      clusterDomain: 'cluster.local',
      serviceCIDR: SERVICE_CIDR,
      clusterCIDR: CLUSTER_CIDR,
    },
    items,
    redaction: { secrets: 'never collected', anonymized: false },
  };
  return JSON.stringify(manifest, null, 2) + '\n';
}
