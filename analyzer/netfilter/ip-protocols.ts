/** IP protocol names as iptables, ipset and nft print them (from /etc/protocols), and their numbers. */
const NUMBERS: Record<string, number> = {
  all: 0,
  icmp: 1,
  igmp: 2,
  ipencap: 4,
  ipip: 4,
  tcp: 6,
  egp: 8,
  udp: 17,
  ipv6: 41,
  'ipv6-route': 43,
  'ipv6-frag': 44,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  ospf: 89,
  vrrp: 112,
  sctp: 132,
  mh: 135,
  udplite: 136,
};

const NAMES = new Map<number, string>([
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipencap'],
  [6, 'tcp'],
  [17, 'udp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [89, 'ospf'],
  [112, 'vrrp'],
  [132, 'sctp'],
  [136, 'udplite'],
]);

/** The protocol number of a name or decimal number (`tcp` → 6, `17` → 17); undefined if unknown. */
export function protocolNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  const known = NUMBERS[lower];
  if (known !== undefined) return known;
  if (/^\d{1,3}$/.test(lower)) {
    const n = Number(lower);
    return n <= 255 ? n : undefined;
  }
  return undefined;
}

/** The usual name of a protocol number (6 → `tcp`), or the number as text. */
export function protocolName(number: number): string {
  return NAMES.get(number) ?? String(number);
}
