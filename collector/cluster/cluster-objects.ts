/**
 * What cluster mode asks the API server for, as a table: every kubectl call with the bundle
 * path of its output. `--dry-run`, the orchestrator and the tests all read it; nothing is
 * asked that is not here. Secrets are never in it: no call names them, and no call lists
 * "all" kinds of a namespace (`kubectl get all` would not fetch Secrets either, but a table
 * of named resources makes that plain).
 *
 * Order of asking:
 *   1. discovery: `kubectl version`, `kubectl api-resources` (which CNI CRDs and APIs exist),
 *      namespaces (which CNI and ingress namespaces exist, for the namespaced lists);
 *   2. objects: every resource of the bundle format, the CNI CRDs that exist, ConfigMaps of
 *      kube-system and CNI namespaces, `kubectl top pods`;
 *   3. components (needs the pods): logs of CoreDNS, kube-proxy, CNI agents and ingress
 *      controllers, CoreDNS metrics through the API server's pod proxy.
 *
 * `-n/--namespace` focuses workloads: pods and events are then listed only for the focused
 * namespaces plus the infrastructure ones (kube-system, CNI, ingress), as
 * `cluster/<resource>/<namespace>.json`. Networking objects (Services, Endpoints,
 * EndpointSlices, NetworkPolicies, Ingresses, DaemonSets, Deployments, nodes, CRDs) stay
 * cluster-wide: kube-proxy programs every Service on every node, and a policy in one
 * namespace can select peers in any other.
 *
 * Calico: with the Calico API server installed (`<resource>.projectcalico.org` in
 * api-resources) its projectcalico.org/v3 objects are stored as they come, as calicoctl would
 * print them. Otherwise the CRDs (`<resource>.crd.projectcalico.org`, group
 * crd.projectcalico.org/v1) are read and mapped to v3: the List becomes `<Kind>List` of
 * projectcalico.org/v3, each item's apiVersion projectcalico.org/v3, and a default-tier
 * policy's stored name `default.<name>` becomes `<name>` (the v3 name). Spec fields are the
 * same in both groups and are kept as they are.
 */

export type CollectStage = 'discovery' | 'objects' | 'components';

export interface PlannedCommand {
  /** kubectl arguments, without the global flags (--context, --kubeconfig). */
  args: string[];
  /** Bundle path of the output. */
  path: string;
  stage: CollectStage;
  /** Stored output is a conversion of kubectl's, not kubectl's verbatim: the Calico resource (plural) mapped to v3. */
  calicoV3?: string;
  /** Why it is not run (it stays in the manifest as "not run"). */
  skip?: string;
}

/** Lines of `kubectl logs --tail` kept per container. */
export const DEFAULT_LOG_TAIL_LINES = 2000;
/** Pods per DaemonSet-like component whose logs are taken (CoreDNS pods are all taken). */
export const MAX_LOG_PODS_PER_COMPONENT = 10;

/** Namespaces where CNI plugins run their agents and keep their configuration. */
export const CNI_NAMESPACES = ['kube-system', 'calico-system', 'calico-apiserver', 'tigera-operator', 'kube-flannel', 'cilium', 'cilium-system', 'weave'];
/** Namespaces of common ingress controllers. */
export const INGRESS_NAMESPACES = ['ingress-nginx', 'nginx-ingress', 'traefik', 'haproxy-controller', 'projectcontour', 'kong', 'istio-system', 'metallb-system'];

interface ListSpec {
  /** As kubectl names it (`endpointslices.discovery.k8s.io`). */
  resource: string;
  /** `cluster/<file>.json` (or `cluster/<file>/<ns>.json`). */
  file: string;
  /** cluster: not namespaced; all: always `-A`; workload: `-A`, or per namespace when focused. */
  scope: 'cluster' | 'all' | 'workload';
}

/** The Kubernetes resources of the bundle format, in the order they are asked for. */
export const RESOURCE_LISTS: readonly ListSpec[] = [
  { resource: 'nodes', file: 'nodes', scope: 'cluster' },
  { resource: 'pods', file: 'pods', scope: 'workload' },
  { resource: 'services', file: 'services', scope: 'all' },
  { resource: 'endpoints', file: 'endpoints', scope: 'all' },
  { resource: 'endpointslices.discovery.k8s.io', file: 'endpointslices', scope: 'all' },
  { resource: 'networkpolicies.networking.k8s.io', file: 'networkpolicies', scope: 'all' },
  { resource: 'ingresses.networking.k8s.io', file: 'ingresses', scope: 'all' },
  { resource: 'ingressclasses.networking.k8s.io', file: 'ingressclasses', scope: 'cluster' },
  { resource: 'daemonsets.apps', file: 'daemonsets', scope: 'all' },
  { resource: 'deployments.apps', file: 'deployments', scope: 'all' },
  { resource: 'events', file: 'events', scope: 'workload' },
];

