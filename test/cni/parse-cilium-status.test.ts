import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCiliumStatus } from '../../analyzer/cni/parse-cilium-status.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './cni-samples.js';

const file = (text: string) => new SourceFile('nodes/kind-worker/cilium/status.txt', text);

/** `cilium-dbg status --verbose`, Cilium 1.16 in tunnel mode: a failing controller, one node unreachable. */
const V1_16 = `KVStore:                 Ok   Disabled
Kubernetes:              Ok   1.30 (v1.30.2) [linux/amd64]
Kubernetes APIs:         ["EndpointSliceOrEndpoint", "cilium/v2::CiliumClusterwideNetworkPolicy", "cilium/v2::CiliumEndpoint", "cilium/v2::CiliumNetworkPolicy", "cilium/v2::CiliumNode", "cilium/v2alpha1::CiliumCIDRGroup", "core/v1::Namespace", "core/v1::Pods", "core/v1::Service", "networking.k8s.io/v1::NetworkPolicy"]
KubeProxyReplacement:    True   [eth0   172.18.0.3 fc00:c111::3 fe80::42:acff:fe12:3 (Direct Routing)]
Host firewall:           Disabled
SRv6:                    Disabled
CNI Chaining:            none
CNI Config file:         successfully wrote CNI configuration file to /host/etc/cni/net.d/05-cilium.conflist
Cilium:                  Ok   1.16.1 (v1.16.1-68579055)
NodeMonitor:             Listening for events on 8 CPUs with 64x4096 of shared memory
Cilium health daemon:    Ok   
IPAM:                    IPv4: 5/254 allocated from 10.244.1.0/24, 
Allocated addresses:
  10.244.1.12 (kube-system/coredns-7db6d8ff4d-5xk2p)
  10.244.1.148 (health)
  10.244.1.201 (router)
  10.244.1.33 (default/web-6d4cf56db6-8kq2x)
  10.244.1.77 (kube-system/hubble-relay-6b9f8bb8f5-tq6qz [restored])
IPv4 BIG TCP:            Disabled
IPv6 BIG TCP:            Disabled
BandwidthManager:        Disabled
Routing:                 Network: Tunnel [vxlan]   Host: Legacy
Attach Mode:             TCX
Device Mode:             veth
Masquerading:            IPTables [IPv4: Enabled, IPv6: Disabled]
Clock Source for BPF:    ktime
Controller Status:       47/48 healthy
  Name                                  Last success   Last error   Count   Message
  cilium-health-ep                      41s ago        never        0       no error   
  endpoint-2211-regeneration-recovery   never          1m12s ago    14      regeneration recovery failed   
  sync-to-k8s-ciliumendpoint (1447)     3s ago         never        0       no error   
Proxy Status:            OK, ip 10.244.1.201, 0 redirects active on ports 10000-20000, Envoy: external
Global Identity Range:   min 256, max 65535
Hubble:                  Ok              Current/Max Flows: 4095/4095 (100.00%), Flows/s: 12.34   Metrics: Disabled
KubeProxyReplacement Details:
  Status:                 True
  Socket LB:              Enabled
  Devices:                eth0   172.18.0.3 fc00:c111::3 fe80::42:acff:fe12:3 (Direct Routing)
  Services:
  - ClusterIP:      Enabled
  - NodePort:       Enabled (Range: 30000-32767) 
Encryption:                                Wireguard       [NodeEncryption: Disabled, cilium_wg0 (Pubkey: 3hJ8b2yI0yQmO3w0bq0xS6Q8n7kqk6dZr0kz7b3uY0E=, Port: 51871, Peers: 2)]
Cluster health:                            2/3 reachable   (2024-09-02T10:15:21Z)
  Name                                     IP              Node          Endpoints
  kind-worker (localhost)                  172.18.0.3      reachable     reachable
  kind-control-plane                       172.18.0.2      reachable     reachable
  kind-worker2                             172.18.0.4      unreachable   unreachable
Modules Health:                            Stopped(0) Degraded(1) OK(57)
`;

