/**
 * glibc's getaddrinfo → nss_dns → res_search path, step by step as the C code does it. The
 * rules and where they were read are listed in simulate-resolver.ts; the function names in
 * comments are glibc's (resolv/res_query.c, resolv/res_send.c).
 */
import { QueryRecorder } from './query-recorder.js';
import type { ResolverConfig } from './resolver-config.js';
import {
  absoluteName,
  addressesIn,
  type AddressFamily,
  type Answerer,
  type LookupOutcome,
  type QueryType,
  type ResolverSimulation,
  type SimulatedQuery,
} from './resolver-simulation.js';

/**
 * glibc's TCP path (send_vc) sets no timeout of its own: a server that never answers the
 * connection costs the kernel's connect timeout, 127 s with net.ipv4.tcp_syn_retries = 6.
 */
export const TCP_CONNECT_TIMEOUT_MS = 127_000;

type HErrno = 'HOST_NOT_FOUND' | 'NO_DATA' | 'TRY_AGAIN' | 'NO_RECOVERY';
type Errno = 'ECONNREFUSED' | 'ETIMEDOUT';

/** A reply that reached the resolver, with the query it answers. */
type Received = SimulatedQuery;

/** What one exchange with one server (send_dg / send_vc) returns to __res_context_send. */
type Exchange =
  | { kind: 'next-server'; reached: boolean; errno: Errno }
  | { kind: 'use-tcp' }
  | { kind: 'answered'; first: Received; firstUsable: boolean; second?: Received };

type SendResult = { kind: 'failed'; errno: Errno } | Extract<Exchange, { kind: 'answered' }>;

/** A positive answer: the name and the replies glibc parses addresses from (one or both buffers). */
type QueryResult = { ok: true; name: string; replies: Received[] } | { ok: false; hErrno: HErrno; errno?: Errno };

export interface GlibcLookupOptions {
  family: AddressFamily;
  /** First nameserver index under `options rotate` (glibc starts at a random one). */
  rotateOffset: number;
}

/**
 * Whether ns_name_pton can encode the name: no empty label (one trailing dot allowed, `.` is
 * the root), labels of at most 63 octets, at most 255 octets in wire form. Backslash escapes
 * are not interpreted.
 */
export function encodableName(name: string): boolean {
  if (name === '.') return true;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare === '') return false;
  let wire = 1;
  for (const label of bare.split('.')) {
    const octets = Buffer.byteLength(label);
    if (octets === 0 || octets > 63) return false;
    wire += octets + 1;
  }
  return wire <= 255;
}

/**
 * res_hnok (resolv/res-name-checking.c), which nss_dns applies before any query: printable
 * ASCII, encodable, labels of [0-9A-Za-z_-] only, not starting with `-`.
 */
export function isHostName(name: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(name) || !encodableName(name)) return false;
  return !name.startsWith('-') && /^[0-9A-Za-z_.-]+$/.test(name);
}

export function glibcLookup(name: string, config: ResolverConfig, answerer: Answerer, options: GlibcLookupOptions): ResolverSimulation {
  return new GlibcLookup(name, config, answerer, options).run();
}

class GlibcLookup {
  private readonly recorder: QueryRecorder;
  private readonly trace: string[] = [];
  private now = 0;
  /** RES_SNGLKUP / RES_SNGLKUPREOP: set by options, and by glibc itself after a lost reply. */
  private singleRequest: boolean;
  private singleRequestReopen: boolean;
  private sendCalls = 0;
  /** rcode of the reply in the first answer buffer (res_search reads it after a failure). */
  private firstBufferRcode = 'NOERROR';
  /**
   * The UDP socket open to each server: kept across rounds after a timeout (glibc does not
   * close it then), closed after an error, and all closed when a send ends.
   */
  private readonly sockets = new Map<number, number>();

  constructor(
    private readonly name: string,
    private readonly config: ResolverConfig,
    answerer: Answerer,
    private readonly options: GlibcLookupOptions,
  ) {
    this.recorder = new QueryRecorder(answerer);
    this.singleRequest = config.options.singleRequest;
    this.singleRequestReopen = config.options.singleRequestReopen;
  }

  run(): ResolverSimulation {
    const outcome = this.search();
    return {
      libc: 'glibc',
      name: this.name,
      family: this.options.family,
      queries: this.recorder.queries,
      outcome,
      worstCaseMs: this.now,
      trace: this.trace,
    };
  }

