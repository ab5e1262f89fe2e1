import type { Evidence } from '../analyzer/bundle/source-file.js';
import { makeEvidence } from '../analyzer/bundle/source-file.js';
import type { ManifestItem } from '../analyzer/bundle/bundle.js';
import { CNI_NODE_FILES, nodeCnis, type NodeCni } from '../analyzer/cni/node-cni.js';
import type { CniConfig, CniConfigDir, CniPlugin } from '../analyzer/cni/parse-cni-config.js';
import { isPlainDockerHost } from '../analyzer/docker/docker-host.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { inputs, type InputSpec } from '../analyzer/engine/inputs.js';
import { defineRule, type RuleContext } from '../analyzer/engine/rule.js';
import type { Node, Pod } from '../analyzer/kube/types.js';
import { parseCidr, type Cidr } from '../analyzer/netfilter/ip-cidr.js';
import { cidrsOverlap } from '../analyzer/routing/cidr-overlap.js';
import { clusterAddressing, interfaceHolding } from '../analyzer/routing/node-addressing.js';
import { nodeRoutings } from '../analyzer/routing/node-routing.js';
import { ENCAPSULATION_OVERHEAD, expectedTunnels, podNetwork, TUNNEL_KIND_NAMES } from '../analyzer/routing/pod-network.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';
import { forwardingRole } from './lib/node-subject.js';
import { machineSubject } from './lib/node-subject.js';

/** The agent DaemonSets that install and serve each main plugin type. */
const AGENTS: Record<string, string[]> = {
  flannel: ['kube-flannel-ds', 'kube-flannel', 'flannel', 'kube-flannel-ds-amd64', 'canal'],
  calico: ['calico-node', 'canal'],
  'cilium-cni': ['cilium'],
  'weave-net': ['weave-net'],
  'aws-cni': ['aws-node'],
};

/** Meta plugins that delegate to the configs after them: a config sorting first on purpose. */
const DELEGATING = new Set(['multus', 'multus-shim', 'genie']);

/** Plugins handling hostPort themselves (Cilium's BPF host-port mapping), so no portmap is needed. */
const OWN_HOST_PORTS = new Set(['cilium-cni']);

const CNI_DIR = `nodes/*/${CNI_NODE_FILES.cniConfigDir}`;

/** Collected when a node has CNI files, or the collector recorded the folder (empty, missing). */
const cniDirInput: InputSpec = {
  id: CNI_DIR,
  paths: `${CNI_DIR}*`,
  isCollected: (model) => model.bundle.nodeNames().some((n) => model.bundle.list(`nodes/${n}/${CNI_NODE_FILES.cniConfigDir}`).length > 0) || emptyDirItems(model).size > 0,
};

/**
 * What the container runtime reads from /etc/cni/net.d on each node (libcni: the lexically first
 * `.conf`/`.conflist`/`.json` it can load; containerd stops at the first file instead):
 * - no configuration at all: the runtime reports NetworkPluginNotReady, the node stays NotReady
 *   and its pods stay in ContainerCreating;
 * - the first file rejected by libcni (invalid JSON, no plugin type): containerd fails on it even
 *   when a good file follows;
 * - the configuration in force carries a value its plugin cannot use (an install placeholder left
 *   in place, an MTU that is not a number);
 * - several configurations of different CNIs: the one sorting first wins, typically a leftover of
 *   the CNI the cluster used before (a `10-flannel.conflist` ahead of `10-weave.conflist`);
 * - pods with a hostPort while the chain has no `portmap` plugin: the port is never opened;
 * - an MTU larger than the underlay's minus the encapsulation overhead;
 * - host-local IPAM on a subnet that is not the node's podCIDR.
 * `"mtu": 0` (Calico: auto-detect) is not a value to report.
 */
