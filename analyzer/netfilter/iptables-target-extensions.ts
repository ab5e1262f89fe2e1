/**
 * How each `-j EXTENSION` reads its options (DNAT, SNAT, MASQUERADE, MARK, …). Same shape as the
 * match modules: arity per option, a typed store, and `unsupported` options kept verbatim.
 */
import { parseIpAddress } from './ip-cidr.js';
import { parseBoundedNumber, type ModuleSpec, type OptionSpec } from './iptables-match-modules.js';
import type { ExtensionTarget, PlainTarget } from './iptables-types.js';
import { andMark, orMark, parseMarkAndMask, parseUint32, setMark, xmark, xorMark, type MarkUpdate } from './mark-update.js';
import { parsePortRange, parseNatRange } from './nat-range.js';

type Ext<K extends ExtensionTarget['extension']> = Extract<ExtensionTarget, { extension: K }>;

const flag = <T>(set: (t: T) => void): OptionSpec<T> => ({
  arity: 0,
  apply: (t) => {
    set(t);
    return true;
  },
});

const ignored = <T>(arity: 0 | 1): OptionSpec<T> => ({ arity });
const unsupported = <T>(arity: 0 | 1): OptionSpec<T> => ({ arity, unsupported: true });

const natRange =
  <T>(get: (t: T) => unknown[], set: (t: T, list: any[]) => void): OptionSpec<T>['apply'] =>
  (t, [v]) => {
    const range = parseNatRange(v!);
    if (!range) return false;
    // A fresh exact-size array (a literal for the usual single range): one per DNAT rule, 100k of them in a big dump.
    const list = get(t);
    set(t, list.length === 0 ? [range] : [...list, range]);
    return true;
  };

const toPorts = <T extends { toPorts?: { first: number; last: number } }>(): OptionSpec<T> => ({
  arity: 1,
  apply: (t, [v]) => !!(t.toPorts = parsePortRange(v!)),
});

function markOperation(
  operation: Ext<'MARK'>['operation'],
  build: (value: number, mask: number | undefined) => MarkUpdate,
  allowMask: boolean,
): OptionSpec<Ext<'MARK'>> {
  return {
    arity: 1,
    apply: (t, [v]) => {
      const hasMask = v!.includes('/');
      if (hasMask && !allowMask) return false;
      const parsed = parseMarkAndMask(v!);
      if (!parsed) return false;
      t.operation = operation;
      t.update = build(parsed.value, hasMask ? parsed.mask : undefined);
      return true;
    },
  };
}

function connmarkSet(build: (value: number, mask: number | undefined) => MarkUpdate, allowMask: boolean): OptionSpec<Ext<'CONNMARK'>> {
  return {
    arity: 1,
    apply: (t, [v]) => {
      const hasMask = v!.includes('/');
      if (hasMask && !allowMask) return false;
      const parsed = parseMarkAndMask(v!);
      if (!parsed) return false;
      t.mode = 'set';
      t.update = build(parsed.value, hasMask ? parsed.mask : undefined);
      return true;
    },
  };
}

const uint32 =
  <T>(set: (t: T, n: number) => void): OptionSpec<T>['apply'] =>
  (t, [v]) => {
    const n = parseUint32(v!);
    if (n === undefined) return false;
    set(t, n);
    return true;
  };