/** Optional APIs, listed only when api-resources shows them: `<plural>.<group>` → file. */
const OPTIONAL_LISTS: readonly { resource: string; path: string; namespaced: boolean }[] = [
  { resource: 'adminnetworkpolicies.policy.networking.k8s.io', path: 'cluster/adminnetworkpolicies.json', namespaced: false },
  { resource: 'baselineadminnetworkpolicies.policy.networking.k8s.io', path: 'cluster/baselineadminnetworkpolicies.json', namespaced: false },
];

/** Calico resources the analyzer reads (cluster/calico/<plural>.json): their kind and whether they are namespaced. */
export const CALICO_RESOURCES: Readonly<Record<string, { kind: string; namespaced: boolean }>> = {
  ippools: { kind: 'IPPool', namespaced: false },
  networkpolicies: { kind: 'NetworkPolicy', namespaced: true },
  globalnetworkpolicies: { kind: 'GlobalNetworkPolicy', namespaced: false },
  stagednetworkpolicies: { kind: 'StagedNetworkPolicy', namespaced: true },
  stagedglobalnetworkpolicies: { kind: 'StagedGlobalNetworkPolicy', namespaced: false },
  stagedkubernetesnetworkpolicies: { kind: 'StagedKubernetesNetworkPolicy', namespaced: true },
  tiers: { kind: 'Tier', namespaced: false },
  networksets: { kind: 'NetworkSet', namespaced: true },
  globalnetworksets: { kind: 'GlobalNetworkSet', namespaced: false },
  hostendpoints: { kind: 'HostEndpoint', namespaced: false },
  bgppeers: { kind: 'BGPPeer', namespaced: false },
  bgpconfigurations: { kind: 'BGPConfiguration', namespaced: false },
  felixconfigurations: { kind: 'FelixConfiguration', namespaced: false },
  profiles: { kind: 'Profile', namespaced: false },
};

export const CILIUM_RESOURCES: Readonly<Record<string, boolean>> = {
  ciliumnetworkpolicies: true,
  ciliumclusterwidenetworkpolicies: false,
  ciliumendpoints: true,
  ciliumnodes: false,
};

export const VERSION_PATH = 'cluster/version.json';
export const API_RESOURCES_PATH = 'cluster/api-resources.txt';
export const NAMESPACES_PATH = 'cluster/namespaces.json';
export const TOP_PODS_PATH = 'cluster/top-pods.txt';

export function discoveryCommands(): PlannedCommand[] {
  return [
    { args: ['version', '-o', 'json'], path: VERSION_PATH, stage: 'discovery' },
    { args: ['api-resources', '-o', 'name'], path: API_RESOURCES_PATH, stage: 'discovery' },
    { args: ['get', 'namespaces', '-o', 'json'], path: NAMESPACES_PATH, stage: 'discovery' },
  ];
}

export interface ObjectPlanInput {
  /** `kubectl api-resources -o name` lines; undefined when it failed (CRDs are then not asked for). */
  apiResources: ReadonlySet<string> | undefined;
  /** Names of the namespaces; undefined when their list failed. */
  namespaces: readonly string[] | undefined;
  /** `-n/--namespace`; empty means all. */
  focus: readonly string[];
}

/** The namespaces whose pods and events are listed when focused: the focus plus infrastructure. */
export function workloadNamespaces(focus: readonly string[], namespaces: readonly string[] | undefined): string[] {
  const present = namespaces ? new Set(namespaces) : undefined;
  const infrastructure = [...CNI_NAMESPACES, ...INGRESS_NAMESPACES].filter((ns) => (present ? present.has(ns) : ns === 'kube-system'));
  return [...new Set([...focus, ...infrastructure])];
}

/** ConfigMaps are read only in kube-system and the CNI namespaces that exist. */
export function configMapNamespaces(namespaces: readonly string[] | undefined): string[] {
  const present = namespaces ? new Set(namespaces) : undefined;
  return CNI_NAMESPACES.filter((ns) => (present ? present.has(ns) : ns === 'kube-system'));
}

