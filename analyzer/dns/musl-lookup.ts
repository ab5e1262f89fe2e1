/**
 * musl's getaddrinfo → __lookup_name → name_from_dns_search → __res_msend_rc path
 * (src/network/lookup_name.c, res_msend.c). Rules and sources in simulate-resolver.ts.
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

export interface MuslLookupOptions {
  family: AddressFamily;
  /** musl release, `1.2.5` by default: search lists came in 1.1.13, TCP fallback in 1.2.4. */
  version: string;
}

/** name_from_dns: a name's fate. `next` is NXDOMAIN, which lets the search go on. */
type NameResult = { kind: 'next' } | { kind: 'done'; outcome: LookupOutcome };

/** A reply waiting to be read, and the query it answers. */
interface Pending {
  at: number;
  order: number;
  query: SimulatedQuery;
  slot: number;
}

export function muslLookup(name: string, config: ResolverConfig, answerer: Answerer, options: MuslLookupOptions): ResolverSimulation {
  return new MuslLookup(name, config, answerer, options).run();
}

/** `1.2.4` ≥ `1.1.13`? */
function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const b = minimum.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

const DOUBLE_TRAILING_DOT = 'ends with two dots';

/** Why __res_mkquery (src/network/res_mkquery.c) cannot build a query for the name, if it cannot. */
function mkqueryProblem(name: string): string | undefined {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (Buffer.byteLength(bare) > 253) return 'longer than 253 octets';
  // The label walk comes first: 1.2.3 only trips over a doubled trailing dot when the labels
  // before it are fine.
  const doubled = bare.endsWith('.');
  const core = doubled ? bare.slice(0, -1) : bare;
  if (core !== '') {
    for (const label of core.split('.')) {
      const octets = Buffer.byteLength(label);
      if (octets === 0) return 'empty label';
      if (octets > 63) return 'label over 63 octets';
    }
  }
  return doubled ? DOUBLE_TRAILING_DOT : undefined;
}

class MuslLookup {
  private readonly recorder: QueryRecorder;
  private readonly trace: string[] = [];
  private now = 0;

  constructor(
    private readonly name: string,
    private readonly config: ResolverConfig,
    answerer: Answerer,
    private readonly options: MuslLookupOptions,
  ) {
    this.recorder = new QueryRecorder(answerer);
  }

  run(): ResolverSimulation {
    const outcome = this.lookup();
    return {
      libc: 'musl',
      name: this.name,
      family: this.options.family,
      queries: this.recorder.queries,
      outcome,
      worstCaseMs: this.now,
      trace: this.trace,
    };
  }

