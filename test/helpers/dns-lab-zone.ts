/**
 * The records of the DNS lab (dns-lab.ts) as one table, read two ways: as dnsmasq
 * configuration lines for the real servers, and as an Answerer for netdump's resolver
 * simulation. Both sides must answer every query alike, so the table follows what dnsmasq 2.90
 * answers (checked against it: `local=/#/`, `--no-hosts`, `--no-resolv`):
 *
 *   - a name with host-record lines: its A / AAAA records; NOERROR without records (NODATA)
 *     for a type it has none of;
 *   - a CNAME (`cname=alias,target`): the CNAME chain, then the target's records of the type;
 *     the CNAMEs alone when the target has none of that type;
 *   - a name with only a TXT record: NODATA for A and AAAA;
 *   - every ancestor of a configured name (`svc.cluster.local`, `local`, `com`): NODATA, an
 *     empty non-terminal;
 *   - everything else: NXDOMAIN.
 */
import type { Answerer, DnsRecord, DnsReply } from '../../analyzer/dns/resolver-simulation.js';

export interface HostRecords {
  A: string[];
  AAAA: string[];
}

export interface ZoneTable {
  /** Absolute lower-case name → its addresses. */
  hosts: Map<string, HostRecords>;
  /** Absolute lower-case alias → absolute lower-case target (itself a host or an alias). */
  cnames: Map<string, string>;
  /** Absolute lower-case names that exist with a TXT record only. */
  txtOnly: Set<string>;
}

export function emptyZone(): ZoneTable {
  return { hosts: new Map(), cnames: new Map(), txtOnly: new Set() };
}

const absolute = (name: string): string => (name.endsWith('.') ? name : `${name}.`).toLowerCase();
const bare = (name: string): string => name.replace(/\.$/, '');

/** Every configured name and its ancestors (empty non-terminals), absolute. */
export function existingNames(zone: ZoneTable): Set<string> {
  const names = new Set<string>();
  for (const name of [...zone.hosts.keys(), ...zone.cnames.keys(), ...zone.txtOnly]) {
    const labels = bare(name).split('.');
    for (let i = 0; i < labels.length; i++) names.add(`${labels.slice(i).join('.')}.`);
  }
  return names;
}

/** The reply dnsmasq gives for one query, from the table. */
export function zoneReply(zone: ZoneTable, name: string, type: 'A' | 'AAAA', existing = existingNames(zone)): DnsReply {
  let key = absolute(name);
  const answers: DnsRecord[] = [];
  for (let hops = 0; zone.cnames.has(key) && hops < 16; hops++) {
    const target = zone.cnames.get(key)!;
    answers.push({ name: key, type: 'CNAME', data: target });
    key = target;
  }
  const host = zone.hosts.get(key);
  if (host) for (const data of host[type]) answers.push({ name: key, type, data });
  if (answers.length > 0 || existing.has(key)) return { rcode: 'NOERROR', answers };
  return { rcode: 'NXDOMAIN' };
}

/** An Answerer that replies from the table, whatever the nameserver. */
export function zoneAnswerer(zone: ZoneTable): Answerer {
  const existing = existingNames(zone);
  return (query) => zoneReply(zone, query.name, query.type, existing);
}

/**
 * dnsmasq configuration lines for the table. One host-record line per address pair: dnsmasq
 * adds up repeated lines of one name.
 */
export function dnsmasqRecordLines(zone: ZoneTable): string[] {
  const lines: string[] = [];
  for (const [name, records] of zone.hosts) {
    const count = Math.max(records.A.length, records.AAAA.length);
    for (let i = 0; i < count; i++) {
      const addresses = [records.A[i], records.AAAA[i]].filter((a) => a !== undefined);
      lines.push(`host-record=${bare(name)},${addresses.join(',')}`);
    }
  }
  for (const [alias, target] of zone.cnames) lines.push(`cname=${bare(alias)},${bare(target)}`);
  for (const name of zone.txtOnly) lines.push(`txt-record=${bare(name)},"netdump lab"`);
  return lines;
}
