/**
 * `address:port` as the CNI tools and ipvsadm print it: `10.0.0.1:80`, `[fd00::1]:80`, and — in
 * `cilium bpf ct list` since 2023 — IPv6 without brackets (`fd85::1:fe5:8000`, the port after
 * the last colon).
 */
import { parseIpAddress, type IpAddress } from '../netfilter/ip-cidr.js';

export interface HostPort {
  address: IpAddress;
  port: number;
}

export function parseHostPort(text: string, options: { bareIpv6?: boolean } = {}): HostPort | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']:');
    if (close === -1) return undefined;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon === -1) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    // Without brackets only an IPv4 host is unambiguous, unless the caller knows the layout.
    if (host.includes(':') && !options.bareIpv6) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  const address = parseIpAddress(host);
  if (!address || port > 65535) return undefined;
  return { address, port };
}
