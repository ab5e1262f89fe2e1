import kubeproxyRejectNoEndpoints from '../../rules/kubeproxy-reject-no-endpoints.js';
import { endpointSlice, findLine, kubectlList, service } from '../helpers/kube-objects.js';
import { kubeProxyIptablesSave, lineOf } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';

type Json = Record<string, any>;

const cart = service({ namespace: 'shop', name: 'cart', clusterIPs: ['10.104.122.87'], selector: { app: 'cart' } });
const empty = endpointSlice({ namespace: 'shop', service: 'cart', endpoints: [] });
const ready = endpointSlice({ namespace: 'shop', service: 'cart', endpoints: [{ ip: '10.244.1.17', node: 'node-a' }] });
const services = kubectlList([cart]);
const rejecting = (node: string) => kubeProxyIptablesSave({ services: [cart], endpointSlices: [empty], node });

// internalTrafficPolicy=Local with the only endpoint on node-a: node-b DROPs ClusterIP traffic.
const localCart = service({ namespace: 'shop', name: 'cart', clusterIPs: ['10.104.122.87'], selector: { app: 'cart' } });
(localCart.spec as Json).internalTrafficPolicy = 'Local';
const localServices = kubectlList([localCart]);
const dropping = kubeProxyIptablesSave({ services: [localCart], endpointSlices: [ready], node: 'node-b' });

ruleTester(kubeproxyRejectNoEndpoints, {
  valid: [
    {
      name: 'the Service has endpoints and the nodes DNAT to them',
      files: { 'cluster/services.json': services, 'cluster/endpointslices.json': kubectlList([ready]), 'nodes/node-a/iptables-save.txt': kubeProxyIptablesSave({ services: [cart], endpointSlices: [ready], node: 'node-a' }) },
    },
    {
      name: 'a REJECT the API does not explain is kubeproxy-rules-stale’s, not this rule’s',
      files: { 'cluster/services.json': services, 'cluster/endpointslices.json': kubectlList([ready]), 'nodes/node-a/iptables-save.txt': rejecting('node-a') },
    },
  ],
  invalid: [
    {
      name: 'no endpoints: every node REJECTs, matching the API',
      files: {
        'cluster/services.json': services,
        'cluster/endpointslices.json': kubectlList([empty]),
        'nodes/node-a/iptables-save.txt': rejecting('node-a'),
        'nodes/node-b/iptables-save.txt': rejecting('node-b'),
      },
      findings: [
        {
          subjects: ['Service/shop/cart', 'Node/node-a', 'Node/node-b'],
          evidence: [
            { file: 'nodes/node-a/iptables-save.txt', line: lineOf(rejecting('node-a'), 'shop/cart:http has no endpoints') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(rejecting('node-b'), 'shop/cart:http has no endpoints') },
            { file: 'cluster/services.json', line: findLine(services, '"selector": {') },
          ],
          severity: 'critical',
          titleMatch: /^node-a, node-b refuse traffic to Service shop\/cart: it has no endpoints$/,
          messageMatch: /REJECTed \("has no endpoints": clients get connection refused at once\)/,
        },
      ],
    },
    {
      name: 'internalTrafficPolicy=Local: a node without a local endpoint DROPs ClusterIP traffic',
      files: { 'cluster/services.json': localServices, 'cluster/endpointslices.json': kubectlList([ready]), 'nodes/node-b/iptables-save.txt': dropping },
      findings: [
        {
          subjects: ['Service/shop/cart', 'Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(dropping, 'shop/cart:http has no local endpoints') },
            { file: 'cluster/services.json', line: findLine(localServices, '"selector": {') },
          ],
          messageMatch: /DROPped \("has no local endpoints"/,
        },
      ],
    },
  ],
});
