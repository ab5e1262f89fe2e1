import type { DockerContainer, DockerPortBinding } from '../analyzer/cni/parse-docker-containers.js';
import { makeEvidence } from '../analyzer/bundle/source-file.js';
import { DOCKER_FILES, dockerHosts } from '../analyzer/docker/docker-host.js';
import type { IptablesDump, IptablesRule } from '../analyzer/netfilter/iptables-types.js';
import { nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** Which host addresses a binding listens on: '' is every address of both families. */
interface Listen {
  families: ReadonlySet<4 | 6>;
  /** undefined: every address of those families. */
  address?: string;
}

function listenOf(hostIp: string): Listen {
  if (hostIp === '') return { families: new Set([4, 6]) };
  const family: 4 | 6 = hostIp.includes(':') ? 6 : 4;
  if (hostIp === '0.0.0.0' || hostIp === '::') return { families: new Set([family]) };
  return { families: new Set([family]), address: hostIp };
}

function overlaps(a: Listen, b: Listen): boolean {
  if (![...a.families].some((f) => b.families.has(f))) return false;
  return a.address === undefined || b.address === undefined || a.address === b.address;
}

const shown = (binding: DockerPortBinding) =>
  `${binding.hostIp === '' ? '0.0.0.0' : binding.hostIp.includes(':') ? `[${binding.hostIp}]` : binding.hostIp}:${binding.hostPort}/${binding.protocol}`;

interface Claim {
  container: DockerContainer;
  binding: DockerPortBinding;
  listen: Listen;
}

const DNAT_TO = /--to-destination (\d+\.\d+\.\d+\.\d+):(\d+)/;
const DPORT = /--dport (\d+)\b/;
const DESTINATION = /(?:^| )-d (\d+\.\d+\.\d+\.\d+)\/32\b/;

/**
 * With both containers running, which one a connection to the address they share reaches: the
 * first rule of the nat DOCKER chain that DNATs that address and port to either container.
 */
function firstDnat(dump: IptablesDump | undefined, a: Claim, b: Claim): { entry: Claim; rule: IptablesRule; address: string } | undefined {
  const chain = dump?.tables.get('nat')?.chains.get('DOCKER');
  if (!chain) return undefined;
  const specific = a.listen.address ?? b.listen.address;
  const address = specific ?? '0.0.0.0';
  for (const rule of chain.rules) {
    const to = DNAT_TO.exec(rule.text);
    if (!to || DPORT.exec(rule.text)?.[1] !== String(a.binding.hostPort)) continue;
    const destination = DESTINATION.exec(rule.text)?.[1];
    if (destination !== undefined && destination !== specific) continue;
    const entry = [a, b].find((c) => Number(to[2]) === c.binding.containerPort && c.container.networks.some((n) => n.ipAddress === to[1]));
    if (entry) return { entry, rule, address };
  }
  return undefined;
}

const state = (container: DockerContainer) => (container.running ? 'running' : container.status ?? 'not running');

/**
 * Two containers asking for the same host port on overlapping addresses (0.0.0.0 overlaps every
 * IPv4 address, an empty HostIp every address): only one can bind it. The second fails to start
 * with "Bind for 0.0.0.0:8080 failed: port is already allocated", or fails on its next start.
 * Read from HostConfig.PortBindings, which a container keeps while stopped or failed.
 */
export default defineRule({
  id: 'docker-port-conflict',
  layer: 'l2',
  severity: 'warning',
  description: 'two containers publish the same host port and address',
  area: 'Docker hosts',
  requires: [nodeFile(DOCKER_FILES.containers)],
  optional: [nodeFile('iptables-save.txt')],
  check(ctx) {
    let checked = 0;
    for (const host of dockerHosts(ctx.model)) {
      const parsed = host.containers;
      if (!parsed) continue;
      checked++;
      // Bindings by host port and protocol: only those can collide.
      const byPort = new Map<string, Claim[]>();
      for (const container of parsed.value.containers) {
        for (const binding of container.portBindings) {
          if (binding.hostPort === undefined) continue;
          const key = `${binding.hostPort}/${binding.protocol}`;
          const list = byPort.get(key) ?? [];
          list.push({ container, binding, listen: listenOf(binding.hostIp) });
          byPort.set(key, list);
        }
      }
      const reported = new Set<string>();
      for (const bindings of byPort.values()) for (let i = 0; i < bindings.length; i++) {
        for (let j = i + 1; j < bindings.length; j++) {
          const a = bindings[i]!;
          const b = bindings[j]!;
          if (a.container === b.container || !overlaps(a.listen, b.listen)) continue;
          const pair = `${a.container.id} ${b.container.id} ${a.binding.hostPort}/${a.binding.protocol}`;
          if (reported.has(pair)) continue;
          reported.add(pair);
          const port = `${a.binding.hostPort}/${a.binding.protocol}`;
          const holder = a.container.running && !b.container.running ? a : b.container.running && !a.container.running ? b : undefined;
          const loser = holder === a ? b : holder === b ? a : undefined;
          const winner = a.container.running && b.container.running ? firstDnat(host.iptables?.value, a, b) : undefined;
          const outcome = holder && loser
            ? `only one can bind the port: ${holder.container.name} holds the port; ${loser.container.name} is ${state(loser.container)}, as Docker refuses to start it ("port is already allocated")`
            : winner
              ? `both are running, because Docker's port allocator tracks each host address apart and its userland proxy (which would have failed to bind) is off; connections to ${winner.address}:${a.binding.hostPort} reach only ${winner.entry.container.name}, whose DNAT rule comes first in the DOCKER chain (${winner.rule.table} line ${winner.rule.line}), so ${(winner.entry === a ? b : a).container.name} never gets them there`
              : a.container.running && b.container.running
                ? 'only one can bind the port, yet both are running (one was started with the other stopped, or Docker bound them through different addresses): whichever restarts second will fail to start ("port is already allocated")'
                : 'only one can bind the port; neither is running: whichever starts second will fail ("port is already allocated")';
          ctx.report({
            subjects: [host.subject],
            title: `${a.container.name} and ${b.container.name} both publish host port ${port} on ${host.host}`,
            message: `On ${host.host}, container ${a.container.name} asks for ${shown(a.binding)} (to its port ${a.binding.containerPort}) and ${b.container.name} for ${shown(b.binding)} (to its port ${b.binding.containerPort}); the addresses overlap: ${outcome}.`,
            evidence: [
              a.container.source.at(`${a.binding.path}.HostPort`, `${a.container.name} publishes ${shown(a.binding)} (${state(a.container)})`),
              b.container.source.at(`${b.binding.path}.HostPort`, `${b.container.name} publishes ${shown(b.binding)} (${state(b.container)})`),
              ...(winner ? [makeEvidence(host.iptables!.file.path, winner.rule.line, winner.rule.text, `first DNAT for ${winner.address}:${a.binding.hostPort}: ${winner.entry.container.name}`)] : []),
            ],
            remediation: `give one of the containers another host port (-p <other>:${b.binding.containerPort}), bind them to different host addresses (-p 127.0.0.1:${a.binding.hostPort}:…), or put both behind one reverse proxy`,
            commands: [`docker ps -a --filter publish=${port} --format '{{.Names}} {{.Status}} {{.Ports}}'   # on ${host.host}`, `ss -lntup 'sport = :${a.binding.hostPort}'`],
            data: { host: host.host, port: a.binding.hostPort, protocol: a.binding.protocol, containers: [a.container.name, b.container.name] },
          });
        }
      }
    }
    setNodeCoverage(ctx, 'container port bindings read', checked);
  },
});
