import { describe, expect, it } from 'vitest';
import dnsNdotsAmplification from '../../rules/dns-ndots-amplification.js';
import { COREDNS_PODS, dnsClusterFiles, FRONTEND, UPLINK_RESOLV_CONF } from '../dns/dns-cluster.js';
import { corednsScrape, lineMatching, searchQueryLog } from '../dns/dns-captures.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

const [podA, podB] = COREDNS_PODS;
const metricsPath = `metrics/kube-system/${podA.name}.prom`;
const upstreams = { [`pods/kube-system/${podA.name}/resolv.conf`]: UPLINK_RESOLV_CONF, [`pods/kube-system/${podB.name}/resolv.conf`]: UPLINK_RESOLV_CONF };
const heavy = corednsScrape({ noerror: 41_200, nxdomain: 118_900, hitRatio: 0.72 });
const light = corednsScrape({ noerror: 96_000, nxdomain: 9_100, hitRatio: 0.81 });
const withEnv = (p: any) => void (p.spec.containers[0].env = [{ name: 'STRIPE_API', value: 'https://api.stripe.com/v1' }]);

const metricsHeavy = dnsClusterFiles({ frontend: withEnv, files: { ...upstreams, [metricsPath]: heavy } });
const logPath = `logs/kube-system/${podB.name}/coredns.log`;
const log = searchQueryLog('catalog-db.acme-shop.internal', '10.244.1.14', ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], 2);
const logsHeavy = dnsClusterFiles({ files: { ...upstreams, [logPath]: log } });

ruleTester(dnsNdotsAmplification, {
  valid: [
    { name: 'no metrics or query log: nothing says outside names are frequent', files: dnsClusterFiles({ frontend: withEnv }) },
    { name: 'NXDOMAIN is a small share of the answers', files: dnsClusterFiles({ frontend: withEnv, files: { [metricsPath]: light } }) },
  ],
  invalid: [
    {
      name: 'NXDOMAIN outnumbers NOERROR; the pods call api.stripe.com',
      files: metricsHeavy,
      findings: [
        {
          subjects: [`Pod/shop/${FRONTEND}`],
          severity: 'warning',
          titleMatch: /^Each lookup of api\.stripe\.com costs 8 DNS queries \(ndots:5, 3 search domains\)$/,
          messageMatch: /api\.stripe\.com \(named in the environment of 1 pod container\) has 2 dots, fewer than ndots:5.*8 queries, 6 of them for names that do not exist \(api\.stripe\.com\.shop\.svc\.cluster\.local\. → api\.stripe\.com\.svc\.cluster\.local\. → api\.stripe\.com\.cluster\.local\. → api\.stripe\.com\.\); written as api\.stripe\.com\. it costs 2; CoreDNS answered NXDOMAIN 118900 times and NOERROR 41200 times \(74% NXDOMAIN/,
          evidence: [
            { file: 'cluster/pods.json', line: findLine(metricsHeavy['cluster/pods.json']!, `"name": "${FRONTEND}"`, '"value": "https://api.stripe.com/v1"') },
            { file: metricsPath, line: lineMatching(heavy, 'coredns_dns_responses_total{', 'rcode="NXDOMAIN"') },
            { file: 'cluster/pods.json', line: findLine(metricsHeavy['cluster/pods.json']!, `"name": "${FRONTEND}"`, '"dnsPolicy"') },
          ],
        },
      ],
    },
    {
      name: "CoreDNS's query log shows the search candidates of catalog-db.acme-shop.internal",
      files: logsHeavy,
      findings: [
        {
          subjects: [`Pod/shop/${FRONTEND}`],
          titleMatch: /^Each lookup of catalog-db\.acme-shop\.internal costs 8 DNS queries/,
          messageMatch: /\(12 NXDOMAIN answers to its search-domain candidates in the CoreDNS query log\)/,
          evidence: [
            { file: logPath, line: 1 },
            { file: 'cluster/pods.json', line: findLine(logsHeavy['cluster/pods.json']!, `"name": "${FRONTEND}"`, '"dnsPolicy"') },
          ],
        },
      ],
    },
  ],
});

describe('dns-ndots-amplification data', () => {
  it('carries the simulated query sequence and its cost for scripts', () => {
    const [finding] = runOnFiles([dnsNdotsAmplification], metricsHeavy).findings;
    expect(finding!.data).toMatchObject({
      example: 'api.stripe.com',
      cost: 8,
      fqdnCost: 2,
      queries: [
        'api.stripe.com.shop.svc.cluster.local. A NXDOMAIN',
        'api.stripe.com.shop.svc.cluster.local. AAAA NXDOMAIN',
        'api.stripe.com.svc.cluster.local. A NXDOMAIN',
        'api.stripe.com.svc.cluster.local. AAAA NXDOMAIN',
        'api.stripe.com.cluster.local. A NXDOMAIN',
        'api.stripe.com.cluster.local. AAAA NXDOMAIN',
        'api.stripe.com. A NOERROR',
        'api.stripe.com. AAAA NOERROR',
      ],
    });
  });
});
