/**
 * `netdump anonymize in.tgz -o out.tgz`: reads a bundle (archive or folder) into memory,
 * anonymizes every file and writes the result as a new archive. Bundle contents are written
 * nowhere but the output archive.
 */
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import { writeBundle, type WrittenBundle } from '../write-bundle.js';
import type { AnonymizationMap } from './anonymization-map.js';
import { anonymizeEntries } from './anonymize-entries.js';

export interface AnonymizedBundleFile {
  written: WrittenBundle;
  map: AnonymizationMap;
  files: number;
  /** Paths the reader could not keep (too large, not text): they are not in the output. */
  skipped: string[];
}

export async function anonymizeBundleFile(inputPath: string, outputPath: string, key: Buffer): Promise<AnonymizedBundleFile> {
  const bundle = await readBundle(inputPath);
  const entries = [...bundle.files.values()].map((file) => ({ path: file.path, data: file.text }));
  const { entries: anonymized, map } = anonymizeEntries(entries, key);
  const written = await writeBundle(outputPath, anonymized);
  return { written, map, files: anonymized.length, skipped: [...bundle.skipped].sort() };
}
