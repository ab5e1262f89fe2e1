/**
 * kube-proxy's iptables mode, read back from an iptables-save dump (semantics.md a):
 *
 *   nat KUBE-SERVICES -d <clusterIP> --dport p  → KUBE-SVC-h / KUBE-SVL-h (ITP Local)
 *   nat KUBE-SERVICES -d <extIP|lbIP> --dport p → KUBE-EXT-h, or KUBE-FW-h with source ranges
 *   nat KUBE-NODEPORTS --dport np               → KUBE-EXT-h (very old: KUBE-SVC-h / KUBE-XLB-h)
 *   KUBE-SVC/SVL-h: [masquerade] [affinity `recent --rcheck` per endpoint] statistic cascade → KUBE-SEP-e
 *   KUBE-SEP-e: hairpin masquerade, DNAT --to-destination ip:port
 *   KUBE-EXT-h: Cluster → MARK-MASQ + SVC; Local → pod/LOCAL short-circuits to SVC, then SVL
 *   filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES: "has no endpoints" REJECT, "has no local endpoints" DROP
 *
 * Each Service port is tied to the API by its chain hash (index.byIptablesHash); filter rules,
 * which carry no chain name, by their address and port, and only then by their comment. Every
 * endpoint's KUBE-SEP name is recomputed from the Service port and its DNAT address.
 */
import type { Evidence, SourceFile } from '../bundle/source-file.js';
import type { DnatTarget, IptablesChain, IptablesRule, IptablesTable, RecentMatch, StatisticMatch } from '../netfilter/iptables-types.js';
import { formatIpAddress, type IpAddress } from '../netfilter/ip-cidr.js';
import type { NatRange } from '../netfilter/nat-range.js';
import { joinHostPort } from '../netfilter/kube-proxy-names.js';
import { endpointChainNameOf } from './endpoint-chain-name.js';
import {
  frontendKey,
  type FrontendKind,
  type IpFamily,
  type L4Protocol,
  type MasqueradeSetup,
  type ProgrammedEndpoint,
  type ProgrammedFrontend,
  type ProgrammedPolicyChain,
  type ProgrammedServicePort,
  type ReconstructedDataplane,
  type ServicePortRef,
} from './dataplane-types.js';
import {
  destinationHost,
  destinationPort,
  filterVerdict,
  hasAddrType,
  hostAddress,
  isUnconditional,
  jumpTarget,
  ruleComment,
  ruleEvidence,
  ruleProtocol,
} from './iptables-rule-facts.js';
import type { ParsedNodeFile } from './node-dataplane.js';
import type { IptablesDump } from '../netfilter/iptables-types.js';
import type { ServicePortIndex } from './service-port-index.js';

const SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|XLB)-([A-Z2-7]{16})$/;
const TWO_POW_31 = 0x80000000;

/** What kube-proxy writes for the rule choosing among k remaining endpoints, as the kernel keeps it. */
export function kernelProbability(k: number): number {
  return Math.round(TWO_POW_31 / k) / TWO_POW_31;
}

/** Comment suffixes kube-proxy writes on KUBE-SERVICES rules, and the frontend kind they name. */
const KIND_BY_COMMENT: [string, FrontendKind][] = [
  [' cluster IP', 'cluster-ip'],
  [' external IP', 'external-ip'],
  [' loadbalancer IP', 'load-balancer'],
];

function kindByComment(comment: string): FrontendKind | undefined {
  for (const [suffix, kind] of KIND_BY_COMMENT) if (comment.endsWith(suffix)) return kind;
  return undefined;
}

interface Dispatch {
  endpoints: ProgrammedEndpoint[];
  via: string[];
}

/** A policy chain's load-balancing rules, their KUBE-SEP chains and probabilities, before the endpoints are read. */
interface UnresolvedCascade {
  chain: ProgrammedPolicyChain;
  ref: ServicePortRef | undefined;
  balancing: IptablesRule[];
  endpointChains: string[];
  probabilities: (number | undefined)[];
}

/** The DNAT rule of a KUBE-SEP chain (one with an address and a port). */
function endpointDnat(chain: IptablesChain | undefined): DnatRule | undefined {
  const rules = chain?.rules;
  if (!rules) return undefined;
  // kube-proxy writes the DNAT last (after the hairpin masquerade): look there first.
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    const target = rule.target;
    if (target.kind !== 'extension' || target.extension !== 'DNAT') continue;
    const range = target.toDestination[0];
    if (range?.addressFirst && range.portFirst !== undefined) return rule as DnatRule;
  }
  return undefined;
}

