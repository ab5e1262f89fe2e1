/**
 * Calico Felix's iptables data plane (v3.2x, VXLAN mode): raw / mangle / nat / filter hooks
 * inserted at the top of the built-in chains (and FORWARD's accept-if-marked rules appended),
 * workload dispatch by interface (`-g cali-fw-<iface>` / `cali-tw-<iface>`, `cali+` wildcards),
 * per-workload policy chains (cali-po-/cali-pi-) and profiles (cali-pro-/cali-pri-kns.<ns>)
 * with the accept (0x10000) and pass (0x20000) mark bits under masks, selector ipsets
 * (`-m set --match-set cali40s:… src|dst`, named-port sets `dst,dst`, negated), multiport,
 * conntrack states, VXLAN host filtering, rpfilter, natOutgoing and floating IPs.
 *
 * The lab's pod interface is one workload; the others exist only in the rules.
 */
import { LAB_PLAN, remotePodAddress, type PacketTarget } from './lab-plan.js';
import type { IpsetBuilder } from './ipset-builder.js';
import type { Rng } from './rng.js';
import { comment, spec, type GenericOptions, type RulesetBuilder, type TableName } from './ruleset-builder.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const HEX = '0123456789abcdef';

interface Workload {
  iface: string;
  namespace: string;
  addresses: string[];
  egress: string[];
  ingress: string[];
}

export interface CalicoResult {
  targets: PacketTarget[];
}

type Action = 'allow' | 'deny' | 'pass';