  private get types(): QueryType[] {
    if (this.options.family === 'inet') return ['A'];
    if (this.options.family === 'inet6') return ['AAAA'];
    return this.config.options.noAaaa ? ['A'] : ['A', 'AAAA'];
  }

  /** __res_context_search. */
  private search(): LookupOutcome {
    const { ndots, noTldQuery } = this.config.options;
    const name = this.name;
    const dots = [...name].filter((c) => c === '.').length;
    const trailingDot = name.endsWith('.');
    let savedHErrno: HErrno | undefined;
    let triedAsIs = false;
    let searched = false;
    let rootOnList = false;
    let gotNoData = false;
    let gotServfail = false;
    let lastHErrno: HErrno = 'HOST_NOT_FOUND';

    // nss_dns check_name (glibc ≥ 2.34): a name that is no host name is not looked up at all.
    if (!isHostName(name)) {
      this.trace.push(`${name} is not a valid host name (res_hnok): glibc sends no query`);
      return this.failed('HOST_NOT_FOUND', `${name} is not a valid host name`);
    }

    if (dots >= ndots || trailingDot) {
      this.trace.push(
        trailingDot
          ? `${name} ends with a dot: absolute, queried as-is only`
          : `${name} has ${dots} dot(s) ≥ ndots ${ndots}: queried as-is first`,
      );
      const asIs = this.queryDomain(name, 'as-is');
      if (asIs.ok) return this.resolved(asIs);
      if (trailingDot) return this.failed(asIs.hErrno, 'the absolute name did not resolve');
      savedHErrno = asIs.hErrno;
      triedAsIs = true;
      this.trace.push(`as-is lookup failed (${asIs.hErrno}): trying the search list`);
    } else {
      this.trace.push(`${name} has ${dots} dot(s) < ndots ${ndots}: search list first`);
    }

    const search = this.config.search;
    for (let i = 0; i < search.length; i++) {
      searched = true;
      let domain = search[i]!;
      if (domain.startsWith('.')) domain = domain.slice(1);
      if (domain === '') rootOnList = true;
      const full = domain === '' ? `${name}.` : `${name}.${domain}`;
      const result = this.queryDomain(full, `search domain ${i + 1} of ${search.length}`);
      if (result.ok) return this.resolved(result);
      lastHErrno = result.hErrno;
      if (result.errno === 'ECONNREFUSED') {
        this.trace.push('no nameserver could be reached (connection refused): lookup abandoned');
        return this.failed('TRY_AGAIN', 'no nameserver reachable');
      }
      if (result.hErrno === 'NO_DATA') gotNoData = true;
      else if (result.hErrno === 'TRY_AGAIN' && this.firstBufferRcode === 'SERVFAIL') gotServfail = true;
      else if (result.hErrno !== 'HOST_NOT_FOUND') {
        this.trace.push(`${absoluteName(full)}: ${result.hErrno}: glibc stops walking the search list`);
        break;
      }
    }

    const asIsAllowed = dots > 0 || !searched || !noTldQuery;
    if (asIsAllowed && !(triedAsIs || rootOnList)) {
      if (searched) this.trace.push('search list exhausted: trying the name as-is');
      const asIs = this.queryDomain(name, 'as-is');
      if (asIs.ok) return this.resolved(asIs);
      lastHErrno = asIs.hErrno;
    }

    const hErrno = savedHErrno ?? (gotNoData ? 'NO_DATA' : gotServfail ? 'TRY_AGAIN' : lastHErrno);
    return this.failed(hErrno, 'no candidate name resolved');
  }

