/**
 * The bundle file: a .tgz that tar lists and the analyzer reads, under one top folder, never
 * left half-written, never holding an entry that escapes its folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import { findTool } from './node-lab.js';
import { defaultBundleName, fileTimestamp, topFolderFor, writeBundle } from '../../collector/write-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'netdump-write-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MANIFEST = JSON.stringify({ format: 'netdump/v1', createdAt: '2026-11-26T10:00:00Z', items: [] });
const ROUTES = 'default via 10.0.1.1 dev eth0 proto dhcp src 10.0.1.11 metric 100\n10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.11\n';

describe('writeBundle', () => {
  it('writes a .tgz that `tar -tzf` lists, folders first, under one top folder', async () => {
    const output = join(dir, 'netdump-node-a-2026-11-26T10-00-00Z.tgz');
    const written = await writeBundle(output, [
      { path: 'manifest.json', data: MANIFEST },
      { path: 'nodes/node-a/ip-route.txt', data: ROUTES },
      { path: 'nodes/node-a/cni/10-flannel.conflist', data: Buffer.from('{"name":"cbr0","plugins":[]}\n') },
    ]);
    expect(written).toEqual({ path: output, bytes: statSync(output).size, topFolder: 'netdump-node-a-2026-11-26T10-00-00Z' });
    expect(statSync(output).mode & 0o777).toBe(0o600);
    if (findTool('tar')) {
      const listing = execFileSync('tar', ['-tzf', output], { encoding: 'utf8' });
      expect(listing.split('\n').filter(Boolean)).toEqual([
        'netdump-node-a-2026-11-26T10-00-00Z/',
        'netdump-node-a-2026-11-26T10-00-00Z/manifest.json',
        'netdump-node-a-2026-11-26T10-00-00Z/nodes/',
        'netdump-node-a-2026-11-26T10-00-00Z/nodes/node-a/',
        'netdump-node-a-2026-11-26T10-00-00Z/nodes/node-a/ip-route.txt',
        'netdump-node-a-2026-11-26T10-00-00Z/nodes/node-a/cni/',
        'netdump-node-a-2026-11-26T10-00-00Z/nodes/node-a/cni/10-flannel.conflist',
      ]);
    }
    const bundle = await readBundle(output);
    expect(bundle.issues).toEqual([]);
    expect(bundle.manifest?.format).toBe('netdump/v1');
    expect(bundle.get('nodes/node-a/ip-route.txt')?.text).toBe(ROUTES);
    expect(bundle.nodeNames()).toEqual(['node-a']);
  });

  it('refuses entries that would leave the bundle folder, and leaves no file behind', async () => {
    const output = join(dir, 'evil.tgz');
    for (const path of ['../etc/passwd', 'nodes/../../x', 'nodes//x', '']) {
      await expect(writeBundle(output, [{ path: 'manifest.json', data: MANIFEST }, { path, data: 'x' }])).rejects.toThrow(/unsafe path/);
    }
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('evil'))).toEqual([]);
  });

  it('reports a folder it cannot write to', async () => {
    await expect(writeBundle(join(dir, 'missing-folder', 'b.tgz'), [{ path: 'manifest.json', data: MANIFEST }])).rejects.toThrow(/ENOENT/);
  });
});

describe('bundle names', () => {
  it('netdump-<label>-<UTC timestamp>.tgz, safe on every file system', () => {
    const at = new Date('2026-11-26T10:00:05.120Z');
    expect(fileTimestamp(at)).toBe('2026-11-26T10-00-05Z');
    expect(defaultBundleName('node-a', at)).toBe('netdump-node-a-2026-11-26T10-00-05Z.tgz');
    expect(defaultBundleName('arn:aws:eks:eu-west-1:123:cluster/prod', at)).toBe('netdump-arn-aws-eks-eu-west-1-123-cluster-prod-2026-11-26T10-00-05Z.tgz');
    expect(topFolderFor('/tmp/out/case-4711.tar.gz')).toBe('case-4711');
    expect(topFolderFor('bundle.tgz')).toBe('bundle');
  });
});
