/**
 * `netdump path <bundle>`: the L3 path between two pods across the nodes — or, on a Docker host,
 * between two containers or from a container to an address — hop by hop, with encapsulation,
 * MTU, netfilter and NetworkPolicy verdicts and the lines that show them.
 *
 *   netdump path b.tgz --from shop/frontend-5997b69cc8-d2pms --to shop/cart-845d9ff6b-nsk8z:8080
 *   netdump path b.tgz --from shop/frontend-5997b69cc8-d2pms --to 10.96.14.7:80 --format json
 *   netdump path docker.tgz --from shop-web-1 --to shop-api-1:8080
 */
import { Option, type Command } from 'commander';
import type { PathProtocol, PathRequest, PathResult } from '../../path/path-types.js';
import { pathJson, renderPathText } from '../../path/render-path.js';
import { tracePath } from '../../path/trace-path.js';
import type { CliIo } from '../cli-io.js';
import { failCommand, loadCommandModel } from '../load-bundle.js';
import { parsePort } from '../parse-options.js';

const FORMATS = ['human', 'json'] as const;
const PROTOCOLS: readonly PathProtocol[] = ['tcp', 'udp'];

interface PathFlags {
  from: string;
  to: string;
  proto: PathProtocol;
  port?: number;
  format: (typeof FORMATS)[number];
}

/** 0 when the path works, 1 when it is blocked, drops large packets, or cannot be decided. */
export function pathExitCode(result: Pick<PathResult, 'verdict'>): 0 | 1 {
  return result.verdict === 'works' ? 0 : 1;
}

export function registerPathCommand(program: Command, io: CliIo): void {
  program
    .command('path')
    .description('trace the L3 path between two pods (or Docker containers): routes, encapsulation, MTU, netfilter and policy per hop')
    .argument('<bundle>', 'a bundle: .tgz, .tar or directory')
    .requiredOption('--from <source>', 'the source: <namespace>/<pod>, or on a Docker host a container name or id prefix')
    .requiredOption('--to <destination>', 'the destination: <namespace>/<pod>[:port], <ip>[:port] ([v6]:port; a Service ClusterIP is followed through its DNAT), or a container name or id prefix[:port]')
    .addOption(new Option('--proto <protocol>', 'protocol').choices(PROTOCOLS).default('tcp'))
    .option('--port <port>', 'destination port, when --to carries none (default: the first port the destination declares)', parsePort)
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('human'))
    .addHelpText(
      'after',
      '\nExit status: 0 the path works (nothing collected drops it), 1 it is blocked, large packets vanish\n' +
        '(an MTU black hole), or what decides it was not collected; 2 usage error, unreadable bundle,\n' +
        'or an unknown pod or container (near names are suggested).',
    )
    .action(async (bundlePath: string, flags: PathFlags) => {
      const model = await loadCommandModel(io, bundlePath);
      if (!model) return;
      const request: PathRequest = { from: flags.from, to: flags.to, proto: flags.proto };
      if (flags.port !== undefined) request.port = flags.port;
      const result = tracePath(model, request);
      if ('error' in result) {
        const hint = result.suggestions.length > 0 ? `\ndid you mean: ${result.suggestions.join(', ')}?` : '';
        failCommand(io, `${result.error}${hint}`);
        return;
      }
      io.out(flags.format === 'json' ? `${JSON.stringify(pathJson(result), null, 2)}\n` : renderPathText(result));
      io.setExitCode(pathExitCode(result));
    });
}
