/**
 * Small readers of parsed iptables rules that kube-proxy's reconstruction asks about again and
 * again: the comment, the destination address and port, the jump target, the verdict.
 */
import { makeEvidence, type Evidence, type SourceFile } from '../bundle/source-file.js';
import { formatIpAddress, type Cidr } from '../netfilter/ip-cidr.js';
import type { IptablesRule } from '../netfilter/iptables-types.js';
import type { L4Protocol } from './dataplane-types.js';

export function ruleComment(rule: IptablesRule): string | undefined {
  for (const match of rule.matches) if (match.kind === 'comment') return match.comment;
  return undefined;
}

/** The single address of a host CIDR (`/32`, `/128`), canonical. */
export function hostAddress(cidr: Cidr): string | undefined {
  if (cidr.family === 4) return cidr.prefix === 32 ? formatIpAddress({ family: 4, value: cidr.network }) : undefined;
  return cidr.prefix === 128 ? formatIpAddress({ family: 6, value: cidr.network }) : undefined;
}

/** `-d <host>` (not negated). */
export function destinationHost(rule: IptablesRule): string | undefined {
  return rule.destination && !rule.destination.negated ? hostAddress(rule.destination.cidr) : undefined;
}

/** `--dport N` of a tcp/udp/sctp match (a single port, not negated). */
export function destinationPort(rule: IptablesRule): number | undefined {
  for (const match of rule.matches) {
    if (match.kind === 'ports' && match.destinationPort && !match.destinationPort.negated && match.destinationPort.first === match.destinationPort.last) {
      return match.destinationPort.first;
    }
  }
  return undefined;
}

export function ruleProtocol(rule: IptablesRule): L4Protocol | undefined {
  const name = rule.protocol && !rule.protocol.negated ? rule.protocol.name : undefined;
  if (name === 'tcp' || name === 'udp' || name === 'sctp') return name;
  for (const match of rule.matches) if (match.kind === 'ports' && match.protocol !== 'dccp') return match.protocol;
  return undefined;
}

/** The chain a rule jumps or goes to. */
export function jumpTarget(rule: IptablesRule): string | undefined {
  return rule.target.kind === 'jump' || rule.target.kind === 'goto' ? rule.target.name : undefined;
}

/** REJECT or DROP. */
export function filterVerdict(rule: IptablesRule): 'reject' | 'drop' | undefined {
  if (rule.target.kind === 'verdict' && rule.target.name === 'DROP') return 'drop';
  if (rule.target.kind === 'extension' && rule.target.name === 'REJECT') return 'reject';
  return undefined;
}

/** `-m addrtype --dst-type LOCAL` (or --src-type). */
export function hasAddrType(rule: IptablesRule, side: 'src' | 'dst', type: string): boolean {
  for (const match of rule.matches) {
    if (match.kind !== 'addrtype') continue;
    const option = side === 'src' ? match.srcType : match.dstType;
    if (option && !option.negated && option.types.includes(type)) return true;
  }
  return false;
}

/** A rule whose only conditions are comments: it applies to every packet reaching it. */
export function isUnconditional(rule: IptablesRule): boolean {
  return (
    rule.source === undefined &&
    rule.destination === undefined &&
    rule.protocol === undefined &&
    rule.inInterface === undefined &&
    rule.outInterface === undefined &&
    rule.fragment === undefined &&
    rule.matches.every((m) => m.kind === 'comment')
  );
}

export function ruleEvidence(file: SourceFile, rule: IptablesRule, note?: string): Evidence {
  return makeEvidence(file.path, rule.line, rule.text, note);
}