export default defineRule({
  id: 'cni-config-problem',
  layer: 'cni',
  severity: 'critical',
  description: 'A node has no CNI config, several conflicting ones, or one its plugin cannot use',
  area: 'CNI health',
  requires: [cniDirInput],
  optional: [inputs.nodes, inputs.pods, inputs.daemonSets],
  check(ctx) {
    const empty = emptyDirItems(ctx.model);
    const running = runningAgents(ctx.model);
    let checked = 0;
    for (const entry of nodeCnis(ctx.model)) {
      // A plain Docker host has no CNI: Docker's own bridge driver wires its containers.
      if (isPlainDockerHost(ctx.model, entry.node)) continue;
      // A machine captured with --local that shows nothing of Kubernetes is no node: it needs no CNI.
      if (forwardingRole(ctx.model, entry.node) !== 'kubernetes') continue;
      const dir = entry.cniConfigs;
      const emptyItem = empty.get(entry.node);
      if (!dir || dir.configs.length === 0) {
        if (!emptyItem && !(dir && dir.configs.length === 0)) continue;
        checked++;
        reportNoConfig(ctx, entry, emptyItem, dir);
        continue;
      }
      checked++;
      checkDir(ctx, entry.node, dir, running);
    }
    setNodeCoverage(ctx, '/etc/cni/net.d read', checked);
  },
});

/** Manifest items saying a node's /etc/cni/net.d held no file (or did not exist), by node. */
function emptyDirItems(model: AnalysisModel): Map<string, ManifestItem> {
  const found = new Map<string, ManifestItem>();
  for (const item of model.bundle.manifest?.items ?? []) {
    const match = item.path === undefined ? null : /^nodes\/([^/]+)\/cni\/$/.exec(item.path);
    const why = item.note ?? item.error;
    if (match && why !== undefined && /holds no files|does not exist/.test(why)) found.set(match[1]!, item);
  }
  return found;
}

/** Pods by node name, built once: the per-node checks must not scan 100,000 pods per node. */
function podsOnNode(model: AnalysisModel, node: string): readonly Pod[] {
  const byNode = model.facet('rules/cni-config-problem/pods-by-node', (m) => {
    const map = new Map<string, Pod[]>();
    for (const pod of m.kube.pods) {
      if (pod.nodeName === undefined) continue;
      const list = map.get(pod.nodeName);
      if (list) list.push(pod);
      else map.set(pod.nodeName, [pod]);
    }
    return map;
  });
  return byNode.get(node) ?? [];
}

/** DaemonSet names present, or undefined when DaemonSets were not collected. */
function runningAgents(model: AnalysisModel): Set<string> | undefined {
  if (!model.kube.collected.has('daemonsets')) return undefined;
  return new Set(model.kube.daemonSets.map((d) => d.name));
}

function reportNoConfig(ctx: RuleContext, entry: NodeCni, item: ManifestItem | undefined, dir: CniConfigDir | undefined): void {
  const node = ctx.model.kube.node(entry.node);
  const stuck = stuckPods(ctx.model, entry.node);
  const condition = node ? networkNotReady(node) : undefined;
  const evidence: Evidence[] = [];
  const manifest = ctx.model.bundle.get('manifest.json');
  if (item && manifest) evidence.push(manifest.evidenceAtLine(item.line, `${item.command ?? 'cat /etc/cni/net.d/*'}: ${item.note ?? item.error}`));
  for (const path of dir?.ignored ?? []) evidence.push(makeEvidence(path, 1, ctx.model.bundle.get(path)?.lineText(1) ?? '', 'not a .conf/.conflist/.json: the runtime does not read it'));
  if (condition) evidence.push(condition.evidence);
  for (const pod of stuck.slice(0, 3)) evidence.push(pod.evidence);
  if (evidence.length === 0) return;
  const symptoms: string[] = [];
  if (condition) symptoms.push(`the kubelet reports ${condition.text}`);
  if (stuck.length > 0) symptoms.push(`${plural(stuck.length, 'pod')} on it ${stuck.length === 1 ? 'is' : 'are'} stuck in ContainerCreating (${listSome(stuck.map((p) => p.name), 3)})`);
  const others = dir?.ignored.length ? ` (only ${listSome(dir.ignored.map(baseName), 3)}, which the runtime does not read)` : '';
  ctx.report({
    subjects: [machineSubject(ctx.model, entry.node), ...stuck.map((p) => p.ref)],
    title: `No CNI configuration on ${entry.node}`,
    message:
      `/etc/cni/net.d on ${entry.node} holds no network configuration${others}: the container runtime cannot set up pod networking, so no pod sandbox can start there` +
      (symptoms.length > 0 ? `; ${symptoms.join(', and ')}.` : '.') +
      ' The CNI agent writes this file when it starts (its install-cni init container): it has not run on this node, or removed the file.',
    evidence,
    severity: condition || stuck.length > 0 ? 'critical' : 'warning',
    remediation: `check the CNI agent pod on ${entry.node} (its install-cni init container copies the configuration into /etc/cni/net.d) and restart it; then the kubelet reports NetworkReady and the stuck pods start`,
    commands: [`ls -la /etc/cni/net.d   # on ${entry.node}`, `kubectl get pods -A -o wide --field-selector spec.nodeName=${entry.node}`, `kubectl describe node ${entry.node} | grep -i network`],
    data: { node: entry.node, stuckPods: stuck.map((p) => p.ref) },
  });
}