  /** name_from_dns_search. */
  private lookup(): LookupOutcome {
    const name = this.name;
    const trailingDot = name.endsWith('.');
    const base = trailingDot ? name.slice(0, -1) : name;
    if (base === '' || base.endsWith('.')) return this.failed('EAI_NONAME', `${name} is not a valid name`);

    const dots = [...name].filter((c) => c === '.').length;
    const { ndots } = this.config.options;
    let search: string[] = [];
    if (!versionAtLeast(this.options.version, '1.1.13')) {
      this.trace.push(`musl ${this.options.version} has no search list support: ${name} is queried as-is only`);
    } else if (trailingDot) {
      this.trace.push(`${name} ends with a dot: absolute, queried as-is only`);
    } else if (dots >= ndots) {
      this.trace.push(`${name} has ${dots} dot(s) ≥ ndots ${ndots}: musl queries it as-is only, never the search list`);
    } else {
      search = this.config.search;
      this.trace.push(`${name} has ${dots} dot(s) < ndots ${ndots}: search list first`);
    }

    // __res_mkquery refusing a name: from 1.2.4 name_from_dns skips it (`return 0`, the current
    // source); musl 1.2.3 (checked against Debian 12's) ends the lookup with EAI_NONAME, and
    // its mkquery misses a doubled trailing dot (search domain `.`): the malformed query gets
    // no answer, the whole timeout passes, EAI_AGAIN.
    const skipsBadNames = versionAtLeast(this.options.version, '1.2.4');
    for (let i = 0; i < search.length; i++) {
      const domain = search[i]!;
      const candidate = `${base}.${domain}`;
      // The name and domain must fit musl's 256-byte buffer.
      if (domain.length >= 255 - base.length) continue;
      const problem = mkqueryProblem(candidate);
      if (problem !== undefined) {
        if (skipsBadNames) {
          this.trace.push(`${candidate}: ${problem}: no query, next candidate`);
          continue;
        }
        if (problem === DOUBLE_TRAILING_DOT) {
          const crash = this.crashesInMsend();
          if (crash) return crash;
          this.now += this.config.options.timeout * 1000;
          this.trace.push(`${candidate}: musl ${this.options.version} sends a malformed query; no answer within ${this.config.options.timeout} s`);
          return this.failed('EAI_AGAIN', `${candidate} is not a valid DNS name`);
        }
        this.trace.push(`${candidate}: ${problem}: musl ${this.options.version} gives up`);
        return this.failed('EAI_NONAME', `${candidate} is not a valid DNS name`);
      }
      const result = this.nameFromDns(candidate, `search domain ${i + 1} of ${search.length}`);
      if (result.kind === 'done') return result.outcome;
    }
    if (search.length > 0) this.trace.push('search list exhausted: trying the name as-is');
    const problem = mkqueryProblem(base);
    if (problem !== undefined) return this.failed('EAI_NONAME', `${base}: ${problem}: no query`);
    const result = this.nameFromDns(base, 'as-is');
    return result.kind === 'done' ? result.outcome : this.failed('EAI_NONAME', 'no candidate name resolved');
  }

  /**
   * res_msend computes its resend interval as `timeout / attempts` before it sends anything,
   * and resolvconf.c takes `attempts:0` as it is: an integer division by zero, the process
   * dies of SIGFPE (checked with musl 1.2.3 in the resolver differential test; the current
   * source has no guard either). Lookups that send nothing (an address, an invalid name)
   * do not get there.
   */
  private crashesInMsend(): LookupOutcome | undefined {
    if (this.config.options.attempts !== 0) return undefined;
    this.trace.push('options attempts:0: res_msend divides the timeout by attempts: the process dies of SIGFPE before the first query');
    return { status: 'crashed', signal: 'SIGFPE', reason: "musl's res_msend divides the timeout by `options attempts:0`; set attempts to 1 or more" };
  }

  /** name_from_dns: A and AAAA for one name, then musl's verdict on the pair. */
  private nameFromDns(fullName: string, reason: string): NameResult {
    const crash = this.crashesInMsend();
    if (crash) return { kind: 'done', outcome: crash };
    const name = absoluteName(fullName);
    const family = this.options.family;
    const types: QueryType[] = family === 'inet' ? ['A'] : family === 'inet6' ? ['AAAA'] : ['A', 'AAAA'];
    const answers = this.msend(name, types, reason);

    for (let i = 0; i < types.length; i++) {
      const answer = answers[i];
      if (!answer) {
        this.trace.push(`${name} ${types[i]}: no answer from any nameserver: lookup fails (EAI_AGAIN)`);
        return { kind: 'done', outcome: this.failed('EAI_AGAIN', `${name} ${types[i]} got no answer`) };
      }
      if (answer.reply.rcode === 'NXDOMAIN') {
        this.trace.push(`${name}: NXDOMAIN`);
        return { kind: 'next' };
      }
    }
    const { addresses, canonicalName } = addressesIn(answers.flatMap((a) => a?.reply.answers ?? []));
    if (addresses.length === 0) {
      // musl 1.2.3 (checked against Debian 12's) returns EAI_NONAME here; the current source
      // returns EAI_NODATA, which came with 1.2.4 per musl's history. Same queries either way.
      const error = versionAtLeast(this.options.version, '1.2.4') ? 'EAI_NODATA' : 'EAI_NONAME';
      this.trace.push(`${name}: NODATA: musl stops here (it does not try further names)`);
      return { kind: 'done', outcome: this.failed(error, `${name} has no address record`) };
    }
    this.trace.push(`${name}: resolved to ${addresses.join(', ')}`);
    const outcome: LookupOutcome = { status: 'resolved', answeredName: name, addresses };
    if (canonicalName !== undefined) outcome.canonicalName = canonicalName;
    return { kind: 'done', outcome };
  }

