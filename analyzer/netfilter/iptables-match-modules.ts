/**
 * How each `-m module` reads its options: the number of arguments each option takes and how it
 * lands in the typed match. Options a module has but this parser does not evaluate are listed
 * with `unsupported: true` so their arguments are still consumed correctly and kept verbatim.
 */
import { parseCidr, parseIpAddress } from './ip-cidr.js';
import { protocolNumber } from './ip-protocols.js';
import type {
  AddressOption,
  IcmpMatch,
  InterfaceOption,
  IptablesMatch,
  MarkMatch,
  PortRange,
  PortRangeOption,
  StateListOption,
} from './iptables-types.js';
import { parseMarkAndMask } from './mark-update.js';

export interface OptionSpec<M> {
  arity: 0 | 1 | 2;
  /** Stores the option; returns false when an argument is malformed. */
  apply?: (match: M, args: string[], negated: boolean) => boolean;
  /** The option exists but is not evaluated: kept in `unsupportedOptions`. */
  unsupported?: true;
}

export interface ModuleSpec<M> {
  create(module: string): M;
  options: Record<string, OptionSpec<M>>;
}

type Of<K extends IptablesMatch['kind']> = Extract<IptablesMatch, { kind: K }>;

// ---------------------------------------------------------------------------------------------
// Value readers shared by matches and targets

/** A decimal number no larger than `max`. */
export function parseBoundedNumber(text: string, max: number): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** `80`, `1000:2000`, `:1023`, `1024:` as iptables prints port ranges. */
function parseColonRange(text: string, max = 65535): PortRange | undefined {
  const colon = text.indexOf(':');
  if (colon === -1) {
    const n = parseBoundedNumber(text, max);
    return n === undefined ? undefined : { first: n, last: n };
  }
  const first = colon === 0 ? 0 : parseBoundedNumber(text.slice(0, colon), max);
  const last = colon === text.length - 1 ? max : parseBoundedNumber(text.slice(colon + 1), max);
  if (first === undefined || last === undefined || last < first) return undefined;
  return { first, last };
}

function rangeOption(text: string, negated: boolean, max = 65535): PortRangeOption | undefined {
  const range = parseColonRange(text, max);
  return range && { first: range.first, last: range.last, negated };
}

export function addressOption(text: string, negated: boolean): AddressOption | undefined {
  const cidr = parseCidr(text);
  return cidr && { cidr, negated };
}

export function interfaceOption(name: string, negated: boolean): InterfaceOption {
  const wildcard = name.endsWith('+');
  return { name, wildcard, prefix: wildcard ? name.slice(0, -1) : name, negated };
}

function stateList(text: string, negated: boolean): StateListOption {
  return { states: text.toUpperCase().split(','), negated };
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

function tcpFlagList(text: string): string[] | undefined {
  const upper = text.toUpperCase();
  if (upper === 'ALL') return [...TCP_FLAGS];
  if (upper === 'NONE') return [];
  const flags = upper.split(',');
  return flags.every((f) => TCP_FLAGS.includes(f)) ? flags : undefined;
}

const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0,
  pong: 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  ping: 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  ttl_exceeded: 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
};

const ICMP_CODES: Record<string, [number, number]> = {
  'network-unreachable': [3, 0],
  'host-unreachable': [3, 1],
  'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4],
  'network-prohibited': [3, 9],
  'host-prohibited': [3, 10],
  'communication-prohibited': [3, 13],
};

const ICMPV6_TYPES: Record<string, number> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  ping: 128,
  'echo-reply': 129,
  pong: 129,
  'router-solicitation': 133,
  'router-advertisement': 134,
  'neighbour-solicitation': 135,
  'neighbor-solicitation': 135,
  'neighbour-advertisement': 136,
  'neighbor-advertisement': 136,
  redirect: 137,
};

function applyIcmpType(m: IcmpMatch, text: string, negated: boolean): boolean {
  m.text = text;
  m.negated = negated;
  if (text === 'any') return true;
  const slash = text.indexOf('/');
  if (/^\d/.test(text)) {
    const type = parseBoundedNumber(slash === -1 ? text : text.slice(0, slash), 255);
    const code = slash === -1 ? undefined : parseBoundedNumber(text.slice(slash + 1), 255);
    if (type === undefined || (slash !== -1 && code === undefined)) return false;
    m.type = type;
    if (code !== undefined) m.code = code;
    return true;
  }
  const named = m.version === 4 ? ICMP_TYPES[text] : ICMPV6_TYPES[text];
  if (named !== undefined) {
    m.type = named;
    return true;
  }
  const withCode = m.version === 4 ? ICMP_CODES[text] : undefined;
  if (withCode) {
    m.type = withCode[0];
    m.code = withCode[1];
    return true;
  }
  (m.unsupportedOptions ??= []).push(`--icmp-type ${text}`);
  return true;
}

