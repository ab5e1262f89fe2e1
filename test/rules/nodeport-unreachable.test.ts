import { nftEndpointNames, nftServiceChains } from '../../analyzer/netfilter/kube-proxy-names.js';
import nodeportUnreachable from '../../rules/nodeport-unreachable.js';
import { findLine, kubectlList, pod } from '../helpers/kube-objects.js';
import { lineOf, withoutLines } from '../helpers/node-dumps.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { clusterFiles, ipAddr, nodeDump } from '../helpers/two-node-cluster.js';

const nodePortLine = findLine(clusterFiles['cluster/services.json'], '"nodePort": 31080');
// A container published with `docker run -p 31080:80` on node-b: Docker's DNAT runs first.
const conflict = nodeDump('node-b', {
  table: 'nat',
  declare: ['DOCKER'],
  rules: ['-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A DOCKER -i docker0 -j RETURN', '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 31080 -j DNAT --to-destination 172.17.0.2:80'],
});
// kube-proxy never wrote the NodePort rule.
const uncaptured = withoutLines(nodeDump('node-b'), '--dport 31080');
const natPrerouting = (() => {
  const lines = uncaptured.split('\n');
  return lines.findIndex((l, i) => i > lines.indexOf('*nat') && l.startsWith(':PREROUTING')) + 1;
})();

ruleTester(nodeportUnreachable, {
  valid: [
    { name: 'the NodePort reaches the endpoints', files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': nodeDump('node-b'), 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] } },
    { name: 'without ip-addr.txt the node address comes from the Node object', files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': nodeDump('node-b') } },
  ],
  invalid: [
    {
      name: 'port conflict: a Docker-published port takes the NodePort first',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': conflict, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(conflict, '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(conflict, '--to-destination 172.17.0.2:80') },
            { file: 'cluster/services.json', line: nodePortLine },
          ],
          severity: 'critical',
          titleMatch: /another rule takes the port$/,
          messageMatch: /is DNATed to 172\.17\.0\.2:80 by a rule that runs before kube-proxy's \(DOCKER\)/,
        },
      ],
    },
    {
      name: 'no KUBE-NODEPORTS rule: the packet reaches the host',
      files: { ...clusterFiles, 'nodes/node-b/iptables-save.txt': uncaptured, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(uncaptured, '-A KUBE-SERVICES', 'KUBE-NODEPORTS') },
            { file: 'nodes/node-b/iptables-save.txt', line: natPrerouting },
            { file: 'cluster/services.json', line: nodePortLine },
          ],
          messageMatch: /is not DNATed by any rule and is delivered to the node itself/,
        },
      ],
    },
  ],
});

// ---- a hostPort in the NodePort range: the CNI portmap plugin's DNAT runs first ----

const relayPod = pod({
  namespace: 'shop',
  name: 'legacy-relay-6c5b7d8f9-zt4kq',
  labels: { app: 'legacy-relay' },
  ip: '10.244.1.9',
  node: 'node-b',
  hostIP: '10.0.1.12',
  containers: [{ name: 'relay', ports: [{ containerPort: 80, name: 'http' }] }],
});
// The pod helper writes no hostPort: add it where the API server keeps it.
(relayPod.spec as { containers: { ports: Record<string, unknown>[] }[] }).containers[0]!.ports[0]!.hostPort = 31080;
const hostPortPods = kubectlList([...JSON.parse(clusterFiles['cluster/pods.json']).items, relayPod]);
const portmap = (() => {
  const dump = nodeDump('node-b', {
    table: 'nat',
    declare: ['CNI-DN-3f9a0c1b2d4e5f6a7b8c9', 'CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK'],
    rules: [
      '-A CNI-DN-3f9a0c1b2d4e5f6a7b8c9 -s 10.244.1.9/32 -p tcp -m tcp --dport 31080 -j CNI-HOSTPORT-SETMARK',
      '-A CNI-DN-3f9a0c1b2d4e5f6a7b8c9 -s 127.0.0.1/32 -p tcp -m tcp --dport 31080 -j CNI-HOSTPORT-SETMARK',
      '-A CNI-DN-3f9a0c1b2d4e5f6a7b8c9 -p tcp -m tcp --dport 31080 -j DNAT --to-destination 10.244.1.9:80',
      '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cbr0\\" id: \\"5d0f1c2b3a4e\\"" -m multiport --dports 31080 -j CNI-DN-3f9a0c1b2d4e5f6a7b8c9',
      '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
    ],
  });
  // portmap prepends its PREROUTING jump, ahead of kube-proxy's KUBE-SERVICES.
  const lines = dump.split('\n');
  const first = lines.findIndex((l, i) => i > lines.indexOf('*nat') && l.startsWith('-A PREROUTING'));
  lines.splice(first, 0, '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT');
  return lines.join('\n');
})();

