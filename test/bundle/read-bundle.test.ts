import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../analyzer/bundle/bundle.js';
import { BundleReadError, bundleFromFiles, readBundle, readBundleFromBuffer } from '../../analyzer/bundle/read-bundle.js';
import { packDirectory, packTar, packTgz } from '../helpers/pack-bundle.js';
import { IPTABLES_SAVE, IP_ROUTE, SAMPLE_FILES } from './sample-bundle.js';

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'netdump-read-bundle-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

function expectSampleContent(bundle: Bundle): void {
  expect([...bundle.files.keys()].sort()).toEqual(Object.keys(SAMPLE_FILES).sort());
  expect(bundle.get('nodes/node-a/iptables-save.txt')?.text).toBe(IPTABLES_SAVE);
  expect(bundle.get('nodes/node-a/iptables-save.txt')?.path).toBe('nodes/node-a/iptables-save.txt');
  expect(bundle.nodeNames()).toEqual(['node-a', 'node-b']);
  expect(bundle.manifest?.cluster?.context).toBe('prod-eu-1');
  expect(bundle.manifest?.items.map((item) => item.path)).toEqual([
    'nodes/node-a/iptables-save.txt',
    'nodes/node-a/ipvsadm.txt',
  ]);
  expect(bundle.issues).toEqual([]);
  expect(bundle.skipped.size).toBe(0);
}

describe('readBundle', () => {
  it('reads a .tgz file', async () => {
    const path = join(scratch, 'bundle.tgz');
    await writeFile(path, await packTgz(SAMPLE_FILES));
    const bundle = await readBundle(path);
    expect(bundle.origin).toBe(path);
    expectSampleContent(bundle);
  });

  it('reads a plain .tar file', async () => {
    const path = join(scratch, 'bundle.tar');
    await writeFile(path, await packTar(SAMPLE_FILES));
    expectSampleContent(await readBundle(path));
  });

  it('detects gzip by its magic bytes, whatever the name says', async () => {
    const path = join(scratch, 'bundle-really-gzipped.tar');
    await writeFile(path, await packTgz(SAMPLE_FILES));
    expectSampleContent(await readBundle(path));
  });

  it('reads an unpacked folder', async () => {
    const dir = join(scratch, 'unpacked');
    await writeTree(dir, SAMPLE_FILES);
    const bundle = await readBundle(dir);
    expect(bundle.origin).toBe(dir);
    expectSampleContent(bundle);
  });

  it('finds the root inside a folder that wraps the bundle', async () => {
    const dir = join(scratch, 'wrapped-folder');
    await writeTree(join(dir, 'netdump-2026-11-26T10-00'), SAMPLE_FILES);
    expectSampleContent(await readBundle(dir));
  });

  it('strips a single wrapping top folder of a tarball', async () => {
    const tgz = await packTgz(SAMPLE_FILES, { prefix: 'netdump-2026-11-26T10-00' });
    expectSampleContent(await readBundleFromBuffer(tgz, 'wrapped.tgz'));
  });

  it('normalises ./ prefixes and backslashes in entry names', async () => {
    const tar = await packTar({
      './manifest.json': SAMPLE_FILES['manifest.json']!,
      './cluster/services.json': SAMPLE_FILES['cluster/services.json']!,
      'nodes\\node-a\\iptables-save.txt': IPTABLES_SAVE,
      'nodes//node-a/./ip-route.txt': IP_ROUTE,
      'nodes/node-b/ip-route.txt': IP_ROUTE,
      'pods/default/web-0/resolv.conf': SAMPLE_FILES['pods/default/web-0/resolv.conf']!,
    });
    expectSampleContent(await readBundleFromBuffer(tar, 'dotted.tar'));
  });

  it('reads a packed fixture folder the way scenario tests do', async () => {
    const dir = join(scratch, 'fixture-scenario');
    await writeTree(dir, SAMPLE_FILES);
    const tgz = await packDirectory(dir, { prefix: 'netdump-fixture' });
    expectSampleContent(await readBundleFromBuffer(tgz, 'fixture.tgz'));
  });

  it('takes the shallowest candidate root when several folders look like one', async () => {
    const tgz = await packTgz({
      'netdump-x/manifest.json': SAMPLE_FILES['manifest.json']!,
      'netdump-x/logs/nodes/coredns-1/coredns.log': '[INFO] plugin/reload: Running configuration SHA512 = 1b2c\n',
      'netdump-x/pods/cluster/web-0/resolv.conf': 'nameserver 10.96.0.10\n',
    });
    const bundle = await readBundleFromBuffer(tgz, 'nested.tgz');
    expect([...bundle.files.keys()].sort()).toEqual([
      'logs/nodes/coredns-1/coredns.log',
      'manifest.json',
      'pods/cluster/web-0/resolv.conf',
    ]);
  });

  it('ignores and reports files outside the chosen root', async () => {
    const tar = await packTar({
      'README.txt': 'collected by hand\n',
      'bundle/nodes/node-a/ip-route.txt': IP_ROUTE,
    });
    const bundle = await readBundleFromBuffer(tar, 'stray.tar');
    expect([...bundle.files.keys()]).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'UNEXPECTED_SHAPE', file: '', severity: 'warning' }]);
    expect(bundle.issues[0]!.message).toContain('README.txt');
  });

  it('has no manifest when manifest.json is absent', async () => {
    const bundle = await readBundleFromBuffer(await packTgz({ 'nodes/node-a/ip-route.txt': IP_ROUTE }), 'x.tgz');
    expect(bundle.manifest).toBeUndefined();
    expect(bundle.issues).toEqual([]);
  });

  it('lists files under a folder, sorted, and only those', async () => {
    const bundle = await readBundleFromBuffer(await packTgz(SAMPLE_FILES), 'x.tgz');
    expect(bundle.list('nodes/node-a/').map((f) => f.path)).toEqual([
      'nodes/node-a/ip-route.txt',
      'nodes/node-a/iptables-save.txt',
    ]);
    expect(bundle.list('nodes/node-').length).toBe(3);
    expect(bundle.list('nodes/node-c/')).toEqual([]);
    expect(bundle.has('cluster/services.json')).toBe(true);
    expect(bundle.has('cluster/pods.json')).toBe(false);
  });

  it('counts a node folder that only a directory entry names', async () => {
    const dir = join(scratch, 'empty-node');
    await writeTree(dir, { 'nodes/node-a/ip-route.txt': IP_ROUTE });
    await mkdir(join(dir, 'nodes', 'node-z'), { recursive: true });
    expect((await readBundle(dir)).nodeNames()).toEqual(['node-a', 'node-z']);
    const tgz = await packDirectory(dir);
    expect((await readBundleFromBuffer(tgz, 'x.tgz')).nodeNames()).toEqual(['node-a', 'node-z']);
  });

  it('keeps a 0-byte file, empty', async () => {
    const bundle = await readBundleFromBuffer(
      await packTgz({ 'nodes/node-a/ipvsadm.txt': '', 'nodes/node-a/ip-route.txt': IP_ROUTE }),
      'x.tgz',
    );
    const empty = bundle.get('nodes/node-a/ipvsadm.txt');
    expect(empty?.text).toBe('');
    expect(empty?.size).toBe(0);
    expect(empty?.lineCount).toBe(1);
    expect(bundle.issues).toEqual([]);
  });

  it('keeps CRLF text verbatim and strips a UTF-8 byte order mark', async () => {
    const crlf = 'nameserver 10.96.0.10\r\nsearch svc.cluster.local\r\n';
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"kind":"List","items":[]}\n')]);
    const bundle = await readBundleFromBuffer(
      await packTgz({ 'nodes/node-a/resolv.conf': crlf, 'cluster/pods.json': bom }),
      'x.tgz',
    );
    const resolv = bundle.get('nodes/node-a/resolv.conf')!;
    expect(resolv.text).toBe(crlf);
    expect(resolv.lineText(1)).toBe('nameserver 10.96.0.10');
    expect(resolv.lineText(2)).toBe('search svc.cluster.local');
    const pods = bundle.get('cluster/pods.json')!;
    expect(pods.text).toBe('{"kind":"List","items":[]}\n');
    expect(pods.size).toBe(bom.length);
  });

  it('uses the last copy of a duplicated entry and warns', async () => {
    const tar = await packTar(
      { 'nodes/node-a/ip-route.txt': 'default via 10.0.0.1 dev eth0\n' },
      { entries: [{ name: './nodes/node-a/ip-route.txt', content: IP_ROUTE }] },
    );
    const bundle = await readBundleFromBuffer(tar, 'dup.tar');
    expect(bundle.get('nodes/node-a/ip-route.txt')?.text).toBe(IP_ROUTE);
    expect(bundle.issues).toMatchObject([
      { code: 'DUPLICATE_ENTRY', file: 'nodes/node-a/ip-route.txt', line: 0, severity: 'warning' },
    ]);
  });

  it('reports a missing path with BundleReadError', async () => {
    const missing = join(scratch, 'no-such-bundle.tgz');
    const error = await readBundle(missing).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BundleReadError);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('ENOENT');
  });

  it('reports an empty file with BundleReadError', async () => {
    const path = join(scratch, 'empty.tgz');
    await writeFile(path, '');
    await expect(readBundle(path)).rejects.toThrow(/empty/);
    await expect(readBundle(path)).rejects.toBeInstanceOf(BundleReadError);
  });
});

