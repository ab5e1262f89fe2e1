/**
 * `ip rule show` / `ip -6 rule show` (bundle: `nodes/<node>/ip-rule.txt`):
 *
 *   0:	from all lookup local
 *   100:	from 10.2.0.0/16 lookup 100
 *   200:	from all fwmark 0x1/0xff lookup 100
 *   300:	from all to 10.8.0.0/16 iif eth1 lookup main
 *   400:	not from 10.3.0.0/16 lookup 100
 *   500:	from all to 10.5.0.0/16 blackhole
 *   600:	from all lookup main suppress_prefixlength 0
 *   700:	from all uidrange 100-200 ipproto tcp dport 80 lookup 100
 *   900:	from all oif eth0 goto 32766
 *   32766:	from all lookup main
 *   32767:	from all lookup default
 *
 * The family of each rule comes from its `from`/`to` prefixes, else from the `family` option
 * (6 for `ip -6 rule` files; default 4).
 */
import type { SourceFile } from '../bundle/source-file.js';
import type { ParseResult } from '../bundle/parse-issue.js';
import { parseCidr, type Cidr } from '../netfilter/ip-cidr.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { routeTableName } from './route-table-name.js';
import type { IpRule, RuleDump } from './route-types.js';

export interface ParseIpRuleOptions {
  family?: 4 | 6;
}

const HEADER = /^(\d+):\s*(.*)$/;
const VERBATIM_WORDS = new Set(['realms', 'nat', 'map-to', 'tun_id', 'dscp', 'flowlabel', 'proto', 'protocol']);
const KNOWN_WORDS = new Set([
  ...VERBATIM_WORDS,
  'not', 'l3mdev', 'nop', 'blackhole', 'unreachable', 'prohibit', 'from', 'to', 'tos', 'fwmark', 'iif', 'oif',
  'uidrange', 'sport', 'dport', 'ipproto', 'lookup', 'table', 'goto', 'suppress_prefixlength', 'suppress_ifgroup',
]);

export function parseIpRule(file: SourceFile, options: ParseIpRuleOptions = {}): ParseResult<RuleDump> {
  const sink = new IssueSink(file.path);
  const rules: IpRule[] = [];
  for (let lineNumber = 1; lineNumber <= file.lineCount; lineNumber++) {
    const raw = file.lineText(lineNumber);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    const match = HEADER.exec(text);
    if (!match) {
      sink.add('BAD_LINE', lineNumber, 'not an `ip rule` line (expected "<priority>: <selector> <action>")', { text: raw });
      continue;
    }
    const rule = readRule(file.path, Number(match[1]), match[2]!.split(/\s+/), lineNumber, text, options, sink, raw);
    if (rule) rules.push(rule);
  }
  return { value: { file: file.path, rules }, issues: sink.finish() };
}

function readRule(
  path: string,
  priority: number,
  tokens: string[],
  line: number,
  text: string,
  options: ParseIpRuleOptions,
  sink: IssueSink,
  raw: string,
): IpRule | undefined {
  const rule: IpRule = {
    family: options.family ?? 4,
    priority,
    not: false,
    action: 'lookup',
    extras: {},
    file: path,
    line,
    text,
  };
  let actionSeen = false;
  let family: 4 | 6 | undefined;
  const bad = (message: string) => sink.add('BAD_LINE', line, message, { text: raw });
  const readPrefix = (value: string): Cidr | undefined | null => {
    if (value === 'all') return undefined;
    const cidr = parseCidr(value);
    if (!cidr) return null;
    if (family !== undefined && family !== cidr.family) return null;
    family = cidr.family;
    return cidr;
  };

  for (let i = 0; i < tokens.length; i++) {
    const key = tokens[i]!;
    const value = tokens[i + 1];
    switch (key) {
      case 'not':
        rule.not = true;
        continue;
      case 'l3mdev':
        rule.l3mdev = true;
        continue;
      case 'nop':
      case 'blackhole':
      case 'unreachable':
      case 'prohibit':
        rule.action = key;
        actionSeen = true;
        continue;
      case '[detached]':
        // Follows `iif X` or `oif X`.
        if (tokens[i - 2] === 'oif') rule.oifDetached = true;
        else if (tokens[i - 2] === 'iif') rule.iifDetached = true;
        continue;
      case '[unresolved]':
        continue;
    }
    if (value === undefined) {
      bad(`rule attribute "${key}" without a value`);
      return undefined;
    }
    i++;
    switch (key) {
      case 'from':
      case 'to': {
        const prefix = readPrefix(value);
        if (prefix === null) {
          bad(`unreadable ${key} selector "${value}"`);
          return undefined;
        }
        if (prefix) rule[key] = prefix;
        break;
      }
      case 'tos':
        rule.tos = value;
        break;
      case 'fwmark': {
        const [markText, maskText] = value.split('/');
        const mark = parseNumber(markText!);
        const mask = maskText === undefined ? 0xffffffff : parseNumber(maskText);
        if (mark === undefined || mask === undefined) {
          bad(`unreadable fwmark "${value}"`);
          return undefined;
        }
        rule.fwmark = { value: mark, mask };
        break;
      }
      case 'iif':
        rule.iif = value;
        break;
      case 'oif':
        rule.oif = value;
        break;
      case 'uidrange':
      case 'sport':
      case 'dport': {
        const range = parseRange(value);
        if (!range) {
          bad(`unreadable ${key} "${value}"`);
          return undefined;
        }
        if (key === 'uidrange') rule.uidRange = range;
        else if (key === 'sport') rule.sourcePorts = range;
        else rule.destinationPorts = range;
        break;
      }
      case 'ipproto':
        rule.ipProto = value;
        break;
      case 'lookup':
      case 'table':
        rule.action = 'lookup';
        rule.table = routeTableName(value);
        actionSeen = true;
        break;
      case 'goto': {
        const target = parseNumber(value);
        if (target === undefined) {
          bad(`unreadable goto target "${value}"`);
          return undefined;
        }
        rule.action = 'goto';
        rule.gotoPriority = target;
        actionSeen = true;
        break;
      }
      case 'suppress_prefixlength': {
        const length = parseNumber(value);
        if (length !== undefined) rule.suppressPrefixLength = length;
        break;
      }
      case 'suppress_ifgroup':
        rule.suppressIfGroup = value;
        break;
      default:
        if (VERBATIM_WORDS.has(key)) {
          rule.extras[key] = value;
        } else {
          sink.add('UNSUPPORTED_FEATURE', line, `unknown rule attribute "${key}"`, {
            text: raw,
            severity: 'warning',
            kind: `attr:${key}`,
            what: `rules with "${key}"`,
          });
          // Its value is skipped too, unless what follows is a word this parser knows.
          if (KNOWN_WORDS.has(value)) i--;
        }
    }
  }
  if (!actionSeen) {
    sink.add('UNSUPPORTED_FEATURE', line, 'rule without an action (lookup, goto, blackhole, ...)', {
      text: raw,
      severity: 'warning',
    });
    rule.action = 'nop';
  }
  if (family !== undefined) rule.family = family;
  return rule;
}

function parseNumber(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}

function parseRange(text: string): { start: number; end: number } | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  return start <= end ? { start, end } : undefined;
}
