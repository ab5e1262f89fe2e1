/**
 * Reads `ipvsadm -Ln` (and the `--persistent-conn` variant):
 *
 *   IP Virtual Server version 1.2.1 (size=4096)
 *   Prot LocalAddress:Port Scheduler Flags
 *     -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
 *   TCP  10.254.0.1:443 rr persistent 10800
 *     -> 172.16.16.81:6443            Masq    1      0          0
 *   UDP  [fd00::a]:53 rr
 *   FWM  100 rr
 *
 * A virtual server followed by no `->` line has no real servers (traffic to it is blackholed).
 * Never throws on data.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseHostPort } from '../cni/host-port.js';
import type { IpAddress } from './ip-cidr.js';
import { IssueSink } from './issue-sink.js';

export interface IpvsDump {
  /** From `IP Virtual Server version 1.2.1 (size=4096)`. */
  version?: string;
  connectionTableSize?: number;
  virtualServers: IpvsVirtualServer[];
}

export interface IpvsVirtualServer {
  line: number;
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'FWM';
  /** Absent for FWM services. */
  address?: IpAddress;
  port?: number;
  /** FWM services match packets carrying this firewall mark. */
  fwmark?: number;
  family: 4 | 6;
  /** `TCP 10.0.0.1:443`, `UDP [fd00::a]:53`, `FWM 100`: one key per virtual server. */
  key: string;
  scheduler: string;
  /** Present for ClientIP session affinity (`persistent 10800`). */
  persistent?: { timeoutSeconds: number; netmask?: string };
  /** Other flags verbatim (`ops`, `pe sip`, scheduler flags). */
  flags: string[];
  realServers: IpvsRealServer[];
}

export interface IpvsRealServer {
  line: number;
  address: IpAddress;
  port: number;
  /** `Masq` (NAT), `Local`, `Tunnel`, `Route` (direct routing); absent in --persistent-conn listings. */
  forward?: string;
  weight?: number;
  activeConnections?: number;
  inactiveConnections?: number;
  persistentConnections?: number;
}

type Layout = 'default' | 'persistent-conn' | 'other';

const numberOrUndefined = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);

export function parseIpvsadm(file: SourceFile): ParseResult<IpvsDump> {
  const sink = new IssueSink(file.path);
  const dump: IpvsDump = { virtualServers: [] };
  let layout: Layout = 'default';
  let current: IpvsVirtualServer | undefined;

  const lines = file.text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    let line = lines[index]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed === '...' || trimmed === '…') {
      sink.add('UNEXPECTED_SHAPE', lineNo, 'elided content ("...") in the listing; virtual servers there are missing', {
        text: line,
        severity: 'warning',
        kind: 'elision',
        what: 'elisions',
      });
      current = undefined;
      continue;
    }
    const version = /^IP Virtual Server version (\S+) \(size=(\d+)\)/.exec(trimmed);
    if (version) {
      dump.version ??= version[1]!;
      dump.connectionTableSize ??= Number(version[2]);
      continue;
    }
    if (trimmed.startsWith('Prot LocalAddress:Port')) {
      const columns = trimmed.split(/\s+/);
      layout = columns[2] === 'Scheduler' ? 'default' : columns.includes('PersistConn') ? 'persistent-conn' : 'other';
      if (layout === 'other') {
        sink.add('UNSUPPORTED_FEATURE', lineNo, 'only `ipvsadm -Ln` and `--persistent-conn` columns are read; counters here are skipped', {
          text: line,
          severity: 'warning',
          kind: 'ipvs-layout',
          what: 'unsupported column layouts',
        });
      }
      continue;
    }
    if (trimmed.startsWith('-> RemoteAddress')) continue;

    const tokens = trimmed.split(/\s+/);
    if (tokens[0] === '->') {
      if (!current) {
        sink.add('BAD_LINE', lineNo, 'real server line without a virtual server above it', { text: line });
        continue;
      }
      const endpoint = parseHostPort(tokens[1] ?? '', { bareIpv6: true });
      if (!endpoint) {
        sink.add('BAD_LINE', lineNo, `"${tokens[1] ?? ''}" is not address:port`, { text: line });
        continue;
      }
      const real: IpvsRealServer = { line: lineNo, address: endpoint.address, port: endpoint.port };
      if (layout === 'default') {
        if (tokens[2] !== undefined) real.forward = tokens[2];
        setNumber(real, 'weight', tokens[3]);
        setNumber(real, 'activeConnections', tokens[4]);
        setNumber(real, 'inactiveConnections', tokens[5]);
      } else if (layout === 'persistent-conn') {
        setNumber(real, 'weight', tokens[2]);
        setNumber(real, 'persistentConnections', tokens[3]);
        setNumber(real, 'activeConnections', tokens[4]);
        setNumber(real, 'inactiveConnections', tokens[5]);
      }
      current.realServers.push(real);
      continue;
    }

    const service = parseVirtualServer(tokens, lineNo);
    if (!service) {
      sink.add('BAD_LINE', lineNo, 'not an ipvsadm -Ln line', { text: line });
      current = undefined;
      continue;
    }
    dump.virtualServers.push(service);
    current = service;
  }
  return { value: dump, issues: sink.finish() };
}

function setNumber(real: IpvsRealServer, key: 'weight' | 'activeConnections' | 'inactiveConnections' | 'persistentConnections', text: string | undefined): void {
  const n = numberOrUndefined(text);
  if (n !== undefined) real[key] = n;
}

function parseVirtualServer(tokens: string[], lineNo: number): IpvsVirtualServer | undefined {
  const protocol = tokens[0];
  let rest: string[];
  let service: IpvsVirtualServer;
  if (protocol === 'FWM') {
    const fwmark = numberOrUndefined(tokens[1]);
    if (fwmark === undefined) return undefined;
    const ipv6 = tokens[2] === 'IPv6';
    rest = tokens.slice(ipv6 ? 3 : 2);
    service = { line: lineNo, protocol, fwmark, family: ipv6 ? 6 : 4, key: `FWM ${fwmark}${ipv6 ? ' IPv6' : ''}`, scheduler: '', flags: [], realServers: [] };
  } else if (protocol === 'TCP' || protocol === 'UDP' || protocol === 'SCTP') {
    const endpoint = parseHostPort(tokens[1] ?? '', { bareIpv6: true });
    if (!endpoint) return undefined;
    rest = tokens.slice(2);
    service = {
      line: lineNo,
      protocol,
      address: endpoint.address,
      port: endpoint.port,
      family: endpoint.address.family,
      key: `${protocol} ${tokens[1]}`,
      scheduler: '',
      flags: [],
      realServers: [],
    };
  } else {
    return undefined;
  }
  if (rest[0] === undefined) return undefined;
  service.scheduler = rest[0];
  for (let i = 1; i < rest.length; i++) {
    if (rest[i] === 'persistent' && numberOrUndefined(rest[i + 1]) !== undefined) {
      service.persistent = { timeoutSeconds: Number(rest[++i]) };
    } else if (rest[i] === 'mask' && service.persistent && rest[i + 1] !== undefined) {
      service.persistent.netmask = rest[++i]!;
    } else {
      service.flags.push(rest[i]!);
    }
  }
  return service;
}
