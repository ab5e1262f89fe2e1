/**
 * `netdump route <bundle>`: what `ip route get` would have answered on a node, from its captured
 * routes, policy rules, addresses and sysctl.
 *
 *   netdump route b.tgz --node node-b 10.244.2.5
 *   netdump route b.tgz --node node-b 10.244.1.7 --src 10.244.2.9 --iif tunl0 --format json
 *
 * Exit status: 0 the lookup was printed (whatever its answer, unreachable included), 2 usage
 * error, unreadable bundle, unknown node or no ip-route.txt for it.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseIpAddress } from '../../netfilter/ip-cidr.js';
import { renderRouteGetText, routeGet, routeGetJson, type RouteGetRequest } from '../../routing/route-get.js';
import type { CliIo } from '../cli-io.js';
import { failCommand, loadCommandModel } from '../load-bundle.js';
import { parseIp } from '../parse-options.js';

const FORMATS = ['human', 'json'] as const;

interface RouteFlags {
  node: string;
  src?: string;
  iif?: string;
  mark?: number;
  format: (typeof FORMATS)[number];
}

/** A firewall mark as `ip` takes it: decimal or 0x-hexadecimal, 32 bits. */
function parseMark(text: string): number {
  const value = /^0x[0-9a-f]{1,8}$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 0xffffffff)) throw new InvalidArgumentError(`expected a mark such as 0x4000 or 16384, got "${text}".`);
  return value;
}

export function registerRouteCommand(program: Command, io: CliIo): void {
  program
    .command('route')
    .description("answer `ip route get` on a node from its captured routes, rules and addresses")
    .argument('<bundle>', 'a bundle: .tgz, .tar or directory')
    .argument('<dst-ip>', 'destination address', parseIp)
    .requiredOption('--node <name>', 'the node whose routing to ask (nodes/<name>/ in the bundle)')
    .option('--src <ip>', 'source address (`from`): a local address, or with --iif the sender', parseIp)
    .option('--iif <dev>', 'the packet arrives on this interface (forwarded or delivered) instead of being sent by the node')
    .option('--mark <mark>', 'firewall mark (fwmark), decimal or 0x hex', parseMark)
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('human'))
    .action(async (bundlePath: string, dst: string, flags: RouteFlags, command: Command) => {
      if (flags.src !== undefined && parseIpAddress(flags.src)!.family !== parseIpAddress(dst)!.family) {
        command.error(`error: --src ${flags.src} and ${dst} are of different IP families`, { exitCode: 2, code: 'netdump.routeUsage' });
      }
      const model = await loadCommandModel(io, bundlePath);
      if (!model) return;
      const request: RouteGetRequest = { node: flags.node, dst };
      if (flags.src !== undefined) request.src = flags.src;
      if (flags.iif !== undefined) request.iif = flags.iif;
      if (flags.mark !== undefined) request.fwmark = flags.mark;
      const answer = routeGet(model, request);
      if ('error' in answer) {
        failCommand(io, answer.error);
        return;
      }
      io.out(flags.format === 'json' ? `${JSON.stringify(routeGetJson(answer), null, 2)}\n` : renderRouteGetText(answer));
      io.setExitCode(0);
    });
}