export function addCalico(rng: Rng, b: RulesetBuilder, sets: IpsetBuilder, podInterface: string): CalicoResult {
  const id = () => `cali:${rng.chars(ID_ALPHABET, 16)}`;
  const cali = (...parts: Array<string | false | undefined>) => spec({}, comment(id()), ...parts);
  const caliOn = (generic: GenericOptions, ...parts: Array<string | false | undefined>) => spec(generic, comment(id()), ...parts);
  const setName = (prefix: 'cali40s:' | 'cali40n:') => `${prefix}${rng.chars(ID_ALPHABET, 23)}`;
  const targets: PacketTarget[] = [];
  const declare = (table: TableName, ...chains: string[]) => chains.forEach((c) => b.chain(table, c));

  // --- ipsets Felix always has
  sets.create('cali40all-ipam-pools', 'hash:net', [LAB_PLAN.clusterCidr]);
  sets.create('cali40masq-ipam-pools', 'hash:net', [LAB_PLAN.clusterCidr]);
  const vxlanPeers = rng.sample([...LAB_PLAN.otherNodeIPs, LAB_PLAN.externalIPv4], rng.int(1, 3));
  sets.create('cali40all-vxlan-net', 'hash:net', vxlanPeers);
  sets.create('cali40all-hosts-net', 'hash:net', [LAB_PLAN.nodeIPv4, ...LAB_PLAN.otherNodeIPs]);

  // --- raw
  declare('raw', 'cali-PREROUTING', 'cali-OUTPUT', 'cali-from-host-endpoint', 'cali-to-host-endpoint', 'cali-rpf-skip');
  b.rule('raw', 'PREROUTING', spec({}, comment('cali:6gwbT8clXdHdC1b1'), '-j cali-PREROUTING'), 'head');
  b.rule('raw', 'OUTPUT', spec({}, comment('cali:tVnHkvAo15HuiPy0'), '-j cali-OUTPUT'), 'head');
  b.rule('raw', 'cali-OUTPUT', cali('-j MARK --set-xmark 0x0/0xf0000'));
  b.rule('raw', 'cali-OUTPUT', cali('-j cali-to-host-endpoint'));
  b.rule('raw', 'cali-OUTPUT', cali('-m mark --mark 0x10000/0x10000 -j ACCEPT'));
  b.rule('raw', 'cali-PREROUTING', cali('-j MARK --set-xmark 0x0/0xf0000'));
  b.rule('raw', 'cali-PREROUTING', caliOn({ i: 'cali+' }, '-j MARK --set-xmark 0x40000/0x40000'));
  b.rule('raw', 'cali-PREROUTING', cali('-m mark --mark 0x40000/0x40000 -j cali-rpf-skip'));
  b.rule('raw', 'cali-PREROUTING', cali('-m mark --mark 0x40000/0x40000 -m rpfilter --validmark --invert -j DROP'));
  b.rule('raw', 'cali-PREROUTING', cali('-m mark --mark 0x0/0x40000 -j cali-from-host-endpoint'));
  b.rule('raw', 'cali-PREROUTING', cali('-m mark --mark 0x10000/0x10000 -j ACCEPT'));

  // --- mangle
  declare('mangle', 'cali-PREROUTING', 'cali-POSTROUTING', 'cali-from-host-endpoint', 'cali-to-host-endpoint');
  b.rule('mangle', 'PREROUTING', spec({}, comment('cali:6gwbT8clXdHdC1b1'), '-j cali-PREROUTING'), 'head');
  b.rule('mangle', 'POSTROUTING', spec({}, comment('cali:O3lYWMrLQYEMJtB5'), '-j cali-POSTROUTING'), 'head');
  b.rule('mangle', 'cali-POSTROUTING', cali('-m mark --mark 0x10000/0x10000 -j RETURN'));
  b.rule('mangle', 'cali-POSTROUTING', cali('-j MARK --set-xmark 0x0/0xf0000'));
  b.rule('mangle', 'cali-POSTROUTING', cali('-m conntrack --ctstate DNAT -j cali-to-host-endpoint'));
  b.rule('mangle', 'cali-POSTROUTING', cali(comment('Host endpoint policy accepted packet.'), '-m mark --mark 0x10000/0x10000 -j RETURN'));
  b.rule('mangle', 'cali-PREROUTING', cali('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'));
  b.rule('mangle', 'cali-PREROUTING', cali('-m mark --mark 0x10000/0x10000 -j ACCEPT'));
  b.rule('mangle', 'cali-PREROUTING', cali('-j cali-from-host-endpoint'));
  b.rule('mangle', 'cali-PREROUTING', cali(comment('Host endpoint policy accepted packet.'), '-m mark --mark 0x10000/0x10000 -j ACCEPT'));

  // --- nat
  declare('nat', 'cali-PREROUTING', 'cali-OUTPUT', 'cali-POSTROUTING', 'cali-fip-dnat', 'cali-fip-snat', 'cali-nat-outgoing');
  b.rule('nat', 'PREROUTING', spec({}, comment('cali:6gwbT8clXdHdC1b1'), '-j cali-PREROUTING'), 'head');
  b.rule('nat', 'OUTPUT', spec({}, comment('cali:tVnHkvAo15HuiPy0'), '-j cali-OUTPUT'), 'head');
  b.rule('nat', 'POSTROUTING', spec({}, comment('cali:O3lYWMrLQYEMJtB5'), '-j cali-POSTROUTING'), 'head');
  b.rule('nat', 'cali-OUTPUT', cali('-j cali-fip-dnat'));
  b.rule('nat', 'cali-PREROUTING', cali('-j cali-fip-dnat'));
  b.rule('nat', 'cali-POSTROUTING', cali('-j cali-fip-snat'));
  b.rule('nat', 'cali-POSTROUTING', cali('-j cali-nat-outgoing'));
  b.rule(
    'nat',
    'cali-POSTROUTING',
    caliOn({ o: 'vxlan.calico' }, '-m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully'),
  );
  b.rule(
    'nat',
    'cali-nat-outgoing',
    cali('-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully'),
  );
  if (rng.chance(0.4)) {
    // a floating IP of the local workload (Calico's floatingIPs: DNAT without a port)
    const floating = `${LAB_PLAN.externalIpSubnet}.${rng.int(2, 250)}`;
    const inner = rng.pick(LAB_PLAN.podAddresses);
    b.rule('nat', 'cali-fip-dnat', caliOn({ d: floating }, `-j DNAT --to-destination ${inner}`));
    b.rule('nat', 'cali-fip-snat', caliOn({ s: inner, d: inner }, `-j SNAT --to-source ${floating}`));
    targets.push({ proto: rng.pick(['tcp', 'udp'] as const), dst: floating, dport: rng.pick([80, 8080, 53]), what: `floating IP ${floating} -> ${inner}` });
  }

  // --- filter
  const workloads: Workload[] = [
    { iface: podInterface, namespace: rng.pick(['shop', 'alpha', 'default']), addresses: [...LAB_PLAN.podAddresses], egress: [], ingress: [] },
  ];
  for (let n = rng.int(1, 3); n > 0; n--) {
    workloads.push({ iface: `cali${rng.chars(HEX, 11)}`, namespace: rng.pick(['shop', 'alpha', 'default', 'kube-system']), addresses: [], egress: [], ingress: [] });
  }
  workloads.sort((a, c) => (a.iface < c.iface ? -1 : 1));
  declare(
    'filter',
    'cali-INPUT',
    'cali-FORWARD',
    'cali-OUTPUT',
    'cali-wl-to-host',
    'cali-from-wl-dispatch',
    'cali-to-wl-dispatch',
    'cali-from-hep-forward',
    'cali-to-hep-forward',
    'cali-from-host-endpoint',
    'cali-to-host-endpoint',
    'cali-cidr-block',
  );
  b.rule('filter', 'INPUT', spec({}, comment('cali:Cz_u1IQiXIMmKD4c'), '-j cali-INPUT'), 'head');
  b.rule('filter', 'FORWARD', spec({}, comment('cali:wUHhoiAYhphO9Mso'), '-j cali-FORWARD'), 'head');
  b.rule('filter', 'FORWARD', spec({}, comment('cali:S93hcgKJrXEqnTfs'), comment('Policy explicitly accepted packet.'), '-m mark --mark 0x10000/0x10000 -j ACCEPT'), 'tail');
  b.rule('filter', 'FORWARD', spec({}, comment('cali:mp77cMpurHhyjLrM'), '-j MARK --set-xmark 0x10000/0x10000'), 'tail');
  b.rule('filter', 'OUTPUT', spec({}, comment('cali:tVnHkvAo15HuiPy0'), '-j cali-OUTPUT'), 'head');

  b.rule('filter', 'cali-FORWARD', cali('-j MARK --set-xmark 0x0/0xe0000'));
  b.rule('filter', 'cali-FORWARD', cali('-m mark --mark 0x0/0x10000 -j cali-from-hep-forward'));
  b.rule('filter', 'cali-FORWARD', caliOn({ i: 'cali+' }, '-j cali-from-wl-dispatch'));
  b.rule('filter', 'cali-FORWARD', caliOn({ o: 'cali+' }, '-j cali-to-wl-dispatch'));
  b.rule('filter', 'cali-FORWARD', cali('-j cali-to-hep-forward'));
  b.rule('filter', 'cali-FORWARD', cali('-j cali-cidr-block'));

  b.rule('filter', 'cali-INPUT', caliOn({ p: 'udp' }, comment('Allow VXLAN packets from whitelisted hosts'), '-m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT'));
  b.rule('filter', 'cali-INPUT', caliOn({ p: 'udp' }, comment('Drop VXLAN packets from non-whitelisted hosts'), '-m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP'));
  b.rule('filter', 'cali-INPUT', caliOn({ i: 'cali+' }, '-g cali-wl-to-host'));
  b.rule('filter', 'cali-INPUT', cali('-m mark --mark 0x10000/0x10000 -j ACCEPT'));
  b.rule('filter', 'cali-INPUT', cali('-j MARK --set-xmark 0x0/0xf0000'));
  b.rule('filter', 'cali-INPUT', cali('-j cali-from-host-endpoint'));
  b.rule('filter', 'cali-INPUT', cali(comment('Host endpoint policy accepted packet.'), '-m mark --mark 0x10000/0x10000 -j ACCEPT'));
  targets.push({ proto: 'udp', dst: 'node', dport: 4789, from: ['external', 'pod'], what: 'VXLAN port (allowed only from cali40all-vxlan-net)' });

  b.rule('filter', 'cali-OUTPUT', cali('-m mark --mark 0x10000/0x10000 -j ACCEPT'));
  b.rule('filter', 'cali-OUTPUT', caliOn({ o: 'cali+' }, '-j RETURN'));
  b.rule('filter', 'cali-OUTPUT', caliOn({ p: 'udp' }, comment('Allow VXLAN packets to other Calico hosts'), '-m multiport --dports 4789 -m addrtype --src-type LOCAL -m set --match-set cali40all-vxlan-net dst -j ACCEPT'));
  b.rule('filter', 'cali-OUTPUT', cali('-j MARK --set-xmark 0x0/0xf0000'));
  b.rule('filter', 'cali-OUTPUT', cali('-m conntrack ! --ctstate DNAT -j cali-to-host-endpoint'));
  b.rule('filter', 'cali-OUTPUT', cali(comment('Host endpoint policy accepted packet.'), '-m mark --mark 0x10000/0x10000 -j ACCEPT'));

  b.rule('filter', 'cali-wl-to-host', cali('-j cali-from-wl-dispatch'));
  b.rule('filter', 'cali-wl-to-host', cali(comment('Configured DefaultEndpointToHostAction'), '-j ACCEPT'));

  // selector sets and named ports the policies refer to
  const selectorSets: string[] = [];
  for (let n = rng.int(1, 3); n > 0; n--) {
    const name = setName('cali40s:');
    const members = rng.sample(
      [...LAB_PLAN.podAddresses, remotePodAddress(rng), remotePodAddress(rng), '10.244.3.0/24', LAB_PLAN.externalIPv4, LAB_PLAN.nodeSubnetIPv4],
      rng.int(1, 4),
    );
    sets.create(name, 'hash:net', members);
    selectorSets.push(name);
  }
  const namedPort = setName('cali40n:');
  const namedPortMembers = [
    `${rng.pick(LAB_PLAN.podAddresses)},tcp:8080`,
    `${remotePodAddress(rng)},tcp:8080`,
    `${remotePodAddress(rng)},udp:5353`,
  ];
  sets.create(namedPort, 'hash:ip,port', namedPortMembers, 65536);
  for (const member of namedPortMembers) {
    const [ip, portSpec] = member.split(',');
    const [proto, port] = portSpec.split(':');
    targets.push({ proto: proto as 'tcp' | 'udp', dst: ip, dport: Number(port), what: `named port member ${member}` });
  }

  const policyPorts = [
    ['tcp', '80,443'],
    ['tcp', '8080'],
    ['udp', '53'],
    ['tcp', '5432,6379,8000:8100'],
  ] as const;
  const policyRule = (direction: 'egress' | 'ingress', policyName: string): { matches: GenericOptions; parts: string[]; action: Action } => {
    const peer = direction === 'egress' ? 'dst' : 'src';
    const generic: GenericOptions = {};
    const parts: string[] = [comment(`Policy ${policyName} ${direction}`)];
    const [proto, ports] = rng.pick(policyPorts);
    if (rng.chance(0.7)) {
      generic.p = proto;
      parts.push(`-m multiport --dports ${ports}`);
    }
    const peerChoice = rng.weighted([['set', 4], ['!set', 1], ['named', 1], ['cidr', 2], ['none', 1]] as const);
    if (peerChoice === 'set') parts.splice(1, 0, `-m set --match-set ${rng.pick(selectorSets)} ${peer}`);
    if (peerChoice === '!set') parts.splice(1, 0, `-m set ! --match-set ${rng.pick(selectorSets)} ${peer}`);
    if (peerChoice === 'named' && direction === 'egress') {
      generic.p = undefined;
      parts.length = 1;
      parts.push(`-m set --match-set ${namedPort} dst,dst`);
    }
    if (peerChoice === 'cidr') {
      const cidr = rng.pick(['10.244.0.0/16', '10.96.0.0/12', '10.0.1.0/24', '10.244.2.0/24']);
      const negated = rng.chance(0.3) ? '!' : '';
      if (direction === 'egress') generic.d = `${negated}${cidr}`;
      else generic.s = `${negated}${cidr}`;
    }
    const action = rng.weighted([['allow', 6], ['deny', 2], ['pass', 1]] as const);
    return { matches: generic, parts, action };
  };

  const writePolicy = (chain: string, direction: 'egress' | 'ingress', policyName: string) => {
    b.chain('filter', chain);
    for (let n = rng.int(1, 3); n > 0; n--) {
      const { matches, parts, action } = policyRule(direction, policyName);
      if (action === 'deny') {
        b.rule('filter', chain, caliOn(matches, ...parts, '-j DROP'));
      } else {
        const bit = action === 'allow' ? '0x10000' : '0x20000';
        b.rule('filter', chain, caliOn(matches, ...parts, `-j MARK --set-xmark ${bit}/${bit}`));
        b.rule('filter', chain, cali(`-m mark --mark ${bit}/${bit} -j RETURN`));
      }
    }
  };

  const profiles = new Set<string>();
  const writeProfile = (chain: string, allow: boolean) => {
    if (profiles.has(chain)) return;
    profiles.add(chain);
    b.chain('filter', chain);
    if (!allow) return;
    b.rule('filter', chain, cali('-j MARK --set-xmark 0x10000/0x10000'));
    b.rule('filter', chain, cali('-m mark --mark 0x10000/0x10000 -j RETURN'));
  };

  const policyChain = (prefix: 'cali-po-' | 'cali-pi-') => `${prefix}_${rng.chars(ID_ALPHABET, 19)}`;
  for (const w of workloads) {
    for (let n = rng.weighted([[0, 2], [1, 3], [2, 1]] as const); n > 0; n--) {
      const name = policyChain('cali-po-');
      w.egress.push(name);
      writePolicy(name, 'egress', `${w.namespace}/knp.default.${rng.pick(['allow-dns', 'egress-web', 'deny-db', 'default-deny'])}`);
    }
    for (let n = rng.weighted([[0, 2], [1, 3], [2, 1]] as const); n > 0; n--) {
      const name = policyChain('cali-pi-');
      w.ingress.push(name);
      writePolicy(name, 'ingress', `${w.namespace}/knp.default.${rng.pick(['allow-frontend', 'ingress-web', 'allow-monitoring'])}`);
    }
    for (const [direction, prefix, policies] of [
      ['fw', 'cali-pro-', w.egress],
      ['tw', 'cali-pri-', w.ingress],
    ] as const) {
      const chain = `cali-${direction}-${w.iface}`;
      b.chain('filter', chain);
      b.rule('filter', chain, cali('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'));
      b.rule('filter', chain, cali('-m conntrack --ctstate INVALID -j DROP'));
      b.rule('filter', chain, cali('-j MARK --set-xmark 0x0/0x10000'));
      if (direction === 'fw') {
        b.rule('filter', chain, caliOn({ p: 'udp' }, comment('Drop VXLAN encapped packets originating in workloads'), '-m multiport --dports 4789 -j DROP'));
      }
      if (policies.length > 0) {
        b.rule('filter', chain, cali(comment('Start of policies'), '-j MARK --set-xmark 0x0/0x20000'));
        for (const policy of policies) {
          b.rule('filter', chain, cali(`-m mark --mark 0x0/0x20000 -j ${policy}`));
          b.rule('filter', chain, cali(comment('Return if policy accepted'), '-m mark --mark 0x10000/0x10000 -j RETURN'));
        }
        b.rule('filter', chain, cali(comment('Drop if no policies passed packet'), '-m mark --mark 0x0/0x20000 -j DROP'));
      }
      const namespaceProfile = `${prefix}kns.${w.namespace}`;
      writeProfile(namespaceProfile, true);
      b.rule('filter', chain, cali(`-j ${namespaceProfile}`));
      b.rule('filter', chain, cali(comment('Return if profile accepted'), '-m mark --mark 0x10000/0x10000 -j RETURN'));
      const accountProfile = `${prefix}_${rng.chars(ID_ALPHABET, 18)}`;
      writeProfile(accountProfile, false);
      b.rule('filter', chain, cali(`-j ${accountProfile}`));
      b.rule('filter', chain, cali(comment('Return if profile accepted'), '-m mark --mark 0x10000/0x10000 -j RETURN'));
      b.rule('filter', chain, cali(comment('Drop if no profiles matched'), '-j DROP'));
    }
  }
  for (const w of workloads) b.rule('filter', 'cali-from-wl-dispatch', caliOn({ i: w.iface }, `-g cali-fw-${w.iface}`));
  b.rule('filter', 'cali-from-wl-dispatch', cali(comment('Unknown interface'), '-j DROP'));
  for (const w of workloads) b.rule('filter', 'cali-to-wl-dispatch', caliOn({ o: w.iface }, `-g cali-tw-${w.iface}`));
  b.rule('filter', 'cali-to-wl-dispatch', cali(comment('Unknown interface'), '-j DROP'));

  for (const address of LAB_PLAN.podAddresses) {
    targets.push({ proto: 'tcp', dst: address, dport: rng.pick([80, 443, 8080, 5432]), from: ['external', 'node'], what: `workload ${address} (ingress policy)` });
  }
  return { targets };
}
