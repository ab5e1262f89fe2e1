import forwardPolicyDrop from '../../rules/forward-policy-drop.js';
import { lineOf } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { clusterFiles, ipAddr, nodeDump } from '../helpers/two-node-cluster.js';

/** Docker ≥ 1.13 on the node: FORWARD policy DROP, its chains first in FORWARD. */
const docker = (extraAccepts: string[] = []) =>
  nodeDump('node-b', {
    table: 'filter',
    declare: ['DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER'],
    rules: [
      '-A FORWARD -j DOCKER-USER',
      '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
      '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A FORWARD -o docker0 -j DOCKER',
      '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
      '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
      ...extraAccepts,
      '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
      '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
      '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP',
      '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
      '-A DOCKER-USER -j RETURN',
    ],
    policy: { chain: 'FORWARD', policy: 'DROP' },
  });
const dropping = docker();
const forwardPolicyLine = (() => {
  const lines = dropping.split('\n');
  return lines.findIndex((l, i) => i > lines.indexOf('*filter') && l === ':FORWARD DROP [0:0]') + 1;
})();

ruleTester(forwardPolicyDrop, {
  valid: [
    { name: 'FORWARD policy ACCEPT', files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': nodeDump('node-b'), 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] } },
    {
      name: 'FORWARD policy DROP, but the pod CIDR is accepted both ways (as flannel does)',
      files: {
        ...clusterFiles,
        'nodes/node-b/iptables-save.txt': docker(['-A FORWARD -s 10.244.0.0/16 -j ACCEPT', '-A FORWARD -d 10.244.0.0/16 -j ACCEPT']),
        'nodes/node-b/ip-addr.txt': ipAddr['node-b'],
      },
    },
    { name: 'no iptables-save collected', files: clusterFiles, coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'Docker’s FORWARD DROP and nothing accepting pod traffic',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': dropping, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: forwardPolicyLine },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(dropping, '-A FORWARD -j DOCKER-USER') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(dropping, '-A FORWARD -j DOCKER-ISOLATION-STAGE-1') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(dropping, '-A FORWARD', 'KUBE-PROXY-FIREWALL') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(dropping, '-A FORWARD', '-j KUBE-FORWARD') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(dropping, '-A FORWARD', '-j KUBE-SERVICES') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(dropping, '-A FORWARD', '-j KUBE-EXTERNAL-SERVICES') },
          ],
          severity: 'critical',
          titleMatch: /^Forwarded pod traffic dies on node-b: filter FORWARD policy is DROP$/,
          messageMatch: /shop\/web-7d9f8b6c5d-q2w3e → shop\/web-7d9f8b6c5d-4hq8z \(on node-a\); shop\/web-7d9f8b6c5d-4hq8z \(on node-a\) → shop\/web-7d9f8b6c5d-q2w3e run through FORWARD/,
        },
      ],
    },
  ],
});

// ---- a host firewall in nftables (Debian's /etc/nftables.conf shape) with forward policy drop ----

const hostFirewall = (accepts: string[]) => `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
${accepts.map((a) => `\t\t${a}\n`).join('')}	}

	chain output {
		type filter hook output priority filter; policy accept;
	}
}
`;
const nftDropping = hostFirewall(['iifname "docker0" accept']);
const nftFiles = (nft: string) => ({ ...clusterFiles, 'nodes/node-b/iptables-save.txt': nodeDump('node-b'), 'nodes/node-b/nft-ruleset.txt': nft, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] });

ruleTester(forwardPolicyDrop, {
  valid: [{ name: 'nftables forward policy drop, but the pod CIDR is accepted both ways', files: nftFiles(hostFirewall(['ip saddr 10.244.0.0/16 accept', 'ip daddr 10.244.0.0/16 accept'])) }],
  invalid: [
    {
      name: 'an nftables host firewall whose forward chain drops pod traffic (iptables FORWARD accepts)',
      files: nftFiles(nftDropping),
      findings: [
        {
          subjects: ['Node/node-b'],
          evidence: [{ file: 'nodes/node-b/nft-ruleset.txt', line: lineOf(nftDropping, 'hook forward', 'policy drop') }],
          titleMatch: /^Forwarded pod traffic dies on node-b: nftables chain inet filter forward has policy drop$/,
        },
      ],
    },
  ],
});
