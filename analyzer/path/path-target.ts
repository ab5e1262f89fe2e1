/**
 * The destination as the user writes it: `shop/cart-1`, `shop/cart-1:8080`, `10.96.0.10:53`,
 * `[fd00::a]:443`, `fd00::a`, or a bare name (a Docker container). Split into what it names and
 * the port it carries.
 */
import { parseIpAddress } from '../netfilter/ip-cidr.js';

export interface PathTarget {
  /** `ns/pod`, an IP address (canonical text as given), or a container name / id prefix. */
  name: string;
  kind: 'ip' | 'pod' | 'name';
  port?: number;
}

/** The target, or an error message for a malformed port. */
export function parsePathTarget(text: string): PathTarget | { error: string } {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    if (!parseIpAddress(bracketed[1]!)) return { error: `${text}: "${bracketed[1]}" is not an IPv6 address` };
    return withPort({ name: bracketed[1]!, kind: 'ip' }, bracketed[2], text);
  }
  if (parseIpAddress(trimmed)) return { name: trimmed, kind: 'ip' };
  const colon = trimmed.lastIndexOf(':');
  const head = colon > 0 ? trimmed.slice(0, colon) : trimmed;
  const portText = colon > 0 ? trimmed.slice(colon + 1) : undefined;
  if (portText !== undefined && head.includes(':')) return { error: `${text}: write an IPv6 address with a port as [address]:port` };
  const kind = parseIpAddress(head) ? 'ip' : head.includes('/') ? 'pod' : 'name';
  return withPort({ name: head, kind }, portText, text);
}

function withPort(target: PathTarget, portText: string | undefined, text: string): PathTarget | { error: string } {
  if (portText === undefined) return target;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return { error: `${text}: "${portText}" is not a port number (1-65535)` };
  return { ...target, port };
}
