import type { DockerContainer, DockerContainerNetwork } from '../analyzer/cni/parse-docker-containers.js';
import type { DockerNetwork } from '../analyzer/cni/parse-docker-networks.js';
import { makeEvidence, type Evidence } from '../analyzer/bundle/source-file.js';
import { DOCKER_FILES, dockerHosts } from '../analyzer/docker/docker-host.js';
import { nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { compileIptables } from '../analyzer/netfilter/simulate/compile-iptables.js';
import { nodeNetContext } from '../analyzer/netfilter/simulate/node-context.js';
import { objectPath } from '../analyzer/kube/object-path.js';
import type { TraceStep } from '../analyzer/netfilter/simulate/trace-types.js';
import { setNodeCoverage } from './lib/node-coverage.js';

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';
/** Compose ≥ 2.20 records a service's depends_on as `db:service_started:false,api:service_healthy:true`. */
const DEPENDS_ON = 'com.docker.compose.depends_on';

interface TalkingPair {
  client: DockerContainer;
  server: DockerContainer;
  /** The depends_on entry that says so; undefined when the project records no depends_on. */
  dependency?: string;
}

/**
 * Which containers of a project must reach which. When compose recorded depends_on, exactly
 * those (client → the service it depends on): a project that keeps its database on a backend
 * network away from the web tier does so on purpose. Older compose records none: then every
 * pair is expected to talk.
 */
function pairsMeantToTalk(members: DockerContainer[]): TalkingPair[] {
  if (members.some((m) => m.labels[DEPENDS_ON] !== undefined)) {
    return members.flatMap((client) =>
      (client.labels[DEPENDS_ON] ?? '')
        .split(',')
        .map((entry) => entry.split(':')[0]!.trim())
        .filter((service) => service !== '')
        .flatMap((service) => members.filter((m) => m !== client && m.labels[COMPOSE_SERVICE] === service).map((server) => ({ client, server, dependency: service }))),
    );
  }
  const pairs: TalkingPair[] = [];
  for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) pairs.push({ client: members[i]!, server: members[j]! });
  return pairs;
}

interface Attachment {
  container: DockerContainer;
  attached: DockerContainerNetwork;
  network: DockerNetwork & { bridgeDevice: string };
  ip: string;
}

/**
 * Containers of one compose project are meant to reach the services they depend on (every other
 * container of the project when compose recorded no depends_on). When they share no network
 * and sit on different bridges, Docker's DOCKER-ISOLATION-STAGE-1/2 chains drop what one sends
 * the other. The verdict comes from simulating that packet through the host's iptables-save:
 * container A's address to container B's, in on A's bridge and out on B's, through FORWARD.
 */
