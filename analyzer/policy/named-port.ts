/**
 * Named ports as NetworkPolicy and AdminNetworkPolicy resolve them: on the destination pod's
 * containers, by name and protocol (a name bound to 81/TCP does not open 81/UDP).
 */
import type { Pod, Protocol } from '../kube/types.js';

/** True when a container of `pod` declares `name` on `port`/`protocol`. */
export function podHasNamedPort(pod: Pod, name: string, protocol: Protocol, port: number): boolean {
  for (const container of pod.containers) {
    for (const declared of container.ports) {
      if (declared.name === name && declared.protocol === protocol && declared.containerPort === port) return true;
    }
  }
  return false;
}

/** The number a named port stands for on `pod`, if a container declares it for `protocol`. */
export function resolveNamedPort(pod: Pod, name: string, protocol: Protocol): number | undefined {
  for (const container of pod.containers) {
    for (const declared of container.ports) {
      if (declared.name === name && declared.protocol === protocol) return declared.containerPort;
    }
  }
  return undefined;
}