describe('bundleFromFiles', () => {
  it('builds the same bundle as an archive of the same files', async () => {
    const bundle = bundleFromFiles(SAMPLE_FILES);
    expect(bundle.origin).toBe('inline');
    expectSampleContent(bundle);
  });

  it('finds a wrapped root and refuses unsafe paths', () => {
    const bundle = bundleFromFiles(
      { 'netdump-1/nodes/node-a/ip-route.txt': IP_ROUTE, '../etc/passwd': 'root:x:0:0::/root:/bin/sh\n' },
      'rule-test',
    );
    expect([...bundle.files.keys()]).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'UNSAFE_PATH', file: '../etc/passwd' }]);
  });
});

describe('bundle root', () => {
  it('does not take a layout folder such as logs/ for a wrapping folder', () => {
    const bundle = bundleFromFiles({ 'logs/kube-system/coredns-1/coredns.log': '[INFO] 127.0.0.1:53\n' });
    expect([...bundle.files.keys()]).toEqual(['logs/kube-system/coredns-1/coredns.log']);
  });

  it('strips a lone wrapping folder even without manifest, cluster/ or nodes/', () => {
    const bundle = bundleFromFiles({ 'capture-1/logs/kube-system/coredns-1/coredns.log': '[INFO] 127.0.0.1:53\n' });
    expect([...bundle.files.keys()]).toEqual(['logs/kube-system/coredns-1/coredns.log']);
  });

  it('keeps the archive itself as root when files sit in several top folders', () => {
    const bundle = bundleFromFiles({ 'a/x.txt': 'x\n', 'b/y.txt': 'y\n' });
    expect([...bundle.files.keys()].sort()).toEqual(['a/x.txt', 'b/y.txt']);
  });
});