export const TARGET_EXTENSIONS: Record<string, ModuleSpec<any>> = {
  DNAT: {
    create: (name) => ({ kind: 'extension', extension: 'DNAT', name, toDestination: [], random: false, persistent: false }),
    options: {
      '--to-destination': { arity: 1, apply: natRange((t: Ext<'DNAT'>) => t.toDestination, (t, list) => (t.toDestination = list)) },
      '--random': flag((t) => (t.random = true)),
      '--persistent': flag((t) => (t.persistent = true)),
    },
  } satisfies ModuleSpec<Ext<'DNAT'>>,

  SNAT: {
    create: (name) => ({
      kind: 'extension',
      extension: 'SNAT',
      name,
      toSource: [],
      random: false,
      randomFully: false,
      persistent: false,
    }),
    options: {
      '--to-source': { arity: 1, apply: natRange((t: Ext<'SNAT'>) => t.toSource, (t, list) => (t.toSource = list)) },
      '--random': flag((t) => (t.random = true)),
      '--random-fully': flag((t) => (t.randomFully = true)),
      '--persistent': flag((t) => (t.persistent = true)),
    },
  } satisfies ModuleSpec<Ext<'SNAT'>>,

  MASQUERADE: {
    create: (name) => ({ kind: 'extension', extension: 'MASQUERADE', name, random: false, randomFully: false }),
    options: {
      '--to-ports': toPorts(),
      '--random': flag((t) => (t.random = true)),
      '--random-fully': flag((t) => (t.randomFully = true)),
    },
  } satisfies ModuleSpec<Ext<'MASQUERADE'>>,

  REDIRECT: {
    create: (name) => ({ kind: 'extension', extension: 'REDIRECT', name, random: false }),
    options: {
      '--to-ports': toPorts(),
      '--random': flag((t) => (t.random = true)),
    },
  } satisfies ModuleSpec<Ext<'REDIRECT'>>,

  MARK: {
    // A MARK target without an operation is rejected by iptables; the parser flags it.
    create: (name) => ({ kind: 'extension', extension: 'MARK', name, operation: 'set-xmark', update: { value: 0, mask: 0 } }),
    options: {
      '--set-xmark': markOperation('set-xmark', (v, m) => xmark(v, m), true),
      '--set-mark': markOperation('set-mark', (v, m) => setMark(v, m), true),
      '--or-mark': markOperation('or-mark', (v) => orMark(v), false),
      '--and-mark': markOperation('and-mark', (v) => andMark(v), false),
      '--xor-mark': markOperation('xor-mark', (v) => xorMark(v), false),
    },
  } satisfies ModuleSpec<Ext<'MARK'>>,

  CONNMARK: {
    create: (name) => ({ kind: 'extension', extension: 'CONNMARK', name, mode: 'set' }),
    options: {
      '--set-xmark': connmarkSet((v, m) => xmark(v, m), true),
      '--set-mark': connmarkSet((v, m) => setMark(v, m), true),
      '--or-mark': connmarkSet((v) => orMark(v), false),
      '--and-mark': connmarkSet((v) => andMark(v), false),
      '--xor-mark': connmarkSet((v) => xorMark(v), false),
      '--save-mark': flag((t) => (t.mode = 'save')),
      '--restore-mark': flag((t) => (t.mode = 'restore')),
      '--nfmask': { arity: 1, apply: uint32((t, n) => (t.nfmask = n)) },
      '--ctmask': { arity: 1, apply: uint32((t, n) => (t.ctmask = n)) },
      '--mask': {
        arity: 1,
        apply: uint32((t, n) => {
          t.nfmask = n;
          t.ctmask = n;
        }),
      },
      '--left-shift-mark': unsupported(1),
      '--right-shift-mark': unsupported(1),
    },
  } satisfies ModuleSpec<Ext<'CONNMARK'>>,

  REJECT: {
    create: (name) => ({ kind: 'extension', extension: 'REJECT', name, rejectWith: 'icmp-port-unreachable' }),
    options: { '--reject-with': { arity: 1, apply: (t, [v]) => !!(t.rejectWith = v!) } },
  } satisfies ModuleSpec<Ext<'REJECT'>>,

  LOG: {
    create: (name) => ({ kind: 'extension', extension: 'LOG', name }),
    options: {
      '--log-prefix': { arity: 1, apply: (t, [v]) => ((t.prefix = v!), true) },
      '--log-level': { arity: 1, apply: (t, [v]) => !!(t.level = v!) },
      // What gets logged does not change the packet's path.
      '--log-tcp-sequence': ignored(0),
      '--log-tcp-options': ignored(0),
      '--log-ip-options': ignored(0),
      '--log-uid': ignored(0),
      '--log-macdecode': ignored(0),
    },
  } satisfies ModuleSpec<Ext<'LOG'>>,

  CT: {
    create: (name) => ({ kind: 'extension', extension: 'CT', name, notrack: false }),
    options: {
      '--notrack': flag((t) => (t.notrack = true)),
      '--zone': { arity: 1, apply: (t, [v]) => (t.zone = parseBoundedNumber(v!, 65535)) !== undefined },
      '--helper': { arity: 1, apply: (t, [v]) => !!(t.helper = v!) },
      '--zone-orig': unsupported(1),
      '--zone-reply': unsupported(1),
      '--timeout': unsupported(1),
      '--ctevents': ignored(1),
      '--expevents': ignored(1),
    },
  } satisfies ModuleSpec<Ext<'CT'>>,

  TPROXY: {
    create: (name) => ({ kind: 'extension', extension: 'TPROXY', name }),
    options: {
      '--on-port': { arity: 1, apply: (t, [v]) => (t.onPort = parseBoundedNumber(v!, 65535)) !== undefined },
      '--on-ip': { arity: 1, apply: (t, [v]) => !!(t.onIp = parseIpAddress(v!)) },
      '--tproxy-mark': { arity: 1, apply: (t, [v]) => !!(t.tproxyMark = parseMarkAndMask(v!)) },
    },
  } satisfies ModuleSpec<Ext<'TPROXY'>>,

  NOTRACK: {
    create: (name) => ({ kind: 'extension', extension: 'NOTRACK', name }),
    options: {},
  } satisfies ModuleSpec<PlainTarget>,

  TRACE: {
    create: (name) => ({ kind: 'extension', extension: 'TRACE', name }),
    options: {},
  } satisfies ModuleSpec<PlainTarget>,
};

/**
 * Targets iptables ships that this parser keeps verbatim. A `-j` name that is neither a chain,
 * a verdict, nor one of these or the above is taken as a jump to an (undeclared) chain.
 */
export const OTHER_TARGET_EXTENSIONS: ReadonlySet<string> = new Set([
  'AUDIT',
  'CHECKSUM',
  'CLASSIFY',
  'CLUSTERIP',
  'CONNSECMARK',
  'DNPT',
  'DSCP',
  'ECN',
  'HL',
  'HMARK',
  'IDLETIMER',
  'LED',
  'MIRROR',
  'NETMAP',
  'NFLOG',
  'NFQUEUE',
  'RATEEST',
  'SECMARK',
  'SET',
  'SNPT',
  'SYNPROXY',
  'TCPMSS',
  'TCPOPTSTRIP',
  'TEE',
  'TOS',
  'TTL',
  'ULOG',
]);
