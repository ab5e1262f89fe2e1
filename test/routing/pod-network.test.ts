/**
 * How the pod network is read from the bundle: the CNI, the overlay devices each node needs
 * (with their overhead) and who assigns pod IPs — from CNI configs, DaemonSets, Calico pools,
 * node annotations and ConfigMaps, never from the devices expected.
 */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { expectedTunnels, podNetwork } from '../../analyzer/routing/pod-network.js';
import { kubectlList } from '../helpers/kube-objects.js';
import { calicoNode, daemonSet, eth0, flannelAnnotations, flannelDaemonSet, ipAddr, lo, threeNodeCluster } from '../helpers/node-network.js';

const networkOf = (files: Record<string, string>) => {
  const model = buildModel(bundleFromFiles(files, 'test.tgz'));
  return { network: podNetwork(model), model };
};

const configMap = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { creationTimestamp: '2026-11-01T08:02:00Z', name, namespace: 'kube-system', resourceVersion: '1311', uid: `cm-${name}` },
  data,
});

const pools = (spec: Record<string, unknown>) =>
  `${JSON.stringify({ kind: 'IPPoolList', apiVersion: 'projectcalico.org/v3', metadata: { resourceVersion: '1' }, items: [{ kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: { name: 'default-ipv4-ippool' }, spec: { cidr: '10.244.0.0/16', ...spec } }] }, null, 2)}\n`;

/** The calico CNI config calico-node's install-cni writes, with calico-ipam. */
const calicoConflist = `{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "datastore_type": "kubernetes",
      "mtu": 1440,
      "ipam": { "type": "calico-ipam" },
      "policy": { "type": "k8s" }
    },
    { "type": "portmap", "snat": true, "capabilities": { "portMappings": true } }
  ]
}
`;

