/**
 * `netdump collect --dry-run`: every command the collection would run and the bundle path its
 * output would go to, read from the spec table, with nothing run.
 *
 *   netdump collect --local would run these commands on this host, as node "web-1" ...
 *
 *     iptables-save                    -> nodes/web-1/iptables-save.txt
 *     ipvsadm -Ln                      -> nodes/web-1/ipvsadm.txt
 *                                         only when IPVS is loaded (/proc/net/ip_vs exists): ...
 */
import { defaultMapPath } from './anonymize/anonymization-map.js';
import { plannedForDryRun } from './cluster/cluster-objects.js';
import { nodePhaseOptions, type ClusterNodeOptions } from './cluster/collect-cluster.js';
import { kubectlCommandLine } from './cluster/kubectl-run.js';
import { planClusterNodes } from './cluster/node-phase.js';
import { planPods } from './cluster/pod-phase.js';
import { bundlePathOf, describeConditions, specsFor, type CollectionMode } from './collection-specs.js';

export interface DryRunRequest {
  mode: Extract<CollectionMode, 'local'>;
  node: string;
  timeoutSeconds: number;
  output: string;
  /** `--anonymize`: say so, and where the mapping file would go. */
  anonymize?: boolean;
}

export function renderDryRun(request: DryRunRequest): string {
  const specs = specsFor(request.mode);
  const rows = specs.map((spec) => ({ command: spec.command, path: bundlePathOf(spec, { node: request.node }), conditions: describeConditions(spec) }));
  const width = Math.min(48, Math.max(...rows.map((row) => row.command.length)));
  const lines = [
    `netdump collect --local would run these ${rows.length} commands on this host, as node "${request.node}",`,
    `each with a ${request.timeoutSeconds}s timeout, and store each output (stdout, verbatim) at the bundle path shown:`,
    '',
  ];
  for (const row of rows) {
    const command = row.command.length > width ? `${row.command}\n  ${' '.repeat(width)}` : row.command.padEnd(width);
    lines.push(`  ${command} -> ${row.path}`);
    for (const condition of row.conditions) lines.push(`  ${' '.repeat(width)}    ${condition}`);
  }
  lines.push(
    '',
    'Also written: manifest.json (every command with its exit code, duration and stderr, failed ones',
    'included; which credentials were redacted where).',
    'Credentials found in any output or stderr (private keys, JWTs, bearer and basic-auth headers,',
    'passwords in URLs, cloud keys, password=/token= values) are replaced with <redacted:kind> markers.',
    'Nothing else is read, nothing is changed on the host, nothing is sent anywhere.',
    ...anonymizeLines(request),
    '',
    `Bundle: ${request.output}`,
  );
  return `${lines.join('\n')}\n`;
}

export interface ClusterDryRunRequest {
  mode: Extract<CollectionMode, 'cluster'>;
  /** --context; undefined: kubectl's current context. */
  context?: string;
  focus: readonly string[];
  timeoutSeconds: number;
  totalTimeoutSeconds: number;
  concurrency: number;
  nodeOptions: ClusterNodeOptions;
  output: string;
  /** `--anonymize`: say so, and where the mapping file would go. */
  anonymize?: boolean;
}

/**
 * Cluster mode's plan: every kubectl call from the table of cluster-objects.ts with its bundle
 * path, then the node and pod captures as they would run on one node and one pod (`<node>`,
 * `<pod>` stand for each one chosen). Which nodes and pods are chosen depends on the cluster,
 * which --dry-run does not ask: the selection rule is printed instead.
 */
