/**
 * Reads an unpacked bundle folder into a BundleCollector, under the same limits as an
 * archive. Entries are examined with lstat and symbolic links are never followed: a link in
 * a bundle could point anywhere on the analyst's machine.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleLimits } from './bundle.js';
import type { BundleCollector } from './bundle-collector.js';

/** Reads `dir` recursively; `dir` itself must be a readable directory (the caller checks). */
export async function readDirectoryInto(dir: string, collector: BundleCollector, limits: BundleLimits): Promise<void> {
  let entries = 0;
  let totalBytes = 0;
  let stopped = false;

  const walk = async (absolute: string, relative: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(absolute)).sort();
    } catch (err) {
      collector.note({ code: 'CORRUPT_ARCHIVE', file: relative, line: 0, message: `cannot list folder: ${(err as Error).message}` });
      return;
    }
    for (const name of names) {
      if (stopped) return;
      const path = relative === '' ? name : `${relative}/${name}`;
      const full = join(absolute, name);
      if (++entries > limits.maxEntries) {
        collector.note({
          code: 'TOO_MANY_ENTRIES',
          file: '',
          line: 0,
          message: `the folder holds more than ${limits.maxEntries} entries; reading stopped before ${path}`,
        });
        stopped = true;
        return;
      }
      let info;
      try {
        info = await lstat(full);
      } catch (err) {
        collector.note({ code: 'CORRUPT_ARCHIVE', file: path, line: 0, message: `cannot examine: ${(err as Error).message}` });
        continue;
      }
      if (info.isSymbolicLink()) {
        const target = await readlink(full).catch(() => '?');
        collector.note({
          code: 'LINK_IGNORED',
          file: path,
          line: 0,
          message: `symbolic link ${path} -> ${target} not followed`,
          severity: 'warning',
        });
      } else if (info.isDirectory()) {
        collector.addFolder(path);
        await walk(full, path);
      } else if (!info.isFile()) {
        collector.note({
          code: 'SPECIAL_FILE_IGNORED',
          file: path,
          line: 0,
          message: `${specialKind(info)} ${path} ignored`,
          severity: 'warning',
        });
      } else if (info.size > limits.maxFileBytes) {
        collector.skip(path, {
          code: 'FILE_TOO_LARGE',
          file: path,
          line: 0,
          message: `not read: ${info.size} bytes is over the ${limits.maxFileBytes}-byte limit per file`,
        });
      } else if (totalBytes + info.size > limits.maxTotalBytes) {
        collector.note({
          code: 'TOTAL_SIZE_EXCEEDED',
          file: '',
          line: 0,
          message: `the folder holds more than ${limits.maxTotalBytes} bytes; reading stopped before ${path}`,
        });
        stopped = true;
      } else {
        await readOne(full, path);
      }
    }
  };

  const readOne = async (full: string, path: string): Promise<void> => {
    let data: Buffer;
    try {
      data = await readFile(full);
    } catch (err) {
      collector.skip(path, { code: 'CORRUPT_ARCHIVE', file: path, line: 0, message: `cannot read: ${(err as Error).message}` });
      return;
    }
    // The file may have grown since lstat.
    if (data.length > limits.maxFileBytes) {
      collector.skip(path, {
        code: 'FILE_TOO_LARGE',
        file: path,
        line: 0,
        message: `not read: ${data.length} bytes is over the ${limits.maxFileBytes}-byte limit per file`,
      });
      return;
    }
    totalBytes += data.length;
    collector.addBytes(path, data);
  };

  await walk(dir, '');
}

function specialKind(info: { isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean }): string {
  if (info.isFIFO()) return 'fifo';
  if (info.isSocket()) return 'socket';
  return info.isBlockDevice() ? 'block device' : 'character device';
}
