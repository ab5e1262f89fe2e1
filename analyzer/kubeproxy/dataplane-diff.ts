/**
 * The difference between what kube-proxy programmed on a node (reconstruct-*.ts) and what the
 * API says it should have programmed (expected-dataplane.ts), frontend by frontend:
 *
 * missing (the node lacks what the API has)
 *   missing-frontend  a ClusterIP / externalIP / LoadBalancer IP / NodePort with no rule at all
 *   missing-endpoint  a usable endpoint the node never DNATs to
 *   missing-verdict   no endpoints in the API, but no REJECT/DROP either (traffic is not refused)
 * stale (the node keeps what the API no longer has)
 *   stale-endpoint    DNAT to an address that is not (or no longer) a usable endpoint
 *   stale-frontend    a rule for a frontend its Service no longer has (IP, port or NodePort changed)
 *   stale-service     rules of a Service that no longer exists
 *   unexpected-verdict  REJECT/DROP while the API has endpoints for it (or the other verdict)
 *   affinity-mismatch   ClientIP affinity on one side only, or another timeout
 *   uneven-balancing    statistic probabilities that do not give each endpoint 1/n
 *   chain-name-mismatch an endpoint chain whose name is not the one kube-proxy derives for it
 *
 * In IPVS mode a virtual server without real servers is how kube-proxy renders "no endpoints",
 * so it matches an expected REJECT or DROP.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { FrontendKind, L4Protocol, ProgrammedEndpoint, ProgrammedFrontend, ProgrammedServicePort, ProxyMode, ReconstructedDataplane, ServicePortRef } from './dataplane-types.js';
import type { ExpectedDataplane, ExpectedFrontend } from './expected-dataplane.js';
import type { ApiEndpoint } from './service-endpoints.js';

export type MissingKind = 'missing-frontend' | 'missing-endpoint' | 'missing-verdict';
export type StaleKind = 'stale-endpoint' | 'stale-frontend' | 'stale-service' | 'unexpected-verdict' | 'affinity-mismatch' | 'uneven-balancing' | 'chain-name-mismatch';
export type DiffKind = MissingKind | StaleKind;

export const MISSING_KINDS: ReadonlySet<DiffKind> = new Set<DiffKind>(['missing-frontend', 'missing-endpoint', 'missing-verdict']);

export interface DiffFrontend {
  key: string;
  kind: FrontendKind;
  ip?: string;
  protocol: L4Protocol;
  port: number;
}

export interface DiffEntry {
  kind: DiffKind;
  node: string;
  mode: ProxyMode;
  family: 4 | 6;
  /** The API Service port concerned; undefined for a Service that no longer exists. */
  ref?: ServicePortRef;
  /** ServicePortName as the node's rules give it (for Services the API no longer has). */
  spn?: string;
  frontend: DiffFrontend;
  expected?: ExpectedFrontend;
  programmed?: ProgrammedFrontend;
  /** Endpoint addresses concerned (`ip:port`). */
  addresses: string[];
  /** One sentence: what differs. */
  detail: string;
  /** Node lines first, then API lines. */
  evidence: Evidence[];
}

/** Probabilities printed with %0.5f by pre-1.13 kube-proxy stay within this of the kernel value. */
const PROBABILITY_TOLERANCE = 1e-5;

