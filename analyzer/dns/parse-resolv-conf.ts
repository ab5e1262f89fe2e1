/**
 * Reads a resolv.conf (a node's `/etc/resolv.conf`, or a pod's) the way glibc's res_init does
 * (resolv/res_init.c, read for this parser), keeping the line of every value:
 *
 *   # kubelet-written pod resolv.conf
 *   search shop.svc.cluster.local svc.cluster.local cluster.local
 *   nameserver 10.96.0.10
 *   options ndots:5
 *
 * glibc's rules, which this parser follows and reports on:
 * - A comment is a line whose first character is `#` or `;`. Elsewhere `#` is not special:
 *   `search a b # note` gives the search domains `a`, `b`, `#` and `note`.
 * - A keyword must start the line and be followed by a space or tab; indented lines are
 *   ignored (musl does the same).
 * - `nameserver`: one address per line (IPv4, or IPv6 with an optional `%scope`); an invalid
 *   one is skipped; only the first 3 are used (MAXNS). None at all means 127.0.0.1.
 * - `search` and `domain` each replace the search list; the last one wins. `domain` takes its
 *   first word only.
 * - `options`: every `options` line adds to the previous ones; a later value wins. Flags match
 *   by prefix (`rotatex` is `rotate`). `ndots:` is capped at 15 (a negative one keeps its low
 *   4 bits: `ndots:-1` is 15), `timeout:` at 30, `attempts:` at 5. Unknown options are ignored.
 * - Before glibc 2.26 the search list held at most 6 domains / 256 characters; musl ignores a
 *   line of 255 characters or more (its line buffer is 256 bytes).
 *
 * `resolverConfigFor(conf, 'musl')` gives musl's reading of the same lines
 * (src/network/resolvconf.c): options other than ndots/timeout/attempts are not supported,
 * `domain` keeps all its words, limits are 60 s and 10 attempts.
 * Never throws on data.
 */
import { isIP } from 'node:net';
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import {
  defaultResolverOptions,
  GLIBC_LIMITS,
  MUSL_LIMITS,
  OLD_GLIBC_SEARCH_LIMITS,
  type ResolverConfig,
  type ResolverOptions,
} from './resolver-config.js';

/** One keyword line as written. */
export interface ResolvConfEntry {
  keyword: string;
  /** Whitespace-separated words after the keyword. */
  args: string[];
  line: number;
  /** The line starts with whitespace: glibc and musl ignore it (kubelet's reader does not). */
  indented: boolean;
  /** Length of the line in characters (musl ignores lines of 255 or more). */
  length: number;
}

export interface PositionedNameserver {
  address: string;
  line: number;
}

export interface ResolvConfOptionEntry {
  /** The option as written (`ndots:5`). */
  text: string;
  /** The option it sets, when glibc knows it. */
  option?: keyof ResolverOptions;
  line: number;
}

export interface ResolvConf {
  file: string;
  /** Nameservers glibc uses: the first 3 valid ones, in order (duplicates kept, as glibc does). */
  nameservers: PositionedNameserver[];
  /** Valid nameservers after the third, which glibc and musl ignore. */
  ignoredNameservers: PositionedNameserver[];
  /** The search list in effect: the last `search` or `domain` line. */
  search: string[];
  /** Line of the `search`/`domain` line in effect. */
  searchLine?: number;
  /** Options in effect for glibc (defaults where not set). */
  options: ResolverOptions;
  /** Line that last set each option. */
  optionLines: Partial<Record<keyof ResolverOptions, number>>;
  /** Every option word, in order. */
  optionEntries: ResolvConfOptionEntry[];
  /** Every keyword line, in order, including ignored ones. */
  entries: ResolvConfEntry[];
}

type FlagOption = Exclude<keyof ResolverOptions, 'ndots' | 'timeout' | 'attempts'>;

/** glibc's flag table, in glibc's matching order (the longer `single-request-reopen` first). */
const GLIBC_FLAGS: readonly (readonly [string, FlagOption])[] = [
  ['inet6', 'inet6'],
  ['rotate', 'rotate'],
  ['edns0', 'edns0'],
  ['single-request-reopen', 'singleRequestReopen'],
  ['single-request', 'singleRequest'],
  ['no_tld_query', 'noTldQuery'],
  ['no-tld-query', 'noTldQuery'],
  ['no-reload', 'noReload'],
  ['use-vc', 'useVc'],
  ['trust-ad', 'trustAd'],
  ['no-aaaa', 'noAaaa'],
];

