/**
 * What a pod's stub resolver sends for one getaddrinfo() call, query by query, with the time
 * it takes: glibc's or musl's algorithm run against an answerer that says what each query
 * gets (a CoreDNS simulation, or a test table).
 *
 * glibc — read in glibc's sources (resolv/res_query.c __res_context_search and
 * __res_context_query, resolv/res_send.c __res_context_send and send_dg, resolv/res_init.c):
 * 0. nss_dns sends nothing for a name that is no host name (res_hnok, glibc ≥ 2.34: labels
 *    of [0-9A-Za-z_-], not starting with `-`, encodable): HOST_NOT_FOUND at once. A search
 *    candidate that cannot be encoded (empty label, label over 63 or name over 255 octets)
 *    gets no query and NO_RECOVERY, which ends the search-list walk (step 2).
 * 1. dots = number of `.` in the name (a trailing dot counts). If dots ≥ ndots or the name
 *    ends with a dot, the name is queried as-is first; a trailing dot ends the lookup there
 *    whatever the result.
 * 2. Then each search domain in order (`name.domain`), unless the name ended with a dot.
 *    NXDOMAIN and NODATA go on to the next domain (NODATA is remembered); SERVFAIL goes on
 *    too; any other failure — timeout of every server, REFUSED — stops the walk. If no server
 *    could be reached at all (ECONNREFUSED: ICMP port unreachable from every one), the lookup
 *    ends at once.
 * 3. Finally the name as-is, if not tried in step 1 and no search domain was `.`
 *    (`no-tld-query` skips it for single-label names).
 * 4. The error is the as-is lookup's of step 1 if there was one, else NO_DATA if any domain
 *    gave NODATA, else TRY_AGAIN after a SERVFAIL, else the last one. Mapped to getaddrinfo:
 *    HOST_NOT_FOUND → EAI_NONAME, NO_DATA → EAI_NODATA, TRY_AGAIN → EAI_AGAIN,
 *    NO_RECOVERY → EAI_FAIL (the mapping is glibc's usual one; nss_dns details aside).
 * 5. getaddrinfo(AF_UNSPEC) sends A then AAAA for each name (T_QUERY_A_AND_AAAA) with
 *    sendmmsg on one connected UDP socket, i.e. from the same source port; `no-aaaa`
 *    (glibc ≥ 2.36) sends A only. A reply counts when either of the pair has answers.
 * 6. Servers are tried in order (`rotate` starts each send at the next one; glibc picks the
 *    first at random, here `rotateOffset`), `attempts` rounds. Server n (from 0) waits
 *    max(1, timeout·2ⁿ / count) seconds for n > 0, `timeout` for n = 0.
 *    The UDP socket to a server stays open after a timeout (the next round leaves from the
 *    same port); it is closed after an error, and all are closed when the send ends.
 * 7. SERVFAIL or REFUSED from a server: the other reply of the pair is used if it came;
 *    otherwise next server. An ICMP port unreachable: next server at once.
 * 8. One reply of the pair came, the other not by the timeout: glibc turns on single-request
 *    and resends both on the same socket (A, wait, AAAA); if the second is still missing it
 *    turns on single-request-reopen (a new socket for each) and resends; then it keeps the
 *    one reply. The switch lasts for the rest of the lookup.
 * 9. In single-request mode a SERVFAIL/REFUSED to the first query leaves glibc waiting for
 *    a reply to a second query it never sent: the full timeout passes (read in send_dg).
 * 10. A truncated reply moves the exchange to TCP with the same server; `use-vc` uses TCP
 *    from the start. Over TCP each server gets one attempt, both queries share the
 *    connection, and the reply is used whatever its rcode. glibc sets no TCP timeout: an
 *    unanswered connection costs the kernel's connect timeout (127 s) — inferred from
 *    send_vc, which has no poll.
 * Not simulated: /etc/hosts and nsswitch order, HOSTALIASES, the "referred" reply rule
 * (NOERROR without answer, AA and RA flags → next server), EDNS0 fallback, the random
 * `rotate` start.
 *
 * musl — read in src/network/lookup_name.c (name_from_dns_search, name_from_dns) and
 * res_msend.c (__res_msend_rc):
 * 1. dots ≥ ndots or a trailing dot: the name as-is only, never the search list. Otherwise
 *    each search domain, then the name as-is. No search lists before musl 1.1.13.
 * 2. A name's result: if any of its queries got no answer → EAI_AGAIN, and the lookup stops
 *    (no further search domain); NXDOMAIN (checked A first, then AAAA) → next candidate;
 *    otherwise addresses, or EAI_NODATA (EAI_NONAME before 1.2.4) — which also stops the lookup.
 * 3. Queries go to all nameservers at once from one unconnected socket; the first NOERROR or
 *    NXDOMAIN for each query wins. Unanswered queries are resent to all servers every
 *    timeout/attempts; the whole exchange ends after `timeout` (not timeout × attempts).
 *    SERVFAIL is resent at once to that server (at most 2 per query and round); REFUSED is
 *    ignored; ICMP errors are not seen (the socket is not connected).
 * 4. A candidate __res_mkquery cannot encode (empty label, label over 63 octets) gets no
 *    query: skipped from 1.2.4; in 1.2.3 it ends the lookup (EAI_NONAME, or EAI_AGAIN after
 *    the timeout for a doubled trailing dot, whose malformed query is never answered).
 * 5. No single-request options, no rotate, no use-vc. Truncated answers are retried over TCP
 *    from musl 1.2.4 on; before, the truncated answer is used as it is.
 *
 * Both: a name inet_aton reads whole (`1.2.3`, `10.1`, `0x7f.1`, `2130706433`) is an IPv4
 * address, an IPv6 literal too: no query (inet-aton.ts; glibc's __inet_aton_exact, musl's
 * __lookup_ipliteral).
 *
 * The configuration is the one the libc read: for musl, resolverConfigFor(conf, 'musl').
 * The result lists every query with its time, socket and the reply, so that it can be
 * compared with a captured query log (queriesByNameserver).
 */
