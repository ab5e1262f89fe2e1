/**
 * What a stub resolver works from once it has read its resolv.conf: nameservers, search list
 * and options, as glibc (or musl) holds them in memory. The simulator takes this, whether it
 * came from a captured resolv.conf (parse-resolv-conf.ts) or from what kubelet would write
 * (kubelet-resolv-conf.ts).
 */

export interface ResolverOptions {
  /** Names with at least this many dots are tried as-is first. glibc default 1, max 15. */
  ndots: number;
  /** Seconds to wait for a nameserver (glibc `retrans`). glibc default 5, max 30; musl max 60. */
  timeout: number;
  /** Rounds over the nameservers (glibc `retry`). glibc default 2, max 5; musl max 10. */
  attempts: number;
  /** glibc: start each query at the next nameserver. */
  rotate: boolean;
  /** glibc: send A and AAAA one after the other on the same socket. */
  singleRequest: boolean;
  /** glibc: send A and AAAA one after the other, each from a new socket. */
  singleRequestReopen: boolean;
  /** glibc: always use TCP. */
  useVc: boolean;
  edns0: boolean;
  /** glibc ≥ 2.31: pass the AD bit through. */
  trustAd: boolean;
  /** glibc ≥ 2.36: send no AAAA queries. */
  noAaaa: boolean;
  /** glibc: never query a single-label name as-is. */
  noTldQuery: boolean;
  noReload: boolean;
  /** Deprecated RES_USE_INET6; kept to report it. */
  inet6: boolean;
}

export interface ResolverConfig {
  /** In the order the resolver uses them; at most 3. */
  nameservers: string[];
  /** Search domains in order, as written (a trailing dot is kept). */
  search: string[];
  options: ResolverOptions;
}

/** glibc's limits (resolv.h: MAXNS, RES_MAXNDOTS, RES_MAXRETRANS, RES_MAXRETRY). */
export const GLIBC_LIMITS = { nameservers: 3, ndots: 15, timeout: 30, attempts: 5 } as const;

/** musl's limits (src/network/resolvconf.c). */
export const MUSL_LIMITS = { nameservers: 3, ndots: 15, timeout: 60, attempts: 10, lineLength: 255 } as const;

/** Search list limits of glibc before 2.26 (MAXDNSRCH and the 256-byte buffer). */
export const OLD_GLIBC_SEARCH_LIMITS = { domains: 6, characters: 256 } as const;

export function defaultResolverOptions(): ResolverOptions {
  return {
    ndots: 1,
    timeout: 5,
    attempts: 2,
    rotate: false,
    singleRequest: false,
    singleRequestReopen: false,
    useVc: false,
    edns0: false,
    trustAd: false,
    noAaaa: false,
    noTldQuery: false,
    noReload: false,
    inet6: false,
  };
}
