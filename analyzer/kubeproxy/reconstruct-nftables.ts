/**
 * kube-proxy's nftables mode, read back from `nft list ruleset` (or the `nft -f` form) of
 * `table ip kube-proxy` / `table ip6 kube-proxy` (semantics.md b):
 *
 *   map service-ips        { <ip> . <proto> . <port> : goto service-H8-ns/svc/proto/port | external-… | local-… }
 *   map service-nodeports  { <proto> . <port> : goto external-… }
 *   service-/local- chain: masquerade rule, affinity `ip saddr @affinity-… goto endpoint-…`,
 *                          `numgen random mod N vmap { i : goto endpoint-… }`
 *   endpoint- chain:       hairpin masquerade, `dnat to <ip>:<port>`
 *   external- chain:       Local policy short-circuits pod and local traffic to service-, then local-
 *   map no-endpoint-services / no-endpoint-nodeports: `goto reject-chain` (no endpoints) or `drop` (no local endpoints)
 *
 * Chains are tied to the API by recomputing the `H8-…` base from each Service port
 * (index.byNftBase); endpoint chain names are recomputed from the Service port and the DNAT address.
 */
import type { Evidence, SourceFile } from '../bundle/source-file.js';
import { formatIpAddress } from '../netfilter/ip-cidr.js';
import { joinHostPort, nftEndpointNames, servicePortName } from '../netfilter/kube-proxy-names.js';
import type { NftAtom, NftChain, NftElement, NftRule, NftRuleset, NftStatement, NftTable, NftVerdict } from '../netfilter/nft-types.js';
import {
  frontendKey,
  type FrontendAction,
  type FrontendKind,
  type IpFamily,
  type L4Protocol,
  type ProgrammedEndpoint,
  type ProgrammedFrontend,
  type ProgrammedPolicyChain,
  type ProgrammedServicePort,
  type ReconstructedDataplane,
} from './dataplane-types.js';
import type { ParsedNodeFile } from './node-dataplane.js';
import type { ServicePortIndex } from './service-port-index.js';

const CHAIN_NAME = /^(service|local|external|firewall|endpoint)-([A-Z2-7]{8}-.*)$/;

interface Dispatch {
  endpoints: ProgrammedEndpoint[];
  via: string[];
}

/** The `ip kube-proxy` (or `ip6 kube-proxy`) table of a ruleset, if any. */
export function kubeProxyNftTable(ruleset: NftRuleset, family: IpFamily): NftTable | undefined {
  return ruleset.tables.get(family === 6 ? 'ip6 kube-proxy' : 'ip kube-proxy');
}

export function reconstructNftables(node: string, family: IpFamily, parsed: ParsedNodeFile<NftRuleset>, index: ServicePortIndex): ReconstructedDataplane {
  const table = kubeProxyNftTable(parsed.value, family);
  const reconstruction = new NftReconstruction(parsed.file, table, index);
  reconstruction.run();
  return {
    node,
    mode: 'nftables',
    family,
    files: [parsed.file.path],
    servicePorts: [...reconstruction.servicePorts.values()],
    frontends: reconstruction.frontends,
    servicePortOfFrontend: reconstruction.servicePortOfFrontend,
    masquerade: reconstruction.masquerade,
  };
}

class NftReconstruction {
  readonly servicePorts = new Map<string, ProgrammedServicePort>();
  readonly frontends = new Map<string, ProgrammedFrontend>();
  readonly servicePortOfFrontend = new Map<string, ProgrammedServicePort>();
  readonly masquerade: ReconstructedDataplane['masquerade'] = { postrouting: [], randomFully: false };
  private readonly policyChains = new Map<string, ProgrammedPolicyChain>();
  private readonly dispatches = new Map<string, Dispatch>();

  constructor(
    private readonly file: SourceFile,
    private readonly table: NftTable | undefined,
    private readonly index: ServicePortIndex,
  ) {}

