/**
 * Randomized (resolv.conf, name) pairs for the resolver differential test, and the zone the
 * lab's servers answer from. Same seed, same cases, on every machine.
 *
 * The zone is a small cluster (cluster.local: Services in four namespaces — ClusterIP,
 * dual-stack, headless with several addresses, IPv6-only, an ExternalName CNAME, a name with
 * no address records, a pod record) and a few external zones (example.com with a CNAME,
 * example.net IPv6-only, a four-dot name in example.org, corp.internal as a node search
 * domain, a single-label name). Names are drawn so that they exist at a chosen search
 * position, only as-is, at several positions, only as an empty non-terminal, or nowhere.
 *
 * resolv.conf files are written as kubelet and hand-edited nodes write them: 1–3 nameservers
 * (sometimes a fourth, ignored; sometimes the refusing lab address first), `search` with 0–4
 * domains or `domain`, repeated `search` lines, comments, options over one or two lines.
 * Left out on purpose:
 *   - `rotate`: glibc starts at a random nameserver;
 *   - servers that do not answer: each costs a timeout of real time (the timeout cases are
 *     separate, fixed tests);
 *   - timeout/attempts giving musl a retry interval under 1 s: on a loaded machine dnsmasq may
 *     answer later than that and musl would resend (its interval is timeout/attempts).
 */
import { Rng } from '../helpers/random-rulesets/rng.js';
import { DNS_LAB_ADDRESSES } from '../helpers/dns-lab.js';
import { emptyZone, existingNames, type ZoneTable } from '../helpers/dns-lab-zone.js';

export interface ResolverCase {
  index: number;
  resolvConf: string;
  name: string;
  /** How the name was drawn, for the report. */
  intent: string;
}

const NAMESPACES = ['default', 'shop', 'kube-system', 'monitoring'] as const;

/** The lab's records. */
export function labZone(): ZoneTable {
  const zone = emptyZone();
  const host = (name: string, A: string[], AAAA: string[] = []) => zone.hosts.set(`${name}.`, { A, AAAA });
  host('kubernetes.default.svc.cluster.local', ['10.96.0.1']);
  host('kube-dns.kube-system.svc.cluster.local', ['10.96.0.10']);
  host('metrics-server.kube-system.svc.cluster.local', ['10.96.5.20']);
  host('api.default.svc.cluster.local', ['10.96.40.2']);
  host('api.shop.svc.cluster.local', ['10.96.12.2'], ['fd00:96::12:2']);
  host('cart.shop.svc.cluster.local', ['10.96.12.7']);
  host('db.shop.svc.cluster.local', ['10.244.1.5', '10.244.2.6'], ['fd00:244:1::5']);
  host('web.default.svc.cluster.local', [], ['fd00:96::80']);
  host('prometheus.monitoring.svc.cluster.local', ['10.96.90.9']);
  host('10-244-1-5.shop.pod.cluster.local', ['10.244.1.5']);
  zone.cnames.set('payments.shop.svc.cluster.local.', 'api.example.com.');
  zone.txtOnly.add('config.shop.svc.cluster.local.');
  host('api.example.com', ['93.184.216.34'], ['2606:2800:220:1::248']);
  host('example.com', ['93.184.216.1']);
  zone.cnames.set('www.example.com.', 'api.example.com.');
  zone.cnames.set('old.example.com.', 'www.example.com.');
  host('cdn.example.net', [], ['2001:db8:cd::1']);
  host('a.b.c.example.org', ['198.51.100.4']);
  host('registry.corp.internal', ['10.0.0.50']);
  host('api.corp.internal', ['10.0.0.51']);
  host('intranet', ['10.0.0.80']);
  return zone;
}

const EXTRA_SEARCH_DOMAINS = ['corp.internal', 'example.com', 'c.example.org', 'eu-west-1.compute.internal', 'example.net'] as const;

