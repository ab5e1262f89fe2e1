/**
 * The vocabulary of the resolver simulation (simulate-resolver.ts): the queries a stub
 * resolver sends, the answerer that replies to them (a CoreDNS simulation, a test table, a
 * captured log), and what the lookup comes to.
 */

export type QueryType = 'A' | 'AAAA';
export type Transport = 'udp' | 'tcp';
/** getaddrinfo's family: AF_UNSPEC asks for A and AAAA. */
export type AddressFamily = 'unspec' | 'inet' | 'inet6';
export type Libc = 'glibc' | 'musl';

/**
 * What became of one query. Besides the DNS rcodes: TIMEOUT (no reply ever arrives: dropped,
 * blackholed, lost in a conntrack race) and UNREACHABLE (an ICMP port unreachable or a TCP
 * reset comes back at once: nothing listens there, or kube-proxy REJECTs a Service without
 * endpoints).
 */
export type ReplyCode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'TIMEOUT' | 'UNREACHABLE';

export interface DnsRecord {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | string;
  /** Address for A/AAAA, target for CNAME. */
  data: string;
  ttl?: number;
}

export interface DnsQuery {
  /** Absolute name, with its trailing dot, in the case the resolver sent it. */
  name: string;
  type: QueryType;
  nameserver: string;
  transport: Transport;
  /** Milliseconds since the lookup started. */
  atMs: number;
  /** Queries with the same socket number leave from the same source port. */
  socket: number;
  /**
   * UDP: another query is outstanding on the same socket when this one leaves (glibc's
   * parallel A/AAAA, musl's fan-out): the situation of the conntrack insert race.
   */
  concurrent: boolean;
  /** How many times this name and type were sent before in this lookup (0 the first time). */
  attempt: number;
}

export interface DnsReply {
  rcode: ReplyCode;
  /** Answer records (NOERROR with none is NODATA). */
  answers?: DnsRecord[];
  /** TC bit: the UDP answer did not fit; glibc retries over TCP. */
  truncated?: boolean;
  /** When the reply arrives after the query left; default 0. */
  latencyMs?: number;
  /** Who answered and why, for the explanation (filled by the answerer). */
  explanation?: string;
}

/** Replies to one query. Called once per query sent, retries included, in sending order. */
export type Answerer = (query: DnsQuery) => DnsReply;

export interface SimulatedQuery extends DnsQuery {
  /** Position in the sequence, from 0. */
  index: number;
  reply: DnsReply;
  /** When the reply arrives; absent for TIMEOUT. */
  repliedAtMs?: number;
  /** Why the resolver sent it: `search domain 1 of 3`, `as-is`, `retry`... */
  reason: string;
}

/** getaddrinfo's error codes. */
export type GaiError = 'EAI_NONAME' | 'EAI_NODATA' | 'EAI_AGAIN' | 'EAI_FAIL';

export type LookupOutcome =
  | {
      status: 'resolved';
      /** The name that answered (search domain appended), absolute. */
      answeredName: string;
      addresses: string[];
      /** Last CNAME target, when the answer went through CNAMEs. */
      canonicalName?: string;
    }
  | {
      status: 'failed';
      error: GaiError;
      /** glibc's h_errno, for glibc lookups. */
      hErrno?: 'HOST_NOT_FOUND' | 'NO_DATA' | 'TRY_AGAIN' | 'NO_RECOVERY';
      reason: string;
    }
  /** getaddrinfo never returns: the process dies (musl with `options attempts:0`: SIGFPE). */
  | { status: 'crashed'; signal: 'SIGFPE'; reason: string };

export interface ResolverSimulation {
  libc: Libc;
  name: string;
  family: AddressFamily;
  /** Every query sent, in order. */
  queries: SimulatedQuery[];
  outcome: LookupOutcome;
  /** Time until getaddrinfo returns, every timeout waited out in full. */
  worstCaseMs: number;
  /** The resolver's decisions, in order, in words. */
  trace: string[];
}

/**
 * The queries each nameserver received, as a captured query log shows them: `name type` per
 * query, names lower-cased and absolute. For comparison with a real resolver's traffic.
 */
export function queriesByNameserver(simulation: ResolverSimulation): Map<string, string[]> {
  const log = new Map<string, string[]>();
  for (const query of simulation.queries) {
    if (query.reply.rcode === 'UNREACHABLE') continue; // never reached a server
    let list = log.get(query.nameserver);
    if (!list) log.set(query.nameserver, (list = []));
    list.push(`${query.name.toLowerCase()} ${query.type}`);
  }
  return log;
}

/** `api.example.com` and `api.example.com.` both give `api.example.com.`. */
export function absoluteName(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** Addresses and the last CNAME target in a set of answer records. */
export function addressesIn(records: readonly DnsRecord[]): { addresses: string[]; canonicalName?: string } {
  const addresses: string[] = [];
  let canonicalName: string | undefined;
  for (const record of records) {
    if (record.type === 'A' || record.type === 'AAAA') addresses.push(record.data);
    else if (record.type === 'CNAME') canonicalName = record.data;
  }
  return canonicalName === undefined ? { addresses } : { addresses, canonicalName };
}