export function objectCommands(input: ObjectPlanInput): PlannedCommand[] {
  const commands: PlannedCommand[] = [];
  const stage = 'objects' as const;
  for (const spec of RESOURCE_LISTS) {
    if (spec.scope === 'cluster') commands.push({ args: ['get', spec.resource, '-o', 'json'], path: `cluster/${spec.file}.json`, stage });
    else if (spec.scope === 'all' || input.focus.length === 0) commands.push({ args: ['get', spec.resource, '-A', '-o', 'json'], path: `cluster/${spec.file}.json`, stage });
    else {
      for (const ns of workloadNamespaces(input.focus, input.namespaces)) {
        commands.push({ args: ['get', spec.resource, '-n', ns, '-o', 'json'], path: `cluster/${spec.file}/${ns}.json`, stage });
      }
    }
  }
  for (const ns of configMapNamespaces(input.namespaces)) {
    commands.push({ args: ['get', 'configmaps', '-n', ns, '-o', 'json'], path: `cluster/configmaps/${ns}.json`, stage });
  }
  const api = input.apiResources;
  if (api) {
    for (const optional of OPTIONAL_LISTS) {
      if (api.has(optional.resource)) commands.push({ args: ['get', optional.resource, ...(optional.namespaced ? ['-A'] : []), '-o', 'json'], path: optional.path, stage });
    }
    for (const [plural, { namespaced }] of Object.entries(CALICO_RESOURCES)) {
      const all = namespaced ? ['-A'] : [];
      const path = `cluster/calico/${plural}.json`;
      if (api.has(`${plural}.projectcalico.org`)) commands.push({ args: ['get', `${plural}.projectcalico.org`, ...all, '-o', 'json'], path, stage });
      else if (api.has(`${plural}.crd.projectcalico.org`)) {
        commands.push({ args: ['get', `${plural}.crd.projectcalico.org`, ...all, '-o', 'json'], path, stage, calicoV3: plural });
      }
    }
    for (const [plural, namespaced] of Object.entries(CILIUM_RESOURCES)) {
      if (api.has(`${plural}.cilium.io`)) {
        commands.push({ args: ['get', `${plural}.cilium.io`, ...(namespaced ? ['-A'] : []), '-o', 'json'], path: `cluster/cilium/${plural}.json`, stage });
      }
    }
  }
  const top: PlannedCommand = { args: ['top', 'pods', '-A'], path: TOP_PODS_PATH, stage };
  if (api && !api.has('pods.metrics.k8s.io')) top.skip = 'the Metrics API (metrics-server) is not installed';
  commands.push(top);
  return commands;
}

/**
 * The same list per namespace, for a `-A` list whose output was too large for one file
 * (`cluster/<file>/<namespace>.json`, which the analyzer reads as one resource).
 */
export function perNamespaceCommands(planned: PlannedCommand, namespaces: readonly string[]): PlannedCommand[] {
  const at = planned.args.indexOf('-A');
  const match = /^cluster\/([a-z]+)\.json$/.exec(planned.path);
  if (at < 0 || !match) return [];
  return namespaces.map((ns) => ({
    ...planned,
    args: [...planned.args.slice(0, at), '-n', ns, ...planned.args.slice(at + 1)],
    path: `cluster/${match[1]}/${ns}.json`,
  }));
}

/** The resource names of `kubectl api-resources -o name` (`pods`, `ippools.crd.projectcalico.org`). */
export function parseApiResourceNames(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^[a-z0-9.-]+$/.test(line)),
  );
}

type KubeObject = Record<string, any>;

/** A networking component whose pods' logs are taken. */
interface Component {
  name: string;
  matches(pod: KubeObject, labels: Record<string, string>): boolean;
  /** Every pod, not a sample (CoreDNS: few pods, and each one's logs matter). */
  allPods?: boolean;
  /** Scrape `:<port>/metrics` through the API server's pod proxy. */
  metricsPort?: number;
}

const name = (pod: KubeObject): string => String(pod?.metadata?.name ?? '');
const namespaceOf = (pod: KubeObject): string => String(pod?.metadata?.namespace ?? '');

