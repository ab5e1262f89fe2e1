/**
 * The kernel's packet paths through the netfilter hooks, independent of how the rules are
 * written (iptables tables, nftables base chains, IPVS):
 *
 *   from a pod or another host:  PREROUTING → routing → INPUT            (local destination)
 *                                               └──→ FORWARD → POSTROUTING (elsewhere)
 *   from the host itself:        routing → OUTPUT → re-routing → POSTROUTING
 *                                 (to a local address: then PREROUTING → INPUT over `lo`)
 *   IPVS:                        INPUT (or OUTPUT) → the virtual server picks a real server →
 *                                OUTPUT → POSTROUTING, as ip_vs_nat_xmit re-injects the packet
 *
 * Within a hook, entries run by priority (raw -300, mangle -150, nat -100/100, filter 0,
 * security 50; nftables base chains by their own priority). All nat-type chains of a hook run
 * at the NAT priority (-100 PREROUTING/OUTPUT, 100 INPUT/POSTROUTING), ordered among themselves
 * by their own priority, and only for the first packet of a tracked connection; after one of
 * them NATs the packet the rest are skipped (nf_nat_inet_fn).
 */
import { formatIpAddress } from '../ip-cidr.js';
import { SimState } from './sim-state.js';
import type { TraceContext } from './trace-context.js';
import { outcomesOf, type FinalState } from './trace-outcomes.js';
import type { Hook, SimPacket, TraceOutcome } from './trace-types.js';

export type EntryVerdict = 'accept' | 'drop' | 'reject' | 'unknown' | 'stolen';

export interface EntryResult {
  state: SimState;
  verdict: EntryVerdict;
}

/** One base chain (or IPVS) attached to a hook. */
export interface HookEntry {
  /** Priority within the hook; nat entries are placed by natPriority instead. */
  priority: number;
  /** A nat-type chain: runs at the hook's NAT priority, only for NEW, not-yet-NATed connections. */
  nat: boolean;
  /** IPVS: skipped for packets IPVS already handled. */
  ipvs?: boolean;
  run(state: SimState, hook: Hook, trace: TraceContext): EntryResult[];
}

/** NF_IP_PRI_CONNTRACK: where PREROUTING and OUTPUT attach the conntrack entry. */
const CONNTRACK_PRIORITY = -200;

/** NF_IP_PRI_NAT_DST / NF_IP_PRI_NAT_SRC. */
export function natPriority(hook: Hook): number {
  return hook === 'prerouting' || hook === 'output' ? -100 : 100;
}

/**
 * Orders a hook's entries as the kernel calls them. Among equal priorities the chain registered
 * last runs first (nf_hook_entries_grow inserts a new hook before its equals); entries come in
 * dump/listing order, which is the order the tables and chains were created in.
 */
export function sortHookEntries(entries: HookEntry[], hook: Hook): HookEntry[] {
  const at = (e: HookEntry) => (e.nat ? natPriority(hook) : e.priority);
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => at(a.entry) - at(b.entry) || a.entry.priority - b.entry.priority || b.index - a.index)
    .map((x) => x.entry);
}

export type HookTable = (hook: Hook) => readonly HookEntry[];

function runHook(entries: readonly HookEntry[], hook: Hook, state: SimState, trace: TraceContext): EntryResult[] {
  let current = [state];
  const ended: EntryResult[] = [];
  const dstManip = hook === 'prerouting' || hook === 'output';
  let natRan = false;
  // The kernel binds the connection (a null binding when no rule NATed it) once its nat hook ran;
  // later passes through the same hook (IPVS re-injection, loopback) do not run nat again.
  const bind = (s: SimState) => {
    if (!natRan || s.ctState !== 'NEW') return;
    if (dstManip) s.natInitDst = true;
    else s.natInitSrc = true;
  };
  const attachesConntrack = hook === 'prerouting' || hook === 'output';
  for (const entry of entries) {
    const next: SimState[] = [];
    if (entry.nat) natRan = true;
    const at = entry.nat ? natPriority(hook) : entry.priority;
    for (const s of current) {
      if (attachesConntrack && at >= CONNTRACK_PRIORITY) s.ctAttached = true;
      const skip = (entry.nat && (!s.natEligible(hook) || natDoneHere(s, dstManip))) || (entry.ipvs === true && s.ipvs);
      if (skip) {
        next.push(s);
        continue;
      }
      for (const r of entry.run(s, hook, trace)) {
        if (r.verdict === 'accept') next.push(r.state);
        else {
          if (!entry.nat) bind(r.state);
          ended.push(r);
        }
      }
    }
    current = next;
  }
  for (const s of current) {
    s.ctAttached = true;
    bind(s);
    ended.push({ state: s, verdict: 'accept' });
  }
  return ended;
}

