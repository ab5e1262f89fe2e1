import { conntrackStatsText } from '../../fixtures/dns-captures.mjs';
import dnsConntrackRace from '../../rules/dns-conntrack-race.js';
import { dnsClusterFiles, FRONTEND } from '../dns/dns-cluster.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cpu = (insertFailed: number, clash: number, found = 48_213) => ({ found, invalid: 1_204, insert: 0, insert_failed: insertFailed, drop: insertFailed, early_drop: 0, error: 0, search_restart: 3_811, clash_resolve: clash });
const racing = conntrackStatsText([cpu(0, 131), cpu(41, 212), cpu(0, 98), cpu(17, 187)]);
const clean = conntrackStatsText([cpu(0, 0), cpu(0, 0)]);
const clashesOnly = conntrackStatsText([cpu(0, 73), cpu(0, 0)]);

const files = dnsClusterFiles({ files: { 'nodes/node-b/conntrack-stats.txt': racing, 'nodes/node-a/conntrack-stats.txt': clean } });
const dnsPolicyLine = (f: Record<string, string>) => findLine(f['cluster/pods.json']!, `"name": "${FRONTEND}"`, '"dnsPolicy"');
const clashFiles = dnsClusterFiles({ files: { 'nodes/node-b/conntrack-stats.txt': clashesOnly } });

ruleTester(dnsConntrackRace, {
  valid: [
    { name: 'no failed inserts and no clashes', files: dnsClusterFiles({ files: { 'nodes/node-b/conntrack-stats.txt': clean } }) },
    { name: 'failed inserts on a node without DNS clients', files: dnsClusterFiles({ files: { 'nodes/node-c/conntrack-stats.txt': racing } }) },
    { name: 'conntrack -S not collected', files: dnsClusterFiles(), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'insert_failed on node-b, where glibc pods resolve through kube-dns with 2 endpoints',
      files,
      findings: [
        {
          subjects: ['Node/node-b'],
          severity: 'warning',
          titleMatch: /^DNS queries lost to the conntrack race on node-b \(insert_failed=58\): 5-second lookups$/,
          messageMatch: /insert_failed=58 \(drop=58: every failed insert dropped a packet\) over 4 CPUs, clash_resolve=628 .*3 pods there .*\(2 glibc, 1 musl.*kube-dns has 2 ready endpoints/,
          evidence: [
            { file: 'nodes/node-b/conntrack-stats.txt', line: 2 },
            { file: 'nodes/node-b/conntrack-stats.txt', line: 4 },
            { file: 'nodes/node-b/conntrack-stats.txt', line: 1 },
            { file: 'cluster/pods.json', line: dnsPolicyLine(files) },
          ],
        },
      ],
    },
    {
      name: 'clashes the kernel resolved, no drops yet: information',
      files: clashFiles,
      findings: [
        {
          subjects: ['Node/node-b'],
          severity: 'info',
          evidence: [
            { file: 'nodes/node-b/conntrack-stats.txt', line: 1 },
            { file: 'cluster/pods.json', line: dnsPolicyLine(clashFiles) },
          ],
        },
      ],
    },
  ],
});
