/**
 * Pods and the workloads that template them (DaemonSets, Deployments), from core/v1 and apps/v1
 * objects. Arrays keep the API's order, so an entity's position is its index in the object
 * (`spec.containers[1]`, `status.conditions[2]`) for evidence paths. Entities are built as
 * whole literals (absent fields as undefined) so that all pods share one shape.
 */
import {
  asArray,
  asBoolean,
  asLabelSelector,
  asNumber,
  asObject,
  asProtocol,
  asString,
  asStringArray,
  objectOrEmpty,
  type JsonObject,
} from './object-fields.js';
import { withMeta } from './object-meta.js';
import type {
  Container,
  ContainerPort,
  ContainerState,
  ContainerStatus,
  EnvVar,
  ObjectMeta,
  Pod,
  PodCondition,
  Workload,
} from './types.js';

export function toPod(meta: ObjectMeta, object: JsonObject): Pod {
  const spec = objectOrEmpty(object.spec);
  const status = objectOrEmpty(object.status);
  const conditions = asArray(status.conditions).map(toCondition);
  const dnsConfig = asObject(spec.dnsConfig);
  // The object is not kept (see Pod): what rules read is lifted below.
  meta.raw = undefined;
  return withMeta(meta, {
    raw: undefined,
    nodeName: asString(spec.nodeName),
    hostNetwork: spec.hostNetwork === true,
    podIPs: podIPsOf(status),
    podIPsListed: Array.isArray(status.podIPs),
    hostIP: asString(status.hostIP),
    phase: asString(status.phase),
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    conditions,
    readinessGates: readinessGatesOf(spec),
    containers: asArray(spec.containers).map((c) => toContainer(c, false)),
    initContainers: asArray(spec.initContainers).map((c) => toContainer(c, true)),
    containerStatuses: asArray(status.containerStatuses).map((s, i) => toContainerStatus(s, i, false)),
    initContainerStatuses: asArray(status.initContainerStatuses).map((s, i) => toContainerStatus(s, i, true)),
    serviceAccountName: asString(spec.serviceAccountName) ?? asString(spec.serviceAccount),
    dnsPolicy: asString(spec.dnsPolicy),
    dnsConfig: dnsConfig ? toDnsConfig(dnsConfig) : undefined,
    terminating: meta.deletionTimestamp !== undefined,
  });
}

/** status.podIPs (one per family on dual-stack clusters), else the older status.podIP. */
function podIPsOf(status: JsonObject): string[] {
  const ips: string[] = [];
  for (const entry of asArray(status.podIPs)) {
    const ip = asString(objectOrEmpty(entry).ip);
    if (ip) ips.push(ip);
  }
  const single = asString(status.podIP);
  if (ips.length === 0 && single) ips.push(single);
  return ips;
}

function readinessGatesOf(spec: JsonObject): string[] {
  const gates: string[] = [];
  for (const gate of asArray(spec.readinessGates)) {
    const type = asObject(gate)?.conditionType;
    if (typeof type === 'string' && type !== '') gates.push(type);
  }
  return gates;
}

function toCondition(value: unknown): PodCondition {
  const condition = objectOrEmpty(value);
  return {
    type: asString(condition.type) ?? '',
    status: asString(condition.status) ?? '',
    reason: asString(condition.reason),
    message: asString(condition.message),
  };
}

function toContainer(value: unknown, init: boolean): Container {
  const container = objectOrEmpty(value);
  const resources = asObject(container.resources);
  return {
    name: asString(container.name) ?? '',
    image: asString(container.image) ?? '',
    command: words(container.command),
    args: words(container.args),
    env: Array.isArray(container.env) ? container.env.map(toEnvVar) : NONE,
    ports: asArray(container.ports).map(toContainerPort),
    init,
    restartPolicy: asString(container.restartPolicy),
    resources: resources
      ? { requests: quantities(resources.requests), limits: quantities(resources.limits) }
      : undefined,
    hasReadinessProbe: asObject(container.readinessProbe) !== undefined,
  };
}

/** Shared by the containers that have no command, args or env (most of 100,000 pods'). */
const NONE: readonly never[] = Object.freeze([]);

