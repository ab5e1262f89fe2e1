import resolvconfNameserverMismatch from '../../rules/resolvconf-nameserver-mismatch.js';
import { COREDNS_PODS, dnsClusterFiles, FRONTEND, SYSTEMD_STUB_RESOLV_CONF, UPLINK_RESOLV_CONF, type DnsClusterOptions } from '../dns/dns-cluster.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const frontendRef = `Pod/shop/${FRONTEND}`;
const dnsPolicyLine = (files: Record<string, string>) => findLine(files['cluster/pods.json']!, `"name": "${FRONTEND}"`, '"dnsPolicy"');
const dnsConfigNameserverLine = (files: Record<string, string>) => findLine(files['cluster/pods.json']!, `"name": "${FRONTEND}"`, '"nameservers"', '"8.8.8.8"');

const googleDns = (searches: string[], env?: { name: string; value: string }[]): DnsClusterOptions => ({
  frontend: (p) => {
    p.spec.dnsPolicy = 'None';
    p.spec.dnsConfig = { nameservers: ['8.8.8.8'], searches, options: [{ name: 'ndots', value: '2' }] };
    if (env) p.spec.containers[0].env = env;
  },
});
const withClusterSearch = dnsClusterFiles(googleDns(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']));
const withServiceEnv = dnsClusterFiles(googleDns([], [{ name: 'CART_URL', value: 'http://cart.shop.svc.cluster.local' }]));
const standalone = dnsClusterFiles(googleDns([]));
const wrongClusterDns = dnsClusterFiles({ files: { [`pods/shop/${FRONTEND}/resolv.conf`]: 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.100\noptions ndots:5\n' } });
const stubCopied = dnsClusterFiles({
  frontend: (p) => void (p.spec.dnsPolicy = 'Default'),
  files: { 'nodes/node-b/resolv.conf': SYSTEMD_STUB_RESOLV_CONF, [`pods/shop/${FRONTEND}/resolv.conf`]: 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n' },
});

ruleTester(resolvconfNameserverMismatch, {
  valid: [
    { name: 'ClusterFirst pods, resolv.conf as kubelet writes it', files: dnsClusterFiles() },
    { name: 'a captured ClusterFirst resolv.conf naming kube-dns', files: dnsClusterFiles({ files: { [`pods/shop/${FRONTEND}/resolv.conf`]: 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n' } }) },
    {
      name: 'CoreDNS itself uses the node upstreams (dnsPolicy Default)',
      files: dnsClusterFiles({ files: { [`pods/kube-system/${COREDNS_PODS[0].name}/resolv.conf`]: UPLINK_RESOLV_CONF } }),
    },
    {
      name: 'a dnsPolicy Default pod with the real upstreams',
      files: dnsClusterFiles({ frontend: (p) => void (p.spec.dnsPolicy = 'Default'), files: { [`pods/shop/${FRONTEND}/resolv.conf`]: UPLINK_RESOLV_CONF } }),
    },
  ],
  invalid: [
    {
      name: 'dnsPolicy None with 8.8.8.8 and the cluster search domains: Service names cannot resolve',
      files: withClusterSearch,
      findings: [
        {
          subjects: [frontendRef],
          severity: 'warning',
          titleMatch: /^Pod shop\/frontend-6c9d8f7b5-k2x9p asks 8\.8\.8\.8 instead of the cluster DNS$/,
          messageMatch: /dnsPolicy None; nameservers 8\.8\.8\.8; the cluster DNS is 10\.96\.0\.10; its search list has shop\.svc\.cluster\.local/,
          evidence: [
            { file: 'cluster/pods.json', line: dnsConfigNameserverLine(withClusterSearch) },
            { file: 'cluster/pods.json', line: dnsPolicyLine(withClusterSearch) },
          ],
        },
      ],
    },
    {
      name: 'dnsPolicy None with 8.8.8.8 while the environment names a Service',
      files: withServiceEnv,
      findings: [
        {
          subjects: [frontendRef],
          severity: 'warning',
          messageMatch: /its environment names a cluster Service \(CART_URL=http:\/\/cart\.shop\.svc\.cluster\.local\)/,
          evidence: [
            { file: 'cluster/pods.json', line: dnsConfigNameserverLine(withServiceEnv) },
            { file: 'cluster/pods.json', line: dnsPolicyLine(withServiceEnv) },
          ],
        },
      ],
    },
    {
      name: 'dnsPolicy None with 8.8.8.8 and no sign of cluster names: information only',
      files: standalone,
      findings: [
        {
          subjects: [frontendRef],
          severity: 'info',
          evidence: [
            { file: 'cluster/pods.json', line: dnsConfigNameserverLine(standalone) },
            { file: 'cluster/pods.json', line: dnsPolicyLine(standalone) },
          ],
        },
      ],
    },
    {
      name: 'a ClusterFirst pod whose resolv.conf names another server than kube-dns',
      files: wrongClusterDns,
      findings: [
        {
          subjects: [frontendRef],
          severity: 'warning',
          messageMatch: /10\.96\.0\.100 means kubelet on node-b has another clusterDNS/,
          evidence: [
            { file: `pods/shop/${FRONTEND}/resolv.conf`, line: 2 },
            { file: 'cluster/pods.json', line: dnsPolicyLine(wrongClusterDns) },
          ],
        },
      ],
    },
    {
      name: "a dnsPolicy Default pod that copied the node's 127.0.0.53 stub into its own network namespace",
      files: stubCopied,
      findings: [
        {
          subjects: [frontendRef],
          severity: 'warning',
          messageMatch: /127\.0\.0\.53 is the node's local resolver \(systemd-resolved's stub\).*nothing listens/,
          evidence: [
            { file: `pods/shop/${FRONTEND}/resolv.conf`, line: 1 },
            { file: 'cluster/pods.json', line: dnsPolicyLine(stubCopied) },
          ],
        },
      ],
    },
  ],
});