export function reconstructIptables(node: string, family: IpFamily, parsed: ParsedNodeFile<IptablesDump>, index: ServicePortIndex): ReconstructedDataplane {
  return new IptablesReconstruction(node, family, parsed, index).run();
}

class IptablesReconstruction {
  private readonly file: SourceFile;
  private readonly nat: IptablesTable | undefined;
  private readonly filter: IptablesTable | undefined;
  private readonly servicePorts = new Map<string, ProgrammedServicePort>();
  /** Service ports the API no longer has, by the name their comments give. */
  private readonly unknownBySpn = new Map<string, ProgrammedServicePort>();
  private readonly frontends = new Map<string, ProgrammedFrontend>();
  private readonly servicePortOfFrontend = new Map<string, ProgrammedServicePort>();
  private readonly policyChains = new Map<string, ProgrammedPolicyChain>();
  private readonly dispatches = new Map<string, Dispatch>();
  private readonly masquerade: MasqueradeSetup = { postrouting: [], randomFully: false };
  /** Policy chains read whose endpoints are still to be filled (see resolveEndpoints). */
  private readonly unresolvedCascades: UnresolvedCascade[] = [];

  constructor(
    private readonly node: string,
    private readonly family: IpFamily,
    parsed: ParsedNodeFile<IptablesDump>,
    private readonly index: ServicePortIndex,
  ) {
    this.file = parsed.file;
    this.nat = parsed.value.tables.get('nat');
    this.filter = parsed.value.tables.get('filter');
  }

  run(): ReconstructedDataplane {
    this.readNatFrontends();
    this.resolveEndpoints();
    this.readFilterVerdicts();
    for (const frontend of this.frontends.values()) {
      if (frontend.action === 'forward' && frontend.endpoints.length === 0) frontend.action = 'blackhole';
    }
    this.readMasquerade();
    return {
      node: this.node,
      mode: 'iptables',
      family: this.family,
      files: [this.file.path],
      servicePorts: [...this.servicePorts.values()],
      frontends: this.frontends,
      servicePortOfFrontend: this.servicePortOfFrontend,
      masquerade: this.masquerade,
    };
  }

  private evidence(rule: IptablesRule, note?: string): Evidence {
    return ruleEvidence(this.file, rule, note);
  }

  // ---- Service ports ------------------------------------------------------------------------

  /** The Service port a chain hash names; tied to the API when a Service port hashes to it. */
  private servicePortByHash(hash: string, protocol: L4Protocol, comment: string | undefined): ProgrammedServicePort {
    const ref = this.index.byIptablesHash(hash);
    const key = ref ? `${ref.spn}|${ref.protocol}` : `#${hash}`;
    let servicePort = this.servicePorts.get(key);
    if (!servicePort) {
      servicePort = { key, protocol: ref?.protocol ?? protocol, hash, frontends: [], sourceRanges: [] };
      if (ref) servicePort.ref = ref;
      const spn = ref?.spn ?? spnFromComment(comment);
      if (spn !== undefined) servicePort.spn = spn;
      if (!ref && spn !== undefined) this.unknownBySpn.set(`${spn}|${servicePort.protocol}`, servicePort);
      this.servicePorts.set(key, servicePort);
    }
    return servicePort;
  }

  /** A Service port for a filter rule (no chain name): by its frontend, then by its comment. */
  private servicePortByRef(ref: ServicePortRef | undefined, protocol: L4Protocol, comment: string | undefined): ProgrammedServicePort {
    const spn = ref?.spn ?? spnFromComment(comment);
    const commentRef = ref ?? (spn !== undefined ? this.index.bySpn(spn, protocol) : undefined);
    const key = commentRef ? `${commentRef.spn}|${commentRef.protocol}` : `?${spn ?? 'unknown'}|${protocol}`;
    // A Service the API no longer has: its nat chains (keyed by hash) carry the same name.
    let servicePort = this.servicePorts.get(key) ?? (commentRef ? undefined : this.unknownBySpn.get(`${spn}|${protocol}`));
    if (!servicePort) {
      servicePort = { key, protocol, frontends: [], sourceRanges: [] };
      if (commentRef) servicePort.ref = commentRef;
      if (spn !== undefined) servicePort.spn = spn;
      this.servicePorts.set(key, servicePort);
    }
    return servicePort;
  }

