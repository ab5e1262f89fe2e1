import kubeproxyRulesStale from '../../rules/kubeproxy-rules-stale.js';
import { endpointSlice, kubectlList, service } from '../helpers/kube-objects.js';
import { kubeProxyIptablesSave, lineOf } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';

const web = service({ namespace: 'shop', name: 'web', clusterIPs: ['10.96.14.7'], selector: { app: 'web' } });
const api = service({ namespace: 'shop', name: 'api', clusterIPs: ['10.96.20.1'], selector: { app: 'api' } });
const old = service({ namespace: 'shop', name: 'legacy', clusterIPs: ['10.96.30.3'], selector: { app: 'legacy' } });
const slice = (name: string, ...ips: string[]) => endpointSlice({ namespace: 'shop', service: name, endpoints: ips.map((ip) => ({ ip, node: 'node-a' })) });

// Now: web on .5 and .6, api on .9 (both rolled out); legacy deleted.
const now = { services: [api, web], endpointSlices: [slice('api', '10.244.1.9'), slice('web', '10.244.1.5', '10.244.1.6')] };
// Before: web on .5 and .4, api on .8.
const before = { services: [api, web], endpointSlices: [slice('api', '10.244.1.8'), slice('web', '10.244.1.5', '10.244.1.4')] };

const services = kubectlList(now.services);
const slices = kubectlList(now.endpointSlices);
const inSync = (node: string) => kubeProxyIptablesSave({ ...now, node });
const webOnlyStale = kubeProxyIptablesSave({ services: now.services, endpointSlices: [now.endpointSlices[0]!, before.endpointSlices[1]!], node: 'node-b' });
const stuck = kubeProxyIptablesSave({ ...before, node: 'node-b' });
const keepsDeleted = kubeProxyIptablesSave({ services: [...now.services, old], endpointSlices: [...now.endpointSlices, slice('legacy', '10.244.1.30')], node: 'node-a' });

ruleTester(kubeproxyRulesStale, {
  valid: [
    {
      name: 'nodes in sync with the API',
      files: { 'cluster/services.json': services, 'cluster/endpointslices.json': slices, 'nodes/node-a/iptables-save.txt': inSync('node-a'), 'nodes/node-b/iptables-save.txt': inSync('node-b') },
    },
  ],
  invalid: [
    {
      name: 'one Service DNATs to an endpoint that is gone',
      files: { 'cluster/services.json': services, 'cluster/endpointslices.json': slices, 'nodes/node-a/iptables-save.txt': inSync('node-a'), 'nodes/node-b/iptables-save.txt': webOnlyStale },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web'],
          evidence: [{ file: 'nodes/node-b/iptables-save.txt', line: lineOf(webOnlyStale, '--to-destination 10.244.1.4:8080') }],
          severity: 'critical',
          titleMatch: /^node-b's kube-proxy rules for Service shop\/web are stale$/,
          messageMatch: /still DNATed to 10\.244\.1\.4:8080, which is not a usable endpoint of shop\/web:http.* node-a agrees with the API/,
        },
      ],
    },
    {
      name: 'several Services behind on one node while the other is current: kube-proxy looks stuck',
      files: { 'cluster/services.json': services, 'cluster/endpointslices.json': slices, 'nodes/node-a/iptables-save.txt': inSync('node-a'), 'nodes/node-b/iptables-save.txt': stuck },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/api', 'Service/shop/web'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(stuck, '--to-destination 10.244.1.8:8080') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(stuck, '--to-destination 10.244.1.4:8080') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(stuck, '-A KUBE-SERVICES -d 10.96.20.1/32') },
            { file: 'cluster/endpointslices.json', line: lineOf(slices, '"10.244.1.9"') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(stuck, '-A KUBE-SERVICES -d 10.96.14.7/32') },
            { file: 'cluster/endpointslices.json', line: lineOf(slices, '"10.244.1.6"') },
          ],
          titleMatch: /^kube-proxy on node-b looks stuck: 2 Services out of date$/,
        },
      ],
    },
    {
      name: 'rules of a deleted Service',
      files: { 'cluster/services.json': services, 'cluster/endpointslices.json': slices, 'nodes/node-a/iptables-save.txt': keepsDeleted },
      findings: [
        {
          subjects: ['Node/node-a', 'Service/shop/legacy'],
          evidence: [{ file: 'nodes/node-a/iptables-save.txt', line: lineOf(keepsDeleted, '-A KUBE-SERVICES -d 10.96.30.3/32') }],
          titleMatch: /^node-a still has kube-proxy rules for deleted Service shop\/legacy$/,
        },
      ],
    },
  ],
});
