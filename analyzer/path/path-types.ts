/**
 * What `tracePath` answers: the hops a packet takes from one pod (or Docker container) to
 * another pod, container or address, each with what happens there and the lines that say so,
 * the encapsulation and MTU along the way, and the NetworkPolicy verdict. Pure data: rendering
 * lives in render-path.ts.
 */
import type { Evidence } from '../bundle/source-file.js';
import type { TunnelKind } from '../routing/pod-network.js';

export type PathProtocol = 'tcp' | 'udp';

export interface PathRequest {
  /** `<namespace>/<pod>`, or on a Docker host a container name or id prefix. */
  from: string;
  /** `<namespace>/<pod>[:port]`, `<ip>[:port]` (`[v6]:port`), or a container name or id prefix. */
  to: string;
  /** Default tcp. */
  proto?: PathProtocol;
  /** Destination port when `to` does not carry one. */
  port?: number;
}

/** `ok`: passes; `blocked`: the packet dies here; `warning`: passes with a caveat; `unknown`: not collected. */
export type HopStatus = 'ok' | 'blocked' | 'warning' | 'unknown';

export interface PathHop {
  kind: 'pod' | 'container' | 'node' | 'link' | 'host' | 'outside';
  /**
   * `shop/cart-845d9ff6b-nsk8z`, `node-b`, `VXLAN flannel.1 over eth0`; `node-b (replies)` for the
   * last hop of a path whose request arrives but whose replies the destination node cannot route back.
   */
  name: string;
  status: HopStatus;
  /** What happens here, in one sentence. */
  summary: string;
  /** The facts behind it, one a line (`route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`). */
  details: string[];
  /** The MTU this hop allows, when known. */
  mtu?: number;
  evidence: Evidence[];
  /** What could not be checked here, and why ("not collected: nodes/node-a/iptables-save.txt"). */
  unknowns: string[];
}

export interface PathEncapsulation {
  kind: TunnelKind | 'none';
  /** "VXLAN", "IP-in-IP", "none (routed natively)". */
  name: string;
  overhead: number;
  device?: string;
  deviceMtu?: number;
  underlay?: string;
  underlayMtu?: number;
}

export interface PathMtu {
  /** What the source sends: its interface's MTU. */
  sent?: number;
  /** The largest packet that gets through end to end. */
  largest?: number;
  /** Which hop sets `largest`. */
  limitedBy?: string;
  /**
   * True when packets between `largest` and `sent` vanish without an ICMP "fragmentation
   * needed" (an encapsulated packet too big for the underlay): an MTU black hole.
   */
  blackHole: boolean;
  text: string;
  evidence: Evidence[];
}

export interface PathPolicy {
  verdict: 'allow' | 'deny' | 'unknown' | 'not-judged';
  text: string;
  evidence: Evidence[];
}

export type PathVerdict = 'works' | 'blocked' | 'mtu-black-hole' | 'unknown';

export interface PathEndpoint {
  /** `shop/cart-845d9ff6b-nsk8z`, `web` (a container), `203.0.113.10`. */
  name: string;
  ip: string;
  /** The node or Docker host it runs on. */
  node?: string;
  /** Container or pod interface MTU, when known. */
  mtu?: number;
}

export interface PathResult {
  kind: 'kubernetes' | 'docker';
  from: PathEndpoint;
  /** The final destination (after Service or published-port DNAT). */
  to: PathEndpoint;
  protocol: PathProtocol;
  port?: number;
  family: 4 | 6;
  /** The address asked for, when it was translated (a Service ClusterIP, a published host port). */
  translatedFrom?: { ip: string; port?: number; what: string; how: string };
  verdict: PathVerdict;
  /** Why, in one sentence. */
  reason: string;
  hops: PathHop[];
  encapsulation?: PathEncapsulation;
  mtu?: PathMtu;
  policy?: PathPolicy;
  notes: string[];
}

/** A request the bundle cannot answer as asked: an unknown pod or container, a bad address. */
export interface PathError {
  error: string;
  /** Near names when a pod or container was not found. */
  suggestions: string[];
}
