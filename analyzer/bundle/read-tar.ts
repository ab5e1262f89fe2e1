/**
 * Streams a tar archive (already decompressed) into a BundleCollector with tar-stream, under
 * the BundleLimits. Content stays in memory; nothing is written to disk. Damage (a truncated
 * or corrupt archive, a broken gzip stream) is reported as an issue: every file completed
 * before it is kept, the one being read when it happened is dropped and named.
 */
import { extract as createExtract, type ExtractEvents, type Header } from 'tar-stream';
import type { BundleLimits } from './bundle.js';
import type { BundleCollector } from './bundle-collector.js';
import { normaliseEntryPath } from './entry-path.js';
import type { ParseIssueCode } from './parse-issue.js';

export interface TarReadOutcome {
  /** Archive entries whose header was read. 0 with a failure: the data is not a tar archive. */
  entries: number;
  /** Why reading stopped early because the data is damaged, if it did. */
  failure?: { code: 'TRUNCATED_ARCHIVE' | 'CORRUPT_ARCHIVE'; cause: string };
}

type EntryStream = ExtractEvents['entry'][1];

/** Tar's block size: headers and the end-of-archive marker are blocks. */
const BLOCK = 512;

/**
 * @param chunks the decompressed tar bytes; an error thrown while iterating them (a zlib or
 *   file-system error) ends reading like archive damage does.
 */