/** A command or args list, index for index (a non-string entry as its text). */
function words(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) return NONE;
  return value.map((word) => (typeof word === 'string' ? word : String(word)));
}

function toEnvVar(value: unknown): EnvVar {
  const variable = objectOrEmpty(value);
  return { name: asString(variable.name) ?? '', value: asString(variable.value) };
}

/** Resource quantities as written (`100m`, `128Mi`); JSON numbers (`"cpu": 1`) as their text. */
function quantities(value: unknown): Record<string, string> | undefined {
  const object = asObject(value);
  if (!object) return undefined;
  const out: Record<string, string> = {};
  for (const key in object) {
    const quantity = object[key];
    if (typeof quantity === 'string') out[key] = quantity;
    else if (typeof quantity === 'number') out[key] = String(quantity);
  }
  return out;
}

function toContainerPort(value: unknown): ContainerPort {
  const port = objectOrEmpty(value);
  const hostPort = asNumber(port.hostPort);
  return {
    name: asString(port.name),
    containerPort: asNumber(port.containerPort) ?? 0,
    protocol: asProtocol(port.protocol),
    hostPort: hostPort === 0 ? undefined : hostPort,
  };
}

function toContainerStatus(value: unknown, index: number, init: boolean): ContainerStatus {
  const status = objectOrEmpty(value);
  // kubectl prints `"lastState": {}` for a container that never restarted.
  const lastState = toContainerState(status.lastState);
  return {
    name: asString(status.name) ?? '',
    ready: status.ready === true,
    started: asBoolean(status.started),
    restartCount: asNumber(status.restartCount) ?? 0,
    state: toContainerState(status.state),
    lastState: lastState.kind === 'unknown' ? undefined : lastState,
    image: asString(status.image),
    index,
    init,
  };
}

/** One of `waiting`, `running`, `terminated`; none set (or `{}`) is `unknown`. */
function toContainerState(value: unknown): ContainerState {
  const state = objectOrEmpty(value);
  const waiting = asObject(state.waiting);
  if (waiting) return { kind: 'waiting', reason: asString(waiting.reason), message: asString(waiting.message) };
  const running = asObject(state.running);
  if (running) return { kind: 'running', startedAt: asString(running.startedAt) };
  const terminated = asObject(state.terminated);
  if (terminated) {
    return {
      kind: 'terminated',
      reason: asString(terminated.reason),
      message: asString(terminated.message),
      exitCode: asNumber(terminated.exitCode),
      startedAt: asString(terminated.startedAt),
      finishedAt: asString(terminated.finishedAt),
    };
  }
  return { kind: 'unknown' };
}

function toDnsConfig(config: JsonObject): NonNullable<Pod['dnsConfig']> {
  return {
    nameservers: Array.isArray(config.nameservers) ? asStringArray(config.nameservers) : undefined,
    searches: Array.isArray(config.searches) ? asStringArray(config.searches) : undefined,
    options: Array.isArray(config.options)
      ? config.options.map((entry) => {
          const option = objectOrEmpty(entry);
          return { name: asString(option.name) ?? '', value: asString(option.value) };
        })
      : undefined,
  };
}

/**
 * A DaemonSet or Deployment. Counts come from status; the API omits zero counts, so a present
 * status with a missing count means 0, and an absent status (a manifest) leaves them unknown.
 */
export function toWorkload(meta: ObjectMeta, object: JsonObject): Workload {
  const spec = objectOrEmpty(object.spec);
  const template = objectOrEmpty(objectOrEmpty(spec.template).spec);
  const status = asObject(object.status);
  const daemonSet = meta.kind === 'DaemonSet';
  const count = (field: string) => (status ? (asNumber(status[field]) ?? 0) : undefined);
  return withMeta(meta, {
    selector: asLabelSelector(spec.selector),
    containers: asArray(template.containers).map((c) => toContainer(c, false)),
    // A Deployment's replicas default to 1; a DaemonSet wants one pod per eligible node.
    desired: daemonSet ? count('desiredNumberScheduled') : (asNumber(spec.replicas) ?? 1),
    ready: count(daemonSet ? 'numberReady' : 'readyReplicas'),
    available: count(daemonSet ? 'numberAvailable' : 'availableReplicas'),
  });
}