  /** __res_context_querydomain + __res_context_query: one name, A and/or AAAA. */
  private queryDomain(fullName: string, reason: string): QueryResult {
    this.firstBufferRcode = 'NOERROR';
    if (!encodableName(fullName)) {
      // res_nmkquery fails (ns_name_pton): NO_RECOVERY, which ends the search-list walk.
      this.trace.push(`${fullName}: not a valid DNS name (empty label, label over 63 or name over 255 octets): no query`);
      return { ok: false, hErrno: 'NO_RECOVERY' };
    }
    const sent = this.send(absoluteName(fullName), reason);
    if (sent.kind === 'failed') {
      this.trace.push(`${absoluteName(fullName)}: no usable reply (${sent.errno})`);
      return { ok: false, hErrno: 'TRY_AGAIN', errno: sent.errno };
    }
    let hp = sent.first;
    const hp2 = sent.second ?? hp;
    if (!sent.firstUsable && sent.second) hp = sent.second;
    const positive = (r: Received) => r.reply.rcode === 'NOERROR' && (r.reply.answers?.length ?? 0) > 0;
    if (positive(hp) || positive(hp2)) {
      return { ok: true, name: absoluteName(fullName), replies: [...new Set([hp, hp2])].filter(positive) };
    }
    const rcode = hp.reply.rcode === 'NOERROR' ? hp2.reply.rcode : hp.reply.rcode;
    const hErrno: HErrno =
      rcode === 'NXDOMAIN' ? 'HOST_NOT_FOUND' : rcode === 'SERVFAIL' ? 'TRY_AGAIN' : rcode === 'NOERROR' ? 'NO_DATA' : 'NO_RECOVERY';
    this.trace.push(`${absoluteName(fullName)}: ${rcode === 'NOERROR' ? 'NODATA' : rcode}`);
    return { ok: false, hErrno };
  }

  /** __res_context_send: rounds over the nameservers. */
  private send(name: string, reason: string): SendResult {
    const servers = this.config.nameservers;
    const count = servers.length;
    const { attempts, rotate, useVc } = this.config.options;
    const offset = rotate && count > 1 ? (this.options.rotateOffset + this.sendCalls) % count : 0;
    this.sendCalls++;
    this.sockets.clear();
    let useTcp = useVc;
    let reached = false;
    let tcpErrno: Errno = 'ETIMEDOUT';

    for (let round = 0; round < attempts; round++) {
      for (let shift = 0; shift < count; shift++) {
        const ns = (shift + offset) % count;
        const why = round === 0 ? reason : `${reason}, attempt ${round + 1}`;
        for (;;) {
          const exchange = useTcp ? this.exchangeTcp(ns, name, why) : this.exchangeUdp(ns, name, why);
          if (useTcp) round = attempts; // TCP: one attempt per server
          if (exchange.kind === 'use-tcp') {
            this.trace.push(`${name}: truncated reply from ${servers[ns]}: retrying over TCP`);
            useTcp = true;
            continue;
          }
          if (exchange.kind === 'answered') return exchange;
          reached ||= exchange.reached;
          if (useTcp) tcpErrno = exchange.errno;
          break;
        }
      }
    }
    return { kind: 'failed', errno: useTcp ? tcpErrno : reached ? 'ETIMEDOUT' : 'ECONNREFUSED' };
  }

  /** The timeout glibc gives server `ns` (send_dg): timeout << ns, divided by the server count past the first. */
  private secondsFor(ns: number): number {
    const count = this.config.nameservers.length;
    let seconds = this.config.options.timeout * 2 ** ns;
    if (ns > 0) seconds = Math.floor(seconds / count);
    return Math.max(1, seconds);
  }

