import etpLocalNoEndpoints from '../../rules/etp-local-no-endpoints.js';
import { endpointSlice, findLine, kubectlList, node, service } from '../helpers/kube-objects.js';
import { kubeProxyIptablesSave, lineOf } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';

type Json = Record<string, any>;

function ingress(policy: 'Local' | 'Cluster'): Json {
  const object = service({
    namespace: 'ingress-nginx',
    name: 'ingress-nginx-controller',
    type: 'NodePort',
    clusterIPs: ['10.103.44.201'],
    selector: { 'app.kubernetes.io/name': 'ingress-nginx' },
    ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 31437 }],
  });
  (object.spec as Json).externalTrafficPolicy = policy;
  return object;
}
function slice(nodes: (string | undefined)[]): Json {
  const object = endpointSlice({ namespace: 'ingress-nginx', service: 'ingress-nginx-controller', ports: [{ name: 'http', port: 80 }], endpoints: nodes.map((n, i) => ({ ip: `10.244.2.${3 + i}`, node: n ?? '' })) });
  // An endpoint written by hand, without nodeName.
  for (const e of (object.endpoints as Json[] | null) ?? []) if (e.nodeName === '') delete e.nodeName;
  return object;
}
const nodes = kubectlList([node({ name: 'node-a', ip: '10.0.1.11' }), node({ name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.1.0/24' }), node({ name: 'node-c', ip: '10.0.1.13', podCIDR: '10.244.2.0/24' })]);
const local = kubectlList([ingress('Local')]);
/** The same Service as a cloud LoadBalancer: the LB health-checks healthCheckNodePort. */
function cloudLoadBalancer(): Json {
  const object = ingress('Local');
  Object.assign(object.spec as Json, { type: 'LoadBalancer', healthCheckNodePort: 32170 });
  object.status = { loadBalancer: { ingress: [{ ip: '203.0.113.7', ipMode: 'VIP' }] } };
  return object;
}
const cloudLb = kubectlList([cloudLoadBalancer()]);
const onNodeC = kubectlList([slice(['node-c'])]);
const nodeADump = kubeProxyIptablesSave({ services: [ingress('Local')], endpointSlices: [slice(['node-c'])], node: 'node-a' });
const etpLine = findLine(local, '"externalTrafficPolicy"');

ruleTester(etpLocalNoEndpoints, {
  valid: [
    { name: 'externalTrafficPolicy Cluster', files: { 'cluster/services.json': kubectlList([ingress('Cluster')]), 'cluster/endpointslices.json': onNodeC, 'cluster/nodes.json': nodes } },
    { name: 'a local endpoint on every node', files: { 'cluster/services.json': local, 'cluster/endpointslices.json': kubectlList([slice(['node-a', 'node-b', 'node-c'])]), 'cluster/nodes.json': nodes } },
    { name: 'no endpoint at all is svc-no-endpoints’ business', files: { 'cluster/services.json': local, 'cluster/endpointslices.json': kubectlList([slice([])]), 'cluster/nodes.json': nodes } },
  ],
  invalid: [
    {
      name: 'the only endpoint runs on node-c: node-a and node-b drop NodePort traffic',
      files: { 'cluster/services.json': local, 'cluster/endpointslices.json': onNodeC, 'cluster/nodes.json': nodes },
      findings: [
        {
          subjects: ['Service/ingress-nginx/ingress-nginx-controller', 'Node/node-a', 'Node/node-b'],
          evidence: [
            { file: 'cluster/services.json', line: etpLine },
            { file: 'cluster/endpointslices.json', line: findLine(onNodeC, '"10.244.2.3"') },
          ],
          severity: 'warning',
          messageMatch: /NodePort 31437\/tcp goes only to endpoints on the receiving node; node-a, node-b have none \(endpoints run on node-c\)/,
        },
      ],
    },
    {
      name: 'a health-checking LoadBalancer steers around nodes without endpoints: info, not a warning',
      files: { 'cluster/services.json': cloudLb, 'cluster/endpointslices.json': onNodeC, 'cluster/nodes.json': nodes },
      findings: [
        {
          subjects: ['Service/ingress-nginx/ingress-nginx-controller', 'Node/node-a', 'Node/node-b'],
          evidence: [
            { file: 'cluster/services.json', line: findLine(cloudLb, '"externalTrafficPolicy"') },
            { file: 'cluster/endpointslices.json', line: findLine(onNodeC, '"10.244.2.3"') },
          ],
          severity: 'info',
          messageMatch: /health-checks port 32170 skips those nodes/,
        },
      ],
    },
    {
      name: 'with node-a’s data plane: its "has no local endpoints" DROP is cited',
      files: { 'cluster/services.json': local, 'cluster/endpointslices.json': onNodeC, 'cluster/nodes.json': nodes, 'nodes/node-a/iptables-save.txt': nodeADump },
      findings: [
        {
          subjects: ['Service/ingress-nginx/ingress-nginx-controller', 'Node/node-a', 'Node/node-b'],
          evidence: [
            { file: 'cluster/services.json', line: etpLine },
            { file: 'nodes/node-a/iptables-save.txt', line: lineOf(nodeADump, 'has no local endpoints', '--dport 31437') },
            { file: 'cluster/endpointslices.json', line: findLine(onNodeC, '"10.244.2.3"') },
          ],
        },
      ],
    },
    {
      name: 'endpoints without a nodeName are local nowhere: every node drops',
      files: { 'cluster/services.json': local, 'cluster/endpointslices.json': kubectlList([slice([undefined])]), 'cluster/nodes.json': nodes },
      findings: [
        {
          subjects: ['Service/ingress-nginx/ingress-nginx-controller', 'Node/node-a', 'Node/node-b', 'Node/node-c'],
          evidence: [
            { file: 'cluster/services.json', line: etpLine },
            { file: 'cluster/endpointslices.json', line: findLine(kubectlList([slice([undefined])]), '"10.244.2.3"') },
          ],
          severity: 'critical',
          titleMatch: /but no node has a local endpoint$/,
        },
      ],
    },
  ],
});
