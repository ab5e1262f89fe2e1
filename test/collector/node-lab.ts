/**
 * A small Kubernetes-like node in network namespaces, for running node-capture.sh for real:
 *
 *   node ns  ndc-<pid>-node                                            pod ns  ndc-<pid>-pod
 *     eth0 10.0.1.11/24, fd00:10::11/64 <-veth-> ext0                 eth0 10.244.1.5/24
 *     cni0 bridge 10.244.1.1/24 <- veth-pod0 (bridge port) <-veth->     default via 10.244.1.1
 *     flannel.1 vxlan id 1 dev eth0, 10.244.1.0/32
 *     routes: default via 10.0.1.1; 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink; table 100
 *     rule: from 10.244.1.0/24 lookup 100
 *     kube-proxy-like iptables rules (nf_tables backend), one legacy rule, ipsets, an nft table
 *     sysctls: ip_forward=1, rp_filter=0 (all), 2 (default)
 *
 * plus a host root (what `--host-root` points at) holding etc/resolv.conf (a relative symlink,
 * as systemd-resolved makes it) and etc/cni/net.d/, and a PATH folder where tools can be hidden
 * or replaced by fakes. Credentials are planted in several files on purpose (PLANTED).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { FLANNEL_CONFLIST } from '../helpers/node-network.js';

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const NEEDED_TOOLS = ['ip', 'iptables-nft-restore', 'iptables-legacy-restore', 'ipset', 'nft', 'sysctl', 'tar', 'dash'];

/** Fake credentials planted in the lab's files; none may reach a bundle. */
export const PLANTED = {
  jwt: 'eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vZGUtbGFiIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06Y2FsaWNvLWNuaS1wbHVnaW4ifQ.bm90LWEtcmVhbC1zaWduYXR1cmUtYnV0LWxvb2tzLWxpa2Utb25l',
  privateKeyLine: 'MIIEpAIBAAKCAQEAz7Jx0VbWNyaXRpY2FsLWZha2Uta2V5LWZvci10ZXN0cy1vbmx5LW5vdC1yZWFs',
  urlPassword: 'Etcd-R00t-Pass',
  linkAliasPassword: 'Sw1tch-Pa55',
  legacyCommentPassword: 'Backup-Pa55w0rd',
  nftToken: 'nft-tok-8c7b6a5d4e3f',
  dockerPassword: 'Postgres-Pa55',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  stderrPassword: 'Mirror-Pa55',
} as const;

export const LAB = {
  nodeIPv4: '10.0.1.11',
  nodeIPv6: 'fd00:10::11',
  gateway: '10.0.1.1',
  podCIDR: '10.244.1.0/24',
  podIP: '10.244.1.5',
  serviceIP: '10.96.12.7',
} as const;

/** Why the lab cannot be built here, or undefined when it can. */
export function nodeLabProblem(): string | undefined {
  const uid = process.getuid?.();
  if (uid !== 0) return `the node capture lab needs root to create network namespaces (uid is ${uid})`;
  const missing = NEEDED_TOOLS.filter((tool) => !findTool(tool));
  if (missing.length > 0) return `the node capture lab needs ${missing.join(', ')} (apt-get install iptables nftables ipset iproute2 dash)`;
  return undefined;
}

