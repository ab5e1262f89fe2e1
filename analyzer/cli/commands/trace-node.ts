/**
 * `netdump trace-node <bundle>`: where one packet goes on one node, rule by rule.
 *
 *   netdump trace-node b.tgz --node node-b --src 10.244.1.5 --dst 10.96.14.7 --dport 80
 *   netdump trace-node b.tgz --node node-a --src 203.0.113.9 --dst 10.0.1.11 --dport 31437 --format json
 *
 * Exit status: 0 the trace was printed (whatever the packet's fate), 2 usage error, unreadable
 * bundle, unknown node or no data plane collected for it.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ProxyMode } from '../../kubeproxy/dataplane-types.js';
import { parseIpAddress } from '../../netfilter/ip-cidr.js';
import type { ConntrackState, PacketOrigin } from '../../netfilter/simulate/trace-types.js';
import { nodeTraceJson, renderNodeTraceText } from '../../trace/render-node-trace.js';
import { traceNodePacket, type NodeTraceRequest, type TraceProtocol } from '../../trace/trace-node-packet.js';
import type { CliIo } from '../cli-io.js';
import { failCommand, loadCommandModel } from '../load-bundle.js';
import { parseIp, parsePort } from '../parse-options.js';

const FORMATS = ['human', 'json'] as const;
const PROTOCOLS: readonly TraceProtocol[] = ['tcp', 'udp', 'sctp', 'icmp'];
const ORIGINS: readonly PacketOrigin[] = ['pod', 'host', 'external'];
const MODES: readonly ProxyMode[] = ['iptables', 'nftables', 'ipvs'];
const CT_STATES: readonly ConntrackState[] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'];

interface TraceNodeFlags {
  node: string;
  src: string;
  dst: string;
  dport?: number;
  sport?: number;
  proto: TraceProtocol;
  from?: PacketOrigin;
  ctstate: ConntrackState;
  mode?: ProxyMode;
  format: (typeof FORMATS)[number];
}

function parseCtState(text: string): ConntrackState {
  const state = text.toUpperCase() as ConntrackState;
  if (!CT_STATES.includes(state)) throw new InvalidArgumentError(`expected one of ${CT_STATES.join(', ')}, got "${text}".`);
  return state;
}

export function registerTraceNodeCommand(program: Command, io: CliIo): void {
  program
    .command('trace-node')
    .description("trace one packet through a node's iptables, nftables or IPVS rules and show every path it can take")
    .argument('<bundle>', 'a bundle: .tgz, .tar or directory')
    .requiredOption('--node <name>', 'the node whose rules to trace (nodes/<name>/ in the bundle)')
    .requiredOption('--src <ip>', 'source address', parseIp)
    .requiredOption('--dst <ip>', 'destination address', parseIp)
    .option('--dport <port>', 'destination port (required for tcp, udp and sctp)', parsePort)
    .option('--sport <port>', 'source port (rules testing it are taken both ways without it)', parsePort)
    .addOption(new Option('--proto <protocol>', 'protocol').choices(PROTOCOLS).default('tcp'))
    .addOption(new Option('--from <origin>', 'where the packet enters: a pod of the node, the node itself, or the network (default: from --src)').choices(ORIGINS))
    .addOption(new Option('--ctstate <state>', `conntrack state: ${CT_STATES.join(', ')}`).argParser(parseCtState).default('NEW'))
    .addOption(new Option('--mode <mode>', "rules to trace (default: the mode kube-proxy runs on the node)").choices(MODES))
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('human'))
    .action(async (bundlePath: string, flags: TraceNodeFlags, command: Command) => {
      const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: 2, code: 'netdump.traceNodeUsage' });
      if (flags.proto === 'icmp') {
        if (flags.dport !== undefined || flags.sport !== undefined) usage('icmp has no ports: leave out --dport and --sport');
      } else if (flags.dport === undefined) {
        usage(`--dport is required for ${flags.proto}`);
      }
      if (parseIpAddress(flags.src)!.family !== parseIpAddress(flags.dst)!.family) usage(`--src ${flags.src} and --dst ${flags.dst} are of different IP families`);

      const model = await loadCommandModel(io, bundlePath);
      if (!model) return;
      const request: NodeTraceRequest = { node: flags.node, src: flags.src, dst: flags.dst, proto: flags.proto, ctState: flags.ctstate };
      if (flags.dport !== undefined) request.dport = flags.dport;
      if (flags.sport !== undefined) request.sport = flags.sport;
      if (flags.from !== undefined) request.from = flags.from;
      if (flags.mode !== undefined) request.mode = flags.mode;

      const trace = traceNodePacket(model, request);
      if ('error' in trace) {
        failCommand(io, trace.error);
        return;
      }
      io.out(flags.format === 'json' ? `${JSON.stringify(nodeTraceJson(trace), null, 2)}\n` : renderNodeTraceText(trace));
      io.setExitCode(0);
    });
}
