/**
 * Why a pod is not Ready, in the words `kubectl describe pod` would use: not scheduled, an
 * init container that has not completed, or the containers that are not ready (state,
 * reason, restarts, last termination), each with the status line that shows it.
 */
import type { Evidence } from '../../analyzer/bundle/source-file.js';
import type { ContainerState, ContainerStatus, Pod } from '../../analyzer/kube/types.js';
import { firstLine, plural } from './list-text.js';

export interface ContainerProblem {
  container: string;
  init: boolean;
  state: string;
  reason?: string;
  restarts: number;
  lastTermination?: { reason?: string; exitCode?: number; finishedAt?: string };
  /** One line: `container cart: waiting (CrashLoopBackOff), 12 restarts, last terminated: Error, exit code 1`. */
  text: string;
}

export interface NotReadyExplanation {
  /** Short cause for a title: `CrashLoopBackOff`, `Unschedulable`, `readiness probe failing`. */
  headline: string;
  /** Sentences, most telling first. */
  details: string[];
  containers: ContainerProblem[];
  evidence: Evidence[];
}

/** Index of a condition in the pod's status.conditions (the model keeps their order). */
function conditionIndex(pod: Pod, type: string): number {
  return pod.conditions.findIndex((c) => c.type === type);
}

function conditionEvidence(pod: Pod, type: string, field: 'status' | 'reason' | 'message', note: string): Evidence | undefined {
  const index = conditionIndex(pod, type);
  if (index < 0) return undefined;
  return pod.source.at(`status.conditions[${index}].${field}`, note);
}

function describeState(state: ContainerState): string {
  switch (state.kind) {
    case 'waiting':
      return state.reason ? `waiting (${state.reason})` : 'waiting';
    case 'terminated': {
      const parts = [state.reason, state.exitCode !== undefined ? `exit code ${state.exitCode}` : undefined].filter(Boolean);
      return parts.length > 0 ? `terminated (${parts.join(', ')})` : 'terminated';
    }
    case 'running':
      return 'running';
    default:
      return 'in an unknown state';
  }
}

/** Reasons whose message says more than the reason (the image, the missing Secret...). */
const INFORMATIVE_MESSAGES = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

function describeContainer(pod: Pod, status: ContainerStatus): { problem: ContainerProblem; evidence: Evidence[] } {
  const kind = status.init ? 'init container' : 'container';
  const list = status.init ? 'initContainerStatuses' : 'containerStatuses';
  const base = `status.${list}[${status.index}]`;
  const parts = [describeState(status.state)];
  const container = (status.init ? pod.initContainers : pod.containers).find((c) => c.name === status.name);
  if (status.state.kind === 'running' && !status.ready) {
    parts[0] = container?.hasReadinessProbe ? 'running but not ready (readiness probe failing)' : 'running but not ready';
  }
  if (status.state.reason && INFORMATIVE_MESSAGES.has(status.state.reason) && status.state.message) {
    parts[0] += `: ${firstLine(status.state.message, 160)}`;
  }
  if (status.restartCount > 0) parts.push(plural(status.restartCount, 'restart'));
  const last = status.lastState?.kind === 'terminated' ? status.lastState : undefined;
  if (last) {
    const bits = [last.reason, last.exitCode !== undefined ? `exit code ${last.exitCode}` : undefined].filter(Boolean);
    if (bits.length > 0) parts.push(`last terminated: ${bits.join(', ')}`);
  }
  const problem: ContainerProblem = {
    container: status.name,
    init: status.init,
    state: status.state.kind,
    restarts: status.restartCount,
    text: `${kind} ${status.name}: ${parts.join(', ')}`,
  };
  if (status.state.reason) problem.reason = status.state.reason;
  if (last) {
    problem.lastTermination = {};
    if (last.reason !== undefined) problem.lastTermination.reason = last.reason;
    if (last.exitCode !== undefined) problem.lastTermination.exitCode = last.exitCode;
    if (last.finishedAt !== undefined) problem.lastTermination.finishedAt = last.finishedAt;
  }

  const evidence: Evidence[] = [];
  const note = `${kind} ${status.name}: ${parts[0]}`;
  if (status.state.kind === 'running') evidence.push(pod.source.at(`${base}.ready`, note));
  else if (status.state.kind === 'waiting' || status.state.kind === 'terminated') {
    evidence.push(pod.source.at(`${base}.state.${status.state.kind}${status.state.reason ? '.reason' : ''}`, note));
  } else evidence.push(pod.source.at(`${base}.state`, note));
  if (last && status.restartCount > 0) {
    evidence.push(pod.source.at(`${base}.lastState.terminated${last.reason ? '.reason' : ''}`, `last termination of ${status.name}`));
  }
  return { problem, evidence };
}