function kubeSearch(namespace: string): string[] {
  return [`${namespace}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'];
}

function drawSearch(rng: Rng): { lines: string[]; domains: string[] } {
  const kind = rng.weighted([
    ['kube', 40],
    ['kube+node', 15],
    ['none', 10],
    ['mixed', 25],
    ['domain', 6],
    ['two-lines', 4],
  ] as const);
  const pool = [...kubeSearch(rng.pick(NAMESPACES)), ...EXTRA_SEARCH_DOMAINS];
  const written = (domains: string[]) => domains.map((d) => (rng.chance(0.08) ? `${d}.` : d));
  switch (kind) {
    case 'kube': {
      const domains = written(kubeSearch(rng.pick(NAMESPACES)));
      return { lines: [`search ${domains.join(' ')}`], domains };
    }
    case 'kube+node': {
      const domains = written([...kubeSearch(rng.pick(NAMESPACES)), rng.pick(EXTRA_SEARCH_DOMAINS)]);
      return { lines: [`search ${domains.join(' ')}`], domains };
    }
    case 'none':
      return { lines: [], domains: [] };
    case 'mixed': {
      const domains = written(Array.from({ length: rng.int(1, 4) }, () => rng.pick(pool)));
      return { lines: [`search ${domains.join(' ')}`], domains };
    }
    case 'domain': {
      const domain = rng.pick(pool);
      return { lines: [`domain ${domain}`], domains: [domain] };
    }
    case 'two-lines': {
      const first = rng.sample(pool, rng.int(1, 3));
      const second = rng.sample(pool, rng.int(1, 3));
      return { lines: [`search ${first.join(' ')}`, `search ${second.join(' ')}`], domains: second };
    }
  }
}

function drawNameservers(rng: Rng): string[] {
  const [ns1, ns2, ns3] = DNS_LAB_ADDRESSES.servers;
  const refusing = DNS_LAB_ADDRESSES.refusing;
  return rng.weighted<string[]>([
    [[ns1], 55],
    [[ns1, ns2], 12],
    [[ns2, ns3, ns1], 8],
    [[refusing, ns1], 8],
    [[ns2, refusing, ns1], 4],
    [[ns1, ns2, ns3, refusing], 4],
    [[ns1, ns1], 3],
    [[ns3], 6],
  ]);
}

function drawOptions(rng: Rng): string[] {
  const words: string[] = [];
  if (rng.chance(0.8)) words.push(`ndots:${rng.weighted([[0, 1], [1, 4], [2, 3], [3, 2], [4, 2], [5, 8]])}`);
  if (rng.chance(0.3)) words.push(`timeout:${rng.int(3, 5)}`);
  if (rng.chance(0.3)) words.push(`attempts:${rng.int(1, 3)}`);
  const flags: [string, number][] = [
    ['single-request', 0.12],
    ['single-request-reopen', 0.12],
    ['no-aaaa', 0.1],
    ['use-vc', 0.08],
    ['no-tld-query', 0.08],
    ['edns0', 0.1],
    ['trust-ad', 0.05],
    ['inet6', 0.03],
    ['no-reload', 0.03],
  ];
  for (const [flag, probability] of flags) if (rng.chance(probability)) words.push(flag);
  if (words.length === 0) return [];
  const shuffled = rng.shuffle(words);
  if (shuffled.length > 1 && rng.chance(0.2)) {
    const cut = rng.int(1, shuffled.length - 1);
    return [`options ${shuffled.slice(0, cut).join(' ')}`, `options ${shuffled.slice(cut).join(' ')}`];
  }
  return [`options ${shuffled.join(' ')}`];
}

const bare = (name: string) => name.replace(/\.$/, '');

function randomLabel(rng: Rng): string {
  return rng.pick(['foo', 'svc', 'api', 'db', 'x', 'node-1', 'shop', 'internal']) + (rng.chance(0.5) ? rng.chars('abcdefghijklmnopqrstuvwxyz0123456789', rng.int(1, 4)) : '');
}

function drawName(rng: Rng, zone: ZoneTable, search: string[]): { name: string; intent: string } {
  const records = [...zone.hosts.keys(), ...zone.cnames.keys(), ...zone.txtOnly].map(bare);
  const kind = rng.weighted([
    ['at-search-position', 30],
    ['as-is', 15],
    ['partial', 15],
    ['nowhere', 20],
    ['empty-non-terminal', 8],
    ['single-label', 7],
  ] as const);
  let name: string;
  let intent: string = kind;
  switch (kind) {
    case 'at-search-position': {
      const options = search.flatMap((domain, position) =>
        records.filter((r) => r.endsWith(`.${bare(domain)}`)).map((r) => ({ r, domain: bare(domain), position })),
      );
      if (options.length === 0) return drawName(rng, zone, search);
      const { r, domain, position } = rng.pick(options);
      name = r.slice(0, -domain.length - 1);
      intent = `exists at search position ${position + 1} (${domain})`;
      break;
    }
    case 'as-is':
      name = rng.pick(records);
      break;
    case 'partial': {
      const labels = rng.pick(records).split('.');
      name = labels.slice(0, rng.int(1, Math.max(1, labels.length - 1))).join('.');
      break;
    }
    case 'nowhere':
      name = Array.from({ length: rng.int(1, 5) }, () => randomLabel(rng)).join('.');
      break;
    case 'empty-non-terminal': {
      const enTs = [...existingNames(zone)].map(bare).filter((n) => !records.includes(n));
      name = rng.pick(enTs);
      break;
    }
    case 'single-label':
      name = rng.pick(['intranet', 'kubernetes', 'cart', 'db', 'localhost', 'registry', 'com', randomLabel(rng)]);
      break;
  }
  if (rng.chance(0.1)) name = [...name].map((c) => (rng.chance(0.4) ? c.toUpperCase() : c)).join('');
  if (rng.chance(0.15)) {
    name = `${name}.`;
    intent += ', absolute';
  }
  return { name, intent };
}

export function generateCases(seed: number, count: number, zone: ZoneTable = labZone()): ResolverCase[] {
  const rng = new Rng(seed);
  const cases: ResolverCase[] = [];
  for (let index = 0; index < count; index++) {
    const caseRng = rng.fork();
    const lines: string[] = [];
    if (caseRng.chance(0.2)) lines.push(caseRng.pick(['# Generated by NetworkManager', '; written by hand']));
    const search = drawSearch(caseRng);
    const nameservers = drawNameservers(caseRng);
    const options = drawOptions(caseRng);
    const ordered = caseRng.chance(0.5)
      ? [...search.lines, ...nameservers.map((ns) => `nameserver ${ns}`), ...options]
      : [...nameservers.map((ns) => `nameserver ${ns}`), ...search.lines, ...options];
    lines.push(...ordered);
    const { name, intent } = drawName(caseRng, zone, search.domains);
    cases.push({ index, resolvConf: `${lines.join('\n')}\n`, name, intent });
  }
  return cases;
}