  private addFrontend(servicePort: ProgrammedServicePort, frontend: ProgrammedFrontend): ProgrammedFrontend {
    const existing = this.frontends.get(frontend.key);
    if (existing) return existing;
    this.frontends.set(frontend.key, frontend);
    this.servicePortOfFrontend.set(frontend.key, servicePort);
    servicePort.frontends.push(frontend);
    return frontend;
  }

  // ---- nat: KUBE-SERVICES and KUBE-NODEPORTS --------------------------------------------------

  private readNatFrontends(): void {
    const nat = this.nat;
    if (!nat) return;
    for (const rule of nat.chains.get('KUBE-SERVICES')?.rules ?? []) {
      const target = jumpTarget(rule);
      const match = target ? SERVICE_CHAIN.exec(target) : null;
      if (!target || !match) continue;
      const ip = destinationHost(rule);
      const port = destinationPort(rule);
      const protocol = ruleProtocol(rule);
      if (ip === undefined || port === undefined || protocol === undefined) continue;
      const comment = ruleComment(rule);
      const servicePort = this.servicePortByHash(match[2]!, protocol, comment);
      let kind = comment === undefined ? undefined : kindByComment(comment);
      if (!kind) {
        const api = this.index.frontend(ip, protocol, port);
        kind = match[1] === 'SVC' || match[1] === 'SVL' ? 'cluster-ip' : api && api.ref === servicePort.ref ? api.kind : 'external';
      }
      this.addNatFrontend(servicePort, { kind, ip, protocol, port }, target, rule);
    }
    for (const rule of nat.chains.get('KUBE-NODEPORTS')?.rules ?? []) {
      const target = jumpTarget(rule);
      const match = target ? SERVICE_CHAIN.exec(target) : null;
      if (!target || !match) continue;
      const port = destinationPort(rule);
      const protocol = ruleProtocol(rule);
      if (port === undefined || protocol === undefined) continue;
      const servicePort = this.servicePortByHash(match[2]!, protocol, ruleComment(rule));
      const destination = rule.destination && !rule.destination.negated ? rule.destination.cidr : undefined;
      const localhost = destination !== undefined && destination.family === 4 && destination.prefix === 8 && destination.network === 0x7f000000;
      const ip = localhost ? '127.0.0.0/8' : destination ? hostAddress(destination) : undefined;
      const frontend: { kind: FrontendKind; ip?: string; protocol: L4Protocol; port: number; localhost?: boolean } = { kind: 'node-port', protocol, port };
      if (ip !== undefined) frontend.ip = ip;
      if (localhost) frontend.localhost = true;
      this.addNatFrontend(servicePort, frontend, target, rule);
    }
  }

  private addNatFrontend(
    servicePort: ProgrammedServicePort,
    where: { kind: FrontendKind; ip?: string; protocol: L4Protocol; port: number; localhost?: boolean },
    target: string,
    rule: IptablesRule,
  ): void {
    const dispatch = this.dispatch(target, servicePort);
    // A NodePort is one frontend on every address it accepts (nodePortAddresses may add `-d`);
    // only the localhost variant (route_localnet) is kept apart.
    const keyIp = where.kind === 'node-port' && !where.localhost ? undefined : where.ip;
    const frontend: ProgrammedFrontend = {
      key: frontendKey(keyIp, where.protocol, where.port),
      kind: where.kind,
      protocol: where.protocol,
      port: where.port,
      action: 'forward',
      endpoints: dispatch.endpoints,
      via: dispatch.via,
      evidence: [this.evidence(rule)],
    };
    if (where.ip !== undefined) frontend.ip = where.ip;
    if (where.localhost) frontend.localhost = true;
    this.addFrontend(servicePort, frontend);
  }

  /** Where a jump from KUBE-SERVICES / KUBE-NODEPORTS leads external (off-node, non-pod) traffic. */
  private dispatch(chainName: string, servicePort: ProgrammedServicePort): Dispatch {
    const cached = this.dispatches.get(chainName);
    if (cached) return cached;
    const kind = SERVICE_CHAIN.exec(chainName)?.[1];
    let result: Dispatch;
    if (kind === 'SVC' || kind === 'SVL' || kind === 'XLB') {
      const chain = this.policyChain(chainName, servicePort);
      if (kind === 'SVC') servicePort.cluster ??= chain;
      else servicePort.local ??= chain;
      result = { endpoints: chain.endpoints, via: [chainName] };
    } else if (kind === 'EXT') {
      result = this.externalChain(chainName, servicePort);
    } else if (kind === 'FW') {
      result = this.firewallChain(chainName, servicePort);
    } else {
      result = { endpoints: [], via: [chainName] };
    }
    this.dispatches.set(chainName, result);
    return result;
  }