const NUMERIC_OPTIONS = [
  ['ndots:', 'ndots', GLIBC_LIMITS.ndots],
  ['timeout:', 'timeout', GLIBC_LIMITS.timeout],
  ['attempts:', 'attempts', GLIBC_LIMITS.attempts],
] as const;

/** Options of other resolvers or of old glibc releases: reported as having no effect. */
const OBSOLETE_OPTIONS = new Set(['debug', 'ip6-bytestring', 'ip6-dotint', 'no-ip6-dotint', 'insecure1', 'insecure2', 'no-check-names']);

const KNOWN_KEYWORDS = new Set(['nameserver', 'search', 'domain', 'options', 'sortlist']);

export function parseResolvConf(file: SourceFile): ParseResult<ResolvConf> {
  const sink = new IssueSink(file.path);
  const conf: ResolvConf = {
    file: file.path,
    nameservers: [],
    ignoredNameservers: [],
    search: [],
    options: defaultResolverOptions(),
    optionLines: {},
    optionEntries: [],
    entries: [],
  };
  const lineCount = file.text === '' ? 0 : file.lineCount;
  const seenNameservers = new Map<string, number>();

  for (let lineNo = 1; lineNo <= lineCount; lineNo++) {
    const text = file.lineText(lineNo);
    if (text.trim() === '') continue;
    const first = text[0];
    if (first === '#' || first === ';') continue;

    const indented = first === ' ' || first === '\t';
    const words = text.trim().split(/[ \t]+/);
    const keyword = words[0]!;
    const args = words.slice(1);
    const entry: ResolvConfEntry = { keyword, args, line: lineNo, indented, length: text.length };
    conf.entries.push(entry);

    if (indented) {
      const what = KNOWN_KEYWORDS.has(keyword) ? `\`${keyword}\` line` : 'line';
      sink.add('BAD_LINE', lineNo, `indented ${what} ignored: glibc and musl only read keywords at the start of a line`, {
        text,
        severity: 'warning',
      });
      continue;
    }
    if (!KNOWN_KEYWORDS.has(keyword)) {
      sink.add('UNKNOWN_DIRECTIVE', lineNo, `unknown keyword \`${keyword}\`: ignored by glibc and musl`, { text, severity: 'warning' });
      continue;
    }
    if (args.length === 0) {
      sink.add('BAD_LINE', lineNo, `\`${keyword}\` without a value: ignored`, { text, severity: 'warning' });
      continue;
    }
    if (text.length >= MUSL_LIMITS.lineLength) {
      sink.add('BAD_LINE', lineNo, `line of ${text.length} characters: musl ignores lines of ${MUSL_LIMITS.lineLength} or more`, {
        text,
        severity: 'warning',
      });
    }

    switch (keyword) {
      case 'nameserver':
        readNameserver(conf, args, lineNo, text, sink, seenNameservers);
        break;
      case 'search':
      case 'domain':
        readSearch(conf, keyword, args, lineNo, text, sink);
        break;
      case 'options':
        for (const word of args) readOption(conf, word, lineNo, text, sink);
        break;
      case 'sortlist':
        break;
    }
  }

  if (conf.nameservers.length === 0) {
    sink.add('UNEXPECTED_SHAPE', 0, 'no usable nameserver: glibc and musl fall back to 127.0.0.1', { severity: 'warning' });
  }
  return { value: conf, issues: sink.finish() };
}

function readNameserver(
  conf: ResolvConf,
  args: string[],
  lineNo: number,
  text: string,
  sink: IssueSink,
  seen: Map<string, number>,
): void {
  const address = args[0]!;
  const bare = address.split('%')[0]!;
  if (isIP(bare) === 0) {
    sink.add('BAD_LINE', lineNo, `nameserver \`${address}\` is not an IP address: ignored`, { text, severity: 'warning' });
    return;
  }
  if (args.length > 1) {
    sink.add('BAD_LINE', lineNo, `text after the nameserver address is ignored: \`${args.slice(1).join(' ')}\``, {
      text,
      severity: 'warning',
    });
  }
  const positioned = { address, line: lineNo };
  const earlier = seen.get(address);
  if (earlier !== undefined) {
    sink.add('BAD_LINE', lineNo, `nameserver ${address} repeats line ${earlier}: it is queried twice`, { text, severity: 'warning' });
  } else {
    seen.set(address, lineNo);
  }
  if (conf.nameservers.length >= GLIBC_LIMITS.nameservers) {
    conf.ignoredNameservers.push(positioned);
    sink.add('BAD_LINE', lineNo, `nameserver ${address} ignored: glibc and musl use the first ${GLIBC_LIMITS.nameservers} only`, {
      text,
      severity: 'warning',
    });
    return;
  }
  conf.nameservers.push(positioned);
}

