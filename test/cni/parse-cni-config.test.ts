import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { cniConfigFormat, parseCniConfig, readCniConfigDir } from '../../analyzer/cni/parse-cni-config.js';
import { FLANNEL_CONFLIST, WEAVE_CONFLIST } from '../helpers/node-network.js';

const dir = 'nodes/node-a/cni';
const file = (name: string, text: string) => new SourceFile(`${dir}/${name}`, text);

/** What calico's install-cni writes (calico.yaml manifest, Kubernetes datastore). */
const CALICO = `{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "log_file_path": "/var/log/calico/cni/cni.log",
      "datastore_type": "kubernetes",
      "nodename": "node-a",
      "mtu": 1440,
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
    },
    {
      "type": "bandwidth",
      "capabilities": {"bandwidth": true}
    }
  ]
}
`;


/** Cilium's agent writes 05-cilium.conflist. */
const CILIUM = `{
  "cniVersion": "0.3.1",
  "name": "cilium",
  "plugins": [
    {
       "type": "cilium-cni",
       "enable-debug": false,
       "log-file": "/var/run/cilium/cilium-cni.log"
    }
  ]
}
`;


/** The CNI project's bridge + host-local example, dual-stack ranges. */
const BRIDGE_CONF = `{
	"cniVersion": "0.4.0",
	"name": "mynet",
	"type": "bridge",
	"bridge": "cni0",
	"isGateway": true,
	"ipMasq": true,
	"ipam": {
		"type": "host-local",
		"ranges": [
			[{"subnet": "10.22.0.0/16", "gateway": "10.22.0.1"}],
			[{"subnet": "fd00:22::/64"}]
		],
		"routes": [
			{ "dst": "0.0.0.0/0" },
			{ "dst": "::/0" }
		]
	}
}
`;

/** Canal (Calico policy, flannel networking) uses host-local with the node's podCIDR. */
const CANAL = `{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "mtu": 1450,
      "ipam": { "type": "host-local", "subnet": "usePodCidr" },
      "policy": { "type": "k8s" }
    }
  ]
}
`;