export const COMPONENTS: readonly Component[] = [
  { name: 'CoreDNS', matches: (p, l) => l['k8s-app'] === 'kube-dns' || (namespaceOf(p) === 'kube-system' && /^(coredns|kube-dns)-/.test(name(p))), allPods: true, metricsPort: 9153 },
  { name: 'NodeLocal DNSCache', matches: (_p, l) => l['k8s-app'] === 'node-local-dns' },
  { name: 'kube-proxy', matches: (p, l) => l['k8s-app'] === 'kube-proxy' || (namespaceOf(p) === 'kube-system' && /^kube-proxy-/.test(name(p))) },
  { name: 'calico-node', matches: (_p, l) => l['k8s-app'] === 'calico-node' },
  { name: 'calico-kube-controllers', matches: (_p, l) => l['k8s-app'] === 'calico-kube-controllers' },
  { name: 'cilium', matches: (_p, l) => l['k8s-app'] === 'cilium' || l['app.kubernetes.io/name'] === 'cilium-agent' },
  { name: 'cilium-operator', matches: (_p, l) => l['io.cilium/app'] === 'operator' || l['app.kubernetes.io/name'] === 'cilium-operator' },
  { name: 'flannel', matches: (_p, l) => l.app === 'flannel' || l['k8s-app'] === 'flannel' },
  { name: 'canal', matches: (_p, l) => l['k8s-app'] === 'canal' },
  { name: 'weave-net', matches: (_p, l) => l.name === 'weave-net' },
  {
    name: 'ingress controller',
    matches: (_p, l) =>
      (l['app.kubernetes.io/name'] === 'ingress-nginx' && l['app.kubernetes.io/component'] === 'controller') ||
      ['traefik', 'haproxy-ingress', 'contour', 'kong'].includes(l['app.kubernetes.io/name'] ?? '') ||
      l.app === 'nginx-ingress',
  },
];

const SAFE_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

export interface ComponentPlan {
  commands: PlannedCommand[];
  /** What was left out (pods beyond the per-component cap), for the manifest's problems. */
  notes: string[];
}

/** Logs and metrics of the networking components among `pods`. */
export function componentCommands(pods: readonly KubeObject[], logTailLines = DEFAULT_LOG_TAIL_LINES): ComponentPlan {
  const commands: PlannedCommand[] = [];
  const notes: string[] = [];
  const stage = 'components' as const;
  const taken = new Set<KubeObject>();
  for (const component of COMPONENTS) {
    const matching = pods.filter((pod) => {
      if (taken.has(pod)) return false;
      const phase = pod?.status?.phase;
      if (phase !== 'Running' && phase !== 'Failed') return false;
      if (!SAFE_NAME.test(name(pod)) || !SAFE_NAME.test(namespaceOf(pod))) return false;
      return component.matches(pod, pod?.metadata?.labels ?? {});
    });
    if (matching.length === 0) continue;
    // Pods in trouble first: their logs say why.
    const ranked = [...matching].sort((a, b) => trouble(b) - trouble(a) || (name(a) < name(b) ? -1 : 1));
    const chosen = component.allPods ? ranked : ranked.slice(0, MAX_LOG_PODS_PER_COMPONENT);
    if (chosen.length < ranked.length) {
      notes.push(`logs of ${chosen.length} of ${ranked.length} ${component.name} pods taken (those with restarts or not ready first)`);
    }
    for (const pod of chosen) {
      taken.add(pod);
      const ns = namespaceOf(pod);
      const podName = name(pod);
      for (const container of pod?.spec?.containers ?? []) {
        const containerName = String(container?.name ?? '');
        if (!SAFE_NAME.test(containerName)) continue;
        commands.push({
          args: ['logs', '-n', ns, podName, '-c', containerName, `--tail=${logTailLines}`],
          path: `logs/${ns}/${podName}/${containerName}.log`,
          stage,
        });
        // A restarted container's own last words (why it crashed) are in its previous log.
        if (restartCount(pod, containerName) > 0) {
          commands.push({
            args: ['logs', '-n', ns, podName, '-c', containerName, '--previous', `--tail=${logTailLines}`],
            path: `logs/${ns}/${podName}/${containerName}${PREVIOUS_LOG_SUFFIX}`,
            stage,
          });
        }
      }
      if (component.metricsPort && pod?.status?.phase === 'Running') {
        commands.push({
          args: ['get', '--raw', `/api/v1/namespaces/${ns}/pods/${podName}:${component.metricsPort}/proxy/metrics`],
          path: `metrics/${ns}/${podName}.prom`,
          stage,
        });
      }
    }
  }
  return { commands, notes };
}

/** `logs/<ns>/<pod>/<container>.previous.log`: `kubectl logs --previous`, the container's run before its last restart. */
export const PREVIOUS_LOG_SUFFIX = '.previous.log';

function restartCount(pod: KubeObject, container: string): number {
  const statuses: any[] = pod?.status?.containerStatuses ?? [];
  return Number(statuses.find((s) => s?.name === container)?.restartCount) || 0;
}

function trouble(pod: KubeObject): number {
  const statuses: any[] = pod?.status?.containerStatuses ?? [];
  const restarts = statuses.reduce((sum, s) => sum + (Number(s?.restartCount) || 0), 0);
  const notReady = statuses.some((s) => s?.ready === false) ? 1000 : 0;
  return notReady + restarts;
}