interface StuckPod {
  ref: string;
  name: string;
  evidence: Evidence;
}

/**
 * Pods of the node waiting in ContainerCreating. Findings that explain them name every one as a
 * subject (not just the first few): each pod's pod-not-ready finding links to its cause by it.
 */
function stuckPods(model: AnalysisModel, node: string): StuckPod[] {
  const stuck: StuckPod[] = [];
  for (const pod of podsOnNode(model, node)) {
    if (pod.hostNetwork || pod.phase !== 'Pending') continue;
    const status = pod.containerStatuses.find((s) => s.state.kind === 'waiting' && s.state.reason === 'ContainerCreating');
    if (!status) continue;
    stuck.push({ ref: pod.ref, name: `${pod.namespace}/${pod.name}`, evidence: pod.source.at(`status.containerStatuses[${status.index}].state.waiting.reason`, `${pod.namespace}/${pod.name} ContainerCreating`) });
  }
  return stuck;
}

/** The Ready condition when it blames the network plugin (`NetworkPluginNotReady`, `cni plugin not initialized`). */
function networkNotReady(node: Node): { text: string; evidence: Evidence } | undefined {
  const index = node.conditions.findIndex((c) => c.type === 'Ready' && c.status !== 'True' && /NetworkPluginNotReady|cni (plugin not initialized|config uninitialized)|no networks found/i.test(c.message ?? ''));
  if (index < 0) return undefined;
  const message = node.conditions[index]!.message!;
  return { text: `Ready=False: "${message}"`, evidence: node.source.at(`status.conditions[${index}].message`, 'NotReady: network plugin not ready') };
}

function checkDir(ctx: RuleContext, nodeName: string, dir: CniConfigDir, running: Set<string> | undefined): void {
  if (dir.blocking) reportBlocking(ctx, nodeName, dir, dir.blocking);
  const effective = dir.effective;
  if (!effective) return;
  if (effective !== dir.blocking) reportPluginProblems(ctx, nodeName, effective);
  reportConflicts(ctx, nodeName, dir, effective, running);
  reportMissingPortmap(ctx, nodeName, effective);
  reportMtu(ctx, nodeName, effective);
  reportIpamSubnet(ctx, nodeName, effective);
}

function reportBlocking(ctx: RuleContext, nodeName: string, dir: CniConfigDir, first: CniConfig): void {
  const fatal = first.problems.filter((p) => p.fatal);
  const next = dir.effective;
  ctx.report({
    subjects: [machineSubject(ctx.model, nodeName)],
    title: `${first.fileName} on ${nodeName} cannot be loaded and sorts first`,
    message:
      `${first.fileName} is the first configuration in /etc/cni/net.d on ${nodeName} and libcni rejects it: ${fatal.map((p) => `line ${p.line}: ${p.message}`).join('; ')}. ` +
      (next
        ? `containerd stops at this file and sets up no pod network (NetworkPluginNotReady); CRI-O skips it and uses ${next.fileName}.`
        : 'No other file can be loaded either: no pod can get a network on this node.'),
    evidence: fatal.map((p) => makeEvidence(first.file, p.line, ctx.model.bundle.get(first.file)?.lineText(p.line) ?? '', p.message)),
    remediation: next ? `remove or fix ${first.fileName} (the runtime must not see a broken file before ${next.fileName}) and restart the CNI agent on ${nodeName}` : `fix ${first.fileName} (or let the CNI agent rewrite it by restarting it on ${nodeName})`,
    commands: [`cat /etc/cni/net.d/${first.fileName}   # on ${nodeName}`, `journalctl -u containerd --since -1h | grep -i cni   # on ${nodeName}`],
    data: { node: nodeName, file: first.file, problems: fatal.map((p) => p.message), usedByCrio: next?.file },
  });
}