export async function readTarInto(
  chunks: AsyncIterable<Buffer>,
  collector: BundleCollector,
  limits: BundleLimits,
): Promise<TarReadOutcome> {
  const extract = createExtract();
  let entries = 0;
  let totalBytes = 0;
  let stopIssue: { code: ParseIssueCode; message: string } | undefined;
  let sourceError: unknown;
  let tarError: Error | undefined;
  let closed = false;
  /** The last block of the stream, to tell a complete archive from one cut between entries. */
  let tail: Buffer = Buffer.alloc(0);
  /** The kept file whose content is being read: dropped if reading ends before its end. */
  let current: { path: string; name: string } | undefined;

  const settled = new Promise<void>((resolve) => {
    extract.on('error', (err: Error) => {
      tarError ??= err;
    });
    extract.on('finish', resolve);
    extract.on('close', () => {
      closed = true;
      resolve();
    });
  });

  extract.on('entry', (header: Header, stream: EntryStream, next: () => void) => {
    // tar-stream destroys the entry stream with the archive's error; the archive reports it.
    stream.on('error', () => {});
    entries++;
    if (stopIssue) {
      drain(stream, next);
      return;
    }
    if (entries > limits.maxEntries) {
      stopIssue = {
        code: 'TOO_MANY_ENTRIES',
        message: `the archive has more than ${limits.maxEntries} entries; reading stopped before ${header.name}`,
      };
      drain(stream, next);
      return;
    }
    handleEntry(header, stream, next);
  });

  function handleEntry(header: Header, stream: EntryStream, next: () => void): void {
    const name = header.name;
    const checked = normaliseEntryPath(name);
    if (!checked.safe) {
      collector.refuse(name, checked.reason);
      drain(stream, next);
      return;
    }
    const path = checked.path;
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        break;
      case 'directory':
        collector.addFolder(path);
        drain(stream, next);
        return;
      case 'symlink':
      case 'link':
        collector.note({
          code: 'LINK_IGNORED',
          file: path,
          line: 0,
          message: `${header.type === 'link' ? 'hard link' : 'symbolic link'} ${name} -> ${header.linkname ?? ''} ignored`,
          severity: 'warning',
        });
        drain(stream, next);
        return;
      default:
        collector.note({
          code: 'SPECIAL_FILE_IGNORED',
          file: path,
          line: 0,
          message: `${header.type ?? 'unknown-type'} entry ${name} ignored`,
          severity: 'warning',
        });
        drain(stream, next);
        return;
    }
    if (path === '') {
      collector.refuse(name, 'a file entry needs a name');
      drain(stream, next);
      return;
    }
    if (header.size > limits.maxFileBytes) {
      collector.skip(path, {
        code: 'FILE_TOO_LARGE',
        file: path,
        line: 0,
        message: `not read: ${header.size} bytes is over the ${limits.maxFileBytes}-byte limit per file`,
      });
      drain(stream, next);
      return;
    }

    const parts: Buffer[] = [];
    let length = 0;
    current = { path, name };
    stream.on('data', (data: unknown) => {
      const part = data as Buffer;
      parts.push(part);
      length += part.length;
    });
    stream.on('end', () => {
      current = undefined;
      collector.addBytes(path, parts.length === 1 ? parts[0]! : Buffer.concat(parts, length));
      next();
    });
  }

  try {
    for await (const chunk of chunks) {
      const room = limits.maxTotalBytes - totalBytes;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      totalBytes += piece.length;
      tail = piece.length >= BLOCK ? piece.subarray(piece.length - BLOCK) : Buffer.concat([tail, piece]).subarray(-BLOCK);
      if (piece.length > 0 && !extract.write(piece)) await writable();
      if (chunk.length > room) {
        stopIssue ??= {
          code: 'TOTAL_SIZE_EXCEEDED',
          message: `the archive holds more than ${limits.maxTotalBytes} bytes once decompressed; reading stopped there`,
        };
      }
      if (stopIssue || tarError || closed) break;
    }
  } catch (err) {
    sourceError = err;
  }
  // Ending (rather than destroying) lets tar-stream finish the entries it already holds.
  if (!closed) extract.end(null);
  await settled;

  const dropped = current;
  const droppedNote = dropped ? `; ${dropped.name} was cut short and dropped` : '';
  const record = (code: ParseIssueCode, message: string): void => {
    const issue = { code, file: dropped?.path ?? '', line: 0, message: message + droppedNote };
    if (dropped) collector.skip(dropped.path, issue);
    else collector.note(issue);
  };
  if (stopIssue) {
    record(stopIssue.code, stopIssue.message);
    return { entries };
  }
  const failure = classify();
  if (failure) {
    record(failure.code, `${failure.cause}; files read before the damage were kept`);
    return { entries, failure };
  }
  if (entries > 0 && tail.some((byte) => byte !== 0)) {
    collector.note({
      code: 'TRUNCATED_ARCHIVE',
      file: '',
      line: 0,
      message: 'the tar archive ends without its end-of-archive marker; it may have been cut after its last complete entry',
      severity: 'warning',
    });
  }
  return { entries };

  function classify(): TarReadOutcome['failure'] {
    if (sourceError !== undefined) {
      const error = sourceError as NodeJS.ErrnoException;
      if (error.code === 'Z_BUF_ERROR') {
        return { code: 'TRUNCATED_ARCHIVE', cause: `the gzip stream ends early (${error.message}) after ${totalBytes} decompressed bytes` };
      }
      if (error.code?.startsWith('Z_')) {
        return { code: 'CORRUPT_ARCHIVE', cause: `the gzip stream is corrupt (${error.message}) after ${totalBytes} decompressed bytes` };
      }
      return { code: 'CORRUPT_ARCHIVE', cause: `reading failed after ${totalBytes} bytes: ${error.message ?? String(sourceError)}` };
    }
    if (tarError) {
      if (/unexpected end of data/i.test(tarError.message)) {
        return { code: 'TRUNCATED_ARCHIVE', cause: `the tar archive ends in the middle of an entry (after ${totalBytes} bytes)` };
      }
      return { code: 'CORRUPT_ARCHIVE', cause: `the tar archive is corrupt after ${totalBytes} bytes: ${tarError.message}` };
    }
    return undefined;
  }

  /** Resolves once tar-stream takes more input, or never will. */
  function writable(): Promise<void> {
    if (closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        extract.off('drain', done);
        extract.off('close', done);
        resolve();
      };
      extract.on('drain', done);
      extract.on('close', done);
    });
  }
}

/** Consumes an entry without keeping its bytes, then moves the archive on. */
function drain(stream: EntryStream, next: () => void): void {
  stream.on('end', () => next());
  stream.resume();
}
