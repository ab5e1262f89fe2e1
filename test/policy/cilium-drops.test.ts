import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCiliumMonitorDrops } from '../../analyzer/policy/cilium/parse-cilium-monitor-drops.js';
import { dnsNamesFromHubble } from '../../analyzer/policy/cilium/hubble-dns-names.js';
import { parseHubbleFlows } from '../../analyzer/policy/cilium/parse-hubble-flows.js';

const SAMPLES = join(process.cwd(), '..', 'shared', 'samples');
const HUBBLE_SAMPLE = join(SAMPLES, 'hubble-observe.txt');
const MONITOR_SAMPLE = join(SAMPLES, 'cilium-monitor-drop-and-ct.txt');
for (const sample of [HUBBLE_SAMPLE, MONITOR_SAMPLE]) {
  if (!existsSync(sample)) console.warn(`cilium-drops.test: ${sample} not found; its sample test is skipped`);
}

/** Keeps the lines `keep` selects and blanks the others, so line numbers stay those of the sample. */
function linesOf(text: string, keep: (line: string) => boolean): string {
  return text
    .split('\n')
    .map((line) => (keep(line) ? line : ''))
    .join('\n');
}

describe('parseHubbleFlows: samples/hubble-observe.txt', () => {
  it.skipIf(!existsSync(HUBBLE_SAMPLE))('reports the truncated JSON record at its line', () => {
    const sample = readFileSync(HUBBLE_SAMPLE, 'utf8');
    const json = linesOf(sample, (l) => l.startsWith('{'));
    const { value, issues } = parseHubbleFlows(new SourceFile('hubble/flows.json', json));
    expect(value).toEqual([]);
    const line = sample.split('\n').findIndex((l) => l.startsWith('{"flow"')) + 1;
    expect(issues.map((i) => [i.code, i.line])).toEqual([['INVALID_JSON', line]]);
    expect(issues[0]!.message).toMatch(/^line \d+ is not a JSON flow \(.+\); skipped$/);
  });

  it.skipIf(!existsSync(HUBBLE_SAMPLE))('reads the sample record completed as the note in the sample describes', () => {
    const sample = readFileSync(HUBBLE_SAMPLE, 'utf8');
    const record = sample.split('\n').find((l) => l.startsWith('{"flow"'))!;
    const completed = `${record}},"drop_reason_desc":"POLICY_DENIED","Summary":"TCP Flags: SYN"},"node_name":"kind-worker2","time":"2025-07-15T01:32:14.234858520Z"}`;
    const { value, issues } = parseHubbleFlows(new SourceFile('hubble/flows.json', `${completed}\n`));
    expect(issues).toEqual([]);
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({
      line: 1,
      verdict: 'DROPPED',
      dropReason: 133,
      dropReasonDesc: 'POLICY_DENIED',
      policyDrop: 'POLICY_DENIED',
      ipVersion: 4,
      srcIp: '10.244.3.30',
      dstIp: '1.1.1.1',
      protocol: 'TCP',
      srcPort: 55462,
      dstPort: 80,
      tcpFlags: ['SYN'],
      trafficDirection: 'EGRESS',
      nodeName: 'kind-worker2',
      type: 'L3_L4',
      summary: 'TCP Flags: SYN',
      source: { id: 1238, identity: 24009, namespace: 'cilium-test-5', podName: 'client-645b68dcf7-2jmrw', workloads: [{ kind: 'Deployment', name: 'client' }] },
      destination: { identity: 16777259, labels: ['cidr:1.1.1.1/32', 'fqdn:one.one.one.one.', 'reserved:world-ipv4'] },
      destinationNames: ['one.one.one.one'],
    });
    expect(value[0]!.source.labels).toContain('k8s:io.kubernetes.pod.namespace=cilium-test-5');
    // The names Cilium's DNS proxy saw for 1.1.1.1, for toFQDNs rules.
    const fqdnsOf = dnsNamesFromHubble(value);
    expect(fqdnsOf('1.1.1.1')).toEqual(['one.one.one.one']);
    expect(fqdnsOf('8.8.8.8')).toBeUndefined();
  });
});