function reportPluginProblems(ctx: RuleContext, nodeName: string, config: CniConfig): void {
  const problems = config.problems.filter((p) => !p.fatal);
  if (problems.length === 0) return;
  ctx.report({
    subjects: [machineSubject(ctx.model, nodeName)],
    title: `The CNI configuration in force on ${nodeName} (${config.fileName}) has values its plugin cannot use`,
    message: `${config.fileName} on ${nodeName}: ${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}. The runtime loads the file, but the plugin fails on every pod sandbox it is asked to create.`,
    evidence: problems.map((p) => makeEvidence(config.file, p.line, ctx.model.bundle.get(config.file)?.lineText(p.line) ?? '', p.message)),
    remediation: `let the CNI agent rewrite the file (restart its pod on ${nodeName}; its install-cni container substitutes the placeholders), or correct the values by hand`,
    commands: [`cat /etc/cni/net.d/${config.fileName}   # on ${nodeName}`],
    data: { node: nodeName, file: config.file, problems: problems.map((p) => p.message) },
  });
}

function mainType(config: CniConfig): string {
  return config.plugins[0]?.type ?? '';
}

function reportConflicts(ctx: RuleContext, nodeName: string, dir: CniConfigDir, effective: CniConfig, running: Set<string> | undefined): void {
  const winner = mainType(effective);
  if (DELEGATING.has(winner)) return;
  const ignored = dir.configs.filter((c) => c !== effective && c !== dir.blocking && mainType(c) !== winner && mainType(c) !== 'loopback' && mainType(c) !== '');
  if (ignored.length === 0) return;
  const agentRuns = (type: string) => (running === undefined || AGENTS[type] === undefined ? undefined : AGENTS[type]!.some((name) => running.has(name)));
  const winnerRuns = agentRuns(winner);
  const runningIgnored = ignored.filter((c) => agentRuns(mainType(c)) === true);
  const wrongWinner = winnerRuns === false && runningIgnored.length > 0;
  const describe = (c: CniConfig) => `${c.fileName} (${mainType(c)}${c.name ? `, network "${c.name}"` : ''})`;
  const sentences = [`${plural(dir.configs.length, 'configuration')} in /etc/cni/net.d on ${nodeName}; the runtime uses the first by name, ${describe(effective)}, and ignores ${listSome(ignored.map(describe), 4)}`];
  if (wrongWinner) {
    sentences.push(
      `no ${winner} agent runs in the cluster (no DaemonSet ${listSome(AGENTS[winner]!, 3, ' or ')}) while ${listSome(runningIgnored.map((c) => mainType(c)), 3)} does: ${effective.fileName} is a leftover of a previous CNI, and pod sandboxes on ${nodeName} are set up by a plugin whose agent is gone (pods stay in ContainerCreating, or get addresses nothing routes)`,
    );
  } else {
    sentences.push(`the ignored ${ignored.length === 1 ? 'file is a leftover' : 'files are leftovers'}: harmless while ${effective.fileName} sorts first, but a rename or a new file can switch the CNI of new pods on this node`);
  }
  const evidence: Evidence[] = [makeEvidence(effective.file, effective.plugins[0]?.line ?? effective.line, lineOf(ctx, effective.file, effective.plugins[0]?.line ?? effective.line), `in force: ${effective.fileName}`)];
  for (const c of ignored.slice(0, 3)) evidence.push(makeEvidence(c.file, c.plugins[0]?.line ?? c.line, lineOf(ctx, c.file, c.plugins[0]?.line ?? c.line), `ignored: ${c.fileName}`));
  const stuck = wrongWinner ? stuckPods(ctx.model, nodeName) : [];
  for (const pod of stuck.slice(0, 3)) evidence.push(pod.evidence);
  ctx.report({
    subjects: [machineSubject(ctx.model, nodeName), ...stuck.map((p) => p.ref)],
    title: wrongWinner
      ? `${nodeName} uses the leftover ${effective.fileName} instead of ${runningIgnored[0]!.fileName}`
      : `${nodeName} has ${plural(ignored.length + 1, 'CNI configuration')} of different CNIs; ${effective.fileName} wins`,
    message: `${sentences.join('; ')}${stuck.length > 0 ? `; ${plural(stuck.length, 'pod')} on ${nodeName} ${stuck.length === 1 ? 'is' : 'are'} stuck in ContainerCreating (${listSome(stuck.map((p) => p.name), 3)})` : ''}.`,
    evidence,
    severity: wrongWinner ? 'critical' : 'warning',
    remediation: `delete the files of the CNI no longer in use from /etc/cni/net.d on ${nodeName} (keep ${wrongWinner ? runningIgnored[0]!.fileName : effective.fileName}), then delete the pods created since so they get the right network`,
    commands: [`ls -la /etc/cni/net.d   # on ${nodeName}`, `rm /etc/cni/net.d/${(wrongWinner ? effective : ignored[0]!).fileName}   # on ${nodeName}, after checking`],
    data: { node: nodeName, inForce: effective.file, ignored: ignored.map((c) => c.file), leftoverWins: wrongWinner },
  });
}