function readSearch(conf: ResolvConf, keyword: 'search' | 'domain', args: string[], lineNo: number, text: string, sink: IssueSink): void {
  if (conf.searchLine !== undefined) {
    sink.add('BAD_LINE', lineNo, `\`${keyword}\` replaces the search list of line ${conf.searchLine}: the last search or domain line wins`, {
      text,
      severity: 'warning',
    });
  }
  let domains = args;
  if (keyword === 'domain' && args.length > 1) {
    sink.add('BAD_LINE', lineNo, `glibc uses only the first word of \`domain\` (musl uses all of them): \`${args.slice(1).join(' ')}\``, {
      text,
      severity: 'warning',
    });
    domains = args.slice(0, 1);
  }
  const commentAt = domains.findIndex((d) => d.startsWith('#') || d.startsWith(';'));
  if (commentAt >= 0) {
    sink.add('BAD_LINE', lineNo, `\`${domains[commentAt]}\` is not a comment here: glibc takes it and what follows as search domains`, {
      text,
      severity: 'warning',
    });
  }
  const seen = new Set<string>();
  for (const domain of domains) {
    const key = domain.replace(/\.$/, '').toLowerCase();
    if (seen.has(key)) {
      sink.add('BAD_LINE', lineNo, `search domain ${domain} is listed twice: names are tried in it twice`, { text, severity: 'warning' });
    }
    seen.add(key);
    if (domain.length > 253) {
      sink.add('BAD_LINE', lineNo, `search domain of ${domain.length} characters exceeds the 253 of a DNS name`, { text, severity: 'warning' });
    }
  }
  const characters = domains.join(' ').length;
  if (domains.length > OLD_GLIBC_SEARCH_LIMITS.domains || characters >= OLD_GLIBC_SEARCH_LIMITS.characters) {
    sink.add(
      'BAD_LINE',
      lineNo,
      `search list of ${domains.length} domains / ${characters} characters: glibc before 2.26 keeps only ` +
        `${OLD_GLIBC_SEARCH_LIMITS.domains} domains within ${OLD_GLIBC_SEARCH_LIMITS.characters} characters`,
      { text, severity: 'warning' },
    );
  }
  conf.search = domains;
  conf.searchLine = lineNo;
}

