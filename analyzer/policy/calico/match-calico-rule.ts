/**
 * Does one Calico rule match a flow? Every criterion of the rule must hold (docs.tigera.io,
 * EntityRule: "all match criteria must match"). The answer is `match`, `miss` (with the first
 * criterion that failed) or `unknown` when the flow lacks what the rule tests (a source port)
 * or the bundle lacks what it refers to (a Service's endpoints).
 *
 * Selector scope: a selector in a namespaced policy's rule matches resources of the policy's
 * namespace unless the rule has a namespaceSelector; in a GlobalNetworkPolicy it matches
 * resources of every namespace and non-namespaced ones. `notSelector` negates the packet match:
 * it excludes the resources it selects and matches everything else, external addresses included.
 */
import type { Labels, Pod } from '../../kube/types.js';
import { cidrContains, type Cidr } from '../../netfilter/ip-cidr.js';
import type { PolicyFlow } from '../policy-types.js';
import type { CalicoEndpointView, CalicoEntity } from './calico-endpoint.js';
import { serviceAccountLabels } from './calico-endpoint.js';
import type { CalicoEntityRule, CalicoIcmpMatch, CalicoPort, CalicoRule } from './calico-types.js';

export type RuleMatch = { result: 'match' | 'miss' | 'unknown'; reason: string };

export interface CalicoMatchContext {
  flow: PolicyFlow;
  src: CalicoEndpointView;
  dst: CalicoEndpointView;
  namespaceLabels(name: string): Labels;
  serviceBackends?: (namespace: string, name: string) => readonly Pod[] | undefined;
  /** Write miss reasons (default true). */
  explain?: boolean;
}

/** Where the policy holding the rule lives: its namespace, or '' for a global policy. */
export interface RuleScope {
  namespace: string;
}

const PROTOCOL_NUMBERS = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1, ICMPv6: 58 } as const;
/** The flow model has no ICMP type: an ICMP flow is read as ping (echo request). */
export const ASSUMED_ICMP = { ICMP: { type: 8, code: 0 }, ICMPv6: { type: 128, code: 0 } } as const;

const MATCH: RuleMatch = { result: 'match', reason: '' };
const QUIET_MISS: RuleMatch = { result: 'miss', reason: '' };
/** A miss; its reason is only written when the caller explains (matrices do not). */
function miss(ctx: CalicoMatchContext, why: () => string): RuleMatch {
  return ctx.explain === false ? QUIET_MISS : { result: 'miss', reason: why() };
}

export function matchCalicoRule(rule: CalicoRule, scope: RuleScope, ctx: CalicoMatchContext): RuleMatch {
  const flow = ctx.flow;
  const protocol = PROTOCOL_NUMBERS[flow.protocol];
  const family = ctx.dst.address?.family;
  if (rule.ipVersion !== undefined && family !== undefined && family !== rule.ipVersion) {
    return miss(ctx, () => `ipVersion ${rule.ipVersion}, the flow is IPv${family}`);
  }
  const { protocol: ruleProtocol, notProtocol, icmp: ruleIcmp, notICMP } = rule;
  if (ruleProtocol && ruleProtocol.number !== protocol) return miss(ctx, () => `protocol ${ruleProtocol.text}, not ${flow.protocol}`);
  if (notProtocol && notProtocol.number === protocol) return miss(ctx, () => `notProtocol ${notProtocol.text} excludes ${flow.protocol}`);
  const icmp = flow.protocol === 'ICMP' || flow.protocol === 'ICMPv6' ? ASSUMED_ICMP[flow.protocol] : undefined;
  if (ruleIcmp && (!icmp || !icmpMatches(ruleIcmp, icmp))) return miss(ctx, () => `icmp ${formatIcmp(ruleIcmp)} does not match ${icmp ? 'an echo request' : flow.protocol}`);
  if (notICMP && icmp && icmpMatches(notICMP, icmp)) return miss(ctx, () => `notICMP ${formatIcmp(notICMP)} excludes an echo request`);

  const destinationPorts = matchDestinationPorts(rule.destination, ctx);
  if (destinationPorts) return destinationPorts;
  if (rule.source.ports.length > 0 || rule.source.notPorts.length > 0) {
    return { result: 'unknown', reason: 'the rule matches source ports and the flow does not name one' };
  }
  for (const [side, entity, view] of [
    ['source', rule.source, ctx.src],
    ['destination', rule.destination, ctx.dst],
  ] as const) {
    const nets = matchNets(side, entity, view, ctx);
    if (nets) return nets;
  }
  for (const [side, entity, view] of [
    ['source', rule.source, ctx.src],
    ['destination', rule.destination, ctx.dst],
  ] as const) {
    const identity = matchIdentity(side, entity, view, scope, ctx);
    if (identity.result !== 'match') return identity;
  }
  return MATCH;
}