function reportMissingPortmap(ctx: RuleContext, nodeName: string, config: CniConfig): void {
  if (config.plugins.some((p) => p.type === 'portmap' || p.capabilities.includes('portMappings')) || OWN_HOST_PORTS.has(mainType(config))) return;
  const users: { pod: Pod; port: number; evidence: Evidence }[] = [];
  for (const pod of podsOnNode(ctx.model, nodeName)) {
    if (pod.hostNetwork || pod.phase === 'Succeeded' || pod.phase === 'Failed' || !ctx.inScope(pod.namespace)) continue;
    pod.containers.forEach((container, c) => {
      container.ports.forEach((port, p) => {
        if (port.hostPort === undefined || port.hostPort === 0) return;
        users.push({ pod, port: port.hostPort, evidence: pod.source.at(`spec.containers[${c}].ports[${p}].hostPort`, `hostPort ${port.hostPort}`) });
      });
    });
  }
  if (users.length === 0) return;
  ctx.report({
    subjects: [machineSubject(ctx.model, nodeName), ...[...new Set(users.map((u) => u.pod.ref))].slice(0, 5)],
    title: `${plural(users.length, 'hostPort')} on ${nodeName} without the portmap plugin`,
    message: `${config.fileName} on ${nodeName} chains ${listSome(config.plugins.map((p) => p.type || '(no type)'), 5)} and no portmap plugin (no plugin with the portMappings capability), so the runtime's port mappings are dropped: ${listSome(users.map((u) => `${u.pod.namespace}/${u.pod.name} hostPort ${u.port}`), 4)} ${users.length === 1 ? 'is' : 'are'} never opened on the node.`,
    evidence: [makeEvidence(config.file, config.line, lineOf(ctx, config.file, config.line), `chain: ${config.plugins.map((p) => p.type).join(', ')}`), ...users.slice(0, 4).map((u) => u.evidence)],
    severity: 'warning',
    remediation: `add { "type": "portmap", "snat": true, "capabilities": { "portMappings": true } } to the plugins of ${config.fileName} (in the CNI agent's template, so it survives restarts), or use a NodePort Service instead of hostPort`,
    commands: [`cat /etc/cni/net.d/${config.fileName}   # on ${nodeName}`, `iptables -t nat -S CNI-HOSTPORT-DNAT   # on ${nodeName}`],
    data: { node: nodeName, file: config.file, hostPorts: users.map((u) => ({ pod: u.pod.ref, hostPort: u.port })) },
  });
}