describe('parseHubbleFlows: inline flows as hubble observe -o json prints them', () => {
  const lines = [
    // Forwarded DNS (a reply), newer hubble with the GetFlowsResponse envelope.
    '{"flow":{"time":"2026-11-26T09:41:02.118Z","verdict":"FORWARDED","IP":{"source":"10.0.3.53","destination":"10.0.1.10","ipVersion":"IPv4"},"l4":{"UDP":{"source_port":53,"destination_port":41892}},"source":{"ID":812,"identity":5128,"namespace":"kube-system","labels":["k8s:k8s-app=kube-dns"],"pod_name":"coredns-1"},"destination":{"ID":1201,"identity":12885,"namespace":"shop","labels":["k8s:app=web"],"pod_name":"web-1"},"Type":"L3_L4","node_name":"node-a","is_reply":true,"traffic_direction":"INGRESS","Summary":"UDP"},"node_name":"node-a","time":"2026-11-26T09:41:02.118Z"}',
    // A deny rule (POLICY_DENY, 181) without drop_reason_desc, naming the policy that denied it.
    '{"flow":{"time":"2026-11-26T09:41:03.500Z","verdict":"DROPPED","drop_reason":181,"IP":{"source":"10.0.1.10","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":40112,"destination_port":443,"flags":{"SYN":true}}},"source":{"ID":1201,"identity":12885,"namespace":"shop","labels":["k8s:app=web"],"pod_name":"web-1"},"destination":{"identity":2,"labels":["reserved:world"]},"Type":"L3_L4","traffic_direction":"EGRESS","policy_match_type":1,"egress_denied_by":[{"name":"allow-all-but-world","namespace":"shop","kind":"CiliumNetworkPolicy","labels":["k8s:io.cilium.k8s.policy.name=allow-all-but-world"],"revision":"12"}]}}',
    '{"node_status":{"state_change":"NODE_CONNECTED","node_names":["node-b"]},"node_name":"node-b","time":"2026-11-26T09:41:04Z"}',
    'hubble: lost connection, retrying',
    // An older CLI that prints the flow itself; ICMP echo request dropped by default deny.
    '{"time":"2026-11-26T09:41:05Z","verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED","IP":{"source":"10.0.1.10","destination":"10.0.2.20","ipVersion":"IPv4"},"l4":{"ICMPv4":{"type":8}},"source":{"namespace":"shop","pod_name":"web-1"},"destination":{"namespace":"db","pod_name":"postgres-0"},"Type":"L3_L4","traffic_direction":"INGRESS"}',
    // An HTTP request refused by an L7 rule.
    '{"flow":{"time":"2026-11-26T09:41:06Z","verdict":"DROPPED","IP":{"source":"10.0.1.11","destination":"10.0.1.10","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":51000,"destination_port":80}},"source":{"namespace":"shop","pod_name":"cart-1"},"destination":{"namespace":"shop","pod_name":"web-1"},"Type":"L7","l7":{"type":"REQUEST","http":{"method":"DELETE","url":"http://web/api/1"}},"traffic_direction":"INGRESS"}}',
    '',
  ].join('\n');

  it('reads flows, skips other responses, and reports a bad line at its number', () => {
    const { value, issues } = parseHubbleFlows(new SourceFile('hubble/flows.json', lines));
    expect(value.map((f) => [f.line, f.verdict, f.protocol, f.policyDrop ?? '-'])).toEqual([
      [1, 'FORWARDED', 'UDP', '-'],
      [2, 'DROPPED', 'TCP', 'POLICY_DENY'],
      [5, 'DROPPED', 'ICMP', 'POLICY_DENIED'],
      [6, 'DROPPED', 'TCP', 'L7'],
    ]);
    expect(issues.map((i) => [i.code, i.file, i.line, i.text])).toEqual([['INVALID_JSON', 'hubble/flows.json', 4, 'hubble: lost connection, retrying']]);
    expect(value[0]).toMatchObject({ isReply: true, srcPort: 53, dstPort: 41892, destination: { podName: 'web-1', namespace: 'shop' } });
    expect(value[1]!.egressDeniedBy).toEqual([{ kind: 'CiliumNetworkPolicy', namespace: 'shop', name: 'allow-all-but-world', labels: ['k8s:io.cilium.k8s.policy.name=allow-all-but-world'] }]);
    expect(value[1]).toMatchObject({ policyMatchType: 1, tcpFlags: ['SYN'] });
    expect(value[2]).toMatchObject({ icmp: { type: 8 }, source: { podName: 'web-1' } });
  });

  it('caps a file full of bad lines to a readable list', () => {
    const garbage = Array.from({ length: 40 }, (_, i) => `not json ${i}`).join('\n');
    const { issues } = parseHubbleFlows(new SourceFile('hubble/flows.json', garbage));
    expect(issues).toHaveLength(26);
    expect(issues.at(-1)).toMatchObject({ line: 0, message: '15 more lines that are not JSON not listed (40 in all)' });
  });
});

