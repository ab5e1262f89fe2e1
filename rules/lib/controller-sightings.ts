/**
 * Looks for known controllers (load-balancer implementations, ingress controllers) among the
 * collected pods and workloads, by container image. A sighting is a hint, never proof: a
 * controller may run outside the cluster (managed control planes) or under another image.
 */
import type { KubeModel, Pod, Workload } from '../../analyzer/kube/types.js';

export interface ControllerSignature {
  /** What users call it: `MetalLB`, `ingress-nginx`. */
  name: string;
  /** Tested against each container image, lower-cased. */
  image: RegExp;
}

export interface ControllerSighting {
  signature: ControllerSignature;
  pods: Pod[];
  workloads: Workload[];
  /** Pods Running and Ready, not being deleted. */
  running: Pod[];
}

function imageMatches(images: readonly string[], signature: ControllerSignature): boolean {
  return images.some((image) => signature.image.test(image.toLowerCase()));
}

const imageIndexes = new WeakMap<KubeModel, Map<string, Pod[]>>();

/** Pods by lower-cased container image (init containers included), built once per model. */
function podsByImage(kube: KubeModel): Map<string, Pod[]> {
  let index = imageIndexes.get(kube);
  if (index) return index;
  index = new Map();
  for (const pod of kube.pods) {
    for (const container of [...pod.containers, ...pod.initContainers]) {
      const image = container.image.toLowerCase();
      const pods = index.get(image);
      if (!pods) index.set(image, [pod]);
      else if (pods[pods.length - 1] !== pod) pods.push(pod);
    }
  }
  imageIndexes.set(kube, index);
  return index;
}

/** Sightings of each signature, in the order given; signatures never seen are left out. */
export function findControllers(kube: KubeModel, signatures: readonly ControllerSignature[]): ControllerSighting[] {
  const sightings = new Map<ControllerSignature, ControllerSighting>();
  const sightingOf = (signature: ControllerSignature) => {
    let s = sightings.get(signature);
    if (!s) sightings.set(signature, (s = { signature, pods: [], workloads: [], running: [] }));
    return s;
  };
  // Test each distinct image once, not each pod: 100,000 pods share a few hundred images.
  for (const signature of signatures) {
    const matched = new Set<Pod>();
    for (const [image, pods] of podsByImage(kube)) {
      if (signature.image.test(image)) for (const pod of pods) matched.add(pod);
    }
    // Most signatures match no image: then there are no pods to walk in model order.
    if (matched.size === 0) continue;
    for (const pod of kube.pods) {
      if (!matched.has(pod)) continue;
      const s = sightingOf(signature);
      s.pods.push(pod);
      if (pod.phase === 'Running' && pod.ready && !pod.terminating) s.running.push(pod);
    }
  }
  for (const workload of [...kube.deployments, ...kube.daemonSets]) {
    const images = workload.containers.map((c) => c.image);
    for (const signature of signatures) if (imageMatches(images, signature)) sightingOf(signature).workloads.push(workload);
  }
  return signatures.flatMap((s) => (sightings.has(s) ? [sightings.get(s)!] : []));
}

/** True when a sighting shows the controller up: a running pod, or a workload with ready replicas. */
export function isRunning(sighting: ControllerSighting): boolean {
  return sighting.running.length > 0 || sighting.workloads.some((w) => (w.ready ?? 0) > 0 || (w.available ?? 0) > 0);
}

/** `2 of 3 pods ready (metallb-system/controller-5c9, ...)`-style summary of a sighting. */
export function describeSighting(sighting: ControllerSighting): string {
  if (sighting.pods.length > 0) {
    const names = sighting.pods.slice(0, 3).map((p) => `${p.namespace}/${p.name} ${p.phase ?? ''}${p.ready ? ', ready' : ', not ready'}`.trim());
    return `${sighting.signature.name} (${sighting.running.length} of ${sighting.pods.length} pods running and ready: ${names.join('; ')}${sighting.pods.length > 3 ? '; …' : ''})`;
  }
  const w = sighting.workloads[0]!;
  return `${sighting.signature.name} (${w.kind} ${w.namespace}/${w.name}: ${w.ready ?? 0} of ${w.desired ?? '?'} ready)`;
}
