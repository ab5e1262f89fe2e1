/**
 * Fixed lookups at the edges of what resolv.conf and getaddrinfo accept, for the resolver
 * differential test: names that are no host names or cannot be encoded, search domains that
 * make a candidate invalid (`.`, a doubled trailing dot, one too long), a file without a
 * nameserver line, lines glibc and musl read differently, inet_aton shorthands (addresses, no
 * query), a negative ndots, `attempts:0` (musl dies of SIGFPE). Every option waits at most 1 s:
 * musl 1.2.3 waits out its timeout on some of them.
 */
import { DNS_LAB_ADDRESSES } from '../helpers/dns-lab.js';
import type { LabLookup } from '../helpers/dns-lab.js';

const [NS1] = DNS_LAB_ADDRESSES.servers;
const KUBE = `nameserver ${NS1}\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;
const LABEL_63 = 'a'.repeat(63);
const DOTS_14 = 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o';

const pairs: [string, string, string][] = [
  ['empty label', KUBE, 'x..y'],
  ['leading dot', KUBE, '.cart'],
  ['two trailing dots', KUBE, 'foo..'],
  ['label of 64 octets', KUBE, `${'a'.repeat(64)}.example.com`],
  ['name of 257 octets', KUBE, `a.${LABEL_63}.${LABEL_63}.${LABEL_63}.${LABEL_63}`],
  ['leading hyphen', KUBE, '-'],
  ['underscore', KUBE, 'under_score'],
  ['space', KUBE, 'a b'],
  ['the root', KUBE, '.'],
  ['search domain `.`', `nameserver ${NS1}\nsearch . shop.svc.cluster.local\noptions ndots:2 timeout:1 attempts:1\n`, 'cart'],
  ['search domain `.`, name with enough dots', `nameserver ${NS1}\nsearch . shop.svc.cluster.local\noptions ndots:2 timeout:1 attempts:1\n`, 'api.example.com'],
  ['search domain with two trailing dots, found before it', `nameserver ${NS1}\nsearch shop.svc.cluster.local svc.cluster.local..\noptions ndots:5 timeout:1 attempts:1\n`, 'db'],
  ['search domain with two trailing dots', `nameserver ${NS1}\nsearch shop.svc.cluster.local svc.cluster.local..\noptions ndots:5 timeout:1 attempts:1\n`, 'nothing-here'],
  ['search domain too long for the name', `nameserver ${NS1}\nsearch ${LABEL_63}.${LABEL_63}.${LABEL_63}.example.com cluster.local\noptions ndots:5\n`, `${LABEL_63}.example.com`],
  ['no nameserver line: 127.0.0.1', 'search shop.svc.cluster.local\noptions timeout:1 attempts:1\n', 'cart.'],
  ['indented search line', `nameserver ${NS1}\n search cluster.local\n`, 'kubernetes.default'],
  ['domain with two words', `nameserver ${NS1}\ndomain shop.svc.cluster.local svc.cluster.local\noptions ndots:5\n`, 'kubernetes.default'],
  ['`#` inside a search line', `nameserver ${NS1}\nsearch shop.svc.cluster.local # comment\noptions ndots:5\n`, 'nothing'],
  ['ndots over 15', `nameserver ${NS1}\nsearch cluster.local\noptions ndots:30\n`, 'a.b.c.d.e.f'],
  ['upper case', `nameserver ${NS1}\nsearch SHOP.svc.Cluster.Local\noptions ndots:5\n`, 'Cart'],
  // inet_aton's shorthands are addresses for both libcs: no query at all.
  ['inet_aton a.b.c', KUBE, '1.2.3'],
  ['inet_aton a.b', KUBE, '10.1'],
  ['inet_aton loopback a.b', KUBE, '127.1'],
  ['inet_aton hexadecimal part', KUBE, '0x7f.1'],
  ['inet_aton octal part', KUBE, '010.0.0.1'],
  ['inet_aton one 32-bit number', KUBE, '2130706433'],
  ['inet_aton part too large: a name', KUBE, '256.1'],
  ['inet_aton 2^32: a name', KUBE, '4294967296'],
  ['inet_aton five parts: a name', KUBE, '1.2.3.4.5'],
  ['inet_aton trailing dot: a name', KUBE, '1.2.3.'],
  ['inet_aton bad octal digit: a name', KUBE, '08.1'],
  // glibc keeps the low 4 bits of a negative ndots (15, 14, 0); musl ignores it (ndots 1).
  ['ndots:-1, one label', `nameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:-1\n`, 'db'],
  ['ndots:-1, 14 dots', `nameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:-1\n`, DOTS_14],
  ['ndots:-1, 15 dots', `nameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:-1\n`, `${DOTS_14}.p`],
  ['ndots:-2, 14 dots', `nameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:-2\n`, DOTS_14],
  ['ndots:-16, one label', `nameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:-16\n`, 'db'],
  // musl divides by attempts: SIGFPE before the first query (glibc sends nothing, EAI_AGAIN).
  ['attempts:0', `nameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:5 attempts:0\n`, 'cart'],
  ['attempts:0, an address', `nameserver ${NS1}\nsearch shop.svc.cluster.local\noptions ndots:5 attempts:0\n`, '10.1'],
];

export const EDGE_CASES: (LabLookup & { label: string })[] = pairs.map(([label, resolvConf, name]) => ({ label, resolvConf, name }));
