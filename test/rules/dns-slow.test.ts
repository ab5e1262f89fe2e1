import { kubectlTopText } from '../../fixtures/dns-captures.mjs';
import dnsSlow from '../../rules/dns-slow.js';
import { COREDNS_PODS, dnsClusterFiles } from '../dns/dns-cluster.js';
import { corednsScrape, lineMatching } from '../dns/dns-captures.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const [podA, podB] = COREDNS_PODS;
const metricsA = `metrics/kube-system/${podA.name}.prom`;
const healthy = corednsScrape({ noerror: 180_000, nxdomain: 21_000, hitRatio: 0.83 });
/** Latency: a tail out to 2 s (upstream timeouts), most answers still fast. */
const slowShape = [30, 20, 10, 5, 3, 2, 2, 1, 1, 2, 4, 6, 8, 4, 0, 0, 0];
const slow = corednsScrape({ noerror: 52_000, nxdomain: 9_000, servfail: 2_400, hitRatio: 0.21, latencyShape: slowShape, latencySum: 9_800 });

const top = (memoryA: string, memoryB: string) =>
  kubectlTopText([
    { namespace: 'kube-system', name: podA.name, cpu: '41m', memory: memoryA },
    { namespace: 'kube-system', name: podB.name, cpu: '38m', memory: memoryB },
    { namespace: 'shop', name: 'frontend-6c9d8f7b5-k2x9p', cpu: '12m', memory: '88Mi' },
  ]);

const slowFiles = dnsClusterFiles({ files: { [metricsA]: slow } });
const nearOom = dnsClusterFiles({ files: { 'cluster/top-pods.txt': top('162Mi', '61Mi') } });

ruleTester(dnsSlow, {
  valid: [
    { name: 'a healthy scrape and pods far from their limits', files: dnsClusterFiles({ files: { [metricsA]: healthy, 'cluster/top-pods.txt': top('21Mi', '19Mi') } }) },
    { name: 'too little traffic to judge ratios', files: dnsClusterFiles({ files: { [metricsA]: corednsScrape({ noerror: 300, nxdomain: 40, servfail: 60, hitRatio: 0.1 }) } }) },
    { name: 'neither metrics nor kubectl top', files: dnsClusterFiles(), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'low cache hit ratio, SERVFAIL answers and a slow 99th percentile',
      files: slowFiles,
      findings: [
        {
          subjects: ['Deployment/kube-system/coredns'],
          severity: 'warning',
          titleMatch: /^CoreDNS is slow or failing: cache, SERVFAIL, latency$/,
          messageMatch: /cache hit ratio 21% \(.* hits of 63400 lookups\).*3\.8% of 63400 answers are SERVFAIL \(2400\).*coredns-5d78c9869d-8kq2p: request latency p99 1\.\d\d s/,
          evidence: [
            { file: metricsA, line: lineMatching(slow, 'coredns_cache_hits_total{', 'type="success"') },
            { file: metricsA, line: lineMatching(slow, 'coredns_cache_requests_total{') },
            { file: metricsA, line: lineMatching(slow, 'coredns_dns_responses_total{', 'rcode="SERVFAIL"') },
            { file: metricsA, line: lineMatching(slow, 'coredns_dns_request_duration_seconds_bucket{') },
          ],
        },
      ],
    },
    {
      name: 'a CoreDNS pod at 95% of its memory limit',
      files: nearOom,
      findings: [
        {
          subjects: ['Deployment/kube-system/coredns'],
          titleMatch: /^CoreDNS is slow or failing: memory$/,
          messageMatch: /coredns-5d78c9869d-8kq2p uses 162Mi of its 170Mi memory limit \(95%\)/,
          evidence: [
            { file: 'cluster/top-pods.txt', line: 2 },
            { file: 'cluster/pods.json', line: findLine(nearOom['cluster/pods.json']!, `"name": "${podA.name}"`, '"limits"', '"memory": "170Mi"') },
          ],
        },
      ],
    },
  ],
});
