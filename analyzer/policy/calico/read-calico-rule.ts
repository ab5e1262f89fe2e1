/**
 * One Calico rule (`spec.ingress[i]` / `spec.egress[i]` of a NetworkPolicy, GlobalNetworkPolicy
 * or Profile) read from its JSON form into a CalicoRule. Problems are collected as messages
 * with the field path; the caller turns them into positioned issues.
 *
 * Input sample (calicoctl get globalnetworkpolicy -o json):
 *   {
 *     "action": "Allow",
 *     "protocol": "TCP",
 *     "source": { "selector": "role == 'frontend'", "namespaceSelector": "team == 'web'" },
 *     "destination": { "ports": [6379, "8000:8080", "metrics"] }
 *   }
 */
import { asArray, asObject, asString, objectOrEmpty, type JsonObject } from '../../kube/object-fields.js';
import { parseCidr, type Cidr } from '../../netfilter/ip-cidr.js';
import { protocolNumber } from '../../netfilter/ip-protocols.js';
import type { CalicoAction, CalicoEntityRule, CalicoIcmpMatch, CalicoPort, CalicoProtocol, CalicoRule } from './calico-types.js';
import { parseCalicoSelector, type LabelMatcher } from './parse-calico-selector.js';

/** A field that could not be read, by path, with why. */
export interface FieldProblem {
  path: string;
  message: string;
}

const ACTIONS: Record<string, CalicoAction> = { allow: 'Allow', deny: 'Deny', log: 'Log', pass: 'Pass' };

/** Reads a rule; undefined (with problems) when the rule cannot be enforced as written. */
export function readCalicoRule(raw: unknown, index: number, path: string, problems: FieldProblem[]): CalicoRule | undefined {
  const object = asObject(raw);
  if (!object) {
    problems.push({ path, message: 'the rule is not an object' });
    return undefined;
  }
  const before = problems.length;
  const actionText = asString(object.action);
  const action = actionText === undefined ? undefined : ACTIONS[actionText.toLowerCase()];
  if (action === undefined) problems.push({ path: `${path}.action`, message: `action ${JSON.stringify(object.action ?? null)} is not Allow, Deny, Log or Pass` });

  const rule: CalicoRule = {
    action: action ?? 'Deny',
    source: readEntityRule(object.source, `${path}.source`, problems),
    destination: readEntityRule(object.destination, `${path}.destination`, problems),
    http: asObject(object.http) !== undefined,
    index,
    path,
  };
  const protocol = readProtocol(object.protocol, `${path}.protocol`, problems);
  if (protocol) rule.protocol = protocol;
  const notProtocol = readProtocol(object.notProtocol, `${path}.notProtocol`, problems);
  if (notProtocol) rule.notProtocol = notProtocol;
  const icmp = readIcmp(object.icmp);
  if (icmp) rule.icmp = icmp;
  const notICMP = readIcmp(object.notICMP);
  if (notICMP) rule.notICMP = notICMP;
  if (object.ipVersion === 4 || object.ipVersion === 6) rule.ipVersion = object.ipVersion;
  else if (object.ipVersion !== undefined && object.ipVersion !== null) {
    problems.push({ path: `${path}.ipVersion`, message: `ipVersion ${JSON.stringify(object.ipVersion)} is not 4 or 6` });
  }
  return problems.length === before ? rule : undefined;
}

function readEntityRule(raw: unknown, path: string, problems: FieldProblem[]): CalicoEntityRule {
  const object = objectOrEmpty(raw);
  const entity: CalicoEntityRule = {
    nets: readNets(object.nets, `${path}.nets`, problems),
    notNets: readNets(object.notNets, `${path}.notNets`, problems),
    ports: readPorts(object.ports, `${path}.ports`, problems),
    notPorts: readPorts(object.notPorts, `${path}.notPorts`, problems),
  };
  const selector = readSelector(object.selector, `${path}.selector`, problems);
  if (selector) entity.selector = selector;
  const notSelector = readSelector(object.notSelector, `${path}.notSelector`, problems);
  if (notSelector) entity.notSelector = notSelector;
  const namespaceSelector = readSelector(object.namespaceSelector, `${path}.namespaceSelector`, problems);
  if (namespaceSelector) entity.namespaceSelector = namespaceSelector;
  const serviceAccounts = asObject(object.serviceAccounts);
  if (serviceAccounts) {
    const names = asArray(serviceAccounts.names).filter((n): n is string => typeof n === 'string');
    const saSelector = readSelector(serviceAccounts.selector, `${path}.serviceAccounts.selector`, problems);
    entity.serviceAccounts = saSelector ? { names, selector: saSelector } : { names };
  }
  const services = asObject(object.services);
  const serviceName = asString(services?.name);
  if (services && serviceName) {
    const namespace = asString(services.namespace);
    entity.services = namespace ? { name: serviceName, namespace } : { name: serviceName };
  }
  return entity;
}