function reportMtu(ctx: RuleContext, nodeName: string, config: CniConfig): void {
  const plugin = config.plugins.find((p) => p.mtu !== undefined);
  if (!plugin || !config.source) return;
  const routing = nodeRoutings(ctx.model).node(nodeName);
  const internal = clusterAddressing(ctx.model).node(nodeName)?.internalIP;
  const underlay = routing && internal ? interfaceHolding(routing, internal) : undefined;
  const underlayMtu = underlay?.view.mtu;
  if (!routing || !underlay || underlayMtu === undefined) return;
  const tunnels = expectedTunnels(podNetwork(ctx.model), nodeName).filter((t) => t.kind !== 'weave');
  const overhead = Math.max(0, ...tunnels.map((t) => ENCAPSULATION_OVERHEAD[t.kind]));
  const limit = underlayMtu - overhead;
  if (plugin.mtu! <= limit) return;
  const why = tunnels.length > 0 ? `${underlayMtu} on ${underlay.name} minus ${overhead} bytes of ${TUNNEL_KIND_NAMES[tunnels.find((t) => ENCAPSULATION_OVERHEAD[t.kind] === overhead)!.kind]}` : `the MTU of ${underlay.name}, with no encapsulation`;
  const mtuPath = plugin.options.mtu !== undefined ? `${prefixed(plugin, 'mtu')}` : `${prefixed(plugin, 'delegate.mtu')}`;
  const underlayEvidence = routing.interfaceEvidence(underlay.name, `${underlay.name} mtu ${underlayMtu}`);
  ctx.report({
    subjects: [machineSubject(ctx.model, nodeName)],
    title: `CNI MTU ${plugin.mtu} on ${nodeName} exceeds the ${limit} the underlay carries`,
    message: `${config.fileName} gives pods an MTU of ${plugin.mtu} (plugin ${plugin.type}), but the largest packet that crosses between nodes is ${limit} (${why}): pods send packets up to ${plugin.mtu} bytes that are dropped (or need fragments) on the way; small requests work, large responses and TLS handshakes hang.`,
    evidence: [config.source.at(mtuPath, `mtu ${plugin.mtu}`), ...(underlayEvidence ? [underlayEvidence] : []), ...tunnels.slice(0, 1).map((t) => t.evidence)],
    remediation: `set the CNI MTU to ${limit} or less (Calico: veth_mtu in calico-config or FelixConfiguration; flannel: the backend MTU follows the interface), then re-create the pods on ${nodeName}`,
    commands: [`cat /etc/cni/net.d/${config.fileName}   # on ${nodeName}`, `ip -d link show ${underlay.name}   # on ${nodeName}`],
    data: { node: nodeName, file: config.file, cniMtu: plugin.mtu, largestThatFits: limit, underlayMtu, overhead },
  });
}

function reportIpamSubnet(ctx: RuleContext, nodeName: string, config: CniConfig): void {
  const node = ctx.model.kube.node(nodeName);
  if (!node || node.podCIDRs.length === 0 || !config.source) return;
  const podCidrs = node.podCIDRs.map((text) => parseCidr(text)).filter((c) => c !== undefined);
  for (const plugin of config.plugins) {
    const ipam = plugin.ipam;
    if (!ipam || ipam.type !== 'host-local' || ipam.usesPodCidr) continue;
    const outside = ipam.subnets.filter((text) => {
      const subnet = parseCidr(text);
      if (!subnet) return false;
      const same = podCidrs.filter((c) => c.family === subnet.family);
      return same.length > 0 && !same.some((c) => within(subnet, c));
    });
    if (outside.length === 0) continue;
    ctx.report({
      subjects: [machineSubject(ctx.model, nodeName)],
      title: `host-local IPAM on ${nodeName} hands out ${listSome(outside, 2)}, not its podCIDR ${node.podCIDRs.join(', ')}`,
      message: `${config.fileName} on ${nodeName} configures host-local IPAM with ${listSome(outside, 3)}, outside the node's podCIDR ${node.podCIDRs.join(', ')}: the other nodes route ${node.podCIDRs.join(', ')} to ${nodeName}, so pods given addresses from ${outside[0]} cannot be reached from other nodes (and may clash with another node's pods).`,
      evidence: [config.source.at(`${ipam.path}`, `ipam subnet ${outside[0]}`), node.source.at(Array.isArray(node.raw?.spec?.podCIDRs) ? 'spec.podCIDRs[0]' : 'spec.podCIDR', `${nodeName} podCIDR ${node.podCIDRs[0]}`)],
      remediation: `use "subnet": "usePodCidr" (Calico) or the node's podCIDR in ${config.fileName}; the file was probably copied from another node. Re-create the pods on ${nodeName} afterwards`,
      commands: [`cat /etc/cni/net.d/${config.fileName}   # on ${nodeName}`, `kubectl get node ${nodeName} -o jsonpath='{.spec.podCIDRs}'`],
      data: { node: nodeName, file: config.file, subnets: outside, podCIDRs: node.podCIDRs },
    });
  }
}

/** Whether `inner` lies wholly in `outer`. */
function within(inner: Cidr, outer: Cidr): boolean {
  return (outer.prefix ?? 0) <= (inner.prefix ?? 0) && cidrsOverlap(inner, outer);
}

function prefixed(plugin: CniPlugin, key: string): string {
  return plugin.path === '' ? key : `${plugin.path}.${key}`;
}

function lineOf(ctx: RuleContext, path: string, line: number): string {
  return ctx.model.bundle.get(path)?.lineText(line) ?? '';
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