import { isIPv6 } from 'node:net';
import { glibcLookup } from './glibc-lookup.js';
import { inetAtonExact } from './inet-aton.js';
import { muslLookup } from './musl-lookup.js';
import type { ResolverConfig } from './resolver-config.js';
import type { AddressFamily, Answerer, Libc, ResolverSimulation } from './resolver-simulation.js';

export interface SimulateResolverOptions {
  /** glibc by default. */
  libc?: Libc;
  /** AF_UNSPEC (A and AAAA) by default. */
  family?: AddressFamily;
  /** musl release when libc is musl; 1.2.5 by default. */
  muslVersion?: string;
  /** glibc `rotate`: index of the first nameserver; 0 by default. */
  rotateOffset?: number;
}

export const DEFAULT_MUSL_VERSION = '1.2.5';

export function simulateResolver(
  name: string,
  config: ResolverConfig,
  answerer: Answerer,
  options: SimulateResolverOptions = {},
): ResolverSimulation {
  const libc = options.libc ?? 'glibc';
  const family = options.family ?? 'unspec';
  // Both libcs take an IPv6 literal or anything inet_aton reads whole (`10.1`, `127.1`,
  // `1.2.3`: inet-aton.ts) as the address itself, before any resolv.conf rule.
  const address = isIPv6(name) ? name : inetAtonExact(name);
  if (address !== undefined) {
    const shorthand = address === name ? '' : ` (inet_aton reads it as ${address})`;
    return {
      libc,
      name,
      family,
      queries: [],
      outcome: { status: 'resolved', answeredName: name, addresses: [address] },
      worstCaseMs: 0,
      trace: [`${name} is an IP address${shorthand}: no DNS query`],
    };
  }
  return libc === 'musl'
    ? muslLookup(name, config, answerer, { family, version: options.muslVersion ?? DEFAULT_MUSL_VERSION })
    : glibcLookup(name, config, answerer, { family, rotateOffset: options.rotateOffset ?? 0 });
}