function icmpMatches(match: CalicoIcmpMatch, packet: { type: number; code: number }): boolean {
  return (match.type === undefined || match.type === packet.type) && (match.code === undefined || match.code === packet.code);
}

function formatIcmp(match: CalicoIcmpMatch): string {
  return `{type: ${match.type ?? 'any'}, code: ${match.code ?? 'any'}}`;
}

function formatPorts(ports: readonly CalicoPort[]): string {
  return `[${ports.map((p) => p.text).join(', ')}]`;
}

function matchDestinationPorts(entity: CalicoEntityRule, ctx: CalicoMatchContext): RuleMatch | undefined {
  if (entity.ports.length === 0 && entity.notPorts.length === 0) return undefined;
  const flow = ctx.flow;
  if (flow.port === undefined || flow.protocol === 'ICMP' || flow.protocol === 'ICMPv6') {
    return miss(ctx, () => `destination ports ${formatPorts(entity.ports.length > 0 ? entity.ports : entity.notPorts)} need a TCP, UDP or SCTP flow`);
  }
  const port = flow.port;
  if (entity.ports.length > 0 && !entity.ports.some((p) => portMatches(p, port, ctx))) {
    return miss(ctx, () => `destination port ${port}/${flow.protocol} not in ${formatPorts(entity.ports)}${namedPortHint(entity.ports, ctx)}`);
  }
  const excluded = entity.notPorts.find((p) => portMatches(p, port, ctx));
  if (excluded) return miss(ctx, () => `destination port ${port}/${flow.protocol} excluded by notPorts ${excluded.text}`);
  return undefined;
}

/** A named port matches when the destination declares that name for this port and protocol. */
function portMatches(port: CalicoPort, number: number, ctx: CalicoMatchContext): boolean {
  if (port.kind === 'range') return number >= port.first && number <= port.last;
  return namedPortNumbers(port.name, ctx).includes(number);
}

function namedPortNumbers(name: string, ctx: CalicoMatchContext): number[] {
  const own = ctx.dst.own;
  const protocol = ctx.flow.protocol;
  if (own?.pod) {
    return own.pod.containers.flatMap((c) => c.ports.filter((p) => p.name === name && p.protocol === protocol).map((p) => p.containerPort));
  }
  if (own?.hostEndpoint) {
    return own.hostEndpoint.ports.filter((p) => p.name === name && p.protocol === protocol).map((p) => p.port);
  }
  return [];
}

function namedPortHint(ports: readonly CalicoPort[], ctx: CalicoMatchContext): string {
  const named = ports.filter((p): p is Extract<CalicoPort, { kind: 'named' }> => p.kind === 'named');
  if (named.length === 0) return '';
  const resolved = named.map((p) => {
    const numbers = namedPortNumbers(p.name, ctx);
    return numbers.length > 0 ? `${p.name}=${numbers.join('/')}` : `${p.name} is not a ${ctx.flow.protocol} port of ${ctx.dst.label}`;
  });
  return ` (${resolved.join('; ')})`;
}

function inAny(nets: readonly Cidr[], view: CalicoEndpointView): Cidr | undefined {
  const address = view.address;
  return address ? nets.find((net) => cidrContains(net, address)) : undefined;
}

function matchNets(side: string, entity: CalicoEntityRule, view: CalicoEndpointView, ctx: CalicoMatchContext): RuleMatch | undefined {
  if (entity.nets.length > 0 && !inAny(entity.nets, view)) {
    return miss(ctx, () => `${side} ${view.label} not in nets [${entity.nets.map((n) => n.text).join(', ')}]`);
  }
  const excluded = inAny(entity.notNets, view);
  if (excluded) return miss(ctx, () => `${side} ${view.label} excluded by notNets ${excluded.text}`);
  return undefined;
}