// ---- nftables mode: kube-proxy's table ip kube-proxy, as `nft list ruleset` prints it ----

const webChains = nftServiceChains('shop', 'web', 'tcp', 'http');
const endpointA = nftEndpointNames('shop', 'web', 'tcp', 'http', '10.244.0.5', 8080).endpoint;
const endpointB = nftEndpointNames('shop', 'web', 'tcp', 'http', '10.244.1.6', 8080).endpoint;
const nftRuleset = (nodePorts: string) => `table ip kube-proxy {
	comment "rules for kube-proxy"
	set nodeport-ips {
		type ipv4_addr
		comment "IPs that accept NodePort traffic"
		elements = { 10.0.1.12 }
	}

	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
		elements = { 10.96.14.7 . tcp . 80 : goto ${webChains.service} }
	}

	map service-nodeports {
		type inet_proto . inet_service : verdict
		comment "NodePort traffic"${nodePorts}
	}

	chain mark-for-masquerade {
		meta mark set meta mark | 0x00004000
	}

	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}

	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
		ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
	}

	chain ${webChains.service} {
		ip daddr 10.96.14.7 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
		numgen random mod 2 vmap { 0 : goto ${endpointA}, 1 : goto ${endpointB} }
	}

	chain ${webChains.external} {
		jump mark-for-masquerade
		goto ${webChains.service}
	}

	chain ${endpointA} {
		ip saddr 10.244.0.5 jump mark-for-masquerade
		meta l4proto tcp dnat to 10.244.0.5:8080
	}

	chain ${endpointB} {
		ip saddr 10.244.1.6 jump mark-for-masquerade
		meta l4proto tcp dnat to 10.244.1.6:8080
	}
}
`;
const nftProgrammed = nftRuleset(`\n\t\telements = { tcp . 31080 : goto ${webChains.external} }`);
const nftWithoutNodePort = nftRuleset('');
/** kubelet's chains only: in nftables mode kube-proxy writes nothing to iptables. */
const kubeletOnly = `# Generated by iptables-nft-save v1.8.9 on Thu Nov 26 10:00:00 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
-A INPUT -j KUBE-FIREWALL
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
COMMIT
# Completed on Thu Nov 26 10:00:00 2026
`;
const nftFiles = (nft: string) => ({ ...clusterFiles, 'nodes/node-b/iptables-save.txt': kubeletOnly, 'nodes/node-b/nft-ruleset.txt': nft, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] });