  run(): void {
    const table = this.table;
    if (!table) return;
    for (const element of table.sets.get('service-ips')?.elements ?? []) {
      const key = ipProtoPort(element.key);
      const chain = gotoChain(element.data);
      if (!key || !chain) continue;
      this.addDispatchFrontend(key.ip, key.protocol, key.port, chain, element);
    }
    for (const element of table.sets.get('service-nodeports')?.elements ?? []) {
      const key = protoPort(element.key);
      const chain = gotoChain(element.data);
      if (!key || !chain) continue;
      this.addDispatchFrontend(undefined, key.protocol, key.port, chain, element);
    }
    for (const element of table.sets.get('no-endpoint-services')?.elements ?? []) {
      const key = ipProtoPort(element.key);
      if (key) this.addVerdictFrontend(key.ip, key.protocol, key.port, element);
    }
    for (const element of table.sets.get('no-endpoint-nodeports')?.elements ?? []) {
      const key = protoPort(element.key);
      if (key) this.addVerdictFrontend(undefined, key.protocol, key.port, element);
    }
    for (const frontend of this.frontends.values()) {
      if (frontend.action === 'forward' && frontend.endpoints.length === 0) frontend.action = 'blackhole';
    }
    for (const rule of table.chains.get('mark-for-masquerade')?.rules ?? []) {
      const mark = rule.statements.find((s): s is Extract<NftStatement, { kind: 'mark' }> => s.kind === 'mark');
      if (mark) {
        this.masquerade.mark = mark.update.value;
        this.masquerade.markEvidence = this.evidence(rule);
      }
    }
    for (const rule of table.chains.get('masquerading')?.rules ?? []) {
      this.masquerade.postrouting.push(this.evidence(rule));
      if (rule.statements.some((s) => s.kind === 'masquerade' && s.flags.includes('fully-random'))) this.masquerade.randomFully = true;
    }
  }

  private evidence(rule: NftRule | NftElement | NftChain, note?: string): Evidence {
    return this.file.evidenceAtLine(rule.line, note);
  }

