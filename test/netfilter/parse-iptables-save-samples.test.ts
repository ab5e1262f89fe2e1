/**
 * parseIptablesSave on the reference outputs in ../shared/samples: real nodes (`*-real-*`,
 * Docker, Calico), kube-proxy's golden test shorthand, and excerpts.
 */
import { describe, expect, it } from 'vitest';
import type { ParseIssue } from '../../analyzer/bundle/parse-issue.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import type { IptablesDump, IptablesMatch, IptablesRule } from '../../analyzer/netfilter/iptables-types.js';
import { readSample, sampleFile, samplesAvailable, SKIP_MESSAGE } from './shared-samples.js';
import { SourceFile } from '../../analyzer/bundle/source-file.js';

function ruleAt(dump: IptablesDump, line: number): IptablesRule {
  for (const table of dump.tables.values()) {
    const rule = table.rules.find((r) => r.line === line);
    if (rule) return rule;
  }
  throw new Error(`no rule on line ${line}`);
}

function match<K extends IptablesMatch['kind']>(rule: IptablesRule, kind: K, index = 0): Extract<IptablesMatch, { kind: K }> {
  const found = rule.matches.filter((m) => m.kind === kind)[index];
  if (!found) throw new Error(`rule on line ${rule.line} has no ${kind} match #${index}`);
  return found as Extract<IptablesMatch, { kind: K }>;
}

const codes = (issues: ParseIssue[]) => issues.map((i) => i.code);

/** Samples (or their iptables-save sections) that must parse without a single unreadable line. */
const SAVE_SAMPLES = [
  'kubeproxy-iptables-overall.txt',
  'kubeproxy-iptables-local-policies.txt',
  'kubeproxy-iptables-real-kind-base-chains.txt',
  'kubeproxy-iptables-real-kind-kep3178.txt',
  'kubeproxy-iptables-real-legacy-xlb.txt',
  'kubeproxy-iptables-real-old-probabilities.txt',
  'calico-iptables-workload-chains.txt',
  'docker-iptables-forward-drop.txt',
  'kubeproxy-ipvs-iptables-ipset.txt',
];

