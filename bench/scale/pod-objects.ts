/**
 * Pods as `kubectl get pods -o json` prints them: full metadata (uid, resourceVersion,
 * creationTimestamp, labels, ownerReferences to the ReplicaSet / StatefulSet / DaemonSet /
 * Node), the spec with containers, probes, resources, volumes and tolerations, and a status
 * with conditions, containerStatuses, podIPs and hostIP matching the pod's planned state.
 */
import { COLLECTED_AT, type PlannedNamespace, type PlannedPod, type PlannedWorkload } from './cluster-plan.js';
import { kubeTime, sortedRecord, type ObjectContext } from './object-context.js';
import { podTemplateOf, type PodTemplate } from './pod-templates.js';
import { KUBE_NAME_ALPHABET } from './prng.js';

type Json = any;

export class PodWriter {
  private readonly templates = new Map<PlannedWorkload, PodTemplate>();
  private readonly namespaces: Map<string, PlannedNamespace>;

  constructor(private readonly ctx: ObjectContext) {
    this.namespaces = new Map(ctx.plan.namespaces.map((ns) => [ns.name, ns]));
  }

  /** The workload's pod template (built once, shared by its pods). */
  template(w: PlannedWorkload): PodTemplate {
    let t = this.templates.get(w);
    if (!t) {
      t = podTemplateOf(w, this.namespaces.get(w.namespace)!, this.ctx.rng);
      this.templates.set(w, t);
    }
    return t;
  }

  /** `spec.template` of the workload object (DaemonSet, Deployment): no node, no token volume. */
  templateSpec(w: PlannedWorkload): Json {
    const t = this.template(w);
    const spec: Json = {};
    if (t.affinity) spec.affinity = t.affinity;
    spec.containers = t.containers;
    spec.dnsPolicy = t.dnsPolicy;
    if (w.hostNetwork) spec.hostNetwork = true;
    if (t.initContainers) spec.initContainers = t.initContainers;
    if (t.nodeSelector) spec.nodeSelector = t.nodeSelector;
    if (t.priorityClassName) spec.priorityClassName = t.priorityClassName;
    spec.restartPolicy = 'Always';
    spec.schedulerName = 'default-scheduler';
    spec.securityContext = t.securityContext;
    if (t.serviceAccountName) {
      spec.serviceAccount = t.serviceAccountName;
      spec.serviceAccountName = t.serviceAccountName;
    }
    spec.terminationGracePeriodSeconds = t.terminationGracePeriodSeconds;
    spec.tolerations = t.tolerations;
    spec.volumes = t.volumes;
    const metadata: Json = {};
    if (t.annotations) metadata.annotations = t.annotations;
    metadata.creationTimestamp = null;
    metadata.labels = w.kind === 'Deployment' ? w.selector : w.labels;
    return { metadata, spec };
  }