export function diffDataplane(expected: ExpectedDataplane, programmed: ReconstructedDataplane, anchor: Evidence | undefined): DiffEntry[] {
  const out: DiffEntry[] = [];
  const base = { node: programmed.node, mode: programmed.mode, family: programmed.family };
  const entry = (fields: Omit<DiffEntry, 'node' | 'mode' | 'family'>): void => {
    out.push({ ...base, ...fields });
  };

  for (const want of expected.frontends.values()) {
    const have = programmed.frontends.get(want.key);
    const haveRef = have ? programmed.servicePortOfFrontend.get(have.key)?.ref : undefined;
    if (!have || (haveRef !== undefined && haveRef !== want.servicePort.ref)) {
      entry({
        kind: 'missing-frontend',
        ref: want.servicePort.ref,
        frontend: frontendOf(want),
        expected: want,
        addresses: want.endpoints.map((e) => e.address),
        detail: `no rule captures ${describe(want)}`,
        evidence: [...(anchor ? [anchor] : []), apiFrontendEvidence(want)],
      });
      continue;
    }
    compareFrontend(want, have, programmed, entry);
  }

  for (const have of programmed.frontends.values()) {
    if (have.localhost) continue;
    const servicePort = programmed.servicePortOfFrontend.get(have.key);
    const want = expected.frontends.get(have.key);
    if (want && (servicePort?.ref === undefined || servicePort.ref === want.servicePort.ref)) continue;
    const ref = servicePort?.ref;
    const fields: Omit<DiffEntry, 'node' | 'mode' | 'family'> = {
      kind: ref ? 'stale-frontend' : 'stale-service',
      frontend: frontendOf(have),
      programmed: have,
      addresses: have.endpoints.map((e) => e.address),
      detail: ref
        ? `${describe(have)} is still captured for ${ref.spn}, which no longer has that ${have.kind === 'node-port' ? 'NodePort' : 'address'}`
        : `${describe(have)} is still captured for ${servicePort?.spn ?? 'a Service'} that no longer exists`,
      evidence: have.evidence.slice(0, 3),
    };
    if (ref) fields.ref = ref;
    if (servicePort?.spn !== undefined) fields.spn = servicePort.spn;
    out.push({ ...base, ...fields });
  }
  return out;
}

type Emit = (fields: Omit<DiffEntry, 'node' | 'mode' | 'family'>) => void;

