/**
 * Reads `ipset save` output:
 *
 *   create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536
 *   add KUBE-CLUSTER-IP 10.96.0.10,udp:53
 *   create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
 *   add KUBE-NODE-PORT-TCP 30080
 *
 * and, because users and docs paste it as often, `ipset list` blocks (`Name:`, `Type:`,
 * `Header:`, `Members:`) and `ipset create|add …` script lines. Never throws on data.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseCidr, parseIpAddress } from './ip-cidr.js';
import { protocolName, protocolNumber } from './ip-protocols.js';
import type { Ipset, IpsetDimension, IpsetDump, IpsetMember, IpsetMemberPart } from './ipset-types.js';
import { IssueSink } from './issue-sink.js';
import { tokenizeIptablesLine } from './tokenize-iptables-line.js';

const DIMENSIONS = new Set<IpsetDimension>(['ip', 'net', 'port', 'mac', 'iface', 'mark', 'set']);

/** Header options that take a value (the others, such as `comment` or `counters`, are flags). */
const VALUED_OPTIONS = new Set([
  'family',
  'hashsize',
  'maxelem',
  'timeout',
  'range',
  'netmask',
  'size',
  'markmask',
  'bucketsize',
  'initval',
]);

export function parseIpsetSave(file: SourceFile): ParseResult<IpsetDump> {
  const sink = new IssueSink(file.path);
  const sets = new Map<string, Ipset>();
  /** The set whose `Members:` block (ipset list format) is being read. */
  let listing: Ipset | undefined;
  let inMembers = false;
  const undeclaredReported = new Set<string>();

  const setFor = (name: string, lineNo: number, line: string): Ipset => {
    let set = sets.get(name);
    if (!set) {
      set = { name, type: '', method: '', dimensions: [], family: 4, line: lineNo, options: {}, members: [] };
      sets.set(name, set);
    }
    if (set.type === '' && !undeclaredReported.has(name)) {
      undeclaredReported.add(name);
      sink.add('UNEXPECTED_SHAPE', lineNo, `members added to set ${name}, which is never created here; kept untyped`, {
        text: line,
        severity: 'warning',
        kind: 'undeclared-set',
        what: 'sets used before creation',
      });
    }
    return set;
  };

  const lines = file.text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    let line = lines[index]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (trimmed === '') {
      inMembers = false;
      continue;
    }
    if (trimmed.startsWith('#')) continue;

    // ipset list format
    const header = /^(Name|Type|Revision|Header|Size in memory|References|Number of entries|Members):\s*(.*)$/.exec(trimmed);
    if (header) {
      const [, key, value] = header;
      if (key === 'Name') {
        listing = { name: value!, type: '', method: '', dimensions: [], family: 4, line: lineNo, options: {}, members: [] };
        if (sets.has(value!)) {
          sink.add('UNEXPECTED_SHAPE', lineNo, `set ${value} appears again; the later listing replaces the earlier one`, {
            text: line,
            severity: 'warning',
            kind: 'repeated-set',
            what: 'repeated sets',
          });
          sets.delete(value!);
        }
        sets.set(value!, listing);
        inMembers = false;
      } else if (!listing) {
        sink.add('BAD_LINE', lineNo, `"${key}:" outside a set listing (no "Name:" before it)`, { text: line });
      } else if (key === 'Type') {
        applyType(listing, value!, lineNo, line, sink);
      } else if (key === 'Header') {
        applyOptions(listing, tokenizeIptablesLine(value!).tokens);
      } else if (key === 'Members') {
        inMembers = true;
      }
      continue;
    }
    if (inMembers && listing) {
      addMember(listing, tokenizeIptablesLine(trimmed).tokens, 0, lineNo, line, sink);
      continue;
    }

    // ipset save / restore-script format
    const tokenized = tokenizeIptablesLine(trimmed);
    if (tokenized.error !== undefined) {
      sink.add('BAD_LINE', lineNo, tokenized.error, { text: line });
      continue;
    }
    let tokens = tokenized.tokens;
    if (tokens[0] === 'ipset') tokens = tokens.slice(1).filter((t) => !/^-(exist|!|q|quiet)$/.test(t));
    const command = tokens[0];
    if (trimmed === '...' || trimmed === '…') {
      sink.add('UNEXPECTED_SHAPE', lineNo, 'elided content ("...")', { text: line, severity: 'warning', kind: 'elision', what: 'elisions' });
      continue;
    }
    if (command === 'create' || command === 'n' || command === '-N') {
      const [name, type] = [tokens[1], tokens[2]];
      if (name === undefined || type === undefined) {
        sink.add('BAD_LINE', lineNo, 'create needs a set name and a type', { text: line });
        continue;
      }
      if (sets.get(name)?.type) {
        sink.add('UNEXPECTED_SHAPE', lineNo, `set ${name} is created twice; the later definition replaces the earlier one`, {
          text: line,
          severity: 'warning',
          kind: 'repeated-set',
          what: 'repeated sets',
        });
      }
      const set: Ipset = { name, type: '', method: '', dimensions: [], family: 4, line: lineNo, options: {}, members: [] };
      applyType(set, type, lineNo, line, sink);
      applyOptions(set, tokens.slice(3));
      sets.delete(name);
      sets.set(name, set);
      listing = undefined;
      continue;
    }
    if (command === 'add' || command === 'a' || command === '-A') {
      const name = tokens[1];
      if (name === undefined || tokens[2] === undefined) {
        sink.add('BAD_LINE', lineNo, 'add needs a set name and an element', { text: line });
        continue;
      }
      addMember(setFor(name, lineNo, line), tokens, 2, lineNo, line, sink);
      continue;
    }
    if (command === 'flush' || command === 'destroy' || command === 'swap' || command === 'rename' || command === 'del') {
      sink.add('UNSUPPORTED_FEATURE', lineNo, `ipset ${command} is a change, not saved state; ignored`, {
        text: line,
        severity: 'warning',
        kind: 'ipset-command',
        what: 'ipset commands other than create/add',
      });
      continue;
    }
    sink.add('BAD_LINE', lineNo, 'not an ipset save or list line', { text: line });
  }
  return { value: { sets }, issues: sink.finish() };
}

