/**
 * Packs bundles into real tar / tgz archives in memory with tar-stream's packer, so tests
 * exercise the same reader a user's `netdump analyze bundle.tgz` does.
 *
 *   const tgz = await packTgz({ 'manifest.json': '{}', 'nodes/a/ip-route.txt': '...' },
 *                             { prefix: 'netdump-2026-11-26T10-00' });
 *   const bundle = await readBundleFromBuffer(tgz, 'test.tgz');
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** One raw archive entry, written as given: this is how tests build hostile archives. */
export interface TarEntry {
  /** Written verbatim: `../evil`, `/etc/passwd` and backslashes included. */
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  /** Target of a symlink or hard link. */
  linkname?: string;
}

export interface PackOptions {
  /** A top folder wrapping every file, as `tar czf x.tgz netdump-.../` makes. */
  prefix?: string;
  /** Raw entries written after the files, verbatim (no prefix). */
  entries?: TarEntry[];
}

/** Fixed so that packing the same files twice gives the same bytes. */
const MTIME = new Date('2026-11-26T10:00:00Z');

/** A tar archive of `entries`, in order. */
export async function packTarEntries(entries: readonly TarEntry[]): Promise<Buffer> {
  const packer = pack();
  const output: Buffer[] = [];
  packer.on('data', (chunk: unknown) => output.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    packer.on('end', resolve);
    packer.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const header = {
      name: entry.name,
      type,
      mtime: MTIME,
      mode: type === 'directory' ? 0o755 : 0o644,
      ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
      ...(type === 'character-device' || type === 'block-device' ? { devmajor: 1, devminor: 3 } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const callback = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (type === 'file') packer.entry(header, toBuffer(entry.content ?? ''), callback);
      else packer.entry(header, callback);
    });
  }
  packer.finalize();
  await done;
  return Buffer.concat(output);
}

/** A plain tar of path → content, optionally wrapped in `prefix/`, then `opts.entries`. */
export async function packTar(files: Record<string, string | Buffer>, opts: PackOptions = {}): Promise<Buffer> {
  const prefix = opts.prefix ? `${opts.prefix.replace(/\/+$/, '')}/` : '';
  const entries: TarEntry[] = Object.entries(files).map(([name, content]) => ({ name: prefix + name, content }));
  return packTarEntries([...entries, ...(opts.entries ?? [])]);
}

/** Same as packTar, gzip-compressed. */
export async function packTgz(files: Record<string, string | Buffer>, opts: PackOptions = {}): Promise<Buffer> {
  return gzipSync(await packTar(files, opts));
}

/**
 * A tgz of a fixture folder (such as `fixtures/scenarios/<name>/`), files in sorted order.
 * Symbolic links are packed as links, not followed, as `tar` does.
 */
export async function packDirectory(dir: string, opts: PackOptions = {}): Promise<Buffer> {
  const prefix = opts.prefix ? `${opts.prefix.replace(/\/+$/, '')}/` : '';
  const entries: TarEntry[] = [];
  const walk = async (absolute: string, relative: string): Promise<void> => {
    for (const name of (await readdir(absolute)).sort()) {
      const full = join(absolute, name);
      const path = relative + name;
      const info = await lstat(full);
      if (info.isSymbolicLink()) entries.push({ name: prefix + path, type: 'symlink', linkname: await readlink(full) });
      else if (info.isDirectory()) {
        entries.push({ name: `${prefix}${path}/`, type: 'directory' });
        await walk(full, `${path}/`);
      } else if (info.isFile()) entries.push({ name: prefix + path, content: await readFile(full) });
    }
  };
  await walk(dir, '');
  return gzipSync(await packTarEntries([...entries, ...(opts.entries ?? [])]));
}

function toBuffer(content: string | Buffer): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}
