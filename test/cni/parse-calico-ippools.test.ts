import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCalicoIpPoolList, parseCalicoIpPoolTable, type CalicoIpPool } from '../../analyzer/cni/parse-calico-ippools.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './cni-samples.js';

const table = (text: string) => new SourceFile('nodes/node-a/calico/ippools.txt', text);
const summary = (p: CalicoIpPool) => [p.name, p.cidr?.text, p.ipipMode, p.vxlanMode, p.natOutgoing, p.disabled, p.nodeSelector, p.line];

/** `calicoctl get ippool -o wide`, calicoctl 3.26: an IPIP pool, a VXLAN CrossSubnet pool, an IPv6 pool. */
const WIDE = `NAME                  CIDR               NAT     IPIPMODE   VXLANMODE     DISABLED   DISABLEBGPEXPORT   SELECTOR
default-ipv4-ippool   192.168.0.0/16     true    Always     Never         false      false              all()
rack-b                10.48.0.0/16       true    Never      CrossSubnet   false      false              rack == 'b'
default-ipv6-ippool   fd00:10:244::/64   false   Never      Never         true       false              all()
`;

/** `calicoctl get ippool -o json`. */
const JSON_LIST = `{
  "kind": "IPPoolList",
  "apiVersion": "projectcalico.org/v3",
  "metadata": {
    "resourceVersion": "1234"
  },
  "items": [
    {
      "kind": "IPPool",
      "apiVersion": "projectcalico.org/v3",
      "metadata": {
        "name": "default-ipv4-ippool",
        "uid": "0d6c1c0e-6f4d-4f3c-9d8a-1f2e3d4c5b6a",
        "resourceVersion": "612",
        "creationTimestamp": "2024-03-01T10:00:00Z"
      },
      "spec": {
        "cidr": "192.168.0.0/16",
        "vxlanMode": "Never",
        "ipipMode": "Always",
        "natOutgoing": true,
        "blockSize": 26,
        "nodeSelector": "all()",
        "allowedUses": [
          "Workload",
          "Tunnel"
        ]
      }
    },
    {
      "kind": "IPPool",
      "apiVersion": "projectcalico.org/v3",
      "metadata": {
        "name": "default-ipv6-ippool",
        "resourceVersion": "613"
      },
      "spec": {
        "cidr": "fd00:10:244::/64",
        "vxlanMode": "Never",
        "ipipMode": "Never",
        "natOutgoing": false,
        "blockSize": 122,
        "nodeSelector": "all()",
        "disabled": true
      }
    }
  ]
}
`;

/** `kubectl get ippools.crd.projectcalico.org -o json`: defaults left out. */
const CRD_LIST = `{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "crd.projectcalico.org/v1",
            "kind": "IPPool",
            "metadata": {
                "name": "default-ipv4-ippool"
            },
            "spec": {
                "cidr": "10.244.0.0/16",
                "ipipMode": "CrossSubnet",
                "natOutgoing": true
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

describe('parseCalicoIpPoolTable', () => {
  it('reads the wide table by column, keeping selectors with spaces', () => {
    const { value, issues } = parseCalicoIpPoolTable(table(WIDE));
    expect(issues).toEqual([]);
    expect(value.pools.map(summary)).toEqual([
      ['default-ipv4-ippool', '192.168.0.0/16', 'Always', 'Never', true, false, 'all()', 2],
      ['rack-b', '10.48.0.0/16', 'Never', 'CrossSubnet', true, false, "rack == 'b'", 3],
      ['default-ipv6-ippool', 'fd00:10:244::/64', 'Never', 'Never', false, true, 'all()', 4],
    ]);
    expect(value.pools[2]!.cidr?.family).toBe(6);
  });

  it('reads the narrow table: modes are unknown, not defaulted', () => {
    const { value } = parseCalicoIpPoolTable(table('NAME                  CIDR             SELECTOR\ndefault-ipv4-ippool   192.168.0.0/16   all()\n'));
    expect(value.pools).toEqual([{ name: 'default-ipv4-ippool', cidrText: '192.168.0.0/16', cidr: expect.objectContaining({ prefix: 16 }), nodeSelector: 'all()', line: 2 }]);
    expect(value.pools[0]!.ipipMode).toBeUndefined();
  });

  it('reports bad cells and misaligned or truncated rows at their lines', () => {
    const text = `${WIDE}broken                10.1.0.0/33        true    Sometimes  Never         false      false              all()