/** Whether a NAT rule already rewrote the packet in this hook, so later nat chains of the hook are skipped. */
function natDoneHere(s: SimState, dstManip: boolean): boolean {
  return dstManip ? s.dnatDone && !s.natInitDst : s.snatDone && !s.natInitSrc;
}

/** Follows a packet through every path the rules allow; returns the merged outcomes. */
export function tracePacketPaths(table: HookTable, packet: SimPacket, trace: TraceContext): TraceOutcome[] {
  const node = trace.node;
  const initial = SimState.fromPacket(packet);
  const finals: FinalState[] = [];
  const end = (state: SimState, verdict: EntryVerdict, path: FinalState['path'], exitInterface?: string) => {
    const fate = verdict === 'accept' ? 'accepted' : verdict === 'drop' ? 'dropped' : verdict === 'reject' ? 'rejected' : 'unknown';
    finals.push({ state, fate, path, exitInterface });
  };
  const hook = (name: Hook, state: SimState) => runHook(table(name), name, state, trace);

  const route = (state: SimState, path: FinalState['path']): boolean => {
    const to = state.nextHop ?? state.dst;
    state.outIface = node.routeOut(to);
    if (state.outIface !== undefined) return true;
    state.reason = `no route to ${formatIpAddress(to)}`;
    end(state, 'drop', path);
    return false;
  };

  const postrouting = (state: SimState, path: FinalState['path']) => {
    for (const r of hook('postrouting', state)) {
      if (r.verdict !== 'accept') end(r.state, r.verdict, path);
      else if (r.state.outIface === 'lo' && node.isLocal(r.state.dst)) loopback(r.state, path);
      else end(r.state, 'accept', path, r.state.outIface);
    }
  };

  /** A host packet to a local address comes back in over `lo`: PREROUTING (nat already bound) → INPUT. */
  const loopback = (state: SimState, path: FinalState['path']) => {
    state.inIface = 'lo';
    state.outIface = undefined;
    for (const r of hook('prerouting', state)) {
      if (r.verdict !== 'accept') {
        end(r.state, r.verdict, path);
        continue;
      }
      for (const i of hook('input', r.state)) {
        if (i.verdict === 'stolen') ipvsForward(i.state, path);
        else end(i.state, i.verdict, path, i.verdict === 'accept' ? 'lo' : undefined);
      }
    }
  };

  const output = (state: SimState, path: FinalState['path']) => {
    for (const r of hook('output', state)) {
      if (r.verdict === 'stolen') ipvsForward(r.state, path);
      else if (r.verdict !== 'accept') end(r.state, r.verdict, path);
      // A DNAT in nat OUTPUT re-routes the packet (ip_route_me_harder) before POSTROUTING.
      else if (route(r.state, path)) postrouting(r.state, path);
    }
  };

  /** ip_vs_nat_xmit: the packet, now addressed to the real server, re-enters at LOCAL_OUT. */
  const ipvsForward = (state: SimState, path: FinalState['path']) => {
    state.inIface = undefined;
    if (!route(state, path)) return;
    if (state.outIface === 'lo') {
      end(state, 'accept', path);
      return;
    }
    output(state, path);
  };

  const input = (state: SimState) => {
    for (const r of hook('input', state)) {
      if (r.verdict === 'stolen') ipvsForward(r.state, 'input');
      else end(r.state, r.verdict, 'input');
    }
  };

  const forward = (state: SimState) => {
    if (!route(state, 'forward')) return;
    for (const r of hook('forward', state)) {
      if (r.verdict !== 'accept') end(r.state, r.verdict, 'forward');
      else postrouting(r.state, 'forward');
    }
  };

  if (packet.from === 'host') {
    if (route(initial, 'output')) output(initial, 'output');
  } else {
    initial.inIface = packet.inInterface ?? (packet.from === 'pod' ? node.podInterface : node.externalInterface);
    for (const r of hook('prerouting', initial)) {
      if (r.verdict !== 'accept') end(r.state, r.verdict, node.isLocal(r.state.dst) ? 'input' : 'forward');
      else if (node.isLocal(r.state.dst)) input(r.state);
      else forward(r.state);
    }
  }
  return outcomesOf(finals);
}