  /** send_dg: A and AAAA to one server over UDP, in parallel or one after the other. */
  private exchangeUdp(ns: number, name: string, reason: string): Exchange {
    const server = this.config.nameservers[ns]!;
    const types = this.types;
    const budget = this.secondsFor(ns) * 1000;
    let socket = this.sockets.get(ns) ?? this.reopenSocket(ns);
    let why = reason;

    for (;;) {
      const deadline = this.now + budget;
      let reached = false;
      const serial = (this.singleRequest || this.singleRequestReopen) && types.length === 2;

      if (!serial) {
        const sentAt = this.now;
        const sent = types.map((type, i) =>
          this.recorder.send({ name, type, nameserver: server, transport: 'udp', atMs: sentAt, socket, concurrent: i > 0 }, why),
        );
        const arrivals = sent
          .filter((q) => q.repliedAtMs !== undefined && q.repliedAtMs < deadline)
          .sort((a, b) => a.repliedAtMs! - b.repliedAtMs! || a.index - b.index);
        let first: Received | undefined;
        let firstUsable = false;
        let second: Received | undefined;
        for (const reply of arrivals) {
          this.now = reply.repliedAtMs!;
          const rcode = reply.reply.rcode;
          if (rcode === 'UNREACHABLE') return this.unreachable(ns, reached);
          reached = true;
          if (rcode === 'SERVFAIL' || rcode === 'REFUSED') {
            if (first) {
              // The other reply is kept; this one is dropped.
              return firstUsable ? { kind: 'answered', first, firstUsable } : this.nextServer(ns, name, rcode);
            }
            first = reply;
            this.firstBufferRcode = rcode;
            if (sent.length === 1) return this.nextServer(ns, name, rcode);
            continue;
          }
          if (reply.reply.truncated) return { kind: 'use-tcp' };
          if (!first) {
            first = reply;
            firstUsable = true;
            this.firstBufferRcode = rcode;
          } else {
            second = reply;
          }
          if (sent.length === 1 || second) return second ? { kind: 'answered', first, firstUsable, second } : { kind: 'answered', first, firstUsable };
        }
        this.now = deadline;
        if (first && firstUsable && types.length === 2) {
          const fallback = this.fallBackToSerial(server, name);
          if (fallback === 'retry') {
            why = `${reason}, resent one at a time`;
            continue;
          }
          if (fallback === 'reopen') {
            socket = this.reopenSocket(ns);
            why = `${reason}, resent one at a time from new sockets`;
            continue;
          }
          return { kind: 'answered', first, firstUsable };
        }
        this.trace.push(`${name}: no reply from ${server} within ${budget / 1000} s`);
        return { kind: 'next-server', reached: true, errno: 'ETIMEDOUT' };
      }

      // One query at a time (single-request / single-request-reopen).
      const q1 = this.recorder.send({ name, type: types[0]!, nameserver: server, transport: 'udp', atMs: this.now, socket, concurrent: false }, why);
      if (q1.repliedAtMs === undefined || q1.repliedAtMs >= deadline) {
        this.now = deadline;
        this.trace.push(`${name} ${types[0]}: no reply from ${server} within ${budget / 1000} s`);
        return { kind: 'next-server', reached: true, errno: 'ETIMEDOUT' };
      }
      this.now = q1.repliedAtMs;
      const rcode1 = q1.reply.rcode;
      if (rcode1 === 'UNREACHABLE') return this.unreachable(ns, reached);
      reached = true;
      if (rcode1 === 'SERVFAIL' || rcode1 === 'REFUSED') {
        // glibc marks the first reply received and waits for a second one, but the second
        // query is only sent after a good first reply: the wait runs to the deadline.
        this.firstBufferRcode = rcode1;
        this.now = deadline;
        this.trace.push(`${name} ${types[0]}: ${rcode1} from ${server}; in single-request mode glibc then waits out the ${budget / 1000} s timeout`);
        return { kind: 'next-server', reached: true, errno: 'ETIMEDOUT' };
      }
      if (q1.reply.truncated) return { kind: 'use-tcp' };
      this.firstBufferRcode = rcode1;
      if (this.singleRequestReopen) socket = this.reopenSocket(ns);
      const q2 = this.recorder.send({ name, type: types[1]!, nameserver: server, transport: 'udp', atMs: this.now, socket, concurrent: false }, why);
      if (q2.repliedAtMs === undefined || q2.repliedAtMs >= deadline) {
        this.now = deadline;
        if (!this.singleRequestReopen) {
          this.singleRequestReopen = true;
          this.trace.push(`${name} ${types[1]}: no reply from ${server}: glibc switches to single-request-reopen and resends`);
          socket = this.reopenSocket(ns);
          why = `${reason}, resent one at a time from new sockets`;
          continue;
        }
        this.trace.push(`${name} ${types[1]}: no reply from ${server}: glibc keeps the ${types[0]} reply alone`);
        return { kind: 'answered', first: q1, firstUsable: true };
      }
      this.now = q2.repliedAtMs;
      const rcode2 = q2.reply.rcode;
      if (rcode2 === 'UNREACHABLE') return this.unreachable(ns, reached);
      if (rcode2 === 'SERVFAIL' || rcode2 === 'REFUSED') return { kind: 'answered', first: q1, firstUsable: true };
      if (q2.reply.truncated) return { kind: 'use-tcp' };
      return { kind: 'answered', first: q1, firstUsable: true, second: q2 };
    }
  }

