/**
 * Parser for `conntrack -L` (conntrack-tools 1.4.7) lines, e.g.
 *
 *   tcp      6 119 SYN_SENT src=10.244.1.5 dst=10.96.0.10 sport=40002 dport=80 [UNREPLIED] src=10.244.2.7 dst=10.244.1.5 sport=8080 dport=40002 mark=0 use=1
 *   udp      17 29 src=10.0.1.1 dst=10.0.1.11 sport=40005 dport=31053 [UNREPLIED] src=10.244.0.3 dst=10.0.1.1 sport=53 dport=40005 mark=0 use=1
 *
 * The reply tuple's source is where the kernel really sent the connection (the DNAT choice);
 * its destination is the address the reply goes back to (the SNAT / MASQUERADE choice).
 */

export interface ConntrackTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface ConntrackEntry {
  proto: string;
  /** TCP state (SYN_SENT, ...); null for UDP */
  state: string | null;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  flags: string[];
  mark: number | null;
}

export function parseConntrackList(text: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 4 || !/^\d+$/.test(tokens[1] ?? '')) continue;
    const tuples: Array<Partial<ConntrackTuple>> = [];
    const flags: string[] = [];
    let state: string | null = null;
    let mark: number | null = null;
    for (const token of tokens.slice(3)) {
      const kv = /^(\w+)=(.*)$/.exec(token);
      if (kv) {
        const [, key, value] = kv;
        if (key === 'src') tuples.push({ src: value });
        else if (key === 'dst' && tuples.length > 0) tuples[tuples.length - 1].dst = value;
        else if ((key === 'sport' || key === 'dport') && tuples.length > 0) tuples[tuples.length - 1][key] = Number(value);
        else if (key === 'mark') mark = Number(value);
      } else if (token.startsWith('[')) {
        flags.push(token.slice(1, -1));
      } else if (tuples.length === 0 && /^[A-Z_]+$/.test(token)) {
        state = token;
      }
    }
    const [original, reply] = tuples;
    if (!isTuple(original) || !isTuple(reply)) continue;
    entries.push({ proto: tokens[0], state, original, reply, flags, mark });
  }
  return entries;
}

function isTuple(t: Partial<ConntrackTuple> | undefined): t is ConntrackTuple {
  return t !== undefined && t.src !== undefined && t.dst !== undefined && t.sport !== undefined && t.dport !== undefined;
}