describe.skipIf(!samplesAvailable)(`parseIptablesSave on shared samples${samplesAvailable ? '' : ` (skipped: ${SKIP_MESSAGE})`}`, () => {
  it.each(SAVE_SAMPLES)('%s: every iptables-save line is read (no BAD_LINE, no unsupported match)', (name) => {
    const { value, issues } = parseIptablesSave(sampleFile(name, ['iptables-save']));
    expect(issues.filter((i) => i.code === 'BAD_LINE' || i.code === 'UNSUPPORTED_MATCH')).toEqual([]);
    expect(value.ruleCount).toBeGreaterThan(0);
  });

  it('kep3178 (real kind node): DNAT of a KUBE-SEP rule, with its protocol match and comment', () => {
    const { value } = parseIptablesSave(sampleFile('kubeproxy-iptables-real-kind-kep3178.txt'));
    const dnat = ruleAt(value, 13);
    expect(dnat.chain).toBe('KUBE-SEP-6E7XQMQ4RAYOWTTM');
    expect(dnat.position).toBe(2);
    expect(dnat.protocol).toMatchObject({ name: 'udp', number: 17, negated: false });
    expect(match(dnat, 'comment').comment).toBe('kube-system/kube-dns:dns');
    expect(match(dnat, 'ports')).toMatchObject({ module: 'udp', protocol: 'udp' });
    expect(dnat.target).toMatchObject({
      kind: 'extension',
      extension: 'DNAT',
      toDestination: [{ text: '10.244.0.3:53', addressFirst: { family: 4, value: 0x0af40003 }, portFirst: 53, portLast: 53 }],
    });

    const hairpin = ruleAt(value, 12);
    expect(hairpin.source).toMatchObject({ negated: false, cidr: { text: '10.244.0.3/32', prefix: 32, network: 0x0af40003 } });
    expect(hairpin.target).toEqual({ kind: 'jump', name: 'KUBE-MARK-MASQ' });
  });

  it('kep3178: comments with spaces, MARK normalisation, negated mark, MASQUERADE --random-fully', () => {
    const { value } = parseIptablesSave(sampleFile('kubeproxy-iptables-real-kind-kep3178.txt'));
    const podTraffic = ruleAt(value, 3);
    expect(match(podTraffic, 'comment').comment).toBe('pod traffic for default/nodeport-service external destinations');
    expect(podTraffic.source?.cidr).toMatchObject({ network: 0x0af40000, mask: 0xffff0000, prefix: 16 });

    expect(match(ruleAt(value, 4), 'addrtype').srcType).toEqual({ types: ['LOCAL'], negated: false });
    expect(ruleAt(value, 7).target).toMatchObject({ extension: 'MARK', operation: 'set-xmark', update: { value: 0x4000, mask: 0x4000 } });
    // `--xor-mark 0x4000` as iptables-save prints it.
    expect(ruleAt(value, 10).target).toMatchObject({ extension: 'MARK', update: { value: 0x4000, mask: 0 } });
    expect(match(ruleAt(value, 9), 'mark')).toMatchObject({ value: 0x4000, mask: 0x4000, negated: true });
    expect(ruleAt(value, 11).target).toMatchObject({ extension: 'MASQUERADE', randomFully: true, random: false });
    expect(match(ruleAt(value, 8), 'ports').destinationPort).toEqual({ first: 31964, last: 31964, negated: false });
  });

  it('old kube-proxy: probabilities as the kernel stored them, `! -s` negation, recent with its old options', () => {
    const { value } = parseIptablesSave(sampleFile('kubeproxy-iptables-real-old-probabilities.txt'));
    expect(match(ruleAt(value, 2), 'statistic')).toMatchObject({ mode: 'random', probability: 0.33332999982, negated: false });
    expect(match(ruleAt(value, 6), 'statistic').probability).toBe(0.20000000019);
    expect(ruleAt(value, 4).matches.map((m) => m.kind)).toEqual(['comment']);

    const masq = ruleAt(value, 12);
    expect(masq.source).toMatchObject({ negated: true, cidr: { text: '10.244.0.0/16', prefix: 16 } });
    expect(masq.destination).toMatchObject({ negated: false, cidr: { text: '10.96.0.1/32' } });
    expect(match(masq, 'comment').comment).toBe('default/kubernetes:https cluster IP');
    expect(match(masq, 'ports').destinationPort).toEqual({ first: 443, last: 443, negated: false });

    expect(match(ruleAt(value, 18), 'recent')).toEqual({
      kind: 'recent',
      module: 'recent',
      name: 'KUBE-SEP-6FZLAPUAJM6OKK6A',
      command: 'rcheck',
      negated: false,
      seconds: 10800,
      hitcount: undefined,
      reap: true,
      rttl: false,
      side: 'source',
      mask: '255.255.255.255',
    });
  });

  it('golden shorthand: options in any order, bare addresses, --or-mark/--xor-mark, a rule without a target', () => {
    const { value, issues } = parseIptablesSave(sampleFile('kubeproxy-iptables-overall.txt'));
    expect(issues).toEqual([]);
    expect([...value.tables.keys()]).toEqual(['filter', 'nat']);

    // `-m tcp -p tcp -d 172.30.0.46 --dport 80`: --dport still belongs to the tcp match.
    const reject = ruleAt(value, 17);
    expect(reject.destination?.cidr).toMatchObject({ text: '172.30.0.46', prefix: 32 });
    expect(match(reject, 'ports').destinationPort).toEqual({ first: 80, last: 80, negated: false });
    expect(reject.target).toMatchObject({ extension: 'REJECT', rejectWith: 'icmp-port-unreachable' });

    const firewall = ruleAt(value, 21);
    expect(firewall.source).toMatchObject({ negated: true, cidr: { text: '127.0.0.0/8' } });
    expect(firewall.destination).toMatchObject({ negated: false });
    expect(match(firewall, 'conntrack').ctstate).toEqual({ states: ['RELATED', 'ESTABLISHED', 'DNAT'], negated: true });
    expect(match(ruleAt(value, 22), 'nfacct').name).toBe('ct_state_invalid_dropped_pkts');

    expect(match(ruleAt(value, 49), 'comment').comment).toBe('ns2/svc2:p80');
    expect(ruleAt(value, 74).target).toEqual({ kind: 'none' });
    expect(ruleAt(value, 75).target).toMatchObject({ extension: 'MARK', operation: 'or-mark', update: { value: 0x4000, mask: 0x4000 } });
    expect(ruleAt(value, 77).target).toMatchObject({ extension: 'MARK', operation: 'xor-mark', update: { value: 0x4000, mask: 0 } });
    expect(match(ruleAt(value, 82), 'recent')).toMatchObject({ name: 'KUBE-SEP-I77PXRDZVX7PMWMN', command: 'set' });
    expect(match(ruleAt(value, 92), 'statistic').probability).toBe(0.5);
    expect(match(ruleAt(value, 97), 'recent')).toMatchObject({ command: 'rcheck', seconds: 10800, reap: true });

    const svc = value.tables.get('nat')!.chains.get('KUBE-SVC-4SW47YFZTEDKD3PK')!;
    expect(svc.rules.map((r) => r.line)).toEqual([91, 92, 93]);
    expect(svc).toMatchObject({ builtin: false, line: 43 });
  });

  it('golden local-policy cases: each case parses; a case that omits declarations is reported, not rejected', () => {
    const text = readSample('kubeproxy-iptables-local-policies.txt');
    const cases = text.split(/^(?=# ===== CASE)/m);
    expect(cases.length).toBe(7);
    const caseE = cases[5]!;
    const { value, issues } = parseIptablesSave(new SourceFile('case-e.txt', caseE));
    expect(value.tables.get('nat')!.rules).toHaveLength(7);
    expect(codes(issues).every((c) => c === 'UNEXPECTED_SHAPE')).toBe(true);
    expect(issues.map((i) => i.message)).toContain('-j KUBE-MARK-MASQ: no such chain in *nat');
    for (const section of cases.slice(1, 5)) {
      expect(parseIptablesSave(new SourceFile('case.txt', section)).issues).toEqual([]);
    }
  });

  it('kind base chains: policies, counters, generator, and a missing COMMIT', () => {
    const { value, issues } = parseIptablesSave(sampleFile('kubeproxy-iptables-real-kind-base-chains.txt'));
    expect(value.generator).toEqual({ tool: 'iptables-save', version: '1.8.4', line: 2 });
    const mangle = value.tables.get('mangle')!;
    expect(mangle.commitLine).toBe(11);
    expect(mangle.chains.get('PREROUTING')).toMatchObject({ builtin: true, policy: 'ACCEPT', counters: { packets: 1789547, bytes: 356082101 }, line: 4 });
    expect(mangle.chains.get('KUBE-PROXY-CANARY')).toMatchObject({ builtin: false, counters: { packets: 0, bytes: 0 } });
    expect(mangle.chains.get('KUBE-PROXY-CANARY')!.policy).toBeUndefined();
    expect(value.tables.get('filter')!.commitLine).toBeUndefined();
    expect(issues).toEqual([
      expect.objectContaining({ code: 'UNEXPECTED_SHAPE', line: 15, severity: 'warning', message: expect.stringContaining('no COMMIT') }),
    ]);
  });

  it('Docker (xtables-save): FORWARD policy DROP, `! -o docker0`, isolation chains, nat MASQUERADE', () => {
    const { value } = parseIptablesSave(sampleFile('docker-iptables-forward-drop.txt', ['iptables-save']));
    expect(value.generator).toMatchObject({ tool: 'xtables-save', version: '1.8.2' });
    const filter = value.tables.get('filter')!;
    // The second *filter section (line 30) replaces the first, as iptables-restore would.
    expect(filter.line).toBe(30);
    expect(filter.chains.get('FORWARD')).toMatchObject({ builtin: true, policy: 'DROP' });

    const leaving = ruleAt(value, 65);
    expect(leaving.inInterface).toEqual({ name: 'docker0', wildcard: false, prefix: 'docker0', negated: false });
    expect(leaving.outInterface).toEqual({ name: 'docker0', wildcard: false, prefix: 'docker0', negated: true });
    expect(leaving.target).toEqual({ kind: 'verdict', name: 'ACCEPT' });
    expect(match(ruleAt(value, 63), 'conntrack').ctstate).toEqual({ states: ['RELATED', 'ESTABLISHED'], negated: false });

    const masquerade = ruleAt(value, 86);
    expect(masquerade.source?.cidr.text).toBe('172.17.0.0/16');
    expect(masquerade.outInterface?.negated).toBe(true);
    expect(masquerade.target).toMatchObject({ extension: 'MASQUERADE', randomFully: false });
    expect(match(ruleAt(value, 87), 'addrtype').dstType).toEqual({ types: ['LOCAL'], negated: true });
    expect(ruleAt(value, 84).destination).toMatchObject({ negated: true, cidr: { text: '127.0.0.0/8' } });
  });

  it('Docker sample as a whole: the `iptables -vL` block is reported once and skipped', () => {
    const { value, issues } = parseIptablesSave(sampleFile('docker-iptables-forward-drop.txt'));
    expect(issues.filter((i) => i.code === 'BAD_LINE')).toEqual([]);
    expect(issues).toContainEqual(expect.objectContaining({ code: 'UNEXPECTED_SHAPE', line: 94, message: expect.stringContaining('iptables -L') }));
    expect(value.tables.get('nat')!.rules.at(-1)!.line).toBe(92);
  });

  it('Calico: goto, ipsets, marks, two comments, interface wildcards, multiport, ipencap, -m ipvs', () => {
    const { value } = parseIptablesSave(sampleFile('calico-iptables-workload-chains.txt', ['iptables-save']));
    const dispatch = ruleAt(value, 4);
    expect(dispatch.outInterface).toMatchObject({ name: 'cali92d634f8f03', wildcard: false });
    expect(dispatch.target).toEqual({ kind: 'goto', name: 'cali-tw-cali92d634f8f03' });

    const twoComments = ruleAt(value, 10);
    expect(twoComments.matches.filter((m) => m.kind === 'comment').map((m) => (m.kind === 'comment' ? m.comment : ''))).toEqual([
      'cali:MVOQxoANBbR11zgK',
      'Return if policy accepted',
    ]);
    expect(match(twoComments, 'mark')).toMatchObject({ value: 0x10000, mask: 0x10000, negated: false });

    const setMatch = match(ruleAt(value, 19), 'set');
    expect(setMatch).toMatchObject({ setName: 'cali40s:XZEFRy4u2E2Kz28IwtNm0u8', flags: ['src'], negated: false });
    expect(ruleAt(value, 19).target).toMatchObject({ extension: 'MARK', update: { value: 0x10000, mask: 0x10000 } });
    expect(ruleAt(value, 7).target).toMatchObject({ update: { value: 0, mask: 0x10000 } });

    const ipip = ruleAt(value, 46);
    expect(ipip.protocol).toMatchObject({ name: 'ipencap', number: 4 });
    expect(match(ipip, 'set')).toMatchObject({ setName: 'cali4-all-hosts', negated: true });

    expect(ruleAt(value, 39).inInterface).toEqual({ name: 'cali+', wildcard: true, prefix: 'cali', negated: false });
    expect(match(ruleAt(value, 50), 'ipvs').ipvs).toEqual({ negated: false });
    expect(match(ruleAt(value, 34), 'multiport')).toMatchObject({ direction: 'destination', ports: [{ first: 5050, last: 5050 }] });
    expect(match(ruleAt(value, 45), 'conntrack').ctstate?.states).toEqual(['UNTRACKED']);
  });

  it('`iptables -L` output (k3s) is recognised as a listing, not read as rules', () => {
    const { value, issues } = parseIptablesSave(sampleFile('kubeproxy-iptables-L-k3s.txt'));
    expect(value.ruleCount).toBe(0);
    expect(issues).toContainEqual(expect.objectContaining({ code: 'UNEXPECTED_SHAPE', line: 7 }));
  });
});
