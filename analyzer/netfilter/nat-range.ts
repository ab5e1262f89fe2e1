/**
 * A NAT destination as iptables (`--to-destination 10.0.0.1:80`, `[fd00::1]:80`,
 * `10.0.0.1-10.0.0.3:8000-8010`) and nftables (`dnat to 10.0.0.1:80`) print it.
 */
import { parseIpAddress, type IpAddress } from './ip-cidr.js';

export interface NatRange {
  text: string;
  /** First and last address of the range (equal for one address); absent for a port-only range. */
  addressFirst?: IpAddress;
  addressLast?: IpAddress;
  /** Port range; absent when the port is kept. */
  portFirst?: number;
  portLast?: number;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** `80` or `80-90`. */
export function parsePortRange(text: string): { first: number; last: number } | undefined {
  const dash = text.indexOf('-');
  const first = parsePort(dash === -1 ? text : text.slice(0, dash));
  const last = dash === -1 ? first : parsePort(text.slice(dash + 1));
  if (first === undefined || last === undefined || last < first) return undefined;
  return { first, last };
}

function parseAddressRange(text: string): { first: IpAddress; last: IpAddress } | undefined {
  const bracketed = (t: string) => (t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t);
  const single = parseIpAddress(bracketed(text));
  if (single) return { first: single, last: single };
  // A range `a-b`: IPv4 and IPv6 addresses never contain '-'.
  const dash = text.indexOf('-');
  if (dash === -1) return undefined;
  const first = parseIpAddress(bracketed(text.slice(0, dash)));
  const last = parseIpAddress(bracketed(text.slice(dash + 1)));
  if (!first || !last || first.family !== last.family) return undefined;
  return { first, last };
}

export function parseNatRange(text: string): NatRange | undefined {
  let addressPart = text;
  let portPart: string | undefined;
  if (text.startsWith(':')) {
    addressPart = '';
    portPart = text.slice(1);
  } else if (text.startsWith('[')) {
    // [v6]:port or [v6]-[v6]:port
    const close = text.lastIndexOf(']');
    if (close === -1) return undefined;
    addressPart = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portPart = rest.slice(1);
    }
  } else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes(':')) {
    // Exactly one colon: IPv4 address with a port. Several colons: a bare IPv6 address.
    const colon = text.indexOf(':');
    addressPart = text.slice(0, colon);
    portPart = text.slice(colon + 1);
  }
  if (addressPart === '' && portPart === undefined) return undefined;
  const addresses = addressPart === '' ? undefined : parseAddressRange(addressPart);
  if (addressPart !== '' && !addresses) return undefined;
  const ports = portPart === undefined ? undefined : parsePortRange(portPart);
  if (portPart !== undefined && !ports) return undefined;
  // One literal with every field: one object shape for the 100k DNAT targets of a large dump.
  const range: NatRange = {
    text,
    addressFirst: addresses?.first,
    addressLast: addresses?.last,
    portFirst: ports?.first,
    portLast: ports?.last,
  };
  return range;
}