export function findTool(tool: string): string | undefined {
  for (const dir of SYSTEM_PATH) {
    const path = join(dir, tool);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function run(argv: string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), {
    input,
    encoding: 'utf8',
    env: { ...process.env, PATH: [process.env.PATH ?? '', ...SYSTEM_PATH].join(delimiter) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

const IPTABLES_NFT = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-6E7XQMQ4RAYOWTTM - [0:0]
:KUBE-SEP-IT2ZTR26TO4XFPTO - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-6E7XQMQ4RAYOWTTM -s 10.244.1.5/32 -m comment --comment "auth/token-service:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-6E7XQMQ4RAYOWTTM -p tcp -m comment --comment "auth/token-service:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SEP-IT2ZTR26TO4XFPTO -s 10.244.2.9/32 -m comment --comment "auth/token-service:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-IT2ZTR26TO4XFPTO -p tcp -m comment --comment "auth/token-service:http" -m tcp -j DNAT --to-destination 10.244.2.9:8080
-A KUBE-SERVICES -d 10.96.12.7/32 -p tcp -m comment --comment "auth/token-service:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-TCOU7JCQXEZGVUNU ! -s 10.244.0.0/16 -d 10.96.12.7/32 -p tcp -m comment --comment "auth/token-service:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "auth/token-service:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-6E7XQMQ4RAYOWTTM
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "auth/token-service:http -> 10.244.2.9:8080" -j KUBE-SEP-IT2ZTR26TO4XFPTO
COMMIT
`;

/** A host firewall rule left in the legacy backend: both backends hold rules. */
const IPTABLES_LEGACY = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -m comment --comment "backup-host password=${PLANTED.legacyCommentPassword}" -j ACCEPT
COMMIT
`;

const IPSET = `create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536 bucketsize 12
add KUBE-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5
create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12
add KUBE-CLUSTER-IP 10.96.12.7,tcp:80
`;

const NFT = `table inet host_firewall {
  set blocked {
    type ipv4_addr
    elements = { 192.0.2.66 }
  }
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr @blocked counter drop comment "fed by ops api token=${PLANTED.nftToken}"
    tcp dport 10250 accept
  }
}
`;


const CALICO_CONFLIST = `{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "datastore_type": "etcdv3",
      "etcd_endpoints": "https://root:${PLANTED.urlPassword}@10.0.1.20:2379",
      "mtu": 1450,
      "ipam": {
        "type": "calico-ipam"
      },
      "policy": {
        "type": "k8s"
      },
      "kubernetes": {
        "kubeconfig": "/etc/cni/net.d/calico-kubeconfig"
      }
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    }
  ]
}
`;

const PRIVATE_KEY_PEM = `-----BEGIN RSA PRIVATE KEY-----\n${PLANTED.privateKeyLine}\n${PLANTED.privateKeyLine.split('').reverse().join('')}\n-----END RSA PRIVATE KEY-----\n`;

const CALICO_KUBECONFIG = `# Kubeconfig file for Calico CNI plugin.
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://10.96.0.1:443
    certificate-authority-data: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+gAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n-----END CERTIFICATE-----\n').toString('base64')}
users:
- name: calico
  user:
    token: ${PLANTED.jwt}
- name: calico-cert
  user:
    client-key-data: ${Buffer.from(PRIVATE_KEY_PEM).toString('base64')}
contexts:
- name: calico-context
  context:
    cluster: local
    user: calico
current-context: calico-context
`;

/** `docker network inspect <ids>` on a host with the default bridge and one user network. */
export const DOCKER_NETWORKS = `[
    {
        "Name": "bridge",
        "Id": "7e036800a97c8150206d570d6b781c1f9e3e99392533f01dc411eff760a49cdc",
        "Created": "2026-11-20T09:12:01.071483312Z",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [
                {
                    "Subnet": "172.17.0.0/16",
                    "Gateway": "172.17.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {
            "4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a": {
                "Name": "db",
                "EndpointID": "663581b9cd9cc26fcd3d091257d2e4ce4fbb54d3ae05732a48877492f64aa539",
                "MacAddress": "02:42:ac:11:00:02",
                "IPv4Address": "172.17.0.2/16",
                "IPv6Address": ""
            }
        },
        "Options": {
            "com.docker.network.bridge.default_bridge": "true",
            "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            "com.docker.network.bridge.name": "docker0",
            "com.docker.network.driver.mtu": "1500"
        },
        "Labels": {}
    },
    {
        "Name": "backend",
        "Id": "9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e",
        "Created": "2026-11-20T09:15:44.50318171Z",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [
                {
                    "Subnet": "172.18.0.0/16",
                    "Gateway": "172.18.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {},
        "Options": {},
        "Labels": {
            "com.docker.compose.network": "backend",
            "com.docker.compose.project": "shop"
        }
    }
]
`;

/** `docker inspect <ids>`: one running container with credentials in its environment. */
export const DOCKER_CONTAINERS = `[
    {
        "Id": "4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a",
        "Created": "2026-11-20T09:16:02.120Z",
        "Path": "docker-entrypoint.sh",
        "Args": [
            "postgres"
        ],
        "State": {
            "Status": "running",
            "Running": true,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 4242,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "2026-11-20T09:16:02.9Z",
            "FinishedAt": "0001-01-01T00:00:00Z"
        },
        "Image": "sha256:b7a1c0d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0",
        "Name": "/db",
        "RestartCount": 0,
        "HostConfig": {
            "NetworkMode": "bridge",
            "PortBindings": {
                "5432/tcp": [
                    {
                        "HostIp": "127.0.0.1",
                        "HostPort": "5432"
                    }
                ]
            }
        },
        "Config": {
            "Hostname": "4b5c6d7e8f90",
            "ExposedPorts": {
                "5432/tcp": {}
            },
            "Env": [
                "POSTGRES_PASSWORD=${PLANTED.dockerPassword}",
                "AWS_ACCESS_KEY_ID=${PLANTED.awsKeyId}",
                "AWS_SECRET_ACCESS_KEY=${PLANTED.awsSecret}",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "PGDATA=/var/lib/postgresql/data"
            ],
            "Cmd": [
                "postgres"
            ],
            "Image": "postgres:16",
            "Labels": {}
        },
        "NetworkSettings": {
            "Ports": {
                "5432/tcp": [
                    {
                        "HostIp": "127.0.0.1",
                        "HostPort": "5432"
                    }
                ]
            },
            "Networks": {
                "bridge": {
                    "IPAMConfig": null,
                    "Links": null,
                    "Aliases": null,
                    "NetworkID": "7e036800a97c8150206d570d6b781c1f9e3e99392533f01dc411eff760a49cdc",
                    "EndpointID": "663581b9cd9cc26fcd3d091257d2e4ce4fbb54d3ae05732a48877492f64aa539",
                    "Gateway": "172.17.0.1",
                    "IPAddress": "172.17.0.2",
                    "IPPrefixLen": 16,
                    "IPv6Gateway": "",
                    "GlobalIPv6Address": "",
                    "GlobalIPv6PrefixLen": 0,
                    "MacAddress": "02:42:ac:11:00:02"
                }
            }
        }
    }
]
`;

export interface NodeLab {
  /** The node's network namespace. */
  netns: string;
  /** What `--host-root` points at. */
  hostRoot: string;
  /** Scratch folder for bundles and PATH folders; removed by destroy(). */
  dir: string;
  /** A PATH of the system tools minus `hide`, with `fakes` (name → sh script) in front. */
  toolPath(options: { hide?: readonly string[]; fakes?: Record<string, string> }): string;
  /** `docker` answering like a Docker host with DOCKER_NETWORKS and DOCKER_CONTAINERS. */
  fakeDocker(): string;
  destroy(): void;
}

export function createNodeLab(): NodeLab {
  const prefix = `ndc-${process.pid}`;
  const netns = `${prefix}-node`;
  const podns = `${prefix}-pod`;
  const dir = mkdtempSync(join(tmpdir(), 'netdump-node-lab-'));
  const hostRoot = join(dir, 'host');
  let paths = 0;

  const destroy = () => {
    for (const ns of [netns, podns]) {
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {
        // not created
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const ns of [netns, podns]) run(['ip', 'netns', 'add', ns]);
    const inNode = (...argv: string[]) => run(['ip', 'netns', 'exec', netns, ...argv]);
    const ipNode = (...args: string[]) => run(['ip', '-n', netns, ...args]);
    const ipPod = (...args: string[]) => run(['ip', '-n', podns, ...args]);

    ipNode('link', 'set', 'lo', 'up');
    ipNode('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'ext0');
    ipNode('addr', 'add', `${LAB.nodeIPv4}/24`, 'dev', 'eth0');
    ipNode('addr', 'add', `${LAB.nodeIPv6}/64`, 'dev', 'eth0', 'nodad');
    ipNode('link', 'set', 'eth0', 'alias', `uplink, switch admin https://ops:${PLANTED.linkAliasPassword}@sw1.example`);
    ipNode('link', 'set', 'ext0', 'up');
    ipNode('link', 'set', 'eth0', 'up');
    ipNode('link', 'add', 'cni0', 'type', 'bridge');
    ipNode('addr', 'add', '10.244.1.1/24', 'dev', 'cni0');
    ipNode('link', 'set', 'cni0', 'up');
    ipNode('link', 'add', 'veth-pod0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podns);
    ipNode('link', 'set', 'veth-pod0', 'master', 'cni0', 'up');
    ipPod('link', 'set', 'lo', 'up');
    ipPod('addr', 'add', `${LAB.podIP}/24`, 'dev', 'eth0');
    ipPod('link', 'set', 'eth0', 'up');
    ipPod('route', 'add', 'default', 'via', '10.244.1.1');
    ipNode('link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'local', LAB.nodeIPv4, 'dev', 'eth0', 'dstport', '8472', 'nolearning');
    ipNode('addr', 'add', '10.244.1.0/32', 'dev', 'flannel.1');
    ipNode('link', 'set', 'flannel.1', 'up');
    ipNode('route', 'add', 'default', 'via', LAB.gateway, 'dev', 'eth0');
    ipNode('route', 'add', '10.244.2.0/24', 'via', '10.244.2.0', 'dev', 'flannel.1', 'onlink');
    ipNode('route', 'add', '192.0.2.0/24', 'via', LAB.gateway, 'dev', 'eth0', 'table', '100');
    ipNode('rule', 'add', 'from', LAB.podCIDR, 'lookup', '100', 'priority', '100');

    inNode('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=2');
    run(['ip', 'netns', 'exec', netns, 'iptables-nft-restore'], IPTABLES_NFT);
    run(['ip', 'netns', 'exec', netns, 'iptables-legacy-restore'], IPTABLES_LEGACY);
    run(['ip', 'netns', 'exec', netns, 'ipset', 'restore'], IPSET);
    run(['ip', 'netns', 'exec', netns, 'nft', '-f', '-'], NFT);

    mkdirSync(join(hostRoot, 'etc/cni/net.d'), { recursive: true });
    mkdirSync(join(hostRoot, 'run/systemd/resolve'), { recursive: true });
    writeFileSync(join(hostRoot, 'run/systemd/resolve/resolv.conf'), '# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\nnameserver 10.0.1.1\nsearch eu-west-1.compute.internal\n');
    symlinkSync('../run/systemd/resolve/resolv.conf', join(hostRoot, 'etc/resolv.conf'));
    writeFileSync(join(hostRoot, 'etc/cni/net.d/10-calico.conflist'), CALICO_CONFLIST);
    writeFileSync(join(hostRoot, 'etc/cni/net.d/10-flannel.conflist'), FLANNEL_CONFLIST);
    writeFileSync(join(hostRoot, 'etc/cni/net.d/calico-kubeconfig'), CALICO_KUBECONFIG);
    mkdirSync(join(hostRoot, 'etc/cni/net.d/multus.d'));
  } catch (error) {
    destroy();
    throw error;
  }

  return {
    netns,
    hostRoot,
    dir,
    toolPath({ hide = [], fakes = {} }) {
      const bin = join(dir, `path-${++paths}`);
      mkdirSync(bin);
      for (const [name, script] of Object.entries(fakes)) {
        writeFileSync(join(bin, name), script);
        chmodSync(join(bin, name), 0o755);
      }
      for (const system of SYSTEM_PATH) {
        if (!existsSync(system)) continue;
        for (const name of readdirSync(system)) {
          if (hide.includes(name) || name in fakes || existsSync(join(bin, name))) continue;
          symlinkSync(join(system, name), join(bin, name));
        }
      }
      return bin;
    },
    fakeDocker() {
      writeFileSync(join(dir, 'docker-networks.json'), DOCKER_NETWORKS);
      writeFileSync(join(dir, 'docker-containers.json'), DOCKER_CONTAINERS);
      return `#!/bin/sh
case "$1 $2" in
  'network ls') printf '%s\\n' 7e036800a97c 9d8e7f6a5b4c ;;
  'network inspect') exec cat '${join(dir, 'docker-networks.json')}' ;;
  'ps -q') printf '%s\\n' 4b5c6d7e8f90 ;;
  'inspect 4b5c6d7e8f90') exec cat '${join(dir, 'docker-containers.json')}' ;;
  *) echo "docker: unexpected arguments: $*" >&2; exit 1 ;;
esac
`;
    },
    destroy,
  };
}
