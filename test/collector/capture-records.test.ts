/**
 * Reading node-capture.sh's records, and turning a capture into manifest items: every
 * command once, failed and skipped ones included, and a row for every spec the script never
 * reached.
 */
import { describe, expect, it } from 'vitest';
import { parseCaptureRecords } from '../../collector/capture-records.js';
import { NODE_CAPTURE_SPECS } from '../../collector/collection-specs.js';
import { itemOutcome } from '../../collector/manifest-document.js';
import { MAX_STDERR_CHARS, nodeCaptureItems } from '../../collector/node-capture-items.js';
import type { NodeCaptureOutput } from '../../collector/run-node-capture.js';

const RECORDS = [
  'seq\tid\tpath\texitCode\tdurationMs\terror\tnote\tcommand',
  '1\tiptables-save\tiptables-save.txt\t0\t40\t\t\tiptables-save',
  '2\tipset-save\tipset-save.txt\t127\t0\tcommand not found\t\tipset save',
  '3\tipvsadm\tipvsadm.txt\t\t\t\tIPVS is not loaded: no /proc/net/ip_vs\tipvsadm -Ln',
  '4\tconntrack-stats\tconntrack-stats.txt\t124\t30010\ttimed out\t\tconntrack -S',
  '5\tcni\tcni/10-calico.conflist\t0\t-10\t\t\tcat /etc/cni/net.d/10-calico.conflist',
  '6\tdocker-networks\tdocker/networks.json\t1\t20\t\tpartial output kept\tdocker network inspect $(docker network ls -q)',
  '',
].join('\n');

function capture(overrides: Partial<NodeCaptureOutput> = {}): NodeCaptureOutput {
  return {
    files: new Map(),
    records: parseCaptureRecords(RECORDS).records,
    stderr: new Map([
      [2, ''],
      [6, 'Error response from daemon: network 9d8e not found\n'],
    ]),
    exitCode: 0,
    exitSignal: null,
    interrupted: false,
    problems: [],
    log: [],
    ...overrides,
  };
}

describe('parseCaptureRecords', () => {
  it('reads every record, run or not, and clamps a negative duration', () => {
    const { records, problems } = parseCaptureRecords(RECORDS);
    expect(problems).toEqual([]);
    expect(records[0]).toEqual({ seq: 1, id: 'iptables-save', path: 'iptables-save.txt', exitCode: 0, durationMs: 40, command: 'iptables-save' });
    expect(records[1]).toEqual({ seq: 2, id: 'ipset-save', path: 'ipset-save.txt', exitCode: 127, durationMs: 0, error: 'command not found', command: 'ipset save' });
    expect(records[2]).toEqual({ seq: 3, id: 'ipvsadm', path: 'ipvsadm.txt', note: 'IPVS is not loaded: no /proc/net/ip_vs', command: 'ipvsadm -Ln' });
    expect(records[4]!.durationMs).toBe(0);
  });

  it('names lines it cannot read', () => {
    const { records, problems } = parseCaptureRecords('1\tip-addr\tip-addr.txt\t0\n2\tip-link\tip-link.txt\tx\t1\t\t\tip -d -s link show\n');
    expect(records).toEqual([]);
    expect(problems).toEqual([
      'records.tsv:1: expected 8 tab-separated fields, found 4',
      'records.tsv:2: not a command record: 2\tip-link\tip-link.txt\tx\t1\t\t\tip -d -s link show',
    ]);
  });
});

describe('nodeCaptureItems', () => {
  it('makes one item per record, with stderr for commands that ran and the reason for those that did not', () => {
    const items = nodeCaptureItems('node-a', capture(), NODE_CAPTURE_SPECS);
    expect(items.slice(0, 6)).toEqual([
      { path: 'nodes/node-a/iptables-save.txt', node: 'node-a', command: 'iptables-save', exitCode: 0, durationMs: 40, stderr: '' },
      { path: 'nodes/node-a/ipset-save.txt', node: 'node-a', command: 'ipset save', exitCode: 127, durationMs: 0, stderr: '', error: 'command not found' },
      { path: 'nodes/node-a/ipvsadm.txt', node: 'node-a', command: 'ipvsadm -Ln', note: 'not run: IPVS is not loaded: no /proc/net/ip_vs' },
      { path: 'nodes/node-a/conntrack-stats.txt', node: 'node-a', command: 'conntrack -S', exitCode: 124, durationMs: 30010, stderr: '', error: 'timed out' },
      { path: 'nodes/node-a/cni/10-calico.conflist', node: 'node-a', command: 'cat /etc/cni/net.d/10-calico.conflist', exitCode: 0, durationMs: 0, stderr: '' },
      {
        path: 'nodes/node-a/docker/networks.json',
        node: 'node-a',
        command: 'docker network inspect $(docker network ls -q)',
        exitCode: 1,
        durationMs: 20,
        stderr: 'Error response from daemon: network 9d8e not found',
        note: 'partial output kept',
      },
    ]);
    expect(items.slice(0, 6).map(itemOutcome)).toEqual(['ok', 'failed', 'skipped', 'failed', 'ok', 'failed']);
  });

  it('accounts for every spec the script never reached: interrupted, or the capture ended early', () => {
    const recorded = new Set(['iptables-save', 'ipset-save', 'ipvsadm', 'conntrack-stats', 'cni', 'docker-networks']);
    const unreached = NODE_CAPTURE_SPECS.filter((spec) => !recorded.has(spec.id));

    const interrupted = nodeCaptureItems('node-a', capture({ interrupted: true, exitCode: 130 }), NODE_CAPTURE_SPECS).slice(6);
    expect(interrupted.map((item) => item.path)).toEqual(unreached.map((spec) => `nodes/node-a/${spec.path}`));
    expect(interrupted.every((item) => item.error === 'interrupted' && item.note === 'not run' && itemOutcome(item) === 'interrupted')).toBe(true);

    const died = nodeCaptureItems('node-a', capture({ exitCode: null, exitSignal: 'SIGKILL' }), NODE_CAPTURE_SPECS).slice(6);
    expect(died[0]).toEqual({
      path: 'nodes/node-a/ip6tables-save.txt',
      node: 'node-a',
      command: 'ip6tables-save',
      error: 'capture ended early',
      note: 'not run: the node capture ended (signal SIGKILL) before this command',
    });
  });

  it('cuts a long stderr', () => {
    const long = nodeCaptureItems('node-a', capture({ stderr: new Map([[1, 'x'.repeat(MAX_STDERR_CHARS + 50)]]) }), NODE_CAPTURE_SPECS)[0]!;
    expect(long.stderr).toBe(`${'x'.repeat(MAX_STDERR_CHARS)}… (50 more characters)`);
  });
});
