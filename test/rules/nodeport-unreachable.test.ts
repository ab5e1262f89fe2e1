import nodeportUnreachable from '../../rules/nodeport-unreachable.js';
import { findLine } from '../helpers/kube-objects.js';
import { lineOf, withoutLines } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { clusterFiles, ipAddr, nodeDump } from '../helpers/two-node-cluster.js';

const nodePortLine = findLine(clusterFiles['cluster/services.json'], '"nodePort": 31080');
// A container published with `docker run -p 31080:80` on node-b: Docker's DNAT runs first.
const conflict = nodeDump('node-b', {
  table: 'nat',
  declare: ['DOCKER'],
  rules: ['-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A DOCKER -i docker0 -j RETURN', '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 31080 -j DNAT --to-destination 172.17.0.2:80'],
});
// kube-proxy never wrote the NodePort rule.
const uncaptured = withoutLines(nodeDump('node-b'), '--dport 31080');
const natPrerouting = (() => {
  const lines = uncaptured.split('\n');
  return lines.findIndex((l, i) => i > lines.indexOf('*nat') && l.startsWith(':PREROUTING')) + 1;
})();

ruleTester(nodeportUnreachable, {
  valid: [
    { name: 'the NodePort reaches the endpoints', files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': nodeDump('node-b'), 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] } },
    { name: 'without ip-addr.txt the node address comes from the Node object', files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': nodeDump('node-b') } },
  ],
  invalid: [
    {
      name: 'port conflict: a Docker-published port takes the NodePort first',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': conflict, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(conflict, '--to-destination 172.17.0.2:80') },
            { file: 'cluster/services.json', line: nodePortLine },
          ],
          severity: 'critical',
          titleMatch: /another rule takes the port$/,
          messageMatch: /is DNATed to 172\.17\.0\.2:80 by a rule that runs before kube-proxy's \(DOCKER\)/,
        },
      ],
    },
    {
      name: 'no KUBE-NODEPORTS rule: the packet reaches the host',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': uncaptured, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(uncaptured, '-A KUBE-SERVICES', 'KUBE-NODEPORTS') },
            { file: 'nodes/node-b/iptables-save.txt', line: natPrerouting },
            { file: 'cluster/services.json', line: nodePortLine },
          ],
          messageMatch: /is not DNATed by any rule and is delivered to the node itself/,
        },
      ],
    },
  ],
});