  private natChain(name: string): IptablesChain | undefined {
    return this.nat?.chains.get(name);
  }

  /** KUBE-EXT-h: Cluster policy masquerades and jumps to SVC; Local short-circuits pod/LOCAL traffic first. */
  private externalChain(name: string, servicePort: ProgrammedServicePort): Dispatch {
    const chain = this.natChain(name);
    const evidence: Evidence[] = [];
    let local = false;
    let target: string | undefined;
    for (const rule of chain?.rules ?? []) {
      const jump = jumpTarget(rule);
      if (!jump) continue;
      const policy = /^KUBE-(SVC|SVL)-/.exec(jump);
      if (!policy) continue;
      if (isUnconditional(rule)) {
        target ??= jump;
        evidence.push(this.evidence(rule));
      } else if (rule.source !== undefined || hasAddrType(rule, 'src', 'LOCAL')) {
        // "pod traffic for … external destinations" / "route LOCAL traffic …": only ETP Local writes these.
        local = true;
        this.dispatch(jump, servicePort);
      }
    }
    if (target?.startsWith('KUBE-SVL-')) local = true;
    servicePort.external = { chain: name, policy: local ? 'Local' : 'Cluster', evidence: chain?.rules[0] ? [this.evidence(chain.rules[0]), ...evidence] : evidence };
    if (!target) return { endpoints: [], via: [name] };
    const next = this.dispatch(target, servicePort);
    return { endpoints: next.endpoints, via: [name, ...next.via] };
  }

  /** KUBE-FW-h: `-s <range> -j KUBE-EXT-h` per loadBalancerSourceRange; other sources fall through to a DROP. */
  private firewallChain(name: string, servicePort: ProgrammedServicePort): Dispatch {
    let next: Dispatch | undefined;
    for (const rule of this.natChain(name)?.rules ?? []) {
      const jump = jumpTarget(rule);
      if (!jump || !SERVICE_CHAIN.test(jump)) continue;
      if (rule.source && !rule.source.negated) servicePort.sourceRanges.push({ cidr: rule.source.cidr.text, evidence: this.evidence(rule) });
      next ??= this.dispatch(jump, servicePort);
    }
    return next ? { endpoints: next.endpoints, via: [name, ...next.via] } : { endpoints: [], via: [name] };
  }

  /** KUBE-SVC/SVL/XLB-h: masquerade, affinity checks, then the statistic cascade over KUBE-SEP chains. */
  private policyChain(name: string, servicePort: ProgrammedServicePort): ProgrammedPolicyChain {
    const cached = this.policyChains.get(name);
    if (cached) return cached;
    const chain = this.natChain(name);
    const result: ProgrammedPolicyChain = chain?.line !== undefined ? new DeclaredPolicyChain(name, this.file, chain.line) : { name, endpoints: [] };
    this.policyChains.set(name, result);
    if (!chain) return result;

    // The load-balancing rules: `[-m statistic] -j KUBE-SEP-…` without an affinity check, each
    // with its endpoint chain and probability (read in one pass over the rule).
    const balancing: IptablesRule[] = [];
    const endpointChains: string[] = [];
    const probabilities: (number | undefined)[] = [];
    for (const rule of chain.rules) {
      const jump = jumpTarget(rule);
      if (jump === 'KUBE-MARK-MASQ') {
        result.masqueradeEvidence ??= this.evidence(rule);
        if (rule.source?.negated && this.masquerade.localTrafficCidr === undefined) this.masquerade.localTrafficCidr = rule.source.cidr.text;
        continue;
      }
      if (!jump?.startsWith('KUBE-SEP-')) continue;
      let check: RecentMatch | undefined;
      let statistic: StatisticMatch | undefined;
      for (const match of rule.matches) {
        if (match.kind === 'recent') {
          if (match.command === 'rcheck') check ??= match;
        } else if (match.kind === 'statistic') {
          if (match.mode === 'random' && !match.negated) statistic ??= match;
        }
      }
      if (check) {
        if (check.seconds !== undefined) result.affinitySeconds ??= check.seconds;
        continue;
      }
      balancing.push(rule);
      endpointChains.push(jump);
      probabilities.push(statistic?.probability);
    }

    if (balancing.length > 0) this.unresolvedCascades.push({ chain: result, ref: servicePort.ref, balancing, endpointChains, probabilities });
    return result;
  }