/** Sidecars are init containers with restartPolicy Always: they keep running. */
function isSidecar(pod: Pod, name: string): boolean {
  return pod.initContainers.some((c) => c.name === name && c.restartPolicy === 'Always');
}

function initContainerDone(pod: Pod, status: ContainerStatus): boolean {
  if (isSidecar(pod, status.name)) return status.state.kind === 'running' && (status.started ?? true);
  return status.state.kind === 'terminated' && status.state.exitCode === 0;
}

export function explainNotReady(pod: Pod): NotReadyExplanation {
  const details: string[] = [];
  const evidence: Evidence[] = [];
  const containers: ContainerProblem[] = [];
  let headline = '';

  const scheduled = pod.conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled && scheduled.status !== 'True') {
    const reason = scheduled.reason ?? 'not scheduled';
    headline = reason;
    details.push(`Pending: not scheduled (${reason}${scheduled.message ? `: ${firstLine(scheduled.message, 240)}` : ''})`);
    const ev = conditionEvidence(pod, 'PodScheduled', scheduled.message ? 'message' : 'status', `PodScheduled=${scheduled.status} (${reason})`);
    if (ev) evidence.push(ev);
    return { headline, details, containers, evidence };
  }

  // Init containers run one after the other: the first one not done blocks the pod.
  const blockingInit = pod.initContainerStatuses.find((s) => !initContainerDone(pod, s));
  if (blockingInit) {
    const { problem, evidence: ev } = describeContainer(pod, blockingInit);
    containers.push(problem);
    evidence.push(...ev);
    details.push(problem.text);
    headline = `init container ${blockingInit.name} ${blockingInit.state.reason ?? blockingInit.state.kind}`;
  } else {
    for (const status of pod.containerStatuses) {
      if (status.ready) continue;
      const { problem, evidence: ev } = describeContainer(pod, status);
      containers.push(problem);
      evidence.push(...ev);
      details.push(problem.text);
    }
    const withStatus = new Set(pod.containerStatuses.map((s) => s.name));
    const noStatus = pod.containers.filter((c) => !withStatus.has(c.name)).map((c) => c.name);
    if (noStatus.length > 0) details.push(`no status yet for container${noStatus.length === 1 ? '' : 's'} ${noStatus.join(', ')}`);
    const first = containers[0];
    if (first) {
      headline = first.reason ?? (first.state === 'running' ? 'readiness probe failing' : first.state);
      headline = `container ${first.container} ${headline}`;
    }
  }

  const ready = pod.conditions.find((c) => c.type === 'Ready');
  if (containers.length === 0) {
    const failingGates = pod.readinessGates.filter((g) => pod.conditions.find((c) => c.type === g)?.status !== 'True');
    if (failingGates.length > 0) {
      headline = `readiness gate ${failingGates[0]} not True`;
      details.push(`all containers are ready, but readiness gate${failingGates.length === 1 ? '' : 's'} ${failingGates.join(', ')} ${failingGates.length === 1 ? 'is' : 'are'} not True`);
    } else if (ready) {
      headline = ready.reason ?? `Ready=${ready.status}`;
      details.push(`Ready condition is ${ready.status}${ready.reason ? ` (${ready.reason}${ready.message ? `: ${firstLine(ready.message)}` : ''})` : ''}`);
    } else {
      headline = pod.phase ? `phase ${pod.phase}` : 'no Ready condition';
      details.push(`the pod has no Ready condition${pod.phase ? ` (phase ${pod.phase})` : ''}`);
    }
  }
  if (ready) {
    const ev = conditionEvidence(pod, 'Ready', 'status', `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`);
    if (ev) evidence.push(ev);
  } else if (evidence.length === 0) {
    evidence.push(pod.source.at('status', 'no Ready condition'));
  }
  return { headline, details, containers, evidence };
}
