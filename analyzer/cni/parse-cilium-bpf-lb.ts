/**
 * `cilium bpf lb list` / `cilium-dbg bpf lb list` (bundle: `nodes/<node>/cilium/bpf-lb.txt`): the
 * BPF load-balancer map, one service per frontend with its backends on the following lines.
 * Each service has a "master" entry, backend `0.0.0.0:0` (`[::]:0`), carrying the service's
 * flags; a service whose only entry is the master has no backends in the datapath.
 *
 * 1.16+ (`(REVNAT_ID) (SLOT)`, slot 0 is the master):
 *
 *   SERVICE ADDRESS     BACKEND ADDRESS (REVNAT_ID) (SLOT)
 *   10.96.0.1:443       172.18.0.3:6443 (1) (1)
 *                       0.0.0.0:0 (1) (0) [ClusterIP, non-routable]
 *   172.18.0.2:32646    0.0.0.0:0 (33) (0) [NodePort, l7-load-balancer] (L7LB Proxy Port: 15735)
 *
 * 1.7–1.15 (`(REVNAT)` only, the master flagged with the service type):
 *
 *   100.72.178.101:80     100.64.5.159:8000 (14)
 *                         0.0.0.0:0 (14) [ClusterIP]
 *
 * and before 1.7 without flags (`0.0.0.0:0 (6)`). IPv6 frontends print `[fd00::10]:53`.
 *
 * 1.18+ prints every slot on its own line, the frontend with its protocol, its scope (`/i`: the
 * internal twin of a service with a Local traffic policy) and the slot, and the backend with its
 * protocol; lines of one frontend are gathered into one service:
 *
 *   10.96.15.6:80/TCP (0)       0.0.0.0:0 (7) (0) [ClusterIP, Local, non-routable]
 *   10.96.15.6:80/TCP (1)       10.0.0.58:8080/TCP (7) (1)
 *   10.244.255.0:80/TCP/i (1)   10.0.0.58:8080/TCP (9) (1)
 *
 * A slot whose backend is gone from the backend map prints `backend 12 not found`.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import type { IpAddress } from '../netfilter/ip-cidr.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { parseHostPort } from './host-port.js';

export interface CiliumLbBackend {
  /** As printed: `172.18.0.3:6443`. */
  text: string;
  address: IpAddress;
  port: number;
  protocol?: string;
  revNat?: number;
  slot?: number;
  line: number;
}

export interface CiliumLbService {
  /** As printed, without the slot: `10.96.0.1:443`, `[fd00::10]:53/UDP`, `10.244.255.0:80/TCP/i`. */
  frontend: string;
  address: IpAddress;
  port: number;
  protocol?: string;
  /** `/i`: the internal-scope twin of a service with a Local traffic policy. */
  internalScope: boolean;
  revNat?: number;
  /** Service types from the master entry: `ClusterIP`, `NodePort`, `ExternalIPs`, `LoadBalancer`, `HostPort`, `LocalRedirect`. */
  types: string[];
  /** The master entry's other flags: `non-routable`, `InternalLocal`, `Local`, `l7-load-balancer`, `two-scopes`, ... */
  flags: string[];
  l7ProxyPort?: number;
  /** Real backends (the master entry is not one). */
  backends: CiliumLbBackend[];
  /** Slots naming a backend id the backend map does not hold (`backend 12 not found`). */
  missingBackends: { id: number; line: number }[];
  /** Line of the master entry, when listed. */
  masterLine?: number;
  /** Line of the frontend. */
  line: number;
}

export interface CiliumLbMap {
  file: string;
  services: CiliumLbService[];
}

const SERVICE_TYPES = new Set(['ClusterIP', 'NodePort', 'ExternalIPs', 'LoadBalancer', 'HostPort', 'LocalRedirect']);
/** `<backend> (<revnat>) [(<slot>)] [flags] [(L7LB Proxy Port: N)]` */
const BACKEND = /^(\S+)\s+\((\d+)\)(?:\s+\((\d+)\))?(.*)$/;
/** `<frontend> [(<slot>)] <rest>`: the slot follows the frontend in 1.18+. */
const FRONTEND = /^(\S+)(?:\s+\(\d+\))?(?:\s+(.*))?$/;

