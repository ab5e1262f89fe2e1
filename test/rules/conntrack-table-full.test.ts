import conntrackTableFull from '../../rules/conntrack-table-full.js';
import { sysctl, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
/** `conntrack -S` of conntrack-tools 1.4.6 on kernel 5.15, four CPUs. */
const stats = (perCpu: (cpu: number) => string) =>
  [0, 1, 2, 3].map((cpu) => `cpu=${String(cpu).padEnd(4)}\tfound=${4100 + cpu * 37} invalid=${812 + cpu * 11} insert=0 ${perCpu(cpu)} error=0 search_restart=${2900 + cpu * 5} clash_resolve=0 `).join('\n') + '\n';
const quiet = stats(() => 'insert_failed=0 drop=0 early_drop=0');
const race = stats((cpu) => `insert_failed=${cpu + 3} drop=${cpu + 3} early_drop=0`);
const evicting = stats((cpu) => (cpu === 2 ? 'insert_failed=0 drop=0 early_drop=1290' : 'insert_failed=0 drop=0 early_drop=0'));
const full = stats((cpu) => `insert_failed=1 drop=${411 + cpu} early_drop=${2183 + cpu}`);

ruleTester(conntrackTableFull, {
  valid: [
    { name: '1% used, no drops', files: { ...cluster, 'nodes/node-c/sysctl.txt': sysctl(), 'nodes/node-c/conntrack-stats.txt': quiet } },
    { name: 'drops that are all insert_failed: the DNS race, not a full table', files: { ...cluster, 'nodes/node-c/sysctl.txt': sysctl(), 'nodes/node-c/conntrack-stats.txt': race } },
    { name: 'no conntrack input collected', files: cluster, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'count equals max, with early drops and drops',
      files: { ...cluster, 'nodes/node-c/sysctl.txt': sysctl({ 'net.netfilter.nf_conntrack_count': '262144' }), 'nodes/node-c/conntrack-stats.txt': full },
      findings: [
        {
          subjects: ['Node/node-c'],
          evidence: [
            { file: 'nodes/node-c/sysctl.txt', line: 6 },
            { file: 'nodes/node-c/sysctl.txt', line: 7 },
            { file: 'nodes/node-c/conntrack-stats.txt', line: 1 },
            { file: 'nodes/node-c/conntrack-stats.txt', line: 2 },
            { file: 'nodes/node-c/conntrack-stats.txt', line: 3 },
          ],
          severity: 'critical',
          titleMatch: /^conntrack table full on node-c$/,
          messageMatch: /262144 connections tracked of nf_conntrack_max 262144 \(100%\).*early_drop=8738 .*1646 packets dropped for want of an entry \(drop=1650, of which insert_failed=4 belong to the insert race\)/,
        },
      ],
    },
    {
      name: '92% used (conntrack -C), nothing dropped yet',
      files: { ...cluster, 'nodes/node-b/sysctl.txt': sysctl({ 'net.netfilter.nf_conntrack_count': 'x' }), 'nodes/node-b/conntrack-count.txt': '241172\n' },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/conntrack-count.txt', line: 1 },
            { file: 'nodes/node-b/sysctl.txt', line: 7 },
          ],
          severity: 'warning',
          titleMatch: /^conntrack table nearly full on node-b$/,
          messageMatch: /241172 connections tracked of nf_conntrack_max 262144 \(92%\)/,
        },
      ],
    },
    {
      name: 'early drops since boot, little used now',
      files: { ...cluster, 'nodes/node-a/sysctl.txt': sysctl(), 'nodes/node-a/conntrack-stats.txt': evicting },
      findings: [
        {
          subjects: ['Node/node-a'],
          evidence: [
            { file: 'nodes/node-a/conntrack-stats.txt', line: 3 },
            { file: 'nodes/node-a/sysctl.txt', line: 6 },
            { file: 'nodes/node-a/sysctl.txt', line: 7 },
          ],
          severity: 'warning',
          titleMatch: /^conntrack table overflowed on node-a$/,
          messageMatch: /early_drop=1290 .*now 3187 of 262144 \(1%\): the table filled up at some point since boot/,
        },
      ],
    },
  ],
});