/**
 * crd.projectcalico.org/v1 List output → the projectcalico.org/v3 List calicoctl prints (see
 * the header). Returns undefined when the text is not a kubectl List.
 */
export function calicoCrdListToV3(text: string, plural: string): string | undefined {
  let list: any;
  try {
    list = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!list || !Array.isArray(list.items)) return undefined;
  const items = list.items.map((item: any) => {
    const converted = { ...item, apiVersion: 'projectcalico.org/v3' };
    const tier = item?.spec?.tier ?? 'default';
    const stored = String(item?.metadata?.name ?? '');
    if (TIERED_KINDS.has(item?.kind) && tier === 'default' && stored.startsWith('default.')) {
      converted.metadata = { ...item.metadata, name: stored.slice('default.'.length) };
    }
    return converted;
  });
  const itemKind = CALICO_RESOURCES[plural]?.kind ?? list.items[0]?.kind;
  const kind = typeof itemKind === 'string' ? `${itemKind}List` : 'List';
  return `${JSON.stringify({ kind, apiVersion: 'projectcalico.org/v3', metadata: list.metadata ?? {}, items }, null, 4)}\n`;
}

const TIERED_KINDS = new Set(['NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy']);

/** Every kubectl call cluster mode may make, for --dry-run: conditional and per-pod ones as patterns. */
export function plannedForDryRun(focus: readonly string[]): { command: PlannedCommand; condition?: string }[] {
  const rows: { command: PlannedCommand; condition?: string }[] = discoveryCommands().map((command) => ({ command }));
  const focusDescription = focus.length > 0 ? focus : [];
  for (const command of objectCommands({ apiResources: undefined, namespaces: undefined, focus: focusDescription })) {
    if (command.path.startsWith('cluster/configmaps/')) rows.push({ command, condition: 'and the same for each CNI namespace that exists (calico-system, kube-flannel, cilium, ...)' });
    else if (command.path === TOP_PODS_PATH) rows.push({ command, condition: 'only when the Metrics API (metrics-server) is installed' });
    else if (focus.length > 0 && /^cluster\/(pods|events)\//.test(command.path)) rows.push({ command, condition: 'the focused namespaces, kube-system, and the CNI and ingress namespaces that exist' });
    else rows.push({ command });
  }
  for (const [plural, { namespaced }] of Object.entries(CALICO_RESOURCES)) {
    rows.push({
      command: { args: ['get', `${plural}.crd.projectcalico.org`, ...(namespaced ? ['-A'] : []), '-o', 'json'], path: `cluster/calico/${plural}.json`, stage: 'objects', calicoV3: plural },
      condition: `only when Calico is installed; from the Calico API server (${plural}.projectcalico.org) when it runs; stored as projectcalico.org/v3`,
    });
  }
  for (const [plural, namespaced] of Object.entries(CILIUM_RESOURCES)) {
    rows.push({
      command: { args: ['get', `${plural}.cilium.io`, ...(namespaced ? ['-A'] : []), '-o', 'json'], path: `cluster/cilium/${plural}.json`, stage: 'objects' },
      condition: 'only when Cilium is installed',
    });
  }
  for (const optional of OPTIONAL_LISTS) {
    rows.push({ command: { args: ['get', optional.resource, '-o', 'json'], path: optional.path, stage: 'objects' }, condition: 'only when the API exists' });
  }
  rows.push(
    {
      command: { args: ['logs', '-n', '<namespace>', '<pod>', '-c', '<container>', `--tail=${DEFAULT_LOG_TAIL_LINES}`], path: 'logs/<namespace>/<pod>/<container>.log', stage: 'components' },
      condition: `each container of CoreDNS pods, and of up to ${MAX_LOG_PODS_PER_COMPONENT} pods each of kube-proxy, CNI agents (calico-node, cilium, flannel, weave-net, ...) and ingress controllers`,
    },
    {
      command: { args: ['logs', '-n', '<namespace>', '<pod>', '-c', '<container>', '--previous', `--tail=${DEFAULT_LOG_TAIL_LINES}`], path: `logs/<namespace>/<pod>/<container>${PREVIOUS_LOG_SUFFIX}`, stage: 'components' },
      condition: 'each of those containers that restarted (restartCount above 0): the log of its previous run',
    },
    {
      command: { args: ['get', '--raw', '/api/v1/namespaces/kube-system/pods/<pod>:9153/proxy/metrics'], path: 'metrics/kube-system/<pod>.prom', stage: 'components' },
      condition: 'each running CoreDNS pod (through the API server\'s pod proxy)',
    },
  );
  return rows;
}
