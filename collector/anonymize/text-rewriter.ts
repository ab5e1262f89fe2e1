/**
 * Rewrites the addresses, names and kube-proxy chain names in a file's text through a mapper,
 * in one left-to-right pass so that nothing is rewritten twice (a pseudonym is never taken for
 * an original). The same pass, given the reverse mapper, turns a report back.
 *
 * What counts as a token:
 * - kube-proxy nftables chains: `service-H8-ns/svc/tcp/port`, `endpoint-H8-…__ip/port`, ...;
 * - kube-proxy iptables chains: `KUBE-SVC-…`, `KUBE-SEP-…` and the other hashed prefixes;
 * - IPv6 addresses (validated, `/len` optional, `[addr]:port` works since brackets bound them);
 * - IPv4 addresses, `a.b.c.d/len`, `a.b.c.d:port`, both ends of `a.b.c.d-e.f.g.h`;
 * - MAC addresses (`52:54:00:12:34:56`, either case) and the MAC of a bridge id
 *   (`8000.52:54:0:12:34:56`, `ip -d link` drops the leading zeros there);
 * - DNS-style names (`cart-845d9ff6b-mj9pc`, `cart.shop.svc.cluster.local`, a host's `WEB-01`):
 *   the whole token is looked up, then each dot-separated label.
 *
 * JSON files are rewritten string by string: object keys only have their addresses rewritten
 * (label keys and field names are never names of ours), values get the full treatment.
 */

export interface TokenMapper {
  /** An address's replacement, or undefined to keep it. */
  address(text: string): string | undefined;
  /** `address/bits`'s replacement, or undefined to keep it. */
  prefix(address: string, bits: number): string | undefined;
  /** A name's replacement, or undefined to keep it. */
  name(token: string): string | undefined;
  /** A kube-proxy chain name's replacement (KUBE-… or nftables), or undefined to keep it. */
  chain(token: string): string | undefined;
  /** A MAC address's replacement in the same style, or undefined to keep it. */
  mac?(token: string): string | undefined;
}

const TOKEN = new RegExp(
  // Every token starts with a letter, a digit or ':'; testing that first lets the engine skip
  // spaces and punctuation without trying each alternative.
  String.raw`(?=[\w:])(?:` +
  [
    String.raw`(?<![\w-])(?<nft>(?:service|local|external|firewall|endpoint|affinity)-[A-Z2-7]{8}-[^\s;{}"',]+)`,
    String.raw`(?<![\w-])(?<kube>KUBE-(?:SVC|SVL|EXT|FW|XLB|SEP)-[A-Z2-7]{16})(?![\w-])`,
    // Six two-digit groups: never an IPv6 address (eight groups, or '::').
    String.raw`(?<![\w:.-])(?<mac>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?![\w:])`,
    String.raw`(?<![\w.])(?<bridgePriority>[0-9a-f]{4})\.(?<bridgeMac>[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5})(?![\w:])`,
    String.raw`(?<![\w:.])(?<v6>(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?)(?:\/(?<v6bits>\d{1,3})(?!\d))?(?![\w:])`,
    String.raw`(?<![\w.])(?<v4>\d{1,3}(?:\.\d{1,3}){3})(?:\/(?<v4bits>\d{1,2})(?!\d))?(?![\w]|\.\d)`,
    // Upper case too: a host captured with --local may be named WEB-01 (only collected names change).
    String.raw`(?<![\w-])(?<name>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?![\w-])`,
  ].join('|') +
    ')',
  'g',
);

interface TokenGroups {
  nft?: string;
  kube?: string;
  mac?: string;
  bridgePriority?: string;
  bridgeMac?: string;
  v6?: string;
  v6bits?: string;
  v4?: string;
  v4bits?: string;
  name?: string;
}

function rewriteName(token: string, mapper: TokenMapper): string {
  const whole = mapper.name(token);
  if (whole !== undefined) return whole;
  if (!token.includes('.')) return token;
  return token
    .split('.')
    .map((label) => (label === '' ? label : (mapper.name(label) ?? label)))
    .join('.');
}

function rewriteAddress(address: string, bits: string | undefined, mapper: TokenMapper): string | undefined {
  if (bits !== undefined) {
    const mapped = mapper.prefix(address, Number(bits));
    if (mapped !== undefined) return mapped;
  }
  const mapped = mapper.address(address);
  return mapped === undefined ? undefined : bits === undefined ? mapped : `${mapped}/${bits}`;
}

export function rewriteText(text: string, mapper: TokenMapper): string {
  return text.replace(TOKEN, (match, ...args) => {
    const groups = args[args.length - 1] as TokenGroups;
    if (groups.name !== undefined) return rewriteName(groups.name, mapper);
    if (groups.mac !== undefined) return mapper.mac?.(groups.mac) ?? match;
    if (groups.bridgeMac !== undefined) {
      const mapped = mapper.mac?.(groups.bridgeMac);
      return mapped === undefined ? match : `${groups.bridgePriority}.${mapped}`;
    }
    if (groups.v4 !== undefined) return rewriteAddress(groups.v4, groups.v4bits, mapper) ?? match;
    if (groups.v6 !== undefined) {
      const mapped = rewriteAddress(groups.v6, groups.v6bits, mapper);
      if (mapped !== undefined) return mapped;
      // `fd00::5:` at the end of a sentence or a log field: the colon is not the address's.
      const trimmed = groups.v6.replace(/:+$/, '');
      if (groups.v6bits === undefined && trimmed !== groups.v6 && trimmed.includes('::')) {
        const inner = mapper.address(trimmed);
        if (inner !== undefined) return inner + match.slice(trimmed.length);
      }
      return match;
    }
    const chain = groups.kube ?? groups.nft!;
    return mapper.chain(chain) ?? (groups.nft !== undefined ? rewriteNftChainText(chain, mapper) : chain);
  });
}

/**
 * An nftables chain name the mapper does not know: its readable part (`ns/svc/tcp/port__ip/port`)
 * is still rewritten, the endpoint after `__` on its own since `_` would glue it to the port name.
 */
function rewriteNftChainText(chain: string, mapper: TokenMapper): string {
  const cut = chain.indexOf('-', chain.indexOf('-') + 1);
  const readable = chain.slice(cut + 1).split('__').map((part) => rewriteText(part, mapper));
  return chain.slice(0, cut + 1) + readable.join('__');
}

const JSON_STRING = /"((?:[^"\\\n]|\\.)*)"(\s*:)?/g;

/** Rewrites every string of a JSON text in place; layout and line numbers stay as they were. */
export function rewriteJsonText(text: string, mapper: TokenMapper): string {
  const keyMapper: TokenMapper = { ...mapper, name: () => undefined, chain: () => undefined };
  return text.replace(JSON_STRING, (match, content: string, colon: string | undefined) => {
    const use = colon === undefined ? mapper : keyMapper;
    if (!content.includes('\\')) {
      const out = rewriteText(content, use);
      return out === content ? match : `"${out}"${colon ?? ''}`;
    }
    let decoded: string;
    try {
      decoded = JSON.parse(`"${content}"`) as string;
    } catch {
      return match;
    }
    const out = rewriteText(decoded, use);
    return out === decoded ? match : `${JSON.stringify(out)}${colon ?? ''}`;
  });
}
