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
import { bundlePathOf, describeConditions, specsFor, type CollectionMode } from './collection-specs.js';

export interface DryRunRequest {
  /** Cluster mode adds its kubectl specs and node selection here when it exists. */
  mode: Extract<CollectionMode, 'local'>;
  node: string;
  timeoutSeconds: number;
  output: string;
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
    '',
    `Bundle: ${request.output}`,
  );
  return `${lines.join('\n')}\n`;
}
