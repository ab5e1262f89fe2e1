import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { rewriteJsonText, rewriteText, type TokenMapper } from '../../collector/anonymize/text-rewriter.js';

/** A mapper whose replacements are easy to read: an address becomes one that tells its length. */
const mapper: TokenMapper = {
  address: (text) => (!isIP(text) ? undefined : text === '127.0.0.1' ? text : text.includes(':') ? `fd00::${text.length}` : `10.9.9.${text.length}`),
  prefix: (address, bits) => (address.endsWith('.0') ? `10.9.0.0/${bits}` : undefined),
  name: (token) => ({ shop: 'ns-1', 'node-a': 'node-2', 'cart-845d9ff6b-mj9pc': 'pod-3' })[token],
  chain: (token) => (token === 'KUBE-SVC-AAAAAAAAAAAAAAAA' ? 'KUBE-SVC-BBBBBBBBBBBBBBBB' : undefined),
};
const rewrite = (text: string) => rewriteText(text, mapper);

describe('rewriteText', () => {
  it('rewrites addresses with ports, prefixes, ranges and brackets', () => {
    expect(rewrite('-j DNAT --to-destination 10.244.1.5:8080')).toBe('-j DNAT --to-destination 10.9.9.10:8080');
    expect(rewrite('-d 10.96.0.0/12 -j KUBE-MARK-MASQ')).toBe('-d 10.9.0.0/12 -j KUBE-MARK-MASQ');
    expect(rewrite('inet 10.244.1.5/24 brd')).toBe('inet 10.9.9.10/24 brd');
    expect(rewrite('--to-destination 10.0.0.1-10.0.0.5')).toBe('--to-destination 10.9.9.8-10.9.9.8');
    expect(rewrite('TCP  [fd00:10:96::1]:443 rr')).toBe('TCP  [fd00::13]:443 rr');
    expect(rewrite('nameserver 127.0.0.1')).toBe('nameserver 127.0.0.1');
  });

  it('leaves MAC addresses, times, versions and C++ scopes alone', () => {
    for (const text of ['link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff', 'at 2026-11-26T10:00:05.123Z', 'kube-proxy v1.30.2', 'std::string', 'ip_local_port_range = 32768\t60999']) {
      expect(rewrite(text)).toBe(text);
    }
  });

  it('does not take the colon after an IPv6 address for part of it', () => {
    expect(rewrite('dial fd00::5: connection refused')).toBe('dial fd00::7: connection refused');
  });

  it('rewrites names as whole tokens and as labels of a domain name, never inside a longer name', () => {
    expect(rewrite('cart.shop.svc.cluster.local')).toBe('cart.ns-1.svc.cluster.local');
    expect(rewrite('pods/shop/cart-845d9ff6b-mj9pc/resolv.conf')).toBe('pods/ns-1/pod-3/resolv.conf');
    expect(rewrite('acme-shop.internal shopping node-ab')).toBe('acme-shop.internal shopping node-ab');
    expect(rewrite('"shop/cart:http cluster IP"')).toBe('"ns-1/cart:http cluster IP"');
  });

  it('rewrites a known kube-proxy chain once, and an nftables chain’s readable part', () => {
    expect(rewrite('-j KUBE-SVC-AAAAAAAAAAAAAAAA')).toBe('-j KUBE-SVC-BBBBBBBBBBBBBBBB');
    expect(rewrite('-j KUBE-SVC-CCCCCCCCCCCCCCCC')).toBe('-j KUBE-SVC-CCCCCCCCCCCCCCCC');
    expect(rewrite('goto endpoint-ABCDEFGH-shop/cart/tcp/http__10.244.1.5/8080')).toBe('goto endpoint-ABCDEFGH-ns-1/cart/tcp/http__10.9.9.10/8080');
  });
});

describe('rewriteJsonText', () => {
  it('rewrites values, decoding escapes, and leaves keys’ names and the layout alone', () => {
    const json = '{\n    "shop": "shop",\n    "Corefile": ".:53 {\\n    forward . 10.0.0.2\\n}",\n    "10.1.2.3": "node-a"\n}';
    expect(rewriteJsonText(json, mapper)).toBe('{\n    "shop": "ns-1",\n    "Corefile": ".:53 {\\n    forward . 10.9.9.8\\n}",\n    "10.9.9.8": "node-2"\n}');
  });
});