export default defineRule({
  id: 'docker-network-isolation',
  layer: 'l2',
  severity: 'warning',
  description: 'containers meant to talk sit on different Docker networks whose isolation chains drop the traffic',
  area: 'Docker hosts',
  requires: [nodeFile(DOCKER_FILES.containers), nodeFile(DOCKER_FILES.networks), nodeFile('iptables-save.txt')],
  check(ctx) {
    let checked = 0;
    for (const host of dockerHosts(ctx.model)) {
      if (!host.containers || !host.networks || !host.iptables) continue;
      checked++;
      const byId = new Map(host.networks.value.networks.map((n) => [n.id, n] as const));
      const byName = new Map(host.networks.value.networks.map((n) => [n.name, n] as const));
      const attachments = (container: DockerContainer): Attachment[] =>
        container.networks.flatMap((attached) => {
          const network = (attached.networkId ? byId.get(attached.networkId) : undefined) ?? byName.get(attached.name);
          if (!network?.bridgeDevice || !attached.ipAddress) return [];
          return [{ container, attached, network: network as Attachment['network'], ip: attached.ipAddress }];
        });
      const projects = new Map<string, DockerContainer[]>();
      for (const container of host.containers.value.containers) {
        const project = container.labels[COMPOSE_PROJECT];
        if (!container.running || project === undefined) continue;
        projects.set(project, [...(projects.get(project) ?? []), container]);
      }
      if (projects.size === 0) continue;

      const bridges = host.networks.value.networks.filter((n): n is Attachment['network'] => n.bridgeDevice !== undefined);
      const context = nodeNetContext({
        localAddresses: bridges.flatMap((n) => n.ipam.configs.flatMap((c) => (c.gateway ? [c.gateway] : []))),
        routes: bridges.flatMap((n) => n.ipam.configs.flatMap((c) => (c.subnet ? [{ cidr: c.subnet, interface: n.bridgeDevice }] : []))),
      });
      const simulator = compileIptables(host.iptables.value, { file: host.iptables.file.path });

      for (const [project, members] of projects) {
        for (const { client, server, dependency } of pairsMeantToTalk(members)) {
          const fromAll = attachments(client);
          const toAll = attachments(server);
          if (fromAll.length === 0 || toAll.length === 0) continue;
          if (fromAll.some((a) => toAll.some((b) => a.network.id === b.network.id))) continue;
          const from = fromAll[0]!;
          const to = toAll[0]!;
          const exposed = to.container.exposedPorts[0];
          const proto = exposed?.protocol ?? 'tcp';
          const packet = { from: 'pod' as const, src: from.ip, dst: to.ip, proto, sport: 40000, inInterface: from.network.bridgeDevice, ...(exposed ? { dport: exposed.port } : {}) };
          const result = simulator.trace(context, packet);
          const outcomes = result.outcomes;
          if (outcomes.length === 0 || !outcomes.every((o) => o.fate === 'dropped' && !o.uncertain)) continue;
          const drops = new Map<number, TraceStep>();
          for (const outcome of outcomes) for (const step of outcome.steps) if (step.verdict === 'drop') drops.set(step.line, step);
          const dropSteps = [...drops.values()];
          const port = exposed ? `${exposed.port}/${proto}` : proto;
          const why = dependency
            ? `${from.container.name} depends on service ${dependency} (${to.container.name}) in compose project ${project} but shares no network with it`
            : `Containers ${from.container.name} and ${to.container.name} belong to compose project ${project} but share no network`;
          const evidence: Evidence[] = [
            from.container.source.at(from.attached.path, `${from.container.name} (project ${project}) is on ${from.network.name} (${from.network.bridgeDevice}) as ${from.ip}`),
            to.container.source.at(to.attached.path, `${to.container.name} (project ${project}) is on ${to.network.name} (${to.network.bridgeDevice}) as ${to.ip}`),
            ...dropSteps.map((s) => makeEvidence(s.file ?? host.iptables!.file.path, s.line, s.text, `${s.chain} drops ${from.ip} → ${to.ip} (${port})`)),
          ];
          if (dependency) evidence.push(from.container.source.at(objectPath('Config', 'Labels', DEPENDS_ON), `${from.container.name} depends on ${dependency}`));
          ctx.report({
            subjects: [host.subject],
            title: `${from.container.name} cannot reach ${to.container.name} on ${host.host}: networks ${from.network.name} and ${to.network.name} are isolated`,
            message: `${why}: ${from.container.name} is on ${from.network.name} (${from.network.bridgeDevice}, ${from.ip}), ${to.container.name} on ${to.network.name} (${to.network.bridgeDevice}, ${to.ip}). A ${port} packet from ${from.container.name} to ${to.container.name}, traced through ${host.iptables.file.path}, is dropped by ${dropSteps.map((s) => `${s.chain} (line ${s.line})`).join(', ')}: Docker isolates user-defined bridge networks from each other, so the connection times out.`,
            evidence,
            remediation: `attach both containers to a common network (list it under \`networks:\` of both services in the compose file, or \`docker network connect ${to.network.name} ${from.container.name}\`); do not delete the DOCKER-ISOLATION rules, Docker recreates them`,
            commands: [
              `docker inspect -f '{{json .NetworkSettings.Networks}}' ${from.container.name} ${to.container.name}   # on ${host.host}`,
              `iptables -S DOCKER-ISOLATION-STAGE-1; iptables -S DOCKER-ISOLATION-STAGE-2`,
            ],
            data: { host: host.host, project, from: from.container.name, to: to.container.name, networks: [from.network.name, to.network.name], dropLines: dropSteps.map((s) => s.line), ...(dependency ? { dependsOn: dependency } : {}) },
          });
        }
      }
    }
    setNodeCoverage(ctx, 'Docker bridge isolation simulated', checked);
  },
});
