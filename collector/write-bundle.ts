/**
 * Writes a bundle as a gzip-compressed tar that `tar -tzf` lists and `netdump analyze` reads:
 * every file under one top folder (so unpacking makes one folder, not a mess), folders listed
 * before their files. The archive is written next to its final name and renamed when
 * complete, so an interrupted write never leaves a half bundle under the name the user asked
 * for.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

export interface BundleEntry {
  /** Relative to the bundle root, forward slashes (`nodes/node-a/ip-addr.txt`). */
  path: string;
  data: Buffer | string;
}

export interface WrittenBundle {
  path: string;
  /** Size of the .tgz on disk. */
  bytes: number;
  /** The folder every entry sits in. */
  topFolder: string;
}

/** `netdump-<label>-<UTC timestamp>.tgz`; the label is the kube context or the host name. */
export function defaultBundleName(label: string, at: Date): string {
  return `netdump-${safeName(label)}-${fileTimestamp(at)}.tgz`;
}

/** 2026-11-26T10:00:05.120Z → 2026-11-26T10-00-05Z: sortable, and valid on every file system. */
export function fileTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19).replaceAll(':', '-')}Z`;
}

function safeName(label: string): string {
  return label.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'bundle';
}

/** The top folder for an output path: its name without `.tgz` / `.tar.gz`. */
export function topFolderFor(outputPath: string): string {
  return safeName(basename(outputPath).replace(/\.(?:tgz|tar\.gz|tar)$/i, ''));
}

export async function writeBundle(outputPath: string, entries: readonly BundleEntry[], options: { mtime?: Date } = {}): Promise<WrittenBundle> {
  const topFolder = topFolderFor(outputPath);
  const mtime = options.mtime ?? new Date();
  const partial = `${outputPath}.partial`;
  const archive = pack();
  const written = pipeline(archive, createGzip(), createWriteStream(partial, { mode: 0o600 }));

  const folders = new Set<string>();
  const addFolder = (folder: string) => {
    if (folders.has(folder)) return;
    const parent = folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : '';
    if (parent !== '') addFolder(parent);
    folders.add(folder);
    archive.entry({ name: `${topFolder}/${folder}/`, type: 'directory', mode: 0o755, mtime });
  };

  try {
    archive.entry({ name: `${topFolder}/`, type: 'directory', mode: 0o755, mtime });
    for (const entry of entries) {
      const path = entry.path.replace(/^\/+/, '');
      if (path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
        throw new Error(`refusing to write a bundle entry with an unsafe path: ${JSON.stringify(entry.path)}`);
      }
      if (path.includes('/')) addFolder(path.slice(0, path.lastIndexOf('/')));
      archive.entry({ name: `${topFolder}/${path}`, mode: 0o644, mtime }, typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data);
    }
    archive.finalize();
    await written;
    await rename(partial, outputPath);
  } catch (error) {
    archive.destroy();
    await written.catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
  const { size } = await stat(outputPath);
  return { path: outputPath, bytes: size, topFolder };
}