ruleTester(nodeportUnreachable, {
  valid: [{ name: 'nftables mode: the service-nodeports map sends the NodePort to the endpoints', files: nftFiles(nftProgrammed) }],
  invalid: [
    {
      name: 'a pod’s hostPort equal to the NodePort: portmap’s DNAT takes it on that node',
      files: { ...clusterFiles, 'cluster/pods.json': hostPortPods, 'nodes/node-b/iptables-save.txt': portmap, 'nodes/node-b/ip-addr.txt': ipAddr['node-b'] },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web', 'Pod/shop/legacy-relay-6c5b7d8f9-zt4kq'],
          evidence: [
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(portmap, '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT') },
            { file: 'nodes/node-b/iptables-save.txt', line: lineOf(portmap, '--to-destination 10.244.1.9:80') },
            { file: 'cluster/pods.json', line: findLine(hostPortPods, '"hostPort": 31080') },
            { file: 'cluster/services.json', line: nodePortLine },
          ],
          titleMatch: /^NodePort 31080\/tcp of shop\/web is unreachable on node-b: hostPort of pod shop\/legacy-relay-6c5b7d8f9-zt4kq takes the port$/,
          messageMatch: /That address is pod shop\/legacy-relay-6c5b7d8f9-zt4kq, whose container relay asks for hostPort 31080/,
        },
      ],
    },
    {
      name: 'nftables mode: no service-nodeports element for the NodePort',
      files: nftFiles(nftWithoutNodePort),
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web'],
          evidence: [
            { file: 'nodes/node-b/nft-ruleset.txt', line: lineOf(nftWithoutNodePort, 'jump services') },
            { file: 'nodes/node-b/nft-ruleset.txt', line: lineOf(nftWithoutNodePort, 'map service-nodeports {') },
            { file: 'cluster/services.json', line: nodePortLine },
          ],
          messageMatch: /kube-proxy's service-nodeports map has no element for it/,
        },
      ],
    },
  ],
});

// ---- IPVS mode: the virtual servers run inside kube-proxy's ipset-driven iptables rules ----

const ipvsIptables = `# Generated by iptables-nft-save v1.8.9 on Thu Nov 26 10:00:00 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-IPVS-FILTER - [0:0]
-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable
COMMIT
# Completed on Thu Nov 26 10:00:00 2026
# Generated by iptables-nft-save v1.8.9 on Thu Nov 26 10:00:00 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT
COMMIT
# Completed on Thu Nov 26 10:00:00 2026
`;
const ipvsSets = `create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x5a3c1e07
add KUBE-CLUSTER-IP 10.96.14.7,tcp:80
create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
add KUBE-NODE-PORT-TCP 31080
create KUBE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x2b9d4f10
add KUBE-IPVS-IPS 10.96.14.7
`;
const ipvsadm = (nodePortServers: string) => `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
${nodePortServers}TCP  10.96.14.7:80 rr
  -> 10.244.0.5:8080              Masq    1      0          0         
  -> 10.244.1.6:8080              Masq    1      0          0         
`;
const ipvsFiles = (servers: string) => ({
  ...clusterFiles,
  'nodes/node-b/iptables-save.txt': ipvsIptables,
  'nodes/node-b/ipset-save.txt': ipvsSets,
  'nodes/node-b/ipvsadm.txt': ipvsadm(servers),
  'nodes/node-b/ip-addr.txt': ipAddr['node-b'],
});
const withoutRealServers = ipvsadm('TCP  10.0.1.12:31080 rr\n');

ruleTester(nodeportUnreachable, {
  valid: [
    {
      name: 'IPVS mode: the NodePort virtual server on the node address has the endpoints',
      files: ipvsFiles('TCP  10.0.1.12:31080 rr\n  -> 10.244.0.5:8080              Masq    1      0          0         \n  -> 10.244.1.6:8080              Masq    1      0          0         \n'),
    },
  ],
  invalid: [
    {
      name: 'IPVS mode: the NodePort virtual server has no real server: the kernel refuses the connection',
      files: { ...ipvsFiles(''), 'nodes/node-b/ipvsadm.txt': withoutRealServers },
      findings: [
        {
          subjects: ['Node/node-b', 'Service/shop/web'],
          evidence: [{ file: 'nodes/node-b/ipvsadm.txt', line: lineOf(withoutRealServers, 'TCP  10.0.1.12:31080 rr') }, { file: 'cluster/services.json', line: nodePortLine }],
          messageMatch: /^A new connection from outside to 10\.0\.1\.12:31080\/tcp is rejected by IPVS at virtual server TCP 10\.0\.1\.12:31080 \(no real servers\): the kernel answers ICMP port unreachable, so clients get connection refused at once/,
        },
      ],
    },
  ],
});
