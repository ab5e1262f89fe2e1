import { nodeCnis, CNI_NODE_FILES } from '../analyzer/cni/node-cni.js';
import { nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/**
 * Calico's BIRD learns each other node's pod block routes over BGP (node-to-node mesh, route
 * reflectors or global peers). A peer whose session is not Established sends no routes: pods on
 * the nodes behind it are unreachable from this node (route-missing shows the missing routes).
 * Read from `calicoctl node status`; the peer's node is named when its address is a node IP.
 */
export default defineRule({
  id: 'calico-bgp-down',
  layer: 'cni',
  severity: 'critical',
  description: 'A Calico BGP peer is not Established',
  area: 'CNI health',
  requires: [nodeFile(CNI_NODE_FILES.calicoNodeStatus)],
  check(ctx) {
    const nodeByIp = new Map<string, string>();
    for (const node of ctx.model.kube.nodes) for (const ip of node.ips) nodeByIp.set(ip, node.name);

    let checked = 0;
    for (const entry of nodeCnis(ctx.model)) {
      const status = entry.calicoNodeStatus;
      if (!status) continue;
      checked++;
      const down = status.value.peers.filter((peer) => !peer.established);
      if (down.length === 0) continue;

      const describe = (address: string) => {
        const name = nodeByIp.get(address);
        return name ? `${address} (node ${name})` : address;
      };
      const peerNodes = [...new Set(down.map((peer) => nodeByIp.get(peer.address)).filter((name): name is string => name !== undefined))];
      const lines = down.map((peer) => `${describe(peer.address)} ${peer.peerType}: state ${peer.state} since ${peer.since}, ${peer.info || 'no info'}`);
      const mesh = down.some((peer) => peer.peerType.startsWith('node-to-node'));
      ctx.report({
        subjects: [`Node/${entry.node}`, ...peerNodes.filter((name) => name !== entry.node).map((name) => `Node/${name}`)],
        title: `${plural(down.length, 'Calico BGP peer')} of ${entry.node} not Established: ${listSome(down.map((peer) => describe(peer.address)), 3)}`,
        message:
          `calicoctl node status on ${entry.node}: ${lines.join('; ')}. ` +
          `Without an Established session BIRD learns no routes from ${down.length === 1 ? 'that peer' : 'those peers'}, so ${entry.node} has no route to the pod CIDRs behind ${down.length === 1 ? 'it' : 'them'} and cross-node traffic to those pods fails (unless IP-in-IP/VXLAN routes come from elsewhere).`,
        evidence: down.map((peer) => status.file.evidenceAtLine(peer.line, `${peer.address}: ${peer.state}, ${peer.info}`)),
        remediation:
          'make TCP port 179 reachable between the peers (firewalls, security groups), check that each calico-node detects the right IP (IP_AUTODETECTION_METHOD, projectcalico.org/IPv4Address on the Node) and that BGP router IDs differ' +
          (mesh ? '' : ', and check the BGPPeer resource (peerIP, asNumber) matches the remote router'),
        commands: [`calicoctl node status   # on ${entry.node}`, 'calicoctl get bgppeers -o wide', `kubectl -n kube-system logs -l k8s-app=calico-node -c calico-node --tail=200 | grep -i bird`],
        data: { node: entry.node, peers: down.map((peer) => ({ address: peer.address, node: nodeByIp.get(peer.address), peerType: peer.peerType, state: peer.state, since: peer.since, info: peer.info })) },
      });
    }
    setNodeCoverage(ctx, 'calicoctl node status read', checked);
  },
});
