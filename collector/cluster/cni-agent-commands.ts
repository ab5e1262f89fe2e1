/**
 * What cluster mode runs in the CNI agent pods of the captured nodes (`kubectl exec` into the
 * agent's container), and where each output goes: nodes/<node>/calico|cilium|weave/... and
 * hubble/flows.json, as the bundle format names them.
 *
 * Cilium 1.15+ ships the agent CLI as `cilium-dbg` (older agents as `cilium`); a small `sh`
 * wrapper runs whichever the image has, so one exec works on both. The drop monitor is a
 * bounded capture: `timeout` ends it, and that end (exit 124) is its normal outcome.
 */
import type { CniAgentPod } from './node-selection.js';

export const DEFAULT_MONITOR_SECONDS = 10;
export const DEFAULT_HUBBLE_FLOWS = 2000;

export interface AgentCommand {
  /** Bundle path of the output. */
  path: string;
  /** The command in the agent container (after `kubectl exec ... --`). */
  argv: string[];
  /** How the manifest shows it (the wrapper's intent, not its shell text). */
  display: string;
  note?: string;
}

const CILIUM_CLI = 'c=$(command -v cilium-dbg || command -v cilium) || { echo "sh: cilium-dbg: not found (nor cilium)" >&2; exit 127; }';
const WEAVE = '/home/weave/weave';

function cilium(args: string): string[] {
  return ['sh', '-c', `${CILIUM_CLI}; exec "$c" ${args}`];
}

export interface AgentCommandOptions {
  monitorSeconds?: number;
  hubbleFlows?: number;
}

export function agentCommands(agent: CniAgentPod, options: AgentCommandOptions = {}): AgentCommand[] {
  const base = `nodes/${agent.node}`;
  switch (agent.kind) {
    case 'calico':
      return [
        { path: `${base}/calico/node-status.txt`, argv: ['calicoctl', 'node', 'status'], display: 'calicoctl node status' },
        { path: `${base}/calico/bird-routes.txt`, argv: ['birdcl', '-s', '/var/run/calico/bird.ctl', 'show', 'route'], display: 'birdcl -s /var/run/calico/bird.ctl show route' },
      ];
    case 'cilium': {
      const seconds = options.monitorSeconds ?? DEFAULT_MONITOR_SECONDS;
      const flows = options.hubbleFlows ?? DEFAULT_HUBBLE_FLOWS;
      return [
        { path: `${base}/cilium/status.txt`, argv: cilium('status --verbose'), display: 'cilium-dbg status --verbose' },
        { path: `${base}/cilium/endpoints.json`, argv: cilium('endpoint list -o json'), display: 'cilium-dbg endpoint list -o json' },
        { path: `${base}/cilium/bpf-lb.txt`, argv: cilium('bpf lb list'), display: 'cilium-dbg bpf lb list' },
        { path: `${base}/cilium/bpf-ct.txt`, argv: cilium('bpf ct list global'), display: 'cilium-dbg bpf ct list global' },
        {
          path: `${base}/cilium/monitor-drop.txt`,
          argv: ['sh', '-c', `${CILIUM_CLI}; timeout ${seconds} "$c" monitor --type drop; rc=$?; [ "$rc" = 124 ] && exit 0; exit "$rc"`],
          display: `timeout ${seconds} cilium-dbg monitor --type drop`,
          note: `bounded capture: the drops seen in ${seconds} seconds`,
        },
        {
          path: 'hubble/flows.json',
          argv: ['hubble', 'observe', '-o', 'json', '--last', String(flows)],
          display: `hubble observe -o json --last ${flows}`,
          note: `the last ${flows} flows this node's agent holds`,
        },
      ];
    }
    case 'weave':
      return [
        {
          path: `${base}/weave/status.txt`,
          argv: ['sh', '-c', `${WEAVE} --local status; a=$?; echo; ${WEAVE} --local status connections; b=$?; [ "$a" = 0 ] && exit "$b"; exit "$a"`],
          display: `${WEAVE} --local status; ${WEAVE} --local status connections`,
        },
        { path: `${base}/weave/report.json`, argv: [WEAVE, '--local', 'report'], display: `${WEAVE} --local report` },
      ];
    case 'flannel':
      // flanneld has no status command: its state is in the node capture (routes, vxlan device).
      return [];
  }
}

/** `kubectl exec` arguments for one agent command. */
export function agentExecArgs(agent: CniAgentPod, command: AgentCommand): string[] {
  return ['exec', '-n', agent.namespace, agent.pod, '-c', agent.container, '--', ...command.argv];
}