describe('parseCiliumMonitorDrops: samples/cilium-monitor-drop-and-ct.txt', () => {
  it.skipIf(!existsSync(MONITOR_SAMPLE))('reads every drop of the two monitor captures, with lines and policy drops flagged', () => {
    const sample = readFileSync(MONITOR_SAMPLE, 'utf8');
    const lines = sample.split('\n');
    const end = lines.findIndex((l) => l.includes('cilium bpf ct list'));
    const capture = linesOf(lines.slice(0, end).join('\n'), (l) => !l.startsWith('#'));
    const { value, issues } = parseCiliumMonitorDrops(new SourceFile('nodes/node-a/cilium/monitor-drop.txt', capture));
    expect(issues).toEqual([]);
    expect(value.map((d) => [d.line, d.reason, d.policyDrop ?? '-'])).toEqual([
      [4, 'Invalid destination mac', '-'],
      [5, 'Unknown L3 target address', '-'],
      [6, 'Policy denied (L3)', 'POLICY_DENIED'],
      [7, 'Policy denied (L3)', 'POLICY_DENIED'],
      [8, 'Invalid destination mac', '-'],
      [14, 'Policy denied', 'POLICY_DENIED'],
    ]);
    expect(value[2]).toMatchObject({
      flowId: '0xdd1bea99',
      endpoint: 0,
      srcIdentity: '5',
      dstIdentity: '7479',
      src: { address: '10.2.1.205', ip: '10.2.1.205', port: 38631 },
      dst: { address: '10.2.2.169', ip: '10.2.2.169', port: 53 },
      protocol: 'udp',
    });
    // cilium#11517: redacted addresses are kept as printed, without an ip.
    expect(value[5]).toMatchObject({ endpoint: 1585, srcIdentity: '16777388', dstIdentity: '33623', src: { address: '10.0.x.y', port: 55454 }, dst: { address: '10.0.a.b' }, protocol: 'tcp', detail: 'SYN' });
    expect(value[5]!.dst.port).toBeUndefined();
    expect(value[5]!.src.ip).toBeUndefined();
    expect(value[0]).toMatchObject({ src: { address: 'fe80::18da:1ff:fe73:4d40', ip: 'fe80::18da:1ff:fe73:4d40' }, dst: { address: 'ff02::2' }, protocol: 'RouterSolicitation' });
  });
});

describe('parseCiliumMonitorDrops: inline lines of newer agents', () => {
  it('reads ifindex, the datapath file, deny-rule drops and bracketed IPv6, and flags other lines', () => {
    const text = [
      'Listening for events on 4 CPUs with 64x4096 of shared memory',
      'Press Ctrl-C to quit',
      'xx drop (Policy denied) flow 0x0 to endpoint 1201, ifindex 12, file bpf_lxc.c:2012, identity 12885->5128: 10.0.1.10:41022 -> 10.0.3.53:53 udp',
      'xx drop (Policy denied by denylist) flow 0x3a2b to endpoint 0, ifindex 12, file bpf_lxc.c:1361, identity 12885->2: 10.0.1.10:40112 -> 1.1.1.1:443 tcp SYN',
      'xx drop (Policy denied) flow 0x91 to endpoint 88, identity 2->44012: [2001:db8::7]:51234 -> [fd00::10:20]:8080 tcp SYN',
      '-> endpoint 1201 flow 0x5c, identity 5128->12885 state reply ifindex lxc4e2c: 10.0.3.53:53 -> 10.0.1.10:41022 udp',
      '',
    ].join('\n');
    const { value, issues } = parseCiliumMonitorDrops(new SourceFile('nodes/node-a/cilium/monitor-drop.txt', text));
    expect(value.map((d) => [d.line, d.policyDrop, d.ifindex, d.bpfSource])).toEqual([
      [3, 'POLICY_DENIED', 12, 'bpf_lxc.c:2012'],
      [4, 'POLICY_DENY', 12, 'bpf_lxc.c:1361'],
      [5, 'POLICY_DENIED', undefined, undefined],
    ]);
    expect(value[1]).toMatchObject({ srcIdentity: '12885', dstIdentity: '2', dst: { ip: '1.1.1.1', port: 443 }, protocol: 'tcp', detail: 'SYN' });
    expect(value[2]).toMatchObject({ src: { address: '2001:db8::7', ip: '2001:db8::7', port: 51234 }, dst: { ip: 'fd00::10:20', port: 8080 } });
    expect(issues).toEqual([
      {
        code: 'BAD_LINE',
        file: 'nodes/node-a/cilium/monitor-drop.txt',
        line: 6,
        message: 'line 6 is not a cilium monitor drop event; skipped',
        text: '-> endpoint 1201 flow 0x5c, identity 5128->12885 state reply ifindex lxc4e2c: 10.0.3.53:53 -> 10.0.1.10:41022 udp',
        severity: 'warning',
      },
    ]);
  });
});
