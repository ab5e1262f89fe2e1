/**
 * parseIpsetSave and ipsetContains on `ipset save` output as kube-proxy (IPVS mode), Calico and
 * Docker leave it, on the `ipset list` form, and on the shared samples.
 */
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseIpAddress } from '../../analyzer/netfilter/ip-cidr.js';
import { ipsetContains } from '../../analyzer/netfilter/ipset-contains.js';
import { parseIpsetSave } from '../../analyzer/netfilter/parse-ipset-save.js';
import { sampleFile, samplesAvailable, SKIP_MESSAGE } from './shared-samples.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;
const parse = (text: string) => parseIpsetSave(new SourceFile('nodes/node-a/ipset-save.txt', text));

const KUBE_PROXY_IPVS = lines(
  'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 comment',
  'add KUBE-CLUSTER-IP 10.96.0.1,tcp:443 comment "default/kubernetes:https"',
  'add KUBE-CLUSTER-IP 10.96.0.10,udp:53 comment "kube-system/kube-dns:dns"',
  'add KUBE-CLUSTER-IP 10.96.0.10,tcp:53 comment "kube-system/kube-dns:dns-tcp"',
  'create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536 comment',
  'add KUBE-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5 comment "default/web:http"',
  'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535 comment',
  'add KUBE-NODE-PORT-TCP 30080 comment "default/web:http"',
  'create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet hashsize 1024 maxelem 65536 comment',
  'add KUBE-LOAD-BALANCER-SOURCE-CIDR 203.0.113.10,tcp:443,198.51.100.0/24 comment "default/lb:https"',
  'create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536 timeout 0',
  'add KUBE-6-CLUSTER-IP fd00:10:96::1,tcp:443',
);

const CALICO = lines(
  'create cali40s:XZEFRy4u2E2Kz28IwtNm0u8 hash:net family inet hashsize 1024 maxelem 1048576',
  'add cali40s:XZEFRy4u2E2Kz28IwtNm0u8 10.64.0.0/16',
  'add cali40s:XZEFRy4u2E2Kz28IwtNm0u8 10.64.1.0/24 nomatch',
  'add cali40s:XZEFRy4u2E2Kz28IwtNm0u8 10.64.1.5',
  'create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576',
  'add cali40all-ipam-pools 10.64.0.0/16',
  'create docker-ext-bridges-v4 hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x4fd8c6b1',
  'add docker-ext-bridges-v4 172.17.0.0/16',
  'create all-pools list:set size 8',
  'add all-pools cali40all-ipam-pools',
  'add all-pools docker-ext-bridges-v4',
  'create mystery hash:ip,mark family inet hashsize 1024 maxelem 65536',
  'add mystery 10.0.0.1,0x10',
);