export function parseCiliumBpfLb(file: SourceFile): ParseResult<CiliumLbMap> {
  const sink = new IssueSink(file.path);
  const services: CiliumLbService[] = [];
  const byFrontend = new Map<string, CiliumLbService>();
  let current: CiliumLbService | undefined;
  /** Under which header the lines are: none yet, this command's, or another table (skipped). */
  let table: 'none' | 'lb' | 'other' = 'none';
  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (/^SERVICE ADDRESS\s+BACKEND ADDRESS/.test(text)) {
      table = 'lb';
      current = undefined;
      continue;
    }
    if (/^ID\s+Frontend\s+Service Type\s+Backend/.test(text)) {
      sink.add('UNEXPECTED_SHAPE', line, 'this is `cilium service list`, not `cilium bpf lb list`; its services are not read', { text: raw });
      table = 'other';
      current = undefined;
      continue;
    }
    if (table === 'other') continue;
    if (table === 'none') {
      sink.add('BAD_LINE', line, 'not a line of `cilium bpf lb list` (no SERVICE ADDRESS header above it)', { text: raw });
      continue;
    }
    let rest = text;
    if (!/^\s/.test(raw)) {
      const frontendMatch = FRONTEND.exec(text);
      const frontendText = frontendMatch?.[1] ?? text.split(/\s/, 1)[0]!;
      const frontend = frontendMatch ? readAddress(frontendText) : undefined;
      if (!frontendMatch || !frontend) {
        sink.add('BAD_LINE', line, `"${frontendText}" is not a service address (address:port)`, { text: raw });
        current = undefined;
        continue;
      }
      current = byFrontend.get(frontendText);
      if (!current) {
        current = { frontend: frontendText, address: frontend.address, port: frontend.port, internalScope: frontend.internal, types: [], flags: [], backends: [], missingBackends: [], line };
        if (frontend.protocol !== undefined) current.protocol = frontend.protocol;
        byFrontend.set(frontendText, current);
        services.push(current);
      }
      rest = (frontendMatch[2] ?? '').trim();
      if (rest === '') {
        sink.add('BAD_LINE', line, `service ${frontendText} has no backend entry on its line (truncated?)`, { text: raw, severity: 'warning' });
        continue;
      }
    } else if (!current) {
      sink.add('BAD_LINE', line, 'backend line without a service above it', { text: raw });
      continue;
    }
    const notFound = /^backend (\d+) not found$/.exec(rest);
    if (notFound) {
      current.missingBackends.push({ id: Number(notFound[1]), line });
      continue;
    }
    const entry = BACKEND.exec(rest);
    const backendAddress = entry ? readAddress(entry[1]!) : undefined;
    if (!entry || !backendAddress) {
      sink.add('BAD_LINE', line, 'expected "<backend address:port> (<revnat id>) [(<slot>)] [flags]"', { text: raw });
      continue;
    }
    const revNat = Number(entry[2]);
    const slot = entry[3] === undefined ? undefined : Number(entry[3]);
    const isMaster = slot === 0 || (backendAddress.port === 0 && isZero(backendAddress.address));
    if (isMaster) {
      current.revNat = revNat;
      current.masterLine = line;
      readFlags(entry[4] ?? '', current);
      continue;
    }
    current.revNat ??= revNat;
    const backend: CiliumLbBackend = { text: entry[1]!, address: backendAddress.address, port: backendAddress.port, revNat, line };
    if (backendAddress.protocol !== undefined) backend.protocol = backendAddress.protocol;
    if (slot !== undefined) backend.slot = slot;
    current.backends.push(backend);
  }
  return { value: { file: file.path, services }, issues: sink.finish() };
}

/** `10.0.0.1:80`, `[fd00::1]:80`, either with optional `/TCP` and `/i` (internal scope) suffixes. */
function readAddress(text: string): { address: IpAddress; port: number; protocol?: string; internal: boolean } | undefined {
  // An IPv6 address sits in brackets, so every '/' after the port starts a suffix.
  const close = text.lastIndexOf(']');
  const slash = text.indexOf('/', close === -1 ? 0 : close);
  const hostPort = slash === -1 ? text : text.slice(0, slash);
  const suffixes = slash === -1 ? [] : text.slice(slash + 1).split('/');
  const parsed = parseHostPort(hostPort);
  if (!parsed) return undefined;
  let protocol: string | undefined;
  let internal = false;
  for (const suffix of suffixes) {
    if (suffix === 'i') internal = true;
    else if (/^[A-Za-z]+$/.test(suffix) && protocol === undefined) protocol = suffix;
    else return undefined;
  }
  return protocol === undefined ? { ...parsed, internal } : { ...parsed, protocol, internal };
}

function isZero(address: IpAddress): boolean {
  return address.family === 4 ? address.value === 0 : address.value === 0n;
}

function readFlags(text: string, service: CiliumLbService): void {
  const proxyPort = /\(L7LB Proxy Port: (\d+)\)/.exec(text);
  if (proxyPort) service.l7ProxyPort = Number(proxyPort[1]);
  const bracket = /\[([^\]]*)\]/.exec(text);
  if (!bracket) return;
  for (const flag of bracket[1]!.split(',')) {
    const name = flag.trim();
    if (name === '') continue;
    if (SERVICE_TYPES.has(name)) service.types.push(name);
    else service.flags.push(name);
  }
}
