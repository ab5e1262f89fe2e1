import ciliumLbMissingBackends from '../../rules/cilium-lb-missing-backends.js';
import { endpointSlice, findLine, kubectlList, service } from '../helpers/kube-objects.js';
import { threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
const web = service({ namespace: 'shop', name: 'web', selector: { app: 'web' }, clusterIPs: ['10.96.40.12'], ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
const slices = kubectlList([
  endpointSlice({
    namespace: 'shop',
    service: 'web',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [
      { ip: '10.244.0.5', pod: 'web-7d9f8b6c5d-4hq8z', node: 'node-a' },
      { ip: '10.244.1.6', pod: 'web-7d9f8b6c5d-q2w3e', node: 'node-b' },
      { ip: '10.244.2.7', pod: 'web-7d9f8b6c5d-x8k2m', node: 'node-c' },
    ],
  }),
]);
const api = { ...cluster, 'cluster/services.json': kubectlList([web]), 'cluster/endpointslices.json': slices };

/** `cilium-dbg bpf lb list` of Cilium 1.16 (kubernetes Service first, then shop/web). */
const HEADER = 'SERVICE ADDRESS         BACKEND ADDRESS (REVNAT_ID) (SLOT)';
const kubernetesEntry = ['10.96.0.1:443           10.0.1.11:6443 (1) (1)', '                        0.0.0.0:0 (1) (0) [ClusterIP, non-routable]'];
const lbList = (webLines: string[]) => [HEADER, ...kubernetesEntry, ...webLines, ''].join('\n');
const synced = lbList([
  '10.96.40.12:80          10.244.0.5:8080 (7) (1)',
  '                        10.244.1.6:8080 (7) (2)',
  '                        10.244.2.7:8080 (7) (3)',
  '                        0.0.0.0:0 (7) (0) [ClusterIP, non-routable]',
]);
const empty = lbList(['10.96.40.12:80          0.0.0.0:0 (7) (0) [ClusterIP, non-routable]']);
const partial = lbList([
  '10.96.40.12:80          10.244.0.5:8080 (7) (1)',
  '                        backend 41 not found',
  '                        0.0.0.0:0 (7) (0) [ClusterIP, non-routable]',
]);
const behind = lbList([
  '10.96.40.12:80          10.244.0.5:8080 (7) (1)',
  '                        10.244.1.6:8080 (7) (2)',
  '                        0.0.0.0:0 (7) (0) [ClusterIP, non-routable]',
]);
/** The pods were replaced (new addresses in the slice) but node-b's map still lists the old ones. */
const replaced = lbList([
  '10.96.40.12:80          10.244.1.2:8080 (7) (1)',
  '                        10.244.2.3:8080 (7) (2)',
  '                        0.0.0.0:0 (7) (0) [ClusterIP, non-routable]',
]);
const endpointLine = (ip: string) => findLine(slices, `"${ip}"`);

ruleTester(ciliumLbMissingBackends, {
  valid: [
    { name: 'every ready endpoint is a backend', files: { ...api, 'nodes/node-a/cilium/bpf-lb.txt': synced } },
    {
      name: 'internalTrafficPolicy Local: node-a holds only its own endpoint',
      files: {
        ...api,
        'cluster/services.json': kubectlList([{ ...web, spec: { ...(web.spec as object), internalTrafficPolicy: 'Local' } }]),
        'nodes/node-a/cilium/bpf-lb.txt': lbList(['10.96.40.12:80          10.244.0.5:8080 (7) (1)', '                        0.0.0.0:0 (7) (0) [ClusterIP, InternalLocal, non-routable]']),
      },
    },
    { name: 'bpf lb list not collected', files: api, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'the frontend holds only its service entry',
      files: { ...api, 'nodes/node-b/cilium/bpf-lb.txt': empty },
      findings: [
        {
          subjects: ['Service/shop/web', 'Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/cilium/bpf-lb.txt', line: 4 },
            { file: 'cluster/endpointslices.json', line: endpointLine('10.244.0.5') },
          ],
          severity: 'critical',
          titleMatch: /^Service shop\/web has no backends in Cilium's BPF LB map on node-b$/,
          messageMatch: /the BPF LB entry of 10\.96\.40\.12:80 on node-b has no backends \(only the service entry 0\.0\.0\.0:0\), while the API lists 3 ready endpoints \(10\.244\.0\.5, 10\.244\.1\.6, 10\.244\.2\.7\)/,
        },
      ],
    },
    {
      name: 'a slot names a backend missing from the backend map',
      files: { ...api, 'nodes/node-c/cilium/bpf-lb.txt': partial },
      findings: [
        {
          subjects: ['Service/shop/web', 'Node/node-c'],
          evidence: [
            { file: 'nodes/node-c/cilium/bpf-lb.txt', line: 4 },
            { file: 'nodes/node-c/cilium/bpf-lb.txt', line: 5 },
            { file: 'cluster/endpointslices.json', line: endpointLine('10.244.1.6') },
          ],
          severity: 'critical',
          messageMatch: /lists 1 backend \(10\.244\.0\.5:8080\) but not 10\.244\.1\.6, 10\.244\.2\.7; 1 slot of 10\.96\.40\.12:80 names a backend id the backend map does not hold \(backend 41 not found\)/,
        },
      ],
    },
    {
      name: 'only backends the API no longer lists: as bad as none',
      files: { ...api, 'nodes/node-b/cilium/bpf-lb.txt': replaced },
      findings: [
        {
          subjects: ['Service/shop/web', 'Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/cilium/bpf-lb.txt', line: 4 },
            { file: 'nodes/node-b/cilium/bpf-lb.txt', line: 4 },
            { file: 'nodes/node-b/cilium/bpf-lb.txt', line: 5 },
            { file: 'cluster/endpointslices.json', line: endpointLine('10.244.0.5') },
          ],
          severity: 'critical',
          titleMatch: /^Cilium's BPF LB map on node-b sends Service shop\/web only to pods that are gone$/,
          messageMatch: /lists 2 backends \(10\.244\.1\.2:8080, 10\.244\.2\.3:8080\) but not 10\.244\.0\.5, 10\.244\.1\.6, 10\.244\.2\.7; none of the backends it lists is an endpoint of the Service any more/,
        },
      ],
    },
    {
      name: 'one ready endpoint missing: a warning',
      files: { ...api, 'nodes/node-a/cilium/bpf-lb.txt': behind },
      findings: [
        {
          subjects: ['Service/shop/web', 'Node/node-a'],
          evidence: [
            { file: 'nodes/node-a/cilium/bpf-lb.txt', line: 4 },
            { file: 'cluster/endpointslices.json', line: endpointLine('10.244.2.7') },
          ],
          severity: 'warning',
          titleMatch: /^Cilium's BPF LB map on node-a lacks backends of Service shop\/web$/,
          messageMatch: /lists 2 backends \(10\.244\.0\.5:8080, 10\.244\.1\.6:8080\) but not 10\.244\.2\.7/,
        },
      ],
    },
  ],
});