/** Cilium 1.17: the cluster health table with counts, its header at column 0, and an elided list. */
const V1_17_HEALTH = `Cilium:                  Ok   1.17.2 (v1.17.2-fb3ab54f)
Cluster health:          3/4 reachable   (2025-03-12T08:00:00Z)   (Probe interval: 1m50s)
Name                     IP              Node   Endpoints
  worker-1 (localhost)   10.0.0.11       1/1    1/1
  worker-2               10.0.0.12       1/1    1/1
  worker-3               10.0.0.13       0/1    0/1
  ...
`;

/** `--verbose` health details per node (Host/Endpoint connectivity probes). */
const VERBOSE_HEALTH = `Cluster health:   1/2 reachable   (2025-03-12T08:00:00Z)
Name              IP              Node   Endpoints
  worker-1 (localhost):
    Host connectivity to 10.0.0.11:
      ICMP to stack:   OK, RTT=92.1µs
      HTTP to agent:   OK, RTT=301.5µs
    Endpoint connectivity to 10.244.1.148:
      ICMP to stack:   OK, RTT=101µs
      HTTP to agent:   OK, RTT=422µs
  worker-3:
    Host connectivity to 10.0.0.13:
      ICMP to stack:   failed
      HTTP to agent:   Get "http://10.0.0.13:4240/hello": context deadline exceeded
    Endpoint connectivity to 10.244.3.20:
      ICMP to stack:   OK, RTT=1.2ms
      HTTP to agent:   OK, RTT=2ms
`;

/** Cilium 1.2 (etcd kvstore; `IPv4 address pool` with the addresses below; true/false health table). */
const V1_2 = `KVStore:                Ok   etcd: 1/1 connected: http://k8s1:9732 - 3.1.0 (Leader)
ContainerRuntime:       Ok   docker daemon: OK
Kubernetes:             Ok   OK
Cilium:                 Ok   OK
NodeMonitor:            Disabled
Cilium health daemon:   Ok   
IPv4 address pool:      3/255 allocated
  10.10.0.20
  10.10.0.32
  10.10.0.44
Controller Status:   2/2 healthy
  Name                                        Last success   Last error   Count   Message
  ipcache-bpf-garbage-collection              51s ago        never        0       no error   
  kvstore-etcd-session-renew                  never          never        0       no error   
Proxy Status:           OK, ip 10.10.0.1, port-range 10000-20000
Cluster health:         1/2 reachable   (2018-08-06T17:15:04Z)
  Name              IP              Reachable   Endpoints reachable
  k8s1 (localhost)  192.168.36.11   true        true
  k8s2              192.168.36.12   false       false
`;

/** A node whose kvstore quorum is lost. */
const KVSTORE_DOWN = `KVStore:                Failure   Err: quorum check failed 12 times in a row: timeout while waiting for initial connection
Kubernetes:             Ok        1.18 (v1.18.3) [linux/amd64]
KubeProxyReplacement:   Disabled
Cilium:                 Failure   Kvstore: Err: quorum check failed 12 times in a row: timeout while waiting for initial connection
Cilium health daemon:   Warning   Get "http://localhost/v1beta/hello": dial unix /var/run/cilium/health.sock: connect: no such file or directory
Cluster health:         Warning   cilium-health daemon unreachable
`;

