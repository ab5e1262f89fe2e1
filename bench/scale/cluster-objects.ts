/**
 * The rest of the scale cluster's API objects, as `kubectl get -o json` prints them:
 * namespaces, nodes (podCIDRs, addresses, conditions, images), kube-system ConfigMaps (the
 * CoreDNS Corefile, kube-proxy's configuration), DaemonSets and Deployments, NetworkPolicies,
 * Ingresses, IngressClasses, Events and `kubectl version -o json`.
 */
import {
  CLUSTER_CIDR,
  COLLECTED_AT,
  KUBERNETES_VERSION,
  type PlannedIngress,
  type PlannedNamespace,
  type PlannedNode,
  type PlannedPod,
  type PlannedWorkload,
} from './cluster-plan.js';
import { kubeTime, sortedRecord, type ObjectContext } from './object-context.js';
import type { PodWriter } from './pod-objects.js';

type Json = any;

export function namespaceObject(ctx: ObjectContext, ns: PlannedNamespace): Json {
  const labels: [string, string][] = [['kubernetes.io/metadata.name', ns.name]];
  if (ns.team) {
    labels.push(['team', ns.team], ['environment', ns.env]);
    if (ns.env === 'prod') labels.push(['pod-security.kubernetes.io/enforce', 'baseline']);
  }
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      creationTimestamp: kubeTime(ns.createdAt),
      labels: sortedRecord(labels),
      name: ns.name,
      resourceVersion: ctx.ids.resourceVersion(),
      uid: ns.uid,
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** `status.images` of a node: the images of the pods it runs, at most 50, largest first. */
export function nodeImages(pods: readonly PlannedPod[]): Json[] {
  const seen = new Map<string, PlannedWorkload>();
  for (const p of pods) if (p.workload.image && !seen.has(p.workload.image)) seen.set(p.workload.image, p.workload);
  const images: Json[] = [];
  for (const [image, w] of seen) {
    const repo = image.replace(/@sha256:.*$/, '').replace(/:[^:/]*$/, '');
    const size = 20_000_000 + (parseInt(w.imageDigest.slice(0, 7), 16) % 400_000_000);
    images.push({ names: [`${repo}@sha256:${w.imageDigest}`, image.replace(/@sha256:.*$/, '')], sizeBytes: size });
  }
  images.sort((a, b) => b.sizeBytes - a.sizeBytes);
  return images.slice(0, 50);
}

export function nodeObject(ctx: ObjectContext, node: PlannedNode, images: Json[]): Json {
  const { rng } = ctx;
  const heartbeat = kubeTime(COLLECTED_AT - rng.int(40_000));
  const since = kubeTime(node.createdAt + 60_000);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    lastHeartbeatTime: type === 'NetworkUnavailable' ? since : heartbeat,
    lastTransitionTime: since,
    message,
    reason,
    status,
    type,
  });
  const instanceType = node.controlPlane ? 'm6i.xlarge' : 'm6i.4xlarge';
  const labels: [string, string][] = [
    ['beta.kubernetes.io/arch', 'amd64'],
    ['beta.kubernetes.io/instance-type', instanceType],
    ['beta.kubernetes.io/os', 'linux'],
    ['failure-domain.beta.kubernetes.io/region', 'eu-west-1'],
    ['failure-domain.beta.kubernetes.io/zone', node.zone],
    ['kubernetes.io/arch', 'amd64'],
    ['kubernetes.io/hostname', node.name],
    ['kubernetes.io/os', 'linux'],
    ['node.kubernetes.io/instance-type', instanceType],
    ['topology.kubernetes.io/region', 'eu-west-1'],
    ['topology.kubernetes.io/zone', node.zone],
  ];
  if (node.controlPlane) labels.push(['node-role.kubernetes.io/control-plane', ''], ['node.kubernetes.io/exclude-from-external-load-balancers', '']);
  else labels.push(['node-role.kubernetes.io/worker', '']);
  const capacity = node.controlPlane
    ? { cpu: '4', 'ephemeral-storage': '101430960Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '16086556Ki', pods: '110' }
    : { cpu: '16', 'ephemeral-storage': '203070420Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '64902052Ki', pods: '250' };
  const allocatable = node.controlPlane
    ? { cpu: '3920m', 'ephemeral-storage': '93478772582', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '15066652Ki', pods: '110' }
    : { cpu: '15890m', 'ephemeral-storage': '187149541753', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '61342628Ki', pods: '250' };
  const spec: Json = { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR], providerID: `aws:///${node.zone}/i-0${rng.hex(16)}` };
  if (node.controlPlane) spec.taints = [{ effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'projectcalico.org/IPv4Address': `${node.ip}/16`,
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      creationTimestamp: kubeTime(node.createdAt),
      labels: sortedRecord(labels),
      name: node.name,
      resourceVersion: ctx.ids.resourceVersion(),
      uid: node.uid,
    },
    spec,
    status: {
      addresses: [
        { address: node.ip, type: 'InternalIP' },
        { address: node.name, type: 'Hostname' },
        { address: `ip-${node.ip.replaceAll('.', '-')}.eu-west-1.compute.internal`, type: 'InternalDNS' },
      ],
      allocatable,
      capacity,
      conditions: [
        condition('NetworkUnavailable', 'False', 'CalicoIsUp', 'Calico is running on this node'),
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      images,
      nodeInfo: {
        architecture: 'amd64',
        bootID: rng.uuid(),
        containerRuntimeVersion: 'containerd://1.7.22',
        kernelVersion: '6.8.0-1015-aws',
        kubeProxyVersion: KUBERNETES_VERSION,
        kubeletVersion: KUBERNETES_VERSION,
        machineID: rng.hex(32),
        operatingSystem: 'linux',
        osImage: 'Ubuntu 22.04.5 LTS',
        systemUUID: `ec2${rng.hex(5)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
      },
    },
  };
}

const COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

const KUBE_PROXY_CONFIG = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: ${CLUSTER_CIDR}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 1s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
metricsBindAddress: ""
mode: iptables
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForAlphaFeatures: null
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""
`;

const KUBE_PROXY_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://k8s-api.internal.example.com:6443
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
`;

const CALICO_CNI_CONFIG = `{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "log_file_path": "/var/log/calico/cni/cni.log",
      "datastore_type": "kubernetes",
      "nodename": "__KUBERNETES_NODE_NAME__",
      "mtu": __CNI_MTU__,
      "ipam": {
          "type": "host-local",
          "subnet": "usePodCidr"
      },
      "policy": {
          "type": "k8s"
      },
      "kubernetes": {
          "kubeconfig": "__KUBECONFIG_FILEPATH__"
      }
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    },
    {
      "type": "bandwidth",
      "capabilities": {"bandwidth": true}
    }
  ]
}`;

/** kube-system ConfigMaps that networking depends on (bundle-format.md: configmaps.json). */
export function configMapObjects(ctx: ObjectContext): Json[] {
  const cm = (name: string, data: Record<string, string>, createdDaysAgo: number, labels?: Record<string, string>) => {
    const metadata: Json = { creationTimestamp: kubeTime(COLLECTED_AT - createdDaysAgo * 86_400_000) };
    if (labels) metadata.labels = labels;
    Object.assign(metadata, { name, namespace: 'kube-system', resourceVersion: ctx.ids.resourceVersion(), uid: ctx.ids.uid() });
    return { apiVersion: 'v1', data, kind: 'ConfigMap', metadata };
  };
  return [
    cm('calico-config', { calico_backend: 'bird', cni_network_config: CALICO_CNI_CONFIG, typha_service_name: 'none', veth_mtu: '0' }, 398),
    cm('coredns', { Corefile: COREFILE }, 400),
    cm('kube-proxy', { 'config.conf': KUBE_PROXY_CONFIG, 'kubeconfig.conf': KUBE_PROXY_KUBECONFIG }, 400, { app: 'kube-proxy' }),
  ];
}

function workloadMetadata(ctx: ObjectContext, w: PlannedWorkload, annotations: Record<string, string>, labels: Record<string, string>): Json {
  return {
    annotations,
    creationTimestamp: kubeTime(w.createdAt),
    generation: 1,
    labels,
    name: w.name,
    namespace: w.namespace,
    resourceVersion: ctx.ids.resourceVersion(),
    uid: w.uid,
  };
}

export function daemonSetObject(ctx: ObjectContext, pods: PodWriter, w: PlannedWorkload): Json {
  const n = w.pods.length;
  const ready = w.pods.filter((p) => p.state === 'running').length;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: workloadMetadata(ctx, w, { 'deprecated.daemonset.template.generation': '1' }, w.selector),
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: w.selector },
      template: pods.templateSpec(w),
      updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' },
    },
    status: {
      currentNumberScheduled: n,
      desiredNumberScheduled: n,
      numberAvailable: ready,
      numberMisscheduled: 0,
      numberReady: ready,
      observedGeneration: 1,
      updatedNumberScheduled: n,
    },
  };
}

export function deploymentObject(ctx: ObjectContext, pods: PodWriter, w: PlannedWorkload): Json {
  const n = w.pods.length;
  const ready = w.pods.filter((p) => p.state === 'running').length;
  const at = kubeTime(w.createdAt + 60_000);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: workloadMetadata(ctx, w, { 'deployment.kubernetes.io/revision': '1' }, w.selector),
    spec: {
      progressDeadlineSeconds: 600,
      replicas: n,
      revisionHistoryLimit: 10,
      selector: { matchLabels: w.selector },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: w.template === 'coredns' ? 1 : '25%' }, type: 'RollingUpdate' },
      template: pods.templateSpec(w),
    },
    status: {
      availableReplicas: ready,
      conditions: [
        { lastTransitionTime: at, lastUpdateTime: at, message: 'Deployment has minimum availability.', reason: 'MinimumReplicasAvailable', status: 'True', type: 'Available' },
        { lastTransitionTime: at, lastUpdateTime: at, message: `ReplicaSet "${w.name}-${w.hash}" has successfully progressed.`, reason: 'NewReplicaSetAvailable', status: 'True', type: 'Progressing' },
      ],
      observedGeneration: 1,
      readyReplicas: ready,
      replicas: n,
      updatedReplicas: n,
    },
  };
}

type Peer = Json;
const nsPeer = (name: string): Peer => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
const tcp = (port: number | string) => ({ port, protocol: 'TCP' });

/**
 * `count` NetworkPolicies spread over the app namespaces, in the shapes teams write: default
 * deny, same-namespace, from ingress-nginx, app-to-app on a port, egress with DNS allowed.
 * The first two are the planted ones (see PlantedProblems).
 */
export function networkPolicyObjects(ctx: ObjectContext, count: number): Json[] {
  const apps = ctx.plan.namespaces.filter((ns) => ns.team !== '');
  const policies: Json[] = [];
  const names = new Map<string, number>();
  const add = (ns: PlannedNamespace, name: string, spec: Json) => {
    const n = (names.get(`${ns.name}/${name}`) ?? 0) + 1;
    names.set(`${ns.name}/${name}`, n);
    policies.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        creationTimestamp: kubeTime(Math.max(ns.createdAt, COLLECTED_AT - ctx.rng.int(90) * 86_400_000)),
        generation: 1,
        name: n === 1 ? name : `${name}-${n}`,
        namespace: ns.name,
        resourceVersion: ctx.ids.resourceVersion(),
        uid: ctx.ids.uid(),
      },
      spec,
    });
  };
  if (count > 0) {
    add(apps[1 % apps.length]!, 'allow-from-frontend', {
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [tcp(8080)] }],
      podSelector: { matchLabels: { app: 'frontend-web' } },
      policyTypes: ['Ingress'],
    });
  }
  if (count > 1) {
    add(apps[2 % apps.length]!, 'allow-from-monitoring', {
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }], ports: [tcp(9102)] }],
      podSelector: {},
      policyTypes: ['Ingress'],
    });
  }
  for (let i = policies.length; i < count; i++) {
    const ns = apps[i % apps.length]!;
    const kind = Math.floor(i / apps.length) % 5;
    const svc = ns.services[ctx.rng.int(ns.services.length)]!;
    const selector = svc.selector ?? {};
    if (kind === 0) {
      add(ns, 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    } else if (kind === 1) {
      add(ns, 'allow-same-namespace', { ingress: [{ from: [{ podSelector: {} }] }], podSelector: {}, policyTypes: ['Ingress'] });
    } else if (kind === 2) {
      add(ns, 'allow-from-ingress-nginx', {
        ingress: [{ from: [{ ...nsPeer('ingress-nginx'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }], ports: [tcp(8080)] }],
        podSelector: {},
        policyTypes: ['Ingress'],
      });
    } else if (kind === 3) {
      const client = ns.services[ctx.rng.int(ns.services.length)]!;
      add(ns, `allow-${client.name}-to-${svc.name}`, {
        ingress: [{ from: [{ podSelector: { matchLabels: client.selector ?? {} } }], ports: [tcp(svc.ports[0]!.endpointPort)] }],
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress'],
      });
    } else {
      add(ns, `${svc.name}-egress`, {
        egress: [
          { ports: [{ port: 53, protocol: 'UDP' }, tcp(53)], to: [{ ...nsPeer('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }] },
          { to: [{ podSelector: {} }] },
          { ports: [tcp(443)], to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32'] } }] },
        ],
        podSelector: { matchLabels: selector },
        policyTypes: ['Egress'],
      });
    }
  }
  return policies;
}

export function ingressObject(ctx: ObjectContext, ing: PlannedIngress): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
      creationTimestamp: kubeTime(ing.createdAt),
      generation: 1,
      name: ing.name,
      namespace: ing.namespace,
      resourceVersion: ctx.ids.resourceVersion(),
      uid: ing.uid,
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host: ing.host, http: { paths: [{ backend: { service: { name: ing.serviceName, port: ing.port } }, path: '/', pathType: 'Prefix' }] } }],
      tls: [{ hosts: [ing.host], secretName: `${ing.name}-tls` }],
    },
    status: { loadBalancer: { ingress: [{ ip: ctx.plan.ingressLbIP }] } },
  };
}

export function ingressClassObject(ctx: ObjectContext): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true', 'meta.helm.sh/release-name': 'ingress-nginx', 'meta.helm.sh/release-namespace': 'ingress-nginx' },
      creationTimestamp: kubeTime(COLLECTED_AT - 300 * 86_400_000),
      generation: 1,
      labels: sortedRecord([
        ['app.kubernetes.io/component', 'controller'],
        ['app.kubernetes.io/instance', 'ingress-nginx'],
        ['app.kubernetes.io/managed-by', 'Helm'],
        ['app.kubernetes.io/name', 'ingress-nginx'],
        ['app.kubernetes.io/part-of', 'ingress-nginx'],
        ['app.kubernetes.io/version', '1.11.2'],
        ['helm.sh/chart', 'ingress-nginx-4.11.2'],
      ]),
      name: 'nginx',
      resourceVersion: ctx.ids.resourceVersion(),
      uid: ctx.ids.uid(),
    },
    spec: { controller: 'k8s.io/ingress-nginx' },
  };
}

/** Events the kubelet and scheduler would have left about the planted pod trouble. */
export function eventObjects(ctx: ObjectContext): Json[] {
  const events: Json[] = [];
  for (const pod of ctx.plan.pods) {
    if (pod.state === 'running') continue;
    const container = pod.workload.template === 'database' ? 'postgresql' : pod.workload.name;
    const last = COLLECTED_AT - ctx.rng.int(120_000);
    const [type, reason, message, count, component, fieldPath] =
      pod.state === 'crashloop'
        ? ['Warning', 'BackOff', 'Back-off restarting failed container ' + container + ' in pod ' + `${pod.name}_${pod.namespace}(${pod.uid})`, pod.restarts * 4, 'kubelet', `spec.containers{${container}}`]
        : pod.state === 'pending'
          ? ['Warning', 'FailedScheduling', `0/${ctx.plan.nodes.length} nodes are available: ${ctx.plan.nodes.length} Insufficient memory.`, 1 + ctx.rng.int(30), 'default-scheduler', undefined]
          : ['Normal', 'Killing', `Stopping container ${container}`, 1, 'kubelet', `spec.containers{${container}}`];
    const involvedObject: Json = { apiVersion: 'v1' };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    Object.assign(involvedObject, { kind: 'Pod', name: pod.name, namespace: pod.namespace, resourceVersion: String(49_000_000 + ctx.rng.int(1_000_000)), uid: pod.uid });
    const source: Json = { component };
    if (component === 'kubelet' && pod.node) source.host = pod.node.name;
    events.push({
      apiVersion: 'v1',
      count,
      eventTime: null,
      firstTimestamp: kubeTime(pod.createdAt + 30_000),
      involvedObject,
      kind: 'Event',
      lastTimestamp: kubeTime(last),
      message,
      metadata: {
        creationTimestamp: kubeTime(pod.createdAt + 30_000),
        name: `${pod.name}.${ctx.rng.hex(16)}`,
        namespace: pod.namespace,
        resourceVersion: ctx.ids.resourceVersion(),
        uid: ctx.ids.uid(),
      },
      reason,
      reportingComponent: component === 'kubelet' ? 'kubelet' : 'default-scheduler',
      reportingInstance: component === 'kubelet' && pod.node ? pod.node.name : '',
      source,
      type,
    });
  }
  return events;
}

/** `kubectl version -o json` (2-space indent, as kubectl prints it). */
export function versionText(): string {
  const info = (gitVersion: string, gitCommit: string, buildDate: string) => ({
    major: '1',
    minor: gitVersion.split('.')[1],
    gitVersion,
    gitCommit,
    gitTreeState: 'clean',
    buildDate,
    goVersion: 'go1.22.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  });
  return (
    JSON.stringify(
      {
        clientVersion: info('v1.31.1', '948afe5ca072329a73c8e79ed5938717a5cb3d21', '2024-09-11T21:28:00Z'),
        kustomizeVersion: 'v5.4.2',
        serverVersion: info(KUBERNETES_VERSION, '39683505b630ff2121012f3c5b16215a1449d5ed', '2024-06-11T20:21:00Z'),
      },
      null,
      2,
    ) + '\n'
  );
}
