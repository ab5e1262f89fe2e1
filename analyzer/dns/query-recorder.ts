/**
 * Sends a simulated query: asks the answerer, numbers the query and its socket, counts
 * attempts per name and type, and keeps the sequence. Shared by the glibc and musl models.
 */
import type { Answerer, DnsQuery, QueryType, SimulatedQuery, Transport } from './resolver-simulation.js';

export class QueryRecorder {
  readonly queries: SimulatedQuery[] = [];
  private readonly sent = new Map<string, number>();
  private lastSocket = 0;

  constructor(private readonly answerer: Answerer) {}

  /** A new socket: a new source port. */
  openSocket(): number {
    return ++this.lastSocket;
  }

  send(
    query: { name: string; type: QueryType; nameserver: string; transport: Transport; atMs: number; socket: number; concurrent: boolean },
    reason: string,
  ): SimulatedQuery {
    const key = `${query.name.toLowerCase()} ${query.type}`;
    const attempt = this.sent.get(key) ?? 0;
    this.sent.set(key, attempt + 1);
    const asked: DnsQuery = { ...query, attempt };
    const reply = this.answerer(asked);
    const simulated: SimulatedQuery = { ...asked, index: this.queries.length, reply, reason };
    if (reply.rcode !== 'TIMEOUT') simulated.repliedAtMs = query.atMs + Math.max(0, reply.latencyMs ?? 0);
    this.queries.push(simulated);
    return simulated;
  }
}