const LIMIT_UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
  d: 86400,
  day: 86400,
};

function parseRate(text: string): number | undefined {
  const m = /^(\d+)(?:\/([a-z]+))?$/.exec(text);
  if (!m) return undefined;
  const unit = m[2] === undefined ? 1 : LIMIT_UNITS[m[2]];
  return unit === undefined ? undefined : Number(m[1]) / unit;
}

// ---------------------------------------------------------------------------------------------
// Modules

const portsModule = (protocol: Of<'ports'>['protocol'], extra: Record<string, OptionSpec<Of<'ports'>>> = {}): ModuleSpec<Of<'ports'>> => {
  const sport: OptionSpec<Of<'ports'>> = {
    arity: 1,
    apply: (m, [v], neg) => !!(m.sourcePort = rangeOption(v!, neg)),
  };
  const dport: OptionSpec<Of<'ports'>> = {
    arity: 1,
    apply: (m, [v], neg) => !!(m.destinationPort = rangeOption(v!, neg)),
  };
  return {
    // Optional fields declared up front: one object shape, no out-of-object property storage.
    create: (module) => ({ kind: 'ports', module, protocol, sourcePort: undefined, destinationPort: undefined, tcpFlags: undefined }),
    options: { '--sport': sport, '--source-port': sport, '--dport': dport, '--destination-port': dport, ...extra },
  };
};

const tcpFlags: OptionSpec<Of<'ports'>> = {
  arity: 2,
  apply: (m, [mask, set], negated) => {
    const maskFlags = tcpFlagList(mask!);
    const setFlags = tcpFlagList(set!);
    if (!maskFlags || !setFlags) return false;
    m.tcpFlags = { mask: maskFlags, set: setFlags, negated };
    return true;
  },
};

const multiportOption = (direction: Of<'multiport'>['direction']): OptionSpec<Of<'multiport'>> => ({
  arity: 1,
  apply: (m, [v], negated) => {
    const ports: PortRange[] = [];
    for (const part of v!.split(',')) {
      const range = parseColonRange(part);
      if (!range) return false;
      ports.push(range);
    }
    m.direction = direction;
    m.ports = ports;
    m.negated = negated;
    return true;
  },
});

const markModule = (kind: 'mark' | 'connmark'): ModuleSpec<MarkMatch> => ({
  create: (module) => ({ kind, module, value: 0, mask: 0xffffffff, negated: false }),
  options: {
    '--mark': {
      arity: 1,
      apply: (m, [v], negated) => {
        const parsed = parseMarkAndMask(v!);
        if (!parsed) return false;
        m.value = parsed.value;
        m.mask = parsed.mask;
        m.negated = negated;
        return true;
      },
    },
  },
});

const ctAddress = (key: 'ctorigsrc' | 'ctorigdst' | 'ctreplsrc' | 'ctrepldst'): OptionSpec<Of<'conntrack'>> => ({
  arity: 1,
  apply: (m, [v], neg) => !!(m[key] = addressOption(v!, neg)),
});

const ctPort = (key: 'ctorigsrcport' | 'ctorigdstport' | 'ctreplsrcport' | 'ctrepldstport'): OptionSpec<Of<'conntrack'>> => ({
  arity: 1,
  apply: (m, [v], neg) => !!(m[key] = rangeOption(v!, neg)),
});

const recentCommand = (command: Of<'recent'>['command']): OptionSpec<Of<'recent'>> => ({
  arity: 0,
  apply: (m, _args, negated) => {
    m.command = command;
    m.negated = negated;
    return true;
  },
});

const flag = <M>(set: (m: M, negated: boolean) => void): OptionSpec<M> => ({
  arity: 0,
  apply: (m, _args, negated) => {
    set(m, negated);
    return true;
  },
});

const unsupported = <M>(arity: 0 | 1 | 2): OptionSpec<M> => ({ arity, unsupported: true });

const icmpModule = (version: 4 | 6, option: string): ModuleSpec<Of<'icmp'>> => ({
  create: (module) => ({ kind: 'icmp', module, version, type: undefined, code: undefined, text: 'any', negated: false }),
  options: { [option]: { arity: 1, apply: (m, [v], neg) => applyIcmpType(m, v!, neg) } },
});

