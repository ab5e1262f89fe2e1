/** Progress on stderr: plain lines off a terminal, one redrawn line on it, nothing when quiet. */
import { describe, expect, it } from 'vitest';
import { Progress } from '../../collector/progress.js';

function recorder(isTTY: boolean, quiet = false) {
  let text = '';
  let clock = 1000;
  const progress = new Progress({ write: (chunk) => (text += chunk), isTTY, quiet, now: () => clock });
  return { progress, text: () => text, advance: (ms: number) => (clock += ms) };
}

describe('Progress', () => {
  it('prints one plain line per step when stderr is not a terminal', () => {
    const { progress, text } = recorder(false);
    progress.expect(3);
    progress.note('capturing node-a (3 commands, 30s timeout each)');
    progress.step({ scope: 'node-a', status: 'ok', label: 'ip-addr.txt', detail: '12 ms' });
    progress.step({ scope: 'node-a', status: 'not-found', label: 'ipvsadm.txt', detail: 'ipvsadm is not installed' });
    progress.step({ scope: 'node-a', status: 'skipped', label: 'docker/networks.json', detail: 'docker is not installed' });
    progress.end();
    expect(text()).toBe(
      'netdump: capturing node-a (3 commands, 30s timeout each)\n' +
        'netdump: node-a [1/3] ok ip-addr.txt (12 ms)\n' +
        'netdump: node-a [2/3] not-found ipvsadm.txt (ipvsadm is not installed)\n' +
        'netdump: node-a [3/3] skipped docker/networks.json (docker is not installed)\n',
    );
    expect(progress.counts).toEqual({ done: 3, failed: 1, skipped: 1, interrupted: 0 });
  });

  it('redraws one status line on a terminal, prints failures above it, and clears it at the end', () => {
    const { progress, text, advance } = recorder(true);
    progress.expect(2);
    advance(400);
    progress.step({ scope: 'node-a', status: 'ok', label: 'ip-addr.txt' });
    advance(1100);
    progress.step({ scope: 'node-a', status: 'timed-out', label: 'conntrack-stats.txt', detail: 'conntrack -S, exit 124, 30010 ms' });
    progress.end();
    expect(text()).toBe(
      '\r\x1b[2K[1/2] node-a  ip-addr.txt · 0.4s' +
        '\r\x1b[2Knetdump: node-a: timed-out conntrack-stats.txt (conntrack -S, exit 124, 30010 ms)\n' +
        '\r\x1b[2K[2/2] node-a  conntrack-stats.txt · 1 failed · 1.5s' +
        '\r\x1b[2K',
    );
  });

  it('grows the total when a folder spec yields more steps than expected', () => {
    const { progress, text } = recorder(false);
    progress.expect(1);
    progress.step({ scope: 'n', status: 'ok', label: 'cni/10-calico.conflist' });
    progress.step({ scope: 'n', status: 'ok', label: 'cni/calico-kubeconfig' });
    expect(text()).toContain('[2/2] ok cni/calico-kubeconfig');
  });

  it('prints nothing with --quiet, but still counts', () => {
    const { progress, text } = recorder(true, true);
    progress.expect(1);
    progress.note('capturing');
    progress.step({ scope: 'n', status: 'failed', label: 'nft-ruleset.txt' });
    progress.end();
    expect(text()).toBe('');
    expect(progress.counts.failed).toBe(1);
  });
});
