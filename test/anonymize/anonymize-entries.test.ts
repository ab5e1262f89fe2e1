import { describe, expect, it } from 'vitest';
import { iptablesEndpointChain, iptablesServiceChains, nftEndpointNames, nftServiceChains } from '../../analyzer/netfilter/kube-proxy-names.js';
import { anonymizeEntries } from '../../collector/anonymize/anonymize-entries.js';
import { deanonymizeText } from '../../collector/anonymize/deanonymize.js';
import { IpPseudonyms } from '../../collector/anonymize/ip-pseudonyms.js';
import type { BundleEntry } from '../../collector/write-bundle.js';

const KEY = Buffer.from('00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210', 'hex');
const OTHER_KEY = Buffer.alloc(32, 0x5a);

const CART = iptablesServiceChains('shop/cart:http', 'tcp');
const CART_SEP = iptablesEndpointChain('shop/cart:http', 'tcp', '10.244.1.5:8080');
const CART_SEP_V6 = iptablesEndpointChain('shop/cart:http', 'tcp', '[fd00:10:244:1::5]:8080');
const CART_NFT = nftServiceChains('shop', 'cart', 'tcp', 'http');
const CART_NFT_EP = nftEndpointNames('shop', 'cart', 'tcp', 'http', '10.244.1.5', 8080);

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'cart-845d9ff6b-mj9pc',
    namespace: 'shop',
    labels: { app: 'cart', 'pod-template-hash': '845d9ff6b' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-845d9ff6b', controller: true }],
  },
  spec: { nodeName: 'worker-eu1-7' },
  status: { podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00:10:244:1::5' }], hostIP: '192.168.10.17' },
};
const coredns = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'coredns-5c8c7f7bf4-9sdhr', namespace: 'kube-system' }, spec: { nodeName: 'worker-eu1-7' }, status: { podIP: '10.244.1.2' } };