export function renderClusterDryRun(request: ClusterDryRunRequest): string {
  const contextText = request.context ? `context "${request.context}"` : "kubectl's current context";
  const rows: { command: string; path: string; conditions: string[] }[] = [
    ...(request.context ? [] : [{ command: 'kubectl config current-context', path: 'manifest.json', conditions: ['its answer is cluster.context (and names the bundle)'] }]),
    ...plannedForDryRun(request.focus).map(({ command, condition }) => ({
      command: kubectlCommandLine(command.args),
      path: command.path,
      conditions: [...(condition ? [condition] : []), ...(command.skip ? [command.skip] : [])],
    })),
  ];
  const lines = [
    `netdump collect would run these kubectl commands against ${contextText}` +
      `${request.focus.length > 0 ? `, focused on namespace${request.focus.length > 1 ? 's' : ''} ${request.focus.join(', ')}` : ''},`,
    `at most ${request.concurrency} at once, each with a ${request.timeoutSeconds}s timeout (nothing new starts after ${request.totalTimeoutSeconds}s),`,
    'and store each output at the bundle path shown. Secrets are never asked for.',
    '',
    ...renderRows(rows),
  ];

  const options = nodePhaseOptions(request.nodeOptions);
  const placeholderNode = { metadata: { name: '<node>' } };
  const placeholderPod = {
    metadata: { namespace: '<namespace>', name: '<pod>' },
    spec: { containers: [{ name: '<container>' }] },
    status: { phase: 'Running' },
  };
  if (request.nodeOptions.skip) {
    lines.push('', 'No node capture (--no-nodes).');
  } else {
    const nodes = request.nodeOptions.nodes ?? 'the nodes hosting the pods in focus, plus one per CNI agent version';
    const plan = planClusterNodes({ objects: { nodes: [placeholderNode], pods: [], daemonsets: [] }, focusNamespaces: [], deadline: Date.now() }, { ...options, nodes: ['<node>'] });
    lines.push(
      '',
      `Then the node capture on each selected node (--nodes: ${nodes}; at most ${options.maxNodes}),`,
      `through ${options.via === 'debug' ? '`kubectl debug node/<node>`' : 'a short-lived DaemonSet'} with image ${options.image}, deleted afterwards:`,
      '',
      ...renderRows(plan.commands.map((c) => ({ command: c.command, path: c.destination, conditions: c.note ? [c.note] : [] }))),
      '',
      'and, in the CNI agent pod of each captured node (calico-node, cilium, weave-net), its own status commands',
      '(calicoctl node status, cilium status, weave status, ...) into nodes/<node>/calico|cilium|weave/.',
    );
  }
  const pods = planPods({ objects: { nodes: [], pods: [placeholderPod], daemonsets: [] }, focusNamespaces: [] });
  lines.push(
    '',
    `Then in each running pod ${request.focus.length > 0 ? 'of the focused namespaces' : ''} with its own network (capped; host-network pods are covered by the node capture):`.replace('  ', ' '),
    '',
    ...renderRows(pods.commands.map((c) => ({ command: c.command, path: c.destination, conditions: c.note ? [c.note] : [] }))),
    '',
    'Also written: manifest.json (every command with its exit code, duration and stderr, failed ones',
    'included; the cluster\'s context, version and CIDRs; which credentials were redacted where).',
    'Credentials found in any output or stderr (private keys, JWTs, bearer and basic-auth headers,',
    'passwords in URLs, cloud keys, password=/token= values) are replaced with <redacted:kind> markers.',
    'Nothing is sent anywhere: kubectl talks to your API server, and the bundle stays on your disk.',
    ...anonymizeLines(request),
    '',
    `Bundle: ${request.output}`,
  );
  return `${lines.join('\n')}\n`;
}

function renderRows(rows: readonly { command: string; path: string; conditions: readonly string[] }[]): string[] {
  const width = Math.min(56, Math.max(0, ...rows.map((row) => unquote(row.command).length)));
  const lines: string[] = [];
  for (const row of rows) {
    const text = unquote(row.command);
    const command = text.length > width ? `${text}\n  ${' '.repeat(width)}` : text.padEnd(width);
    lines.push(`  ${command} -> ${row.path}`);
    for (const condition of row.conditions) lines.push(`  ${' '.repeat(width)}    ${unquote(condition)}`);
  }
  return lines;
}

/** Placeholders read better bare: `'node/<node>'` → `node/<node>`. */
function unquote(text: string): string {
  return text.replace(/'([^'\s]*<[a-z-]+>[^'\s]*)'/g, '$1');
}

function anonymizeLines(request: { anonymize?: boolean; output: string }): string[] {
  if (!request.anonymize) return [];
  return [
    'With --anonymize, addresses and namespace/node/pod names are replaced by keyed pseudonyms in the bundle,',
    `and the mapping file that reverses them is written beside it: ${defaultMapPath(request.output)} (keep it with you).`,
  ];
}