function compareFrontend(want: ExpectedFrontend, have: ProgrammedFrontend, programmed: ReconstructedDataplane, entry: Emit): void {
  const ref = want.servicePort.ref;
  const frontend = frontendOf(want);
  const common = { ref, frontend, expected: want, programmed: have };
  const ipvs = programmed.mode === 'ipvs';

  if (want.action !== 'forward') {
    if (have.action === 'forward') {
      const why = want.action === 'reject' ? 'the Service has no usable endpoint' : `the node has no local endpoint (${want.policy === 'Local' && want.kind === 'cluster-ip' ? 'internalTrafficPolicy' : 'externalTrafficPolicy'}=Local)`;
      entry({
        ...common,
        kind: 'stale-endpoint',
        addresses: have.endpoints.map((e) => e.address),
        detail: `${describe(want)} is DNATed to ${list(have.endpoints.map((e) => e.address))}, but ${why}`,
        evidence: endpointEvidence(have, have.endpoints),
      });
    } else if (have.action === 'blackhole' ? !ipvs : have.action !== want.action) {
      entry({
        ...common,
        kind: have.action === 'blackhole' ? 'missing-verdict' : 'unexpected-verdict',
        addresses: [],
        detail:
          have.action === 'blackhole'
            ? `${describe(want)} should be ${want.action === 'reject' ? 'REJECTed ("has no endpoints")' : 'DROPped ("has no local endpoints")'}, but no rule refuses it`
            : `${describe(want)} is ${verb(have.action)} where kube-proxy would now ${want.action === 'reject' ? 'REJECT it' : 'DROP it'}`,
        evidence: have.evidence.slice(0, 2),
      });
    }
    return;
  }

  if (have.action !== 'forward') {
    if (have.action === 'blackhole') {
      entry({
        ...common,
        kind: 'missing-endpoint',
        addresses: want.endpoints.map((e) => e.address),
        detail: `${describe(want)} is captured but sent to no endpoint; the API has ${list(want.endpoints.map((e) => e.address))}`,
        evidence: [...have.evidence.slice(0, 1), ...want.endpoints.slice(0, 3).map((e) => e.evidence(endpointNote(e)))],
      });
    } else {
      entry({
        ...common,
        kind: 'unexpected-verdict',
        addresses: want.endpoints.map((e) => e.address),
        detail: `${describe(want)} is ${verb(have.action)} ("${have.reason === 'no-local-endpoints' ? 'has no local endpoints' : 'has no endpoints'}"), but the API has ${list(want.endpoints.map((e) => e.address))}`,
        evidence: [...have.evidence.slice(0, 2), ...want.endpoints.slice(0, 2).map((e) => e.evidence(endpointNote(e)))],
      });
    }
    return;
  }

  const stale = withAddressNotIn(have.endpoints, want.endpoints);
  const missing = withAddressNotIn(want.endpoints, have.endpoints);
  if (stale.length > 0) {
    entry({
      ...common,
      kind: 'stale-endpoint',
      addresses: stale.map((e) => e.address),
      detail: `${describe(want)} is still DNATed to ${list(stale.map((e) => e.address))}, ${stale.length === 1 ? `which is not a usable ${want.policy === 'Local' ? 'local ' : ''}endpoint` : `which are not usable ${want.policy === 'Local' ? 'local ' : ''}endpoints`} of ${ref.spn}`,
      evidence: endpointEvidence(have, stale),
    });
  }
  if (missing.length > 0) {
    entry({
      ...common,
      kind: 'missing-endpoint',
      addresses: missing.map((e) => e.address),
      detail: `${describe(want)} never reaches ${list(missing.map((e) => e.address))}`,
      evidence: [...have.evidence.slice(0, 1), ...missing.slice(0, 3).map((e) => e.evidence(endpointNote(e)))],
    });
  }

  const servicePort = programmed.servicePortOfFrontend.get(have.key);
  if (want.kind === 'cluster-ip' && servicePort) compareAffinity(want, servicePort, common, entry);

  if (stale.length === 0 && missing.length === 0) {
    const uneven = have.endpoints.filter((e) => e.probability !== undefined && e.expectedProbability !== undefined && Math.abs(e.probability - e.expectedProbability) > PROBABILITY_TOLERANCE);
    if (uneven.length > 0) {
      const shares = have.endpoints.map((e) => `${e.address} ${(e.share * 100).toFixed(1)}%`);
      entry({
        ...common,
        kind: 'uneven-balancing',
        addresses: uneven.map((e) => e.address),
        detail: `the statistic rules of ${have.via.at(-1)} do not split ${describe(want)} evenly: ${shares.join(', ')} (kube-proxy writes 1/${have.endpoints.length} each)`,
        evidence: uneven.slice(0, 3).map((e) => withNote(e.evidence, `probability ${e.probability} where kube-proxy writes ${e.expectedProbability!.toFixed(11)}`)),
      });
    }
  }
  const misnamed = have.endpoints.filter((e) => e.chainNameMatches === false);
  if (misnamed.length > 0) {
    entry({
      ...common,
      kind: 'chain-name-mismatch',
      addresses: misnamed.map((e) => e.address),
      detail: `${list(misnamed.map((e) => e.chain ?? e.address))} ${misnamed.length === 1 ? 'is' : 'are'} not the chain kube-proxy derives for ${ref.spn} → ${list(misnamed.map((e) => e.address))}: written for another Service port or by hand`,
      evidence: misnamed.slice(0, 3).map((e) => e.evidence),
    });
  }
}

/** Items of `list` whose address none of `others` has, in order. */
function withAddressNotIn<T extends { address: string }>(list: readonly T[], others: readonly { address: string }[]): T[] {
  // The usual case, checked without building sets: the node lists the API's endpoints in its order.
  if (list.length === others.length && list.every((e, i) => e.address === others[i]!.address)) return [];
  const addresses = new Set(others.map((e) => e.address));
  return list.filter((e) => !addresses.has(e.address));
}

