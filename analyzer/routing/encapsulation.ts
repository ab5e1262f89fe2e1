/**
 * What an encapsulating device costs a packet: the `ip -d` link kinds that wrap packets, and the
 * bytes they add on the device underneath (ENCAPSULATION_OVERHEAD, 20 more when that device
 * carries the tunnel over IPv6 only). Shared by the `mtu-mismatch` rule and `netdump path`.
 */
import type { NodeInterface } from './node-routing.js';
import { ENCAPSULATION_OVERHEAD, type TunnelKind } from './pod-network.js';

/** `ip -d` link kinds that encapsulate, by the tunnel kind they are. */
export const TUNNEL_LINK_KINDS: Readonly<Record<string, TunnelKind>> = { vxlan: 'vxlan', ipip: 'ipip', geneve: 'geneve', wireguard: 'wireguard' };

/** The tunnel kind of an interface from its `ip -d` details; undefined for a device that does not encapsulate. */
export function tunnelKindOf(iface: NodeInterface): TunnelKind | undefined {
  return TUNNEL_LINK_KINDS[iface.view.details?.kind ?? ''];
}

/** Overhead of `kind` on this underlay: 20 more when it carries the tunnel over IPv6 only. */
export function encapsulationOverhead(kind: TunnelKind, underlay: NodeInterface): number {
  const addresses = underlay.view.addresses.filter((a) => a.scope !== 'link' && a.scope !== 'host');
  const ipv6Only = addresses.length > 0 && addresses.every((a) => a.family === 6);
  return ENCAPSULATION_OVERHEAD[kind] + (ipv6Only ? 20 : 0);
}