  /**
   * Fills every KUBE-SVC/SVL/XLB chain's endpoints from the DNAT rules of its KUBE-SEP chains.
   * All chains at once, one step at a time (look every KUBE-SEP chain up, then read every DNAT
   * rule, then build the endpoints): each step's lookups are independent of one another, so the
   * processor overlaps their memory reads, where following one endpoint's chain of objects to
   * the end before the next waits on each read in turn. A large node has 100,000 endpoints.
   */
  private resolveEndpoints(): void {
    const cascades = this.unresolvedCascades;
    const names: string[] = [];
    for (const cascade of cascades) for (const name of cascade.endpointChains) names.push(name);
    const chains = this.nat?.chains;
    const found: (IptablesChain | undefined)[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) found[i] = chains?.get(names[i]!);
    const dnats: (DnatRule | undefined)[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) dnats[i] = endpointDnat(found[i]);
    let next = 0;
    for (const { chain, ref, balancing, endpointChains, probabilities } of cascades) {
      let remaining = 1;
      for (let i = 0; i < balancing.length; i++) {
        const dnat = dnats[next++];
        if (!dnat) continue;
        const probability = probabilities[i];
        const chance = probability ?? 1;
        const expected = i < balancing.length - 1 ? kernelProbability(balancing.length - i) : undefined;
        chain.endpoints.push(new IptablesEndpoint(this.file, balancing[i]!, dnat, remaining * chance, endpointChains[i]!, ref, probability, expected));
        remaining *= 1 - chance;
      }
    }
    cascades.length = 0;
  }

  // ---- filter: REJECT / DROP / health checks ------------------------------------------------

  private readFilterVerdicts(): void {
    const filter = this.filter;
    if (!filter) return;
    for (const chainName of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES']) {
      for (const rule of filter.chains.get(chainName)?.rules ?? []) {
        const verdict = filterVerdict(rule);
        const port = destinationPort(rule);
        const protocol = ruleProtocol(rule);
        if (!verdict || port === undefined || protocol === undefined) continue;
        const comment = ruleComment(rule);
        const ip = destinationHost(rule);
        const nodePort = ip === undefined && hasAddrType(rule, 'dst', 'LOCAL');
        if (ip === undefined && !nodePort) continue;
        const api = ip !== undefined ? this.index.frontend(ip, protocol, port) : undefined;
        const ref = api?.ref ?? (nodePort ? this.index.byNodePort(protocol, port) : undefined);
        const reason = comment?.endsWith('has no local endpoints') ? 'no-local-endpoints' : comment?.endsWith('has no endpoints') ? 'no-endpoints' : verdict === 'reject' ? 'no-endpoints' : 'no-local-endpoints';
        const key = frontendKey(ip, protocol, port);
        const existing = this.frontends.get(key);
        if (existing) {
          if (existing.endpoints.length > 0) {
            existing.conflictingVerdict ??= this.evidence(rule);
          } else {
            existing.action = verdict;
            existing.reason = reason;
            existing.evidence.push(this.evidence(rule));
          }
          continue;
        }
        const servicePort = this.servicePortByRef(ref, protocol, comment);
        const kind: FrontendKind = nodePort ? 'node-port' : (api?.kind ?? (chainName === 'KUBE-SERVICES' ? 'cluster-ip' : 'external'));
        const frontend: ProgrammedFrontend = { key, kind, protocol, port, action: verdict, reason, endpoints: [], via: [`filter ${chainName}`], evidence: [this.evidence(rule)] };
        if (ip !== undefined) frontend.ip = ip;
        this.addFrontend(servicePort, frontend);
      }
    }
    for (const rule of filter.chains.get('KUBE-NODEPORTS')?.rules ?? []) {
      const comment = ruleComment(rule);
      const port = destinationPort(rule);
      if (!comment?.endsWith(' health check node port') || port === undefined || rule.target.kind !== 'verdict' || rule.target.name !== 'ACCEPT') continue;
      const spn = comment.slice(0, -' health check node port'.length);
      const ref = this.index.bySpn(spn, 'tcp') ?? this.index.bySpn(spn, 'udp') ?? this.index.bySpn(spn, 'sctp');
      const servicePort = this.servicePortByRef(ref, ref?.protocol ?? 'tcp', spn);
      servicePort.healthCheckNodePort ??= { port, evidence: this.evidence(rule) };
    }
  }

  // ---- masquerade -----------------------------------------------------------------------------