  /**
   * __res_msend_rc: every unanswered query to every nameserver at once, again every
   * timeout/attempts, until all are answered or `timeout` has passed. NOERROR and NXDOMAIN
   * are accepted from whichever server answers first; SERVFAIL is resent at once (at most
   * twice per query and round); anything else (REFUSED) is ignored.
   */
  private msend(name: string, types: QueryType[], reason: string): (SimulatedQuery | undefined)[] {
    const servers = this.config.nameservers;
    const { timeout } = this.config.options;
    const { attempts } = this.config.options; // never 0 here: crashesInMsend
    const timeoutMs = timeout * 1000;
    const retryInterval = Math.max(1, Math.floor(timeoutMs / attempts));
    const tcpFallback = versionAtLeast(this.options.version, '1.2.4');
    const start = this.now;
    const end = start + timeoutMs;
    const socket = this.recorder.openSocket();
    const answers: (SimulatedQuery | undefined)[] = types.map(() => undefined);
    const pending: Pending[] = [];
    let order = 0;
    let servfailRetries = 0;

    const send = (slot: number, server: string, at: number, why: string, transport: 'udp' | 'tcp' = 'udp') => {
      const query = this.recorder.send(
        { name, type: types[slot]!, nameserver: server, transport, atMs: at, socket, concurrent: transport === 'udp' && order > 0 },
        why,
      );
      order++;
      // Replies to a socket that is not connected carry no ICMP error: UNREACHABLE is silence.
      if (query.repliedAtMs !== undefined && query.reply.rcode !== 'UNREACHABLE') pending.push({ at: query.repliedAtMs, order, query, slot });
    };

    for (let round = 0; start + round * retryInterval < end; round++) {
      const roundAt = start + round * retryInterval;
      this.now = roundAt;
      servfailRetries = 2 * types.length;
      const why = round === 0 ? reason : `${reason}, resent after ${(round * retryInterval) / 1000} s`;
      for (let slot = 0; slot < types.length; slot++) {
        if (answers[slot]) continue;
        for (const server of servers) send(slot, server, roundAt, why);
      }
      const nextRound = Math.min(roundAt + retryInterval, end);
      for (;;) {
        pending.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = pending[0];
        if (!next || next.at >= nextRound) break;
        pending.shift();
        this.now = next.at;
        if (answers[next.slot]) continue;
        const { reply } = next.query;
        if (reply.rcode === 'NOERROR' || reply.rcode === 'NXDOMAIN') {
          if (reply.truncated && tcpFallback && next.query.transport === 'udp') {
            send(next.slot, next.query.nameserver, next.at, `${reason}, truncated: retried over TCP`, 'tcp');
            continue;
          }
          answers[next.slot] = next.query;
          if (answers.every((a) => a !== undefined)) return answers;
        } else if (reply.rcode === 'SERVFAIL' && servfailRetries > 0) {
          servfailRetries--;
          send(next.slot, next.query.nameserver, next.at, `${reason}, resent after SERVFAIL`);
        }
      }
    }
    this.now = end;
    this.trace.push(`${name}: musl waited its whole ${timeout} s timeout`);
    return answers;
  }

  private failed(error: 'EAI_NONAME' | 'EAI_NODATA' | 'EAI_AGAIN' | 'EAI_FAIL', reason: string): LookupOutcome {
    this.trace.push(`lookup failed: ${error}`);
    return { status: 'failed', error, reason };
  }
}