describe('parseIpsetSave: kube-proxy IPVS sets', () => {
  const { value, issues } = parse(KUBE_PROXY_IPVS);

  it('reads types, dimensions, header options and members with comments', () => {
    expect(issues).toEqual([]);
    const clusterIp = value.sets.get('KUBE-CLUSTER-IP')!;
    expect(clusterIp).toMatchObject({ type: 'hash:ip,port', method: 'hash', dimensions: ['ip', 'port'], family: 4, line: 1 });
    expect(clusterIp.options).toEqual({ family: 'inet', hashsize: '1024', maxelem: '65536', comment: '' });
    expect(clusterIp.members[1]).toMatchObject({
      line: 3,
      text: '10.96.0.10,udp:53',
      comment: 'kube-system/kube-dns:dns',
      nomatch: false,
      parts: [
        { kind: 'cidr', cidr: { family: 4, prefix: 32 } },
        { kind: 'port', protocol: 'udp', first: 53, last: 53 },
      ],
    });
    expect(value.sets.get('KUBE-NODE-PORT-TCP')!.members[0]!.parts).toEqual([{ kind: 'port', protocol: undefined, first: 30080, last: 30080 }]);
    expect(value.sets.get('KUBE-6-CLUSTER-IP')).toMatchObject({ family: 6, options: { timeout: '0' } });
  });

  it('tests membership per dimension: ip + protocol + port', () => {
    const set = value.sets.get('KUBE-CLUSTER-IP')!;
    expect(ipsetContains(set, { ip: '10.96.0.10', protocol: 'udp', port: 53 })).toBe('match');
    expect(ipsetContains(set, { ip: '10.96.0.10', protocol: 'tcp', port: 53 })).toBe('match');
    expect(ipsetContains(set, { ip: '10.96.0.10', protocol: 'sctp', port: 53 })).toBe('no-match');
    expect(ipsetContains(set, { ip: '10.96.0.10', protocol: 17, port: 9153 })).toBe('no-match');
    expect(ipsetContains(set, { ip: parseIpAddress('10.96.0.1')!, protocol: 'TCP', port: 443 })).toBe('match');
    // Without the protocol the kernel's answer is not known.
    expect(ipsetContains(set, { ip: '10.96.0.1', port: 443 })).toBe('unknown');
  });

  it('tests hairpin (ip,port,ip), source ranges (ip,port,net), node ports (bitmap:port) and IPv6', () => {
    const sets = value.sets;
    expect(ipsetContains(sets.get('KUBE-LOOP-BACK')!, { ip: '10.244.1.5', protocol: 'tcp', port: 8080, ip2: '10.244.1.5' })).toBe('match');
    expect(ipsetContains(sets.get('KUBE-LOOP-BACK')!, { ip: '10.244.1.5', protocol: 'tcp', port: 8080, ip2: '10.244.1.6' })).toBe('no-match');
    const ranges = sets.get('KUBE-LOAD-BALANCER-SOURCE-CIDR')!;
    expect(ipsetContains(ranges, { ip: '203.0.113.10', protocol: 'tcp', port: 443, ip2: '198.51.100.77' })).toBe('match');
    expect(ipsetContains(ranges, { ip: '203.0.113.10', protocol: 'tcp', port: 443, ip2: '198.51.101.1' })).toBe('no-match');
    expect(ipsetContains(sets.get('KUBE-NODE-PORT-TCP')!, { port: 30080, protocol: 'tcp' })).toBe('match');
    expect(ipsetContains(sets.get('KUBE-NODE-PORT-TCP')!, { port: 30081, protocol: 'tcp' })).toBe('no-match');
    expect(ipsetContains(sets.get('KUBE-6-CLUSTER-IP')!, { ip: 'fd00:10:96:0::1', protocol: 'tcp', port: 443 })).toBe('match');
    expect(ipsetContains(sets.get('KUBE-6-CLUSTER-IP')!, { ip: '10.96.0.1', protocol: 'tcp', port: 443 })).toBe('no-match');
  });
});

describe('parseIpsetSave: Calico and Docker sets', () => {
  const { value, issues } = parse(CALICO);

  it('flags a set type it cannot evaluate and answers unknown for it', () => {
    expect(issues).toEqual([expect.objectContaining({ code: 'UNSUPPORTED_FEATURE', line: 12, severity: 'warning' })]);
    expect(ipsetContains(value.sets.get('mystery')!, { ip: '10.0.0.1' })).toBe('unknown');
  });

  it('hash:net: the most specific entry decides, and nomatch entries carve out exceptions', () => {
    const set = value.sets.get('cali40s:XZEFRy4u2E2Kz28IwtNm0u8')!;
    expect(set.members[1]).toMatchObject({ nomatch: true, parts: [{ kind: 'cidr', cidr: { prefix: 24 } }] });
    expect(ipsetContains(set, { ip: '10.64.2.3' })).toBe('match');
    expect(ipsetContains(set, { ip: '10.64.1.9' })).toBe('no-match');
    expect(ipsetContains(set, { ip: '10.64.1.5' })).toBe('match');
    expect(ipsetContains(set, { ip: '10.65.0.1' })).toBe('no-match');
  });

  it('list:set looks into its member sets, and answers unknown without them', () => {
    const list = value.sets.get('all-pools')!;
    expect(list.members.map((m) => m.parts)).toEqual([[{ kind: 'set', name: 'cali40all-ipam-pools' }], [{ kind: 'set', name: 'docker-ext-bridges-v4' }]]);
    expect(ipsetContains(list, { ip: '172.17.0.9' }, value.sets)).toBe('match');
    expect(ipsetContains(list, { ip: '192.168.0.1' }, value.sets)).toBe('no-match');
    expect(ipsetContains(list, { ip: '172.17.0.9' })).toBe('unknown');
  });

  it('bounds list:set recursion', () => {
    const { value: loop } = parse(lines('create a list:set size 8', 'create b list:set size 8', 'add a b', 'add b a'));
    expect(ipsetContains(loop.sets.get('a')!, { ip: '10.0.0.1' }, loop.sets)).toBe('unknown');
  });
});