  private readMasquerade(): void {
    for (const rule of this.natChain('KUBE-MARK-MASQ')?.rules ?? []) {
      const target = rule.target;
      if (target.kind === 'extension' && target.extension === 'MARK') {
        this.masquerade.mark = target.update.value;
        this.masquerade.markEvidence = this.evidence(rule);
        break;
      }
    }
    for (const rule of this.natChain('KUBE-POSTROUTING')?.rules ?? []) {
      this.masquerade.postrouting.push(this.evidence(rule));
      const target = rule.target;
      if (target.kind === 'extension' && target.extension === 'MASQUERADE' && target.randomFully) this.masquerade.randomFully = true;
    }
  }
}

/** `ns/svc:port` from a kube-proxy comment (`"ns/svc:port cluster IP"`, `"ns/svc:port has no endpoints"`, `ns/svc:port`). */
export function spnFromComment(comment: string | undefined): string | undefined {
  if (!comment) return undefined;
  const spn = comment.split(' ')[0]!;
  return /^[a-z0-9.-]+\/[a-z0-9.-]+(:[^\s]*)?$/i.test(spn) ? spn.replace(/:$/, '') : undefined;
}

/**
 * A KUBE-SVC/SVL/XLB chain with a `:NAME` declaration, whose evidence (that line) is read when
 * asked for: reading it means finding the line in the file, which a large dump's 10,000 chains
 * would otherwise pay for while no finding cites them.
 */
class DeclaredPolicyChain implements ProgrammedPolicyChain {
  readonly endpoints: ProgrammedEndpoint[] = [];
  // Set only when the chain has them, as on a literal.
  declare affinitySeconds?: number;
  declare masqueradeEvidence?: Evidence;
  private lineEvidence: Evidence | undefined;

  constructor(
    readonly name: string,
    private readonly file: SourceFile,
    private readonly line: number,
  ) {}

  get evidence(): Evidence {
    return (this.lineEvidence ??= this.file.evidenceAtLine(this.line));
  }
}

/** A KUBE-SEP rule whose DNAT target names one address and port. */
type DnatRule = IptablesRule & { target: DnatTarget & { toDestination: [NatRange & { addressFirst: IpAddress; portFirst: number }] } };

/**
 * An endpoint of a KUBE-SVC/SVL chain, read off its KUBE-SEP chain's DNAT rule. Its evidence
 * lines and the check of its KUBE-SEP name are computed when asked for: a large node has
 * 100,000 endpoints, and a diff that finds them as expected never cites one.
 */
class IptablesEndpoint implements ProgrammedEndpoint {
  // Assigned in the constructor, not declared as class fields: 100,000 of these are made per large dump.
  declare readonly port: number;
  declare readonly address: string;
  declare readonly share: number;
  declare readonly chain: string;
  declare readonly probability: number | undefined;
  declare readonly expectedProbability: number | undefined;
  declare private readonly file: SourceFile;
  declare private readonly jumpRule: IptablesRule;
  declare private readonly dnatRule: DnatRule;
  declare private readonly ref: ServicePortRef | undefined;
  declare private nameCheck: boolean | undefined;

  constructor(file: SourceFile, jumpRule: IptablesRule, dnatRule: DnatRule, share: number, chain: string, ref: ServicePortRef | undefined, probability: number | undefined, expectedProbability: number | undefined) {
    const range = dnatRule.target.toDestination[0];
    // iptables-save prints the kernel's address and port: for one address and one port the text
    // is already net.JoinHostPort's `ip:port` / `[ip]:port`.
    const single = range.addressLast === undefined || range.addressLast.value === range.addressFirst.value;
    this.port = range.portFirst;
    this.address = single && range.portLast === range.portFirst ? range.text : joinHostPort(formatIpAddress(range.addressFirst), range.portFirst);
    this.share = share;
    this.chain = chain;
    this.probability = probability;
    this.expectedProbability = expectedProbability;
    this.file = file;
    this.jumpRule = jumpRule;
    this.dnatRule = dnatRule;
    this.ref = ref;
    this.nameCheck = undefined;
  }

  get ip(): string {
    return formatIpAddress(this.dnatRule.target.toDestination[0].addressFirst);
  }

  get evidence(): Evidence {
    return ruleEvidence(this.file, this.jumpRule);
  }

  get dnatEvidence(): Evidence {
    return ruleEvidence(this.file, this.dnatRule);
  }

  get chainNameMatches(): boolean | undefined {
    if (!this.ref) return undefined;
    this.nameCheck ??= endpointChainNameOf(this.ref, this.address) === this.chain;
    return this.nameCheck;
  }
}