function readOption(conf: ResolvConf, word: string, lineNo: number, text: string, sink: IssueSink): void {
  const entry: ResolvConfOptionEntry = { text: word, line: lineNo };
  conf.optionEntries.push(entry);

  for (const [prefix, option, max] of NUMERIC_OPTIONS) {
    if (!word.startsWith(prefix)) continue;
    entry.option = option;
    const valueText = word.slice(prefix.length);
    // glibc reads the number with atoi: leading digits count, anything else reads as 0.
    const digits = /^[+-]?\d+/.exec(valueText)?.[0];
    let value = digits === undefined ? 0 : Number(digits);
    if (digits === undefined || digits.length !== valueText.length) {
      sink.add('BAD_LINE', lineNo, `option ${word}: \`${valueText}\` is not a number; glibc reads ${value}`, { text, severity: 'warning' });
    }
    if (value > max) {
      sink.add('BAD_LINE', lineNo, `option ${word} exceeds glibc's maximum: ${option} is ${max}`, { text, severity: 'warning' });
      value = max;
    } else if (value < 0 && option === 'ndots') {
      // res_init checks only the upper bound and the value lands in __res_state's 4-bit
      // ndots field: -1 is 15, -2 is 14, -16 is 0 (checked against glibc 2.36 in the
      // resolver differential test). musl does not read a negative value at all.
      const wrapped = ((value % 16) + 16) % 16;
      sink.add('BAD_LINE', lineNo, `option ${word} is negative: glibc keeps its low 4 bits, ndots ${wrapped}; musl ignores it`, {
        text,
        severity: 'warning',
      });
      value = wrapped;
    } else if (value < 0) {
      sink.add('BAD_LINE', lineNo, `option ${word} is negative: read as 0`, { text, severity: 'warning' });
      value = 0;
    }
    if (option === 'timeout' && value === 0) {
      sink.add('BAD_LINE', lineNo, 'option timeout:0 waits 1 second in glibc', { text, severity: 'warning' });
    }
    if (option === 'attempts' && value === 0) {
      // musl's res_msend divides the timeout by attempts: the process dies of SIGFPE at its
      // first query (checked with musl 1.2.3 in the resolver differential test; the current
      // resolvconf.c still accepts 0).
      sink.add('BAD_LINE', lineNo, 'option attempts:0: glibc sends no query at all; musl (Alpine images) crashes with SIGFPE at the first lookup', {
        text,
        severity: 'warning',
      });
    }
    setOption(conf, option, value, lineNo, word, text, sink);
    return;
  }

  for (const [name, option] of GLIBC_FLAGS) {
    if (!word.startsWith(name)) continue;
    entry.option = option;
    if (word !== name) {
      sink.add('BAD_LINE', lineNo, `option ${word} is read by glibc as \`${name}\` (it matches by prefix)`, { text, severity: 'warning' });
    }
    if (option === 'inet6') {
      sink.add('BAD_LINE', lineNo, 'option inet6 is deprecated and has no effect in current glibc', { text, severity: 'warning' });
    }
    setOption(conf, option, true, lineNo, word, text, sink);
    return;
  }

  const what = OBSOLETE_OPTIONS.has(word) ? 'obsolete' : 'unknown';
  sink.add('UNKNOWN_DIRECTIVE', lineNo, `${what} option \`${word}\`: ignored by glibc`, { text, severity: 'warning' });
}

function setOption<K extends keyof ResolverOptions>(
  conf: ResolvConf,
  option: K,
  value: ResolverOptions[K],
  lineNo: number,
  word: string,
  text: string,
  sink: IssueSink,
): void {
  const earlier = conf.optionLines[option];
  if (earlier !== undefined && conf.options[option] !== value) {
    sink.add('BAD_LINE', lineNo, `option ${word} overrides line ${earlier}`, { text, severity: 'warning' });
  }
  conf.options[option] = value;
  conf.optionLines[option] = lineNo;
}

/**
 * The configuration a resolver holds after reading this file: glibc's (what the parser
 * computed) or musl's (re-read from the lines with musl's rules).
 */
export function resolverConfigFor(conf: ResolvConf, libc: 'glibc' | 'musl' = 'glibc'): ResolverConfig {
  if (libc === 'glibc') {
    return {
      nameservers: conf.nameservers.length > 0 ? conf.nameservers.map((n) => n.address) : ['127.0.0.1'],
      search: [...conf.search],
      options: { ...conf.options },
    };
  }
  return muslConfig(conf);
}

/** musl's reading (src/network/resolvconf.c): only ndots, timeout and attempts are options. */
function muslConfig(conf: ResolvConf): ResolverConfig {
  const options = defaultResolverOptions();
  const nameservers: string[] = [];
  let search: string[] = [];
  for (const entry of conf.entries) {
    if (entry.indented || entry.length >= MUSL_LIMITS.lineLength) continue;
    if (entry.keyword === 'nameserver') {
      const address = entry.args[0];
      if (address !== undefined && nameservers.length < MUSL_LIMITS.nameservers && isIP(address.split('%')[0]!) !== 0) {
        nameservers.push(address);
      }
    } else if (entry.keyword === 'search' || entry.keyword === 'domain') {
      search = [...entry.args];
    } else if (entry.keyword === 'options') {
      for (const word of entry.args) {
        const match = /^(ndots|attempts|timeout):(\d+)/.exec(word);
        if (!match) continue;
        const name = match[1] as 'ndots' | 'attempts' | 'timeout';
        options[name] = Math.min(Number(match[2]), MUSL_LIMITS[name]);
      }
    }
  }
  return { nameservers: nameservers.length > 0 ? nameservers : ['127.0.0.1'], search, options };
}
