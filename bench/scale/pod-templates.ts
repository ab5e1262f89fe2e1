/**
 * The pod templates of the scale cluster: containers, volumes and scheduling fields as the
 * real workloads carry them (app Deployments with probes and a log sidecar, Postgres
 * StatefulSets, kube-proxy, calico-node with its init containers, CoreDNS, control-plane
 * static pods, ingress-nginx). Built once per workload and shared by its pods; only the
 * per-pod service-account volume is added later (kube-objects.ts).
 *
 * Every object literal lists its keys in sorted order, because `kubectl get -o json` prints
 * maps with sorted keys; the generator's test checks it.
 */
import { containerPortsOf, type PlannedNamespace, type PlannedWorkload } from './cluster-plan.js';
import type { Prng } from './prng.js';

type Json = any;

export interface PodTemplate {
  annotations?: Record<string, string>;
  /** Containers without the kube-api-access mount. */
  containers: Json[];
  initContainers?: Json[];
  /** Volumes without the kube-api-access volume. */
  volumes: Json[];
  /** Whether pods get the projected service-account volume (static pods do not). */
  serviceAccountToken: boolean;
  serviceAccountName?: string;
  dnsPolicy: string;
  priority: number;
  priorityClassName?: string;
  nodeSelector?: Record<string, string>;
  securityContext: Json;
  terminationGracePeriodSeconds: number;
  tolerations: Json[];
  /** Pod-level affinity shared by all pods (DaemonSet pods get a per-node one instead). */
  affinity?: Json;
  qosClass: 'Guaranteed' | 'Burstable' | 'BestEffort';
}

const TERMINATION = { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' } as const;
const DEFAULT_TOLERATIONS = [
  { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
  { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
];
const fieldRef = (fieldPath: string) => ({ fieldRef: { apiVersion: 'v1', fieldPath } });
const hostPath = (name: string, path: string, type?: string) => ({ hostPath: type ? { path, type } : { path, type: '' }, name });

export function podTemplateOf(w: PlannedWorkload, ns: PlannedNamespace, rng: Prng): PodTemplate {
  switch (w.template) {
    case 'app':
      return appTemplate(w, ns, rng);
    case 'database':
      return databaseTemplate(w);
    case 'kube-proxy':
      return kubeProxyTemplate(w);
    case 'calico-node':
      return calicoNodeTemplate(w);
    case 'coredns':
      return corednsTemplate(w);
    case 'static':
      return staticTemplate(w);
    case 'ingress-nginx':
      return ingressNginxTemplate(w);
    case 'calico-kube-controllers':
    case 'metrics-server':
      return addonTemplate(w);
  }
}

function appTemplate(w: PlannedWorkload, ns: PlannedNamespace, rng: Prng): PodTemplate {
  const ports = containerPortsOf(w.portProfile!);
  const probePort = rng.chance(0.5) ? 'http' : 8080;
  // Teams differ: some set env, mount config, harden the container; many do none of it.
  const env: Json[] = [
    { name: 'APP_ENV', value: ns.env },
    { name: 'LOG_LEVEL', value: rng.pick(['info', 'info', 'warn', 'debug']) },
    { name: 'POD_IP', valueFrom: fieldRef('status.podIP') },
    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { key: 'url', name: `${w.name}-db` } } },
  ].slice(0, rng.int(5));
  const hardened = rng.chance(0.35);
  const withConfig = rng.chance(0.5);
  const cpu = rng.pick(['50m', '100m', '200m', '250m', '500m']);
  const memory = rng.pick(['128Mi', '256Mi', '512Mi', '1Gi']);
  const mounts: Json[] = [];
  const volumes: Json[] = [];
  if (withConfig) {
    mounts.push({ mountPath: `/etc/${w.name}`, name: 'config', readOnly: true });
    volumes.push({ configMap: { defaultMode: 420, name: `${w.name}-config` }, name: 'config' });
  }
  if (hardened) {
    mounts.push({ mountPath: '/tmp', name: 'tmp' });
    volumes.push({ emptyDir: {}, name: 'tmp' });
  }
  if (w.sidecar) {
    mounts.push({ mountPath: '/var/log/app', name: 'logs' });
    volumes.push({ emptyDir: { sizeLimit: '1Gi' }, name: 'logs' });
  }
  const main: Json = {};
  if (env.length > 0) main.env = env;
  Object.assign(main, {
    image: w.image,
    imagePullPolicy: 'IfNotPresent',
    livenessProbe: {
      failureThreshold: 3,
      httpGet: { path: '/healthz', port: probePort, scheme: 'HTTP' },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      successThreshold: 1,
      timeoutSeconds: 1,
    },
    name: w.name,
    ports: ports.map((p) => ({ containerPort: p.containerPort, name: p.name, protocol: 'TCP' })),
    readinessProbe: {
      failureThreshold: 3,
      httpGet: { path: '/ready', port: probePort, scheme: 'HTTP' },
      periodSeconds: 5,
      successThreshold: 1,
      timeoutSeconds: 1,
    },
    resources: { limits: { memory }, requests: { cpu, memory } },
  });
  if (hardened) {
    main.securityContext = {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
    };
  }
  Object.assign(main, TERMINATION, { volumeMounts: mounts });
  const containers: Json[] = [main];
  if (w.sidecar) {
    containers.push({
      args: ['--config=/fluent-bit/etc/fluent-bit.yaml'],
      image: 'cr.fluentbit.io/fluent/fluent-bit:3.1.4',
      imagePullPolicy: 'IfNotPresent',
      name: 'log-shipper',
      resources: { limits: { memory: '128Mi' }, requests: { cpu: '20m', memory: '64Mi' } },
      ...TERMINATION,
      volumeMounts: [{ mountPath: '/var/log/app', name: 'logs', readOnly: true }],
    });
  }
  const template: PodTemplate = {
    containers,
    volumes,
    serviceAccountToken: true,
    serviceAccountName: rng.chance(0.6) ? w.name : 'default',
    dnsPolicy: 'ClusterFirst',
    priority: 0,
    securityContext: hardened ? { fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } } : {},
    terminationGracePeriodSeconds: 30,
    tolerations: DEFAULT_TOLERATIONS,
    qosClass: 'Burstable',
  };
  if (w.portProfile !== 'web' && rng.chance(0.6)) template.annotations = { 'prometheus.io/port': '9102', 'prometheus.io/scrape': 'true' };
  if (rng.chance(0.3)) template.nodeSelector = { 'kubernetes.io/os': 'linux' };
  if (w.antiAffinity) {
    template.affinity = {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { podAffinityTerm: { labelSelector: { matchLabels: w.selector }, topologyKey: 'kubernetes.io/hostname' }, weight: 100 },
        ],
      },
    };
  }
  return template;
}