  /** One reply came, the other did not: glibc turns on single-request, then single-request-reopen. */
  private fallBackToSerial(server: string, name: string): 'retry' | 'reopen' | 'give-up' {
    if (!this.singleRequest && !this.singleRequestReopen) {
      this.singleRequest = true;
      this.trace.push(`${name}: one of A/AAAA got no reply from ${server}: glibc switches to single-request and resends both`);
      return 'retry';
    }
    if (!this.singleRequestReopen) {
      this.singleRequestReopen = true;
      this.trace.push(`${name}: still one reply missing from ${server}: glibc switches to single-request-reopen`);
      return 'reopen';
    }
    return 'give-up';
  }

  private reopenSocket(ns: number): number {
    const socket = this.recorder.openSocket();
    this.sockets.set(ns, socket);
    return socket;
  }

  /** SERVFAIL or REFUSED with nothing usable: the socket is closed, next server. */
  private nextServer(ns: number, name: string, rcode: string): Exchange {
    this.sockets.delete(ns);
    this.trace.push(`${name}: ${rcode} from ${this.config.nameservers[ns]}: next server`);
    return { kind: 'next-server', reached: true, errno: 'ETIMEDOUT' };
  }

  /** ICMP port unreachable on the connected socket: closed, next server at once. */
  private unreachable(ns: number, reached: boolean): Exchange {
    this.sockets.delete(ns);
    this.trace.push(`${this.config.nameservers[ns]}: port unreachable`);
    return { kind: 'next-server', reached, errno: 'ECONNREFUSED' };
  }

  /** send_vc: both queries on one TCP connection; replies are returned whatever their rcode. */
  private exchangeTcp(ns: number, name: string, reason: string): Exchange {
    const server = this.config.nameservers[ns]!;
    const socket = this.recorder.openSocket();
    const start = this.now;
    const sent = this.types.map((type) =>
      this.recorder.send({ name, type, nameserver: server, transport: 'tcp', atMs: start, socket, concurrent: false }, `${reason}, over TCP`),
    );
    if (sent.some((q) => q.reply.rcode === 'UNREACHABLE')) {
      this.trace.push(`${name}: TCP connection to ${server} refused`);
      return { kind: 'next-server', reached: false, errno: 'ECONNREFUSED' };
    }
    if (sent.some((q) => q.reply.rcode === 'TIMEOUT')) {
      this.now = start + TCP_CONNECT_TIMEOUT_MS;
      this.trace.push(`${name}: no TCP answer from ${server}: glibc sets no timeout of its own, the kernel gives up after ${TCP_CONNECT_TIMEOUT_MS / 1000} s`);
      return { kind: 'next-server', reached: false, errno: 'ETIMEDOUT' };
    }
    const arrivals = [...sent].sort((a, b) => a.repliedAtMs! - b.repliedAtMs! || a.index - b.index);
    this.now = arrivals[arrivals.length - 1]!.repliedAtMs!;
    const first = arrivals[0]!;
    this.firstBufferRcode = first.reply.rcode;
    return arrivals.length > 1 ? { kind: 'answered', first, firstUsable: true, second: arrivals[1]! } : { kind: 'answered', first, firstUsable: true };
  }

  private resolved(answer: Extract<QueryResult, { ok: true }>): LookupOutcome {
    const { addresses, canonicalName } = addressesIn(answer.replies.flatMap((q) => q.reply.answers ?? []));
    if (addresses.length === 0) {
      this.trace.push(`${answer.name}: the answer holds no address record`);
      return { status: 'failed', error: 'EAI_NODATA', hErrno: 'NO_DATA', reason: `${answer.name} answered without an address record` };
    }
    this.trace.push(`${answer.name}: resolved to ${addresses.join(', ')}`);
    const outcome: LookupOutcome = { status: 'resolved', answeredName: answer.name, addresses };
    if (canonicalName !== undefined) outcome.canonicalName = canonicalName;
    return outcome;
  }

  private failed(hErrno: HErrno, reason: string): LookupOutcome {
    const error = hErrno === 'HOST_NOT_FOUND' ? 'EAI_NONAME' : hErrno === 'NO_DATA' ? 'EAI_NODATA' : hErrno === 'TRY_AGAIN' ? 'EAI_AGAIN' : 'EAI_FAIL';
    this.trace.push(`lookup failed: ${hErrno} (${error})`);
    return { status: 'failed', error, hErrno, reason };
  }
}
