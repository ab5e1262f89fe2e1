import interfaceErrors from '../../rules/interface-errors.js';
import { lineOf } from '../helpers/node-dumps.js';
import { caliVeth, eth0, ipAddr, ipLink, lo, threeNodeCluster } from '../helpers/node-network.js';
import { ruleTester } from '../helpers/rule-tester.js';

const cluster = threeNodeCluster();
const clean = ipLink([lo, eth0('10.0.1.12', { rx: { bytes: 27_222_896_832, packets: 39_568_164, errors: 3, mcast: 4043 } }), caliVeth(5, 'cali2f58e6b8347')]);
const crc = ipLink([lo, eth0('10.0.1.12', { rx: { bytes: 27_222_896_832, packets: 39_568_164, errors: 185_970, dropped: 23_741, mcast: 4043 } })]);
const slowPod = ipLink([lo, eth0('10.0.1.12'), { ...caliVeth(5, 'cali2f58e6b8347'), rx: { bytes: 523_921_902, packets: 853_293 }, tx: { bytes: 446_082_390, packets: 762_534, dropped: 48_210 } }]);
/** The numbers line after the n-th `RX:` / `TX:` header of an interface. */
const countersLine = (text: string, header: string, direction: 'RX:' | 'TX:') => {
  const lines = text.split('\n');
  const start = lineOf(text, header);
  return lines.findIndex((l, i) => i >= start && l.trim().startsWith(direction)) + 2;
};

ruleTester(interfaceErrors, {
  valid: [
    { name: 'a few errors in forty million packets', files: { ...cluster, 'nodes/node-b/ip-link.txt': clean } },
    { name: 'only ip-addr.txt (no counters) collected', files: { ...cluster, 'nodes/node-b/ip-addr.txt': ipAddr([lo, eth0('10.0.1.12')]) }, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'CRC errors on eth0: 0.47% of received packets',
      files: { ...cluster, 'nodes/node-b/ip-link.txt': crc },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [{ file: 'nodes/node-b/ip-link.txt', line: countersLine(crc, '2: eth0:', 'RX:') }],
          severity: 'warning',
          titleMatch: /^Errors or drops on eth0 of node-b$/,
          messageMatch: /eth0: RX errors 185970 of 39568164 packets \(0\.470%\)\. .*a bad cable or port/,
        },
      ],
    },
    {
      name: "a pod's veth drops 6% of what it should deliver to the pod",
      files: { ...cluster, 'nodes/node-b/ip-link.txt': slowPod },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [{ file: 'nodes/node-b/ip-link.txt', line: countersLine(slowPod, 'cali2f58e6b8347@if3', 'TX:') }],
          severity: 'critical',
          titleMatch: /^Drops on cali2f58e6b8347 of node-b$/,
          messageMatch: /TX dropped 48210 of 762534 packets \(6\.3%\).*cali2f58e6b8347 is a pod veth: drops there usually mean the pod does not read its traffic fast enough/,
        },
      ],
    },
  ],
});