function databaseTemplate(w: PlannedWorkload): PodTemplate {
  const probe = (command: string[], period: number) => ({
    exec: { command },
    failureThreshold: 6,
    initialDelaySeconds: 30,
    periodSeconds: period,
    successThreshold: 1,
    timeoutSeconds: 5,
  });
  return {
    containers: [
      {
        env: [
          { name: 'POSTGRES_USER', valueFrom: { secretKeyRef: { key: 'username', name: `${w.name}-credentials` } } },
          { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { key: 'password', name: `${w.name}-credentials` } } },
          { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        ],
        image: w.image,
        imagePullPolicy: 'IfNotPresent',
        livenessProbe: probe(['/bin/sh', '-c', 'exec pg_isready -U "postgres" -h 127.0.0.1 -p 5432'], 10),
        name: 'postgresql',
        ports: [{ containerPort: 5432, name: 'tcp-postgres', protocol: 'TCP' }],
        readinessProbe: probe(['/bin/sh', '-c', '-e', 'exec pg_isready -U "postgres" -h 127.0.0.1 -p 5432'], 5),
        resources: { limits: { cpu: '2', memory: '4Gi' }, requests: { cpu: '2', memory: '4Gi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 1001 },
        ...TERMINATION,
        volumeMounts: [
          { mountPath: '/dev/shm', name: 'dshm' },
          { mountPath: '/var/lib/postgresql/data', name: 'data' },
        ],
      },
    ],
    volumes: [{ emptyDir: { medium: 'Memory' }, name: 'dshm' }],
    serviceAccountToken: true,
    serviceAccountName: 'default',
    dnsPolicy: 'ClusterFirst',
    priority: 0,
    securityContext: { fsGroup: 1001 },
    terminationGracePeriodSeconds: 30,
    tolerations: DEFAULT_TOLERATIONS,
    qosClass: 'Guaranteed',
  };
}

function kubeProxyTemplate(w: PlannedWorkload): PodTemplate {
  return {
    containers: [
      {
        command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
        env: [{ name: 'NODE_NAME', valueFrom: fieldRef('spec.nodeName') }],
        image: w.image,
        imagePullPolicy: 'IfNotPresent',
        name: 'kube-proxy',
        resources: {},
        securityContext: { privileged: true },
        ...TERMINATION,
        volumeMounts: [
          { mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' },
          { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
          { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
        ],
      },
    ],
    volumes: [
      { configMap: { defaultMode: 420, name: 'kube-proxy' }, name: 'kube-proxy' },
      hostPath('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      hostPath('lib-modules', '/lib/modules'),
    ],
    serviceAccountToken: true,
    serviceAccountName: 'kube-proxy',
    dnsPolicy: 'ClusterFirst',
    priority: 2000001000,
    priorityClassName: 'system-node-critical',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    tolerations: daemonSetTolerations(),
    qosClass: 'BestEffort',
  };
}

function daemonSetTolerations(): Json[] {
  return [
    { operator: 'Exists' },
    { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
    { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists' },
    { effect: 'NoSchedule', key: 'node.kubernetes.io/disk-pressure', operator: 'Exists' },
    { effect: 'NoSchedule', key: 'node.kubernetes.io/memory-pressure', operator: 'Exists' },
    { effect: 'NoSchedule', key: 'node.kubernetes.io/pid-pressure', operator: 'Exists' },
    { effect: 'NoSchedule', key: 'node.kubernetes.io/unschedulable', operator: 'Exists' },
    { effect: 'NoSchedule', key: 'node.kubernetes.io/network-unavailable', operator: 'Exists' },
  ];
}

function calicoNodeTemplate(w: PlannedWorkload): PodTemplate {
  const configMapKey = (key: string) => ({ configMapKeyRef: { key, name: 'calico-config' } });
  const cniMounts = [
    { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
    { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
  ];
  const init = (name: string, image: string, command: string[], env: Json[], volumeMounts: Json[], privileged: boolean) => ({
    command,
    ...(env.length > 0 ? { env } : {}),
    image,
    imagePullPolicy: 'IfNotPresent',
    name,
    resources: {},
    securityContext: { privileged },
    ...TERMINATION,
    volumeMounts,
  });
  return {
    initContainers: [
      init('upgrade-ipam', 'docker.io/calico/cni:v3.28.1', ['/opt/cni/bin/calico-ipam', '-upgrade'], [
        { name: 'KUBERNETES_NODE_NAME', valueFrom: fieldRef('spec.nodeName') },
        { name: 'CALICO_NETWORKING_BACKEND', valueFrom: configMapKey('calico_backend') },
      ], [{ mountPath: '/var/lib/cni/networks', name: 'host-local-net-dir' }, { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' }], true),
      init('install-cni', 'docker.io/calico/cni:v3.28.1', ['/opt/cni/bin/install'], [
        { name: 'CNI_CONF_NAME', value: '10-calico.conflist' },
        { name: 'CNI_NETWORK_CONFIG', valueFrom: configMapKey('cni_network_config') },
        { name: 'KUBERNETES_NODE_NAME', valueFrom: fieldRef('spec.nodeName') },
        { name: 'CNI_MTU', valueFrom: configMapKey('veth_mtu') },
        { name: 'SLEEP', value: 'false' },
      ], cniMounts, true),
      init('mount-bpffs', 'docker.io/calico/node:v3.28.1', ['calico-node', '-init', '-best-effort'], [], [
        { mountPath: '/sys/fs', mountPropagation: 'Bidirectional', name: 'sys-fs' },
        { mountPath: '/var/run/calico', mountPropagation: 'Bidirectional', name: 'var-run-calico' },
        { mountPath: '/nodeproc', name: 'nodeproc', readOnly: true },
      ], true),
    ],
    containers: [
      {
        env: [
          { name: 'DATASTORE_TYPE', value: 'kubernetes' },
          { name: 'WAIT_FOR_DATASTORE', value: 'true' },
          { name: 'NODENAME', valueFrom: fieldRef('spec.nodeName') },
          { name: 'CALICO_NETWORKING_BACKEND', valueFrom: configMapKey('calico_backend') },
          { name: 'CLUSTER_TYPE', value: 'k8s,bgp' },
          { name: 'IP', value: 'autodetect' },
          { name: 'CALICO_IPV4POOL_IPIP', value: 'Never' },
          { name: 'CALICO_IPV4POOL_VXLAN', value: 'Never' },
          { name: 'CALICO_IPV6POOL_VXLAN', value: 'Never' },
          { name: 'FELIX_IPINIPMTU', valueFrom: configMapKey('veth_mtu') },
          { name: 'FELIX_VXLANMTU', valueFrom: configMapKey('veth_mtu') },
          { name: 'FELIX_WIREGUARDMTU', valueFrom: configMapKey('veth_mtu') },
          { name: 'CALICO_IPV4POOL_CIDR', value: '10.128.0.0/14' },
          { name: 'CALICO_DISABLE_FILE_LOGGING', value: 'true' },
          { name: 'FELIX_DEFAULTENDPOINTTOHOSTACTION', value: 'ACCEPT' },
          { name: 'FELIX_IPV6SUPPORT', value: 'false' },
          { name: 'FELIX_HEALTHENABLED', value: 'true' },
        ],
        envFrom: [{ configMapRef: { name: 'kubernetes-services-endpoint', optional: true } }],
        image: w.image,
        imagePullPolicy: 'IfNotPresent',
        lifecycle: { preStop: { exec: { command: ['/bin/calico-node', '-shutdown'] } } },
        livenessProbe: {
          exec: { command: ['/bin/calico-node', '-felix-live', '-bird-live'] },
          failureThreshold: 6,
          initialDelaySeconds: 10,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 10,
        },
        name: 'calico-node',
        readinessProbe: {
          exec: { command: ['/bin/calico-node', '-felix-ready', '-bird-ready'] },
          failureThreshold: 3,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 10,
        },
        resources: { requests: { cpu: '250m' } },
        securityContext: { privileged: true },
        ...TERMINATION,
        volumeMounts: [
          { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
          { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
          { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
          { mountPath: '/var/run/calico', name: 'var-run-calico' },
          { mountPath: '/var/lib/calico', name: 'var-lib-calico' },
          { mountPath: '/var/run/nodeagent', name: 'policysync' },
          { mountPath: '/sys/fs/bpf', name: 'bpffs' },
          { mountPath: '/var/log/calico/cni', name: 'cni-log-dir', readOnly: true },
        ],
      },
    ],
    volumes: [
      hostPath('lib-modules', '/lib/modules'),
      hostPath('var-run-calico', '/var/run/calico', 'DirectoryOrCreate'),
      hostPath('var-lib-calico', '/var/lib/calico', 'DirectoryOrCreate'),
      hostPath('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      hostPath('sys-fs', '/sys/fs/', 'DirectoryOrCreate'),
      hostPath('bpffs', '/sys/fs/bpf', 'Directory'),
      hostPath('nodeproc', '/proc'),
      hostPath('cni-bin-dir', '/opt/cni/bin', 'DirectoryOrCreate'),
      hostPath('cni-net-dir', '/etc/cni/net.d'),
      hostPath('cni-log-dir', '/var/log/calico/cni'),
      hostPath('host-local-net-dir', '/var/lib/cni/networks'),
      hostPath('policysync', '/var/run/nodeagent', 'DirectoryOrCreate'),
    ],
    serviceAccountToken: true,
    serviceAccountName: 'calico-node',
    dnsPolicy: 'ClusterFirst',
    priority: 2000001000,
    priorityClassName: 'system-node-critical',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    securityContext: {},
    terminationGracePeriodSeconds: 0,
    tolerations: daemonSetTolerations(),
    qosClass: 'Burstable',
  };
}

function corednsTemplate(w: PlannedWorkload): PodTemplate {
  return {
    containers: [
      {
        args: ['-conf', '/etc/coredns/Corefile'],
        image: w.image,
        imagePullPolicy: 'IfNotPresent',
        livenessProbe: {
          failureThreshold: 5,
          httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
          initialDelaySeconds: 60,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 5,
        },
        name: 'coredns',
        ports: [
          { containerPort: 53, name: 'dns', protocol: 'UDP' },
          { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
          { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
        ],
        readinessProbe: {
          failureThreshold: 3,
          httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' },
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 1,
        },
        resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          readOnlyRootFilesystem: true,
        },
        ...TERMINATION,
        volumeMounts: [{ mountPath: '/etc/coredns', name: 'config-volume', readOnly: true }],
      },
    ],
    volumes: [{ configMap: { defaultMode: 420, items: [{ key: 'Corefile', path: 'Corefile' }], name: 'coredns' }, name: 'config-volume' }],
    serviceAccountToken: true,
    serviceAccountName: 'coredns',
    dnsPolicy: 'Default',
    priority: 2000000000,
    priorityClassName: 'system-cluster-critical',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    tolerations: [
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
      ...DEFAULT_TOLERATIONS,
    ],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            podAffinityTerm: {
              labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] },
              topologyKey: 'kubernetes.io/hostname',
            },
            weight: 100,
          },
        ],
      },
    },
    qosClass: 'Burstable',
  };
}

const STATIC_COMMANDS: Record<string, string[]> = {
  etcd: ['etcd', '--advertise-client-urls=https://$(NODE_IP):2379', '--cert-file=/etc/kubernetes/pki/etcd/server.crt', '--client-cert-auth=true', '--data-dir=/var/lib/etcd', '--listen-client-urls=https://127.0.0.1:2379,https://$(NODE_IP):2379', '--snapshot-count=10000'],
  'kube-apiserver': [
    'kube-apiserver',
    '--advertise-address=$(NODE_IP)',
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--etcd-servers=https://127.0.0.1:2379',
    '--secure-port=6443',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/12',
  ],
  'kube-controller-manager': [
    'kube-controller-manager',
    '--allocate-node-cidrs=true',
    '--cluster-cidr=10.128.0.0/14',
    '--node-cidr-mask-size=24',
    '--leader-elect=true',
    '--service-cluster-ip-range=10.96.0.0/12',
    '--use-service-account-credentials=true',
  ],
  'kube-scheduler': ['kube-scheduler', '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf', '--bind-address=127.0.0.1', '--kubeconfig=/etc/kubernetes/scheduler.conf', '--leader-elect=true'],
};

function staticTemplate(w: PlannedWorkload): PodTemplate {
  const component = w.name;
  return {
    containers: [
      {
        command: STATIC_COMMANDS[component]!,
        image: w.image,
        imagePullPolicy: 'IfNotPresent',
        livenessProbe: {
          failureThreshold: 8,
          httpGet: { host: '127.0.0.1', path: component === 'etcd' ? '/livez' : '/healthz', port: { etcd: 2381, 'kube-apiserver': 6443, 'kube-controller-manager': 10257, 'kube-scheduler': 10259 }[component], scheme: component === 'etcd' ? 'HTTP' : 'HTTPS' },
          initialDelaySeconds: 10,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 15,
        },
        name: component,
        resources: { requests: { cpu: component === 'kube-apiserver' ? '250m' : '100m' } },
        ...TERMINATION,
        volumeMounts: [
          { mountPath: '/etc/kubernetes/pki', name: 'k8s-certs', readOnly: true },
          { mountPath: '/etc/ssl/certs', name: 'ca-certs', readOnly: true },
        ],
      },
    ],
    volumes: [hostPath('ca-certs', '/etc/ssl/certs', 'DirectoryOrCreate'), hostPath('k8s-certs', '/etc/kubernetes/pki', 'DirectoryOrCreate')],
    serviceAccountToken: false,
    dnsPolicy: 'ClusterFirst',
    priority: 2000001000,
    priorityClassName: 'system-node-critical',
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    terminationGracePeriodSeconds: 30,
    tolerations: [{ effect: 'NoExecute', operator: 'Exists' }],
    qosClass: 'Burstable',
  };
}

function ingressNginxTemplate(w: PlannedWorkload): PodTemplate {
  return {
    containers: [
      {
        args: [
          '/nginx-ingress-controller',
          '--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller',
          '--election-id=ingress-nginx-leader',
          '--controller-class=k8s.io/ingress-nginx',
          '--ingress-class=nginx',
          '--configmap=$(POD_NAMESPACE)/ingress-nginx-controller',
          '--validating-webhook=:8443',
          '--validating-webhook-certificate=/usr/local/certificates/cert',
          '--validating-webhook-key=/usr/local/certificates/key',
        ],
        env: [
          { name: 'POD_NAME', valueFrom: fieldRef('metadata.name') },
          { name: 'POD_NAMESPACE', valueFrom: fieldRef('metadata.namespace') },
          { name: 'LD_PRELOAD', value: '/usr/local/lib/libmimalloc.so' },
        ],
        image: w.image,
        imagePullPolicy: 'IfNotPresent',
        lifecycle: { preStop: { exec: { command: ['/wait-shutdown'] } } },
        livenessProbe: {
          failureThreshold: 5,
          httpGet: { path: '/healthz', port: 10254, scheme: 'HTTP' },
          initialDelaySeconds: 10,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 1,
        },
        name: 'controller',
        ports: [
          { containerPort: 80, name: 'http', protocol: 'TCP' },
          { containerPort: 443, name: 'https', protocol: 'TCP' },
          { containerPort: 8443, name: 'webhook', protocol: 'TCP' },
        ],
        readinessProbe: {
          failureThreshold: 3,
          httpGet: { path: '/healthz', port: 10254, scheme: 'HTTP' },
          initialDelaySeconds: 10,
          periodSeconds: 10,
          successThreshold: 1,
          timeoutSeconds: 1,
        },
        resources: { requests: { cpu: '100m', memory: '90Mi' } },
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          readOnlyRootFilesystem: false,
          runAsNonRoot: true,
          runAsUser: 101,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        ...TERMINATION,
        volumeMounts: [{ mountPath: '/usr/local/certificates/', name: 'webhook-cert', readOnly: true }],
      },
    ],
    volumes: [{ name: 'webhook-cert', secret: { defaultMode: 420, secretName: 'ingress-nginx-admission' } }],
    serviceAccountToken: true,
    serviceAccountName: 'ingress-nginx',
    dnsPolicy: 'ClusterFirst',
    priority: 0,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    securityContext: {},
    terminationGracePeriodSeconds: 300,
    tolerations: DEFAULT_TOLERATIONS,
    qosClass: 'Burstable',
  };
}

function addonTemplate(w: PlannedWorkload): PodTemplate {
  const metrics = w.template === 'metrics-server';
  return {
    containers: [
      {
        ...(metrics ? { args: ['--cert-dir=/tmp', '--secure-port=10250', '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', '--kubelet-use-node-status-port', '--metric-resolution=15s'] } : {}),
        ...(metrics ? {} : { env: [{ name: 'ENABLED_CONTROLLERS', value: 'node' }, { name: 'DATASTORE_TYPE', value: 'kubernetes' }] }),
        image: w.image,
        imagePullPolicy: 'IfNotPresent',
        livenessProbe: metrics
          ? { failureThreshold: 3, httpGet: { path: '/livez', port: 'https', scheme: 'HTTPS' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 }
          : { exec: { command: ['/usr/bin/check-status', '-l'] }, failureThreshold: 6, initialDelaySeconds: 10, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 10 },
        name: metrics ? 'metrics-server' : 'calico-kube-controllers',
        ...(metrics ? { ports: [{ containerPort: 10250, name: 'https', protocol: 'TCP' }] } : {}),
        readinessProbe: metrics
          ? { failureThreshold: 3, httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' }, initialDelaySeconds: 20, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 }
          : { exec: { command: ['/usr/bin/check-status', '-r'] }, failureThreshold: 3, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
        resources: metrics ? { requests: { cpu: '100m', memory: '200Mi' } } : {},
        ...TERMINATION,
        volumeMounts: metrics ? [{ mountPath: '/tmp', name: 'tmp-dir' }] : [],
      },
    ],
    volumes: metrics ? [{ emptyDir: {}, name: 'tmp-dir' }] : [],
    serviceAccountToken: true,
    serviceAccountName: w.template,
    dnsPolicy: 'ClusterFirst',
    priority: 2000000000,
    priorityClassName: 'system-cluster-critical',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' }, { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }],
    qosClass: metrics ? 'Burstable' : 'BestEffort',
  };
}