export const MATCH_MODULES: Record<string, ModuleSpec<any>> = {
  comment: {
    create: (module) => ({ kind: 'comment', module, comment: '' }),
    options: {
      '--comment': {
        arity: 1,
        apply: (m: Of<'comment'>, [v]) => {
          m.comment = v!;
          return true;
        },
      },
    },
  } satisfies ModuleSpec<Of<'comment'>>,

  tcp: portsModule('tcp', {
    '--tcp-flags': tcpFlags,
    '--syn': flag((m, negated) => {
      m.tcpFlags = { mask: ['FIN', 'SYN', 'RST', 'ACK'], set: ['SYN'], negated };
    }),
    '--tcp-option': unsupported(1),
  }),
  udp: portsModule('udp'),
  sctp: portsModule('sctp', { '--chunk-types': unsupported(2) }),
  dccp: portsModule('dccp', { '--dccp-types': unsupported(1), '--dccp-option': unsupported(1) }),

  multiport: {
    create: (module) => ({ kind: 'multiport', module, direction: 'either', ports: [], negated: false }),
    options: {
      '--sports': multiportOption('source'),
      '--source-ports': multiportOption('source'),
      '--dports': multiportOption('destination'),
      '--destination-ports': multiportOption('destination'),
      '--ports': multiportOption('either'),
    },
  } satisfies ModuleSpec<Of<'multiport'>>,

  addrtype: {
    create: (module) => ({ kind: 'addrtype', module, srcType: undefined, dstType: undefined, limitIfaceIn: false, limitIfaceOut: false }),
    options: {
      '--src-type': { arity: 1, apply: (m, [v], negated) => !!(m.srcType = { types: v!.toUpperCase().split(','), negated }) },
      '--dst-type': { arity: 1, apply: (m, [v], negated) => !!(m.dstType = { types: v!.toUpperCase().split(','), negated }) },
      '--limit-iface-in': flag((m) => (m.limitIfaceIn = true)),
      '--limit-iface-out': flag((m) => (m.limitIfaceOut = true)),
    },
  } satisfies ModuleSpec<Of<'addrtype'>>,

  statistic: {
    create: (module) => ({ kind: 'statistic', module, mode: 'random', negated: false, probability: undefined, every: undefined, packet: undefined }),
    options: {
      '--mode': {
        arity: 1,
        apply: (m, [v]) => {
          if (v !== 'random' && v !== 'nth') return false;
          m.mode = v === 'random' ? 'random' : 'nth';
          return true;
        },
      },
      '--probability': {
        arity: 1,
        apply: (m, [v], negated) => {
          const p = Number(v);
          if (!/^\d*\.?\d+(?:[eE][-+]?\d+)?$/.test(v!) || p < 0 || p > 1) return false;
          m.probability = p;
          if (negated) m.negated = true;
          return true;
        },
      },
      '--every': {
        arity: 1,
        apply: (m, [v], negated) => {
          const n = parseBoundedNumber(v!, 0xffffffff);
          if (n === undefined || n === 0) return false;
          m.every = n;
          if (negated) m.negated = true;
          return true;
        },
      },
      '--packet': { arity: 1, apply: (m, [v]) => (m.packet = parseBoundedNumber(v!, 0xffffffff)) !== undefined },
    },
  } satisfies ModuleSpec<Of<'statistic'>>,

  mark: markModule('mark'),
  connmark: markModule('connmark'),

  conntrack: {
    create: (module) => ({ kind: 'conntrack', module, ctstate: undefined }),
    options: {
      '--ctstate': { arity: 1, apply: (m, [v], neg) => !!(m.ctstate = stateList(v!, neg)) },
      '--ctstatus': { arity: 1, apply: (m, [v], neg) => !!(m.ctstatus = stateList(v!, neg)) },
      '--ctproto': {
        arity: 1,
        apply: (m, [v], negated) => {
          m.ctproto = { name: v!.toLowerCase(), number: protocolNumber(v!), negated };
          return true;
        },
      },
      '--ctorigsrc': ctAddress('ctorigsrc'),
      '--ctorigdst': ctAddress('ctorigdst'),
      '--ctreplsrc': ctAddress('ctreplsrc'),
      '--ctrepldst': ctAddress('ctrepldst'),
      '--ctorigsrcport': ctPort('ctorigsrcport'),
      '--ctorigdstport': ctPort('ctorigdstport'),
      '--ctreplsrcport': ctPort('ctreplsrcport'),
      '--ctrepldstport': ctPort('ctrepldstport'),
      '--ctexpire': { arity: 1, apply: (m, [v], neg) => !!(m.ctexpire = rangeOption(v!, neg, 0xffffffff)) },
      '--ctdir': {
        arity: 1,
        apply: (m, [v]) => {
          const dir = v!.toUpperCase();
          if (dir !== 'ORIGINAL' && dir !== 'REPLY') return false;
          m.ctdir = dir;
          return true;
        },
      },
    },
  } satisfies ModuleSpec<Of<'conntrack'>>,

  state: {
    create: (module) => ({ kind: 'state', module, state: { states: [], negated: false } }),
    options: { '--state': { arity: 1, apply: (m, [v], neg) => !!(m.state = stateList(v!, neg)) } },
  } satisfies ModuleSpec<Of<'state'>>,

  set: (() => {
    const matchSet: OptionSpec<Of<'set'>> = {
      arity: 2,
      apply: (m, [name, flags], negated) => {
        const parts = flags!.split(',');
        if (!parts.every((p) => p === 'src' || p === 'dst')) return false;
        m.setName = name!;
        m.flags = parts as ('src' | 'dst')[];
        m.negated = negated;
        return true;
      },
    };
    const spec: ModuleSpec<Of<'set'>> = {
      create: (module) => ({ kind: 'set', module, setName: '', flags: [], negated: false, returnNomatch: false }),
      options: {
        '--match-set': matchSet,
        '--set': matchSet,
        '--return-nomatch': flag((m) => (m.returnNomatch = true)),
        // Counter bookkeeping does not change whether the packet matches.
        '--update-counters': { arity: 0 },
        '--update-subcounters': { arity: 0 },
        '--packets-eq': unsupported(1),
        '--packets-lt': unsupported(1),
        '--packets-gt': unsupported(1),
        '--bytes-eq': unsupported(1),
        '--bytes-lt': unsupported(1),
        '--bytes-gt': unsupported(1),
      },
    };
    return spec;
  })(),

  recent: {
    create: (module) => ({
      kind: 'recent',
      module,
      name: 'DEFAULT',
      command: 'rcheck',
      negated: false,
      seconds: undefined,
      hitcount: undefined,
      reap: false,
      rttl: false,
      side: 'source',
      mask: undefined,
    }),
    options: {
      '--set': recentCommand('set'),
      '--rcheck': recentCommand('rcheck'),
      '--update': recentCommand('update'),
      '--remove': recentCommand('remove'),
      '--name': { arity: 1, apply: (m, [v]) => !!(m.name = v!) },
      '--seconds': { arity: 1, apply: (m, [v]) => (m.seconds = parseBoundedNumber(v!, 0xffffffff)) !== undefined },
      '--hitcount': { arity: 1, apply: (m, [v]) => (m.hitcount = parseBoundedNumber(v!, 0xffffffff)) !== undefined },
      '--reap': flag((m) => (m.reap = true)),
      '--rttl': flag((m) => (m.rttl = true)),
      '--rsource': flag((m) => (m.side = 'source')),
      '--rdest': flag((m) => (m.side = 'destination')),
      '--mask': { arity: 1, apply: (m, [v]) => !!(m.mask = v!) },
    },
  } satisfies ModuleSpec<Of<'recent'>>,

  physdev: {
    create: (module) => ({ kind: 'physdev', module }),
    options: {
      '--physdev-in': { arity: 1, apply: (m, [v], neg) => !!(m.physdevIn = interfaceOption(v!, neg)) },
      '--physdev-out': { arity: 1, apply: (m, [v], neg) => !!(m.physdevOut = interfaceOption(v!, neg)) },
      '--physdev-is-in': flag((m, negated) => (m.isIn = { negated })),
      '--physdev-is-out': flag((m, negated) => (m.isOut = { negated })),
      '--physdev-is-bridged': flag((m, negated) => (m.isBridged = { negated })),
    },
  } satisfies ModuleSpec<Of<'physdev'>>,

  iprange: (() => {
    const range = (key: 'srcRange' | 'dstRange'): OptionSpec<Of<'iprange'>> => ({
      arity: 1,
      apply: (m, [v], negated) => {
        const dash = v!.indexOf('-');
        const first = parseIpAddress(dash === -1 ? v! : v!.slice(0, dash));
        const last = dash === -1 ? first : parseIpAddress(v!.slice(dash + 1));
        if (!first || !last || first.family !== last.family) return false;
        m[key] = { text: v!, first, last, negated };
        return true;
      },
    });
    const spec: ModuleSpec<Of<'iprange'>> = {
      create: (module) => ({ kind: 'iprange', module }),
      options: { '--src-range': range('srcRange'), '--dst-range': range('dstRange') },
    };
    return spec;
  })(),

  limit: {
    // iptables' defaults: 3/hour, burst 5.
    create: (module) => ({ kind: 'limit', module, rate: '3/hour', perSecond: 3 / 3600, burst: 5 }),
    options: {
      '--limit': {
        arity: 1,
        apply: (m, [v]) => {
          const perSecond = parseRate(v!);
          if (perSecond === undefined) return false;
          m.rate = v!;
          m.perSecond = perSecond;
          return true;
        },
      },
      '--limit-burst': {
        arity: 1,
        apply: (m, [v]) => {
          const burst = parseBoundedNumber(v!, 0xffffffff);
          if (burst === undefined) return false;
          m.burst = burst;
          return true;
        },
      },
    },
  } satisfies ModuleSpec<Of<'limit'>>,

  owner: {
    create: (module) => ({ kind: 'owner', module }),
    options: {
      '--uid-owner': { arity: 1, apply: (m, [v], neg) => !!(m.uidOwner = rangeOption(v!.replace('-', ':'), neg, 0xffffffff)) },
      '--gid-owner': { arity: 1, apply: (m, [v], neg) => !!(m.gidOwner = rangeOption(v!.replace('-', ':'), neg, 0xffffffff)) },
      '--socket-exists': flag((m, negated) => (m.socketExists = { negated })),
      '--suppl-groups': unsupported(0),
    },
  } satisfies ModuleSpec<Of<'owner'>>,

  icmp: icmpModule(4, '--icmp-type'),
  icmp6: icmpModule(6, '--icmpv6-type'),

  nfacct: {
    create: (module) => ({ kind: 'nfacct', module, name: '' }),
    options: { '--nfacct-name': { arity: 1, apply: (m, [v]) => !!(m.name = v!) } },
  } satisfies ModuleSpec<Of<'nfacct'>>,

  rpfilter: {
    create: (module) => ({ kind: 'rpfilter', module, loose: false, validmark: false, acceptLocal: false, invert: false }),
    options: {
      '--loose': flag((m) => (m.loose = true)),
      '--validmark': flag((m) => (m.validmark = true)),
      '--accept-local': flag((m) => (m.acceptLocal = true)),
      '--invert': flag((m) => (m.invert = true)),
    },
  } satisfies ModuleSpec<Of<'rpfilter'>>,

  socket: {
    create: (module) => ({ kind: 'socket', module, transparent: false, nowildcard: false, restoreSkmark: false }),
    options: {
      '--transparent': flag((m) => (m.transparent = true)),
      '--nowildcard': flag((m) => (m.nowildcard = true)),
      '--restore-skmark': flag((m) => (m.restoreSkmark = true)),
    },
  } satisfies ModuleSpec<Of<'socket'>>,

  mac: {
    create: (module) => ({ kind: 'mac', module, macSource: '', negated: false }),
    options: {
      '--mac-source': {
        arity: 1,
        apply: (m, [v], negated) => {
          if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v!)) return false;
          m.macSource = v!.toLowerCase();
          m.negated = negated;
          return true;
        },
      },
    },
  } satisfies ModuleSpec<Of<'mac'>>,

  pkttype: {
    create: (module) => ({ kind: 'pkttype', module, pktType: '', negated: false }),
    options: {
      '--pkt-type': {
        arity: 1,
        apply: (m, [v], negated) => {
          m.pktType = v!.toLowerCase();
          m.negated = negated;
          return true;
        },
      },
    },
  } satisfies ModuleSpec<Of<'pkttype'>>,

  ipvs: {
    create: (module) => ({ kind: 'ipvs', module }),
    options: {
      '--ipvs': flag((m, negated) => (m.ipvs = { negated })),
      '--vproto': unsupported(1),
      '--vaddr': unsupported(1),
      '--vport': unsupported(1),
      '--vdir': unsupported(1),
      '--vmethod': unsupported(1),
      '--vportctl': unsupported(1),
    },
  } satisfies ModuleSpec<Of<'ipvs'>>,
};

/** Aliases under which iptables loads the same module. */
MATCH_MODULES['icmpv6'] = MATCH_MODULES['icmp6']!;

/** The match `-p <protocol>` loads implicitly, for options given without `-m`. */
export function implicitModuleFor(protocol: string): string | undefined {
  switch (protocol) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'dccp':
    case 'icmp':
      return protocol;
    case 'ipv6-icmp':
    case 'icmpv6':
      return 'icmp6';
    default:
      return undefined;
  }
}
