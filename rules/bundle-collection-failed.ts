import type { ManifestItem } from '../analyzer/bundle/bundle.js';
import { makeEvidence, type Evidence, type SourceFile } from '../analyzer/bundle/source-file.js';
import { inputs } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import type { Severity } from '../analyzer/report/report.js';
import { firstLine, listSome, plural } from './lib/list-text.js';
import { hasDockerBridge, machineKind, machineSubject } from './lib/node-subject.js';

const MAX_EVIDENCE = 10;
const MANIFEST = 'manifest.json';

type Failure = 'forbidden' | 'not-found' | 'absent-keys' | 'no-docker-daemon' | 'failed';

/** The Docker CLI's answer when no daemon listens on its socket (every docker command then fails alike). */
const NO_DOCKER_DAEMON = /Cannot connect to the Docker daemon at \S+?\.? Is the docker daemon running\?/;

/** sysctl's line for a key the kernel does not have; it exits non-zero but prints the other keys. */
const CANNOT_STAT = /^sysctl: cannot stat \/proc\/sys\/(\S+?): No such file or directory$/;

/** The sysctl keys of `cannot stat` lines, when stderr holds nothing else. */
function absentSysctlKeys(item: ManifestItem): string[] | undefined {
  if (item.error) return undefined;
  const lines = (item.stderr ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const keys = lines.map((line) => CANNOT_STAT.exec(line)?.[1]);
  if (keys.length === 0 || keys.some((k) => k === undefined)) return undefined;
  return keys.map((k) => k!.replaceAll('/', '.'));
}

function failed(item: ManifestItem): boolean {
  return (item.exitCode !== undefined && item.exitCode !== 0) || (item.error !== undefined && item.error !== '');
}

function classify(item: ManifestItem): Failure {
  if (absentSysctlKeys(item)) return 'absent-keys';
  const text = `${item.stderr ?? ''}\n${item.error ?? ''}`;
  if (NO_DOCKER_DAEMON.test(text)) return 'no-docker-daemon';
  if (/\bforbidden\b/i.test(text)) return 'forbidden';
  if (item.exitCode === 127 || /command not found|executable file not found|: not found\b/i.test(text)) return 'not-found';
  return 'failed';
}

/** `kubectl auth can-i list pods --all-namespaces` from `cannot list resource "pods" in API group ""`. */
function canICommand(stderr: string): string | undefined {
  const m = /cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?/.exec(stderr);
  if (!m) return undefined;
  const resource = m[3] ? `${m[2]}.${m[3]}` : m[2];
  return `kubectl auth can-i ${m[1]} ${resource} --all-namespaces`;
}

/**
 * The manifest records a command that failed: its output is missing or partial, so the checks
 * that read it report "not collected". Identical failures (same command, exit code and first
 * error line) on several nodes form one finding. RBAC refusals are named as such.
 */
export default defineRule({
  id: 'bundle-collection-failed',
  layer: 'bundle',
  severity: 'warning',
  description: 'The manifest records a failed collection command',
  area: 'Bundle',
  requires: [inputs.manifest],
  check(ctx) {
    const bundle = ctx.model.bundle;
    const manifestFile = bundle.get(MANIFEST);
    const groups = new Map<string, ManifestItem[]>();
    for (const item of bundle.manifest?.items ?? []) {
      if (!failed(item)) continue;
      // Every docker command fails alike without a daemon: one finding, not one per command.
      const key = classify(item) === 'no-docker-daemon' ? 'no-docker-daemon' : [item.command ?? item.path ?? '', item.exitCode ?? '', item.error ?? '', firstLine(item.stderr)].join('\u0000');
      const group = groups.get(key);
      if (group) group.push(item);
      else groups.set(key, [item]);
    }

    for (const items of groups.values()) {
      const first = items[0]!;
      const kind = classify(first);
      const command = first.command ?? `the command for ${first.path ?? 'an item'}`;
      const nodes = [...new Set(items.map((i) => i.node).filter((n): n is string => !!n))];
      // A plain Docker host (or a --local capture) is a host, not a Kubernetes node.
      const kinds = new Set(nodes.map((n) => machineKind(ctx.model, n)));
      const noun = kinds.size === 1 ? [...kinds][0]! : kinds.size === 0 ? 'node' : 'node or host';
      const nouns = kinds.size <= 1 ? `${noun}s` : 'nodes and hosts';
      const where = nodes.length > 0 ? ` on ${nodes.length === 1 ? `${noun} ${nodes[0]}` : `${nodes.length} ${nouns} (${listSome(nodes, 5)})`}` : '';
      const stderr = firstLine(first.stderr);
      const how = [first.exitCode !== undefined ? `exit code ${first.exitCode}` : '', stderr, first.error && first.error !== stderr ? `error: ${first.error}` : '']
        .filter(Boolean)
        .join('; ');
      const paths = [...new Set(items.map((i) => i.path).filter((p): p is string => !!p))];
      const evidence: Evidence[] = items.slice(0, MAX_EVIDENCE).map((item) => {
        const note = `${item.node ? `${item.node}: ` : ''}${kind === 'absent-keys' ? `sysctl keys absent: ${absentSysctlKeys(item)?.join(', ') ?? ''}` : `${item.command ?? command} failed`}`;
        return manifestFile ? manifestFile.evidenceAtLine(failureLine(manifestFile, item), note) : makeEvidence(MANIFEST, item.line, '', note);
      });
      const severity: Severity = kind === 'not-found' || kind === 'absent-keys' ? 'info' : 'warning';
      const canI = kind === 'forbidden' ? canICommand(first.stderr ?? first.error ?? '') : undefined;
      const subjects = nodes.length > 0 ? nodes.map((n) => machineSubject(ctx.model, n)) : ['Bundle/manifest'];

      if (kind === 'no-docker-daemon') {
        // Bridges of Docker's networks on the host mean a daemon ran there and its containers
        // are what the ticket may be about; without them the Docker CLI is merely installed.
        const bridged = nodes.filter((n) => hasDockerBridge(ctx.model, n));
        const commands = [...new Set(items.map((i) => i.command).filter((c): c is string => !!c))];
        ctx.report({
          subjects,
          title: `No Docker daemon answered${where}`,
          message: `${listSome(commands.map((c) => `\`${c}\``), 3)}${paths.length > 0 ? ` (for ${listSome(paths, 3)})` : ''} failed${where}: ${/[.?!]$/.test(stderr) ? stderr : `${stderr}.`} ${
            bridged.length > 0
              ? `${listSome(bridged, 3)} ${bridged.length === 1 ? 'has' : 'have'} Docker's bridges, so a daemon ran there: with it stopped, its containers are down and their networks and published ports could not be read.`
              : 'No Docker bridge exists there either: the Docker CLI is installed, but no Docker networking runs to analyze.'
          }`,
          evidence,
          remediation:
            bridged.length > 0
              ? 'start the Docker daemon (systemctl status docker; journalctl -u docker) and collect again'
              : 'nothing to collect where Docker is not used; if it should run there, start it (systemctl start docker) and collect again',
          commands: ['systemctl status docker', 'journalctl -u docker --since "-1h"'],
          severity: bridged.length > 0 ? 'warning' : 'info',
          data: { commands, exitCode: first.exitCode, nodes, paths, kind },
        });
        continue;
      }

      if (kind === 'absent-keys') {
        // Not a failed collection: the other keys were read, and each absent key is kept in the
        // output as its `cannot stat` line, which the node checks read (br-netfilter-disabled).
        const keys = absentSysctlKeys(first)!;
        ctx.report({
          subjects,
          title: `The kernel${where} has no ${listSome(keys, 3)}`,
          message: `\`${command}\`${paths.length > 0 ? ` (for ${listSome(paths, 3)})` : ''} exited ${first.exitCode ?? 'non-zero'}${where} only because ${keys.length === 1 ? 'this key does' : 'these keys do'} not exist: ${keys.join(', ')}. The other keys were read. ${
            keys.some((k) => k.startsWith('net.bridge.')) ? 'net.bridge.* keys exist only while the br_netfilter module is loaded; br-netfilter-disabled says whether bridged pod traffic then bypasses iptables.' : 'The checks that read these keys treat them as absent.'
          }`,
          evidence,
          remediation: 'nothing to collect again: the absent keys are a fact about the kernel, and the checks that need them say whether it matters',
          severity,
          data: { command: first.command, exitCode: first.exitCode, nodes, paths, kind, absentKeys: keys },
        });
        continue;
      }

      ctx.report({
        subjects,
        title:
          kind === 'forbidden'
            ? `RBAC forbade \`${command}\`${where}`
            : kind === 'not-found'
              ? `\`${command}\` is not installed${where}`
              : `\`${command}\` failed${where}`,
        message: `\`${command}\`${paths.length > 0 ? ` (for ${listSome(paths, 3)})` : ''} failed${where}${how ? ` (${how})` : ''}; checks that need its output report it as not collected.${
          kind === 'forbidden' ? ' The identity the collector ran as is not allowed to read this resource.' : ''
        }`,
        evidence,
        remediation:
          kind === 'forbidden'
            ? 'grant the collector\'s identity read access (get/list) to this resource, for example with a ClusterRole bound to it, and collect again'
            : kind === 'not-found'
              ? `install the tool on the ${nodes.length > 1 ? nouns : noun} (or in the collector image) if its data is needed; where the feature is not used (ipvsadm on an iptables-mode node), this is expected`
              : 'run the command by hand where it failed to see why, fix the cause, and collect again',
        ...(canI ? { commands: [canI] } : {}),
        severity,
        data: { command: first.command, exitCode: first.exitCode, nodes, paths, kind },
      });
    }
  },
});

/**
 * The line that shows the failure: the item's `"exitCode"` (else `"error"`) member when it
 * lies inside the item, else the line where the item starts. Keys are searched from the item's
 * start up to the next `{` of a following item at the same place; manifest items are flat.
 */
function failureLine(manifest: SourceFile, item: ManifestItem): number {
  const start = manifest.offsetOfLine(item.line);
  const end = manifest.text.indexOf('}', start + 1);
  for (const key of ['"exitCode"', '"error"']) {
    const at = manifest.text.indexOf(key, start);
    if (at !== -1 && (end === -1 || at < end)) return manifest.lineOf(at);
  }
  return item.line;
}