cut-off               10.2.0.0/16
garbage
`;
    const { value, issues } = parseCalicoIpPoolTable(table(text));
    expect(value.pools.map((p) => p.name)).toEqual(['default-ipv4-ippool', 'rack-b', 'default-ipv6-ippool', 'broken', 'cut-off']);
    expect(value.pools[3]).toMatchObject({ cidrText: '10.1.0.0/33', vxlanMode: 'Never' });
    expect(value.pools[3]!.cidr).toBeUndefined();
    expect(value.pools[3]!.ipipMode).toBeUndefined();
    expect(value.pools[4]).toMatchObject({ cidrText: '10.2.0.0/16', line: 6 });
    expect(value.pools[4]!.natOutgoing).toBeUndefined();
    expect(issues.map((i) => [i.code, i.line, i.severity ?? 'error'])).toEqual([
      ['BAD_LINE', 5, 'error'],
      ['BAD_LINE', 5, 'warning'],
      ['BAD_LINE', 6, 'warning'],
      ['BAD_LINE', 7, 'error'],
    ]);
    expect(issues[2]!.message).toBe('row ends early: no NAT, IPIPMODE, VXLANMODE, DISABLED, DISABLEBGPEXPORT, SELECTOR (truncated?)');
    expect(issues[1]!.message).toContain('"Sometimes"');
  });

  it('reads the samples: wide tables of several calicoctl versions, the narrow one, and flags other tables', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const first = parseCalicoIpPoolTable(sampleSection('calicoctl-get-ippool-wide.txt', 0));
    expect(first.value.pools.map(summary)).toEqual([
      ['default-ipv4-ippool', '10.2.0.0/16', 'Always', 'Never', true, false, 'all()', 4],
      ['globaleastcluster', '242.0.0.0/16', 'Never', 'Never', false, true, 'all()', 5],
    ]);
    // The pasted shell prompt is not calicoctl output.
    expect(first.issues.map((i) => [i.code, i.line])).toEqual([['BAD_LINE', 2]]);

    const vxlan = parseCalicoIpPoolTable(sampleSection('calicoctl-get-ippool-wide.txt', 2));
    expect(vxlan.issues).toEqual([]);
    expect(vxlan.value.pools.map(summary)).toEqual([['default-ipv4-ippool', '10.244.0.0/16', 'Never', 'Always', true, false, 'all()', 11]]);

    const newer = parseCalicoIpPoolTable(sampleSection('calicoctl-get-ippool-wide.txt', 3));
    expect(newer.issues).toEqual([]);
    expect(newer.value.pools[0]).toMatchObject({ nodeSelector: "foo == 'bar'", assignmentMode: 'Automatic', ipipMode: 'Always', line: 14 });

    const narrow = parseCalicoIpPoolTable(sampleSection('calicoctl-get-ippool-wide.txt', 4));
    expect(narrow.value.pools.map((p) => [p.name, p.cidrText, p.nodeSelector, p.line])).toEqual([['ippool-name1', '10.0.1.0/24', "foo == 'bar'", 17]]);

    const nodes = parseCalicoIpPoolTable(sampleSection('calicoctl-get-ippool-wide.txt', 5));
    expect(nodes.value.pools).toEqual([]);
    expect(nodes.issues.map((i) => [i.code, i.line])).toEqual([['UNEXPECTED_SHAPE', 19]]);
  });
});

describe('parseCalicoIpPoolList', () => {
  it('reads calicoctl JSON with positions of each pool', () => {
    const { value, issues } = parseCalicoIpPoolList(new SourceFile('cluster/calico/ippools.json', JSON_LIST));
    expect(issues).toEqual([]);
    expect(value.pools.map((p) => [...summary(p), p.blockSize])).toEqual([
      ['default-ipv4-ippool', '192.168.0.0/16', 'Always', 'Never', true, false, 'all()', 8, 26],
      ['default-ipv6-ippool', 'fd00:10:244::/64', 'Never', 'Never', false, true, 'all()', 30, 122],
    ]);
    expect(value.pools[0]!.source!.at('spec.ipipMode')).toMatchObject({ line: 20, text: '"ipipMode": "Always",' });
  });

  it("fills Calico's defaults where the CRD leaves fields out", () => {
    const { value, issues } = parseCalicoIpPoolList(new SourceFile('cluster/calico/ippools.json', CRD_LIST));
    expect(issues).toEqual([]);
    expect(value.pools).toMatchObject([
      { name: 'default-ipv4-ippool', ipipMode: 'CrossSubnet', vxlanMode: 'Never', natOutgoing: true, disabled: false, blockSize: 26, nodeSelector: 'all()', line: 4 },
    ]);
  });

  it('reads YAML and the v1 API (ipip object, nat-outgoing)', () => {
    const yaml = `apiVersion: v1
kind: ipPool
metadata:
  cidr: 10.10.0.0/16
spec:
  ipip:
    enabled: true
    mode: cross-subnet
  nat-outgoing: true
`;
    const { value, issues } = parseCalicoIpPoolList(new SourceFile('cluster/calico/ippools.yaml', yaml));
    expect(issues).toEqual([]);
    expect(value.pools).toMatchObject([{ name: '10.10.0.0/16', ipipMode: 'CrossSubnet', natOutgoing: true }]);
  });

  it('skips what is not a pool, with issues at the item, and survives broken JSON', () => {
    const text = `[
  { "kind": "IPPool", "metadata": { "name": "no-cidr" }, "spec": {} },
  { "kind": "BGPPeer", "metadata": { "name": "rr" }, "spec": { "peerIP": "10.0.0.1" } },
  { "kind": "IPPool", "metadata": { "name": "odd" }, "spec": { "cidr": "10.9.0.0/16", "vxlanMode": "Maybe" } },
  7
]`;
    const { value, issues } = parseCalicoIpPoolList(new SourceFile('cluster/calico/ippools.json', text));
    expect(value.pools.map((p) => [p.name, p.vxlanMode])).toEqual([['odd', undefined]]);
    expect(issues.map((i) => [i.code, i.line, i.severity ?? 'error'])).toEqual([
      ['UNEXPECTED_SHAPE', 2, 'error'],
      ['UNEXPECTED_SHAPE', 3, 'warning'],
      ['UNEXPECTED_SHAPE', 4, 'warning'],
      ['UNEXPECTED_SHAPE', 5, 'error'],
    ]);
    const broken = parseCalicoIpPoolList(new SourceFile('cluster/calico/ippools.json', JSON_LIST.slice(0, 700)));
    expect(broken.issues[0]).toMatchObject({ code: 'INVALID_JSON' });
  });
});
