import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { diffDataplane } from '../../analyzer/kubeproxy/dataplane-diff.js';
import { ExpectedDataplanes } from '../../analyzer/kubeproxy/expected-dataplane.js';
import { reconstructIpvs } from '../../analyzer/kubeproxy/reconstruct-ipvs.js';
import { buildServicePortIndex } from '../../analyzer/kubeproxy/service-port-index.js';
import { parseIpsetSave } from '../../analyzer/netfilter/parse-ipset-save.js';
import { parseIpvsadm } from '../../analyzer/netfilter/parse-ipvsadm.js';
import { endpointSlice, kubectlList, service } from '../helpers/kube-objects.js';

type Json = Record<string, any>;

const NODE = 'node-b';
const NODE_IP = '10.0.1.12';

const dns = service({
  namespace: 'kube-system',
  name: 'kube-dns',
  clusterIPs: ['10.96.0.10'],
  selector: { 'k8s-app': 'kube-dns' },
  ports: [
    { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
  ],
});
const dnsSlice = endpointSlice({
  namespace: 'kube-system',
  service: 'kube-dns',
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ],
  endpoints: [
    { ip: '10.244.0.3', node: 'node-a' },
    { ip: '10.244.1.2', node: 'node-b' },
  ],
});
const web = service({ namespace: 'shop', name: 'web', type: 'NodePort', clusterIPs: ['10.96.14.7'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 31080 }] });
(web.spec as Json).externalTrafficPolicy = 'Local';
(web.spec as Json).sessionAffinity = 'ClientIP';
(web.spec as Json).sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
const webSlice = endpointSlice({ namespace: 'shop', service: 'web', ports: [{ name: 'http', port: 8080 }], endpoints: [{ ip: '10.244.1.5', node: 'node-b' }, { ip: '10.244.2.7', node: 'node-c' }] });

const IPVSADM = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.1.12:31080 rr persistent 10800
  -> 10.244.1.5:8080              Masq    1      0          0
TCP  10.96.0.10:53 rr
  -> 10.244.0.3:53                Masq    1      0          0
  -> 10.244.1.2:53                Masq    1      0          0
TCP  10.96.14.7:80 rr persistent 10800
  -> 10.244.1.5:8080              Masq    1      2          0
  -> 10.244.2.7:8080              Masq    1      0          1
UDP  10.96.0.10:53 rr
  -> 10.244.0.3:53                Masq    1      0          0
  -> 10.244.1.2:53                Masq    0      0          3
TCP  10.96.77.1:443 rr
  -> 10.244.2.40:8443             Masq    1      0          0
`;
const IPSET = `create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x3c1a9f01
add KUBE-CLUSTER-IP 10.96.0.10,udp:53
add KUBE-CLUSTER-IP 10.96.0.10,tcp:53
add KUBE-CLUSTER-IP 10.96.14.7,tcp:80
add KUBE-CLUSTER-IP 10.96.77.1,tcp:443
create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
add KUBE-NODE-PORT-TCP 31080
create KUBE-NODE-PORT-LOCAL-TCP bitmap:port range 0-65535
add KUBE-NODE-PORT-LOCAL-TCP 31080
`;

function analyze(ipvsText: string, ipsetText: string) {
  const model = buildModel(bundleFromFiles({ 'cluster/services.json': kubectlList([dns, web]), 'cluster/endpointslices.json': kubectlList([dnsSlice, webSlice]) }));
  const index = buildServicePortIndex(model.kube);
  const ipvsFile = new SourceFile(`nodes/${NODE}/ipvsadm.txt`, ipvsText);
  const ipsetFile = new SourceFile(`nodes/${NODE}/ipset-save.txt`, ipsetText);
  const programmed = reconstructIpvs(
    NODE,
    4,
    { ipvs: { file: ipvsFile, value: parseIpvsadm(ipvsFile).value }, ipset: { file: ipsetFile, value: parseIpsetSave(ipsetFile).value }, nodeAddresses: [NODE_IP] },
    index,
  );
  const expected = new ExpectedDataplanes(model.kube, index).forNode(NODE, 4);
  return { programmed, diff: diffDataplane(expected, programmed, undefined) };
}

describe('reconstructIpvs', () => {
  it('reads virtual servers as frontends, real servers as endpoints, ipsets for what each address is', () => {
    const { programmed } = analyze(IPVSADM, IPSET);
    const frontends = Object.fromEntries([...programmed.frontends.values()].map((f) => [f.key, `${f.kind} ${f.action} → ${f.endpoints.map((e) => `${e.address} ${e.share}`).join(', ')}`]));
    expect(frontends).toEqual({
      'node|tcp|31080': 'node-port forward → 10.244.1.5:8080 1',
      '10.96.0.10|tcp|53': 'cluster-ip forward → 10.244.0.3:53 0.5, 10.244.1.2:53 0.5',
      '10.96.14.7|tcp|80': 'cluster-ip forward → 10.244.1.5:8080 0.5, 10.244.2.7:8080 0.5',
      // weight 0: kube-proxy is draining 10.244.1.2 (graceful termination): no new connections.
      '10.96.0.10|udp|53': 'cluster-ip forward → 10.244.0.3:53 1',
      // Listed in KUBE-CLUSTER-IP, but no Service has it: a Service deleted since.
      '10.96.77.1|tcp|443': 'cluster-ip forward → 10.244.2.40:8443 1',
    });
    const webPort = programmed.servicePorts.find((p) => p.spn === 'shop/web:http')!;
    expect(webPort.external?.policy).toBe('Local');
    expect(webPort.cluster?.affinitySeconds).toBe(10800);
    expect(programmed.servicePorts.find((p) => p.key === '?10.96.77.1|tcp|443')?.ref).toBeUndefined();
  });

  it('compares with the API: the drained real server, the deleted Service', () => {
    const { diff } = analyze(IPVSADM, IPSET);
    expect(diff.map((d) => [d.kind, d.frontend.key, d.addresses])).toEqual([
      ['missing-endpoint', '10.96.0.10|udp|53', ['10.244.1.2:53']],
      ['stale-service', '10.96.77.1|tcp|443', ['10.244.2.40:8443']],
    ]);
  });

  it('treats a virtual server without real servers as the IPVS form of "no endpoints"', () => {
    const emptyWeb = IPVSADM.replace('TCP  10.96.14.7:80 rr persistent 10800\n  -> 10.244.1.5:8080              Masq    1      2          0\n  -> 10.244.2.7:8080              Masq    1      0          1\n', 'TCP  10.96.14.7:80 rr persistent 10800\n');
    const { programmed, diff } = analyze(emptyWeb, IPSET);
    expect(programmed.frontends.get('10.96.14.7|tcp|80')!.action).toBe('blackhole');
    expect(diff.filter((d) => d.frontend.key === '10.96.14.7|tcp|80').map((d) => d.kind)).toEqual(['missing-endpoint']);
  });

  it('skips virtual servers that are neither API addresses nor in kube-proxy’s ipsets', () => {
    const withOther = `${IPVSADM}TCP  192.168.50.10:6443 wlc\n  -> 192.168.50.11:6443             Route   1      0          0\n`;
    const { programmed } = analyze(withOther, IPSET);
    expect(programmed.frontends.has('192.168.50.10|tcp|6443')).toBe(false);
  });
});