describe('parseCiliumStatus', () => {
  it('reads 1.16 verbose: components, routing, IPAM, failing controllers, unreachable nodes, every field kept', () => {
    const { value, issues } = parseCiliumStatus(file(V1_16));
    expect(issues).toEqual([]);
    expect(value.version).toBe('1.16.1');
    expect(value.kvstore).toEqual({ state: 'Ok', message: 'Disabled', healthy: true, line: 1 });
    expect(value.kubernetes).toMatchObject({ state: 'Ok', message: '1.30 (v1.30.2) [linux/amd64]', line: 2 });
    expect(value.kubernetesApis).toHaveLength(10);
    expect(value.kubeProxyReplacement).toEqual({
      mode: 'True',
      details: ['eth0 172.18.0.3 fc00:c111::3 fe80::42:acff:fe12:3 (Direct Routing)'],
      directRoutingDevice: 'eth0',
      line: 4,
    });
    expect(value.healthDaemon).toMatchObject({ state: 'Ok', healthy: true, line: 11 });
    expect(value.ipam).toEqual({ text: 'IPv4: 5/254 allocated from 10.244.1.0/24,', pools: [{ family: 4, allocated: 5, size: 254, cidr: '10.244.1.0/24' }], line: 12 });
    expect(value.allocations.map((a) => [a.address, a.owner, a.restored, a.line])).toEqual([
      ['10.244.1.12', 'kube-system/coredns-7db6d8ff4d-5xk2p', false, 14],
      ['10.244.1.148', 'health', false, 15],
      ['10.244.1.201', 'router', false, 16],
      ['10.244.1.33', 'default/web-6d4cf56db6-8kq2x', false, 17],
      ['10.244.1.77', 'kube-system/hubble-relay-6b9f8bb8f5-tq6qz', true, 18],
    ]);
    expect(value.routing).toEqual({ network: 'tunnel', tunnelProtocol: 'vxlan', host: 'Legacy', line: 22 });
    expect(value.masquerading).toEqual({ mode: 'IPTables', text: 'IPTables [IPv4: Enabled, IPv6: Disabled]', line: 25 });
    expect(value.controllers).toMatchObject({ healthy: 47, total: 48, line: 27 });
    expect(value.controllers!.listed.filter((c) => c.failing)).toEqual([
      {
        name: 'endpoint-2211-regeneration-recovery',
        lastSuccess: 'never',
        lastError: '1m12s ago',
        failureCount: 14,
        message: 'regeneration recovery failed',
        failing: true,
        line: 30,
      },
    ]);
    expect(value.controllers!.listed.map((c) => c.name)).toContain('sync-to-k8s-ciliumendpoint (1447)');
    expect(value.proxy).toMatchObject({ ok: true, line: 32 });
    expect(value.encryption).toMatchObject({ mode: 'Wireguard', line: 42 });
    expect(value.clusterHealth).toMatchObject({ reachable: 2, total: 3, probedAt: '2024-09-02T10:15:21Z', elided: false, line: 43 });
    expect(value.clusterHealth!.nodes.map((n) => [n.name, n.local, n.ips, n.nodeReachable, n.endpointsReachable, n.line])).toEqual([
      ['kind-worker', true, ['172.18.0.3'], true, true, 45],
      ['kind-control-plane', false, ['172.18.0.2'], true, true, 46],
      ['kind-worker2', false, ['172.18.0.4'], false, false, 47],
    ]);
    expect(value.modulesHealth).toEqual({ stopped: 0, degraded: 1, ok: 57, text: 'Stopped(0) Degraded(1) OK(57)', line: 48 });
    // Keys without a typed reading are still there, with their blocks.
    const fields = new Map(value.fields.map((f) => [f.key, f]));
    expect(fields.get('Attach Mode')).toEqual({ key: 'Attach Mode', value: 'TCX', line: 23, block: [] });
    expect(fields.get('Hubble')!.value).toContain('Current/Max Flows: 4095/4095');
    expect(fields.get('KubeProxyReplacement Details')!.block.map((l) => l.text)).toContain('- NodePort:       Enabled (Range: 30000-32767)');
  });

  it('reads the 1.17 cluster health table with counts and an elided list', () => {
    const { value, issues } = parseCiliumStatus(file(V1_17_HEALTH));
    expect(issues).toEqual([]);
    expect(value.clusterHealth).toMatchObject({ reachable: 3, total: 4, probedAt: '2025-03-12T08:00:00Z', elided: true });
    expect(value.clusterHealth!.nodes.map((n) => [n.name, n.local, n.nodeReachable, n.endpointsReachable, n.line])).toEqual([
      ['worker-1', true, true, true, 4],
      ['worker-2', false, true, true, 5],
      ['worker-3', false, false, false, 6],
    ]);
  });

  it('reads verbose per-node probes: a node is unreachable when a host probe failed', () => {
    const { value, issues } = parseCiliumStatus(file(VERBOSE_HEALTH));
    expect(issues).toEqual([]);
    expect(value.clusterHealth!.nodes).toEqual([
      { name: 'worker-1', local: true, ips: ['10.0.0.11', '10.244.1.148'], nodeReachable: true, endpointsReachable: true, line: 3 },
      { name: 'worker-3', local: false, ips: ['10.0.0.13', '10.244.3.20'], nodeReachable: false, endpointsReachable: true, line: 10 },
    ]);
  });

  it('reads the 1.2 layout: address pool with addresses, true/false health columns', () => {
    const { value, issues } = parseCiliumStatus(file(V1_2));
    expect(issues).toEqual([]);
    expect(value.kvstore).toMatchObject({ state: 'Ok', message: 'etcd: 1/1 connected: http://k8s1:9732 - 3.1.0 (Leader)' });
    expect(value.containerRuntime).toMatchObject({ state: 'Ok', message: 'docker daemon: OK' });
    expect(value.ipam!.pools).toEqual([{ family: 4, allocated: 3, size: 255 }]);
    expect(value.allocations.map((a) => [a.address, a.owner, a.line])).toEqual([
      ['10.10.0.20', undefined, 8],
      ['10.10.0.32', undefined, 9],
      ['10.10.0.44', undefined, 10],
    ]);
    expect(value.controllers!.listed.map((c) => [c.name, c.failing])).toEqual([
      ['ipcache-bpf-garbage-collection', false],
      ['kvstore-etcd-session-renew', false],
    ]);
    expect(value.clusterHealth!.nodes.map((n) => [n.name, n.nodeReachable, n.endpointsReachable])).toEqual([
      ['k8s1', true, true],
      ['k8s2', false, false],
    ]);
  });

  it('reads failing components and a cluster health without counts', () => {
    const { value, issues } = parseCiliumStatus(file(KVSTORE_DOWN));
    expect(issues).toEqual([]);
    expect(value.kvstore).toMatchObject({ state: 'Failure', healthy: false, message: expect.stringContaining('quorum check failed') });
    expect(value.cilium).toMatchObject({ state: 'Failure', healthy: false, line: 4 });
    expect(value.healthDaemon).toMatchObject({ state: 'Warning', healthy: false });
    expect(value.kubeProxyReplacement).toEqual({ mode: 'Disabled', details: [], line: 3 });
    expect(value.clusterHealth).toEqual({ text: 'Warning   cilium-health daemon unreachable', nodes: [], elided: false, line: 6 });
    expect(value.version).toBeUndefined();
  });

  it('recognises an agent that did not answer', () => {
    const { value, issues } = parseCiliumStatus(
      file('Get "http://localhost/v1/healthz": dial unix /var/run/cilium/cilium.sock: connect: no such file or directory\nIs the agent running?\n'),
    );
    expect(issues).toEqual([]);
    expect(value.agentError).toEqual({
      message: 'Get "http://localhost/v1/healthz": dial unix /var/run/cilium/cilium.sock: connect: no such file or directory Is the agent running?',
      line: 1,
    });
    const old = parseCiliumStatus(file('Error: Unable to reach out daemon: Get http:///var/run/cilium/cilium.sock/v1/healthz: dial unix /var/run/cilium/cilium.sock: connect: connection refused\n'));
    expect(old.value.agentError?.line).toBe(1);
  });

  it('reports truncated and garbled lines at their place and keeps the rest', () => {
    const text = `  orphan indented line
KVStore:                 Ok   Disabled
Controller Status:       47/
Cluster health:          1/2 reachable   (2024-09-02T10:15:21Z)
  Name                   IP              Node          Endpoints
  kind-worker2           172.18.0.4
%%% garbage %%%
Controller Status:       1/2 healthy
  Name                                  Last success   Last error   Count   Message
  endpoint-9-regeneration               never          4s ago       two     failed
Allocated addresses:
  10.0.0.1 (router) extra words)
`;
    const { value, issues } = parseCiliumStatus(file(text));
    expect(value.kvstore?.line).toBe(2);
    expect(value.clusterHealth).toMatchObject({ reachable: 1, total: 2, nodes: [] });
    expect(value.controllers).toMatchObject({ healthy: 1, total: 2, listed: [], line: 8 });
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 1],
      ['BAD_LINE', 7],
      ['BAD_LINE', 3],
      ['BAD_LINE', 6],
      ['BAD_LINE', 10],
      ['BAD_LINE', 12],
    ]);
    for (const hostile of [':', 'A:', 'Cluster health:\n  :\n  x:\n    Host connectivity to :\n      ICMP to stack:', 'IPAM: IPv4: 99999999999999999999999/1 allocated', '\u0000\n\t\u0000']) {
      expect(() => parseCiliumStatus(file(hostile))).not.toThrow();
    }
  });

  it('reads the samples: 1.9 (truncated at the controller table), 1.10 dual-stack, 1.17, and 1.7 with cluster health', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const v19 = parseCiliumStatus(sampleSection('cilium-status-verbose.txt', 0));
    expect(v19.issues).toEqual([]);
    expect(v19.value.kubeProxyReplacement).toMatchObject({ mode: 'Strict', directRoutingDevice: 'eno1', line: 5 });
    expect(v19.value.routing).toEqual({ host: 'Legacy', line: 15 });
    expect(v19.value.masquerading).toMatchObject({ mode: 'BPF', line: 16 });
    expect(v19.value.controllers).toEqual({ healthy: 21, total: 22, listed: [], line: 18 });
    expect(v19.value.allocations.map((a) => a.owner)).toEqual(['router', 'kube-system/coredns-6df9654f86-vtbkj', 'health']);

    const v110 = parseCiliumStatus(sampleSection('cilium-status-verbose.txt', 1));
    expect(v110.issues).toEqual([]);
    expect(v110.value.version).toBe('1.10.4');
    expect(v110.value.ipam!.pools.map((p) => [p.family, p.allocated, p.cidr])).toEqual([
      [4, 4, '172.21.0.0/24'],
      [6, 4, 'fc01::/64'],
    ]);
    expect(v110.value.allocations).toHaveLength(8);
    expect(v110.value.clusterMesh).toMatchObject({ ready: 0, total: 0, line: 38 });

    const v117 = parseCiliumStatus(sampleSection('cilium-status-verbose.txt', 2));
    expect(v117.issues).toEqual([]);
    expect(v117.value.kvstore).toEqual({ state: 'Disabled', message: '', healthy: true, line: 40 });
    expect(v117.value.kubeProxyReplacement).toEqual({ mode: 'False', details: [], line: 43 });
    expect(v117.value.allocations.find((a) => a.restored)).toMatchObject({ address: '10.0.0.35', owner: 'kube-system/coredns-ff8999cc5-bv2h8', line: 55 });

    const v17 = parseCiliumStatus(sampleSection('cilium-status-verbose.txt', 3));
    expect(v17.issues).toEqual([]);
    expect(v17.value.kubeProxyReplacement!.details).toEqual(['NodePort (SNAT, 30000-32767)', 'ExternalIPs', 'HostReachableServices (TCP, UDP)']);
    expect(v17.value.clusterHealth).toMatchObject({ reachable: 0, total: 1, line: 73 });
    expect(v17.value.clusterHealth!.nodes).toEqual([{ name: 'ceuse', local: true, ips: ['10.5.57.1'], nodeReachable: false, endpointsReachable: false, line: 75 }]);
  });
});