  /** The Service port a chain name belongs to: by its recomputed base, else by the name itself. */
  private servicePortOfChain(chain: string, protocol: L4Protocol): ProgrammedServicePort {
    const base = CHAIN_NAME.exec(chain)?.[2] ?? chain;
    const ref = this.index.byNftBase(base);
    const key = ref ? `${ref.spn}|${ref.protocol}` : `#${base}`;
    let servicePort = this.servicePorts.get(key);
    if (!servicePort) {
      servicePort = { key, protocol: ref?.protocol ?? protocol, hash: base, frontends: [], sourceRanges: [] };
      if (ref) servicePort.ref = ref;
      const spn = ref?.spn ?? spnFromNftBase(base);
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

  private addDispatchFrontend(ip: string | undefined, protocol: L4Protocol, port: number, chain: string, element: NftElement): void {
    const servicePort = this.servicePortOfChain(chain, protocol);
    const dispatch = this.dispatch(chain, servicePort);
    const api = ip !== undefined ? this.index.frontend(ip, protocol, port) : undefined;
    const kind: FrontendKind =
      ip === undefined ? 'node-port' : chain.startsWith('service-') || chain.startsWith('local-') ? 'cluster-ip' : api && api.ref === servicePort.ref ? api.kind : 'external';
    const frontend: ProgrammedFrontend = {
      key: frontendKey(ip, protocol, port),
      kind,
      protocol,
      port,
      action: 'forward',
      endpoints: dispatch.endpoints,
      via: dispatch.via,
      evidence: [this.evidence(element)],
    };
    if (ip !== undefined) frontend.ip = ip;
    this.addFrontend(servicePort, frontend);
  }

  private addVerdictFrontend(ip: string | undefined, protocol: L4Protocol, port: number, element: NftElement): void {
    const data = element.data;
    const verdict: FrontendAction | undefined =
      data && !Array.isArray(data) ? (data.kind === 'drop' ? 'drop' : data.kind === 'reject' || (data.kind === 'goto' && data.chain === 'reject-chain') ? 'reject' : undefined) : undefined;
    if (!verdict) return;
    const reason = verdict === 'reject' ? 'no-endpoints' : 'no-local-endpoints';
    const key = frontendKey(ip, protocol, port);
    const existing = this.frontends.get(key);
    if (existing) {
      if (existing.endpoints.length > 0) existing.conflictingVerdict ??= this.evidence(element);
      else {
        existing.action = verdict;
        existing.reason = reason;
        existing.evidence.push(this.evidence(element));
      }
      return;
    }
    const api = ip !== undefined ? this.index.frontend(ip, protocol, port) : undefined;
    const ref = api?.ref ?? (ip === undefined ? this.index.byNodePort(protocol, port) : undefined) ?? (element.comment ? this.index.bySpn(element.comment, protocol) : undefined);
    const spn = ref?.spn ?? element.comment;
    const servicePortKey = ref ? `${ref.spn}|${ref.protocol}` : `?${spn ?? 'unknown'}|${protocol}`;
    let servicePort = this.servicePorts.get(servicePortKey);
    if (!servicePort) {
      servicePort = { key: servicePortKey, protocol, frontends: [], sourceRanges: [] };
      if (ref) servicePort.ref = ref;
      if (spn !== undefined) servicePort.spn = spn;
      this.servicePorts.set(servicePortKey, servicePort);
    }
    const frontend: ProgrammedFrontend = {
      key,
      kind: ip === undefined ? 'node-port' : (api?.kind ?? 'external'),
      protocol,
      port,
      action: verdict,
      reason,
      endpoints: [],
      via: [ip === undefined ? 'no-endpoint-nodeports' : 'no-endpoint-services'],
      evidence: [this.evidence(element)],
    };
    if (ip !== undefined) frontend.ip = ip;
    this.addFrontend(servicePort, frontend);
  }

  private dispatch(chainName: string, servicePort: ProgrammedServicePort): Dispatch {
    const cached = this.dispatches.get(chainName);
    if (cached) return cached;
    let result: Dispatch;
    if (chainName.startsWith('service-') || chainName.startsWith('local-')) {
      const chain = this.policyChain(chainName, servicePort);
      if (chainName.startsWith('service-')) servicePort.cluster ??= chain;
      else servicePort.local ??= chain;
      result = { endpoints: chain.endpoints, via: [chainName] };
    } else if (chainName.startsWith('external-')) {
      result = this.externalChain(chainName, servicePort);
    } else {
      result = { endpoints: [], via: [chainName] };
    }
    this.dispatches.set(chainName, result);
    return result;
  }

  private externalChain(name: string, servicePort: ProgrammedServicePort): Dispatch {
    const chain = this.table?.chains.get(name);
    let local = false;
    let target: string | undefined;
    const evidence: Evidence[] = [];
    for (const rule of chain?.rules ?? []) {
      const verdict = ruleVerdict(rule);
      if (!verdict || (verdict.kind !== 'goto' && verdict.kind !== 'jump')) continue;
      const next = verdict.chain;
      if (!next.startsWith('service-') && !next.startsWith('local-')) continue;
      const conditional = rule.statements.some((s) => s.kind === 'match');
      if (conditional) {
        local = true;
        this.dispatch(next, servicePort);
      } else {
        target ??= next;
        evidence.push(this.evidence(rule));
      }
    }
    if (target?.startsWith('local-')) local = true;
    servicePort.external = { chain: name, policy: local ? 'Local' : 'Cluster', evidence: chain ? [this.evidence(chain), ...evidence] : evidence };
    if (!target) return { endpoints: [], via: [name] };
    const next = this.dispatch(target, servicePort);
    return { endpoints: next.endpoints, via: [name, ...next.via] };
  }

  private policyChain(name: string, servicePort: ProgrammedServicePort): ProgrammedPolicyChain {
    const cached = this.policyChains.get(name);
    if (cached) return cached;
    const chain = this.table?.chains.get(name);
    const result: ProgrammedPolicyChain = { name, endpoints: [] };
    this.policyChains.set(name, result);
    if (!chain) return result;
    result.evidence = this.evidence(chain);
    for (const rule of chain.rules) {
      const verdict = ruleVerdict(rule);
      if (verdict?.kind === 'jump' && verdict.chain === 'mark-for-masquerade') {
        result.masqueradeEvidence ??= this.evidence(rule);
        continue;
      }
      const affinity = rule.statements.find((s) => s.kind === 'match' && s.right.kind === 'set-ref' && s.right.name.startsWith('affinity-'));
      if (affinity && affinity.kind === 'match' && affinity.right.kind === 'set-ref') {
        const set = this.table?.sets.get(affinity.right.name);
        if (set?.timeoutSeconds !== undefined) result.affinitySeconds ??= set.timeoutSeconds;
        continue;
      }
      const vmap = rule.statements.find((s): s is Extract<NftStatement, { kind: 'vmap' }> => s.kind === 'vmap' && s.key.some((k) => k.numgen !== undefined));
      if (vmap && vmap.map.kind === 'set') {
        const elements = vmap.map.elements;
        for (const element of elements) {
          const target = gotoChain(element.data);
          if (target) this.addEndpoint(result, target, 1 / elements.length, this.evidence(rule), servicePort);
        }
        continue;
      }
      if (verdict && (verdict.kind === 'goto' || verdict.kind === 'jump') && verdict.chain.startsWith('endpoint-') && !rule.statements.some((s) => s.kind === 'match')) {
        this.addEndpoint(result, verdict.chain, 1, this.evidence(rule), servicePort);
      }
    }
    return result;
  }

  private addEndpoint(chain: ProgrammedPolicyChain, endpointChain: string, share: number, evidence: Evidence, servicePort: ProgrammedServicePort): void {
    const rule = this.table?.chains.get(endpointChain)?.rules.find((r) => r.statements.some((s) => s.kind === 'nat' && s.type === 'dnat'));
    const nat = rule?.statements.find((s): s is Extract<NftStatement, { kind: 'nat' }> => s.kind === 'nat' && s.type === 'dnat');
    const to = nat?.to;
    if (!rule || !to?.addressFirst || to.portFirst === undefined) return;
    const ip = formatIpAddress(to.addressFirst);
    const endpoint: ProgrammedEndpoint = { ip, port: to.portFirst, address: joinHostPort(ip, to.portFirst), share, chain: endpointChain, evidence, dnatEvidence: this.evidence(rule) };
    const ref = servicePort.ref;
    if (ref) endpoint.chainNameMatches = nftEndpointNames(ref.service.namespace, ref.service.name, ref.protocol, ref.port.name, ip, to.portFirst).endpoint === endpointChain;
    chain.endpoints.push(endpoint);
  }
}

function ruleVerdict(rule: NftRule): NftVerdict | undefined {
  for (let i = rule.statements.length - 1; i >= 0; i--) {
    const statement = rule.statements[i]!;
    if (statement.kind === 'verdict') return statement.verdict;
  }
  return undefined;
}

function gotoChain(data: NftElement['data']): string | undefined {
  return data && !Array.isArray(data) && (data.kind === 'goto' || data.kind === 'jump') ? data.chain : undefined;
}

function protocolOf(atom: NftAtom | undefined): L4Protocol | undefined {
  if (!atom) return undefined;
  const text = atom.type === 'number' ? { 6: 'tcp', 17: 'udp', 132: 'sctp' }[atom.value] : atom.text;
  return text === 'tcp' || text === 'udp' || text === 'sctp' ? text : undefined;
}

function portOf(atom: NftAtom | undefined): number | undefined {
  return atom?.type === 'number' ? atom.value : undefined;
}

function ipProtoPort(key: NftAtom[]): { ip: string; protocol: L4Protocol; port: number } | undefined {
  const [ipAtom, protoAtom, portAtom] = key;
  if (ipAtom?.type !== 'ip' || (ipAtom.cidr.prefix !== 32 && ipAtom.cidr.prefix !== 128)) return undefined;
  const protocol = protocolOf(protoAtom);
  const port = portOf(portAtom);
  if (!protocol || port === undefined) return undefined;
  const ip = ipAtom.cidr.family === 4 ? formatIpAddress({ family: 4, value: ipAtom.cidr.network }) : formatIpAddress({ family: 6, value: ipAtom.cidr.network });
  return { ip, protocol, port };
}

function protoPort(key: NftAtom[]): { protocol: L4Protocol; port: number } | undefined {
  const protocol = protocolOf(key[0]);
  const port = portOf(key[1]);
  return protocol && port !== undefined ? { protocol, port } : undefined;
}

/** `ns/svc:port` from `H8-ns/svc/proto/port` (the portName part is empty for unnamed ports). */
export function spnFromNftBase(base: string): string | undefined {
  const parts = base.slice(9).split('/');
  if (parts.length < 4 || base.endsWith('...')) return undefined;
  return servicePortName(parts[0]!, parts[1]!, parts.slice(3).join('/'));
}