function applyType(set: Ipset, type: string, lineNo: number, line: string, sink: IssueSink): void {
  set.type = type;
  const colon = type.indexOf(':');
  set.method = colon === -1 ? type : type.slice(0, colon);
  const dims = colon === -1 ? [] : type.slice(colon + 1).split(',');
  set.dimensions = dims.filter((d): d is IpsetDimension => DIMENSIONS.has(d as IpsetDimension));
  const understood = colon !== -1 && set.dimensions.length === dims.length && ['hash', 'bitmap', 'list'].includes(set.method);
  if (!understood || set.dimensions.some((d) => d === 'mac' || d === 'iface' || d === 'mark')) {
    const what = understood ? 'membership in it is not evaluated (answers "unknown")' : 'its members are kept verbatim';
    sink.add('UNSUPPORTED_FEATURE', lineNo, `set type ${type}: ${what}`, {
      text: line,
      severity: 'warning',
      kind: `ipset-type:${type}`,
      what: `sets of type ${type}`,
    });
  }
}

function applyOptions(set: Ipset, tokens: string[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const key = tokens[i]!;
    if (VALUED_OPTIONS.has(key) && tokens[i + 1] !== undefined) {
      set.options[key] = tokens[++i]!;
    } else {
      set.options[key] = '';
    }
  }
  if (set.options['family'] === 'inet6') set.family = 6;
  const netmask = set.options['netmask'];
  if (netmask !== undefined && /^\d+$/.test(netmask)) set.netmaskPrefix = Number(netmask);
}

function addMember(set: Ipset, tokens: string[], start: number, lineNo: number, line: string, sink: IssueSink): void {
  const text = tokens[start];
  if (text === undefined) return;
  const member: IpsetMember = { line: lineNo, text, parts: [], nomatch: false };
  for (let i = start + 1; i < tokens.length; i++) {
    const key = tokens[i]!;
    if (key === 'nomatch') member.nomatch = true;
    else if (key === 'timeout') member.timeout = Number(tokens[++i]);
    else if (key === 'comment') member.comment = tokens[++i] ?? '';
    else if (key === 'packets' || key === 'bytes' || key === 'skbmark' || key === 'skbprio' || key === 'skbqueue') i++;
  }
  const values = set.dimensions.length > 1 ? text.split(',') : [text];
  if (set.type === '') {
    member.parts = [{ kind: 'raw', text }];
  } else if (values.length !== set.dimensions.length) {
    sink.add('BAD_LINE', lineNo, `element ${text} does not have the ${set.dimensions.length} parts of ${set.type}`, { text: line });
    member.parts = [{ kind: 'raw', text }];
  } else {
    for (let d = 0; d < values.length; d++) {
      const part = parsePart(set, set.dimensions[d]!, values[d]!);
      if (!part) {
        sink.add('BAD_LINE', lineNo, `"${values[d]}" is not a valid ${set.dimensions[d]} for ${set.type}`, { text: line });
        member.parts = [{ kind: 'raw', text }];
        break;
      }
      member.parts.push(part);
    }
  }
  set.members.push(member);
}

function parsePart(set: Ipset, dimension: IpsetDimension, value: string): IpsetMemberPart | undefined {
  switch (dimension) {
    case 'ip':
    case 'net': {
      if (dimension === 'ip' && value.includes('-') && !value.includes('/')) {
        const [a, b] = value.split('-');
        const first = parseIpAddress(a!);
        const last = parseIpAddress(b ?? '');
        return first && last && first.family === last.family ? { kind: 'ip-range', first, last } : undefined;
      }
      // hash:ip with `netmask N` stores whole networks.
      const withMask = dimension === 'ip' && set.netmaskPrefix !== undefined && !value.includes('/') ? `${value}/${set.netmaskPrefix}` : value;
      const cidr = parseCidr(withMask);
      return cidr && { kind: 'cidr', cidr };
    }
    case 'port': {
      // `tcp:80`, `17:53`, `80` (tcp by default for hash types; no protocol for bitmap:port), `80-90`.
      const colon = value.indexOf(':');
      let protocol: string | undefined;
      let ports = value;
      if (colon !== -1) {
        const proto = value.slice(0, colon);
        const number = protocolNumber(proto);
        protocol = number !== undefined ? protocolName(number) : proto.toLowerCase();
        ports = value.slice(colon + 1);
      } else if (set.method === 'hash') {
        protocol = 'tcp';
      }
      if (protocol === 'icmp' || protocol === 'ipv6-icmp') return { kind: 'raw', text: value };
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(ports);
      if (!m) return undefined;
      const first = Number(m[1]);
      const last = m[2] === undefined ? first : Number(m[2]);
      if (first > 65535 || last > 65535 || last < first) return undefined;
      return { kind: 'port', protocol, first, last };
    }
    case 'set':
      return { kind: 'set', name: value };
    default:
      return { kind: 'raw', text: value };
  }
}