function inScope(entity: CalicoEntity, rule: CalicoEntityRule, scope: RuleScope, ctx: CalicoMatchContext): boolean {
  if (rule.namespaceSelector) {
    return entity.namespace === ''
      ? rule.namespaceSelector.matchesNamespace(null)
      : rule.namespaceSelector.matchesNamespace(ctx.namespaceLabels(entity.namespace));
  }
  return scope.namespace === '' || entity.namespace === scope.namespace;
}

function matchIdentity(side: string, rule: CalicoEntityRule, view: CalicoEndpointView, scope: RuleScope, ctx: CalicoMatchContext): RuleMatch {
  const positive = rule.selector !== undefined || rule.namespaceSelector !== undefined || rule.serviceAccounts !== undefined;
  if (positive) {
    const scoped = view.entities.filter((e) => inScope(e, rule, scope, ctx));
    if (scoped.length === 0) return miss(ctx, () => `${side} ${view.label}: ${scopeMiss(rule, view, scope)}`);
    const selected = scoped.filter((e) => !rule.selector || rule.selector.matches(e.labels, e.namespace === ''));
    if (selected.length === 0) return miss(ctx, () => `${side} ${view.label} does not match selector ${rule.selector!.text}`);
    const serviceAccounts = rule.serviceAccounts;
    if (serviceAccounts && !selected.some((e) => serviceAccountMatches(e, serviceAccounts))) {
      return miss(ctx, () => `${side} ${view.label} does not run as a service account matching ${formatServiceAccounts(serviceAccounts)}`);
    }
  }
  if (rule.notSelector) {
    const notSelector = rule.notSelector;
    const excluded = view.entities.find((e) => inScope(e, rule, scope, ctx) && notSelector.matches(e.labels, e.namespace === ''));
    if (excluded) return miss(ctx, () => `${side} ${view.label} excluded by notSelector ${notSelector.text} (${excluded.ref})`);
  }
  if (rule.services) return matchService(side, rule.services, view, scope, ctx);
  return MATCH;
}

function scopeMiss(rule: CalicoEntityRule, view: CalicoEndpointView, scope: RuleScope): string {
  if (view.entities.length === 0) {
    return view.endpoint.kind === 'external'
      ? 'an address outside the cluster and in no network set cannot match a selector'
      : 'not a Calico endpoint (no host endpoint or network set holds this address)';
  }
  if (rule.namespaceSelector) {
    const namespaces = [...new Set(view.entities.map((e) => e.namespace || '(non-namespaced)'))].join(', ');
    return `namespace ${namespaces} does not match namespaceSelector ${rule.namespaceSelector.text}`;
  }
  return `not in namespace ${scope.namespace} and the rule has no namespaceSelector`;
}

function serviceAccountMatches(entity: CalicoEntity, match: NonNullable<CalicoEntityRule['serviceAccounts']>): boolean {
  if (entity.kind !== 'workload' || !entity.pod) return false;
  const name = entity.pod.serviceAccountName ?? 'default';
  if (match.names.length > 0 && !match.names.includes(name)) return false;
  return !match.selector || match.selector.matches(serviceAccountLabels(name));
}

function formatServiceAccounts(match: NonNullable<CalicoEntityRule['serviceAccounts']>): string {
  const parts: string[] = [];
  if (match.names.length > 0) parts.push(`names [${match.names.join(', ')}]`);
  if (match.selector) parts.push(`selector ${match.selector.text}`);
  return parts.join(' and ');
}

function matchService(side: string, service: { name: string; namespace?: string }, view: CalicoEndpointView, scope: RuleScope, ctx: CalicoMatchContext): RuleMatch {
  // A Service named without namespace is in the policy's own namespace.
  const namespace = service.namespace ?? (scope.namespace || 'default');
  const backends = ctx.serviceBackends?.(namespace, service.name);
  const name = `${namespace}/${service.name}`;
  if (!backends) return { result: 'unknown', reason: `the rule matches Service ${name}, whose endpoints are not known here` };
  const pod = view.endpoint.kind === 'pod' ? view.endpoint.pod : undefined;
  return pod && backends.includes(pod) ? MATCH : miss(ctx, () => `${side} ${view.label} is not an endpoint of Service ${name}`);
}