const FILES: Record<string, string> = {
  'manifest.json': JSON.stringify(
    {
      format: 'netdump/v1',
      cluster: { context: 'prod', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16' },
      items: [{ path: 'nodes/worker-eu1-7/iptables-save.txt', node: 'worker-eu1-7', command: 'iptables-save', exitCode: 0, stderr: '' }],
      redaction: { secrets: 'never collected', anonymized: false },
    },
    null,
    2,
  ),
  'cluster/namespaces.json': JSON.stringify({ kind: 'List', items: [{ kind: 'Namespace', metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } } }, { kind: 'Namespace', metadata: { name: 'kube-system' } }] }, null, 4),
  'cluster/nodes.json': JSON.stringify({ kind: 'List', items: [{ kind: 'Node', metadata: { name: 'worker-eu1-7' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.10.17' }, { type: 'Hostname', address: 'worker-eu1-7' }] } }] }, null, 4),
  'cluster/pods.json': JSON.stringify({ kind: 'List', items: [pod, coredns] }, null, 4),
  'cluster/services.json': JSON.stringify({ kind: 'List', items: [{ kind: 'Service', metadata: { name: 'cart', namespace: 'shop' }, spec: { clusterIP: '10.96.14.7', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'cart' } } }] }, null, 4),
  'cluster/configmaps.json': JSON.stringify({ kind: 'List', items: [{ kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: '.:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . 8.8.8.8 10.0.0.2\n}\n' } }] }, null, 4),
  'nodes/worker-eu1-7/iptables-save.txt': [
    '*nat',
    `:${CART.svc} - [0:0]`,
    `:${CART_SEP} - [0:0]`,
    `:${CART_SEP_V6} - [0:0]`,
    `-A KUBE-SERVICES -d 10.96.14.7/32 -p tcp -m comment --comment "shop/cart:http cluster IP" -m tcp --dport 80 -j ${CART.svc}`,
    `-A ${CART.svc} -m comment --comment "shop/cart:http -> 10.244.1.5:8080" -j ${CART_SEP}`,
    `-A ${CART_SEP} -s 10.244.1.5/32 -m comment --comment "shop/cart:http" -j KUBE-MARK-MASQ`,
    `-A ${CART_SEP} -p tcp -m comment --comment "shop/cart:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080`,
    `-A ${CART_SEP_V6} -p tcp -m comment --comment "shop/cart:http" -m tcp -j DNAT --to-destination [fd00:10:244:1::5]:8080`,
    '-A KUBE-SEP-STALESTALESTALE2 -p tcp -m comment --comment "shop/cart:http" -m tcp -j DNAT --to-destination 10.244.9.9:8080',
    'COMMIT',
    '',
  ].join('\n'),
  'nodes/worker-eu1-7/nft-ruleset.txt': [
    'table ip kube-proxy {',
    '\tmap service-ips {',
    `\t\telements = { 10.96.14.7 . tcp . 80 : goto ${CART_NFT.service} }`,
    '\t}',
    `\tchain ${CART_NFT_EP.endpoint} {`,
    '\t\tip saddr 10.244.1.5 jump mark-for-masquerade',
    '\t\tmeta l4proto tcp dnat to 10.244.1.5:8080',
    '\t}',
    '}',
    '',
  ].join('\n'),
  'nodes/worker-eu1-7/ipvsadm.txt': 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.96.14.7:80 rr\n  -> 10.244.1.5:8080               Masq    1      0          0\n',
  'nodes/worker-eu1-7/ipset-save.txt': 'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536\nadd KUBE-CLUSTER-IP 10.96.14.7,tcp:80\n',
  'nodes/worker-eu1-7/ip-route.txt': 'default via 192.168.10.1 dev eth0 proto dhcp src 192.168.10.17 metric 100\n10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1\n10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink\n',
  'nodes/worker-eu1-7/conntrack.txt': 'udp      17 29 src=10.244.1.5 dst=10.96.0.10 sport=53042 dport=53 src=10.244.1.2 dst=10.244.1.5 sport=53 dport=53042 mark=0 use=1\n',
  'nodes/worker-eu1-7/resolv.conf': 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch eu1.internal\n',
  'pods/shop/cart-845d9ff6b-mj9pc/resolv.conf': 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
  'logs/kube-system/coredns-5c8c7f7bf4-9sdhr/coredns.log': '[INFO] 10.244.1.5:53042 - 4242 "A IN cart.shop.svc.cluster.local. udp 46 false 512" NOERROR qr,aa,rd 102 0.000139s\n',
  'nodes/worker-eu1-7/docker/containers.json': JSON.stringify([{ Name: '/web', NetworkSettings: { IPAddress: '172.17.0.2', Gateway: '172.17.0.1', MacAddress: '02:42:ac:11:00:02' } }], null, 4),
  // `ip -d link show` (iproute2 6.1): eth0, the cni0 bridge (its bridge_id repeats its MAC without leading zeros), a cali veth, flannel.1.
  'nodes/worker-eu1-7/ip-link.txt': [
    '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000',
    '    link/ether 52:54:00:0a:7b:3c brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 ',
    '3: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000',
    '    link/ether 0e:31:0a:7f:04:d2 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 ',
    '    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 vlan_protocol 802.1Q bridge_id 8000.e:31:a:7f:4:d2 designated_root 8000.e:31:a:7f:4:d2 root_port 0 ',
    '4: cali1e2a3b4c5d6@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default',
    '    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-8d3c2f1e-5b6a-4c7d-9e8f-0a1b2c3d4e5f promiscuity 0 ',
    '5: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default',
    '    link/ether 9A:1C:3F:55:0B:E7 brd ff:ff:ff:ff:ff:ff promiscuity 0 ',
    '    vxlan id 1 local 192.168.10.17 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 ',
    '',
  ].join('\n'),
  'nodes/worker-eu1-7/ip-addr.txt': '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether 52:54:00:0a:7b:3c brd ff:ff:ff:ff:ff:ff\n    inet 192.168.10.17/24 brd 192.168.10.255 scope global eth0\n',
};

const entries: BundleEntry[] = Object.entries(FILES).map(([path, data]) => ({ path, data }));

function anonymized(key = KEY) {
  const result = anonymizeEntries(entries, key);
  const files = new Map(result.entries.map((e) => [e.path, String(e.data)]));
  return { ...result, files };
}

describe('anonymizeEntries', () => {
  const { files, map } = anonymized();
  const ns = map.names.forward['shop']!;
  const node = map.names.forward['worker-eu1-7']!;
  const podName = map.names.forward['cart-845d9ff6b-mj9pc']!;
  const corednsPod = map.names.forward['coredns-5c8c7f7bf4-9sdhr']!;
  const ips = new IpPseudonyms(KEY);
  const ip = (address: string) => ips.mapAddress(address)!;

  it('gives namespaces, nodes and pods keyed pseudonyms and keeps system names, Services and component prefixes', () => {
    expect(ns).toMatch(/^ns-[0-9a-f]{8}$/);
    expect(node).toMatch(/^node-[0-9a-f]{8}$/);
    expect(podName).toMatch(/^pod-[0-9a-f]{8}$/);
    expect(corednsPod).toMatch(/^coredns-[0-9a-f]{8}$/);
    expect(map.names.forward['kube-system']).toBeUndefined();
    expect(map.names.forward['cart']).toBeUndefined();
    expect(map.names.reverse[ns]).toBe('shop');
  });

  it('renames the folders named after nodes, namespaces and pods', () => {
    expect([...files.keys()]).toEqual(
      expect.arrayContaining([
        `nodes/${node}/iptables-save.txt`,
        `pods/${ns}/${podName}/resolv.conf`,
        `logs/kube-system/${corednsPod}/coredns.log`,
      ]),
    );
  });

  it('rewrites names and addresses in API objects, label values and owner references included', () => {
    const pods = JSON.parse(files.get('cluster/pods.json')!) as { items: (typeof pod)[] };
    const cart = pods.items[0]!;
    expect(cart.metadata).toMatchObject({ name: podName, namespace: ns, labels: { app: 'cart' } });
    expect(cart.metadata.ownerReferences[0]!.name).toBe('cart-845d9ff6b');
    expect(cart.spec.nodeName).toBe(node);
    expect(cart.status).toEqual({ podIP: ip('10.244.1.5'), podIPs: [{ ip: ip('10.244.1.5') }, { ip: ip('fd00:10:244:1::5') }], hostIP: ip('192.168.10.17') });
    const namespaces = JSON.parse(files.get('cluster/namespaces.json')!) as { items: Array<{ metadata: { name: string; labels?: Record<string, string> } }> };
    expect(namespaces.items[0]!.metadata).toEqual({ name: ns, labels: { 'kubernetes.io/metadata.name': ns } });
    expect(files.get('cluster/configmaps.json')).toContain(`forward . ${ip('8.8.8.8')} ${ip('10.0.0.2')}\\n`);
  });

  it('keeps the layout of JSON files: same lines, only the values changed', () => {
    const before = FILES['cluster/pods.json']!.split('\n');
    const after = files.get('cluster/pods.json')!.split('\n');
    expect(after.length).toBe(before.length);
    expect(after.filter((line, i) => line !== before[i]).every((line) => /"(name|namespace|nodeName|podIP|ip|hostIP)"/.test(line))).toBe(true);
  });

  it('recomputes kube-proxy chain hashes from the renamed namespace and the new endpoint addresses', () => {
    const spn = `${ns}/cart:http`;
    const svc = iptablesServiceChains(spn, 'tcp').svc;
    const sep = iptablesEndpointChain(spn, 'tcp', `${ip('10.244.1.5')}:8080`);
    const sepV6 = iptablesEndpointChain(spn, 'tcp', `[${ip('fd00:10:244:1::5')}]:8080`);
    const dump = files.get(`nodes/${node}/iptables-save.txt`)!;
    expect(dump).toContain(`-A KUBE-SERVICES -d ${ip('10.96.14.7')}/32 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j ${svc}`);
    expect(dump).toContain(`-A ${svc} -m comment --comment "${spn} -> ${ip('10.244.1.5')}:8080" -j ${sep}`);
    expect(dump).toContain(`-A ${sep} -p tcp -m comment --comment "${spn}" -m tcp -j DNAT --to-destination ${ip('10.244.1.5')}:8080`);
    expect(dump).toContain(`-A ${sepV6} -p tcp -m comment --comment "${spn}" -m tcp -j DNAT --to-destination [${ip('fd00:10:244:1::5')}]:8080`);
    // A chain no Service explains (stale) keeps its name: the analyzer still reports it stale.
    expect(dump).toContain(`-A KUBE-SEP-STALESTALESTALE2 -p tcp -m comment --comment "${spn}" -m tcp -j DNAT --to-destination ${ip('10.244.9.9')}:8080`);
    expect(map.chains.reverse[sep]).toBe(CART_SEP);

    const nft = files.get(`nodes/${node}/nft-ruleset.txt`)!;
    expect(nft).toContain(`goto ${nftServiceChains(ns, 'cart', 'tcp', 'http').service} }`);
    expect(nft).toContain(`chain ${nftEndpointNames(ns, 'cart', 'tcp', 'http', ip('10.244.1.5'), 8080).endpoint} {`);
  });

  it('rewrites addresses in every node output format', () => {
    expect(files.get(`nodes/${node}/ipvsadm.txt`)).toContain(`TCP  ${ip('10.96.14.7')}:80 rr\n  -> ${ip('10.244.1.5')}:8080               Masq`);
    expect(files.get(`nodes/${node}/ipset-save.txt`)).toContain(`add KUBE-CLUSTER-IP ${ip('10.96.14.7')},tcp:80\n`);
    const route = files.get(`nodes/${node}/ip-route.txt`)!;
    expect(route).toContain(`default via ${ip('192.168.10.1')} dev eth0 proto dhcp src ${ip('192.168.10.17')} metric 100`);
    expect(route).toContain(`${ips.mapPrefix('10.244.1.0', 24)} dev cni0 proto kernel scope link src ${ip('10.244.1.1')}`);
    expect(files.get(`nodes/${node}/conntrack.txt`)).toBe(
      `udp      17 29 src=${ip('10.244.1.5')} dst=${ip('10.96.0.10')} sport=53042 dport=53 src=${ip('10.244.1.2')} dst=${ip('10.244.1.5')} sport=53 dport=53042 mark=0 use=1\n`,
    );
    expect(files.get(`nodes/${node}/resolv.conf`)).toBe(FILES['nodes/worker-eu1-7/resolv.conf']);
    expect(files.get(`pods/${ns}/${podName}/resolv.conf`)).toBe(`search ${ns}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${ip('10.96.0.10')}\noptions ndots:5\n`);
    expect(files.get(`logs/kube-system/${corednsPod}/coredns.log`)).toContain(`[INFO] ${ip('10.244.1.5')}:53042 - 4242 "A IN cart.${ns}.svc.cluster.local. udp 46`);
    expect(files.get(`nodes/${node}/docker/containers.json`)).toContain(`"IPAddress": "${ip('172.17.0.2')}"`);
  });

  it('keeps the pod CIDR a CIDR that holds the pods’ new addresses', () => {
    const nodes = JSON.parse(files.get('cluster/nodes.json')!) as { items: Array<{ spec: { podCIDR: string } }> };
    const podCidr = nodes.items[0]!.spec.podCIDR;
    expect(podCidr).toMatch(/^10\.\d+\.\d+\.0\/24$/);
    expect(ip('10.244.1.5').split('.').slice(0, 3).join('.')).toBe(podCidr.split('.').slice(0, 3).join('.'));
  });

  it('marks the manifest anonymized and renames its kube context and the nodes it records', () => {
    const manifest = JSON.parse(files.get('manifest.json')!) as { redaction: { anonymized: boolean }; items: Array<{ node: string; path: string }>; cluster: { serviceCIDR: string; context: string } };
    expect(manifest.redaction.anonymized).toBe(true);
    expect(manifest.cluster.context).toMatch(/^ctx-[0-9a-f]{8}$/);
    expect(map.names.reverse[manifest.cluster.context]).toBe('prod');
    expect(manifest.items[0]).toMatchObject({ node, path: `nodes/${node}/iptables-save.txt` });
    expect(manifest.cluster.serviceCIDR).toBe(ips.mapPrefix('10.96.0.0', 12));
  });

  it('records every address it changed, both ways', () => {
    expect(map.addresses.forward['10.244.1.5']).toBe(ip('10.244.1.5'));
    expect(map.addresses.reverse[ip('10.244.1.5')]).toBe('10.244.1.5');
    expect(map.addresses.forward['127.0.0.53']).toBeUndefined();
    expect(map.keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('turns back an address the analyzer computed from a mapped prefix by its offset in it', () => {
    const image = ips.mapPrefix('10.244.1.0', 24)!;
    expect(map.addresses.reverse[image]).toBe('10.244.1.0/24');
    // A rule may look up an address of a podCIDR that the bundle never wrote (route-missing: its first one).
    const base = image.replace(/\.0\/24$/, '');
    const offset = [1, 77, 201, 250].find((n) => map.addresses.reverse[`${base}.${n}`] === undefined)!;
    expect(offset).toBeDefined();
    expect(deanonymizeText(`"blackhole ${image}" catches ${base}.${offset}`, map)).toBe(`"blackhole 10.244.1.0/24" catches 10.244.1.${offset}`);
    // Addresses the bundle held still turn back through the map, not by their offset.
    expect(deanonymizeText(ip('10.244.1.5'), map)).toBe('10.244.1.5');
  });

  it('leaves kept addresses alone even inside a mapped network (a public /3 holds 169.254/16)', () => {
    const empty = { forward: {}, reverse: {} };
    const wide = { ...map, names: empty, chains: empty, addresses: { forward: { '96.0.0.0/3': '160.0.0.0/3' }, reverse: { '160.0.0.0/3': '96.0.0.0/3' } } };
    expect(deanonymizeText('metadata at 169.254.169.254, peer 160.1.2.3', wide)).toBe('metadata at 169.254.169.254, peer 96.1.2.3');
  });

  it("replaces a NIC's own part of its MAC, the same in every file, and keeps the vendor prefix", () => {
    const link = files.get(`nodes/${node}/ip-link.txt`)!;
    const eth0 = map.macs!.forward['52:54:00:0a:7b:3c']!;
    expect(eth0).toMatch(/^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
    expect(eth0).not.toBe('52:54:00:0a:7b:3c');
    expect(link).toContain(`link/ether ${eth0} brd ff:ff:ff:ff:ff:ff`);
    expect(files.get(`nodes/${node}/ip-addr.txt`)).toContain(`link/ether ${eth0} brd`);
    // The bridge id is the bridge's MAC without leading zeros, and follows it.
    const cni0 = map.macs!.forward['0e:31:0a:7f:04:d2']!;
    const bridgeId = `8000.${cni0.split(':').map((b) => b.replace(/^0/, '')).join(':')}`;
    expect(link).toContain(`bridge_id ${bridgeId} designated_root ${bridgeId} `);
    // Written in upper case, it stays upper case; Docker's MAC in containers.json changes too.
    expect(link).toContain(`link/ether ${map.macs!.forward['9a:1c:3f:55:0b:e7']!.toUpperCase()} brd`);
    expect(files.get(`nodes/${node}/docker/containers.json`)).toContain(`"MacAddress": "${map.macs!.forward['02:42:ac:11:00:02']}"`);
    // Broadcast and Calico's fixed veth MAC say nothing about the customer.
    expect(link).toContain('link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff');
    for (const original of ['52:54:00:0a:7b:3c', '0e:31:0a:7f:04:d2', 'e:31:a:7f:4:d2', '9A:1C:3F:55:0B:E7', '02:42:ac:11:00:02']) {
      expect([...files.values()].some((text) => text.includes(original)), original).toBe(false);
    }
    // And the report turns back.
    expect(deanonymizeText(`eth0 ${eth0}, bridge ${bridgeId}`, map)).toBe('eth0 52:54:00:0a:7b:3c, bridge 8000.e:31:a:7f:4:d2');
  });

  it('renames a host captured with --local under its upper-case host name, in either spelling', () => {
    const host = anonymizeEntries(
      [
        { path: 'manifest.json', data: `${JSON.stringify({ format: 'netdump/v1', collection: { mode: 'local', nodes: ['WEB-01'] }, items: [{ path: 'nodes/WEB-01/sysctl.txt', node: 'WEB-01', command: 'sysctl net.ipv4.ip_forward', exitCode: 0, stderr: '' }] }, null, 2)}\n` },
        { path: 'nodes/WEB-01/sysctl.txt', data: 'net.ipv4.ip_forward = 1\n' },
        { path: 'nodes/WEB-01/resolv.conf', data: '# written by WEB-01 provisioning\nsearch web-01.corp.example corp.example\nnameserver 10.20.0.2\n' },
      ],
      KEY,
    );
    const pseudonym = host.map.names.forward['WEB-01']!;
    expect(pseudonym).toMatch(/^node-[0-9a-f]{8}$/);
    expect(host.map.names.forward['web-01']).toBe(pseudonym);
    expect(host.entries.map((e) => e.path)).toEqual(['manifest.json', `nodes/${pseudonym}/sysctl.txt`, `nodes/${pseudonym}/resolv.conf`]);
    const text = host.entries.map((e) => String(e.data)).join('\n');
    expect(text).not.toMatch(/web-01/i);
    expect(String(host.entries[2]!.data)).toContain(`search ${pseudonym}.corp.example corp.example`);
    // Upper-case words that are no collected name stay as they are.
    expect(String(host.entries[0]!.data)).toContain('"mode": "local"');
  });

  it('gives the same output for the same key and a different one for another key', () => {
    const again = anonymized();
    expect(again.entries).toEqual(anonymizeEntries(entries, KEY).entries);
    expect(again.map).toEqual(map);
    const other = anonymized(OTHER_KEY);
    expect(other.map.names.forward['shop']).not.toBe(ns);
    expect(other.map.addresses.forward['10.244.1.5']).not.toBe(ip('10.244.1.5'));
    expect(other.map.keyId).not.toBe(map.keyId);
  });

  it('reads the names from YAML objects too (kubectl get -o yaml)', () => {
    const yaml = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata:',
      '    name: billing-5d8f7c9b4-q2w7e',
      '    namespace: payments',
      '  spec:',
      '    nodeName: worker-eu1-9',
      '  status:',
      '    podIP: 10.244.3.7',
      '',
    ].join('\n');
    const result = anonymizeEntries([{ path: 'cluster/pods.yaml', data: yaml }], KEY);
    const text = String(result.entries[0]!.data);
    for (const original of ['billing-5d8f7c9b4-q2w7e', 'payments', 'worker-eu1-9', '10.244.3.7']) expect(text).not.toContain(original);
    expect(text).toContain(`    namespace: ${result.map.names.forward['payments']}\n`);
    expect(text).toContain(`    podIP: ${new IpPseudonyms(KEY).mapAddress('10.244.3.7')}\n`);
  });
});