/** A selector field; undefined when absent or empty (no restriction). */
export function readSelector(raw: unknown, path: string, problems: FieldProblem[]): LabelMatcher | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') {
    problems.push({ path, message: `a selector must be a string, found ${JSON.stringify(raw)}` });
    return undefined;
  }
  if (raw.trim() === '') return undefined;
  const parsed = parseCalicoSelector(raw);
  if (!parsed.ok) {
    problems.push({ path, message: `selector ${JSON.stringify(raw)}: ${parsed.error.message} (column ${parsed.error.column})` });
    return undefined;
  }
  return parsed.selector;
}

function readNets(raw: unknown, path: string, problems: FieldProblem[]): Cidr[] {
  const nets: Cidr[] = [];
  asArray(raw).forEach((entry, i) => {
    const cidr = typeof entry === 'string' ? parseCidr(entry) : undefined;
    if (cidr) nets.push(cidr);
    else problems.push({ path: `${path}[${i}]`, message: `${JSON.stringify(entry)} is not a CIDR` });
  });
  return nets;
}

const PORT_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/i;

/** Ports: a number, `"first:last"`, a numeric string, or a named port. */
export function readPorts(raw: unknown, path: string, problems: FieldProblem[]): CalicoPort[] {
  const ports: CalicoPort[] = [];
  asArray(raw).forEach((entry, i) => {
    const port = readPort(entry);
    if (port) ports.push(port);
    else problems.push({ path: `${path}[${i}]`, message: `${JSON.stringify(entry)} is not a port, a range "first:last" or a port name` });
  });
  return ports;
}

function readPort(entry: unknown): CalicoPort | undefined {
  if (typeof entry === 'number') {
    return Number.isInteger(entry) && entry >= 0 && entry <= 65535 ? { kind: 'range', first: entry, last: entry, text: String(entry) } : undefined;
  }
  if (typeof entry !== 'string') return undefined;
  const text = entry.trim();
  const range = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(text);
  if (range) {
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    return first <= last && last <= 65535 ? { kind: 'range', first, last, text } : undefined;
  }
  return PORT_NAME.test(text) && /[a-z]/i.test(text) ? { kind: 'named', name: text, text } : undefined;
}

const PROTOCOL_NAMES: Record<string, string> = { tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', icmpv6: 'ICMPv6', sctp: 'SCTP', udplite: 'UDPLite' };

function readProtocol(raw: unknown, path: string, problems: FieldProblem[]): CalicoProtocol | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'number') {
    if (Number.isInteger(raw) && raw >= 1 && raw <= 255) return { number: raw, text: String(raw) };
  } else if (typeof raw === 'string') {
    const name = PROTOCOL_NAMES[raw.toLowerCase()];
    const number = name !== undefined ? protocolNumber(name === 'ICMPv6' ? 'ipv6-icmp' : name) : /^\d{1,3}$/.test(raw) ? Number(raw) : undefined;
    if (number !== undefined && number >= 1 && number <= 255) return { number, text: name ?? raw };
  }
  problems.push({ path, message: `protocol ${JSON.stringify(raw)} is not TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255` });
  return undefined;
}

function readIcmp(raw: unknown): CalicoIcmpMatch | undefined {
  const object: JsonObject | undefined = asObject(raw);
  if (!object) return undefined;
  const match: CalicoIcmpMatch = {};
  if (typeof object.type === 'number') match.type = object.type;
  if (typeof object.code === 'number') match.code = object.code;
  return match;
}