describe('parseIpsetSave: other forms and hostile input', () => {
  it('reads `ipset list` blocks, with the protocol numbers older ipset prints', () => {
    const { value, issues } = parse(
      lines(
        'Name: KUBE-CLUSTER-IP',
        'Type: hash:ip,port',
        'Revision: 5',
        'Header: family inet hashsize 1024 maxelem 65536',
        'Size in memory: 352',
        'References: 2',
        'Members:',
        '10.96.0.10,17:53',
        '10.96.0.1,6:443',
        '',
        'Name: KUBE-NODE-PORT-UDP',
        'Type: bitmap:port',
        'Revision: 3',
        'Header: range 0-65535',
        'Members:',
        '31000',
      ),
    );
    expect(issues).toEqual([]);
    const set = value.sets.get('KUBE-CLUSTER-IP')!;
    expect(set.members.map((m) => m.line)).toEqual([8, 9]);
    expect(ipsetContains(set, { ip: '10.96.0.10', protocol: 'udp', port: 53 })).toBe('match');
    expect(value.sets.get('KUBE-NODE-PORT-UDP')).toMatchObject({ method: 'bitmap', options: { range: '0-65535' }, line: 11 });
  });

  it('reports malformed lines with their line number and keeps the rest', () => {
    const { value, issues } = parse(
      lines('create S hash:ip,port family inet', 'add S 10.0.0.1', 'add S 10.0.0.1,tcp:99999', 'bogus line', 'add S 10.0.0.2,udp:53', 'add T 10.0.0.3'),
    );
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['BAD_LINE', 2],
      ['BAD_LINE', 3],
      ['BAD_LINE', 4],
      ['UNEXPECTED_SHAPE', 6],
    ]);
    const set = value.sets.get('S')!;
    expect(set.members.map((m) => m.parts[0]!.kind)).toEqual(['raw', 'raw', 'cidr']);
    expect(ipsetContains(set, { ip: '10.0.0.2', protocol: 'udp', port: 53 })).toBe('match');
    expect(ipsetContains(set, { ip: '10.0.0.9', protocol: 'udp', port: 53 })).toBe('unknown');
  });
});

describe.skipIf(!samplesAvailable)(`parseIpsetSave on shared samples${samplesAvailable ? '' : ` (skipped: ${SKIP_MESSAGE})`}`, () => {
  it('ipset-members.txt (ipset script form) reads without BAD_LINE', () => {
    const { value, issues } = parseIpsetSave(sampleFile('ipset-members.txt'));
    expect(issues.filter((i) => i.code === 'BAD_LINE')).toEqual([]);
    const loopBack = value.sets.get('KUBE-LOOP-BACK')!;
    expect(loopBack.dimensions).toEqual(['ip', 'port', 'ip']);
    expect(ipsetContains(loopBack, { ip: '192.168.1.1', protocol: 'udp', port: 53, ip2: '192.168.1.1' })).toBe('match');
  });

  it.each(['calico-iptables-workload-chains.txt', 'kubeproxy-ipvs-iptables-ipset.txt'])('%s: the `ipset list` sections read without BAD_LINE', (name) => {
    const { value, issues } = parseIpsetSave(sampleFile(name, ['ipset-list']));
    expect(issues.filter((i) => i.code === 'BAD_LINE')).toEqual([]);
    expect(value.sets.size).toBeGreaterThan(0);
  });

  it('the ipvs sample: numeric protocols (17:53) and names (udp:53) test alike', () => {
    const { value } = parseIpsetSave(sampleFile('kubeproxy-ipvs-iptables-ipset.txt', ['ipset-list']));
    // The sample lists KUBE-CLUSTER-IP twice; the later listing (line 116) wins.
    const set = value.sets.get('KUBE-CLUSTER-IP')!;
    expect(set.line).toBe(116);
    expect(ipsetContains(set, { ip: '10.96.6.131', protocol: 'tcp', port: 80 })).toBe('match');
    expect(ipsetContains(set, { ip: '10.96.0.10', protocol: 'udp', port: 53 })).toBe('match');
  });
});
