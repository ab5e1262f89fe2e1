/**
 * The spec table and the script agree row for row (the script must stand alone on a node, so
 * it carries its own copy), and the script is plain POSIX sh as dash reads it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundlePathOf, COLLECTION_SPECS, describeConditions, NODE_CAPTURE_SPECS, specsFor, SYSCTL_KEYS } from '../../collector/collection-specs.js';
import { NODE_CAPTURE_SCRIPT } from '../../collector/run-node-capture.js';
import { projectRoot } from '../cli/run-cli.js';
import { findTool } from './node-lab.js';

const dash = findTool('dash');

describe('collection-specs', () => {
  it.skipIf(!dash)('equals the SPECS table of node-capture.sh (`--list`), row for row', () => {
    const listed = execFileSync(dash!, [NODE_CAPTURE_SCRIPT, '--list'], { encoding: 'utf8' })
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t'));
    const table = NODE_CAPTURE_SPECS.map((spec) => [spec.id, spec.tool, spec.flags.length > 0 ? spec.flags.join(',') : '-', spec.path, spec.command]);
    expect(listed).toEqual(table);
  });

  it('has one row per bundle path of the node section of bundle-format.md that a host can give', () => {
    expect(NODE_CAPTURE_SPECS.map((spec) => spec.path)).toEqual([
      'iptables-save.txt', 'ip6tables-save.txt', 'iptables-legacy-save.txt', 'iptables-nft-save.txt', 'nft-ruleset.txt',
      'ipset-save.txt', 'ipvsadm.txt', 'ip-addr.txt', 'ip-link.txt', 'ip-route.txt', 'ip-rule.txt', 'sysctl.txt',
      'conntrack-stats.txt', 'conntrack-count.txt', 'netstat-s.txt', 'resolv.conf', 'cni/', 'docker/networks.json',
      'docker/containers.json',
    ]);
    expect(new Set(COLLECTION_SPECS.map((spec) => spec.id)).size).toBe(COLLECTION_SPECS.length);
  });

  it('asks sysctl for every key the format requires', () => {
    for (const key of ['net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter', 'net.bridge.bridge-nf-call-iptables',
      'net.bridge.bridge-nf-call-ip6tables', 'net.netfilter.nf_conntrack_count', 'net.netfilter.nf_conntrack_max', 'net.ipv4.ip_local_port_range',
      'net.ipv4.tcp_retries2', 'net.core.somaxconn']) {
      expect(SYSCTL_KEYS).toContain(key);
    }
    expect(NODE_CAPTURE_SPECS.find((spec) => spec.id === 'sysctl')!.command).toBe(`sysctl ${SYSCTL_KEYS.join(' ')}`);
  });

  it('collector/README.md, which customers read before running it, names every command and where it goes', () => {
    const readme = readFileSync(join(projectRoot, 'collector/README.md'), 'utf8');
    for (const spec of NODE_CAPTURE_SPECS) {
      const path = spec.path.endsWith('/') ? `${spec.path}<file>` : spec.path;
      expect(readme, spec.command).toContain(`| \`${spec.command}\` | \`${path}\` |`);
    }
  });

  it('places outputs under nodes/<node>/, one file per source file for folder specs', () => {
    const cni = NODE_CAPTURE_SPECS.find((spec) => spec.id === 'cni')!;
    expect(bundlePathOf(cni, { node: 'node-a' })).toBe('nodes/node-a/cni/<file>');
    expect(bundlePathOf(NODE_CAPTURE_SPECS[0]!, { node: 'node-a' })).toBe('nodes/node-a/iptables-save.txt');
    expect(specsFor('local')).toEqual(NODE_CAPTURE_SPECS);
    expect(describeConditions(NODE_CAPTURE_SPECS.find((spec) => spec.id === 'ipvsadm')!)).toEqual([
      'only when IPVS is loaded (/proc/net/ip_vs exists): ipvsadm would load the kernel module',
    ]);
  });
});

describe.skipIf(!dash)('node-capture.sh as POSIX sh', () => {
  it('parses under dash -n', () => {
    const result = spawnSync(dash!, ['-n', NODE_CAPTURE_SCRIPT], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses bad arguments with a usage message and exit 2', () => {
    const cases = [
      ['--bogus'],
      ['--out', '/nonexistent-never/x', '--timeout', '0'],
      ['--tar', '--node', '../etc'],
      ['--node', 'a'],
    ];
    for (const args of cases) {
      const result = spawnSync(dash!, [NODE_CAPTURE_SCRIPT, ...args], { encoding: 'utf8' });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(/^node-capture: /);
    }
  });
});