describe('parseCniConfig', () => {
  it('reads a Calico chain: plugins in order with their lines, MTU, IPAM and capabilities', () => {
    const { value, issues } = parseCniConfig(file('10-calico.conflist', CALICO));
    expect(issues).toEqual([]);
    expect(value).toMatchObject({ format: 'conflist', name: 'k8s-pod-network', cniVersion: '0.3.1', fileName: '10-calico.conflist', problems: [], line: 1 });
    expect(value.plugins.map((p) => [p.index, p.type, p.line, p.path, p.mtu, p.ipam?.type, p.capabilities])).toEqual([
      [0, 'calico', 5, 'plugins[0]', 1440, 'calico-ipam', []],
      [1, 'portmap', 22, 'plugins[1]', undefined, undefined, ['portMappings']],
      [2, 'bandwidth', 27, 'plugins[2]', undefined, undefined, ['bandwidth']],
    ]);
    expect(value.plugins[0]!.options.datastore_type).toBe('kubernetes');
    // A finding can cite any field of a plugin.
    expect(value.source!.at('plugins[0].ipam.type')).toMatchObject({ line: 13, text: '"type": "calico-ipam"' });
    expect(value.source!.at(`${value.plugins[0]!.path}.mtu`).line).toBe(11);
  });

  it('reads flannel (delegate), Cilium and Weave chains', () => {
    const flannel = parseCniConfig(file('10-flannel.conflist', FLANNEL_CONFLIST)).value;
    expect(flannel.problems).toEqual([]);
    expect(flannel.plugins.map((p) => p.type)).toEqual(['flannel', 'portmap']);
    expect(flannel.plugins[0]!.delegate).toEqual({ hairpinMode: true, isDefaultGateway: true });
    expect(flannel.plugins[0]!.mtu).toBeUndefined();

    const cilium = parseCniConfig(file('05-cilium.conflist', CILIUM)).value;
    expect(cilium).toMatchObject({ name: 'cilium', problems: [] });
    expect(cilium.plugins.map((p) => [p.type, p.line])).toEqual([['cilium-cni', 5]]);

    const weave = parseCniConfig(file('10-weave.conflist', WEAVE_CONFLIST)).value;
    expect(weave.plugins.map((p) => [p.type, p.name, p.options.hairpinMode ?? null, p.capabilities])).toEqual([
      ['weave-net', 'weave', true, []],
      ['portmap', undefined, null, ['portMappings']],
    ]);
  });

  it('reads a single-plugin .conf: bridge with host-local ranges and routes', () => {
    const { value, issues } = parseCniConfig(file('10-mynet.conf', BRIDGE_CONF));
    expect(issues).toEqual([]);
    expect(value.format).toBe('conf');
    expect(value.problems).toEqual([]);
    expect(value.plugins).toHaveLength(1);
    const bridge = value.plugins[0]!;
    expect(bridge).toMatchObject({ type: 'bridge', bridge: 'cni0', path: '', line: 1 });
    expect(bridge.ipam).toEqual({
      type: 'host-local',
      subnets: ['10.22.0.0/16', 'fd00:22::/64'],
      ranges: [[{ subnet: '10.22.0.0/16', gateway: '10.22.0.1' }], [{ subnet: 'fd00:22::/64' }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
      usesPodCidr: false,
      path: 'ipam',
    });
    expect(value.source!.at('ipam.ranges').line).toBe(10);
  });

  it('knows host-local "usePodCidr"', () => {
    const canal = parseCniConfig(file('10-canal.conflist', CANAL)).value;
    expect(canal.plugins[0]!.ipam).toMatchObject({ type: 'host-local', subnets: ['usePodCidr'], usesPodCidr: true });
    expect(canal.plugins[0]!.mtu).toBe(1450);
  });

  it('says why libcni refuses a file, at the line concerned', () => {
    const listInConf = parseCniConfig(file('10-calico.conf', CALICO)).value;
    expect(listInConf.problems).toEqual([
      { fatal: true, message: expect.stringContaining('a plugin list in a .conf file'), line: 1 },
    ]);
    expect(listInConf.plugins).toEqual([]);

    const noName = parseCniConfig(file('10-x.conflist', `{\n  "cniVersion": "1.0.0",\n  "plugins": [\n    { "type": "bridge" },\n    { "capabilities": { "portMappings": true } }\n  ]\n}\n`)).value;
    expect(noName.problems.map((p) => [p.fatal, p.line, p.message])).toEqual([
      [true, 1, expect.stringContaining('needs a "name"')],
      [true, 5, 'plugin 1 has no "type"'],
    ]);
    expect(noName.plugins.map((p) => p.type)).toEqual(['bridge', '']);

    const empty = parseCniConfig(file('10-y.conflist', `{ "name": "y", "cniVersion": "0.4.0", "plugins": [] }`)).value;
    expect(empty.problems).toMatchObject([{ fatal: true, message: '"plugins" is empty: no plugin to run' }]);

    const single = parseCniConfig(file('10-z.conflist', BRIDGE_CONF)).value;
    expect(single.problems).toMatchObject([{ fatal: true, message: expect.stringContaining('single-plugin configuration in a .conflist') }]);
  });

  it('flags what breaks the plugin at pod creation: an MTU that is not a number, a left-over placeholder', () => {
    const text = CALICO.replace('"mtu": 1440', '"mtu": "1440"').replace('"nodename": "node-a"', '"nodename": "__KUBERNETES_NODE_NAME__"');
    const { value } = parseCniConfig(file('10-calico.conflist', text));
    expect(value.problems).toEqual([
      { fatal: false, message: expect.stringContaining('"mtu" is "1440", not a positive integer'), line: 11, path: 'plugins[0].mtu' },
      { fatal: false, message: expect.stringContaining('__KUBERNETES_NODE_NAME__ was never substituted'), line: 10 },
    ]);
  });

  it('reports invalid JSON with its line (the unquoted __CNI_MTU__ of an unfinished install) and never throws', () => {
    const text = CALICO.replace('"mtu": 1440', '"mtu": __CNI_MTU__');
    const { value, issues } = parseCniConfig(file('10-calico.conflist', text));
    expect(issues).toMatchObject([{ code: 'INVALID_JSON', file: `${dir}/10-calico.conflist`, line: 11 }]);
    expect(value.source).toBeUndefined();
    expect(value.problems.map((p) => [p.fatal, p.line])).toEqual([
      [true, 11],
      [false, 11],
    ]);
    for (const hostile of ['', '[]', 'null', '{"plugins": {"type": "bridge"}}', '{"name": 7, "plugins": [null, 3]}', '\u0000\u0001{']) {
      const parsed = parseCniConfig(file('x.conflist', hostile));
      expect(parsed.value.problems.some((p) => p.fatal)).toBe(true);
    }
  });
});

describe('readCniConfigDir', () => {
  it('picks the lexicographically first file libcni loads, and ignores other extensions', () => {
    const { value, issues } = readCniConfigDir([
      file('10-calico.conflist', CALICO),
      file('calico-kubeconfig', 'apiVersion: v1\nkind: Config\n'),
      file('05-cilium.conflist', CILIUM),
      file('10-flannel.conflist.bak', FLANNEL_CONFLIST),
    ]);
    expect(issues).toEqual([]);
    expect(value.configs.map((c) => c.fileName)).toEqual(['05-cilium.conflist', '10-calico.conflist']);
    expect(value.effective?.fileName).toBe('05-cilium.conflist');
    expect(value.blocking).toBeUndefined();
    expect(value.ignored).toEqual([`${dir}/calico-kubeconfig`, `${dir}/10-flannel.conflist.bak`]);
  });

  it('names the broken first file containerd stops at, and the next one CRI-O and the kubelet use', () => {
    const { value, issues } = readCniConfigDir([file('10-flannel.conflist', FLANNEL_CONFLIST), file('00-multus.conf', '{ "name": "multus-cni-network", "cniVersion": "0.3.1"')]);
    expect(issues).toMatchObject([{ code: 'INVALID_JSON', file: `${dir}/00-multus.conf` }]);
    expect(value.blocking?.fileName).toBe('00-multus.conf');
    expect(value.effective?.fileName).toBe('10-flannel.conflist');
  });

  it('has no effective configuration in an empty directory', () => {
    expect(readCniConfigDir([]).value).toEqual({ configs: [], ignored: [] });
  });

  it('sorts by byte order, as Go does (upper case before lower case, digits first)', () => {
    const names = ['b.conf', 'B.conf', '9.conflist', 'a.json'];
    const { value } = readCniConfigDir(names.map((name) => file(name, BRIDGE_CONF)));
    expect(value.configs.map((c) => c.fileName)).toEqual(['9.conflist', 'B.conf', 'a.json', 'b.conf']);
    expect(cniConfigFormat('x/87-podman.conflist')).toBe('conflist');
    expect(cniConfigFormat('x/README')).toBeUndefined();
  });
});
