/**
 * Opens a bundle — a `.tgz`/`.tar.gz`, a plain `.tar`, or a folder — into memory. Archives are
 * streamed through node:zlib and tar-stream and never extracted to disk. A damaged or hostile
 * bundle yields what could be read plus issues; only input that cannot be read at all throws.
 */
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DEFAULT_LIMITS, type Bundle, type BundleLimits } from './bundle.js';
import { BundleCollector } from './bundle-collector.js';
import { normaliseEntryPath } from './entry-path.js';
import { readDirectoryInto } from './read-directory.js';
import { readTarInto } from './read-tar.js';

/** The input is not a bundle at all: missing, unreadable, or neither gzip nor tar. */
export class BundleReadError extends Error {
  override readonly name = 'BundleReadError';
}

/** Read size for archives: large enough that a 50 MB file arrives in few chunks. */
const CHUNK_BYTES = 1024 * 1024;
const GUNZIP_CHUNK_BYTES = 64 * 1024;

export async function readBundle(path: string, limits: Partial<BundleLimits> = {}): Promise<Bundle> {
  const bounds = { ...DEFAULT_LIMITS, ...limits };
  const info = await stat(path).catch((err: Error) => {
    throw new BundleReadError(`cannot read bundle ${path}: ${err.message}`, { cause: err });
  });

  if (info.isDirectory()) {
    await access(path, constants.R_OK | constants.X_OK).catch((err: Error) => {
      throw new BundleReadError(`cannot read bundle folder ${path}: ${err.message}`, { cause: err });
    });
    const collector = new BundleCollector();
    await readDirectoryInto(path, collector, bounds);
    return collector.finish(path);
  }
  if (!info.isFile()) throw new BundleReadError(`cannot read bundle ${path}: neither a file nor a folder`);
  if (info.size === 0) throw new BundleReadError(`cannot read bundle ${path}: the file is empty`);

  const handle = await open(path, 'r').catch((err: Error) => {
    throw new BundleReadError(`cannot read bundle ${path}: ${err.message}`, { cause: err });
  });
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const input = handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES, autoClose: false });
    return await readArchive(input, head.subarray(0, bytesRead), path, bounds);
  } finally {
    await handle.close();
  }
}

/** Reads a `.tgz` or `.tar` held in memory (tests pack bundles this way). */
export async function readBundleFromBuffer(
  data: Buffer,
  origin: string,
  limits: Partial<BundleLimits> = {},
): Promise<Bundle> {
  if (data.length === 0) throw new BundleReadError(`cannot read bundle ${origin}: no data`);
  return readArchive(data, data.subarray(0, 8), origin, { ...DEFAULT_LIMITS, ...limits });
}

/**
 * A bundle from path → text pairs, for rule tests. The root is found and the manifest parsed
 * as for an archive; unsafe paths are refused the same way.
 */
export function bundleFromFiles(files: Record<string, string>, origin = 'inline'): Bundle {
  const collector = new BundleCollector();
  for (const [name, text] of Object.entries(files)) {
    const checked = normaliseEntryPath(name);
    if (!checked.safe || checked.path === '') {
      collector.refuse(name, checked.safe ? 'a file entry needs a name' : checked.reason);
      continue;
    }
    collector.addText(checked.path, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  }
  return collector.finish(origin);
}

async function readArchive(input: Readable | Buffer, head: Buffer, origin: string, limits: BundleLimits): Promise<Bundle> {
  // Detected by content: a .tgz may have been decompressed by a browser and kept its name.
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const chunks = gzipped ? gunzip(input) : Buffer.isBuffer(input) ? slices(input) : input;
  const collector = new BundleCollector();
  const outcome = await readTarInto(chunks, collector, limits);
  if (outcome.entries === 0 && outcome.failure) {
    const what = gzipped ? 'gzip data that does not hold a readable tar archive' : `neither gzip nor tar data${formatHint(head)}`;
    throw new BundleReadError(`cannot read bundle ${origin}: ${what} (${outcome.failure.cause})`);
  }
  return collector.finish(origin);
}

function gunzip(input: Readable | Buffer): AsyncIterable<Buffer> {
  const decompress = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  if (Buffer.isBuffer(input)) {
    decompress.end(input);
    return decompress;
  }
  // A read error destroys the gunzip stream with it, so it surfaces where the chunks are read.
  return pipeline(input, decompress, () => {});
}

async function* slices(data: Buffer): AsyncIterable<Buffer> {
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) yield data.subarray(offset, offset + CHUNK_BYTES);
}

/** Names formats people mistake for a bundle, so the message says what to do. */
function formatHint(head: Buffer): string {
  const known: Array<[number[], string]> = [
    [[0x42, 0x5a, 0x68], 'bzip2'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0x50, 0x4b, 0x03, 0x04], 'zip'],
  ];
  for (const [magic, name] of known) {
    if (magic.every((byte, i) => head[i] === byte)) {
      return `; it looks ${name}-compressed, repack it as .tgz (tar czf) or give the unpacked folder`;
    }
  }
  return '';
}