function compareAffinity(want: ExpectedFrontend, servicePort: ProgrammedServicePort, common: Omit<DiffEntry, 'node' | 'mode' | 'family' | 'kind' | 'addresses' | 'detail' | 'evidence'>, entry: Emit): void {
  const chain = want.policy === 'Local' ? servicePort.local : servicePort.cluster;
  if (!chain || want.endpoints.length === 0) return;
  const expected = want.servicePort.affinitySeconds;
  const programmed = chain.affinitySeconds;
  if (expected === programmed) return;
  const describeAffinity = (s: number | undefined) => (s === undefined ? 'no session affinity' : `ClientIP affinity for ${s}s`);
  const service = want.servicePort.ref.service;
  entry({
    ...common,
    kind: 'affinity-mismatch',
    addresses: [],
    detail: `${chain.name} has ${describeAffinity(programmed)}; the Service asks for ${describeAffinity(expected)}`,
    evidence: [...(chain.evidence ? [chain.evidence] : []), service.source.at('spec.sessionAffinity')],
  });
}

function frontendOf(f: { key: string; kind: FrontendKind; ip?: string; protocol: L4Protocol; port: number }): DiffFrontend {
  const out: DiffFrontend = { key: f.key, kind: f.kind, protocol: f.protocol, port: f.port };
  if (f.ip !== undefined) out.ip = f.ip;
  return out;
}

export function describe(f: { kind: FrontendKind; ip?: string; protocol: L4Protocol; port: number }): string {
  if (f.kind === 'node-port') return `NodePort ${f.port}/${f.protocol}`;
  const host = f.ip?.includes(':') ? `[${f.ip}]` : f.ip;
  return `${f.kind === 'cluster-ip' ? 'ClusterIP' : f.kind === 'external-ip' ? 'externalIP' : f.kind === 'load-balancer' ? 'LoadBalancer IP' : 'external IP'} ${host}:${f.port}/${f.protocol}`;
}

function verb(action: ProgrammedFrontend['action']): string {
  return action === 'reject' ? 'REJECTed' : action === 'drop' ? 'DROPped' : action === 'blackhole' ? 'captured but sent nowhere' : 'forwarded';
}

function list(items: string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function withNote(evidence: Evidence, note: string): Evidence {
  return { ...evidence, note };
}

function endpointNote(endpoint: ApiEndpoint): string {
  const state = endpoint.ready ? 'ready' : endpoint.serving && endpoint.terminating ? 'serving, terminating' : 'not ready';
  const who = endpoint.targetRef ? `${endpoint.targetRef.kind.toLowerCase()} ${endpoint.targetRef.name}` : endpoint.address;
  return `${who} (${endpoint.address}) ${state}${endpoint.nodeName ? ` on ${endpoint.nodeName}` : ''}`;
}

/** The lines that choose each endpoint, and their DNAT lines. */
function endpointEvidence(frontend: ProgrammedFrontend, endpoints: ProgrammedEndpoint[]): Evidence[] {
  const out: Evidence[] = [];
  for (const e of endpoints.slice(0, 3)) {
    out.push(withNote(e.dnatEvidence ?? e.evidence, `DNAT to ${e.address}`));
  }
  return out.length > 0 ? out : frontend.evidence.slice(0, 1);
}

/** The Service line that asks for this frontend. */
function apiFrontendEvidence(want: ExpectedFrontend): Evidence {
  const service = want.servicePort.ref.service;
  const port = want.servicePort.ref.port;
  const note = `${describe(want)} (${want.servicePort.ref.spn})`;
  switch (want.kind) {
    case 'cluster-ip':
      return service.source.at(want.ip === service.clusterIPs[0] ? 'spec.clusterIP' : 'spec.clusterIPs', note);
    case 'node-port':
      return service.source.at(`spec.ports[${port.index}].nodePort`, note);
    case 'external-ip':
      return service.source.at('spec.externalIPs', note);
    default:
      return service.source.at('status.loadBalancer.ingress', note);
  }
}