  pod(pod: PlannedPod): Json {
    const w = pod.workload;
    const t = this.template(w);
    const node = pod.node;
    const apiVolume = `kube-api-access-${this.ctx.rng.chars(KUBE_NAME_ALPHABET, 5)}`;
    const apiMount = { mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: apiVolume, readOnly: true };
    const withToken = (c: Json) => (t.serviceAccountToken ? { ...c, volumeMounts: [...c.volumeMounts, apiMount] } : c);

    const metadata: Json = {};
    const annotations = this.podAnnotations(pod, t);
    if (annotations) metadata.annotations = annotations;
    metadata.creationTimestamp = kubeTime(pod.createdAt);
    if (pod.state === 'terminating') {
      metadata.deletionGracePeriodSeconds = t.terminationGracePeriodSeconds;
      metadata.deletionTimestamp = kubeTime(COLLECTED_AT + (t.terminationGracePeriodSeconds - 12) * 1000);
    }
    if (w.kind === 'Deployment') metadata.generateName = `${w.name}-${w.hash}-`;
    else if (w.kind !== 'Node') metadata.generateName = `${w.name}-`;
    metadata.labels = this.podLabels(pod);
    metadata.name = pod.name;
    metadata.namespace = pod.namespace;
    metadata.ownerReferences = [this.podOwner(pod)];
    metadata.resourceVersion = this.ctx.ids.resourceVersion();
    metadata.uid = pod.uid;

    const spec: Json = {};
    const affinity = w.kind === 'DaemonSet' && node ? daemonSetAffinity(node.name) : t.affinity;
    if (affinity) spec.affinity = affinity;
    spec.containers = t.containers.map(withToken);
    spec.dnsPolicy = t.dnsPolicy;
    spec.enableServiceLinks = true;
    if (w.hostNetwork) spec.hostNetwork = true;
    if (w.kind === 'StatefulSet') spec.hostname = pod.name;
    if (t.initContainers) spec.initContainers = t.initContainers.map(withToken);
    if (node) spec.nodeName = node.name;
    if (t.nodeSelector) spec.nodeSelector = t.nodeSelector;
    spec.preemptionPolicy = 'PreemptLowerPriority';
    spec.priority = t.priority;
    if (t.priorityClassName) spec.priorityClassName = t.priorityClassName;
    spec.restartPolicy = 'Always';
    spec.schedulerName = 'default-scheduler';
    spec.securityContext = t.securityContext;
    if (t.serviceAccountName) {
      spec.serviceAccount = t.serviceAccountName;
      spec.serviceAccountName = t.serviceAccountName;
    }
    if (w.kind === 'StatefulSet') spec.subdomain = w.name;
    spec.terminationGracePeriodSeconds = t.terminationGracePeriodSeconds;
    spec.tolerations = t.tolerations;
    const volumes = w.kind === 'StatefulSet' ? [{ name: 'data', persistentVolumeClaim: { claimName: `data-${pod.name}` } }, ...t.volumes] : t.volumes;
    spec.volumes = t.serviceAccountToken ? [...volumes, serviceAccountVolume(apiVolume)] : volumes;

    return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status: this.podStatus(pod, t) };
  }

  private podAnnotations(pod: PlannedPod, t: PodTemplate): Record<string, string> | undefined {
    if (pod.component) {
      const hash = this.ctx.rng.hex(32);
      const node = pod.node!;
      const entries: [string, string][] = [
        ['kubernetes.io/config.hash', hash],
        ['kubernetes.io/config.mirror', hash],
        ['kubernetes.io/config.seen', `${kubeTime(node.createdAt).slice(0, -1)}.${this.ctx.rng.between(100000000, 999999999)}Z`],
        ['kubernetes.io/config.source', 'file'],
      ];
      if (pod.component === 'kube-apiserver') entries.push(['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint', `${node.ip}:6443`]);
      if (pod.component === 'etcd') entries.push(['kubeadm.kubernetes.io/etcd.advertise-client-urls', `https://${node.ip}:2379`]);
      return sortedRecord(entries);
    }
    return t.annotations;
  }

  private podLabels(pod: PlannedPod): Record<string, string> {
    const w = pod.workload;
    if (w.kind !== 'StatefulSet') return w.labels;
    return sortedRecord([
      ...Object.entries(w.labels),
      ['apps.kubernetes.io/pod-index', String(pod.ordinal)],
      ['statefulset.kubernetes.io/pod-name', pod.name],
    ]);
  }

  private podOwner(pod: PlannedPod): Json {
    const w = pod.workload;
    switch (w.kind) {
      case 'Deployment':
        return { apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'ReplicaSet', name: `${w.name}-${w.hash}`, uid: w.ownerUid };
      case 'StatefulSet':
      case 'DaemonSet':
        return { apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: w.kind, name: w.name, uid: w.uid };
      case 'Node':
        return { apiVersion: 'v1', controller: true, kind: 'Node', name: pod.node!.name, uid: pod.node!.uid };
    }
  }

  private podStatus(pod: PlannedPod, t: PodTemplate): Json {
    const scheduledAt = pod.createdAt + 1000;
    const startedAt = pod.createdAt + 4000 + this.ctx.rng.int(20_000);
    if (pod.state === 'pending') {
      const nodes = this.ctx.plan.nodes.length;
      const cp = this.ctx.plan.nodes.filter((n) => n.controlPlane).length;
      return {
        conditions: [
          {
            lastProbeTime: null,
            lastTransitionTime: kubeTime(scheduledAt),
            message: `0/${nodes} nodes are available: ${cp} node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, ${nodes - cp} Insufficient memory. preemption: 0/${nodes} nodes are available: ${cp} Preemption is not helpful for scheduling, ${nodes - cp} No preemption victims found for incoming pod.`,
            reason: 'Unschedulable',
            status: 'False',
            type: 'PodScheduled',
          },
        ],
        phase: 'Pending',
        qosClass: t.qosClass,
      };
    }
    const crash = pod.state === 'crashloop';
    const mainName = t.containers[0].name as string;
    const notReady = { message: `containers with unready status: [${mainName}]`, reason: 'ContainersNotReady' };
    const cond = (type: string, ok: boolean, at: number) =>
      ok ? { lastProbeTime: null, lastTransitionTime: kubeTime(at), status: 'True', type } : { lastProbeTime: null, lastTransitionTime: kubeTime(at), ...notReady, status: 'False', type };
    const readyAt = crash ? COLLECTED_AT - this.ctx.rng.int(3_600_000) : startedAt + 8000;
    const containerStatuses = t.containers
      .map((c: Json, i: number) => this.containerStatus(pod, c, i === 0, crash, startedAt))
      .sort((a: Json, b: Json) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const status: Json = {
      conditions: [
        cond('PodReadyToStartContainers', true, startedAt - 2000),
        cond('Initialized', true, startedAt - 1000),
        cond('Ready', !crash, readyAt),
        cond('ContainersReady', !crash, readyAt),
        cond('PodScheduled', true, scheduledAt),
      ],
      containerStatuses,
      hostIP: pod.node!.ip,
      hostIPs: [{ ip: pod.node!.ip }],
    };
    if (t.initContainers) {
      status.initContainerStatuses = t.initContainers.map((c: Json) => ({
        containerID: `containerd://${this.ctx.rng.hex(64)}`,
        image: c.image,
        imageID: `${c.image.replace(/:[^:/]*$/, '')}@sha256:${this.ctx.rng.hex(64)}`,
        lastState: {},
        name: c.name,
        ready: true,
        restartCount: 0,
        started: false,
        state: { terminated: { containerID: `containerd://${this.ctx.rng.hex(64)}`, exitCode: 0, finishedAt: kubeTime(startedAt - 3000), reason: 'Completed', startedAt: kubeTime(startedAt - 5000) } },
      }));
    }
    status.phase = 'Running';
    status.podIP = pod.ip;
    status.podIPs = [{ ip: pod.ip }];
    status.qosClass = t.qosClass;
    status.startTime = kubeTime(scheduledAt);
    return status;
  }

  private containerStatus(pod: PlannedPod, c: Json, main: boolean, crashing: boolean, startedAt: number): Json {
    // Restarts and the crash loop belong to the main container; sidecars run on.
    const crash = main && crashing;
    const restarts = main ? pod.restarts : 0;
    const image: string = c.image;
    const digest = pod.workload.image === image ? pod.workload.imageDigest : this.ctx.rng.hex(64);
    const imageID = `${image.replace(/@sha256:.*$/, '').replace(/:[^:/]*$/, '')}@sha256:${digest}`;
    const containerID = `containerd://${this.ctx.rng.hex(64)}`;
    if (crash) {
      const finished = COLLECTED_AT - this.ctx.rng.int(240_000);
      return {
        containerID,
        image,
        imageID,
        lastState: {
          terminated: { containerID, exitCode: 1, finishedAt: kubeTime(finished), reason: 'Error', startedAt: kubeTime(finished - 2000 - this.ctx.rng.int(8000)) },
        },
        name: c.name,
        ready: false,
        restartCount: restarts,
        started: false,
        state: {
          waiting: { message: `back-off 5m0s restarting failed container=${c.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`, reason: 'CrashLoopBackOff' },
        },
      };
    }
    // A few healthy pods restarted once or twice (an OOM kill) and have run since.
    const restartedAt = Math.max(startedAt + 60_000, Math.min(startedAt + 86_400_000, COLLECTED_AT - 600_000));
    return {
      containerID,
      image,
      imageID,
      lastState:
        restarts > 0
          ? { terminated: { containerID: `containerd://${this.ctx.rng.hex(64)}`, exitCode: 137, finishedAt: kubeTime(restartedAt), reason: 'OOMKilled', startedAt: kubeTime(startedAt) } }
          : {},
      name: c.name,
      ready: true,
      restartCount: restarts,
      started: true,
      state: { running: { startedAt: kubeTime(restarts > 0 ? restartedAt + 3000 : startedAt) } },
    };
  }
}

function daemonSetAffinity(nodeName: string): Json {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
      },
    },
  };
}

function serviceAccountVolume(name: string): Json {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  };
}
