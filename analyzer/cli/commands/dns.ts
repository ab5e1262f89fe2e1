/**
 * `netdump dns <bundle> --from <ns/pod> <name>`: what happens to a name a pod looks up — each
 * query its resolver sends, who answers it with what, the final answer or failure, and the
 * worst-case time spent.
 *
 *   netdump dns b.tgz --from shop/frontend-6c9d8f7b5-k2x9p api.stripe.com
 *   netdump dns b.tgz --from shop/frontend-6c9d8f7b5-k2x9p cart --libc musl --format json
 *
 * Exit status: 0 the name resolves (or is answered by a resolver outside the bundle), 1 the
 * lookup fails, 2 usage error, unreadable bundle or a pod the bundle does not hold.
 */
import { Option, type Command } from 'commander';
import { explainLookup } from '../../dns/explain-lookup.js';
import { lookupJson, renderLookupText } from '../../dns/render-dns-lookup.js';
import type { CliIo } from '../cli-io.js';
import { failCommand, loadCommandModel } from '../load-bundle.js';

const DNS_FORMATS = ['human', 'json'] as const;
const LIBCS = ['glibc', 'musl'] as const;

interface DnsFlags {
  from: string;
  libc?: (typeof LIBCS)[number];
  format: (typeof DNS_FORMATS)[number];
}

export function registerDnsCommand(program: Command, io: CliIo): void {
  program
    .command('dns')
    .description("follow a name a pod looks up: its resolver's queries, who answers them, the outcome and the time it takes")
    .argument('<bundle>', 'a bundle: .tgz, .tar or directory')
    .argument('<name>', 'the name the pod looks up (a trailing dot makes it absolute)')
    .requiredOption('--from <ns/pod>', 'the pod that looks the name up')
    .addOption(new Option('--libc <libc>', "the pod's resolver library (default: guessed from its images)").choices(LIBCS))
    .addOption(new Option('--format <format>', 'output format').choices(DNS_FORMATS).default('human'))
    .action(async (bundlePath: string, name: string, flags: DnsFlags, command: Command) => {
      const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: 2, code: 'netdump.dnsUsage' });
      const parts = flags.from.split('/');
      if (parts.length !== 2 || !parts[0] || !parts[1]) usage(`--from ${flags.from}: expected <namespace>/<pod>`);
      if (name.trim() === '' || /\s/.test(name) || name.startsWith('.') || name.includes('..')) usage(`${JSON.stringify(name)} is not a DNS name`);

      const model = await loadCommandModel(io, bundlePath);
      if (!model) return;
      const [namespace, podName] = parts as [string, string];
      const pod = model.kube.pod(namespace, podName);
      if (!pod) {
        const known = model.kube.collected.has('pods') ? `no pod ${namespace}/${podName} in the bundle` : 'the bundle has no cluster/pods.json';
        failCommand(io, known);
        return;
      }
      const explanation = explainLookup(model, pod, name, flags.libc ? { libc: flags.libc } : {});
      io.out(flags.format === 'json' ? `${JSON.stringify(lookupJson(explanation), null, 2)}\n` : renderLookupText(explanation));
      io.setExitCode(explanation.result.kind === 'failed' ? 1 : 0);
    });
}