describe('podNetwork', () => {
  it('Calico: IP-in-IP and VXLAN from the pools, calico-ipam from the node CNI config', () => {
    const { network } = networkOf({
      ...threeNodeCluster(),
      'cluster/daemonsets.json': kubectlList([calicoNode()]),
      'cluster/calico/ippools.json': pools({ ipipMode: 'CrossSubnet', vxlanMode: 'Never' }),
      'nodes/node-a/cni/10-calico.conflist': calicoConflist,
    });
    expect(network).toMatchObject({ cni: 'calico', detected: true, description: 'Calico, IP-in-IP (CrossSubnet) over tunl0', ipam: { kind: 'calico-ipam' } });
    expect(network.ipam.evidence).toMatchObject({ file: 'nodes/node-a/cni/10-calico.conflist', line: 9 });
    expect(network.tunnels).toEqual([expect.objectContaining({ device: 'tunl0', kind: 'ipip', crossSubnet: true, evidence: expect.objectContaining({ file: 'cluster/calico/ippools.json' }) })]);
  });

  it("Calico without pools: calico-node's environment, then the per-node tunnel annotations", () => {
    const env = networkOf({ ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([calicoNode({ CALICO_IPV4POOL_VXLAN: 'Always' })]) }).network;
    expect(env.tunnels.map((t) => [t.device, t.kind, t.why])).toEqual([['vxlan.calico', 'vxlan', 'calico-node sets CALICO_IPV4POOL_VXLAN=Always']]);
    expect(env.ipam).toMatchObject({ kind: 'calico-ipam' });
    expect(env.notes[0]).toMatch(/calico-node environment/);

    const annotated = networkOf({
      ...threeNodeCluster({ annotations: (name): Record<string, string> => (name === 'node-b' ? { 'projectcalico.org/IPv4IPIPTunnelAddr': '10.244.1.1' } : {}) }),
      'cluster/daemonsets.json': kubectlList([calicoNode()]),
    }).network;
    expect(expectedTunnels(annotated, 'node-b').map((t) => t.device)).toEqual(['tunl0']);
    expect(expectedTunnels(annotated, 'node-a')).toEqual([]);
  });

  it('Calico host-local IPAM from the calico-config template (placeholders and all)', () => {
    const template = '{\n  "plugins": [\n    {\n      "type": "calico",\n      "mtu": __CNI_MTU__,\n      "ipam": {\n          "type": "host-local",\n          "subnet": "usePodCidr"\n      }\n    }\n  ]\n}';
    const { network } = networkOf({ ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([calicoNode()]), 'cluster/configmaps.json': kubectlList([configMap('calico-config', { cni_network_config: template, veth_mtu: '0' })]) });
    expect(network.ipam).toMatchObject({ kind: 'node-podcidr', how: expect.stringContaining('usePodCidr') });
    expect(network.description).toBe('Calico, no encapsulation (routed)');
  });

  it('flannel: the backend and VNI from the node annotations, podCIDRs from --kube-subnet-mgr', () => {
    const { network } = networkOf({ ...threeNodeCluster({ annotations: flannelAnnotations }), 'cluster/daemonsets.json': kubectlList([flannelDaemonSet]) });
    expect(network).toMatchObject({ cni: 'flannel', description: 'flannel, VXLAN over flannel.1', ipam: { kind: 'node-podcidr' } });
    expect(expectedTunnels(network, 'node-c')).toEqual([expect.objectContaining({ device: 'flannel.1', kind: 'vxlan' })]);
  });

  it('flannel host-gw needs no device; without annotations the net-conf.json backend decides', () => {
    const hostGw = networkOf({ ...threeNodeCluster({ annotations: (n) => ({ ...flannelAnnotations(n), 'flannel.alpha.coreos.com/backend-type': 'host-gw' }) }), 'cluster/daemonsets.json': kubectlList([flannelDaemonSet]) }).network;
    expect(hostGw.tunnels).toEqual([]);
    const netConf = networkOf({
      ...threeNodeCluster(),
      'cluster/daemonsets.json': kubectlList([flannelDaemonSet]),
      'cluster/configmaps.json': kubectlList([configMap('kube-flannel-cfg', { 'net-conf.json': '{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "wireguard"\n  }\n}\n' })]),
    }).network;
    expect(netConf.tunnels.map((t) => [t.device, t.kind])).toEqual([['flannel-wg', 'wireguard']]);
  });

  it('Canal: a calico CNI config with the canal DaemonSet moves packets with flannel', () => {
    const canal = daemonSet({ namespace: 'kube-system', name: 'canal', containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.3' }, { name: 'kube-flannel', image: 'docker.io/flannel/flannel:v0.25.4' }] });
    const hostLocal = calicoConflist.replace('{ "type": "calico-ipam" }', '{ "type": "host-local", "subnet": "usePodCidr" }');
    const { network } = networkOf({ ...threeNodeCluster({ annotations: flannelAnnotations }), 'cluster/daemonsets.json': kubectlList([canal]), 'nodes/node-a/cni/10-canal.conflist': hostLocal });
    expect(network).toMatchObject({ cni: 'canal', ipam: { kind: 'node-podcidr' } });
    expect(network.tunnels.map((t) => t.device)).toEqual(['flannel.1']);
  });

  it('Cilium: tunnel protocol and IPAM from cilium-config', () => {
    const cilium = daemonSet({ namespace: 'kube-system', name: 'cilium', containers: [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.15.6' }] });
    const geneve = networkOf({ ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([cilium]), 'cluster/configmaps.json': kubectlList([configMap('cilium-config', { 'routing-mode': 'tunnel', 'tunnel-protocol': 'geneve', ipam: 'kubernetes' })]) }).network;
    expect(geneve).toMatchObject({ cni: 'cilium', ipam: { kind: 'node-podcidr' }, tunnels: [expect.objectContaining({ device: 'cilium_geneve', kind: 'geneve' })] });
    const native = networkOf({ ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([cilium]), 'cluster/configmaps.json': kubectlList([configMap('cilium-config', { 'routing-mode': 'native', ipam: 'eni' })]) }).network;
    expect(native).toMatchObject({ tunnels: [], ipam: { kind: 'cni' }, cloudRoutedPods: true, description: 'Cilium, native routing' });
  });

  it('Weave needs its bridge; the AWS VPC CNI routes pods through the VPC', () => {
    const weave = networkOf({ ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([daemonSet({ namespace: 'kube-system', name: 'weave-net', containers: [{ name: 'weave', image: 'weaveworks/weave-kube:2.8.1' }] })]) }).network;
    expect(weave).toMatchObject({ cni: 'weave', ipam: { kind: 'cni' }, tunnels: [expect.objectContaining({ device: 'weave', kind: 'weave' })] });
    const aws = networkOf({ ...threeNodeCluster(), 'cluster/daemonsets.json': kubectlList([daemonSet({ namespace: 'kube-system', name: 'aws-node', containers: [{ name: 'aws-node', image: 'amazon-k8s-cni:v1.18.2' }] })]) }).network;
    expect(aws).toMatchObject({ cni: 'aws-vpc-cni', cloudRoutedPods: true, tunnels: [] });
  });

  it('names the CNI from its devices only when nothing else does, and then expects none', () => {
    const tunl0 = { index: 4, name: 'tunl0', peer: 'NONE', flags: ['NOARP', 'UP', 'LOWER_UP'], mtu: 1480, state: 'UNKNOWN', link: 'link/ipip 0.0.0.0 brd 0.0.0.0', details: ['ipip any remote any local any ttl inherit nopmtudisc'] };
    const { network } = networkOf({ ...threeNodeCluster(), 'nodes/node-b/ip-addr.txt': ipAddr([lo, eth0('10.0.1.12'), tunl0]) });
    expect(network).toMatchObject({ cni: 'calico', detected: true, tunnels: [], evidence: [expect.objectContaining({ file: 'nodes/node-b/ip-addr.txt', line: 9 })] });
    expect(networkOf(threeNodeCluster()).network).toMatchObject({ cni: 'unknown', detected: false, ipam: { kind: 'node-podcidr' } });
  });
});
