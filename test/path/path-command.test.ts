/**
 * `netdump path` in process, as main.ts registers it, on shipped scenario bundles: an MTU black
 * hole (flannel-vxlan-mtu-mismatch), a missing route (calico-ipip-route-missing), forwarding off
 * (node-forwarding-off), a downed tunnel (tunnel-down-ipip), strict rp_filter over asymmetric routes
 * (rp-filter-strict-multi-nic), a healthy cluster, and Docker hosts; its exit codes and usage errors.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerPathCommand } from '../../analyzer/cli/commands/path.js';
import { scenarioDir } from '../cli/run-cli.js';
import { runCliInProcess } from '../helpers/run-cli-in-process.js';

const path = (...args: string[]) => runCliInProcess(registerPathCommand, 'path', args);

type Json = Record<string, any>;
async function pathJson(...args: string[]): Promise<{ status: number; json: Json }> {
  const out = await path(...args, '--format', 'json');
  expect(out.stderr).toBe('');
  return { status: out.status, json: JSON.parse(out.stdout) as Json };
}

// The shop's frontend on node-b and cart on node-c, in every shop-prod scenario.
const FRONTEND_B = 'shop/frontend-5997b69cc8-d2pms';
const CART_C = 'shop/cart-845d9ff6b-nsk8z';

describe('netdump path on shipped scenarios', () => {
  it('flannel-vxlan-mtu-mismatch: an MTU black hole, 1450 bytes get through, the pods send 1500 (exit 1)', async () => {
    const out = await path(scenarioDir('flannel-vxlan-mtu-mismatch'), '--from', FRONTEND_B, '--to', `${CART_C}:8080`);
    expect(out.status).toBe(1);
    expect(out.stdout.split('\n').slice(0, 2)).toEqual([
      `${FRONTEND_B} (10.244.1.14, node-b) → ${CART_C} (10.244.2.21, node-c)  tcp/8080`,
      'MTU BLACK HOLE: the pod sends packets of up to 1500 bytes, but only 1450 get through (eth0 on node-b (mtu 1500 − 50 bytes of VXLAN)): larger ones are dropped without an ICMP answer, so large responses and TLS handshakes hang',
    ]);
    expect(out.stdout).toContain('encapsulation  VXLAN, 50 bytes: flannel.1 (mtu 1500) over eth0 (mtu 1500)');
    const { json } = await pathJson(scenarioDir('flannel-vxlan-mtu-mismatch'), '--from', FRONTEND_B, '--to', `${CART_C}:8080`);
    expect(json.verdict).toBe('mtu-black-hole');
    expect(json.works).toBe(false);
    expect(json.mtu).toMatchObject({ sent: 1500, largest: 1450, blackHole: true });
    expect(json.encapsulation).toMatchObject({ kind: 'vxlan', overhead: 50, device: 'flannel.1', underlay: 'eth0' });
    const link = json.hops.find((h: Json) => h.kind === 'link');
    expect(link.evidence.map((e: Json) => `${e.file}:${e.line}`)).toEqual(['nodes/node-b/ip-link.txt:14', 'nodes/node-b/ip-link.txt:7']);
  });

  it('flannel-vxlan-mtu-mismatch, two pods on node-b: bridged on cni0, no tunnel, no black hole (exit 0)', async () => {
    const { status, json } = await pathJson(scenarioDir('flannel-vxlan-mtu-mismatch'), '--from', FRONTEND_B, '--to', 'shop/cart-845d9ff6b-mj9pc:8080');
    expect(status).toBe(0);
    expect(json.hops.map((h: Json) => h.kind)).toEqual(['pod', 'node', 'pod']);
    expect(json.notes).toContain('both pods hang off the bridge cni0: it switches the frames, the node does not route them, and iptables sees them only through br_netfilter (net.bridge.bridge-nf-call-iptables = 1)');
  });

  it('calico-ipip-route-missing: node-b has no tunl0 route to node-c’s pods (exit 1), nor for the replies to them; node-a has', async () => {
    const out = await path(scenarioDir('calico-ipip-route-missing'), '--from', FRONTEND_B, '--to', `${CART_C}:8080`);
    expect(out.status).toBe(1);
    expect(out.stdout.split('\n')[1]).toBe('BLOCKED: blocked at node-b: only the default route matches 10.244.2.21, not tunl0: the packet leaves eth0 unencapsulated for 10.0.1.1, which has no route to pod addresses');
    expect(out.stdout).toContain('nodes/node-b/ip-route.txt:1  default via 10.0.1.1 dev eth0 proto static  (matching route)');

    // node-c → node-b: the request goes through tunl0 and arrives; node-b's replies hit the same missing route.
    const reverse = await pathJson(scenarioDir('calico-ipip-route-missing'), '--from', 'shop/frontend-5997b69cc8-xlwlf', '--to', 'shop/cart-845d9ff6b-mj9pc:8080');
    expect([reverse.status, reverse.json.verdict, reverse.json.from.node, reverse.json.to.node]).toEqual([1, 'blocked', 'node-c', 'node-b']);
    expect(reverse.json.encapsulation).toMatchObject({ kind: 'ipip', overhead: 20, device: 'tunl0', deviceMtu: 1480, underlayMtu: 1500 });
    expect(reverse.json.hops.at(-1)).toMatchObject({ name: 'node-b (replies)', status: 'blocked' });
    expect(reverse.json.reason).toContain('the replies to 10.244.2.9 cannot get back: only the default route matches 10.244.2.9, not tunl0');

    const { status, json } = await pathJson(scenarioDir('calico-ipip-route-missing'), '--from', 'shop/frontend-5997b69cc8-xlwlf', '--to', 'kube-system/coredns-5c8c7f7bf4-mc2fz:53');
    expect([status, json.verdict, json.from.node, json.to.node]).toEqual([0, 'works', 'node-c', 'node-a']);
  });

  it('node-forwarding-off: node-c drops what it should forward to its pods (exit 1)', async () => {
    const { status, json } = await pathJson(scenarioDir('node-forwarding-off'), '--from', FRONTEND_B, '--to', `${CART_C}:8080`);
    expect(status).toBe(1);
    expect(json.reason).toBe('blocked at node-c: node-c does not forward it: net.ipv4.ip_forward is 0: the host does not forward packets arriving on eth0');
    const nodeC = json.hops.find((h: Json) => h.name === 'node-c');
    expect(nodeC.evidence).toContainEqual({ file: 'nodes/node-c/sysctl.txt', line: 1, text: 'net.ipv4.ip_forward = 0', note: 'net.ipv4.ip_forward = 0' });
  });

  it('tunnel-down-ipip: node-c keeps no route through its downed tunl0, and does not unwrap what arrives for it (exit 1)', async () => {
    const { status, json } = await pathJson(scenarioDir('tunnel-down-ipip'), '--from', FRONTEND_B, '--to', `${CART_C}:8080`);
    expect(status).toBe(1);
    expect(json.reason).toBe('blocked at node-c: tunl0 is down on node-c: the IP-in-IP packets from node-b are not unwrapped');
    expect(json.hops.find((h: Json) => h.name === 'node-c').evidence[0]).toMatchObject({ file: 'nodes/node-c/ip-link.txt', line: 14 });
    const back = await pathJson(scenarioDir('tunnel-down-ipip'), '--from', CART_C, '--to', `${FRONTEND_B}:8080`);
    expect(back.json.reason).toBe('blocked at node-c: only the default route matches 10.244.1.14, not tunl0: the packet leaves eth0 unencapsulated for 10.0.1.1, which has no route to pod addresses');
  });

  it('rp-filter-strict-multi-nic (flannel host-gw): node-c sends to node-b over eth1, node-b answers over eth0 and filters strictly (exit 1)', async () => {
    const { status, json } = await pathJson(scenarioDir('rp-filter-strict-multi-nic'), '--from', 'shop/frontend-5997b69cc8-xlwlf', '--to', 'shop/cart-845d9ff6b-mj9pc:8080');
    expect(status).toBe(1);
    expect(json.reason).toContain('blocked at node-b');
    expect(json.reason).toContain('rp_filter strict on eth1: the route back to 10.244.2.9 leaves through eth0');
    expect(json.hops.find((h: Json) => h.name === 'node-b').details).toContain('arrives on eth1 from 10.244.2.9');
    // node-b's own pods reach node-c: node-c filters loosely.
    const back = await pathJson(scenarioDir('rp-filter-strict-multi-nic'), '--from', 'shop/cart-845d9ff6b-mj9pc', '--to', 'shop/frontend-5997b69cc8-xlwlf:8080');
    expect([back.status, back.json.verdict]).toEqual([0, 'works']);
  });

  it('healthy-cluster-node-network: the path works, natively routed over BGP (exit 0), and says what it could not check', async () => {
    const out = await path(scenarioDir('healthy-cluster-node-network'), '--from', FRONTEND_B, '--to', `${CART_C}:8080`);
    expect(out.status).toBe(0);
    expect(out.stdout.split('\n')[1]).toBe('WORKS: nothing on the path drops it; 2 things not collected or not modelled, listed per hop');
    expect(out.stdout).toContain('? not collected: nodes/node-b/iptables-save.txt');
    expect(out.stdout).toContain('encapsulation  none (routed natively, learned over BGP) out of eth0 (mtu 1500)');
    expect(out.stdout).toContain('policy         allowed by Profile/kns.shop');
  });

  it('a Service ClusterIP without the data plane: followed to an endpoint through the EndpointSlices', async () => {
    const { status, json } = await pathJson(scenarioDir('healthy-cluster-node-network'), '--from', FRONTEND_B, '--to', '10.96.0.10:53', '--proto', 'udp');
    expect(status).toBe(0);
    expect(json.translatedFrom).toMatchObject({ ip: '10.96.0.10', port: 53, what: 'Service kube-system/kube-dns' });
    expect(json.to.name).toMatch(/^kube-system\/coredns-/);
    expect(json.protocol).toBe('udp');
  });
});

const DOCKER_ISOLATED = scenarioDir('docker-containers-isolated');
const DOCKER_HEALTHY = scenarioDir('docker-host-healthy');

describe.skipIf(!existsSync(DOCKER_ISOLATED) || !existsSync(DOCKER_HEALTHY))('netdump path on shipped Docker host scenarios', () => {
  it('docker-containers-isolated: web and api on different compose networks, dropped by the isolation chains (exit 1)', async () => {
    const out = await path(DOCKER_ISOLATED, '--from', 'shop-web-1', '--to', 'shop-api-1:8080');
    expect(out.status).toBe(1);
    expect(out.stdout.split('\n')[1]).toMatch(/^BLOCKED: blocked at docker-01: docker-01's iptables drop it: dropped by DOCKER-ISOLATION-STAGE-2 \(nodes\/docker-01\/iptables-save\.txt:\d+\)$/);
  });

  it('docker-host-healthy: web reaches api on their shared network (exit 0)', async () => {
    const { status, json } = await pathJson(DOCKER_HEALTHY, '--from', 'shop-web-1', '--to', 'shop-api-1:8080');
    expect(status).toBe(0);
    expect(json.kind).toBe('docker');
    expect(json.hops.map((h: Json) => h.kind)).toEqual(['container', 'host', 'container']);
  });
});

describe('netdump path usage', () => {
  const bundle = scenarioDir('healthy-cluster-node-network');

  it('an unknown pod: exit 2 with the near names', async () => {
    const out = await path(bundle, '--from', 'shop/frontend', '--to', `${CART_C}:8080`);
    expect(out.status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe('netdump: no pod shop/frontend in the bundle\ndid you mean: shop/frontend-5997b69cc8-d2pms, shop/frontend-5997b69cc8-xlwlf?\n');
  });

  it('a bad port, an unknown protocol, a missing --to: exit 2', async () => {
    expect((await path(bundle, '--from', FRONTEND_B, '--to', `${CART_C}:0`)).status).toBe(2);
    expect((await path(bundle, '--from', FRONTEND_B, '--to', CART_C, '--proto', 'sctp')).status).toBe(2);
    expect((await path(bundle, '--from', FRONTEND_B)).status).toBe(2);
  });

  it('an unreadable bundle: exit 2', async () => {
    const out = await path('/nonexistent/bundle.tgz', '--from', FRONTEND_B, '--to', CART_C);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/^netdump: /);
  });

  it('--help states the exit codes', async () => {
    const out = await path('--help');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('Exit status: 0 the path works (nothing collected drops it), 1 it is blocked, large packets vanish');
  });
});
