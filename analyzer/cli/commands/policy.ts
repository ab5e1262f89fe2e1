/**
 * `netdump policy <bundle>`: is a flow allowed, and by what — or who reaches whom.
 *
 *   netdump policy b.tgz --from shop/cart-7d9 --to shop/db --port 5432 [--format json]
 *   netdump policy b.tgz --from 10.244.1.7 --to svc/kube-system/kube-dns --port dns/udp
 *   netdump policy b.tgz --matrix -n shop,payments [--port 8080]
 *
 * Exit status: 0 allowed (or a matrix printed), 1 denied or undecided, 2 usage error,
 * unreadable bundle or a flow naming what the bundle does not hold.
 */
import { Option, type Command } from 'commander';
import { evaluateResolved } from '../../policy/evaluate.js';
import { matrixJson, reachabilityMatrix, renderMatrixText } from '../../policy/reachability-matrix.js';
import { renderVerdictText, verdictJson } from '../../policy/render-policy-verdict.js';
import { parsePortSpec, resolveFlowQuery, type FlowQuery } from '../../policy/resolve-flow.js';
import type { CliIo } from '../cli-io.js';
import { failCommand, loadCommandModel } from '../load-bundle.js';
import { collectList } from '../parse-options.js';

const POLICY_FORMATS = ['human', 'json'] as const;

interface PolicyFlags {
  from?: string;
  to?: string;
  port?: string;
  matrix?: boolean;
  namespace?: string[];
  format: (typeof POLICY_FORMATS)[number];
}

export function registerPolicyCommand(program: Command, io: CliIo): void {
  program
    .command('policy')
    .description('judge a flow against the cluster\'s network policies, or print a reachability matrix')
    .argument('<bundle>', 'a bundle: .tgz, .tar or directory')
    .option('--from <endpoint>', 'source: <ns>/<pod>, node/<name> or an IP')
    .option('--to <endpoint>', 'destination: <ns>/<pod>, <ns>/<service> (svc/<ns>/<name> to insist), node/<name> or an IP (a ClusterIP is judged on its endpoints)')
    .option('--port <port>', 'destination port: a number or name, optionally /tcp, /udp or /sctp (icmp for ICMP)')
    .option('--matrix', 'print who reaches whom among the pods of the namespaces given with -n')
    .option('-n, --namespace <ns>', 'namespaces of the matrix (repeatable, or comma-separated)', collectList)
    .addOption(new Option('--format <format>', 'output format').choices(POLICY_FORMATS).default('human'))
    .action(async (bundlePath: string, flags: PolicyFlags, command: Command) => {
      const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: 2, code: 'netdump.policyUsage' });
      let port: ReturnType<typeof parsePortSpec> | undefined;
      if (flags.port !== undefined) {
        port = parsePortSpec(flags.port);
        if ('error' in port) usage(port.error);
      }
      const portSpec = port && !('error' in port) ? port : undefined;
      if (flags.matrix) {
        if (flags.from !== undefined || flags.to !== undefined) usage('--matrix takes namespaces (-n), not --from/--to');
        if (!flags.namespace || flags.namespace.length === 0) usage('--matrix needs the namespaces to show: -n <ns>[,<ns>]');
      } else if (flags.from === undefined || flags.to === undefined) {
        usage('give --from and --to (or --matrix -n <ns>)');
      }

      const model = await loadCommandModel(io, bundlePath);
      if (!model) return;

      if (flags.matrix) {
        const protocol = portSpec?.protocol;
        if (protocol === 'ICMP' || protocol === 'ICMPv6') usage('the matrix judges TCP, UDP or SCTP ports');
        const matrix = reachabilityMatrix(model, {
          namespaces: flags.namespace!,
          ...(portSpec?.port !== undefined ? { port: portSpec.port } : {}),
          ...(protocol !== undefined && protocol !== 'ICMP' && protocol !== 'ICMPv6' ? { protocol } : {}),
        });
        io.out(flags.format === 'json' ? JSON.stringify(matrixJson(matrix), null, 2) + '\n' : renderMatrixText(matrix));
        io.setExitCode(0);
        return;
      }

      const query: FlowQuery = { from: flags.from!, to: flags.to! };
      if (portSpec?.port !== undefined) query.port = portSpec.port;
      if (portSpec?.protocol !== undefined) query.protocol = portSpec.protocol;
      const resolved = resolveFlowQuery(model, query);
      if (resolved.problems.length > 0) {
        io.err(resolved.problems.map((problem) => `netdump: ${problem}\n`).join(''));
        io.setExitCode(2);
        return;
      }
      const verdict = evaluateResolved(model, resolved);
      io.out(flags.format === 'json' ? JSON.stringify(verdictJson(verdict), null, 2) + '\n' : renderVerdictText(verdict));
      io.setExitCode(verdict.verdict === 'allow' ? 0 : 1);
    });
}
